"""geoplan: audit elderly-care and childcare facilities against Chinese "一老一小" plans.

The public surface, in data-flow order::

    project = geoplan.load_project("geoplan.toml")     # or geoplan.demo_project()
    result = geoplan.audit(project)                     # → AuditResult (GeoDataFrames + small dataclasses)
    # = geoplan.evaluate_inputs(geoplan.prepare(project)); geoplan.evaluate(communities, facilities, preset)
    #   audits GeoDataFrames of your own, in memory
    geoplan.write_all(result, "maps/")                  # gap map, GeoPackage, Shapefile, CSV, XLSX, report
"""

from __future__ import annotations

from geoplan import settings
from geoplan._errors import (
    GeoplanError,
    InputError,
    MissingDependencyError,
    NetworkError,
    OutputError,
    PresetError,
    ProjectError,
)
from geoplan.audit import Inputs, audit, evaluate, evaluate_inputs, prepare
from geoplan.demo import demo_names, demo_project
from geoplan.outputs.write import write_all
from geoplan.presets import Preset, list_presets, load_preset
from geoplan.project import Project, load_project
from geoplan.result import AuditResult, NetworkSummary

__version__ = "0.1.0"

__all__ = [
    "AuditResult",
    "GeoplanError",
    "InputError",
    "Inputs",
    "MissingDependencyError",
    "NetworkError",
    "NetworkSummary",
    "OutputError",
    "Preset",
    "PresetError",
    "Project",
    "ProjectError",
    "audit",
    "demo_names",
    "demo_project",
    "evaluate",
    "evaluate_inputs",
    "list_presets",
    "load_preset",
    "load_project",
    "prepare",
    "settings",
    "write_all",
]
