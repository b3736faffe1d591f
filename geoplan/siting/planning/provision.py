"""Provision rules (配建): space or places to add in the compounds that lack them, read off the audit.

No optimisation is needed: the audit already says what each failing compound lacks. Per failing compound,
"add X m² in compound Y": a new site of ``max(required − provided, min_site)`` when it has no site of
``min_site`` yet, else ``required − provided`` (which may also enlarge an existing site). Where the audit
grouped small neighbouring compounds (shared sites, ``share_within_m``):

* a group advised to share a *new* site (``share_group = new:<hub>``) gets one suggestion at the hub: "one
  shared site of ≥ S m² for Y, Z", S = ``max(min_site, Σ requirement − Σ provided)``;
* a group sharing an existing host's site that is too small (``host:<host>``) gets "enlarge the site at the
  host by the group's gap".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoplan.rules import text as cm
from geoplan.rules.base import FAIL, Rule
from geoplan.siting.planning.context import SiteContext
from geoplan.siting.planning.plans import RulePlan, join_ids, nan_sum

#: Outline drawn around the compounds of a shared site.
GROUP_BUFFER_M = 25.0


def _ceil(x: float) -> float:
    return float(math.ceil(x - 1e-9))


def plan_provision(ctx: SiteContext, rule: Rule) -> RulePlan:
    """Suggestions for one provision rule (see the module docstring)."""
    fields = ["status", "value", "threshold", "unit", "shortfall", "own_requirement", "largest_site", "share_group",
              "site_names"]
    table = ctx.result.rule_table(rule.id).reindex(columns=fields)
    table["status"] = table["status"].astype(object)
    failing = np.flatnonzero((table["status"] == FAIL).to_numpy())
    min_site = float(rule.params["min_site"]) if "min_site" in rule.params else None
    plan = RulePlan()
    group = table["share_group"].astype(object).where(table["share_group"].notna(), "").astype(str).to_numpy()
    done: set[str] = set()
    for i in failing:
        g = group[i]
        if g.startswith(("new:", "host:")):
            if g in done:
                continue
            done.add(g)
            members = np.flatnonzero(group == g)
            if g.startswith("new:"):
                _shared_new(ctx, rule, plan, table, members[np.isin(members, failing)], min_site)
                continue
            small = members[np.isin(members, failing) & (table["own_requirement"].to_numpy()[members] <
                                                        (min_site or 0.0))]
            if small.size:
                _enlarge_host(ctx, rule, plan, table, g[len("host:"):], small)
            for m in members[np.isin(members, failing) & ~np.isin(members, small)]:
                _one(ctx, rule, plan, table, int(m), min_site)
            continue
        _one(ctx, rule, plan, table, int(i), min_site)
    total = sum(float(s["size_required"]) for s in plan.suggestions)
    unit = str(table["unit"].dropna().iloc[0]) if table["unit"].notna().any() else ""
    plan.solution = {
        "rule_id": rule.id, "kind": "provision", "model": "direct", "status": "direct", "objective": total,
        "objective_unit": f"{unit} added", "bound": np.nan, "gap": np.nan, "greedy_objective": np.nan,
        "seconds": 0.0, "solver_seconds": 0.0, "n_demand": int(failing.size), "n_candidates_given": 0,
        "n_candidates_generated": 0, "n_candidates_unusable": 0, "n_fixed_facilities": 0,
        "n_sites": len(plan.suggestions), "n_uncoverable": 0, "threshold_m": np.nan,
        "basis": "the audit's requirement and shortfall per compound", "message": "",
    }
    return plan


def _row(ctx: SiteContext, rule: Rule, table: pd.DataFrame, at: int, fixed: np.ndarray, size: float,
         text: str, basis: str) -> dict[str, Any]:
    com = ctx.result.communities
    ids = com["community_id"].astype(str).to_numpy()
    hh = pd.to_numeric(com["households"], errors="coerce").to_numpy(dtype=float)
    pop = pd.to_numeric(com["population"], errors="coerce").to_numpy(dtype=float)
    return {
        "rule_id": rule.id, "kind": "provision", "model": "direct", "source": "compound",
        "candidate_id": ids[at], "name": str(com["name"].iloc[at]), "facility_type": str(rule.params["types"][0]),
        "size_required": size, "size_unit": str(table["unit"].iloc[at]), "size_measure": str(rule.params["measure"]),
        "size_basis": basis, "communities_fixed": join_ids(ids[fixed]), "n_fixed": int(fixed.size),
        "households_fixed": nan_sum(hh[fixed]), "households_served": nan_sum(hh[fixed]),
        "population_served": nan_sum(pop[fixed]), "unit_code": None, "suggestion": text,
        "geometry": com.geometry.iloc[at],
    }


def _one(ctx: SiteContext, rule: Rule, plan: RulePlan, table: pd.DataFrame, i: int, min_site: float | None) -> None:
    required, provided = float(table["threshold"].iloc[i]), float(np.nan_to_num(table["value"].iloc[i]))
    largest = float(table["largest_site"].iloc[i]) if pd.notna(table["largest_site"].iloc[i]) else 0.0
    gap = max(required - provided, 0.0)
    needs_site = min_site is not None and largest < min_site
    size = _ceil(max(gap, min_site if needs_site and min_site is not None else 0.0))
    unit = str(table["unit"].iloc[i])
    name = str(ctx.result.communities["name"].iloc[i])
    sites = str(table["site_names"].iloc[i]) if isinstance(table["site_names"].iloc[i], str) else ""
    if provided > 0 and not needs_site:
        text = (f"在{name}增加{cm.fmt(_ceil(gap))}{unit}（扩建现有{sites or '场所'}或新建） / add "
                f"{cm.fmt(_ceil(gap))} {unit} in compound {name} (enlarge {sites or 'its site'}, or a new site)")
    else:
        text = (f"在{name}新建一处不少于{cm.fmt(size)}{unit}的集中场所（缺口{cm.fmt(_ceil(gap))}{unit}） / "
                f"add a site of ≥ {cm.fmt(size)} {unit} in compound {name} (shortfall {cm.fmt(_ceil(gap))} {unit})")
    basis = (f"requirement {cm.fmt(required)} {unit} − provided {cm.fmt(provided)}"
             + (f", one site ≥ {cm.fmt(min_site)} {unit}" if needs_site and min_site is not None else ""))
    plan.suggestions.append(_row(ctx, rule, table, i, np.array([i]), size, text, basis))


def _shared_new(ctx: SiteContext, rule: Rule, plan: RulePlan, table: pd.DataFrame, members: np.ndarray,
                min_site: float | None) -> None:
    com = ctx.result.communities
    hub_id = str(table["share_group"].iloc[members[0]])[len("new:"):]
    ids = com["community_id"].astype(str).to_numpy()
    hub = int(np.flatnonzero(ids == hub_id)[0])
    own = float(np.nansum(table["own_requirement"].to_numpy(dtype=float)[members]))
    have = float(np.nansum(table["value"].to_numpy(dtype=float)[members]))
    size = _ceil(max(min_site or 0.0, own - have))
    unit = str(table["unit"].iloc[hub])
    names = "、".join(com["name"].astype(str).to_numpy()[members])
    text = (f"在{com['name'].iloc[hub]}新建一处不少于{cm.fmt(size)}{unit}的共享场所，供{names}共用 / one shared site "
            f"of ≥ {cm.fmt(size)} {unit} in {com['name'].iloc[hub]} for {len(members)} neighbouring compounds")
    basis = (f"Σ requirement {cm.fmt(own)} − Σ provided {cm.fmt(have)}, at least min_site "
             f"{cm.fmt(min_site or 0.0)} {unit} (shared site, share_within_m)")
    plan.suggestions.append(_row(ctx, rule, table, hub, members, size, text, basis))
    _outline(ctx, rule, plan, members)


def _enlarge_host(ctx: SiteContext, rule: Rule, plan: RulePlan, table: pd.DataFrame, host_id: str,
                  members: np.ndarray) -> None:
    com = ctx.result.communities
    ids = com["community_id"].astype(str).to_numpy()
    host = int(np.flatnonzero(ids == host_id)[0])
    gap = _ceil(float(np.nansum(table["shortfall"].to_numpy(dtype=float)[members])))
    unit = str(table["unit"].iloc[members[0]])
    name = com["name"].iloc[host]
    text = (f"扩建{name}的共享场所{cm.fmt(gap)}{unit}（供{len(members)}个相邻小区共用） / enlarge the shared site at "
            f"{name} by {cm.fmt(gap)} {unit} for {len(members)} neighbouring compounds")
    basis = "the shared group's gap (Σ requirement − Σ provided − host surplus)"
    plan.suggestions.append(_row(ctx, rule, table, host, members, gap, text, basis))
    _outline(ctx, rule, plan, np.concatenate([[host], members]))


def _outline(ctx: SiteContext, rule: Rule, plan: RulePlan, rows: np.ndarray) -> None:
    com = ctx.result.communities
    pts = shapely.get_coordinates(com.geometry.to_numpy()[rows])
    last = plan.suggestions[-1]
    plan.catchments.append({
        "index": len(plan.suggestions) - 1, "rule_id": rule.id, "facility_type": last["facility_type"],
        "n_communities": len(rows), "households_served": last["households_served"],
        "geometry": shapely.buffer(shapely.convex_hull(shapely.multipoints(pts)), GROUP_BUFFER_M),
    })
