"""Open geoplan's GIS outputs in real QGIS and report what it sees, as JSON on stdout.

Run with the Python that has Debian's ``python3-qgis`` (``/usr/bin/python3``), headless::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py audit.gpkg audit.qgs out.png

It is the real-QGIS half of tests/test_export_qgis.py, which runs it in a subprocess (geoplan itself runs on
another Python) and asserts on the JSON: per GeoPackage layer its validity, feature count, renderer and the
styles QGIS finds in ``layer_styles``; per project layer the same plus its group; GDAL/QGIS messages logged
while opening; and the rendered PNG's size and how many pixels are not background.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    Qgis,
    QgsApplication,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # type: ignore[import-not-found]
from qgis.PyQt.QtGui import QColor  # type: ignore[import-not-found]


def _renderer(layer: Any) -> dict[str, Any]:
    renderer = layer.renderer()
    out: dict[str, Any] = {"type": renderer.type() if renderer else None}
    if renderer is not None and renderer.type() == "categorizedSymbol":
        out["attr"] = renderer.classAttribute()
        out["categories"] = [[str(c.value()), c.label(), c.symbol().color().name()] for c in renderer.categories()]
        shapes = []
        for c in renderer.categories():
            sl = c.symbol().symbolLayer(0)
            shapes.append(sl.properties().get("name", "") if sl.layerType() == "SimpleMarker" else "")
        out["shapes"] = shapes
    return out


def _gpkg_layers(path: str) -> list[dict[str, Any]]:
    probe = QgsVectorLayer(path, "probe", "ogr")
    names = [s.split("!!::!!")[1] for s in probe.dataProvider().subLayers()]
    out = []
    for name in names:
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        info: dict[str, Any] = {"name": name, "valid": layer.isValid(), "count": layer.featureCount(),
                                "spatial": layer.isSpatial()}
        if layer.isSpatial():
            info["renderer"] = _renderer(layer)
            n, _ids, style_names, _descr, _err = layer.listStylesInDatabase()
            info["db_styles"] = list(style_names)[:n] if n > 0 else []
        out.append(info)
    return out


def _tree(group: Any, path: str = "") -> dict[str, str]:
    where = {}
    for child in group.children():
        if isinstance(child, QgsLayerTreeGroup):
            where.update(_tree(child, child.name()))
        elif isinstance(child, QgsLayerTreeLayer):
            where[child.layerId()] = path
    return where


def _render(layers: list[Any], png: str) -> dict[str, Any]:
    extent = QgsRectangle()
    extent.setMinimal()
    for layer in layers:
        extent.combineExtentWith(layer.extent())
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[0].crs())
    settings.setExtent(extent.buffered(extent.width() * 0.02))
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    drawn = sum(1 for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)
                if QColor(image.pixel(x, y)).name() != "#ffffff")
    return {"width": image.width(), "height": image.height(), "drawn_samples": drawn,
            "errors": [e.message for e in job.errors()]}


def _project(qgs: str, png: str) -> dict[str, Any]:
    project = QgsProject.instance()
    ok = project.read(qgs)
    where = _tree(project.layerTreeRoot())
    layers = []
    for layer_id, group in where.items():
        layer = project.mapLayer(layer_id)
        layers.append({"id": layer_id, "group": group, "name": layer.name() if layer else None,
                       "valid": bool(layer and layer.isValid()), "count": layer.featureCount() if layer else -1,
                       "subset": layer.subsetString() if layer else "", "source": layer.source() if layer else "",
                       "renderer": _renderer(layer) if layer else {}})
    in_order = project.layerTreeRoot().checkedLayers()  # what the project shows on opening, top first
    return {"read": ok, "crs": project.crs().authid(), "layers": layers,
            "groups": [g.name() for g in project.layerTreeRoot().children() if isinstance(g, QgsLayerTreeGroup)],
            "checked": [layer.id() for layer in in_order], "render": _render(in_order, png) if in_order else {}}


def main(argv: list[str]) -> int:
    """Check ``gpkg``, ``qgs``; render the project into ``png``; print the JSON report."""
    gpkg, qgs, png = argv
    messages: list[str] = []
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(
        lambda text, tag, level: messages.append(f"{tag}: {text}") if level >= Qgis.Warning else None)
    report = {"qgis": Qgis.version(), "gpkg": _gpkg_layers(gpkg), "project": _project(qgs, png),
              "messages": messages}
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
