"""The GIS layers of an audit, named as a planner reads them: what ``audit.gpkg``, the Shapefiles and the
QGIS project hold.

=================================  ======================================================================
layer                              what
=================================  ======================================================================
``communities``                    every input community with every rule's result columns
``facilities``                     every input facility (``facility_type``: one symbol per type)
``admin_units``                    admin-unit results (presence / ratio rules), when the preset has them
``service_area__<rule_id>``        a reach rule's walking service area (street frontage reached)
``uncovered__<rule_id>``           the street frontage that rule's facilities do not reach
``suggestions``                    suggested sites, when siting ran (``rule_id`` names the rule)
``catchments``                     what each suggested site serves, when siting ran
=================================  ======================================================================

Each layer keeps the rule's Chinese title (its styles' descriptions and the QGIS project's layer names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd

from geoplan.outputs._summary import rule_infos
from geoplan.result import AuditResult
from geoplan.siting.planning.plans import SitingResult

#: Layer name prefix → what it is, in Chinese and English (the QGIS project's layer names).
KINDS: Final = {
    "service_area": "步行服务圈 service area",
    "uncovered": "服务圈外街道 uncovered frontage",
}


def is_area_layer(name: str) -> bool:
    """Whether a layer is a rule's area (service area, uncovered frontage): geometry for GIS, not a table."""
    return name.startswith(tuple(f"{prefix}__" for prefix in KINDS))


@dataclass(frozen=True)
class GisLayer:
    """One layer of an audit's GIS outputs.

    Attributes
    ----------
    name : str
        Table / file name (``service_area__reach_childcare_15``).
    frame : GeoDataFrame
    rule_id : str
        The rule the layer belongs to, "" for layers of every rule.
    label : str
        Readable name in Chinese and English, with the rule's title where it has one.
    """

    name: str
    frame: gpd.GeoDataFrame
    rule_id: str = ""
    label: str = ""


def rule_titles(result: AuditResult) -> dict[str, str]:
    """Rule id → Chinese title (the id when the rule has none), in preset order."""
    return {info.id: info.title_zh or info.id for info in rule_infos(result)}


def gis_layers(result: AuditResult, siting: SitingResult | None = None) -> list[GisLayer]:
    """The layers of ``result`` (and of ``siting`` when given), in the order the module's table lists them."""
    layers = [GisLayer("communities", result.communities, label="小区 communities"),
              GisLayer("facilities", result.facilities, label="设施 facilities")]
    if result.admin_units is not None:
        layers.append(GisLayer("admin_units", result.admin_units, label="行政区 admin units"))
    layers += _service_area_layers(result)
    if siting is not None:
        layers.append(GisLayer("suggestions", siting.suggestions, label="建议选址 suggested sites"))
        if len(siting.catchments):
            layers.append(GisLayer("catchments", siting.catchments, label="建议服务范围 catchments"))
    return layers


def _service_area_layers(result: AuditResult) -> list[GisLayer]:
    areas = result.service_areas
    if areas is None or not len(areas):
        return []
    titles = rule_titles(result)
    rule_ids = list(dict.fromkeys(map(str, areas["rule_id"])))
    layers = []
    for rule_id in rule_ids:
        mine = areas[areas["rule_id"].astype(str) == rule_id]
        for prefix, coverage in (("service_area", "covered"), ("uncovered", "uncovered")):
            rows = mine[mine["coverage"] == coverage].reset_index(drop=True)
            if len(rows):
                label = f"{titles.get(rule_id, rule_id)} · {KINDS[prefix]}"
                layers.append(GisLayer(f"{prefix}__{rule_id}", rows, rule_id, label))
    return layers
