"""Strings from real tables → numbers, with a note for everything that was not a clean value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from geoplan.parsing import parse_count, parse_number, parse_year


def test_household_strings() -> None:
    raw = pd.Series(["1597户", "约600户", "1,597", "-", "暂无", None, "１２３户", "1.2万户", "-5", "abc", "", "880"])
    values, notes = parse_count(raw, maximum=50_000)
    expected = [1597, 600, 1597, np.nan, np.nan, np.nan, 123, 12000, np.nan, np.nan, np.nan, 880]
    np.testing.assert_array_equal(values.to_numpy(), np.array(expected, dtype=float))
    assert notes[0] == "" and notes[2] == "" and notes[11] == ""
    assert notes[1].startswith("approximate")
    assert notes[3] == notes[4] == notes[5] == notes[10] == "missing"
    assert notes[8].startswith("negative")
    assert notes[9].startswith("unparsed")


def test_absurd_count_dropped_with_note() -> None:
    values, notes = parse_count(pd.Series(["999999户", "10户"]), maximum=50_000)
    assert np.isnan(values[0]) and values[1] == 10
    assert "implausible" in notes[0]


def test_numeric_input_passes_through() -> None:
    values, notes = parse_number(pd.Series([1.5, np.nan, 3.0]))
    assert values[0] == 1.5 and np.isnan(values[1]) and notes[1] == "missing"


def test_years() -> None:
    values, notes = parse_year(pd.Series(["1989年建成", "2005-2010年", None, "建成", 1995.0]))
    assert values[0] == 1989 and values[1] == 2005
    assert notes[1].startswith("first of several")
    assert np.isnan(values[2]) and notes[2] == "missing"
    assert np.isnan(values[3]) and notes[3].startswith("unparsed")


@given(st.integers(0, 49_999), st.sampled_from(["{}户", "{}", "{:,}", "{}户 ", "共{}户"]))
def test_count_round_trip(n: int, fmt: str) -> None:
    values, notes = parse_count(pd.Series([fmt.format(n)]), maximum=50_000)
    assert values[0] == n
    assert notes[0] == ""


def test_multipliers_apply_to_the_number_they_follow() -> None:
    raw = pd.Series(["约1.5千户", "2千户", "1.2万户", "1万2千户", "1万2000户", "3百户", "2k", "万科1200户", "2.3万m2",
                     "1千2万户"])
    values, notes = parse_number(raw)
    expected = [1500, 2000, 12000, 12000, 12000, 300, 2000, 1200, 23000, np.nan]
    np.testing.assert_array_equal(values.to_numpy(), np.array(expected, dtype=float))
    assert notes[0] == "approximate: 约1.5千户" and notes[1] == notes[3] == ""
    assert notes[9].startswith("ambiguous")  # ascending multipliers are not one figure


def test_years_as_planners_write_them() -> None:
    import datetime as dt

    raw = pd.Series(["1990年代", "80年代末", "二〇〇五年", "１９９８年", dt.date(2001, 5, 1), "34700", "2999年",
                     "1850"])
    values, notes = parse_year(raw, latest=2026)
    np.testing.assert_array_equal(values.to_numpy(), [1990, 1980, 2005, 1998, 2001, 1995, np.nan, np.nan])
    assert notes[0] == "approximate, a decade: 1990年代 read as 1990"
    assert notes[5] == "Excel date serial 34700 read as 1995-01-01"
    assert notes[6] == "year in the future (after 2026) dropped: 2999"
    assert notes[7] == "year before 1900 dropped: 1850"


def test_numeric_year_columns_future_and_serials() -> None:
    values, notes = parse_year(pd.Series([1995.0, 2030.0, 36526.0, np.nan]), latest=2026)
    np.testing.assert_array_equal(values.to_numpy(), [1995, np.nan, 2000, np.nan])
    assert "future" in notes[1] and "Excel date serial" in notes[2] and notes[3] == "missing"
