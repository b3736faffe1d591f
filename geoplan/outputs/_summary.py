"""Figures the reports share: the rules in preset order with their citations, and per-rule counts and rates.

Rates are over evaluated features (pass + fail), as in :func:`geoplan.rules._rates.pass_rate`; the
household-weighted rate leaves out communities of unknown household count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geoplan.outputs._fieldnames import rule_order
from geoplan.outputs._tables import to_text
from geoplan.result import SEP, AuditResult
from geoplan.rules import pass_rate
from geoplan.rules._rates import counted_mask
from geoplan.rules.base import FAIL, NOT_APPLICABLE, NOT_EVALUABLE, PASS


@dataclass(frozen=True)
class RuleInfo:
    """A rule as the reports show it."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    cite_file: str
    cite_clause: str
    cite_quote: str


@dataclass(frozen=True)
class RuleStats:
    """Counts of one rule's outcomes and its pass rates (NaN where nothing was evaluated)."""

    rule: RuleInfo
    level: str
    n_pass: int
    n_fail: int
    n_not_evaluable: int
    n_not_applicable: int
    pass_rate: float
    pass_rate_households: float
    households_evaluated: int


def _rules_frame_ids(rules: pd.DataFrame) -> list[str]:
    for column in ("id", "rule_id"):
        if column in rules.columns:
            return [str(v) for v in rules[column].tolist()]
    return []


def rule_ids(result: AuditResult) -> list[str]:
    """Every rule id of the result, in preset order (the rules table), then any others found."""
    ids = _rules_frame_ids(result.rules) + list(result.rule_results)
    if "rule_id" in result.findings.columns:
        ids += [str(v) for v in result.findings["rule_id"].dropna().unique()]
    columns = [str(c) for _, layer in _layers(result) for c in layer.columns]
    return rule_order(columns, ids)


def _layers(result: AuditResult) -> list[tuple[str, pd.DataFrame]]:
    layers = [("community", result.communities), ("facility", result.facilities)]
    return layers + ([("admin", result.admin_units)] if result.admin_units is not None else [])


def _text(value: Any) -> str:
    return to_text(value) or ""


def _from_row(row: pd.Series | None, *names: str) -> str:
    if row is None:
        return ""
    for name in names:
        if name in row.index and _text(row[name]):
            return _text(row[name])
    return ""


def rule_infos(result: AuditResult) -> list[RuleInfo]:
    """Title and citation of every rule: from ``rule_results`` (typed), else from the rules table."""
    rows: dict[str, pd.Series] = {}
    frame_ids = _rules_frame_ids(result.rules)
    for i, rule_id in enumerate(frame_ids):
        rows.setdefault(rule_id, result.rules.iloc[i])
    infos = []
    for rule_id in rule_ids(result):
        row = rows.get(rule_id)
        rr = result.rule_results.get(rule_id)
        if rr is not None:
            r = rr.rule
            cite = r.cite
            infos.append(RuleInfo(r.id, r.kind, r.title_zh, r.title_en, cite.file, cite.clause, cite.quote))
            continue
        infos.append(RuleInfo(
            rule_id, _from_row(row, "kind"), _from_row(row, "title_zh", "title"), _from_row(row, "title_en"),
            _from_row(row, "cite_file", "file"), _from_row(row, "cite_clause", "clause"),
            _from_row(row, "cite_quote", "quote", "citation"),
        ))
    return infos


def _statuses(result: AuditResult, rule_id: str) -> tuple[str, pd.Series]:
    findings = result.findings
    if {"rule_id", "status"} <= set(findings.columns):
        mine = findings[findings["rule_id"].astype(str) == rule_id]
        if len(mine):
            level = str(mine["level"].iloc[0]) if "level" in mine.columns else ""
            return level, mine["status"].astype(object)
    column = f"{rule_id}{SEP}status"
    for level, layer in _layers(result):
        if column in layer.columns:
            return level, layer[column].astype(object)
    rr = result.rule_results.get(rule_id)
    if rr is not None:
        return rr.level, rr.table["status"].astype(object)
    return "", pd.Series([], dtype=object)


def rule_stats(result: AuditResult) -> list[RuleStats]:
    """Per-rule counts and rates, in preset order."""
    stats = []
    for info in rule_infos(result):
        level, status = _statuses(result, info.id)
        weighted, n_weighted = math.nan, 0
        column = f"{info.id}{SEP}status"
        communities = result.communities
        if column in communities.columns and "households" in communities.columns:
            weighted, n_weighted, _ = pass_rate(communities[column], communities["households"],
                                                counted_mask(communities))
        plain, _, _ = (pass_rate(communities[column], counted=counted_mask(communities))
                       if column in communities.columns else pass_rate(status))
        stats.append(RuleStats(
            info, level, int((status == PASS).sum()), int((status == FAIL).sum()),
            int((status == NOT_EVALUABLE).sum()), int((status == NOT_APPLICABLE).sum()),
            plain, weighted, n_weighted,
        ))
    return stats


def not_evaluable_reasons(result: AuditResult) -> list[tuple[str, str, int]]:
    """``(rule id, reason, count)`` of not-evaluable outcomes: rules in preset order, most frequent first."""
    order = {rule_id: i for i, rule_id in enumerate(rule_ids(result))}
    findings = result.findings
    if {"rule_id", "status"} <= set(findings.columns) and len(findings):
        rows = findings.loc[findings["status"] == NOT_EVALUABLE, ["rule_id"]].astype(str)
        rows["reason"] = (findings.loc[rows.index, "reason"].map(_text) if "reason" in findings.columns
                          else "")
    else:
        parts = []
        for rule_id in order:
            status, reason = f"{rule_id}{SEP}status", f"{rule_id}{SEP}reason"
            for _, layer in _layers(result):
                if status in layer.columns:
                    mask = layer[status] == NOT_EVALUABLE
                    reasons = (layer.loc[mask, reason].map(_text) if reason in layer.columns
                               else pd.Series("", index=mask[mask].index))
                    parts.append(pd.DataFrame({"rule_id": rule_id, "reason": reasons}))
                    break
        rows = pd.concat(parts) if parts else pd.DataFrame(columns=["rule_id", "reason"])
    counts: dict[tuple[str, str], int] = {}
    for rule_id, reason in zip(rows["rule_id"].tolist(), rows["reason"].tolist(), strict=True):
        key = (str(rule_id), str(reason))
        counts[key] = counts.get(key, 0) + 1
    items = [(rule_id, reason, n) for (rule_id, reason), n in counts.items()]
    return sorted(items, key=lambda t: (order.get(t[0], len(order)), t[0], -t[2], t[1]))
