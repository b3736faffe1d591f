"""Shapefile output: round trips through pyogrio in UTF-8 and GBK, CRS, field table, DBF limits."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from test_export_data import NAMES, PROV, REACH, XSS, make_result

from geoplan._errors import InputError, OutputError
from geoplan.outputs.export import ShapefileWritten, write_shapefile
from geoplan.result import SEP

RULES = [REACH, PROV]


def _write(tmp_path: Path, **kwargs: object) -> ShapefileWritten:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return write_shapefile(make_result().communities, tmp_path / "communities.shp", rules=RULES, **kwargs)


def _dbf_fields(path: Path) -> dict[str, tuple[str, int, int]]:
    data = path.with_suffix(".dbf").read_bytes()
    fields, pos = {}, 32
    while data[pos] != 0x0D:
        desc = data[pos: pos + 32]
        fields[desc[:11].rstrip(b"\0").decode("ascii")] = (chr(desc[11]), desc[16], desc[17])
        pos += 32
    return fields


@pytest.mark.parametrize(("encoding", "cpg", "ldid"), [("utf-8", "UTF-8", 0), ("gbk", "936", 0x4D)])
def test_round_trip_keeps_rows_names_and_values(tmp_path: Path, encoding: str, cpg: str, ldid: int) -> None:
    src = make_result().communities
    out = _write(tmp_path, encoding=encoding)
    assert out.path.with_suffix(".cpg").read_text(encoding="ascii") == cpg
    assert out.path.with_suffix(".dbf").read_bytes()[29] == ldid
    assert NAMES[0].encode(encoding) in out.path.with_suffix(".dbf").read_bytes()
    back = pyogrio.read_dataframe(out.path)
    assert len(back) == len(src)
    assert back["COMM_ID"].tolist() == src["community_id"].tolist()
    assert back["NAME"].tolist() == NAMES  # Chinese, HTML and formula text survive unchanged
    assert XSS in back["NAME"].tolist()
    assert back["R1_STATUS"].tolist() == src[f"{REACH}{SEP}status"].tolist()
    assert back["R2_STATUS"].tolist() == src[f"{PROV}{SEP}status"].tolist()
    assert back["R1_FAC_NM"].tolist()[:2] == ["颐养中心", "社区托育园"]
    np.testing.assert_allclose(back["R1_VALUE"], src[f"{REACH}{SEP}value"], equal_nan=True)
    assert back["HH"].isna().tolist() == src["households"].isna().tolist()  # missing stays null
    assert back.crs.equals(pyproj.CRS.from_epsg(4549))
    np.testing.assert_allclose(back.geometry.x, src.geometry.x, atol=1e-6)


def test_counts_are_integer_fields_and_reals_keep_decimals(tmp_path: Path) -> None:
    out = _write(tmp_path)
    fields = _dbf_fields(out.path)
    assert fields["HH"][0] == "N" and fields["HH"][2] == 0  # households with a gap: still an integer field
    assert fields["SRC_ROW"][0] == "N" and fields["SRC_ROW"][2] == 0
    assert fields["R1_VALUE"][0] == "N" and fields["R1_VALUE"][2] > 0
    assert all(width <= 254 for _, width, _ in fields.values())
    assert set(fields) == set(out.field_names.values())


def test_field_table_maps_short_names_back(tmp_path: Path) -> None:
    out = _write(tmp_path)
    assert out.fields_path.name == "communities_fields.csv"
    table = pd.read_csv(out.fields_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["short", "full_name", "description"]
    assert dict(zip(table["full_name"], table["short"], strict=True)) == out.field_names
    assert list(table["full_name"]) == [c for c in make_result().communities.columns if c != "geometry"]
    row = table.set_index("short").loc["R1_STATUS"]
    assert row["full_name"] == f"{REACH}{SEP}status" and "状态" in row["description"]


def test_warns_when_names_are_shortened(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="shortened.*communities_fields.csv"):
        write_shapefile(make_result().communities, tmp_path / "communities.shp")


@pytest.mark.parametrize(("crs", "epsg"), [
    (None, 4549), ("CGCS2000", 4490), (4549, 4549), ("EPSG:4554", 4554), ("WGS84", 4326),
])
def test_prj_in_the_chosen_crs(tmp_path: Path, crs: object, epsg: int) -> None:
    out = _write(tmp_path, crs=crs)
    back = pyogrio.read_dataframe(out.path)
    assert back.crs.equals(pyproj.CRS.from_epsg(epsg))
    assert out.crs is not None and out.crs.equals(pyproj.CRS.from_epsg(epsg))
    expected = make_result().communities.to_crs(epsg)
    np.testing.assert_allclose(back.geometry.y, expected.geometry.y, rtol=1e-9)


def test_offset_systems_and_bad_encodings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="GCJ02"):
        _write(tmp_path, crs="GCJ-02")
    with pytest.raises(InputError, match="encoding"):
        _write(tmp_path, encoding="latin-1")
    with pytest.raises(OutputError, match=r"\.shp"):
        write_shapefile(make_result().communities, tmp_path / "communities.gpkg")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_long_text_is_cut_at_254_bytes_and_flagged(tmp_path: Path, encoding: str) -> None:
    gdf = make_result().communities
    gdf.loc[1, "flags"] = "数据问题" * 100  # 400 characters, > 254 bytes in either encoding
    with pytest.warns(UserWarning, match="shortened"):
        out = write_shapefile(gdf, tmp_path / "c.shp", encoding=encoding, rules=RULES)
    assert out.truncated == {"flags": 1}
    back = pyogrio.read_dataframe(out.path)
    cut = back.loc[1, "FLAGS"]
    assert cut.endswith("…") and len(cut.encode(encoding)) <= 254 and "数据问题".startswith(cut[:4])
    assert back["TRUNCATED"].tolist()[1] == "FLAGS"
    assert back["TRUNCATED"].isna().sum() == len(gdf) - 1
    assert back.loc[0, "FLAGS"] is None or pd.isna(back.loc[0, "FLAGS"])  # empty text reads back empty


def test_random_long_names_survive_the_write(tmp_path: Path) -> None:
    gdf = make_result().communities[["geometry"]].copy()
    names = [f"very_long_attribute_name_{i}" for i in range(12)] + ["VERY_LONG_attribute_name_0", "HH", "hh"]
    for i, name in enumerate(names):
        gdf[name] = float(i)
    with pytest.warns(UserWarning):
        out = write_shapefile(gdf, tmp_path / "x.shp")
    back = pyogrio.read_dataframe(out.path)
    assert list(back.columns[:-1]) == list(out.field_names.values())
    for i, name in enumerate(names):
        assert (back[out.field_names[name]] == float(i)).all()


def test_empty_layer_writes_a_point_shapefile(tmp_path: Path) -> None:
    gdf = make_result().communities.iloc[:0]
    with pytest.warns(UserWarning, match="shortened"):
        out = write_shapefile(gdf, tmp_path / "empty.shp")
    info = pyogrio.read_info(out.path)
    assert info["features"] == 0 and info["geometry_type"] == "Point"
    assert struct.unpack("<I", out.path.with_suffix(".dbf").read_bytes()[4:8])[0] == 0


def test_characters_gbk_lacks_become_question_marks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gdf = make_result().communities
    gdf.loc[0, "name"] = "小区😀"
    with pytest.warns(UserWarning, match="shortened"):
        out = write_shapefile(gdf, tmp_path / "c.shp", encoding="gbk")
    assert "cannot hold" in caplog.text
    back = pyogrio.read_dataframe(out.path)
    assert back["NAME"].tolist() == ["小区?", *NAMES[1:]]


def test_gbk_keeps_units_readable(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gdf = make_result().communities
    gdf.loc[0, "name"] = "需补 200 m²（每百户20㎡，x²）"
    with pytest.warns(UserWarning, match="shortened"):
        out = write_shapefile(gdf, tmp_path / "u.shp", encoding="gbk")
    assert "cannot hold" not in caplog.text  # transliterated, nothing lost
    back = pyogrio.read_dataframe(out.path)
    assert back["NAME"].tolist()[0] == "需补 200 ㎡（每百户20㎡，x2）"
