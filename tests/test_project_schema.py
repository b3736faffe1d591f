"""docs/project-file.md is generated from geoplan.project_schema, which is what geoplan.project accepts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from geoplan import project, project_schema
from geoplan._errors import ProjectError
from geoplan.project_schema import LAYER, LAYER_SECTIONS, render_markdown, section

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "project-file.md"


def _documented() -> dict[str, set[str]]:
    """Section heading → keys listed in the doc's tables (parsed from the Markdown, not from the schema)."""
    out: dict[str, set[str]] = {}
    current = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = set()
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m:
            out[current].add(m.group(1))
    return out


def test_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), \
        "docs/project-file.md is stale: python -m geoplan.project_schema > docs/project-file.md"


def test_doc_lists_every_key_the_validator_accepts() -> None:
    doc = _documented()
    layer_heading = ", ".join(f"[{s}]" for s in LAYER_SECTIONS)
    accepted = {
        "[project]": project._PROJECT_KEYS, layer_heading: project._LAYER_KEYS,
        "[communities.fields]": set(project.COMMUNITY_FIELDS), "[facilities.fields]": set(project.FACILITY_FIELDS),
        "[admin_units.fields]": set(project.ADMIN_FIELDS), "[network]": project._NETWORK_KEYS,
        "[audit]": set(project.AUDIT_KEYS),
    }
    for heading, keys in accepted.items():
        assert keys, heading
        assert keys <= doc[heading], f"{heading}: accepted but not documented: {sorted(keys - doc[heading])}"
        assert doc[heading] <= keys, f"{heading}: documented but not accepted: {sorted(doc[heading] - keys)}"
    tops = {h[1:-1] for h in doc if h.startswith("[") and "," not in h and "." not in h}
    assert tops | set(LAYER_SECTIONS) == project._TOP_KEYS


def _write_all_keys(tmp: Path) -> Path:
    """A project file that uses every documented key with its documented example value."""
    for name in ("c.csv", "f.csv", "a.geojson", "census.csv", "walk.osm.pbf", "u.geojson", "t.csv", "p.tif"):
        (tmp / name).write_text("x\n", encoding="utf-8")
    lines = []
    for top in project_schema.TOP_SECTIONS:
        if top == "facility_types":
            lines += ["[facility_types]", '"托育机构" = "childcare"']
            continue
        keys = section(LAYER if top in LAYER_SECTIONS else top)
        lines.append(f"[{top}]")
        for k in keys:
            if k.name == "fields":
                continue
            value = k.example
            if k.check == "path":
                value = {"communities": '"c.csv"', "facilities": '"f.csv"', "admin_units": '"a.geojson"',
                         "census": '"census.csv"', "network": '"walk.osm.pbf"', "urban_areas": '"u.geojson"',
                         "townships": '"t.csv"', "population_grid": '"p.tif"'}[top]
            lines.append(f"{k.name} = {value}")
        fields = section(f"{top}.fields") if top in LAYER_SECTIONS else ()
        if fields:
            lines.append(f"[{top}.fields]")
            lines += [f"{k.name} = {k.example}" for k in fields]
    path = tmp / "geoplan.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_documented_key_is_accepted_with_its_example(tmp_path: Path) -> None:
    proj = project.load_project(_write_all_keys(tmp_path))
    assert proj.communities is not None and set(proj.communities.fields) == set(project.COMMUNITY_FIELDS)
    assert set(proj.audit) == set(project.AUDIT_KEYS)


@pytest.mark.parametrize("table", ["project", "communities", "network", "audit", "communities.fields"])
def test_an_undocumented_key_is_rejected(tmp_path: Path, table: str) -> None:
    path = _write_all_keys(tmp_path)
    text = path.read_text(encoding="utf-8").replace(f"[{table}]\n", f"[{table}]\nnot_a_key = 1\n", 1)
    assert tomllib.loads(text)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError, match="not_a_key"):
        project.load_project(path)


def test_example_in_the_doc_is_valid_toml() -> None:
    assert tomllib.loads(project_schema.example_toml())["project"]["preset"]
