"""reach — every community within N minutes' walk of a facility of some types (一刻钟/15分钟服务圈).

Per community: the nearest facility of the rule's types over the walking network, its distance (m) and
walking time (min) at the rule's walking speed; pass when distance ≤ minutes × speed. The speed is the
audit's, or the rule's own ``walk_speed_m_per_min`` (from the plan, a cited standard or a stated
assumption; see :mod:`geoplan.rules._speed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geoplan.rules import _rates
from geoplan.rules._scope import scope_mask, undecided
from geoplan.rules._speed import rule_speed
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

KIND = "reach"
_WEIGHTS = ("households", "population")


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a reach rule's parameters (empty when fine)."""
    problems = []
    types = params.get("types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        problems.append("types: a non-empty list of facility type names is required")
    minutes = params.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
        problems.append(f"minutes: a positive number is required, got {minutes!r}")
    if params.get("weight", "households") not in _WEIGHTS:
        problems.append(f"weight: one of {', '.join(_WEIGHTS)}")
    return problems


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Evaluate a reach rule for every community."""
    p = rule.params
    types = list(p["types"])
    speed, speed_basis = rule_speed(p, ctx.walk_speed_m_per_min, ctx.speed_basis)
    threshold = float(p["minutes"]) * speed
    nearest = ctx.access.nearest(types)
    com = ctx.communities
    fac = ctx.facilities
    dist = pd.Series(nearest.dist_m, index=com.index)
    reached = np.isfinite(nearest.dist_m)
    in_scope, scope_reason = scope_mask(com, str(p.get("scope", "all")), ctx.options,
                                        urban_class=str(p.get("urban_class", "city")))

    # Precedence, lowest first: pass/fail < not evaluable (no data / off the network) < not applicable.
    status = np.where(dist <= threshold, PASS, FAIL).astype(object)
    reason = np.full(len(com), "", dtype=object)
    if nearest.basis != "network":
        reason[:] = nearest.basis
    type_label = "/".join(types)
    of_type = ctx.access.facility_mask(types)
    none_reached = ~reached
    limit_txt = f"{nearest.limit_m:.0f} m" if np.isfinite(nearest.limit_m) else "the network"
    # A long list of types is shortened here: Shapefile text fields hold 254 bytes, and the types are in the rule.
    short_label = type_label if len(types) <= 2 else f"{types[0]}/… ({len(types)} types)"
    reason[none_reached] = f"no {short_label} facility reachable within {limit_txt} / 可达范围内无设施"
    off_network = int((of_type & ~ctx.access.facility_on_network()).sum())
    if off_network:
        reason[none_reached] += f" ({off_network} of {int(of_type.sum())} such facilities are off the network)"
    if not of_type.any():
        # The layer has no facility of these types at all: a data gap, not a service gap.
        status[:] = NOT_EVALUABLE
        reason[:] = (f"no {type_label} facility in the facilities layer: add them, or map their data values "
                     f"in [facility_types] / 设施图层中无此类设施")
    status[~nearest.evaluable] = NOT_EVALUABLE
    reason[~nearest.evaluable] = nearest.reason[~nearest.evaluable]
    edge = _edge_effect(ctx, status, reason, threshold, nearest.basis)
    status[~in_scope] = NOT_APPLICABLE
    reason[~in_scope] = scope_reason[~in_scope]
    status[~in_scope & undecided(com, str(p.get("scope", "all")), ctx.options)] = NOT_EVALUABLE
    value_basis = MEASURED if nearest.basis == "network" else ASSUMED
    basis = np.where(status == NOT_EVALUABLE, NOT_EVALUABLE, value_basis).astype(object)

    value = dist.where(reached)
    pos = np.maximum(nearest.facility, 0)
    has = nearest.facility >= 0
    names = np.full(len(com), None, dtype=object)
    ids = np.full(len(com), None, dtype=object)
    if len(fac):
        names[has] = fac["name"].to_numpy(dtype=object)[pos[has]]
        ids[has] = fac["facility_id"].to_numpy(dtype=object)[pos[has]]
    table = pd.DataFrame(
        {
            "status": status,
            "value": value.round(1),
            "threshold": round(threshold, 1),
            "unit": "m",
            "shortfall": (value - threshold).clip(lower=0).round(1),
            "basis": basis,
            "reason": reason,
            "minutes": (value / speed).round(1),
            "facility_id": ids,
            "facility_name": names,
            "edge_effect": edge & (status == FAIL),
        },
        index=com.index,
    )
    evaluable = status != NOT_EVALUABLE
    for col in ("value", "shortfall", "minutes"):
        table.loc[~evaluable | (status == NOT_APPLICABLE), col] = np.nan
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return RuleResult(rule, "community", table,
                      _indicators(rule, ctx, table, threshold, nearest.basis, (speed, speed_basis)))


def _edge_effect(ctx: RuleContext, status: np.ndarray, reason: np.ndarray, threshold: float,
                 basis: str) -> np.ndarray:
    """Failing communities closer to the network's outer edge than the rule's distance (flagged in ``reason``).

    A facility just beyond the extract could be within reach of them: their failure may be the network's
    end, not a service gap. ``ctx.options["network_edge_m"]`` holds each community's straight-line distance
    to the network's outer boundary (a lower bound of the walk; see :mod:`geoplan._studyarea`).
    """
    edge_m = ctx.options.get("network_edge_m")
    flagged = np.zeros(len(status), dtype=bool)
    if edge_m is None or basis != "network" or len(edge_m) != len(status):
        return flagged
    dist = np.asarray(edge_m, dtype=float)
    with np.errstate(invalid="ignore"):
        flagged = (status == FAIL) & (dist < threshold)
    # Short (Shapefile text fields hold 254 bytes): the reason already says how many facilities are off the
    # network, and the edge_effect column marks the row.
    text = np.array([f"{d:.0f} m from the network's edge: may be under-served only because the network ends here "
                     "/ 临近路网边界" for d in dist[flagged]], dtype=object)
    reason[flagged] = np.array([f"{r}; {t}" if r else t for r, t in zip(reason[flagged], text, strict=True)],
                               dtype=object)
    return flagged


def _indicators(rule: Rule, ctx: RuleContext, table: pd.DataFrame, threshold: float, basis: str,
                speed: tuple[float, str]) -> pd.DataFrame:
    p = rule.params
    target = p.get("target_rate")
    zh = str(p.get("indicator_zh") or f"{rule.title_zh}覆盖率")
    en = str(p.get("indicator_en") or f"{rule.title_en}: share of communities covered")
    note = (
        f"{p['minutes']} min × {speed[0]:g} m/min ({speed[1]}) = {threshold:.0f} m, "
        f"distances: {basis}"
    )
    n_edge = int(table["edge_effect"].sum())
    if n_edge:
        note += (f"; {n_edge} failing communities lie within {threshold:.0f} m of the walking network's outer edge: "
                 "the figure may be pessimistic (facilities beyond the network are not seen)")
    value_basis = MEASURED if basis == "network" else ASSUMED
    weight = str(p.get("weight", "households"))
    counted = _rates.counted_mask(ctx.communities)
    rows = [_rates.rate_indicator(rule.id, zh, en, table["status"], target, note, basis=value_basis,
                                  counted=counted)]
    if weight in ctx.communities.columns:
        weight_zh = {"households": "户数", "population": "人口"}[weight]
        rows.append(
            _rates.rate_indicator(
                rule.id, zh, en, table["status"], target, note, weights=ctx.communities[weight],
                weight_label=f"{weight_zh} {weight}", basis=value_basis, counted=counted,
            )
        )
    return indicators_frame(rows)


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "types": ("types", True),
    "minutes": ("positive", True),
    "weight": (("households", "population"), False),
    "walk_speed_m_per_min": ("positive", False),
    "walk_speed_source": ("str", False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "minutes",
    "facility_id",
    "facility_name",
    "edge_effect",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
    planner="reach", map_layer="service_area", minutes_override=True, own_walk_speed=True,
)
