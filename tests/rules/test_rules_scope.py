"""Rule scopes (urban, unit types), per-rule walking speed and the speed sensitivity table: hand-computed cases."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geoplan.access import Access
from geoplan.network import Network
from geoplan.rules import _scope, presence, reach
from geoplan.rules._speed import rule_speed, search_distance_m, sensitivity
from geoplan.rules.base import Citation, Rule, RuleContext

CRS = pyproj.CRS.from_epsg(4549)


# ------------------------------------------------------------------------------------------- classes
@pytest.mark.parametrize(("value", "expected"), [
    ("111", "city"), ("112", "city"), (112.0, "city"), ("121", "town"), ("123", "town"), ("210", "rural"),
    ("220", "rural"), ("城市", "city"), ("城镇", "town"), ("农村", "rural"), ("Urban", "city"), (" 0 ", "rural"),
    ("130", None), ("999", None), ("", None), (None, None), (np.nan, None), ("maybe", None),
])
def test_class_of_code(value: Any, expected: str | None) -> None:
    assert _scope.class_of_code(value) == expected


@pytest.mark.parametrize(("name", "code", "expected"), [
    ("湖滨街道", "330102001", "街道"), ("瓶窑镇", None, "镇"), ("某乡", None, "乡"),
    (None, "330102001", "街道"), (None, "330102101", "镇"), (None, "330102201", "乡"), (None, "330102400", None),
    ("三河市", "131082", "市"), ("大城县", "131025", "县"), ("广阳区", "131003", "区"),
    (None, "131003", "区"), (None, "131025", "县"), (None, "131082", "市"),
    (None, "330102001005", "街道"),  # a village of a 街道: the township digits decide
])
def test_unit_type_from_name_then_code(name: str | None, code: str | None, expected: str | None) -> None:
    assert _scope.unit_type(name, code) == expected


@given(st.lists(st.sampled_from(["city", "town", "rural", None]), max_size=30))
def test_town_scope_contains_city_scope(classes: list[str | None]) -> None:
    series = pd.Series(classes, dtype=object)
    city, _ = _scope.urban_mask(series, "city")
    town, reason = _scope.urban_mask(series, "town")
    assert (city <= town).all()  # 城镇 ⊇ 城市
    assert all(bool(r) != ok for r, ok in zip(reason, town, strict=True))  # a reason exactly where left out


# ------------------------------------------------------------------------------------------- reach
def _line() -> Network:
    # nodes at x = 0, 100, …, 1000 m on one street
    x = np.arange(0, 1001, 100, dtype=float)
    return Network(x=x, y=np.zeros_like(x), u=np.arange(10), v=np.arange(1, 11), length=np.full(10, 100.0),
                   crs=CRS, source="line")


def _reach_ctx(speed: float = 75.0, basis: str = "preset parameter") -> RuleContext:
    # communities on the street at 100, 400, 700 and 1000 m from the facility at x = 0; one of unknown class
    com = gpd.GeoDataFrame(
        {"community_id": list("abcd"), "name": list("abcd"), "households": [100, 200, 300, 400],
         "urban_class": ["city", "town", "rural", None]},
        geometry=[shapely.Point(x, 0) for x in (100, 400, 700, 1000)], crs=CRS)
    fac = gpd.GeoDataFrame({"facility_id": ["f"], "name": ["养老"], "facility_type": ["elderly_care"]},
                           geometry=[shapely.Point(0, 0)], crs=CRS)
    access = Access(com, fac, _line(), max_snap_m=50, limit_m=50_000)
    return RuleContext(com, fac, access, walk_speed_m_per_min=speed, speed_basis=basis,
                       options={"new_build_from_year": 2022})


def _reach(**params: Any) -> Rule:
    return Rule("r", "reach", "圈", "circle", Citation("f", "c", "q"),
                {"types": ["elderly_care"], "minutes": 10, **params})


def test_urban_scope_judges_city_communities_only() -> None:
    t = reach.evaluate(_reach(scope="urban"), _reach_ctx()).table
    assert t["status"].tolist() == ["pass", "not_applicable", "not_applicable", "not_applicable"]
    assert "城市" in t.loc[1, "reason"] and "unknown" in t.loc[3, "reason"]
    t = reach.evaluate(_reach(scope="urban", urban_class="town"), _reach_ctx()).table
    # 10 min × 75 m/min = 750 m: a (100 m) and b (400 m) pass; c is rural, d unknown
    assert t["status"].tolist() == ["pass", "pass", "not_applicable", "not_applicable"]


def test_rule_speed_overrides_the_audit_speed_except_the_command_line() -> None:
    params = {"walk_speed_m_per_min": 60, "walk_speed_source": "elderly pace"}
    assert rule_speed(params, 75, "preset parameter") == (60.0, "rule: elderly pace")
    assert rule_speed(params, 75, "command line") == (75.0, "command line")
    assert rule_speed({}, 75, "project") == (75.0, "project")
    # at 60 m/min the 10-minute circle is 600 m: a (100 m) and b (400 m) pass, c (700 m) fails
    t = reach.evaluate(_reach(**params), _reach_ctx()).table
    assert t["threshold"].iloc[0] == 600 and t["status"].tolist() == ["pass", "pass", "fail", "fail"]
    assert t.loc[1, "minutes"] == pytest.approx(400 / 60, abs=0.05)
    t = reach.evaluate(_reach(**params), _reach_ctx(basis="command line")).table
    assert t["threshold"].iloc[0] == 750 and t["status"].tolist() == ["pass", "pass", "pass", "fail"]
    ind = reach.evaluate(_reach(**params), _reach_ctx()).indicators
    assert "60 m/min (rule: elderly pace)" in ind["note"].iloc[0]


def test_sensitivity_is_a_threshold_change_on_the_same_distances() -> None:
    ctx = _reach_ctx()
    results = {"r": reach.evaluate(_reach(), ctx)}
    table = sensitivity(results, ctx.communities, 75, "preset parameter").set_index("speed_m_per_min")
    # distances 100, 400, 700, 1000 m; 10 minutes at 53 / 60 / 75 m/min = 530 / 600 / 750 m
    assert table["distance_m"].to_dict() == {53.0: 530.0, 60.0: 600.0, 75.0: 750.0}
    assert table["covered"].to_dict() == {53.0: 2, 60.0: 2, 75.0: 3}
    assert table["coverage_pct"].to_dict() == {53.0: 50.0, 60.0: 50.0, 75.0: 75.0}
    assert table.loc[75.0, "households_pct"] == pytest.approx(100 * 600 / 1000)
    assert table["audit_speed"].to_dict() == {53.0: False, 60.0: False, 75.0: True}
    # the audit's own pass rate is the row at its speed
    assert (results["r"].table["status"] == "pass").mean() * 100 == table.loc[75.0, "coverage_pct"]


def test_sensitivity_adds_the_rule_speed_and_the_search_covers_the_fastest() -> None:
    ctx = _reach_ctx()
    rule = _reach(walk_speed_m_per_min=50, walk_speed_source="s")
    table = sensitivity({"r": reach.evaluate(rule, ctx)}, ctx.communities, 75, "preset parameter")
    assert table["speed_m_per_min"].tolist() == [50.0, 53.0, 60.0, 75.0]
    assert table.loc[table["audit_speed"], "speed_m_per_min"].tolist() == [50.0]
    # with the speed from the command line, the rule is judged (and marked) at that speed
    command = sensitivity({"r": reach.evaluate(rule, _reach_ctx(62.5, "command line"))}, ctx.communities, 62.5,
                          "command line")
    assert command.loc[command["audit_speed"], "speed_m_per_min"].tolist() == [62.5]
    assert command.loc[command["audit_speed"], "covered"].tolist() == [2]  # 625 m: a, b
    assert search_distance_m([rule], 40, "project") == 10 * 75
    assert search_distance_m([_reach(minutes=15)], 90, "project") == 15 * 90


# ------------------------------------------------------------------------------------------- presence
def _villages() -> pd.DataFrame:
    """Four village units: two of a 街道, one of a 镇 coded 121 (town), one of a 乡 with no code."""
    return pd.DataFrame({
        "unit_code": ["330102001001", "330102001002", "330102101001", "330102201001"],
        "unit_name": ["一社区", "二社区", "镇中心社区", "某村"], "level": "village",
        "urban_class": ["city", "city", "town", None],
    })


def _presence(**params: Any) -> Rule:
    return Rule("p", "presence", "助餐", "meals", Citation("f", "c", "q"),
                {"types": ["meal_service"], "level": "village", **params})


def _presence_run(rule: Rule, units: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    assert presence.check_params(rule.params) == []
    fac = gpd.GeoDataFrame({"facility_id": [f"f{i}" for i in range(len(codes))], "name": "点",
                            "facility_type": "meal_service", "admin_code": codes},
                           geometry=[None] * len(codes), crs=CRS)
    com = gpd.GeoDataFrame({"community_id": []}, geometry=[], crs=CRS)
    ctx = RuleContext(com, fac, None, 75.0, "t", admin_units=units,  # type: ignore[arg-type]
                      options={"new_build_from_year": 2022})
    res = presence.evaluate(rule, ctx)
    return res.table.assign(measured=res.indicators["measured"].iloc[0])


def test_presence_urban_scope_on_village_units() -> None:
    t = _presence_run(_presence(scope="urban", target_rate=1.0), _villages(), ["330102001001"])
    assert t["status"].tolist() == ["pass", "fail", "not_applicable", "not_applicable"]
    assert t["measured"].iloc[0] == 50.0  # 1 of the 2 城市 communities
    t = _presence_run(_presence(scope="urban", urban_class="town"), _villages(), ["330102001001"])
    assert t["status"].tolist() == ["pass", "fail", "fail", "not_applicable"]
    assert "城乡属性未知" in t["reason"].iloc[3]


def test_presence_unit_types_leave_districts_out() -> None:
    units = pd.DataFrame({"unit_code": ["131002", "131025", "131082"], "unit_name": ["安次区", "大城县", "三河市"],
                          "level": "county"})
    rule = Rule("p", "presence", "康复", "rehab", Citation("f", "c", "q"),
                {"types": ["meal_service"], "level": "county", "unit_types": ["县", "市"]})
    t = _presence_run(rule, units, ["131025"])
    assert t["status"].tolist() == ["not_applicable", "pass", "fail"]
    assert "县/市" in t.loc["131002", "reason"] and t["measured"].iloc[0] == 50.0
    assert presence.check_params({**rule.params, "unit_types": ["county"]}) != []


def test_presence_new_scope_needs_unit_build_years() -> None:
    units = _villages()
    # No build years: whether the rule applies is unknown, so not evaluable (never not applicable).
    t = _presence_run(_presence(scope="new"), units, ["330102001001"])
    assert (t["status"] == "not_evaluable").all() and "build_year" in t["reason"].iloc[0]
    t = _presence_run(_presence(scope="new"), units.assign(build_year=[2023, 2010, 2024, np.nan]),
                      ["330102001001"])
    assert t["status"].tolist() == ["pass", "not_applicable", "fail", "not_evaluable"]
    assert "build_year" in t["reason"].iloc[3]


# ------------------------------------------------------------------------------------------- urban sources
def test_unit_urban_class_code_then_polygon_then_street() -> None:
    from geoplan._units import unit_urban_class

    units = gpd.GeoDataFrame({
        "unit_code": ["330102101001", "330102101002", "330102001003", "330102101004"],
        "unit_name": ["镇甲村", "镇乙村", "街道丙社区", "镇丁村"], "level": "village",
        "urban_rural_code": ["220", None, None, None]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10), None, None], crs=CRS)
    urban = gpd.GeoSeries([shapely.box(90, -10, 200, 20)], crs=CRS)
    # own code (rural, though inside nothing) > polygon (inside: city) > 街道 township digits > unknown
    assert unit_urban_class(units, urban).tolist() == ["rural", "city", "city", None]
    assert unit_urban_class(units, None).tolist() == ["rural", None, "city", None]


def test_community_urban_class_field_then_polygons_then_units() -> None:
    from geoplan._units import community_urban_class

    com = gpd.GeoDataFrame({"admin_code": [None, None, "330102001", "330102101"]},
                           geometry=[shapely.Point(5, 5), shapely.Point(105, 5), None, None], crs=CRS)
    field = pd.Series(["121", None, None, None], dtype=object)
    urban = gpd.GeoSeries([shapely.box(90, -10, 200, 20)], crs=CRS)
    classes, basis = community_urban_class(com, field, urban, None)
    # row 0: its own NBS code (town) wins over lying outside the polygon; row 1: inside the polygon;
    # rows 2-3 have no point: the township digits of the code (001 = 街道 → city; 101 = 镇 → unknown)
    assert classes.tolist() == ["town", "city", "city", None]
    assert basis.startswith("community field urban; [urban_areas] polygons")


def test_service_area_uses_the_rule_speed() -> None:
    from geoplan.service_areas import service_areas

    ctx = _reach_ctx()
    areas = service_areas(ctx.access, [_reach(walk_speed_m_per_min=60, walk_speed_source="s")], 75.0, "project")
    assert set(areas["limit_m"]) == {600.0}
    areas = service_areas(ctx.access, [_reach(walk_speed_m_per_min=60, walk_speed_source="s")], 75.0,
                          "command line")
    assert set(areas["limit_m"]) == {750.0}


# ------------------------------------------------------------------------------------------- properties
@given(st.lists(st.one_of(st.none(), st.floats(0, 3000)), min_size=1, max_size=25),
       st.lists(st.floats(20, 120), min_size=1, max_size=5))
def test_sensitivity_coverage_grows_with_speed(dist: list[float | None], speeds: list[float]) -> None:
    from geoplan.rules.base import RuleResult

    n = len(dist)
    value = pd.Series([np.nan if d is None else d for d in dist], dtype=float)
    status = np.where(value <= 750, "pass", "fail")  # 10 min × 75 m/min; unreached (NaN) fail
    table = pd.DataFrame({"status": status, "value": value, "threshold": 750.0})
    res = RuleResult(_reach(), "community", table, pd.DataFrame())
    com = pd.DataFrame({"households": np.arange(1, n + 1, dtype=float)})
    out = sensitivity({"r": res}, com, 75.0, "project", speeds=speeds)
    assert out["covered"].is_monotonic_increasing and out["households_pct"].is_monotonic_increasing
    assert int(out.loc[out["audit_speed"], "covered"].iloc[0]) == int((status == "pass").sum())


@given(st.lists(st.sampled_from(["东城街道", "湖滨街道", "某镇", "无此乡"]), min_size=1, max_size=12),
       st.lists(st.sampled_from([None, "330102", "411623", "411624"]), min_size=12, max_size=12))
def test_township_match_is_unique_or_flagged(names: list[str], counties: list[str | None]) -> None:
    from geoplan._units import match_township_names

    townships = pd.DataFrame({"unit_code": ["330102003", "411623002", "411624001", "330102101"],
                              "unit_name": ["湖滨街道", "东城街道", "东城街道", "某镇"],
                              "county_code": ["330102", "411623", "411624", "330102"]})
    codes = pd.Series(counties[: len(names)], dtype=object)
    out, flags = match_township_names(pd.Series(names, dtype=object), codes, townships, set())
    for name, county, code, flag in zip(names, codes, out, flags, strict=True):
        if isinstance(code, str) and len(code) == 9:
            row = townships[townships["unit_code"] == code].iloc[0]
            assert row["unit_name"] == name and (county is None or row["county_code"] == county)
            assert flag == ""
        else:
            assert "not matched" in flag and code == county  # never a guess: the feature keeps what it had
