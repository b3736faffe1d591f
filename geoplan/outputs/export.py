"""Write an audit's layers and tables for QGIS, ArcGIS and Excel.

* :func:`write_shapefile` — one layer, DBF field names shortened to 10 characters by the documented scheme
  of :mod:`geoplan.outputs._fieldnames` (``reach_elderly_15__status`` → ``R1_STATUS``, ``households`` →
  ``HH`` ...), with ``<name>_fields.csv`` beside it (short, full_name, description). ``.cpg``: ``UTF-8``,
  or ``936`` with the DBF language driver byte 0x4D for GBK (what ArcGIS ≤ 10.2 expects). Numbers use
  GDAL's DBF defaults (integers N(18,0), reals N(24,15), fitted for large values), counts with a missing
  value stay integers, missing numbers are null. Text longer than the 254-byte DBF limit is cut at a
  character boundary and ends in "…"; the row's ``TRUNCATED`` field names the cut fields
  (:mod:`geoplan.outputs._shapefile`).
* :func:`write_geopackage` — several layers, full field names, GeoPackage 1.2 (what GDAL 3.6 and QGIS 3.22
  open without a warning), and a QGIS ``layer_styles`` table styling every layer: one style per rule on
  layers with rule results, facilities one symbol per type (:mod:`geoplan.outputs._styles`).
* :func:`write_qgis_project` — a QGIS project (``.qgs``) beside the GeoPackage opening all its layers,
  grouped per rule (:mod:`geoplan.outputs._qgs`).
* :func:`write_geojson` — RFC 7946 GeoJSON (WGS84).
* :func:`write_xlsx` — the workbook of :mod:`geoplan.outputs._xlsx`.
* :func:`export_result` — all of these for an :class:`~geoplan.result.AuditResult`, inside one folder.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from geoplan import _hints
from geoplan._errors import Hint, InputError, OutputError
from geoplan.outputs._atomic import replacing
from geoplan.outputs._folder import output_folder
from geoplan.outputs._gislayers import GisLayer, gis_layers, is_area_layer, rule_titles
from geoplan.outputs._mapdata import type_labels
from geoplan.outputs._qgs import write_qgis_project
from geoplan.outputs._shapefile import ShapefileWritten, check_encoding, geometry_type, write_shapefile
from geoplan.outputs._stamp import stamp_geopackage
from geoplan.outputs._styles import LayerStyle, layer_styles, write_layer_styles
from geoplan.outputs._tables import (
    child_path,
    clean_layer,
    lonlat_table,
    reproject,
    resolve_crs,
    write_csv,
)
from geoplan.outputs._xlsx import result_tables, write_workbook
from geoplan.outputs.report import summary_csv, write_summary_markdown
from geoplan.result import AuditResult
from geoplan.siting.planning.plans import SitingResult

log = logging.getLogger(__name__)

#: GeoPackage version written: GDAL < 3.7 warns "may only be partially supported" on 1.4 (its default).
GPKG_VERSION: Final = "1.2"

#: Formats :func:`export_result` can write.
FORMATS: Final = ("gpkg", "shp", "csv", "md", "xlsx", "geojson")

__all__ = [
    "FORMATS", "ShapefileWritten", "export_result", "write_geojson", "write_geopackage", "write_qgis_project",
    "write_shapefile", "write_xlsx",
]


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *,
    styles: bool | Mapping[str, Sequence[LayerStyle]] = True, stamp: str | None = None,
    titles: Mapping[str, str] | None = None,
) -> Path:
    """Write layers into one GeoPackage 1.2 (replacing the file), full field names, optionally QGIS styles.

    Parameters
    ----------
    layers : mapping
        Layer (table) name → GeoDataFrame, written in this order with each layer's own CRS.
    path : str or Path
        The ``.gpkg`` file. It is built beside the target and moved in place when complete.
    styles : bool or mapping
        True: add a ``layer_styles`` table styling every layer (:func:`geoplan.outputs._styles.layer_styles`:
        one style per ``<rule>__status`` column, pass #0072B2, fail #D55E00, not evaluable #999999, not
        applicable #CCCCCC, the first the default; facilities by type ...). A mapping: these styles per
        layer instead. False: no styles.
    stamp : str, optional
        ISO date written as every table's ``last_change`` instead of the clock, so the same audit gives the
        same bytes (pass ``result.created``).
    titles : mapping, optional
        Rule id → title, for the styles' descriptions.

    Raises
    ------
    InputError
        If no layers are given or a layer name is empty or reserved (``gpkg_``, ``rtree_``, ``sqlite_``).
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    if not layers:
        msg = "write_geopackage needs at least one layer"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    for name in layers:
        if not name or name.lower().startswith(("gpkg_", "rtree_", "sqlite_")) or name == "layer_styles":
            msg = f"layer name {name!r} is empty or reserved in a GeoPackage"
            raise InputError(msg, hint=Hint(zh="换一个图层名", en="choose another"))
    found: dict[str, Sequence[LayerStyle]] = {}
    try:
        with replacing(path, what="the GeoPackage") as tmp:
            for i, (name, gdf) in enumerate(layers.items()):
                layer = clean_layer(gdf)
                created = {"dataset_options": {"VERSION": GPKG_VERSION}} if i == 0 else {}
                pyogrio.write_dataframe(layer, tmp, layer=name, driver="GPKG", geometry_type=geometry_type(layer),
                                        **created)
                if styles is True:
                    found[name] = layer_styles(name, layer, titles)
            if isinstance(styles, Mapping):
                found = {name: list(styles[name]) for name in layers if name in styles}
            if styles is not False and found:
                write_layer_styles(tmp, found)
            if stamp:
                stamp_geopackage(tmp, stamp)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.Error) as exc:
        msg = f"cannot write the GeoPackage {path}: {exc}"
        raise OutputError(msg, hint=_hints.WRITABLE_FOLDER) from exc
    log.info("wrote %s (layers %s; %d styled)", path, ", ".join(layers), len(found) if styles else 0)
    return path


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write one layer as RFC 7946 GeoJSON: WGS84 lon/lat, full field names, UTF-8.

    Raises
    ------
    InputError
        If the layer has no CRS to convert from.
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    layer = clean_layer(reproject(gdf, pyproj.CRS.from_epsg(4326)))
    try:
        with replacing(path, what="the GeoJSON") as tmp:
            # layer= keeps the FeatureCollection's "name" the final file's stem, not the temporary one's.
            pyogrio.write_dataframe(layer, tmp, layer=path.stem, driver="GeoJSON",
                                    layer_options={"RFC7946": "YES"}, geometry_type=geometry_type(layer))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"cannot write the GeoJSON {path}: {exc}"
        raise OutputError(msg, hint=_hints.WRITABLE_FOLDER) from exc
    log.info("wrote %s (%d features)", path, len(layer))
    return path


def write_xlsx(
    result_or_tables: AuditResult | Mapping[str, pd.DataFrame], path: str | Path, *, stamp: str | None = None
) -> Path:
    """Write an Excel workbook: a result's sheets, or one sheet per table of a mapping.

    A result gives the sheets 指标 indicators (the plan's wording), 小区 communities and 设施 facilities
    (lon/lat in WGS84 instead of geometry), 行政区 admin units when present, 不达标 failing findings and
    规则 rules with their citations. Headers are "Chinese label field_name", the header row is frozen and
    filterable, column widths fit the content. The workbook's dates are ``stamp`` (ISO date; a result's
    ``created`` by default), so the same audit gives the same bytes.
    """
    if isinstance(result_or_tables, AuditResult):
        return write_workbook(result_tables(result_or_tables), path, stamp=stamp or result_or_tables.created)
    return write_workbook(result_or_tables, path, stamp=stamp)


def _check_formats(formats: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        msg = f"unknown output format(s) {unknown}"
        raise InputError(msg, hint=Hint(zh=f"可选：{', '.join(FORMATS)}", en=f"choose from {', '.join(FORMATS)}"))
    return wanted


def export_result(
    result: AuditResult,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = ("gpkg", "shp", "csv", "md"),
    encoding: str = "utf-8",
    crs: str | int | pyproj.CRS | None = None,
    stem: str = "audit",
    siting: SitingResult | None = None,
) -> dict[str, Path]:
    """Write an audit's layers and reports into ``out_dir`` (created if needed), and nowhere else.

    The layers are those of :mod:`geoplan.outputs._gislayers`: communities, facilities, admin_units when
    present, per reach rule ``service_area__<rule_id>`` and ``uncovered__<rule_id>``, and ``suggestions``
    and ``catchments`` when ``siting`` is given. Per format: ``gpkg`` → ``<stem>.gpkg`` (QGIS styles for
    every layer) and ``<stem>.qgs`` (a QGIS project opening them, grouped per rule); ``shp`` →
    ``<layer>.shp`` + ``<layer>_fields.csv``; ``csv`` → ``<layer>.csv`` for every layer but the areas
    (lon/lat WGS84) + ``summary.csv`` + ``summary_indicators.csv``; ``md`` → ``report.md``;
    ``xlsx`` → ``<stem>.xlsx``; ``geojson`` → ``<layer>.geojson`` (WGS84).

    Parameters
    ----------
    result : AuditResult
    out_dir : str or Path
    formats : iterable of str
        Any of :data:`FORMATS`.
    encoding : {"utf-8", "gbk"}
        Shapefile text encoding.
    crs : int, str or pyproj.CRS, optional
        CRS for GeoPackage and Shapefile (default: the audit's metric CRS). GeoJSON and CSV are WGS84.
    stem : str
        Base name of the GeoPackage, its QGIS project and the workbook; a plain file name.
    siting : SitingResult, optional
        Suggestions made for this audit (``geoplan site``): their layers join the GeoPackage and Shapefiles.

    Returns
    -------
    dict
        File name → path of every file written (Shapefile sidecars not listed), sorted by name.

    Raises
    ------
    InputError
        For an unknown format, encoding or CRS.
    OutputError
        For a name that would leave ``out_dir``, or a file that cannot be written.
    """
    wanted = _check_formats(formats)
    out = Path(out_dir)
    for name in (stem, f"{stem}.gpkg", f"{stem}.qgs", f"{stem}.xlsx"):
        child_path(out, name)
    target = resolve_crs(crs, None)
    if "shp" in wanted:
        check_encoding(encoding)
    with output_folder(out):
        return _export(result, out, wanted, encoding, target, stem, siting)


def _write_gis(gis: list[GisLayer], out: Path, stem: str, titles: Mapping[str, str], result: AuditResult) -> (
    list[Path]
):
    """``<stem>.gpkg`` with every layer and its styles, and ``<stem>.qgs`` opening them."""
    layers = {layer.name: layer.frame for layer in gis}
    labels = type_labels(result.extra, result.preset_id, "zh")
    styles = {layer.name: layer_styles(layer.name, clean_layer(layer.frame), titles, labels) for layer in gis}
    gpkg = write_geopackage(layers, child_path(out, f"{stem}.gpkg"), styles=styles, stamp=result.created)
    return [gpkg, write_qgis_project(gis, styles, gpkg, child_path(out, f"{stem}.qgs"), titles, result.title)]


def _export(result: AuditResult, out: Path, wanted: list[str], encoding: str, target: pyproj.CRS | None,
            stem: str, siting: SitingResult | None) -> dict[str, Path]:
    gis = [GisLayer(g.name, reproject(g.frame, target), g.rule_id, g.label) for g in gis_layers(result, siting)]
    layers = {g.name: g.frame for g in gis}
    rules = rule_titles(result)
    written: dict[str, Path] = {}

    def put(path: Path) -> None:
        written[path.name] = path

    if "gpkg" in wanted:
        for path in _write_gis(gis, out, stem, rules, result):
            put(path)
    for name, gdf in layers.items():
        if "shp" in wanted:
            shp = write_shapefile(gdf, child_path(out, f"{name}.shp"), encoding=encoding, rules=rules)
            put(shp.path)
            put(shp.fields_path)
        if "geojson" in wanted:
            put(write_geojson(gdf, child_path(out, f"{name}.geojson")))
        if "csv" in wanted and not is_area_layer(name):  # the areas are geometry, not a table
            put(write_csv(lonlat_table(clean_layer(gdf)), child_path(out, f"{name}.csv")))
    if "csv" in wanted:
        for path in summary_csv(result, child_path(out, "summary.csv")):
            put(path)
    if "md" in wanted:
        put(write_summary_markdown(result, child_path(out, "report.md")))
    if "xlsx" in wanted:
        put(write_xlsx(result, child_path(out, f"{stem}.xlsx")))
    return dict(sorted(written.items()))
