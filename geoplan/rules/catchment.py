"""catchment — capacity within the service circle per head of its target population (2SFCA / E2SFCA).

Per community: the supply (托位 slots, beds, m²) it can reach within the rule's walking distance, each facility's
capacity shared among all the demand within *its* catchment (two-step floating catchment), optionally with
distance decay; per ``per`` of the community's demand (residents, infants 0–3, elderly 60+, households)::

    R_j = S_j / Σ_{i: d_ij ≤ r} W(d_ij) P_i          A_i = Σ_{j: d_ij ≤ r} W(d_ij) R_j       value_i = A_i × per

pass when ``value ≥ target`` (the plan's ratio); ``shortfall`` = the supply the community lacks,
``(target / per − A_i) × P_i`` in the supply's units. The catchment r is ``minutes`` × the walking speed over the
network (the audit's attachment, as reach rules); straight lines × the detour factor only as the labelled
fallback. Pairs beyond r are never formed (:mod:`geoplan.catchment_pairs`).

Parameters: ``types``, ``minutes``, ``supply`` (facility field), ``demand`` (``population``, ``infants_0_3``,
``elderly_60``, ``households``), ``per``, ``target``; ``decay`` = ``"none"`` (2SFCA, default), ``"stepped"``
with ``steps = [[minutes, weight], ...]`` or ``"gaussian"`` with ``sigma_minutes`` (E2SFCA).

Demand by age comes from the layer's columns or is estimated (:mod:`geoplan.demand`), marked ``estimated``
with its formula. Unknown supply or demand bound the ratio from both sides (:mod:`geoplan.rules._fca`);
a community is decided when both bounds agree. Per admin unit (and the city): Σ A_i P_i / Σ P_i × per against
the target, with the summed community shortfalls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan import demand as dm
from geoplan.access import _euclidean_pairs, _has_xy, _xy
from geoplan.catchment_pairs import CatchmentPairs, catchment_pairs, stretch_factor
from geoplan.rules import _common as cm
from geoplan.rules import _fca, _rates
from geoplan.rules._scope import scope_mask
from geoplan.rules.base import (
    ASSUMED,
    ESTIMATED,
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

KIND = "catchment"
SUPPLIES: Final = ("slots", "beds", "floor_area_m2", "nursing_beds", "dementia_beds", "count")
_EPS = 1e-9


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a catchment rule's parameters (empty when fine)."""
    problems = cm.check_types(params.get("types"))
    problems += cm.check_positive(params, "minutes") + cm.check_positive(params, "per")
    problems += cm.check_non_negative(params, "target")
    if params.get("supply") not in SUPPLIES:
        problems.append(f"supply: one of {', '.join(SUPPLIES)}, got {params.get('supply')!r}")
    if params.get("demand") not in dm.DEMANDS:
        problems.append(f"demand: one of {', '.join(dm.DEMANDS)}, got {params.get('demand')!r}")
    decay = params.get("decay", "none")
    if decay not in _fca.DECAYS:
        problems.append(f"decay: one of {', '.join(_fca.DECAYS)}, got {decay!r}")
    if decay == "stepped":
        problems += _check_steps(params.get("steps"), params.get("minutes"))
    if decay == "gaussian":
        problems += cm.check_positive(params, "sigma_minutes")
    return problems


def _check_steps(steps: Any, minutes: Any) -> list[str]:
    text = "steps: a list of [minutes, weight] pairs, minutes rising, weights in 0..1"
    if not isinstance(steps, list) or not steps:
        return [f"{text}, got {steps!r}"]
    pairs = []
    for step in steps:
        ok = (isinstance(step, list) and len(step) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in step))
        if not ok or not (step[0] > 0 and 0 <= step[1] <= 1):
            return [f"{text}, got {step!r}"]
        pairs.append((float(step[0]), float(step[1])))
    if [p[0] for p in pairs] != sorted({p[0] for p in pairs}):
        return [f"{text} (minutes must rise), got {steps!r}"]
    if isinstance(minutes, int | float) and pairs[-1][0] > minutes:
        return [f"steps: the last step ({pairs[-1][0]:g} min) lies beyond the catchment ({minutes} min)"]
    return []


# ------------------------------------------------------------------------------------------------ evaluate


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Evaluate a catchment rule for every community, and per admin unit in the indicators."""
    p = rule.params
    speed = ctx.walk_speed_m_per_min
    limit = float(p["minutes"]) * speed
    types, field = list(p["types"]), str(p["supply"])
    com, fac = ctx.communities, ctx.facilities
    selected = cm.type_mask(fac, types)
    supply, s_assumed, s_problem = cm.measure_values(fac, field, selected, "/".join(types))
    demand = dm.community_demand(com, str(p["demand"]), ctx.census, ctx.admin_units, ctx.options)
    pairs = catchment_pairs(ctx.access, selected.to_numpy(dtype=bool), limit)
    weight = _weights(p, pairs, speed, limit)
    fac_pos = pairs.pairs["facility"].to_numpy(np.int64)
    com_pos = pairs.pairs["community"].to_numpy(np.int64)
    sup = np.where(selected.to_numpy(dtype=bool), supply.to_numpy(dtype=float), 0.0)
    fca = _fca.two_step(fac_pos, com_pos, weight, sup, demand.value.to_numpy(dtype=float),
                        _missing_demand(ctx, pairs, selected.to_numpy(dtype=bool), limit))
    table = _community_table(rule, ctx, pairs, fca, demand, supply, s_assumed, fac_pos, com_pos, weight)
    if s_problem or not selected.any():
        # short enough for a Shapefile's 254-byte text field; the types are in the rule's parameters
        why = (f"no {field} figure for any of the {int(selected.sum())} facilities of the rule's types / "
               f"此类设施均无{field}数据" if s_problem and selected.any() else s_problem or
               "no facility of the rule's types in the facilities layer: add them, or map their data values in "
               "[facility_types] / 设施图层中无此类设施")
        _not_evaluable(table, why)
    in_scope, scope_reason = scope_mask(com, str(p.get("scope", "all")), ctx.options)
    out = ~in_scope  # as in reach: not applicable takes precedence over not evaluable
    table.loc[out, "status"] = NOT_APPLICABLE
    table.loc[out, "reason"] = scope_reason[out]
    table.loc[out, ["value", "shortfall"]] = np.nan
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return RuleResult(rule, "community", table, _indicators(rule, ctx, table, demand, pairs.basis, limit,
                                                                   pairs.community_usable))


def _weights(p: Mapping[str, Any], pairs: CatchmentPairs, speed: float, limit: float) -> np.ndarray:
    decay = str(p.get("decay", "none"))
    steps = [(float(m) * speed, float(w)) for m, w in p.get("steps", [])]
    sigma = float(p.get("sigma_minutes", np.nan)) * speed
    return _fca.decay_weights(pairs.pairs["dist_m"].to_numpy(), decay, limit, steps_m=steps, sigma_m=sigma)


def _missing_demand(ctx: RuleContext, pairs: CatchmentPairs, selected: np.ndarray, limit: float) -> np.ndarray:
    """Facilities within straight-line reach of a community that has coordinates but is off the network.

    Its demand is real but carried by no pair, so those facilities' ratios are only upper bounds.
    """
    n_fac = len(ctx.facilities)
    off = _has_xy(ctx.communities) & ~pairs.community_usable
    if not off.any() or ctx.access.graph is None:
        return np.zeros(n_fac, dtype=bool)
    radius = limit * stretch_factor(ctx.access.graph)
    near = _euclidean_pairs(_xy(ctx.communities), _xy(ctx.facilities), off, selected & pairs.facility_usable,
                            radius)
    out = np.zeros(n_fac, dtype=bool)
    out[near["site"].to_numpy(np.int64)] = True
    return out


def _community_table(rule: Rule, ctx: RuleContext, pairs: CatchmentPairs, fca: _fca.Fca, demand: dm.Demand,
                     supply: pd.Series, s_assumed: pd.Series, fac_pos: np.ndarray, com_pos: np.ndarray,
                     weight: np.ndarray) -> pd.DataFrame:
    p = rule.params
    per, target = float(p["per"]), float(p["target"])
    com = ctx.communities
    n = len(com)
    pop = demand.value.to_numpy(dtype=float)
    lo, hi = fca.access_low * per, fca.access_high * per
    exact = np.isclose(lo, hi, rtol=1e-12, atol=0.0) | (lo == hi)
    status = np.full(n, NOT_EVALUABLE, dtype=object)
    status[lo >= target - _EPS] = PASS
    status[hi < target - _EPS] = FAIL
    reason = np.full(n, "", dtype=object)
    unit = f"{cm.unit_of(str(p['supply']))} per {per:g} {dm.LABELS[str(p['demand'])]}"
    ne = status == NOT_EVALUABLE
    reason[ne] = [f"not evaluable: between {a:.2f} and {b:.2f} {unit}: {k} of the facilities reached have unknown "
                  f"{p['supply']} or a catchment of unknown demand / 部分设施容量或服务人口未知"
                  for a, b, k in zip(lo[ne], hi[ne], fca.facilities_uncertain[ne], strict=True)]
    zero = np.isfinite(pop) & (pop <= 0)
    status[zero] = NOT_APPLICABLE
    reason[zero] = f"no {p['demand']} in this community (0) / 无服务对象"
    unknown_pop = ~np.isfinite(pop)
    status[unknown_pop] = NOT_EVALUABLE
    reason[unknown_pop] = demand.reason.to_numpy(dtype=object)[unknown_pop]
    off = ~pairs.community_usable
    status[off] = NOT_EVALUABLE
    reason[off] = (f"farther than {ctx.access.max_snap_m:g} m from any walkable street (not attached to the "
                   f"network) / 距步行路网超过{ctx.access.max_snap_m:g}米")
    reason[off & ~_has_xy(com)] = "no usable coordinates / 坐标缺失或无效"
    decided = np.isin(status, [PASS, FAIL])
    value = np.where(exact & decided, lo, np.nan)
    need = target / per * pop
    got = np.where(status == FAIL, fca.access_high * pop, fca.access_low * pop)
    short = np.where(decided, np.maximum(need - got, 0.0), np.nan)
    ok = decided & exact
    reason[ok] = [_verdict(s, v, target, unit) for s, v in zip(status[ok], value[ok], strict=True)]
    fail_bound = decided & ~exact & (status == FAIL)
    reason[fail_bound] = [f"未达标: at most {b:.2f} {unit} (target ≥ {target:g}); shortfall at least" for b in
                          hi[fail_bound]]
    pass_bound = decided & ~exact & (status == PASS)
    reason[pass_bound] = [f"达标: at least {a:.2f} {unit} (target ≥ {target:g})" for a in lo[pass_bound]]
    if pairs.basis != "network":
        reason[decided] = [f"{r}; {pairs.basis}" for r in reason[decided]]
    basis = _basis(status, pairs, demand, s_assumed, fac_pos, com_pos, weight, n)
    return pd.DataFrame({
        "status": status, "value": np.round(value, 4), "threshold": target, "unit": unit,
        "shortfall": np.round(short, 2), "basis": basis, "reason": reason,
        "value_low": np.round(np.where(np.isfinite(pop), lo, np.nan), 4),
        "value_high": np.round(np.where(np.isfinite(pop), hi, np.nan), 4),
        "supply_reached": np.round(np.where(exact, fca.access_low * pop, np.nan), 3),
        "shortfall_unit": cm.unit_of(str(p["supply"])),
        "facilities_reached": fca.n_reached,
        "demand": np.round(pop, 2), "demand_basis": demand.basis.to_numpy(dtype=object),
        "demand_formula": demand.formula.to_numpy(dtype=object),
        "catchment_m": round(pairs.limit_m, 1), "distances": pairs.basis,
    }, index=com.index)


def _verdict(status: str, value: float, target: float, unit: str) -> str:
    ok = "达标" if status == PASS else "未达标"
    return f"{ok}: {value:.2f} {unit} within the catchment (target ≥ {target:g})"


def _basis(status: np.ndarray, pairs: CatchmentPairs, demand: dm.Demand, s_assumed: pd.Series,
           fac_pos: np.ndarray, com_pos: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """assumed (Euclidean, or a supply filled from a default) > estimated (any demand in the catchments) > measured."""
    n_fac = s_assumed.size
    live = weight > 0
    f, c = fac_pos[live], com_pos[live]
    est_com = (demand.basis == ESTIMATED).to_numpy()
    est_fac = np.bincount(f, weights=est_com[c].astype(float), minlength=n_fac) > 0
    assumed_fac = s_assumed.to_numpy(dtype=bool)
    est = est_com | (np.bincount(c, weights=est_fac[f].astype(float), minlength=n) > 0)
    assumed = np.bincount(c, weights=assumed_fac[f].astype(float), minlength=n) > 0
    if pairs.basis != "network":
        assumed[:] = True
    out = np.where(assumed, ASSUMED, np.where(est, ESTIMATED, MEASURED)).astype(object)
    out[status == NOT_EVALUABLE] = NOT_EVALUABLE
    return out


def _not_evaluable(table: pd.DataFrame, why: str) -> None:
    table["status"] = NOT_EVALUABLE
    table["basis"] = NOT_EVALUABLE
    table["reason"] = why
    table[["value", "shortfall", "value_low", "value_high", "supply_reached"]] = np.nan


# --------------------------------------------------------------------------------------------- indicators


def area_figures(table: pd.DataFrame, units: pd.Series, per: float, off_network: pd.Series) -> pd.DataFrame:
    """Per area: Σ A_i P_i / Σ P_i × per over its communities, the summed shortfall, and why not evaluable.

    An area is evaluable when every community in it with demand is decided with an exact value (pass/fail);
    not-applicable communities (out of scope, no demand) take no part, and communities off the network (or
    without coordinates) are left out and counted in the note.
    """
    frame = pd.DataFrame({"area": units, "status": table["status"], "value": table["value"],
                          "demand": table["demand"], "short": table["shortfall"], "off": off_network})
    frame = frame[frame["area"].notna() & (frame["status"] != NOT_APPLICABLE)]
    rows = []
    for area, part in frame.groupby("area", sort=True):
        left_out = int(part["off"].sum())
        part = part[~part["off"]]
        unknown = int((part["value"].isna()).sum())
        off_note = f"; {left_out} communities off the network left out / 不在路网上的小区未计入" if left_out else ""
        if unknown or part.empty:
            known = part[part["value"].notna()]
            partial = ""
            if len(known) and float(known["demand"].sum()) > 0:
                share = float((known["value"] * known["demand"]).sum() / known["demand"].sum())
                partial = (f"; the {len(known)} communities with a figure alone: {share:.2f} per {per:g} "
                           "(not the area's figure)")
            rows.append({"area": area, "measured": np.nan, "shortfall": np.nan, "basis": NOT_EVALUABLE,
                         "note": f"{unknown} of {len(part)} communities without a figure / 部分小区无法评估"
                                 f"{partial}{off_note}"})
            continue
        total = float(part["demand"].sum())
        reached = float((part["value"] / per * part["demand"]).sum())
        rows.append({"area": area, "measured": round(reached / total * per, 4) if total > 0 else np.nan,
                     "shortfall": round(float(part["short"].sum()), 1), "basis": MEASURED,
                     "note": f"{len(part)} communities; {reached:,.1f} reached / {total:,.1f} demand{off_note}"})
    return pd.DataFrame(rows, columns=["area", "measured", "shortfall", "basis", "note"])


def _units_of(ctx: RuleContext) -> list[tuple[str, pd.Series, dict[str, str]]]:
    """(level, unit code per community, code → name) for the city and each admin level given."""
    com = ctx.communities
    city = str(ctx.options.get("city_name") or "全市 city")
    out = [("city", pd.Series(city, index=com.index, dtype=object), {city: city})]
    units = ctx.admin_units
    if units is None or "level" not in units.columns:
        return out
    for level in ("county", "township", "village"):
        part = units[units["level"] == level]
        if len(part):
            placed = cm.assign_units(com, part.assign(unit_code=part["unit_code"].astype(str)))
            names = dict(zip(part["unit_code"].astype(str), part["unit_name"].astype(str), strict=False))
            out.append((level, placed["unit_code"], names))
    return out


def _indicators(rule: Rule, ctx: RuleContext, table: pd.DataFrame, demand: dm.Demand, basis: str,
                limit: float, usable: np.ndarray) -> pd.DataFrame:
    p = rule.params
    per, target = float(p["per"]), float(p["target"])
    zh = str(p.get("indicator_zh") or rule.title_zh)
    en = str(p.get("indicator_en") or rule.title_en)
    decay = str(p.get("decay", "none"))
    method = "2SFCA" if decay == "none" else f"E2SFCA ({decay})"
    note = (f"{method}; catchment {p['minutes']} min × {ctx.walk_speed_m_per_min:g} m/min ({ctx.speed_basis}) "
            f"= {limit:.0f} m, distances: {basis}; demand {p['demand']}: "
            f"{int((demand.basis == MEASURED).sum())} measured, {int((demand.basis == ESTIMATED).sum())} estimated")
    rate_basis = MEASURED if basis == "network" else ASSUMED
    if rate_basis == MEASURED and (table["basis"] == ESTIMATED).any():
        rate_basis = ESTIMATED
    rows = [_rates.rate_indicator(rule.id, f"{zh}达标小区比例", f"{en}: share of communities meeting it",
                                  table["status"], p.get("target_rate"), note, basis=rate_basis)]
    unit = str(table["unit"].iloc[0]) if len(table) else ""
    off = pd.Series(~usable, index=table.index)
    for level, codes, names in _units_of(ctx):
        figures = area_figures(table, codes, per, off)
        for row in figures.itertuples(index=False):
            measured_basis = row.basis
            if measured_basis == MEASURED and (table.loc[codes == row.area, "basis"] == ESTIMATED).any():
                measured_basis = ESTIMATED
            if measured_basis == MEASURED and basis != "network":
                measured_basis = ASSUMED
            rows.append({
                "rule_id": rule.id, "indicator_zh": zh, "indicator_en": en,
                "area": f"{names.get(str(row.area), row.area)}" + (f" ({row.area})" if level != "city" else ""),
                "measured": row.measured, "target": target, "unit": unit, "shortfall": row.shortfall,
                "basis": measured_basis,
                "note": f"{level}: {row.note}; shortfall in {table['shortfall_unit'].iloc[0]} = Σ communities' "
                        f"(target/{per:g} × demand − supply reached); {note}",
            })
    return indicators_frame(rows)


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "types": ("types", True),
    "minutes": ("positive", True),
    "supply": (("slots", "beds", "floor_area_m2", "nursing_beds", "dementia_beds", "count"), True),
    "demand": (("population", "households", "infants_0_3", "elderly_60"), True),
    "per": ("positive", True),
    "target": ("nonnegative", True),
    "decay": (("none", "stepped", "gaussian"), False),
    "steps": ("list", False),
    "sigma_minutes": ("positive", False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "catchment_m",
    "demand",
    "demand_basis",
    "demand_formula",
    "distances",
    "facilities_reached",
    "supply_reached",
    "value_low",
    "value_high",
    "shortfall_unit",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
)
