"""``suggest_sites``: for each failing rule of an audit, new facilities a planner can act on.

Typical use::

    from geoplan.siting import suggest_sites, apply_suggestions

    result = geoplan.audit("geoplan.toml")
    siting = suggest_sites("geoplan.toml", result, rules=["reach_childcare_15"], model="lscp")
    siting.suggestions          # one row per new site: where, how big, which communities it fixes
    check = apply_suggestions("geoplan.toml", siting)      # the audit again with the sites added

Nothing is kept between calls: the network is loaded again (through the on-disk cache) and the candidates
are attached to it here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np

from geoplan import settings
from geoplan._errors import Hint, InputError
from geoplan.audit import audit
from geoplan.network import Network, load_network
from geoplan.presets import Preset, load_preset
from geoplan.project import Project, load_project
from geoplan.result import AuditResult
from geoplan.rules import KINDS
from geoplan.rules.base import FAIL, Rule
from geoplan.siting.planning import candidates as cand
from geoplan.siting.planning.context import CANDIDATE_MODES, MODELS, CandidateMode, Model, SiteContext
from geoplan.siting.planning.plans import RulePlan, SitingResult, assemble
from geoplan.siting.planning.presence import plan_presence
from geoplan.siting.planning.provision import plan_provision
from geoplan.siting.planning.reach import plan_reach
from geoplan.siting.planning.reach_demand import DEMAND_MODES, DemandMode

log = logging.getLogger(__name__)

#: Siting strategies, by the name a rule kind's plugin gives as its ``planner`` (geoplan.rules.KINDS).
PLANNERS: dict[str, Callable[[SiteContext, Rule], RulePlan]] = {
    "reach": plan_reach, "provision": plan_provision, "presence": plan_presence,
}


def suggest_sites(
    project: str | os.PathLike[str] | Project,
    result: AuditResult | None = None,
    *,
    rules: Sequence[str] | None = None,
    model: Model = "lscp",
    p: int | None = None,
    candidates: CandidateMode = "both",
    spacing_m: float = 300.0,
    mask: cand.MaskLike = None,
    mask_buffer_m: float = 0.0,
    candidate_layer: gpd.GeoDataFrame | None = None,
    demand: DemandMode = "failing",
    max_site: float | None = None,
    time_limit_s: float | None = 60.0,
    recentre: bool = True,
    preset: str | os.PathLike[str] | Preset | None = None,
) -> SitingResult:
    """Suggest new facility sites that close the gaps of an audit.

    Parameters
    ----------
    project : path or Project
        The project audited (its network is reloaded, through the cache).
    result : AuditResult, optional
        The audit; run here with the project's defaults when not given.
    rules : sequence of str, optional
        Rule ids to site for; default every reach, provision and presence rule with a failing feature.
    model : {"lscp", "mclp", "sized"}
        Reach rules: fewest sites covering every failing community (LSCP), most weight covered with ``p``
        sites (MCLP), or fewest sites then least total size with each site sized by the preset's standard
        (sized LSCP, ``max_site`` caps a site). Provision and presence rules are answered directly.
    p : int, optional
        Number of new sites per rule; required for MCLP.
    candidates : {"given", "generated", "both"}
        Candidate sites: the facilities of type ``candidate`` (and ``candidate_layer``), street nodes in the
        gaps thinned to ``spacing_m``, or both.
    spacing_m : float
        Grid spacing of generated candidates, metres.
    mask : GeoDataFrame, GeoSeries, shapely geometry or path, optional
        Areas where no site may go (water, parks, protected land); ``mask_buffer_m`` around them too.
    candidate_layer : GeoDataFrame, optional
        More given candidate points (any CRS).
    demand : {"failing", "all"}
        Reach rules: model the failing communities only, or every evaluable one (existing facilities fixed).
    max_site : float, optional
        Sized model: largest size of one new site.
    time_limit_s : float, optional
        Solver time per rule; the best solution found is returned with its proven gap.
    recentre : bool
        LSCP / MCLP: then move each site, where another candidate keeps every coverage, towards the middle
        of what it serves (shortest total walk; same number of sites, no coverage lost).
    preset : name, path or Preset, optional
        The preset of the audit (default: the result's, else the project's).

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        Unknown model, candidate mode or rule; MCLP without ``p``; a rule without results in the audit.
    """
    check_options(model, p, candidates, spacing_m, demand)
    proj = project if isinstance(project, Project) else load_project(Path(project))
    pre = _preset(preset, result, proj)
    if result is None:
        result = audit(proj, preset=pre)
    chosen = _rules(pre, result, rules)
    network = _network(proj, result)
    mask_geom = cand.mask_geometry(mask, result.crs)
    given = cand.given_candidates(result.facilities, candidate_layer)
    given = given[cand.outside_mask(np.asarray(given.get_coordinates()), mask_geom, mask_buffer_m)]
    ctx = SiteContext(
        result=result, rules=pre.rules, types=pre.types, network=network,
        max_snap_m=result.network.max_snap_m if result.network else settings.max_snap_m,
        detour_factor=settings.euclidean_detour_factor, given=given.reset_index(drop=True), mask=mask_geom,
        mask_buffer_m=mask_buffer_m, candidates=candidates, spacing_m=spacing_m, model=model, p=p,
        max_site=max_site, demand=demand, time_limit_s=time_limit_s, recentre=recentre,
    )
    plans = []
    for rule in chosen:
        log.info("siting %s (%s, model %s)", rule.id, rule.kind, model)
        plans.append(PLANNERS[str(_planner(rule))](ctx, rule))
    basis = "walking network" if network is not None else f"euclidean x{settings.euclidean_detour_factor:g}"
    notes = [f"distances: {basis}", f"{len(given)} given candidate site(s) after masking"]
    siting = assemble(plans, result.crs, pre.id, notes)
    log.info("suggested %d site(s) for %d rule(s)", len(siting.suggestions), len(plans))
    return siting


def check_options(model: str, p: int | None, candidates: str, spacing_m: float = 300.0,
                  demand: str = "failing") -> None:
    """Refuse unknown models, candidate and demand modes, MCLP without ``p`` and a non-positive spacing.

    Raises
    ------
    InputError
        Naming every problem found.
    """
    problems = []
    if model not in MODELS:
        problems.append(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "mclp" and (p is None or isinstance(p, bool) or not isinstance(p, int) or p < 1):
        problems.append(f"model mclp needs p, a whole number of new sites ≥ 1 (got {p!r})")
    if candidates not in CANDIDATE_MODES:
        problems.append(f"candidates must be one of {', '.join(CANDIDATE_MODES)}, got {candidates!r}")
    if not spacing_m > 0:
        problems.append(f"spacing must be a positive distance in metres, got {spacing_m!r}")
    if demand not in DEMAND_MODES:
        problems.append(f"demand must be one of {', '.join(DEMAND_MODES)}, got {demand!r}")
    if problems:
        msg = "; ".join(problems)
        raise InputError(msg, hint=Hint(zh="修改上述选址参数", en="fix the siting options named"))


def _preset(preset: str | os.PathLike[str] | Preset | None, result: AuditResult | None, proj: Project) -> Preset:
    if isinstance(preset, Preset):
        return preset
    if preset is not None:
        return load_preset(preset)
    pre = load_preset(proj.preset)
    if result is not None and result.preset_id != pre.id:
        pre = load_preset(result.preset_id)  # audited with another preset (e.g. --preset on the command line)
    return pre


def _rules(pre: Preset, result: AuditResult, wanted: Sequence[str] | None) -> list[Rule]:
    by_id = {r.id: r for r in pre.rules}
    if wanted is not None:
        unknown = [r for r in wanted if r not in by_id]
        if unknown:
            msg = f"rules {unknown} are not in preset {pre.id} (its rules: {', '.join(by_id)})"
            raise InputError(msg, hint=Hint(zh="`geoplan presets show 预设名` 列出其规则编号",
                                            en="`geoplan presets show NAME` lists its rule ids"))
        wrong = [r for r in wanted if _planner(by_id[r]) not in PLANNERS]
        if wrong:
            msg = f"no siting for rules {wrong}: only {', '.join(_sited_kinds())} rules have suggestions"
            raise InputError(msg, hint=Hint(zh="--rules 只列出有选址方法的规则（可达、配建、设置）",
                                            en="list in --rules only rules of a kind siting serves"))
        missing = [r for r in wanted if r not in result.rule_results]
        if missing:
            msg = f"rules {missing} have no results in this audit"
            raise InputError(msg, hint=Hint(zh=f"先用预设 {pre.id} 审计", en=f"audit with preset {pre.id} first"))
        return [by_id[r] for r in wanted]
    return [r for r in pre.rules if _planner(r) in PLANNERS and r.id in result.rule_results
            and bool((result.rule_results[r.id].table["status"] == FAIL).any())]


def _planner(rule: Rule) -> str | None:
    """The siting strategy of the rule's kind (its plugin's ``planner``), None for kinds without one."""
    kind = KINDS.get(rule.kind)
    return kind.planner if kind is not None else None


def _sited_kinds() -> list[str]:
    return [name for name, kind in KINDS.items() if kind.planner in PLANNERS]


def _network(proj: Project, result: AuditResult) -> Network | None:
    if proj.network is None or result.network is None or result.network.basis != "network":
        return None
    if result.access is not None and result.access.network is not None:
        return result.access.network  # the audit's own, in its CRS: not loaded a second time
    return load_network(Path(proj.network.path), crs=result.crs, cache=True, layer=proj.network.layer,
                        source_crs=proj.network.crs)


__all__ = ["check_options", "suggest_sites"]
