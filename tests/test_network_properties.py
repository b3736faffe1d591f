"""Property tests on random small networks: invariants of shortest paths and of edge-splitting snapping."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geoplan import settings as gp_settings
from geoplan.network import Network, attach_points, distances_within, nearest_source

CRS = pyproj.CRS.from_epsg(4549)
coord = st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def networks(draw: st.DrawFn, geometric: bool = False) -> Network:
    n = draw(st.integers(2, 12))
    x = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(coord, min_size=n, max_size=n)))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=25))
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    if geometric:
        length = np.hypot(x[u] - x[v], y[u] - y[v])
    else:
        length = np.array(draw(st.lists(st.floats(0, 500), min_size=u.size, max_size=u.size)))
    return Network(x=x, y=y, u=u, v=v, length=length, crs=CRS, source="hypothesis")


@settings(max_examples=80, deadline=None)
@given(net=networks(), data=st.data())
def test_nearest_source_is_the_minimum_over_sources(net: Network, data: st.DataObject) -> None:
    idx = st.integers(0, net.n_nodes - 1)
    sources = np.array(data.draw(st.lists(idx, max_size=5)), dtype=np.int64)
    targets = np.arange(net.n_nodes)
    dist, pos = nearest_source(net, sources, targets)
    full = dijkstra(net.to_csr(), directed=False)
    want = full[sources].min(axis=0) if sources.size else np.full(net.n_nodes, np.inf)
    np.testing.assert_allclose(dist, want, rtol=1e-12)
    reached = np.isfinite(dist)
    assert (pos[~reached] == -1).all()
    np.testing.assert_allclose(full[sources[pos[reached]], targets[reached]], dist[reached], rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(net=networks(), data=st.data())
def test_adding_an_edge_never_increases_a_distance(net: Network, data: st.DataObject) -> None:
    idx = st.integers(0, net.n_nodes - 1)
    a, b = data.draw(idx), data.draw(idx)
    w = data.draw(st.floats(0, 500))
    bigger = Network(x=net.x, y=net.y, u=np.append(net.u, a), v=np.append(net.v, b),
                     length=np.append(net.length, w), crs=CRS)
    sources = np.array(data.draw(st.lists(idx, min_size=1, max_size=4)), dtype=np.int64)
    before, _ = nearest_source(net, sources, np.arange(net.n_nodes))
    after, _ = nearest_source(bigger, sources, np.arange(net.n_nodes))
    assert (after <= before).all()


@settings(max_examples=60, deadline=None)
@given(net=networks())
def test_distances_are_symmetric(net: Network) -> None:
    table = distances_within(net, np.arange(net.n_nodes), 2000.0)
    d = np.full((net.n_nodes, net.n_nodes), np.inf)
    d[table.source_pos, table.node] = table.dist_m
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    assert (np.diag(d) == 0).all()


@settings(max_examples=80, deadline=None)
@given(net=networks(geometric=True), pts=st.lists(st.tuples(coord, coord), min_size=1, max_size=8))
def test_snapping_preserves_distances_and_adds_the_walk_along_the_edge(
    net: Network, pts: list[tuple[float, float]]
) -> None:
    xy = np.array(pts, dtype=np.float64)
    aug, att = attach_points(net, {"p": xy}, max_snap_m=2000.0)
    a = att["p"]
    # Pieces shorter than the csgraph minimum edge length are stretched to it; allow for that.
    tol = gp_settings.min_edge_length_m * (xy.shape[0] + 2) + 1e-9
    full = dijkstra(net.to_csr(), directed=False)
    full_aug = dijkstra(aug.to_csr(), directed=False)
    # 1. Attaching points changes no distance between original nodes.
    np.testing.assert_allclose(full_aug[: net.n_nodes, : net.n_nodes], full, rtol=0, atol=tol)
    # 2. Point -> any original node = spur + min(walk to u then on, walk to v then on).
    for i in np.flatnonzero(a.attached):
        e = a.edge[i]
        u, v = net.u[e], net.v[e]
        p0, p1 = np.array([net.x[u], net.y[u]]), np.array([net.x[v], net.y[v]])
        seg = p1 - p0
        t = 0.0 if not seg.any() else float(np.clip(np.dot(xy[i] - p0, seg) / np.dot(seg, seg), 0, 1))
        assert abs(a.offset_m[i] - np.linalg.norm(xy[i] - (p0 + t * seg))) < 1e-9
        length = net.length[e]
        want = a.offset_m[i] + np.minimum(t * length + full[u], (1 - t) * length + full[v])
        np.testing.assert_allclose(full_aug[a.node[i], : net.n_nodes], want, rtol=0, atol=tol)
        # No edge is nearer than the one chosen.
        assert a.offset_m[i] <= _min_segment_distance(net, xy[i]) + 1e-9


def _min_segment_distance(net: Network, p: np.ndarray) -> float:
    ok = net.u != net.v
    a = np.column_stack([net.x[net.u[ok]], net.y[net.u[ok]]])
    b = np.column_stack([net.x[net.v[ok]], net.y[net.v[ok]]])
    ab = b - a
    denom = (ab * ab).sum(axis=1)
    t = np.where(denom > 0, ((p - a) * ab).sum(axis=1) / np.where(denom > 0, denom, 1), 0).clip(0, 1)
    return float(np.hypot(*(p - (a + t[:, None] * ab)).T).min())


@settings(max_examples=80, deadline=None)
@given(net=networks(geometric=True), data=st.data())
def test_edge_index_distance_is_shapelys_distance_to_the_edges(net: Network, data: st.DataObject) -> None:
    # The network check measures "distance to the nearest street" with the attachment's k-d tree; it must be
    # the distance to the edges as straight LineStrings (self-loops are points), near or far (pieces of 100 m:
    # points up to 5 km away are drawn).
    far = st.floats(-5000, 6000, allow_nan=False)
    pts = np.array(data.draw(st.lists(st.tuples(far, far), min_size=1, max_size=8)))
    lines = shapely.linestrings(np.stack([np.column_stack([net.x[net.u], net.y[net.u]]),
                                          np.column_stack([net.x[net.v], net.y[net.v]])], axis=1))
    want = shapely.distance(shapely.points(pts)[:, None], lines[None, :]).min(axis=1)
    np.testing.assert_allclose(net.edge_index.distance(pts), want, rtol=1e-9, atol=1e-9)
