"""Compact regions of a covering model's demand rows, found from the matrix alone (no coordinates).

Two rows are neighbours when a candidate covers both. Regions come from recursive bisection of that row
graph: each part is split at the median of ``d(p1) - d(p2)``, the hop distances from two far-apart rows
(found by two breadth-first sweeps), which cuts a geometric graph roughly across its longest axis. The
decomposition bound and the window search (:mod:`geoplan.siting.solver.decompose_lscp`) solve one region at a time, so
what matters is that regions are compact (few rows on their border) and small enough for HiGHS to solve
exactly in about a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra


def row_graph(a: sp.csr_array) -> sp.csr_array:
    """Rows × rows adjacency: 1 where two distinct rows share a column."""
    g = sp.csr_array(a.astype(np.float64) @ sp.csr_array(a.T).astype(np.float64))
    g.setdiag(0)
    g.eliminate_zeros()
    g.data[:] = 1.0
    return g


def _hops(g: sp.csr_array, source: int) -> np.ndarray:
    """Hop distance from ``source`` to every node of a connected graph."""
    return np.asarray(dijkstra(g, indices=source, unweighted=True))


def _bisect(g: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Split a connected graph's nodes into two halves across its longest axis."""
    p1 = int(np.argmax(_hops(g, 0)))
    d1 = _hops(g, p1)
    d2 = _hops(g, int(np.argmax(d1)))
    order = np.argsort(d1 - d2, kind="stable")
    half = order.size // 2
    return order[:half], order[half:]


def row_partitions(a: sp.csr_array, targets: Sequence[int]) -> list[np.ndarray]:
    """:func:`row_regions` for several region sizes, the row graph built once."""
    g = row_graph(a)
    return [row_regions(a, target, graph=g) for target in targets]


def row_regions(a: sp.csr_array, target: int, *, graph: sp.csr_array | None = None) -> np.ndarray:
    """Label each row of ``a`` with a region of at most ``target`` rows.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Coverage (rows × columns); stored entries are coverage.
    target : int
        Largest region size (rows); parts are halved until they fit.
    graph : scipy.sparse.csr_array, optional
        :func:`row_graph` of ``a``, when the caller has it already.

    Returns
    -------
    ndarray of int
        Region label per row, ``0 .. n_regions - 1``; disconnected parts never share a region.
    """
    g = row_graph(a) if graph is None else graph
    labels = np.empty(a.shape[0], dtype=np.int64)
    stack = [np.arange(a.shape[0])]
    n_regions = 0
    while stack:
        nodes = stack.pop()
        sub = sp.csr_array(g[nodes][:, nodes])
        n_parts, part = connected_components(sub, directed=False)
        if n_parts > 1:  # independent pieces are regions of their own: their bounds add up exactly
            stack.extend(nodes[part == p] for p in range(n_parts))
            continue
        if nodes.size <= max(target, 1):
            labels[nodes] = n_regions
            n_regions += 1
            continue
        low, high = _bisect(sub)
        stack.extend([nodes[low], nodes[high]])
    return labels
