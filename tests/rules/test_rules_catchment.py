"""catchment: hand-computed 2SFCA / E2SFCA cases, unknowns as bounds, and the rule as the audit runs it.

The tiny case: a straight street along y = 0 with nodes every 100 m (x = 0 … 600); every point lies on it,
so walking distances are |Δx|. Facilities F1 (x = 0, 10 slots) and F2 (x = 400, 20 slots); communities
A (x = 100, 1000 residents), B (x = 300, 2000), C (x = 500, 1000); catchment 30 min × 10 m/min = 300 m.

Catchments overlap: F1 reaches A (100 m) and B (300 m); F2 reaches A (300), B (100) and C (100).
2SFCA: R1 = 10 / 3000, R2 = 20 / 4000; A = B = 1/300 + 1/200 = 8.333 slots per 1000, C = 5.000.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.access import Access
from geoplan.network import Network
from geoplan.presets import _validate
from geoplan.rules import KINDS, catchment
from geoplan.rules._fca import decay_weights, two_step
from geoplan.rules.base import Citation, Rule, RuleContext

CRS = pyproj.CRS.from_epsg(4549)
STREET = Network(x=np.arange(7) * 100.0, y=np.zeros(7), u=np.arange(6), v=np.arange(1, 7),
                 length=np.full(6, 100.0), crs=CRS, source="street")


def _layers(slots: tuple[float, float] = (10, 20), pop: tuple[float, float, float] = (1000, 2000, 1000),
            ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    com = gpd.GeoDataFrame(
        {"community_id": ["A", "B", "C"], "name": ["A", "B", "C"], "households": [400.0, 800.0, 400.0],
         "population": list(pop), "build_year": [2000, 2000, 2000], "admin_code": [None, None, None]},
        geometry=[shapely.Point(100, 0), shapely.Point(300, 0), shapely.Point(500, 0)], crs=CRS)
    fac = gpd.GeoDataFrame(
        {"facility_id": ["F1", "F2"], "name": ["F1", "F2"], "facility_type": ["childcare", "childcare"],
         "slots": list(slots)},
        geometry=[shapely.Point(0, 0), shapely.Point(400, 0)], crs=CRS)
    return com, fac


def _rule(**extra: object) -> Rule:
    params = {"types": ["childcare"], "minutes": 30, "supply": "slots", "demand": "population", "per": 1000,
              "target": 6, **extra}
    return Rule("c", "catchment", "托位", "slots", Citation("f.txt", "1", "q"), params)


def _run(rule: Rule, com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, network: Network | None = STREET,
         **options: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    access = Access(com, fac, network, max_snap_m=50)
    ctx = RuleContext(com, fac, access, walk_speed_m_per_min=10.0, speed_basis="test",
                      options={"new_build_from_year": 2022, **options})
    res = catchment.evaluate(rule, ctx)
    return res.table, res.indicators


def test_two_step_hand_computed() -> None:
    table, ind = _run(_rule(), *_layers())
    np.testing.assert_allclose(table["value"], [8.3333, 8.3333, 5.0], atol=1e-4)
    assert list(table["status"]) == ["pass", "pass", "fail"]
    # C lacks (6 / 1000 − 5 / 1000) × 1000 residents = 1 slot
    np.testing.assert_allclose(table["shortfall"], [0, 0, 1.0])
    assert list(table["facilities_reached"]) == [2, 2, 1]
    assert set(table["basis"]) == {"measured"}
    city = ind[ind["area"] == "全市 city"].iloc[0]
    # all 30 slots reach someone: 30 / 4000 residents × 1000 = 7.5; shortfall = the communities' sum
    assert city["measured"] == pytest.approx(7.5)
    assert city["shortfall"] == pytest.approx(1.0)
    rate = ind.iloc[0]
    assert rate["measured"] == pytest.approx(200 / 3, abs=0.01)


def test_stepped_decay_hand_computed() -> None:
    # ≤ 150 m weight 1, ≤ 300 m weight 0.5: D1 = 1000 + 0.5·2000 = 2000, R1 = 0.005;
    # D2 = 0.5·1000 + 2000 + 1000 = 3500, R2 = 20/3500; A = 0.005 + 0.5·R2, B = 0.5·0.005 + R2, C = R2.
    table, _ = _run(_rule(decay="stepped", steps=[[15, 1.0], [30, 0.5]]), *_layers())
    r2 = 20 / 3500
    np.testing.assert_allclose(table["value"], np.round([1000 * (0.005 + 0.5 * r2),
                                                         1000 * (0.0025 + r2), 1000 * r2], 4))


def test_gaussian_decay_weights() -> None:
    w = decay_weights(np.array([0.0, 100.0, 300.0, 301.0]), "gaussian", 300.0, sigma_m=100.0)
    np.testing.assert_allclose(w, [1.0, np.exp(-0.5), np.exp(-4.5), 0.0])


def test_unknown_supply_bounds_the_ratio() -> None:
    # F2's slots unknown: A ≥ 10/3000 × 1000 = 3.33, so A passes a target of 3 but not one of 6;
    # C reaches only F2: nothing is known.
    com, fac = _layers(slots=(10, np.nan))
    table, _ = _run(_rule(target=3), com, fac)
    assert list(table["status"]) == ["pass", "pass", "not_evaluable"]
    assert np.isnan(table["value"][0]) and table["value_low"][0] == pytest.approx(3.3333, abs=1e-4)
    assert "unknown" in table["reason"][2]
    table6, ind = _run(_rule(), com, fac)
    assert list(table6["status"]) == ["not_evaluable"] * 3
    city = ind[ind["area"] == "全市 city"].iloc[0]
    assert city["basis"] == "not_evaluable" and np.isnan(city["measured"])
    assert "3 of 3 communities without a figure" in city["note"]


def test_unknown_demand_is_never_zero() -> None:
    # C's residents unknown (no population, no households): F2's ratio is only an upper bound.
    com, fac = _layers()
    com.loc[2, ["population", "households"]] = np.nan
    table, _ = _run(_rule(target=3), com, fac)
    assert table["status"][2] == "not_evaluable"
    assert table["status"][0] == "pass"  # ≥ 10/3000 from F1 alone
    _, ind = _run(_rule(target=3), com, fac)
    city = ind[ind["area"] == "全市 city"].iloc[0]
    # A and B are decided but only bounded; C unknown: no area figure, and no partial one either
    assert city["basis"] == "not_evaluable" and "3 of 3" in city["note"]
    table9, _ = _run(_rule(target=9), com, fac)
    # upper bound: R2 ≤ 20/3000 → A ≤ 1000·(1/300 + 1/150) = 10 ≥ 9: undecided
    assert table9["status"][0] == "not_evaluable"
    table11, _ = _run(_rule(target=11), com, fac)
    assert table11["status"][0] == "fail"  # at most 10 < 11


def test_off_network_community_counts_as_unknown_demand() -> None:
    com, fac = _layers()
    com.loc[2, "geometry"] = shapely.Point(500, 200)  # 200 m from the street, snap limit 50 m
    table, _ = _run(_rule(target=9), com, fac)
    assert table["status"][2] == "not_evaluable" and "walkable street" in table["reason"][2]
    assert table["status"][1] == "not_evaluable"  # F2's catchment misses C's demand: no exact ratio


def test_no_network_is_labelled_euclidean() -> None:
    table, _ = _run(_rule(), *_layers(), network=None)
    assert set(table["basis"]) == {"assumed"}
    assert "euclidean" in table["distances"][0]


def test_no_facility_of_the_types_is_not_evaluable() -> None:
    com, fac = _layers()
    fac["facility_type"] = "elderly_care"
    table, _ = _run(_rule(), com, fac)
    assert set(table["status"]) == {"not_evaluable"}
    assert "no facility of the rule's types" in table["reason"][0]


def test_no_supply_figure_at_all_is_not_evaluable() -> None:
    table, _ = _run(_rule(), *_layers(slots=(np.nan, np.nan)))
    assert set(table["status"]) == {"not_evaluable"}
    assert table["reason"][0].startswith("no slots figure for any of the 2 facilities")
    assert all(len(r.encode("utf-8")) <= 254 for r in table["reason"])  # fits a Shapefile text field


def test_zero_demand_is_not_applicable() -> None:
    table, _ = _run(_rule(), *_layers(pop=(1000, 2000, 0)))
    assert table["status"][2] == "not_applicable"


def test_check_params() -> None:
    good = dict(_rule().params)
    assert catchment.check_params(good) == []
    assert catchment.check_params({**good, "demand": "kids"})
    assert catchment.check_params({**good, "decay": "stepped"})  # steps missing
    assert catchment.check_params({**good, "decay": "stepped", "steps": [[20, 1], [10, 0.5]]})
    assert catchment.check_params({**good, "decay": "stepped", "steps": [[40, 1]]})  # beyond 30 min
    assert catchment.check_params({**good, "decay": "gaussian"})  # sigma missing
    assert "catchment" in KINDS


def test_preset_schema_accepts_a_catchment_rule() -> None:
    rule = {"id": "c", "kind": "catchment", "title_zh": "t", "title_en": "t",
            "cite": {"file": "f", "clause": "c", "quote": "q"}, **_rule().params,
            "decay": "stepped", "steps": [[15, 1.0], [30, 0.5]]}
    preset = {"preset": {"id": "x", "title": "t", "document": "d", "plan_file": "f", "target_year": 2025,
                         "new_build_from_year": 2022},
              "types": {"childcare": {"zh": "托育", "en": "childcare"}}, "rules": [rule]}
    assert _validate(preset) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5), st.one_of(st.just(0.0), st.floats(1e-3, 1))),
                min_size=1, max_size=30),
       st.lists(st.floats(1, 100), min_size=5, max_size=5), st.lists(st.floats(1, 1000), min_size=6, max_size=6))
def test_supply_is_conserved(pairs: list[tuple[int, int, float]], supply: list[float], demand: list[float]) -> None:
    # With the same weights in both steps, Σ_i A_i P_i = Σ of the supply of facilities that reach any demand.
    frame = pd.DataFrame(pairs, columns=["f", "c", "w"]).drop_duplicates(["f", "c"])
    f, c, w = (frame[k].to_numpy() for k in ("f", "c", "w"))
    f, c = f.astype(np.int64), c.astype(np.int64)
    res = two_step(f, c, w, np.array(supply), np.array(demand))
    served = np.bincount(f[w > 0], minlength=5) > 0
    assert (res.access_low * np.array(demand)).sum() == pytest.approx(np.array(supply)[served].sum(), rel=1e-9)
    np.testing.assert_array_equal(res.access_low, res.access_high)


def test_scope_new_marks_old_compounds_not_applicable_but_their_demand_still_competes() -> None:
    # only B is "new": A and C are not judged, yet their residents still share F1 and F2 with B
    com, fac = _layers()
    com["build_year"] = [2000, 2023, 2000]
    table, _ = _run(_rule(scope="new"), com, fac)
    assert list(table["status"]) == ["not_applicable", "pass", "not_applicable"]
    assert table["value"][1] == pytest.approx(8.3333, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.one_of(st.just(0.0), st.floats(1e-3, 1))),
                min_size=1, max_size=20),
       st.lists(st.one_of(st.just(np.nan), st.floats(0, 50)), min_size=4, max_size=4),
       st.lists(st.one_of(st.just(np.nan), st.floats(1, 500)), min_size=5, max_size=5),
       st.lists(st.floats(0, 1000), min_size=9, max_size=9))
def test_bounds_hold_whatever_the_unknowns_are(pairs: list[tuple[int, int, float]], supply: list[float],
                                               demand: list[float], fill: list[float]) -> None:
    # Any values put in place of the unknown supplies and demands give an access within [low, high].
    frame = pd.DataFrame(pairs, columns=["f", "c", "w"]).drop_duplicates(["f", "c"])
    f, c, w = frame["f"].to_numpy(np.int64), frame["c"].to_numpy(np.int64), frame["w"].to_numpy()
    s, d = np.array(supply), np.array(demand)
    bounds = two_step(f, c, w, s, d)
    s_true = np.where(np.isnan(s), fill[:4], s)
    d_true = np.where(np.isnan(d), np.array(fill[4:]) + 1.0, d)
    truth = two_step(f, c, w, s_true, d_true).access_low
    assert (truth >= bounds.access_low * (1 - 1e-9) - 1e-12).all()
    assert (truth <= bounds.access_high * (1 + 1e-9) + 1e-12).all()
