"""Shortest walking distances on a :class:`~geoplan.network.graph.Network` with scipy's csgraph Dijkstra.

Two questions are asked at city scale:

* "how far is the nearest facility of this type from each community?" -- one multi-source Dijkstra pass
  (:func:`nearest_source`), whatever the number of facilities;
* "which nodes lie within X m of each candidate site / facility?" -- a long table of everything each source
  reaches (:func:`distances_within`), the raw material of service areas and siting coverage matrices.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from geoplan import _hints
from geoplan._errors import InputError
from geoplan.network.graph import Network

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Default memory budget of one batch of :func:`distances_within` (the dense distance block scipy returns).
DEFAULT_BATCH_BYTES = 256 * 2**20


def _graph(network: Network | sp.sparray | sp.spmatrix) -> tuple[sp.csr_array, bool]:
    # The matrix, and whether it is known to be symmetric. A Network's CSR is, so csgraph can search it as a
    # directed graph with the same answers and without building the transpose (about 10 % of a pass); any
    # other matrix is searched as undirected, as documented.
    if isinstance(network, Network):
        return network.to_csr(), True
    if not sp.issparse(network) or network.ndim != 2 or network.shape[0] != network.shape[1]:
        msg = "network must be a geoplan Network or a square scipy.sparse matrix of edge lengths"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    return sp.csr_array(network), False


def _node_indices(values: ArrayLike, n_nodes: int, what: str) -> IntArray:
    # Node indices, with -1 allowed (an unattached point); anything else out of range is an error.
    arr = np.asarray(values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        msg = f"{what} must be integer node indices, got dtype {arr.dtype}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    arr = arr.astype(np.int64).reshape(-1)
    bad = (arr < -1) | (arr >= n_nodes)
    if bad.any():
        msg = f"{what}: {int(bad.sum())} indices outside 0..{n_nodes - 1} (use -1 for 'not attached')"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    return arr


def source_field(
    network: Network | sp.sparray | sp.spmatrix, sources: ArrayLike, limit_m: float = math.inf
) -> tuple[FloatArray, IntArray]:
    """Distance from every node to its nearest source, and that source's node, in one multi-source pass.

    Parameters
    ----------
    network, sources, limit_m
        As for :func:`nearest_source`.

    Returns
    -------
    distance : ndarray of float64, shape (n_nodes,)
        Metres to the nearest source; inf beyond ``limit_m`` or on another component.
    source_node : ndarray of int64, shape (n_nodes,)
        Node index of that source, -1 where unreached.
    """
    graph, symmetric = _graph(network)
    n = graph.shape[0]
    src = _node_indices(sources, n, "sources")
    valid_src = np.unique(src[src >= 0])
    if valid_src.size == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    d_all, _, src_node = dijkstra(
        graph, directed=symmetric, indices=valid_src, min_only=True, limit=limit_m, return_predecessors=True
    )
    return np.asarray(d_all, dtype=np.float64), np.asarray(src_node, dtype=np.int64)


def nearest_source(
    network: Network | sp.sparray | sp.spmatrix,
    sources: ArrayLike,
    targets: ArrayLike,
    limit_m: float = math.inf,
    *,
    field: tuple[FloatArray, IntArray] | None = None,
) -> tuple[FloatArray, IntArray]:
    """Network distance from each target to its nearest source, in one multi-source Dijkstra pass.

    Parameters
    ----------
    network : Network or square sparse matrix
        A :class:`Network` (its :meth:`~Network.to_csr`) or any csgraph adjacency matrix of lengths; the
        graph is treated as undirected.
    sources : array of int
        Source node indices (e.g. facilities of one type). -1 entries (unattached) are ignored.
    targets : array of int
        Target node indices (e.g. communities). A -1 target gets (inf, -1).
    limit_m : float, default inf
        Stop searching beyond this distance; farther targets get (inf, -1), which bounds the work.
    field : (distance, source_node), optional
        :func:`source_field` of the same network, sources and limit, when already computed (no search then).

    Returns
    -------
    distance : ndarray of float64, shape (len(targets),)
        Metres to the nearest source; inf when none is within ``limit_m`` or all are on other components.
    source_pos : ndarray of int64, shape (len(targets),)
        Position in ``sources`` of that nearest source (the first position if a node is listed twice),
        -1 when unreached. Among equally near sources the one Dijkstra settles first wins.

    Raises
    ------
    InputError
        If an index is out of range or not an integer.
    """
    graph, _ = _graph(network)
    n = graph.shape[0]
    src = _node_indices(sources, n, "sources")
    tgt = _node_indices(targets, n, "targets")
    dist = np.full(tgt.size, np.inf)
    pos = np.full(tgt.size, -1, dtype=np.int64)
    if not (src >= 0).any() or tgt.size == 0:
        return dist, pos
    d_all, src_node = source_field(network, src, limit_m) if field is None else field
    ok = tgt >= 0
    dist[ok] = d_all[tgt[ok]]
    reached = ok.copy()
    reached[ok] = np.isfinite(dist[ok])
    # Map the source *node* dijkstra reports back to its first position in `sources`.
    order = np.argsort(src, kind="stable")
    sorted_src = src[order]
    nodes = src_node[tgt[reached]]
    pos[reached] = order[np.searchsorted(sorted_src, nodes, side="left")]
    log.debug("nearest_source: %d sources, %d of %d targets reached within %g m", int(np.unique(src[src >= 0]).size),
              int(reached.sum()), tgt.size, limit_m)
    return dist, pos


def node_distances(
    network: Network | sp.sparray | sp.spmatrix, sources: ArrayLike, limit_m: float = math.inf
) -> FloatArray:
    """Distance from every node to its nearest source (one multi-source pass); inf beyond ``limit_m``."""
    graph, symmetric = _graph(network)
    src = _node_indices(sources, graph.shape[0], "sources")
    valid = np.unique(src[src >= 0])
    if valid.size == 0:
        return np.full(graph.shape[0], np.inf)
    return np.asarray(dijkstra(graph, directed=symmetric, indices=valid, min_only=True, limit=limit_m))


def distances_within(
    network: Network | sp.sparray | sp.spmatrix,
    sources: ArrayLike,
    limit_m: float,
    *,
    targets: ArrayLike | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> pd.DataFrame:
    """Every (source, node) pair within ``limit_m`` of each other, as a long table.

    Parameters
    ----------
    network : Network or square sparse matrix
        As for :func:`nearest_source`.
    sources : array of int
        Source node indices (e.g. candidate sites). -1 entries produce no rows.
    limit_m : float
        Search radius in metres (finite).
    targets : array of int, optional
        Keep only these nodes (e.g. community nodes), which keeps the table small. Default: all nodes.
    batch_bytes : int, default 256 MiB
        Memory budget per batch. scipy returns a dense ``(batch, n_nodes)`` float64 block even with
        ``limit``, so a batch holds ``max(1, batch_bytes // (8 * n_nodes))`` sources: 32 sources for a
        1-million-node city with the default. Peak memory is about twice the budget plus the output.

    Returns
    -------
    DataFrame
        Columns ``source_pos`` (int64, position in ``sources``), ``node`` (int64) and ``dist_m`` (float64),
        sorted by source position then node; a source reaches itself at distance 0. If ``targets`` is given,
        ``node`` is still the node index (not the position in ``targets``).

    Raises
    ------
    InputError
        If ``limit_m`` is not a finite positive number or an index is out of range.
    """
    if not (math.isfinite(limit_m) and limit_m >= 0):
        msg = f"limit_m must be a finite distance in metres, got {limit_m}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    graph, symmetric = _graph(network)
    n = graph.shape[0]
    src = _node_indices(sources, n, "sources")
    keep_nodes = None if targets is None else np.unique(_node_indices(targets, n, "targets"))
    if keep_nodes is not None:
        keep_nodes = keep_nodes[keep_nodes >= 0]
    positions = np.flatnonzero(src >= 0)
    batch = max(1, int(batch_bytes) // (8 * max(n, 1)))
    pieces_pos: list[IntArray] = []
    pieces_node: list[IntArray] = []
    pieces_dist: list[FloatArray] = []
    for start in range(0, positions.size, batch):
        chunk = positions[start : start + batch]
        block = dijkstra(graph, directed=symmetric, indices=src[chunk], limit=limit_m)
        block = np.atleast_2d(block)
        if keep_nodes is not None:
            block = block[:, keep_nodes]
        row, col = np.nonzero(np.isfinite(block))
        pieces_pos.append(chunk[row])
        pieces_node.append(col if keep_nodes is None else keep_nodes[col])
        pieces_dist.append(block[row, col])
    if pieces_pos:
        table = {
            "source_pos": np.concatenate(pieces_pos).astype(np.int64),
            "node": np.concatenate(pieces_node).astype(np.int64),
            "dist_m": np.concatenate(pieces_dist).astype(np.float64),
        }
    else:
        table = {
            "source_pos": np.zeros(0, dtype=np.int64),
            "node": np.zeros(0, dtype=np.int64),
            "dist_m": np.zeros(0, dtype=np.float64),
        }
    log.debug("distances_within %g m: %d sources in batches of %d, %d pairs", limit_m, positions.size, batch,
              table["node"].size)
    return pd.DataFrame(table)
