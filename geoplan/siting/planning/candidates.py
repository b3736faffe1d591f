"""Candidate sites for new facilities: a given layer, and/or points generated in the gap areas.

* *Given* candidates are rows of the facilities layer whose plan type is ``"candidate"`` (community centres,
  street offices, vacant public buildings: the project maps their data values to ``candidate`` in
  ``[facility_types]``), or any point layer passed in.
* *Generated* candidates are street-network nodes within the rule's walking distance of at least one failing
  community, thinned to one per ``spacing_m`` grid cell (the node nearest the cell's centre). A failing
  community that thinning leaves without a candidate in reach gets the point of the street in front of it, so
  thinning never makes a community uncoverable. Without a network, grid-cell centres within the straight-line
  equivalent of the distance are used.

Either kind is dropped where it lies in (or within ``mask_buffer_m`` of) a masked area.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geoplan._errors import Hint, InputError
from geoplan.network import Network, attach_points, nearest_source
from geoplan.project import CANDIDATE_TYPE

log = logging.getLogger(__name__)

#: Plan type that marks a facility row as a candidate site (see ``[facility_types]`` in the project file).
#: Columns of every candidate table (plus geometry).
COLUMNS: Final = ("candidate_id", "name", "source", "floor_area_m2")

MaskLike: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | os.PathLike[str] | None


def _frame(ids: list[str] | NDArray[np.object_], names: list[str] | NDArray[np.object_], source: str,
           xy: NDArray[np.float64], crs: pyproj.CRS, area: NDArray[np.float64] | None = None) -> gpd.GeoDataFrame:
    n = len(ids)
    return gpd.GeoDataFrame(
        {"candidate_id": pd.Series(ids, dtype=object), "name": pd.Series(names, dtype=object),
         "source": source, "floor_area_m2": area if area is not None else np.full(n, np.nan)},
        geometry=shapely.points(xy) if n else gpd.GeoSeries([], crs=crs), crs=crs,
    )


def empty(crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """A candidate table with no rows."""
    return _frame([], [], "given", np.empty((0, 2)), crs)


def given_candidates(facilities: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Candidate sites from the facilities layer (type ``candidate``) and an optional extra point layer.

    Parameters
    ----------
    facilities : GeoDataFrame
        The audit's facilities (metric CRS, canonical columns).
    layer : GeoDataFrame, optional
        More candidate points in any CRS (``candidate_id`` / ``facility_id``, ``name`` and ``floor_area_m2``
        columns used when present).

    Returns
    -------
    GeoDataFrame
        :data:`COLUMNS`, ``source = "given"``, in the facilities' CRS; rows without a point are dropped.

    Raises
    ------
    InputError
        ``layer`` has no CRS, or holds something other than points.
    """
    crs = facilities.crs
    parts = [facilities[facilities["facility_type"] == CANDIDATE_TYPE]] if len(facilities) else []
    if layer is not None:
        if layer.crs is None:
            msg = "the candidate layer has no CRS"
            raise InputError(msg, hint=Hint(zh="先为候选图层设定坐标系（Shapefile 旁放 .prj）",
                                            en="set one before siting (a .prj beside a Shapefile, or "
                                               "layer.set_crs('EPSG:4326'))"))
        kinds = set(layer.geom_type.dropna()) - {"Point"}
        if kinds:
            msg = f"the candidate layer must hold points, found {', '.join(sorted(kinds))}"
            raise InputError(msg, hint=Hint(zh="候选站点图层须为点图层", en="give a layer of points as candidates"))
        extra = layer.to_crs(crs).reset_index(drop=True)
        id_col = next((c for c in ("candidate_id", "facility_id") if c in extra.columns), None)
        ids = extra[id_col].astype(str) if id_col else pd.Series([f"G{i + 1:04d}" for i in range(len(extra))])
        parts.append(extra.assign(facility_id=ids.to_numpy()))
    if not parts:
        return empty(crs)
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows.geometry.notna() & ~rows.geometry.is_empty]
    names = rows["name"].astype(object).fillna("") if "name" in rows.columns else pd.Series("", index=rows.index)
    area = (pd.to_numeric(rows["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
            if "floor_area_m2" in rows.columns else None)
    xy = shapely.get_coordinates(rows.geometry.to_numpy())
    return _frame(rows["facility_id"].astype(str).to_numpy(dtype=object), names.to_numpy(dtype=object), "given",
                  xy, crs, area)


def mask_geometry(mask: MaskLike, crs: pyproj.CRS) -> BaseGeometry | None:
    """One geometry (in ``crs``) of the areas where no site may go, from a layer, a geometry or a file.

    A bare shapely geometry is taken to be in ``crs`` already; a layer or file needs its own CRS.

    Raises
    ------
    InputError
        A layer or file without a CRS, or a file that cannot be read.
    """
    if mask is None:
        return None
    if isinstance(mask, BaseGeometry):
        return mask
    layer: gpd.GeoDataFrame | gpd.GeoSeries
    if isinstance(mask, str | os.PathLike):
        try:
            layer = gpd.read_file(Path(mask))
        except Exception as exc:  # GDAL raises many kinds for an unreadable file
            msg = f"cannot read the mask layer {mask}: {exc}"
            raise InputError(msg, hint=Hint(zh="给出 GeoPackage、Shapefile 或 GeoJSON 面图层",
                                            en="give a GeoPackage, Shapefile or GeoJSON polygon layer")) from exc
    else:
        layer = mask
    if layer.crs is None:
        msg = "the mask layer has no CRS"
        raise InputError(msg, hint=Hint(zh="先为禁止区域图层设定坐标系（Shapefile 旁放 .prj）",
                                        en="set one before siting (a .prj beside a Shapefile)"))
    shapes = layer.to_crs(crs).geometry.dropna() if isinstance(layer, gpd.GeoDataFrame) else layer.to_crs(crs).dropna()
    return shapely.union_all(shapes.to_numpy()) if len(shapes) else None


def outside_mask(xy: NDArray[np.float64], mask: BaseGeometry | None, buffer_m: float = 0.0) -> NDArray[np.bool_]:
    """Points not in (nor within ``buffer_m`` of) the masked areas."""
    if mask is None or len(xy) == 0:
        return np.ones(len(xy), dtype=bool)
    area = mask.buffer(buffer_m) if buffer_m > 0 else mask
    return np.asarray(~shapely.intersects(area, shapely.points(xy)), dtype=bool)


def thin_to_grid(xy: NDArray[np.float64], spacing_m: float) -> NDArray[np.int64]:
    """Keep one point per ``spacing_m`` grid cell: the one nearest the cell's centre (lowest index on ties).

    Returns
    -------
    ndarray of int
        Positions kept, ordered by cell (row, then column).
    """
    if not spacing_m > 0:
        msg = f"spacing must be a positive distance in metres, got {spacing_m}"
        raise InputError(msg, hint=Hint(zh="--spacing 给出大于 0 的米数", en="give --spacing in metres > 0"))
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    cell = np.floor(xy / spacing_m).astype(np.int64)
    centre = (cell + 0.5) * spacing_m
    off = np.hypot(*(xy - centre).T)
    order = np.lexsort((np.arange(len(xy)), off, cell[:, 0], cell[:, 1]))
    c = cell[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (c[1:] != c[:-1]).any(axis=1)
    return order[first].astype(np.int64)


def generated_candidates(
    network: Network | None,
    communities: gpd.GeoDataFrame,
    failing: NDArray[np.int64],
    reach_m: float,
    *,
    spacing_m: float,
    max_snap_m: float,
    detour_factor: float,
    mask: BaseGeometry | None = None,
    mask_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Points in the gap areas of one rule: street nodes within ``reach_m`` of a failing community, thinned.

    Parameters
    ----------
    network : Network or None
        The walking network (None: grid-cell centres within ``reach_m / detour_factor`` in a straight line).
    communities : GeoDataFrame
        All communities (metric CRS).
    failing : int array
        Row positions of the communities to reach.
    reach_m : float
        The rule's walking distance.
    spacing_m : float
        Grid spacing of the thinning.
    max_snap_m, detour_factor : float
        As in the audit.
    mask, mask_buffer_m
        Areas where no site may go (see :func:`outside_mask`).

    Returns
    -------
    GeoDataFrame
        :data:`COLUMNS`, ``source = "generated"``.
    """
    crs = communities.crs
    xy_all = shapely.get_coordinates(communities.geometry.to_numpy()[failing])
    if len(failing) == 0:
        return _frame([], [], "generated", np.empty((0, 2)), crs)
    if network is None:
        xy, ids = _grid_points(xy_all, reach_m / detour_factor, spacing_m)
        front = xy_all
    else:
        graph, att = attach_points(network, {"failing": xy_all}, max_snap_m)
        on = att["failing"].attached
        d, _ = nearest_source(graph, att["failing"].node[on], np.arange(network.n_nodes), limit_m=reach_m)
        nodes = np.flatnonzero(np.isfinite(d))
        xy = np.column_stack([network.x[nodes], network.y[nodes]])
        osm = network.osm_ids[nodes] if network.osm_ids is not None else nodes
        ids = np.array([f"node:{n}" for n in osm], dtype=object)
        front = _street_points(network, xy_all, att["failing"].edge)
    keep = thin_to_grid(xy, spacing_m)
    keep = keep[outside_mask(xy[keep], mask, mask_buffer_m)]
    xy, ids = xy[keep], ids[keep]
    added = _repair(network, xy, xy_all, front, reach_m, detour_factor, max_snap_m)
    added = added[outside_mask(front[added], mask, mask_buffer_m)]
    names = communities["name"].astype(str).to_numpy()[failing] if "name" in communities else None
    com_ids = communities["community_id"].astype(str).to_numpy()[failing]
    extra_ids = np.array([f"front:{com_ids[i]}" for i in added], dtype=object)
    extra_names = np.array([f"{names[i] if names is not None else com_ids[i]} 门前 (street in front)"
                            for i in added], dtype=object)
    log.info("generated %d candidates (%d thinned to %g m, %d in front of communities thinning left out)",
             len(xy) + len(added), len(xy), spacing_m, len(added))
    return _frame(np.concatenate([ids, extra_ids]), np.concatenate([np.full(len(xy), "", dtype=object), extra_names]),
                  "generated", np.concatenate([xy, front[added]]), crs)


def _grid_points(xy: NDArray[np.float64], radius: float, spacing: float) -> tuple[NDArray[np.float64],
                                                                                    NDArray[np.object_]]:
    """Centres of ``spacing`` grid cells within ``radius`` (straight line) of any of the points."""
    lo = np.floor((xy.min(axis=0) - radius) / spacing).astype(np.int64)
    hi = np.floor((xy.max(axis=0) + radius) / spacing).astype(np.int64)
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1))
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    centres = (cells + 0.5) * spacing
    d, _ = cKDTree(xy).query(centres, distance_upper_bound=radius)
    ok = np.isfinite(d)
    ids = np.array([f"cell:{a}_{b}" for a, b in cells[ok]], dtype=object)
    return centres[ok], ids


def _street_points(network: Network, xy: NDArray[np.float64], edge: NDArray[np.int64]) -> NDArray[np.float64]:
    """Projection of each point on its attachment edge (the point itself where it is not attached)."""
    out = xy.copy()
    ok = edge >= 0
    e = edge[ok]
    a = np.column_stack([network.x[network.u[e]], network.y[network.u[e]]])
    b = np.column_stack([network.x[network.v[e]], network.y[network.v[e]]])
    ab = b - a
    len2 = (ab**2).sum(axis=1)
    t = np.clip(np.divide(((xy[ok] - a) * ab).sum(axis=1), len2, out=np.zeros(len(e)), where=len2 > 0), 0, 1)
    out[ok] = a + t[:, None] * ab
    return out


def _repair(network: Network | None, kept: NDArray[np.float64], targets: NDArray[np.float64],
            front: NDArray[np.float64], reach_m: float, detour_factor: float, max_snap_m: float) -> NDArray[np.int64]:
    """Failing communities (positions in ``targets``) no kept candidate reaches, whose street point is added."""
    if network is None:
        if len(kept) == 0:
            return np.arange(len(targets), dtype=np.int64)
        d, _ = cKDTree(kept).query(targets, distance_upper_bound=reach_m / detour_factor)
        return np.flatnonzero(~np.isfinite(d)).astype(np.int64)
    graph, att = attach_points(network, {"kept": kept, "targets": targets}, max_snap_m)
    d, _ = nearest_source(graph, att["kept"].node, att["targets"].node, limit_m=reach_m)
    return np.flatnonzero(~np.isfinite(d) & att["targets"].attached).astype(np.int64)
