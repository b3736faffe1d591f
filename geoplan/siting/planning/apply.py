"""Check suggestions by auditing again with the suggested sites added to the facilities layer.

The project's facility layer is read as the audit reads it, the suggested sites are appended as facilities
(the rule's plan type, the suggested size in the standard's measure, the compound's ``community_id`` for
provision, the unit's code for presence), everything is written to a temporary canonical CSV in WGS84, and
:func:`geoplan.audit` runs on a copy of the project that points at it (same communities, network, preset,
and the metric CRS of the siting). The communities a suggestion counts as fixed must then pass its rule.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.audit import audit
from geoplan.layers import canonical_facilities, read_table
from geoplan.presets import Preset, load_preset
from geoplan.project import FACILITY_FIELDS, LayerSpec, Project, load_project
from geoplan.result import AuditResult
from geoplan.siting.planning.plans import SitingResult

log = logging.getLogger(__name__)


def facilities_with_sites(project: Project, siting: SitingResult, preset: Preset,
                          rules: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """The project's facilities (canonical columns, WGS84) with the suggested sites appended.

    Parameters
    ----------
    project : Project
    siting : SitingResult
    preset : Preset
        Gives the known plan types (as in the audit).
    rules : sequence of str, optional
        Add only the suggestions of these rules.

    Returns
    -------
    GeoDataFrame
        Canonical facility columns; the added rows have ``facility_id`` = the suggestion's ``site_id``.
    """
    known = set(preset.types)
    existing = canonical_facilities(read_table(project.facilities), project.facilities, project.facility_types,
                                    known)
    sites = siting.suggestions
    if rules is not None:
        sites = sites[sites["rule_id"].isin(list(rules))]
    rows: list[dict[str, Any]] = []
    for _, s in sites.iterrows():
        row: dict[str, Any] = {"facility_id": s["site_id"], "name": f"suggested {s['site_id']}",
                               "facility_type": s["facility_type"]}
        if isinstance(s["size_measure"], str) and s["size_measure"] and pd.notna(s["size_required"]):
            row[s["size_measure"]] = float(s["size_required"])
        if s["kind"] == "provision":
            row["community_id"] = s["candidate_id"]
        if s["kind"] == "presence":
            row["admin_code"] = s["unit_code"]
        rows.append(row)
    added = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[c for c in FACILITY_FIELDS if c in existing.columns]),
                             geometry=gpd.GeoSeries(list(sites.geometry), crs=siting.crs).to_crs(4326).to_numpy(),
                             crs=4326)
    keep = [c for c in FACILITY_FIELDS if c in existing.columns]
    frame = pd.concat([existing[[*keep, "geometry"]], added[[*keep, "geometry"]]], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def apply_suggestions(
    project: str | os.PathLike[str] | Project,
    siting: SitingResult,
    *,
    rules: Sequence[str] | None = None,
    preset: str | os.PathLike[str] | Preset | None = None,
    **audit_options: Any,
) -> AuditResult:
    """Audit the project again with the suggested sites added as facilities.

    Parameters
    ----------
    project : path or Project
        The project the suggestions were made for.
    siting : SitingResult
    rules : sequence of str, optional
        Add only the suggestions of these rules (default: all).
    preset : name, path or Preset, optional
        Default: the siting's preset.
    **audit_options
        Passed to :func:`geoplan.audit` (``minutes``, ``walk_speed_m_per_min`` ... as in the first audit).

    Returns
    -------
    AuditResult
        Its facilities include the suggested sites (``facility_id`` = ``site_id``).
    """
    proj = project if isinstance(project, Project) else load_project(Path(project))
    pre = preset if isinstance(preset, Preset) else load_preset(preset or siting.preset_id)
    layer = facilities_with_sites(proj, siting, pre, rules)
    with tempfile.TemporaryDirectory(prefix="geoplan-sites-") as tmp:
        path = Path(tmp) / "facilities_with_sites.csv"
        table = pd.DataFrame(layer.drop(columns="geometry"))
        table["lon"], table["lat"] = layer.geometry.x, layer.geometry.y
        table.to_csv(path, index=False, encoding="utf-8")
        fields = {c: c for c in FACILITY_FIELDS if c in table.columns}
        spec = LayerSpec(path=path, crs="WGS84", x="lon", y="lat", fields=fields)
        types = {str(t): str(t) for t in table["facility_type"].dropna().unique() if str(t)}
        copy = dataclasses.replace(proj, facilities=spec, facility_types=types, crs=siting.crs.to_string())
        log.info("re-auditing with the suggested sites added (%d facilities in all)", len(table))
        return audit(copy, preset=pre, **audit_options)
