"""Audit summaries: a CSV for spreadsheets and a Markdown report in Chinese with English glosses.

Both are deterministic: the same :class:`~geoplan.result.AuditResult` gives byte-identical files (rules in
preset order, reasons sorted, floats formatted one way, no clock read: the only date is ``result.created``).
Rates are over evaluated features, pass / (pass + fail); the household-weighted rate leaves out communities
whose household count is unknown. Text from the data is escaped, so a name holding HTML or Markdown shows
as typed and runs nothing in a Markdown viewer.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.outputs._atomic import write_text
from geoplan.outputs._people import facility_types
from geoplan.outputs._summary import RuleStats, not_evaluable_reasons, rule_infos, rule_stats
from geoplan.outputs._tables import format_float, to_text, write_csv
from geoplan.outputs._words import plain_text, word
from geoplan.result import AuditResult, NetworkSummary
from geoplan.rules.base import INDICATOR_COLUMNS

log = logging.getLogger(__name__)

#: Columns of the per-rule summary table.
SUMMARY_COLUMNS = (
    "rule_id", "title_zh", "title_en", "kind", "level", "n_pass", "n_fail", "n_not_evaluable",
    "n_not_applicable", "pass_rate_pct", "pass_rate_households_pct", "n_households_known",
    "cite_file", "cite_clause",
)
#: Statuses, bases and reasons in the report: Chinese with the English beside them.
_LANG = "bilingual"
_MD_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "[": "\\[", "]": "\\]", "`": "'", "\\": "\\\\",
    "\n": " ", "\r": " ",
})


def _pct(rate: float) -> float:
    return round(rate * 100, 2) if math.isfinite(rate) else math.nan


def summary_table(result: AuditResult) -> pd.DataFrame:
    """One row per rule (preset order): outcome counts, pass rates (%) plain and household-weighted."""
    rows = [
        {
            "rule_id": s.rule.id, "title_zh": s.rule.title_zh, "title_en": s.rule.title_en,
            "kind": s.rule.kind, "level": s.level, "n_pass": s.n_pass, "n_fail": s.n_fail,
            "n_not_evaluable": s.n_not_evaluable, "n_not_applicable": s.n_not_applicable,
            "pass_rate_pct": _pct(s.pass_rate), "pass_rate_households_pct": _pct(s.pass_rate_households),
            "n_households_known": s.households_evaluated, "cite_file": s.rule.cite_file,
            "cite_clause": s.rule.cite_clause,
        }
        for s in rule_stats(result)
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def indicators_table(result: AuditResult) -> pd.DataFrame:
    """The indicators table with the standard columns first (missing ones empty), rows as given."""
    frame = result.indicators.copy()
    for column in INDICATOR_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    extra = [c for c in frame.columns if c not in INDICATOR_COLUMNS]
    return frame[[*INDICATOR_COLUMNS, *extra]].reset_index(drop=True)


def summary_csv(result: AuditResult, path: str | Path) -> tuple[Path, Path]:
    """Write the per-rule summary to ``path`` and the indicators table beside it.

    Parameters
    ----------
    result : AuditResult
    path : str or Path
        The summary CSV; the indicators go to ``<stem>_indicators.csv`` in the same folder.

    Returns
    -------
    (Path, Path)
        The summary and the indicators file. Both UTF-8 with BOM (Excel opens them in Chinese).
    """
    path = Path(path)
    indicators_path = path.with_name(f"{path.stem}_indicators.csv")
    write_csv(summary_table(result), path)
    write_csv(indicators_table(result), indicators_path)
    log.info("wrote %s and %s", path, indicators_path)
    return path, indicators_path


def _md(value: Any) -> str:
    return (to_text(value) or "").translate(_MD_ESCAPES).strip()


def _num(value: Any) -> str:
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "—" if math.isnan(float(value)) else format_float(round(float(value), 2))
    return _md(value) or "—"


def _pct_text(rate: float) -> str:
    return f"{rate * 100:.1f}%" if math.isfinite(rate) else "—"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _overview(result: AuditResult) -> list[str]:
    crs = result.crs
    epsg = None if crs is None else crs.to_epsg()
    crs_text = "—" if crs is None else _md(crs.name) + (f" (EPSG:{epsg})" if epsg else "")
    admin = "—" if result.admin_units is None else str(len(result.admin_units))
    rows = [
        ["规则集 Preset", f"{_md(result.preset_title)} ({_md(result.preset_id)})"],
        ["日期 Date", _md(result.created) or "—"],
        ["坐标系 CRS", crs_text],
        ["小区 Communities", str(len(result.communities))],
        ["设施 Facilities", str(len(result.facilities))],
        ["行政区 Admin units", admin],
    ]
    return _table(["项目 Item", "内容 Value"], rows)


def _headline(stats: list[RuleStats]) -> list[str]:
    if not stats:
        return ["无规则结果 No rule results."]
    rows = [
        [f"{_md(s.rule.title_zh)} ({_md(s.rule.id)})" if s.rule.title_zh else _md(s.rule.id),
         _md(word("level", s.level, _LANG)) or "—", str(s.n_pass), str(s.n_fail), str(s.n_not_evaluable),
         str(s.n_not_applicable),
         _pct_text(s.pass_rate), _pct_text(s.pass_rate_households)]
        for s in stats
    ]
    lines = _table(["规则 Rule", "层级 Level", "达标 Pass", "不达标 Fail", "无法评估 Not evaluable",
                    "不适用 N/A", "达标率 Pass rate", "按户数加权 Household-weighted"], rows)
    lines += ["", "达标率 = 达标数 ÷（达标数 + 不达标数）；按户数加权时不计户数缺失的小区。",
              "Pass rate = pass ÷ (pass + fail); the household-weighted rate leaves out communities whose "
              "household count is unknown.",
              "重复行与研究范围外的小区保留在所有输出中（见 rate_excluded），但不计入达标率。",
              "Exact duplicates and communities outside the study area stay in every output (see rate_excluded) "
              "but count in no rate."]
    return lines


def _indicators(result: AuditResult) -> list[str]:
    table = indicators_table(result)
    if table.empty:
        return ["无 None."]
    types = facility_types(result)

    def words(value: Any, lang: str = _LANG) -> str:
        return _md(plain_text(value, types, lang)) if isinstance(value, str) else _md(value)

    rows = [
        [f"{words(r['indicator_zh'], 'zh')} / {words(r['indicator_en'], 'en')}", words(r["area"]) or "—",
         _num(r["measured"]), _num(r["target"]), _md(r["unit"]) or "—", _num(r["shortfall"]),
         _md(word("basis", r["basis"], _LANG)) or "—", words(r["note"]) or "—"]
        for r in table.to_dict("records")
    ]
    return _table(["指标 Indicator", "范围 Area", "实测 Measured", "目标 Target", "单位 Unit",
                   "差额 Shortfall", "依据 Basis", "说明 Note"], rows)


def _rules(result: AuditResult) -> list[str]:
    lines = []
    for i, r in enumerate(rule_infos(result), start=1):
        lines.append(f"{i}. **{_md(r.title_zh)}** {_md(r.title_en)} ({_md(r.id)}, {_md(r.kind) or '—'})")
        source = " ".join(p for p in (_md(r.cite_file), _md(r.cite_clause)) if p) or "—"
        quote = f"：“{_md(r.cite_quote)}”" if r.cite_quote else ""
        lines.append(f"   出处 Source: {source}{quote}")
    return lines or ["无 None."]


def _network(net: NetworkSummary | None) -> list[str]:
    if net is None:
        return ["结果中无路网信息 The result carries no network summary."]
    return [
        f"- 来源 Source: {_md(net.source)}",
        f"- 距离依据 Distance basis: {_md(net.basis)}",
        f"- 节点 / 边 Nodes / edges: {net.n_nodes} / {net.n_edges}",
        f"- 最大接入距离 Max snap distance: {format_float(net.max_snap_m)} m",
        f"- 接入路网的小区 Communities attached: {net.communities_attached} / {net.communities_total}",
        f"- 接入路网的设施 Facilities attached: {net.facilities_attached} / {net.facilities_total}",
    ]


def _assumptions(result: AuditResult) -> list[str]:
    items = list(dict.fromkeys(_md(a) for a in result.assumptions))
    return [f"{i}. {a}" for i, a in enumerate(items, start=1)] or ["无 None."]


def _sensitivity(result: AuditResult) -> list[str]:
    table = result.extra.get("sensitivity")
    if not isinstance(table, pd.DataFrame) or table.empty:
        return ["无步行圈规则 No reach rules."]
    rows = [
        [_md(r["rule_id"]) + (" *" if r["audit_speed"] else ""), _num(r["minutes"]), _num(r["speed_m_per_min"]),
         _num(r["distance_m"]), f"{r['covered']}/{r['evaluated']}", _num(r["coverage_pct"]),
         _num(r["households_pct"])]
        for r in table.to_dict("records")
    ]
    return [*_table(["规则 Rule", "分钟 Minutes", "步速 m/min", "距离 Distance m", "覆盖 Covered",
                     "覆盖率 Coverage %", "按户数加权 Households %"], rows), "",
            "* 审计所用步速 the speed the audit judged at. 同一次路网距离计算，仅改变距离阈值 (53 m/min: GB 50180-2018 "
            "的15分钟800米; 60 m/min: 老年人步速; 75 m/min: 4.5 km/h). Same network distances, another threshold."]
def _facility_types(result: AuditResult) -> list[str]:
    """Data values mapped to a plan type automatically, and values mapped to none (with counts)."""
    auto = result.extra.get("facility_types_auto") or {}
    unmapped = result.extra.get("facility_types_unmapped") or {}
    rows = [[_md(v), f"→ {_md(term)}（自动 automatic: the preset's word for it）", str(n)]
            for v, (term, n) in auto.items()]
    rows += [[_md(v), "未映射，不参与任何规则 used by no rule: map it in [facility_types]", str(n)]
             for v, n in unmapped.items()]
    return _table(["数据值 Value", "类型 Plan type", "设施数 Facilities"], rows) if rows else ["无 None."]


def _not_evaluable(result: AuditResult) -> list[str]:
    items = not_evaluable_reasons(result)
    if not items:
        return ["无 None."]
    types = facility_types(result)
    titles = {r.id: r.title_zh for r in rule_infos(result)}
    rows = [[f"{_md(titles[rule_id])} ({_md(rule_id)})" if titles.get(rule_id) else _md(rule_id),
             _md(plain_text(reason, types, _LANG)) or "—", str(n)] for rule_id, reason, n in items]
    return _table(["规则 Rule", "原因 Reason", "数量 Count"], rows)


def summary_markdown(result: AuditResult) -> str:
    """The audit report as Markdown: Chinese headings and labels with English glosses.

    Sections: overview (preset, date, CRS, counts), headline per rule, the plan's indicators, rules with
    their citations, the network basis, the reach rules' coverage at other walking speeds, assumptions, and
    not-evaluable counts by reason.
    """
    sections = [
        (f"# {_md(result.title) or '设施规划体检 Facility plan audit'}",
         ["一老一小设施规划体检报告 Elderly-care and childcare facility plan audit report", "",
          *_overview(result)]),
        ("## 主要结论 Headline", _headline(rule_stats(result))),
        ("## 规划指标 Indicators", _indicators(result)),
        ("## 规则与出处 Rules and citations", _rules(result)),
        ("## 路网 Network basis", _network(result.network)),
        ("## 步行速度敏感性 Walking-speed sensitivity", _sensitivity(result)),
        ("## 假设 Assumptions", _assumptions(result)),
        ("## 设施类型映射 Facility types", _facility_types(result)),
        ("## 无法评估的原因 Not evaluable, by reason", _not_evaluable(result)),
    ]
    lines: list[str] = []
    for heading, body in sections:
        lines += [heading, "", *body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_summary_markdown(result: AuditResult, path: str | Path) -> Path:
    """Write :func:`summary_markdown` to ``path`` (UTF-8, "\\n" line ends).

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    path = write_text(Path(path), summary_markdown(result), what="the report")
    log.info("wrote %s", path)
    return path
