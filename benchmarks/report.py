"""The Markdown report of a benchmark run: timings, ratios, the full audits, the targets."""

from __future__ import annotations

from typing import Any

from benchmarks.peers import Timing

_LABELS = {"ego": "networkx ego_graph per facility", "nx": "networkx multi_source_dijkstra_path_length",
           "pandana": "pandana (build + query)", "scipy": "bare scipy csgraph pass"}


def _fmt(seconds: float) -> str:
    return f"{seconds:,.3f}" if seconds < 10 else f"{seconds:,.1f}"


def case_report(res: dict[str, Any], targets: dict[str, float] | None) -> tuple[str, list[tuple[str, bool]]]:
    """Markdown for one case and, when ``targets`` are given, the verdicts."""
    case = res["case"]
    lines = [f"### {case.name}", "", f"{case.about}. Network: {res['network']}. "
             f"Load average {res['load_start']} at start, {res['load_end']} at end (2 cores).", "",
             "| step | wall s | CPU s | notes | check vs geoplan |", "|---|---:|---:|---|---|"]
    for t in res["rows"]:
        parts = ", ".join(f"{k} {_fmt(v)} s" for k, v in t.parts.items())
        note = f"{t.note}{' — ' + parts if parts and len(t.parts) > 1 else ''}"
        wall = f"> {_fmt(t.wall)}" if t.unfinished else _fmt(t.wall)
        lines.append(f"| {t.name} | {wall} | {_fmt(t.cpu)} | {note} | {t.check} |")
    if "pandana_skipped" in res:
        lines.append(f"| pandana | – | – | {res['pandana_skipped']} | |")
    ours: Timing = res["ours"]
    with_attach = ours.wall + res["attach"].wall
    lines += ["", "Speed-ups (contender wall ÷ geoplan wall; for the bare scipy pass, geoplan ÷ scipy, lower is "
              "better). *geoplan reach* is the reach rules on the attached network (the peers get that network "
              "for free); *incl. attach* adds geoplan's snapping of all points; *by CPU time* is the same ratio "
              "in CPU seconds (less sensitive to other work on the machine; pandana's CH build uses both cores).",
              "", "| contender | contender s | geoplan reach | incl. attach | by CPU time | target | met |",
              "|---|---:|---:|---:|---:|---|---|"]
    verdicts: list[tuple[str, bool]] = []
    for key, t in res["contenders"].items():
        if key == "scipy":
            ratio, ratio_all = ours.wall / t.wall, with_attach / t.wall
            goal = f"≤ {targets[key]:g}×" if targets else ""
            ok = ratio <= targets[key] if targets else None
            shown = f"{ratio:.2f}× the time", f"{ratio_all:.2f}× the time"
            by_cpu = f"{ours.cpu / t.cpu:.2f}× the time"
        else:
            ratio, ratio_all = t.wall / ours.wall, t.wall / with_attach
            goal = f"≥ {targets[key]:g}× faster" if targets and key in targets else ""
            ok = ratio >= targets[key] if targets and key in targets else None
            more = "> " if t.unfinished else ""  # a lower bound: the peer had not finished
            shown = f"{more}{ratio:,.1f}× faster", f"{more}{ratio_all:,.1f}× faster"
            by_cpu = "–" if t.unfinished else f"{t.cpu / ours.cpu:,.1f}× faster"
        met = "" if ok is None else ("**met**" if ok else "**missed**")
        wall = f"> {_fmt(t.wall)}" if t.unfinished else _fmt(t.wall)
        lines.append(f"| {_LABELS[key]} | {wall} | {shown[0]} | {shown[1]} | {by_cpu} | {goal} | {met} |")
        if ok is not None:
            verdicts.append((f"reach vs {_LABELS[key]} {goal}: {shown[0]}", ok))
    lines += ["", "Full preset audit, `geoplan.audit(project)` and every output `geoplan audit --out` writes, in a "
              "fresh process (peak RSS of that process):", "",
              "| network cache | wall s | CPU s | peak RSS | where the wall time went |", "|---|---:|---:|---:|---|"]
    for label, key in (("cold: read the PBF, write the cache", "audit_cold"), ("warm: from the cache", "audit_warm")):
        a = res[key]
        phases = ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(a["phases"].items(), key=lambda kv: -kv[1])
                           if v >= 0.05)
        lines.append(f"| {label} | {_fmt(a['wall'])} | {_fmt(a['cpu'])} | {a['peak_rss'] / 2**30:.2f} GiB | "
                     f"{phases} |")
    if targets:
        cold, warm = res["audit_cold"], res["audit_warm"]
        verdicts.append((f"full preset audit, outputs written, network from PBF ≤ {targets['audit_s']:g} s wall: "
                         f"{cold['wall']:.1f} s ({cold['cpu']:.1f} CPU s)", cold["wall"] <= targets["audit_s"]))
        verdicts.append((f"full preset audit, outputs written, network from the cache ≤ {targets['audit_warm_s']:g} "
                         f"s wall: {warm['wall']:.1f} s ({warm['cpu']:.1f} CPU s)",
                         warm["wall"] <= targets["audit_warm_s"]))
        peak = max(res["audit_cold"]["peak_rss"], res["audit_warm"]["peak_rss"]) / 2**30
        verdicts.append((f"full preset audit ≤ {targets['rss_gb']:g} GB peak RSS: {peak:.2f} GiB",
                         peak <= targets["rss_gb"]))
    return "\n".join(lines), verdicts


def verdict_block(verdicts: list[tuple[str, bool]], quick: bool = False) -> str:
    """The targets, met or missed."""
    lines = ["### Targets (generated city)", ""]
    if quick:
        lines += ["(The targets are set for the ~1M-node city; with --quick they are shown for reference only.)", ""]
    lines += [f"- {'met' if ok else '**MISSED**'}: {text}" for text, ok in verdicts]
    return "\n".join(lines)
