"""ESRI Shapefile output: short DBF field names with their table beside, encodings ArcGIS reads, DBF limits.

Field names follow the scheme of :mod:`geoplan.outputs._fieldnames`. ``.cpg``: ``UTF-8``, or ``936`` with the
DBF language driver byte 0x4D for GBK (what ArcGIS 10.2 and older read first). Numbers use GDAL's DBF
defaults (integers N(18,0), reals N(24,15), fitted for large values); counts with a missing value stay
integers; missing numbers are null. Text longer than the 254-byte DBF limit is cut at a character boundary
and ends in "…"; the row's ``TRUNCATED`` field names the cut fields.
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from geoplan import _hints
from geoplan._errors import Hint, InputError, OutputError
from geoplan.outputs._atomic import replacing
from geoplan.outputs._fieldnames import describe, shapefile_names
from geoplan.outputs._tables import clean_layer, reproject, resolve_crs, write_csv

log = logging.getLogger(__name__)

#: Files of a Shapefile besides the ``.shp``, moved into place with it.
SIDECARS: Final = (".shx", ".dbf", ".prj", ".cpg")

#: DBF text fields hold at most this many bytes.
DBF_MAX_BYTES: Final = 254
_TRUNCATED: Final = "truncated_fields"
_ELLIPSIS: Final = "…"
#: encoding → (Python codec, .cpg content, DBF language driver id or None).
_ENCODINGS: Final = {"utf-8": ("utf-8", "UTF-8", None), "gbk": ("gbk", "936", 0x4D)}
_ENCODING_ALIASES: Final = {"utf8": "utf-8", "gbk": "gbk", "cp936": "gbk", "936": "gbk", "gb2312": "gbk"}


@dataclass(frozen=True)
class ShapefileWritten:
    """What :func:`write_shapefile` wrote.

    Attributes
    ----------
    path : Path
        The ``.shp`` (``.shx``, ``.dbf``, ``.prj``, ``.cpg`` beside it).
    fields_path : Path
        ``<name>_fields.csv``: short name, full name, description of every field.
    field_names : dict
        Full column name → DBF field name, in column order.
    encoding : str
        ``"utf-8"`` or ``"gbk"``.
    crs : pyproj.CRS or None
        The CRS of the coordinates (and of the ``.prj``).
    truncated : dict
        Full column name → number of values cut to 254 bytes (empty when none).
    """

    path: Path
    fields_path: Path
    field_names: dict[str, str]
    encoding: str
    crs: pyproj.CRS | None
    truncated: dict[str, int] = field(default_factory=dict)


def check_encoding(encoding: str) -> str:
    """``"utf-8"`` or ``"gbk"`` for an accepted spelling; InputError otherwise."""
    key = encoding.lower().replace("-", "").replace("_", "")
    if key not in _ENCODING_ALIASES:
        msg = f"Shapefile encoding {encoding!r} is not supported"
        raise InputError(msg, hint=Hint(zh="用 utf-8（默认）或 gbk（旧版 ArcGIS）",
                                        en="use 'utf-8' (default) or 'gbk' (old ArcGIS)"))
    return _ENCODING_ALIASES[key]


def _transliterate(text: str, codec: str) -> str:
    """``text`` with each character ``codec`` lacks replaced by its compatibility form where that fits.

    GBK has no "²" but has "㎡", the sign Chinese tables use: "m²" becomes "㎡"; any other missing character
    its NFKC form ("²" → "2"), which keeps a unit readable instead of "?".
    """
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    text = text.replace("m²", "㎡")
    out = []
    for ch in text:
        try:
            ch.encode(codec)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)


def _fit_text(text: str, codec: str) -> tuple[str, bool, bool]:
    """(text as the DBF will hold it, cut?, had characters the encoding lacks, even after transliteration?)."""
    fitted = _transliterate(text, codec)
    data = fitted.encode(codec, errors="replace")
    lossy = data.decode(codec) != fitted
    if len(data) <= DBF_MAX_BYTES:
        return data.decode(codec), False, lossy
    keep = DBF_MAX_BYTES - len(_ELLIPSIS.encode(codec))
    return data[:keep].decode(codec, errors="ignore") + _ELLIPSIS, True, lossy


def _fit_strings(table: pd.DataFrame, columns: Sequence[str], codec: str, short: Mapping[str, str]) -> (
    tuple[pd.DataFrame, dict[str, int]]
):
    cut_fields: list[list[str]] = [[] for _ in range(len(table))]
    truncated: dict[str, int] = {}
    lossy = 0
    for column in columns:
        values = table[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        fitted: list[str | None] = []
        for i, value in enumerate(values.tolist()):
            if not isinstance(value, str):
                fitted.append(None)
                continue
            text, cut, bad = _fit_text(value, codec)
            lossy += bad
            if cut:
                cut_fields[i].append(short[column])
                truncated[column] = truncated.get(column, 0) + 1
            fitted.append(text)
        table[column] = pd.Series(fitted, index=table.index, dtype=object)
    if truncated:
        flags = ["; ".join(f) or None for f in cut_fields]
        table[_TRUNCATED] = pd.Series(flags, index=table.index, dtype=object)
        log.warning("text longer than %d bytes cut in %s (see the %s field)", DBF_MAX_BYTES,
                    ", ".join(f"{c} ×{n}" for c, n in truncated.items()), short[_TRUNCATED])
    if lossy:
        log.warning("%d text values have characters %s cannot hold; they are written as '?'", lossy, codec)
    return table, truncated


def _stamp_encoding(path: Path, cpg: str, ldid: int | None) -> None:
    with open(path.with_suffix(".cpg"), "w", encoding="ascii") as fh:  # a temporary name, renamed with the .shp
        fh.write(cpg)
    if ldid is not None:
        with path.with_suffix(".dbf").open("r+b") as fh:
            fh.seek(29)  # dBASE header: language driver id
            fh.write(bytes([ldid]))


def _warn_renamed(names: Mapping[str, str], fields_path: Path) -> None:
    renamed = [(full, short) for full, short in names.items() if full.upper() != short.upper()]
    if not renamed:
        return
    examples = ", ".join(f"{full!r} → {short!r}" for full, short in renamed[:3])
    message = (f"{len(renamed)} field names shortened to the Shapefile's 10-character limit ({examples}"
               f"{' ...' if len(renamed) > 3 else ''}); full names in {fields_path.name}")
    log.info("%s", message)  # field names are data: never a format string
    warnings.warn(message, UserWarning, stacklevel=3)


def geometry_type(gdf: gpd.GeoDataFrame) -> str | None:
    """Geometry type to declare: Point for an empty layer (nothing to infer it from), else inferred."""
    return "Point" if len(gdf) == 0 else None


def write_shapefile(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    crs: str | int | pyproj.CRS | None = None,
    rules: Mapping[str, str] | Sequence[str] | None = None,
) -> ShapefileWritten:
    """Write one layer as an ESRI Shapefile with short field names and their table beside it.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer; every row is written, in order.
    path : str or Path
        The ``.shp`` to write (the suffix is added when missing).
    encoding : {"utf-8", "gbk"}
        Text encoding of the DBF. GBK (also "cp936") is for ArcGIS 10.2 and older; characters GBK lacks
        take their compatibility form ("m²" → "㎡", "²" → "2"), or "?" when there is none (logged).
    crs : int, str or pyproj.CRS, optional
        Write in this CRS (EPSG int, "EPSG:4549", "CGCS2000" ...); default: the layer's own.
    rules : mapping or sequence, optional
        Rule ids in preset order (a mapping gives rule id → title for the field table); they fix the
        rule numbers ``R1`` ..., so that all layers of an audit agree.

    Returns
    -------
    ShapefileWritten

    Raises
    ------
    InputError
        For an unsupported encoding, an unknown or offset CRS, or a layer without CRS when one is asked.
    OutputError
        If ``path`` names another kind of file or the files cannot be written.
    """
    path = Path(path)
    if path.suffix == "":
        path = path.with_suffix(".shp")
    if path.suffix.lower() != ".shp":
        msg = f"{path}: a Shapefile path must end in .shp"
        raise OutputError(msg, hint=Hint(zh="路径以 .shp 结尾", en="end the path in .shp"))
    enc = check_encoding(encoding)
    codec, cpg, ldid = _ENCODINGS[enc]
    target = resolve_crs(crs, gdf.crs)
    layer = clean_layer(reproject(gdf, target))
    geometry = layer.geometry.name
    columns = [c for c in layer.columns if c != geometry]
    rule_ids = list(rules) if rules is not None else []
    names = shapefile_names([*columns, _TRUNCATED], rule_ids)
    layer, truncated = _fit_strings(layer, columns, codec, names)
    written = [c for c in layer.columns if c != geometry]
    field_names = {c: names[c] for c in written}
    out = layer.rename(columns=field_names)
    fields_path = path.with_name(f"{path.stem}_fields.csv")
    titles = dict(rules) if isinstance(rules, Mapping) else {}
    table = pd.DataFrame({
        "short": list(field_names.values()), "full_name": list(field_names),
        "description": [describe(c, titles) for c in field_names],
    })
    try:
        with replacing(path, what="the Shapefile", sidecars=SIDECARS) as tmp:
            pyogrio.write_dataframe(out, tmp, driver="ESRI Shapefile", encoding=codec,
                                    geometry_type=geometry_type(out))
            _stamp_encoding(tmp, cpg, ldid)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"cannot write the Shapefile {path}: {exc}"
        raise OutputError(msg, hint=_hints.WRITABLE_FOLDER) from exc
    write_csv(table, fields_path)
    _warn_renamed(field_names, fields_path)
    log.info("wrote %s (%d features, %s)", path, len(out), enc)
    return ShapefileWritten(path, fields_path, field_names, enc, target, truncated)
