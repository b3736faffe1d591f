"""ratio — an aggregate over an area: slots per 1000 residents, beds per 1000 elderly, nursing-bed share ...

Per area (``level = "city"``: one row; ``level = "county"``: one row per county unit of ``ctx.admin_units``)::

    value = numerator / denominator × per        compared with ``target`` (``comparison`` ">=" or "<=")

* ``numerator = { types, field }`` — sum of ``field`` (``"count"`` counts facilities) over the facilities of the
  types in the area (county: by polygon or ``admin_code``, as in presence).
* ``denominator`` — ``"population"``, ``"elderly_60"`` or ``"infants_0_3"`` (residents), or ``{ types, field }``
  (a share of facility figures, e.g. nursing beds / all beds with ``per = 100``).

Resident denominators come from the census (``ctx.census``, :func:`geoplan.admin.read_census`) or from the
communities layer (sum of ``population``; households × mean household size where only households are known —
flagged assumed). Which one: the rule's ``denominator_source`` or ``ctx.options["ratio_denominator"]``
(``"census"`` / ``"communities"``); by default the census when one is given. The census figure for the city is the
sum of all its rows (``ctx.options["city_code"]``, else the city of the county units, else the only city in the
census); county figures go through :func:`geoplan.admin.census_denominators`, so districts cut by Hangzhou's
2021 reform are not evaluable, with the reason. ``infants_0_3`` from the census is an approximation
(POPU × (AGES_0 + 0.75 × AGES_1-4)) and so ``assumed``.

``shortfall`` is in numerator units (e.g. 托位): ``target × denominator / per − numerator`` (≥ 0), or the excess
for ``"<="``. Unknown numerator figures (a facility without ``slots``) make the area not evaluable unless the
known figures already meet a ``">="`` target; a missing denominator is never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan import admin
from geoplan.rules import _common as cm
from geoplan.rules import _rates
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
from geoplan.rules.params import MEASURE_SPEC, Spec
from geoplan.rules.presence import level_units

KIND = "ratio"
RESIDENTS: Final = ("population", "elderly_60", "infants_0_3")
RESIDENTS_ZH: Final = {"population": "人口", "elderly_60": "60岁及以上老年人", "infants_0_3": "3岁以下婴幼儿"}
LEVELS: Final = ("city", "county")
SOURCES: Final = ("census", "communities")
CITY: Final = "全市 city"


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a ratio rule's parameters (empty when fine)."""
    problems = _check_side(params.get("numerator"), "numerator")
    den = params.get("denominator")
    if not (isinstance(den, str) and den in RESIDENTS):
        problems += (_check_side(den, "denominator") if isinstance(den, Mapping)
                     else [f"denominator: one of {', '.join(RESIDENTS)} or {{ types, field }}, got {den!r}"])
    problems += cm.check_positive(params, "per") + cm.check_non_negative(params, "target")
    if params.get("level", "city") not in LEVELS:
        problems.append(f"level: one of {', '.join(LEVELS)}, got {params.get('level')!r}")
    if params.get("comparison", ">=") not in (">=", "<="):
        problems.append(f"comparison: '>=' or '<=', got {params.get('comparison')!r}")
    if params.get("denominator_source", "census") not in SOURCES:
        problems.append(f"denominator_source: one of {', '.join(SOURCES)}")
    return problems


def _check_side(side: Any, key: str) -> list[str]:
    if not isinstance(side, Mapping):
        return [f"{key}: a table {{ types = [...], field = ... }} is required, got {side!r}"]
    problems = cm.check_types(side.get("types"), f"{key}.types")
    if not isinstance(side.get("field"), str) or not side.get("field"):
        problems.append(f"{key}.field: a facility field name or 'count' is required")
    return problems


# ------------------------------------------------------------------------------------------------ figures


@dataclass(frozen=True)
class Figures:
    """One side of the ratio per area: value (NaN = unknown), assumed flag, reason when unknown, note."""

    value: pd.Series
    assumed: pd.Series
    reason: pd.Series
    note: str = ""
    lower_bound: pd.Series | None = None  # known part when some figures are unknown
    detail: pd.Series | None = None  # per-area note on where the figure comes from


def areas(ctx: RuleContext, level: str) -> pd.DataFrame:
    """The areas of a ratio rule: ``area`` (index), ``area_name``; ``unit_code`` for counties."""
    if level == "city":
        name = str(ctx.options.get("city_name") or CITY)
        return pd.DataFrame({"area_name": [name], "unit_code": [None]}, index=pd.Index([name], name="area"))
    units = level_units(ctx.admin_units, "county")
    return pd.DataFrame({"area_name": units["unit_name"].astype(str).to_numpy(),
                         "unit_code": units["unit_code"].to_numpy()},
                        index=pd.Index(units["unit_code"].astype(str), name="area"))


def area_of(points: Any, ctx: RuleContext, level: str, index: pd.Index) -> pd.DataFrame:
    """``unit_code`` (area) and ``placed`` for each point (every point is in the city)."""
    if level == "city":
        return pd.DataFrame({"unit_code": index[0] if len(index) else None, "placed": True}, index=points.index)
    return cm.assign_units(points, level_units(ctx.admin_units, "county"))


def facility_sums(ctx: RuleContext, side: Mapping[str, Any], level: str, index: pd.Index) -> Figures:
    """Sum of a facility field (or count) per area, with unknowns and assumed flags."""
    fac = ctx.facilities
    types, field = list(side["types"]), str(side["field"])
    selected = cm.type_mask(fac, types)
    values, flagged, problem = cm.measure_values(fac, field, selected, "/".join(types))
    placed = area_of(fac, ctx, level, index)
    unplaced = int((selected & ~placed["placed"]).sum())
    frame = pd.DataFrame({"area": placed["unit_code"], "v": values, "a": flagged, "unknown": values.isna()})
    frame = frame[selected & frame["area"].notna()]
    g = frame.groupby("area")
    known = g["v"].sum().reindex(index).fillna(0.0).astype(float)
    n_unknown = g["unknown"].sum().reindex(index).fillna(0).astype(int)
    assumed = g["a"].any().reindex(index).fillna(False).astype(bool)
    label = "/".join(types)
    reason = n_unknown.map(lambda k: f"{field} unknown for {k} {label} facilities / {k}处设施无{field}数据"
                           if k > 0 else "").astype(object)
    if unplaced:
        reason[:] = reason.map(lambda r: "; ".join(x for x in (r, f"{unplaced} facilities of these types cannot "
                                                                  "be placed in an area / 无法定位") if x))
    if problem:
        reason[:] = problem
    value = known.where(reason == "")
    return Figures(value, assumed, reason, lower_bound=known if problem is None else known * np.nan)


def _census_rows(ctx: RuleContext) -> tuple[pd.DataFrame | None, str]:
    """Census rows of the audited city, or None with the reason."""
    census = ctx.census
    assert census is not None
    code = ctx.options.get("city_code")
    if code is None:
        units = level_units(ctx.admin_units, "county")
        cities = sorted({str(c)[:4] for c in units["unit_code"]}) or sorted(census["city_code"].dropna().unique())
        if len(cities) != 1:
            return None, (f"census covers several cities ({', '.join(map(str, cities))}): set option city_code / "
                          "普查数据涉及多个城市")
        code = cities[0]
    rows = census[census["city_code"].astype(str) == str(code)]
    if rows.empty:
        return None, f"no census rows for city {code} / 无该市普查数据"
    return rows, ""


def census_figures(ctx: RuleContext, kind: str, level: str, index: pd.Index) -> Figures:
    """Resident denominators from the census (city total, or per county through the 2021 mapping)."""
    approx = kind == "infants_0_3"
    how = "census 2020" + (" (0–3 ≈ AGES_0 + 0.75 × AGES_1-4)" if approx else "")
    rows, problem = _census_rows(ctx)
    if rows is None:
        return Figures(pd.Series(np.nan, index=index), pd.Series(False, index=index),
                       pd.Series(problem, index=index, dtype=object), how)
    if level == "city":
        total = admin.city_totals(rows, str(rows["city_code"].iloc[0]))[kind]
        return Figures(pd.Series(float(total), index=index), pd.Series(approx, index=index),
                       pd.Series("", index=index, dtype=object), f"{how}, {len(rows)} county rows of the city")
    units = level_units(ctx.admin_units, "county")
    den = admin.census_denominators(rows, units).reindex(index)
    lost = admin.census_unmatched(rows, units)
    exact = den["status"] == admin.EXACT
    reason = den["note"].where(~exact, "").astype(object)
    note = how + "".join(f"; {n}" for n in lost["note"])
    detail = den["note"].where(exact, "").astype(object)
    return Figures(den[kind].astype(float), pd.Series(approx, index=index), reason, note, detail=detail)


def community_figures(ctx: RuleContext, kind: str, level: str, index: pd.Index) -> Figures:
    """Resident denominators summed over the communities of each area (NaN if any community is unknown)."""
    com = ctx.communities
    if kind == "population":
        value, flagged, how = cm.community_population(com, ctx.census, ctx.options)
    elif kind in com.columns:
        value, flagged, how = pd.to_numeric(com[kind], errors="coerce"), pd.Series(False, index=com.index), ""
    else:
        msg = f"no {kind} in communities layer (give a census table) / 小区图层无{kind}字段"
        return Figures(pd.Series(np.nan, index=index), pd.Series(False, index=index),
                       pd.Series(msg, index=index, dtype=object))
    placed = area_of(com, ctx, level, index)
    frame = pd.DataFrame({"area": placed["unit_code"], "v": value, "a": flagged}).dropna(subset=["area"])
    counted = _rates.counted_mask(com)
    if counted is not None:  # duplicates and compounds outside the study area add no residents
        frame = frame[counted.reindex(frame.index).to_numpy()]
    g = frame.groupby("area")
    total = g["v"].sum().reindex(index).astype(float)
    missing = g["v"].apply(lambda s: int(s.isna().sum())).reindex(index).fillna(0).astype(int)
    counted = g.size().reindex(index).fillna(0).astype(int)
    reason = pd.Series([
        "no communities in this area / 区域内无小区数据" if n == 0 else
        f"{kind} unknown for {m} of {n} communities / {m}个小区{RESIDENTS_ZH[kind]}数据缺失" if m else ""
        for m, n in zip(missing, counted, strict=True)], index=index, dtype=object)
    note = "communities layer" + (f"; {how}" if how else "")
    assumed = g["a"].any().reindex(index).fillna(False).astype(bool)
    return Figures(total.where(reason == ""), assumed, reason, note)


def denominator(rule: Rule, ctx: RuleContext, level: str, index: pd.Index) -> tuple[Figures, str]:
    """The denominator per area and its source (``census``, ``communities`` or ``facilities``)."""
    den = rule.params["denominator"]
    if isinstance(den, Mapping):
        return facility_sums(ctx, den, level, index), "facilities"
    source = str(rule.params.get("denominator_source") or ctx.options.get("ratio_denominator")
                 or ("census" if ctx.census is not None else "communities"))
    if source == "census":
        if ctx.census is None:
            reason = "denominator_source = census but no census table given / 未提供人口普查数据"
            return Figures(pd.Series(np.nan, index=index), pd.Series(False, index=index),
                           pd.Series(reason, index=index, dtype=object)), source
        return census_figures(ctx, str(den), level, index), source
    return community_figures(ctx, str(den), level, index), source


# ------------------------------------------------------------------------------------------------ evaluate


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Evaluate a ratio rule for the city or for every county."""
    p = rule.params
    level = str(p.get("level", "city"))
    per, target = float(p["per"]), float(p["target"])
    at_least = p.get("comparison", ">=") == ">="
    area = areas(ctx, level)
    num = facility_sums(ctx, p["numerator"], level, area.index)
    den, source = denominator(rule, ctx, level, area.index)

    known_num = num.lower_bound if num.lower_bound is not None else num.value
    needed = target * den.value / per
    value = known_num / den.value * per  # all of it, or the known part (then only a pass can stand)
    status = np.where(value >= target - 1e-9 if at_least else value <= target + 1e-9, PASS, FAIL).astype(object)
    bound_ok = at_least & (known_num >= needed - 1e-9) & den.value.notna() & (den.value > 0)
    ne = (num.value.isna() & ~bound_ok) | den.value.isna() | ~(den.value > 0)
    status[ne.to_numpy()] = NOT_EVALUABLE
    num_types = list(p["numerator"]["types"])
    absent = not cm.type_mask(ctx.facilities, num_types).any()
    if absent:  # a data gap until the user says otherwise: the would-be answer goes in the reason
        would = [f"{name} would be 0 (target {'≥' if at_least else '≤'} {target:g})" for name in area["area_name"]]
        num = Figures(num.value * np.nan, num.assumed, pd.Series(
            [cm.absent_reason(num_types, w) for w in would], index=area.index, dtype=object))
        status[:] = NOT_EVALUABLE
    short = (needed - known_num).clip(lower=0) if at_least else (known_num - needed).clip(lower=0)
    evaluated = np.isin(status, [PASS, FAIL])

    num_unit = cm.unit_of(str(p["numerator"]["field"]))
    den_label = _den_label(p["denominator"])
    unit = f"{num_unit} per {per:g} {den_label}"
    assumed = (num.assumed | den.assumed).to_numpy()
    basis = np.where(status == NOT_EVALUABLE, NOT_EVALUABLE, np.where(assumed, ASSUMED, MEASURED)).astype(object)
    reason = [_reason(s, v, target, nu, dv, per, num_unit, den_label, nr, dr, at_least)
              for s, v, nu, dv, nr, dr in zip(status, value, known_num, den.value, num.reason, den.reason,
                                              strict=True)]
    table = pd.DataFrame({
        "status": status,
        "value": value.where(evaluated).round(3),
        "threshold": target,
        "unit": unit,
        "shortfall": short.where(evaluated).round(1),
        "basis": basis,
        "reason": reason,
        "area_name": area["area_name"],
        "numerator": known_num.where(num.value.notna() | pd.Series(evaluated, index=area.index)),
        "denominator": den.value,
        "denominator_source": source,
        "denominator_note": den.detail if den.detail is not None else "",
        "shortfall_unit": num_unit,
    }, index=area.index)
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    note = f"denominator: {source}" + (f" — {den.note}" if den.note else "")
    return RuleResult(rule, "area", table, _indicators(rule, table, unit, num_unit, note))


def _den_label(den: Any) -> str:
    if isinstance(den, Mapping):
        return f"{cm.unit_of(str(den['field']))} of {'/'.join(den['types'])}"
    return f"{den} ({RESIDENTS_ZH[str(den)]})"


def _reason(status: str, value: float, target: float, num: float, den: float, per: float, num_unit: str,
            den_label: str, num_reason: str, den_reason: str, at_least: bool) -> str:
    if status == NOT_EVALUABLE:
        return "not evaluable: " + "; ".join(r for r in (num_reason, den_reason) if r) if (
            num_reason or den_reason) else "not evaluable: denominator is 0 / 分母为0"
    sign = "≥" if at_least else "≤"
    ok = "达标" if status == PASS else "未达标"
    text = (f"{ok}: {cm.fmt(num)} {num_unit} / {cm.fmt(den)} {den_label} × {per:g} = {value:.2f} "
            f"(target {sign} {target:g})")
    if num_reason:
        text += f"; known figures already meet the target ({num_reason})"
    return text


def _indicators(rule: Rule, table: pd.DataFrame, unit: str, num_unit: str, note: str) -> pd.DataFrame:
    p = rule.params
    zh = str(p.get("indicator_zh") or rule.title_zh)
    en = str(p.get("indicator_en") or rule.title_en)
    rows = []
    for area, row in table.iterrows():
        rows.append({
            "rule_id": rule.id, "indicator_zh": zh, "indicator_en": en, "area": row["area_name"] or area,
            "measured": row["value"], "target": row["threshold"], "unit": unit,
            "shortfall": row["shortfall"], "basis": row["basis"],
            "note": "; ".join(x for x in (note, str(row["denominator_note"]), f"shortfall in {num_unit}",
                                          str(row["reason"])) if x),
        })
    return indicators_frame(rows)


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "numerator": (MEASURE_SPEC, True),
    "denominator": ("denominator", True),
    "per": ("positive", True),
    "target": ("nonnegative", True),
    "level": (("city", "county"), False),
    "comparison": ((">=", "<="), False),
    "denominator_source": (("census", "communities"), False),
}

#: Columns of its result table beyond RESULT_COLUMNS.
FIELDS_OUT: tuple[str, ...] = (
    "area_name",
    "numerator",
    "denominator",
    "denominator_source",
    "denominator_note",
    "shortfall_unit",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
    area_level=True,
)
