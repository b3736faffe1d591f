"""provision (配建) — each community's own facility space or places against its size.

Per community: the facilities of the rule's ``types`` that belong to it — by ``community_id`` (default) or,
with ``link = "within"``, lying inside the community polygon (``ctx.options["community_polygons"]``, a
GeoSeries aligned with the communities) — summed over ``measure`` (``floor_area_m2``, ``outdoor_area_m2``,
``slots``, ``beds``), against::

    required = rate × units / per          (units = households or residents of the community)
    required = max(required, min_site)     when a site is required at all (required > 0) and min_site is set

``rate`` is one figure, or ``rate_new`` / ``rate_existing`` chosen by ``build_year >= new_build_from_year``
(``ctx.options["new_build_from_year"]``: the audit fills it from command line > project > preset). A community
passes when its sites add up to the requirement *and*, with ``min_site``, at least one site reaches
``min_site`` (the plans' "每处不少于200平方米集中配建"); every site smaller than ``min_site`` is flagged
(``sites_below_min``). ``shortfall`` = what is missing, in the measure's unit: the larger of
``required − provided`` and ``min_site − largest site``.

Missing inputs are never zeros: unknown households (or residents) → not evaluable; 0 households → nothing
required → pass, noted; no build year when the new/existing rates differ → not evaluable; the measure absent
from the facilities layer or empty for every facility of the types → not evaluable for all; a linked site with
an unknown measure → not evaluable unless the known sites already satisfy the rule. Residents derived as
households × census mean household size, and measures flagged ``assumed_<measure>`` on facilities (a
configured default size per type), make the row ``assumed``.

Shared sites (several small neighbouring compounds, one ≥ ``min_site`` site)
---------------------------------------------------------------------------
Enabled by ``ctx.options["shared_site_radius_m"]`` or the preset parameter ``share_within_m`` (the option
wins); needs ``min_site``. Distances between communities come from ``ctx.options["community_distance_m"]``
(an n × n matrix aligned with the communities, e.g. network distances) or, failing that, straight-line
distance × :data:`geoplan.settings.euclidean_detour_factor` — the result says which (``ctx.access`` answers
only community → nearest-facility distances, so it cannot give community → community distances).

* *Hosts* are compounds (in scope, requirement known) with a site of at least ``min_site``. A host is judged
  on its own; what its sites hold beyond its own requirement is its *surplus*.
* Every other compound in scope with a known, positive requirement is attached to the nearest host within the
  radius (:func:`attach_to_hosts`). Compounds whose own requirement is below ``min_site`` pass when the attached
  compounds' requirements together fit in their own small sites plus the host's surplus; the missing space
  (``shortfall``) is shared among them in proportion to their requirement. A compound whose own requirement
  reaches ``min_site`` is expected to have its own site: it is still judged alone (and fails without one),
  but its residents are counted against the shared site too, since they will use it.
* Small compounds with no host in reach are judged alone; :func:`plan_groups` groups them around a hub
  compound (all members within the radius of the hub), and the reason names the compounds that could share
  one new site and what it would need — an advisory, it does not change the status.

Grouping depends only on positions and existing sites, never on households, so adding households to any
compound can only turn a pass into a fail, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geoplan import settings
from geoplan.rules import _common as cm
from geoplan.rules import _rates
from geoplan.rules._scope import SCOPES, is_new, scope_mask, undecided
from geoplan.rules.base import (
    ASSUMED,
    FAIL,
    MEASURED,
    NOT_APPLICABLE,
    NOT_EVALUABLE,
    PASS,
    RESULT_COLUMNS,
    Rule,
    RuleContext,
    RuleKind,
    RuleResult,
    indicators_frame,
)
from geoplan.rules.params import Spec

KIND = "provision"
MEASURES: Final = ("floor_area_m2", "outdoor_area_m2", "slots", "beds")
PER_UNITS: Final = ("households", "population")
LINKS: Final = ("community_id", "within")
_PER_UNIT_ZH: Final = {"households": "户", "population": "人"}


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a provision rule's parameters (empty when fine)."""
    problems = cm.check_types(params.get("types"))
    if params.get("measure") not in MEASURES:
        problems.append(f"measure: one of {', '.join(MEASURES)}, got {params.get('measure')!r}")
    problems += cm.check_positive(params, "per")
    if params.get("per_unit", "households") not in PER_UNITS:
        problems.append(f"per_unit: one of {', '.join(PER_UNITS)}, got {params.get('per_unit')!r}")
    has_pair = "rate_new" in params or "rate_existing" in params
    if "rate" in params and has_pair:
        problems.append("give either rate, or rate_new and rate_existing, not both")
    elif "rate" in params:
        problems += cm.check_non_negative(params, "rate")
    elif has_pair:
        problems += cm.check_non_negative(params, "rate_new") + cm.check_non_negative(params, "rate_existing")
    else:
        problems.append("rate (or rate_new and rate_existing): required")
    problems += cm.check_positive(params, "min_site", required=False)
    problems += cm.check_positive(params, "share_within_m", required=False)
    if "share_within_m" in params and "min_site" not in params:
        problems.append("share_within_m: only meaningful with min_site")
    if params.get("link", "community_id") not in LINKS:
        problems.append(f"link: one of {', '.join(LINKS)}, got {params.get('link')!r}")
    if params.get("scope", "all") not in SCOPES:
        problems.append(f"scope: one of {', '.join(SCOPES)}, got {params.get('scope')!r}")
    return problems + cm.check_target_rate(params)


# ------------------------------------------------------------------------------------------------ inputs


def _year_from(options: Mapping[str, Any]) -> int | None:
    year = options.get("new_build_from_year")
    return None if year is None else int(year)


def community_units(com: pd.DataFrame, per_unit: str, ctx: RuleContext) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(units, assumed, reason-when-unknown) per community: households, or residents (derived if need be)."""
    empty = pd.Series("", index=com.index, dtype=object)
    if per_unit == "households":
        units = pd.to_numeric(com.get("households", pd.Series(np.nan, index=com.index)), errors="coerce")
        reason = empty.where(units.notna(), "households unknown / 户数缺失")
        return units.astype(float), pd.Series(False, index=com.index), reason
    pop, assumed, _ = cm.community_population(com, ctx.census, ctx.options)
    reason = empty.where(pop.notna(), "population unknown and no household size to derive it (census or option "
                                      "household_size) / 人口缺失")
    return pop, assumed, reason


def community_rates(com: pd.DataFrame, params: Mapping[str, Any],
                    year_from: int | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(rate, is_new, reason-when-unknown) per community; ``is_new`` is NA where not needed or unknown."""
    index = com.index
    empty = pd.Series("", index=index, dtype=object)
    new = (is_new(com["build_year"], year_from) if year_from is not None
           else pd.Series(pd.NA, index=index, dtype="boolean"))
    if "rate" in params or params["rate_new"] == params["rate_existing"]:
        single = float(params["rate"] if "rate" in params else params["rate_new"])
        return pd.Series(single, index=index), new, empty
    if year_from is None:
        msg = "new_build_from_year not configured: new and existing rates differ / 未设定新建小区起始年份"
        return pd.Series(np.nan, index=index), new, pd.Series(msg, index=index, dtype=object)
    rate = pd.Series(np.where(new.fillna(False), params["rate_new"], params["rate_existing"]), index=index,
                     dtype=float).where(new.notna())
    reason = empty.where(new.notna(), f"build year unknown: new (≥{year_from}) and existing compounds have "
                                      f"different rates / 建成年份缺失，无法区分新建与已建成标准")
    return rate, new, reason


def link_facilities(com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, selected: pd.Series, link: str,
                    options: Mapping[str, Any]) -> tuple[pd.Series, pd.Series, str]:
    """Which community (index label) each selected facility belongs to, per-community problems, and a note.

    Returns (owner, problem, note): ``owner`` NA for facilities of no community (or not selected);
    ``problem`` non-empty for communities whose facilities cannot be attributed.
    """
    problem = pd.Series("", index=com.index, dtype=object)
    owner = pd.Series(pd.NA, index=fac.index, dtype="Int64")
    if link == "within":
        return _link_within(com, fac, selected, options, owner, problem)
    if "community_id" not in fac.columns:
        problem[:] = "no community_id in facilities layer (link = community_id) / 设施图层无community_id字段"
        return owner, problem, ""
    fac_ids = fac["community_id"].astype("string").str.strip().where(selected)
    fac_ids = fac_ids.where(fac_ids != "")
    if selected.any() and fac_ids.isna().all():
        problem[:] = ("community_id is empty for every facility of these types: map the facilities' community "
                      "field, or use link = within with community polygons / 设施未关联小区")
        return owner, problem, ""
    unlinked = int((selected & fac_ids.isna()).sum())
    com_ids = com["community_id"].astype("string").str.strip()
    dup = set(com_ids[com_ids.duplicated(keep=False)].dropna())
    first = {cid: i for i, cid in zip(com.index[::-1], com_ids[::-1], strict=True) if isinstance(cid, str)}
    owner[:] = fac_ids.map(lambda c: first.get(c, pd.NA) if isinstance(c, str) else pd.NA).astype("Int64")
    used_dup = dup & set(fac_ids.dropna())
    problem[com_ids.isin(used_dup).to_numpy()] = ("community_id shared by several compounds: its facilities "
                                                  "cannot be attributed / 小区编号重复")
    orphans = int((fac_ids.notna() & owner.isna()).sum())
    notes = [f"{orphans} facilities name a community_id not in the communities layer" if orphans else "",
             f"{unlinked} facilities of these types have no community_id (counted for no community)"
             if unlinked else ""]
    return owner, problem, "; ".join(n for n in notes if n)


def _link_within(com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, selected: pd.Series, options: Mapping[str, Any],
                 owner: pd.Series, problem: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    polys = options.get("community_polygons")
    if polys is None:
        problem[:] = ("link = within needs community polygons (option community_polygons); the communities "
                      "layer has points only / 无小区边界")
        return owner, problem, ""
    polys = gpd.GeoSeries(polys).reindex(com.index)
    if polys.crs is not None and fac.crs is not None and polys.crs != fac.crs:
        polys = polys.to_crs(fac.crs)
    missing = polys.isna() | polys.is_empty.fillna(True)
    problem[missing.to_numpy()] = "no polygon for this community (link = within) / 无小区边界"
    areas = gpd.GeoDataFrame({"owner": com.index[~missing.to_numpy()]}, geometry=polys[~missing], crs=fac.crs)
    pts = gpd.GeoDataFrame(geometry=fac.geometry[selected & fac.geometry.notna()], crs=fac.crs)
    joined = gpd.sjoin(pts, areas, predicate="within", how="inner")
    overlaps = int(joined.index.duplicated().sum())
    joined = joined[~joined.index.duplicated(keep="first")]
    owner[joined.index] = joined["owner"].to_numpy()
    note = f"{overlaps} facilities lie in overlapping polygons (counted for the first)" if overlaps else ""
    return owner, problem, note


@dataclass(frozen=True)
class Sites:
    """Per-community aggregates of the linked sites (index = communities)."""

    total: pd.Series  # sum of known measures
    largest: pd.Series  # largest known measure (NaN when none)
    n_sites: pd.Series
    n_unknown: pd.Series  # linked sites whose measure is unknown
    n_small: pd.Series  # sites below min_site
    assumed: pd.Series  # any linked measure is an assumed default
    names: pd.Series


def site_summary(com_index: pd.Index, owner: pd.Series, values: pd.Series, assumed: pd.Series,
                 names: pd.Series, min_site: float | None) -> Sites:
    """Aggregate linked facilities per community."""
    linked = owner.notna()
    frame = pd.DataFrame({"owner": owner[linked].astype(int), "v": values[linked],
                          "a": assumed[linked].astype(bool), "name": names[linked].astype(str)})
    frame["unknown"] = frame["v"].isna()
    frame["small"] = (frame["v"] < min_site) if min_site is not None else False
    g = frame.groupby("owner")

    def col(s: pd.Series, fill: float | bool | str) -> pd.Series:
        return s.reindex(com_index).fillna(fill)

    return Sites(
        total=col(g["v"].sum(), 0.0).astype(float),
        largest=g["v"].max().reindex(com_index).astype(float),
        n_sites=col(g.size(), 0).astype(int),
        n_unknown=col(g["unknown"].sum(), 0).astype(int),
        n_small=col(g["small"].sum(), 0).astype(int),
        assumed=col(g["a"].any(), False).astype(bool),
        names=col(g["name"].agg(lambda s: cm.join_names(s, 3)), "").astype(object),
    )


# ------------------------------------------------------------------------------------------ shared sites


def attach_to_hosts(dist: NDArray[np.float64], radius: float) -> NDArray[np.int64]:
    """For each guest (row), the column of the nearest host within ``radius``, or -1.

    Parameters
    ----------
    dist : array (n_guests, n_hosts)
        Walking distances in metres (``inf`` where unknown).
    radius : float
        Largest distance at which a guest may use a host's site.
    """
    if dist.size == 0:
        return np.full(dist.shape[0], -1, dtype=np.int64)
    best = np.argmin(dist, axis=1)
    ok = dist[np.arange(dist.shape[0]), best] <= radius
    return np.where(ok, best, -1).astype(np.int64)


def plan_groups(dist: NDArray[np.float64], radius: float, order: NDArray[np.int64]) -> NDArray[np.int64]:
    """Group compounds that could share one new site: greedy stars, every member within ``radius`` of the hub.

    Parameters
    ----------
    dist : array (n, n)
        Distances between the compounds (symmetric; ``inf`` where unknown).
    radius : float
        Largest distance from the hub (where the shared site would be) to a member.
    order : int array
        Compounds in the order they are tried as hubs (e.g. largest requirement first).

    Returns
    -------
    int array
        Hub position for each compound (a compound alone is its own hub).
    """
    hub = np.full(dist.shape[0], -1, dtype=np.int64)
    for h in order:
        if hub[h] >= 0:
            continue
        members = np.flatnonzero((dist[h] <= radius) & (hub < 0))
        hub[members] = h
        hub[h] = h
    return hub


def community_distances(ctx: RuleContext, rows: NDArray[np.int64],
                        cols: NDArray[np.int64]) -> tuple[NDArray[np.float64], str]:
    """Distances (m) between communities at positions ``rows`` and ``cols``, and what they are."""
    given = ctx.options.get("community_distance_m")
    if given is not None:
        matrix = np.asarray(given, dtype=float)
        return matrix[np.ix_(rows, cols)], "distances given (option community_distance_m)"
    geom = ctx.communities.geometry
    xy = np.column_stack([geom.x.to_numpy(dtype=float), geom.y.to_numpy(dtype=float)])
    a, b = xy[rows], xy[cols]
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    factor = settings.euclidean_detour_factor
    return np.where(np.isfinite(d), d * factor, np.inf), f"straight line x{factor:g} (no community network distances)"


# ------------------------------------------------------------------------------------------------ evaluate


@dataclass
class _Frame:
    """Working columns of the result (positions aligned with the communities)."""

    status: NDArray[np.object_]
    reason: NDArray[np.object_]
    shortfall: NDArray[np.float64]
    group: NDArray[np.object_]
    share_dist: NDArray[np.float64]
    threshold: NDArray[np.float64]  # the requirement the verdict used


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Evaluate a provision rule for every community."""
    p = rule.params
    com, fac = ctx.communities, ctx.facilities
    types, measure = list(p["types"]), str(p["measure"])
    per, per_unit = float(p["per"]), str(p.get("per_unit", "households"))
    min_site = float(p["min_site"]) if "min_site" in p else None
    unit = cm.unit_of(measure)
    year_from = _year_from(ctx.options)

    selected = cm.type_mask(fac, types)
    values, fac_assumed, layer_problem = cm.measure_values(fac, measure, selected, "/".join(types))
    if not selected.any():
        layer_problem = None  # set below, with the would-be answer, once the requirements are known
    owner, link_problem, link_note = link_facilities(com, fac, selected, str(p.get("link", "community_id")),
                                                     ctx.options)
    sites = site_summary(com.index, owner, values, fac_assumed, fac.get("name", owner.astype(str)), min_site)
    units, units_assumed, units_reason = community_units(com, per_unit, ctx)
    rate, new, rate_reason = community_rates(com, p, year_from)

    own = (rate * units / per).astype(float)
    required = own if min_site is None else own.where(~(own > 0), np.maximum(own, min_site))
    work = _standalone(required, sites, min_site, unit)
    in_scope, scope_reason = _scope(com, str(p.get("scope", "all")), ctx.options, year_from)
    if not selected.any():
        need = (required > 0).to_numpy() & in_scope
        layer_problem = cm.absent_reason(types, f"{int(need.sum())} of {int(in_scope.sum())} compounds in scope fail "
                                                f"(nothing provided, {cm.fmt(float(required[need].sum()))} {unit} "
                                                "required)")
    problems = _problems(layer_problem, units_reason, rate_reason, link_problem)
    _zero_households(work, units, problems, per_unit)

    share_note = ""
    radius = ctx.options.get("shared_site_radius_m", p.get("share_within_m"))
    if radius is not None and min_site is not None:
        ok = in_scope & (problems == "").to_numpy()
        share_note = _share(ctx, work, own, sites, ok, float(radius), min_site, unit)

    bad = (problems != "").to_numpy()
    work.status[bad] = NOT_EVALUABLE
    work.reason[bad] = problems[bad]
    work.status[~in_scope] = NOT_APPLICABLE
    work.reason[~in_scope] = scope_reason[~in_scope]
    work.status[~in_scope & undecided(com, str(p.get("scope", "all")), ctx.options)] = NOT_EVALUABLE
    table = _table(work, sites, own, units, units_assumed, rate, new, unit, min_site, com.index)
    notes = [n for n in (link_note, share_note) if n]
    counted = _rates.counted_mask(com)
    return RuleResult(rule, "community", table, _indicators(rule, table, unit, per, per_unit, year_from, notes,
                                                            counted))


def _scope(com: pd.DataFrame, scope: str, options: Mapping[str, Any],
           year_from: int | None) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    if scope != "all" and year_from is None:
        n = len(com)
        reason = np.full(n, "new_build_from_year not configured: scope new/existing cannot be decided", dtype=object)
        return np.zeros(n, dtype=bool), reason
    return scope_mask(com, scope, options)


def _problems(layer_problem: str | None, *per_row: pd.Series) -> pd.Series:
    """Every reason a community cannot be evaluated, joined (empty where it can)."""
    head = [layer_problem] if layer_problem else []
    texts = [r.astype(object).fillna("").tolist() for r in per_row]
    joined = ["; ".join(v for v in [*head, *vals] if v) for vals in zip(*texts, strict=True)]
    return pd.Series(joined, index=per_row[0].index, dtype=object)


def _standalone(required: pd.Series, sites: Sites, min_site: float | None, unit: str) -> _Frame:
    """Status, reason and shortfall of every community judged on its own sites."""
    gap = (required - sites.total).clip(lower=0)
    largest = sites.largest.fillna(0.0)
    site_gap = (min_site - largest).clip(lower=0) if min_site is not None else pd.Series(0.0, index=required.index)
    site_gap = site_gap.where(required > 0, 0.0)
    ok = (gap <= 1e-9) & (site_gap <= 1e-9)
    unknown = sites.n_unknown > 0
    status = np.where(ok, PASS, FAIL).astype(object)
    status[(unknown & ~ok).to_numpy()] = NOT_EVALUABLE
    reason = np.array([
        _standalone_reason(t, r, lg, n, s, k, min_site, unit)
        for t, r, lg, n, s, k in zip(sites.total, required, sites.largest, sites.n_sites, sites.n_small,
                                     sites.n_unknown, strict=True)
    ], dtype=object)
    shortfall = np.maximum(gap.to_numpy(dtype=float), site_gap.to_numpy(dtype=float))
    shortfall[status == NOT_EVALUABLE] = np.nan
    n = len(required)
    return _Frame(status, reason, shortfall, np.full(n, None, dtype=object), np.full(n, np.nan),
                  required.to_numpy(dtype=float, copy=True))


def _standalone_reason(total: float, required: float, largest: float, n_sites: int, n_small: int,
                       n_unknown: int, min_site: float | None, unit: str) -> str:
    if not np.isfinite(required):
        return ""
    parts = [f"配建{cm.fmt(total)}{unit} / 应配{cm.fmt(required)}{unit} "
             f"(provided {cm.fmt(total)} {unit} in {n_sites} site(s), required {cm.fmt(required)} {unit})"]
    if n_sites == 0 and required > 0:
        parts.append("无配建设施 / no linked facility")
    if min_site is not None and required > 0 and not (largest >= min_site):
        size = cm.fmt(largest) if np.isfinite(largest) else "0"
        parts.append(f"无单处≥{cm.fmt(min_site)}{unit}的集中场所 / no single site ≥ {cm.fmt(min_site)} {unit} "
                     f"(largest {size})")
    if n_small:
        parts.append(f"{n_small}处小于{cm.fmt(min_site or 0)}{unit} / {n_small} site(s) below min_site")
    if n_unknown:
        parts.append(f"{n_unknown}处面积/数量未知 / measure unknown for {n_unknown} site(s)")
    return "; ".join(parts)


def _zero_households(work: _Frame, units: pd.Series, problems: pd.Series, per_unit: str) -> None:
    zero = (units == 0).to_numpy()
    problems[zero] = ""  # nothing is required whatever the rate, sites or links
    work.status[zero] = PASS
    work.shortfall[zero] = 0.0
    work.threshold[zero] = 0.0
    work.reason[zero] = (f"0 {per_unit}: nothing required / {_PER_UNIT_ZH[per_unit]}数为0，无配建要求"
                         " (check the data)")


def _share(ctx: RuleContext, work: _Frame, own: pd.Series, sites: Sites,
           ok: NDArray[np.bool_], radius: float, min_site: float, unit: str) -> str:
    """Re-judge small compounds that can use a neighbour's ≥ min_site site; advise groups for the rest."""
    own_v, largest = own.to_numpy(dtype=float), sites.largest.to_numpy(dtype=float)
    known = ok & np.isfinite(own_v) & (sites.n_unknown.to_numpy() == 0)
    host_pos = np.flatnonzero(known & (largest >= min_site))
    guest_pos = np.flatnonzero(known & ~(largest >= min_site) & (own_v > 0))
    if len(guest_pos) == 0:
        return ""
    dist, basis = community_distances(ctx, guest_pos, host_pos)
    attached = attach_to_hosts(dist, radius)
    ids = ctx.communities["community_id"].astype(str).to_numpy()
    names = ctx.communities["name"].astype(str).to_numpy() if "name" in ctx.communities else ids
    total = sites.total.to_numpy(dtype=float)
    for j, h in enumerate(host_pos):
        members = guest_pos[attached == j]
        if len(members):
            surplus = max(total[h] - own_v[h], 0.0)
            _judge_group(work, int(h), members, dist[attached == j, j], own_v, total, surplus, min_site, unit,
                         ids, names, radius)
    alone = guest_pos[(attached < 0) & (own_v[guest_pos] < min_site)]
    if len(alone) > 1:
        _advise(ctx, work, alone, own_v, radius, min_site, unit, ids, names)
    return f"shared sites within {radius:g} m ({basis})"


def _judge_group(work: _Frame, host: int, members: NDArray[np.int64], dist: NDArray[np.float64],
                 own: NDArray[np.float64], total: NDArray[np.float64], surplus: float, min_site: float,
                 unit: str, ids: NDArray[Any], names: NDArray[Any], radius: float) -> None:
    need = float(own[members].sum())
    have = float(total[members].sum()) + surplus
    gap = max(need - have, 0.0)
    small = members[own[members] < min_site]
    small_need = float(own[small].sum())
    head = (f"共享{names[host]}的集中场所 (shares the site of {names[host]} [{ids[host]}], host surplus "
            f"{cm.fmt(surplus)} {unit}); 共享组需{cm.fmt(need)}{unit}、有{cm.fmt(have)}{unit} "
            f"(group of {len(members)} compound(s) within {radius:g} m needs {cm.fmt(need)}, has {cm.fmt(have)})")
    for m, d in zip(members, dist, strict=True):
        work.group[m] = f"host:{ids[host]}"
        work.share_dist[m] = round(float(d), 1)
        if own[m] >= min_site:
            work.reason[m] = (f"{work.reason[m]}; 自身需求≥{cm.fmt(min_site)}{unit}，应独立配建 / own requirement "
                              f"≥ min_site: needs its own site (its residents also counted at {names[host]})")
            continue
        work.status[m] = PASS if gap <= 1e-9 else FAIL
        work.threshold[m] = own[m]
        work.shortfall[m] = gap * own[m] / small_need if small_need > 0 else 0.0
        work.reason[m] = f"{head}; own requirement {cm.fmt(own[m])} {unit} < min_site {cm.fmt(min_site)}"


def _advise(ctx: RuleContext, work: _Frame, alone: NDArray[np.int64], own: NDArray[np.float64], radius: float,
            min_site: float, unit: str, ids: NDArray[Any], names: NDArray[Any]) -> None:
    dist, _ = community_distances(ctx, alone, alone)
    # Largest requirement first, ties by community id, so the advice does not depend on row order.
    order = np.lexsort((np.asarray(ids[alone], dtype=str), -own[alone])).astype(np.int64)
    hubs = plan_groups(dist, radius, order)
    for hub in np.unique(hubs):
        members = alone[hubs == hub]
        if len(members) < 2:
            continue
        need = max(float(own[members].sum()), min_site)
        listed = "、".join(sorted(str(names[m]) for m in members))
        for m in members:
            work.group[m] = f"new:{ids[alone[hub]]}"
            work.share_dist[m] = round(float(dist[hub, np.flatnonzero(alone == m)[0]]), 1)
            work.reason[m] = (f"{work.reason[m]}; 可与{listed}共建一处≥{cm.fmt(need)}{unit}的场所 / could share one "
                              f"new site of {cm.fmt(need)} {unit} with {len(members) - 1} neighbour(s) within "
                              f"{radius:g} m of {names[alone[hub]]}")


def _table(work: _Frame, sites: Sites, own: pd.Series, units: pd.Series,
           units_assumed: pd.Series, rate: pd.Series, new: pd.Series, unit: str, min_site: float | None,
           index: pd.Index) -> pd.DataFrame:
    status = work.status
    evaluated = np.isin(status, [PASS, FAIL])
    assumed = (units_assumed | sites.assumed).to_numpy()
    basis = np.where(status == NOT_EVALUABLE, NOT_EVALUABLE, np.where(assumed, ASSUMED, MEASURED)).astype(object)
    table = pd.DataFrame({
        "status": status,
        "value": sites.total.where(evaluated).round(2),
        "threshold": pd.Series(work.threshold, index=index).round(2),
        "unit": unit,
        "shortfall": pd.Series(work.shortfall, index=index).where(evaluated).round(2),
        "basis": basis,
        "reason": work.reason,
        "units": units,
        "own_requirement": own.round(2),
        "rate_used": rate,
        "is_new": new,
        "sites": sites.n_sites,
        "largest_site": sites.largest,
        "sites_below_min": sites.n_small if min_site is not None else 0,
        "site_names": sites.names,
        "share_group": work.group,
        "share_distance_m": work.share_dist,
    }, index=index)
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return table


def _indicators(rule: Rule, table: pd.DataFrame, unit: str, per: float, per_unit: str, year_from: int | None,
                notes: list[str], counted: pd.Series | None = None) -> pd.DataFrame:
    p = rule.params
    if "rate" in p:
        rate_txt = f"{p['rate']} {unit} per {per:g} {per_unit}"
    else:
        rate_txt = (f"new (≥{year_from}) {p['rate_new']} / existing {p['rate_existing']} {unit} "
                    f"per {per:g} {per_unit}")
    if "min_site" in p:
        rate_txt += f", each site ≥ {p['min_site']} {unit}"
    note = "; ".join([rate_txt, *notes])
    status = table["status"]
    basis = ASSUMED if (table["basis"] == ASSUMED).any() else MEASURED
    zh = str(p.get("indicator_zh") or f"{rule.title_zh}达标率")
    en = str(p.get("indicator_en") or f"{rule.title_en}: share of compounds meeting the standard")
    rows = [_rates.rate_indicator(rule.id, zh, en, status, p.get("target_rate"), note, basis=basis, counted=counted)]
    evaluated = status.isin([PASS, FAIL])
    if counted is not None:
        evaluated &= counted.to_numpy()
    n_ne = int((status == NOT_EVALUABLE).sum())
    rows.append({
        "rule_id": rule.id,
        "indicator_zh": f"{rule.title_zh}：配建总量与缺口",
        "indicator_en": f"{rule.title_en}: total provided vs required",
        "area": "全部 all",
        "measured": round(float(table.loc[evaluated, "value"].sum()), 2),
        "target": round(float(table.loc[evaluated, "threshold"].sum()), 2),
        "unit": unit,
        "shortfall": round(float(table.loc[evaluated, "shortfall"].sum()), 2),
        "basis": basis if evaluated.any() else NOT_EVALUABLE,
        "note": f"{note}; over {int(evaluated.sum())} evaluated compounds" + (
            f", {n_ne} not evaluable (not in the totals)" if n_ne else ""),
    })
    return indicators_frame(rows)


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "types": ("types", True),
    "measure": (("floor_area_m2", "outdoor_area_m2", "slots", "beds"), True),
    "per": ((100, 1000), True),
    "per_unit": (("households", "population"), True),
    "rate": ("positive", False),
    "rate_new": ("positive", False),
    "rate_existing": ("positive", False),
    "min_site": ("positive", False),
    "share_within_m": ("positive", False),
    "link": (("community_id", "within"), False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "units",
    "rate_used",
    "is_new",
    "own_requirement",
    "sites",
    "site_names",
    "largest_site",
    "sites_below_min",
    "share_group",
    "share_distance_m",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
    one_of=(("rate",), ("rate_new", "rate_existing")), planner="provision",
    site_fields={"community_id": "candidate_id"},
)
