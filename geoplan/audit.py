"""Run a preset's rules over a project's layers: layers → CRS → network → rules → one AuditResult."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geoplan import _hints, _rowchecks, _studyarea, _tables, _typemap, _units, admin, popgrid, settings
from geoplan._errors import Hint, PresetError, ProjectError
from geoplan._netcheck import check_against_network
from geoplan._numeric import check_iso_date, check_positive
from geoplan.access import Access
from geoplan.crs import auto_metric_crs, normalise_crs_name
from geoplan.layers import canonical_communities, canonical_facilities, layer_notes, read_table, source_crs
from geoplan.network import Network, load_network
from geoplan.presets import Preset, load_preset
from geoplan.project import CANDIDATE_LABELS, CANDIDATE_TYPE, LayerSpec, Project, load_project
from geoplan.result import AuditResult
from geoplan.rules import KINDS
from geoplan.rules import _common as cm
from geoplan.rules._scope import class_of_code
from geoplan.rules._speed import rule_speed, search_distance_m, sensitivity
from geoplan.rules.base import Rule, RuleContext
from geoplan.service_areas import service_areas

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
    with_service_areas: bool = True,
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
    with_service_areas : bool
        Build each reach rule's service area from the network edges reached (for maps); False skips it.

    Returns
    -------
    AuditResult
    """
    _check_numbers(minutes=minutes, walk_speed_m_per_min=walk_speed_m_per_min, max_snap_m=max_snap_m,
                   created=created)
    proj = project if isinstance(project, Project) else load_project(project)
    pre = preset if isinstance(preset, Preset) else load_preset(preset or proj.preset)
    assumptions: list[str] = []
    speed, speed_basis = _walk_speed(walk_speed_m_per_min, proj, pre, assumptions)
    rules = _effective_rules(pre, minutes)
    assumptions += [f"{r.id}: walking speed {rule_speed(r.params, speed, speed_basis)[0]:g} m/min from the rule "
                    f"({r.params.get('walk_speed_source', '')})" for r in rules
                    if r.kind == "reach" and rule_speed(r.params, speed, speed_basis)[1] != speed_basis]
    year_from, year_basis = _first(
        ("command line", new_build_from_year), ("project", proj.audit.get("new_build_from_year")),
        ("preset", pre.new_build_from_year),
    )

    layers = _read_layers(proj, pre, admin_codes, assumptions)
    snap = float(max_snap_m or (proj.network.max_snap_m if proj.network else None) or settings.max_snap_m)
    network = _load_network(proj, layers.crs, use_network, assumptions)
    # Rows outside the study area are flagged first (against every unit given), so that a compound geocoded to
    # another province does not widen the extent whose units are judged.
    assumptions += _studyarea.flag_outside(layers.communities, layers.facilities, layers.units, network)
    all_units, layers = _study_area(layers, network, admin_codes, assumptions)
    access = _access(layers, network, rules, speed, speed_basis, snap, assumptions)
    ctx = RuleContext(
        communities=layers.communities, facilities=layers.facilities, access=access, walk_speed_m_per_min=speed,
        speed_basis=speed_basis, admin_units=layers.units, census=layers.census,
        options={"new_build_from_year": year_from, "new_build_basis": year_basis,
                 "community_polygons": layers.polygons,
                 "network_edge_m": _studyarea.edge_distance_m(layers.communities, network),
                 **{k: proj.audit[k] for k in _AUDIT_OPTIONS if k in proj.audit}},
    )
    results = {}
    for rule in rules:
        log.info("evaluating %s (%s)", rule.id, rule.kind)
        results[rule.id] = KINDS[rule.kind].evaluate(rule, ctx)
    com, fac = layers.communities, layers.facilities
    areas = service_areas(access, rules, speed, speed_basis) if (with_service_areas and network is not None) else None
    return AuditResult(
        title=proj.title, preset_id=pre.id, preset_title=pre.title,
        communities=_tables.wide(com, results, "community"),
        facilities=_tables.facilities_out(fac, access, results),
        admin_units=_tables.admin_out(all_units, results),
        findings=_tables.findings(com, fac, results),
        indicators=_tables.indicators(results),
        rule_results=results,
        rules=_tables.rules_table(rules),
        network=_tables.network_summary(proj, network, access, snap),
        crs=layers.crs, assumptions=assumptions, created=created or dt.date.today().isoformat(),
        extra={"facility_types": {**{k: dict(v) for k, v in pre.types.items()}, CANDIDATE_TYPE: CANDIDATE_LABELS},
               "sensitivity": sensitivity(results, com, speed, speed_basis), **layers.types_report},
        service_areas=areas,
    )


@dataclass(frozen=True)
class _Layers:
    """The input layers in the metric CRS, canonical columns, as the rules see them."""

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    polygons: gpd.GeoSeries | None
    units: gpd.GeoDataFrame | None
    census: pd.DataFrame | None
    crs: pyproj.CRS
    declared: dict[str, Any]
    types_report: dict[str, Any]


def _read_layers(proj: Project, pre: Preset, admin_codes: Sequence[str] | None, assumptions: list[str]) -> _Layers:
    """Read, parse and project the layers (stage: layers → CRS)."""
    com_spec = proj.communities or LayerSpec(path=Path("(no communities layer)"), crs="WGS84", x="x", y="y")
    com_raw = read_table(proj.communities, "communities") if proj.communities else pd.DataFrame({"x": [], "y": []})
    communities, polygons = canonical_communities(com_raw, com_spec)
    grid = popgrid.read_grid(proj.population_grid.path) if proj.population_grid else None
    if grid is not None and proj.audit.get("population_grid_use", "spread") == "points":
        communities = popgrid.grid_points(grid)
    fac_raw = read_table(proj.facilities, "facilities")
    auto = _auto_types(fac_raw, proj, pre)
    given, resolved = _typemap.resolve_targets(proj.facility_types, pre.types)
    assumptions += resolved
    facilities = canonical_facilities(fac_raw, proj.facilities, {**auto, **given}, set(pre.types))
    townships = (admin.read_townships(proj.townships.path, read_table(proj.townships, "townships")) if proj.townships
                 else None)
    urban_field = _units.raw_text(com_raw, com_spec.fields.get("urban"), len(communities))
    for layer, raw, spec in ((communities, com_raw, com_spec), (facilities, fac_raw, proj.facilities)):
        _township_codes(layer, raw, spec, townships, assumptions)
    assumptions += layer_notes(communities) + layer_notes(facilities)
    assumptions += _rowchecks.apply(communities, "communities") + _rowchecks.apply(facilities, "facilities")
    types_report = _types_report(facilities, auto, pre, assumptions)
    declared = {"communities": source_crs(communities), "facilities": source_crs(facilities)}
    crs = _metric_crs(proj, communities, facilities)
    communities, facilities = communities.to_crs(crs), facilities.to_crs(crs)
    units = _units.admin_units(proj, crs, admin_codes)
    if units is not None and admin_codes:
        keep = _units.inside(communities, units, "communities", assumptions)
        communities = communities[keep].reset_index(drop=True)
        polygons = polygons[keep].reset_index(drop=True) if polygons is not None else None
        facilities = facilities[_units.inside(facilities, units, "facilities", assumptions)].reset_index(drop=True)
    census = admin.read_census(proj.census.path, read_table(proj.census, "census", admin.CENSUS_COLUMNS)) \
        if proj.census else None
    if grid is not None and proj.audit.get("population_grid_use", "spread") == "spread":
        _spread_grid(grid, communities, assumptions)
    _fill_population(communities, proj, assumptions)
    extra = _units.code_units(communities, facilities, units, townships)
    if len(extra):
        units = admin.combine_units(*(f for f in (units, extra) if f is not None))
        assumptions.append(f"{len(extra)} township/village units from the features' admin codes (no polygons: "
                           "features placed by code prefix) / 由区划代码生成乡镇、村级单元")
    urban = _units.read_urban_areas(proj, crs)
    communities["urban_class"], urban_basis = _units.community_urban_class(communities, urban_field, urban, units)
    unread = urban_field.notna().to_numpy() & urban_field.map(class_of_code).isna().to_numpy()
    if unread.any():
        note = ("urban: value not understood (give an NBS 城乡分类代码 such as 111/121/220, or 城市/城镇/农村) "
                "/ 城乡属性无法识别")
        communities.loc[unread, "flags"] = [f"{f}; {note}" if f else note for f in communities.loc[unread, "flags"]]
    if units is not None:
        units["urban_class"] = _units.unit_urban_class(units, urban)
    if urban_basis:
        assumptions.append(f"urban / rural of communities from: {urban_basis}")
    return _Layers(communities, facilities, polygons.to_crs(crs) if polygons is not None else None, units, census,
                   crs, declared, types_report)


def _auto_types(raw: pd.DataFrame, proj: Project, pre: Preset) -> dict[str, str]:
    """Data values that are the preset's own word for a type and that the project does not map."""
    column = proj.facilities.fields.get("facility_type") if proj.facilities else None
    if column is None or column not in raw.columns:
        return {}
    values = raw[column].astype("string").fillna("").str.strip().unique()
    return _typemap.auto_map([str(v) for v in values], proj.facility_types, pre.types)


def _types_report(facilities: gpd.GeoDataFrame, auto: dict[str, str], pre: Preset,
                  assumptions: list[str]) -> dict[str, Any]:
    """Facility-type values mapped automatically and values mapped to no plan type, with counts."""
    used = {str(k): int(v) for k, v in facilities["source_type"].value_counts().items() if k in auto}
    unmapped = _typemap.unmapped_counts(facilities, pre.types)
    assumptions += _typemap.notes(auto, used, unmapped)
    return {"facility_types_auto": {v: (t, used[v]) for v, t in auto.items() if used.get(v)},
            "facility_types_unmapped": unmapped}


def _load_network(proj: Project, crs: pyproj.CRS, use_network: bool, assumptions: list[str]) -> Network | None:
    """The walking network in ``crs`` (stage: network), or None with the fallback stated."""
    if proj.network and use_network:
        # Cached on disk by the file's hash (geoplan.network.cache): a city's PBF is parsed once, not per audit.
        path = proj.network.path
        if proj.network.clip:  # a province's extract named in the project: cut the study area out (cached)
            from geoplan.clip import clip_for_project

            path, note = clip_for_project(proj)
            assumptions.append(note)
            return load_network(path, crs=crs, cache=True)
        return load_network(path, crs=crs, cache=True, layer=proj.network.layer, source_crs=proj.network.crs)
    assumptions.append(
        f"no walking network: distances are straight lines × {settings.euclidean_detour_factor:g} (labelled)"
    )
    return None


def _access(layers: _Layers, network: Network | None, rules: list[Rule], speed: float, speed_basis: str,
            snap: float, assumptions: list[str]) -> Access:
    """Attach both layers to the network once and check them against it (coordinate-system mix-ups)."""
    # the search covers every reach rule at its own speed and at the sensitivity table's fastest speed
    reach_m = search_distance_m(rules, speed, speed_basis)
    limit = settings.search_factor * reach_m if reach_m > 0 else np.inf
    access = Access(layers.communities, layers.facilities, network, max_snap_m=snap, limit_m=limit)
    warnings, network_notes = check_against_network(access, layers.declared)
    assumptions += warnings
    com = layers.communities
    com["flags"] = [f"{a}; {b}" if a and b else a or b for a, b in zip(com["flags"], network_notes, strict=True)]
    return access


def _study_area(layers: _Layers, network: Network | None, admin_codes: Sequence[str] | None,
                assumptions: list[str]) -> tuple[gpd.GeoDataFrame | None, _Layers]:
    """All admin units (for the output, with ``in_study_area``) and the layers with only the units judged.

    With ``admin_codes`` the units named are the study area; otherwise the units that meet the communities'
    extent (or the network's, or the facilities'): see :func:`geoplan._units.study_area`.
    """
    units = layers.units
    if units is None:
        return None, layers
    if admin_codes:
        return units.assign(in_study_area=True), layers
    xy = (network.x, network.y) if network is not None else None
    com = layers.communities
    outside = com.get(_studyarea.RATE_EXCLUDED, pd.Series("", index=com.index)) == _studyarea.OUTSIDE
    inside = com[~outside.to_numpy(dtype=bool)]
    area, what = _units.study_area(inside, layers.facilities, xy)
    units = _units.mark_study_area(units, area, what, layers.communities, assumptions)
    judged = units[units["in_study_area"].to_numpy()].reset_index(drop=True)
    return units, replace(layers, units=judged.drop(columns="in_study_area"))


def _township_codes(layer: gpd.GeoDataFrame, raw: pd.DataFrame, spec: LayerSpec | None,
                    townships: pd.DataFrame | None, assumptions: list[str]) -> None:
    """Fill ``admin_code`` from a township-name field matched to the township list (flagged when not)."""
    column = spec.fields.get("township") if spec is not None else None
    if column is None:
        return
    if townships is None:
        msg = f"{spec.path if spec else ''}: fields.township is given but the project has no [townships] list"
        raise ProjectError(msg, hint=Hint(zh="在项目文件中加入 [townships] 乡镇列表，或删去 fields.township",
                                          en="add a [townships] list to the project file, or remove fields.township"))
    names = _units.raw_text(raw, column, len(layer))
    names.index = layer.index
    codes = cm.normalise_code(layer["admin_code"]) if "admin_code" in layer.columns else names.map(lambda _: None)
    counties = {c[:6] for c in codes.dropna()}
    layer["admin_code"], flags = _units.match_township_names(names, codes, townships, counties)
    matched = int((layer["admin_code"].map(lambda c: isinstance(c, str) and len(c) >= 9)
                   & names.notna()).sum())
    layer["flags"] = [f"{a}; {b}" if a and b else a or b for a, b in zip(layer["flags"], flags, strict=True)]
    assumptions.append(f"{matched} of {int(names.notna().sum())} township names matched to the [townships] list "
                       "/ 乡镇(街道)名称匹配")


#: ``[audit]`` keys passed to the rules as options (see :mod:`geoplan.rules.ratio`).
_AUDIT_OPTIONS = ("city_code", "city_name", "ratio_denominator", "shared_site_radius_m")





def _first(*candidates: tuple[str, Any]) -> tuple[Any, str]:
    for basis, value in candidates:
        if value is not None:
            return value, basis
    return None, "none"


def _check_numbers(*, created: str | None, **values: float | None) -> None:
    """The API's own overrides, refused like the command line's (≤ 0, NaN, inf; a date that is none)."""
    units = {"minutes": "minutes", "walk_speed_m_per_min": "m/min", "max_snap_m": "m"}
    for key, value in values.items():
        if value is not None:
            check_positive(value, f"audit({key}=...)", units[key])
    if created is not None:
        check_iso_date(created, "audit(created=...)")


def _walk_speed(cli: float | None, proj: Project, pre: Preset, assumptions: list[str]) -> tuple[float, str]:
    speed, basis = _first(
        ("command line", cli), ("project", proj.audit.get("walk_speed_m_per_min")),
        ("preset parameter", pre.parameters.get("walk_speed_m_per_min")),
        ("geoplan.settings default", settings.walk_speed_m_per_min),
    )
    if basis in ("preset parameter", "geoplan.settings default"):
        source = pre.parameters.get("walk_speed_source", "") if basis == "preset parameter" else ""
        assumptions.append(f"walking speed {float(speed):g} m/min from {basis} (not in the plan) {source}".strip())
    return check_positive(speed, f"walking speed ({basis})", "m/min"), basis


def _effective_rules(pre: Preset, minutes: float | None) -> list[Rule]:
    rules = list(pre.rules)
    unknown = sorted({r.kind for r in rules} - set(KINDS))
    if unknown:
        msg = f"preset {pre.id}: rule kind(s) {', '.join(unknown)} not known (known: {', '.join(sorted(KINDS))})"
        raise PresetError(msg, hint=Hint(zh="改用已知的规则类型，或升级 geoplan",
                                         en="use a known rule kind, or upgrade geoplan"))
    if minutes is None:
        return rules
    return [replace(r, params={**r.params, "minutes": minutes}) if r.kind == "reach" else r for r in rules]


def _metric_crs(proj: Project, communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pyproj.CRS:
    if proj.crs != "auto":
        crs = normalise_crs_name(proj.crs)
        if isinstance(crs, pyproj.CRS) and crs.is_projected:
            return crs
        msg = f"{proj.source}: [project] crs must be a projected (metric) CRS such as EPSG:4549, got {proj.crs!r}"
        raise PresetError(msg, hint=_hints.PROJECTED_CRS)
    pts = pd.concat([communities.geometry, facilities.geometry]).dropna()
    pts = pts[~pts.is_empty]
    return auto_metric_crs(pts.x.to_numpy(), pts.y.to_numpy())


def _spread_grid(grid: popgrid.Grid, communities: gpd.GeoDataFrame, assumptions: list[str]) -> None:
    """Population from the grid where the layer has none (estimated; the formula kept per community)."""
    pop, formula, notes = popgrid.spread(grid, communities)
    fill = communities["population"].isna() & pop.notna()
    communities.loc[fill, "population"] = pop[fill]
    communities["population_formula"] = formula.where(fill, "")
    communities["population_estimated"] = fill
    assumptions += notes


def _fill_population(communities: gpd.GeoDataFrame, proj: Project, assumptions: list[str]) -> None:
    size = proj.audit.get("household_size")
    # a population spread from a grid (_spread_grid) is an estimate too: ratio rules flag it
    communities["population_assumed"] = communities.get("population_estimated", False)
    if size is None:
        return
    fill = communities["population"].isna() & communities["households"].notna()
    communities.loc[fill, "population"] = communities.loc[fill, "households"] * float(size)
    communities.loc[fill, "population_assumed"] = True
    assumptions.append(f"population = households × {float(size):g} (project household_size) for {int(fill.sum())} "
                       "communities without a population")





