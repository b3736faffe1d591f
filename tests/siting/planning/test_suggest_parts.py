"""The pieces of the siting adapter: sizing arithmetic, standards, grid thinning, masks, site distances."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from geoplan._errors import InputError
from geoplan.access import site_reach
from geoplan.network import Network
from geoplan.presets import load_preset
from geoplan.siting.planning.candidates import given_candidates, outside_mask, thin_to_grid
from geoplan.siting.planning.standards import Standard, required_size, standard_for
from geoplan.siting.solver.recentre import recentre, total_walk

ELDERLY = Standard("provision_elderly_floor_area", ("elderly_care",), "floor_area_m2", 20.0, 100.0, "households",
                   200.0)


@pytest.mark.parametrize(("households", "size"), [
    (1597, 320.0),   # 319.4 m², rounded up
    (1500, 300.0),   # exactly 300: no spurious extra m² from float rounding
    (1001, 201.0),   # 200.2 → 201
    (999, 200.0),    # 199.8 → the 200 m² minimum
    (600, 200.0),    # 120 → the minimum
    (0, 200.0),      # a site that is built is at least min_site
])
def test_required_size_20_per_100_households_min_200(households: float, size: float) -> None:
    assert required_size(households, ELDERLY) == size


def test_required_size_without_minimum_and_unknown_demand() -> None:
    slots = Standard("provision_childcare_slots", ("childcare",), "slots", 10.0, 1000.0, "population")
    assert required_size(4000, slots) == 40.0
    assert required_size(4001, slots) == 41.0
    assert math.isnan(required_size(math.nan, slots))


def test_standard_for_reads_the_preset() -> None:
    rules = load_preset("quzhou-2022").rules
    elderly = standard_for(rules, ["elderly_care", "elderly_day_care", "elderly_institution"])
    assert elderly is not None
    assert (elderly.rule_id, elderly.rate, elderly.per, elderly.per_unit, elderly.min_site) == (
        "provision_elderly_floor_area", 20.0, 100.0, "households", 200.0)
    assert elderly.types == ("elderly_care", "elderly_day_care")
    assert "20 m² per 100 households, ≥ 200 m² per site" in elderly.describe()
    child = standard_for(rules, ["childcare"])
    assert child is not None and (child.measure, child.per_unit, child.min_site) == ("slots", "population", None)
    assert standard_for(rules, ["fitness"]) is None


def test_thin_to_grid_keeps_the_point_nearest_each_cell_centre() -> None:
    xy = np.array([[10.0, 10.0], [140.0, 160.0], [150.0, 150.0], [290.0, 10.0], [310.0, 20.0]])
    kept = thin_to_grid(xy, 300.0)
    # cell (0, 0) holds the first four: (150, 150) is its centre; (310, 20) is alone in cell (1, 0)
    assert kept.tolist() == [2, 4]
    with pytest.raises(InputError, match="spacing"):
        thin_to_grid(xy, 0.0)


def test_outside_mask_with_buffer() -> None:
    xy = np.array([[0.0, 0.0], [5.0, 0.0], [30.0, 0.0]])
    area = shapely.box(-1, -1, 1, 1)
    assert outside_mask(xy, area).tolist() == [False, True, True]
    assert outside_mask(xy, area, buffer_m=10).tolist() == [False, False, True]
    assert outside_mask(xy, None).all()


def test_given_candidates_from_facilities_and_a_layer() -> None:
    fac = gpd.GeoDataFrame({"facility_id": ["k", "c"], "name": ["幼儿园", "社区中心"],
                            "facility_type": ["childcare", "candidate"], "floor_area_m2": [np.nan, 450.0]},
                           geometry=shapely.points([[0, 0], [100, 0]]), crs="EPSG:4549")
    layer = gpd.GeoDataFrame({"name": ["空置楼"]}, geometry=shapely.points([[120.0, 30.0]]), crs="EPSG:4326")
    got = given_candidates(fac, layer)
    assert got["candidate_id"].tolist() == ["c", "G0001"]
    assert got["floor_area_m2"].iloc[0] == 450.0 and got.crs == fac.crs
    with pytest.raises(InputError, match="no CRS"):
        given_candidates(fac, layer.set_crs(None, allow_override=True))


def _line_network() -> Network:
    x = np.arange(0.0, 1001.0, 100.0)
    return Network(x=x, y=np.zeros_like(x), u=np.arange(10), v=np.arange(1, 11), length=np.full(10, 100.0),
                   crs="EPSG:4549")


def test_site_reach_on_the_network_and_in_a_straight_line() -> None:
    com = gpd.GeoDataFrame(geometry=shapely.points([[250.0, 10.0], [250.0, 10.0], [900.0, 10.0]]), crs="EPSG:4549")
    sites = np.array([[250.0, 0.0], [600.0, 0.0], [np.nan, np.nan]])
    got = site_reach(com, sites, _line_network(), limit_m=400.0, max_snap_m=50.0)
    # two communities at one spot both get their pair; the site at 600 reaches 900 (300 + 10 m spur)
    assert got.pairs[["site", "community"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]]
    np.testing.assert_allclose(got.pairs["dist_m"], [10.0, 10.0, 360.0, 360.0, 310.0])
    assert got.site_attached.tolist() == [True, True, False] and got.basis == "network"
    flat = site_reach(com, sites, None, limit_m=400.0, detour_factor=1.3)
    # straight line × 1.3: 600 → 250 is 455 m, out of reach; 600 → 900 is 390 m
    assert flat.pairs[["site", "community"]].values.tolist() == [[0, 0], [0, 1], [1, 2]]
    np.testing.assert_allclose(flat.pairs["dist_m"], [13.0, 13.0, 1.3 * np.hypot(300.0, 10.0)])
    assert flat.basis.startswith("euclidean")


def _walks(sites_x: list[float], com_x: np.ndarray, reach: float) -> sp.csr_array:
    d = np.abs(np.asarray(sites_x)[:, None] - com_x[None, :])
    rows, cols = np.nonzero(d <= reach)
    return sp.csr_array((d[rows, cols], (rows, cols)), shape=d.shape)


def test_recentre_moves_a_site_to_the_middle_of_its_catchment() -> None:
    com = np.arange(0.0, 1001.0, 100.0)
    walks = _walks([450.0, 500.0, 550.0], com, 600.0)
    allowed = np.ones(3, dtype=bool)
    # 450 and 550 cover everything too, but 500 walks 3000 m in all against 3050 m
    assert recentre(walks, np.array([0]), np.zeros(0, dtype=np.int64), allowed).tolist() == [1]
    assert total_walk(walks, np.array([1])) == (3000.0, 11)
    assert recentre(walks, np.array([0]), np.zeros(0, dtype=np.int64), np.array([True, False, False])).tolist() == [0]


def test_recentre_keeps_what_only_the_site_covers() -> None:
    com = np.arange(0.0, 1001.0, 100.0)
    # columns: existing facility at 0 (fixed), candidates at 700 and 1000; reach 400
    walks = _walks([0.0, 700.0, 1000.0], com, 400.0)
    allowed = np.array([False, True, True])
    moved = recentre(walks, np.array([2]), np.array([0]), allowed)
    assert moved.tolist() == [1]  # 700 still reaches 600..1000, with 700 m of walking instead of 1000 m
    assert total_walk(walks, np.array([0, 1]))[1] == 11  # and brings 500 within reach as well
    # a candidate that would leave 1000 uncovered is never taken
    assert recentre(_walks([0.0, 500.0, 1000.0], com, 400.0), np.array([2]), np.array([0]), allowed).tolist() == [2]


def _walk_on(d: np.ndarray, cols: np.ndarray, covered: list[int]) -> float:
    """Total walk of the communities ``covered`` to their nearest of ``cols``."""
    return float(d[np.ix_(cols, covered)].min(axis=0).sum())


@pytest.mark.parametrize("seed", range(8))
def test_recentre_ends_where_no_single_swap_helps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reach = 600.0
    d = np.hypot(*(rng.uniform(0, 2000, (25, 1, 2)) - rng.uniform(0, 2000, (1, 40, 2))).transpose(2, 0, 1))
    rows, cols = np.nonzero(d <= reach)
    walks = sp.csr_array((d[rows, cols], (rows, cols)), shape=d.shape)
    fixed, allowed, chosen = np.array([0]), np.arange(25) > 0, np.array([1, 2, 3, 4, 5])
    before = (d[np.concatenate([chosen, fixed])] <= reach).any(axis=0)
    after = recentre(walks, chosen, fixed, allowed, max_passes=100)
    open_cols = np.concatenate([after, fixed])
    now = (d[open_cols] <= reach).any(axis=0)
    assert len(after) == 5 and not (before & ~now).any()  # no community loses its cover
    covered = np.flatnonzero(now).tolist()
    walk = _walk_on(d, open_cols, covered)
    assert walk <= _walk_on(d, np.concatenate([chosen, fixed]), np.flatnonzero(before).tolist()) + sum(
        d[open_cols][:, c].min() for c in np.flatnonzero(now & ~before))
    for k in range(5):  # brute force: no swap that keeps every cover shortens the walk
        for j in np.flatnonzero(allowed & ~np.isin(np.arange(25), after)):
            trial = np.concatenate([np.delete(after, k), [j], fixed])
            if (d[np.ix_(trial, covered)] <= reach).any(axis=0).all():
                assert _walk_on(d, trial, covered) >= walk - 1e-6
