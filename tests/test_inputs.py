"""The one input reader and the one TOML loader, piece by piece, and end to end through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from badinputs.base import communities, write_project
from badinputs.make_corpus import CASES, Case
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan import _config, _grid
from geoplan import _sniff as sn
from geoplan._encoding import sniff_separator
from geoplan._errors import InputError, PresetError, ProjectError
from geoplan._inputs import read_layer
from geoplan.cli import main
from geoplan.parsing import parse_count
from geoplan.project import LayerSpec, load_project

DATE = "2026-01-01"


# ------------------------------------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(("data", "kind"), [
    (b"", sn.EMPTY), (b"\n \r\n", sn.EMPTY),
    (b"PK\x03\x04" + b"\x00" * 40, sn.ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, sn.OLE2),
    (b"SQLite format 3\x00" + b"\x00" * 40, sn.SQLITE),
    (b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table>", sn.HTML),
    (b"\xef\xbb\xbf<table><tr><td>a</td></tr></table>", sn.HTML),
    (b'<?xml version="1.0"?><osm/>', sn.XML),
    (b'  {"type": "FeatureCollection"}', sn.JSON),
    ("名称,户数\n甲,1\n".encode(), sn.TEXT), ("名称,户数\n甲,1\n".encode("gbk"), sn.TEXT),
    ("名称\t户数\n甲\t1\n".encode("utf-16"), sn.TEXT),
    ("名称,户数\n".encode("utf-16-le"), sn.TEXT),
    ("<html><body>错误</body></html>".encode("utf-16"), sn.HTML),
    (b"%PDF-1.7\n", sn.PDF), (bytes(range(256)) * 4, sn.BINARY),
])
def test_sniff_reads_the_content_not_the_name(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert sn.sniff(path) == kind


def test_an_xlsx_is_a_zip_holding_xl(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "a.bin", index=False, engine="openpyxl")
    assert sn.sniff(tmp_path / "a.bin") == sn.XLSX


_CELL = st.text(alphabet=st.sampled_from(list("小区名称户数甲乙丙0123456789abc _-")), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([",", "\t", ";", "|"]), st.integers(2, 6), st.integers(1, 12), st.data())
def test_the_separator_is_found_whatever_the_cells(sep: str, width: int, height: int, data: st.DataObject) -> None:
    rows = [[data.draw(_CELL) for _ in range(width)] for _ in range(height + 1)]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    assert sniff_separator(text) == sep


# --------------------------------------------------------------------------------------------- the grid


def test_header_found_below_title_rows_without_names_to_look_for() -> None:
    title = ["某区小区名单"] * 3  # a merged title fills every cell it spans
    rows = [title, [None, None, None], ["名称", "户数", "年份"], ["甲", 1, 2000]]
    table = _grid.to_frame(rows, source="t.xlsx")
    assert list(table.frame.columns) == ["名称", "户数", "年份"] and len(table.frame) == 1
    assert "header found on row 3" in table.layer_notes[0]


def test_header_row_given_beyond_the_sheet_is_an_error() -> None:
    with pytest.raises(InputError, match=r"header_row = 9, but the sheet has 2 rows"):
        _grid.to_frame([["a"], ["1"]], source="t.csv", header_row=9)


def test_blank_columns_and_trailing_blank_rows_are_not_data() -> None:
    rows = [["a", "", "b", ""], ["1", "", "2", ""], ["", "", "", ""], ["3", "x", "4", ""], ["", "", "", ""]]
    frame = _grid.to_frame(rows, source="t.csv").frame
    assert list(frame.columns) == ["a", "column 2", "b"]  # a nameless column with data keeps its data
    assert len(frame) == 3  # the blank row inside the data stays (flagged later); the trailing one goes


def test_two_columns_with_one_name_are_refused_by_name() -> None:
    with pytest.raises(InputError, match=r"two columns have the same name: '户数' \(columns 2, 3\)"):
        _grid.to_frame([["名称", "户数", " 户数 "], ["甲", "1", "2"]], source="t.csv")


# ---------------------------------------------------------------------------------------------- readers


def _spec(path: Path, **kw: object) -> LayerSpec:
    return LayerSpec(path=path, crs="WGS84", x="经度", y="纬度",
                     fields={"name": "小区名称", "households": "户数"}, **kw)  # type: ignore[arg-type]


def test_a_real_old_style_xls_workbook(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the .xls fixture")
    book = xlwt.Workbook()
    sheet = book.add_sheet("小区")
    com = communities().head(3)
    for j, name in enumerate(com.columns):
        sheet.write(0, j, name)
    for i, row in enumerate(com.itertuples(index=False), 1):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    path = tmp_path / "c.xls"
    book.save(str(path))
    frame = read_layer(_spec(path), "communities")
    assert list(frame["小区名称"]) == list(com["小区名称"])
    assert frame["经度"].tolist() == pytest.approx(com["经度"].tolist())


def test_sheet_by_number_counts_from_one(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["x"]}).to_excel(writer, sheet_name="说明", index=False)
        communities().to_excel(writer, sheet_name="小区", index=False)
    assert len(read_layer(_spec(path, sheet=2), "communities")) == 40
    with pytest.raises(InputError, match=r"no sheet number 3 \(sheets are counted from 1; the workbook has 2"):
        read_layer(_spec(path, sheet=3), "communities")


def test_geopackage_layer_not_named_lists_the_layers(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    path = tmp_path / "c.gpkg"
    for name in ("a", "b"):
        gpd.GeoDataFrame({"n": [name]}, geometry=[shapely.Point(120, 30)], crs=4326).to_file(path, layer=name)
    frame = read_layer(LayerSpec(path=path, fields={"name": "n"}), "communities")
    assert list(frame["n"]) == ["a"]
    assert "has 2 layers (a (Point), b (Point)): read the first, 'a'" in frame.attrs["geoplan_notes"][0]
    with pytest.raises(InputError, match=r"no layer 'c'; layers in the file: a \(Point\), b \(Point\)"):
        read_layer(LayerSpec(path=path, layer="c"), "communities")


def test_a_zip_without_a_layer_says_what_it_holds(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(InputError, match=r"the archive holds no GIS layer \(readme\.txt\)"):
        read_layer(LayerSpec(path=path), "communities")


# ------------------------------------------------------------------------------------------------- TOML


def test_toml_boms_and_utf16_are_read(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    for data in (b'\xef\xbb\xbfa = "\xe7\x94\xb2"\n', 'a = "甲"\n'.encode("utf-16")):
        path.write_bytes(data)
        assert _config.load_toml(path) == {"a": "甲"}


def test_toml_in_gbk_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes('a = 1\nb = "甲"\n'.encode("gbk"))
    with pytest.raises(ProjectError, match=r"not UTF-8 \(byte 11, line 2, GBK it seems\); save the project file as "
                                           r"UTF-8"):
        _config.load_toml(path)


@pytest.mark.parametrize(("text", "hint"), [
    ('a = “x”', "full-width quotes"),
    ('p = "C:\\data\\x.csv"', "backslash"),
    ('托育 = "x"', "needs quotes"),
    ("a = 甲", "text values need quotes"),
    ("a = 1\na = 2", "given twice"),
    ('a = "x', "not closed"),
    ("a： 1", "full-width"),
    ("// note\na = 1", "comments start with #"),
    ("a = True", "lower-case"),
    ("[communities\na = 1", "closing ]"),
])
def test_toml_syntax_errors_say_what_to_do(text: str, hint: str) -> None:
    with pytest.raises(PresetError) as info:
        _config.parse(text, "p.toml", "preset", PresetError)
    message = str(info.value)
    assert message.startswith("p.toml: TOML syntax error in the preset at line") and hint in message, message
    assert "\n" not in message


def test_preset_and_batch_files_with_a_bom(tmp_path: Path) -> None:
    from badinputs.base import PRESET

    from geoplan.batch.spec import load_batch
    from geoplan.presets import load_preset

    preset = tmp_path / "p.toml"
    preset.write_bytes(b"\xef\xbb\xbf" + PRESET.encode())
    assert load_preset(preset).id == "badinputs"
    write_project(tmp_path)
    batch = tmp_path / "batch.toml"
    batch.write_bytes(b"\xef\xbb\xbf" + b'[batch]\nout = "out"\n\n[[areas]]\nid = "a"\nproject_file = "geoplan.toml"\n'
)
    assert [a.id for a in load_batch(batch).areas] == ["a"]


def test_project_keys_are_documented_and_checked(tmp_path: Path) -> None:
    from geoplan.project import LAYER_KEYS, NETWORK_KEYS

    assert {"header_row", "sep", "sheet", "layer"} <= set(LAYER_KEYS) and {"layer", "crs"} <= set(NETWORK_KEYS)
    project = write_project(tmp_path, communities={"header_row": 0, "sep": ";;", "sheet": 0},
                            network={"lyer": "x", "crs": "nowhere"})
    with pytest.raises(ProjectError) as info:
        load_project(project)
    text = str(info.value)
    for part in ("header_row must be a row number counted from 1", "sep must be one character",
                 "sheet must be a sheet name or a number counted from 1", "unknown key 'lyer' (did you mean 'layer'?)",
                 "[network] crs: unknown coordinate system 'nowhere'"):
        assert part in text, text


# ------------------------------------------------------------------------------------------- parsing


@given(st.integers(1, 40), st.sampled_from([("千", 1000), ("万", 10_000), ("百", 100)]), st.sampled_from(["约", ""]))
def test_a_multiplier_multiplies_the_number_it_follows(n: int, unit: tuple[str, int], approx: str) -> None:
    values, _ = parse_count(pd.Series([f"{approx}{n / 2:g}{unit[0]}户"]))
    assert values[0] == pytest.approx(n / 2 * unit[1])


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_reads_an_xls_that_is_html_and_says_so(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "xls_is_html")
    project = case.build(tmp_path / "p")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "geoplan.cli", "audit", str(project), "--out", str(out),
                          "--date", DATE], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "the name says .xls but the file is an HTML page" in run.stderr
    assert len(pd.read_csv(out / "communities.csv")) == 40


@pytest.mark.parametrize("name", ["network_path_is_folder", "toml_windows_path", "excel_wrong_sheet",
                                  "shapefile_without_dbf"])
def test_cli_errors_name_the_file_and_what_to_do(name: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.name == name)
    project = case.build(tmp_path / name)
    assert main(["audit", str(project), "--out", str(tmp_path / "o"), "--date", DATE]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("geoplan: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "no such column" not in lines[0] and "does not exist" not in lines[0]


@pytest.mark.slow
def test_the_demo_audit_is_byte_identical_across_two_runs(tmp_path: Path) -> None:
    """Reading inputs by content changes nothing in the demo's outputs: two runs, the same bytes."""
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        run = subprocess.run([sys.executable, "-m", "geoplan.cli", "audit", "--out", str(out), "--date", DATE],
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        runs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert runs[0].keys() == runs[1].keys() and len(runs[0]) > 5
    assert runs[0] == runs[1]


@pytest.mark.parametrize("given", ["\t", "\\t", "tab"])
def test_sep_tab_spelled_three_ways(tmp_path: Path, given: str) -> None:
    project = write_project(tmp_path, communities={"sep": given})
    spec = load_project(project).communities
    assert spec is not None and spec.sep == "\t"


def test_an_html_xls_in_gbk_as_web_systems_send_it(tmp_path: Path) -> None:
    page = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head><body>"
            + communities().head(3).to_html(index=False) + "</body></html>")
    path = tmp_path / "c.xls"
    path.write_bytes(page.encode("gbk"))
    frame = read_layer(_spec(path), "communities")
    assert list(frame["小区名称"]) == list(communities()["小区名称"][:3])
    assert "the name says .xls but the file is an HTML page" in frame.attrs["geoplan_notes"][0]


def test_keys_that_do_not_apply_are_said(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    communities().to_csv(path, index=False)
    frame = read_layer(_spec(path, sheet="小区", layer="x"), "communities")
    notes = frame.attrs["geoplan_notes"]
    assert "c.csv: [communities] sheet = does not apply to a text table: ignored" in notes
    assert "c.csv: [communities] layer = does not apply to a text table: ignored" in notes


def test_a_header_broken_over_two_lines_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    frame = communities().head(2).rename(columns={"户数": "户数\n（户）"})
    frame.to_excel(path, index=False)
    spec = LayerSpec(path=path, crs="WGS84", x="经度", y="纬度", fields={"households": "户数（户）"})
    assert list(read_layer(spec, "communities")["户数（户）"]) == ["300户", "337户"]


def _points_shapefile(folder: Path) -> Path:
    import geopandas as gpd
    import shapely

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "c.shp"
    gpd.GeoDataFrame({"n": ["a", "b"]}, geometry=[shapely.Point(120, 30)] * 2, crs=4326).to_file(path)
    return path


def test_shapefile_parts_in_capitals_are_found(tmp_path: Path) -> None:
    shp = _points_shapefile(tmp_path)
    for part in list(tmp_path.iterdir()):
        part.rename(part.with_suffix(part.suffix.upper()))
    frame = read_layer(LayerSpec(path=shp.with_suffix(".SHP"), fields={"name": "n"}), "communities")
    assert list(frame["n"]) == ["a", "b"]


def test_a_zip_whose_shapefile_lacks_its_dbf(tmp_path: Path) -> None:
    import zipfile

    shp = _points_shapefile(tmp_path / "s")
    path = tmp_path / "c.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in shp.parent.iterdir():
            if part.suffix != ".dbf":
                zf.write(part, part.name)
    with pytest.raises(InputError, match=r"the archive holds c\.shp without \.dbf"):
        read_layer(LayerSpec(path=path), "communities")


def test_a_dbf_given_as_the_path_points_to_its_shp(tmp_path: Path) -> None:
    shp = _points_shapefile(tmp_path)
    with pytest.raises(InputError, match=r"part of a Shapefile: give its \.shp, path = \"c\.shp\""):
        read_layer(LayerSpec(path=shp.with_suffix(".dbf")), "communities")


def test_a_street_file_with_points_only(tmp_path: Path) -> None:
    from geoplan._errors import NetworkError
    from geoplan.network import load_network

    shp = _points_shapefile(tmp_path)
    with pytest.raises(NetworkError, match=r"no line layer for the streets \(layers in the file: c \(Point\)\)"):
        load_network(shp)


@pytest.mark.parametrize("name", ["hangzhou-central/compounds-bd09.csv", "hangzhou-central/facilities-osm-2024.csv",
                                  "cn-admin/census2020-counties-5cities.csv", "cn-admin/townships-5cities-2023.csv"])
def test_real_tables_read_cell_for_cell_as_pandas_reads_them(shared_data: Path, name: str) -> None:
    """The real files are clean: the reader finds their header on line 1, adds no note and changes no cell."""
    path = shared_data / name
    frame = read_layer(LayerSpec(path=path), "communities")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert frame.attrs["geoplan_notes"] == [] and frame.attrs["geoplan_row_notes"] == {}
    pd.testing.assert_frame_equal(frame.fillna("").astype(str), expected, check_dtype=False)


def test_real_xlsx_of_the_compounds_with_a_title_row(shared_data: Path, tmp_path: Path) -> None:
    """The real compounds as a planner's workbook: a merged title above the header, found by the mapped names."""
    import openpyxl

    raw = pd.read_csv(shared_data / "hangzhou-central" / "compounds-bd09.csv", dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["杭州中心城区小区名单"])
    ws.append(list(raw.columns))
    for row in raw.itertuples(index=False):
        ws.append(list(row))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(raw.columns))
    path = tmp_path / "compounds.xlsx"
    book.save(path)
    spec = LayerSpec(path=path, crs="BD09", x="lon_bd09", y="lat_bd09", fields={"name": "name"})
    frame = read_layer(spec, "communities")
    assert len(frame) == len(raw) == 804 and list(frame["name"]) == list(raw["name"])
    assert "header found on row 2" in frame.attrs["geoplan_notes"][0]


def test_a_sheet_formatted_to_its_last_column_reads_only_its_values(tmp_path: Path) -> None:
    import time

    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    for row in [list(communities().columns), *communities().astype(object).to_numpy().tolist()]:
        ws.append(row)
    for r in range(1, 2000):
        ws.cell(row=r, column=16_000).font = Font(bold=True)  # formatted, empty: the sheet spans A1:WQK1999
    path = tmp_path / "c.xlsx"
    book.save(path)
    start = time.perf_counter()
    frame = read_layer(_spec(path), "communities")
    assert time.perf_counter() - start < 20
    assert frame.shape == (40, 6)


_MINE = [c for c in CASES if c.build.__module__.endswith("cases_files") and c.answer in ("flag", "warning")]


@pytest.mark.parametrize("case", _MINE, ids=[c.name for c in _MINE])
def test_cli_flags_and_warnings_reach_the_outputs(case: Case, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """What a planner meets: `geoplan audit` runs (exit 0), and the flag is in the row's ``flags`` of
    communities.csv, the warning in report.md's assumptions."""
    import re

    project = case.build(tmp_path / case.name)
    out = tmp_path / "out"
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 0, capsys.readouterr().err
    if case.answer == "flag":
        assert case.row is not None
        flags = pd.read_csv(out / "communities.csv", dtype=str, keep_default_na=False)["flags"]
        assert re.search(case.expect, flags.iloc[case.row - 1]), flags.iloc[case.row - 1]
    else:
        report = (out / "report.md").read_text(encoding="utf-8")
        assert re.search(case.expect, report), report[-2000:]
