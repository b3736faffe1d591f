"""Attaching points by splitting their nearest edge, and shortest paths on the result (hand-computed)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from geoplan._errors import InputError
from geoplan.network import Network, attach_points, distances_within, nearest_source, network_from_lines

CRS = pyproj.CRS.from_epsg(4549)
# 0 --100-- 1 --150-- 2 --200-- 3 --250-- 4   along y = 0, plus a separate street (5)-(6) at y = 1000.
X = [0.0, 100.0, 250.0, 450.0, 700.0, 0.0, 100.0]
Y = [0.0, 0.0, 0.0, 0.0, 0.0, 1000.0, 1000.0]
U = [0, 1, 2, 3, 5]
V = [1, 2, 3, 4, 6]


def line_network() -> Network:
    x, y = np.array(X), np.array(Y)
    u, v = np.array(U), np.array(V)
    return Network(x=x, y=y, u=u, v=v, length=np.hypot(x[u] - x[v], y[u] - y[v]), crs=CRS, source="line")


def line_network_from_gdf() -> Network:
    lines = [
        shapely.LineString([(0, 0), (100, 0), (250, 0)]),
        shapely.MultiLineString([[(250, 0), (450, 0)], [(450, 0), (700, 0)]]),
        shapely.LineString([(0, 1000), (100, 1000)]),
    ]
    return network_from_lines(gpd.GeoDataFrame(geometry=lines, crs=CRS), source="gdf")


@pytest.fixture(params=["arrays", "lines"])
def net(request: pytest.FixtureRequest) -> Network:
    return line_network() if request.param == "arrays" else line_network_from_gdf()


def node_at(net: Network, x: float, y: float) -> int:
    hit = np.flatnonzero((net.x == x) & (net.y == y))
    assert hit.size == 1
    return int(hit[0])


def test_both_constructions_give_the_same_graph(net: Network) -> None:
    assert (net.n_nodes, net.n_edges) == (7, 5)
    assert net.total_length_m == 800.0
    d = dijkstra(net.to_csr(), indices=node_at(net, 0, 0))
    assert d[node_at(net, 700, 0)] == 700.0
    assert np.isinf(d[node_at(net, 0, 1000)])


def test_points_on_one_edge_and_spurs(net: Network) -> None:
    pts = {
        # P (50, 10) and Q (80, -5) project on edge 0-100 at 50 and 80, with spurs 10 and 5.
        "communities": np.array([[50.0, 10.0], [80.0, -5.0], [300.0, 500.0], [np.nan, 0.0]]),
        # F (600, 20) projects on edge 450-700 at 600, spur 20.
        "facilities": np.array([[600.0, 20.0]]),
    }
    aug, att = attach_points(net, pts, max_snap_m=100.0)
    com, fac = att["communities"], att["facilities"]
    assert com.attached.tolist() == [True, True, False, False]
    assert com.node[2:].tolist() == [-1, -1] and np.isnan(com.offset_m[2:]).all()
    assert com.offset_m[:2].tolist() == [10.0, 5.0]
    assert fac.offset_m.tolist() == [20.0]
    first_edge = int(np.flatnonzero(net.length == 100.0)[0])
    assert com.edge.tolist() == [first_edge, first_edge, -1, -1]
    # Original nodes keep their indices and coordinates; 2 split + ... nodes appended.
    np.testing.assert_array_equal(aug.x[: net.n_nodes], net.x)
    assert aug.n_nodes == net.n_nodes + 3 + 3  # 3 split nodes, 3 point nodes
    d = dijkstra(aug.to_csr(), indices=com.node[:2])
    assert d[0, com.node[1]] == pytest.approx(10 + 30 + 5, abs=1e-9)
    assert d[0, fac.node[0]] == pytest.approx(10 + 50 + 150 + 200 + 150 + 20, abs=1e-9)
    # Distances between original nodes are unchanged (the chain replaces the split edge exactly).
    d0 = dijkstra(net.to_csr())
    da = dijkstra(aug.to_csr())[: net.n_nodes, : net.n_nodes]
    np.testing.assert_allclose(da, d0, rtol=0, atol=1e-9)


def test_split_edge_is_replaced_by_its_chain(net: Network) -> None:
    aug, _ = attach_points(net, {"p": np.array([[50.0, 10.0], [80.0, -5.0]])}, 100.0)
    # Edge 0-100 becomes 0-50-80-100 (3 pieces), plus 2 spurs; 4 other edges untouched.
    assert aug.n_edges == 4 + 3 + 2
    assert aug.total_length_m == pytest.approx(800.0 + 15.0)
    assert not ((aug.length == 100.0) & (aug.y[aug.u] == 0) & (aug.y[aug.v] == 0)).any()


def test_projection_on_an_end_and_exactly_on_the_edge(net: Network) -> None:
    pts = np.array([[-30.0, 0.0], [730.0, 40.0], [200.0, 0.0], [300.0, 10.0], [300.0, -20.0]])
    aug, att = attach_points(net, {"p": pts}, 100.0)
    a = att["p"]
    assert a.offset_m.tolist() == [30.0, 50.0, 0.0, 10.0, 20.0]
    # A point exactly on its edge is the split node itself; the two points at x=300 share a split node.
    assert aug.x[a.node[2]] == 200.0 and aug.y[a.node[2]] == 0.0
    d = dijkstra(aug.to_csr(), indices=a.node)
    assert d[0, node_at(net, 0, 0)] == 30.0
    assert d[1, node_at(net, 700, 0)] == 50.0
    assert d[3, a.node[4]] == pytest.approx(30.0)
    assert d[0, a.node[1]] == pytest.approx(30 + 700 + 50)
    # Only one split node for x=300, one for x=200: 2 split + 4 spur point nodes.
    assert aug.n_nodes == net.n_nodes + 2 + 4


def test_beyond_snap_distance_is_not_attached(net: Network) -> None:
    _, att = attach_points(net, {"p": np.array([[350.0, 100.0001], [350.0, 100.0]])}, 100.0)
    assert att["p"].attached.tolist() == [False, True]
    assert att["p"].node[0] == -1 and att["p"].edge[0] == -1


def test_nearest_source_disconnected_and_unattached(net: Network) -> None:
    pts = {
        "communities": np.array([[50.0, 10.0], [650.0, -10.0], [5000.0, 0.0]]),
        # One facility on the far street (y = 1000), another at 450 on the main street.
        "facilities": np.array([[50.0, 1010.0], [450.0, -15.0]]),
    }
    aug, att = attach_points(net, pts, 100.0)
    dist, pos = nearest_source(aug, att["facilities"].node, att["communities"].node)
    assert dist[0] == pytest.approx(10 + 50 + 150 + 200 + 15)
    assert dist[1] == pytest.approx(10 + 200 + 15)
    assert pos[:2].tolist() == [1, 1]
    assert np.isinf(dist[2]) and pos[2] == -1  # community not attached (node -1)
    # Only the facility on the other component: unreachable, (inf, -1).
    dist, pos = nearest_source(aug, att["facilities"].node[:1], att["communities"].node[:2])
    assert np.isinf(dist).all() and pos.tolist() == [-1, -1]
    # A limit below the distance: unreached.
    dist, pos = nearest_source(aug, att["facilities"].node, att["communities"].node, limit_m=300.0)
    assert dist[1] == pytest.approx(225.0) and np.isinf(dist[0]) and pos.tolist() == [-1, 1, -1]


def test_nearest_source_edge_cases() -> None:
    net = line_network()
    dist, pos = nearest_source(net, np.array([], dtype=np.int64), np.array([0, 1]))
    assert np.isinf(dist).all() and pos.tolist() == [-1, -1]
    # Repeated and unattached (-1) sources: position is the first listing of the nearest node.
    dist, pos = nearest_source(net, np.array([-1, 4, 2, 4]), np.array([0, 3, 4, 2]))
    assert dist.tolist() == [250.0, 200.0, 0.0, 0.0]
    assert pos.tolist() == [2, 2, 1, 2]
    with pytest.raises(InputError, match="outside"):
        nearest_source(net, np.array([7]), np.array([0]))
    with pytest.raises(InputError, match="integer"):
        nearest_source(net, np.array([0.5]), np.array([0]))
    # A csgraph matrix works as well as a Network.
    dist2, _ = nearest_source(net.to_csr(), np.array([4, 2]), np.array([0, 3, 4, 2]))
    assert dist2.tolist() == dist.tolist()


def test_distances_within_matches_full_dijkstra() -> None:
    net = line_network()
    sources = np.array([0, -1, 3, 6])
    full = dijkstra(net.to_csr())
    for batch_bytes in (1, 10**9):  # one source per batch, all in one batch
        table = distances_within(net, sources, 300.0, batch_bytes=batch_bytes)
        got = {(int(s), int(n)): d for s, n, d in table.itertuples(index=False)}
        want = {
            (p, n): full[s, n]
            for p, s in enumerate(sources) if s >= 0
            for n in range(net.n_nodes) if full[s, n] <= 300.0
        }
        assert got == pytest.approx(want)
    assert table.dtypes.tolist() == [np.int64, np.int64, np.float64]
    only = distances_within(net, sources, 300.0, targets=np.array([1, 4]))
    assert sorted(zip(only.source_pos, only.node, strict=True)) == [(0, 1), (2, 4)]  # 3->1 is 350 m
    with pytest.raises(InputError):
        distances_within(net, sources, np.inf)


def test_bad_inputs() -> None:
    net = line_network()
    with pytest.raises(InputError, match=r"\(n, 2\)"):
        attach_points(net, {"p": np.zeros((3, 3))}, 10.0)
    with pytest.raises(InputError, match="positive"):
        attach_points(net, {"p": np.zeros((3, 2))}, 0.0)
    aug, att = attach_points(net, {"p": np.zeros((0, 2))}, 10.0)
    assert aug.n_nodes == net.n_nodes and att["p"].node.size == 0
