"""Turn the strings real tables hold into numbers: "1597户", "约600户", "1,597", "1.2万", "1989年建成".

Each parser returns ``(values, notes)``: a float Series (NaN where nothing usable) and a string Series saying
what was done to each row ("" when the value was a clean number). Nothing is invented: "-", "暂无" and blanks
stay missing and are noted; approximate values ("约600户") are kept and noted as approximate; a cell holding
several numbers ("600-800户", "3栋1597户") is ambiguous and stays missing, noted with its text.

Multipliers apply to the number they follow: "1.2万户" = 12,000, "约1.5千户" = 1,500, "3百" = 300, "2k" = 2,000,
and descending ones make one figure ("1万2千" = "1万2000" = 12,000). Years: "1989年建成", "二〇〇五年", a date
cell, an Excel date serial (34700 → 1995), a decade ("1990年代", "90年代": its first year, noted approximate);
years after the current one are flagged and kept missing (a typo, or a compound not yet built).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata

import numpy as np
import pandas as pd

_MISSING = {"", "-", "--", "—", "/", "暂无", "无", "未知", "不详", "nan", "none", "null", "n/a", "na"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_APPROX = re.compile(r"约|大约|左右|余|多|≈|~|以上|以下")
_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")
_DECADE = re.compile(r"(?<!\d)(\d{4}|\d{2})\s*年代")
_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"[〇○零一二三四五六七八九]{4}")
#: Excel stores dates as days since 1899-12-30; a number in this range in a year column is such a date.
_SERIAL = (10_000, 80_000)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_TOKEN = re.compile(r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(万|千|百|[kK](?![A-Za-z]))?")
_MULTIPLIER = {"万": 1e4, "千": 1e3, "百": 1e2, "k": 1e3, "K": 1e3}
# Area units whose digit must not count as a second number: NFKC turns "㎡" and "m²" into "m2".
_AREA_UNIT = r"(?i)(?<=[\d万千百])m[23](?!\d)"


def _normalise(series: pd.Series) -> pd.Series:
    # NFKC folds full-width digits and commas (１，５９７ → 1,597) that Chinese spreadsheets often hold.
    text = series.astype("string").fillna("")
    return text.map(lambda s: unicodedata.normalize("NFKC", s).strip()).astype("string")


def parse_number(
    series: pd.Series, *, allow_negative: bool = False, maximum: float | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse numbers with units, thousands separators and the 万 (×10,000) multiplier.

    Parameters
    ----------
    series : Series
        Raw values (strings or numbers).
    allow_negative : bool
        Negative numbers are kept when True; otherwise they become NaN with a note.
    maximum : float, optional
        Values above it are taken as data errors: NaN with a note ("implausible").

    Returns
    -------
    values : Series of float
    notes : Series of str
    """
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype(float)
        notes = pd.Series(np.where(values.isna(), "missing", ""), index=series.index, dtype=object)
        return _check_range(*_check_sign(values, notes, allow_negative), maximum)
    text = _normalise(series)
    compact = text.str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    # "600-800户" or "3栋1597户": which figure is meant is a guess, so none is taken (the note keeps the text).
    figures = [_figure(c) for c in compact.str.replace(_AREA_UNIT, "", regex=True).fillna("")]
    values = pd.Series([v for v, _ in figures], index=series.index, dtype=float)
    several = np.array([s for _, s in figures], dtype=bool)
    notes = pd.Series("", index=series.index, dtype=object)
    missing = compact.str.lower().isin(_MISSING).fillna(True).to_numpy(dtype=bool)
    unparsed = values.isna().to_numpy() & ~missing
    approx = compact.str.contains(_APPROX.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    notes[missing] = "missing"
    notes[unparsed] = "unparsed: " + text[unparsed].astype(str)
    notes[approx & values.notna().to_numpy()] = "approximate: " + text[approx & values.notna().to_numpy()].astype(str)
    notes[several] = "ambiguous, several numbers: " + text[several].astype(str)
    return _check_range(*_check_sign(values, notes, allow_negative), maximum)


def _figure(text: str) -> tuple[float, bool]:
    """The number a cell holds, multipliers applied, and whether it holds several figures (then NaN)."""
    tokens = [(float(m.group(1)), _MULTIPLIER.get(m.group(2) or "", 1.0)) for m in _TOKEN.finditer(text)]
    if not tokens:
        return math.nan, False
    if len(tokens) == 1:
        return tokens[0][0] * tokens[0][1], False
    mults = [m for _, m in tokens]
    # "1万2千" / "1万2000": descending multipliers, the last figure smaller than the multiplier before it.
    descending = all(a > b for a, b in itertools.pairwise(mults)) and all(m > 1 for m in mults[:-1])
    if descending and all(n >= 0 for n, _ in tokens) and tokens[-1][0] * mults[-1] < mults[-2]:
        return sum(n * m for n, m in tokens), False
    return math.nan, True


def _check_sign(values: pd.Series, notes: pd.Series, allow_negative: bool) -> tuple[pd.Series, pd.Series]:
    if not allow_negative:
        negative = (values < 0).to_numpy()
        notes = notes.copy()
        notes[negative] = "negative value dropped: " + values[negative].astype(str)
        values = values.mask(values < 0)
    return values, notes


def _check_range(values: pd.Series, notes: pd.Series, maximum: float | None) -> tuple[pd.Series, pd.Series]:
    # inf and absurd magnitudes ("9999999户") are typing errors; keeping them would swamp every sum and rate.
    absurd = (np.isinf(values) | (values > maximum if maximum is not None else False)).to_numpy(dtype=bool)
    if absurd.any():
        notes = notes.copy()
        bound = f" (> {maximum:g})" if maximum is not None else ""
        notes[absurd] = f"implausible{bound} dropped: " + values[absurd].astype(str)
        values = values.mask(pd.Series(absurd, index=values.index))
    return values, notes


def parse_count(series: pd.Series, *, maximum: float | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a count such as households ("1597户"); values above ``maximum`` become NaN with a note."""
    values, notes = parse_number(series, maximum=maximum)
    notes = notes.copy()
    fractional = (values.notna() & (values % 1 != 0)).to_numpy()
    notes[fractional & (notes == "").to_numpy()] = "fractional count kept"
    return values, notes


def parse_year(series: pd.Series, *, earliest: int = 1900, latest: int | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a year ("1989年建成", "2005-2010", 1995.0, a date, "1990年代") to a float year.

    The first year found is used (and noted when there are several). Years before ``earliest`` or after
    ``latest`` (default: the current year) are dropped with a note: a build year in the future is a typo or
    a compound not yet built, and either way not a fact to audit against.
    """
    latest = dt.date.today().year if latest is None else latest
    if pd.api.types.is_numeric_dtype(series):
        parsed = [_year_of_number(v) for v in pd.to_numeric(series, errors="coerce").astype(float)]
    else:
        parsed = [_year_of(v) for v in series]
    values = pd.Series([y for y, _ in parsed], index=series.index, dtype=float)
    notes = pd.Series([n for _, n in parsed], index=series.index, dtype=object)
    past = (values < earliest).to_numpy()
    future = (values > latest).to_numpy()
    notes[past] = np.array([f"year before {earliest} dropped: {y:g}" for y in values[past]], dtype=object)
    notes[future] = np.array([f"year in the future (after {latest}) dropped: {y:g}" for y in values[future]],
                             dtype=object)
    return values.mask(pd.Series(past | future, index=values.index)), notes


def _year_of_number(value: float) -> tuple[float, str]:
    if math.isnan(value):
        return math.nan, "missing"
    if _SERIAL[0] <= value <= _SERIAL[1]:
        day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return float(day.year), f"Excel date serial {value:g} read as {day.isoformat()}"
    return value, ""


def _year_of(value: object) -> tuple[float, str]:
    if isinstance(value, dt.date | pd.Timestamp):
        return float(value.year), ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _year_of_number(float(value))
    text = unicodedata.normalize("NFKC", "" if value is None or value is pd.NA else str(value)).strip()
    if text.lower() in _MISSING:
        return math.nan, "missing"
    text = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)
    decade = _DECADE.search(text)
    if decade:
        d = int(decade.group(1))
        year = d if d >= 100 else (2000 + d if d < 30 else 1900 + d)
        return float(year - year % 10), f"approximate, a decade: {text} read as {year - year % 10}"
    years = _YEAR.findall(text)
    if not years:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return _year_of_number(float(text))
        return math.nan, f"unparsed: {text}"
    note = f"first of several years used: {text}" if len(years) > 1 else ""
    return float(years[0]), note
