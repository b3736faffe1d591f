"""The study area (rows outside it are flagged and left out of rates) and the walking network's outer edge.

Study area, in order of preference:

1. the union of the project's admin-unit polygons (``[admin_units]``);
2. else, with a walking network, the convex hull of its nodes widened by :data:`NETWORK_MARGIN_M` (a compound
   that far beyond the streets was not meant to be audited with them);
3. else the points themselves: a row farther from the median point of the layer than
   max(:data:`OUTLIER_MIN_M`, :data:`OUTLIER_FACTOR` × the median such distance) is a spatial outlier
   (a compound geocoded to another province), robust to any number of such rows below half.

Communities outside are flagged "outside the study area", keep their place and status in every output, and
get a ``rate_excluded`` reason so that no rate counts them; facilities outside get one too, so that no count
or sum (presence, ratio, count, provision) includes them (for facilities the network's extent is not used:
a city-wide facilities layer with a district's network is normal).

The network's edge: a community whose straight-line distance to the boundary of the network's convex hull
is shorter than a reach rule's walking distance could have a facility within reach beyond the extract,
which the audit cannot see. Straight-line distance is a lower bound of the walk, so no community whose walk
could cross the edge is missed.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from geoplan._rowchecks import RATE_EXCLUDED
from geoplan.network import Network

log = logging.getLogger(__name__)

NETWORK_MARGIN_M = 5_000.0
OUTLIER_MIN_M = 50_000.0
OUTLIER_FACTOR = 10.0
OUTSIDE = "outside the study area"


def _points(gdf: gpd.GeoDataFrame) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    geom = gdf.geometry
    has = (geom.notna() & ~geom.is_empty.fillna(True)).to_numpy()
    xy = np.full((len(gdf), 2), np.nan)
    if has.any():
        xy[has] = shapely.get_coordinates(geom.to_numpy()[has])
    return has, xy


def network_hull(network: Network) -> Any:
    """Convex hull of the network's nodes (its outer boundary), in the network's CRS.

    Qhull finds the hull's vertices of a million nodes in a fraction of a second; the last hull is kept, since
    an audit asks for it twice (study area, edge distances).
    """
    cached = _HULL.get("hull")
    if cached is not None and cached[0] is network:
        return cached[1]
    xy = np.column_stack([network.x, network.y])
    try:
        hull: Any = shapely.Polygon(xy[ConvexHull(xy).vertices])
    except QhullError:  # all nodes on a line or a point: no area, no edge to speak of
        hull = shapely.convex_hull(shapely.multipoints(xy))
    _HULL["hull"] = (network, hull)
    return hull


_HULL: dict[str, tuple[Network, Any]] = {}


def edge_distance_m(gdf: gpd.GeoDataFrame, network: Network | None) -> NDArray[np.float64]:
    """Straight-line distance (m) from each point to the network's outer boundary; 0 beyond it, NaN unknown."""
    out = np.full(len(gdf), np.nan)
    if network is None or network.n_nodes < 3 or not len(gdf):
        return out
    has, xy = _points(gdf)
    hull = network_hull(network)
    if hull.geom_type != "Polygon":
        return out
    pts = shapely.points(xy[has])
    d = shapely.distance(pts, hull.exterior)
    out[has] = np.where(shapely.contains_xy(hull, xy[has, 0], xy[has, 1]), d, 0.0)
    return out


def outside_study_area(gdf: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None, network: Network | None,
                       reference: gpd.GeoDataFrame | None = None) -> tuple[NDArray[np.bool_], str]:
    """Which points lie outside the study area, and the reason text (see the module docstring).

    ``reference`` is the layer whose median defines the outlier test (the communities), ``gdf`` by default.
    """
    has, xy = _points(gdf)
    out = np.zeros(len(gdf), dtype=bool)
    if not has.any():
        return out, ""
    shapes = units.geometry.dropna() if units is not None else None
    if shapes is not None and len(shapes) and not shapes.is_empty.all():
        area = shapes.union_all()
        out[has] = ~shapely.intersects_xy(area, xy[has, 0], xy[has, 1])
        return out, f"{OUTSIDE} (in no admin unit of the project)"
    if network is not None and network.n_nodes >= 3:
        area = shapely.buffer(network_hull(network), NETWORK_MARGIN_M)
        out[has] = ~shapely.intersects_xy(area, xy[has, 0], xy[has, 1])
        return out, f"{OUTSIDE} (more than {NETWORK_MARGIN_M / 1000:g} km beyond the walking network)"
    ref_has, ref_xy = _points(reference if reference is not None else gdf)
    if ref_has.sum() < 3:
        return out, ""
    centre = np.median(ref_xy[ref_has], axis=0)
    scale = float(np.median(np.hypot(*(ref_xy[ref_has] - centre).T)))
    limit = max(OUTLIER_MIN_M, OUTLIER_FACTOR * scale)
    d = np.hypot(*(xy - centre).T)
    out[has] = d[has] > limit
    return out, (f"{OUTSIDE} (more than {limit / 1000:.0f} km from the median point of the communities, "
                 f"half of which lie within {scale / 1000:.1f} km of it)")


def _append(flags: pd.Series, mask: NDArray[np.bool_], text: str) -> pd.Series:
    values = flags.astype(object).to_numpy(copy=True)
    values[mask] = [f"{v}; {text}" if v else text for v in values[mask]]
    return pd.Series(values, index=flags.index, dtype=object)


def flag_outside(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None,
                 network: Network | None) -> list[str]:
    """Flag rows outside the study area in place (communities also get ``rate_excluded``); layer notes."""
    notes = []
    for name, gdf in (("communities", communities), ("facilities", facilities)):
        # A city-wide facilities layer may reach far beyond a district's network: for facilities only the
        # admin units or a gross outlier (another province) decide, never the network's extent.
        mask, reason = outside_study_area(gdf, units, network if name == "communities" else None,
                                          reference=communities)
        if not mask.any():
            continue
        rest = "kept in every output, left out of rates" if name == "communities" else \
            "kept in every output, left out of counts and sums"
        gdf["flags"] = _append(gdf["flags"], mask, f"{reason}: {rest}")
        excl = gdf[RATE_EXCLUDED].astype(object).to_numpy(copy=True) if RATE_EXCLUDED in gdf else np.full(
            len(gdf), "", dtype=object)
        excl[mask & (excl == "")] = OUTSIDE
        gdf[RATE_EXCLUDED] = excl
        notes.append(f"{int(mask.sum())} of {len(gdf)} {name} {reason}: flagged, {rest}")
        log.warning("%s", notes[-1])
    return notes
