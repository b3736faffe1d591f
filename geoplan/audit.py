"""Run a preset's rules over a project's layers: layers → CRS → network → rules → one AuditResult."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geoplan import admin, settings
from geoplan._errors import PresetError, ProjectError
from geoplan._netcheck import check_against_network
from geoplan.access import Access
from geoplan.crs import auto_metric_crs, normalise_crs_name
from geoplan.layers import canonical_communities, canonical_facilities, layer_notes, read_table, source_crs
from geoplan.network import Network, load_network
from geoplan.presets import Preset, load_preset
from geoplan.project import LayerSpec, Project, load_project
from geoplan.result import SEP, AuditResult, NetworkSummary
from geoplan.rules import KINDS
from geoplan.rules.base import INDICATOR_COLUMNS, RESULT_COLUMNS, Rule, RuleContext, RuleResult

log = logging.getLogger(__name__)


def audit(
    project: str | Path | Project,
    *,
    preset: str | Path | Preset | None = None,
    minutes: float | None = None,
    walk_speed_m_per_min: float | None = None,
    max_snap_m: float | None = None,
    new_build_from_year: int | None = None,
    use_network: bool = True,
    created: str | None = None,
    admin_codes: Sequence[str] | None = None,
) -> AuditResult:
    """Audit a project against its rule preset.

    Parameters
    ----------
    project : path or Project
        A ``geoplan.toml`` (or its folder), or a parsed :class:`~geoplan.project.Project`.
    preset : name, path or Preset, optional
        Overrides the project's preset.
    minutes : float, optional
        Overrides the minutes of every reach rule (e.g. 10 for a 10-minute circle).
    walk_speed_m_per_min, max_snap_m, new_build_from_year : optional
        Override project, preset and :mod:`geoplan.settings` (in that order of precedence).
    use_network : bool
        False forces the labelled Euclidean fallback even when the project has a network.
    created : str, optional
        Date stamped on the result (ISO); today by default. Fix it to reproduce reports byte for byte.
    admin_codes : sequence of str, optional
        Audit only the admin units whose ``unit_code`` starts with one of these (e.g. ``["3308"]`` for Quzhou's
        districts); communities and facilities outside those units' polygons are left out (said in
        ``assumptions``). Needs ``[admin_units]`` in the project.

    Returns
    -------
    AuditResult
    """
    proj = project if isinstance(project, Project) else load_project(project)
    pre = preset if isinstance(preset, Preset) else load_preset(preset or proj.preset)
    assumptions: list[str] = []
    speed, speed_basis = _walk_speed(walk_speed_m_per_min, proj, pre, assumptions)
    rules = _effective_rules(pre, minutes)
    year_from, year_basis = _first(
        ("command line", new_build_from_year), ("project", proj.audit.get("new_build_from_year")),
        ("preset", pre.new_build_from_year),
    )

    known = set(pre.types)
    com_spec = proj.communities or LayerSpec(path=Path("(no communities layer)"), crs="WGS84", x="x", y="y")
    com_raw = read_table(proj.communities) if proj.communities else pd.DataFrame({"x": [], "y": []})
    communities, polygons = canonical_communities(com_raw, com_spec)
    facilities = canonical_facilities(read_table(proj.facilities), proj.facilities, proj.facility_types, known)
    assumptions += layer_notes(communities) + layer_notes(facilities)
    declared = {"communities": source_crs(communities), "facilities": source_crs(facilities)}
    crs = _metric_crs(proj, communities, facilities)
    communities, facilities = communities.to_crs(crs), facilities.to_crs(crs)
    units = _admin_units(proj, crs, admin_codes)
    if units is not None and admin_codes:
        keep = _inside(communities, units, "communities", assumptions)
        communities = communities[keep].reset_index(drop=True)
        polygons = polygons[keep].reset_index(drop=True) if polygons is not None else None
        facilities = facilities[_inside(facilities, units, "facilities", assumptions)].reset_index(drop=True)
    census = admin.read_census(proj.census.path) if proj.census else None
    _fill_population(communities, proj, assumptions)

    snap = float(max_snap_m or (proj.network.max_snap_m if proj.network else None) or settings.max_snap_m)
    # Cached on disk by the file's hash (geoplan.network.cache): a city's PBF is parsed once, not per audit.
    network = load_network(proj.network.path, crs=crs, cache=True) if (proj.network and use_network) else None
    if network is None:
        assumptions.append(
            f"no walking network: distances are straight lines × {settings.euclidean_detour_factor:g} (labelled)"
        )
    reach_m = [float(r.params["minutes"]) * speed for r in rules if r.kind == "reach"]
    limit = settings.search_factor * max(reach_m) if reach_m else np.inf
    access = Access(communities, facilities, network, max_snap_m=snap, limit_m=limit)
    warnings, network_notes = check_against_network(access, declared)
    assumptions += warnings
    communities["flags"] = [f"{a}; {b}" if a and b else a or b for a, b in zip(communities["flags"], network_notes,
                                                                               strict=True)]
    ctx = RuleContext(
        communities=communities, facilities=facilities, access=access, walk_speed_m_per_min=speed,
        speed_basis=speed_basis, admin_units=units, census=census,
        options={"new_build_from_year": year_from, "new_build_basis": year_basis,
                 "community_polygons": polygons.to_crs(crs) if polygons is not None else None,
                 **{k: proj.audit[k] for k in _AUDIT_OPTIONS if k in proj.audit}},
    )
    results = {}
    for rule in rules:
        log.info("evaluating %s (%s)", rule.id, rule.kind)
        results[rule.id] = KINDS[rule.kind].evaluate(rule, ctx)
    return AuditResult(
        title=proj.title, preset_id=pre.id, preset_title=pre.title,
        communities=_wide(communities, results, "community"),
        facilities=_facilities_out(facilities, access, results),
        admin_units=_admin_out(units, results),
        findings=_findings(communities, facilities, results),
        indicators=_indicators(results),
        rule_results=results,
        rules=_rules_table(rules),
        network=_network_summary(proj, network, access, snap),
        crs=crs, assumptions=assumptions, created=created or dt.date.today().isoformat(),
        extra={"facility_types": {k: dict(v) for k, v in pre.types.items()}},
    )


#: ``[audit]`` keys passed to the rules as options (see :mod:`geoplan.rules.ratio`).
_AUDIT_OPTIONS = ("city_code", "city_name", "ratio_denominator")


def _admin_units(proj: Project, crs: pyproj.CRS, codes: Sequence[str] | None) -> gpd.GeoDataFrame | None:
    """The project's admin units in ``crs`` (cn-admin district file, or a layer with mapped fields)."""
    spec = proj.admin_units
    if spec is None:
        if codes:
            msg = f"{proj.source}: admin codes {list(codes)} given but the project has no [admin_units] layer"
            raise ProjectError(msg)
        return None
    if not spec.fields:
        units = admin.read_districts(spec.path)
    else:
        raw = gpd.read_file(spec.path, **({"layer": spec.layer} if spec.layer else {}))
        units = raw.rename(columns={src: canon for canon, src in spec.fields.items()})
        if "level" not in units.columns:
            units["level"] = "county"
        units["unit_code"] = units["unit_code"].astype(str)
    if codes:
        keep = units["unit_code"].astype(str).str.startswith(tuple(str(c) for c in codes))
        if not keep.any():
            msg = f"{spec.path}: no admin unit has a code starting with {', '.join(map(str, codes))}"
            raise ProjectError(msg)
        units = units[keep.to_numpy()]
    return units.reset_index(drop=True).to_crs(crs)


def _inside(layer: gpd.GeoDataFrame, units: gpd.GeoDataFrame, name: str, assumptions: list[str]) -> np.ndarray:
    """Mask of the features of ``layer`` inside the units' polygons (all when the units have no polygons)."""
    shapes = units.geometry.dropna()
    if shapes.empty or layer.empty:
        return np.ones(len(layer), dtype=bool)
    inside = layer.geometry.intersects(shapes.union_all()).to_numpy()
    if not inside.all():
        assumptions.append(f"{int((~inside).sum())} {name} outside the selected admin units left out")
    return inside


def _admin_out(units: gpd.GeoDataFrame | None, results: dict[str, RuleResult]) -> gpd.GeoDataFrame | None:
    """The admin units with the wide columns of admin-level rules (joined on ``unit_code``)."""
    if units is None:
        return None
    out = units.set_index(units["unit_code"].astype(str).to_numpy())
    for rule_id, res in results.items():
        if res.level == "admin" or (res.level == "area" and res.table.index.isin(out.index).any()):
            out = out.join(res.table.add_prefix(f"{rule_id}{SEP}"))
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=units.geometry.name, crs=units.crs)


def _first(*candidates: tuple[str, Any]) -> tuple[Any, str]:
    for basis, value in candidates:
        if value is not None:
            return value, basis
    return None, "none"


def _walk_speed(cli: float | None, proj: Project, pre: Preset, assumptions: list[str]) -> tuple[float, str]:
    speed, basis = _first(
        ("command line", cli), ("project", proj.audit.get("walk_speed_m_per_min")),
        ("preset parameter", pre.parameters.get("walk_speed_m_per_min")),
        ("geoplan.settings default", settings.walk_speed_m_per_min),
    )
    if basis in ("preset parameter", "geoplan.settings default"):
        source = pre.parameters.get("walk_speed_source", "") if basis == "preset parameter" else ""
        assumptions.append(f"walking speed {float(speed):g} m/min from {basis} (not in the plan) {source}".strip())
    return float(speed), basis


def _effective_rules(pre: Preset, minutes: float | None) -> list[Rule]:
    rules = list(pre.rules)
    unknown = sorted({r.kind for r in rules} - set(KINDS))
    if unknown:
        msg = f"preset {pre.id}: rule kind(s) {', '.join(unknown)} not known (known: {', '.join(sorted(KINDS))})"
        raise PresetError(msg)
    if minutes is None:
        return rules
    return [replace(r, params={**r.params, "minutes": minutes}) if r.kind == "reach" else r for r in rules]


def _metric_crs(proj: Project, communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pyproj.CRS:
    if proj.crs != "auto":
        crs = normalise_crs_name(proj.crs)
        if isinstance(crs, pyproj.CRS) and crs.is_projected:
            return crs
        msg = f"{proj.source}: [project] crs must be a projected (metric) CRS such as EPSG:4549, got {proj.crs!r}"
        raise PresetError(msg)
    pts = pd.concat([communities.geometry, facilities.geometry]).dropna()
    pts = pts[~pts.is_empty]
    return auto_metric_crs(pts.x.to_numpy(), pts.y.to_numpy())


def _fill_population(communities: gpd.GeoDataFrame, proj: Project, assumptions: list[str]) -> None:
    size = proj.audit.get("household_size")
    communities["population_assumed"] = False
    if size is None:
        return
    fill = communities["population"].isna() & communities["households"].notna()
    communities.loc[fill, "population"] = communities.loc[fill, "households"] * float(size)
    communities.loc[fill, "population_assumed"] = True
    assumptions.append(f"population = households × {float(size):g} (project household_size) for {int(fill.sum())} "
                       "communities without a population")


def _wide(layer: gpd.GeoDataFrame, results: dict[str, RuleResult], level: str) -> gpd.GeoDataFrame:
    parts = [layer]
    for rule_id, res in results.items():
        if res.level == level:
            parts.append(res.table.add_prefix(f"{rule_id}{SEP}"))
    out = pd.concat(parts, axis=1)
    return gpd.GeoDataFrame(out, geometry=layer.geometry.name, crs=layer.crs)


def _facilities_out(facilities: gpd.GeoDataFrame, access: Access, results: dict[str, RuleResult]) -> gpd.GeoDataFrame:
    out = _wide(facilities, results, "facility")
    att = access.facility_attachment
    out["attached"] = att.attached if att is not None else False
    out["snap_m"] = np.round(att.offset_m, 1) if att is not None else np.nan
    if att is not None:
        off = ~att.attached & out.geometry.notna().to_numpy()
        note = f"not on the network: farther than {access.max_snap_m:g} m from a walkable street"
        out.loc[off, "flags"] = [f"{f}; {note}" if f else note for f in out.loc[off, "flags"]]
    return out


def _findings(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
              results: dict[str, RuleResult]) -> pd.DataFrame:
    frames = []
    for rule_id, res in results.items():
        table = res.table[list(RESULT_COLUMNS)].copy()
        layer = {"community": communities, "facility": facilities}.get(res.level)
        if layer is not None:
            id_col = "community_id" if res.level == "community" else "facility_id"
            table.insert(0, "feature_name", layer["name"].to_numpy())
            table.insert(0, "feature_id", layer[id_col].to_numpy())
        else:
            table.insert(0, "feature_name", res.table.index.astype(str))
            table.insert(0, "feature_id", res.table.index.astype(str))
        table.insert(0, "feature_index", np.arange(len(table)))
        table.insert(0, "rule_id", rule_id)
        table.insert(0, "level", res.level)
        frames.append(table.reset_index(drop=True))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _indicators(results: dict[str, RuleResult]) -> pd.DataFrame:
    frames = [r.indicators for r in results.values() if len(r.indicators)]
    if not frames:
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _rules_table(rules: list[Rule]) -> pd.DataFrame:
    rows = [{"id": r.id, "kind": r.kind, "title_zh": r.title_zh, "title_en": r.title_en,
             "cite_file": r.cite.file, "cite_clause": r.cite.clause, "cite_quote": r.cite.quote,
             "params": "; ".join(f"{k}={v}" for k, v in sorted(r.params.items()))} for r in rules]
    return pd.DataFrame(rows)


def _network_summary(proj: Project, network: Network | None, access: Access, snap: float) -> NetworkSummary:
    ca, fa = access.community_attachment, access.facility_attachment
    return NetworkSummary(
        source=str(proj.network.path.name) if (proj.network and network is not None) else "none",
        basis=access.basis,
        n_nodes=network.n_nodes if network is not None else 0,
        n_edges=network.n_edges if network is not None else 0,
        max_snap_m=snap,
        communities_attached=int(ca.attached.sum()) if ca is not None else 0,
        communities_total=len(access.communities),
        facilities_attached=int(fa.attached.sum()) if fa is not None else 0,
        facilities_total=len(access.facilities),
    )
