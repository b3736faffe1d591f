"""count: city totals of facilities (or of their slots / beds) against the plan's number."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geoplan.rules import count
from geoplan.rules.base import RESULT_COLUMNS, Citation, Rule, RuleContext


def facilities(items: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    columns = ["facility_id", "name", "facility_type", "slots", "floor_area_m2", "admin_code"]
    frame = pd.DataFrame([{"facility_id": f"F{i}", "name": f"f{i}", "facility_type": "demonstration_childcare",
                           "slots": np.nan, "floor_area_m2": np.nan, "admin_code": "", **r}
                          for i, r in enumerate(items)], columns=columns)
    return gpd.GeoDataFrame(frame, geometry=[Point(i, 0) for i in range(len(frame))], crs=32650)


def rule(**params: Any) -> Rule:
    base = {"types": ["demonstration_childcare"], "min_count": 3, "level": "city"}
    return Rule("cnt", "count", "示范性托育机构达到50家", "demonstration childcare", Citation("f", "c", "q"),
                {**base, **params})


def run(r: Rule, fac: gpd.GeoDataFrame, **options: Any) -> tuple[pd.Series, pd.DataFrame]:
    assert count.check_params(r.params) == []
    com = gpd.GeoDataFrame({"community_id": []}, geometry=[], crs=32650)
    result = count.evaluate(r, RuleContext(com, fac, None, 75.0, "t", options=options))  # type: ignore[arg-type]
    assert tuple(result.table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert len(result.table) == 1
    return result.table.iloc[0], result.indicators


def test_count_pass_and_fail() -> None:
    fac = facilities([{}, {}, {"facility_type": "childcare"}])
    row, ind = run(rule(), fac, city_name="杭州市")
    assert row["status"] == "fail" and row["value"] == 2 and row["shortfall"] == 1
    assert row.name == "杭州市" and ind.iloc[0]["area"] == "杭州市"
    assert ind.iloc[0]["indicator_zh"] == "示范性托育机构达到50家"
    row, _ = run(rule(min_count=2), fac)
    assert row["status"] == "pass" and row["shortfall"] == 0 and row["unit"] == "处 facilities"


def test_filter_with_unknown_values() -> None:
    flt = {"field": "floor_area_m2", "op": ">=", "value": 2000}
    fac = facilities([{"floor_area_m2": 2500}, {"floor_area_m2": 1000}, {}])
    row, _ = run(rule(min_count=2, filter=flt), fac)  # 1 certain, 1 unknown could make 2
    assert row["status"] == "not_evaluable" and np.isnan(row["value"]) and np.isnan(row["shortfall"])
    assert "floor_area_m2 empty could add up to 1" in row["reason"]
    row, _ = run(rule(min_count=3, filter=flt), fac)  # even the unknown one cannot make 3
    assert row["status"] == "fail" and row["shortfall"] == 2
    row, _ = run(rule(min_count=4, filter=flt), fac.drop(columns="floor_area_m2"))  # all 3 could not make 4
    assert row["status"] == "fail" and "no floor_area_m2 in facilities layer" in row["reason"]
    row, _ = run(rule(min_count=3, filter=flt), fac.drop(columns="floor_area_m2"))
    assert row["status"] == "not_evaluable"


def test_sum_of_slots() -> None:
    # 邵阳: 全市托位数达到29500个
    r = rule(types=["childcare", "inclusive_childcare"], field="slots", min_count=29500)
    known = [{"facility_type": "childcare", "slots": 20000}, {"facility_type": "inclusive_childcare", "slots": 7000}]
    row, ind = run(r, facilities(known))
    assert row["status"] == "fail" and row["value"] == 27000 and row["shortfall"] == 2500
    assert row["unit"] == "托位 slots" and ind.iloc[0]["shortfall"] == 2500
    fac = facilities([*known, {"facility_type": "childcare"}])
    row, _ = run(r, fac)  # one facility of unknown size: any amount could be missing
    assert row["status"] == "not_evaluable" and "could add an unknown amount" in row["reason"]
    fac.loc[2, "slots"] = 3000
    fac["assumed_slots"] = [False, False, True]
    row, _ = run(r, fac)
    assert row["status"] == "pass" and row["basis"] == "assumed"


def test_missing_field() -> None:
    r = rule(types=["childcare"], field="slots", min_count=100)
    row, _ = run(r, facilities([{"facility_type": "childcare"}]).drop(columns="slots"))
    assert row["status"] == "not_evaluable" and row["reason"].startswith("no slots in facilities layer")


@pytest.mark.parametrize("params", [{"types": [], "min_count": 1}, {"types": ["x"], "min_count": 0},
                                    {"types": ["x"], "min_count": 1, "level": "county"},
                                    {"types": ["x"], "min_count": 1, "field": 3}])
def test_check_params(params: dict[str, Any]) -> None:
    assert count.check_params(params)


def test_type_absent_from_layer_is_not_evaluable() -> None:
    # The layer has no facility of the types at all: a data gap (as for reach), with the would-be answer.
    row, ind = run(rule(), facilities([{"facility_type": "childcare"}]))
    assert row["status"] == "not_evaluable" and np.isnan(row["value"])
    assert "no demonstration_childcare facility in the facilities layer" in row["reason"]
    assert "0 < 3" in row["reason"] and ind.iloc[0]["basis"] == "not_evaluable"
