"""Admin units through a whole audit: units from code columns and township names, the study area, urban scope.

A tiny project in WGS84 near Hangzhou, no network (labelled straight-line distances), a two-rule preset; every
expected status below is worked out by hand from the codes and positions given.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geoplan._errors import ProjectError
from geoplan.audit import audit

PRESET = """
[preset]
id = "tiny"
title = "tiny"
document = "t"
plan_file = "t.txt"
target_year = 2025
new_build_from_year = 2022
[types]
meal_service = { zh = "老年助餐点(老年食堂)", en = "meal-service point for the elderly" }
[[rules]]
id = "township_meals"
kind = "presence"
title_zh = "乡镇助餐"
title_en = "meals per township"
types = ["meal_service"]
level = "township"
[rules.cite]
file = "t.txt"
clause = "1"
quote = "q"
[[rules]]
id = "urban_village_meals"
kind = "presence"
title_zh = "城市社区助餐"
title_en = "meals per urban community"
types = ["meal_service"]
level = "village"
scope = "urban"
[rules.cite]
file = "t.txt"
clause = "2"
quote = "q"
[[rules]]
id = "urban_reach"
kind = "reach"
title_zh = "城市圈"
title_en = "urban circle"
types = ["meal_service"]
minutes = 15
scope = "urban"
[rules.cite]
file = "t.txt"
clause = "3"
quote = "q"
"""
TOWNSHIPS = """code,name,areaCode,provinceCode,cityCode
330102001,湖滨街道,330102,33,3301
330102101,某某镇,330102,33,3301
330106001,北山街道,330106,33,3301
330106002,湖滨街道,330106,33,3301
"""


def _project(tmp: Path, communities: list[dict[str, object]], facilities: list[dict[str, object]],
             extra: str = "", com_fields: str = "") -> Path:
    pd.DataFrame(communities).to_csv(tmp / "com.csv", index=False)
    pd.DataFrame(facilities).to_csv(tmp / "fac.csv", index=False)
    (tmp / "preset.toml").write_text(PRESET, encoding="utf-8")
    (tmp / "townships.csv").write_text(TOWNSHIPS, encoding="utf-8")
    text = f"""
[project]
title = "t"
preset = "preset.toml"
[communities]
path = "com.csv"
crs = "WGS84"
x = "lon"
y = "lat"
[communities.fields]
name = "name"
households = "hh"
{com_fields}
[facilities]
path = "fac.csv"
crs = "WGS84"
x = "lon"
y = "lat"
[facilities.fields]
name = "name"
facility_type = "type"
admin_code = "code"
{extra}
"""
    (tmp / "geoplan.toml").write_text(text, encoding="utf-8")
    return tmp / "geoplan.toml"


def _table(result: object, rule_id: str) -> pd.DataFrame:
    return result.rule_results[rule_id].table  # type: ignore[attr-defined]


def test_units_from_code_columns(tmp_path: Path) -> None:
    com = [{"name": "a", "lon": 120.150, "lat": 30.250, "hh": 100, "code": "330102001001"},  # 湖滨街道 village 1
           {"name": "b", "lon": 120.152, "lat": 30.250, "hh": 100, "code": "330102001002"},  # 湖滨街道 village 2
           {"name": "c", "lon": 120.154, "lat": 30.250, "hh": 100, "code": "330102101001"},  # 某某镇, no NBS code
           {"name": "d", "lon": 120.156, "lat": 30.250, "hh": 100, "code": ""}]  # no code at all
    fac = [{"name": "食堂", "lon": 120.150, "lat": 30.2505, "type": "meal_service", "code": "330102001001"}]
    path = _project(tmp_path, com, fac, extra='[townships]\npath = "townships.csv"',
                    com_fields='admin_code = "code"')
    result = audit(path, created="2024-01-01", with_service_areas=False)
    town = _table(result, "township_meals")
    assert town["status"].to_dict() == {"330102001": "pass", "330102101": "fail"}  # only the codes in the data
    assert town["unit_name"].tolist() == ["湖滨街道", "某某镇"]  # named from the township list
    village = _table(result, "urban_village_meals")
    assert village["status"].to_dict() == {"330102001001": "pass", "330102001002": "fail",
                                           "330102101001": "not_applicable"}  # a 镇 village without a code
    reach = _table(result, "urban_reach")
    # a, b lie in a 街道 (urban); c in a 镇 without a code and d without any code: not judged, saying why
    assert reach["status"].tolist()[2:] == ["not_applicable", "not_applicable"]
    assert reach["status"].iloc[0] == "pass" and "城乡属性未知" in reach["reason"].iloc[3]
    assert any("from the features' admin codes" in a for a in result.assumptions)


def test_township_names_matched_to_the_list(tmp_path: Path) -> None:
    com = [{"name": "a", "lon": 120.150, "lat": 30.250, "hh": 10, "county": "330102", "town": "湖滨街道"},
           {"name": "b", "lon": 120.152, "lat": 30.250, "hh": 10, "county": "330106", "town": "湖滨街道"},
           {"name": "c", "lon": 120.154, "lat": 30.250, "hh": 10, "county": "", "town": "北山街道"},
           {"name": "d", "lon": 120.156, "lat": 30.250, "hh": 10, "county": "", "town": "无此街道"}]
    fac = [{"name": "食堂", "lon": 120.150, "lat": 30.2505, "type": "meal_service", "code": "330106001"}]
    path = _project(tmp_path, com, fac, extra='[townships]\npath = "townships.csv"',
                    com_fields='admin_code = "county"\ntownship = "town"')
    result = audit(path, created="2024-01-01", with_service_areas=False)
    codes = result.communities["admin_code"].tolist()
    # the same name in two counties is told apart by the county code; 北山 is unique; 无此 is flagged
    assert codes[:3] == ["330102001", "330106002", "330106001"]
    assert "not matched" in result.communities["flags"].iloc[3]
    town = _table(result, "township_meals")
    assert town["status"].to_dict() == {"330102001": "fail", "330106001": "pass", "330106002": "fail"}
    assert any("3 of 4 township names matched" in a for a in result.assumptions)


def test_township_names_need_the_list(tmp_path: Path) -> None:
    com = [{"name": "a", "lon": 120.15, "lat": 30.25, "hh": 10, "town": "湖滨街道"}]
    path = _project(tmp_path, com, [{"name": "f", "lon": 120.15, "lat": 30.25, "type": "meal_service",
                                     "code": ""}], com_fields='township = "town"')
    with pytest.raises(ProjectError, match="no \\[townships\\] list"):
        audit(path, with_service_areas=False)


def _squares(tmp: Path) -> None:
    """Three county squares 0.01° wide along the equator-free band near Hangzhou: 330102, 330105, 330106."""
    features = []
    for i, (code, name) in enumerate((("330102", "上城区"), ("330105", "拱墅区"), ("330106", "西湖区"))):
        x0 = 120.10 + 0.01 * i
        ring = [[x0, 30.20], [x0 + 0.01, 30.20], [x0 + 0.01, 30.21], [x0, 30.21], [x0, 30.20]]
        features.append({"type": "Feature", "properties": {"adcode": code, "name": name, "city": "杭州市"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    (tmp / "districts.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                           encoding="utf-8")
    urban = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[120.10, 30.20], [120.105, 30.20], [120.105, 30.21], [120.10, 30.21],
                                            [120.10, 30.20]]]}}]}
    (tmp / "urban.geojson").write_text(json.dumps(urban), encoding="utf-8")


def test_units_outside_the_study_area_are_listed_not_judged(tmp_path: Path) -> None:
    _squares(tmp_path)
    com = [{"name": "a", "lon": 120.102, "lat": 30.205, "hh": 10}, {"name": "b", "lon": 120.112, "lat": 30.205,
                                                                     "hh": 10}]
    fac = [{"name": "f", "lon": 120.103, "lat": 30.205, "type": "meal_service", "code": ""}]
    county_rule = PRESET.replace('level = "township"', 'level = "county"')
    path = _project(tmp_path, com, fac, extra='[admin_units]\npath = "districts.geojson"\n'
                                              '[urban_areas]\npath = "urban.geojson"')
    (tmp_path / "preset.toml").write_text(county_rule, encoding="utf-8")
    result = audit(path, created="2024-01-01", with_service_areas=False)
    county = _table(result, "township_meals")  # now a county rule
    assert county["status"].to_dict() == {"330102": "pass", "330105": "fail"}  # 西湖 has no community
    units = result.admin_units.set_index("unit_code")
    assert units["in_study_area"].to_dict() == {"330102": True, "330105": True, "330106": False}
    assert pd.isna(units.loc["330106", "township_meals__status"])
    assert any("1 admin units outside the study area" in a and "西湖区" in a for a in result.assumptions)
    # urban from the polygon: a inside (urban, judged), b outside (rural, not judged)
    assert _table(result, "urban_reach")["status"].tolist() == ["pass", "not_applicable"]
    assert any("[urban_areas] polygons" in a for a in result.assumptions)


# ------------------------------------------------------------------------------------------- real data
def test_real_township_list_matches_names_and_tells_namesakes_apart(shared_data: Path) -> None:
    from geoplan import admin
    from geoplan._units import match_township_names

    townships = admin.read_townships(shared_data / "cn-admin" / "townships-5cities-2023.csv")
    rows = townships[townships["unit_name"] == "东城街道"]
    assert len(rows) >= 2  # a namesake in more than one county of the five cities
    names = pd.Series(["湖滨街道", "东城街道", "东城街道", "清波街道"], dtype=object)
    codes = pd.Series([None, rows["county_code"].iloc[0], None, "330102"], dtype=object)
    out, flags = match_township_names(names, codes, townships, set())
    assert out.tolist()[0] == "330102003" and out.tolist()[3] == "330102001"
    assert out.tolist()[1] == rows["unit_code"].iloc[0]  # the county code decides
    assert out.iloc[2] is None and f"{len(rows)} townships of that name" in flags.iloc[2]


def test_five_city_district_file_judges_only_the_districts_people_live_in(tmp_path: Path,
                                                                          shared_data: Path) -> None:
    import geoplan

    demo = geoplan.demo_project()
    text = demo.read_text(encoding="utf-8")
    text = text.replace('path = "districts-hangzhou-central.geojson"',
                        f'path = "{shared_data / "cn-admin" / "districts-5cities.geojson"}"')
    for name in ("compounds-bd09.csv", "facilities-osm-2024.csv", "streets-2015.osm.pbf",
                 "census2020-hangzhou.csv"):
        text = text.replace(f'"{name}"', f'"{demo.parent / name}"')
    (tmp_path / "geoplan.toml").write_text(text, encoding="utf-8")
    result = geoplan.audit(tmp_path / "geoplan.toml", use_network=False, with_service_areas=False,
                           created="2026-01-01")
    units = result.admin_units
    assert units is not None and len(units) == 51
    judged = units[units["in_study_area"]]
    assert sorted(judged["unit_name"]) == ["上城区", "拱墅区", "西湖区"]
    table = result.rule_results["presence_county_dementia_care"].table
    assert sorted(table.index) == ["330102", "330105", "330106"]  # not 51 districts, 48 of them failed
    assert any("48 admin units outside the study area" in a for a in result.assumptions)
