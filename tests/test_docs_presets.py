"""docs/presets.md: its template validates and audits, and its key tables are the loader's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import geoplan
from geoplan._errors import PresetError
from geoplan.demo import demo_project
from geoplan.init.presetdoc import render_keys
from geoplan.presets import load_preset

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "presets.md"


def _template() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Minimal template"):]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_key_tables_are_current() -> None:
    assert render_keys() in DOC.read_text(encoding="utf-8"), \
        "docs/presets.md is stale: python -m geoplan.init.presetdoc docs/presets.md"


def test_template_validates_and_audits_the_demo(tmp_path: Path) -> None:
    path = tmp_path / "my-city-2024.toml"
    path.write_text(_template(), encoding="utf-8")
    preset = load_preset(path)
    assert [r.kind for r in preset.rules] == ["reach", "reach", "provision"]
    result = geoplan.audit(demo_project(), preset=str(path), use_network=False)
    ind = result.indicators.set_index(["rule_id", "indicator_en"])["measured"]
    demo = geoplan.audit(demo_project(), use_network=False).indicators.set_index(["rule_id", "indicator_en"])
    # the demo maps only plain childcare: the template's childcare circle is the Quzhou preset's figure
    childcare = ind.loc["reach_childcare_15"]
    assert list(childcare.to_numpy()) == list(demo["measured"].loc["reach_childcare_15"].to_numpy())


@pytest.mark.parametrize("required", ["document", "plan_file", "new_build_from_year", "quote"])
def test_every_key_the_doc_marks_required_is_required(tmp_path: Path, required: str) -> None:
    assert f"| `{required}` | **yes** |" in DOC.read_text(encoding="utf-8")
    text = re.sub(rf"^{required} = .*\n", "", _template(), count=1, flags=re.M)
    path = tmp_path / "my-city-2024.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError, match=f"{required}.*required key is missing"):
        load_preset(path)


def test_worked_example_images_exist_and_are_small() -> None:
    doc = (REPO / "docs" / "worked-example.md").read_text(encoding="utf-8")
    images = re.findall(r"\]\((img/[^)]+\.png)\)", doc)
    assert images
    for rel in images:
        path = REPO / "docs" / rel
        assert path.is_file() and path.stat().st_size <= 150_000, rel
