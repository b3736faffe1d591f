"""Summary CSV and Markdown report: figures, content, escaping, byte-for-byte determinism."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from test_export_data import PRESENCE, PROV, REACH, TITLE, XSS, make_result

from geoplan.outputs.report import SUMMARY_COLUMNS, summary_csv, summary_markdown, write_summary_markdown
from geoplan.rules.base import INDICATOR_COLUMNS


def _summary(tmp_path: Path) -> pd.DataFrame:
    path, _ = summary_csv(make_result(admin=True), tmp_path / "summary.csv")
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False).set_index("rule_id")


def test_summary_counts_and_rates(tmp_path: Path) -> None:
    table = _summary(tmp_path)
    assert list(table.reset_index().columns) == list(SUMMARY_COLUMNS)
    assert list(table.index) == [REACH, PROV, PRESENCE]  # preset order, then rules found in the layers
    reach = table.loc[REACH]
    assert (reach["n_pass"], reach["n_fail"], reach["n_not_evaluable"], reach["n_not_applicable"]) == (2, 1, 1, 1)
    assert float(reach["pass_rate_pct"]) == pytest.approx(66.67)
    # households: pass 1200 + 300, fail = the community whose household count is missing → 100 %
    assert float(reach["pass_rate_households_pct"]) == 100 and reach["n_households_known"] == 2
    prov = table.loc[PROV]
    assert (prov["n_pass"], prov["n_fail"], prov["n_not_evaluable"]) == (2, 2, 1)
    assert float(prov["pass_rate_households_pct"]) == pytest.approx(round(100 * 800 / (1200 + 800 + 300), 2))
    assert table.loc[PRESENCE, "level"] == "admin" and table.loc[PRESENCE, "pass_rate_households_pct"] == ""
    assert reach["cite_file"] == "quzhou-2022.txt" and reach["title_zh"] == "15分钟幸福养老服务圈"


def test_indicators_file_beside_the_summary(tmp_path: Path) -> None:
    _, path = summary_csv(make_result(), tmp_path / "summary.csv")
    assert path == tmp_path / "summary_indicators.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(INDICATOR_COLUMNS)
    assert table["measured"].tolist() == ["50", "66.666667"]  # one float format throughout
    assert table["shortfall"].tolist() == ["1", ""]


def test_markdown_content(tmp_path: Path) -> None:
    text = summary_markdown(make_result(admin=True))
    assert text.startswith(f"# {TITLE}\n")
    for expected in (
        "衢州市“一老一小”整体解决方案 (quzhou-2022)", "2025-01-15", "EPSG:4549", "| 小区 Communities | 5 |",
        "| 15分钟幸福养老服务圈 (reach_elderly_15) | 小区 community | 2 | 1 | 1 | 1 | 66.7% | 100.0% |",
        "quzhou-2022.txt 二(二)3：“打造15分钟幸福养老服务圈”", "新建小区按每千人不少于10个托位配建",
        "hangzhou.osm.pbf", "1523 / 3870", "Communities attached: 4 / 5", "Facilities attached: 2 / 3",
        "1. 步行速度 75 m/min（默认设置 settings default）",
        "| 15分钟幸福养老服务圈 (reach_elderly_15) | community not attached: 412 m from the network / 未接入路网 | 1 |",
        "| 15分钟养老服务圈覆盖率 / 15-min circle coverage | 全部 all | 50 | 100 | % | 1 | 实测 measured |",
        "households \\| weighted",  # a pipe in the data cannot break the table
    ):
        assert expected in text, expected
    assert text.index("## 主要结论 Headline") < text.index("## 规划指标 Indicators") < text.index(
        "## 规则与出处") < text.index("## 路网") < text.index("## 假设") < text.index("## 无法评估")


def test_markdown_escapes_html_from_the_data() -> None:
    result = make_result(title=XSS)
    text = summary_markdown(dataclasses.replace(result, assumptions=[*result.assumptions, "[x](javascript:1)"]))
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "[x](javascript" not in text and "\\[x\\](javascript:1)" in text  # no live link


def test_markdown_without_network_or_assumptions() -> None:
    result = dataclasses.replace(make_result(network=False), assumptions=[])
    text = summary_markdown(result)
    assert "The result carries no network summary." in text
    assert "## 假设 Assumptions\n\n无 None." in text


def test_reports_are_byte_identical_across_runs(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        result = make_result(admin=True)  # built afresh: equal content, new objects
        md = write_summary_markdown(result, folder / "report.md")
        csvs = summary_csv(result, folder / "summary.csv")
        outputs.append([p.read_bytes() for p in (md, *csvs)])
    assert outputs[0] == outputs[1]
    assert b"\r\n" not in outputs[0][0] and outputs[0][0].endswith(b"\n")


def test_not_evaluable_reasons_sorted_by_rule_then_frequency() -> None:
    result = make_result()
    com = result.communities.copy()
    com.loc[[0, 4], f"{REACH}__status"] = "not_evaluable"
    com.loc[[0, 4], f"{REACH}__reason"] = ["b reason", "b reason"]
    findings = result.findings.iloc[:0]  # no long table: counted from the wide columns
    text = summary_markdown(dataclasses.replace(result, communities=com, findings=findings))
    section = text.split("## 无法评估的原因")[1]
    lines = [line for line in section.splitlines() if f"({REACH})" in line or f"({PROV})" in line]
    reach, prov = f"15分钟幸福养老服务圈 ({REACH})", f"托育设施配建 ({PROV})"
    assert lines == [
        f"| {reach} | b reason | 2 |",
        f"| {reach} | community not attached: 412 m from the network / 未接入路网 | 1 |",
        f"| {prov} | community not attached: 412 m from the network / 未接入路网 | 1 |",
    ]
