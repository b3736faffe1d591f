"""provision (配建): hand-computed requirements, new/existing boundary, missing data, shared sites, monotonicity."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geoplan.rules import provision
from geoplan.rules.base import RESULT_COLUMNS, Citation, Rule, RuleContext

CRS = 32650  # a metric CRS; distances below are in metres


def communities(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Communities with canonical columns; each row gives community_id, households, build_year, x, y."""
    frame = pd.DataFrame([{"name": r["community_id"].lower(), "population": np.nan, "admin_code": "",
                           "build_year": np.nan, "households": np.nan, "x": 0.0, "y": 0.0, **r} for r in rows])
    geom = [Point(x, y) for x, y in zip(frame.pop("x"), frame.pop("y"), strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geom, crs=CRS)


def facilities(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Facilities (type elderly_care unless given) linked by community_id."""
    columns = ["facility_id", "name", "facility_type", "floor_area_m2", "slots", "community_id", "admin_code",
               "x", "y"]
    frame = pd.DataFrame([{"facility_id": f"F{i}", "name": f"site{i}", "facility_type": "elderly_care",
                           "floor_area_m2": np.nan, "slots": np.nan, "community_id": "", "admin_code": "",
                           "x": 0.0, "y": 0.0, **r} for i, r in enumerate(rows)], columns=columns)
    geom = [Point(x, y) for x, y in zip(frame.pop("x"), frame.pop("y"), strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geom, crs=CRS)


def rule(**params: Any) -> Rule:
    base = {"types": ["elderly_care"], "measure": "floor_area_m2", "per": 100, "per_unit": "households"}
    return Rule("prov", "provision", "居家养老服务设施配建", "elderly-care space", Citation("f", "c", "q"),
                {**base, **params})


def run(r: Rule, com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, **options: Any) -> pd.DataFrame:
    assert provision.check_params(r.params) == []
    ctx = RuleContext(com, fac, None, 75.0, "test", options=options)  # type: ignore[arg-type]
    result = provision.evaluate(r, ctx)
    assert tuple(result.table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert result.table.index.equals(com.index)
    return result.table


QUZHOU = {"rate": 20, "min_site": 200}  # 每百户不少于20平方米, 每处不少于200平方米


def test_hand_computed_requirements_min_site_and_shortfall() -> None:
    com = communities([
        {"community_id": "A", "households": 1500},  # 300 m² needed, has 250 → short 50
        {"community_id": "B", "households": 800},  # 160 → raised to the 200 m² site minimum; has 220
        {"community_id": "C", "households": 600},  # 120 → 200; 120 + 100 = 220 but no single site ≥ 200
        {"community_id": "D", "households": 2000},  # 400; 300 + 150 = 450, one site below 200 flagged
    ])
    fac = facilities([
        {"community_id": "A", "floor_area_m2": 250}, {"community_id": "B", "floor_area_m2": 220},
        {"community_id": "C", "floor_area_m2": 120}, {"community_id": "C", "floor_area_m2": 100},
        {"community_id": "D", "floor_area_m2": 300}, {"community_id": "D", "floor_area_m2": 150},
    ])
    t = run(rule(**QUZHOU), com, fac)
    assert t["status"].tolist() == ["fail", "pass", "fail", "pass"]
    assert t["threshold"].tolist() == [300, 200, 200, 400]
    assert t["value"].tolist() == [250, 220, 220, 450]
    assert t["shortfall"].tolist() == [50, 0, 80, 0]  # C: its largest site (120) is 80 short of 200
    assert t["sites_below_min"].tolist() == [0, 0, 2, 1]
    assert "no single site ≥ 200" in t.loc[2, "reason"]
    assert "1 site(s) below min_site" in t.loc[3, "reason"]
    assert (t["basis"] == "measured").all() and (t["unit"] == "m²").all()


def test_community_without_linked_facility_fails_with_full_shortfall() -> None:
    com = communities([{"community_id": "A", "households": 350}, {"community_id": "B", "households": 0}])
    t = run(rule(rate=20), com, facilities([{"community_id": "B", "floor_area_m2": 50}]))
    assert t.loc[0, "status"] == "fail"
    assert t.loc[0, "shortfall"] == pytest.approx(70)
    assert "no linked facility" in t.loc[0, "reason"]


def test_type_absent_from_the_layer_is_not_evaluable_with_the_would_be_answer() -> None:
    com = communities([{"community_id": "A", "households": 350}, {"community_id": "B", "households": 500}])
    t = run(rule(rate=20), com, facilities([{"community_id": "A", "floor_area_m2": 500,
                                             "facility_type": "childcare"}]))
    assert t["status"].tolist() == ["not_evaluable", "not_evaluable"]
    assert t["value"].isna().all()
    assert "no elderly_care facility in the facilities layer" in t.loc[0, "reason"]
    assert "2 of 2 compounds in scope fail (nothing provided, 170 m² required)" in t.loc[0, "reason"]


def test_unknown_build_year_is_not_evaluable_for_a_new_build_rule() -> None:
    com = communities([{"community_id": "A", "households": 350, "build_year": 2023},
                       {"community_id": "B", "households": 350}, {"community_id": "C", "households": 350,
                                                                   "build_year": 1990}])
    fac = facilities([{"community_id": "A", "floor_area_m2": 500}])
    t = run(rule(rate=20, scope="new"), com, fac, new_build_from_year=2022)
    assert t["status"].tolist() == ["pass", "not_evaluable", "not_applicable"]
    assert "build year unknown" in t.loc[1, "reason"]


@pytest.mark.parametrize(("year", "rate", "new"), [(2022, 30, True), (2021, 20, False), (2030, 30, True)])
def test_new_existing_boundary(year: int, rate: float, new: bool) -> None:
    # 周口: 新建每百户不低于30平方米, 已建成每百户不低于20平方米; build_year == from-year counts as new
    com = communities([{"community_id": "A", "households": 1000, "build_year": year}])
    fac = facilities([{"community_id": "A", "floor_area_m2": 250}])
    t = run(rule(rate_new=30, rate_existing=20), com, fac, new_build_from_year=2022)
    assert t.loc[0, "rate_used"] == rate
    assert bool(t.loc[0, "is_new"]) is new
    assert t.loc[0, "threshold"] == rate * 10
    assert t.loc[0, "status"] == ("pass" if rate * 10 <= 250 else "fail")


def test_unknown_build_year_not_evaluable_only_when_rates_differ() -> None:
    com = communities([{"community_id": "A", "households": 1000}])
    fac = facilities([{"community_id": "A", "floor_area_m2": 500}])
    t = run(rule(rate_new=30, rate_existing=20), com, fac, new_build_from_year=2022)
    assert t.loc[0, "status"] == "not_evaluable"
    assert "build year unknown" in t.loc[0, "reason"]
    assert np.isnan(t.loc[0, "shortfall"]) and t.loc[0, "basis"] == "not_evaluable"
    same = run(rule(rate_new=20, rate_existing=20), com, fac, new_build_from_year=2022)
    assert same.loc[0, "status"] == "pass"
    unset = run(rule(rate_new=30, rate_existing=20), com, fac)
    assert "new_build_from_year not configured" in unset.loc[0, "reason"]


def test_households_unknown_and_zero() -> None:
    com = communities([{"community_id": "A"}, {"community_id": "B", "households": 0}])
    t = run(rule(**QUZHOU), com, facilities([]))
    assert t.loc[0, "status"] == "not_evaluable"
    assert "households unknown" in t.loc[0, "reason"]
    assert np.isnan(t.loc[0, "value"]) and np.isnan(t.loc[0, "shortfall"])
    assert t.loc[1, "status"] == "pass"
    assert t.loc[1, "threshold"] == 0 and t.loc[1, "shortfall"] == 0
    assert "0 households" in t.loc[1, "reason"]


@pytest.mark.parametrize("drop", [True, False])
def test_missing_measure_makes_every_community_not_evaluable(drop: bool) -> None:
    com = communities([{"community_id": "A", "households": 1000}, {"community_id": "B", "households": 10}])
    fac = facilities([{"community_id": "A"}, {"community_id": "B"}])
    if drop:
        fac = fac.drop(columns="floor_area_m2")
    t = run(rule(rate=20), com, fac)
    assert (t["status"] == "not_evaluable").all()
    expected = "no floor_area_m2 in facilities layer" if drop else "floor_area_m2 is empty for all"
    assert t["reason"].str.contains(expected).all()
    assert t["value"].isna().all() and t["shortfall"].isna().all()


def test_one_site_without_area() -> None:
    com = communities([{"community_id": "A", "households": 1000}, {"community_id": "B", "households": 1000}])
    fac = facilities([
        {"community_id": "A", "floor_area_m2": 300}, {"community_id": "A"},  # known part already enough
        {"community_id": "B", "floor_area_m2": 100}, {"community_id": "B"},  # not enough: the rest is unknown
    ])
    t = run(rule(rate=20), com, fac)
    assert t["status"].tolist() == ["pass", "not_evaluable"]
    assert "measure unknown for 1 site(s)" in t.loc[1, "reason"]


def test_assumed_floor_area_flags_the_row() -> None:
    com = communities([{"community_id": "A", "households": 1000}, {"community_id": "B", "households": 1000}])
    fac = facilities([{"community_id": "A", "floor_area_m2": 300}, {"community_id": "B", "floor_area_m2": 300}])
    fac["assumed_floor_area_m2"] = [True, False]
    t = run(rule(rate=20), com, fac)
    assert t["basis"].tolist() == ["assumed", "measured"]


def test_slots_per_1000_residents_population_or_households_times_size() -> None:
    # 衢州: 托育服务设施按照每千人10个以上托位配置
    com = communities([
        {"community_id": "A", "population": 3000},  # 30 slots needed
        {"community_id": "B", "households": 1000},  # 1000 × 2.5 = 2500 residents (assumed) → 25 slots
        {"community_id": "C"},  # neither
    ])
    fac = facilities([{"community_id": "A", "slots": 20, "facility_type": "childcare"},
                      {"community_id": "B", "slots": 25, "facility_type": "childcare"}])
    r = rule(types=["childcare"], measure="slots", per=1000, per_unit="population", rate=10)
    t = run(r, com, fac, household_size=2.5)
    assert t["threshold"].tolist()[:2] == [30, 25]
    assert t["status"].tolist() == ["fail", "pass", "not_evaluable"]
    assert t["shortfall"].tolist()[:2] == [10, 0]
    assert t["basis"].tolist() == ["measured", "assumed", "not_evaluable"]
    assert "population unknown" in t.loc[2, "reason"]
    assert (t["unit"] == "托位 slots").all()


def test_household_size_from_census_by_county() -> None:
    com = communities([{"community_id": "A", "households": 1000, "admin_code": "330106001"}])
    census = pd.DataFrame({"unit_code": ["330106", "330108"], "unit_name": ["西湖区", "滨江区"],
                           "city_code": ["3301", "3301"], "population": [1e6, 5e5], "household_size": [2.38, 2.39]})
    fac = facilities([{"community_id": "A", "slots": 30, "facility_type": "childcare"}])
    r = rule(types=["childcare"], measure="slots", per=1000, per_unit="population", rate=10)
    ctx = RuleContext(com, fac, None, 75.0, "t", census=census)  # type: ignore[arg-type]
    t = provision.evaluate(r, ctx).table
    assert t.loc[0, "units"] == pytest.approx(2380)
    assert t.loc[0, "threshold"] == pytest.approx(23.8)
    assert t.loc[0, "basis"] == "assumed"


def test_scope_new_makes_existing_not_applicable() -> None:
    com = communities([{"community_id": "A", "households": 100, "build_year": 2023},
                       {"community_id": "B", "households": 100, "build_year": 2000},
                       {"community_id": "C", "households": 100}])
    fac = facilities([{"community_id": "B", "floor_area_m2": 10}])
    t = run(rule(rate=20, scope="new"), com, fac, new_build_from_year=2022)
    assert t["status"].tolist() == ["fail", "not_applicable", "not_evaluable"]  # C: new or not is unknown
    assert "build year unknown" in t.loc[2, "reason"]
    assert t.loc[1:, "shortfall"].isna().all()


def test_link_within_community_polygons() -> None:
    com = communities([{"community_id": "A", "households": 1000, "x": 50, "y": 50},
                       {"community_id": "B", "households": 1000, "x": 550, "y": 50},
                       {"community_id": "C", "households": 1000, "x": 1050, "y": 50}])
    fac = facilities([{"floor_area_m2": 150, "x": 10, "y": 10}, {"floor_area_m2": 100, "x": 90, "y": 90},
                      {"floor_area_m2": 300, "x": 520, "y": 20}, {"floor_area_m2": 999, "x": 5000, "y": 0}])
    polys = gpd.GeoSeries([box(0, 0, 100, 100), box(500, 0, 600, 100), None], crs=CRS)
    t = run(rule(rate=20, link="within"), com, fac, community_polygons=polys)
    assert t["value"].tolist()[:2] == [250, 300]
    assert t["status"].tolist() == ["pass", "pass", "not_evaluable"]
    assert "no polygon for this community" in t.loc[2, "reason"]
    without = run(rule(rate=20, link="within"), com, fac)
    assert (without["status"] == "not_evaluable").all()
    assert without["reason"].str.contains("needs community polygons").all()


def test_facilities_without_community_id() -> None:
    com = communities([{"community_id": "A", "households": 100}])
    t = run(rule(rate=20), com, facilities([{"floor_area_m2": 500}, {"floor_area_m2": 50}]))
    assert t.loc[0, "status"] == "not_evaluable"
    assert "community_id is empty for every facility" in t.loc[0, "reason"]
    r = rule(rate=20)
    fac = facilities([{"floor_area_m2": 500}, {"floor_area_m2": 50, "community_id": "A"}])
    result = provision.evaluate(r, RuleContext(com, fac, None, 75.0, "t"))  # type: ignore[arg-type]
    assert result.table.loc[0, "status"] == "pass"  # 50 ≥ 20
    assert "1 facilities of these types have no community_id" in result.indicators.loc[0, "note"]


def test_duplicate_community_id_cannot_take_facilities() -> None:
    com = communities([{"community_id": "A", "households": 100}, {"community_id": "A", "households": 900}])
    t = run(rule(rate=20), com, facilities([{"community_id": "A", "floor_area_m2": 500}]))
    assert (t["status"] == "not_evaluable").all()
    assert t["reason"].str.contains("community_id shared by several compounds").all()


def test_check_params_reports_problems() -> None:
    problems = provision.check_params({"types": [], "measure": "rooms", "per": 0, "rate": 1, "rate_new": 2,
                                       "share_within_m": 300, "link": "near"})
    text = " | ".join(problems)
    for key in ("types", "measure", "per:", "not both", "share_within_m", "link"):
        assert key in text
    assert provision.check_params({"types": ["x"], "measure": "slots", "per": 1000}) == [
        "rate (or rate_new and rate_existing): required"]


# ---------------------------------------------------------------------------------------------- sharing


def test_attach_to_hosts_nearest_within_radius() -> None:
    dist = np.array([[300.0, 100.0], [600.0, 700.0], [np.inf, 400.0]])
    assert provision.attach_to_hosts(dist, 500).tolist() == [1, -1, 1]
    assert provision.attach_to_hosts(np.empty((2, 0)), 500).tolist() == [-1, -1]


def test_plan_groups_star_around_hubs() -> None:
    # 0—1 200 m, 0—2 450 m, 1—2 250 m, 3 far away; hubs tried in order 2, 0, 1, 3
    d = np.array([[0, 200, 450, 5000], [200, 0, 250, 5000], [450, 250, 0, 5000], [5000, 5000, 5000, 0]], float)
    hubs = provision.plan_groups(d, 300, np.array([2, 0, 1, 3]))
    assert hubs.tolist() == [0, 2, 2, 3]  # 2 takes 1 (250 m) but not 0 (450 m); 0 then hubs alone; 3 alone


def _sharing_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    com = communities([
        {"community_id": "H", "households": 500, "x": 0},  # host: needs 100, site 300 → surplus 200
        {"community_id": "S1", "households": 400, "x": 200},  # 80, no site, 200 m from H
        {"community_id": "S2", "households": 500, "x": 0, "y": 300},  # 100, own 30 m² room
        {"community_id": "BIG", "households": 1500, "x": 100, "y": 100},  # 300 ≥ 200: must have its own site
        {"community_id": "FAR1", "households": 300, "x": 5000},  # 60, no host in reach
        {"community_id": "FAR2", "households": 300, "x": 5200},  # 60, 200 m from FAR1
    ])
    fac = facilities([{"community_id": "H", "floor_area_m2": 300}, {"community_id": "S2", "floor_area_m2": 30}])
    return com, fac


def test_small_compounds_share_a_neighbours_site() -> None:
    com, fac = _sharing_layers()
    alone = run(rule(**QUZHOU), com, fac)
    assert alone["status"].tolist() == ["pass", "fail", "fail", "fail", "fail", "fail"]
    n = len(com)
    dist = np.full((n, n), np.inf)
    for i, j, d in [(0, 1, 200), (0, 2, 300), (0, 3, 150), (4, 5, 200)]:
        dist[i, j] = dist[j, i] = d
    np.fill_diagonal(dist, 0)
    t = run(rule(**QUZHOU, share_within_m=400), com, fac, community_distance_m=dist)
    # attached to H: S1 (80), S2 (100, has 30), BIG (300: counted, but judged alone) → need 480,
    # have 30 + surplus 200 = 230 → short 250, shared by S1 and S2 in proportion 80 : 100
    assert pd.isna(t.loc[0, "share_group"])
    assert t["share_group"].tolist()[1:4] == ["host:H", "host:H", "host:H"]
    assert t["status"].tolist()[:4] == ["pass", "fail", "fail", "fail"]
    assert t.loc[1, "shortfall"] == pytest.approx(250 * 80 / 180, abs=0.01)
    assert t.loc[2, "shortfall"] == pytest.approx(250 * 100 / 180, abs=0.01)
    assert t.loc[1, "threshold"] == 80
    assert "needs its own site" in t.loc[3, "reason"]
    assert t.loc[3, "shortfall"] == 300  # judged alone: 300 m² needed, nothing of its own
    # FAR1 and FAR2 have no host in reach: advised to share one new 200 m² site
    assert t["share_group"].tolist()[4:] == ["new:FAR1", "new:FAR1"]
    assert t["status"].tolist()[4:] == ["fail", "fail"]
    assert "could share one new site of 200" in t.loc[5, "reason"]


def test_small_compounds_pass_when_host_surplus_suffices() -> None:
    com, fac = _sharing_layers()
    com = com.iloc[:3].copy()
    dist = np.array([[0, 200, 300], [200, 0, 400], [300, 400, 0]], float)
    t = run(rule(**QUZHOU, share_within_m=400), com, fac, community_distance_m=dist)
    # need 80 + 100 = 180 ≤ 30 + 200
    assert t["status"].tolist() == ["pass", "pass", "pass"]
    assert t["shortfall"].tolist() == [0, 0, 0]
    # the option overrides the preset parameter: at 100 m nobody is in reach
    near = run(rule(**QUZHOU, share_within_m=400), com, fac, community_distance_m=dist, shared_site_radius_m=100)
    assert near["status"].tolist() == ["pass", "fail", "fail"]


def test_neighbour_growing_past_min_site_still_weighs_on_the_shared_site() -> None:
    # H needs 100 of its 300 m² (surplus 200); S needs 90 and B 120: 210 > 200, both fail.
    # B grows to 1100 households (220 ≥ 200): it must now have its own site, but its residents still use
    # H's, so S must not start passing.
    com = communities([{"community_id": "H", "households": 500}, {"community_id": "S", "households": 450},
                       {"community_id": "B", "households": 600}])
    fac = facilities([{"community_id": "H", "floor_area_m2": 300}])
    dist = np.array([[0, 100, 100], [100, 0, 150], [100, 150, 0]], float)
    r = rule(**QUZHOU, share_within_m=300)
    before = run(r, com, fac, community_distance_m=dist)
    assert before["status"].tolist() == ["pass", "fail", "fail"]
    com.loc[2, "households"] = 1100
    after = run(r, com, fac, community_distance_m=dist)
    assert after["status"].tolist() == ["pass", "fail", "fail"]
    assert after.loc[1, "shortfall"] == pytest.approx(90 + 220 - 200)  # all of the group's gap is S's share


def test_sharing_without_distance_matrix_uses_labelled_straight_line() -> None:
    com, fac = _sharing_layers()
    r = rule(**QUZHOU, share_within_m=400)
    ctx = RuleContext(com.iloc[:3].copy(), fac, None, 75.0, "t")  # type: ignore[arg-type]
    result = provision.evaluate(r, ctx)
    # S2 is 300 m × 1.3 = 390 m from H: within 400
    assert result.table["share_distance_m"].tolist()[1:] == [260.0, 390.0]
    assert "straight line x1.3" in result.indicators.loc[0, "note"]


# ------------------------------------------------------------------------------------------ monotonicity


@st.composite
def layouts(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int, int, float | None]:
    n = draw(st.integers(1, 6))
    rows = [{"community_id": f"C{i}", "households": draw(st.sampled_from([0, 200, 450, 600, 900, 1500, 3000])),
             "build_year": draw(st.sampled_from([np.nan, 2000, 2021, 2022, 2024])),
             "x": draw(st.integers(0, 4)) * 100.0, "y": draw(st.integers(0, 4)) * 100.0} for i in range(n)]
    sites = [{"community_id": f"C{draw(st.integers(0, n - 1))}",
              "floor_area_m2": draw(st.sampled_from([np.nan, 50.0, 150.0, 200.0, 400.0, 900.0]))}
             for _ in range(draw(st.integers(0, 6)))]
    who = draw(st.integers(0, n - 1))
    more = draw(st.sampled_from([1, 100, 300, 700, 2000]))
    radius = draw(st.sampled_from([None, 150.0, 400.0, 1000.0]))
    return communities(rows), facilities(sites), who, more, radius


@settings(max_examples=60, deadline=None)
@given(layouts(), st.sampled_from([{"rate": 20, "min_site": 200}, {"rate_new": 30, "rate_existing": 20},
                                   {"rate_new": 30, "rate_existing": 20, "min_site": 200}]))
def test_adding_households_never_turns_a_fail_into_a_pass(
    layout: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int, int, float | None], rates: dict[str, float]
) -> None:
    com, fac, who, more, radius = layout
    params = dict(rates)
    if radius is not None and "min_site" in params:
        params["share_within_m"] = radius
    before = run(rule(**params), com, fac, new_build_from_year=2022)
    grown = com.copy()
    grown.loc[who, "households"] += more
    after = run(rule(**params), grown, fac, new_build_from_year=2022)
    turned = (before["status"] == "fail") & (after["status"] == "pass")
    assert not turned.any(), (before[["status", "reason"]], after[["status", "reason"]])
    assert (after["status"] == "pass").sum() <= (before["status"] == "pass").sum()
