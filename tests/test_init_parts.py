"""geoplan.init's parts: column recognition, CRS guessing, facility-type proposals, preset choice, default project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.crs import wgs84_to_bd09, wgs84_to_gcj02
from geoplan.demo import demo_project
from geoplan.init import default_project
from geoplan.init.columns import normalise_name, recognise
from geoplan.init.crsguess import gk_cm_epsg, gk_zone_epsg, guess_crs, name_hint
from geoplan.init.types import propose
from geoplan.init.write import InitOptions, choose_preset, preset_cities
from geoplan.network.load import load_network
from geoplan.presets import load_preset

DEMO = Path(demo_project()).parent


def test_normalise_name_drops_units_and_spaces() -> None:
    assert normalise_name(" 户数（户） ") == "户数"
    assert normalise_name("建筑面积(㎡)") == "建筑面积"
    assert normalise_name("LNG") == "lng"


def test_recognise_chinese_headers_by_name_and_content() -> None:
    frame = pd.DataFrame({
        "序号": [1, 2, 3], "小区名称": ["甲", "乙", "丙"], "总户数（户）": ["1597户", "约600户", "-"],
        "建成年代": ["1989年建成", "2001", "暂无"], "纬度": [30.1, 30.2, 30.3], "经度": [120.1, 120.2, 120.3],
        "人口": [3000, 1200, None],
    })
    rec = recognise(frame, "communities")
    assert (rec.x, rec.y) == ("经度", "纬度")
    assert rec.fields == {"name": "小区名称", "households": "总户数（户）", "population": "人口",
                          "build_year": "建成年代"}


def test_a_name_is_not_taken_when_the_contents_do_not_fit() -> None:
    frame = pd.DataFrame({"户数": ["很多", "不详", "多"], "households": [10, 20, 30], "lng": [120.1] * 3,
                          "lat": [30.0] * 3})
    assert recognise(frame, "communities").fields["households"] == "households"


def test_xy_swapped_and_unnamed_xy_are_found() -> None:
    swapped = pd.DataFrame({"x": [30.1, 30.2], "y": [120.1, 120.2]})
    rec = recognise(swapped, "communities")
    assert (rec.x, rec.y) == ("y", "x") and rec.notes
    unnamed = pd.DataFrame({"名字": ["a", "b"], "c1": [3_350_000.0, 3_351_000.0], "c2": [40_512_000.0, 40_513_000.0]})
    rec = recognise(unnamed, "facilities")
    assert (rec.x, rec.y) == ("c2", "c1")


def test_facility_type_column_found_from_few_distinct_values() -> None:
    frame = pd.DataFrame({"机构": [f"机构{i}" for i in range(30)], "分组代号": ["幼儿园", "养老院", "托育"] * 10,
                          "lon": [120.0] * 30, "lat": [30.0] * 30})
    rec = recognise(frame, "facilities")
    assert rec.fields["facility_type"] == "分组代号"


def test_gk_epsg_codes_from_pyproj() -> None:
    for easting, zone in ((40_512_345.6, 40), (25_500_000.0, 25), (45_400_000.0, 45)):
        crs = pyproj.CRS.from_epsg(gk_zone_epsg(easting) or 0)
        assert f"zone {zone}" in crs.name and "3-degree" in crs.name
    six = pyproj.CRS.from_epsg(gk_zone_epsg(20_500_000.0) or 0)
    assert "zone 20" in six.name and "3-degree" not in six.name
    assert gk_zone_epsg(512_000.0) is None
    assert "CM 120E" in pyproj.CRS.from_epsg(gk_cm_epsg(120.2)).name
    assert "CM 114E" in pyproj.CRS.from_epsg(gk_cm_epsg(114.6)).name


@given(st.floats(74.0, 134.0), st.floats(18.0, 50.0))
@settings(max_examples=30, deadline=None)
def test_gk_with_zone_prefix_round_trips(lon: float, lat: float) -> None:
    zone = round(lon / 3)
    crs = pyproj.CRS.from_epsg(4513 + zone - 25)
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    guess = guess_crs(np.array([x]), np.array([y]))
    assert guess.crs == f"EPSG:{crs.to_epsg()}" and guess.sure


def test_name_hints() -> None:
    assert name_hint("lon_bd09") == "BD09"
    assert name_hint("高德坐标.xlsx") == "GCJ02"
    assert name_hint("gps_lat") == "WGS84"
    assert name_hint("经度 纬度 小区.csv") is None


@pytest.fixture(scope="module")
def demo_net():  # type: ignore[no-untyped-def]
    return load_network(DEMO / "streets-2015.osm.pbf", cache=True)


@pytest.fixture(scope="module")
def wgs_points() -> tuple[np.ndarray, np.ndarray]:
    from geoplan.crs import bd09_to_wgs84

    frame = pd.read_csv(DEMO / "compounds-bd09.csv")
    lon, lat = bd09_to_wgs84(frame["lon_bd09"].to_numpy(), frame["lat_bd09"].to_numpy())
    return lon, lat


@pytest.mark.parametrize("system", ["WGS84", "GCJ02", "BD09"])
def test_the_streets_decide_the_offset_system(demo_net, wgs_points, system: str) -> None:  # type: ignore[no-untyped-def]
    lon, lat = wgs_points
    raw = {"WGS84": (lon, lat), "GCJ02": wgs84_to_gcj02(lon, lat), "BD09": wgs84_to_bd09(lon, lat)}[system]
    guess = guess_crs(*raw, names="lng lat", network=demo_net)
    assert guess.crs == system, guess.how
    # central Hangzhou's dense grid cannot tell WGS84 from GCJ-02 for sure (~500 m apart); BD-09 it can
    assert guess.sure == (system == "BD09"), guess.how


@pytest.mark.parametrize(("system", "wrong"), [("BD09", "高德"), ("BD09", "gps"), ("WGS84", "lon_bd09")])
def test_a_misleading_name_is_overruled_by_the_streets(demo_net, wgs_points, system: str, wrong: str) -> None:  # type: ignore[no-untyped-def]
    lon, lat = wgs_points
    raw = (lon, lat) if system == "WGS84" else wgs84_to_bd09(lon, lat)
    guess = guess_crs(*raw, names=wrong, network=demo_net)
    assert guess.crs == system and "streets" in guess.how


def test_without_network_an_unnamed_system_is_not_sure(wgs_points) -> None:  # type: ignore[no-untyped-def]
    guess = guess_crs(*wgs_points, names="lng lat")
    assert guess.crs == "WGS84" and not guess.sure


def test_gk_without_zone_prefix_takes_the_meridian_from_the_network(demo_net, wgs_points) -> None:  # type: ignore[no-untyped-def]
    x, y = pyproj.Transformer.from_crs(4326, 4549, always_xy=True).transform(*wgs_points)
    guess = guess_crs(np.asarray(x), np.asarray(y), network=demo_net)
    assert guess.crs == "EPSG:4549" and guess.sure
    assert guess_crs(np.asarray(x), np.asarray(y)).crs is None
    assert guess_crs(np.asarray(x), np.asarray(y), longitude=120.1).crs == "EPSG:4549"


@pytest.mark.parametrize(("value", "term"), [
    ("托育机构", "childcare"), ("普惠性托育机构", "inclusive_childcare"), ("幼儿园", "childcare"),
    ("childcare_kindergarten", "childcare"), ("日间照料中心(西湖区)", "elderly_day_care"),
    ("养老院", "elderly_institution"),
    ("老年食堂", "meal_service"), ("candidate_townhall", "candidate"), ("社区服务中心", "candidate"),
    ("社区卫生服务中心", None), ("elderly_care_home", "elderly_care"), ("care_home", None), ("加油站", None),
])
def test_type_proposals_quzhou(value: str, term: str | None) -> None:
    assert propose(value, load_preset("quzhou-2022").types)[0] == term


def test_type_proposals_read_synonyms_when_a_preset_has_them() -> None:
    types = {"childcare": {"zh": "托育机构", "en": "childcare", "synonyms": ["婴幼儿照护驿站"]},
             "meal": {"zh": "助餐点", "en": "meal", "synonyms": "长者饭堂"}}
    assert propose("XX婴幼儿照护驿站", types)[0] == "childcare"
    assert propose("长者饭堂", types)[0] == "meal"


def test_preset_cities_and_choice() -> None:
    cities = preset_cities()
    assert "杭州" in cities["hangzhou-2022"] and "廊坊" in cities["langfang-2021"]
    opts = InitOptions(communities=None, facilities=Path("f.csv"))
    assert choose_preset(opts, "浙江省衢州市柯城区") [0] == "quzhou-2022"
    opts.city = "Zhoukou"
    assert choose_preset(opts, "") == ("zhoukou-2022", "city 'Zhoukou' is zhoukou-2022's", True)
    opts.city = "成都"
    assert choose_preset(opts, "")[2] is False
    opts.city = None
    assert choose_preset(opts, "nothing here")[2] is False


def test_default_project(tmp_path: Path) -> None:
    path, which = default_project(None, tmp_path)
    assert path == demo_project() and "demo" in which
    (tmp_path / "geoplan.toml").write_text("", encoding="utf-8")
    path, which = default_project(None, tmp_path)
    assert path == tmp_path / "geoplan.toml" and str(path) in which
    assert default_project("x/geoplan.toml", tmp_path)[0] == Path("x/geoplan.toml")
