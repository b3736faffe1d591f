"""What a layer's rows mean: placeholder coordinates, points outside their CRS, stacked points, duplicates.

These rows read without error yet would give wrong figures silently: a compound at (0, 0) or at the false
origin of a projected CRS is "farther than 300 m from a street"; twenty compounds geocoded to one city-centre
point look like a dense block; a row exported twice counts its households twice. Each is flagged in the
row's ``flags``; rows whose position is not theirs lose their point (not evaluable, with the flag saying
why), and exact duplicates are marked in ``rate_excluded`` (kept in every output, counted once in rates).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geoplan import _validate as val

log = logging.getLogger(__name__)

#: Canonical community column: "" where the row counts in rates, else why it is left out of them.
RATE_EXCLUDED = "rate_excluded"
#: Differently named rows at one exact point from which the point is flagged as shared (approximate) ...
STACK_MIN = 3
#: ... and the share of the layer's placed rows from which it is taken as a geocoder's fallback (no location).
STACK_SHARE = 0.25
#: ... in a layer of at least this many placed rows (a few services in one building are common) ...
STACK_SHARE_MIN_ROWS = 20
#: ... or every row of a layer of at least this many rows.
STACK_ALL_MIN_ROWS = 5
_PLACEHOLDER_DEG = 1e-6  # (0, 0) within this, before or after conversion
_AREA_MARGIN_DEG = 1.0  # EPSG areas of use are drawn tight; a city on a zone's edge is still fine


def _add(notes: pd.Series, mask: NDArray[np.bool_], text: str | NDArray[np.object_]) -> None:
    """Append ``text`` to the notes of the rows in ``mask`` ("; "-joined)."""
    if not mask.any():
        return
    old = notes.to_numpy(dtype=object)[mask]
    new = np.broadcast_to(np.asarray(text, dtype=object), old.shape)
    notes[mask] = np.array([f"{a}; {b}" if a else b for a, b in zip(old, new, strict=True)], dtype=object)


def likely_crs(x: NDArray[np.float64], y: NDArray[np.float64]) -> str:
    """The coordinate system the values look like (degrees, a Gauss-Krüger zone with or without prefix ...)."""
    return val.crs_hint(x, y)


def coordinate_checks(x: NDArray[np.float64], y: NDArray[np.float64], lon: NDArray[np.float64],
                      lat: NDArray[np.float64], crs: str | pyproj.CRS, ok: NDArray[np.bool_],
                      notes: pd.Series, layer: str) -> tuple[NDArray[np.bool_], list[str]]:
    """Rows whose coordinates convert but cannot be where the row is: (0, 0), or outside the CRS's area.

    Parameters
    ----------
    x, y : arrays
        The coordinates as given (in ``crs``).
    lon, lat : arrays
        The same converted to WGS84.
    crs : str or pyproj.CRS
        The declared coordinate system.
    ok : bool array
        Rows usable so far (finite, in range).
    notes : Series
        The rows' notes; the reasons are appended to it.
    layer : str
        Named in the layer notes.

    Returns
    -------
    (ok, layer_notes)
        ``ok`` with these rows removed; notes about the whole layer naming the likely coordinate system.
    """
    out: list[str] = []
    with np.errstate(invalid="ignore"):
        zero = ((np.abs(x) < _PLACEHOLDER_DEG) & (np.abs(y) < _PLACEHOLDER_DEG)) | (
            (np.abs(lon) < _PLACEHOLDER_DEG) & (np.abs(lat) < _PLACEHOLDER_DEG))
    zero &= np.isfinite(x) & np.isfinite(y)
    _add(notes, zero, "no usable coordinates: (0, 0) is a placeholder (a geocoder's or export's default), "
                      "not a location; geocode the row again")
    ok = ok & ~zero
    outside = np.zeros(len(x), dtype=bool)
    area = crs.area_of_use if isinstance(crs, pyproj.CRS) and crs.is_projected else None
    if area is not None:
        m = _AREA_MARGIN_DEG
        with np.errstate(invalid="ignore"):
            outside = ok & ~((lon >= area.west - m) & (lon <= area.east + m) & (lat >= area.south - m)
                             & (lat <= area.north + m))
        label = _label(crs)
        text = np.array([f"no usable coordinates: ({a:g}, {b:g}) in {label} is at ({c:.4f}, {d:.4f}) in WGS84, "
                         f"outside where {label} is used ({area.name})" for a, b, c, d in
                         zip(x[outside], y[outside], lon[outside], lat[outside], strict=True)], dtype=object)
        _add(notes, outside, text)
        ok = ok & ~outside
    wrong = (outside | (np.isfinite(x) & np.isfinite(y) & ~val.usable_lonlat(lon, lat) & ~zero))
    if wrong.any():
        hint = likely_crs(x[wrong], y[wrong])
        out.append(f"[{layer}] {int(wrong.sum())} of {len(x)} rows lie outside the range of the declared crs "
                   f"{_label(crs)}: {hint}")
        log.warning("%s", out[-1])
    if zero.any():
        out.append(f"[{layer}] {int(zero.sum())} of {len(x)} rows at (0, 0): flagged, not evaluable")
    return ok, out


def _label(crs: str | pyproj.CRS) -> str:
    return crs if isinstance(crs, str) else (crs.to_string() or crs.name)


def _point_keys(gdf: gpd.GeoDataFrame) -> tuple[NDArray[np.bool_], pd.Series]:
    """Rows with a point, and a text key of the point rounded to ~1 cm (1e-7°) for exact-position tests."""
    geom = gdf.geometry
    has = (geom.notna() & ~geom.is_empty.fillna(True)).to_numpy()
    keys = pd.Series("", index=gdf.index, dtype=object)
    if has.any():
        x, y = geom[has].x.to_numpy(), geom[has].y.to_numpy()
        keys[has] = np.array([f"{a:.7f},{b:.7f}" for a, b in zip(x, y, strict=True)], dtype=object)
    return has, keys


def duplicate_rows(gdf: gpd.GeoDataFrame, what: str = "row") -> tuple[pd.Series, pd.Series]:
    """Duplicates: the same name at the same point (~1 cm) as an earlier row (facilities: and the same type).

    A later copy whose households differ says so; the first row's figure is the one counted.

    Returns
    -------
    (notes, excluded)
        Notes for the rows' ``flags`` and, for each later copy, ``"duplicate of row N"`` (its
        :data:`RATE_EXCLUDED` reason); ``""`` elsewhere. Every copy stays in every output.
    """
    notes = pd.Series("", index=gdf.index, dtype=object)
    excluded = pd.Series("", index=gdf.index, dtype=object)
    has, keys = _point_keys(gdf)
    if not has.any():
        return notes, excluded
    key = keys + "|" + gdf.get("name", pd.Series("", index=gdf.index)).astype(str)
    for column in ("facility_type", "source_type"):
        if column in gdf.columns:
            key = key + "|" + gdf[column].astype(str)
    key = key.where(pd.Series(has, index=gdf.index))
    dup = key.duplicated(keep="first") & key.notna()
    if not dup.any():
        return notes, excluded
    rows = pd.Series(np.arange(len(gdf)) + 1, index=gdf.index)
    first = rows.groupby(key).transform("min")
    excluded[dup] = np.array([f"duplicate of row {int(r)}" for r in first[dup]], dtype=object)
    notes[dup] = np.array([f"exact duplicate of row {int(r)} (same name and point): kept, counted once in rates"
                           for r in first[dup]], dtype=object)
    if "households" in gdf.columns:
        hh = pd.to_numeric(gdf["households"], errors="coerce")
        first_hh = hh.groupby(key).transform("first")
        differ = dup & (hh != first_hh) & hh.notna()
        notes[differ] = np.array([f"{n}; its households ({a:g}) differ from row {int(r)}'s ({b:g}), which count"
                                  for n, a, b, r in zip(notes[differ], hh[differ], first_hh[differ], first[differ],
                                                        strict=True)], dtype=object)
    log.warning("%d exact duplicate %ss (same name and point): flagged, counted once", int(dup.sum()), what)
    return notes, excluded


def stacked_rows(gdf: gpd.GeoDataFrame, layer: str) -> tuple[pd.Series, NDArray[np.bool_], list[str]]:
    """Rows of different names at one exact point: a geocoder's fallback (city or district centre).

    A point shared by :data:`STACK_MIN` or more differently named rows is flagged (the phases of one estate
    geocoded to the estate's point, several services in one building: positions approximate). When such a
    point holds :data:`STACK_SHARE` of the layer's placed rows (:data:`STACK_SHARE_MIN_ROWS` or more), or every
    row of a layer of :data:`STACK_ALL_MIN_ROWS` or more, it is a geocoder's fallback (a city or district
    centre), not where they are: those rows lose their point (not evaluable).

    Returns
    -------
    (notes, unplace, layer_notes)
    """
    notes = pd.Series("", index=gdf.index, dtype=object)
    unplace = np.zeros(len(gdf), dtype=bool)
    has, keys = _point_keys(gdf)
    if has.sum() < 2:
        return notes, unplace, []
    names = gdf.get("name", pd.Series("", index=gdf.index)).astype(str)
    frame = pd.DataFrame({"key": keys, "name": names})[has]
    distinct = frame.groupby("key")["name"].nunique()
    sizes = frame.groupby("key").size()
    everyone = len(sizes) == 1 and int(has.sum()) == len(gdf) and len(gdf) >= STACK_ALL_MIN_ROWS
    stacks = sizes.index[(distinct >= STACK_MIN) | everyone]
    out: list[str] = []
    for point in stacks:
        rows = (keys == point).to_numpy() & has
        n = int(rows.sum())
        lost = everyone or (n >= STACK_SHARE * int(has.sum()) and int(has.sum()) >= STACK_SHARE_MIN_ROWS)
        text = (f"{n} rows of different names share exactly the point ({point}): "
                + ("a geocoder's fallback (a city or district centre?), not their own location" if lost
                   else "positions approximate (one estate's or building's point?)"))
        _add(notes, rows, text + ("; not evaluable, geocode them again" if lost else "; check the location"))
        if lost:
            unplace |= rows
        out.append(f"[{layer}] {text}: flagged" + (", not evaluable" if lost else ""))
        log.warning("%s", out[-1])
    return notes, unplace, out


def apply(gdf: gpd.GeoDataFrame, layer: str) -> list[str]:
    """Flag stacked points and duplicates of a canonical layer in place; return notes about the layer.

    Sets :data:`RATE_EXCLUDED` on communities (``""`` = counted).
    """
    stack_notes, unplace, out = stacked_rows(gdf, layer)
    dup_notes, excluded = duplicate_rows(gdf, layer.rstrip("s").replace("facilitie", "facility"))
    if unplace.any():
        gdf.loc[unplace, gdf.geometry.name] = None
    notes = gdf["flags"].astype(object).copy()
    for extra in (stack_notes, dup_notes):
        _add(notes, (extra != "").to_numpy(), extra[extra != ""].to_numpy(dtype=object))
    gdf["flags"] = notes
    n_dup = int((excluded != "").sum())
    if n_dup:
        out.append(f"[{layer}] {n_dup} exact duplicate rows (same name and point): flagged, counted once")
    gdf[RATE_EXCLUDED] = excluded  # facilities too: a copy adds nothing to counts and sums
    return out
