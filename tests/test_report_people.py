"""Deliverables in the plans' words: the translation layer, the workbook's Chinese columns, report.docx."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from geoplan.audit import audit
from geoplan.demo import demo_project
from geoplan.outputs._chromium import find_chromium
from geoplan.outputs._words import plain_text, reason_text, word
from geoplan.outputs.docx_report import write_report_docx
from geoplan.outputs.export import write_xlsx
from geoplan.outputs.maps import write_gap_map
from geoplan.result import AuditResult

TYPES = {"elderly_care": {"zh": "养老服务中心", "en": "elderly-care centre"},
         "elderly_day_care": {"zh": "日间照料中心", "en": "day-care centre"}}
REACH = {"types": ["elderly_care", "elderly_day_care"], "minutes": 15}
ENGLISH_STATUS = re.compile(r"\b(pass|fail|not_evaluable|not_applicable|measured|estimated|assumed)\b")


def test_words_in_each_language() -> None:
    assert [word("status", s) for s in ("pass", "fail", "not_evaluable", "not_applicable")] == [
        "达标", "不达标", "无法评估", "不适用"]
    assert word("status", "pass", "bilingual") == "达标 pass" and word("status", "fail", "en") == "fail"
    assert word("basis", "measured") == "实测" and word("status", None) == ""


def test_reach_failure_rendered_from_its_fields() -> None:
    unreached = {"status": "fail", "value": float("nan"), "threshold": 900.0, "unit": "m",
                 "reason": "no elderly_care/elderly_day_care facility reachable within 3375 m / 可达范围内无设施"}
    assert reason_text(unreached, REACH, "reach", TYPES) == "步行900米内无养老服务中心、日间照料中心"
    far = {**unreached, "value": 1279.4, "threshold": 1125.0, "reason": ""}
    assert reason_text(far, REACH, "reach", TYPES) == "最近的养老服务中心、日间照料中心步行1,279米，超出标准154米"
    assert reason_text(far, REACH, "reach", TYPES, "en").startswith("nearest elderly-care centre, day-care")


def test_free_text_reasons_lose_ids_and_keep_the_gloss() -> None:
    text = ("no elderly_care facility in the facilities layer: add them; if there truly are none, all fail "
            "/ 设施图层中无此类设施; beds is empty for all 5 elderly_care facilities / elderly_care设施均无beds数据")
    assert plain_text(text, TYPES) == "设施图层中无此类设施；养老服务中心设施均无床位数数据"
    assert plain_text("x（按户数 households加权 weighted by 户数 households）", TYPES) == "x（按户数加权）"
    assert plain_text("0/799 evaluated; 5 not evaluable", TYPES) == "0/799 达标/参评；5个无法评估"
    both = plain_text("no elderly_care within 900 m / 无设施", TYPES, "bilingual")
    assert both == "no 养老服务中心 elderly-care centre within 900 m / 无设施"  # English kept beside the Chinese


@pytest.fixture(scope="module")
def demo() -> AuditResult:
    return audit(demo_project(), created="2025-01-15")


def test_workbook_chinese_columns_hold_no_ids_or_english_statuses(demo: AuditResult, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(demo, tmp_path / "audit.xlsx"))
    terms = [t for t in demo.extra["facility_types"] if "_" in t or t.isascii()]
    checked = 0
    for sheet in ("小区 communities", "设施 facilities", "行政区 admin units", "不达标 failing"):
        ws = wb[sheet]
        headers = [str(c.value) for c in ws[1]]
        chinese = [i for i, h in enumerate(headers)
                   if h.endswith(("状态", "数据依据", "原因")) or h.startswith(("状态", "原因", "设施类型"))]
        assert chinese, sheet
        for row in ws.iter_rows(min_row=2, values_only=True):
            for i in chinese:
                text = str(row[i] or "")
                assert not ENGLISH_STATUS.search(text), (sheet, headers[i], text)
                assert not any(re.search(rf"(?<![a-z_]){t}(?![a-z_])", text) for t in terms), (sheet, text)
                checked += 1
    assert checked > 1000
    failing = [str(c.value) for c in wb["不达标 failing"][1]]
    assert failing[:3] == ["规则 rule", "小区/单元名称 name", "户数 households"]
    row = next(wb["不达标 failing"].iter_rows(min_row=2, max_row=2))
    assert row[0].value == "15分钟幸福养老服务圈" and row[2].number_format == "#,##0"


def test_workbook_number_formats(demo: AuditResult, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_xlsx(demo, tmp_path / "audit.xlsx"))["小区 communities"]
    headers = [str(c.value) for c in ws[1]]
    row = next(ws.iter_rows(min_row=2, max_row=2))
    assert row[headers.index("户数 households")].number_format == "#,##0"
    assert row[headers.index("人口 population")].number_format == "#,##0"
    assert row[headers.index("15分钟幸福养老服务圈：标准值")].number_format == "#,##0"  # metres


def _docx_parts(path: Path) -> tuple[list[str], int, int, str]:
    doc = docx.Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    text = "\n".join(p.text for p in doc.paragraphs)
    return headings, len(doc.tables), len(doc.inline_shapes), text


def test_docx_without_a_map_says_the_image_is_missing(demo: AuditResult, tmp_path: Path) -> None:
    headings, tables, images, text = _docx_parts(write_report_docx(demo, tmp_path / "report.docx"))
    assert {"主要结论", "规划指标与目标", "缺口地图", "规则与出处", "假设"} <= set(headings)
    assert "15分钟幸福养老服务圈" in headings and tables == 2 and images == 0
    assert text.count("地图图片缺失") == len(demo.rule_results)
    assert "GB 50180" in text or "：“" in text  # citations quoted


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: apt-get install chromium")
def test_docx_has_one_map_image_per_rule(demo: AuditResult, tmp_path: Path) -> None:
    html = write_gap_map(demo, tmp_path / "gap_map.html", service_areas=demo.service_areas)
    _, tables, images, text = _docx_parts(write_report_docx(demo, tmp_path / "report.docx", map_html=html))
    mapped = [r for r in demo.rule_results.values() if r.level in ("community", "admin")]
    assert tables == 2 and images == len(mapped) > 0 and "地图图片缺失" not in text
    assert text.count("地图上无对应图层") == len(demo.rule_results) - len(mapped)  # city-wide counts and ratios
    doc = docx.Document(str(tmp_path / "report.docx"))
    blobs = [doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
             for s in doc.inline_shapes]
    assert blobs[0] != blobs[1]  # each rule's own layer: the two walking circles' pass/fail differ
    headline = doc.tables[0]
    assert [c.text for c in headline.rows[0].cells][:4] == ["规则", "层级", "达标", "不达标"]
    assert headline.rows[1].cells[1].text == "小区" and len(headline.rows) == 1 + len(demo.rule_results)


def demo_names() -> list[str]:
    return [str(n) for n in audit(demo_project(), with_service_areas=False).communities["name"]]


def test_site_prints_no_solver_banner_and_names_sites(tmp_path: Path) -> None:
    geoplan = Path(__import__("sys").executable).with_name("geoplan")
    run = subprocess.run([str(geoplan), "site", "--rules", "reach_childcare_15", "--out", str(tmp_path / "s")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert "HiGHS" not in run.stdout and "Copyright" not in run.stdout
    assert "reach_childcare_15" in run.stdout
    sites = pd.read_csv(tmp_path / "s" / "suggestions.csv", encoding="utf-8-sig")
    generated = sites[sites["source"] == "generated"]
    assert len(generated) and generated["name"].fillna("").str.len().gt(0).all()  # none unnamed
    assert generated["name"].str.endswith("旁").any()  # an unnamed candidate: after the nearest compound
    names = set(demo_names())
    for text, n in zip(sites["suggestion"], sites["n_fixed"], strict=True):
        listed = text.split("含原不达标")[1].split("：")[1].split(" / ")[0] if n else ""
        assert all(part.split(" 等")[0] in names for part in listed.split("、") if part), text
