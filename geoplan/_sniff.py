"""What a file really is, from its first bytes, whatever its name says.

Planners' files are often not what their suffix claims: an ``.xls`` exported by a web system is an HTML page,
a ``.csv`` renamed from ``.xlsx`` is a ZIP workbook, Excel's "Unicode text" is UTF-16, a ``.geojson`` from a
failed download is an error page. :func:`sniff` reads the magic bytes so that readers are chosen by content
and a mismatch is said in plain words (:func:`describe`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Final

from geoplan._encoding import utf16_encoding

#: Kinds :func:`sniff` returns.
EMPTY, XLSX, ZIP, OLE2, HTML, SQLITE, JSON, XML, SHP, PBF, FGB, PARQUET, PDF, TEXT, BINARY = (
    "empty", "xlsx", "zip", "ole2", "html", "sqlite", "json", "xml", "shp", "pbf", "fgb", "parquet", "pdf", "text",
    "binary")
#: Kinds read as tables (rows of cells) rather than through GDAL.
TABLE_KINDS: Final = frozenset((XLSX, OLE2, HTML, TEXT))

_DESCRIPTION: Final = {
    EMPTY: "an empty file (0 bytes, or only blanks)", XLSX: "an Excel workbook (.xlsx)",
    ZIP: "a ZIP archive", OLE2: "an old-style Excel workbook (.xls, OLE2)",
    HTML: "an HTML page", SQLITE: "a GeoPackage / SQLite database", JSON: "JSON text", XML: "XML text",
    SHP: "a Shapefile .shp", PBF: "an OpenStreetMap .pbf extract", FGB: "a FlatGeobuf file",
    PARQUET: "a (Geo)Parquet file", PDF: "a PDF document", TEXT: "delimited text (CSV)",
    BINARY: "binary data of no format geoplan knows",
}


def describe(kind: str) -> str:
    """Plain words for a kind (``"an HTML page"``)."""
    return _DESCRIPTION.get(kind, kind)


def sniff(path: Path) -> str:
    """The kind of ``path``'s content: one of the constants of this module.

    Parameters
    ----------
    path : Path
        A regular file.

    Returns
    -------
    str
        ``xlsx`` (a ZIP holding ``xl/``), ``zip`` (any other ZIP), ``ole2`` (.xls, or an encrypted workbook),
        ``html``, ``sqlite``, ``json``, ``xml``, ``shp``, ``pbf``, ``fgb``, ``parquet``, ``pdf``, ``text``
        (UTF-8, GBK or UTF-16 text), ``binary`` or ``empty``.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        return EMPTY
    magic = {b"PK\x03\x04": ZIP, b"\xd0\xcf\x11\xe0": OLE2, b"%PDF": PDF, b"PAR1": PARQUET}
    for sig, kind in magic.items():
        if head.startswith(sig):
            return _zip_kind(path) if kind == ZIP else kind
    if head.startswith(b"SQLite format 3\x00"):
        return SQLITE
    if head[:4] == b"\x00\x00\x27\x0a":
        return SHP
    if head.startswith(b"fgb"):
        return FGB
    if b"OSMHeader" in head[:64]:
        return PBF
    return _text_kind(head)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return ZIP  # a damaged archive: the reader says so
    return XLSX if any(n.startswith("xl/") for n in names) else ZIP


def _text_kind(head: bytes) -> str:
    utf16 = utf16_encoding(head)
    if utf16 is not None:
        text = head.decode(utf16, errors="replace")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
        control = sum(1 for b in head if b < 9 or 13 < b < 32)
        if control > 0.05 * len(head):
            return BINARY
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in start:
        return XML  # Excel 2003 "XML Spreadsheet": its <Table> is not HTML's
    if start.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) \
            or (start.startswith("<") and "<table" in start[:2000]):
        return HTML
    if start.startswith("<?xml") or start.startswith("<"):
        return HTML if "<html" in start[:500] else XML
    if start.startswith(("{", "[")):
        return JSON
    return TEXT


def zip_members(path: Path) -> list[str]:
    """The file names in a ZIP archive (empty when it cannot be opened)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [n for n in zf.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError):
        return []
