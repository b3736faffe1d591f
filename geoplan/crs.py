"""Coordinate systems: the Chinese offset systems and the metric CRS every measurement is made in.

GCJ-02 (Amap, Tencent) and BD-09 (Baidu) are obfuscations of WGS84 with no EPSG code, so pyproj cannot do
them; the published forward formulas are implemented here, vectorised with NumPy, and inverted by fixed-point
iteration to well under a centimetre (the closed-form "inverse" circulating online is off by metres).
Everything else (WGS84, CGCS2000 EPSG:4490 and its Gauss-Krüger zones, any EPSG/WKT) goes through pyproj.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from geoplan import _hints
from geoplan._errors import Hint, InputError

FloatArray = NDArray[np.float64]

#: Names accepted for the offset systems (case-insensitive, '-' and '_' ignored).
GCJ02: Final = "GCJ02"
BD09: Final = "BD09"
_ALIASES: Final = {
    "GCJ02": GCJ02, "GCJ": GCJ02, "AMAP": GCJ02, "GAODE": GCJ02, "MARS": GCJ02, "TENCENT": GCJ02,
    "BD09": BD09, "BD09LL": BD09, "BAIDU": BD09,
    "WGS84": "EPSG:4326", "WGS": "EPSG:4326", "CGCS2000": "EPSG:4490",
}

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formulas.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_X_PI: Final = np.pi * 3000.0 / 180.0


def normalise_crs_name(crs: str | int | pyproj.CRS) -> str | pyproj.CRS:
    """Return ``"GCJ02"``, ``"BD09"`` or a :class:`pyproj.CRS` for a user-given CRS.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        ``"BD-09"``, ``"gcj02"``, ``"WGS84"``, ``"CGCS2000"``, ``4490``, ``"EPSG:4549"``, WKT ...

    Raises
    ------
    InputError
        If pyproj does not recognise the name either.
    """
    if isinstance(crs, pyproj.CRS):
        return crs
    if isinstance(crs, str):
        key = crs.upper().replace("-", "").replace("_", "").replace(" ", "")
        if key in _ALIASES:
            alias = _ALIASES[key]
            return alias if alias in (GCJ02, BD09) else pyproj.CRS.from_user_input(alias)
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = (
            f"unknown coordinate system {crs!r}"
        )
        raise InputError(msg, hint=_hints.CRS_NAMES) from exc


def _outside_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    # The offset is only applied inside this box (the convention every implementation follows).
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lon - 105.0, lat - 35.0
    s = np.sin
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * s(6.0 * x * np.pi) + 20.0 * s(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * s(y * np.pi) + 40.0 * s(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * s(y / 12.0 * np.pi) + 320.0 * s(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * s(6.0 * x * np.pi) + 20.0 * s(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * s(x * np.pi) + 40.0 * s(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * s(x / 12.0 * np.pi) + 300.0 * s(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 → GCJ-02 (the published forward formula)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


Transform = Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]]


def _invert(
    f: Transform, lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    # Fixed-point iteration g <- g + (target - f(g)); both offsets are smooth and small, so it contracts
    # fast (about 6 iterations to 1e-10 degrees, i.e. ~0.01 mm).
    t_lon, t_lat = _as_arrays(lon, lat)
    g_lon, g_lat = t_lon.copy(), t_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = f(g_lon, g_lat)
        e_lon, e_lat = t_lon - f_lon, t_lat - f_lat
        g_lon, g_lat = g_lon + e_lon, g_lat + e_lat
        if np.nanmax(np.abs(np.concatenate([np.ravel(e_lon), np.ravel(e_lat), [0.0]]))) < tol_deg:
            break
    return g_lon, g_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS84, exact inverse of :func:`wgs84_to_gcj02` (error < 1e-9 degrees)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02, exact inverse of :func:`gcj02_to_bd09`."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → WGS84 (through GCJ-02), accurate to well under a millimetre."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str | int | pyproj.CRS) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates given in ``crs`` (any accepted name, incl. GCJ02/BD09) to WGS84 lon/lat.

    ``lon``/``lat`` are the first and second coordinate: easting/northing for a projected CRS.
    CGCS2000 (EPSG:4490) and WGS84 differ by centimetres; pyproj treats them as equal, and so do we.
    """
    name = normalise_crs_name(crs)
    # Compare as strings only: pyproj.CRS == "GCJ02" would look the name up in the PROJ database (~0.2 s).
    if isinstance(name, str):
        return gcj02_to_wgs84(lon, lat) if name == GCJ02 else bd09_to_wgs84(lon, lat)
    transformer = pyproj.Transformer.from_crs(name, 4326, always_xy=True)
    x, y = transformer.transform(*_as_arrays(lon, lat))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def auto_metric_crs(lon: ArrayLike, lat: ArrayLike) -> pyproj.CRS:
    """Choose a metric CRS for data around these WGS84 coordinates.

    Inside China this is the CGCS2000 3-degree Gauss-Krüger zone (central meridian form, EPSG:4534-4554)
    whose central meridian is nearest the data's median longitude: the system city GIS departments use,
    with scale error < 0.03 % within 1.5° of the meridian. Elsewhere, the WGS84 UTM zone.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not finite.any():
        msg = "cannot choose a metric CRS: no valid coordinates in the input"
        raise InputError(msg, hint=Hint(zh="检查图层的坐标列是否有数值",
                                        en="check that the layers' coordinate columns hold numbers"))
    lon0 = float(np.median(lon_a[finite]))
    lat0 = float(np.median(lat_a[finite]))
    central = 3 * round(lon0 / 3)
    if 75 <= central <= 135 and 3 <= lat0 <= 54:
        return pyproj.CRS.from_epsg(4534 + (central - 75) // 3)
    zone = int((lon0 + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)
