"""Convert an audit to what a city's GIS opens: the library side of ``geoplan export`` (:mod:`geoplan.cli.export`).

    geoplan export SOURCE --to shp [--to gpkg ...] [--out DIR] [--crs EPSG:4549 | GK] [--encoding gbk]

``SOURCE`` is either

* a GeoPackage geoplan wrote (``audit.gpkg`` of ``geoplan audit`` or of a batch area): its layers are read back
  and converted — no input data, network or rerun needed, and what is converted is exactly what was reviewed.
  The indicators and rules are not in a GeoPackage, so ``xlsx`` then holds one sheet per layer; or
* a project (``geoplan.toml`` or its folder): the audit runs first, and every format of
  :func:`geoplan.outputs.export.export_result` is available (``xlsx`` with indicators and rules, ``md``, ``csv``).

Formats: ``shp`` (DBF names ≤ 10 characters, ``<layer>_fields.csv`` mapping them to the full names, ``.cpg``
UTF-8 or GBK, ``.prj`` of ``--crs``), ``gpkg`` (full names, QGIS ``layer_styles``), ``geojson`` (WGS84),
``xlsx``, ``csv``. ``--crs`` takes any EPSG code or name (``CGCS2000``, ``EPSG:4549`` ...) or ``GK``: the
CGCS2000 3-degree Gauss-Krüger zone of the data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj

from geoplan import _hints
from geoplan._errors import Hint, InputError, OutputError
from geoplan.crs import auto_metric_crs
from geoplan.outputs._fieldnames import split_rule_column
from geoplan.outputs._gislayers import is_area_layer
from geoplan.outputs._tables import child_path, clean_layer, lonlat_table, reproject, resolve_crs, write_csv
from geoplan.outputs.export import write_geojson, write_geopackage, write_shapefile, write_xlsx

log = logging.getLogger(__name__)

#: Formats of ``geoplan export`` (a project source also allows ``md``).
EXPORT_FORMATS: Final = ("shp", "gpkg", "geojson", "xlsx", "csv")
#: ``--crs`` value meaning "the CGCS2000 3-degree Gauss-Krüger zone of the data".
GK: Final = "GK"


def read_audit_geopackage(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """The spatial layers of a GeoPackage geoplan wrote, by name, in file order (``layer_styles`` left out).

    Raises
    ------
    InputError
        If the file cannot be read or has no spatial layer.
    """
    path = Path(path)
    try:
        listed = pyogrio.list_layers(path)
        layers = {str(name): pyogrio.read_dataframe(path, layer=str(name)) for name, kind in listed
                  if kind is not None and str(name) != "layer_styles"}
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"{path}: cannot read this GeoPackage ({exc})"
        raise InputError(msg, hint=Hint(zh="给出 geoplan 写出的 audit.gpkg，或项目文件",
                                        en="give an audit.gpkg written by geoplan, or a project")) from exc
    if not layers:
        msg = f"{path}: no spatial layer in this GeoPackage"
        raise InputError(msg, hint=Hint(zh="给出 geoplan 写出的 audit.gpkg，或项目文件",
                                        en="give an audit.gpkg written by geoplan, or a project"))
    return layers


def target_crs(crs: str | None, layers: Iterable[gpd.GeoDataFrame]) -> pyproj.CRS | None:
    """``--crs`` as a CRS: None keeps each layer's own, ``GK`` picks the data's Gauss-Krüger zone."""
    if crs is None or crs.strip().upper() != GK:
        return resolve_crs(crs, None)
    points = [gdf.geometry.to_crs(4326).representative_point() for gdf in layers if gdf.crs is not None and len(gdf)]
    xs = [p.x.to_numpy() for p in points]
    ys = [p.y.to_numpy() for p in points]
    if not xs:
        msg = "--crs GK: the layers have no located features to choose a Gauss-Krüger zone from"
        raise InputError(msg, hint=Hint(zh="用 --crs 给出 EPSG 代码，如 EPSG:4549",
                                        en="give --crs as an EPSG code, e.g. EPSG:4549"))
    return auto_metric_crs(np.concatenate(xs), np.concatenate(ys))


def _rule_ids(layers: Iterable[gpd.GeoDataFrame]) -> list[str]:
    ids: dict[str, None] = {}
    for gdf in layers:
        for column in map(str, gdf.columns):
            parts = split_rule_column(column)
            if parts:
                ids.setdefault(parts[0], None)
    return list(ids)


def export_layers(layers: dict[str, gpd.GeoDataFrame], out_dir: str | Path, formats: Sequence[str], *,
                  encoding: str = "utf-8", crs: str | None = None, stem: str = "audit",
                  source: Path | None = None) -> dict[str, Path]:
    """Write layers read back from an audit GeoPackage in the given formats into ``out_dir``.

    Raises
    ------
    InputError
        Unknown format, encoding or CRS.
    OutputError
        A file that would leave ``out_dir`` or overwrite ``source``.
    """
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        msg = f"format(s) {unknown} cannot be made from a GeoPackage"
        raise InputError(msg, hint=Hint(zh=f"可选：{', '.join(EXPORT_FORMATS)}",
                                        en=f"choose from {', '.join(EXPORT_FORMATS)}"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = target_crs(crs, layers.values())
    moved = {name: reproject(gdf, target) for name, gdf in layers.items()}
    rules = _rule_ids(moved.values())
    written: dict[str, Path] = {}
    if "gpkg" in formats:
        path = child_path(out, f"{stem}.gpkg")
        if source is not None and path.resolve() == source.resolve():
            msg = f"{path} is the GeoPackage being exported"
            raise OutputError(msg, hint=_hints.OTHER_FOLDER)
        written[path.name] = write_geopackage(moved, path)
    for name, gdf in moved.items():
        if "shp" in formats:
            shp = write_shapefile(gdf, child_path(out, f"{name}.shp"), encoding=encoding, rules=rules)
            written[shp.path.name] = shp.path
            written[shp.fields_path.name] = shp.fields_path
        if "geojson" in formats:
            written[f"{name}.geojson"] = write_geojson(gdf, child_path(out, f"{name}.geojson"))
        if "csv" in formats and not is_area_layer(name):
            written[f"{name}.csv"] = write_csv(lonlat_table(clean_layer(gdf)), child_path(out, f"{name}.csv"))
    if "xlsx" in formats:
        sheets = {name: lonlat_table(clean_layer(gdf)) for name, gdf in moved.items() if not is_area_layer(name)}
        written[f"{stem}.xlsx"] = write_xlsx(sheets, child_path(out, f"{stem}.xlsx"))
    return dict(sorted(written.items()))


def export_source(source: str | Path, out_dir: str | Path, formats: Sequence[str], *, encoding: str = "utf-8",
                  crs: str | None = None, created: str | None = None) -> dict[str, Path]:
    """Export a GeoPackage geoplan wrote (re-read) or a project (audited first); see the module docstring."""
    from geoplan.audit import audit
    from geoplan.outputs.export import export_result

    path = Path(source)
    wanted = list(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    if path.suffix.lower() == ".gpkg":
        return export_layers(read_audit_geopackage(path), out_dir, wanted, encoding=encoding, crs=crs,
                             source=path)
    result = audit(path, created=created)
    layers = [result.communities, result.facilities]
    resolved = target_crs(crs, layers) if crs else None
    return export_result(result, out_dir, formats=wanted, encoding=encoding, crs=resolved)
