"""targets: the Zhoukou annex table against supply per district (hand-computed, and on the real polygons)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan import admin
from geoplan.rules import targets
from geoplan.rules.base import RESULT_COLUMNS, Citation, Rule, RuleContext

CRS = 32650
ELDERLY = ["elderly_institution", "special_care_institution"]
CHILD = ["childcare", "inclusive_childcare"]
MEASURES = {"beds_2025": {"types": ELDERLY, "field": "beds"}, "slots_2025": {"types": CHILD, "field": "slots"}}
# zhoukou-2022.txt, 附件 各县(市、区)“一老一小”建设任务分配表 (area, 2020 population 万人, 2025 beds, 2025 slots)
ANNEX = [
    ("川汇区", 38.77, 2257, 2326), ("淮阳区", 102.23, 7763, 3880), ("项城市", 97.32, 7597, 4760),
    ("太康县", 115.27, 8742, 4490), ("郸城县", 105.71, 7879, 4010), ("沈丘县", 95.66, 7558, 3730),
    ("商水县", 96.05, 7201, 3640), ("西华县", 69.28, 5427, 2630), ("扶沟县", 55.38, 4638, 2150),
    ("鹿邑县", 95.86, 6872, 3640), ("周口经济开发区", 9.06, 435, 544), ("市城乡一体化示范区", 18.03, 811, 1082),
    ("周口港口物流产业集聚区", 3.97, 298, 238),
]


def rows(annex: list[tuple[str, float, int, int]]) -> list[dict[str, Any]]:
    return [{"area": a, "population_2020_wan": p, "beds_2025": b, "slots_2025": s} for a, p, b, s in annex]


def facilities(items: list[dict[str, Any]], crs: Any = CRS) -> gpd.GeoDataFrame:
    columns = ["facility_id", "name", "facility_type", "beds", "slots", "admin_code", "x", "y"]
    frame = pd.DataFrame([{"facility_id": f"F{i}", "name": f"f{i}", "facility_type": "elderly_institution",
                           "beds": np.nan, "slots": np.nan, "admin_code": "", "x": 0.0, "y": 0.0, **r}
                          for i, r in enumerate(items)], columns=columns)
    geom = [Point(a, b) for a, b in zip(frame.pop("x"), frame.pop("y"), strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geom, crs=crs)


def rule(annex: list[tuple[str, float, int, int]], measures: dict[str, Any] = MEASURES, **extra: Any) -> Rule:
    params = {"table": "annex", "level": "county", "measures": measures, "rows": rows(annex), **extra}
    return Rule("targets", "targets", "各县(市、区)“一老一小”建设任务分配表", "annex", Citation("f", "c", "q"), params)


def run(r: Rule, fac: gpd.GeoDataFrame, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert targets.check_params(r.params) == []
    com = gpd.GeoDataFrame({"community_id": []}, geometry=[], crs=fac.crs)
    result = targets.evaluate(r, RuleContext(com, fac, None, 75.0, "t", admin_units=units))  # type: ignore[arg-type]
    assert tuple(result.table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return result.table, result.indicators


def two_districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_code": ["411602", "411603"], "unit_name": ["川汇区", "淮阳区"], "level": "county"},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=CRS)


def test_hand_computed_annex_rows() -> None:
    fac = facilities([
        {"beds": 2000, "x": 100, "y": 100}, {"beds": 300, "x": 200, "y": 100},  # 川汇 2300 ≥ 2257
        {"facility_type": "childcare", "slots": 1163, "x": 300, "y": 100},  # 川汇 1163 = 50 % of 2326
        {"beds": 7763, "x": 1500, "y": 100, "facility_type": "special_care_institution"},  # 淮阳 = target
        {"facility_type": "inclusive_childcare", "slots": 3880, "x": 1600, "y": 100},
        {"beds": 500, "admin_code": "411671001", "x": -500},  # in the 经济开发区: no polygon there
    ])
    t, ind = run(rule(ANNEX[:2] + ANNEX[10:11]), fac, two_districts())
    assert t.index.tolist() == ["川汇区", "淮阳区", "周口经济开发区"]
    assert t["status"].tolist() == ["fail", "pass", "not_evaluable"]
    assert t["beds_2025__supply"].tolist()[:2] == [2300, 7763]
    assert t["slots_2025__shortfall"].tolist()[:2] == [1163, 0]
    assert t["beds_2025__status"].tolist()[:2] == ["pass", "pass"]
    assert t.loc["川汇区", "value"] == pytest.approx(50.0)  # lowest attainment: slots 1163 / 2326
    assert t.loc["川汇区", "shortfall"] == pytest.approx(50.0)
    assert t.loc["川汇区", "unit"] == "% of target (lowest measure)"
    assert "not an admin unit" in t.loc["周口经济开发区", "reason"]
    assert np.isnan(t.loc["周口经济开发区", "value"])
    assert t["population_2020_wan"].tolist() == [38.77, 102.23, 9.06]
    beds = ind[ind["indicator_en"] == "beds_2025"].set_index("area")
    assert beds.loc["川汇区", "measured"] == 2300 and beds.loc["川汇区", "target"] == 2257
    total = ind[ind["indicator_en"] == "slots_2025 total"].iloc[0]
    assert total["measured"] == 1163 + 3880 and total["target"] == 2326 + 3880 and total["shortfall"] == 1163
    assert "1 not evaluable (target 544 not in the totals)" in total["note"]


def test_single_measure_in_absolute_units_and_code_matching() -> None:
    fac = facilities([{"facility_type": "childcare", "slots": 2000, "admin_code": "411603101"}])
    units = pd.DataFrame({"unit_code": ["411602", "411603"], "unit_name": ["川汇区", "淮阳区"], "level": "county"})
    annex = [("淮阳", 102.23, 7763, 3880)]  # a different spelling, matched by code
    r = rule(annex, {"slots_2025": MEASURES["slots_2025"]})
    r.params["rows"][0]["code"] = "411603"  # type: ignore[index]
    t, _ = run(r, fac, units)
    assert t.loc["淮阳", "status"] == "fail"
    assert t.loc["淮阳", "value"] == 2000 and t.loc["淮阳", "threshold"] == 3880
    assert t.loc["淮阳", "shortfall"] == 1880 and t.loc["淮阳", "unit"] == "托位 slots"


def test_unknown_beds() -> None:
    fac = facilities([{"beds": 3000, "x": 100, "y": 100}, {"x": 200, "y": 100},  # 川汇: known already enough
                      {"beds": 10, "x": 1500, "y": 100}, {"x": 1600, "y": 100}])  # 淮阳: not enough known
    t, _ = run(rule(ANNEX[:2], {"beds_2025": MEASURES["beds_2025"]}), fac, two_districts())
    assert t["status"].tolist() == ["pass", "not_evaluable"]
    assert "1 facilities with unknown figure" in t.loc["淮阳区", "reason"]
    no_beds = facilities([{"x": 100, "y": 100}]).drop(columns="beds")
    t, _ = run(rule(ANNEX[:2], {"beds_2025": MEASURES["beds_2025"]}), no_beds, two_districts())
    assert (t["status"] == "not_evaluable").all()
    assert t["reason"].str.contains("no beds in facilities layer").all()


def test_check_params() -> None:
    bad_rows = [{"area": "a", "beds_2025": "many"}, {"area": "a", "beds_2025": 1}]
    text = " | ".join(targets.check_params({"measures": {"beds_2025": {"types": ["x"]}}, "rows": bad_rows}))
    for key in ("measures.beds_2025.field", "rows[0] (a): beds_2025", "unique"):
        assert key in text
    assert "rows: a non-empty list" in " ".join(targets.check_params({"measures": MEASURES, "rows": []}))


@pytest.mark.shared
def test_zhoukou_annex_on_the_real_district_polygons(shared_data: Path) -> None:
    districts = admin.read_districts(shared_data / "cn-admin" / "districts-5cities.geojson")
    units = districts[districts["city"] == "周口"].to_crs(4547).reset_index(drop=True)
    # one institution of 1000 beds and one childcare of 3000 slots inside every district
    pts = units.geometry.representative_point()
    fac = pd.concat([
        facilities([{"beds": 1000.0, "x": p.x, "y": p.y} for p in pts], crs=units.crs),
        facilities([{"facility_type": "childcare", "slots": 3000.0, "x": p.x, "y": p.y} for p in pts], crs=units.crs),
    ], ignore_index=True)
    t, ind = run(rule(ANNEX), fac, units)
    assert len(t) == 13
    matched = t.index[:10]
    assert (t.loc[matched, "beds_2025__supply"] == 1000).all()
    assert (t.loc[matched, "status"] == "fail").all()  # every annex bed target exceeds 1000
    expected = {a: s for a, _, _, s in ANNEX[:10]}
    for area in matched:
        assert t.loc[area, "slots_2025__status"] == ("pass" if expected[area] <= 3000 else "fail")
    # the three zones of the annex are not district polygons: not evaluable, with the reason
    assert (t.iloc[10:]["status"] == "not_evaluable").all()
    total = ind[ind["indicator_en"] == "beds_2025 total"].iloc[0]
    assert total["target"] == sum(b for _, _, b, _ in ANNEX[:10])
    assert total["shortfall"] == sum(b - 1000 for _, _, b, _ in ANNEX[:10])


def test_measure_types_absent_from_the_layer_are_not_evaluable_with_the_would_be_answer() -> None:
    fac = facilities([{"x": 100, "y": 100, "beds": 500, "facility_type": "childcare", "slots": 10}])
    one = {"beds_2025": MEASURES["beds_2025"]}
    t, _ = run(rule(ANNEX[:2], one), fac, two_districts())
    assert (t["status"] == "not_evaluable").all()
    assert t["reason"].str.contains("no elderly_institution/special_care_institution facility in the facilities "
                                    "layer").all()
    assert t["reason"].str.contains("the beds supply of every area would be 0").all()
