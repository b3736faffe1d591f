"""Read the input layers and bring them to canonical columns.

Tables (CSV, XLSX) with x/y columns and GIS files (GeoJSON, GeoPackage, Shapefile) are read as given, then
turned into points in WGS84 (offset systems GCJ-02 / BD-09 undone), with canonical, parsed fields. Rows are
never dropped: a row that cannot be placed or parsed keeps its place and says why in ``flags``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoplan._errors import InputError
from geoplan.crs import BD09, GCJ02, normalise_crs_name, to_wgs84
from geoplan.parsing import parse_count, parse_number, parse_year
from geoplan.project import LayerSpec

log = logging.getLogger(__name__)

_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
#: Upper bounds beyond which a value is taken as a data error (kept as missing, noted in flags).
_MAX_HOUSEHOLDS = 50_000
_MAX_POPULATION = 200_000


def read_table(spec: LayerSpec) -> pd.DataFrame:
    """Read a layer file as it is (DataFrame, or GeoDataFrame for GIS formats)."""
    path = spec.path
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            return _read_csv(path, spec.encoding, sep="\t" if suffix == ".tsv" else ",")
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            return pd.read_excel(path, sheet_name=spec.sheet if spec.sheet is not None else 0, dtype=object)
        kwargs = {"layer": spec.layer} if spec.layer else {}
        if spec.encoding:
            kwargs["encoding"] = spec.encoding
        return pyogrio.read_dataframe(path, **kwargs)
    except (OSError, ValueError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        if isinstance(exc, InputError):
            raise
        msg = f"{path}: cannot read this file ({exc}); check it opens in QGIS or Excel"
        raise InputError(msg) from exc


def _read_csv(path: Path, encoding: str | None, sep: str) -> pd.DataFrame:
    # Chinese CSVs from Excel are often GBK; UTF-8 (with or without BOM) is tried first unless told.
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in candidates:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc, sep=sep)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030":
            log.info("%s: not UTF-8, read as GBK/GB18030", path)
        return frame
    msg = f"{path}: cannot decode as {', '.join(candidates)}; give encoding = \"...\" in the project file"
    raise InputError(msg)


def _check_columns(frame: pd.DataFrame, spec: LayerSpec, layer: str) -> None:
    needed = dict(spec.fields)
    if spec.x:
        needed["x"] = spec.x
    if spec.y:
        needed["y"] = spec.y
    missing = {k: v for k, v in needed.items() if v not in frame.columns}
    if missing:
        wanted = ", ".join(f"{k} = {v!r}" for k, v in missing.items())
        have = ", ".join(map(str, frame.columns))
        msg = f"{spec.path} ({layer}): column(s) not found: {wanted}. Columns in the file: {have}"
        raise InputError(msg)
    if not spec.x and not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{spec.path} ({layer}): a table needs x and y (longitude/latitude) columns in the project file"
        raise InputError(msg)


def _points_wgs84(frame: pd.DataFrame, spec: LayerSpec, layer: str) -> tuple[gpd.GeoSeries, pd.Series,
                                                                              gpd.GeoSeries | None]:
    """Representative points in WGS84, row notes, and polygons in WGS84 when the layer has them."""
    notes = pd.Series("", index=frame.index, dtype=object)
    polygons = None
    if spec.x and spec.y:
        x, _ = parse_number(frame[spec.x], allow_negative=True)
        y, _ = parse_number(frame[spec.y], allow_negative=True)
        crs: str | None = spec.crs or "WGS84"
        shapes = None
    else:
        assert isinstance(frame, gpd.GeoDataFrame)
        crs = spec.crs or (frame.crs.to_string() if frame.crs else None)
        shapes = frame.geometry
        invalid = ~shapes.is_valid & shapes.notna()
        shapes = shapes.where(~invalid, shapes.make_valid())
        notes[invalid.to_numpy()] = "invalid geometry repaired"
        areal = shapes.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        rep = shapes.representative_point()
        x = pd.Series(rep.x.to_numpy(), index=frame.index)
        y = pd.Series(rep.y.to_numpy(), index=frame.index)
    if crs is None:
        msg = f"{spec.path} ({layer}): the file has no coordinate system; add crs = \"...\" to the project"
        raise InputError(msg)
    name = normalise_crs_name(crs)
    lon, lat = to_wgs84(x.to_numpy(), y.to_numpy(), name)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    notes[~ok] = "no usable coordinates"
    points = gpd.GeoSeries(shapely.points(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)),
                           index=frame.index, crs=4326)
    points[~ok] = None
    if shapes is not None and areal.any():
        polygons = _shapes_to_wgs84(shapes, name).where(pd.Series(areal, index=frame.index))
    return points, notes, polygons


def _shapes_to_wgs84(shapes: gpd.GeoSeries, crs: object) -> gpd.GeoSeries:
    if crs in (GCJ02, BD09):
        def fn(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84(xy[:, 0], xy[:, 1], str(crs))
            return np.column_stack([lon, lat])

        return gpd.GeoSeries(shapely.transform(shapes.to_numpy(), fn), index=shapes.index, crs=4326)
    return gpd.GeoSeries(shapes, crs=crs).to_crs(4326)


def _join_notes(*columns: pd.Series) -> pd.Series:
    frame = pd.concat(columns, axis=1).fillna("")
    joined = ["; ".join(v for v in row if v) for row in frame.itertuples(index=False)]
    return pd.Series(joined, index=frame.index, dtype=object)  # also for an empty layer


def _named(notes: pd.Series, field: str) -> pd.Series:
    return notes.map(lambda n: f"{field}: {n}" if n else "")


def canonical_communities(frame: pd.DataFrame, spec: LayerSpec) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries | None]:
    """Communities with canonical columns, points in WGS84; polygons (WGS84) when the layer had them."""
    _check_columns(frame, spec, "communities")
    frame = frame.reset_index(drop=True)
    points, geo_notes, polygons = _points_wgs84(frame, spec, "communities")
    f = spec.fields
    out = pd.DataFrame(index=frame.index)
    out["community_id"] = _ids(frame, f.get("community_id"), "C")
    out["name"] = _text(frame, f.get("name"))
    notes = [geo_notes]
    for field, maximum in (("households", _MAX_HOUSEHOLDS), ("population", _MAX_POPULATION)):
        if field in f:
            out[field], n = parse_count(frame[f[field]], maximum=maximum)
            notes.append(_named(n, field))
        else:
            out[field] = np.nan
    if "build_year" in f:
        out["build_year"], n = parse_year(frame[f["build_year"]])
        notes.append(_named(n, "build_year"))
    else:
        out["build_year"] = np.nan
    out["admin_code"] = _text(frame, f.get("admin_code"))
    out["source_row"] = np.arange(len(frame)) + 1
    out["flags"] = _join_notes(*notes, _duplicate_note(out["community_id"]))
    if "entrance_x" in f and "entrance_y" in f:
        ex, _ = parse_number(frame[f["entrance_x"]], allow_negative=True)
        ey, _ = parse_number(frame[f["entrance_y"]], allow_negative=True)
        lon, lat = to_wgs84(ex.to_numpy(), ey.to_numpy(), normalise_crs_name(spec.crs or "WGS84"))
        has = np.isfinite(lon) & np.isfinite(lat)
        points = points.where(~pd.Series(has, index=points.index),
                              gpd.GeoSeries(shapely.points(lon, lat), index=points.index, crs=4326))
    return gpd.GeoDataFrame(out, geometry=points, crs=4326), polygons


def canonical_facilities(
    frame: pd.DataFrame, spec: LayerSpec, type_map: Mapping[str, str], known_types: Collection[str]
) -> gpd.GeoDataFrame:
    """Facilities with canonical columns and plan types; unmapped types are kept and flagged."""
    _check_columns(frame, spec, "facilities")
    frame = frame.reset_index(drop=True)
    points, geo_notes, _ = _points_wgs84(frame, spec, "facilities")
    f = spec.fields
    out = pd.DataFrame(index=frame.index)
    out["facility_id"] = _ids(frame, f.get("facility_id"), "F")
    out["name"] = _text(frame, f.get("name"))
    raw_type = _text(frame, f.get("facility_type"))
    mapped = raw_type.map(lambda t: type_map.get(t, t if t in known_types else None))
    out["facility_type"] = mapped
    out["source_type"] = raw_type
    notes = [geo_notes, raw_type.where(mapped.isna(), "").map(lambda t: f"unknown type {t!r}" if t else "")]
    for field in ("floor_area_m2", "outdoor_area_m2", "land_area_m2", "slots", "beds", "nursing_beds",
                  "dementia_beds"):
        if field in f:
            out[field], n = parse_number(frame[f[field]])
            notes.append(_named(n.where(n != "missing", ""), field))
        else:
            out[field] = np.nan
    out["community_id"] = _text(frame, f.get("community_id"))
    out["admin_code"] = _text(frame, f.get("admin_code"))
    out["source_row"] = np.arange(len(frame)) + 1
    out["flags"] = _join_notes(*notes, _duplicate_note(out["facility_id"]))
    return gpd.GeoDataFrame(out, geometry=points, crs=4326)


def _ids(frame: pd.DataFrame, column: str | None, prefix: str) -> pd.Series:
    generated = pd.Series([f"{prefix}{i + 1:05d}" for i in range(len(frame))], index=frame.index, dtype=object)
    if column is None:
        return generated
    given = _text(frame, column)
    return given.where(given != "", generated)


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[column]
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")  # ids read as floats (1234.0) print as 1234
    return values.astype("string").fillna("").str.strip().astype(object)


def _duplicate_note(ids: pd.Series) -> pd.Series:
    dup = ids.duplicated(keep=False) & (ids != "")
    return pd.Series(np.where(dup, "duplicate id", ""), index=ids.index, dtype=object)

