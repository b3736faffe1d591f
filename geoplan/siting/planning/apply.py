"""Check suggestions by evaluating the audit again, in memory, with the suggested sites added as facilities.

The suggested sites become facility rows (the rule's plan type, the suggested size in the standard's measure,
and what the rule kind's plugin links a site by: the compound's ``community_id`` for provision, the unit's code
for presence) appended to the audit's own canonical facilities; :func:`geoplan.audit.evaluate_inputs` then runs
on the same communities, admin units, census and network (no file written, nothing read twice when the first
audit's result is given). The communities a suggestion counts as fixed must then pass its rule.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.audit import Inputs, evaluate_inputs, prepare
from geoplan.presets import Preset, load_preset
from geoplan.project import Project, load_project
from geoplan.result import AuditResult
from geoplan.rules import KINDS
from geoplan.siting.planning.plans import SitingResult

log = logging.getLogger(__name__)


def site_rows(siting: SitingResult, crs: Any, rules: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """The suggested sites as canonical facility rows in ``crs``.

    Parameters
    ----------
    siting : SitingResult
    crs : CRS-like
        The CRS of the facilities they join.
    rules : sequence of str, optional
        Only the suggestions of these rules.

    Returns
    -------
    GeoDataFrame
        ``facility_id`` = the suggestion's ``site_id``, ``name`` "suggested <site_id>", ``facility_type``, the
        size in its measure's column, and the columns the kind's plugin names in ``site_fields``.
    """
    sites = siting.suggestions
    if rules is not None:
        sites = sites[sites["rule_id"].isin(list(rules))]
    rows: list[dict[str, Any]] = []
    for _, s in sites.iterrows():
        row: dict[str, Any] = {"facility_id": s["site_id"], "name": f"suggested {s['site_id']}",
                               "facility_type": s["facility_type"], "source_type": s["facility_type"]}
        if isinstance(s["size_measure"], str) and s["size_measure"] and pd.notna(s["size_required"]):
            row[s["size_measure"]] = float(s["size_required"])
        kind = KINDS.get(str(s["kind"]))
        for column, source in (kind.site_fields.items() if kind is not None else ()):
            row[column] = s[source]
        rows.append(row)
    geometry = gpd.GeoSeries(list(sites.geometry), crs=siting.crs).to_crs(crs).to_numpy()
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs=crs)


def with_sites(facilities: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A new frame: ``facilities`` (canonical) then ``sites``, with every canonical column filled for the sites."""
    added = sites.reindex(columns=facilities.columns)
    for column in facilities.columns:
        if column == "geometry":
            continue
        if facilities[column].dtype == object or pd.api.types.is_string_dtype(facilities[column]):
            added[column] = added[column].astype(object).where(added[column].notna(), "")
    added["source_row"] = np.arange(len(added)) + len(facilities) + 1
    added = added.set_geometry(list(sites.geometry), crs=facilities.crs)
    frame = pd.concat([facilities, added], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=facilities.crs)


def apply_suggestions(
    project: str | os.PathLike[str] | Project,
    siting: SitingResult,
    *,
    rules: Sequence[str] | None = None,
    preset: str | os.PathLike[str] | Preset | None = None,
    result: AuditResult | None = None,
    **audit_options: Any,
) -> AuditResult:
    """Audit the project again, in memory, with the suggested sites added as facilities.

    Parameters
    ----------
    project : path or Project
        The project the suggestions were made for (read only when ``result`` carries no inputs).
    siting : SitingResult
    rules : sequence of str, optional
        Add only the suggestions of these rules (default: all).
    preset : name, path or Preset, optional
        Default: the siting's preset.
    result : AuditResult, optional
        The audit the suggestions were made from: its inputs and network are reused, nothing is read again.
    **audit_options
        As for :func:`geoplan.audit` (``minutes``, ``walk_speed_m_per_min`` ... as in the first audit).

    Returns
    -------
    AuditResult
        Its facilities include the suggested sites (``facility_id`` = ``site_id``).
    """
    pre = preset if isinstance(preset, Preset) else load_preset(preset or siting.preset_id)
    inputs = _inputs(project, result, pre, audit_options)
    facilities = with_sites(inputs.facilities, site_rows(siting, inputs.facilities.crs, rules))
    log.info("re-auditing with the suggested sites added (%d facilities in all)", len(facilities))
    return evaluate_inputs(dataclasses.replace(inputs, facilities=facilities, preset=pre), **audit_options)


def _inputs(project: str | os.PathLike[str] | Project, result: AuditResult | None, pre: Preset,
            audit_options: dict[str, Any]) -> Inputs:
    """The first audit's inputs when it carries them, else the project read once (prepare's options taken out)."""
    use_network = audit_options.pop("use_network", True)
    admin_codes = audit_options.pop("admin_codes", None)
    if result is not None and result.inputs is not None:
        inputs = result.inputs
        return inputs if use_network else dataclasses.replace(inputs, network=None, network_source="none")
    proj = project if isinstance(project, Project) else load_project(Path(project))
    return prepare(proj, preset=pre, admin_codes=admin_codes, use_network=use_network)
