"""Every (facility, community) pair within a walking distance, formed sparsely at city scale.

Floating-catchment rules need, for each facility, the communities within its catchment and their distances
-- never the full cost matrix. :func:`network_pairs` forms exactly those pairs: facility nodes are grouped into
grid cells; for each cell a bounded multi-row Dijkstra runs on the subgraph *induced by the nodes near the
cell only*. No walk of length ≤ r leaves the disk of radius r × stretch around its start (a network path is at
least as long as the straight line, up to the network's largest ratio of an edge's chord to its length --
1 for networks geoplan builds), so the subgraph holds every path the answer needs, and the distances are the
full graph's exactly. Work is proportional to the catchments, not to the nodes × facilities.

:func:`catchment_pairs` uses the audit's own attachment (:class:`geoplan.access.Access`: communities and
facilities on edge-split nodes with the door-to-street walk), so its distances are the ones reach rules use.
Without a network it falls back to straight lines × the detour factor, labelled in ``basis``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geoplan import _hints, settings
from geoplan._errors import InputError
from geoplan.access import NETWORK, Access, _euclidean_pairs, _has_xy, _xy
from geoplan.network.graph import Network

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Memory budget of one dense Dijkstra block (rows = sources of a cell, columns = subgraph nodes).
BLOCK_BYTES = 64 * 2**20
#: Grid cells are this fraction of the search radius: smaller cells give smaller subgraphs (area
#: ((1 + 2k) / k)² r² for cells r / k) but more Dijkstra calls and subgraph builds. On the generated 1M-node
#: city (5,000 facilities, r = 1125 m) whole-radius cells took 3.6 s, half-radius 5.4 s, quarter 6.6 s.
CELL_FRACTION = 1.0


def stretch_factor(network: Network) -> float:
    """Largest ratio of an edge's straight-line chord to its length (≥ 1): bounds Euclidean by network distance.

    A walk of network length L between two nodes spans at most ``L × stretch`` in a straight line. Zero
    lengths count as ``settings.min_edge_length_m``, as in :meth:`Network.to_csr`.
    """
    if network.n_edges == 0:
        return 1.0
    chord = np.hypot(network.x[network.u] - network.x[network.v], network.y[network.u] - network.y[network.v])
    length = np.maximum(network.length, settings.min_edge_length_m)
    keep = network.u != network.v
    return max(1.0, float(np.max(chord[keep] / length[keep], initial=1.0)))


def _cells(x: FloatArray, y: FloatArray, size: float) -> tuple[IntArray, IntArray]:
    return np.floor(x / size).astype(np.int64), np.floor(y / size).astype(np.int64)


def _expand_targets(targets: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Unique target nodes, and for each the slice of target positions at that node (several may share one)."""
    valid = np.flatnonzero(targets >= 0)
    order = valid[np.argsort(targets[valid], kind="stable")]
    nodes, start, count = np.unique(targets[order], return_index=True, return_counts=True)
    return nodes.astype(np.int64), order.astype(np.int64), np.stack([start, count], axis=1).astype(np.int64)


def network_pairs(network: Network, sources: IntArray, targets: IntArray, limit_m: float, *,
                  cell_fraction: float = CELL_FRACTION, block_bytes: int = BLOCK_BYTES) -> pd.DataFrame:
    """Every (source, target) pair within ``limit_m`` over the network, computed cell by cell.

    Parameters
    ----------
    network : Network
        The (augmented) walking network.
    sources, targets : array of int
        Node indices (e.g. facilities, communities); -1 entries take no part.
    limit_m : float
        Largest walking distance kept (finite, ≥ 0).
    cell_fraction : float
        Grid cell side as a fraction of the search radius.
    block_bytes : int
        Memory budget of one dense Dijkstra block; a cell with more sources is run in chunks.

    Returns
    -------
    DataFrame
        ``source_pos``, ``target_pos`` (positions in the arrays given) and ``dist_m``, sorted by source
        position then target position.
    """
    if not (math.isfinite(limit_m) and limit_m >= 0):
        msg = f"catchment distance must be a finite number of metres ≥ 0, got {limit_m}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    src = np.asarray(sources, dtype=np.int64).reshape(-1)
    tgt = np.asarray(targets, dtype=np.int64).reshape(-1)
    empty = pd.DataFrame({"source_pos": np.zeros(0, np.int64), "target_pos": np.zeros(0, np.int64),
                          "dist_m": np.zeros(0)})
    src_pos = np.flatnonzero(src >= 0)
    if not src_pos.size or not (tgt >= 0).any():
        return empty
    csr = network.to_csr()
    radius = limit_m * stretch_factor(network) * (1 + 1e-9) + 1e-6
    size = max(radius * cell_fraction, 1e-3)
    k = math.ceil(radius / size)  # neighbour cells to take on each side
    ncx, ncy = _cells(network.x, network.y, size)
    # nodes sorted by cell, to fetch a block of cells by binary search on (cx, cy)
    node_order = np.lexsort((ncy, ncx))
    sorted_cx, sorted_cy = ncx[node_order], ncy[node_order]
    t_nodes, t_order, t_slices = _expand_targets(tgt)
    is_target = np.zeros(network.n_nodes, dtype=bool)
    is_target[t_nodes] = True
    local = np.full(network.n_nodes, -1, dtype=np.int64)

    cells, which = np.unique(np.stack([ncx[src[src_pos]], ncy[src[src_pos]]], axis=1), axis=0, return_inverse=True)
    by_cell = np.argsort(which.reshape(-1), kind="stable")
    bounds = np.searchsorted(which.reshape(-1)[by_cell], np.arange(len(cells) + 1))
    out_s: list[IntArray] = []
    out_t: list[IntArray] = []
    out_d: list[FloatArray] = []
    for cell, (cx, cy) in enumerate(cells):
        members = by_cell[bounds[cell]:bounds[cell + 1]]
        nodes = _block_nodes(node_order, sorted_cx, sorted_cy, int(cx), int(cy), k)
        local[nodes] = np.arange(nodes.size)
        sub = _induced(csr, nodes, local)
        tgt_local = np.flatnonzero(is_target[nodes])
        rows_per_block = max(1, block_bytes // (8 * max(nodes.size, 1)))
        pos = src_pos[members]
        for start in range(0, pos.size, rows_per_block):
            chunk = pos[start:start + rows_per_block]
            block = np.atleast_2d(dijkstra(sub, directed=True, indices=local[src[chunk]], limit=limit_m))
            block = block[:, tgt_local]
            r, c = np.nonzero(block <= limit_m)
            out_s.append(chunk[r])
            out_t.append(nodes[tgt_local[c]])
            out_d.append(block[r, c])
        local[nodes] = -1
    if not out_s:
        return empty
    s = np.concatenate(out_s)
    node_hit = np.concatenate(out_t)
    d = np.concatenate(out_d)
    # expand each reached target node to the target positions at that node
    which = np.searchsorted(t_nodes, node_hit)
    start, count = t_slices[which, 0], t_slices[which, 1]
    rep = np.repeat(np.arange(s.size), count)
    offs = np.arange(rep.size) - np.repeat(np.cumsum(count) - count, count)
    frame = pd.DataFrame({"source_pos": s[rep], "target_pos": t_order[start[rep] + offs], "dist_m": d[rep]})
    frame = frame.sort_values(["source_pos", "target_pos"], kind="stable").reset_index(drop=True)
    log.debug("network_pairs: %d sources in %d cells, %d pairs within %.0f m", src_pos.size, len(cells),
              len(frame), limit_m)
    return frame


def _induced(csr: sp.csr_array, nodes: IntArray, local: IntArray) -> sp.csr_array:
    """The subgraph induced by ``nodes`` (``local`` maps each of them to its new index, others to -1).

    Built straight from the CSR arrays: scipy's fancy column indexing allocates an array of the full graph's
    size per call, which at city scale costs more than the Dijkstra itself.
    """
    starts, ends = csr.indptr[nodes], csr.indptr[nodes + 1]
    lens = ends - starts
    total = int(lens.sum())
    flat = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
    cols = local[csr.indices[flat]]
    keep = cols >= 0
    per_row = np.bincount(np.repeat(np.arange(nodes.size), lens)[keep], minlength=nodes.size)
    indptr = np.concatenate([[0], np.cumsum(per_row)])
    return sp.csr_array((csr.data[flat][keep], cols[keep], indptr), shape=(nodes.size, nodes.size))


def _block_nodes(order: IntArray, sorted_cx: IntArray, sorted_cy: IntArray, cx: int, cy: int, k: int) -> IntArray:
    """Nodes in the cells within ``k`` cells of (cx, cy) (a square block of (2k + 1)² cells)."""
    parts = []
    for ix in range(cx - k, cx + k + 1):
        lo = np.searchsorted(sorted_cx, ix, side="left")
        hi = np.searchsorted(sorted_cx, ix, side="right")
        if lo == hi:
            continue
        ys = sorted_cy[lo:hi]
        a = lo + np.searchsorted(ys, cy - k, side="left")
        b = lo + np.searchsorted(ys, cy + k, side="right")
        parts.append(order[a:b])
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


@dataclass(frozen=True)
class CatchmentPairs:
    """Facility-community pairs within a catchment distance.

    Attributes
    ----------
    pairs : DataFrame
        ``facility`` and ``community`` (row positions in the audit's layers) and ``dist_m``, sorted.
    facility_usable : bool array
        Per facility: it can serve (on the network; with coordinates for the Euclidean fallback).
    community_usable : bool array
        Per community: it can be reached (as above).
    basis : str
        ``"network"`` or the labelled Euclidean fallback.
    limit_m : float
    """

    pairs: pd.DataFrame
    facility_usable: NDArray[np.bool_]
    community_usable: NDArray[np.bool_]
    basis: str
    limit_m: float


def catchment_pairs(access: Access, facility_mask: NDArray[np.bool_], limit_m: float) -> CatchmentPairs:
    """Pairs of the selected facilities and all communities within ``limit_m``, as the audit measures distance.

    Parameters
    ----------
    access : Access
        The audit's attachment of communities and facilities (or its Euclidean fallback).
    facility_mask : bool array
        The facilities to pair (e.g. the rule's types).
    limit_m : float
        The catchment distance in metres.

    Returns
    -------
    CatchmentPairs
    """
    fac_sel = np.asarray(facility_mask, dtype=bool)
    if access.graph is not None:
        assert access.community_attachment is not None and access.facility_attachment is not None
        fac_ok, com_ok = access.facility_attachment.attached.copy(), access.community_attachment.attached.copy()
        src = np.where(fac_sel & fac_ok, access.facility_attachment.node, -1)
        tgt = np.where(com_ok, access.community_attachment.node, -1)
        found = network_pairs(access.graph, src, tgt, limit_m)
        pairs = pd.DataFrame({"facility": found["source_pos"], "community": found["target_pos"],
                              "dist_m": found["dist_m"]})
        return CatchmentPairs(pairs, fac_ok, com_ok, NETWORK, limit_m)
    fac_ok, com_ok = _has_xy(access.facilities), _has_xy(access.communities)
    factor = access.detour_factor
    raw = _euclidean_pairs(_xy(access.communities), _xy(access.facilities), com_ok, fac_sel & fac_ok,
                           limit_m / factor)
    pairs = pd.DataFrame({"facility": raw["site"].to_numpy(np.int64), "community": raw["community"].to_numpy(np.int64),
                          "dist_m": raw["dist_m"].to_numpy() * factor})
    return CatchmentPairs(pairs, fac_ok, com_ok, access.basis, limit_m)

