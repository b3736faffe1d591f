"""Suggested sites for an area of a batch: :func:`geoplan.siting.suggest_sites` as a flat table.

The same siting as ``geoplan site``: network distances with the audit's own snapping and thresholds, exact
set cover (HiGHS) for reach rules, sizes by the preset's provision standard, provision and presence advice.
The workbook gets one row per suggested site with its WGS84 position instead of a geometry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import pandas as pd

from geoplan.siting import suggest_sites

if TYPE_CHECKING:
    from geoplan.presets import Preset
    from geoplan.project import Project
    from geoplan.result import AuditResult

log = logging.getLogger(__name__)

#: Seconds allowed to the exact solver per rule (the best solution found is kept beyond that, with its gap).
TIME_LIMIT_S: Final = 30.0
SUGGESTION_COLUMNS: Final = (
    "rule_id", "site_id", "kind", "model", "source", "candidate_id", "name", "facility_type", "size_required",
    "size_unit", "size_basis", "n_fixed", "communities_fixed", "households_fixed", "households_served",
    "unit_code", "suggestion", "lon", "lat",
)


def suggestions(project: Project, result: AuditResult, preset: Preset | None = None) -> pd.DataFrame:
    """Suggested new sites for every failing rule of ``result`` (:data:`SUGGESTION_COLUMNS`)."""
    siting = suggest_sites(project, result, preset=preset, time_limit_s=TIME_LIMIT_S)
    sites = siting.suggestions
    if sites.empty:
        return pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
    wgs = sites.geometry.to_crs(4326)
    table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    table["lon"], table["lat"] = wgs.x.round(6).to_numpy(), wgs.y.round(6).to_numpy()
    log.info("%d sites suggested for %d rules", len(table), table["rule_id"].nunique())
    return table[[c for c in SUGGESTION_COLUMNS if c in table.columns]]
