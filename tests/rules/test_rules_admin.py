"""geoplan.admin: readers for cn-admin, census derived figures, the 2021 Hangzhou mapping, point assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoplan import admin
from geoplan._errors import InputError
from geoplan.rules import _common as cm


def census_frame(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """unit_code, unit_name, population, household_size (other figures proportional to population)."""
    frame = pd.DataFrame(rows, columns=["unit_code", "unit_name", "population", "household_size"])
    frame["city_code"] = frame["unit_code"].str[:4]
    frame["infants_0_3"] = frame["population"] * 0.03
    frame["elderly_60"] = frame["population"] * 0.2
    return frame


HANGZHOU_2020 = [("330102", "上城区", 357657, 2.39), ("330103", "下城区", 485849, 2.33),
                 ("330104", "江干区", 1487787, 2.32), ("330105", "拱墅区", 635136, 2.33),
                 ("330106", "西湖区", 1112992, 2.38), ("330109", "萧山区", 2258872, 2.41),
                 ("330110", "余杭区", 2402514, 2.31)]
HANGZHOU_2021 = pd.DataFrame({
    "unit_code": ["330102", "330105", "330106", "330109", "330110", "330113", "330114"],
    "unit_name": ["上城区", "拱墅区", "西湖区", "萧山区", "余杭区", "临平区", "钱塘区"],
})


def test_census_denominators_exact_merged_split() -> None:
    den = admin.census_denominators(census_frame(HANGZHOU_2020), HANGZHOU_2021)
    assert den.loc["330106", "status"] == "exact" and den.loc["330106", "population"] == 1112992
    assert den.loc["330105", "status"] == "exact"
    assert den.loc["330105", "population"] == 485849 + 635136
    assert den.loc["330105", "census_codes"] == "330103+330105"
    # population-weighted: residents / households
    hh = 485849 / 2.33 + 635136 / 2.33
    assert den.loc["330105", "household_size"] == pytest.approx((485849 + 635136) / hh)
    for code in ("330102", "330109", "330110", "330113", "330114"):
        assert den.loc[code, "status"] == "split", code
        assert np.isnan(den.loc[code, "population"])
    assert "江干区 330104 → 330102 + 330114" in den.loc["330114", "note"]
    assert "萧山区 330109 → 330109 + 330114" in den.loc["330114", "note"]


def test_census_missing_and_unmatched_rows() -> None:
    census = census_frame([("131002", "安次区", 479826, 2.79), ("131071", "廊坊经济技术开发区", 128967, 2.18)])
    units = pd.DataFrame({"unit_code": ["131002", "131003"], "unit_name": ["安次区", "广阳区"]})
    den = admin.census_denominators(census, units)
    assert den.loc["131003", "status"] == "missing" and "no 2020 census row" in den.loc["131003", "note"]
    lost = admin.census_unmatched(census, units)
    assert lost["unit_code"].tolist() == ["131071"]
    assert "128,967 residents" in lost.loc[0, "note"]
    assert admin.city_totals(census, "1310")["population"] == 479826 + 128967


def test_household_size_by_county_covers_successor_codes() -> None:
    sizes = admin.household_size_by_county(census_frame(HANGZHOU_2020))
    assert sizes["330113"] == pytest.approx(2.31)  # 临平 came from 余杭 only
    both = (1487787 + 2258872) / (1487787 / 2.32 + 2258872 / 2.41)
    assert sizes["330114"] == pytest.approx(both)  # 钱塘 from 江干 and 萧山
    assert sizes["330104"] == 2.32  # a 2020 code keeps its own figure


def test_assign_units_polygon_and_code() -> None:
    crs = 32650
    units = gpd.GeoDataFrame({"unit_code": ["330106", "330108001"], "level": ["county", "township"]},
                             geometry=[box(0, 0, 10, 10), None], crs=crs)
    pts = gpd.GeoDataFrame({"admin_code": ["", "330108001.0", "330108", "", "330106001"]},
                           geometry=[Point(5, 5), Point(50, 50), Point(60, 60), None, None], crs=crs)
    out = cm.assign_units(pts, units)
    assert out["unit_code"].tolist()[:2] == ["330106", "330108001"]
    assert pd.isna(out.loc[2, "unit_code"]) and not out.loc[2, "placed"]  # 6 digits: which township?
    assert not out.loc[3, "placed"]  # neither a point nor a code
    assert out.loc[4, "unit_code"] == "330106"  # no point: the code finds the polygon unit


@pytest.mark.shared
def test_readers_on_the_shared_files(shared_data: Path) -> None:
    folder = shared_data / "cn-admin"
    districts = admin.read_districts(folder / "districts-5cities.geojson")
    assert len(districts) == 51 and (districts["level"] == "county").all()
    assert districts["unit_code"].str.fullmatch(r"\d{6}").all()
    assert districts.crs.to_epsg() == 4490
    assert set(districts["city"]) == {"杭州", "衢州", "邵阳", "周口", "廊坊"}
    towns = admin.read_townships(folder / "townships-5cities-2023.csv")
    assert len(towns) == 834 and towns["unit_code"].str.len().eq(9).all()
    assert (towns["unit_code"].str[:6] == towns["county_code"]).all()
    census = admin.read_census(folder / "census2020-counties-5cities.csv")
    row = census.set_index("unit_code").loc["131002"]  # 安次区 row of the CSV, read by eye
    assert row["infants_0_3"] == pytest.approx(479826 * (0.0083 + 0.75 * 0.0547))
    assert row["elderly_60"] == pytest.approx(479826 * (0.0537 + 0.1151))  # AGES_60-64 + AGES_65P
    assert row["household_size"] == 2.79 and row["city_code"] == "1310"
    units = admin.combine_units(districts, towns)
    assert len(units) == 51 + 834 and units.geometry.notna().sum() == 51
    # every census row either reaches a polygon exactly, is cut by the 2021 reform, or is reported unmatched
    den = admin.census_denominators(census, districts)
    lost = admin.census_unmatched(census, districts)
    assert set(lost["unit_name"]) == {"廊坊经济技术开发区", "河南周口经济开发区"}
    assert set(den.index[den["status"] == "split"]) == {"330102", "330109", "330110", "330113", "330114"}
    assert (den["status"] != "missing").all()


def test_reader_errors(tmp_path: Path) -> None:
    bad = tmp_path / "census.csv"
    bad.write_text("CODE,NAME,POPU\n330106,西湖区,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="AGES_0"):
        admin.read_census(bad)
    towns = tmp_path / "towns.csv"
    towns.write_text("code,name,areaCode\n3301,x,330106\n", encoding="utf-8")
    with pytest.raises(InputError, match="9 digits"):
        admin.read_townships(towns)
