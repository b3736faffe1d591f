"""Rule kinds are plugins: a kind registered in the test suite runs through a preset, an audit and the outputs.

The toy kind ``min_households`` passes a community when it has at least ``min`` households; nothing outside
this file is changed for it (one RuleKind, one register call, preset entries).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geoplan.rules
from geoplan._errors import PresetError
from geoplan.audit import evaluate
from geoplan.outputs.write import write_all
from geoplan.presets import KIND_PARAMS, load_preset
from geoplan.rules import KINDS, register, unregister
from geoplan.rules.base import (
    FAIL,
    MEASURED,
    NOT_EVALUABLE,
    PASS,
    RESULT_COLUMNS,
    Rule,
    RuleContext,
    RuleKind,
    RuleResult,
    indicators_frame,
)

PRESET = """\
[preset]
id = "toy"
title = "玩具规则"
document = "none"
plan_file = "quzhou-2022.txt"
target_year = 2025
new_build_from_year = 2022

[parameters]
walk_speed_m_per_min = 75
walk_speed_source = "test"

[types]
childcare = { zh = "托育机构", en = "childcare institution" }

[[rules]]
id = "big_enough"
kind = "min_households"
title_zh = "小区规模"
title_en = "compound size"
min = 100
[rules.cite]
file = "quzhou-2022.txt"
clause = "二(一)"
quote = "打造15分钟便捷托育服务圈"
"""


def _check(params: Mapping[str, Any]) -> list[str]:
    return [] if float(params["min"]) < 10_000 else ["min: a compound of 10 000 households is no compound"]


def _evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    households = ctx.communities["households"]
    need = float(rule.params["min"])
    status = households.map(lambda h: NOT_EVALUABLE if pd.isna(h) else PASS if h >= need else FAIL)
    table = pd.DataFrame({
        "status": status, "value": households, "threshold": need, "unit": "户",
        "shortfall": (need - households).clip(lower=0), "basis": MEASURED,
        "reason": households.isna().map({True: "households missing", False: ""}),
        "margin": households - need,
    }, index=ctx.communities.index)
    passing = float((status == PASS).sum()) / max(int((status != NOT_EVALUABLE).sum()), 1)
    indicators = indicators_frame([{"rule_id": rule.id, "indicator_zh": "达标小区比例", "indicator_en": "share",
                                    "area": "all", "measured": passing, "target": 1.0, "unit": "",
                                    "shortfall": 1.0 - passing, "basis": MEASURED, "note": ""}])
    return RuleResult(rule=rule, level="community", table=table, indicators=indicators)


TOY = RuleKind(name="min_households", params={"min": ("positive", True)}, check_params=_check,
               evaluate=_evaluate, fields=("margin",))


@pytest.fixture
def toy() -> Iterator[RuleKind]:
    register(TOY)
    yield TOY
    unregister(TOY.name)


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    communities = gpd.GeoDataFrame(
        {"name": ["甲", "乙", "丙"], "households": ["150户", "约60户", "-"]},
        geometry=shapely.points([120.15, 120.16, 120.17], [30.25, 30.25, 30.25]), crs=4326)
    facilities = gpd.GeoDataFrame({"name": ["托育"], "facility_type": ["childcare"]},
                                  geometry=shapely.points([120.15], [30.251]), crs=4326)
    return communities, facilities


def test_toy_kind_runs_through_preset_audit_and_outputs(toy: RuleKind, tmp_path: Path) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(PRESET, encoding="utf-8")
    preset = load_preset(path)
    communities, facilities = _layers()
    result = evaluate(communities, facilities, preset, created="2026-12-01")
    table = result.rule_results["big_enough"].table
    # 150 ≥ 100 passes, 60 < 100 fails by 40, "-" is missing: not evaluable (never a zero)
    assert table["status"].tolist() == [PASS, FAIL, NOT_EVALUABLE]
    assert table["shortfall"].tolist()[:2] == [0.0, 40.0]
    assert result.communities["big_enough__margin"].tolist()[:2] == [50.0, -40.0]
    written = write_all(result, tmp_path / "out", formats=("csv",))
    csv = pd.read_csv(tmp_path / "out" / "communities.csv")
    assert csv["big_enough__status"].tolist() == [PASS, FAIL, NOT_EVALUABLE]
    assert written


def test_toy_kind_parameters_are_checked_by_its_schema(toy: RuleKind, tmp_path: Path) -> None:
    path = tmp_path / "toy.toml"
    assert set(KIND_PARAMS["min_households"]) == {"min"}
    path.write_text(PRESET.replace("min = 100", "min = 100\nmax = 3"), encoding="utf-8")
    with pytest.raises(PresetError, match="max"):
        load_preset(path)
    path.write_text(PRESET.replace("min = 100", "min = 20000"), encoding="utf-8")
    with pytest.raises(PresetError, match="10 000 households"):
        load_preset(path)


def test_unregistered_kind_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(PRESET, encoding="utf-8")
    with pytest.raises(PresetError, match="min_households"):
        load_preset(path)


def test_register_refuses_a_second_kind_of_the_same_name(toy: RuleKind) -> None:
    other = RuleKind(name=toy.name, params={}, check_params=_check, evaluate=_evaluate)
    with pytest.raises(PresetError, match="registered already"):
        register(other)
    assert register(other, replace=True) is other
    assert KINDS[toy.name] is other
    assert register(other) is other  # the same object again is no conflict


def test_built_in_kinds_are_registered_with_a_schema() -> None:
    assert {"reach", "provision", "presence", "ratio", "targets", "count", "catchment"} <= set(geoplan.rules.KINDS)
    for name, kind in geoplan.rules.KINDS.items():
        assert kind.name == name
        assert kind.params, name
        assert not set(kind.fields) & set(RESULT_COLUMNS), name
    assert {k for k, v in KINDS.items() if v.planner} == {"reach", "provision", "presence"}
