"""The audit as an Excel workbook: one sheet per table, readable headers, frozen header row, fitted widths.

Written with openpyxl in write-only mode (city-sized tables stay fast). Text is always stored as text:
a community named ``=HYPERLINK(...)`` shows as typed and is never run as a formula.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geoplan._errors import Hint, InputError
from geoplan.outputs._atomic import replacing
from geoplan.outputs._fieldnames import header
from geoplan.outputs._people import failing_table, indicators_people, number_formats, people_headers, people_layer
from geoplan.outputs._stamp import restamp_zip
from geoplan.outputs._summary import rule_infos
from geoplan.outputs._tables import clean_layer, lonlat_table, to_text
from geoplan.result import AuditResult

log = logging.getLogger(__name__)

#: Sheet names of a result workbook (≤ 31 characters, Excel's limit).
SHEETS: Final = {
    "indicators": "指标 indicators",
    "communities": "小区 communities",
    "facilities": "设施 facilities",
    "admin_units": "行政区 admin units",
    "failing": "不达标 failing",
    "rules": "规则 rules",
}
_MAX_CELL: Final = 32767
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_BAD_SHEET_CHARS: Final = set("[]:*?/\\")
_HEADER_FILL: Final = PatternFill("solid", fgColor="DDE6F0")
#: ``DataFrame.attrs`` key of a sheet's number formats (header → format, or one format per row).
FORMATS: Final = "geoplan_number_formats"
_FAILING_HEADERS: Final = {
    "rule_title": "规则 rule", "feature_name": "小区/单元名称 name", "households": "户数 households",
    "status": "状态 status", "value": "实测值 value", "threshold": "标准值 threshold", "unit": "单位 unit",
    "shortfall": "差额 shortfall", "reason": "原因 reason", "basis": "数据依据 basis",
    "rule_id": "规则编号 rule_id", "feature_id": "要素编号 feature_id",
}


def _rules_sheet(result: AuditResult) -> pd.DataFrame:
    table = result.rules.copy()
    infos = {r.id: r for r in rule_infos(result)}
    id_column = next((c for c in ("id", "rule_id") if c in table.columns), None)
    if id_column is None:
        return pd.DataFrame([vars(r) for r in infos.values()])
    ids = table[id_column].astype(str)
    for field in ("title_zh", "title_en", "cite_file", "cite_clause", "cite_quote"):
        if field not in table.columns:
            table[field] = ids.map(lambda i, f=field: getattr(infos[i], f) if i in infos else None)
    return table


def _headed(table: pd.DataFrame, headers: Mapping[str, str]) -> pd.DataFrame:
    """``table`` with its columns renamed to their final headers, its number formats kept in ``attrs``."""
    formats = number_formats(table)
    out = table.rename(columns=dict(headers))
    out.attrs[FORMATS] = {headers.get(c, c): f for c, f in formats.items()}
    return out


def _layer_sheet(result: AuditResult, layer: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    table = people_layer(result, lonlat_table(clean_layer(layer)), lang)
    return _headed(table, people_headers(result, [str(c) for c in table.columns], lang))


def result_tables(result: AuditResult, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The sheets of a result workbook (see :data:`SHEETS`), in order; admin units only when present.

    The sheets are for people: statuses, bases and reasons in words (``lang``: zh, en or bilingual; see
    :mod:`geoplan.outputs._words`), a rule's columns headed by its title, the failing sheet with the rule's
    title, the name and household count. The GIS layers and CSVs keep the codes.
    """
    tables = {
        SHEETS["indicators"]: _headed(indicators_people(result, lang), {}),
        SHEETS["communities"]: _layer_sheet(result, result.communities, lang),
        SHEETS["facilities"]: _layer_sheet(result, result.facilities, lang),
    }
    if result.admin_units is not None:
        tables[SHEETS["admin_units"]] = _layer_sheet(result, result.admin_units, lang)
    tables[SHEETS["failing"]] = _headed(failing_table(result, lang), _FAILING_HEADERS)
    tables[SHEETS["rules"]] = _rules_sheet(result)
    return tables


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    text = to_text(value)
    return None if text is None else ILLEGAL_CHARACTERS_RE.sub("", text)[:_MAX_CELL]


def _width(value: Any) -> int:
    if value is None:
        return 0
    text = value if isinstance(value, str) else (f"{value:.6g}" if isinstance(value, float) else str(value))
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _formatted(ws: Worksheet, value: Any, fmt: str | list[str] | None, row: int) -> Any:
    if fmt is None or not isinstance(value, int | float) or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = fmt if isinstance(fmt, str) else fmt[row]
    return cell


def _sheet(ws: Worksheet, table: pd.DataFrame) -> None:
    columns = [str(c) for c in table.columns]
    given = table.attrs.get(FORMATS)
    formats = given if isinstance(given, Mapping) else number_formats(table)
    column_formats = [formats.get(c) for c in columns]
    rows = [[_cell_value(v) for v in row] for row in table.itertuples(index=False, name=None)]
    headers = [header(c) for c in columns]
    for i, text in enumerate(headers):
        widest = max([_width(text), *(_width(r[i]) for r in rows[:2000])])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(_MAX_WIDTH, max(_MIN_WIDTH, widest + 2))
    ws.freeze_panes = "C2" if len(headers) > 2 and "名称" in headers[1] else "B2"  # header row + id (+ name)
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"  # a column named "=..." is a name, never a formula
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        cells.append(cell)
    ws.append(cells)
    for i, row in enumerate(rows):
        out: list[Any] = []
        for value, fmt in zip(row, column_formats, strict=True):
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"  # text, never a formula
                out.append(cell)
            else:
                out.append(_formatted(ws, value, fmt, i))
        ws.append(out)
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def write_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path, *, stamp: str | None = None) -> Path:
    """Write each table to a sheet named by its key; GeoDataFrames get lon/lat instead of geometry.

    With ``stamp`` (ISO date) the document properties and the zip entries carry that date instead of the
    clock, so the same tables give the same bytes.

    Raises
    ------
    InputError
        For a sheet name Excel refuses (empty, longer than 31 characters, or with ``[]:*?/\\``).
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    wb = Workbook(write_only=True)
    for name, table in tables.items():
        if not name or len(name) > 31 or set(name) & _BAD_SHEET_CHARS:
            msg = f"sheet name {name!r}"
            raise InputError(msg, hint=Hint(zh="Excel 工作表名须为 1-31 个字符，且不含 []:*?/\\",
                                            en="Excel needs 1-31 characters without []:*?/\\"))
        if isinstance(table, gpd.GeoDataFrame):
            table = lonlat_table(clean_layer(table))
        _sheet(wb.create_sheet(name), table)
    when = dt.datetime.fromisoformat(stamp) if stamp else None
    if when is not None:
        wb.properties.created = wb.properties.modified = when
    with replacing(path, what="the workbook") as tmp:
        wb.save(tmp)
        if when is not None:
            restamp_zip(tmp, when)
    log.info("wrote %s (%d sheets)", path, len(tables))
    return path
