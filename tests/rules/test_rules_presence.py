"""presence: units by polygon or by admin code, filters, unplaceable facilities, coverage indicator."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan.rules import presence
from geoplan.rules.base import RESULT_COLUMNS, Citation, Rule, RuleContext

CRS = 32650


def facilities(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    columns = ["facility_id", "name", "facility_type", "floor_area_m2", "admin_code", "x", "y"]
    frame = pd.DataFrame([{"facility_id": f"F{i}", "name": f"设施{i}", "facility_type": "elderly_university",
                           "floor_area_m2": np.nan, "admin_code": "", "x": np.nan, "y": np.nan, **r}
                          for i, r in enumerate(rows)], columns=columns)
    x, y = frame.pop("x"), frame.pop("y")
    geom = [Point(a, b) if np.isfinite(a) else None for a, b in zip(x, y, strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geom, crs=CRS)


def county_polygons() -> gpd.GeoDataFrame:
    """Three 1 km squares side by side: 330101, 330102, 330103."""
    return gpd.GeoDataFrame({"unit_code": ["330101", "330102", "330103"], "unit_name": ["甲区", "乙区", "丙县"],
                             "level": "county"},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
                            crs=CRS)


def township_list() -> pd.DataFrame:
    codes = ["330101001", "330101002", "330102001", "330102100"]
    return pd.DataFrame({"unit_code": codes, "unit_name": ["一街道", "二街道", "三街道", "四镇"], "level": "township"})


def rule(**params: Any) -> Rule:
    base = {"types": ["elderly_university"], "level": "county", "min_count": 1}
    return Rule("pres", "presence", "老年大学", "elderly university", Citation("f", "c", "q"), {**base, **params})


def run(r: Rule, fac: gpd.GeoDataFrame, units: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert presence.check_params(r.params) == []
    com = gpd.GeoDataFrame({"community_id": []}, geometry=[], crs=CRS)
    ctx = RuleContext(com, fac, None, 75.0, "t", admin_units=units)  # type: ignore[arg-type]
    result = presence.evaluate(r, ctx)
    assert tuple(result.table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return result.table, result.indicators


def test_polygons_unit_without_facility_fails_and_is_listed() -> None:
    fac = facilities([{"x": 100, "y": 100}, {"x": 1500, "y": 500}, {"x": 1600, "y": 600},
                      {"x": 2500, "y": 500, "facility_type": "childcare"},  # wrong type
                      {"x": 9000, "y": 500}])  # outside every unit
    t, ind = run(rule(target_rate=1.0), fac, county_polygons())
    assert t.index.tolist() == ["330101", "330102", "330103"]
    assert t["status"].tolist() == ["pass", "pass", "fail"]
    assert t["value"].tolist() == [1, 2, 0]
    assert t["shortfall"].tolist() == [0, 0, 1]
    assert "lacks elderly_university" in t.loc["330103", "reason"]
    row = ind.iloc[0]
    assert row["measured"] == pytest.approx(200 / 3, abs=0.01) and row["target"] == 100
    assert row["shortfall"] == 1  # one more unit needs one
    assert "丙县" in row["note"]


def test_min_count_two() -> None:
    fac = facilities([{"x": 100, "y": 100}, {"x": 1500, "y": 500}, {"x": 1600, "y": 600}])
    t, _ = run(rule(min_count=2), fac, county_polygons())
    assert t["status"].tolist() == ["fail", "pass", "fail"]
    assert t["shortfall"].tolist() == [1, 0, 2]


def test_admin_codes_without_polygons() -> None:
    fac = facilities([{"admin_code": "330101001"}, {"admin_code": "330102100.0"}, {"admin_code": "330199001"}])
    t, ind = run(rule(level="township"), fac, township_list())
    assert t["status"].tolist() == ["pass", "fail", "fail", "pass"]
    assert ind.iloc[0]["measured"] == 50.0


def test_facility_without_usable_code_makes_failing_units_not_evaluable() -> None:
    # a 6-digit (county) code cannot say which township; it could be the one each failing unit lacks
    fac = facilities([{"admin_code": "330101001"}, {"admin_code": "330102"}])
    t, ind = run(rule(level="township"), fac, township_list())
    assert t["status"].tolist() == ["pass", "not_evaluable", "not_evaluable", "not_evaluable"]
    assert "cannot be placed" in t.loc["330101002", "reason"]
    assert t.loc["330101002", "basis"] == "not_evaluable" and np.isnan(t.loc["330101002", "shortfall"])
    assert "1 facilities could not be placed" in ind.iloc[0]["note"]


def test_polygon_units_place_facilities_by_code_when_they_have_no_point() -> None:
    fac = facilities([{"admin_code": "330102"}, {"x": 100, "y": 100}])
    t, _ = run(rule(), fac, county_polygons())
    assert t["status"].tolist() == ["pass", "pass", "fail"]


def test_filter_minimum_area() -> None:
    # 杭州: 區、縣(市)老年活動中心全覆蓋, 單個面積不少於2000平方米
    flt = {"field": "floor_area_m2", "op": ">=", "value": 2000}
    fac = facilities([{"x": 100, "y": 100, "floor_area_m2": 2500}, {"x": 1500, "y": 500, "floor_area_m2": 1500},
                      {"x": 2500, "y": 500}])
    t, _ = run(rule(filter=flt), fac, county_polygons())
    assert t["status"].tolist() == ["pass", "fail", "not_evaluable"]
    assert "floor_area_m2 unknown" in t.loc["330103", "reason"]
    fac["assumed_floor_area_m2"] = [True, False, False]
    t, _ = run(rule(filter=flt), fac, county_polygons())
    assert t.loc["330101", "basis"] == "assumed"


def test_filter_field_missing_from_layer() -> None:
    flt = {"field": "floor_area_m2", "op": ">=", "value": 2000}
    fac = facilities([{"x": 100, "y": 100}]).drop(columns="floor_area_m2")
    t, ind = run(rule(filter=flt), fac, county_polygons())
    assert (t["status"] == "not_evaluable").all()
    assert t["reason"].str.contains("no floor_area_m2 in facilities layer").all()
    assert ind.iloc[0]["basis"] == "not_evaluable"


def test_no_units_of_the_level() -> None:
    t, ind = run(rule(level="village"), facilities([{"x": 1, "y": 1}]), county_polygons())
    assert t.empty
    assert ind.iloc[0]["basis"] == "not_evaluable"
    assert "no admin units of this level" in ind.iloc[0]["note"]
    t, _ = run(rule(), facilities([]), None)
    assert t.empty


def test_check_params() -> None:
    text = " | ".join(presence.check_params({"types": ["x"], "level": "province", "min_count": 0,
                                              "filter": {"field": "a", "op": "~"}}))
    for key in ("level", "min_count", "filter.op", "filter.value"):
        assert key in text


def test_type_absent_from_the_layer_is_not_evaluable_with_the_would_be_answer() -> None:
    fac = facilities([{"x": 100, "y": 100, "facility_type": "childcare"}])
    t, ind = run(rule(target_rate=1.0), fac, county_polygons())
    assert (t["status"] == "not_evaluable").all() and t["value"].isna().all()
    assert t["reason"].str.contains("no elderly_university facility in the facilities layer").all()
    assert t["reason"].str.contains(r"all 3 county units fail \(0 < 1\)").all()
    assert ind.iloc[0]["basis"] == "not_evaluable"
