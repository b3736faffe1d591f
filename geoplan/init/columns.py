"""Recognise a table's columns from their names and contents: x/y, and the canonical fields of each layer.

Names are matched after normalising (lower case, spaces, units in brackets such as "（户）" or "(㎡)" removed)
against the usual Chinese and English names, exactly first, then as a part of the name ("总户数" holds "户数").
A name match is kept only when the column's contents fit (households parse as counts, years as years, x/y as
numbers); x/y without a recognisable name are found from their values (a longitude / latitude pair, or
Gauss-Krüger eastings and northings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geoplan.parsing import parse_count, parse_number, parse_year

#: Canonical field → names it goes by in planners' tables (normalised: lower case, no spaces or units).
COMMUNITY_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "community_id": ("community_id", "小区编码", "小区编号", "小区代码", "小区id"),
    "name": ("name", "小区名称", "小区名", "名称", "项目名称", "楼盘名称", "楼盘名", "小区", "community", "compound"),
    "households": ("households", "户数", "总户数", "住户数", "居民户数", "房屋总数", "hh", "households_raw"),
    "population": ("population", "人口", "常住人口", "人口数", "人数", "居住人口", "pop"),
    "build_year": ("build_year", "建成年代", "建成年份", "建成时间", "竣工年份", "竣工时间", "建造年代", "建筑年代",
                   "年代", "year_built", "built", "build_year_raw"),
    "admin_code": ("admin_code", "行政区划代码", "区划代码", "社区代码", "adcode"),
}
FACILITY_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "facility_id": ("facility_id", "设施编号", "机构编号", "编号", "编码", "id", "osmid", "fid"),
    "name": ("name", "名称", "机构名称", "设施名称", "单位名称", "名字"),
    "facility_type": ("facility_type", "类型", "设施类型", "机构类型", "类别", "设施类别", "分类", "category", "type",
                      "kind"),
    "floor_area_m2": ("floor_area_m2", "建筑面积", "建面", "floor_area"),
    "outdoor_area_m2": ("outdoor_area_m2", "室外场地面积", "室外面积", "室外活动场地面积", "outdoor_area"),
    "land_area_m2": ("land_area_m2", "用地面积", "占地面积", "land_area"),
    "slots": ("slots", "托位", "托位数", "托额", "收托规模", "学位"),
    "beds": ("beds", "床位", "床位数", "养老床位", "总床位"),
    "nursing_beds": ("nursing_beds", "护理型床位", "护理床位", "护理型床位数"),
    "dementia_beds": ("dementia_beds", "认知症床位", "失智床位", "认知障碍床位", "认知症照护床位"),
    "community_id": ("community_id", "所属小区编码", "配建小区编码", "所属小区编号", "小区编码"),
    "admin_code": ("admin_code", "行政区划代码", "区划代码", "街道代码", "adcode"),
}
X_NAMES: Final = ("经度", "lng", "lon", "long", "longitude", "x", "x坐标", "东坐标", "横坐标", "point_x", "东经")
Y_NAMES: Final = ("纬度", "lat", "latitude", "y", "y坐标", "北坐标", "纵坐标", "point_y", "北纬")

_UNITS = re.compile(r"[（(\[【].*?[)）\]】]")
_MIN_SHARE = 0.5  # a column fits when at least half of its non-empty values parse


def normalise_name(name: object) -> str:
    """A column name as matched: lower case, without spaces, units in brackets or trailing "_raw"-like noise."""
    text = _UNITS.sub("", str(name)).strip().lower()
    return re.sub(r"[\s:：]+", "", text)


@dataclass
class Recognised:
    """What was recognised in one table."""

    x: str | None = None
    y: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _filled(series: pd.Series) -> pd.Series:
    return series[series.notna() & (series.astype(str).str.strip() != "")]


def _share_parsed(values: pd.Series) -> float:
    return float(values.notna().mean()) if len(values) else 0.0


def _fits_count(series: pd.Series) -> bool:
    filled = _filled(series)
    return bool(len(filled)) and _share_parsed(parse_count(filled)[0]) >= _MIN_SHARE


def _fits_year(series: pd.Series) -> bool:
    filled = _filled(series)
    return bool(len(filled)) and _share_parsed(parse_year(filled, earliest=1900, latest=2100)[0]) >= _MIN_SHARE


def _fits_text(series: pd.Series) -> bool:
    filled = _filled(series)
    return bool(len(filled)) and pd.to_numeric(filled, errors="coerce").isna().mean() >= _MIN_SHARE


def _fits_any(series: pd.Series) -> bool:
    return bool(len(_filled(series)))


_CONTENT: Final[dict[str, Callable[[pd.Series], bool]]] = {
    "households": _fits_count, "population": _fits_count, "build_year": _fits_year, "floor_area_m2": _fits_count,
    "outdoor_area_m2": _fits_count, "land_area_m2": _fits_count, "slots": _fits_count, "beds": _fits_count,
    "nursing_beds": _fits_count, "dementia_beds": _fits_count, "name": _fits_text, "facility_type": _fits_text,
}


def _numeric(series: pd.Series) -> pd.Series:
    return parse_number(series.astype(object))[0] if not pd.api.types.is_numeric_dtype(series) else \
        pd.to_numeric(series, errors="coerce").astype(float)


def _match(columns: list[str], names: tuple[str, ...], taken: set[str]) -> list[str]:
    """Columns whose name is one of ``names`` (exact first, then containing one of length >= 2), in order."""
    norm = {c: normalise_name(c) for c in columns if c not in taken}
    wanted = [normalise_name(n) for n in names]
    exact = [c for w in wanted for c, n in norm.items() if n == w]
    partial = [c for w in wanted if len(w) >= 2 for c, n in norm.items() if w in n and c not in exact]
    seen: list[str] = []
    for c in exact + partial:
        if c not in seen:
            seen.append(c)
    return seen


def _xy_by_values(frame: pd.DataFrame, taken: set[str]) -> tuple[str, str] | None:
    """An x/y pair found from values: longitude/latitude in China, or eastings/northings in metres."""
    numeric = {c: _numeric(frame[c]) for c in frame.columns if c not in taken and c != "geometry"}
    numeric = {c: v for c, v in numeric.items() if v.notna().mean() >= 0.8}
    medians = {c: float(v.median()) for c, v in numeric.items()}
    xs = [c for c, m in medians.items() if 73 <= m <= 136 or 1e5 <= m < 1e6 or 1.3e7 <= m < 4.6e7]
    ys = [c for c, m in medians.items() if 3 <= m <= 54 or 1e6 <= m <= 6.1e6]
    for x in xs:
        for y in ys:
            if x == y:
                continue
            geographic = medians[x] < 200 and medians[y] < 200
            projected = medians[x] >= 1e5 and medians[y] >= 1e6
            if geographic or projected:
                return x, y
    return None


def find_xy(frame: pd.DataFrame) -> tuple[str | None, str | None, list[str]]:
    """The x and y columns of a table (by name, else by values), with notes; (None, None) when there are none."""
    columns = [str(c) for c in frame.columns if c != "geometry"]
    notes: list[str] = []
    xs = [c for c in _match(columns, X_NAMES, set()) if _numeric(frame[c]).notna().mean() >= 0.8]
    ys = [c for c in _match(columns, Y_NAMES, set(xs[:1])) if _numeric(frame[c]).notna().mean() >= 0.8]
    if xs and ys:
        x, y = xs[0], ys[0]
        mx, my = float(_numeric(frame[x]).median()), float(_numeric(frame[y]).median())
        if mx < 60 and 73 <= my <= 136:  # named the other way round (latitude in "x")
            notes.append(f"columns {x!r} and {y!r} hold latitude and longitude: taken as y and x")
            x, y = y, x
        return x, y, notes
    pair = _xy_by_values(frame, set())
    if pair is not None:
        notes.append(f"x/y columns found from their values: {pair[0]!r}, {pair[1]!r}")
        return pair[0], pair[1], notes
    return None, None, notes


def recognise(frame: pd.DataFrame, kind: str, overrides: Mapping[str, str] | None = None,
              geometry: bool = False) -> Recognised:
    """Recognise x/y and canonical fields of a communities or facilities table.

    Parameters
    ----------
    frame : DataFrame
        The table as read (:func:`geoplan.layers.read_table`).
    kind : {"communities", "facilities"}
        Which layer's canonical fields to look for.
    overrides : mapping, optional
        Canonical field (or ``x`` / ``y``) → column, given by the user; checked to exist.
    geometry : bool
        The layer has geometry (GIS file): no x/y columns are looked for.

    Returns
    -------
    Recognised
    """
    overrides = dict(overrides or {})
    names = COMMUNITY_NAMES if kind == "communities" else FACILITY_NAMES
    columns = [str(c) for c in frame.columns if c != "geometry"]
    out = Recognised()
    if not geometry:
        out.x, out.y, out.notes = find_xy(frame)
        out.x = overrides.pop("x", out.x)
        out.y = overrides.pop("y", out.y)
    taken = {c for c in (out.x, out.y) if c}
    for canonical, column in overrides.items():
        out.fields[canonical] = column
        taken.add(column)
    for canonical, known in names.items():
        if canonical in out.fields:
            continue
        fits = _CONTENT.get(canonical, _fits_any)
        for column in _match(columns, known, taken):
            if fits(frame[column]):
                out.fields[canonical] = column
                taken.add(column)
                break
    if kind == "facilities" and "facility_type" not in out.fields:
        guess = _type_by_values(frame, columns, taken)
        if guess is not None:
            out.fields["facility_type"] = guess
            out.notes.append(f"facility type taken from column {guess!r} (few distinct text values)")
    return out


def _type_by_values(frame: pd.DataFrame, columns: list[str], taken: set[str]) -> str | None:
    best: tuple[float, str] | None = None
    for column in columns:
        if column in taken or not _fits_text(frame[column]):
            continue
        filled = _filled(frame[column]).astype(str)
        distinct = filled.nunique()
        if 1 <= distinct <= max(2, int(np.sqrt(len(filled)))) and len(filled) >= 0.8 * len(frame):
            score = distinct / len(filled)
            if best is None or score < best[0]:
                best = (score, column)
    return None if best is None else best[1]
