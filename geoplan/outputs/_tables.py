"""Preparation shared by every output: plain column types, lon/lat, target CRS, safe paths, CSV writing."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geoplan._errors import Hint, InputError, OutputError
from geoplan.crs import normalise_crs_name
from geoplan.outputs._atomic import write_text

log = logging.getLogger(__name__)

#: Counts and years: stored as integers (nullable) when every known value is whole.
INTEGER_FIELDS: Final = (
    "households", "population", "build_year", "source_row", "slots", "beds", "nursing_beds", "dementia_beds",
)
_NUMERIC_KINDS: Final = ("integer", "floating", "mixed-integer-float", "decimal")
#: Text a spreadsheet would run as a formula (CSV injection): such cells get a leading apostrophe.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

Frame = TypeVar("Frame", bound=pd.DataFrame)


def to_text(value: Any) -> str | None:
    """One cell as text: lists joined with "; ", mappings and dataclasses as JSON, missing as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return json.dumps(dict(value), ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return "; ".join(str(v) for v in items)
    return str(value)


def _clean_column(name: str, values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if values.dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in _NUMERIC_KINDS:
            values = pd.to_numeric(values, errors="coerce")
        elif kind == "boolean":
            values = values.astype("boolean")
        else:
            values = values.map(to_text).astype(object)
    if name in INTEGER_FIELDS and pd.api.types.is_float_dtype(values):
        known = values.dropna()
        if np.isfinite(known).all() and (known % 1 == 0).all() and (known.abs() < 2**53).all():
            values = values.astype("Int64")
    return values


def clean_layer(frame: Frame) -> Frame:
    """A copy with string column names and plainly typed columns every writer accepts.

    Object columns become numbers, nullable booleans or text (lists joined with "; ", mappings as JSON);
    counts and years (:data:`INTEGER_FIELDS`) with whole values become nullable integers, so that a missing
    household count does not turn the column into reals. Rows and their order are untouched.

    Raises
    ------
    InputError
        If two columns have the same name.
    """
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    duplicated = out.columns[out.columns.duplicated()].tolist()
    if duplicated:
        msg = f"the table has duplicate column names {duplicated}"
        raise InputError(msg, hint=Hint(zh="导出前为重名的列改名", en="rename them before export"))
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for column in out.columns:
        if column != geometry:
            out[column] = _clean_column(column, out[column])
    return out


def lonlat_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attributes without geometry, with ``lon``/``lat`` (WGS84, 6 decimals) after the name column.

    Points give their coordinates; other shapes a point inside them (``representative_point``).

    Raises
    ------
    InputError
        If the layer has geometries but no CRS.
    """
    geometry = gdf.geometry
    table = pd.DataFrame(gdf.drop(columns=[geometry.name, *[c for c in ("lon", "lat") if c in gdf.columns]]))
    has_shapes = bool((geometry.notna() & ~geometry.is_empty).any())
    if has_shapes and gdf.crs is None:
        msg = "the layer has no coordinate system (crs): lon/lat cannot be computed"
        raise InputError(msg, hint=Hint(zh="先用 set_crs() 设定坐标系", en="set it with set_crs()"))
    points = geometry.where(geometry.geom_type == "Point", geometry.representative_point())
    if has_shapes:
        points = gpd.GeoSeries(points, crs=gdf.crs).to_crs(4326)
    lon = pd.Series(np.asarray(points.x, dtype=float), index=table.index).round(6)
    lat = pd.Series(np.asarray(points.y, dtype=float), index=table.index).round(6)
    at = list(table.columns).index("name") + 1 if "name" in table.columns else min(1, len(table.columns))
    table.insert(at, "lon", lon)
    table.insert(at + 1, "lat", lat)
    return table


def resolve_crs(crs: str | int | pyproj.CRS | None, default: pyproj.CRS | None) -> pyproj.CRS | None:
    """The CRS to write in: ``crs`` (EPSG int, "CGCS2000", "EPSG:4549", WKT ...) or ``default``.

    Raises
    ------
    InputError
        For GCJ-02 / BD-09 (offsets without a ``.prj``) or a name pyproj does not know.
    """
    if crs is None:
        return default
    resolved = normalise_crs_name(crs)
    if not isinstance(resolved, pyproj.CRS):
        msg = (
            f"cannot write coordinates in {resolved}: it is an offset of WGS84 with no .prj or EPSG code"
        )
        raise InputError(msg,
                hint=Hint(zh="改为输出 WGS84（EPSG:4326）、CGCS2000（EPSG:4490）或高斯-克吕格带（EPSG:4534-4554）",
                          en="write WGS84 (EPSG:4326), CGCS2000 (EPSG:4490) or a Gauss-Krüger zone "
                             "(EPSG:4534-4554) instead"))
    return resolved


def reproject(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | None) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs`` (unchanged when None or already there).

    Raises
    ------
    InputError
        If a CRS is asked for but the layer has none to convert from.
    """
    if crs is None or (gdf.crs is not None and gdf.crs == crs):
        return gdf
    if gdf.crs is None:
        msg = f"the layer has no coordinate system (crs), so it cannot be converted to {crs.name}"
        raise InputError(msg, hint=Hint(zh="先用 set_crs() 设定坐标系", en="set it with set_crs()"))
    return gdf.to_crs(crs)


def child_path(out_dir: Path, name: str) -> Path:
    """``out_dir / name``, refusing any name that could land outside ``out_dir``.

    Raises
    ------
    OutputError
        If ``name`` is empty, contains a path separator, ``..``, ``:`` or NUL, or resolves outside.
    """
    if (
        not name
        or any(ch in name for ch in ("/", "\\", ":", "\0"))
        or ".." in name
        or name.strip() in {"", "."}
        or Path(name).is_absolute()
    ):
        msg = f"output name {name!r} is not a plain file name"
        raise OutputError(msg, hint=Hint(zh="只用字母、数字、_、- 和 .",
                                         en="use letters, digits, '_', '-' and '.' only"))
    path = out_dir / name
    if not path.resolve().is_relative_to(out_dir.resolve()):
        msg = f"output {name!r} would be written outside {out_dir} (a link?)"
        raise OutputError(msg, hint=Hint(zh="换一个文件夹", en="choose another folder"))
    return path


def format_float(value: float) -> str:
    """Floats in text outputs: at most 6 decimals, no trailing zeros, no "-0"."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def excel_safe(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula, prefixed with an apostrophe; anything else as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV for Excel: UTF-8 with BOM, "\\n" line ends, floats via :func:`format_float`.

    Text cells that would run as spreadsheet formulas get a leading apostrophe (see :func:`excel_safe`).
    """
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(excel_safe).astype(object)
        elif pd.api.types.is_float_dtype(out[column]):
            text = out[column].map(lambda v: "" if pd.isna(v) else format_float(float(v)))
            out[column] = text.astype(object)
    csv_text = out.to_csv(index=False, lineterminator="\n")
    return write_text(Path(path), csv_text, what="the table", encoding="utf-8-sig")
