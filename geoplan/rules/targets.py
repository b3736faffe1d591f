"""targets — a plan's table of absolute targets per district (Zhoukou annex "各县(市、区)建设任务分配表").

Rows come from the preset (``[[rules.rows]]``: ``area`` and one key per figure, e.g. ``population_2020_wan``,
``beds_2025``, ``slots_2025``; optionally ``code`` = the area's 6-digit adcode). ``measures`` says which keys are
compared with supply and how supply is measured: ``{ beds_2025 = { types = [...], field = "beds" }, ... }``
(``field = "count"`` counts facilities). Other keys (the 2020 population) are context, kept as columns.

Each row is matched to an admin unit of ``level`` (default ``county``) by ``code``, else by exact ``unit_name``;
facilities are summed per unit by polygon or ``admin_code`` as in presence. An area that is not an admin unit
(the annex lists 开发区 and 示范区 that have no polygon) is not evaluable, with the reason — never a zero.

One row per area. With one measure ``value``/``threshold``/``shortfall`` are that measure's figures; with several
they are the *lowest attainment* in % of target (threshold 100, shortfall in percentage points) and each measure
has ``<key>__supply``, ``<key>__target``, ``<key>__shortfall``, ``<key>__status`` columns. The status is fail
when any measure fails, else not evaluable when any is, else pass. The indicators table has one row per area
and measure with the absolute figures, plus a city total per measure over the areas evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

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
from geoplan.rules.params import Spec
from geoplan.rules.presence import LEVELS, level_units

KIND = "targets"
#: Plan wording of the annex columns.
LABELS_ZH: Final = {
    "beds_2025": "2025年养老床位(张)", "slots_2025": "2025年托位(个)", "population_2020_wan": "2020年常住人口(万人)",
}
_SEP: Final = "__"


def check_params(params: Mapping[str, Any]) -> list[str]:
    """Problems with a targets rule's parameters (empty when fine)."""
    problems: list[str] = []
    measures = params.get("measures")
    if not isinstance(measures, Mapping) or not measures:
        problems.append("measures: a table { key = { types = [...], field = ... } } is required")
        measures = {}
    for key, spec in measures.items():
        if not isinstance(spec, Mapping):
            problems.append(f"measures.{key}: a table {{ types, field }} is required")
            continue
        problems += cm.check_types(spec.get("types"), f"measures.{key}.types")
        if not isinstance(spec.get("field"), str):
            problems.append(f"measures.{key}.field: a facility field name or 'count' is required")
    rows = params.get("rows")
    if not isinstance(rows, list) or not rows:
        return [*problems, "rows: a non-empty list of [[rules.rows]] is required"]
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not isinstance(row.get("area"), str):
            problems.append(f"rows[{i}]: an 'area' name is required")
            continue
        for key in measures:
            value = row.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"rows[{i}] ({row['area']}): {key} must be a number ≥ 0, got {value!r}")
    names = [r.get("area") for r in rows if isinstance(r, Mapping)]
    if len(set(names)) != len(names):
        problems.append("rows: area names must be unique")
    if params.get("level", "county") not in LEVELS:
        problems.append(f"level: one of {', '.join(LEVELS)}")
    return problems


def match_areas(rows: list[Mapping[str, Any]], units: pd.DataFrame) -> pd.Series:
    """Unit code of each row's area (by ``code``, else exact unit name), None where none matches."""
    by_code = set(units["unit_code"].astype(str))
    by_name: dict[str, list[str]] = {}
    for unit_code, name in zip(units["unit_code"].astype(str), units["unit_name"].astype(str), strict=True):
        by_name.setdefault(name.strip(), []).append(unit_code)
    out = {}
    for row in rows:
        code = str(row["code"]) if "code" in row else None
        names = by_name.get(str(row["area"]).strip(), [])
        out[row["area"]] = code if code in by_code else (names[0] if code is None and len(names) == 1 else None)
    return pd.Series(out, dtype=object)


def measure_supply(ctx: RuleContext, spec: Mapping[str, Any], units: pd.DataFrame,
                   codes: pd.Series) -> pd.DataFrame:
    """Supply per area for one measure: ``supply`` (known sum), ``unknown`` count, ``assumed``, ``problem``."""
    fac = ctx.facilities
    types, field = list(spec["types"]), str(spec["field"])
    selected = cm.type_mask(fac, types)
    values, flagged, problem = cm.measure_values(fac, field, selected, "/".join(types))
    matched = units[units["unit_code"].astype(str).isin(set(codes.dropna()))]
    placed = cm.assign_units(fac, matched)
    unplaced = int((selected & ~placed["placed"]).sum())
    frame = pd.DataFrame({"unit": placed["unit_code"], "v": values, "a": flagged, "u": values.isna()})
    g = frame[selected & frame["unit"].notna()].groupby("unit")
    out = pd.DataFrame({
        "supply": codes.map(g["v"].sum()).fillna(0.0).astype(float),
        "unknown": codes.map(g["u"].sum()).fillna(0).astype(int) + unplaced,
        "assumed": codes.map(g["a"].any()).fillna(False).astype(bool),
    }, index=codes.index)
    if not selected.any():  # a data gap until the user says otherwise, as for every kind
        problem = cm.absent_reason(types, f"the {field} supply of every area would be 0")
    out["problem"] = problem or ""
    return out


def evaluate(rule: Rule, ctx: RuleContext) -> RuleResult:
    """Compare each area of the targets table with the supply measured in it."""
    p = rule.params
    rows, measures = list(p["rows"]), dict(p["measures"])
    units = level_units(ctx.admin_units, str(p.get("level", "county")))
    codes = match_areas(rows, units)
    targets = pd.DataFrame([dict(r) for r in rows]).set_index("area")
    per_measure = {
        k: _judge(k, spec, measure_supply(ctx, spec, units, codes), pd.Series(targets[k], dtype=float), codes)
        for k, spec in measures.items()
    }
    table = _table(per_measure, targets, codes)
    return RuleResult(rule, "area", table, _indicators(rule, per_measure))


def _judge(key: str, spec: Mapping[str, Any], supply: pd.DataFrame, target: pd.Series,
           codes: pd.Series) -> pd.DataFrame:
    unit = cm.unit_of(str(spec["field"]))
    meets = supply["supply"] >= target - 1e-9
    status = pd.Series(np.where(meets, PASS, FAIL), index=target.index, dtype=object)
    status[(supply["unknown"] > 0) & ~meets] = NOT_EVALUABLE
    status[supply["problem"] != ""] = NOT_EVALUABLE
    status[codes.isna()] = NOT_EVALUABLE
    reason = pd.Series([
        _reason(key, s, v, t, k, pr, c, unit)
        for s, v, t, k, pr, c in zip(status, supply["supply"], target, supply["unknown"], supply["problem"], codes,
                                     strict=True)
    ], index=target.index, dtype=object)
    evaluated = status.isin([PASS, FAIL])
    return pd.DataFrame({
        "status": status, "supply": supply["supply"].where(evaluated), "target": target,
        "shortfall": (target - supply["supply"]).clip(lower=0).where(evaluated), "unit": unit,
        "basis": np.where(~evaluated, NOT_EVALUABLE, np.where(supply["assumed"], ASSUMED, MEASURED)),
        "reason": reason, "unit_code": codes,
    })


def _reason(key: str, status: str, supply: float, target: float, unknown: int, problem: str,
            code: str | None, unit: str) -> str:
    label = LABELS_ZH.get(key, key)
    if code is None:
        return (f"{label}: area is not an admin unit in admin_units (no polygon or code); give `code` in the "
                f"row / 该地区无对应区划")
    if problem:
        return f"{label}: {problem}"
    text = (f"{label}: {cm.fmt(supply)} / {cm.fmt(target)} {unit} "
            f"({key}: supply {cm.fmt(supply)}, target {cm.fmt(target)})")
    if unknown:
        text += f"; {unknown} facilities with unknown figure or place / {unknown}处数据缺失"
    return text


def _table(per_measure: dict[str, pd.DataFrame], targets: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    statuses = pd.concat({k: m["status"] for k, m in per_measure.items()}, axis=1)
    status = np.where((statuses == FAIL).any(axis=1), FAIL,
                      np.where((statuses == NOT_EVALUABLE).any(axis=1), NOT_EVALUABLE, PASS)).astype(object)
    reason = pd.concat({k: m["reason"] for k, m in per_measure.items()}, axis=1).apply("; ".join, axis=1)
    assumed = pd.concat({k: pd.Series(m["basis"] == ASSUMED, index=m.index) for k, m in per_measure.items()},
                        axis=1).any(axis=1)
    basis = np.where(status == NOT_EVALUABLE, NOT_EVALUABLE, np.where(assumed, ASSUMED, MEASURED))
    threshold: float | pd.Series
    unit: str | pd.Series
    if len(per_measure) == 1:
        (m,) = per_measure.values()
        value, threshold, shortfall, unit = m["supply"], m["target"], m["shortfall"], m["unit"]
    else:
        pct = pd.concat({k: m["supply"] / m["target"].replace(0, np.nan) * 100 for k, m in per_measure.items()},
                        axis=1)
        value = pct.where(statuses.isin([PASS, FAIL])).min(axis=1).where(status != NOT_EVALUABLE).round(1)
        threshold, shortfall, unit = 100.0, (100 - value).clip(lower=0), "% of target (lowest measure)"
    table = pd.DataFrame({"status": status, "value": value, "threshold": threshold, "unit": unit,
                          "shortfall": shortfall, "basis": basis, "reason": reason, "unit_code": codes},
                         index=targets.index)
    for key, m in per_measure.items():
        for col in ("supply", "target", "shortfall", "status"):
            table[f"{key}{_SEP}{col}"] = m[col]
    for key in targets.columns.difference(list(per_measure)):
        table[key] = targets[key]
    assert tuple(table.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    return table


def _indicators(rule: Rule, per_measure: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for key, m in per_measure.items():
        label = LABELS_ZH.get(key, key)
        for area, r in m.iterrows():
            rows.append({"rule_id": rule.id, "indicator_zh": label, "indicator_en": key, "area": area,
                         "measured": r["supply"], "target": r["target"], "unit": r["unit"],
                         "shortfall": r["shortfall"], "basis": r["basis"], "note": r["reason"]})
        done = m["status"].isin([PASS, FAIL])
        n_ne = int((~done).sum())
        rows.append({"rule_id": rule.id, "indicator_zh": f"{label}合计", "indicator_en": f"{key} total",
                     "area": "全市 city (areas evaluated)", "measured": float(m.loc[done, "supply"].sum()),
                     "target": float(m.loc[done, "target"].sum()), "unit": m["unit"].iloc[0] if len(m) else "",
                     "shortfall": float(m.loc[done, "shortfall"].sum()),
                     "basis": ASSUMED if (m["basis"] == ASSUMED).any() else MEASURED if done.any() else NOT_EVALUABLE,
                     "note": f"{int(done.sum())} areas evaluated" + (f", {n_ne} not evaluable (target "
                             f"{m.loc[~done, 'target'].sum():,.0f} not in the totals)" if n_ne else "")})
    return indicators_frame(rows)


#: Parameter schema (see :mod:`geoplan.rules.params`).
PARAMS: dict[str, Spec] = {
    "table": (("annex",), False),
    "rows": ("rows", True),
    "measures": ("measures", True),
    "level": (("county", "township", "village"), False),
}

#: Columns of its result table beyond RESULT_COLUMNS (then each measure's <measure>__<column>).
FIELDS_OUT: tuple[str, ...] = (
    "unit_code",
)

#: The kind as a plugin (registered in :mod:`geoplan.rules`).
PLUGIN = RuleKind(
    name=KIND, params=PARAMS, check_params=check_params, evaluate=evaluate, fields=FIELDS_OUT,
)
