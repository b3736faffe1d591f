"""export_result: every format, every input row in every output, nothing outside the folder."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from test_export_data import FORMULA, NAMES, make_result

from geoplan._errors import InputError, OutputError
from geoplan.outputs.export import FORMATS, export_result
from geoplan.result import AuditResult


def _export(result: AuditResult, out: Path, **kwargs: object) -> dict[str, Path]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # field names shortened for the Shapefiles
        return export_result(result, out, **kwargs)  # type: ignore[arg-type]


def test_default_formats_write_the_expected_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = _export(make_result(), out)
    assert list(files) == sorted(files)
    assert set(files) == {
        "audit.gpkg", "audit.qgs", "communities.shp", "communities_fields.csv", "facilities.shp",
        "facilities_fields.csv", "communities.csv", "facilities.csv", "summary.csv", "summary_indicators.csv",
        "report.md",
    }
    for name, path in files.items():
        assert path.parent == out and path.name == name and path.stat().st_size > 0
    assert {p.name for p in tmp_path.iterdir()} == {"out"}  # nothing written beside the folder


def test_every_input_row_is_in_every_output(tmp_path: Path) -> None:
    result = make_result(admin=True)
    files = _export(result, tmp_path, formats=FORMATS)
    layers = {"communities": ("community_id", "COMM_ID"), "facilities": ("facility_id", "FAC_ID"),
              "admin_units": ("admin_code", "ADMIN")}
    wb = openpyxl.load_workbook(files["audit.xlsx"])
    sheets = {"communities": "小区 communities", "facilities": "设施 facilities", "admin_units": "行政区 admin units"}
    for layer, (id_col, short) in layers.items():
        expected = getattr(result, layer)[id_col].tolist()
        assert pyogrio.read_dataframe(files["audit.gpkg"], layer=layer)[id_col].tolist() == expected
        assert pyogrio.read_dataframe(files[f"{layer}.shp"])[short].tolist() == expected
        assert pyogrio.read_dataframe(files[f"{layer}.geojson"])[id_col].tolist() == expected
        csv = pd.read_csv(files[f"{layer}.csv"], encoding="utf-8-sig", dtype=str)
        assert csv[id_col].tolist() == expected
        assert [row[0].value for row in wb[sheets[layer]].iter_rows(min_row=2)] == expected
    geojson = pyogrio.read_dataframe(files["communities.geojson"])
    assert geojson.crs.to_epsg() == 4326 and geojson["name"].tolist() == NAMES


def test_csv_is_for_excel(tmp_path: Path) -> None:
    files = _export(make_result(), tmp_path, formats=["csv"])
    raw = files["communities.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    csv = pd.read_csv(files["communities.csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(csv.columns[:4]) == ["community_id", "name", "lon", "lat"]
    assert csv["name"].tolist()[3] == "'" + FORMULA  # would run as a formula in Excel otherwise
    assert csv["households"].tolist() == ["1200", "", "800", "450", "300"]
    assert float(csv["lon"].iloc[0]) == pytest.approx(120.15, abs=1e-6)


def test_crs_option_applies_to_gpkg_and_shapefile(tmp_path: Path) -> None:
    files = _export(make_result(), tmp_path, formats=["gpkg", "shp"], crs="CGCS2000", encoding="gbk")
    assert pyogrio.read_dataframe(files["audit.gpkg"], layer="communities").crs.to_epsg() == 4490
    back = pyogrio.read_dataframe(files["communities.shp"])
    assert back.crs.to_epsg() == 4490 and back["NAME"].tolist() == NAMES
    assert (tmp_path / "communities.cpg").read_text() == "936"


@pytest.mark.parametrize("stem", ["../escape", "a/b", "a\\b", "..", "", "c:x", "/tmp/abs"])
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, stem: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="plain file name"):
        export_result(make_result(), out, stem=stem)
    assert not any(tmp_path.rglob("*.gpkg")) and not any(tmp_path.rglob("*.md"))


def test_bad_arguments_fail_before_writing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown output format"):
        export_result(make_result(), tmp_path / "a", formats=["gpkg", "kml"])
    with pytest.raises(InputError, match="encoding"):
        export_result(make_result(), tmp_path / "b", formats=["gpkg", "shp"], encoding="big5")
    with pytest.raises(InputError, match="BD09"):
        export_result(make_result(), tmp_path / "c", crs="baidu")
    assert not any(tmp_path.iterdir())  # not even the folders
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        export_result(make_result(), tmp_path / "file")
