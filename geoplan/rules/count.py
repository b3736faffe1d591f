"""count — a city-wide number: facilities of some types ("示范性托育机构达到50家") or their slots / beds.

One row (the city: ``ctx.options["city_name"]`` or "全市 city"): the facilities of ``types`` passing the
optional ``filter = { field, op, value }`` — counted (``field = "count"``, the default) or summed over ``field``
(``slots``, ``beds``, ``floor_area_m2`` ...) — against ``min_count``. Facilities whose filter field or ``field`` is
empty are neither counted nor ignored: when they could change the verdict the rule is not evaluable, with the
number in the reason; the field absent from the layer makes it not evaluable unless the rest already passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoplan.rules import _common as cm
from geoplan.rules.base import (
    ASSUMED,
    FAIL,
    MEASURED,
    NOT_EVALUABLE,
    PASS,
    RESULT_COLUMNS,
    Rule,
    RuleContext,
    RuleKind,
    RuleResult,
    indicators_frame,
)
from geoplan.rules.params import FIELDS, FILTER_SPEC, Spec
from geoplan.rules.ratio import CITY

KIND = "count"


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a count rule's parameters (empty when fine)."""
    problems = cm.check_types(params.get("types")) + cm.check_positive(params, "min_count")
    if params.get("level", "city") != "city":
        problems.append(f"level: only 'city' is supported, got {params.get('level')!r}")
    if not isinstance(params.get("field", cm.COUNT), str):
        problems.append(f"field: a facility field name or 'count', got {params.get('field')!r}")
    return problems + cm.check_filter(params.get("filter"))


@dataclass(frozen=True)
class Tally:
    """A city total: the known part, what unknown figures could add (None: unbounded), problems, flags."""

    known: float
    extra: float | None
    problem: str | None  # the measured field is absent or empty for every facility of the types
    filter_problem: str | None  # the filter field is absent from the layer
    assumed: bool
    n_of_type: int  # facilities of the rule's types in the layer, before any filter


def tally(fac: pd.DataFrame, types: list[str], field: str, filt: Mapping[str, Any] | None) -> Tally:
    """Sum ``field`` (or count) over the facilities of ``types`` passing ``filt``.

    Facilities whose filter field is empty might count; facilities whose ``field`` is empty add an unknown
    amount. With ``field = "count"`` each facility adds 1, so the unknown part is bounded by their number.
    """
    ok, filter_problem = cm.filter_mask(fac, filt)
    of_type = cm.type_mask(fac, types)
    certain = of_type & ok.fillna(False).astype(bool)
    maybe = of_type & ok.isna()
    values, flagged, problem = cm.measure_values(fac, field, of_type, "/".join(types))
    assumed = bool((flagged & certain).any())
    if filt:
        assumed |= bool((cm.assumed_flag(fac, str(filt["field"])) & certain).any())
    if field == cm.COUNT:
        extra: float | None = float(maybe.sum())
    else:
        extra = None if (bool((certain & values.isna()).any()) or bool(maybe.any())) else 0.0
    return Tally(float(values[certain].sum()), extra, problem, filter_problem, assumed, int(of_type.sum()))


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Count (or sum ``field`` over) the city's facilities of the rule's types against ``min_count``."""
    p = rule.params
    types, target, filt = list(p["types"]), float(p["min_count"]), p.get("filter")
    field = str(p.get("field", cm.COUNT))
    unit = cm.unit_of(field)
    label = "/".join(types) + (f" ({cm.filter_text(filt)})" if filt else "")
    t = tally(ctx.facilities, types, field, filt)
    status, reason = _verdict(t, target, field, unit, label, filt)
    basis = NOT_EVALUABLE if status == NOT_EVALUABLE else (ASSUMED if t.assumed else MEASURED)
    evaluated = status in (PASS, FAIL)
    area = str(ctx.options.get("city_name") or CITY)
    table = pd.DataFrame({
        "status": [status],
        "value": [t.known if evaluated else np.nan],
        "threshold": [target],
        "unit": [unit],
        "shortfall": [max(target - t.known, 0.0) if evaluated else np.nan],
        "basis": [basis],
        "reason": [reason],
        "field": [field],
    }, index=pd.Index([area], name="area"))
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    row = table.iloc[0]
    indicators = indicators_frame([{
        "rule_id": rule.id,
        "indicator_zh": str(p.get("indicator_zh") or rule.title_zh),
        "indicator_en": str(p.get("indicator_en") or rule.title_en),
        "area": area, "measured": row["value"], "target": target, "unit": unit,
        "shortfall": row["shortfall"], "basis": basis, "note": reason,
    }])
    return RuleResult(rule, "area", table, indicators)


def _verdict(t: Tally, target: float, field: str, unit: str, label: str,
             filt: Mapping[str, Any] | None) -> tuple[str, str]:
    what = f"{label} facilities" if field == cm.COUNT else f"{field} of {label}"
    got = f"{cm.fmt(t.known)} {unit} ({what})"
    if t.known >= target:
        return PASS, f"达标: {got} ≥ {cm.fmt(target)}"
    if t.n_of_type == 0:
        # As for reach: a layer without any facility of these types is a data gap until the user says
        # otherwise; if the city truly has none, the rule fails with 0 < target.
        return NOT_EVALUABLE, (f"no {label.split(' (')[0]} facility in the facilities layer: add them or map their "
                               f"data values in [facility_types]; if the city has none, this is 0 < "
                               f"{cm.fmt(target)} / 设施图层中无此类设施")
    if t.problem:
        return NOT_EVALUABLE, t.problem
    if t.extra is None or t.known + t.extra >= target:
        empty = t.filter_problem or (f"{(filt or {}).get('field', '')} empty" if t.extra is not None
                                     else f"{field} or filter field empty")
        gap = "an unknown amount" if t.extra is None else f"up to {cm.fmt(t.extra)}"
        return NOT_EVALUABLE, (f"not evaluable: {got} counted; facilities with {empty} could add {gap} "
                               "/ 部分设施数据缺失")
    reason = f"未达标: {got} < {cm.fmt(target)} (short {cm.fmt(target - t.known)})"
    if t.extra:
        reason += f"; even counting all {cm.fmt(t.extra)} facilities whose filter field is unknown"
        reason += f" ({t.filter_problem})" if t.filter_problem else ""
    return FAIL, reason


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "types": ("types", True),
    "min_count": ("count", True),
    "field": (("count", *FIELDS), False),
    "filter": (FILTER_SPEC, False),
    "level": (("city",), False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "field",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
)
