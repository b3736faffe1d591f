"""The solver's models on GeoDataFrames and a walking network (spopt's ``from_geodataframe``, here as functions).

:func:`cost_matrix` measures walking distances from candidate sites and existing facilities to the demand
points over the street network (:func:`geoplan.access.site_reach`: everything attached together, as an audit
attaches it; straight lines × a detour factor, labelled, without a network) and returns them as the sparse
demand × column matrix :mod:`geoplan.siting.solver` takes, the candidates first and the existing facilities
as fixed columns after them. :func:`lscp_from_geodataframe` and :func:`mclp_from_geodataframe` build it and
solve; their solutions' column indices are positions in ``candidates`` (then ``existing``).

Typical use::

    from geoplan.network import load_network
    from geoplan.siting import lscp_from_geodataframe

    net = load_network("walk.osm.pbf", crs="EPSG:4549")
    sol = lscp_from_geodataframe(homes, sites, net, limit_m=1000, existing=kindergartens)
    sites.iloc[sol.selected]
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geoplan import settings
from geoplan._errors import InputError
from geoplan._hints import API_ARGUMENT
from geoplan.access import site_reach
from geoplan.network import Network
from geoplan.siting.solver import SitingSolution, lscp, mclp


@dataclass(frozen=True)
class CostMatrix:
    """Walking distances from the columns (candidates, then existing facilities) to the demand points.

    Attributes
    ----------
    costs : scipy.sparse.csr_array, shape (n_demand, n_candidates + n_existing)
        Metres, stored only within ``limit_m`` (an unstored entry is out of reach).
    fixed : int array
        Columns of the existing facilities (after the candidates).
    site_attached : bool array, shape (n_columns,)
        Per column: placed on the network (within the snapping distance of a walkable street).
    basis : str
        ``"network"`` or the labelled straight-line fallback.
    limit_m : float
        The reach the matrix was measured to.
    """

    costs: sp.csr_array
    fixed: NDArray[np.int64]
    site_attached: NDArray[np.bool_]
    basis: str
    limit_m: float


def _points(frame: gpd.GeoDataFrame, name: str, crs: pyproj.CRS | None) -> NDArray[np.float64]:
    """The (x, y) of a point layer in ``crs``; an :class:`InputError` naming the layer when it cannot be used."""
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{name}: a GeoDataFrame of points is needed, got {type(frame).__name__}"
        raise InputError(msg, hint=API_ARGUMENT)
    if crs is not None and frame.crs is not None and not pyproj.CRS(frame.crs).equals(crs):
        msg = f"{name}: CRS {frame.crs} differs from the network's {crs.to_string()}; reproject it with to_crs()"
        raise InputError(msg, hint=API_ARGUMENT)
    geoms = frame.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = shapely.get_type_id(geoms[present])
    if (kinds != shapely.GeometryType.POINT).any():
        row = int(np.flatnonzero(present)[np.flatnonzero(kinds != shapely.GeometryType.POINT)[0]])
        msg = f"{name}: row {row} is not a point; pass points (e.g. the layer's representative_point())"
        raise InputError(msg, hint=API_ARGUMENT)
    xy = np.full((len(frame), 2), np.nan)
    if present.any():
        xy[present] = shapely.get_coordinates(geoms[present])
    return xy


def cost_matrix(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: Network | None,
    *,
    limit_m: float,
    existing: gpd.GeoDataFrame | None = None,
    max_snap_m: float | None = None,
    detour_factor: float | None = None,
) -> CostMatrix:
    """Walking distances within ``limit_m`` from candidates and existing facilities to demand points.

    Parameters
    ----------
    demand, candidates : GeoDataFrame
        Points in the network's (metric) CRS. A demand without coordinates, or off the network, gets no entry.
    network : Network or None
        The walking network; None for straight lines × ``detour_factor`` (labelled in ``basis``).
    limit_m : float
        Reach in metres (positive, finite).
    existing : GeoDataFrame, optional
        Existing facilities (points): fixed columns after the candidates.
    max_snap_m : float, optional
        Largest distance from a point to a walkable street (default :data:`geoplan.settings.max_snap_m`).
    detour_factor : float, optional
        Without a network (default :data:`geoplan.settings.euclidean_detour_factor`).

    Returns
    -------
    CostMatrix
    """
    if not (isinstance(limit_m, (int, float)) and np.isfinite(limit_m) and limit_m > 0):
        msg = f"limit_m={limit_m!r}: give the reach as a positive number of metres"
        raise InputError(msg, hint=API_ARGUMENT)
    crs = network.crs if network is not None else None
    dem_xy = _points(demand, "demand", crs)
    xy = [_points(candidates, "candidates", crs)]
    if existing is not None:
        xy.append(_points(existing, "existing", crs))
    sites = np.concatenate(xy)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(dem_xy[:, 0], dem_xy[:, 1]), crs=demand.crs)
    reach = site_reach(points, sites, network, limit_m=float(limit_m),
                       max_snap_m=settings.max_snap_m if max_snap_m is None else max_snap_m,
                       detour_factor=settings.euclidean_detour_factor if detour_factor is None else detour_factor)
    pairs: pd.DataFrame = reach.pairs
    costs = sp.csr_array((pairs["dist_m"].to_numpy(dtype=float),
                          (pairs["community"].to_numpy(dtype=np.int64), pairs["site"].to_numpy(dtype=np.int64))),
                         shape=(len(demand), len(sites)))
    fixed = np.arange(len(candidates), len(sites), dtype=np.int64)
    return CostMatrix(costs, fixed, np.asarray(reach.site_attached, dtype=bool), reach.basis, float(limit_m))


def lscp_from_geodataframe(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: Network | None,
    *,
    limit_m: float,
    existing: gpd.GeoDataFrame | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """Fewest candidates such that every demand point some column reaches is within ``limit_m`` of one.

    Parameters are those of :func:`cost_matrix`, and ``time_limit`` / ``mip_gap`` of
    :func:`geoplan.siting.solver.lscp`. Selected columns are positions in ``candidates``.

    Returns
    -------
    SitingSolution
    """
    m = cost_matrix(demand, candidates, network, limit_m=limit_m, existing=existing)
    return lscp(m.costs, limit=m.limit_m, fixed=m.fixed, time_limit=time_limit, mip_gap=mip_gap)


def mclp_from_geodataframe(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: Network | None,
    *,
    weight: str,
    p: int,
    limit_m: float,
    existing: gpd.GeoDataFrame | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """``p`` candidates covering the most ``weight`` (a numeric column of ``demand``) within ``limit_m``.

    Parameters are those of :func:`cost_matrix`, and ``p``, ``time_limit`` / ``mip_gap`` of
    :func:`geoplan.siting.solver.mclp`. A missing or non-numeric weight is an error naming its row.

    Returns
    -------
    SitingSolution
    """
    if weight not in demand.columns:
        msg = f"demand: no column {weight!r} for the weight (columns: {', '.join(map(str, demand.columns))})"
        raise InputError(msg, hint=API_ARGUMENT)
    w = pd.to_numeric(demand[weight], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (f"demand row {row}, column {weight!r}: {demand[weight].iloc[row]!r} is not a non-negative number "
               f"({int(bad.sum())} such rows); fill or drop them")
        raise InputError(msg, hint=API_ARGUMENT)
    m = cost_matrix(demand, candidates, network, limit_m=limit_m, existing=existing)
    return mclp(m.costs, w, p, limit=m.limit_m, fixed=m.fixed, time_limit=time_limit, mip_gap=mip_gap)
