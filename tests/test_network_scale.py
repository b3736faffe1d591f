"""City-scale grids, where the answer is known: on a square street grid, distance = Manhattan distance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest

from geoplan.network import Network, attach_points, nearest_source, read_osm

CRS = pyproj.CRS.from_epsg(4549)


def grid(n: int, step: float) -> Network:
    i, j = np.divmod(np.arange(n * n, dtype=np.int64), n)
    node = i * n + j
    right = node[j < n - 1]
    up = node[i < n - 1]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + n])
    return Network(x=500_000 + j * step, y=3_300_000 + i * step, u=u, v=v,
                   length=np.full(u.size, step), crs=CRS, source=f"grid {n}x{n}")


def test_grid_nearest_source_is_manhattan() -> None:
    n, step = 500, 50.0  # 250,000 nodes, 499,000 edges, 25 x 25 km
    net = grid(n, step)
    rng = np.random.default_rng(1)
    sources = rng.choice(net.n_nodes, 300, replace=False)
    targets = rng.choice(net.n_nodes, 2000, replace=False)
    dist, pos = nearest_source(net, sources, targets)
    dx = np.abs(net.x[targets, None] - net.x[sources])
    manhattan = dx + np.abs(net.y[targets, None] - net.y[sources])
    np.testing.assert_allclose(dist, manhattan.min(axis=1), rtol=1e-12)
    np.testing.assert_allclose(manhattan[np.arange(targets.size), pos], dist, rtol=1e-12)
    # With a limit, exactly those beyond it become (inf, -1).
    limited, lpos = nearest_source(net, sources, targets, limit_m=600.0)
    far = dist > 600.0
    assert far.any() and (~far).any()
    assert np.isinf(limited[far]).all() and (lpos[far] == -1).all()
    np.testing.assert_array_equal(limited[~far], dist[~far])


def test_grid_points_inside_blocks() -> None:
    # Points inside blocks, nearest to the block's bottom side: walk = spur + along the side to a corner +
    # Manhattan from that corner, whichever corner is shorter.
    n, step = 200, 100.0
    net = grid(n, step)
    rng = np.random.default_rng(2)
    row, col = rng.integers(0, n - 1, size=(2, 5000))
    fx = rng.uniform(0.1, 0.9, 5000)
    fy = rng.uniform(0.01, 0.09, 5000)  # nearer the bottom than any other side
    xy = np.column_stack([500_000 + (col + fx) * step, 3_300_000 + (row + fy) * step])
    aug, att = attach_points(net, {"p": xy}, max_snap_m=60.0)
    a = att["p"]
    assert a.attached.all()
    np.testing.assert_allclose(a.offset_m, fy * step, atol=1e-6)
    sources = rng.choice(net.n_nodes, 50, replace=False)
    dist, pos = nearest_source(aug, sources, a.node)
    sx, sy = net.x[sources][None, :], net.y[sources][None, :]
    left_x = (500_000 + col * step)[:, None]
    bottom_y = (3_300_000 + row * step)[:, None]
    vertical = np.abs(bottom_y - sy)
    via_left = fx[:, None] * step + np.abs(left_x - sx) + vertical
    via_right = (1 - fx[:, None]) * step + np.abs(left_x + step - sx) + vertical
    walk = fy[:, None] * step + np.minimum(via_left, via_right)
    np.testing.assert_allclose(dist, walk.min(axis=1), atol=1e-6)
    np.testing.assert_allclose(walk[np.arange(5000), pos], dist, atol=1e-6)


@pytest.mark.slow
def test_read_a_million_node_pbf(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    n, step = 1000, 0.0006
    path = tmp_path / "grid.osm.pbf"
    with osmium.SimpleWriter(str(path)) as writer:
        for i in range(n):
            for j in range(n):
                location = (120 + j * step, 30 + i * step)
                writer.add_node(osmium.osm.mutable.Node(id=i * n + j + 1, location=location))
        for i in range(n):
            refs = [i * n + j + 1 for j in range(n)]
            writer.add_way(osmium.osm.mutable.Way(id=i + 1, nodes=refs, tags={"highway": "residential"}))
        for j in range(n):
            refs = [i * n + j + 1 for i in range(n)]
            tag = "footway" if j % 2 else "cycleway"  # every other column is not walkable
            writer.add_way(osmium.osm.mutable.Way(id=n + j + 1, nodes=refs, tags={"highway": tag}))
    net = read_osm(path)  # its speed is measured in benchmarks/run.py, not asserted here
    assert net.n_nodes == n * n
    assert net.n_edges == n * (n - 1) + (n // 2) * (n - 1)
