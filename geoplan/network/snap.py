"""Attach points (communities, facilities) to the network at the nearest point of the nearest walkable edge.

Snapping to the nearest *node* is wrong on long blocks: a compound halfway along a 400 m street would be
credited (or charged) 200 m it never walks. Instead each point is projected onto its nearest edge, which is
split there, and the point becomes a node of its own joined to the split by a "spur" edge as long as the
straight line from the point to the street (the walk from the gate to the kerb).

The augmented network keeps every original node at its original index; split nodes and then point nodes are
appended. A split edge is *dropped* and replaced by its chain ``u -> s1 -> ... -> v`` (same total length), so
the augmented network has no redundant edges and can itself be snapped to again; edges that are not split keep
their relative order, and the chain and spur edges come after them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geoplan import _hints
from geoplan._errors import Hint, InputError
from geoplan.network.graph import Network

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Attachment:
    """Where each point of one group was attached, in input order.

    Attributes
    ----------
    node : ndarray of int64
        Node index of the point in the augmented network, -1 when not attached.
    offset_m : ndarray of float64
        Straight-line distance from the point to its edge (the spur length), NaN when not attached.
    edge : ndarray of int64
        Index of the edge in the *original* network the point was projected on, -1 when not attached.
    attached : ndarray of bool
        Whether the point is within ``max_snap_m`` of a walkable edge (and has finite coordinates).
    """

    node: IntArray
    offset_m: FloatArray
    edge: IntArray
    attached: NDArray[np.bool_]

    def __post_init__(self) -> None:
        """Store read-only copies (the dataclass is frozen) and check the lengths agree."""
        for name, dtype in (("node", np.int64), ("offset_m", np.float64), ("edge", np.int64),
                            ("attached", np.bool_)):
            arr = np.array(getattr(self, name), dtype=dtype, copy=True).reshape(-1)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        if not self.node.size == self.offset_m.size == self.edge.size == self.attached.size:
            msg = "Attachment arrays must all have one entry per point"
            raise InputError(msg, hint=_hints.API_ARGUMENT)

    @property
    def n_attached(self) -> int:
        """How many points were attached."""
        return int(np.count_nonzero(self.attached))


def attach_points(
    network: Network, groups: Mapping[str, FloatArray], max_snap_m: float
) -> tuple[Network, dict[str, Attachment]]:
    """Attach every group of points to the network by splitting their nearest edges.

    All groups are attached together, so a community and a facility on the same street segment are chained
    in order along it and the distance between them is exact.

    Parameters
    ----------
    network : Network
        The walking network; its edges are taken as straight segments between their nodes. An edge whose
        ``length`` differs from its straight-line length (e.g. a curved GraphML edge) is split in proportion.
    groups : mapping of str to ndarray, shape (n, 2)
        Point coordinates (x, y) in ``network.crs``, per group name (e.g. "communities", "facilities").
        Rows with a non-finite coordinate are not attached.
    max_snap_m : float
        Points farther than this from every edge are not attached (``attached`` False, ``node`` -1): the
        caller reports them, they are never silently snapped across a river.

    Returns
    -------
    network : Network
        The augmented network (original nodes first, at unchanged indices).
    attachments : dict of str to Attachment
        One per group, rows in input order.

    Raises
    ------
    InputError
        If a group is not an (n, 2) array or ``max_snap_m`` is not positive.

    Notes
    -----
    Nearest edges come from a k-d tree of edge-piece midpoints, confirmed by exact point-to-segment distances;
    when several edges are equally near, the lowest edge index is taken, so results do not depend on the
    tree's visiting order.
    A projection that falls on an end of its edge attaches to that end node (no zero-length split), and
    points projecting to the same spot of one edge share one split node. A point lying exactly on its edge
    (offset 0) is the split node itself, without a spur.
    """
    if not (max_snap_m > 0):
        msg = f"max_snap_m must be a positive distance in metres, got {max_snap_m}"
        raise InputError(msg, hint=Hint(zh="max_snap_m 给出大于 0 的米数", en="give max_snap_m in metres > 0"))
    names = list(groups)
    arrays = []
    for name in names:
        arr = np.asarray(groups[name], dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 2:
            msg = f"points of group {name!r} must be an (n, 2) array of x, y (network CRS), not {arr.shape}"
            raise InputError(msg, hint=_hints.API_ARGUMENT)
        arrays.append(arr)
    sizes = [a.shape[0] for a in arrays]
    pts = np.concatenate(arrays) if arrays else np.empty((0, 2))
    n_pts = pts.shape[0]

    edge = _nearest_edges(network, pts, max_snap_m)
    ok = edge >= 0
    idx = np.flatnonzero(ok)
    e = edge[idx]
    ax, ay = network.x[network.u[e]], network.y[network.u[e]]
    dx, dy = network.x[network.v[e]] - ax, network.y[network.v[e]] - ay
    seg2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = ((pts[idx, 0] - ax) * dx + (pts[idx, 1] - ay) * dy) / seg2
    t = np.clip(np.where(seg2 > 0, t, 0.0), 0.0, 1.0)
    qx, qy = ax + t * dx, ay + t * dy
    offset = np.hypot(pts[idx, 0] - qx, pts[idx, 1] - qy)

    new_net, point_node = _augment(network, pts[idx], e, t, qx, qy, offset)

    node = np.full(n_pts, -1, dtype=np.int64)
    node[idx] = point_node
    off = np.full(n_pts, np.nan)
    off[idx] = offset
    out: dict[str, Attachment] = {}
    start = 0
    for name, size in zip(names, sizes, strict=True):
        sl = slice(start, start + size)
        out[name] = Attachment(node=node[sl], offset_m=off[sl], edge=edge[sl], attached=ok[sl])
        start += size
        log.info("attached %d of %d %s within %g m", out[name].n_attached, size, name, max_snap_m)
    return new_net, out


#: Edges are indexed by the midpoints of pieces at most this long (metres), so a point's nearest edge has a
#: piece midpoint within (its distance + half this) of the point.
_PIECE_M = 100.0


class EdgeIndex:
    """A k-d tree of the midpoints of a network's edges cut into pieces of at most 100 m.

    Built once per network (:meth:`Network.edge_index`) and shared by attaching points and by the checks that
    need distances to the nearest street: no shapely geometry per edge. Self-loops are points, not streets:
    they are kept apart and only count as places in :meth:`distance`.
    """

    def __init__(self, network: Network) -> None:
        self.candidates = np.flatnonzero(network.u != network.v)
        c = self.candidates
        self.ax, self.ay = network.x[network.u[c]], network.y[network.u[c]]
        self.dx, self.dy = network.x[network.v[c]] - self.ax, network.y[network.v[c]] - self.ay
        pieces = np.maximum(np.ceil(np.hypot(self.dx, self.dy) / _PIECE_M), 1).astype(np.int64)
        self.owner = np.repeat(np.arange(c.size), pieces)
        within = (np.arange(self.owner.size) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 0.5) / pieces[self.owner]
        self.tree = cKDTree(np.column_stack([self.ax[self.owner] + within * self.dx[self.owner],
                                             self.ay[self.owner] + within * self.dy[self.owner]]))
        loops = network.u[network.u == network.v]
        self.loop_xy = np.column_stack([network.x[loops], network.y[loops]])

    def candidates_within(self, q: FloatArray, max_m: float) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
        """Every edge that may be the nearest to each point of ``q`` within ``max_m`` (``inf`` allowed).

        (1) the nearest midpoint gives an edge and an upper bound D on the distance; (2) every edge within
        min(D, max_m) has a midpoint within that + half a piece, so the exact segment distances of those
        candidates decide.

        Returns
        -------
        rows : positions in ``q`` of the points with a midpoint within ``max_m`` + half a piece
        which, seg, dist : one row per (point, candidate edge) pair within ``max_m``: position in ``rows``,
            edge index in the network, exact distance in metres
        """
        half = _PIECE_M / 2
        near_d, near = self.tree.query(q, k=1, distance_upper_bound=max_m + half)
        rows = np.flatnonzero(np.isfinite(near_d))
        q, near = q[rows], near[rows]
        bound = _segment_distance(q, self.ax, self.ay, self.dx, self.dy, self.owner[near])
        found = self.tree.query_ball_point(q, np.minimum(bound, max_m) + half)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        piece = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
        which = np.repeat(np.arange(q.shape[0]), counts)
        seg = self.owner[piece]
        dist = _segment_distance(q[which], self.ax, self.ay, self.dx, self.dy, seg)
        ok = dist <= max_m
        return rows, which[ok], self.candidates[seg[ok]], dist[ok]

    def distance(self, pts: FloatArray) -> FloatArray:
        """Straight-line distance (metres) from each point to the nearest edge (or self-loop node).

        Equal, to rounding, to the distance to the nearest of the edges as straight LineStrings; ``inf`` for a
        point with a non-finite coordinate or when the network has no edge.
        """
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        out = np.full(pts.shape[0], np.inf)
        finite = np.flatnonzero(np.isfinite(pts).all(axis=1))
        if finite.size and self.candidates.size:
            rows, which, _, dist = self.candidates_within(pts[finite], np.inf)
            best = np.full(rows.size, np.inf)
            np.minimum.at(best, which, dist)
            out[finite[rows]] = best
        if finite.size and self.loop_xy.shape[0]:
            loop_d, _ = cKDTree(self.loop_xy).query(pts[finite], k=1)
            out[finite] = np.minimum(out[finite], loop_d)
        return out


def _nearest_edges(network: Network, pts: FloatArray, max_snap_m: float) -> IntArray:
    # Index of the nearest edge within max_snap_m for every point, -1 if none (or bad coordinates).
    # A k-d tree of piece midpoints instead of an STRtree of shapely segments: no 1.7 million geometry objects
    # for a city, a third of the time (see EdgeIndex); ties go to the lowest edge index.
    edge = np.full(pts.shape[0], -1, dtype=np.int64)
    finite = np.flatnonzero(np.isfinite(pts).all(axis=1))
    index = network.edge_index
    if finite.size == 0 or index.candidates.size == 0:
        return edge
    rows, which, seg, dist = index.candidates_within(pts[finite], max_snap_m)
    rows = finite[rows]
    order = np.lexsort((seg, dist, which))  # per point: nearest first, then lowest edge index
    which, seg = which[order], seg[order]
    first = np.ones(which.size, dtype=bool)
    first[1:] = which[1:] != which[:-1]
    edge[rows[which[first]]] = seg[first]
    return edge


def _segment_distance(p: FloatArray, ax: FloatArray, ay: FloatArray, dx: FloatArray, dy: FloatArray,
                      seg: IntArray) -> FloatArray:
    # Distance from points p (k, 2) to segments seg (k,), given by start (ax, ay) and direction (dx, dy).
    ex, ey = dx[seg], dy[seg]
    px, py = p[:, 0] - ax[seg], p[:, 1] - ay[seg]
    len2 = ex * ex + ey * ey
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, (px * ex + py * ey) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.asarray(np.hypot(px - t * ex, py - t * ey), dtype=np.float64)


def _augment(
    network: Network,
    pts: FloatArray,
    e: IntArray,
    t: FloatArray,
    qx: FloatArray,
    qy: FloatArray,
    offset: FloatArray,
) -> tuple[Network, IntArray]:
    # Build the augmented network for attached points `pts` projected at fraction t of edges e.
    n0 = network.n_nodes
    k = e.size
    if k == 0:
        return network, np.zeros(0, dtype=np.int64)
    end_u = t <= 0.0
    end_v = t >= 1.0
    interior = ~(end_u | end_v)

    # Split nodes: one per distinct (edge, t) among interior projections.
    ii = np.flatnonzero(interior)
    order = np.lexsort((t[ii], e[ii]))
    ii = ii[order]
    se, st = e[ii], t[ii]
    new_split = np.ones(ii.size, dtype=bool)
    new_split[1:] = (se[1:] != se[:-1]) | (st[1:] != st[:-1])
    split_id = np.cumsum(new_split) - 1  # per sorted interior point
    n_split = int(new_split.sum())
    split_node = n0 + np.arange(n_split, dtype=np.int64)
    s_edge, s_t = se[new_split], st[new_split]
    s_x, s_y = qx[ii][new_split], qy[ii][new_split]

    # Node on the street for every attached point: an end node or its split node.
    street = np.where(end_u, network.u[e], network.v[e]).astype(np.int64)
    street[ii] = split_node[split_id]

    # Chains: split nodes of one edge are consecutive in (edge, t) order. Each contributes the piece from the
    # previous node (or u) to itself; the last of each edge also the piece to v.
    if n_split:
        first_on_edge = np.ones(n_split, dtype=bool)
        first_on_edge[1:] = s_edge[1:] != s_edge[:-1]
        last_on_edge = np.ones(n_split, dtype=bool)
        last_on_edge[:-1] = first_on_edge[1:]
        prev_node = np.where(first_on_edge, network.u[s_edge], np.roll(split_node, 1))
        prev_t = np.where(first_on_edge, 0.0, np.roll(s_t, 1))
        elen = network.length[s_edge]
        chain_u = np.concatenate([prev_node, split_node[last_on_edge]])
        chain_v = np.concatenate([split_node, network.v[s_edge[last_on_edge]]])
        chain_len = np.concatenate([(s_t - prev_t) * elen, (1.0 - s_t[last_on_edge]) * elen[last_on_edge]])
        split_edges = np.unique(s_edge)
    else:
        chain_u = chain_v = np.zeros(0, dtype=np.int64)
        chain_len = np.zeros(0)
        split_edges = np.zeros(0, dtype=np.int64)

    # Point nodes with a spur; a point exactly on its edge is its street node.
    spur = offset > 0
    n_spur = int(spur.sum())
    point_node = street.copy()
    point_node[spur] = n0 + n_split + np.arange(n_spur, dtype=np.int64)

    keep = np.ones(network.n_edges, dtype=bool)
    keep[split_edges] = False
    u = np.concatenate([network.u[keep], chain_u, point_node[spur]])
    v = np.concatenate([network.v[keep], chain_v, street[spur]])
    length = np.concatenate([network.length[keep], chain_len, offset[spur]])
    x = np.concatenate([network.x, s_x, pts[spur, 0]])
    y = np.concatenate([network.y, s_y, pts[spur, 1]])
    osm_ids = None
    if network.osm_ids is not None:
        osm_ids = np.concatenate([network.osm_ids, np.full(n_split + n_spur, -1, dtype=np.int64)])
    log.debug("snapping split %d edges into %d pieces, added %d spur edges", split_edges.size, chain_u.size,
              n_spur)
    augmented = Network(x=x, y=y, u=u, v=v, length=length, crs=network.crs, source=network.source,
                        osm_ids=osm_ids)
    return augmented, point_node
