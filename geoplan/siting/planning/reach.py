"""Reach rules (N-minute service circles): new sites so that failing communities get a facility within reach.

One rule at a time: candidates (given and/or generated in the gap), walking distances from every candidate
and existing facility to the communities (:func:`geoplan.access.site_reach`, within the audit's threshold),
a covering model from the core (LSCP, MCLP or sized LSCP), then per opened site the communities it serves
(nearest open site, existing facilities included), the ones it fixes, and its size under the preset's
provision standard (:mod:`geoplan.siting.planning.standards`).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geoplan._errors import Hint, InputError
from geoplan.access import site_reach
from geoplan.rules import text as cm
from geoplan.rules.base import Rule
from geoplan.siting.planning import candidates as cand
from geoplan.siting.planning.context import TOLERANCE_M, SiteContext
from geoplan.siting.planning.plans import RulePlan, join_ids, nan_sum
from geoplan.siting.planning.reach_demand import ReachDemand, reach_demand
from geoplan.siting.planning.standards import NO_STANDARD, Standard, required_size, standard_for
from geoplan.siting.solver.capacitated import sized_lscp
from geoplan.siting.solver.covering import lscp, mclp
from geoplan.siting.solver.recentre import recentre_solution
from geoplan.siting.solver.result import SitingSolution

log = logging.getLogger(__name__)

#: Catchment outlines are drawn this far around the site and the communities it serves.
CATCHMENT_BUFFER_M = 25.0


def plan_reach(ctx: SiteContext, rule: Rule) -> RulePlan:
    """Suggested sites for one reach rule (see the module docstring)."""
    d = reach_demand(ctx.result, rule, ctx.demand)
    com = ctx.result.communities
    sites = _candidates(ctx, d)
    fac = ctx.result.facilities.iloc[d.fixed]
    xy = np.concatenate([shapely.get_coordinates(sites.geometry.to_numpy()).reshape(-1, 2),
                         shapely.get_coordinates(fac.geometry.to_numpy()).reshape(-1, 2)])
    n_cand = len(sites)
    fixed_cols = np.arange(n_cand, len(xy), dtype=np.int64)
    limit = d.threshold_m - TOLERANCE_M
    reach = site_reach(com, xy, ctx.network, limit_m=d.threshold_m, max_snap_m=ctx.max_snap_m,
                       detour_factor=ctx.detour_factor)
    pairs = reach.pairs[reach.pairs["dist_m"] <= limit]
    standard = standard_for(ctx.rules, list(rule.params["types"]))
    solution = _base_solution(rule, ctx, d, sites, reach.site_attached[:n_cand], reach.basis)
    if d.demand.size == 0:
        return RulePlan(solution={**solution, "status": "no gap", "message": "no failing community"})
    row_of = np.full(len(com), -1, dtype=np.int64)
    row_of[d.demand] = np.arange(d.demand.size)
    dem = pairs[row_of[pairs["community"].to_numpy()] >= 0]
    costs = sp.csr_array((dem["dist_m"].to_numpy(), (row_of[dem["community"].to_numpy()], dem["site"].to_numpy())),
                         shape=(d.demand.size, len(xy)))
    sol = _solve(ctx, d, costs, limit, fixed_cols, standard, fac)
    moved = ""
    if ctx.recentre and sol.sizes is None:
        served = pairs[np.isin(pairs["community"].to_numpy(), d.evaluable)]
        walks = sp.csr_array((served["dist_m"].to_numpy(), (served["site"].to_numpy(), served["community"].to_numpy())),
                             shape=(len(xy), len(com)))
        allowed = np.zeros(len(xy), dtype=bool)
        allowed[:n_cand] = reach.site_attached[:n_cand]
        weights = np.nan_to_num(d.weight[d.demand], nan=0.0) if sol.model == "mclp" else None
        sol, moved = recentre_solution(sol, costs, limit, walks, allowed, weights)
    serve = _serving(ctx, d, pairs, sol, n_cand, fixed_cols)
    plan = RulePlan(solution={**solution, **_solution_row(sol, d)})
    plan.solution["message"] = "; ".join(m for m in (sol.message, moved) if m)
    term = _site_type(rule, standard)
    label = (ctx.type_label(term), re.sub(r"\s*\(.*?\)", "", ctx.type_label(term, "en")))
    for k, j in enumerate(sol.selected):
        row, catchment = _site_rows(ctx, rule, d, sites.iloc[int(j)], serve == j, standard, sol, int(j), label)
        plan.suggestions.append(row)
        plan.catchments.append({**catchment, "index": k})
    plan.uncoverable.extend(_uncoverable(ctx, d, pairs, serve, sol, len(sites)))
    plan.solution["n_uncoverable"] = len(plan.uncoverable)
    return plan


def _candidates(ctx: SiteContext, d: ReachDemand) -> gpd.GeoDataFrame:
    parts = []
    if ctx.candidates in ("given", "both"):
        parts.append(ctx.given)
    if ctx.candidates in ("generated", "both"):
        parts.append(cand.generated_candidates(
            ctx.network, ctx.result.communities, d.failing, d.threshold_m, spacing_m=ctx.spacing_m,
            max_snap_m=ctx.max_snap_m, detour_factor=ctx.detour_factor, mask=ctx.mask,
            mask_buffer_m=ctx.mask_buffer_m))
    parts = [p for p in parts if len(p)]
    if not parts:
        return cand.empty(ctx.result.crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=ctx.result.crs)


def _solve(ctx: SiteContext, d: ReachDemand, costs: sp.csr_array, limit: float, fixed: NDArray[np.int64],
           standard: Standard | None, fac: gpd.GeoDataFrame) -> SitingSolution:
    t = ctx.time_limit_s
    if ctx.model == "mclp":
        assert ctx.p is not None
        w = np.nan_to_num(d.weight[d.demand], nan=0.0)
        return mclp(costs, w, int(ctx.p), limit=limit, fixed=fixed, time_limit=t)
    if ctx.model == "sized":
        if standard is None:
            msg = (f"{d.rule.id}: the sized model needs a provision standard for {'/'.join(d.rule.params['types'])}"
                   " in the preset")
            raise InputError(msg, hint=Hint(zh="改用 --model lscp 或 mclp，或在预设中加入配建标准",
                                            en="use model lscp or mclp"))
        units = _units(ctx.result.communities, standard.per_unit)[d.demand]
        size = np.full(costs.shape[1], np.inf)
        existing = pd.to_numeric(fac.get(standard.measure, pd.Series(np.nan, index=fac.index)), errors="coerce")
        size[fixed] = existing.fillna(np.inf).to_numpy(dtype=float)
        return sized_lscp(costs, np.nan_to_num(units, nan=0.0), rate=standard.rate, per=standard.per,
                          min_size=standard.min_site or 0.0, max_size=ctx.max_site, limit=limit, fixed=fixed,
                          fixed_size=size, time_limit=t)
    return lscp(costs, limit=limit, fixed=fixed, time_limit=t)


def _units(com: pd.DataFrame, per_unit: str) -> NDArray[np.float64]:
    if per_unit not in com.columns:
        return np.full(len(com), np.nan)
    return np.asarray(pd.to_numeric(com[per_unit], errors="coerce").to_numpy(dtype=float))


def _serving(ctx: SiteContext, d: ReachDemand, pairs: pd.DataFrame, sol: SitingSolution, n_cand: int,
             fixed: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per community, the open column that serves it (-1: none within reach).

    Sized model: the solver's assignment of the demand rows (sizes were computed on it). Otherwise every
    evaluable community goes to its nearest open site, new or existing (lowest column on ties), so a new
    site is sized for the households that would walk to it, not only the ones it fixes.
    """
    serve = np.full(len(ctx.result.communities), -1, dtype=np.int64)
    if sol.model == "sized_lscp":
        serve[d.demand] = sol.assignment
        return serve
    is_open = np.zeros(n_cand + fixed.size, dtype=bool)
    is_open[sol.selected] = True
    is_open[fixed] = True
    ok = pairs[is_open[pairs["site"].to_numpy()] & np.isin(pairs["community"].to_numpy(), d.evaluable)]
    best = ok.sort_values(["community", "dist_m", "site"], kind="stable").drop_duplicates("community")
    serve[best["community"].to_numpy()] = best["site"].to_numpy()
    return serve


def _site_type(rule: Rule, standard: Standard | None) -> str:
    """Plan type the new site would be: the first of the rule's types the standard sizes, else the first."""
    types = list(rule.params["types"])
    if standard is not None:
        return next(t for t in types if t in standard.types)
    return types[0]


def _site_rows(ctx: SiteContext, rule: Rule, d: ReachDemand, site: pd.Series, served: NDArray[np.bool_],
               standard: Standard | None, sol: SitingSolution, col: int,
               label: tuple[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    com = ctx.result.communities
    rows = np.flatnonzero(served)
    fixed_rows = rows[np.isin(rows, d.failing)]
    hh = nan_sum(_units(com, "households")[rows])
    pop = nan_sum(_units(com, "population")[rows])
    hh_fixed = nan_sum(_units(com, "households")[fixed_rows])
    size, unit, measure, basis, unknown = _size(com, rows, standard, sol, col)
    ids = com["community_id"].astype(str).to_numpy()
    geom = site.geometry
    name = str(site["name"]) if isinstance(site["name"], str) else ""
    if not name and geom is not None and len(com):  # a generated site is named after the nearest named compound
        named = com[com["name"].map(lambda v: isinstance(v, str) and bool(v.strip()))]
        if len(named):
            name = f"{named['name'].iloc[int(np.argmin(named.geometry.distance(geom).to_numpy()))]}旁"
    size_zh, size_en = size_text(size, unit, standard, unknown, int(rows.size))
    hh_txt = cm.fmt(hh) if math.isfinite(hh) else "?"
    fixed_names = cm.join_names(com["name"].iloc[fixed_rows])
    text = (f"新建{label[0]}{('于' + name) if name else ''}，{size_zh}；服务{rows.size}个小区{hh_txt}户，"
            f"含原不达标{fixed_rows.size}个{('：' + fixed_names) if fixed_names else ''} / new {label[1]}"
            f"{(' at ' + name) if name else ''}: {size_en}; serves {rows.size} compounds, {hh_txt} households, "
            f"{fixed_rows.size} failing before")
    row = {
        "rule_id": rule.id, "kind": "reach", "model": ctx.model, "source": site["source"],
        "candidate_id": site["candidate_id"], "name": name, "facility_type": _site_type(rule, standard),
        "size_required": size, "size_unit": unit, "size_measure": measure, "size_basis": basis,
        "communities_fixed": join_ids(ids[fixed_rows]), "n_fixed": int(fixed_rows.size), "households_fixed": hh_fixed,
        "households_served": hh, "population_served": pop, "unit_code": None, "suggestion": text, "geometry": geom,
    }
    pts = np.concatenate([shapely.get_coordinates(geom), shapely.get_coordinates(com.geometry.to_numpy()[rows])])
    hull = shapely.buffer(shapely.convex_hull(shapely.multipoints(pts)), CATCHMENT_BUFFER_M)
    catchment = {"rule_id": rule.id, "facility_type": row["facility_type"], "n_communities": int(rows.size),
                 "households_served": hh, "geometry": hull}
    return row, catchment


def _size(com: pd.DataFrame, rows: NDArray[np.int64], standard: Standard | None, sol: SitingSolution,
          col: int) -> tuple[float, str, str, str, int]:
    """Size, unit, measure, basis text and number of served communities of unknown size, of one site.

    The same in every model: where the served demand's size is unknown the size is only what is known of it,
    never less than the standard's per-site minimum (a lower bound, said so); where nothing is known and the
    standard sets no minimum, NaN ("size unknown"). The sized model sized its sites counting unknown demand
    as 0, which gives the same lower bound.
    """
    if standard is None:
        return math.nan, "", "", NO_STANDARD, 0
    units = _units(com, standard.per_unit)[rows]
    unknown = int(np.isnan(units).sum())
    size = required_size(float(np.nansum(units)), standard)  # unknown counted as 0; the minimum applies
    if sol.sizes is not None:
        size = float(math.ceil(sol.size_of()[col] - 1e-9))
    if unknown and unknown == rows.size and not standard.min_site:
        size = math.nan  # nothing known and no minimum: no size to give
    whom = f"the {standard.per_unit} it serves" if sol.sizes is None else f"the failing {standard.per_unit} assigned"
    basis = f"{standard.describe()} applied to {whom}"
    if standard.per_unit == "population" and "population_assumed" in com.columns:
        derived = int(com["population_assumed"].to_numpy(dtype=bool)[rows].sum())
        if derived:
            basis += f"; residents of {derived} communities = households × household size (assumed)"
    if unknown:
        lower = "the per-site minimum only" if unknown == rows.size else "not counted: the size is a lower bound"
        basis += f"; {standard.per_unit} unknown for {unknown} of {rows.size} communities served ({lower})"
    return size, standard.unit, standard.measure, basis, unknown


def size_text(size: float, unit: str, standard: Standard | None, unknown: int, served: int) -> tuple[str, str]:
    """The size in words (Chinese, English): ``≥ size``, flagged as a lower bound or unknown where demand is.

    Parameters
    ----------
    size : float
        Required size (NaN: none).
    unit : str
        Its unit.
    standard : Standard or None
        The standard applied (None: the preset has none).
    unknown, served : int
        Communities served whose size is unknown, and all communities served.

    Returns
    -------
    tuple of str
    """
    if standard is None:
        return "无配建标准", "no sizing standard"
    what_zh = {"households": "户数", "population": "人口"}.get(standard.per_unit, standard.per_unit)
    missing_en = f"{standard.per_unit} missing"
    if not math.isfinite(size):
        return f"规模未知({what_zh}缺失)", f"size unknown: {missing_en}"
    zh, en = f"不少于{cm.fmt(size)}{unit}", f"≥ {cm.fmt(size)} {unit}"
    if unknown and unknown == served:
        return (f"{zh}(单站最小规模；{what_zh}缺失，规模未知)",
                f"{en} (the per-site minimum; size unknown: {missing_en})")
    if unknown:
        return (f"{zh}({unknown}个小区{what_zh}缺失，为下限)",
                f"{en} (a lower bound: {missing_en} for {unknown} of {served} compounds)")
    return zh, en


def _uncoverable(ctx: SiteContext, d: ReachDemand, pairs: pd.DataFrame, serve: NDArray[np.int64],
                 sol: SitingSolution, n_cand: int) -> list[dict[str, Any]]:
    com = ctx.result.communities
    left = d.failing[serve[d.failing] < 0]
    reached = set(pairs["community"].to_numpy().tolist())
    hh = _units(com, "households")
    out = []
    for i in left:
        if i not in reached:
            why = (f"no candidate site within {d.threshold_m:.0f} m walk ({n_cand} candidates) / "
                   f"步行{d.threshold_m:.0f}米内无候选用地")
        elif sol.model == "mclp":
            why = f"not covered by the budget of p = {ctx.p} new sites (MCLP) / 超出{ctx.p}处选址预算"
        else:
            why = sol.message or f"not served ({sol.status})"
        out.append({"rule_id": d.rule.id, "feature_id": str(com["community_id"].iloc[i]),
                    "name": str(com["name"].iloc[i]), "households": hh[i], "reason": why})
    return out


def _base_solution(rule: Rule, ctx: SiteContext, d: ReachDemand, sites: gpd.GeoDataFrame,
                   attached: NDArray[np.bool_], basis: str) -> dict[str, Any]:
    src = sites["source"].to_numpy()
    return {
        "rule_id": rule.id, "kind": "reach", "model": ctx.model, "n_demand": int(d.demand.size),
        "n_candidates_given": int((src == "given").sum()), "n_candidates_generated": int((src == "generated").sum()),
        "n_candidates_unusable": int((~attached).sum()), "n_fixed_facilities": int(d.fixed.size), "n_sites": 0,
        "n_uncoverable": 0, "threshold_m": d.threshold_m, "basis": basis, "message": "",
    }


def _solution_row(sol: SitingSolution, d: ReachDemand) -> dict[str, Any]:
    unit = f"{d.weight_name} covered" if sol.model == "mclp" else "new sites"
    row = {"model": sol.model, "status": sol.status, "objective": sol.objective, "objective_unit": unit,
           "bound": sol.bound, "gap": sol.gap, "greedy_objective": sol.greedy_objective, "seconds": sol.seconds,
           "solver_seconds": sol.solver_seconds, "n_sites": sol.n_selected, "message": sol.message}
    if len(sol.stages) > 1:  # sized model: fewest sites, then least total size with that many
        size = sol.stages[1]
        row.update({"status": sol.stages[0].status, "size_objective": size.objective, "size_bound": size.bound,
                    "size_gap": size.gap, "size_status": size.status})
    return row
