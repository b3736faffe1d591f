"""Turn the strings real tables hold into numbers: "1597户", "约600户", "1,597", "1.2万", "1989年建成".

Each parser returns ``(values, notes)``: a float Series (NaN where nothing usable) and a string Series saying
what was done to each row ("" when the value was a clean number). Nothing is invented: "-", "暂无" and blanks
stay missing and are noted; approximate values ("约600户") are kept and noted as approximate; a cell holding
several numbers ("600-800户", "3栋1597户") is ambiguous and stays missing, noted with its text.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

_MISSING = {"", "-", "--", "—", "/", "暂无", "无", "未知", "不详", "nan", "none", "null", "n/a", "na"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_APPROX = re.compile(r"约|大约|左右|余|多|≈|~|以上|以下")
_YEAR = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2}|21\d{2})(?!\d)")
# Area units whose digit must not count as a second number: NFKC turns "㎡" and "m²" into "m2".
_AREA_UNIT = r"(?i)(?<=\d)m[23](?!\d)"


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
    first = compact.str.extract(f"({_NUMBER.pattern})", expand=False)
    values = pd.to_numeric(first, errors="coerce").astype(float)
    # "600-800户" or "3栋1597户": which figure is meant is a guess, so none is taken (the note keeps the text).
    counts = compact.str.replace(_AREA_UNIT, "", regex=True).str.count(_NUMBER.pattern)
    several = (counts > 1).fillna(False).to_numpy(dtype=bool)
    values = values.mask(several)
    wan = compact.str.contains("万", regex=False).fillna(False).to_numpy(dtype=bool)
    values = values.where(~wan, values * 10_000)
    notes = pd.Series("", index=series.index, dtype=object)
    missing = compact.str.lower().isin(_MISSING).fillna(True).to_numpy(dtype=bool)
    unparsed = values.isna().to_numpy() & ~missing
    approx = compact.str.contains(_APPROX.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    notes[missing] = "missing"
    notes[unparsed] = "unparsed: " + text[unparsed].astype(str)
    notes[approx & values.notna().to_numpy()] = "approximate: " + text[approx & values.notna().to_numpy()].astype(str)
    notes[several] = "ambiguous, several numbers: " + text[several].astype(str)
    return _check_range(*_check_sign(values, notes, allow_negative), maximum)


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


def parse_year(series: pd.Series, *, earliest: int = 1900, latest: int = 2100) -> tuple[pd.Series, pd.Series]:
    """Parse a year ("1989年建成", "2005-2010", 1995.0) to a float year; the first year found is used."""
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype(float)
        notes = pd.Series(np.where(values.isna(), "missing", ""), index=series.index, dtype=object)
    else:
        text = _normalise(series)
        values = pd.to_numeric(text.str.extract(_YEAR.pattern, expand=False), errors="coerce").astype(float)
        notes = pd.Series("", index=series.index, dtype=object)
        missing = text.str.lower().isin(_MISSING).fillna(True).to_numpy(dtype=bool)
        notes[missing] = "missing"
        unparsed = values.isna().to_numpy() & ~missing
        notes[unparsed] = "unparsed: " + text[unparsed].astype(str)
        several = (text.str.count(_YEAR.pattern) > 1).fillna(False).to_numpy(dtype=bool)
        notes[several] = "first of several years used: " + text[several].astype(str)
    out = ((values < earliest) | (values > latest)).to_numpy()
    notes[out] = f"year outside {earliest}-{latest} dropped: " + values[out].astype(str)
    return values.mask(pd.Series(out, index=values.index)), notes
