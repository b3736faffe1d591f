"""The in-memory core: prepare (files) → Inputs → evaluate (GeoDataFrames) → AuditResult."""

from __future__ import annotations

import dataclasses
import logging
import sys
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geoplan
import geoplan.audit
from geoplan.audit import Inputs, evaluate, evaluate_inputs, prepare
from geoplan.rules.base import FAIL, NOT_EVALUABLE, PASS
from geoplan.siting.planning import apply as apply_module

audit_module = sys.modules["geoplan.audit"]  # the module, not geoplan.audit the function

#: 15 minutes at the quzhou preset's childcare speed (75 m/min) over straight lines × 1.3
REACH_M = 15 * 75 / 1.3


@pytest.fixture(scope="module")
def demo() -> Inputs:
    logging.disable(logging.WARNING)
    try:
        return prepare(geoplan.demo_project())
    finally:
        logging.disable(logging.NOTSET)


def _own_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three compounds due east of one childcare centre, in metres (EPSG:4549, Hangzhou's zone)."""
    x0, y0 = 500_000.0, 3_350_000.0
    communities = gpd.GeoDataFrame(
        {"name": ["near", "far", "nowhere"], "households": ["1597户", "600", "-"]},
        geometry=shapely.points([x0 + 300, x0 + REACH_M + 200, x0 + 400], [y0, y0, y0]), crs=4549)
    facilities = gpd.GeoDataFrame({"name": ["托育中心"], "facility_type": ["childcare"]},
                                  geometry=shapely.points([x0], [y0]), crs=4549)
    return communities, facilities


def test_evaluate_takes_geodataframes_and_leaves_them_unchanged() -> None:
    communities, facilities = _own_layers()
    before = communities.copy(), facilities.copy()
    result = evaluate(communities, facilities, "quzhou-2022", created="2026-12-01", with_service_areas=False)
    pd.testing.assert_frame_equal(communities, before[0])
    pd.testing.assert_frame_equal(facilities, before[1])
    reach = result.rule_results["reach_childcare_15"].table
    # 300 m × 1.3 = 390 m is within 1125 m; 200 m beyond the straight-line reach is not; raw "1597户" parsed
    assert reach["status"].tolist()[:2] == [PASS, FAIL]
    assert result.communities["households"].tolist()[:2] == [1597.0, 600.0]
    assert result.network is not None and result.network.basis.startswith("euclidean")
    assert any("no walking network" in a for a in result.assumptions)
    assert result.crs.to_epsg() == 4549


def test_evaluate_flags_what_it_cannot_read_in_a_caller_frame() -> None:
    communities, facilities = _own_layers()
    communities.loc[2, "households"] = "很多"
    result = evaluate(communities, facilities, "quzhou-2022", created="2026-12-01", with_service_areas=False)
    assert len(result.communities) == 3  # every community is in the output
    assert "households" in result.communities.loc[2, "flags"]


def test_prepared_frames_are_not_changed_by_evaluate(demo: Inputs) -> None:
    before = demo.communities.copy(), demo.facilities.copy()
    units = demo.admin_units.copy() if demo.admin_units is not None else None
    evaluate_inputs(demo, created="2026-12-01", with_service_areas=False)
    pd.testing.assert_frame_equal(demo.communities, before[0])
    pd.testing.assert_frame_equal(demo.facilities, before[1])
    if units is not None:
        pd.testing.assert_frame_equal(demo.admin_units, units)


def test_audit_is_prepare_then_evaluate(demo: Inputs) -> None:
    whole = geoplan.audit(geoplan.demo_project(), created="2026-12-01", with_service_areas=False)
    split = evaluate_inputs(demo, created="2026-12-01", with_service_areas=False)
    pd.testing.assert_frame_equal(whole.communities, split.communities)
    pd.testing.assert_frame_equal(whole.indicators, split.indicators)
    assert whole.assumptions == split.assumptions
    assert split.inputs is not None and split.inputs.communities is demo.communities


def test_second_evaluation_reuses_the_network(demo: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    first = evaluate_inputs(demo, created="2026-12-01", with_service_areas=False)

    def no_reading(*_: Any, **__: Any) -> None:
        raise AssertionError("read a file again")

    monkeypatch.setattr(audit_module, "load_network", no_reading)
    monkeypatch.setattr(audit_module, "read_table", no_reading)
    assert first.inputs is not None and first.access is not None
    home = first.inputs.communities.geometry.iloc[0]
    added = pd.concat([first.inputs.facilities, first.inputs.facilities.iloc[[0]].assign(
        facility_id="NEW", facility_type="childcare", geometry=[home])], ignore_index=True)
    second = evaluate_inputs(dataclasses.replace(first.inputs, facilities=gpd.GeoDataFrame(added)),
                             created="2026-12-01", with_service_areas=False)
    assert second.access is not None and second.access.network is first.access.network
    assert len(second.facilities) == len(first.facilities) + 1
    before = first.rule_results["reach_childcare_15"].table["status"]
    after = second.rule_results["reach_childcare_15"].table["status"]
    # a childcare centre at the first compound's own point: it is reached now if it is on the network at all
    assert after.iloc[0] == PASS or before.iloc[0] == NOT_EVALUABLE
    assert ((before == PASS) <= (after == PASS)).all()  # adding a facility never loses coverage


def test_apply_suggestions_reads_nothing_when_given_the_result(demo: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    from geoplan.siting import suggest_sites

    first = evaluate_inputs(demo, created="2026-12-01", with_service_areas=False)
    siting = suggest_sites(geoplan.demo_project(), first, rules=["reach_childcare_15"], time_limit_s=20)

    def no_prepare(*_: Any, **__: Any) -> None:
        raise AssertionError("prepared the project again")

    monkeypatch.setattr(apply_module, "prepare", no_prepare)
    after = apply_module.apply_suggestions(geoplan.demo_project(), siting, result=first, created="2026-12-01",
                                           with_service_areas=False)
    assert len(after.facilities) == len(first.facilities) + len(siting.suggestions)
    fixed = after.rule_results["reach_childcare_15"].table["status"]
    assert (fixed == FAIL).sum() <= (first.rule_results["reach_childcare_15"].table["status"] == FAIL).sum()


def test_built_in_kinds_declare_the_fields_they_output(demo: Inputs) -> None:
    from geoplan.rules import KINDS
    from geoplan.rules.base import RESULT_COLUMNS

    result = evaluate_inputs(demo, created="2026-12-01", with_service_areas=False)
    for res in result.rule_results.values():
        extra = set(res.table.columns) - set(RESULT_COLUMNS)
        assert extra <= set(KINDS[res.rule.kind].fields), (res.rule.kind, extra - set(KINDS[res.rule.kind].fields))


def test_readme_in_memory_example_runs() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("In memory, from GeoDataFrames of your own")
    block = readme[readme.index("```python\n", start) + len("```python\n"):]
    code = block[:block.index("```")]
    runnable = code[:code.index("inputs = geoplan.prepare")]  # the rest needs a project of one's own
    namespace: dict[str, Any] = {}
    exec(compile(runnable, "README.md", "exec"), namespace)  # the README's own example
    status = namespace["result"].rule_results["reach_childcare_15"].table["status"]
    # 松木场 is ~230 m from the centre (straight × 1.3 ≈ 300 m < 1125 m); 河东 ~1.1 km away (× 1.3 ≈ 1.44 km) fails
    assert status.tolist() == [PASS, FAIL]
