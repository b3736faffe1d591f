"""Distances from communities to the nearest facility of given types.

One object per audit: it attaches communities and facilities to the walking network once, then answers
``nearest(types)`` with one multi-source shortest-path pass per set of types (cached). Without a network it
falls back to straight-line distance × a detour factor, and says so in every answer (``basis``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geoplan import settings
from geoplan.network import (
    Attachment,
    Network,
    attach_points,
    distances_within,
    nearest_source,
    node_distances,
    source_field,
)

log = logging.getLogger(__name__)

NETWORK = "network"
_NO_XY = "no usable coordinates / 坐标缺失或无效"


def _has_xy(gdf: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """Rows with usable coordinates."""
    return np.asarray(np.isfinite(_xy(gdf)).all(axis=1), dtype=bool)


@dataclass(frozen=True)
class Nearest:
    """Nearest facility of some types, per community.

    dist_m : float array
        Walking distance in metres; ``inf`` where no facility is reachable within ``limit_m``.
    facility : int array
        Row position (``iloc``) in the facilities table of that facility, -1 where none.
    evaluable : bool array
        False where the community could not be placed on the network (``reason`` says why).
    reason : object array
        Why a community is not evaluable (None where it is).
    basis : str
        ``"network"`` or ``"euclidean x1.3 (no network given)"``.
    limit_m : float
        Search radius: distances beyond it are reported as ``inf``.
    """

    dist_m: NDArray[np.float64]
    facility: NDArray[np.int64]
    evaluable: NDArray[np.bool_]
    reason: NDArray[np.object_]
    basis: str
    limit_m: float


def _xy(gdf: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Point coordinates; NaN for rows without a geometry."""
    if not len(gdf):
        return np.empty((0, 2))
    coords = shapely.get_coordinates(gdf.geometry.to_numpy(), include_z=False)
    out = np.full((len(gdf), 2), np.nan)
    has = ~(shapely.is_missing(gdf.geometry.to_numpy()) | shapely.is_empty(gdf.geometry.to_numpy()))
    out[has] = coords
    return out


def _scatter(part: Attachment, rows: NDArray[np.bool_]) -> Attachment:
    """Expand an attachment of the rows in ``rows`` to all rows (others: not attached)."""
    n = len(rows)
    node = np.full(n, -1, dtype=np.int64)
    offset = np.full(n, np.nan)
    edge = np.full(n, -1, dtype=np.int64)
    attached = np.zeros(n, dtype=bool)
    node[rows], offset[rows], edge[rows], attached[rows] = part.node, part.offset_m, part.edge, part.attached
    return Attachment(node=node, offset_m=offset, edge=edge, attached=attached)


@dataclass
class Access:
    """Nearest-facility distances for one audit (communities and facilities in the network's CRS).

    Parameters
    ----------
    communities, facilities : GeoDataFrame
        Point layers in the metric CRS; facilities need ``facility_type``.
    network : Network or None
        The walking network, or None for the labelled Euclidean fallback.
    max_snap_m : float
        Points farther than this from a walkable edge are not attached (not evaluable).
    limit_m : float
        Search radius for shortest paths.
    """

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: Network | None
    max_snap_m: float = settings.max_snap_m
    limit_m: float = np.inf
    detour_factor: float = settings.euclidean_detour_factor
    graph: Network | None = field(init=False, default=None)
    community_attachment: Attachment | None = field(init=False, default=None)
    facility_attachment: Attachment | None = field(init=False, default=None)
    _cache: dict[tuple[str, ...], Nearest] = field(init=False, default_factory=dict)
    _fields: dict[tuple[str, ...], tuple[NDArray[np.float64], NDArray[np.int64]]] = field(init=False,
                                                                                        default_factory=dict)

    def __post_init__(self) -> None:
        if self.network is None:
            return
        xy = {"communities": _xy(self.communities), "facilities": _xy(self.facilities)}
        # Rows without coordinates stay in the tables but are not offered to the snapper.
        finite = {"communities": _has_xy(self.communities), "facilities": _has_xy(self.facilities)}
        self.graph, attached = attach_points(self.network, {k: xy[k][finite[k]] for k in xy}, self.max_snap_m)
        self.community_attachment = _scatter(attached["communities"], finite["communities"])
        self.facility_attachment = _scatter(attached["facilities"], finite["facilities"])
        log.info(
            "attached %d/%d communities and %d/%d facilities to the network (max snap %.0f m)",
            int(self.community_attachment.attached.sum()), len(self.communities),
            int(self.facility_attachment.attached.sum()), len(self.facilities), self.max_snap_m,
        )

    @property
    def basis(self) -> str:
        """``"network"`` or the labelled Euclidean fallback."""
        if self.network is not None:
            return NETWORK
        return f"euclidean x{self.detour_factor:g} (no network given)"

    def facility_mask(self, types: Sequence[str]) -> NDArray[np.bool_]:
        """Facilities whose plan type is one of ``types``."""
        return np.asarray(self.facilities["facility_type"].isin(list(types)).to_numpy(), dtype=bool)

    def facility_on_network(self) -> NDArray[np.bool_]:
        """Facilities usable as sources: attached to the network (all, for the Euclidean fallback)."""
        if self.facility_attachment is None:
            return _has_xy(self.facilities)
        return self.facility_attachment.attached

    def nearest(self, types: Sequence[str]) -> Nearest:
        """Distance from every community to the nearest facility of any of ``types``."""
        key = tuple(sorted(types))
        if key not in self._cache:
            self._cache[key] = self._network_nearest(key) if self.network else self._euclidean_nearest(key)
        return self._cache[key]

    def node_distances(self, types: Sequence[str], limit_m: float) -> NDArray[np.float64]:
        """Walking distance from every node of :attr:`graph` to the nearest attached facility of ``types``.

        Exact up to ``limit_m`` (inf or any larger value beyond it). Within the audit's search radius this is
        the pass :meth:`nearest` made (no second search); a larger ``limit_m`` searches again.
        """
        assert self.graph is not None and self.facility_attachment is not None
        key = tuple(sorted(types))
        if limit_m <= self.limit_m:
            return self._field(key)[0]
        sources = self.facility_attachment.node[self.facility_mask(key) & self.facility_attachment.attached]
        return node_distances(self.graph, sources, limit_m)

    def _field(self, types: tuple[str, ...]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        # One multi-source pass per type set, kept: the per-node distances serve the rules and the service areas.
        assert self.graph is not None and self.facility_attachment is not None
        if types not in self._fields:
            fac_ok = self.facility_mask(types) & self.facility_attachment.attached
            self._fields[types] = source_field(self.graph, self.facility_attachment.node[fac_ok], self.limit_m)
        return self._fields[types]

    def _network_nearest(self, types: tuple[str, ...]) -> Nearest:
        assert self.graph is not None and self.community_attachment is not None
        assert self.facility_attachment is not None
        fac_ok = self.facility_mask(types) & self.facility_attachment.attached
        fac_pos = np.flatnonzero(fac_ok)
        com = self.community_attachment
        dist = np.full(len(self.communities), np.inf)
        nearest = np.full(len(self.communities), -1, dtype=np.int64)
        targets = np.flatnonzero(com.attached)
        if len(fac_pos) and len(targets):
            d, src = nearest_source(self.graph, self.facility_attachment.node[fac_pos], com.node[targets],
                                    limit_m=self.limit_m, field=self._field(types))
            dist[targets] = d
            nearest[targets] = np.where(src >= 0, fac_pos[np.maximum(src, 0)], -1)
        reason = np.full(len(self.communities), None, dtype=object)
        reason[~com.attached] = (
            f"farther than {self.max_snap_m:g} m from any walkable street (not attached to the network) / "
            f"距步行路网超过{self.max_snap_m:g}米"
        )
        no_xy = ~_has_xy(self.communities)
        reason[no_xy] = _NO_XY
        return Nearest(dist, nearest, com.attached.copy(), reason, self.basis, self.limit_m)

    def _euclidean_nearest(self, types: tuple[str, ...]) -> Nearest:
        # facilities without a point (unplaceable, or a geocoder's fallback point removed) reach no one
        fac_pos = np.flatnonzero(self.facility_mask(types) & _has_xy(self.facilities))
        n = len(self.communities)
        dist = np.full(n, np.inf)
        nearest = np.full(n, -1, dtype=np.int64)
        if len(fac_pos) and n:
            tree = cKDTree(_xy(self.facilities)[fac_pos])
            xy = _xy(self.communities)
            ok = np.isfinite(xy).all(axis=1)
            d = np.full(n, np.inf)
            i = np.zeros(n, dtype=np.int64)
            d[ok], i[ok] = tree.query(xy[ok], distance_upper_bound=self.limit_m / self.detour_factor)
            hit = np.isfinite(d)
            dist[hit] = d[hit] * self.detour_factor
            nearest[hit] = fac_pos[i[hit]]
        evaluable = _has_xy(self.communities)
        reason = np.full(n, None, dtype=object)
        reason[~evaluable] = _NO_XY
        return Nearest(dist, nearest, evaluable, reason, self.basis, self.limit_m)


@dataclass(frozen=True)
class SiteReach:
    """Walking distances from (candidate) sites to communities, up to a limit.

    Attributes
    ----------
    pairs : DataFrame
        ``site`` (row position in the sites given), ``community`` (row position in the communities) and
        ``dist_m``, one row per pair within ``limit_m``, sorted by site then community.
    site_attached : bool array
        Per site: placed on the network (within ``max_snap_m`` of a walkable street); for the Euclidean
        fallback, has finite coordinates.
    site_offset_m : float array
        Per site: straight-line distance to the street it was attached to (NaN when not attached; 0 for the
        Euclidean fallback).
    basis : str
        ``"network"`` or the labelled Euclidean fallback.
    limit_m : float
        The search radius.
    """

    pairs: pd.DataFrame
    site_attached: NDArray[np.bool_]
    site_offset_m: NDArray[np.float64]
    basis: str
    limit_m: float


def site_reach(
    communities: gpd.GeoDataFrame,
    sites_xy: NDArray[np.float64],
    network: Network | None,
    *,
    limit_m: float,
    max_snap_m: float = settings.max_snap_m,
    detour_factor: float = settings.euclidean_detour_factor,
) -> SiteReach:
    """Every (site, community) pair within ``limit_m`` walking distance, for siting coverage matrices.

    Communities and sites are attached to the network together (as an audit attaches communities and
    facilities), so a site later added to the facilities layer is exactly as far from each community as
    reported here. Without a network, straight-line distance × ``detour_factor`` (labelled in ``basis``).

    Parameters
    ----------
    communities : GeoDataFrame
        Points in the network's metric CRS; rows without coordinates get no pairs.
    sites_xy : ndarray, shape (n, 2)
        Site coordinates (x, y) in the same CRS.
    network : Network or None
        The walking network (not yet augmented), or None for the Euclidean fallback.
    limit_m : float
        Largest distance reported, in metres (finite).
    max_snap_m : float
        Points farther than this from a walkable street are not attached (and get no pairs).
    detour_factor : float
        Multiplier of straight-line distances without a network.

    Returns
    -------
    SiteReach
    """
    sites = np.asarray(sites_xy, dtype=np.float64).reshape(-1, 2)
    com_xy = _xy(communities)
    com_ok = np.asarray(np.isfinite(com_xy).all(axis=1), dtype=bool)
    site_ok = np.asarray(np.isfinite(sites).all(axis=1), dtype=bool)
    if network is None:
        basis = f"euclidean x{detour_factor:g} (no network given)"
        pairs = _euclidean_pairs(com_xy, sites, com_ok, site_ok, limit_m / detour_factor)
        pairs["dist_m"] *= detour_factor
        return SiteReach(pairs, site_ok, np.where(site_ok, 0.0, np.nan), basis, limit_m)
    graph, att = attach_points(network, {"communities": com_xy[com_ok], "sites": sites[site_ok]}, max_snap_m)
    com_att, site_att = _scatter(att["communities"], com_ok), _scatter(att["sites"], site_ok)
    src = np.flatnonzero(site_att.attached)
    tgt = np.flatnonzero(com_att.attached)
    found = distances_within(graph, site_att.node[src], limit_m, targets=com_att.node[tgt])
    # Several communities may share a node (same spot on a street): join on the node, not by position.
    by_node = pd.DataFrame({"node": com_att.node[tgt], "community": tgt})
    pairs = found.merge(by_node, on="node")
    pairs = pd.DataFrame({"site": src[pairs["source_pos"].to_numpy()], "community": pairs["community"],
                          "dist_m": pairs["dist_m"]})
    pairs = pairs.sort_values(["site", "community"], kind="stable").reset_index(drop=True)
    log.info("site_reach: %d of %d sites on the network, %d site-community pairs within %.0f m",
             src.size, len(sites), len(pairs), limit_m)
    return SiteReach(pairs, site_att.attached.copy(), site_att.offset_m.copy(), NETWORK, limit_m)


def _euclidean_pairs(com_xy: NDArray[np.float64], sites: NDArray[np.float64], com_ok: NDArray[np.bool_],
                     site_ok: NDArray[np.bool_], radius: float) -> pd.DataFrame:
    """Straight-line (site, community, dist_m) pairs within ``radius``."""
    s_pos, c_pos = np.flatnonzero(site_ok), np.flatnonzero(com_ok)
    if not (s_pos.size and c_pos.size):
        return pd.DataFrame({"site": np.zeros(0, np.int64), "community": np.zeros(0, np.int64),
                             "dist_m": np.zeros(0)})
    coo = cKDTree(sites[s_pos]).sparse_distance_matrix(cKDTree(com_xy[c_pos]), radius, output_type="coo_matrix")
    rows, cols, dist = coo.row, coo.col, coo.data  # the coo output keeps pairs at distance 0
    pairs = pd.DataFrame({"site": s_pos[rows], "community": c_pos[cols], "dist_m": dist})
    return pairs.sort_values(["site", "community"], kind="stable").reset_index(drop=True)
