"""Workbooks as rows of cells: XLSX (openpyxl), old XLS (xlrd), Excel 2003 XML and HTML tables saved as ``.xls``.

Each reader returns the workbook's sheets in order as ``(name, rows)``; :mod:`geoplan._grid` then finds the
header. Merged cells are filled with their top-left value (a header cell merged over two rows names its
column in both). Formula cells are read as the value Excel saved; a formula with no saved value (a workbook
written by a program and never opened in Excel) cannot be read and is named by cell.
"""

from __future__ import annotations

from collections.abc import Collection
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from geoplan import _hints
from geoplan._errors import Hint, InputError, MissingDependencyError

Sheet = tuple[str, list[list[Any]]]


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # 1597.0 from a number cell is the count 1597, an id 1234.0 is "1234"
    return value


def read_xlsx(path: Path) -> list[Sheet]:
    """Every sheet of an XLSX workbook, merged cells filled, cached formula values."""
    import openpyxl

    with path.open("rb") as fh:  # a file object: openpyxl refuses a workbook whose name is not .xlsx
        book = openpyxl.load_workbook(fh, data_only=True)
    sheets = []
    for ws in book.worksheets:
        rows = _filled_rows(ws)
        for merged in ws.merged_cells.ranges:
            top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(rows[r]))):
                    rows[r][c] = top
        sheets.append((ws.title, rows))
    return sheets


def _filled_rows(ws: Any) -> list[list[Any]]:
    """The sheet's cells up to its last row and column holding a value.

    A sheet whose whole rows or columns were formatted declares a range of up to 16,384 columns; walking it
    cell by cell would take minutes, so only the cells stored in the file are visited.
    """
    stored = getattr(ws, "_cells", None)
    if not isinstance(stored, dict):  # not openpyxl's usual worksheet: walk it
        return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    filled = {(r, c): cell.value for (r, c), cell in stored.items() if cell.value is not None}
    merged_tops = {(m.min_row, m.min_col) for m in ws.merged_cells.ranges}
    if not filled:
        return []
    n_rows = max(r for r, _ in filled)
    n_cols = max(max(c for _, c in filled), max((c for _, c in merged_tops), default=0))
    rows: list[list[Any]] = [[None] * n_cols for _ in range(n_rows)]
    for (r, c), value in filled.items():
        rows[r - 1][c - 1] = _cell(value)
    return rows


def formula_cells(path: Path, sheet: str, cells: Collection[tuple[int, int]]) -> list[str]:
    """Which of ``cells`` (0-based row, col) of an XLSX sheet hold a formula: their names (``"E5"``)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    if not cells or not _has_formulas(path):
        return []
    with path.open("rb") as fh:
        ws = openpyxl.load_workbook(fh, data_only=False)[sheet]
    out = []
    for r, c in sorted(cells):
        value = ws.cell(row=r + 1, column=c + 1).value
        if isinstance(value, str) and value.startswith("="):
            out.append(f"{get_column_letter(c + 1)}{r + 1}")
    return out


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of an XLSX holds a formula (an ``<f>`` element): a cheap scan before a second load."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(name) as fh:
                    tail = b""
                    while block := fh.read(1 << 20):
                        chunk = tail + block
                        if b"<f>" in chunk or b"<f " in chunk or b"<x:f" in chunk:
                            return True
                        tail = chunk[-8:]
    return False


def read_xls(path: Path) -> list[Sheet]:
    """Every sheet of an old-style ``.xls`` workbook (xlrd); date cells become dates."""
    try:
        import xlrd
    except ImportError as exc:
        msg = f"{path}: reading old-style .xls workbooks needs xlrd"
        raise MissingDependencyError(msg,
                hint=_hints.install("xlrd", "save the file as .xlsx", "另存为 .xlsx")) from exc
    try:
        book = xlrd.open_workbook(file_contents=path.read_bytes())
    except xlrd.XLRDError as exc:
        why = str(exc)
        if "workbook" in why.lower():
            why += " — a password-protected workbook? remove the password and save it as .xlsx"
        msg = f"{path}: cannot read this .xls workbook: {why}"
        raise InputError(msg, hint=_hints.RESAVE) from exc
    sheets = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                else:
                    row.append(_cell(cell.value))
            rows.append(row)
        sheets.append((sh.name, rows))
    return sheets


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def is_spreadsheet_xml(head: bytes) -> bool:
    """Whether XML text is an "XML Spreadsheet 2003" workbook (what some systems export as ``.xls``)."""
    return b"urn:schemas-microsoft-com:office:spreadsheet" in head


def read_spreadsheet_xml(path: Path) -> list[Sheet]:
    """Every sheet of an Excel 2003 XML workbook (``<Workbook><Worksheet><Table><Row><Cell><Data>``)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()  # expat (>= 2.4) refuses entity-expansion bombs
    except ET.ParseError as exc:
        msg = f"{path}: cannot read this XML workbook: {exc}"
        raise InputError(msg, hint=Hint(zh="在 Excel 或 WPS 中打开并另存为 .xlsx",
                                        en="open it in Excel or WPS and save it as .xlsx")) from exc
    sheets: list[Sheet] = []
    for ws in root.iter(f"{_SS}Worksheet"):
        rows: list[list[Any]] = []
        for row in ws.iter(f"{_SS}Row"):
            at = int(row.get(f"{_SS}Index", len(rows) + 1))
            rows += [[] for _ in range(at - 1 - len(rows))]  # rows skipped by ss:Index are blank
            cells: list[Any] = []
            for cell in row.iter(f"{_SS}Cell"):
                col = int(cell.get(f"{_SS}Index", len(cells) + 1))
                cells += [None] * (col - 1 - len(cells))
                data = cell.find(f"{_SS}Data")
                text = "".join(data.itertext()) if data is not None else None
                value: Any = text
                if data is not None and data.get(f"{_SS}Type") == "Number" and text:
                    value = _cell(float(text))
                cells += [value] * (1 + int(cell.get(f"{_SS}MergeAcross", "0")))
            rows.append(cells)
        sheets.append((ws.get(f"{_SS}Name", f"sheet {len(sheets) + 1}"), rows))
    if not sheets:
        msg = f"{path}: an XML workbook with no worksheet"
        raise InputError(msg, hint=_hints.EXPORT_AGAIN)
    return sheets


class _Tables(HTMLParser):
    """Collect the ``<table>`` elements of a page as rows of cell texts (colspan repeated)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[Any]]] = []
        self._depth = 0
        self._row: list[Any] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif self._depth == 1 and tag == "tr":
            self._row = []
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth = max(0, self._depth - 1)
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None and self._cell is not None:
            text = "".join(self._cell).strip()
            self._row += [text or None] * self._span
            self._cell = None
        elif self._depth == 1 and tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_html(path: Path, text: str) -> list[Sheet]:
    """The tables of an HTML page (what web systems export as ".xls"), as sheets ``table 1``, ``table 2`` ..."""
    parser = _Tables()
    parser.feed(text)
    parser.close()
    tables = [t for t in parser.tables if t]
    if not tables:
        msg = (f"{path}: the file is an HTML page with no table (a login or error page saved instead of the "
               "data?)")
        raise InputError(msg, hint=_hints.TODO_HTML)
    return [(f"table {i}", rows) for i, rows in enumerate(tables, 1)]

