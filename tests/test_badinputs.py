"""Bad input never loses data: every corpus case gets a clear error or a flagged row, never a traceback.

The cases are in ``tests/badinputs/make_corpus.py`` (built here in a temporary folder); the table in
``docs/bad-inputs.md`` is generated from them and checked below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from badinputs.make_corpus import BATCH_CASES, CASES, BatchCase, Case, table, write_batch

import geoplan
from geoplan.cli import main
from geoplan.rules.base import NOT_EVALUABLE, STATUSES

REPO = Path(__file__).resolve().parents[1]
DATE = "2026-01-01"
ERRORS = [c for c in CASES if c.answer == "error"]
AUDITED = [c for c in CASES if c.answer != "error"]


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def _error_lines(stderr: str) -> int:
    """Lines of the CLI's one error message (log lines may come before it)."""
    return sum(line.startswith("geoplan: error: ") for line in stderr.splitlines())


def check_complete(result: geoplan.AuditResult, n: int) -> None:
    """Every input community is in the result, in order, with a valid status for every community rule."""
    com = result.communities
    assert len(com) == n
    assert list(com["source_row"]) == list(range(1, n + 1))
    for rule_id, res in result.rule_results.items():
        if res.level != "community":
            continue
        assert len(res.table) == n, rule_id
        assert set(res.table["status"]) <= set(STATUSES), rule_id
        ne = res.table["status"] == NOT_EVALUABLE
        assert res.table.loc[ne, "reason"].astype(str).str.len().gt(0).all(), rule_id
        found = result.findings[result.findings["rule_id"] == rule_id]
        assert len(found) == n, rule_id


@pytest.mark.parametrize("case", ERRORS, ids=_ids(ERRORS))
def test_error_cases_raise_one_clear_error(case: Case, tmp_path: Path) -> None:
    project = case.build(tmp_path / case.name)
    with pytest.raises(geoplan.GeoplanError) as info:
        geoplan.audit(project, created=DATE)
    assert isinstance(info.value, ValueError | OSError)
    assert re.search(case.expect, str(info.value)), str(info.value)


@pytest.mark.parametrize("case", ERRORS, ids=_ids(ERRORS))
def test_cli_error_cases_print_one_message_no_traceback(case: Case, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    project = case.build(tmp_path / case.name)
    out = tmp_path / "maps"
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 2
    err = capsys.readouterr().err
    assert _error_lines(err) == 1 and "Traceback" not in err, err
    assert re.search(case.expect, err), err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


@pytest.mark.parametrize("case", AUDITED, ids=_ids(AUDITED))
def test_audited_cases_keep_every_row_and_say_what_happened(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / case.name
    result = geoplan.audit(case.build(folder), created=DATE)
    check_complete(result, case.n_communities)
    if case.answer == "flag":
        assert case.row is not None
        layer = result.communities if case.layer == "communities" else result.facilities
        flags = str(layer["flags"].iloc[case.row - 1])
        assert re.search(case.expect, flags), flags
    elif case.answer == "warning":
        assert any(re.search(case.expect, a) for a in result.assumptions), result.assumptions
    if case.check is not None:
        case.check(result, folder)


def test_the_base_project_is_clean(tmp_path: Path) -> None:
    """The corpus's starting point raises no flag and no warning, so each case's answer is its own."""
    from badinputs.base import write_project

    result = geoplan.audit(write_project(tmp_path), created=DATE)
    check_complete(result, 40)
    assert (result.communities["flags"] == "").all()
    assert (result.facilities["flags"] == "").all()
    # 6 facilities are too few for the coordinate-system check, which says so
    assert not [a for a in result.assumptions if not a.startswith("walking speed") and "could not decide" not in a]
    statuses = set(result.communities["reach_childcare__status"])
    assert statuses == {"pass", "fail"}  # the rules can fail, so flags that leave them unchanged are visible


def test_zero_length_ways_are_what_joins_the_cut_streets(tmp_path: Path) -> None:
    """Without the zero-length ways the distances change, so ``network_zero_length`` can fail."""
    from badinputs.base import write_project
    from badinputs.make_corpus import osm_xml

    project = write_project(tmp_path / "cut", network={"path": "streets.osm"})
    osm_xml(tmp_path / "cut" / "streets.osm", zero_length=True, join=False)
    cut = geoplan.audit(project, created=DATE).communities["reach_elderly__value"].to_numpy(dtype=float)
    whole = geoplan.audit(write_project(tmp_path / "base"), created=DATE).communities["reach_elderly__value"]
    assert (abs(cut - whole.to_numpy(dtype=float)) > 100).any()


@pytest.mark.parametrize("name", ["html_in_names", "very_long_names", "duplicate_ids", "geometry_null",
                                  "empty_communities", "mixed_encodings"])
def test_every_output_has_every_community(name: str, tmp_path: Path) -> None:
    import pyogrio

    case = next(c for c in CASES if c.name == name)
    result = geoplan.audit(case.build(tmp_path / name), created=DATE)
    out = tmp_path / "maps"
    written = geoplan.write_all(result, out)
    n = case.n_communities
    assert len(pd.read_csv(out / "communities.csv", dtype=str, keep_default_na=False)) == n
    assert len(pyogrio.read_dataframe(out / "audit.gpkg", layer="communities")) == n
    assert len(pyogrio.read_dataframe(out / "communities.shp")) == n
    html = Path(written["gap_map.html"]).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "onerror=alert(1)>" not in html


def test_names_survive_the_exports_verbatim(tmp_path: Path) -> None:
    import pyogrio
    from badinputs.make_corpus import LONG_NAME, NASTY_NAMES

    case = next(c for c in CASES if c.name == "html_in_names")
    result = geoplan.audit(case.build(tmp_path / "c"), created=DATE)
    long_case = next(c for c in CASES if c.name == "very_long_names")
    long_result = geoplan.audit(long_case.build(tmp_path / "l"), created=DATE)
    geoplan.write_all(result, tmp_path / "a", formats=("gpkg",))
    geoplan.write_all(long_result, tmp_path / "b", formats=("gpkg",))
    names = list(pyogrio.read_dataframe(tmp_path / "a" / "audit.gpkg", layer="communities")["name"])
    assert names[: len(NASTY_NAMES)] == NASTY_NAMES
    assert pyogrio.read_dataframe(tmp_path / "b" / "audit.gpkg", layer="communities")["name"][0] == LONG_NAME


@pytest.mark.parametrize("bc", BATCH_CASES, ids=[b.name for b in BATCH_CASES])
def test_batch_paths_cannot_leave_the_output_folder(bc: BatchCase, tmp_path: Path) -> None:
    spec_module = pytest.importorskip("geoplan.batch.spec", reason="geoplan.batch (the batch engineer's) not present")
    load_batch = getattr(spec_module, "load_batch", None)
    if load_batch is None:
        pytest.skip("geoplan.batch.spec has no load_batch yet")
    path = write_batch(tmp_path / bc.name, bc)
    with pytest.raises(geoplan.GeoplanError) as info:
        load_batch(path)
    assert re.search(bc.expect, str(info.value)), str(info.value)
    assert not (tmp_path / "etc").exists()


def test_docs_table_lists_every_case() -> None:
    docs = (REPO / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    assert table() in docs, "docs/bad-inputs.md is stale: python tests/badinputs/make_corpus.py --table"


def test_corpus_script_writes_every_case(tmp_path: Path) -> None:
    script = REPO / "tests" / "badinputs" / "make_corpus.py"
    run = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted([c.name for c in CASES] + [b.name for b in BATCH_CASES])
    total = sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())
    assert total < 5_000_000  # small files: nothing here needs committing


def test_cli_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, not just main(): one error case end to end."""
    case = next(c for c in CASES if c.name == "truncated_gpkg")
    project = case.build(tmp_path / case.name)
    run = subprocess.run([sys.executable, "-m", "geoplan.cli", "audit", str(project), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert _error_lines(run.stderr) == 1 and "Traceback" not in run.stderr, run.stderr
