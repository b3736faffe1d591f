"""Checks of the input layers against the walking network: offset coordinate systems, coverage, separate pieces.

Chinese data often carries the wrong coordinate-system label: Amap (GCJ-02) coordinates called WGS84, Baidu
(BD-09) ones called GCJ-02. Both offsets move points by a few hundred metres, enough to put a compound on the
wrong street, yet not so far that anything looks broken. The streets are the reference: points of a layer lie
closer to the streets under the right system than under a wrong one. The test is paired (each point's
distance under the declared system against under the alternative) on log distances, so a few far points
cannot decide it; a warning needs a clear, significant improvement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geoplan.access import Access
from geoplan.crs import BD09, GCJ02, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from geoplan.network import Network

log = logging.getLogger(__name__)

#: Systems tried against each other; CGCS2000 and WGS84 differ by centimetres and count as one.
_SYSTEMS = ("WGS84", GCJ02, BD09)
_MIN_POINTS = 20
_MAX_POINTS = 5000
#: A warning needs the alternative's distances to be shorter by this much on average (log scale, ~10 %) ...
_MIN_EFFECT = 0.1
#: ... and the paired t statistic to reach this (no false alarm in 300 random draws of 20-100 real compounds).
_MIN_T = 3.0
_NEAR_M = 250.0
_SOFT_M = 5.0  # added before taking logs: a point on the street is not "infinitely" better than one 2 m off


@dataclass(frozen=True)
class OffsetSuspicion:
    """A layer whose points fit the streets better under another coordinate system."""

    layer: str
    declared: str
    better: str
    median_declared_m: float
    median_better_m: float
    n_points: int

    def message(self) -> str:
        """What was found and what to do, for the log and the result's assumptions."""
        return (
            f"[{self.layer}] coordinates look like {self.better}, not {self.declared} as declared: median distance "
            f"to the nearest street {self.median_declared_m:.0f} m as {self.declared}, "
            f"{self.median_better_m:.0f} m as {self.better} ({self.n_points} points). Distances were measured as "
            f"declared; if the data comes from {_source(self.better)}, set crs = \"{self.better}\" in "
            f"[{self.layer}] (or check the network's own coordinate system)"
        )


def _source(system: str) -> str:
    return {GCJ02: "高德/腾讯 (Amap, Tencent)", BD09: "百度 (Baidu)"}.get(system, "GPS or OSM")


def _system(declared: str | pyproj.CRS | None) -> str | None:
    if isinstance(declared, str):  # never compare a pyproj.CRS to a string: PROJ looks the name up (slow)
        return declared if declared in (GCJ02, BD09) else None
    if isinstance(declared, pyproj.CRS) and declared.is_geographic:
        return "WGS84"
    return None


def _raw(lon: NDArray[np.float64], lat: NDArray[np.float64], system: str) -> tuple[NDArray[np.float64], ...]:
    if system == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if system == BD09:
        return wgs84_to_bd09(lon, lat)
    return lon, lat


def detect_offset(points: gpd.GeoSeries, declared: str | pyproj.CRS | None, network: Network,
                  layer: str) -> OffsetSuspicion | None:
    """Whether a layer's points fit the network better under another of WGS84 / GCJ-02 / BD-09.

    Parameters
    ----------
    points : GeoSeries
        The layer's points in WGS84 (as converted from the declared system); missing points are ignored.
    declared : str or pyproj.CRS or None
        The declared system, as :func:`geoplan.crs.normalise_crs_name` returns it. Projected systems are
        not tested.
    network : Network
        The walking network (its own CRS is the reference).
    layer : str
        Named in the message.

    Returns
    -------
    OffsetSuspicion or None
        None when the declared system fits at least as well, or there are too few points to tell.
    """
    return check_offset(points, declared, network, layer)[0]


def _undecided(layer: str, system: str, n_near: int) -> str:
    return (f"[{layer}] the coordinate-system check could not decide whether the points are {system} as declared "
            f"or another of WGS84 / GCJ02 / BD09: only {n_near} of them lie within {_NEAR_M:g} m of a street "
            f"(it needs {_MIN_POINTS}). Distances were measured as declared; if the data comes from "
            f"{_source(GCJ02)} set crs = \"GCJ02\", from {_source(BD09)} crs = \"BD09\"")


def check_offset(points: gpd.GeoSeries, declared: str | pyproj.CRS | None, network: Network,
                 layer: str) -> tuple[OffsetSuspicion | None, str | None]:
    """:func:`detect_offset`, and why it abstained when the points could not decide (too few near streets).

    Returns
    -------
    (suspicion, undecided)
        ``undecided`` is a message when a testable layer had too few points near streets to tell; None when
        the test ran (or does not apply: a projected CRS, no points, no streets).
    """
    system = _system(declared)
    pts = points.to_crs(4326) if points.crs is not None and not points.crs.equals(4326) else points
    has = ~(pts.isna() | pts.is_empty).to_numpy()
    if system is None or not has.any() or network.n_edges == 0:
        return None, None
    idx = np.flatnonzero(has)
    idx = idx[np.linspace(0, idx.size - 1, min(idx.size, _MAX_POINTS)).astype(int)]
    lon, lat = pts.x.to_numpy()[idx], pts.y.to_numpy()[idx]
    raw_lon, raw_lat = _raw(lon, lat, system)
    to_net = pyproj.Transformer.from_crs(4326, network.crs, always_xy=True)

    def distances(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = to_net.transform(a, b)
        # No shapely geometry for every edge: the k-d tree the points were attached with answers.
        return network.edge_index.distance(np.column_stack([x, y]))

    base_all = distances(lon, lat)
    best: OffsetSuspicion | None = None
    best_t = _MIN_T
    most_near = 0
    for other in _SYSTEMS:
        if other == system:
            continue
        alt_all = distances(*to_wgs84(raw_lon, raw_lat, other))
        # Points far from every street (beyond the network's extent) say nothing about the offset, and moving
        # them toward the network would look like an improvement.
        near = np.minimum(base_all, alt_all) <= _NEAR_M
        most_near = max(most_near, int(near.sum()))
        if near.sum() < _MIN_POINTS:
            continue
        base, alt = base_all[near], alt_all[near]
        delta = np.log(base + _SOFT_M) - np.log(alt + _SOFT_M)
        spread = float(delta.std(ddof=1)) / np.sqrt(delta.size)
        t = float(delta.mean()) / spread if spread > 0 else 0.0
        log.debug("[%s] as %s vs %s: mean log gain %.3f, t = %.1f", layer, system, other, delta.mean(), t)
        if delta.mean() >= _MIN_EFFECT and t >= best_t:
            best_t = t
            best = OffsetSuspicion(layer, system, other, float(np.median(base)), float(np.median(alt)), int(near.sum()))
    return best, (_undecided(layer, system, most_near) if most_near < _MIN_POINTS else None)


def separate_piece_notes(access: Access) -> pd.Series:
    """Notes for communities attached to a piece of the network not connected to its largest piece."""
    n = len(access.communities)
    notes = pd.Series("", index=access.communities.index, dtype=object)
    att, graph = access.community_attachment, access.graph
    if att is None or graph is None or not n:
        return notes
    label = graph.components()
    sizes = np.bincount(label)
    if sizes.size < 2:
        return notes
    on = att.attached & (att.node >= 0)
    piece = np.full(n, 0, dtype=np.int64)
    piece[on] = label[att.node[on]]
    apart = on & (piece > 0)
    notes[apart] = np.array([f"network: on a separate piece of the street network ({sizes[p]} nodes) not connected "
                             "to the rest; walks cannot leave it" for p in piece[apart]], dtype=object)
    return notes


def coverage_message(access: Access, layer: str = "communities") -> str | None:
    """A warning when few of a layer's placed points are within reach of the network."""
    att = access.community_attachment if layer == "communities" else access.facility_attachment
    gdf = access.communities if layer == "communities" else access.facilities
    if att is None or not len(gdf):
        return None
    placed = int((~(gdf.geometry.isna() | gdf.geometry.is_empty)).sum())
    attached = int(att.attached.sum())
    # Facilities beyond the network's extent are common (a city-wide layer, a district's streets) and flagged
    # one by one; communities are what is audited, so half of them off the network is worth a warning.
    enough = attached > 0 if layer == "facilities" else attached >= 0.5 * placed
    if placed == 0 or enough:
        return None
    return (f"only {attached} of {placed} {layer} are within {access.max_snap_m:g} m of a walkable street: check that "
            f"the network covers the {layer}' area and that both layers' coordinate systems are right "
            "(the others are not evaluable)")


def check_against_network(access: Access, declared: dict[str, str | pyproj.CRS | None]) -> tuple[list[str],
                                                                                                 pd.Series]:
    """Every layer-against-network check of an audit: warnings (for the assumptions) and community notes.

    Parameters
    ----------
    access : Access
        The audit's distances, with the network attached.
    declared : dict
        Layer name (``"communities"``, ``"facilities"``) → its declared coordinate system.
    """
    notes = pd.Series("", index=access.communities.index, dtype=object)
    if access.network is None:
        return [], notes
    warnings = []
    for layer, gdf in (("communities", access.communities), ("facilities", access.facilities)):
        suspicion, undecided = check_offset(gdf.geometry, declared.get(layer), access.network, layer)
        if suspicion is not None:
            warnings.append(suspicion.message())
        if undecided is not None:
            warnings.append(undecided)
        coverage = coverage_message(access, layer)
        if coverage is not None:
            warnings.append(coverage)
    for text in warnings:
        log.warning("%s", text)
    return warnings, separate_piece_notes(access)
