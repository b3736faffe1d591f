"""Excel workbook: sheets, readable headers, frozen header, widths, lon/lat, text never run as a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_export_data import FORMULA, NAMES, PROV, REACH, XSS, make_result

from geoplan._errors import InputError
from geoplan.outputs.export import write_xlsx


def _rows(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_result_workbook_sheets_and_headers(tmp_path: Path) -> None:
    path = write_xlsx(make_result(), tmp_path / "audit.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["指标 indicators", "小区 communities", "设施 facilities", "不达标 failing", "规则 rules"]
    for ws in wb:
        assert ws.freeze_panes in {"B2", "C2"}  # header row and the id (and name) column stay in view
        assert all(c.font.b for c in ws[1])
    assert wb["小区 communities"].freeze_panes == "C2"
    com = wb["小区 communities"]
    headers = [c.value for c in com[1]]
    assert headers[:4] == ["小区编号 community_id", "名称 name", "经度WGS84 lon", "纬度WGS84 lat"]
    assert "户数 households" in headers and "15分钟幸福养老服务圈：状态" in headers  # the rule's title, not its id
    assert not any(REACH in str(h) for h in headers)
    assert not any("geometry" in str(h) for h in headers)
    assert com.column_dimensions["B"].width >= 10
    assert [c.value for c in wb["指标 indicators"][1]][:2] == ["规则编号 rule_id", "指标 indicator_zh"]


def test_every_row_and_lonlat_in_wgs84(tmp_path: Path) -> None:
    result = make_result()
    wb = openpyxl.load_workbook(write_xlsx(result, tmp_path / "audit.xlsx"))
    rows = _rows(wb["小区 communities"])
    assert [r[0] for r in rows[1:]] == result.communities["community_id"].tolist()
    assert [r[1] for r in rows[1:]] == NAMES
    lon = [r[2] for r in rows[1:]]
    lat = [r[3] for r in rows[1:]]
    assert lon == pytest.approx([120.150, 120.153, 120.147, 120.156, 120.151], abs=1e-6)
    assert lat == pytest.approx([30.260, 30.262, 30.258, 30.259, 30.265], abs=1e-6)
    hh = rows[0].index("户数 households")
    assert [r[hh] for r in rows[1:]] == [1200, None, 800, 450, 300]  # missing stays an empty cell
    assert len(_rows(wb["设施 facilities"])) == 1 + len(result.facilities)


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(make_result(), tmp_path / "audit.xlsx"))
    ws = wb["小区 communities"]
    cell = ws.cell(row=5, column=2)
    assert cell.value == FORMULA and cell.data_type == "s"
    assert ws.cell(row=3, column=2).value == XSS


def test_failing_sheet_and_rules_with_citations(tmp_path: Path) -> None:
    result = make_result()
    wb = openpyxl.load_workbook(write_xlsx(result, tmp_path / "audit.xlsx"))
    failing = pd.DataFrame(_rows(wb["不达标 failing"])[1:], columns=_rows(wb["不达标 failing"])[0])
    assert set(failing["状态 status"]) == {"不达标"}
    assert len(failing) == int((result.findings["status"] == "fail").sum()) == 3
    rules = pd.DataFrame(_rows(wb["规则 rules"])[1:], columns=_rows(wb["规则 rules"])[0])
    assert rules["规则编号 id"].tolist() == [REACH, PROV]
    assert rules["出处文件 cite_file"].tolist() == ["quzhou-2022.txt"] * 2
    assert rules["原文 cite_quote"].iloc[0] == "打造15分钟幸福养老服务圈"
    assert '"minutes": 15' in rules["参数 params"].iloc[0]  # a dict cell written as JSON


def test_admin_sheet_when_present(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(make_result(admin=True), tmp_path / "audit.xlsx"))
    assert "行政区 admin units" in wb.sheetnames
    assert len(_rows(wb["行政区 admin units"])) == 3


def test_tables_mapping_and_cleaning(tmp_path: Path) -> None:
    tables = {
        "点 points": make_result().facilities,
        "表 table": pd.DataFrame({"text": ["ok\x07bell", "=1+1"], "n": [1.5, float("nan")]}),
    }
    wb = openpyxl.load_workbook(write_xlsx(tables, tmp_path / "t.xlsx"))
    assert wb.sheetnames == ["点 points", "表 table"]
    assert "经度WGS84 lon" in [c.value for c in wb["点 points"][1]]
    assert _rows(wb["表 table"]) == [["text", "n"], ["okbell", 1.5], ["=1+1", None]]
    for bad in ("a/b", "x" * 32, ""):
        with pytest.raises(InputError, match="sheet name"):
            write_xlsx({bad: pd.DataFrame({"a": [1]})}, tmp_path / "bad.xlsx")
