"""Admin units (county / township) and the 2020 census by county, for presence, ratio and targets rules.

Readers for the files in ``shared/data/cn-admin`` (and files of the same shape a user brings):

* :func:`read_districts` — county/district polygons → ``unit_code`` (adcode), ``unit_name``, ``level="county"``,
  ``city``;
* :func:`read_townships` — the NBS township list (no geometry) → 9-digit ``unit_code``, ``level="township"``;
* :func:`read_census` — county rows of the 2020 census with derived ``population``, ``infants_0_3``,
  ``elderly_60`` and ``household_size``.

The 2020 census predates Hangzhou's 2021 district reform, so census and polygons disagree there:
:data:`CENSUS_SUCCESSORS` records which 2021 districts each 2020 district became, and
:func:`census_denominators` gives a district figure only where the mapping is exact (old 下城 + 拱墅 = new 拱墅);
where a 2020 district was split (江干, 萧山, 余杭) the districts involved get no figure and say why, and
:func:`census_unmatched` lists census rows that fall in no unit (e.g. economic development zones with no polygon
of their own). Nothing is dropped silently: city totals always use every census row of the city.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan._errors import Hint, InputError

#: 2020 census county code → county codes after Hangzhou's 2021 reform. Codes not listed map to themselves.
#: 下城 merged into 拱墅; 江干 split between the new 上城 and 钱塘 (下沙, 白杨 streets); 萧山 lost 河庄, 义蓬,
#: 新湾, 临江, 前进 to 钱塘; 余杭 lost 临平, 南苑, 东湖, 星桥, 运河, 乔司, 崇贤, 塘栖 to 临平
#: (cf. the 2023 township list: 330113 has those 8 units, 330114 those 7).
CENSUS_SUCCESSORS: Final[dict[str, tuple[str, ...]]] = {
    "330102": ("330102",),  # 上城区 (old) → 上城区 (new, which also took most of 江干)
    "330103": ("330105",),  # 下城区 → 拱墅区
    "330104": ("330102", "330114"),  # 江干区 → 上城区 + 钱塘区
    "330105": ("330105",),  # 拱墅区 (old) → 拱墅区 (new)
    "330109": ("330109", "330114"),  # 萧山区 → 萧山区 + 钱塘区
    "330110": ("330110", "330113"),  # 余杭区 → 余杭区 + 临平区
}
#: Share of the 1–4 age band counted with the infants: 0.75 takes ages 1, 2 and 3 of the band (the formula of
#: shared/data/README.md, "0–3-year-olds"); strictly 3岁以下 (under 3) would be 0.5 (ages 1 and 2). Either way an
#: approximation, so figures derived with it are *assumed*.
INFANT_SHARE_OF_1_4: Final = 0.75
EXACT, SPLIT, MISSING = "exact", "split", "missing"

_CENSUS_NEEDED: Final = ("CODE", "NAME", "POPU", "AGES_0", "AGES_1-4", "AGES_60-64", "AGES_65P", "HHLD_S")
#: Columns a census file must have (they also locate its header row).
CENSUS_COLUMNS: Final = _CENSUS_NEEDED


def _require(frame: pd.DataFrame, columns: Iterable[str], path: Path | str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{path}: column(s) not found: {', '.join(missing)}; columns in the file: {', '.join(frame.columns)}"
        raise InputError(msg, hint=Hint(zh="修改列名设置，使其与文件中的列一致",
                                        en="fix the column names to match the file's columns"))


def read_districts(path: Path | str, frame: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """County/district polygons with canonical admin-unit columns.

    Parameters
    ----------
    path : path
        A GIS file with ``adcode`` (6 digits), ``name`` and optionally ``city`` (districts-5cities.geojson).
    frame : GeoDataFrame, optional
        The file already read (by :func:`geoplan.layers.read_table`); ``path`` then only names it.

    Returns
    -------
    GeoDataFrame
        ``unit_code``, ``unit_name``, ``level`` (``"county"``), ``city``; geometry in the file's CRS.
    """
    frame = gpd.read_file(path) if frame is None else frame
    _require(frame, ("adcode", "name"), path)
    code = frame["adcode"].astype(str).str.strip()
    if not code.str.fullmatch(r"\d{6}").all():
        bad = code[~code.str.fullmatch(r"\d{6}")].tolist()[:5]
        msg = f"{path}: adcode must be 6 digits, got {bad}"
        raise InputError(msg, hint=Hint(zh="县级行政区代码为 6 位数字（如 330106）；检查该列",
                                        en="county adcodes have 6 digits (e.g. 330106): check the column"))
    out = pd.DataFrame({
        "unit_code": code.to_numpy(dtype=object),
        "unit_name": frame["name"].astype(str).to_numpy(dtype=object),
        "level": "county",
        "city": frame["city"].astype(str).to_numpy(dtype=object) if "city" in frame.columns else "",
    })
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=frame.crs)


def read_townships(path: Path | str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The township (乡/镇/街道) list: ``unit_code`` (9 digits), ``unit_name``, ``level``, ``county_code``.

    ``frame``, when given, is the file already read (e.g. by :func:`geoplan.layers.read_table`); ``path`` then
    only names it in messages.
    """
    frame = pd.read_csv(path, dtype=str) if frame is None else frame.astype("string").astype(object)
    _require(frame, ("code", "name", "areaCode"), path)
    code = frame["code"].astype(str).str.strip()
    if not code.str.fullmatch(r"\d{9}").all():
        bad = code[~code.str.fullmatch(r"\d{9}").fillna(False)].tolist()[:5]
        msg = f"{path}: township code must be 9 digits, got {bad}"
        raise InputError(msg, hint=Hint(zh="乡镇（街道）代码为 9 位数字（如 330106001）；检查该列",
                                        en="township codes have 9 digits (e.g. 330106001): check the column"))
    return pd.DataFrame({
        "unit_code": code.to_numpy(dtype=object),
        "unit_name": frame["name"].to_numpy(dtype=object),
        "level": "township",
        "county_code": frame["areaCode"].astype(str).str.strip().to_numpy(dtype=object),
        "city_code": (frame["cityCode"] if "cityCode" in frame.columns else code.str[:4]).to_numpy(dtype=object),
    })


def read_census(path: Path | str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """County rows of the 2020 census with the denominators the rules use.

    ``frame`` is the file already read (by :func:`geoplan.layers.read_table`); ``path`` then only names it.

    Returns
    -------
    DataFrame
        ``unit_code`` (6 digits), ``unit_name``, ``city_code`` (4 digits), ``population`` (POPU),
        ``infants_0_3`` = POPU × (AGES_0 + 0.75 × AGES_1-4) (approximation), ``elderly_60`` =
        POPU × (AGES_60-64 + AGES_65P), ``household_size`` (HHLD_S), then the raw columns.
    """
    raw = pd.read_csv(path, dtype={"CODE": str}) if frame is None else frame
    _require(raw, _CENSUS_NEEDED, path)
    raw = raw.assign(CODE=raw["CODE"].astype("string").fillna("").astype(str))
    pop = pd.to_numeric(raw["POPU"], errors="coerce")
    share = {c: pd.to_numeric(raw[c], errors="coerce") for c in _CENSUS_NEEDED[3:]}
    out = pd.DataFrame({
        "unit_code": raw["CODE"].str.strip().to_numpy(dtype=object),
        "unit_name": raw["NAME"].astype(str).to_numpy(dtype=object),
        "city_code": raw["CODE"].str.strip().str[:4].to_numpy(dtype=object),
        "population": pop,
        "infants_0_3": pop * (share["AGES_0"] + INFANT_SHARE_OF_1_4 * share["AGES_1-4"]),
        "elderly_60": pop * (share["AGES_60-64"] + share["AGES_65P"]),
        "household_size": share["HHLD_S"],
    })
    frame = pd.concat([out, raw], axis=1)
    frame.attrs["source"] = str(path)  # named in the formulas of figures estimated from it (geoplan.demand)
    return frame


def combine_units(*frames: pd.DataFrame) -> gpd.GeoDataFrame:
    """Stack admin-unit tables of several levels (polygons kept where given) into one ``admin_units`` layer."""
    crs = next((f.crs for f in frames if isinstance(f, gpd.GeoDataFrame) and f.crs is not None), None)
    parts = []
    for frame in frames:
        part = frame.to_crs(crs) if isinstance(frame, gpd.GeoDataFrame) and frame.crs not in (None, crs) else frame
        geom = part.geometry.to_numpy() if isinstance(part, gpd.GeoDataFrame) else np.full(len(part), None)
        parts.append(gpd.GeoDataFrame(pd.DataFrame(part).drop(columns="geometry", errors="ignore"),
                                      geometry=list(geom), crs=crs))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


# --------------------------------------------------------------------------------------------- census


def successors(code: str) -> tuple[str, ...]:
    """County codes a 2020 census county became (itself unless listed in :data:`CENSUS_SUCCESSORS`)."""
    return CENSUS_SUCCESSORS.get(code, (code,))


def _weighted_household_size(rows: pd.DataFrame) -> float:
    pop = rows["population"]
    households = (pop / rows["household_size"]).sum()
    return float(pop.sum() / households) if households > 0 else float("nan")


def city_household_size(census: pd.DataFrame) -> float:
    """Mean household size over all census rows (population-weighted: residents / households)."""
    return _weighted_household_size(census)


def household_size_by_county(census: pd.DataFrame) -> pd.Series:
    """Mean household size per county code, for census codes and for the 2021 successor codes.

    A successor district takes the population-weighted mean of the census districts it came from
    (an assumption either way: it is used only to turn households into residents).
    """
    sizes = dict(zip(census["unit_code"].astype(str), census["household_size"].astype(float), strict=True))
    for code in {s for c in census["unit_code"] for s in successors(str(c))} - set(sizes):
        preds = census[census["unit_code"].map(lambda c, t=code: t in successors(str(c)))]
        sizes[code] = _weighted_household_size(preds)
    return pd.Series(sizes, dtype=float)


def census_denominators(census: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Census figures for each county-level unit, exact where the 2020 → 2021 mapping allows.

    Parameters
    ----------
    census : DataFrame
        :func:`read_census` output (any number of cities).
    units : DataFrame
        ``unit_code`` (6 digits) and ``unit_name`` of the units to cover (e.g. :func:`read_districts`).

    Returns
    -------
    DataFrame
        Indexed by ``unit_code``: ``unit_name``, ``population``, ``infants_0_3``, ``elderly_60``,
        ``household_size``, ``census_codes`` (the 2020 rows summed), ``status`` (``exact``, ``split`` or
        ``missing``) and ``note``. Figures are NaN unless ``status == "exact"``.
    """
    cols = ["population", "infants_0_3", "elderly_60"]
    names = dict(zip(census["unit_code"].astype(str), census["unit_name"], strict=False))
    rows = []
    for code, name in zip(units["unit_code"].astype(str), units["unit_name"], strict=False):
        preds = census[census["unit_code"].map(lambda c, u=code: u in successors(str(c)))]
        row: dict[str, object] = {"unit_code": code, "unit_name": name, **dict.fromkeys(cols, np.nan),
                                  "household_size": np.nan, "census_codes": "+".join(preds["unit_code"])}
        split = [c for c in preds["unit_code"] if len(successors(c)) > 1]
        if preds.empty:
            row.update(status=MISSING, note=f"no 2020 census row for {code} {name} / 无2020年人口普查数据")
        elif split:
            parts = "; ".join(
                f"{names.get(c, c)} {c} → {' + '.join(successors(c))}" for c in split
            )
            row.update(status=SPLIT, note=(
                f"2020 census district(s) split by the 2021 reform ({parts}): no exact figure for {name}; "
                f"use the city level or township data / 2021年区划调整，无法按区拆分普查数据"
            ))
        else:
            row.update({c: float(preds[c].sum()) for c in cols})
            row.update(household_size=_weighted_household_size(preds), status=EXACT)
            merged = len(preds) > 1
            row["note"] = (f"census 2020: {' + '.join(f'{names[c]} {c}' for c in preds['unit_code'])}"
                           + (" (merged in 2021) / 2021年合并" if merged else ""))
        rows.append(row)
    return pd.DataFrame(rows).set_index("unit_code")


def census_unmatched(census: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Census rows that reach none of ``units`` (e.g. development zones without a polygon), with a note."""
    unit_codes = set(units["unit_code"].astype(str))
    lost = census[census["unit_code"].map(lambda c: not set(successors(str(c))) & unit_codes)]
    out = lost[["unit_code", "unit_name", "population"]].copy()
    out["note"] = [
        f"census row {c} {n} ({p:,.0f} residents) matches no admin unit: counted in city totals only "
        f"/ 无对应区划单元，仅计入全市合计" for c, n, p in zip(out["unit_code"], out["unit_name"], out["population"],
                                                 strict=False)
    ]
    return out.reset_index(drop=True)


def city_totals(census: pd.DataFrame, city_code: str) -> pd.Series:
    """Sum of every census row of one city (4-digit code): population, infants_0_3, elderly_60."""
    rows = census[census["city_code"].astype(str) == str(city_code)]
    return rows[["population", "infants_0_3", "elderly_60"]].sum(min_count=1)
