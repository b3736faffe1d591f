"""Check an input completely, then report once.

Like osmnx's validation, nothing stops at the first problem: every problem with a layer (empty, columns not
found, no or unknown coordinate system, no usable coordinate at all) is gathered in :class:`Problems` and
raised as one :class:`~geoplan._errors.InputError` whose message names the file, and where it applies the
row and field, and says what to do. Problems of single rows are not errors: they become notes in the
row's ``flags`` (see :mod:`geoplan.layers`), so no row is ever dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from geoplan import _hints
from geoplan._errors import GeoplanError, Hint, InputError
from geoplan.project import CANDIDATE_TYPE

log = logging.getLogger(__name__)

#: Plan term a project may map data values to besides the preset's types (siting candidates).
_LONLAT_HINT = ('the values look like longitude/latitude: crs = "WGS84" (GPS, OSM, 天地图), "GCJ02" (高德, 腾讯) '
                'or "BD09" (百度)')


@dataclass(frozen=True)
class Problem:
    """One problem: what is wrong, what to do, and where (1-based data row, source field) when it applies."""

    what: str
    todo: Hint | None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        """``row 3, field '户数': what; todo``."""
        where = ", ".join(p for p in (f"row {self.row}" if self.row else "",
                                      f"field {self.field!r}" if self.field else "") if p)
        text = f"{where}: {self.what}" if where else self.what
        return f"{text}; {self.todo.en}" if self.todo else text

    @property
    def where_what(self) -> str:
        """``row 3, field '户数': what`` (without what to do)."""
        return str(Problem(self.what, None, self.row, self.field))


@dataclass
class Problems:
    """Problems with one input, gathered so that they are reported together.

    Parameters
    ----------
    source : str
        The file and, in brackets, what it is (``"小区.csv (communities)"``); starts every message.
    error : type
        The exception :meth:`raise_if_any` raises.
    """

    source: str
    error: type[GeoplanError] = InputError
    items: list[Problem] = field(default_factory=list)

    def add(self, what: str, todo: Hint | None = None, *, row: int | None = None, field: str | None = None) -> None:
        """Record a problem (nothing is raised yet)."""
        self.items.append(Problem(what, todo, row, field))

    def __bool__(self) -> bool:
        """True when there is something to report."""
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one error listing every problem, or return when there is none.

        One problem: the message says what is wrong, its hint what to do. Several: each line keeps its remedy in
        English; the hint says "fix each" in English and gives every remedy, numbered, in Chinese.
        """
        if not self.items:
            return
        if len(self.items) == 1:
            msg = f"{self.source}: {self.items[0].where_what}"
            raise self.error(msg, hint=self.items[0].todo or _hints.LIST_PROBLEMS)
        msg = f"{self.source}: {len(self.items)} problems:\n  - " + "\n  - ".join(map(str, self.items))
        raise self.error(msg, hint=numbered(self.items))


def numbered(items: list[Problem]) -> Hint:
    """One hint for a list of problems: "fix each" in English, every remedy numbered in Chinese.

    Problems with the same remedy share one line: ``(1, 2) 修改项目文件 …``.
    """
    numbers: dict[str, list[str]] = {}
    for i, problem in enumerate(items, 1):
        if problem.todo:
            numbers.setdefault(problem.todo.zh, []).append(str(i))
    if not numbers:
        return _hints.LIST_PROBLEMS
    lines = [f"\n    ({', '.join(n)}) {todo}" for todo, n in numbers.items()]
    return Hint(zh=f"{_hints.LIST_PROBLEMS.zh}：" + "".join(lines), en=_hints.LIST_PROBLEMS.en)


def layer_source(path: Path, layer: str) -> str:
    """How messages name a layer: ``/path/小区.csv (communities)``."""
    return f"{path} ({layer})"


def check_columns(frame: pd.DataFrame, wanted: Mapping[str, str], problems: Problems, section: str) -> bool:
    """Record every configured column missing from the file; True when all are there."""
    have = [str(c) for c in frame.columns]
    missing = {k: v for k, v in wanted.items() if v not in frame.columns}
    for key, column in missing.items():
        close = [c for c in have if c.strip() == column.strip() or c.lower() == column.lower()]
        # Shapefiles keep 10 bytes of a field name: "小区编号" in UTF-8 comes back as "小区编�".
        cut = [c for c in have if c.endswith("\ufffd") and column.startswith(c.rstrip("\ufffd"))]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        if cut and not close:
            hint = (f" (the file has {cut[0]!r}: the Shapefile format cut the name to 10 bytes; rename the field "
                    "in the source, or export as GeoPackage)")
        listed = ", ".join(have) or "none"
        todo = Hint(zh=f"修改项目文件 [{section}] 中的列名。文件中的列：{listed}",
                    en=f"fix the project file. Columns in the file: {listed}")
        problems.add(f"{key} = {column!r} in [{section}]: no such column{hint}", todo, field=column)
    return not missing


def crs_hint(x: ArrayLike, y: ArrayLike) -> str:
    """A suggestion of the coordinate system from the range of the coordinates (for a layer without one)."""
    return crs_hint_both(x, y).en


def crs_hint_both(x: ArrayLike, y: ArrayLike) -> Hint:
    """:func:`crs_hint` in Chinese and English."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(xa) & np.isfinite(ya)
    if not ok.any():
        return Hint(zh="该图层没有可用坐标，无法推测坐标系",
                    en="the layer has no usable coordinates to suggest one from")
    xm, ym = float(np.median(xa[ok])), float(np.median(ya[ok]))
    if abs(xm) <= 180 and abs(ym) <= 90:
        return Hint(zh='数值像经纬度：crs = "WGS84"（GPS、OSM、天地图）、"GCJ02"（高德、腾讯）或 "BD09"（百度）',
                    en=_LONLAT_HINT)
    if 1e7 <= xm < 1e8 and 1e6 <= ym < 1e7:
        zone = int(xm // 1e6)
        if 25 <= zone <= 45:
            code = f'crs = "EPSG:{4513 + zone - 25}"'
            return Hint(zh=f"东坐标带号前缀 {zone}：CGCS2000 3 度带高斯-克吕格第 {zone} 带，{code}",
                        en=f"eastings with zone prefix {zone}: CGCS2000 3-degree Gauss-Krüger zone {zone}, {code}")
        if 13 <= zone <= 23:
            code = f'crs = "EPSG:{4491 + zone - 13}"'
            return Hint(zh=f"东坐标带号前缀 {zone}：CGCS2000 6 度带第 {zone} 带，{code}",
                        en=f"eastings with zone prefix {zone}: CGCS2000 6-degree zone {zone}, {code}")
    if 1e5 <= xm < 1e6 and 1e6 <= ym < 1e7:
        return Hint(zh='数值像不带带号的高斯-克吕格或 UTM 米制坐标：给出其 EPSG 代码，如 crs = "EPSG:4549"'
                       "（CGCS2000，中央经线 120°E）",
                    en='the values look like metres of a Gauss-Krüger or UTM zone without zone prefix: give its EPSG '
                       'code, e.g. crs = "EPSG:4549" (CGCS2000, central meridian 120°E)')
    return Hint(zh="向数据提供方询问坐标系，并以 EPSG 代码给出",
                en="ask the data's provider for the coordinate system and give it as an EPSG code")


def in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Inside the box the Chinese offset systems apply in (finite values only)."""
    with np.errstate(invalid="ignore"):
        return np.asarray((lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271), dtype=bool)


def swapped_rows(lon: NDArray[np.float64], lat: NDArray[np.float64], lon_swapped: NDArray[np.float64],
                 lat_swapped: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows whose x/y were given the wrong way round: outside China as given, inside China swapped.

    Latitudes in China (0.8-55.8) and longitudes (72-138) do not overlap, so the swap is unambiguous there;
    elsewhere nothing is swapped.
    """
    return ~in_china(lon, lat) & in_china(lon_swapped, lat_swapped)


def usable_lonlat(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Finite longitude/latitude within their ranges."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180),
                          dtype=bool)


def duplicate_notes(ids: pd.Series) -> pd.Series:
    """``duplicate id 'X' (rows 3, 7)`` for every row sharing a non-empty id with another; ``""`` elsewhere."""
    notes = pd.Series("", index=ids.index, dtype=object)
    dup = ids.duplicated(keep=False) & (ids != "")
    if not dup.any():
        return notes
    rows = pd.Series(np.arange(len(ids)) + 1, index=ids.index)
    for value, group in rows[dup].groupby(ids[dup], sort=False):
        listed = ", ".join(map(str, group.to_numpy()[:10])) + (" …" if len(group) > 10 else "")
        notes[group.index] = f"duplicate id {value!r} (rows {listed}): both kept"
    return notes


def unknown_type_notes(raw: pd.Series, mapped: pd.Series, type_map: Mapping[str, str],
                       known: Collection[str]) -> pd.Series:
    """Notes for facilities whose type is not a plan term of the preset (they are kept, used by no rule)."""
    notes = pd.Series("", index=raw.index, dtype=object)
    for i in raw.index:
        source, term = raw[i], mapped[i]
        if not source:
            notes[i] = "no facility type: used by no rule"
        elif term is None or pd.isna(term):
            notes[i] = f"unknown type {source!r}: used by no rule; map it in [facility_types]"
        elif term not in known and term != CANDIDATE_TYPE:
            notes[i] = (f"type {source!r} is mapped to {term!r}, which the preset does not define: used by no rule; "
                        "fix [facility_types]")
    return notes


def type_map_problems(type_map: Mapping[str, str], known: Collection[str]) -> list[str]:
    """[facility_types] entries mapping to a plan term the preset lacks (reported in the log and assumptions)."""
    return [f"[facility_types] {k!r} = {v!r}: the preset has no type {v!r} (known: {', '.join(sorted(known))})"
            for k, v in sorted(type_map.items()) if v not in known and v != CANDIDATE_TYPE]
