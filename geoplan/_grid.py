"""Turn a sheet as planners keep it (rows of cells) into a table with one header row.

Spreadsheets come with a title row ("某区小区名单（2023年）") above the header, a two-row header whose upper row
is merged cells, blank trailing columns (a CSV line ending in ``,``), the header repeated on every printed
page, and blank rows at the end. Every sheet geoplan reads (CSV, XLSX, XLS, an HTML table) goes through
:func:`to_frame`, so each of these is handled the same way for every format: the header row is found by the
column names the project maps (or given as ``header_row = N``), and whatever was done is said in a note.
Two columns with the same name are refused: which one a field means would be a guess.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geoplan._errors import Hint, InputError

#: Rows searched for the header when it is not the first.
HEADER_SEARCH = 30


@dataclass
class Table:
    """A sheet read into a frame: the data rows, and notes about the sheet and about rows (0-based data row)."""

    frame: pd.DataFrame
    layer_notes: list[str] = field(default_factory=list)
    row_notes: dict[int, str] = field(default_factory=dict)
    header_at: int = 0  #: 0-based row of the header in the sheet


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def label(value: Any) -> str:
    """A header cell as a column name: blanks collapsed, invisible characters gone.

    A line break typed in a Chinese header (Alt+Enter in Excel) is joined without a space ("户数\\n（户）" →
    "户数（户）"), one between ASCII words with a space ("area\\nm2" → "area m2").
    """
    if _blank(value):
        return ""
    parts = [" ".join(line.split()) for line in str(value).translate(_INVISIBLE).splitlines()]
    out = ""
    for part in filter(None, parts):
        out += part if not out or not (out[-1].isascii() and part[0].isascii()) else " " + part
    return out


def find_header(rows: Sequence[Sequence[Any]], wanted: Collection[str]) -> int:
    """0-based index of the header row: the first row holding every wanted name, else the first wide row.

    A row holding most (but not all) wanted names also counts when no row holds them all, so that a typo in
    one name still finds the header (and the missing column is then reported by name).
    """
    head = rows[:HEADER_SEARCH]
    names = {" ".join(w.split()) for w in wanted}
    if names:
        hits = [len(names & {label(v) for v in row}) for row in head]
        if hits and max(hits) > 0:
            best = max(hits)
            if best == len(names) or best >= max(2, len(names) // 2):
                return hits.index(best)
    # A title row holds at most one distinct text (a merged title fills every cell it spans with the same one)
    # above rows of several: skip such rows.
    filled = [len({label(v) for v in row} - {""}) for row in head]
    widest = max(filled, default=0)
    if widest < 2:
        return 0
    return next(i for i, n in enumerate(filled) if n >= 2)


def to_frame(rows: Sequence[Sequence[Any]], *, source: str, wanted: Collection[str] = (),
             header_row: int | None = None, row_notes: dict[int, str] | None = None, where: str | None = None,
             delimited: bool = False) -> Table:
    """Build the table of a sheet.

    Parameters
    ----------
    rows : sequence of sequences
        Every row of the sheet (ragged allowed), cells as read (text, numbers, dates, None).
    source : str
        How notes name the sheet (``"小区.xlsx, sheet 'Sheet1'"``).
    wanted : collection of str
        Column names the project maps: the header is the row holding them.
    header_row : int, optional
        1-based row of the header, from the project file; default: found.
    row_notes : dict, optional
        Notes by 0-based row of ``rows`` (decoding), moved to the data rows.
    where : str, optional
        How errors name the sheet (with the file's full path); default ``source``.
    delimited : bool
        The rows come from delimited text: a row with more values than the header has names (a separator
        inside an unquoted value) has its values shifted, so they are read as missing and the row flagged.

    Raises
    ------
    InputError
        ``header_row`` beyond the sheet, or two columns with the same name.
    """
    notes: list[str] = []
    where = where or source
    if header_row is not None:
        if header_row > len(rows):
            msg = f"{where}: header_row = {header_row}, but the sheet has {len(rows)} rows"
            raise InputError(msg, hint=Hint(zh="修改 header_row（表头所在的行号）", en="fix header_row"))
        start = header_row - 1
    else:
        start = find_header(rows, wanted) if rows else 0
        if start:
            notes.append(f"{source}: header found on row {start + 1} ({start} title row(s) above skipped); "
                         f"set header_row = {start + 1} to make it explicit")
    width = max((len(r) for r in rows), default=0)
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    header = [label(v) for v in grid[start]] if grid else []
    body = grid[start + 1:]
    # Trailing blank rows (Excel keeps formatted empty rows) are not data.
    while body and all(_blank(v) for v in body[-1]):
        body.pop()
    keep = [j for j, name in enumerate(header) if name or any(not _blank(r[j]) for r in body)]
    header = [header[j] or f"column {j + 1}" for j in keep]
    _refuse_duplicates(header, where)
    data = [[r[j] for j in keep] for r in body]
    moved = {i - start - 1: n for i, n in (row_notes or {}).items() if i > start and i - start - 1 < len(data)}
    if delimited:
        width_named = max((j + 1 for j, h in enumerate(grid[start]) if not _blank(h)), default=0)
        _overlong_rows(rows[start + 1: start + 1 + len(data)], data, width_named, moved)
    _repeated_headers(data, header, moved)
    frame = pd.DataFrame(data, columns=header, dtype=object) if header else pd.DataFrame()
    return Table(frame, notes, moved, start)


def _refuse_duplicates(header: list[str], source: str) -> None:
    seen: dict[str, list[int]] = {}
    for j, name in enumerate(header):
        seen.setdefault(name, []).append(j + 1)
    dup = {n: cols for n, cols in seen.items() if len(cols) > 1}
    if dup:
        listed = "; ".join(f"{n!r} (columns {', '.join(map(str, cols))})" for n, cols in dup.items())
        msg = (f"{source}: two columns have the same name: {listed}; which one a field means would be a guess")
        raise InputError(msg, hint=Hint(zh="在文件中给其中一列改名", en="rename one of them in the file"))


def _overlong_rows(raw: Sequence[Sequence[Any]], data: list[list[Any]], named: int, notes: dict[int, str]) -> None:
    """Flag rows of delimited text with values beyond the header's last name: their values are shifted."""
    for i, row in enumerate(raw):
        used = len(row)
        while used and _blank(row[used - 1]):
            used -= 1
        if named and used > named:
            text = (f"{used} values but the header has {named} columns (a separator inside an unquoted value?): "
                    "the values are shifted, so they are read as missing; quote the value or fix the row")
            notes[i] = f"{notes[i]}; {text}" if i in notes else text
            data[i] = [None] * len(data[i])


#: A cell holding only one of these marks a total row (合计 at the foot of a table), not a community.
TOTAL_LABELS = frozenset(("合计", "总计", "小计", "总和", "共计", "合计：", "总计：", "total", "sum", "grand total"))


def _repeated_headers(data: list[list[Any]], header: list[str], notes: dict[int, str]) -> None:
    """Flag rows repeating the header (a sheet printed with the header on every page) and total rows (合计).

    Both are kept in their place (every input row is in every output) with their values read as missing, so
    that a total never counts as one more, very large, community.
    """
    named = [(j, n) for j, n in enumerate(header) if not n.startswith("column ")]
    for i, row in enumerate(data):
        same = sum(label(row[j]) == n for j, n in named)
        total = next((label(v) for v in row if label(v).replace(" ", "").lower() in TOTAL_LABELS), None)
        if len(named) >= 2 and same >= max(2, len(named) // 2 + 1):
            text = "a repeat of the header row (no data): its values are read as missing"
        elif total is not None:
            text = f"a total row ({total!r}), not a community: its values are read as missing"
        else:
            continue
        notes[i] = f"{notes[i]}; {text}" if i in notes else text
        data[i] = [None] * len(row)
