"""The batch's consolidated outputs, gathered from the areas' folders (so skipped areas count too).

In the batch's output folder:

* ``batch.xlsx`` — sheets 区域 areas, 指标 indicators (the plans' wording, per area), 区县 units (admin units
  and city figures: presence / ratio / count results with census denominators and required supply),
  不达标小区 failing communities, 建议选址 suggestions;
* the same tables as CSV (UTF-8 with BOM for Excel): ``areas.csv``, ``indicators.csv``, ``units.csv``,
  ``failing_communities.csv``, ``suggestions.csv``;
* ``index.html`` — every area with its status (``done``, ``error``; "earlier run" when this run skipped it)
  and links to its gap map, GeoPackage and project file;
* per area (written by the workers): ``areas/<id>/audit.gpkg``, ``gap_map.html``, ``geoplan.toml``.

Rows follow the batch file's area order, then each area's own order, so reruns give the same files.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from geoplan.batch.area import DONE, ERROR, MARKER, SKIPPED, AreaOutcome, read_marker, read_tables
from geoplan.batch.spec import BatchSpec
from geoplan.batch.tables import NUMERIC
from geoplan.outputs._atomic import write_text
from geoplan.outputs._tables import write_csv
from geoplan.outputs._xlsx import write_workbook

log = logging.getLogger(__name__)

#: table name → (sheet name, CSV file name).
OUTPUTS: Final = {
    "areas": ("区域 areas", "areas.csv"),
    "indicators": ("指标 indicators", "indicators.csv"),
    "units": ("区县 units", "units.csv"),
    "failing": ("不达标小区 failing", "failing_communities.csv"),
    "suggestions": ("建议选址 suggestions", "suggestions.csv"),
}
AREA_COLUMNS: Final = ("area_id", "area_title", "status", "this_run", "message", "communities", "facilities",
                       "admin_units", "rules", "failing_findings", "map", "geopackage", "project_file")


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if column in NUMERIC:
            out[column] = pd.to_numeric(out[column], errors="coerce")
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def _rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def consolidated_tables(spec: BatchSpec, outcomes: Sequence[AreaOutcome]) -> dict[str, pd.DataFrame]:
    """The consolidated tables (see :data:`OUTPUTS`), built from what the areas wrote to disk."""
    by_id = {o.id: o for o in outcomes}
    rows = []
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in OUTPUTS if name != "areas"}
    for area in spec.areas:
        outcome = by_id.get(area.id)
        marker = read_marker(area) or {}
        this_run = outcome.status if outcome else "not run"
        status = str(marker.get("status", this_run if this_run == ERROR else "missing"))
        ran = status == DONE
        counts = marker.get("counts", {}) if ran else {}
        rows.append({
            "area_id": area.id, "area_title": area.title, "status": status, "this_run": this_run,
            "message": (outcome.message if outcome and this_run == ERROR else marker.get("message", "")) or "",
            **{k: counts.get(k) for k in ("communities", "facilities", "admin_units", "rules", "failing_findings")},
            "map": _rel(area.out_dir / "gap_map.html", spec.out) if ran else "",
            "geopackage": _rel(area.out_dir / "audit.gpkg", spec.out) if ran else "",
            "project_file": _rel(area.out_dir / "geoplan.toml", spec.out),
        })
        if ran:
            for name, table in read_tables(area).items():
                if name in parts and len(table):
                    parts[name].append(table)
    tables = {"areas": pd.DataFrame(rows, columns=list(AREA_COLUMNS))}
    for name, frames in parts.items():
        tables[name] = _typed(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()
    return {name: tables[name] for name in OUTPUTS}


def _link(href: Any, text: str) -> str:
    return f"<a href=\"{html.escape(str(href))}\">{text}</a>" if href else "—"


def _count(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def _index_html(spec: BatchSpec, areas: pd.DataFrame, indicators: pd.DataFrame) -> str:
    esc = html.escape
    head = ("<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(spec.title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
            ".error{color:#D55E00}.fail{color:#D55E00}.pass{color:#0072B2}</style></head><body>")
    lines = [head, f"<h1>{esc(spec.title)}</h1>",
             f"<p>{len(areas)} areas · created {esc(spec.created)} · "
             "<a href=\"batch.xlsx\">batch.xlsx</a> · <a href=\"indicators.csv\">indicators.csv</a></p>",
             "<table><tr><th>area 区域</th><th>status</th><th>map 地图</th><th>GeoPackage</th>"
             "<th>communities</th><th>failing 不达标 (community × rule)</th><th>indicators 指标</th></tr>"]
    for row in areas.to_dict("records"):
        ind = indicators[indicators["area_id"] == row["area_id"]] if len(indicators) else indicators
        statuses = ind["basis"].value_counts().to_dict() if len(ind) else {}
        summary = ", ".join(f"{esc(str(k))} {v}" for k, v in sorted(statuses.items()))
        status = (f"<span class=\"error\">error: {esc(str(row['message']))}</span>" if row["status"] == ERROR
                  else esc(str(row["status"])) + (" <small>(earlier run)</small>" if row["this_run"] == SKIPPED
                                                  else ""))
        lines.append(
            f"<tr><td>{esc(str(row['area_title']))} <small>({esc(str(row['area_id']))})</small></td>"
            f"<td>{status}</td><td>{_link(row['map'], 'gap map')}</td><td>{_link(row['geopackage'], 'audit.gpkg')}"
            f"</td><td>{_count(row['communities'])}</td><td>{_count(row['failing_findings'])}</td><td>{summary}</td></tr>")
    lines.append("</table></body></html>\n")
    return "\n".join(lines)


def consolidate(spec: BatchSpec, outcomes: Sequence[AreaOutcome]) -> dict[str, Path]:
    """Write ``batch.xlsx``, the CSV tables and ``index.html`` into ``spec.out``.

    Returns
    -------
    dict
        File name → path of every file written.
    """
    tables = consolidated_tables(spec, outcomes)
    written: dict[str, Path] = {}
    sheets = {}
    for name, (sheet, csv_name) in OUTPUTS.items():
        table = tables[name]
        sheets[sheet] = table
        written[csv_name] = write_csv(table, spec.out / csv_name)
    written["batch.xlsx"] = write_workbook(sheets, spec.out / "batch.xlsx")
    index = spec.out / "index.html"
    write_text(index, _index_html(spec, tables["areas"], tables["indicators"]), what="the batch index")
    written["index.html"] = index
    log.info("consolidated %d areas into %s", len(spec.areas), spec.out)
    return written


__all__ = ["MARKER", "OUTPUTS", "consolidate", "consolidated_tables"]
