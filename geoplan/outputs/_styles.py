"""QGIS styles stored in a GeoPackage, so layers open already coloured by a rule's status.

QGIS keeps styles in a table ``layer_styles`` (the schema its OGR provider creates in ``saveStyle``:
f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD,
useAsDefault, description, owner, ui, update_time). On opening a layer it reads, through OGR, the row with
``f_table_schema = ''``, its table and geometry column, ``useAsDefault`` first, and applies ``styleQML``.
The table is registered in ``gpkg_contents`` as ``attributes``, as GDAL does, so OGR can see it.

The QML is a ``categorizedSymbol`` renderer (renderer-v2) on the layer's first ``<rule_id>__status``
column. Symbol-layer properties are written both as ``<Option type="Map">`` (QGIS ≥ 3.16) and as legacy
``<prop k v>`` elements (QGIS 3.0-3.14), the way QGIS 3.16-3.22 themselves save them.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from geoplan.rules.base import FAIL, NOT_APPLICABLE, NOT_EVALUABLE, PASS

#: status → (hex colour, label). Okabe-Ito blue / vermillion, greys: safe for colour-blind readers.
STATUS_STYLE: Final = {
    PASS: ("#0072B2", "达标 pass"),
    FAIL: ("#D55E00", "不达标 fail"),
    NOT_EVALUABLE: ("#999999", "无法评估 not evaluable"),
    NOT_APPLICABLE: ("#CCCCCC", "不适用 not applicable"),
}
QGIS_VERSION: Final = "3.28.0-Firenze"
_DOCTYPE: Final = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
_OUTLINE: Final = "35,35,35,255"

_CREATE: Final = """
CREATE TABLE IF NOT EXISTS "layer_styles" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "f_table_catalog" TEXT(256),
    "f_table_schema" TEXT(256),
    "f_table_name" TEXT(256),
    "f_geometry_column" TEXT(256),
    "styleName" TEXT(30),
    "styleQML" TEXT,
    "styleSLD" TEXT,
    "useAsDefault" BOOLEAN,
    "description" TEXT,
    "owner" TEXT(30),
    "ui" TEXT(30),
    "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i: i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol_layer(kind: str, colour: str) -> tuple[str, dict[str, str]]:
    if kind == "fill":
        return "SimpleFill", {
            "color": _rgba(colour, 200), "style": "solid", "outline_color": _OUTLINE,
            "outline_style": "solid", "outline_width": "0.26", "outline_width_unit": "MM",
        }
    if kind == "line":
        return "SimpleLine", {
            "line_color": _rgba(colour), "line_style": "solid", "line_width": "0.6", "line_width_unit": "MM",
        }
    return "SimpleMarker", {
        "color": _rgba(colour), "name": "circle", "size": "2.6", "size_unit": "MM", "outline_color": _OUTLINE,
        "outline_style": "solid", "outline_width": "0.2", "outline_width_unit": "MM",
    }


def _symbol(parent: ET.Element, kind: str, name: str, colour: str) -> None:
    symbol = ET.SubElement(parent, "symbol", {
        "type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0",
    })
    class_name, props = _symbol_layer(kind, colour)
    layer = ET.SubElement(symbol, "layer", {"class": class_name, "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in props.items():
        ET.SubElement(options, "Option", {"name": key, "type": "QString", "value": value})
    for key, value in props.items():
        ET.SubElement(layer, "prop", {"k": key, "v": value})


def symbol_kind(geom_types: Sequence[str]) -> str:
    """QGIS symbol type for a layer's geometry types: ``marker``, ``line`` or ``fill``."""
    kinds = {t.replace("Multi", "") for t in geom_types if t}
    if kinds and kinds <= {"Polygon"}:
        return "fill"
    if kinds and kinds <= {"LineString", "LinearRing"}:
        return "line"
    return "marker"


def status_qml(attribute: str, kind: str) -> str:
    """A QGIS style (QML) colouring features by the values of a status column.

    Parameters
    ----------
    attribute : str
        The status column, e.g. ``reach_elderly_15__status``.
    kind : str
        ``marker``, ``line`` or ``fill`` (see :func:`symbol_kind`).
    """
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    renderer = ET.SubElement(root, "renderer-v2", {
        "type": "categorizedSymbol", "attr": attribute, "symbollevels": "0", "enableorderby": "0",
        "forceraster": "0", "referencescale": "-1",
    })
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (status, (colour, label)) in enumerate(STATUS_STYLE.items()):
        ET.SubElement(categories, "category", {
            "render": "true", "symbol": str(i), "value": status, "label": label, "type": "string",
        })
        _symbol(symbols, kind, str(i), colour)
    source = ET.SubElement(renderer, "source-symbol")
    _symbol(source, kind, "0", "#999999")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    geometry_type = {"marker": "0", "line": "1", "fill": "2"}[kind]
    ET.SubElement(root, "layerGeometryType").text = geometry_type
    ET.indent(root, space="  ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def write_layer_styles(path: Path, styles: Sequence[tuple[str, str, str]]) -> None:
    """Add ``(table, status column, symbol kind)`` default styles to the GeoPackage at ``path``.

    The geometry column of each table is read from ``gpkg_geometry_columns``.
    """
    with sqlite3.connect(path) as db:
        db.execute(_CREATE)
        known = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
        if "layer_styles" not in known:
            db.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')"
            )
        geometry_columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        for table, attribute, kind in styles:
            db.execute(
                'INSERT INTO "layer_styles" (f_table_catalog, f_table_schema, f_table_name, '
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                (
                    table, geometry_columns.get(table, "geom"), table, status_qml(attribute, kind),
                    f"geoplan: {attribute} 达标 pass / 不达标 fail / 无法评估 not evaluable / 不适用 n/a",
                ),
            )
        if "gpkg_ogr_contents" in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}:
            count = db.execute('SELECT count(*) FROM "layer_styles"').fetchone()[0]
            db.execute("INSERT OR REPLACE INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                       ("layer_styles", count))
    db.close()
