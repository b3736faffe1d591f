"""Result tables in the plans' words, for the deliverables people read (workbook, Word report).

Statuses, bases and reasons go through :mod:`geoplan.outputs._words`; a rule's columns are headed by the
rule's Chinese title; every numeric column gets an Excel number format (:func:`number_formats`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from geoplan.outputs._fieldnames import RULE_FIELDS, split_rule_column
from geoplan.outputs._summary import rule_infos
from geoplan.outputs._tables import INTEGER_FIELDS
from geoplan.outputs._words import plain_text, reason_text, type_name, word
from geoplan.result import SEP, AuditResult
from geoplan.rules.base import FAIL

INTEGER: Final = "#,##0"
RATE: Final = "0.0"
DECIMAL: Final = "#,##0.0"
_COORD: Final = "0.000000"
_CODES: Final = "0"  # years, row numbers, codes: no thousands separator
_CODE_FIELDS: Final = ("build_year", "source_row", "feature_index", "admin_code", "unit_code")
_COUNT_FIELDS: Final = (*INTEGER_FIELDS, "n_pass", "n_fail", "n_not_evaluable", "n_not_applicable",
                        "n_households_known", "count", "required", "provided")


def facility_types(result: AuditResult) -> Mapping[str, Mapping[str, str]]:
    """The preset's facility types (term → ``{"zh", "en"}``) the audit recorded; empty if none."""
    types = result.extra.get("facility_types")
    return types if isinstance(types, Mapping) else {}


def _rule_meta(result: AuditResult) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Rule id → (kind, params)."""
    return {rid: (rr.rule.kind, rr.rule.params) for rid, rr in result.rule_results.items()}


def _titles(result: AuditResult, lang: str) -> dict[str, str]:
    return {r.id: ((r.title_en or r.id) if lang == "en" else (r.title_zh or r.id)) for r in rule_infos(result)}


def people_layer(result: AuditResult, table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A layer's table (lon/lat, no geometry) with statuses, bases, reasons and types in words."""
    out = table.copy()
    types, meta = facility_types(result), _rule_meta(result)
    for column in [str(c) for c in out.columns]:
        parts = split_rule_column(column)
        if parts is None:
            continue
        rule_id, field = parts
        if field in ("status", "basis"):
            out[column] = out[column].map(lambda v, f=field: word(f, v, lang) or None)
        elif field == "reason":
            kind, params = meta.get(rule_id, ("", {}))
            cols = {f: f"{rule_id}{SEP}{f}" for f in ("status", "value", "threshold", "unit", "shortfall")}
            rows = pd.DataFrame({f: table[c] if c in table.columns else None for f, c in cols.items()})
            rows["reason"] = table[column]
            out[column] = [reason_text(r, params, kind, types, lang) or None for r in rows.to_dict("records")]
    if "facility_type" in out.columns:
        out["facility_type"] = out["facility_type"].map(
            lambda v: type_name(str(v), types, lang) if isinstance(v, str) else v)
    return out


def people_headers(result: AuditResult, columns: list[str], lang: str = "zh") -> dict[str, str]:
    """Column → header: a rule's columns as "rule title：field label", others left to the sheet writer."""
    titles = _titles(result, lang)
    out = {}
    for column in columns:
        parts = split_rule_column(column)
        if parts and parts[0] in titles:
            info = RULE_FIELDS.get(parts[1])
            label = (info.en if lang == "en" else info.zh) if info else parts[1]
            out[column] = f"{titles[parts[0]]}：{label}"
    return out


def _unit_format(units: pd.Series) -> str:
    known = {str(u) for u in units.dropna().unique()}
    if known == {"%"}:
        return RATE
    if known and known <= {"m", "min", "count"}:
        return INTEGER
    return DECIMAL


def number_formats(table: pd.DataFrame) -> dict[str, str | list[str]]:
    """Excel number format per numeric column (a list, one per row, where the unit differs row by row)."""
    formats: dict[str, str | list[str]] = {}
    for column in [str(c) for c in table.columns]:
        values = table[column]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            continue
        parts = split_rule_column(column)
        rule_id, field = parts if parts else ("", column)
        if field in ("lon", "lat"):
            formats[column] = _COORD
        elif field in _CODE_FIELDS:
            formats[column] = _CODES
        elif field in _COUNT_FIELDS or field.endswith("_count"):
            formats[column] = INTEGER
        elif field in ("value", "threshold", "shortfall", "measured", "target"):
            unit_column = f"{rule_id}{SEP}unit" if parts else "unit"
            if unit_column in table.columns and not parts:  # one unit per row (indicators, findings)
                formats[column] = [_unit_format(pd.Series([u])) for u in table[unit_column]]
            elif unit_column in table.columns:
                formats[column] = _unit_format(table[unit_column])
            else:
                formats[column] = DECIMAL
        elif field.endswith("_pct") or field in ("minutes",):
            formats[column] = RATE
        elif field.endswith("_m") or field.startswith("distance") or pd.api.types.is_integer_dtype(values):
            formats[column] = INTEGER
        else:
            formats[column] = DECIMAL
    return formats


def failing_table(result: AuditResult, lang: str = "zh") -> pd.DataFrame:
    """Every failing finding: rule title, name, households (communities), the figures and the reason in words.

    The rule id and feature id come last, for joining back to the GIS layers.
    """
    findings = result.findings
    if "status" not in findings.columns:
        return pd.DataFrame()
    failing = findings[findings["status"] == FAIL].reset_index(drop=True)
    titles, types, meta = _titles(result, lang), facility_types(result), _rule_meta(result)
    households = pd.Series(dtype=float)
    com = result.communities
    if {"community_id", "households"} <= set(com.columns):
        households = pd.Series(com["households"].to_numpy(), index=com["community_id"].astype(str).to_numpy())
        households = households[~households.index.duplicated()]
    is_community = failing["level"] == "community" if "level" in failing.columns else pd.Series(False,
                                                                                                  index=failing.index)
    hh = [households.get(str(fid)) if c else None for fid, c in zip(failing["feature_id"], is_community, strict=True)]
    reasons = [reason_text(r, meta.get(str(r["rule_id"]), ("", {}))[1], meta.get(str(r["rule_id"]), ("", {}))[0],
                           types, lang) for r in failing.to_dict("records")]
    return pd.DataFrame({
        "rule_title": [titles.get(str(r), str(r)) for r in failing["rule_id"]],
        "feature_name": failing["feature_name"],
        "households": pd.Series(hh, dtype="Float64").round().astype("Int64"),
        "status": failing["status"].map(lambda v: word("status", v, lang)),
        "value": failing["value"], "threshold": failing["threshold"],
        "unit": failing["unit"].map(lambda v: word("unit", v, lang)),
        "shortfall": failing["shortfall"], "reason": reasons,
        "basis": failing["basis"].map(lambda v: word("basis", v, lang)),
        "rule_id": failing["rule_id"], "feature_id": failing["feature_id"],
    })


def indicators_people(result: AuditResult, lang: str = "zh") -> pd.DataFrame:
    """The plan's indicators with titles, bases and notes in words."""
    table = result.indicators.copy()
    types = facility_types(result)
    for column, how in (("indicator_zh", lang), ("note", lang), ("area", lang), ("indicator_en", "en")):
        if column in table.columns:
            table[column] = table[column].map(lambda v, h=how: plain_text(v, types, h) if isinstance(v, str) else v)
    if "basis" in table.columns:
        table["basis"] = table["basis"].map(lambda v: word("basis", v, lang))
    return table
