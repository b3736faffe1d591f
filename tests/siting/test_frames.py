"""The solver on GeoDataFrames and a walking network (geoplan.siting.frames), on a straight street.

The street runs along y = 0 from x = 0 to 3000 m (a node every 100 m, EPSG:4549). Demand points stand 10 m off
it at x = 200, 1000 and 2600; candidates on it at x = 500 and 2500; an existing facility at x = 1000. Walks are
along the street plus the 10 m spur, so within 700 m: 500 → 200 is 310 m, 500 → 1000 is 510 m, 2500 → 2600 is
110 m, 1000 → 1000 is 10 m, and nothing else.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoplan._errors import InputError
from geoplan.network import Network
from geoplan.siting import OPTIMAL, cost_matrix, lscp_from_geodataframe, mclp_from_geodataframe

CRS = "EPSG:4549"


def _street() -> Network:
    x = np.arange(0.0, 3001.0, 100.0)
    n = x.size - 1
    return Network(x=x, y=np.zeros_like(x), u=np.arange(n), v=np.arange(1, n + 1), length=np.full(n, 100.0), crs=CRS)


def _points(xs: list[float], y: float = 0.0, **columns: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=shapely.points([[x, y] for x in xs]), crs=CRS)


DEMAND = _points([200.0, 1000.0, 2600.0], 10.0, hh=[100.0, 50.0, 300.0])
CANDIDATES = _points([500.0, 2500.0])
EXISTING = _points([1000.0])


def test_cost_matrix_holds_the_walks_within_reach_with_existing_columns_last() -> None:
    m = cost_matrix(DEMAND, CANDIDATES, _street(), limit_m=700.0, existing=EXISTING, max_snap_m=50.0)
    dense = m.costs.toarray()
    expected = np.array([[310.0, 0.0, 0.0], [510.0, 0.0, 10.0], [0.0, 110.0, 0.0]])
    np.testing.assert_allclose(dense, expected)
    assert m.fixed.tolist() == [2] and m.site_attached.tolist() == [True, True, True]
    assert m.basis == "network" and m.limit_m == 700.0


def test_cost_matrix_without_a_network_is_the_labelled_straight_line() -> None:
    m = cost_matrix(DEMAND, CANDIDATES, None, limit_m=700.0, detour_factor=1.3)
    # 500 → 200: hypot(300, 10) × 1.3 = 390.2 m; 500 → 1000: 650.1 m; 2500 → 2600: 183.8 m
    np.testing.assert_allclose(m.costs.toarray(), [[1.3 * np.hypot(300, 10), 0], [1.3 * np.hypot(500, 10), 0],
                                                   [0, 1.3 * np.hypot(100, 10)]])
    assert m.basis.startswith("euclidean") and m.fixed.size == 0


def test_lscp_from_geodataframe_opens_what_the_existing_facility_does_not_cover() -> None:
    sol = lscp_from_geodataframe(DEMAND, CANDIDATES, _street(), limit_m=700.0, existing=EXISTING)
    assert sol.status == OPTIMAL and sol.objective == 2
    assert sorted(sol.selected.tolist()) == [0, 1] and sol.covered.all()
    # in 300 m only the candidate at 2500 and the existing facility reach anyone: the point at 200 is uncoverable
    short = lscp_from_geodataframe(DEMAND, CANDIDATES, _street(), limit_m=300.0, existing=EXISTING)
    assert short.selected.tolist() == [1] and short.covered.tolist() == [False, True, True]


def test_mclp_from_geodataframe_counts_the_existing_facility_and_takes_the_heavier_side() -> None:
    sol = mclp_from_geodataframe(DEMAND, CANDIDATES, _street(), weight="hh", p=1, limit_m=700.0, existing=EXISTING)
    # candidate 2500 covers 300 households; candidate 500 covers 100 more than the existing facility's 50
    assert sol.status == OPTIMAL and sol.selected.tolist() == [1] and sol.objective == pytest.approx(350.0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"candidates": gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs=CRS)}, "candidates: row 0 is not a"),
    ({"candidates": CANDIDATES.to_crs("EPSG:4326")}, "candidates: CRS .* differs from the network"),
    ({"limit_m": -5.0}, "limit_m=-5.0"),
    ({"limit_m": float("nan")}, "limit_m=nan"),
    ({"demand": DEMAND.drop(columns="geometry")}, "demand: a GeoDataFrame of points is needed"),
])
def test_unusable_layers_and_options_are_one_line_errors(kwargs: dict, match: str) -> None:
    args = {"demand": DEMAND, "candidates": CANDIDATES, "limit_m": 700.0, **kwargs}
    with pytest.raises(InputError, match=match):
        cost_matrix(args["demand"], args["candidates"], _street(), limit_m=args["limit_m"])


def test_mclp_weights_must_be_a_present_non_negative_column() -> None:
    with pytest.raises(InputError, match="no column 'people'"):
        mclp_from_geodataframe(DEMAND, CANDIDATES, _street(), weight="people", p=1, limit_m=700.0)
    bad = DEMAND.assign(hh=[100.0, None, -3.0])
    with pytest.raises(InputError, match=r"demand row 1, column 'hh'.*\(2 such rows\)"):
        mclp_from_geodataframe(bad, CANDIDATES, _street(), weight="hh", p=1, limit_m=700.0)


def test_rows_without_geometry_get_no_entry() -> None:
    demand = gpd.GeoDataFrame(geometry=[shapely.Point(200.0, 10.0), None], crs=CRS)
    m = cost_matrix(demand, CANDIDATES, _street(), limit_m=700.0)
    assert m.costs.shape == (2, 2) and m.costs.toarray()[1].tolist() == [0.0, 0.0]
