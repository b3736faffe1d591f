"""``geoplan export``: round trips through pyogrio from an audit GeoPackage — Shapefile in UTF-8 and GBK with
short names, their mapping file and the chosen CRS in the .prj; GeoPackage with QGIS styles; GeoJSON; XLSX —
and from a project (audited first)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pyproj
import pytest

from geoplan.audit import audit
from geoplan.cli import main
from geoplan.demo import demo_project
from geoplan.outputs.export import export_result

DATE = "2024-06-01"


@pytest.fixture(scope="module")
def audit_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit")
    export_result(audit(demo_project(), created=DATE), out, formats=("gpkg",))
    return out / "audit.gpkg"


def layer(path: Path, name: str = "communities") -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer=name)


def export(*args: str) -> int:
    return main(["export", *args])


def test_shapefile_utf8_round_trip(audit_gpkg: Path, tmp_path: Path) -> None:
    assert export(str(audit_gpkg), "--to", "shp", "--out", str(tmp_path)) == 0
    shp = tmp_path / "communities.shp"
    assert (tmp_path / "communities.cpg").read_text() == "UTF-8"
    source, back = layer(audit_gpkg), pyogrio.read_dataframe(shp)
    assert len(back) == len(source) and all(len(c) <= 10 for c in back.columns if c != "geometry")
    mapping = pd.read_csv(tmp_path / "communities_fields.csv", encoding="utf-8-sig")
    full = dict(zip(mapping["short"], mapping["full_name"], strict=True))
    assert set(full.values()) <= set(source.columns) and set(back.columns) - {"geometry"} <= set(full)
    names = back[next(s for s, f in full.items() if f == "name")]
    assert names.tolist() == source["name"].tolist()  # Chinese text intact
    status = next(s for s, f in full.items() if f == "reach_elderly_15__status")
    assert back[status].tolist() == source["reach_elderly_15__status"].tolist()
    assert pyproj.CRS(back.crs).equals(pyproj.CRS(source.crs)) and pyproj.CRS(back.crs).to_epsg() == 4549


def test_shapefile_gbk_in_the_gauss_krueger_zone(audit_gpkg: Path, tmp_path: Path) -> None:
    assert export(str(audit_gpkg), "--to", "shp", "--encoding", "gbk", "--crs", "GK", "--out", str(tmp_path)) == 0
    assert (tmp_path / "facilities.cpg").read_text() == "936"
    back = pyogrio.read_dataframe(tmp_path / "facilities.shp", encoding="gbk")
    source = layer(audit_gpkg, "facilities")
    mapping = pd.read_csv(tmp_path / "facilities_fields.csv", encoding="utf-8-sig")
    short = dict(zip(mapping["full_name"], mapping["short"], strict=True))
    assert back[short["name"]].fillna("").tolist() == source["name"].fillna("").tolist()  # DBF: empty = null
    prj = (tmp_path / "facilities.prj").read_text()
    assert "CGCS2000" in prj and "Gauss" in prj
    assert pyproj.CRS(back.crs).to_epsg() == 4549  # CM 120E for Hangzhou


def test_shapefile_in_cgcs2000_geographic(audit_gpkg: Path, tmp_path: Path) -> None:
    assert export(str(audit_gpkg), "--to", "shp", "--crs", "CGCS2000", "--out", str(tmp_path)) == 0
    back = pyogrio.read_dataframe(tmp_path / "communities.shp")
    assert pyproj.CRS(back.crs).to_epsg() == 4490
    assert 120.0 < back.geometry.x.median() < 120.3


def test_geopackage_with_qgis_styles(audit_gpkg: Path, tmp_path: Path) -> None:
    assert export(str(audit_gpkg), "--to", "gpkg", "--to", "geojson", "--out", str(tmp_path)) == 0
    out = tmp_path / "audit.gpkg"
    names = [n for n, _ in pyogrio.list_layers(out) if n != "layer_styles"]
    assert names == [n for n, _ in pyogrio.list_layers(audit_gpkg) if n != "layer_styles"]
    assert names[:3] == ["communities", "facilities", "admin_units"]
    assert {n.split("__")[0] for n in names[3:]} == {"service_area", "uncovered"}  # the demo's reach rules
    back, source = layer(out), layer(audit_gpkg)
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(source.drop(columns="geometry")))
    with sqlite3.connect(out) as db:
        styles = db.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles "
                            "WHERE useAsDefault = 1")
        rows = {r[0]: r for r in styles.fetchall()}
    assert set(rows) == set(names)  # every layer has its default style
    _, geom, default, qml = rows["communities"]
    assert geom == "geom" and default and "categorizedSymbol" in qml and "reach_elderly_15__status" in qml
    geojson = pyogrio.read_dataframe(tmp_path / "communities.geojson")
    assert pyproj.CRS(geojson.crs).to_epsg() == 4326 and len(geojson) == len(source)


def test_xlsx_from_a_geopackage_has_a_sheet_per_layer(audit_gpkg: Path, tmp_path: Path) -> None:
    assert export(str(audit_gpkg), "--to", "xlsx,csv", "--out", str(tmp_path)) == 0
    book = openpyxl.load_workbook(tmp_path / "audit.xlsx", read_only=True)
    assert book.sheetnames == ["communities", "facilities", "admin_units"]  # the demo has districts
    rows = list(book["communities"].iter_rows(values_only=True))
    assert len(rows) == len(layer(audit_gpkg)) + 1
    table = pd.read_csv(tmp_path / "communities.csv", encoding="utf-8-sig")
    assert {"lon", "lat"} <= set(table.columns) and table["lon"].between(120.0, 120.3).all()


def test_project_source_is_audited_and_exported(tmp_path: Path) -> None:
    assert export(str(demo_project()), "--to", "xlsx", "--to", "shp", "--date", DATE, "--out", str(tmp_path)) == 0
    book = openpyxl.load_workbook(tmp_path / "audit.xlsx", read_only=True)
    assert "指标 indicators" in book.sheetnames and "规则 rules" in book.sheetnames
    assert (tmp_path / "communities.shp").is_file() and (tmp_path / "communities_fields.csv").is_file()


def test_refusals(audit_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export(str(audit_gpkg), "--to", "gpkg", "--out", str(audit_gpkg.parent)) == 2
    assert "is the GeoPackage being exported" in capsys.readouterr().err
    assert export(str(audit_gpkg), "--to", "md", "--out", str(tmp_path)) == 2
    assert "cannot be made from a GeoPackage" in capsys.readouterr().err
    assert export(str(audit_gpkg), "--to", "shp", "--encoding", "latin-1", "--out", str(tmp_path)) == 2
    assert "encoding" in capsys.readouterr().err
