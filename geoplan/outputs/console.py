"""What the commands print: the audit's headline and the siting table, as text for a terminal.

The CLI (:mod:`geoplan.cli`) only writes these strings; formatting lives here with the other outputs so a
report, a notebook or a test gets exactly what ``geoplan audit`` / ``geoplan site`` print.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pandas as pd

from geoplan.result import AuditResult


def headline(result: AuditResult) -> str:
    """The figures a planner looks at first, as printed by ``geoplan audit``: one line per evaluated rule."""
    com = result.communities
    lines = [result.title, f"preset {result.preset_id}: {result.preset_title}"]
    net = result.network
    on_net = f" ({net.communities_attached} on the walking network)" if net and net.n_nodes else ""
    lines.append(f"communities: {len(com)}{on_net}   facilities: {len(result.facilities)}   distances: "
                 f"{net.basis if net else 'none'}")
    ind = result.indicators[result.indicators["unit"] == "%"]
    unevaluated = []
    lines.append(f"  {'rule':<30} {'passing':>8} {'households':>11} {'target':>7}")
    edge = _edge_counts(result)
    for rule_id, rows in ind.groupby("rule_id", sort=False):
        plain = rows.iloc[0]
        if plain["measured"] != plain["measured"]:  # NaN: nothing could be evaluated
            unevaluated.append(str(rule_id))
            continue
        weighted = rows[rows["indicator_en"].str.contains("weighted")]
        w = f"{weighted.iloc[0]['measured']:.1f} %" if len(weighted) else ""
        target = plain["target"]
        t = f"{target:g} %" if target is not None and target == target else ""
        mark = "*" if edge.get(str(rule_id)) else " "
        lines.append(f"  {rule_id!s:<30} {plain['measured']:>6.1f} %{mark}{w:>11} {t:>7}  {plain['indicator_zh']}")
    lines.extend(_notes(result, edge))
    if unevaluated:
        text = (f"no figure ({len(unevaluated)} rules: data missing, or no feature in scope; reasons in "
                f"report.md): {', '.join(unevaluated)}")
        lines.extend(textwrap.wrap(text, width=110, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines) + "\n"


def _edge_counts(result: AuditResult) -> dict[str, int]:
    """Rule id → failing communities near the network's outer edge (may fail only because the network ends)."""
    counts = {}
    for rule_id, rr in result.rule_results.items():
        if "edge_effect" in rr.table.columns and rr.table["edge_effect"].any():
            counts[rule_id] = int(rr.table["edge_effect"].sum())
    return counts


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=110, initial_indent="  ", subsequent_indent="    ")


def _notes(result: AuditResult, edge: dict[str, int]) -> list[str]:
    """Headline lines on rows whose figures need a second look: network edge, rows left out, unmapped types."""
    lines = []
    if edge:
        listed = ", ".join(f"{v} ({k})" for k, v in edge.items())
        lines += _wrap(f"* failing near the network's edge, maybe only because the network ends there: {listed}")
    excluded = result.communities.get("rate_excluded")
    if excluded is not None and (excluded.astype(str) != "").any():
        kinds = excluded[excluded.astype(str) != ""].astype(str).str.replace(r"^duplicate of row \d+$", "duplicates",
                                                                          regex=True).value_counts()
        listed = ", ".join(f"{k} {v}" for k, v in kinds.items())
        lines += _wrap(f"left out of rates (kept in every output, flagged): {int(kinds.sum())} communities: {listed}")
    unmapped = result.extra.get("facility_types_unmapped") or {}
    if unmapped:
        from geoplan._typemap import counts_text

        lines += _wrap(f"facility types used by no rule ({sum(unmapped.values())} facilities; map them in "
                       f"[facility_types]): {counts_text(unmapped)}")
    return lines


def site_table(solutions: pd.DataFrame) -> str:
    """One line per rule: sites, objective, bound, gap, status, seconds, communities left uncovered.

    Parameters
    ----------
    solutions : DataFrame
        :attr:`geoplan.siting.SitingResult.solutions`.

    Returns
    -------
    str
        The table as ``geoplan site`` prints it, newline-terminated.
    """
    lines = [f"  {'rule':<36} {'sites':>5} {'objective':>10} {'bound':>10} {'gap':>7}  {'status':<10} "
             f"{'seconds':>7} {'left':>5}"]
    for _, r in solutions.iterrows():
        gap = f"{100 * r['gap']:.2f}%" if pd.notna(r["gap"]) else "-"
        bound = f"{r['bound']:g}" if pd.notna(r["bound"]) else "-"
        lines.append(f"  {r['rule_id']!s:<36} {int(r['n_sites']):>5} {r['objective']:>10g} {bound:>10} {gap:>7}  "
                     f"{r['status']!s:<10} {r['seconds']:>7.2f} {int(r['n_uncoverable']):>5}")
        if pd.notna(r.get("size_objective")):
            lines.append(f"  {'':<36} total size {r['size_objective']:g} (bound {r['size_bound']:g}, "
                         f"{r['size_status']})")
    if solutions.empty:
        lines.append("  no failing reach, provision or presence rule: nothing to site")
    return "\n".join(lines) + "\n"


def written_list(written: Mapping[str, object], width: int = 22) -> str:
    """The ``written:`` block every command ends with: one ``label  path`` line per file or folder."""
    return "written:\n" + "".join(f"  {label:<{width}} {path}\n" for label, path in written.items())
