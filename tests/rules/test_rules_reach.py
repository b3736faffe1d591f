"""reach: hand-computed cases on a 5-node line graph, through Access and the rule as the audit runs them.

The line graph: nodes at x = 0, 100, 200, 300, 400 m (y = 0), plus a separate 2-node piece at x = 0..100,
y = 5000 (a disconnected component). Points sit 10 m north of the line, so each walk includes a 10 m spur
at both ends.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geoplan.access import Access
from geoplan.network import Network
from geoplan.rules import reach
from geoplan.rules.base import Citation, Rule, RuleContext

CRS = pyproj.CRS.from_epsg(4549)


def _line_network() -> Network:
    return Network(
        x=np.array([0, 100, 200, 300, 400, 0, 100], dtype=float),
        y=np.array([0, 0, 0, 0, 0, 5000, 5000], dtype=float),
        u=np.array([0, 1, 2, 3, 5]), v=np.array([1, 2, 3, 4, 6]),
        length=np.array([100, 100, 100, 100, 100], dtype=float), crs=CRS, source="line",
    )


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    com = gpd.GeoDataFrame(
        {"community_id": ["a", "b", "c", "far", "island", "nocoord"], "name": list("abcdef"),
         "households": [100, 200, np.nan, 50, 10, 5], "build_year": [1990, 2023, np.nan, 2000, 2000, 2000]},
        geometry=[shapely.Point(50, 10), shapely.Point(250, 10), shapely.Point(390, 10),
                  shapely.Point(200, 900), shapely.Point(50, 5010), None],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {"facility_id": ["f1", "f2", "f3"], "name": ["托育1", "养老1", "<img src=x onerror=alert(1)>"],
         "facility_type": ["childcare", "elderly_care", "childcare"]},
        geometry=[shapely.Point(0, 10), shapely.Point(400, -10), shapely.Point(10_000, 10_000)],
        crs=CRS,
    )
    return com, fac


def _rule(types: list[str], minutes: float, **extra: object) -> Rule:
    return Rule("r", "reach", "测试", "test", Citation("f.txt", "1", "q"),
                {"types": types, "minutes": minutes, **extra})


LINE = _line_network()


def _evaluate(rule: Rule, network: Network | None = LINE, speed: float = 10.0) -> pd.DataFrame:
    com, fac = _layers()
    access = Access(com, fac, network, max_snap_m=50, limit_m=5000)
    ctx = RuleContext(com, fac, access, walk_speed_m_per_min=speed, speed_basis="test",
                      options={"new_build_from_year": 2022})
    return reach.evaluate(rule, ctx).table


def test_exact_network_distances_and_status() -> None:
    # childcare f1 at x=0 (10 m north): a at x=50 walks 10 + 50 + 10 = 70 m; b: 10 + 250 + 10 = 270;
    # c: 10 + 390 + 10 = 410. 30 min × 10 m/min = 300 m threshold.
    t = _evaluate(_rule(["childcare"], 30))
    np.testing.assert_allclose(t["value"][:3], [70, 270, 410])
    assert list(t["status"]) == ["pass", "pass", "fail", "not_evaluable", "fail", "not_evaluable"]
    assert t["threshold"][0] == 300
    assert t["shortfall"][2] == pytest.approx(110)
    np.testing.assert_allclose(t["minutes"][:3], [7, 27, 41])
    assert t["facility_name"][0] == "托育1"


def test_beyond_snap_distance_is_not_evaluable_with_reason() -> None:
    t = _evaluate(_rule(["childcare"], 30))
    assert t["status"][3] == "not_evaluable"
    assert "farther than 50 m" in t["reason"][3]
    assert np.isnan(t["value"][3])
    assert "no usable coordinates" in t["reason"][5]


def test_disconnected_component_fails_with_reason() -> None:
    t = _evaluate(_rule(["childcare"], 30))
    assert t["status"][4] == "fail"
    assert np.isnan(t["value"][4])
    assert "no childcare facility reachable" in t["reason"][4]
    # f3 is 10 km away from everything: off the network, and the reason says so.
    assert "1 of 2 such facilities are off the network" in t["reason"][4]


def test_nearest_of_several_types() -> None:
    # elderly f2 at x=400 (10 m south): c walks 10 + 10 + 10 = 30 m.
    t = _evaluate(_rule(["childcare", "elderly_care"], 30))
    assert t["value"][2] == pytest.approx(30)
    assert t["facility_name"][2] == "养老1"


def test_type_absent_from_layer_is_not_evaluable() -> None:
    t = _evaluate(_rule(["fitness"], 10))
    assert (t["status"] == "not_evaluable").all()
    assert "no fitness facility in the facilities layer" in t["reason"][0]


def test_scope_new_only() -> None:
    t = _evaluate(_rule(["childcare"], 30, scope="new"))
    assert t["status"][1] == "pass"  # b built 2023 ≥ 2022
    assert t["status"][0] == "not_applicable"
    assert t["status"][2] == "not_evaluable"  # c: build year unknown, so whether the rule applies is unknown
    assert "build year unknown" in t["reason"][2]


def test_failing_community_near_the_network_edge_is_flagged() -> None:
    com, fac = _layers()
    access = Access(com, fac, LINE, max_snap_m=50, limit_m=5000)
    edge = np.array([10.0, 10.0, 10.0, 10.0, 10.0, np.nan])  # every one 10 m from the edge
    ctx = RuleContext(com, fac, access, walk_speed_m_per_min=10.0, speed_basis="test",
                      options={"new_build_from_year": 2022, "network_edge_m": edge})
    t = reach.evaluate(_rule(["childcare"], 10), ctx).table  # 100 m: a (50 m) passes, b and c fail
    assert t["status"].tolist()[:3] == ["pass", "fail", "fail"]
    assert t["edge_effect"].tolist()[:3] == [False, True, True]
    assert "may be under-served only because the network ends here" in t["reason"][1]
    far = RuleContext(com, fac, access, walk_speed_m_per_min=10.0, speed_basis="test",
                      options={"new_build_from_year": 2022, "network_edge_m": edge * 100})
    assert not reach.evaluate(_rule(["childcare"], 10), far).table["edge_effect"].any()


def test_euclidean_fallback_is_labelled() -> None:
    t = _evaluate(_rule(["childcare"], 30), network=None)
    # b: straight line from (250,10) to (0,10) = 250 m × 1.3 = 325 m > 300.
    assert t["value"][1] == pytest.approx(325)
    assert t["status"][1] == "fail"
    assert (t["basis"][:5] == "assumed").all()
    assert "euclidean" in t["reason"][0]


def test_indicators_plain_and_weighted() -> None:
    com, fac = _layers()
    access = Access(com, fac, _line_network(), max_snap_m=50, limit_m=5000)
    ctx = RuleContext(com, fac, access, 10.0, "test", options={"new_build_from_year": 2022})
    ind = reach.evaluate(_rule(["childcare"], 30, target_rate=1.0), ctx).indicators
    plain, weighted = ind.iloc[0], ind.iloc[1]
    # evaluated: a pass, b pass, c fail, island fail → 2/4 = 50 %; 2 more communities needed for 100 %.
    assert plain["measured"] == 50.0 and plain["target"] == 100.0 and plain["shortfall"] == 2
    # weighted by households over evaluated with known households: a 100 + b 200 pass; island 10 fails;
    # c has no households (left out) → 300 / 310.
    assert weighted["measured"] == pytest.approx(round(300 / 310 * 100, 2))
