"""Network arrays: the sparse matrix (parallel edges, zero lengths, self-loops), components, checks."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from scipy.sparse.csgraph import dijkstra

from geoplan import settings
from geoplan._errors import NetworkError
from geoplan.network import Network

CRS = pyproj.CRS.from_epsg(4549)


def make(x, y, u, v, length=None, **kw) -> Network:
    x, y = np.asarray(x, float), np.asarray(y, float)
    u, v = np.asarray(u), np.asarray(v)
    if length is None:
        length = np.hypot(x[u] - x[v], y[u] - y[v])
    return Network(x=x, y=y, u=u, v=v, length=length, crs=CRS, **kw)


def test_line_graph_distances_exact() -> None:
    # 0 --100-- 1 --150-- 2 --200-- 3 --250-- 4
    net = make([0, 100, 250, 450, 700], [0] * 5, [0, 1, 2, 3], [1, 2, 3, 4])
    assert (net.n_nodes, net.n_edges) == (5, 4)
    assert net.total_length_m == 700.0
    d = dijkstra(net.to_csr(), directed=True)
    assert d[0].tolist() == [0, 100, 250, 450, 700]
    assert d[4, 1] == 600 and d[1, 4] == 600
    assert (net.to_csr() != net.to_csr().T).nnz == 0


def test_parallel_edges_take_the_minimum_not_the_sum() -> None:
    # Three edges between 0 and 1 (one reversed): 50, 30, 70. COO->CSR would sum them to 150.
    net = make([0, 30, 60], [0, 0, 0], [0, 1, 0, 1], [1, 0, 1, 2], length=[50.0, 30.0, 70.0, 30.0])
    m = net.to_csr()
    assert m[0, 1] == 30.0 and m[1, 0] == 30.0
    assert m.nnz == 4
    assert dijkstra(m, indices=0)[2] == 60.0


def test_zero_length_edge_is_kept_and_self_loop_dropped() -> None:
    # Nodes 1 and 2 at the same spot joined by a zero-length edge: without it, 3 is unreachable from 0.
    net = make([0, 10, 10, 20], [0, 0, 0, 0], [0, 1, 2, 3], [1, 2, 3, 3])
    assert net.length[1] == 0.0
    m = net.to_csr()
    assert m[1, 2] == settings.min_edge_length_m
    assert m[3, 3] == 0  # self-loop not stored
    assert dijkstra(m, indices=0)[3] == pytest.approx(20.0, abs=2e-3)
    assert np.unique(net.components()).tolist() == [0]


def test_components_are_labelled_by_size() -> None:
    # Component {0,1} (2 nodes), component {2,3,4} (3 nodes), isolated node 5.
    net = make([0, 1, 5, 6, 7, 9], [0] * 6, [0, 2, 3], [1, 3, 4])
    labels = net.components()
    assert labels.tolist() == [1, 1, 0, 0, 0, 2]


def test_edges_gdf_geometry_matches_lengths() -> None:
    net = make([0, 3, 3], [0, 4, 0], [0, 1], [1, 2])
    gdf = net.edges_gdf()
    assert gdf.crs == CRS
    assert gdf.geometry.length.tolist() == [5.0, 4.0]
    assert gdf["length_m"].tolist() == [5.0, 4.0]


def test_arrays_are_read_only_copies() -> None:
    x = np.array([0.0, 1.0])
    net = make(x, [0, 0], [0], [1])
    x[0] = 99
    assert net.x[0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        net.x[0] = 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"u": [0], "v": [2]}, "node indices"),
        ({"u": [0], "v": [-1]}, "node indices"),
        ({"length": [np.nan]}, "not finite"),
        ({"length": [-1.0]}, "negative"),
        ({"length": [1.0, 2.0]}, "differ in length"),
    ],
)
def test_inconsistent_arrays_are_rejected(kwargs: dict, match: str) -> None:
    args = {"x": [0.0, 1.0], "y": [0.0, 0.0], "u": [0], "v": [1], "length": [1.0]} | kwargs
    with pytest.raises(NetworkError, match=match):
        Network(crs=CRS, source="t", **args)
