"""Service areas: the ground within N minutes' walk of a facility, built from the network edges reached.

Not convex hulls or circles: every street piece whose points lie within the walking distance of a facility
(over the same attached network the audit measured on) is kept — whole edges, or the reachable stretch from
either end — and given a narrow frontage on both sides. A community that the audit found beyond the distance
(or off the network) but that falls inside that frontage is cut out of the area with a small disc, so the
polygon never claims a community the network does not reach.

The frontage is drawn on a grid of half its width (street pieces sampled into cells, dilated by a disc, row runs
of cells unioned): a union of hundreds of thousands of buffered street pieces takes minutes at city scale, the
grid a second or two, and the map shows the same thing at the scale it is read.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from geoplan import settings
from geoplan.access import Access
from geoplan.rules import KINDS
from geoplan.rules._speed import rule_speed
from geoplan.rules.base import Rule

log = logging.getLogger(__name__)

#: Smallest street piece kept (metres): shorter ones add nothing visible.
_MIN_PIECE_M = 0.01


def reached_pieces(x: NDArray[np.float64], y: NDArray[np.float64], u: NDArray[np.int64], v: NDArray[np.int64],
                   length: NDArray[np.float64], dist: NDArray[np.float64], limit_m: float) -> NDArray[np.float64]:
    """End points, shape (k, 2, 2), of the pieces of the straight edges (u, v) within ``limit_m`` of a source.

    A point at fraction t of an edge is at min(du + t·len, dv + (1 − t)·len); the whole edge is reached when
    its farthest point, (du + dv + len) / 2, is; otherwise the stretch [0, (L − du)/len] from u and
    [1 − (L − dv)/len, 1] from v.
    """
    du, dv = dist[u], dist[v]
    whole = (du + dv + length) / 2 <= limit_m
    safe = np.where(length > 0, length, 1.0)
    from_u = ~whole & (du <= limit_m)
    from_v = ~whole & (dv <= limit_m)
    t0 = np.concatenate([np.zeros(whole.sum()), np.zeros(from_u.sum()), 1 - (limit_m - dv[from_v]) / safe[from_v]])
    t1 = np.concatenate([np.ones(whole.sum()), (limit_m - du[from_u]) / safe[from_u], np.ones(from_v.sum())])
    edge = np.concatenate([np.flatnonzero(whole), np.flatnonzero(from_u), np.flatnonzero(from_v)])
    t0, t1 = np.clip(t0, 0, 1), np.clip(t1, 0, 1)
    keep = (t1 - t0) * length[edge] >= _MIN_PIECE_M
    edge, t0, t1 = edge[keep], t0[keep], t1[keep]
    xu, yu, xv, yv = x[u[edge]], y[u[edge]], x[v[edge]], y[v[edge]]
    return np.stack([np.column_stack([xu + t0 * (xv - xu), yu + t0 * (yv - yu)]),
                     np.column_stack([xu + t1 * (xv - xu), yu + t1 * (yv - yu)])], axis=1)


def service_area(access: Access, types: list[str], limit_m: float, *,
                 frontage_m: float = settings.service_area_frontage_m) -> shapely.Geometry:
    """The area within ``limit_m`` walking of a facility of ``types`` (empty without a network)."""
    graph, att = access.graph, access.facility_attachment
    if graph is None or att is None:
        return shapely.Polygon()
    dist = access.node_distances(types, limit_m)  # the reach rules' own pass when within the search radius
    pieces = reached_pieces(graph.x, graph.y, graph.u, graph.v, graph.length, dist, limit_m)
    if not len(pieces):
        return shapely.Polygon()
    area = frontage(pieces, frontage_m)
    return _cut_unreached(area, access, dist, limit_m, frontage_m)


def frontage(ends: NDArray[np.float64], width_m: float) -> shapely.Geometry:
    """The ground within about ``width_m`` of straight pieces (end points, shape (k, 2, 2)), on a grid of
    ``width_m / 2`` cells."""
    cell = width_m / 2
    radius = 2  # cells: the dilation disc reaches width_m
    ix, iy = _sample_cells(ends, cell, radius + 1)
    x0, y0 = _origin(ends, cell, radius + 1)
    mask = np.zeros((iy.max() + radius + 2, ix.max() + radius + 2), dtype=bool)
    mask[iy, ix] = True
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    mask = ndimage.binary_dilation(mask, structure=xx**2 + yy**2 <= radius**2)
    # Each row's runs of cells become one rectangle; the rectangles' union is the area.
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, first = np.nonzero(edges == 1)
    _, last = np.nonzero(edges == -1)
    try:  # the rectangles tile the area: a coverage union (about 3x faster), once their shared edges are noded
        cells = shapely.coverage_union_all(_noded_runs(rows, first, last, mask.shape[1] + 2))
    except shapely.errors.GEOSException:  # never seen; the general union gives the same area
        cells = shapely.union_all(shapely.box(first, rows, last, rows + 1))
    return shapely.transform(cells, lambda xy: xy * cell + np.array([x0, y0]))


def _noded_runs(rows: NDArray[np.int64], first: NDArray[np.int64], last: NDArray[np.int64],
                width: int) -> NDArray[np.object_]:
    """Row runs [first, last) × [row, row + 1) as rectangles in cell units, with a vertex wherever a run of the
    row above or below starts or ends along their bottom and top edges (what a coverage union needs)."""
    # Breakpoints on grid line L (between rows L - 1 and L), keyed L * width + x.
    keys = np.unique(np.concatenate([rows * width + first, rows * width + last,
                                     (rows + 1) * width + first, (rows + 1) * width + last]))
    b_lo = np.searchsorted(keys, rows * width + first, side="right")
    nb = np.searchsorted(keys, rows * width + last, side="left") - b_lo
    t_lo = np.searchsorted(keys, (rows + 1) * width + first, side="right")
    nt = np.searchsorted(keys, (rows + 1) * width + last, side="left") - t_lo
    size = 5 + nb + nt  # (f, r), bottom breakpoints, (l, r), (l, r + 1), top breakpoints backwards, (f, r + 1), (f, r)
    off = np.cumsum(size) - size
    xs, ys = np.empty(int(size.sum())), np.empty(int(size.sum()))

    def ragged(count: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)  # rank within its run

    rank_b, rank_t = ragged(nb), ragged(nt)
    xs[off], ys[off] = first, rows
    at = np.repeat(off + 1, nb) + rank_b
    xs[at], ys[at] = keys[np.repeat(b_lo, nb) + rank_b] % width, np.repeat(rows, nb)
    p = off + 1 + nb
    xs[p], ys[p] = last, rows
    xs[p + 1], ys[p + 1] = last, rows + 1
    at = np.repeat(p + 1 + nt, nt) - rank_t
    xs[at], ys[at] = keys[np.repeat(t_lo, nt) + rank_t] % width, np.repeat(rows + 1, nt)
    q = p + 2 + nt
    xs[q], ys[q] = first, rows + 1
    xs[q + 1], ys[q + 1] = first, rows
    rings = shapely.linearrings(np.column_stack([xs, ys]), indices=np.repeat(np.arange(rows.size), size))
    return np.asarray(shapely.polygons(rings), dtype=object)


def _origin(ends: NDArray[np.float64], cell: float, margin: int) -> tuple[float, float]:
    # The grid's lower-left corner: ``margin`` cells below the lowest sample. The samples a + t·(b − a) are
    # monotone in t, so their extremes are a and a + 1·(b − a) (computed as the samples are, to the last bit).
    a, d = ends[:, 0], ends[:, 1] - ends[:, 0]
    low = np.minimum(a.min(axis=0), (a + d).min(axis=0)) - margin * cell
    return float(low[0]), float(low[1])


def _sample_cells(ends: NDArray[np.float64], cell: float, margin: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Grid cells (column, row) of every piece sampled at least once per cell, its ends included.

    Sample j of a piece cut into k samples is a + (j / (k − 1))·(b − a), computed coordinate by coordinate
    in place (millions of samples at city scale: no (n, 2) temporaries, no fancy indexing).
    """
    x0, y0 = _origin(ends, cell, margin)
    ax, ay = ends[:, 0, 0], ends[:, 0, 1]
    dx, dy = ends[:, 1, 0] - ax, ends[:, 1, 1] - ay
    k = np.ceil(np.hypot(dx, dy) / cell).astype(np.int64) + 1
    t = np.arange(k.sum(), dtype=np.float64)
    t -= np.repeat((np.cumsum(k) - k).astype(np.float64), k)
    t /= np.repeat(np.maximum(k - 1, 1).astype(np.float64), k)
    cells = []
    for start, delta, origin in ((ax, dx, x0), (ay, dy, y0)):
        coord = np.repeat(delta, k)
        coord *= t
        coord += np.repeat(start, k)
        coord -= origin
        cells.append((coord // cell).astype(np.int64))
    return cells[0], cells[1]


def _cut_unreached(area: shapely.Geometry, access: Access, dist: NDArray[np.float64], limit_m: float,
                   frontage_m: float) -> shapely.Geometry:
    att = access.community_attachment
    points = access.communities.geometry.to_numpy()
    assert att is not None
    reached = np.zeros(len(points), dtype=bool)
    reached[att.attached] = dist[att.node[att.attached]] <= limit_m
    candidates = ~reached & ~shapely.is_missing(points) & ~shapely.is_empty(points)
    shapely.prepare(area)
    inside = np.zeros(len(points), dtype=bool)
    inside[candidates] = shapely.intersects(area, points[candidates])
    if not inside.any():
        return area
    log.debug("service area: %d unreached communities inside the frontage cut out", int(inside.sum()))
    holes = shapely.union_all(shapely.buffer(points[inside], min(frontage_m / 2, 10.0)))
    return shapely.difference(area, holes)


def service_areas(access: Access, rules: list[Rule], walk_speed_m_per_min: float,
                  speed_basis: str = "") -> gpd.GeoDataFrame:
    """Per reach rule that reaches anything, its service area and the street frontage it leaves uncovered.

    Columns: rule_id, title, minutes, limit_m, facility_type, coverage ("covered" / "uncovered"), geometry.
    """
    graph = access.graph
    rows = []
    streets = None
    for rule in rules:
        if KINDS[rule.kind].map_layer != "service_area":
            continue
        types = list(rule.params["types"])
        limit = float(rule.params["minutes"]) * rule_speed(rule.params, walk_speed_m_per_min, speed_basis)[0]
        area = service_area(access, types, limit)
        if shapely.is_empty(area) or graph is None:
            continue
        if streets is None:  # the frontage of every street, once for all rules
            streets = frontage(reached_pieces(graph.x, graph.y, graph.u, graph.v, graph.length,
                                              np.zeros(graph.n_nodes), np.inf), settings.service_area_frontage_m)
        base = {"rule_id": rule.id, "title": rule.title_zh, "minutes": float(rule.params["minutes"]),
                "limit_m": round(limit, 1), "facility_type": types[0]}
        rows.append({**base, "coverage": "covered", "geometry": area})
        rows.append({**base, "coverage": "uncovered", "geometry": shapely.difference(streets, area)})
    columns = ["rule_id", "title", "minutes", "limit_m", "facility_type", "coverage", "geometry"]
    frame = pd.DataFrame([r for r in rows if not shapely.is_empty(r["geometry"])], columns=columns)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=access.communities.crs)
