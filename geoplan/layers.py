"""Read the input layers and bring them to canonical columns.

Tables (CSV, XLSX) with x/y columns and GIS files (GeoJSON, GeoPackage, Shapefile) are read as given, then
turned into points in WGS84 (offset systems GCJ-02 / BD-09 undone), with canonical, parsed fields.

Rows are never dropped: a row that cannot be placed or parsed keeps its place and says why in ``flags``
(no geometry, invalid geometry repaired, x/y swapped, "暂无" households, a duplicate id, an unknown type, text
read as GBK ...). What makes a whole layer unusable (no rows, columns not found, no coordinate system, not
one usable coordinate) is gathered first and raised as one :class:`~geoplan._errors.InputError`. Notes about
the whole layer (an encoding guessed, a CRS assumed) are kept in ``gdf.attrs["geoplan_notes"]``, see
:func:`layer_notes`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoplan import _hints, _rowchecks
from geoplan import _validate as val
from geoplan._errors import Hint, InputError
from geoplan._inputs import LAYER_NOTES, ROW_NOTES, SHEETS, read_layer
from geoplan.crs import BD09, GCJ02, normalise_crs_name, to_wgs84
from geoplan.parsing import parse_count, parse_number, parse_year
from geoplan.project import LayerSpec

log = logging.getLogger(__name__)

#: Upper bounds beyond which a value is taken as a data error (kept as missing, noted in flags).
_MAX_HOUSEHOLDS = 50_000
_MAX_POPULATION = 200_000
_MAX_FACILITY = {"floor_area_m2": 1e6, "outdoor_area_m2": 1e6, "land_area_m2": 1e7, "slots": 1e4, "beds": 2e4,
                 "nursing_beds": 2e4, "dementia_beds": 2e4}
_ROW_NOTES = ROW_NOTES
_LAYER_NOTES = LAYER_NOTES
_SOURCE_CRS = "geoplan_source_crs"
_NO_XY = "no usable coordinates"


def layer_notes(frame: pd.DataFrame) -> list[str]:
    """Notes about a whole layer made while reading it (encoding guessed, CRS assumed ...)."""
    return list(frame.attrs.get(_LAYER_NOTES, []))


def source_crs(gdf: pd.DataFrame) -> str | pyproj.CRS | None:
    """The coordinate system a canonical layer was declared in (``"GCJ02"``, ``"BD09"`` or a pyproj CRS)."""
    crs = gdf.attrs.get(_SOURCE_CRS)
    return crs if isinstance(crs, str | pyproj.CRS) else None


# ------------------------------------------------------------------------------------------------ reading


def read_table(spec: LayerSpec, section: str = "layer", wanted: Collection[str] | None = None) -> pd.DataFrame:
    """Read a layer file as it is (DataFrame, or GeoDataFrame for GIS formats): see :func:`geoplan._inputs.read_layer`.

    Raises
    ------
    InputError
        The file is missing, empty, a folder, damaged or truncated, not what its name says and not readable
        as what it is, or not in a format geoplan reads; the message names the file and says what to do.
    """
    return read_layer(spec, section, wanted)


# ------------------------------------------------------------------------------------------- coordinates


@dataclass
class _Placed:
    """Points (WGS84) of a layer, per-row notes, polygons (WGS84) where the layer has them."""

    points: gpd.GeoSeries
    notes: pd.Series
    polygons: gpd.GeoSeries | None
    crs: str | pyproj.CRS | None = None


def _source_crs(frame: pd.DataFrame, spec: LayerSpec, problems: val.Problems,
                layer_notes_: list[str], layer: str) -> str | pyproj.CRS | None:
    if spec.crs:
        try:
            return normalise_crs_name(spec.crs)
        except InputError as exc:
            problems.add(exc.what, exc.hint, field="crs")
            return None
    if spec.x and spec.y:
        layer_notes_.append(f"[{layer}] gives no crs: x/y taken as WGS84 (assumed); set crs = \"GCJ02\" for 高德, "
                            "\"BD09\" for 百度 data")
        return normalise_crs_name("WGS84")
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
        return pyproj.CRS.from_user_input(frame.crs)
    todo = Hint(zh=f"在项目文件的 [{layer}] 中加 crs = \"...\"",
                en=f"add crs = \"...\" to [{layer}] in the project file")
    if isinstance(frame, gpd.GeoDataFrame) and len(frame):
        bounds = frame.geometry.bounds
        todo = _hints.join(todo, val.crs_hint_both(bounds["minx"].to_numpy(), bounds["miny"].to_numpy()))
    problems.add("the file has no coordinate system (no .prj?)", todo)
    return None


def _raw_xy(frame: pd.DataFrame, spec: LayerSpec) -> tuple[np.ndarray, np.ndarray, pd.Series,
                                                            gpd.GeoSeries | None]:
    """Source coordinates (representative points), notes, and the (repaired) shapes of a GIS layer."""
    notes = pd.Series("", index=frame.index, dtype=object)
    if spec.x and spec.y:
        if spec.x == spec.y:  # one column of "lon,lat" pairs, as map APIs (高德 location) give them
            pair = frame[spec.x].astype("string").fillna("").str.split(r"\s*[,，;；]\s*|\s+", n=1, expand=True,
                                                                          regex=True)
            pair = pair.reindex(columns=[0, 1]).fillna("")
            x, _ = parse_number(pair[0], allow_negative=True)
            y, _ = parse_number(pair[1], allow_negative=True)
        else:
            x, _ = parse_number(frame[spec.x], allow_negative=True)
            y, _ = parse_number(frame[spec.y], allow_negative=True)
        bad = (x.isna() | y.isna()).to_numpy()
        raw = [f"{spec.x} = {_short(a)!r}, {spec.y} = {_short(b)!r}"
               for a, b in zip(frame[spec.x][bad], frame[spec.y][bad], strict=True)]
        notes[bad] = np.array([f"{_NO_XY}: {r}" for r in raw], dtype=object)
        return x.to_numpy(dtype=float), y.to_numpy(dtype=float), notes, None
    assert isinstance(frame, gpd.GeoDataFrame)
    shapes = frame.geometry.to_numpy()
    missing = shapely.is_missing(shapes)
    empty = ~missing & shapely.is_empty(shapes)
    invalid = ~missing & ~empty & ~shapely.is_valid(shapes)
    notes[missing] = f"{_NO_XY}: no geometry"
    notes[empty] = f"{_NO_XY}: empty geometry"
    if invalid.any():
        reasons = shapely.is_valid_reason(shapes[invalid])
        shapes = shapes.copy()
        shapes[invalid] = shapely.make_valid(shapes[invalid])
        notes[invalid] = np.array([f"invalid geometry ({r}) repaired with make_valid" for r in reasons], dtype=object)
    rep = shapely.point_on_surface(shapes)
    xy = np.full((len(frame), 2), np.nan)
    has = ~(shapely.is_missing(rep) | shapely.is_empty(rep))
    xy[has] = shapely.get_coordinates(rep[has])
    return xy[:, 0], xy[:, 1], notes, gpd.GeoSeries(shapes, index=frame.index, crs=frame.crs)


def _short(value: object, n: int = 40) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "…"


def _place(frame: pd.DataFrame, spec: LayerSpec, layer: str, crs: str | pyproj.CRS,
           problems: val.Problems, layer_notes_: list[str]) -> _Placed:
    x, y, notes, shapes = _raw_xy(frame, spec)
    lon, lat = to_wgs84(x, y, crs)
    # x/y given as (lat, lon): unambiguous inside China, so such rows are turned round and flagged.
    slon, slat = to_wgs84(y, x, crs)
    swapped = val.swapped_rows(lon, lat, slon, slat) & np.isfinite(x) & np.isfinite(y)
    if swapped.any():
        lon, lat = np.where(swapped, slon, lon), np.where(swapped, slat, lat)
        notes[swapped] = "x/y given the wrong way round (lat, lon): used as (lon, lat)"
        what = f"[{layer}] x/y swapped in {int(swapped.sum())} of {len(frame)} rows: turned round and flagged"
        if spec.x and spec.y and swapped.mean() > 0.5:
            what += f"; set x = {spec.y!r} and y = {spec.x!r}"
        layer_notes_.append(what)
        log.warning("%s: %s", spec.path, what)
    ok = val.usable_lonlat(lon, lat)
    placeable = np.isfinite(x) & np.isfinite(y)
    out_of_range = placeable & ~ok
    notes[out_of_range] = np.array([f"{_NO_XY}: ({a:g}, {b:g}) is out of range for {_crs_label(crs)}"
                                    for a, b in zip(x[out_of_range], y[out_of_range], strict=True)], dtype=object)
    ok, more = _rowchecks.coordinate_checks(x, y, lon, lat, crs, ok, notes, layer)
    layer_notes_ += more
    n = len(frame)
    if n and not ok.any():
        problems.add(f"none of the {n} rows has usable coordinates (first: {notes.iloc[0] or _NO_XY})",
                     _hints.join(Hint(zh="检查项目文件中的 x/y（或几何）列与 crs",
                                      en="check the x/y (or geometry) columns and crs in the project file"),
                                 val.crs_hint_both(x, y)))
    points = gpd.GeoSeries(shapely.points(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)),
                           index=frame.index, crs=4326)
    points[~ok] = None
    polygons = None
    if shapes is not None:
        areal = shapes.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy() & ok
        if areal.any():
            if swapped.any():
                shapes = shapes.copy()
                shapes[swapped] = shapely.transform(shapes[swapped].to_numpy(), lambda c: c[:, ::-1])
            polygons = _shapes_to_wgs84(shapes, crs).where(pd.Series(areal, index=frame.index))
    return _Placed(points, notes, polygons)


def _crs_label(crs: str | pyproj.CRS) -> str:
    return crs if isinstance(crs, str) else (crs.to_string() or crs.name)


def _shapes_to_wgs84(shapes: gpd.GeoSeries, crs: str | pyproj.CRS) -> gpd.GeoSeries:
    if isinstance(crs, str) and crs in (GCJ02, BD09):  # never compare a pyproj.CRS to a string: slow
        def fn(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84(xy[:, 0], xy[:, 1], str(crs))
            return np.column_stack([lon, lat])

        return gpd.GeoSeries(shapely.transform(shapes.to_numpy(), fn), index=shapes.index, crs=4326)
    return gpd.GeoSeries(shapes.to_numpy(), index=shapes.index, crs=crs).to_crs(4326)


# ------------------------------------------------------------------------------------------- canonical


def _join_notes(*columns: pd.Series) -> pd.Series:
    frame = pd.concat(columns, axis=1).fillna("")
    if frame.empty:
        return pd.Series("", index=frame.index, dtype=object)
    return frame.apply(lambda row: "; ".join(v for v in row if v), axis=1).astype(object)


def _named(notes: pd.Series, field: str) -> pd.Series:
    return notes.map(lambda n: f"{field}: {n}" if n else "")


def _prepare(frame: pd.DataFrame, spec: LayerSpec, layer: str) -> tuple[pd.DataFrame, _Placed, pd.Series, list[str]]:
    """Check the layer as a whole (one error listing every problem), then place its rows."""
    row_notes: dict[int, str] = dict(frame.attrs.get(_ROW_NOTES, {}))
    sheets: list[str] = list(frame.attrs.get(SHEETS, []))
    notes_: list[str] = layer_notes(frame)
    frame = frame.reset_index(drop=True)
    problems = val.Problems(val.layer_source(spec.path, layer))
    if len(frame) == 0 and spec.path.is_file():
        # Not an error: an audit of admin units needs no communities, and a district may have no facility yet.
        notes_.append(f"{spec.path.name} ({layer}) has no rows: nothing of this layer to audit")
        log.warning("%s", notes_[-1])
    wanted = dict(spec.fields)
    if spec.x:
        wanted["x"] = spec.x
    if spec.y:
        wanted["y"] = spec.y
    columns_ok = val.check_columns(frame, wanted, problems, layer)
    if not columns_ok and len(sheets) > 1:
        problems.add(f"the workbook has {len(sheets)} sheets: {', '.join(map(repr, sheets))}",
                     Hint(zh=f"若列在另一张工作表上，在 [{layer}] 中设置 sheet = \"...\"",
                          en=f"if the columns are on another one, set sheet = \"...\" in [{layer}]"))
    if not spec.x and not isinstance(frame, gpd.GeoDataFrame):
        problems.add("a table needs coordinate columns",
                     Hint(zh=f"在 [{layer}] 中给出 x = \"经度列\" 与 y = \"纬度列\"",
                          en=f"give x = \"经度 column\" and y = \"纬度 column\" in [{layer}]"))
        columns_ok = False
    crs = _source_crs(frame, spec, problems, notes_, layer) if len(frame) else normalise_crs_name("WGS84")
    if problems or crs is None or not columns_ok:
        problems.raise_if_any()
    assert crs is not None
    placed = _place(frame, spec, layer, crs, problems, notes_)
    problems.raise_if_any()
    placed.crs = crs
    read = pd.Series([row_notes.get(i, "") for i in range(len(frame))], index=frame.index, dtype=object)
    return frame, placed, read, notes_


def canonical_communities(frame: pd.DataFrame, spec: LayerSpec) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries | None]:
    """Communities with canonical columns, points in WGS84; polygons (WGS84) when the layer had them."""
    frame, placed, read_notes, notes_ = _prepare(frame, spec, "communities")
    points = placed.points
    f = spec.fields
    out = pd.DataFrame(index=frame.index)
    out["community_id"] = _ids(frame, f.get("community_id"), "C")
    out["name"] = _text(frame, f.get("name"))
    notes = [read_notes, placed.notes]
    for field, maximum in (("households", _MAX_HOUSEHOLDS), ("population", _MAX_POPULATION)):
        if field in f:
            out[field], n = parse_count(frame[f[field]], maximum=maximum)
            notes.append(_named(n, field))
        else:
            out[field] = np.nan
    for field in ("infants_0_3", "elderly_60"):  # age groups, only where mapped (else estimated: geoplan.demand)
        if field in f:
            out[field], n = parse_count(frame[f[field]], maximum=_MAX_POPULATION)
            notes.append(_named(n, field))
    if "build_year" in f:
        out["build_year"], n = parse_year(frame[f["build_year"]])
        notes.append(_named(n, "build_year"))
    else:
        out["build_year"] = np.nan
    out["admin_code"] = _text(frame, f.get("admin_code"))
    out["source_row"] = np.arange(len(frame)) + 1
    if "entrance_x" in f and "entrance_y" in f:
        points, entrance_notes = _entrances(frame, spec, points)
        notes.append(entrance_notes)
    out["flags"] = _join_notes(*notes, val.duplicate_notes(out["community_id"]))
    gdf = gpd.GeoDataFrame(out, geometry=points, crs=4326)
    gdf.attrs[_LAYER_NOTES] = notes_
    gdf.attrs[_SOURCE_CRS] = placed.crs
    return gdf, placed.polygons


def _entrances(frame: pd.DataFrame, spec: LayerSpec, points: gpd.GeoSeries) -> tuple[gpd.GeoSeries, pd.Series]:
    """Use the entrance coordinates where given and usable (the walk starts at the gate)."""
    f = spec.fields
    ex, _ = parse_number(frame[f["entrance_x"]], allow_negative=True)
    ey, _ = parse_number(frame[f["entrance_y"]], allow_negative=True)
    lon, lat = to_wgs84(ex.to_numpy(), ey.to_numpy(), normalise_crs_name(spec.crs or "WGS84"))
    has = val.usable_lonlat(lon, lat)
    given = (frame[f["entrance_x"]].astype("string").fillna("").str.strip() != "").to_numpy()
    notes = pd.Series("", index=frame.index, dtype=object)
    notes[given & ~has] = "entrance: unusable coordinates, the community's own point used"
    entrance = gpd.GeoSeries(shapely.points(lon, lat), index=points.index, crs=4326)
    return points.where(~pd.Series(has, index=points.index), entrance), notes


def canonical_facilities(
    frame: pd.DataFrame, spec: LayerSpec, type_map: Mapping[str, str], known_types: Collection[str]
) -> gpd.GeoDataFrame:
    """Facilities with canonical columns and plan types; unmapped or unknown types are kept and flagged."""
    frame, placed, read_notes, notes_ = _prepare(frame, spec, "facilities")
    f = spec.fields
    out = pd.DataFrame(index=frame.index)
    out["facility_id"] = _ids(frame, f.get("facility_id"), "F")
    out["name"] = _text(frame, f.get("name"))
    raw_type = _text(frame, f.get("facility_type"))
    mapped = raw_type.map(lambda t: type_map.get(t, t if t in known_types else None))
    out["facility_type"] = mapped
    out["source_type"] = raw_type
    for problem in val.type_map_problems(type_map, known_types):
        log.warning("%s", problem)
        notes_.append(problem)
    notes = [read_notes, placed.notes]
    if "facility_type" in f:
        notes.append(val.unknown_type_notes(raw_type, mapped, type_map, known_types))
    else:
        notes_.append("[facilities.fields] has no facility_type: no facility can be used by a rule")
    for field in ("floor_area_m2", "outdoor_area_m2", "land_area_m2", "slots", "beds", "nursing_beds",
                  "dementia_beds"):
        if field in f:
            out[field], n = parse_number(frame[f[field]], maximum=_MAX_FACILITY[field])
            notes.append(_named(n.where(n != "missing", ""), field))
        else:
            out[field] = np.nan
    out["community_id"] = _text(frame, f.get("community_id"))
    out["admin_code"] = _text(frame, f.get("admin_code"))
    out["source_row"] = np.arange(len(frame)) + 1
    out["flags"] = _join_notes(*notes, val.duplicate_notes(out["facility_id"]))
    gdf = gpd.GeoDataFrame(out, geometry=placed.points, crs=4326)
    gdf.attrs[_LAYER_NOTES] = notes_
    gdf.attrs[_SOURCE_CRS] = placed.crs
    return gdf


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
