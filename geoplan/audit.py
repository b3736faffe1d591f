"""Run a preset's rules over a project's layers: layers → CRS → network → rules → one AuditResult."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    """Audit a project against its rule preset: :func:`prepare` (the files) then :func:`evaluate` (in memory).

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
    inputs = prepare(project, preset=preset, admin_codes=admin_codes, use_network=use_network)
    return evaluate_inputs(inputs, minutes=minutes, walk_speed_m_per_min=walk_speed_m_per_min,
                           max_snap_m=max_snap_m, new_build_from_year=new_build_from_year, created=created,
                           with_service_areas=with_service_areas)


@dataclass(frozen=True)
class Inputs:
    """A project's inputs read from disk, ready for :func:`evaluate` (nothing here is changed by it).

    Attributes
    ----------
    communities, facilities : GeoDataFrame
        Canonical columns (see :class:`~geoplan.rules.base.RuleContext`), in the metric CRS ``crs``.
    preset : Preset
    network : Network or None
        The walking network in ``crs``; None for the labelled Euclidean fallback.
    admin_units : GeoDataFrame or None
        Every admin unit (polygons and units made from admin codes), before the study area is chosen.
    census : DataFrame or None
    community_polygons : GeoSeries or None
        The communities' outlines when the layer had polygons.
    crs : pyproj.CRS or None
        The metric CRS (None: :func:`evaluate` chooses it from the data).
    notes : tuple of str
        What reading the files assumed or flagged (the result's assumptions list them).
    title : str
    options : dict
        The project's ``[audit]`` table (walking speed, household size, city code ...).
    max_snap_m : float or None
        The project's ``[network] max_snap_m``.
    network_source : str
        The network file's name, for the result's network summary.
    admin_codes : tuple of str
        The units the study area was limited to (empty: chosen from the communities' extent).
    declared : dict
        The layers' declared source CRS (for the network check of coordinate-system mix-ups).
    types_report : dict
        Facility-type values mapped automatically and values mapped to no plan type.
    """

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    preset: Preset
    network: Network | None
    admin_units: gpd.GeoDataFrame | None
    census: pd.DataFrame | None
    community_polygons: gpd.GeoSeries | None
    crs: pyproj.CRS | None
    notes: tuple[str, ...] = ()
    title: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    max_snap_m: float | None = None
    network_source: str = "none"
    admin_codes: tuple[str, ...] = ()
    declared: Mapping[str, Any] = field(default_factory=dict)
    types_report: Mapping[str, Any] = field(default_factory=dict)


def prepare(
    project: str | Path | Project,
    *,
    preset: str | Path | Preset | None = None,
    admin_codes: Sequence[str] | None = None,
    use_network: bool = True,
) -> Inputs:
    """Read a project's files once: layers → canonical columns → metric CRS, admin units, census, network.

    Parameters
    ----------
    project : path or Project
    preset : name, path or Preset, optional
        Overrides the project's preset (its facility types decide how the facility layer is read).
    admin_codes : sequence of str, optional
        Keep only the features inside these admin units (see :func:`audit`).
    use_network : bool
        False: no network is read (the Euclidean fallback, labelled).

    Returns
    -------
    Inputs
    """
    proj = project if isinstance(project, Project) else load_project(project)
    pre = preset if isinstance(preset, Preset) else load_preset(preset or proj.preset)
    _check_kinds(pre)
    layers, notes = _read_layers(proj, pre, admin_codes)
    network, network_notes = _load_network(proj, layers.crs, use_network)
    source = str(proj.network.path.name) if (proj.network and network is not None) else "none"
    return Inputs(
        communities=layers.communities, facilities=layers.facilities, preset=pre, network=network,
        admin_units=layers.units, census=layers.census, community_polygons=layers.polygons, crs=layers.crs,
        notes=(*notes, *network_notes), title=proj.title, options=dict(proj.audit),
        max_snap_m=proj.network.max_snap_m if proj.network else None, network_source=source,
        admin_codes=tuple(admin_codes or ()), declared=layers.declared, types_report=layers.types_report,
    )


def evaluate_inputs(inputs: Inputs, **options: Any) -> AuditResult:
    """:func:`evaluate` on prepared :class:`Inputs` (``options`` as in :func:`evaluate`)."""
    return evaluate(
        inputs.communities, inputs.facilities, inputs.preset, network=inputs.network,
        admin_units=inputs.admin_units, census=inputs.census, community_polygons=inputs.community_polygons,
        crs=inputs.crs, project_options=inputs.options, max_snap_m=options.pop("max_snap_m", None) or
        inputs.max_snap_m, admin_codes=inputs.admin_codes or None, title=inputs.title, notes=inputs.notes,
        network_source=inputs.network_source, declared=inputs.declared, extra=inputs.types_report, **options,
    )


def evaluate(
    communities: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    preset: str | Path | Preset,
    *,
    network: Network | None = None,
    admin_units: gpd.GeoDataFrame | None = None,
    census: pd.DataFrame | None = None,
    community_polygons: gpd.GeoSeries | None = None,
    crs: pyproj.CRS | None = None,
    minutes: float | None = None,
    walk_speed_m_per_min: float | None = None,
    max_snap_m: float | None = None,
    new_build_from_year: int | None = None,
    project_options: Mapping[str, Any] | None = None,
    admin_codes: Sequence[str] | None = None,
    title: str = "",
    created: str | None = None,
    with_service_areas: bool = True,
    notes: Sequence[str] = (),
    network_source: str = "",
    declared: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> AuditResult:
    """Evaluate a preset's rules on GeoDataFrames in memory: no file is read, no frame passed in is changed.

    Parameters
    ----------
    communities, facilities : GeoDataFrame
        Point layers. Either canonical (from :func:`prepare`, in the metric CRS) or your own frames with
        canonical column names (``name``, ``households``, ``population``, ``facility_type`` as a plan term,
        ``floor_area_m2``, ``slots`` ...; see :data:`geoplan.project.COMMUNITY_FIELDS`) in any CRS: these go
        through the same parsing and checks as a file's rows.
    preset : name, path or Preset
    network : Network, optional
        The walking network in the metric CRS (:func:`geoplan.network.load_network`); None: straight lines ×
        the detour factor, labelled.
    admin_units : GeoDataFrame, optional
        Every admin unit (``unit_code``, ``unit_name``, ``level`` ...); the study area's units are judged.
    census : DataFrame, optional
    community_polygons : GeoSeries, optional
        The communities' outlines (metric CRS), if any.
    crs : pyproj.CRS, optional
        The metric CRS; default: the frames' own when projected, else the Gauss-Krüger zone of the data.
    minutes, walk_speed_m_per_min, max_snap_m, new_build_from_year, created, with_service_areas
        As in :func:`audit`.
    project_options : mapping, optional
        A project's ``[audit]`` table (walking speed, household size, city code ...).
    admin_codes : sequence of str, optional
        The units the features were limited to (they are the study area).
    title : str
    notes : sequence of str
        What preparing the inputs assumed (listed in the result's assumptions after the walking speed).
    network_source, declared, extra
        Set by :func:`prepare` (network file name, the layers' source CRS, the facility-type report).

    Returns
    -------
    AuditResult
        Also carries the :class:`~geoplan.access.Access` (``result.access``: attachment, distances, network)
        and the :class:`Inputs` it ran on (``result.inputs``, the frames passed in, unchanged), so that a
        second evaluation, e.g. with a facility added, reads nothing again.
    """
    _check_numbers(minutes=minutes, walk_speed_m_per_min=walk_speed_m_per_min, max_snap_m=max_snap_m,
                   created=created)
    pre = preset if isinstance(preset, Preset) else load_preset(preset)
    _check_kinds(pre)
    inputs = Inputs(communities=communities, facilities=facilities, preset=pre, network=network,
                    admin_units=admin_units, census=census, community_polygons=community_polygons, crs=crs,
                    notes=tuple(notes), title=title, options=dict(project_options or {}), max_snap_m=max_snap_m,
                    network_source=network_source, admin_codes=tuple(admin_codes or ()),
                    declared=dict(declared or {}), types_report=dict(extra or {}))
    return _evaluate(inputs, minutes=minutes, walk_speed_m_per_min=walk_speed_m_per_min,
                     new_build_from_year=new_build_from_year, created=created, with_service_areas=with_service_areas)


def _evaluate(inputs: Inputs, *, minutes: float | None, walk_speed_m_per_min: float | None,
              new_build_from_year: int | None, created: str | None, with_service_areas: bool) -> AuditResult:
    """The evaluation proper: own copies of the layers → speed → study area → access → rules → result."""
    pre, opts, network = inputs.preset, inputs.options, inputs.network
    com, fac, polygons, crs, own_notes = _own_frames(inputs.communities, inputs.facilities,
                                                     inputs.community_polygons, inputs.crs, pre)
    speed, speed_basis, speed_notes = _walk_speed(walk_speed_m_per_min, opts, pre)
    rules = _effective_rules(pre, minutes)
    year_from, year_basis = _first(
        ("command line", new_build_from_year), ("project", opts.get("new_build_from_year")),
        ("preset", pre.new_build_from_year),
    )
    assumptions = [*speed_notes, *_rule_speed_notes(rules, speed, speed_basis), *inputs.notes, *own_notes,
                   *([_no_network_note()] if network is None else [])]
    snap = float(inputs.max_snap_m or settings.max_snap_m)
    units = inputs.admin_units.copy() if inputs.admin_units is not None else None
    # Rows outside the study area are flagged first (against every unit given), so that a compound geocoded to
    # another province does not widen the extent whose units are judged.
    assumptions += _studyarea.flag_outside(com, fac, units, network)
    all_units, judged, area_notes = _study_area(com, fac, units, network, inputs.admin_codes)
    assumptions += area_notes
    declared = inputs.declared or {"communities": source_crs(com), "facilities": source_crs(fac)}
    access, com, access_notes = _access(com, fac, declared, network, rules, speed, speed_basis, snap)
    assumptions += access_notes
    ctx = RuleContext(
        communities=com, facilities=fac, access=access, walk_speed_m_per_min=speed,
        speed_basis=speed_basis, admin_units=judged, census=inputs.census,
        options={"new_build_from_year": year_from, "new_build_basis": year_basis,
                 "community_polygons": polygons,
                 "network_edge_m": _studyarea.edge_distance_m(com, network),
                 **{k: opts[k] for k in _AUDIT_OPTIONS if k in opts}},
    )
    results = {}
    for rule in rules:
        log.info("evaluating %s (%s)", rule.id, rule.kind)
        results[rule.id] = KINDS[rule.kind].evaluate(rule, ctx)
    areas = service_areas(access, rules, speed, speed_basis) if (with_service_areas and network is not None) else None
    return AuditResult(
        title=inputs.title, preset_id=pre.id, preset_title=pre.title,
        communities=_tables.wide(com, results, "community"),
        facilities=_tables.facilities_out(fac, access, results),
        admin_units=_tables.admin_out(all_units, results),
        findings=_tables.findings(com, fac, results),
        indicators=_tables.indicators(results),
        rule_results=results,
        rules=_tables.rules_table(rules),
        network=_tables.network_summary(inputs.network_source, network, access, snap),
        crs=crs, assumptions=assumptions, created=created or dt.date.today().isoformat(),
        extra={"facility_types": {**{k: dict(v) for k, v in pre.types.items()}, CANDIDATE_TYPE: CANDIDATE_LABELS},
               "sensitivity": sensitivity(results, com, speed, speed_basis), **inputs.types_report},
        service_areas=areas, access=access, inputs=inputs,
    )


def _rule_speed_notes(rules: list[Rule], speed: float, speed_basis: str) -> list[str]:
    """The rules that walk at their own speed (a kind with ``own_walk_speed``), in words."""
    return [f"{r.id}: walking speed {rule_speed(r.params, speed, speed_basis)[0]:g} m/min from the rule "
            f"({r.params.get('walk_speed_source', '')})" for r in rules
            if KINDS[r.kind].own_walk_speed and rule_speed(r.params, speed, speed_basis)[1] != speed_basis]


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


def _read_layers(proj: Project, pre: Preset, admin_codes: Sequence[str] | None) -> tuple[_Layers, list[str]]:
    """Read, parse and project the layers (stage: layers → CRS); what it assumed, in words."""
    assumptions: list[str] = []
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
        assumptions += _township_codes(layer, raw, spec, townships)
    assumptions += layer_notes(communities) + layer_notes(facilities)
    assumptions += _rowchecks.apply(communities, "communities") + _rowchecks.apply(facilities, "facilities")
    types_report, type_notes = _types_report(facilities, auto, pre)
    assumptions += type_notes
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
        assumptions += _spread_grid(grid, communities)
    assumptions += _fill_population(communities, proj)
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
                   crs, declared, types_report), assumptions


def _own_frames(
    communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, polygons: gpd.GeoSeries | None,
    crs: pyproj.CRS | None, pre: Preset,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoSeries | None, pyproj.CRS, list[str]]:
    """Copies of the layers the evaluation may change, canonical and in one metric CRS; what was assumed.

    Frames from :func:`prepare` are copied as they are; other frames go through the layer reader's parsing
    and checks (:func:`geoplan.layers.canonical_communities`), as a file's rows would.
    """
    notes: list[str] = []
    com, fac = communities, facilities
    if not _CANONICAL["communities"] <= set(com.columns):
        com = _canonical_frame(com, "communities", pre, notes)
    if not _CANONICAL["facilities"] <= set(fac.columns):
        fac = _canonical_frame(fac, "facilities", pre, notes)
    if crs is None:
        crs = com.crs if com.crs is not None and com.crs.is_projected else _auto_crs(com, fac)
    com, fac = com.to_crs(crs), fac.to_crs(crs)  # a new frame each (to_crs copies, also when the CRS is the same)
    if polygons is not None:
        polygons = polygons.to_crs(crs)
    return com, fac, polygons, crs, notes


#: Columns that only the layer reader (:func:`prepare`) makes: a frame with them is taken as canonical.
_CANONICAL = {
    "communities": {"community_id", "source_row", "flags", "population_assumed", "urban_class"},
    "facilities": {"facility_id", "facility_type", "source_type", "source_row", "flags"},
}


def _canonical_frame(frame: gpd.GeoDataFrame, layer: str, pre: Preset, notes: list[str]) -> gpd.GeoDataFrame:
    """A caller's own GeoDataFrame read like a layer file whose fields have the canonical names."""
    from geoplan.project import COMMUNITY_FIELDS, FACILITY_FIELDS

    names = COMMUNITY_FIELDS if layer == "communities" else FACILITY_FIELDS
    spec = LayerSpec(path=Path(f"({layer} GeoDataFrame)"), fields={c: c for c in names if c in frame.columns})
    if layer == "communities":
        out, _ = canonical_communities(frame, spec)
        out["population_assumed"] = False
        out["urban_class"], _basis = _units.community_urban_class(
            out, pd.Series([None] * len(out), dtype=object), None, None)
    else:
        out = canonical_facilities(frame, spec, {}, set(pre.types))
    notes += layer_notes(out) + _rowchecks.apply(out, layer)
    return out


def _auto_crs(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pyproj.CRS:
    pts = pd.concat([communities.to_crs(4326).geometry, facilities.to_crs(4326).geometry]).dropna()
    pts = pts[~pts.is_empty]
    return auto_metric_crs(pts.x.to_numpy(), pts.y.to_numpy())


def _auto_types(raw: pd.DataFrame, proj: Project, pre: Preset) -> dict[str, str]:
    """Data values that are the preset's own word for a type and that the project does not map."""
    column = proj.facilities.fields.get("facility_type") if proj.facilities else None
    if column is None or column not in raw.columns:
        return {}
    values = raw[column].astype("string").fillna("").str.strip().unique()
    return _typemap.auto_map([str(v) for v in values], proj.facility_types, pre.types)


def _types_report(facilities: gpd.GeoDataFrame, auto: dict[str, str],
                  pre: Preset) -> tuple[dict[str, Any], list[str]]:
    """Facility-type values mapped automatically and values mapped to no plan type, with counts; the notes."""
    used = {str(k): int(v) for k, v in facilities["source_type"].value_counts().items() if k in auto}
    unmapped = _typemap.unmapped_counts(facilities, pre.types)
    report = {"facility_types_auto": {v: (t, used[v]) for v, t in auto.items() if used.get(v)},
              "facility_types_unmapped": unmapped}
    return report, _typemap.notes(auto, used, unmapped)


def _load_network(proj: Project, crs: pyproj.CRS, use_network: bool) -> tuple[Network | None, list[str]]:
    """The walking network in ``crs`` (stage: network), or None; what was assumed."""
    if proj.network and use_network:
        # Cached on disk by the file's hash (geoplan.network.cache): a city's PBF is parsed once, not per audit.
        path = proj.network.path
        if proj.network.clip:  # a province's extract named in the project: cut the study area out (cached)
            from geoplan.clip import clip_for_project

            path, note = clip_for_project(proj)
            return load_network(path, crs=crs, cache=True), [note]
        return load_network(path, crs=crs, cache=True, layer=proj.network.layer, source_crs=proj.network.crs), []
    return None, []


def _no_network_note() -> str:
    return f"no walking network: distances are straight lines × {settings.euclidean_detour_factor:g} (labelled)"


def _access(com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, declared: Mapping[str, Any], network: Network | None,
            rules: list[Rule], speed: float, speed_basis: str,
            snap: float) -> tuple[Access, gpd.GeoDataFrame, list[str]]:
    """Attach both layers to the network once and check them against it (coordinate-system mix-ups).

    Returns the access, the communities with the check's flags added (a new frame) and the check's warnings.
    """
    # the search covers every reach rule at its own speed and at the sensitivity table's fastest speed
    reach_m = search_distance_m(rules, speed, speed_basis)
    limit = settings.search_factor * reach_m if reach_m > 0 else np.inf
    access = Access(com, fac, network, max_snap_m=snap, limit_m=limit)
    warnings, network_notes = check_against_network(access, dict(declared))
    # the Access holds this very frame: the flags column is replaced on it, which the caller's copy allows
    com["flags"] = [f"{a}; {b}" if a and b else a or b for a, b in zip(com["flags"], network_notes, strict=True)]
    return access, com, warnings


def _study_area(com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None,
                network: Network | None, admin_codes: Sequence[str] | None,
                ) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None, list[str]]:
    """All admin units (for the output, with ``in_study_area``), the units judged, and what was assumed.

    With ``admin_codes`` the units named are the study area; otherwise the units that meet the communities'
    extent (or the network's, or the facilities'): see :func:`geoplan._units.study_area`.
    """
    if units is None:
        return None, None, []
    if admin_codes:
        return units.assign(in_study_area=True), units, []
    xy = (network.x, network.y) if network is not None else None
    outside = com.get(_studyarea.RATE_EXCLUDED, pd.Series("", index=com.index)) == _studyarea.OUTSIDE
    inside = com[~outside.to_numpy(dtype=bool)]
    area, what = _units.study_area(inside, fac, xy)
    notes: list[str] = []
    units = _units.mark_study_area(units, area, what, com, notes)
    judged = units[units["in_study_area"].to_numpy()].reset_index(drop=True)
    return units, judged.drop(columns="in_study_area"), notes


def _township_codes(layer: gpd.GeoDataFrame, raw: pd.DataFrame, spec: LayerSpec | None,
                    townships: pd.DataFrame | None) -> list[str]:
    """Fill ``admin_code`` of a layer just read from a township-name field matched to the township list
    (flagged when not); the note saying how many matched."""
    column = spec.fields.get("township") if spec is not None else None
    if column is None:
        return []
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
    return [f"{matched} of {int(names.notna().sum())} township names matched to the [townships] list "
            "/ 乡镇(街道)名称匹配"]


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


def _walk_speed(cli: float | None, options: Mapping[str, Any], pre: Preset) -> tuple[float, str, list[str]]:
    """The walking speed, where it comes from, and the note saying so when it is no plan's figure."""
    notes: list[str] = []
    speed, basis = _first(
        ("command line", cli), ("project", options.get("walk_speed_m_per_min")),
        ("preset parameter", pre.parameters.get("walk_speed_m_per_min")),
        ("geoplan.settings default", settings.walk_speed_m_per_min),
    )
    if basis in ("preset parameter", "geoplan.settings default"):
        source = pre.parameters.get("walk_speed_source", "") if basis == "preset parameter" else ""
        notes.append(f"walking speed {float(speed):g} m/min from {basis} (not in the plan) {source}".strip())
    return check_positive(speed, f"walking speed ({basis})", "m/min"), basis, notes


def _check_kinds(pre: Preset) -> None:
    unknown = sorted({r.kind for r in pre.rules} - set(KINDS))
    if unknown:
        msg = f"preset {pre.id}: rule kind(s) {', '.join(unknown)} not known (known: {', '.join(sorted(KINDS))})"
        raise PresetError(msg, hint=Hint(zh="改用已知的规则类型，或升级 geoplan",
                                         en="use a known rule kind, or upgrade geoplan"))


def _effective_rules(pre: Preset, minutes: float | None) -> list[Rule]:
    """The preset's rules, with ``minutes`` given to every kind that walks (its plugin's ``minutes_override``)."""
    rules = list(pre.rules)
    if minutes is None:
        return rules
    return [replace(r, params={**r.params, "minutes": minutes}) if KINDS[r.kind].minutes_override else r
            for r in rules]


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


def _spread_grid(grid: popgrid.Grid, communities: gpd.GeoDataFrame) -> list[str]:
    """Population from the grid where the layer just read has none (estimated; the formula kept per community);
    the grid's notes."""
    pop, formula, notes = popgrid.spread(grid, communities)
    fill = communities["population"].isna() & pop.notna()
    communities.loc[fill, "population"] = pop[fill]
    communities["population_formula"] = formula.where(fill, "")
    communities["population_estimated"] = fill
    return list(notes)


def _fill_population(communities: gpd.GeoDataFrame, proj: Project) -> list[str]:
    """Population = households × the project's household size where the layer just read has none; the note."""
    size = proj.audit.get("household_size")
    # a population spread from a grid (_spread_grid) is an estimate too: ratio rules flag it
    communities["population_assumed"] = communities.get("population_estimated", False)
    if size is None:
        return []
    fill = communities["population"].isna() & communities["households"].notna()
    communities.loc[fill, "population"] = communities.loc[fill, "households"] * float(size)
    communities.loc[fill, "population_assumed"] = True
    return [f"population = households × {float(size):g} (project household_size) for {int(fill.sum())} "
            "communities without a population"]





