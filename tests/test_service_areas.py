"""Service areas from the network edges reached: exact pieces on a line, and honest polygons on the demo."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geoplan
from geoplan.service_areas import reached_pieces


def test_reached_pieces_on_a_line() -> None:
    # Nodes at x = 0, 100, 200, 300; a source at node 0; limit 150 m: edge 0-1 whole, edge 1-2 half,
    # edge 2-3 not at all.
    x, y = np.array([0.0, 100, 200, 300]), np.zeros(4)
    u, v, length = np.array([0, 1, 2]), np.array([1, 2, 3]), np.full(3, 100.0)
    dist = np.array([0.0, 100, 200, 300])
    pieces = shapely.linestrings(reached_pieces(x, y, u, v, length, dist, 150.0))
    assert sorted(round(p.length, 6) for p in pieces) == [50.0, 100.0]
    assert shapely.union_all(pieces).bounds == (0.0, 0.0, 150.0, 0.0)


def test_edge_reached_from_both_ends() -> None:
    # A 100 m edge whose ends are 60 m and 70 m from sources: its farthest point is (60 + 70 + 100) / 2 = 115 m
    # away, so with a 100 m limit the middle 15 m are not reached: pieces [0, 40] and [70, 100].
    pieces = shapely.linestrings(reached_pieces(np.array([0.0, 100]), np.zeros(2), np.array([0]), np.array([1]),
                                                np.array([100.0]), np.array([60.0, 70.0]), 100.0))
    assert sorted((round(p.bounds[0], 6), round(p.bounds[2], 6)) for p in pieces) == [(0, 40), (70, 100)]
    whole = shapely.linestrings(reached_pieces(np.array([0.0, 100]), np.zeros(2), np.array([0]), np.array([1]),
                                               np.array([100.0]), np.array([60.0, 70.0]), 115.0))
    assert len(whole) == 1 and whole[0].length == pytest.approx(100)


@pytest.fixture(scope="module")
def demo() -> geoplan.AuditResult:
    return geoplan.audit(geoplan.demo_project(), created="2026-11-22")


def test_demo_service_areas_never_claim_an_unreached_community(demo: geoplan.AuditResult) -> None:
    areas = demo.service_areas
    assert areas is not None and len(areas) >= 1
    com = demo.communities
    assert set(areas["coverage"]) == {"covered", "uncovered"}
    for _, area in areas[areas["coverage"] == "covered"].iterrows():
        rule = area["rule_id"]
        inside = com.geometry.intersects(area.geometry).to_numpy()
        value, threshold = com[f"{rule}__value"], com[f"{rule}__threshold"]
        beyond = (value > threshold) | value.isna()  # farther than the limit, unreached or off the network
        assert not (inside & beyond.to_numpy()).any(), f"{rule}: polygon contains an unreached community"
        passing = (com[f"{rule}__status"] == "pass").to_numpy()
        assert inside[passing].all(), f"{rule}: a passing community lies outside its service area"
        assert passing.sum() > 100  # the test is not vacuous on the demo


def test_service_areas_are_not_hulls(demo: geoplan.AuditResult) -> None:
    areas = demo.service_areas
    assert areas is not None
    covered = areas[areas["coverage"] == "covered"].set_index("rule_id")
    childcare = covered.loc["reach_childcare_15", "geometry"]
    hull = gpd.GeoSeries([childcare], crs=demo.crs).convex_hull.iloc[0]
    assert childcare.area < 0.5 * hull.area  # street frontage, not the ground between the streets


def test_uncovered_frontage_holds_no_passing_community(demo: geoplan.AuditResult) -> None:
    areas = demo.service_areas
    assert areas is not None
    com = demo.communities
    for _, area in areas[areas["coverage"] == "uncovered"].iterrows():
        rule = area["rule_id"]
        passing = (com[f"{rule}__status"] == "pass").to_numpy()
        assert not com.geometry[passing].within(area.geometry).any()
        failing = (com[f"{rule}__status"] == "fail").to_numpy()
        assert com.geometry[failing].within(area.geometry).mean() > 0.5  # most failures sit on uncovered streets


@pytest.mark.parametrize("seed", range(6))
def test_noded_runs_union_is_the_union_of_the_runs(seed: int) -> None:
    # The frontage is the coverage union of a mask's row runs, noded where the rows above and below break;
    # it must be exactly the area the plain union of the runs gives (random masks: holes, diagonal touches).
    from geoplan.service_areas import _noded_runs

    mask = np.random.default_rng(seed).random((30, 40)) < (0.3 + 0.1 * seed)
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, first = np.nonzero(edges == 1)
    _, last = np.nonzero(edges == -1)
    noded = shapely.coverage_union_all(_noded_runs(rows, first, last, mask.shape[1] + 2))
    plain = shapely.union_all(shapely.box(first, rows, last, rows + 1))
    assert shapely.is_valid(noded)
    assert shapely.normalize(noded).equals_exact(shapely.normalize(plain), 0)
    assert noded.area == mask.sum()
