"""``report.docx``: the audit as a Word document a section chief can forward.

Headline table per rule, the plan's indicators against their targets, one gap-map image per rule, the rules
with their citations (plan file, clause, quote) and the assumptions — in the plans' words (see
:mod:`geoplan.outputs._words`). Written with python-docx (pure Python, no office suite on the server)
through the atomic writer. Map images are screenshots of the gap map by headless Chromium, one per rule
(the page shows the rule named in its URL hash); without Chromium the document says the image is missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Cm

from geoplan._errors import GeoplanError
from geoplan.outputs._atomic import replacing
from geoplan.outputs._people import facility_types
from geoplan.outputs._png import write_rule_pngs
from geoplan.outputs._summary import rule_infos, rule_stats
from geoplan.outputs._words import plain_text, word
from geoplan.result import AuditResult

log = logging.getLogger(__name__)

def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%" if math.isfinite(rate) else "—"


def _figure(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return str(value)


def _table(doc: DocxDocument, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def _headline(doc: DocxDocument, result: AuditResult) -> None:
    doc.add_heading("主要结论", level=1)
    rows = [[s.rule.title_zh or s.rule.id, word("level", s.level), f"{s.n_pass:,}", f"{s.n_fail:,}",
             f"{s.n_not_evaluable:,}", f"{s.n_not_applicable:,}", _pct(s.pass_rate), _pct(s.pass_rate_households)]
            for s in rule_stats(result)]
    _table(doc, ["规则", "层级", "达标", "不达标", "无法评估", "不适用", "达标率", "按户数加权达标率"], rows)
    doc.add_paragraph("达标率 = 达标数 ÷（达标数 + 不达标数）；按户数加权时不计户数缺失的小区。")


def _indicators(doc: DocxDocument, result: AuditResult) -> None:
    doc.add_heading("规划指标与目标", level=1)
    types = facility_types(result)
    rows = [[plain_text(str(r.get("indicator_zh") or ""), types), plain_text(str(r.get("area") or ""), types),
             _figure(r.get("measured")), _figure(r.get("target")), word("unit", r.get("unit")),
             _figure(r.get("shortfall")), word("basis", r.get("basis"))]
            for r in result.indicators.to_dict("records")]
    if rows:
        _table(doc, ["指标", "范围", "实测", "目标", "单位", "差额", "依据"], rows)
    else:
        doc.add_paragraph("无。")


def _map_images(result: AuditResult, map_html: Path | None, folder: Path) -> tuple[dict[str, Path], str]:
    """Rule id → PNG of the gap map showing that rule, and why images are missing (if they are)."""
    if map_html is None:
        return {}, "未提供缺口地图"
    wanted = {info.id: folder / f"rule{i}.png" for i, info in enumerate(rule_infos(result))}
    try:
        return write_rule_pngs(map_html, wanted), ""
    except GeoplanError as exc:
        log.warning("report.docx without map images: %s", exc)
        return {}, str(exc)


def _maps(doc: DocxDocument, result: AuditResult, map_html: Path | None, folder: Path) -> None:
    doc.add_heading("缺口地图", level=1)
    images, why = _map_images(result, map_html, folder)
    for info in rule_infos(result):
        doc.add_heading(info.title_zh or info.id, level=2)
        png = images.get(info.id)
        if png is not None and png.is_file():
            doc.add_picture(str(png), width=Cm(16))
        elif why:
            doc.add_paragraph(f"（地图图片缺失 map image missing：{why}。交互地图见 gap_map.html。）")
        else:
            doc.add_paragraph("（本规则按全域统计，地图上无对应图层；结果见上表。）")


def _citations(doc: DocxDocument, result: AuditResult) -> None:
    doc.add_heading("规则与出处", level=1)
    for info in rule_infos(result):
        source = " ".join(p for p in (info.cite_file, info.cite_clause) if p) or "—"
        quote = f"：“{info.cite_quote}”" if info.cite_quote else ""
        doc.add_paragraph(f"{info.title_zh or info.id}（{source}）{quote}", style="List Number")


def _assumptions(doc: DocxDocument, result: AuditResult) -> None:
    doc.add_heading("假设", level=1)
    items = list(dict.fromkeys(result.assumptions))
    for item in items:
        doc.add_paragraph(plain_text(item, facility_types(result)), style="List Bullet")
    if not items:
        doc.add_paragraph("无。")


def report_document(result: AuditResult, map_html: str | Path | None = None) -> DocxDocument:
    """The Word report as a python-docx document (see the module docstring for its sections)."""
    doc = Document()
    doc.core_properties.title = result.title or "设施规划体检报告"
    if result.created:  # the run's date, not the clock: the same audit gives the same document properties
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(result.created)
            doc.core_properties.created = doc.core_properties.modified = when
    doc.add_heading(result.title or "一老一小设施规划体检报告", level=0)
    doc.add_paragraph(f"规则集：{result.preset_title}　日期：{result.created or '—'}　"
                      f"小区 {len(result.communities):,} 个，设施 {len(result.facilities):,} 处")
    _headline(doc, result)
    _indicators(doc, result)
    with tempfile.TemporaryDirectory(prefix="geoplan-docx-") as tmp:
        _maps(doc, result, None if map_html is None else Path(map_html), Path(tmp))
        _citations(doc, result)
        _assumptions(doc, result)
        return doc


def write_report_docx(result: AuditResult, path: str | Path, *, map_html: str | Path | None = None) -> Path:
    """Write ``report.docx`` atomically; ``map_html`` is the gap map the images are taken from.

    Without ``map_html``, Chromium or playwright the document says where each image is missing; it is
    written all the same.

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    doc = report_document(result, map_html)
    with replacing(path, what="the Word report") as tmp:
        doc.save(str(tmp))
    log.info("wrote %s", path)
    return path
