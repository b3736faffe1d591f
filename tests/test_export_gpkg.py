"""GeoPackage output: several layers, full names, CRS, and the QGIS layer_styles table."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from geopandas import GeoDataFrame
from test_export_data import NAMES, PRESENCE, PROV, REACH, make_result

from geoplan._errors import InputError
from geoplan.outputs._styles import STATUS_STYLE
from geoplan.outputs.export import write_geopackage
from geoplan.result import SEP
from geoplan.rules.base import STATUSES

_COLOURS = {
    "pass": "0,114,178", "fail": "213,94,0", "not_evaluable": "153,153,153", "not_applicable": "204,204,204",
}


def _layers() -> dict[str, GeoDataFrame]:
    r = make_result(admin=True)
    assert r.admin_units is not None
    return {"communities": r.communities, "facilities": r.facilities, "admin_units": r.admin_units}


def _styles(path: Path) -> pd.DataFrame:
    with sqlite3.connect(path) as db:
        frame = pd.read_sql("SELECT * FROM layer_styles ORDER BY id", db)
    return frame


def test_layers_round_trip_with_full_names_and_crs(tmp_path: Path) -> None:
    layers = _layers()
    path = write_geopackage(layers, tmp_path / "audit.gpkg")
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names[:3] == ["communities", "facilities", "admin_units"]
    for name, src in layers.items():
        back = pyogrio.read_dataframe(path, layer=name)
        assert len(back) == len(src)
        assert list(back.columns) == list(src.columns)
        assert back.crs.to_epsg() == 4549
    com = pyogrio.read_dataframe(path, layer="communities")
    src = layers["communities"]
    assert com["name"].tolist() == NAMES
    assert com[f"{REACH}{SEP}status"].tolist() == src[f"{REACH}{SEP}status"].tolist()
    np.testing.assert_allclose(com["households"], src["households"], equal_nan=True)
    np.testing.assert_allclose(com.geometry.x, src.geometry.x)
    fac = pyogrio.read_dataframe(path, layer="facilities")
    assert fac["attached"].tolist() == [True, True, False]


def test_layer_styles_as_qgis_reads_them(tmp_path: Path) -> None:
    path = write_geopackage(_layers(), tmp_path / "audit.gpkg")
    styles = _styles(path)
    assert list(styles.columns) == [
        "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
    ]
    # one style per rule with results on the layer (the first the default), facilities one by type
    tables = ["communities", "communities", "facilities", "admin_units"]
    assert styles["f_table_name"].tolist() == tables
    assert styles["styleName"].tolist() == [f"communities {REACH}", f"communities {PROV}", "facilities",
                                            f"admin_units {PRESENCE}"]
    assert styles["useAsDefault"].tolist() == [1, 0, 1, 1]
    assert (styles["f_table_schema"] == "").all()
    with sqlite3.connect(path) as db:
        geom_cols = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        contents = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert styles["f_geometry_column"].tolist() == [geom_cols[t] for t in tables]
    assert contents["layer_styles"] == "attributes"
    # QGIS loads it through OGR: the table must be visible as a layer there
    via_ogr = pyogrio.read_dataframe(path, layer="layer_styles")
    assert via_ogr["f_table_name"].tolist() == tables


@pytest.mark.parametrize(("table", "attr", "kind"), [("communities", f"{REACH}{SEP}status", "marker"),
                                                     ("admin_units", f"{PRESENCE}{SEP}status", "fill")])
def test_qml_is_a_categorized_renderer_on_the_first_status(tmp_path: Path, table: str, attr: str,
                                                           kind: str) -> None:
    path = write_geopackage(_layers(), tmp_path / "audit.gpkg")
    styles = _styles(path)
    qml = styles[(styles["f_table_name"] == table) & (styles["useAsDefault"] == 1)]["styleQML"].iloc[0]
    assert qml.startswith("<!DOCTYPE qgis")
    root = ET.fromstring(qml)
    assert root.tag == "qgis" and root.get("version", "").startswith("3.")
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == attr
    cats = renderer.findall("categories/category")
    assert [c.get("value") for c in cats] == list(STATUSES)
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for cat in cats:
        symbol = symbols[cat.get("symbol")]
        assert symbol.get("type") == kind
        layer = symbol.find("layer")
        assert layer is not None
        opts = {o.get("name"): o.get("value") for o in layer.findall("Option/Option")}
        props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        assert opts == props
        assert opts["color"].startswith(_COLOURS[cat.get("value", "")])
        assert cat.get("label") == STATUS_STYLE[cat.get("value", "")][1]


def test_without_styles_and_rewriting_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.gpkg"
    write_geopackage(_layers(), path)
    write_geopackage({"communities": make_result().communities}, path, styles=False)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["communities"]
    assert len(pyogrio.read_dataframe(path, layer="communities")) == 5
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_layer_names_are_refused(tmp_path: Path) -> None:
    for name in ("", "gpkg_contents", "layer_styles", "rtree_x"):
        with pytest.raises(InputError, match="layer name"):
            write_geopackage({name: make_result().communities}, tmp_path / "x.gpkg")
    with pytest.raises(InputError, match="at least one layer"):
        write_geopackage({}, tmp_path / "x.gpkg")
    assert not (tmp_path / "x.gpkg").exists()


def test_facilities_open_by_type_even_with_their_own_rule_results(tmp_path: Path) -> None:
    facilities = make_result().facilities.copy()
    facilities[f"{PROV}{SEP}status"] = ["pass", "fail", "not_evaluable"]
    styles = _styles(write_geopackage({"facilities": facilities}, tmp_path / "f.gpkg"))
    assert styles["useAsDefault"].tolist() == [1, 0]
    by_type, by_rule = (ET.fromstring(q.split("\n", 1)[1]).find("renderer-v2") for q in styles["styleQML"])
    assert by_type is not None and by_type.get("attr") == "facility_type"
    assert by_rule is not None and by_rule.get("attr") == f"{PROV}{SEP}status"
