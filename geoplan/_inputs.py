"""The one way geoplan opens an input file: communities, facilities, admin units, census and street layers.

:func:`read_layer` looks at what a file *is* (:mod:`geoplan._sniff`), not what its name says, and reads it:

* tables — CSV/TXT/TSV in UTF-8, GBK, UTF-16 or a mix (:mod:`geoplan._encoding`), separator sniffed or
  ``sep =``; XLSX and old XLS workbooks, HTML pages and Excel 2003 XML saved as ``.xls``; the sheet by
  ``sheet =`` (its name, or its number counted from 1) — a wrong or missing sheet lists the workbook's sheets;
  the header row found by the mapped column names or given as ``header_row =`` (:mod:`geoplan._grid`);
* GIS layers — through GDAL (pyogrio): a Shapefile's ``.shx`` / ``.dbf`` siblings are checked first, a
  GeoPackage's layers are listed and the one named by ``layer =`` taken (a street network takes its only line
  layer), a ZIP of a Shapefile is read in place, a ``.geojson`` that is not JSON is named as what it is.

A file whose content does not match its suffix is read by its content when that is unambiguous (a ``.csv``
that is an XLSX workbook, an ``.xls`` that is an HTML page or tab-separated text) and said in the layer notes;
otherwise the error says what the file really holds. The GIS half is :mod:`geoplan._vector`, which the street
network's reader uses too.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan import _grid, _hints, _sheets
from geoplan import _sniff as sn
from geoplan._encoding import read_text_grid, utf16_encoding
from geoplan._errors import Hint, InputError
from geoplan._vector import BOOK_SUFFIXES, GIS_SUFFIXES, TEXT_SUFFIXES, TODO, check_path, read_vector
from geoplan.project import LayerSpec

log = logging.getLogger(__name__)

#: ``DataFrame.attrs`` keys the readers fill (read by :mod:`geoplan.layers`).
LAYER_NOTES, ROW_NOTES, SHEETS = "geoplan_notes", "geoplan_row_notes", "geoplan_sheets"
__all__ = ["LAYER_NOTES", "ROW_NOTES", "SHEETS", "check_path", "read_layer", "read_vector"]


def read_layer(spec: LayerSpec, section: str, wanted: Collection[str] | None = None) -> pd.DataFrame:
    """Read one input layer as it is: a DataFrame for tables, a GeoDataFrame for GIS layers.

    Parameters
    ----------
    spec : LayerSpec
        The project's section for the layer.
    section : str
        Its name in the project file (``"communities"``), for messages.
    wanted : collection of str, optional
        Column names the caller needs; default the spec's x, y and field columns. They locate the header
        row and the sheet.

    Raises
    ------
    InputError
        Missing, empty, a folder, a format that cannot be read, a sheet or layer not found, a Shapefile
        without its ``.shx`` or ``.dbf``, two columns with the same name, formulas without saved values.
    """
    path = spec.path
    check_path(path, section)
    wanted = list(wanted if wanted is not None else [*(c for c in (spec.x, spec.y) if c), *spec.fields.values()])
    suffix = path.suffix.lower()
    kind = sn.sniff(path) if path.is_file() else "folder"
    if suffix in TEXT_SUFFIXES | BOOK_SUFFIXES:
        return _read_sheet(spec, section, kind, wanted)
    if suffix not in GIS_SUFFIXES:
        save = " (WPS, LibreOffice: save it as .xlsx)" if suffix in (".et", ".ods", ".numbers", ".xlsb") else ""
        if suffix in (".dbf", ".shx", ".prj", ".cpg", ".qpj", ".sbn"):
            save = f" (part of a Shapefile: give its .shp, path = \"{path.with_suffix('.shp').name}\")"
        msg = (f"{path}: unsupported file type {suffix or '(no suffix)'!r}{save} (the file holds "
               f"{sn.describe(kind)})")
        raise InputError(msg, hint=Hint(zh="给出带 x/y 列的 CSV 或 XLSX 表，或 GeoJSON、GeoPackage、Shapefile 图层",
                                        en="give a CSV or XLSX table with x/y columns, or a GeoJSON, "
                                           "GeoPackage or Shapefile layer"))
    if kind == sn.JSON and suffix in (".json", ".geojson"):
        records = _json_records(path, section)
        if records is not None:
            return records
    # Admin units and census always need their attribute table (codes, names, figures), other layers when mapped.
    frame, notes = read_vector(path, section=section, layer=spec.layer, encoding=spec.encoding,
                               need_attributes=bool(wanted) or section in ("admin_units", "census"))
    frame.attrs[LAYER_NOTES] = notes + _ignored(spec, section, gis=True)
    return frame


def _ignored(spec: LayerSpec, section: str, *, gis: bool = False, book: bool = False) -> list[str]:
    """Notes for keys given in the project that do not apply to this kind of file (said, not silently ignored)."""
    keys = {"sheet": spec.sheet is not None and not book, "header_row": spec.header_row is not None and gis,
            "sep": spec.sep is not None and (gis or book), "layer": spec.layer is not None and not gis}
    what = "a GIS layer" if gis else ("a workbook" if book else "a text table")
    notes = [f"{spec.path.name}: [{section}] {k} = does not apply to {what}: ignored" for k, on in keys.items() if on]
    for note in notes:
        log.warning("%s", note)
    return notes


# ------------------------------------------------------------------------------------------------ tables


_JSON_CHECK_BYTES = 50_000_000  # larger files go to GDAL unchecked (parsing them twice would be slow)
_GEOJSON_TYPES = ("FeatureCollection", "Feature", "Topology", "GeometryCollection", "Point", "MultiPoint",
                  "LineString", "MultiLineString", "Polygon", "MultiPolygon")


def _json_records(path: Path, section: str) -> pd.DataFrame | None:
    """A JSON list of flat records (an API export) as a table; None for GeoJSON; an error for other JSON."""
    import json

    if path.stat().st_size > _JSON_CHECK_BYTES:
        return None
    raw = path.read_bytes()
    enc = utf16_encoding(raw) or "utf-8-sig"
    try:
        data = json.loads(raw.decode(enc, errors="replace"))
    except json.JSONDecodeError as exc:
        msg = (f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}) — a truncated download "
               f"or a hand edit? [{section}]")
        raise InputError(msg, hint=_hints.EXPORT_AGAIN) from exc
    if isinstance(data, dict) and (data.get("type") in _GEOJSON_TYPES or "features" in data):
        return None
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        keys = list(dict.fromkeys(k for r in data for k in r))  # every record's keys, in order of appearance
        rows = [keys, *([r.get(k) for k in keys] for r in data)]
        table = _grid.to_frame(rows, source=path.name, where=str(path))
        frame = table.frame
        frame.attrs[LAYER_NOTES] = [f"{path.name}: a JSON list of {len(data)} records, read as a table (x = / y = "
                                    f"name its coordinate fields)"]
        frame.attrs[ROW_NOTES] = {}
        return frame
    top = ", ".join(list(data)[:8]) if isinstance(data, dict) else type(data).__name__
    msg = (f"{path}: JSON but not GeoJSON (no \"type\": \"FeatureCollection\"; top level: {top}) [{section}]")
    raise InputError(msg, hint=Hint(zh="把图层导出为 GeoJSON，或导出为带 x/y 列的数据表",
                                    en="export the layer as GeoJSON, or as a table with x/y columns"))


def _read_sheet(spec: LayerSpec, section: str, kind: str, wanted: list[str]) -> pd.DataFrame:
    path = spec.path
    suffix = path.suffix.lower()
    notes: list[str] = []
    if kind not in sn.TABLE_KINDS | {sn.JSON, sn.XML}:
        damaged = " (a damaged or truncated file?)" if kind == sn.BINARY else ""
        msg = (f"{path}: cannot read this file: the name says {suffix} but the file is {sn.describe(kind)}{damaged}")
        raise InputError(msg, hint=TODO.get(kind, Hint(zh="重新导出为 XLSX 或 CSV",
                                                       en="export the table again as XLSX or CSV")))
    expected = sn.TEXT if suffix in TEXT_SUFFIXES else (sn.OLE2 if suffix == ".xls" else sn.XLSX)
    if (kind != expected and kind in (sn.XLSX, sn.OLE2, sn.HTML)) or (kind == sn.TEXT and expected != sn.TEXT):
        notes.append(f"{path.name}: the name says {suffix} but the file is {sn.describe(kind)}: read as such; "
                     "give it the right suffix (or save it as .xlsx) to silence this")
        log.warning("%s", notes[-1])
    if kind == sn.XML and _sheets.is_spreadsheet_xml(path.read_bytes()[:4096]):
        kind = "spreadsheet-xml"
        notes.append(f"{path.name}: an Excel 2003 XML workbook (\"XML Spreadsheet\"): read as such; save it as "
                     ".xlsx to silence this")
        log.warning("%s", notes[-1])
    try:
        if kind in (sn.XLSX, sn.OLE2, sn.HTML, "spreadsheet-xml"):
            table = _read_book(spec, section, kind, wanted)
        else:
            table = _read_text(spec, wanted)
    except (InputError, LookupError, UnicodeDecodeError):
        raise
    except Exception as exc:  # openpyxl, xlrd and zipfile raise many types for a damaged file
        msg = f"{path}: cannot read this file: {exc} — the file is damaged or truncated?"
        raise InputError(msg, hint=_hints.RESAVE) from exc
    frame = table.frame
    notes += _ignored(spec, section, book=kind in (sn.XLSX, sn.OLE2, sn.HTML, "spreadsheet-xml"))
    frame.attrs[LAYER_NOTES] = notes + table.layer_notes
    frame.attrs[ROW_NOTES] = table.row_notes
    for note in table.layer_notes:
        log.info("%s", note)
    return frame


def _read_text(spec: LayerSpec, wanted: list[str]) -> _grid.Table:
    path, encoding = spec.path, spec.encoding
    sep = spec.sep or ("\t" if path.suffix.lower() == ".tsv" else None)
    try:
        grid = read_text_grid(path, encoding, sep)
    except LookupError as exc:
        msg = f"{path}: unknown encoding {encoding!r}"
        raise InputError(msg, hint=Hint(zh="写作 encoding = \"GBK\" 或 \"UTF-8\"",
                                        en="use e.g. encoding = \"GBK\" or \"UTF-8\"")) from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        msg = (f"{path}: line {line} is not valid {encoding}")
        raise InputError(msg,
                hint=Hint(zh=f"从项目文件中删去 encoding = {encoding!r}，让 geoplan 自动识别，或重新保存文件",
                          en=f"remove encoding = {encoding!r} from the project file to let geoplan detect it, or "
                             f"re-save the file")) from exc
    table = _grid.to_frame(grid.rows, source=path.name, wanted=wanted, header_row=spec.header_row,
                           row_notes=grid.row_notes, where=str(path), delimited=True)
    table.layer_notes[:0] = grid.layer_notes
    return table


def _read_book(spec: LayerSpec, section: str, kind: str, wanted: list[str]) -> _grid.Table:
    path = spec.path
    if kind == sn.XLSX:
        sheets = _sheets.read_xlsx(path)
    elif kind == sn.OLE2:
        sheets = _sheets.read_xls(path)
    elif kind == "spreadsheet-xml":
        sheets = _sheets.read_spreadsheet_xml(path)
    else:
        sheets = _sheets.read_html(path, _html_text(path.read_bytes()))
    name, rows = _pick_sheet(spec, section, sheets, wanted)
    sheet = f", sheet {name!r}" if len(sheets) > 1 or spec.sheet is not None else ""
    table = _grid.to_frame(rows, source=path.name + sheet, wanted=wanted, header_row=spec.header_row,
                           where=f"{path}{sheet}")
    if kind == sn.XLSX:
        _check_formulas(path, name, rows, table, wanted, f"{path}{sheet}")
    table.frame.attrs[SHEETS] = [n for n, _ in sheets]
    if len(sheets) > 1 and spec.sheet is None:
        others = ", ".join(repr(n) for n, _ in sheets[1:6]) + (" …" if len(sheets) > 6 else "")
        table.layer_notes.append(f"{path.name} has {len(sheets)} sheets: read the first, {name!r} (others: "
                                 f"{others}); set sheet = \"...\" in [{section}] to choose")
    return table


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def _html_text(raw: bytes) -> str:
    """An HTML page's text: UTF-16 by its bytes, UTF-8 when it decodes, else its declared charset, else GB18030."""
    utf16 = utf16_encoding(raw)
    if utf16 is not None:
        return raw.decode(utf16, errors="replace").removeprefix("\ufeff")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(raw[:4096])
    encoding = declared.group(1).decode("ascii") if declared else "gb18030"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "gb18030"
    if codecs.lookup(encoding).name in ("gb2312", "gbk"):
        encoding = "gb18030"
    return raw.decode(encoding, errors="replace")


def _has_columns(rows: list[list[Any]], wanted: list[str]) -> bool:
    names = {_grid.label(w) for w in wanted}
    return any(names <= {_grid.label(v) for v in row} for row in rows[:_grid.HEADER_SEARCH])


def _pick_sheet(spec: LayerSpec, section: str, sheets: list[_sheets.Sheet], wanted: list[str]) -> _sheets.Sheet:
    path, sheet = spec.path, spec.sheet
    names = [n for n, _ in sheets]
    listed = ", ".join(repr(n) for n in names)
    if isinstance(sheet, int):
        if 1 <= sheet <= len(sheets):
            return sheets[sheet - 1]
        msg = (f"{path}: no sheet number {sheet} (sheets are counted from 1; the workbook has {len(names)}: "
               f"{listed})")
        raise InputError(msg, hint=_hints.set_key("sheet", section, "<name>"))
    if isinstance(sheet, str):
        for n, rows in sheets:
            if n == sheet or n.strip().lower() == sheet.strip().lower():
                return n, rows
        msg = (f"{path}: no sheet {sheet!r}; sheets in the workbook: {listed}")
        raise InputError(msg, hint=_hints.set_key("sheet", section, "<one of them>"))
    first = sheets[0]
    if wanted and not _has_columns(first[1], wanted):
        holding = [n for n, rows in sheets[1:] if _has_columns(rows, wanted)]
        if holding:
            msg = (f"{path}: the columns of [{section}] are not on the first sheet {first[0]!r} but on sheet "
                   f"{holding[0]!r}")
            hint = _hints.set_key("sheet", section, holding[0])
            raise InputError(msg, hint=Hint(zh=f"{hint.zh}（工作簿中的表：{listed}）",
                                            en=f"{hint.en} (sheets in the workbook: {listed})"))
        if not any(first[1]) and len(sheets) > 1:
            msg = (f"{path}: the first sheet {first[0]!r} is empty (sheets in the workbook: {listed})")
            raise InputError(msg, hint=_hints.set_key("sheet", section, "<name>"))
    return first


def _check_formulas(path: Path, sheet: str, rows: list[list[Any]], table: _grid.Table, wanted: list[str],
                    source: str) -> None:
    """Formula cells of the wanted columns with no saved value are an error naming the cells."""
    frame, header_at = table.frame, table.header_at
    columns = [c for c in wanted if c in frame.columns]
    if not columns or frame.empty:
        return
    header = [_grid.label(v) for v in rows[header_at]]
    empty = []
    for column in columns:
        if column not in header:
            continue
        j = header.index(column)
        empty += [(header_at + 1 + i, j) for i, v in enumerate(frame[column]) if v is None]
    cells = _sheets.formula_cells(path, sheet, empty)
    if cells:
        shown = ", ".join(cells[:8]) + (f" … ({len(cells)} in all)" if len(cells) > 8 else "")
        msg = (f"{source}: cell(s) {shown} hold formulas with no saved value (the workbook was written by a program "
               "and never saved in Excel), so geoplan cannot read them")
        raise InputError(msg, hint=Hint(zh="在 Excel 或 WPS 中打开并保存，或粘贴为数值",
                                        en="open the file in Excel or WPS and save it, or paste the values"))
