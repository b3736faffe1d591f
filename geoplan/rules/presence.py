"""presence — at least ``min_count`` facilities of some types in every county / township / village.

Units are the rows of ``ctx.admin_units`` whose ``level`` is the rule's ``level`` (``unit_code``, ``unit_name``,
optional polygon geometry). A facility counts for a unit when it lies in the unit's polygon or, for units
without one, when its ``admin_code`` starts with the unit's code (township codes have 9 digits, counties 6,
villages 12). An optional ``filter = { field, op, value }`` (e.g. ``floor_area_m2 >= 2000``) narrows the
facilities.

One row per unit (index = ``unit_code``): pass with ``min_count`` or more, else fail, listing the units that
lack one. Not evaluable when the answer depends on facilities whose place or filtered attribute is unknown
(a facility of the types with no usable ``admin_code`` while some units have no polygon; a filter field empty
for facilities that could tip the count), or when the filter field is not in the layer at all. The indicator
is the share of units with one, against ``target_rate`` (the plan's 覆盖率).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan.rules import _common as cm
from geoplan.rules import _rates
from geoplan.rules._scope import UNIT_YEAR_UNKNOWN, check_unit_types, undecided_units, unit_scope
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
from geoplan.rules.params import FILTER_SPEC, Spec

KIND = "presence"
LEVELS: Final = ("county", "township", "village")
LEVEL_ZH: Final = {"county": "县(市、区)", "township": "乡镇(街道)", "village": "村(社区)"}


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a presence rule's parameters (empty when fine)."""
    problems = cm.check_types(params.get("types"))
    if params.get("level") not in LEVELS:
        problems.append(f"level: one of {', '.join(LEVELS)}, got {params.get('level')!r}")
    problems += cm.check_positive(params, "min_count", required=False, integer=True)
    problems += check_unit_types(params.get("unit_types"))
    return problems + cm.check_filter(params.get("filter")) + cm.check_target_rate(params)


def level_units(admin_units: pd.DataFrame | None, level: str) -> pd.DataFrame:
    """The admin units of one level (empty frame with the canonical columns when none are given)."""
    if admin_units is None or "level" not in admin_units.columns:
        return pd.DataFrame({"unit_code": pd.Series(dtype=object), "unit_name": pd.Series(dtype=object)})
    units = admin_units[admin_units["level"] == level].copy()
    units["unit_code"] = units["unit_code"].astype(str)
    return units


def unit_counts(facilities: pd.DataFrame, units: pd.DataFrame, candidate: pd.Series,
                certain: pd.Series) -> pd.DataFrame:
    """Per unit: facilities that certainly count, facilities that might (filter value unknown), names.

    Parameters
    ----------
    facilities : GeoDataFrame
        With ``unit_code`` assigned (see :func:`geoplan.rules._common.assign_units`).
    candidate, certain : Series of bool
        Facilities of the types that may pass the filter / that certainly pass it.
    """
    code = facilities["unit_code"]
    names = facilities.get("name", pd.Series("", index=facilities.index)).astype(str)
    frame = pd.DataFrame({"unit_code": code, "certain": certain, "maybe": candidate & ~certain, "name": names})
    frame = frame[candidate & code.notna()]
    g = frame.groupby("unit_code")
    index = pd.Index(units["unit_code"], name="unit_code")
    return pd.DataFrame({
        "count": g["certain"].sum().reindex(index).fillna(0).astype(int),
        "maybe": g["maybe"].sum().reindex(index).fillna(0).astype(int),
        "names": frame[frame["certain"]].groupby("unit_code")["name"].agg(lambda s: cm.join_names(s, 3))
        .reindex(index).fillna(""),
    }, index=index)


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Evaluate a presence rule for every admin unit of the rule's level."""
    p = rule.params
    types, level = list(p["types"]), str(p["level"])
    min_count = int(p.get("min_count", 1))
    fac = ctx.facilities
    units = level_units(ctx.admin_units, level)
    filt = p.get("filter")
    ftext = cm.filter_text(filt)
    ok, filter_problem = cm.filter_mask(fac, filt)
    candidate = cm.type_mask(fac, types) & ok.fillna(True).astype(bool)
    certain = candidate & ok.fillna(False).astype(bool)
    placed = cm.assign_units(fac, units)
    counts = unit_counts(fac.assign(unit_code=placed["unit_code"]), units, candidate, certain)
    unplaced = int((candidate & ~placed["placed"]).sum())

    count, maybe = counts["count"], counts["maybe"]
    status = np.where(count >= min_count, PASS, FAIL).astype(object)
    undecided = (count < min_count) & (count + maybe + unplaced >= min_count)
    status[undecided.to_numpy()] = NOT_EVALUABLE
    absent = not cm.type_mask(fac, types).any()
    if absent:  # a data gap until the user says otherwise: the would-be answer goes in the reason
        filter_problem = filter_problem or cm.absent_reason(
            types, f"all {len(units)} {level} units fail (0 < {min_count})")
    if filter_problem:
        status[:] = NOT_EVALUABLE
    label = "/".join(types) + (f" ({ftext})" if ftext else "")
    reason = [_reason(c, m, unplaced, min_count, label, s, filter_problem, filt)
              for c, m, s in zip(count, maybe, status, strict=True)]
    judged, not_judged = unit_scope(units, p, ctx.options)
    unknown_year = undecided_units(units, str(p.get("scope", "all")), ctx.options) & judged
    status[unknown_year] = NOT_EVALUABLE
    reason = [UNIT_YEAR_UNKNOWN if u else r for r, u in zip(reason, unknown_year, strict=True)]
    status[~judged] = NOT_APPLICABLE
    reason = [r if j else why for r, j, why in zip(reason, judged, not_judged, strict=True)]
    assumed = _assumed_filter(fac, filt, certain, placed["unit_code"], counts.index)
    basis = np.where(status == NOT_EVALUABLE, NOT_EVALUABLE, np.where(assumed, ASSUMED, MEASURED)).astype(object)
    evaluated = np.isin(status, [PASS, FAIL])
    table = pd.DataFrame({
        "status": status,
        "value": count.where(evaluated).astype(float),
        "threshold": float(min_count),
        "unit": cm.unit_of("count"),
        "shortfall": (min_count - count).clip(lower=0).where(evaluated).astype(float),
        "basis": basis,
        "reason": reason,
        "unit_name": units["unit_name"].astype(str).to_numpy(),
        "level": level,
        "facilities": counts["names"],
    }, index=counts.index)
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return RuleResult(rule, "admin", table, _indicators(rule, table, level, min_count, label, unplaced))


def _reason(count: int, maybe: int, unplaced: int, min_count: int, label: str, status: str,
            filter_problem: str | None, filt: Mapping[str, Any] | None) -> str:
    if filter_problem:
        return filter_problem
    head = f"有{count}处 / {count} {label} (need {min_count})"
    if status == PASS:
        return head
    if status == FAIL:
        return f"缺少设施 / lacks {label}: {head}"
    parts = [head]
    if maybe:
        parts.append(f"{maybe} more with {filt['field'] if filt else ''} unknown / {maybe}处属性未知")
    if unplaced:
        parts.append(f"{unplaced} facilities of these types have no admin_code and lie in no unit polygon: "
                     f"cannot be placed / {unplaced}处设施无法定位到区划")
    return "not evaluable: " + "; ".join(parts)


def _assumed_filter(fac: pd.DataFrame, filt: Mapping[str, Any] | None, certain: pd.Series,
                    unit_code: pd.Series, index: pd.Index) -> np.ndarray:
    """Units whose count relies on a filter value that is a configured default."""
    if not filt:
        return np.zeros(len(index), dtype=bool)
    flag = cm.assumed_flag(fac, str(filt["field"])) & certain
    hit = set(unit_code[flag].dropna())
    return np.asarray([c in hit for c in index], dtype=bool)


def _indicators(rule: Rule, table: pd.DataFrame, level: str, min_count: int, label: str,
                unplaced: int) -> pd.DataFrame:
    p = rule.params
    zh = str(p.get("indicator_zh") or f"{LEVEL_ZH[level]}{rule.title_zh}覆盖率")
    en = str(p.get("indicator_en") or f"{rule.title_en}: share of {level} units with ≥ {min_count}")
    lacking = table.loc[table["status"] == FAIL, "unit_name"]
    notes = [f"{len(table)} {level} units, ≥ {min_count} × {label}"]
    if len(table) == 0:
        notes.append("no admin units of this level given / 未提供该级区划")
    if len(lacking):
        notes.append(f"lacking 缺: {cm.join_names(lacking, 10)}")
    if unplaced:
        notes.append(f"{unplaced} facilities could not be placed in a unit")
    left_out = int((table["status"] == NOT_APPLICABLE).sum())
    if left_out:
        notes.append(f"{left_out} units not judged (outside the rule's scope: unit type, urban, new) / 不参与评价")
    basis = ASSUMED if (table["basis"] == ASSUMED).any() else MEASURED
    row = _rates.rate_indicator(rule.id, zh, en, table["status"], p.get("target_rate"), "; ".join(notes),
                                basis=basis, area=LEVEL_ZH[level])
    return indicators_frame([row])


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "types": ("types", True),
    "level": (("county", "township", "village"), True),
    "min_count": ("count", False),
    "filter": (FILTER_SPEC, False),
    "unit_types": ("unit_types", False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "unit_name",
    "level",
    "facilities",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
    planner="presence", site_fields={"admin_code": "unit_code"},
)
