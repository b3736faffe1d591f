"""Guess a layer's coordinate system from its values, its column and file names, and the street network.

* Longitude/latitude in China: WGS84, GCJ-02 (Amap, Tencent) or BD-09 (Baidu) cannot be told apart from the
  values alone (the offsets are a few hundred metres). A name ("lon_bd09", "高德坐标", "baidu.csv") gives a
  first guess; with a street network the points are tried under each system against the streets
  (the paired test of :func:`geoplan._netcheck.detect_offset`, among all three) and the streets decide when
  one system is clearly best.
* CGCS2000 Gauss-Krüger eastings with a zone prefix (40 512 345.6 → 3-degree zone 40, EPSG:4528; 20 … →
  6-degree zone 20, EPSG:4498) name their zone. Without the prefix (512 345.6) the central meridian is taken
  from another layer's or the network's longitude, and checked against the streets where there are some.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Final

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan.crs import BD09, GCJ02, to_wgs84
from geoplan.network import Network

log = logging.getLogger(__name__)

_HINTS: Final = (
    (BD09, re.compile(r"bd09|bd-09|bd_09|baidu|百度|(^|[^a-z])bd([^a-z]|$)", re.IGNORECASE)),
    (GCJ02, re.compile(r"gcj|amap|gaode|高德|腾讯|tencent|火星|mars", re.IGNORECASE)),
    ("WGS84", re.compile(r"wgs|gps|osm|天地图|tianditu", re.IGNORECASE)),
)
#: Median distance to the nearest street under which a Gauss-Krüger meridian counts as confirmed by the network.
_CONFIRM_M: Final = 150.0
_SYSTEMS: Final = ("WGS84", GCJ02, BD09)
# The audit's offset test's constants (geoplan._netcheck): points this near a street under some system count,
# at least this many of them, each distance softened by a few metres; the best must win by this paired t.
_NEAR_M: Final = 250.0
_MIN_POINTS: Final = 20
_MAX_POINTS: Final = 5000
_SOFT_M: Final = 5.0
_MIN_T: Final = 3.0


@dataclass(frozen=True)
class CrsGuess:
    """A guessed coordinate system.

    Attributes
    ----------
    crs : str or None
        As written in the project file ("WGS84", "GCJ02", "BD09", "EPSG:4528"); None when it could not be told.
    how : str
        How it was decided (for the console and the project file's comment).
    sure : bool
        Decided by the values (zone prefix) or confirmed by the streets, not only by a name or a default.
    candidates : tuple of str
        Offset systems the values and streets leave possible (empty: not a longitude/latitude layer).
    evidence : bool
        A name or the file itself said which system (not only the WGS84 default).
    facts : str
        What the streets showed (median distances under each system), when they were asked.
    """

    crs: str | None
    how: str
    sure: bool
    candidates: tuple[str, ...] = ()
    evidence: bool = False
    facts: str = ""


def _medians(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float] | None:
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    return float(np.median(x[ok])), float(np.median(y[ok]))


def is_geographic(x: float, y: float) -> bool:
    """Whether a median x/y is a longitude/latitude in or around China."""
    return 73 <= x <= 136 and 3 <= y <= 54


def name_hint(text: str) -> str | None:
    """The offset system a column or file name suggests ("lon_bd09" → BD09), if any."""
    for system, pattern in _HINTS:
        if pattern.search(text):
            return system
    return None


def gk_zone_epsg(easting: float) -> int | None:
    """EPSG code of the CGCS2000 Gauss-Krüger zone an easting with a zone prefix names, else None."""
    zone = int(easting // 1_000_000)
    if 25 <= zone <= 45:
        return 4513 + zone - 25  # 3-degree zones 25-45 (CM 75E-135E)
    if 13 <= zone <= 23:
        return 4491 + zone - 13  # 6-degree zones 13-23
    return None


def gk_cm_epsg(longitude: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (central-meridian form) nearest a longitude."""
    central = min(135, max(75, 3 * round(longitude / 3)))
    return 4534 + (central - 75) // 3


def _points(x: NDArray[np.float64], y: NDArray[np.float64], crs: str | pyproj.CRS) -> gpd.GeoSeries:
    lon, lat = to_wgs84(x, y, crs)
    return gpd.GeoSeries(shapely.points(lon, lat), crs=4326)


def _median_to_streets(points: gpd.GeoSeries, network: Network) -> float:
    ok = ~(points.isna() | points.is_empty)
    pts = points[ok].to_crs(network.crs)
    if not len(pts):
        return float("inf")
    return float(np.median(network.edge_index.distance(np.column_stack([pts.x, pts.y]))))


def _log_distances(x: NDArray[np.float64], y: NDArray[np.float64],
                   network: Network) -> dict[str, NDArray[np.float64]]:
    to_net = pyproj.Transformer.from_crs(4326, network.crs, always_xy=True)
    out = {}
    for system in _SYSTEMS:
        lon, lat = to_wgs84(x, y, system)
        px, py = to_net.transform(lon, lat)
        out[system] = network.edge_index.distance(np.column_stack([px, py]))
    return out


def _offset_system(x: NDArray[np.float64], y: NDArray[np.float64], prior: str, why: str,
                   network: Network | None, layer: str) -> CrsGuess:
    """Try the points as WGS84, GCJ-02 and BD-09 against the streets; the best wins when it is clearly best.

    As in :func:`geoplan._netcheck.detect_offset`: paired log distances of the points near a street under some
    system (far points say nothing), and a paired t statistic of the best against each other system.
    """
    if network is None:
        return CrsGuess(prior, f"{why}; no street network to check it against", False, _SYSTEMS)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    ok = ok[np.linspace(0, ok.size - 1, min(ok.size, _MAX_POINTS)).astype(int)] if ok.size else ok
    dist = _log_distances(x[ok], y[ok], network)
    near = np.minimum.reduce(list(dist.values())) <= _NEAR_M
    if near.sum() < _MIN_POINTS:
        return CrsGuess(prior, f"{why}; only {int(near.sum())} points within {_NEAR_M:g} m of a street: could not "
                        "check it against the streets (does the network cover this layer?)", False, _SYSTEMS)
    score = {s: np.log(d[near] + _SOFT_M) for s, d in dist.items()}
    best = min(score, key=lambda s: float(score[s].mean()))
    # Systems the streets do not rule out: not significantly farther from the streets than the best.
    left = [s for s in _SYSTEMS if s == best or _paired_t(score[s] - score[best]) < _MIN_T]
    medians = ", ".join(f"{float(np.median(d[near])):.0f} m as {s}" for s, d in dist.items())
    facts = f"median distance to the nearest street {medians}; {int(near.sum())} points"
    if left == [best]:
        verdict = "the streets agree" if best == prior else f"the streets say {best}, not {prior}"
        return CrsGuess(best, f"{why}; {verdict} ({facts})", True, (best,), facts=facts)
    ruled_out = [s for s in _SYSTEMS if s not in left]
    out = f"the streets rule out {', '.join(ruled_out)} but" if ruled_out else "the streets"
    choice = prior if prior in left else best
    taken = "as named" if choice == prior and "names" in why else ("the default" if choice == prior else
                                                                    "the nearest to the streets")
    return CrsGuess(choice, f"{why}; {out} cannot tell {' from '.join(left)} ({facts}): {choice} taken "
                    f"({taken}); check the data's source (百度 BD09, 高德/腾讯 GCJ02, GPS/OSM WGS84)", False,
                    tuple(left), facts=facts)


def _paired_t(delta: NDArray[np.float64]) -> float:
    spread = float(delta.std(ddof=1)) / np.sqrt(delta.size)
    return float(delta.mean()) / spread if spread > 0 else (np.inf if delta.mean() > 0 else 0.0)


def guess_crs(x: NDArray[np.float64], y: NDArray[np.float64], *, names: str = "",
              declared: pyproj.CRS | None = None, network: Network | None = None,
              longitude: float | None = None, layer: str = "layer") -> CrsGuess:
    """Guess the coordinate system of a layer's raw coordinates.

    Parameters
    ----------
    x, y : array
        The raw coordinates (table columns, or a GIS layer's points in its own CRS).
    names : str
        Column and file names, searched for hints ("bd09", "高德").
    declared : pyproj.CRS, optional
        The CRS a GIS file declares (.prj); a geographic one is still checked for offsets.
    network : Network, optional
        The walking network, as the reference.
    longitude : float, optional
        Longitude of the study area (another layer's, the network's), for eastings without a zone prefix.
    layer : str
        Named in the log.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    medians = _medians(x, y)
    if medians is None:
        return CrsGuess(None, "no usable coordinates", False)
    mx, my = medians
    if declared is not None and declared.is_projected:
        return CrsGuess(None, f"declared by the file: {declared.name}", True)
    if is_geographic(mx, my):
        hint = name_hint(names)
        if declared is not None:
            guess = _offset_system(x, y, hint or "WGS84", "the file declares longitude/latitude"
                                   + (f", its names suggest {hint}" if hint else ""), network, layer)
        elif hint is not None:
            guess = _offset_system(x, y, hint, f"names suggest {hint}", network, layer)
        else:
            return _offset_system(x, y, "WGS84", "longitude/latitude; no name says which system", network,
                                  layer)
        return replace(guess, evidence=True)
    epsg = gk_zone_epsg(mx) if 1e6 <= my <= 6.1e6 else None
    if epsg is not None:
        return CrsGuess(f"EPSG:{epsg}", f"Gauss-Krüger eastings with zone prefix {int(mx // 1e6)}: "
                        f"{pyproj.CRS.from_epsg(epsg).name}", True)
    if 1e5 <= mx < 1e6 and 1e6 <= my <= 6.1e6:
        return _gk_without_zone(x, y, network, longitude)
    return CrsGuess(None, f"values (median x {mx:.6g}, y {my:.6g}) are neither longitude/latitude in China nor "
                    "Gauss-Krüger metres", False)


def _gk_without_zone(x: NDArray[np.float64], y: NDArray[np.float64], network: Network | None,
                     longitude: float | None) -> CrsGuess:
    if longitude is None and network is not None:
        lon, _ = pyproj.Transformer.from_crs(network.crs, 4326, always_xy=True).transform(
            float(np.median(network.x)), float(np.median(network.y)))
        longitude = float(lon)
    if longitude is None:
        return CrsGuess(None, "Gauss-Krüger eastings without zone prefix and no other layer or network to tell the "
                        "central meridian: give --crs EPSG:45xx (CGCS2000 3-degree CM zones are EPSG:4534-4554)",
                        False)
    epsg = gk_cm_epsg(longitude)
    name = pyproj.CRS.from_epsg(epsg).name
    if network is None:
        return CrsGuess(f"EPSG:{epsg}", f"Gauss-Krüger eastings without zone prefix; central meridian from the "
                        f"other layers' longitude {longitude:.2f}: {name}", False)
    median = _median_to_streets(_points(x, y, f"EPSG:{epsg}"), network)
    sure = median <= _CONFIRM_M
    return CrsGuess(f"EPSG:{epsg}", f"Gauss-Krüger eastings without zone prefix: {name} (central meridian nearest "
                    f"longitude {longitude:.2f}); median {median:.0f} m to the nearest street"
                    + ("" if sure else " — check it"), sure)
