"""GIS layers through GDAL (pyogrio), after checking what the file is.

Before GDAL sees a file: a path that is a folder lists the layer files in it; content that is not what the
suffix says (an HTML page named ``.geojson``, a ZIP named ``.gpkg``) is named as what it is; a Shapefile's
``.shx`` and ``.dbf`` siblings are checked, and a ZIP's Shapefiles too; a multi-layer file's layers are listed
with their geometry types, and a street network takes the only line layer. Used by
:func:`geoplan._inputs.read_layer` for every GIS input and by :func:`geoplan.network.read_lines`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from geoplan import _hints
from geoplan import _sniff as sn
from geoplan._encoding import sniff_dbf_encoding
from geoplan._errors import Hint, InputError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset((".csv", ".txt", ".tsv"))
BOOK_SUFFIXES = frozenset((".xlsx", ".xlsm", ".xls"))
GIS_SUFFIXES = frozenset((".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".gml", ".tab", ".mif", ".sqlite",
                          ".zip", ".parquet", ".geojsonl", ".geojsons", ".gdb", ".dxf"))
_LINES = ("LineString", "MultiLineString", "LineString Z", "MultiLineString Z", "LineString M",
          "MultiLineString M", "LineString ZM", "MultiLineString ZM", "Unknown", "Geometry")
#: What to do with a file that holds this kind of content where another was expected.
TODO = {
    sn.SQLITE: Hint(zh="把文件名改为 .gpkg", en="give it a .gpkg name"),
    sn.ZIP: Hint(zh="解压后给出其中的文件", en="unzip it and give the file inside"),
    sn.PDF: Hint(zh="改为导出 XLSX 或 CSV 数据表", en="export the table as XLSX or CSV instead"),
    sn.HTML: Hint(zh="重新下载或导出数据（保存的可能是登录页或错误页）", en="download or export the data again"),
    sn.BINARY: Hint(zh="重新导出为 CSV、XLSX、GeoJSON、GeoPackage 或 Shapefile",
                    en="export the layer again as CSV, XLSX, GeoJSON, GeoPackage or Shapefile"),
}


def check_path(path: Path, section: str) -> None:
    """The path exists, is a file (or a FileGDB folder) and is not empty; else an error saying what to give."""
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputError(msg, hint=_hints.check_path(section))
    if path.is_dir() and path.suffix.lower() != ".gdb":
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in
                        TEXT_SUFFIXES | BOOK_SUFFIXES | GIS_SUFFIXES | {".pbf", ".osm", ".bz2", ".gz"})
        found = f"files there: {', '.join(inside[:10])}" if inside else "no layer file in it"
        msg = f"{path}: is a folder, not a file ({found})"
        raise InputError(msg, hint=Hint(zh=f"在 [{section}] 的 path = \"...\" 中给出文件本身",
                                        en=f"give the file itself in [{section}] path = \"...\""))
    if path.is_file() and sn.sniff(path) == sn.EMPTY:
        size = path.stat().st_size
        what = "0 bytes" if size == 0 else f"{size} bytes, all blank"
        msg = f"{path}: the file is empty ({what})"
        raise InputError(msg, hint=_hints.EXPORT_AGAIN)


# --------------------------------------------------------------------------------------------------- GIS


def _sibling(shp: Path, ext: str) -> Path | None:
    for candidate in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if candidate.exists():
            return candidate
    return None


def _check_shapefile(path: Path, section: str, need_attributes: bool) -> None:
    missing = [ext for ext in (".shx", ".dbf") if _sibling(path, ext) is None and (ext == ".shx" or need_attributes)]
    if missing:
        what = {".shx": "its index (.shx)", ".dbf": "its attribute table (.dbf), which holds the fields"}
        msg = (f"{path}: the Shapefile is missing {' and '.join(what[m] for m in missing)}; a Shapefile is several "
               "files of the same name (.shp .shx .dbf .prj .cpg)")
        raise InputError(msg,
                hint=Hint(zh=f"把同名的各个文件都复制到 {path.name} 旁边，或把图层导出为 GeoPackage 并在 "
                             f"[{section}] path 中给出",
                          en=f"copy them all next to {path.name}, or export the layer as "
                             f"GeoPackage and give that in [{section}] path"))


def _check_zip(path: Path, section: str) -> None:
    members = sn.zip_members(path)
    shps = [m for m in members if m.lower().endswith(".shp")]
    for shp in shps:
        stem = shp[:-4].lower()
        missing = [ext for ext in (".shx", ".dbf") if f"{stem}{ext}" not in {m.lower() for m in members}]
        if missing:
            msg = (f"{path}: the archive holds {shp} without {' and '.join(missing)} [{section}]")
            raise InputError(msg, hint=Hint(zh="把 Shapefile 的全部文件（.shp .shx .dbf .prj .cpg）放进压缩包",
                                            en="put every file of the Shapefile (.shp .shx .dbf .prj .cpg) in "
                                               "the archive"))
    if not shps and not any(m.lower().endswith(tuple(GIS_SUFFIXES | {".csv"})) for m in members):
        listed = ", ".join(members[:8]) or "nothing"
        msg = f"{path}: the archive holds no GIS layer ({listed}) [{section}]"
        raise InputError(msg, hint=Hint(zh="解压后给出其中的图层文件", en="unzip it and give the layer file"))


def _check_content(path: Path, kind: str, section: str) -> None:
    """A GIS suffix over content that is not that format: say what the file really holds."""
    suffix = path.suffix.lower()
    expected = {".geojson": sn.JSON, ".json": sn.JSON, ".gpkg": sn.SQLITE, ".sqlite": sn.SQLITE, ".shp": sn.SHP,
                ".zip": sn.ZIP, ".fgb": sn.FGB, ".parquet": sn.PARQUET, ".kml": sn.XML, ".gml": sn.XML}.get(suffix)
    if expected is None or kind == expected:
        return
    todo = TODO.get(kind, _hints.EXPORT_AGAIN)
    if kind in (sn.XLSX, sn.OLE2, sn.TEXT):
        todo = Hint(zh="若是数据表，用它自己的后缀（.xlsx、.csv）并给出 x = / y = 列",
                    en="if it is a table, give it its own suffix (.xlsx, .csv) and x = / y = columns")
    msg = f"{path}: the name says {suffix} but the file is {sn.describe(kind)}, not {sn.describe(expected)} [{section}]"
    raise InputError(msg, hint=todo)


def list_layers(path: Path) -> list[tuple[str, str]]:
    """``(name, geometry type)`` of every layer of a GIS file."""
    return [(str(n), str(g)) for n, g in pyogrio.list_layers(path)]


def _pick_layer(path: Path, layer: str | int | None, section: str, lines: bool) -> tuple[str | None, list[str]]:
    """The layer to read (None: the only one) and notes; an error lists the layers and says ``layer =``."""
    layers = list_layers(path)
    if not layers:
        msg = f"{path}: the file holds no layer [{section}]"
        raise InputError(msg, hint=_hints.EXPORT_AGAIN)
    listed = ", ".join(f"{n} ({g})" for n, g in layers)
    if isinstance(layer, int) and not isinstance(layer, bool) and 0 <= layer < len(layers):
        return layers[layer][0], []  # an index, as GDAL takes it (0-based)
    if layer is not None:
        if layer not in [n for n, _ in layers]:
            msg = (f"{path}: no layer {layer!r}; layers in the file: {listed}")
            raise InputError(msg, hint=_hints.set_key("layer", section, "<one of them>"))
        return layer, []
    if len(layers) <= 1 and not lines:
        return None, []
    if lines:
        line_layers = [n for n, g in layers if g in _LINES]
        if len(layers) == 1 and line_layers:
            return None, []
        if len(line_layers) == 1:
            note = f"{path.name}: street lines read from layer {line_layers[0]!r}, the only line layer ({listed})"
            log.info("%s", note)
            return line_layers[0], [note]
        if not line_layers:
            msg = (f"{path}: no line layer for the streets (layers in the file: {listed}); a street network needs "
                   "LineString geometries")
            hint = Hint(zh=f"在 [{section}] path 中给出道路中心线图层或 OSM 数据",
                        en=f"give the road-centreline layer or an OSM extract in [{section}] path")
        else:
            msg = f"{path}: {len(line_layers)} line layers; layers in the file: {listed}"
            hint = Hint(zh=f"在 [{section}] 中设置 layer = \"<name>\"，指明哪一层是道路",
                        en=f"set layer = \"<name>\" in [{section}] to say which holds the streets")
        raise InputError(msg, hint=hint)
    note = (f"{path.name} has {len(layers)} layers ({listed}): read the first, {layers[0][0]!r}; set layer = \"...\" "
            f"in [{section}] to choose")
    log.warning("%s", note)
    return layers[0][0], [note]


def read_vector(path: Path, *, section: str, layer: str | int | None = None, encoding: str | None = None,
                need_attributes: bool = True, lines: bool = False,
                columns: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read a GIS layer through GDAL after checking what the file is; returns the frame and layer notes.

    Parameters
    ----------
    path : Path
        The file (or FileGDB folder).
    section : str
        Its section in the project file, for messages.
    layer : str, optional
        From ``layer =``; default the only layer, or for ``lines`` the only line layer.
    encoding : str, optional
        Text encoding; for a Shapefile without ``.cpg`` it is detected (and noted).
    need_attributes : bool
        A Shapefile's ``.dbf`` is required.
    lines : bool
        The layer is a street network: the line layer is picked among several.
    columns : list of str, optional
        Read only these attribute columns (``[]``: geometry only).

    Raises
    ------
    InputError
        Missing siblings, wrong content, no such layer, a file GDAL cannot read.
    """
    check_path(path, section)
    kind = sn.sniff(path) if path.is_file() else "folder"
    if kind != "folder":
        _check_content(path, kind, section)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix == ".shp":
        _check_shapefile(path, section, need_attributes)
        if _sibling(path, ".dbf") is None and not lines:
            notes.append(f"{path.name}: no .dbf next to it: geometry only, no attributes read")
    elif kind == sn.ZIP:
        _check_zip(path, section)
    try:
        chosen, layer_notes = _pick_layer(path, layer, section, lines)
        notes += layer_notes
        kwargs: dict[str, Any] = {} if chosen is None else {"layer": chosen}
        if columns is not None:
            kwargs["columns"] = columns
        if encoding is None and suffix == ".shp":
            encoding = sniff_dbf_encoding(path)
            if encoding is not None:
                notes.append(f"{path.name}: no .cpg file; text read as {encoding} (detected); add a .cpg holding "
                             f"{encoding} or set encoding = \"{encoding}\"")
                log.warning("%s", notes[-1])
        if encoding:
            kwargs["encoding"] = encoding
        try:
            frame = pyogrio.read_dataframe(path, **kwargs)
        except UnicodeDecodeError:
            frame = _read_undecodable(path, kwargs, notes)
    except InputError:
        raise
    except Exception as exc:  # GDAL, sqlite and zipfile raise many types for a bad file
        msg = f"{path}: cannot read this file: {_why(exc)}"
        raise InputError(msg, hint=_hints.EXPORT_AGAIN) from exc
    return frame, notes


def _why(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    if any(s in low for s in ("malformed", "not a database", "truncated", "badzipfile", "not a zip file",
                              "not recognized as", "failed to read", "corrupt")):
        return f"{text} — the file is damaged or truncated (an interrupted copy or download?); copy or export it again"
    if isinstance(exc, pyogrio.errors.DataLayerError):
        return f"{text} — check layer = in the project file"
    return f"{text} — check that it opens in QGIS"


def _read_undecodable(path: Path, kwargs: dict[str, Any], notes: list[str]) -> pd.DataFrame:
    """Read a layer GDAL cannot decode: typically Chinese field names cut mid-character at the DBF's 10 bytes."""
    encoding = kwargs.get("encoding") or sniff_dbf_encoding(path) or "UTF-8"
    # ISO-8859-1 maps bytes one to one, so every name and value is read; each is then decoded on its own.
    frame = pyogrio.read_dataframe(path, **{**kwargs, "encoding": "ISO-8859-1"})

    def decode(text: object) -> object:
        return text.encode("latin-1").decode(encoding, errors="replace") if isinstance(text, str) else text

    names = {c: decode(c) for c in frame.columns if c != "geometry"}
    frame = frame.rename(columns=names)
    for column in names.values():
        if frame[column].dtype == object:
            frame[column] = frame[column].map(decode)
    cut = [str(n) for n in names.values() if "\ufffd" in str(n)]
    notes.append(f"{path.name}: text not valid {encoding}; undecodable bytes shown as �"
                 + (f" (field names cut by the Shapefile's 10-byte limit: {', '.join(cut)})" if cut else ""))
    log.warning("%s", notes[-1])
    return frame
