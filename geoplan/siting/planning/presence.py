"""Presence rules (每个乡镇/街道至少一处): the best candidate site inside each unit that lacks a facility.

Candidates inside a failing unit's polygon: the given candidates there, plus (``candidates`` generated / both)
the street nodes inside it thinned to ``spacing_m``. The best is the one with the most households within the
walking distance of a reach rule for the same facility types (when the preset has one), else the one nearest
the unit's centre. A unit without a polygon, or without a candidate inside, is reported with the reason.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geoplan.access import site_reach
from geoplan.rules import text as cm
from geoplan.rules.base import FAIL, Rule
from geoplan.siting.planning import candidates as cand
from geoplan.siting.planning.context import TOLERANCE_M, SiteContext
from geoplan.siting.planning.plans import RulePlan, nan_sum
from geoplan.siting.planning.reach_demand import threshold_of
from geoplan.siting.planning.standards import standard_for


def plan_presence(ctx: SiteContext, rule: Rule) -> RulePlan:
    """Suggestions for one presence rule (see the module docstring)."""
    units = ctx.result.admin_units
    plan = RulePlan()
    reach_m, reach_rule = _reach(ctx, rule)
    table = ctx.result.rule_table(rule.id, "admin_units")
    failing = (units[(table["status"].astype(object) == FAIL).to_numpy()]
               if units is not None and "status" in table.columns else None)
    names = table["unit_name"] if "unit_name" in table.columns else pd.Series(None, index=table.index, dtype=object)
    n_cands = 0
    for i, unit in (failing.iterrows() if failing is not None else iter(())):
        name = names.get(i)
        code, name = str(unit["unit_code"]), str(name if isinstance(name, str) else unit.get("unit_name", ""))
        poly = unit.geometry
        if poly is None or poly.is_empty:
            plan.uncoverable.append(_missing(rule, code, name, "the unit has no polygon: no site can be placed in it "
                                                              "/ 无区划边界"))
            continue
        sites = _inside(ctx, poly)
        n_cands += len(sites)
        if sites.empty:
            plan.uncoverable.append(_missing(rule, code, name, "no candidate site inside the unit (no given "
                                                              "candidate or street node in it) / 区内无候选用地"))
            continue
        plan.suggestions.append(_best(ctx, rule, sites, poly, code, name, reach_m, reach_rule))
    plan.solution = {
        "rule_id": rule.id, "kind": "presence", "model": "best in unit", "status": "direct",
        "objective": float(len(plan.suggestions)), "objective_unit": "units given a site", "bound": np.nan,
        "gap": np.nan, "greedy_objective": np.nan, "seconds": 0.0, "solver_seconds": 0.0,
        "n_demand": 0 if failing is None else len(failing), "n_candidates_given": n_cands,
        "n_candidates_generated": 0, "n_candidates_unusable": 0, "n_fixed_facilities": 0,
        "n_sites": len(plan.suggestions), "n_uncoverable": len(plan.uncoverable),
        "threshold_m": reach_m, "basis": (f"most households within {reach_m:.0f} m ({reach_rule})"
                                          if reach_rule else "candidate nearest the unit's centre"), "message": "",
    }
    return plan


def _reach(ctx: SiteContext, rule: Rule) -> tuple[float, str]:
    """Distance of the first reach rule (in the audit) sharing a facility type with ``rule``."""
    types = set(rule.params["types"])
    for other in ctx.rules:
        if other.kind == "reach" and types & set(other.params["types"]) and other.id in ctx.result.rule_results:
            return threshold_of(ctx.result, other.id), other.id
    return math.nan, ""


def _missing(rule: Rule, code: str, name: str, reason: str) -> dict[str, Any]:
    return {"rule_id": rule.id, "feature_id": code, "name": name, "households": np.nan, "reason": reason}


def _inside(ctx: SiteContext, poly: Any) -> gpd.GeoDataFrame:
    """Candidates inside one unit: given ones, and street nodes (or grid centres) thinned to the spacing."""
    parts = []
    if ctx.candidates in ("given", "both") and len(ctx.given):
        parts.append(ctx.given[shapely.contains(poly, ctx.given.geometry.to_numpy())])
    if ctx.candidates in ("generated", "both"):
        xy = _points_in(ctx, poly)
        keep = cand.thin_to_grid(xy, ctx.spacing_m)
        keep = keep[cand.outside_mask(xy[keep], ctx.mask, ctx.mask_buffer_m)]
        parts.append(gpd.GeoDataFrame({"candidate_id": [f"pt:{x:.0f}_{y:.0f}" for x, y in xy[keep]],
                                       "name": "", "source": "generated", "floor_area_m2": np.nan},
                                      geometry=shapely.points(xy[keep]) if keep.size else [], crs=ctx.result.crs))
    parts = [p for p in parts if len(p)]
    if not parts:
        return cand.empty(ctx.result.crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=ctx.result.crs)


def _points_in(ctx: SiteContext, poly: Any) -> NDArray[np.float64]:
    if ctx.network is not None:
        x, y = ctx.network.x, ctx.network.y
        ok = shapely.contains_xy(poly, x, y)
        return np.column_stack([x[ok], y[ok]])
    x0, y0, x1, y1 = poly.bounds
    s = ctx.spacing_m
    gx, gy = np.meshgrid(np.arange(x0 + s / 2, x1, s), np.arange(y0 + s / 2, y1, s))
    ok = shapely.contains_xy(poly, gx.ravel(), gy.ravel())
    return np.column_stack([gx.ravel()[ok], gy.ravel()[ok]])


def _best(ctx: SiteContext, rule: Rule, sites: gpd.GeoDataFrame, poly: Any, code: str, name: str,
          reach_m: float, reach_rule: str) -> dict[str, Any]:
    com = ctx.result.communities
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    centre = np.asarray(poly.representative_point().coords[0])
    off_centre = np.hypot(*(xy - centre).T)
    hh = pd.to_numeric(com["households"], errors="coerce").to_numpy(dtype=float)
    score = np.zeros(len(sites))
    served: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)] * len(sites)
    if reach_rule:
        reach = site_reach(com, xy, ctx.network, limit_m=reach_m, max_snap_m=ctx.max_snap_m,
                           detour_factor=ctx.detour_factor)
        pairs = reach.pairs[reach.pairs["dist_m"] <= reach_m - TOLERANCE_M]
        site_of = pairs["site"].to_numpy()
        for k in np.unique(site_of):
            served[k] = pairs["community"].to_numpy()[site_of == k]
            score[k] = np.nansum(hh[served[k]])
        score[~reach.site_attached] = -1.0
    best = int(np.lexsort((np.arange(len(sites)), off_centre, -score))[0])
    site = sites.iloc[best]
    ftype = str(rule.params["types"][0])
    size, unit, measure, basis = _filter_size(rule)
    if not math.isfinite(size):
        size, unit, measure, basis = _minimum_size(ctx, ftype, basis)
    rows = served[best]
    label = f"{site['name']}" if isinstance(site["name"], str) and site["name"] else "street node / 路网节点"
    why = (f"{cm.fmt(max(score[best], 0.0))} households within {reach_m:.0f} m ({reach_rule})" if reach_rule
           else "nearest the unit's centre")
    text = (f"在{name}新建{ctx.type_label(ftype)}一处（{label}） / a new {ctx.type_label(ftype, 'en')} in {name} "
            f"at {label}: {why}")
    pop = pd.to_numeric(com["population"], errors="coerce").to_numpy(dtype=float)
    return {
        "rule_id": rule.id, "kind": "presence", "model": "best in unit", "source": site["source"],
        "candidate_id": site["candidate_id"], "name": site["name"] if isinstance(site["name"], str) else "",
        "facility_type": ftype, "size_required": size, "size_unit": unit, "size_measure": measure,
        "size_basis": basis, "communities_fixed": "", "n_fixed": 1, "households_fixed": np.nan,
        "households_served": nan_sum(hh[rows]) if rows.size else np.nan,
        "population_served": nan_sum(pop[rows]) if rows.size else np.nan, "unit_code": code, "suggestion": text,
        "geometry": site.geometry,
    }


def _minimum_size(ctx: SiteContext, ftype: str, basis: str) -> tuple[float, str, str, str]:
    """The preset's per-site minimum for ``ftype`` (a presence site serves no sized demand, but is a site)."""
    standard = standard_for(ctx.rules, [ftype])
    if standard is None or not standard.min_site:
        return math.nan, "", "", basis
    return (standard.min_site, standard.unit, standard.measure,
            f"the per-site minimum of {standard.describe()}; the demand it serves is not sized (presence rule)")


def _filter_size(rule: Rule) -> tuple[float, str, str, str]:
    """Size the rule's filter asks for (``floor_area_m2 >= 2000``), if it is a lower bound on a measure."""
    filt = rule.params.get("filter")
    if isinstance(filt, dict) and filt.get("op") in (">=", ">") and isinstance(filt.get("value"), int | float):
        value = float(filt["value"]) + (1.0 if filt["op"] == ">" else 0.0)
        field = str(filt["field"])
        return value, cm.unit_of(field), field, f"the rule's filter {cm.filter_text(filt)}"
    return math.nan, "", "", "the rule sets no size / 规则未规定规模"
