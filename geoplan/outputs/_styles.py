"""QGIS styles stored in a GeoPackage, so every layer opens already styled.

QGIS keeps styles in a table ``layer_styles`` (the schema its OGR provider creates in ``saveStyle``:
f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD,
useAsDefault, description, owner, ui, update_time). On opening a layer it reads, through OGR, the row with
``f_table_schema = ''``, its table and geometry column, ``useAsDefault`` first, and applies ``styleQML``; the
others are listed under Layer Properties → Style → Load Style (database). The table is registered in
``gpkg_contents`` as ``attributes``, as GDAL does, so OGR can see it.

What each layer gets (:func:`layer_styles`), decided by its columns, so any GeoPackage geoplan writes is styled:

* ``facility_type`` on points without ``site_id`` (facilities): one symbol per type from
  :mod:`geoplan.outputs._symbols`, the default; their own rule results as further styles;
* a ``<rule_id>__status`` column per rule (communities, admin units): one categorized style per rule,
  pass / fail / not evaluable / not applicable (:data:`STATUS_STYLE`), the first rule's the default;
* ``coverage`` (service areas): ``covered`` areas filled in the facility type's colour, ``uncovered``
  street frontage in fail vermillion;
* ``site_id`` (siting): suggested sites as their facility type's symbol, larger, thick outline; catchments
  as the type's outline;
* anything else: one grey symbol.

Symbol-layer properties are written both as ``<Option type="Map">`` (QGIS ≥ 3.16) and as legacy
``<prop k v>`` elements (QGIS 3.0-3.14), the way QGIS 3.16-3.22 themselves save them.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd

from geoplan.outputs._fieldnames import split_rule_column
from geoplan.outputs._symbols import facility_symbol
from geoplan.rules.base import FAIL, NOT_APPLICABLE, NOT_EVALUABLE, PASS

#: status → (hex colour, label). Okabe-Ito blue / vermillion, greys: safe for colour-blind readers.
STATUS_STYLE: Final = {
    PASS: ("#0072B2", "达标 pass"),
    FAIL: ("#D55E00", "不达标 fail"),
    NOT_EVALUABLE: ("#999999", "无法评估 not evaluable"),
    NOT_APPLICABLE: ("#CCCCCC", "不适用 not applicable"),
}
#: The oldest QGIS these styles are written for (Debian 12's); newer ones read them as they are.
QGIS_VERSION: Final = "3.22.16-Białowieża"
_DOCTYPE: Final = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
_OUTLINE: Final = "#232323"
_GREY: Final = "#999999"
#: symbol kind → QGIS layerGeometryType.
GEOMETRY_TYPE: Final = {"marker": "0", "line": "1", "fill": "2"}


@dataclass(frozen=True)
class Sym:
    """One QGIS symbol: its kind (``marker`` / ``line`` / ``fill``), colour, and how it is drawn."""

    kind: str
    colour: str
    alpha: int = 255
    shape: str = "circle"
    size: float = 2.6
    outline: str = _OUTLINE
    outline_width: float = 0.26
    brush: str = "solid"


@dataclass(frozen=True)
class LayerStyle:
    """A style row of ``layer_styles``: name, QML, description (shown in QGIS), default or not, its rule."""

    name: str
    qml: str
    description: str
    default: bool = False
    rule_id: str = ""


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


def _symbol_layer(sym: Sym) -> tuple[str, dict[str, str]]:
    if sym.kind == "fill":
        return "SimpleFill", {
            "color": _rgba(sym.colour, sym.alpha), "style": sym.brush, "outline_color": _rgba(sym.outline),
            "outline_style": "solid", "outline_width": str(sym.outline_width), "outline_width_unit": "MM",
        }
    if sym.kind == "line":
        return "SimpleLine", {
            "line_color": _rgba(sym.colour, sym.alpha), "line_style": "solid", "line_width": "0.6",
            "line_width_unit": "MM",
        }
    return "SimpleMarker", {
        "color": _rgba(sym.colour, sym.alpha), "name": sym.shape, "size": str(sym.size), "size_unit": "MM",
        "outline_color": _rgba(sym.outline), "outline_style": "solid", "outline_width": str(sym.outline_width),
        "outline_width_unit": "MM",
    }


def _symbol(parent: ET.Element, name: str, sym: Sym) -> None:
    symbol = ET.SubElement(parent, "symbol", {
        "type": sym.kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0",
    })
    class_name, props = _symbol_layer(sym)
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


def categorized_renderer(attribute: str, categories: Sequence[tuple[str, str, Sym]], kind: str) -> ET.Element:
    """A ``categorizedSymbol`` renderer: ``(value, label, symbol)`` per category, other values not drawn."""
    renderer = ET.Element("renderer-v2", {
        "type": "categorizedSymbol", "attr": attribute, "symbollevels": "0", "enableorderby": "0",
        "forceraster": "0", "referencescale": "-1",
    })
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, sym) in enumerate(categories):
        ET.SubElement(cats, "category", {
            "render": "true", "symbol": str(i), "value": value, "label": label, "type": "string",
        })
        _symbol(symbols, str(i), sym)
    source = ET.SubElement(renderer, "source-symbol")
    _symbol(source, "0", Sym(kind, _GREY))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


def single_renderer(sym: Sym) -> ET.Element:
    """A ``singleSymbol`` renderer drawing every feature with ``sym``."""
    renderer = ET.Element("renderer-v2", {
        "type": "singleSymbol", "symbollevels": "0", "enableorderby": "0", "forceraster": "0",
        "referencescale": "-1",
    })
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", sym)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


def qml(renderer: ET.Element, kind: str) -> str:
    """A QML document holding ``renderer`` for a layer of symbol kind ``kind``."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    root.append(renderer)
    ET.SubElement(root, "layerGeometryType").text = GEOMETRY_TYPE[kind]
    ET.indent(root, space="  ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def status_qml(attribute: str, kind: str) -> str:
    """A QGIS style (QML) colouring features by the values of a status column.

    Parameters
    ----------
    attribute : str
        The status column, e.g. ``reach_elderly_15__status``.
    kind : str
        ``marker``, ``line`` or ``fill`` (see :func:`symbol_kind`).
    """
    alpha = 120 if kind == "fill" else 255  # translucent: the streets and points under a unit show
    categories = [(status, label, Sym(kind, colour, alpha)) for status, (colour, label) in STATUS_STYLE.items()]
    return qml(categorized_renderer(attribute, categories, kind), kind)


#: QGIS simple-marker shapes drawn by their stroke alone: their colour is the stroke's.
_STROKE_SHAPES = frozenset(("cross", "x", "line"))


def _stroke_only(shape: str, colour: str) -> dict[str, Any]:
    """A stroke-only shape (the 候选站点 cross) takes the type's colour on its stroke, and a heavier line."""
    return {"outline": colour, "outline_width": 0.8} if shape in _STROKE_SHAPES else {}


def _type_categories(gdf: gpd.GeoDataFrame, kind: str, labels: Mapping[str, str], *, site: bool = False) -> (
    list[tuple[str, str, Sym]]
):
    """One category per facility type term (labelled "养老机构 elderly_institution" when ``labels`` know it);
    ``site`` draws suggested sites larger (or catchments faint)."""
    terms = sorted({str(t) for t in gdf["facility_type"].dropna()})
    out = []
    for term in terms:
        colour, shape = facility_symbol(term)
        if kind != "marker":
            sym = Sym(kind, colour, alpha=40, outline=colour, outline_width=0.5)
        elif site:
            sym = Sym(kind, colour, shape=shape, size=4.2, outline_width=0.6, **_stroke_only(shape, colour))
        else:
            sym = Sym(kind, colour, shape=shape, **_stroke_only(shape, colour))
        label = f"{labels[term]} {term}" if labels.get(term) and labels[term] != term else term
        out.append((term, label, sym))
    return out


def _status_styles(table: str, gdf: gpd.GeoDataFrame, kind: str, titles: Mapping[str, str], *,
                   first_default: bool = True) -> list[LayerStyle]:
    styles: list[LayerStyle] = []
    for column in map(str, gdf.columns):
        parts = split_rule_column(column)
        if not parts or parts[1] != "status":
            continue
        rule = parts[0]
        styles.append(LayerStyle(
            f"{table} {rule}", status_qml(column, kind),
            f"geoplan: {titles.get(rule, rule)} ({column}) 达标 pass / 不达标 fail / 无法评估 not evaluable / "
            "不适用 n/a", default=first_default and not styles, rule_id=rule))
    return styles


def layer_styles(table: str, gdf: gpd.GeoDataFrame, titles: Mapping[str, str] | None = None,
                 type_labels: Mapping[str, str] | None = None) -> list[LayerStyle]:
    """The QGIS styles of one layer, the default first (see the module's docstring for which).

    Parameters
    ----------
    table : str
        The layer's name (names the styles).
    gdf : GeoDataFrame
    titles : mapping, optional
        Rule id → title (Chinese), for the styles' descriptions.
    type_labels : mapping, optional
        Facility type term → its name in the plan (养老机构), for the legend.
    """
    titles = titles or {}
    labels = type_labels or {}
    kind = symbol_kind(sorted({str(t) for t in gdf.geom_type.dropna().unique()}))
    columns = set(map(str, gdf.columns))
    if "facility_type" in columns and "site_id" not in columns and kind == "marker":
        # facilities: by type by default (one symbol per type everywhere); their own rule results as extras
        renderer = categorized_renderer("facility_type", _type_categories(gdf, kind, labels), kind)
        by_type = LayerStyle(table, qml(renderer, kind), "geoplan: facilities, one symbol per plan facility type",
                             True)
        return [by_type, *_status_styles(table, gdf, kind, titles, first_default=False)]
    styles = _status_styles(table, gdf, kind, titles)
    if styles:
        return styles
    rule = str(gdf["rule_id"].iloc[0]) if "rule_id" in columns and len(gdf) else ""
    about = f"{titles.get(rule, rule)} " if rule else ""
    if "coverage" in columns:
        renderer = categorized_renderer("coverage", [
            ("uncovered", "服务圈外的街道 uncovered street frontage", Sym(kind, STATUS_STYLE[FAIL][0], 170,
                                                                          outline=STATUS_STYLE[FAIL][0])),
            ("covered", "步行服务圈 service area", Sym(kind, _covered_colour(gdf), 90, outline_width=0.4,
                                                     outline=_covered_colour(gdf))),
        ], kind)
        return [LayerStyle(table, qml(renderer, kind), f"geoplan: {about}service area / uncovered frontage", True)]
    if "site_id" in columns and "facility_type" in columns:
        renderer = categorized_renderer("facility_type", _type_categories(gdf, kind, labels, site=True), kind)
        return [LayerStyle(table, qml(renderer, kind), f"geoplan: {about}suggested sites by facility type", True)]
    return [LayerStyle(table, qml(single_renderer(Sym(kind, _GREY, 160 if kind == "fill" else 255)), kind),
                       f"geoplan: {table}", True)]


def _covered_colour(gdf: gpd.GeoDataFrame) -> str:
    if "facility_type" in gdf.columns and len(gdf) and isinstance(gdf["facility_type"].iloc[0], str):
        return facility_symbol(str(gdf["facility_type"].iloc[0])).colour
    return STATUS_STYLE[PASS][0]


def write_layer_styles(path: Path, styles: Mapping[str, Sequence[LayerStyle]]) -> None:
    """Add each table's styles (table → styles, the default first) to the GeoPackage at ``path``.

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
        for table, table_styles in styles.items():
            for style in table_styles:
                db.execute(
                    'INSERT INTO "layer_styles" (f_table_catalog, f_table_schema, f_table_name, '
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                    "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL)",
                    (table, geometry_columns.get(table, "geom"), style.name, style.qml, int(style.default),
                     style.description),
                )
        if "gpkg_ogr_contents" in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}:
            count = db.execute('SELECT count(*) FROM "layer_styles"').fetchone()[0]
            db.execute("INSERT OR REPLACE INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                       ("layer_styles", count))
    db.close()
