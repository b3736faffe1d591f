"""Text encodings of Chinese input files: UTF-8, GBK/GB18030, UTF-16, or a mix of UTF-8 and GBK.

Chinese tables come as UTF-8 (with or without BOM), as GBK from Excel and old ArcGIS, as UTF-16 from Excel's
"Unicode text", and — after someone has pasted rows from one file into another — as UTF-8 and GBK at once.
:func:`read_text_grid` decodes a delimited text file into rows of cells (separator detected or given).
Nothing here guesses silently: whatever was decoded other than as UTF-8 is returned as a note, per layer and
per row, for the output's ``flags``.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

GBK = "gb18030"  # a superset of GBK and GB2312, so every GBK file decodes the same
_BOM = b"\xef\xbb\xbf"


@dataclass
class Decoded:
    """A table read from bytes, and what had to be done to read it.

    Attributes
    ----------
    frame : DataFrame
        All cells as strings (``""`` for empty).
    layer_notes : list of str
        Notes about the whole file ("read as GBK").
    row_notes : dict
        Row position (0-based) → note, for rows decoded differently from the rest.
    """

    frame: pd.DataFrame
    layer_notes: list[str] = field(default_factory=list)
    row_notes: dict[int, str] = field(default_factory=dict)


@dataclass
class Grid:
    """A delimited text file as rows of cells, and what had to be done to read it.

    Attributes
    ----------
    rows : list of list of str
        Every line of the file as cells (ragged rows kept as they are).
    sep : str
        The field separator used.
    layer_notes : list of str
        Notes about the whole file (encoding guessed, separator detected ...).
    row_notes : dict
        Line position (0-based, counting the header) → note, for lines decoded differently from the rest.
    """

    rows: list[list[str]]
    sep: str
    layer_notes: list[str] = field(default_factory=list)
    row_notes: dict[int, str] = field(default_factory=dict)


#: Separators tried when a table's separator is not given, in order of preference on a tie.
SEPARATORS = (",", "\t", ";", "|")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_EXCEL_SEP = re.compile(r"\A\ufeff?\"?sep=(.)\"?[^\n]*\r?\n")


def utf16_encoding(raw: bytes) -> str | None:
    """``"utf-16"`` when ``raw`` is UTF-16 text (with a BOM, or ASCII-range text with every other byte NUL)."""
    if raw[:2] in _UTF16_BOMS:
        return "utf-16"
    head = raw[:2000]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    # UTF-8 and GBK text never hold NUL bytes; UTF-16 puts one beside every ASCII character (",", "\n", digits),
    # on the odd bytes (little-endian) or the even ones (big-endian).
    if odd >= max(2, 0.1 * len(head) / 2) and even <= 0.02 * len(head) / 2:
        return "utf-16-le"
    if even >= max(2, 0.1 * len(head) / 2) and odd <= 0.02 * len(head) / 2:
        return "utf-16-be"
    return None


def read_csv_text(path: Path, encoding: str | None, sep: str) -> Decoded:
    """Read a CSV whose first line is its header (see :func:`read_text_grid` for the decoding).

    Raises
    ------
    UnicodeDecodeError
        Only when ``encoding`` is given and does not fit the file (the caller names the line).
    """
    grid = read_text_grid(path, encoding, sep)
    width = max((len(r) for r in grid.rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in grid.rows]
    frame = pd.DataFrame(rows[1:], columns=rows[0] if rows else [], dtype=object) if rows else pd.DataFrame()
    notes = {i - 1: n for i, n in grid.row_notes.items() if i > 0}
    return Decoded(frame, grid.layer_notes, notes)


def read_text_grid(path: Path, encoding: str | None, sep: str | None) -> Grid:
    """Read a delimited text file: in ``encoding`` when given, else UTF-8 / UTF-16 (by BOM), GBK, or cell by cell.

    Parameters
    ----------
    path : Path
        The file.
    encoding : str or None
        From the project file; when given it is used as is, and a byte it cannot decode is an error naming
        the line.
    sep : str or None
        Field separator; None detects it from the first lines (``,`` tab ``;`` ``|``).

    Raises
    ------
    UnicodeDecodeError
        Only when ``encoding`` is given and does not fit the file (the caller names the line).
    """
    raw = path.read_bytes()
    notes: list[str] = []
    cells_mixed = False
    bom = "utf-8" if raw.startswith(_BOM) else ("utf-16" if raw[:2] in _UTF16_BOMS else None)
    if encoding and bom and codecs.lookup(encoding).name != codecs.lookup(bom).name \
            and not codecs.lookup(encoding).name.startswith(bom):
        # A byte-order mark is unambiguous: it wins over a declared encoding that contradicts it.
        notes.append(f"{path.name}: encoding = {encoding!r} declared, but the file starts with a {bom.upper()} "
                     f"byte-order mark: read as {bom.upper()}")
        encoding = bom
    if encoding:
        family = codecs.lookup(encoding).name
        # GB2312 and GBK files hold characters of GB18030 now and then (生僻字 in names): read with the superset.
        text = raw.decode(GBK if family in ("gb2312", "gbk") else encoding).removeprefix("\ufeff")
    elif (utf16 := utf16_encoding(raw)) is not None:
        text = raw.decode(utf16, errors="replace").removeprefix("\ufeff")
        notes.append(f"{path.name}: UTF-16 text (Excel's \"Unicode text\"), read as such")
    else:
        body = raw.removeprefix(_BOM)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = body.decode(GBK)
                gbk_ok = True
            except UnicodeDecodeError:
                gbk_ok = False
            if gbk_ok and not _has_utf8_text(body):
                log.info("%s: not UTF-8, read as GBK/GB18030", path)
                notes.append(f"{path.name}: not UTF-8, read as GBK (GB18030)")
            else:
                # Latin-1 maps bytes one to one, and the structural characters (, ; | " \n \t) are ASCII bytes
                # that never occur inside a GBK or UTF-8 multi-byte character, so parsing the latin-1 text splits
                # the file exactly as parsing the properly decoded text would; each cell is decoded on its own.
                text = body.decode("latin-1")
                cells_mixed = True
    hint = _EXCEL_SEP.match(text)
    if hint:  # Excel's "sep=;" first line names the separator
        text = text[hint.end():]
        sep = sep or hint.group(1)
    if sep is None:
        sep = sniff_separator(text)
        if sep != ",":
            notes.append(f"{path.name}: fields separated by {_sep_name(sep)} (detected); set sep = to override")
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep)]
    rows = [r for r in rows if r]  # csv gives [] for a blank line
    if not cells_mixed:
        return Grid(rows, sep, notes)
    return _decode_cells(path, rows, sep, notes)


def _sep_name(sep: str) -> str:
    return {"\t": "tabs", ";": "semicolons", "|": "vertical bars", ",": "commas"}.get(sep, repr(sep))


def sniff_separator(text: str, lines: int = 50) -> str:
    """The separator that splits the first non-blank lines into the same number (> 1) of fields most often."""
    head = [line for line in text.splitlines()[: lines * 2] if line.strip()][:lines]
    if not head:
        return ","
    best, best_score = ",", (0.0, 0)
    for sep in SEPARATORS:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(head)), delimiter=sep)]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = (wide.count(mode) / len(counts), mode)
        if score[0] > best_score[0] + 1e-9:
            best, best_score = sep, score
    return best


def _has_utf8_text(body: bytes) -> bool:
    """Whether some line is non-ASCII and valid UTF-8 (a file that is GBK throughout has none, in practice)."""
    for line in body.splitlines():
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _decode_cells(path: Path, rows: list[list[str]], sep: str, notes_: list[str]) -> Grid:
    row_enc: dict[int, set[str]] = {}

    def cell(text: str, row: int) -> str:
        data = text.encode("latin-1")
        if data.isascii():
            return text
        for enc in ("utf-8", GBK):
            try:
                out = data.decode(enc)
            except UnicodeDecodeError:
                continue
            row_enc.setdefault(row, set()).add(enc)
            return out
        row_enc.setdefault(row, set()).add("undecodable")
        return data.decode(GBK, errors="replace")

    out = [[cell(text, i) for text in row] for i, row in enumerate(rows)]
    used = set().union(*row_enc.values()) if row_enc else set()
    notes: dict[int, str] = {}
    for row, encs in row_enc.items():
        if "undecodable" in encs:
            notes[row] = "text neither UTF-8 nor GBK: undecodable bytes shown as �; fix the file's encoding"
        elif GBK in encs and "utf-8" in used:
            notes[row] = "text read as GBK (the file mixes UTF-8 and GBK rows)"
    flagged = sum(1 for r in notes if r > 0)
    layer = f"{path.name}: mixes encodings ({', '.join(sorted(used))}); each cell decoded on its own, " \
            f"{flagged} row(s) flagged; re-save the file as UTF-8"
    log.warning("%s", layer)
    return Grid(out, sep, [*notes_, layer], notes)


def sniff_dbf_encoding(shp: Path) -> str | None:
    """The encoding of a shapefile's text when it has no ``.cpg`` and the text is not ASCII.

    GDAL reads a shapefile without ``.cpg`` (and without a language-driver byte) as ISO-8859-1, which turns
    GBK or UTF-8 Chinese into mojibake. The character fields of the ``.dbf`` are tried as UTF-8, then GB18030.

    Returns
    -------
    str or None
        ``"UTF-8"`` or ``"GB18030"``; None when a ``.cpg`` exists, the text is ASCII, or neither fits.
    """
    if any(shp.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    cells = [c for c in _dbf_text_cells(dbf.read_bytes()) if not c.isascii()]
    if not cells:
        return None
    for enc, name in (("utf-8", "UTF-8"), (GBK, "GB18030")):
        # UTF-8 first: it is strict, while GB18030 accepts most UTF-8 byte runs (as mojibake). A few cells may
        # fail either way where a tool cut a character at the field width.
        if sum(_decodes(c, enc) for c in cells) >= 0.9 * len(cells):
            return name
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _dbf_text_cells(raw: bytes, limit: int = 5000) -> list[bytes]:
    """Field names and character-field cells of the first ``limit`` records of a dBASE file."""
    if len(raw) < 32:
        return []
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    cells: list[bytes] = []
    slices: list[tuple[int, int]] = []
    offset = 1  # after the deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(raw)) and raw[pos] != 0x0D:
        desc = raw[pos:pos + 32]
        cells.append(desc[:11].split(b"\x00", 1)[0])
        if desc[11:12] == b"C":
            slices.append((offset, offset + desc[16]))
        offset += desc[16]
        pos += 32
    if not record_len:
        return cells
    n = max(0, min(n_records, limit, (len(raw) - header_len) // record_len))
    records = np.frombuffer(raw, dtype=np.uint8, count=n * record_len, offset=header_len).reshape(n, record_len)
    for a, b in slices:
        if b <= record_len:
            cells += [row.tobytes().rstrip(b" \x00") for row in records[:, a:b]]
    return cells
