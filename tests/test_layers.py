"""Reading layers: every format, field maps, parsed strings, offset systems; rows never dropped."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geoplan._errors import InputError, ProjectError
from geoplan.crs import wgs84_to_bd09
from geoplan.layers import canonical_communities, canonical_facilities, read_table
from geoplan.project import LayerSpec, load_project

GEOD = pyproj.Geod(ellps="WGS84")
LON = np.array([120.15, 120.16, 120.17])
LAT = np.array([30.26, 30.27, 30.28])


def _frame() -> pd.DataFrame:
    bd_lon, bd_lat = wgs84_to_bd09(LON, LAT)
    return pd.DataFrame({
        "小区名称": ["松木场河东", "<b>x</b>", "胜利新村"],
        "经度": bd_lon, "纬度": bd_lat,
        "户数": ["1597户", "暂无", "约600户"],
        "建成年代": ["1989年建成", None, "2023年建成"],
    })


def _spec(path: Path, **kw: object) -> LayerSpec:
    base = {"crs": "BD09", "x": "经度", "y": "纬度",
            "fields": {"name": "小区名称", "households": "户数", "build_year": "建成年代"}}
    base.update(kw)
    return LayerSpec(path=path, **base)  # type: ignore[arg-type]


def _check(gdf: gpd.GeoDataFrame) -> None:
    assert list(gdf["name"]) == ["松木场河东", "<b>x</b>", "胜利新村"]
    np.testing.assert_array_equal(gdf["households"].to_numpy(), [1597, np.nan, 600])
    np.testing.assert_array_equal(gdf["build_year"].to_numpy(), [1989, np.nan, 2023])
    err = GEOD.inv(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy(), LON, LAT)[2]
    assert np.max(err) < 0.01  # BD-09 undone to the centimetre
    assert "households: missing" in gdf["flags"][1]
    assert "approximate" in gdf["flags"][2]
    assert list(gdf["source_row"]) == [1, 2, 3]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_in_utf8_and_gbk(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "c.csv"
    _frame().to_csv(path, index=False, encoding=encoding)
    gdf, polygons = canonical_communities(read_table(_spec(path)), _spec(path))
    _check(gdf)
    assert polygons is None


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    _frame().to_excel(path, index=False)
    gdf, _ = canonical_communities(read_table(_spec(path)), _spec(path))
    _check(gdf)


@pytest.mark.parametrize(("suffix", "encoding"), [(".gpkg", None), (".geojson", None), (".shp", "GBK")])
def test_gis_formats_with_polygons(tmp_path: Path, suffix: str, encoding: str | None) -> None:
    frame = _frame().drop(columns=["经度", "纬度"])
    bd_lon, bd_lat = wgs84_to_bd09(LON, LAT)
    squares = [shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001) for x, y in zip(bd_lon, bd_lat, strict=True)]
    gdf_in = gpd.GeoDataFrame(frame, geometry=squares, crs=4326)
    path = tmp_path / f"c{suffix}"
    kwargs = {"encoding": encoding} if encoding else {}
    gdf_in.to_file(path, engine="pyogrio", **kwargs)
    if suffix == ".shp":  # a GBK shapefile with no .cpg, as old ArcGIS exports come
        path.with_suffix(".cpg").unlink()
    spec = LayerSpec(path=path, crs="BD09", encoding=encoding,
                     fields={"name": "小区名称", "households": "户数", "build_year": "建成年代"})
    gdf, polygons = canonical_communities(read_table(spec), spec)
    _check(gdf)
    assert polygons is not None and polygons.geom_type.eq("Polygon").all()
    assert polygons.contains(gdf.geometry).all()  # representative point inside its polygon


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    _frame().to_csv(path, index=False)
    spec = _spec(path, fields={"name": "小区名", "households": "户数"})
    with pytest.raises(InputError, match=r"c\.csv.*name = '小区名'.*Columns in the file: 小区名称"):
        canonical_communities(read_table(spec), spec)


def test_bad_coordinates_are_kept_and_flagged(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[1, "经度"] = np.nan
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    gdf, _ = canonical_communities(read_table(_spec(path)), _spec(path))
    assert len(gdf) == 3
    assert gdf.geometry.isna()[1] and "no usable coordinates" in gdf["flags"][1]


def test_facility_types_mapped_unknown_flagged(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    pd.DataFrame({"n": ["a", "b", "c", "d"], "t": ["托育机构", "kindergarten", "elderly_care", "gym"],
                  "lon": [*LON.tolist(), 120.2], "lat": [*LAT.tolist(), 30.3], "m2": ["200㎡", "", "1.2万", "x"],
                  "id": ["1", "1", "", "4"]}).to_csv(path, index=False)
    spec = LayerSpec(path=path, crs="WGS84", x="lon", y="lat",
                     fields={"name": "n", "facility_type": "t", "floor_area_m2": "m2", "facility_id": "id"})
    gdf = canonical_facilities(read_table(spec), spec, {"托育机构": "childcare", "kindergarten": "childcare"},
                               {"childcare", "elderly_care"})
    assert list(gdf["facility_type"][:3]) == ["childcare", "childcare", "elderly_care"]
    assert pd.isna(gdf["facility_type"][3])
    assert "unknown type 'gym'" in gdf["flags"][3]
    np.testing.assert_array_equal(gdf["floor_area_m2"].to_numpy(), [200, np.nan, 12000, np.nan])
    assert "duplicate id" in gdf["flags"][0] and "duplicate id" in gdf["flags"][1]
    assert gdf["facility_id"][2] == "F00003"  # generated where the source has none


def test_project_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "geoplan.toml").write_text(
        '[project]\ntitle = "t"\n[communities]\npath = "nope.csv"\nbogus = 1\n[communities.fields]\nhh = "x"\n'
        '[facilities]\npath = "f.csv"\nx = "lon"\n[oops]\n', encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path)
    text = str(info.value)
    for part in ("nope.csv", "'bogus'", "'hh'", "both x and y", "[oops]", "preset"):
        assert part in text
