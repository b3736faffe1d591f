"""The pieces behind the bad-input answers, one at a time: CRS hints, swaps, duplicates, encodings, problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan import _validate as val
from geoplan._encoding import read_csv_text, sniff_dbf_encoding
from geoplan._errors import Hint, InputError
from geoplan.parsing import parse_count, parse_number


@pytest.mark.parametrize(("x", "y", "hint"), [
    (120.15, 30.26, 'crs = "WGS84"'),
    (40_500_000.0, 3_350_000.0, 'crs = "EPSG:4528"'),  # 3-degree zone 40 (CM 120°E) with zone prefix
    (20_500_000.0, 3_350_000.0, 'crs = "EPSG:4498"'),  # 6-degree zone 20
    (500_000.0, 3_350_000.0, "without zone prefix"),
    (1e9, -5.0, "ask the data's provider"),
])
def test_crs_hint_from_the_range_of_coordinates(x: float, y: float, hint: str) -> None:
    assert hint in val.crs_hint(np.full(3, x), np.full(3, y))


def test_swapped_only_where_unambiguous() -> None:
    lon = np.array([120.1, 30.2, 30.2, 10.0, np.nan])
    lat = np.array([30.2, 120.1, 60.0, 50.0, 30.0])
    assert list(val.swapped_rows(lon, lat, lat, lon)) == [False, True, False, False, False]


def test_duplicate_notes_name_every_row_sharing_the_id() -> None:
    notes = val.duplicate_notes(pd.Series(["a", "b", "a", "", "", "a"]))
    assert notes[0] == notes[2] == notes[5] == "duplicate id 'a' (rows 1, 3, 6): both kept"
    assert notes[1] == notes[3] == notes[4] == ""  # blank ids are generated ones, never duplicates


def test_problems_are_raised_once_with_row_and_field() -> None:
    problems = val.Problems("x.csv (communities)")
    problems.raise_if_any()  # nothing yet
    problems.add("not a number", Hint(zh="改为数字", en="fix it"), row=3, field="户数")
    problems.add("no rows")
    with pytest.raises(InputError) as info:
        problems.raise_if_any()
    assert info.value.what == ("x.csv (communities): 2 problems:\n  - row 3, field '户数': not a number; fix it\n"
                               "  - no rows")
    # one hint for the list: "fix each" in English, each problem's own remedy, numbered, in Chinese
    assert info.value.localised("en").endswith("\n  → fix each problem listed above and run again")
    assert info.value.localised("zh").endswith("：\n    (1) 改为数字")
    one = val.Problems("x.csv (communities)")
    one.add("not a number", Hint(zh="改为数字", en="fix it"), row=3)
    with pytest.raises(InputError) as info:
        one.raise_if_any()
    assert str(info.value) == "x.csv (communities): row 3: not a number; fix it"
    assert info.value.localised("zh") == "x.csv (communities): row 3: not a number; 改为数字"


def test_csv_with_bytes_neither_utf8_nor_gbk(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("name,n\n松木场,1\n".encode() + "胜利,2\n".encode("gbk") + b"\xff\xfe\xff,3\n")
    decoded = read_csv_text(path, None, ",")
    assert list(decoded.frame["name"][:2]) == ["松木场", "胜利"]
    assert "undecodable" in decoded.row_notes[2] and "GBK" in decoded.row_notes[1]
    assert 0 not in decoded.row_notes


def test_gbk_dbf_with_a_character_cut_at_the_field_width(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    names = [f"小区{i}号楼" for i in range(30)]
    gdf = gpd.GeoDataFrame({"n": names}, geometry=[shapely.Point(120, 30)] * 30, crs=4326)
    path = tmp_path / "a.shp"
    gdf.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    assert sniff_dbf_encoding(path) == "GB18030"
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    header_len = int.from_bytes(data[8:10], "little")
    data[header_len + 1] = 0x80  # not a GBK byte: one cell of 30 no longer decodes, 29 still do
    dbf.write_bytes(bytes(data))
    assert sniff_dbf_encoding(path) == "GB18030"
    path.with_suffix(".cpg").write_text("GBK")
    assert sniff_dbf_encoding(path) is None  # a .cpg is trusted


def test_numbers_with_units_exponents_and_several_figures() -> None:
    values, notes = parse_number(pd.Series(["200㎡", "1.5e3", "3栋1597户", "inf", "12,000平方米"]), maximum=1e6)
    np.testing.assert_array_equal(values.to_numpy(), [200, 1500, np.nan, np.nan, 12000])
    assert notes[2].startswith("ambiguous") and notes[1] == "" and notes[0] == ""
    counts, count_notes = parse_count(pd.Series([np.inf, 5.0]), maximum=100)
    assert np.isnan(counts[0]) and count_notes[0].startswith("implausible")
