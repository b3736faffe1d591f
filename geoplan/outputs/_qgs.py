"""A QGIS project (``.qgs``) beside ``audit.gpkg`` that opens every layer, styled, grouped per rule.

The project refers to the GeoPackage by a relative path (``./audit.gpkg|layername=...``), so the folder can
be copied or zipped and still opens. Its layer tree:

* ``facilities`` on top (one symbol per plan facility type);
* one group per rule, named by the rule's Chinese title: the communities (and admin units) coloured by that
  rule's status, its service area and uncovered frontage, and its suggested sites and catchments (the
  ``suggestions`` / ``catchments`` layers filtered to the rule with an OGR subset string);
* any layer no rule group shows, at the end, with its default style.

Only the first rule's group is switched on, so the project opens on one readable map. Written for QGIS 3.22
(Debian 12) and read as is by newer ones.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyproj

from geoplan.outputs._atomic import write_text
from geoplan.outputs._gislayers import GisLayer
from geoplan.outputs._styles import QGIS_VERSION, LayerStyle, symbol_kind

#: Layers that hold every rule's features, filtered per rule in the rule's group.
_PER_RULE_ROWS: Final = ("suggestions", "catchments")
#: Layers with one status style per rule, shown once per rule.
_PER_RULE_STYLES: Final = ("communities", "admin_units")
_GEOMETRY: Final = {"marker": "Point", "line": "Line", "fill": "Polygon"}
_CHECKED: Final = {True: "Qt::Checked", False: "Qt::Unchecked"}
_DOCTYPE: Final = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"


@dataclass(frozen=True)
class ProjectLayer:
    """One map layer of the project: a GeoPackage table with a style and, optionally, a subset."""

    id: str
    table: str
    label: str
    style: LayerStyle
    kind: str
    subset: str = ""


def _renderer(style: LayerStyle) -> ET.Element:
    root = ET.fromstring(style.qml.split("\n", 1)[1])  # after the DOCTYPE line
    renderer = root.find("renderer-v2")
    if renderer is None:  # every geoplan style has one; a missing one is a programming error
        msg = f"style {style.name!r} has no renderer"
        raise ValueError(msg)
    return renderer


def _kind(layer: GisLayer) -> str:
    return symbol_kind(sorted({str(t) for t in layer.frame.geom_type.dropna().unique()}))


def _rule_rows(layer: GisLayer, rule_id: str) -> bool:
    return "rule_id" in layer.frame.columns and bool((layer.frame["rule_id"].astype(str) == rule_id).any())


def _subset(rule_id: str) -> str:
    return '"rule_id" = ' + "'" + rule_id.replace("'", "''") + "'"


def plan_groups(layers: Sequence[GisLayer], styles: Mapping[str, Sequence[LayerStyle]],
                titles: Mapping[str, str]) -> tuple[list[ProjectLayer], list[tuple[str, str, list[ProjectLayer]]]]:
    """(top-level layers, [(rule id, group name, layers)]) of the project's layer tree.

    Every layer appears at least once: in its rule's group, or at the top level with its default style.
    """
    placed: set[str] = set()
    groups = []
    for rule_id, title in titles.items():
        members = []
        for layer in layers:
            kind = _kind(layer)
            mine = [s for s in styles.get(layer.name, ()) if s.rule_id == rule_id]
            if layer.name in _PER_RULE_STYLES and mine:
                members.append(ProjectLayer(f"{layer.name}__{rule_id}", layer.name,
                                            f"{layer.label} · {title}", mine[0], kind))
            elif layer.rule_id == rule_id and styles.get(layer.name):
                members.append(ProjectLayer(layer.name, layer.name, layer.label, styles[layer.name][0], kind))
            elif layer.name in _PER_RULE_ROWS and styles.get(layer.name) and _rule_rows(layer, rule_id):
                members.append(ProjectLayer(f"{layer.name}__{rule_id}", layer.name, f"{layer.label} · {title}",
                                            styles[layer.name][0], kind, _subset(rule_id)))
            else:
                continue
            placed.add(layer.name)
        if members:
            # points over areas: sites and communities drawn last (on top), so list them first
            members.sort(key=lambda m: m.kind != "marker")
            groups.append((rule_id, title, members))
    top = [ProjectLayer(layer.name, layer.name, layer.label, styles[layer.name][0], _kind(layer))
           for layer in layers if styles.get(layer.name) and (layer.name == "facilities" or layer.name not in placed)]
    return top, groups


def _srs(parent: ET.Element, crs: pyproj.CRS | None) -> None:
    ref = ET.SubElement(parent, "spatialrefsys", {"nativeFormat": "Wkt"})
    if crs is None:
        return
    ET.SubElement(ref, "wkt").text = crs.to_wkt()
    ET.SubElement(ref, "proj4").text = crs.to_proj4()
    authority = crs.to_authority()
    ET.SubElement(ref, "authid").text = f"{authority[0]}:{authority[1]}" if authority else ""
    ET.SubElement(ref, "description").text = crs.name
    ET.SubElement(ref, "geographicflag").text = "true" if crs.is_geographic else "false"


def _layer_id(layer: ProjectLayer) -> str:
    # QGIS keeps a layer id only when it is longer than 10 characters (else it makes a random one)
    return f"geoplan_{layer.id}"


def _tree_layer(parent: ET.Element, layer: ProjectLayer, source: str, checked: bool) -> None:
    ET.SubElement(parent, "layer-tree-layer", {
        "id": _layer_id(layer), "name": layer.label, "source": source, "providerKey": "ogr",
        "checked": _CHECKED[checked], "expanded": "0", "legend_exp": "",
    })


def _source(gpkg: str, layer: ProjectLayer) -> str:
    return f"./{gpkg}|layername={layer.table}" + (f"|subset={layer.subset}" if layer.subset else "")


def _map_layer(parent: ET.Element, layer: ProjectLayer, source: str, crs: pyproj.CRS | None) -> None:
    node = ET.SubElement(parent, "maplayer", {
        "type": "vector", "geometry": _GEOMETRY[layer.kind], "autoRefreshEnabled": "0", "refreshOnNotifyEnabled": "0",
        "hasScaleBasedVisibilityFlag": "0", "styleCategories": "AllStyleCategories",
    })
    ET.SubElement(node, "id").text = _layer_id(layer)
    ET.SubElement(node, "datasource").text = source
    ET.SubElement(node, "layername").text = layer.label
    ET.SubElement(node, "abstract").text = layer.style.description
    _srs(ET.SubElement(node, "srs"), crs)
    ET.SubElement(node, "provider", {"encoding": "UTF-8"}).text = "ogr"
    node.append(_renderer(layer.style))


def _extent(layers: Sequence[GisLayer]) -> tuple[float, float, float, float] | None:
    bounds = [g.frame.total_bounds for g in layers if len(g.frame) and not g.frame.geometry.is_empty.all()]
    if not bounds:
        return None
    b = np.array(bounds, dtype=float)
    return float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))


def _canvas(root: ET.Element, extent: tuple[float, float, float, float] | None, crs: pyproj.CRS | None) -> None:
    canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
    ET.SubElement(canvas, "units").text = "degrees" if crs is not None and crs.is_geographic else "meters"
    if extent is not None:
        box = ET.SubElement(canvas, "extent")
        for key, value in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
            ET.SubElement(box, key).text = repr(value)
    ET.SubElement(canvas, "rotation").text = "0"
    _srs(ET.SubElement(canvas, "destinationsrs"), crs)


def project_xml(layers: Sequence[GisLayer], styles: Mapping[str, Sequence[LayerStyle]], gpkg_name: str,
                titles: Mapping[str, str], title: str = "") -> str:
    """The ``.qgs`` text for ``layers`` stored in the GeoPackage ``gpkg_name`` (a file name in the same folder)."""
    crs = next((g.frame.crs for g in layers if g.frame.crs is not None), None)
    top, groups = plan_groups(layers, styles, titles)
    root = ET.Element("qgis", {"projectname": title, "version": QGIS_VERSION})
    ET.SubElement(root, "homePath", {"path": ""})
    ET.SubElement(root, "title").text = title
    _srs(ET.SubElement(root, "projectCrs"), crs)
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    every: list[ProjectLayer] = []
    for layer in (t for t in top if t.table == "facilities"):
        _tree_layer(tree, layer, _source(gpkg_name, layer), True)
        every.append(layer)
    for i, (_rule_id, name, members) in enumerate(groups):
        group = ET.SubElement(tree, "layer-tree-group", {"name": name, "checked": _CHECKED[i == 0],
                                                          "expanded": "1" if i == 0 else "0"})
        ET.SubElement(group, "customproperties")
        for layer in members:
            _tree_layer(group, layer, _source(gpkg_name, layer), True)
            every.append(layer)
    for layer in (t for t in top if t.table != "facilities"):
        _tree_layer(tree, layer, _source(gpkg_name, layer), not groups)
        every.append(layer)
    project_layers = ET.SubElement(root, "projectlayers")
    for layer in every:
        _map_layer(project_layers, layer, _source(gpkg_name, layer), crs)
    _canvas(root, _extent(layers), crs)
    properties = ET.SubElement(root, "properties")
    # QGIS 3.22 reads <projectCrs> only when this is set
    srs = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", {"type": "int"}).text = "1"
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", {"type": "bool"}).text = "false"
    ET.indent(root, space="  ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def write_qgis_project(layers: Sequence[GisLayer], styles: Mapping[str, Sequence[LayerStyle]], gpkg: Path,
                       path: Path, titles: Mapping[str, str], title: str = "") -> Path:
    """Write the QGIS project for ``layers`` (stored in ``gpkg``, in the same folder) to ``path``, atomically.

    Parameters
    ----------
    layers : sequence of GisLayer
        The layers as written to ``gpkg`` (same names, same CRS).
    styles : mapping
        Layer name → its styles, the default first (those of ``layer_styles``).
    gpkg : Path
        The GeoPackage; the project refers to it by its file name.
    path : Path
        The ``.qgs`` to write.
    titles : mapping
        Rule id → title, in preset order: one group per rule.
    title : str
        The project's title.
    """
    text = project_xml(layers, styles, gpkg.name, titles, title)
    return write_text(path, text, what="the QGIS project")
