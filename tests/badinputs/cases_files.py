"""Bad-input cases of files and config files: what a file really is, sheets, headers, separators, siblings,
layers, TOML as editors save it, and the strings planners type into number and year columns.

Registered into :data:`badinputs.make_corpus.CASES` (imported at the end of ``make_corpus.py``), so they are
built, run and listed in ``docs/bad-inputs.md`` like every other case.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from badinputs import make_corpus
from badinputs.base import communities, grid_lines_m, lonlat, write_project

#: make_corpus, whose CASES these register into (run as a script it imports itself as that module).
_mc = make_corpus
case = _mc.case
_GIS = {"path": "communities.geojson", "x": None, "y": None, "crs": None}
NAMES = list(communities()["小区名称"])


def _names(result: Any, _: Path) -> None:
    assert list(result.communities["name"]) == NAMES, list(result.communities["name"])[:5]


def _households_base(result: Any, _: Path) -> None:
    _names(result, _)
    want = [300 + 37 * i for i in range(len(NAMES))]
    np.testing.assert_array_equal(result.communities["households"].to_numpy(), want)


def _assumption(result: Any, pattern: str) -> None:
    assert any(re.search(pattern, a) for a in result.assumptions), (pattern, result.assumptions)


def _xlsx(path: Path, rows: list[list[Any]], *, title: str | None = None, merges: tuple[str, ...] = (),
          sheets: dict[str, list[list[Any]]] | None = None) -> Path:
    """Write rows (header first) to an XLSX sheet, optionally under a merged title row, plus other sheets."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Sheet1"
    for name, other in (sheets or {}).items():
        extra = book.create_sheet(name)
        for row in other:
            extra.append(row)
    if title is not None:
        ws.append([title])
    for row in rows:
        ws.append(row)
    for span in merges:
        ws.merge_cells(span)
    book.save(path)
    return path


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return [list(frame.columns), *frame.astype(object).to_numpy().tolist()]


# ---------------------------------------------------------------------------------- what a file really is


@case(group="file not what its name says", input="communities.xls that is an HTML page (a web system's export)",
      answer="warning", expect=r"communities\.xls: the name says \.xls but the file is an HTML page: read as such",
      does="read by content: the page's table is the sheet; said in the assumptions", check=_households_base)
def build_xls_is_html(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xls"})
    html = communities().to_html(index=False)
    (root / "communities.xls").write_text(f"<html><meta charset='utf-8'><body>{html}</body></html>", encoding="utf-8")
    return project


@case(group="file not what its name says", input="communities.csv that is an XLSX workbook", answer="warning",
      expect=r"communities\.csv: the name says \.csv but the file is an Excel workbook \(\.xlsx\)",
      does="read as the workbook it is; said in the assumptions", check=_households_base)
def build_csv_is_xlsx(root: Path) -> Path:
    project = write_project(root)
    _xlsx(root / "communities.csv", _rows(communities()))
    return project


@case(group="file not what its name says", input="communities.xlsx that is CSV text", answer="warning",
      expect=r"communities\.xlsx: the name says \.xlsx but the file is delimited text \(CSV\)",
      does="read as the CSV it is; said in the assumptions", check=_households_base)
def build_xlsx_is_csv(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx"})
    communities().to_csv(root / "communities.xlsx", index=False)
    return project


@case(group="UTF-16 text", input="communities.txt saved as Excel's \"Unicode text\" (UTF-16, tab-separated)",
      answer="warning", expect=r"communities\.txt: UTF-16 text .*read as such",
      does="decoded by its BOM, tabs detected; both said in the assumptions", check=_households_base)
def build_utf16_text(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.txt"})
    (root / "communities.txt").write_bytes(communities().to_csv(index=False, sep="\t").encode("utf-16"))
    return project


@case(group="empty file", input="communities.csv holding only blank lines", answer="error",
      expect=r"communities\.csv: the file is empty \(\d+ bytes, all blank\)", does="error naming the file")
def build_blank_file(root: Path) -> Path:
    project = write_project(root)
    (root / "communities.csv").write_text("\n\n  \n", encoding="utf-8")
    return project


@case(group="file not what its name says", input="communities.geojson that is an HTML error page", answer="error",
      expect=r"communities\.geojson: the name says \.geojson but the file is an HTML page, not JSON text",
      does="error saying what the file holds and to download it again")
def build_geojson_is_html(root: Path) -> Path:
    project = write_project(root, communities=_GIS)
    (root / "communities.geojson").write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                                              encoding="utf-8")
    return project


def _geojson_text(root: Path) -> str:
    return _mc._polygon_layer(root, {}).read_text(encoding="utf-8")


@case(group="file not what its name says", input="communities.geojson cut off mid-way (a truncated download)",
      answer="error",
      expect=r"communities\.geojson: not valid JSON \(line \d+, column \d+: .*\) — a truncated download",
      does="error naming the file and where the JSON breaks off")
def build_geojson_truncated(root: Path) -> Path:
    project = write_project(root, communities=_GIS)
    text = _geojson_text(root)
    (root / "communities.geojson").write_text(text[: len(text) // 2], encoding="utf-8")
    return project


@case(group="file not what its name says", input="communities.json holding a map API's answer "
                                                 "({\"status\": \"1\", \"pois\": [...]})", answer="error",
      expect=r"communities\.json: JSON but not GeoJSON \(no \"type\": \"FeatureCollection\"; top level: status, "
             r"count, pois\)", does="error saying what the JSON holds and what to export instead")
def build_json_not_geojson(root: Path) -> Path:
    import json

    project = write_project(root, communities={**_GIS, "path": "communities.json"})
    pois = [{"name": n, "location": "120.15,30.26"} for n in NAMES]
    (root / "communities.json").write_text(json.dumps({"status": "1", "count": "40", "pois": pois},
                                                      ensure_ascii=False), encoding="utf-8")
    return project


@case(group="file not what its name says", input="communities.json: a JSON list of records with 经度/纬度 fields",
      answer="warning", expect=r"communities\.json: a JSON list of 40 records, read as a table",
      does="read as the table it is (x = / y = name the coordinate fields); said in the assumptions",
      check=_households_base)
def build_json_records(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.json"})
    communities().to_json(root / "communities.json", orient="records", force_ascii=False)
    return project


@case(group="missing file", input="[communities] path = \"Communities.CSV\" (the file is communities.csv)",
      answer="error", expect=r"path 'Communities\.CSV' not found \(looked at .*\); files there with a similar name: "
                             r"communities\.csv", does="error naming the files of a similar name in the folder")
def build_path_case_differs(root: Path) -> Path:
    return write_project(root, communities={"path": "Communities.CSV"})


@case(group="path is a folder", input="[communities] path names a folder", answer="error",
      expect=r"data: is a folder, not a file \(files there: communities\.csv\)",
      does="error listing the layer files in the folder")
def build_layer_path_is_folder(root: Path) -> Path:
    project = write_project(root, communities={"path": "data"})
    (root / "data").mkdir()
    communities().to_csv(root / "data" / "communities.csv", index=False)
    return project


# ---------------------------------------------------------------------------------------------- shapefiles


def _shapefile(root: Path, name: str = "communities") -> Path:
    import geopandas as gpd
    import shapely

    com = communities()
    gdf = gpd.GeoDataFrame(com.drop(columns=["经度", "纬度"]).rename(columns={"小区编号": "id", "小区名称": "name",
                                                                          "户数": "hh", "建成年代": "year"}),
                           geometry=shapely.points(com["经度"].to_numpy(), com["纬度"].to_numpy()), crs=4326)
    path = root / f"{name}.shp"
    gdf.to_file(path, encoding="UTF-8", engine="pyogrio")
    return path


_SHP = {**_GIS, "path": "communities.shp", "fields": {"community_id": "id", "name": "name", "households": "hh",
                                                       "build_year": "year"}}


@case(group="Shapefile without its siblings", input="communities.shp without its .dbf", answer="error",
      expect=r"communities\.shp: the Shapefile is missing its attribute table \(\.dbf\).*copy them all",
      does="error naming the missing file and what a Shapefile is made of")
def build_shapefile_without_dbf(root: Path) -> Path:
    project = write_project(root, communities=_SHP)
    _shapefile(root).with_suffix(".dbf").unlink()
    return project


@case(group="Shapefile without its siblings", input="communities.shp without its .shx", answer="error",
      expect=r"communities\.shp: the Shapefile is missing its index \(\.shx\)",
      does="error naming the missing file and what a Shapefile is made of")
def build_shapefile_without_shx(root: Path) -> Path:
    project = write_project(root, communities=_SHP)
    _shapefile(root).with_suffix(".shx").unlink()
    return project


@case(group="zipped Shapefile", input="communities.zip holding the Shapefile's files", answer="handled", expect="",
      does="read inside the archive (GDAL /vsizip/)", check=_households_base)
def build_zipped_shapefile(root: Path) -> Path:
    project = write_project(root, communities={**_SHP, "path": "communities.zip"})
    (root / "_shp").mkdir()
    shp = _shapefile(root / "_shp")
    with zipfile.ZipFile(root / "communities.zip", "w") as zf:
        for part in sorted(shp.parent.iterdir()):
            zf.write(part, part.name)
    return project


# --------------------------------------------------------------------------------------------- the network


def _network_gpkg(root: Path, layers: list[str]) -> None:
    """streets.gpkg with a points layer ``pois`` and/or the grid as line layer ``roads``, in the given order."""
    import geopandas as gpd
    import shapely

    for name in layers:
        if name == "pois":
            lon, lat = lonlat([0.0, 200.0], [0.0, 0.0])
            gdf = gpd.GeoDataFrame({"n": ["a", "b"]}, geometry=shapely.points(lon, lat), crs=4326)
        else:
            lines = [shapely.LineString(np.column_stack(lonlat([p[0] for p in ln], [p[1] for p in ln])))
                     for ln in grid_lines_m()]
            gdf = gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=4326)
        gdf.to_file(root / "streets.gpkg", layer=name, engine="pyogrio")


@case(group="network layer", input="streets.gpkg whose first layer is points, its second the streets",
      answer="handled", expect="", does="the only line layer is used (said in the log); distances as on the base",
      check=lambda r, root: _mc._same_values_as_base(r, root))
def build_network_gpkg_points_first(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.gpkg"})
    _network_gpkg(root, ["pois", "roads"])
    return project


@case(group="network layer", input="[network] layer = \"streets\", not in streets.gpkg", answer="error",
      expect=r"streets\.gpkg: no layer 'streets'; layers in the file: pois \(Point\), roads \(LineString\); "
             r"set layer = ",
      does="error listing the layers with their geometry and saying layer =")
def build_network_layer_missing(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.gpkg", "layer": "streets"})
    _network_gpkg(root, ["pois", "roads"])
    return project


@case(group="network path is a folder", input="[network] path names the folder the streets are in",
      answer="error", expect=r"roads: is a folder, not a file \(files there: streets\.geojson\)",
      does="error listing the files in the folder")
def build_network_path_is_folder(root: Path) -> Path:
    project = write_project(root, network={"path": "roads"})
    (root / "roads").mkdir()
    (root / "streets.geojson").rename(root / "roads" / "streets.geojson")
    return project


def _streets_shapefile(root: Path) -> None:
    import geopandas as gpd

    gdf = gpd.read_file(root / "streets.geojson")
    gdf.to_file(root / "streets.shp", engine="pyogrio")
    (root / "streets.prj").unlink()


@case(group="network without CRS", input="streets.shp without .prj, no crs in [network]", answer="error",
      expect=r"streets\.shp: the road layer has no coordinate system \(no \.prj\?\); add crs = \"\.\.\.\" to "
             r"\[network\].*crs = \"WGS84\"",
      does="error saying to add [network] crs, with the systems the coordinates' range suggests")
def build_network_shapefile_without_prj(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.shp"})
    _streets_shapefile(root)
    return project


@case(group="network without CRS", input="streets.shp without .prj, [network] crs = \"WGS84\"", answer="handled",
      expect="", does="the declared system is used: distances as on the base",
      check=lambda r, root: _mc._same_values_as_base(r, root))
def build_network_crs_declared(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.shp", "crs": "WGS84"})
    _streets_shapefile(root)
    return project


@case(group="file not what its name says", input="streets.osm.pbf that is an HTML page (a failed download)",
      answer="error", expect=r"streets\.osm\.pbf: the name says \.pbf but the file is an HTML page, not an "
                             r"OpenStreetMap extract", does="error saying to download the extract again")
def build_network_pbf_is_html(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.osm.pbf"})
    (root / "streets.osm.pbf").write_text("<html><body>Too many requests</body></html>", encoding="utf-8")
    return project


@case(group="truncated file", input="streets.osm.pbf cut to its first 20 kB (an interrupted download)",
      answer="error", expect=r"cannot read OSM file .*streets\.osm\.pbf: .* — the extract is damaged or truncated\?",
      does="error naming the file and saying to download it again")
def build_network_pbf_truncated(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.osm.pbf"})
    demo = Path(__file__).resolve().parents[2] / "layers" / "hangzhou-central" / "streets-2015.osm.pbf"
    (root / "streets.osm.pbf").write_bytes(demo.read_bytes()[:20_000])
    return project


# ------------------------------------------------------------------------------------------- TOML files


def _rewrite(project: Path, fn: Any) -> Path:
    project.write_text(fn(project.read_text(encoding="utf-8")), encoding="utf-8")
    return project


@case(group="project file as editors save it", input="geoplan.toml saved with a UTF-8 BOM (Notepad)",
      answer="handled", expect="", does="the BOM is ignored (logged); the audit runs",
      check=lambda r, _: (_names(r, _), _households_base(r, _)))
def build_toml_bom(root: Path) -> Path:
    project = write_project(root)
    project.write_bytes(b"\xef\xbb\xbf" + project.read_bytes())
    return project


@case(group="project file as editors save it", input="geoplan.toml saved as UTF-16 (Notepad's \"Unicode\")",
      answer="handled", expect="", does="decoded by its BOM (a warning in the log says to save it as UTF-8)",
      check=lambda r, _: _households_base(r, _))
def build_toml_utf16(root: Path) -> Path:
    project = write_project(root)
    project.write_bytes(project.read_text(encoding="utf-8").encode("utf-16"))
    return project


@case(group="project file as editors save it", input="title = “某区” with full-width quotes (Chinese input method)",
      answer="error", expect=r"geoplan\.toml: TOML syntax error in the project file at line 2, column \d+: .*"
                             r"full-width quotes",
      does="error naming the line, showing it, and saying to type ASCII quotes")
def build_toml_fullwidth_quotes(root: Path) -> Path:
    return _rewrite(write_project(root), lambda t: t.replace('"title" = "坏数据测试"', '"title" = “坏数据测试”'))


@case(group="project file as editors save it", input="path = \"C:\\data\\小区.csv\" (backslashes in double quotes)",
      answer="error", expect=r"line \d+, column \d+: .*backslash in \"\.\.\.\" starts an escape: write paths with /",
      does="error naming the line and saying to use / or single quotes")
def build_toml_windows_path(root: Path) -> Path:
    return _rewrite(write_project(root), lambda t: t.replace('"path" = "communities.csv"',
                                                             '"path" = "C:\\data\\小区.csv"', 1))


@case(group="project file as editors save it", input="托育机构 = \"childcare\" (a Chinese key without quotes)",
      answer="error", expect=r"line \d+, column \d+: .*`托育机构 = \"childcare\"` — a key other than A-Z",
      does="error naming and showing the line, saying the key needs quotes")
def build_toml_unquoted_key(root: Path) -> Path:
    return _rewrite(write_project(root), lambda t: t.replace('"托育机构" = "childcare"', '托育机构 = "childcare"'))


@case(group="project file as editors save it",
      input="`geoplan audit communities.csv`: a data file given as the project",
      answer="error", expect=r"communities\.csv: a data file \(\.csv\), not a project file; write a geoplan\.toml that "
                             r"names it", does="error saying what a project file is for")
def build_data_file_as_project(root: Path) -> Path:
    write_project(root)
    return root / "communities.csv"


@case(group="project file as editors save it", input="[communities] heder_row = 2 (a typo)", answer="error",
      expect=r"\[communities\] unknown key 'heder_row' \(did you mean 'header_row'\?\)",
      does="error naming the closest allowed key and listing them all")
def build_toml_key_typo(root: Path) -> Path:
    return write_project(root, communities={"heder_row": 2})


# ------------------------------------------------------------------------------------------ columns


@case(group="column mapped twice", input="[communities.fields] name and community_id both \"小区名称\"",
      answer="error", expect=r"\[communities\] column '小区名称' is mapped to 2 fields \(community_id, name\)",
      does="error naming the column and both fields")
def build_column_mapped_twice(root: Path) -> Path:
    fields = {"community_id": "小区名称", "name": "小区名称", "households": "户数"}
    return write_project(root, communities={"fields": fields})


@case(group="two columns with the same name", input="communities.csv with two 户数 columns", answer="error",
      expect=r"communities\.csv: two columns have the same name: '户数' \(columns 5, 7\)",
      does="error naming the column and its positions: which one is meant would be a guess")
def build_duplicate_column_names(root: Path) -> Path:
    project = write_project(root)
    com = communities()
    com.insert(6, "户数 ", com["户数"])  # pandas will not write two equal names: the space is stripped on reading
    com.to_csv(root / "communities.csv", index=False)
    return project


# ------------------------------------------------------------------------------------------- Excel as kept


@case(group="Excel as planners keep it", input="communities.xlsx with a merged title row above the header",
      answer="warning", expect=r"communities\.xlsx: header found on row 2 \(1 title row\(s\) above skipped\); "
                               r"set header_row = 2",
      does="the header is found by the mapped column names; said in the assumptions", check=_households_base)
def build_excel_title_row(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx"})
    _xlsx(root / "communities.xlsx", _rows(communities()), title="某区小区名单（2023年）", merges=("A1:F1",))
    return project


@case(group="Excel as planners keep it", input="two title rows, header_row = 3 in the project", answer="handled",
      expect="", does="the given row is the header; no note", check=_households_base)
def build_excel_header_row_given(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx", "header_row": 3})
    _xlsx(root / "communities.xlsx", [["制表：某区民政局"], *_rows(communities())], title="某区小区名单")
    return project


@case(group="Excel as planners keep it",
      input="a two-row header: 基本信息 / 位置 merged over the names, 小区编号 merged down two rows",
      answer="handled", expect="", does="merged cells filled with their value; the row holding the mapped names "
                                        "is the header", check=_households_base)
def build_excel_merged_header(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx"})
    rows = _rows(communities())
    upper = ["小区编号", "基本信息", None, "位置", None, "建成年代"]
    _xlsx(root / "communities.xlsx", [upper, rows[0], *rows[1:]], merges=("B1:C1", "D1:E1", "A1:A2", "F1:F2"))
    return project


@case(group="Excel as planners keep it", input="sheet = \"小区\", the workbook's sheets are Sheet1 and 说明",
      answer="error", expect=r"communities\.xlsx: no sheet '小区'; sheets in the workbook: 'Sheet1', '说明'; "
                             r"set sheet = ", does="error listing the workbook's sheets and saying sheet =")
def build_excel_wrong_sheet(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx", "sheet": "小区"})
    _xlsx(root / "communities.xlsx", _rows(communities()), sheets={"说明": [["本表由某区民政局提供"]]})
    return project


@case(group="Excel as planners keep it", input="no sheet given; the first sheet is 说明, the data on 小区",
      answer="error", expect=r"the columns of \[communities\] are not on the first sheet '说明' but on sheet '小区'; "
                             r"set sheet = \"小区\"",
      does="error naming the sheet that has the columns and saying sheet =")
def build_excel_data_not_on_first_sheet(root: Path) -> Path:
    import openpyxl

    project = write_project(root, communities={"path": "communities.xlsx"})
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "说明"
    ws.append(["本表由某区民政局提供"])
    data = book.create_sheet("小区")
    for row in _rows(communities()):
        data.append(row)
    book.save(root / "communities.xlsx")
    return project


@case(group="Excel as planners keep it", input="户数 as formulas (=300+37*…) never calculated: no saved values",
      answer="error", expect=r"communities\.xlsx: cell\(s\) E2, E3, .* hold formulas with no saved value",
      does="error naming the cells and saying to open and save the file in Excel/WPS or paste values")
def build_excel_formulas_without_values(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx"})
    rows = _rows(communities())
    for i, row in enumerate(rows[1:]):
        row[4] = f"=300+37*{i}"
    _xlsx(root / "communities.xlsx", rows)
    return project


@case(group="Excel as planners keep it", input="建成年代 as Excel date cells (1985-06-30 …)", answer="handled",
      expect="", does="the year of each date is the build year",
      check=lambda r, _: np.testing.assert_array_equal(
          r.communities["build_year"].to_numpy(), [1985 + i % 38 for i in range(len(NAMES))]))
def build_excel_dates_as_build_years(root: Path) -> Path:
    import datetime as dt

    project = write_project(root, communities={"path": "communities.xlsx"})
    rows = _rows(communities())
    for i, row in enumerate(rows[1:]):
        row[5] = dt.datetime(1985 + i % 38, 6, 30)
    _xlsx(root / "communities.xlsx", rows)
    return project


# ---------------------------------------------------------------------------------------------- CSV as kept


@case(group="CSV separators", input="communities.csv separated by semicolons", answer="warning",
      expect=r"communities\.csv: fields separated by semicolons \(detected\); set sep = to override",
      does="the separator is detected among , tab ; |; said in the assumptions", check=_households_base)
def build_csv_semicolons(root: Path) -> Path:
    project = write_project(root)
    communities().to_csv(root / "communities.csv", index=False, sep=";")
    return project


@case(group="CSV separators", input="communities.csv separated by tabs, sep = \"\\t\" given", answer="handled",
      expect="", does="the given separator is used; no note", check=_households_base)
def build_csv_tabs_declared(root: Path) -> Path:
    project = write_project(root, communities={"sep": "\t"})
    communities().to_csv(root / "communities.csv", index=False, sep="\t")
    return project


@case(group="CSV as exported", input="every line ends with a comma (an empty last column)", answer="handled",
      expect="", does="the blank, nameless column is left out", check=_households_base)
def build_csv_trailing_empty_column(root: Path) -> Path:
    project = write_project(root)
    text = communities().to_csv(index=False)
    (root / "communities.csv").write_text("".join(line + ",\n" for line in text.splitlines()), encoding="utf-8")
    return project


@case(group="CSV as exported", input="the header repeated on line 12 (pasted from a printed page)", answer="flag",
      row=11, n_communities=41, expect=r"a repeat of the header row \(no data\)",
      does="the row is kept in its place, flagged, its values missing (not evaluable, never a zero)")
def build_header_repeated(root: Path) -> Path:
    com = communities()
    header = pd.DataFrame([dict(zip(com.columns, com.columns, strict=True))])
    return write_project(root, com=pd.concat([com.iloc[:10], header, com.iloc[10:]], ignore_index=True))


@case(group="CSV as exported", input="a 合计 (total) row at the foot of the table, 户数 = the sum", answer="flag",
      row=41, n_communities=41, expect=r"a total row \('合计'\), not a community: its values are read as missing",
      does="the row is kept in its place and flagged; its values are missing, so the sum never counts as a community",
      check=lambda r, _: np.testing.assert_equal(np.isnan(r.communities["households"].iloc[40]), True))
def build_total_row(root: Path) -> Path:
    com = communities()
    total = pd.DataFrame([{"小区编号": "", "小区名称": "合计", "户数": f"{sum(300 + 37 * i for i in range(40))}户"}])
    return write_project(root, com=pd.concat([com, total], ignore_index=True))


@case(group="CSV separators", input="a first line sep=; (Excel's separator hint), then ;-separated rows",
      answer="handled", expect="", does="the hint line names the separator and is not data", check=_households_base)
def build_csv_excel_sep_line(root: Path) -> Path:
    project = write_project(root)
    (root / "communities.csv").write_text("sep=;\n" + communities().to_csv(index=False, sep=";"), encoding="utf-8")
    return project


@case(group="mixed encodings", input="encoding = \"GBK\" declared, the file is UTF-8 with a BOM", answer="warning",
      expect=r"communities\.csv: encoding = 'GBK' declared, but the file starts with a UTF-8 byte-order mark: read "
             r"as UTF-8", does="the byte-order mark wins (it is unambiguous); said in the assumptions",
      check=_households_base)
def build_declared_gbk_but_utf8_bom(root: Path) -> Path:
    project = write_project(root, communities={"encoding": "GBK"})
    communities().to_csv(root / "communities.csv", index=False, encoding="utf-8-sig")
    return project


@case(group="CSV as exported", input="row 3's name holds an unquoted comma (测试,小区3): 7 values under 6 names",
      answer="flag", row=3, expect=r"7 values but the header has 6 columns \(a separator inside an unquoted value\?\)",
      does="the row is kept and flagged; its shifted values are read as missing, never as the wrong field",
      check=lambda r, _: np.testing.assert_equal(np.isnan(r.communities["households"].iloc[2]), True))
def build_csv_unquoted_separator(root: Path) -> Path:
    project = write_project(root)
    lines = communities().to_csv(index=False).splitlines()
    lines[3] = lines[3].replace("测试小区3", "测试,小区3")
    (root / "communities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project


@case(group="coordinates in one column", input="location = \"120.15,30.26\" (a map API's lon,lat pair), "
                                               "x = y = \"location\"", answer="handled", expect="",
      does="the pair is split at its comma: distances as on the base",
      check=lambda r, root: _mc._same_values_as_base(r, root))
def build_lonlat_in_one_column(root: Path) -> Path:
    com = communities()
    com["location"] = [f"{a},{b}" for a, b in zip(com.pop("经度"), com.pop("纬度"), strict=True)]
    return write_project(root, com=com, communities={"x": "location", "y": "location"})


# -------------------------------------------------------------------------------------------- values


MULTIPLIERS = ["约1.5千户", "2千户", "1.2万户", "1万2千户", "3百户", "万科1200户"]


def _multiplied(result: Any, _: Path) -> None:
    got = result.communities["households"].to_numpy()[: len(MULTIPLIERS)]
    np.testing.assert_array_equal(got, [1500, 2000, 12000, 12000, 300, 1200])


@case(group="household strings", input="户数: 约1.5千户, 2千户, 1.2万户, 1万2千户, 3百户, 万科1200户", answer="flag",
      row=1, expect=r"households: approximate: 约1\.5千户",
      does="the multiplier after a number applies to it (1500, 2000, 12000, 12000, 300); a 万 in a name does not "
           "(1200); approximate values noted", check=_multiplied)
def build_household_multipliers(root: Path) -> Path:
    com = communities()
    com.loc[: len(MULTIPLIERS) - 1, "户数"] = MULTIPLIERS
    return write_project(root, com=com)


YEARS = ["2031年建成", "1990年代", "90年代", "二〇〇五年", "2000-2005年", "34700"]


def _years(result: Any, _: Path) -> None:
    got = result.communities["build_year"].to_numpy()[: len(YEARS)]
    np.testing.assert_array_equal(got, [np.nan, 1990, 1990, 2005, 2000, 1995])
    flags = list(result.communities["flags"][: len(YEARS)])
    assert "approximate, a decade" in flags[1] and "first of several years" in flags[4], flags
    assert "Excel date serial 34700 read as 1995-01-01" in flags[5], flags


@case(group="build years", input="建成年代: 2031年建成 (future), 1990年代, 90年代, 二〇〇五年, 2000-2005年, 34700",
      answer="flag", row=1, expect=r"build_year: year in the future \(after \d{4}\) dropped: 2031",
      does="a future year is flagged and kept missing; decades read as their first year and Excel date serials as "
           "their year, both noted; a range takes its first year, noted", check=_years)
def build_build_years(root: Path) -> Path:
    com = communities()
    com.loc[: len(YEARS) - 1, "建成年代"] = YEARS
    return write_project(root, com=com)



def _spreadsheet_xml(frame: pd.DataFrame) -> str:
    """An Excel 2003 "XML Spreadsheet" of a frame, with a merged title row and a cell placed by ss:Index."""
    from xml.sax.saxutils import escape

    def cell(value: Any, index: int | None = None) -> str:
        kind = "Number" if isinstance(value, int | float) else "String"
        at = f' ss:Index="{index}"' if index else ""
        return f'<Cell{at}><Data ss:Type="{kind}">{escape(str(value))}</Data></Cell>'

    width = len(frame.columns)
    rows = [f'<Row><Cell ss:MergeAcross="{width - 1}"><Data ss:Type="String">某区小区名单</Data></Cell></Row>',
            "<Row>" + "".join(cell(c) for c in frame.columns) + "</Row>"]
    rows += ["<Row>" + "".join(cell(v) for v in row) + "</Row>" for row in frame.astype(object).to_numpy().tolist()]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="小区"><Table>'
            + "".join(rows) + "</Table></Worksheet></Workbook>\n")


@case(group="file not what its name says", input="communities.xls that is an Excel 2003 XML Spreadsheet "
                                                 "(a government system's export), a merged title row on top",
      answer="warning", expect=r"communities\.xls: an Excel 2003 XML workbook \(\"XML Spreadsheet\"\): read as such",
      does="read as the XML workbook it is, the title row skipped; said in the assumptions", check=_households_base)
def build_xls_is_spreadsheet_xml(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xls"})
    (root / "communities.xls").write_text(_spreadsheet_xml(communities()), encoding="utf-8")
    return project
