"""Text encodings of Chinese input files: UTF-8, GBK/GB18030, or a mix of both.

Chinese tables come as UTF-8 (with or without BOM), as GBK from Excel and old ArcGIS, and — after someone has
pasted rows from one file into another — as both at once. Nothing here guesses silently: whatever was decoded
other than as UTF-8 is returned as a note, per layer and per row, for the output's ``flags``.
"""

from __future__ import annotations

import io
import logging
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


def _read(text: str, sep: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)


def read_csv_text(path: Path, encoding: str | None, sep: str) -> Decoded:
    """Read a CSV: in ``encoding`` when given, else UTF-8, else GBK, else cell by cell.

    Parameters
    ----------
    path : Path
        The file.
    encoding : str or None
        From the project file; when given it is used as is, and a byte it cannot decode is an error naming
        the line.
    sep : str
        Field separator.

    Raises
    ------
    UnicodeDecodeError
        Only when ``encoding`` is given and does not fit the file (the caller names the line).
    """
    raw = path.read_bytes()
    if encoding:
        return Decoded(_read(raw.decode(encoding), sep))
    body = raw.removeprefix(_BOM)
    try:
        return Decoded(_read(body.decode("utf-8"), sep))
    except UnicodeDecodeError:
        pass
    try:
        frame = _read(body.decode(GBK), sep)
        gbk_ok = True
    except UnicodeDecodeError:
        gbk_ok = False
    if gbk_ok and not _has_utf8_text(body):
        log.info("%s: not UTF-8, read as GBK/GB18030", path)
        return Decoded(frame, [f"{path.name}: not UTF-8, read as GBK (GB18030)"])
    return _decode_cells(path, body, sep)


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


def _decode_cells(path: Path, body: bytes, sep: str) -> Decoded:
    # Latin-1 maps bytes one to one, and the CSV's structural characters (, " \n \t) are ASCII bytes that never
    # occur inside a GBK or UTF-8 multi-byte character, so parsing the latin-1 text splits the file exactly as
    # parsing the properly decoded text would; each cell is then decoded on its own.
    frame = _read(body.decode("latin-1"), sep)
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

    header = [cell(str(c), -1) for c in frame.columns]
    values = frame.to_numpy(dtype=object)
    for (i, j), text in np.ndenumerate(values):
        values[i, j] = cell(str(text), i)
    out = pd.DataFrame(values, columns=header, index=frame.index)
    used = set().union(*row_enc.values()) if row_enc else set()
    notes: dict[int, str] = {}
    for row, encs in row_enc.items():
        if row < 0:
            continue
        if "undecodable" in encs:
            notes[row] = "text neither UTF-8 nor GBK: undecodable bytes shown as �; fix the file's encoding"
        elif GBK in encs and "utf-8" in used:
            notes[row] = "text read as GBK (the file mixes UTF-8 and GBK rows)"
    layer = [f"{path.name}: mixes encodings ({', '.join(sorted(used))}); each cell decoded on its own, "
             f"{len(notes)} row(s) flagged; re-save the file as UTF-8"]
    log.warning("%s", layer[0])
    return Decoded(out, layer, notes)


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
