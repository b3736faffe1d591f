"""audit.gpkg / Shapefiles / audit.qgs carry every map layer: service areas, uncovered frontage, admin units,
suggestions and catchments, each styled for QGIS (round-tripped through GDAL with pyogrio)."""

from __future__ import annotations

import dataclasses
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import suggest_fixtures as fx

from geoplan.audit import audit
from geoplan.outputs._gislayers import gis_layers, rule_titles
from geoplan.outputs._symbols import facility_symbol
from geoplan.outputs.export import GPKG_VERSION, export_result
from geoplan.result import SEP, AuditResult
from geoplan.siting import suggest_sites
from geoplan.siting.planning.plans import SitingResult

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, SitingResult, Path]:
    project = fx.write_project(tmp_path_factory.mktemp("street"))
    result = audit(project, preset=fx.preset())
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given")
    out = tmp_path_factory.mktemp("gis")
    with pytest.warns(UserWarning, match="shortened"):
        export_result(result, out, formats=("gpkg", "shp"), siting=siting)
    return result, siting, out


def _styles(path: Path) -> pd.DataFrame:
    with sqlite3.connect(path) as db:
        return pd.read_sql("SELECT * FROM layer_styles ORDER BY id", db)


def _expected_counts(result: AuditResult, siting: SitingResult) -> dict[str, int]:
    counts = {"communities": len(result.communities), "facilities": len(result.facilities)}
    assert result.admin_units is not None and result.service_areas is not None
    counts["admin_units"] = len(result.admin_units)
    for (rule_id, coverage), rows in result.service_areas.groupby(["rule_id", "coverage"], sort=False):
        counts[f"{'service_area' if coverage == 'covered' else 'uncovered'}__{rule_id}"] = len(rows)
    counts["suggestions"] = len(siting.suggestions)
    counts["catchments"] = len(siting.catchments)
    return counts


def test_every_layer_with_its_features(made: tuple[AuditResult, SitingResult, Path]) -> None:
    result, siting, out = made
    gpkg = out / "audit.gpkg"
    names = [str(n) for n, _ in pyogrio.list_layers(gpkg) if n != "layer_styles"]
    assert names == ["communities", "facilities", "admin_units", "service_area__reach_elderly_15",
                     "uncovered__reach_elderly_15", "service_area__reach_childcare_15",
                     "uncovered__reach_childcare_15", "suggestions", "catchments"]
    counts = _expected_counts(result, siting)
    assert {n: len(pyogrio.read_dataframe(gpkg, layer=n)) for n in names} == counts
    assert counts["suggestions"] == 7 and counts["catchments"] == 4  # the street fixture's known sites
    assert result.service_areas is not None
    for rule_id in ("reach_elderly_15", "reach_childcare_15"):
        back = pyogrio.read_dataframe(gpkg, layer=f"service_area__{rule_id}")
        source = result.service_areas[(result.service_areas["rule_id"] == rule_id)
                                      & (result.service_areas["coverage"] == "covered")]
        assert back["title"].tolist() == source["title"].tolist() and back["title"].iloc[0]  # the Chinese title
        assert back.geometry.area.sum() == pytest.approx(source.geometry.area.sum(), rel=1e-9)
    sites = pyogrio.read_dataframe(gpkg, layer="suggestions")
    assert sites["site_id"].tolist() == siting.suggestions["site_id"].tolist()
    assert not list(out.glob(".*partial*"))


def test_geopackage_version_gdal_3_6_opens_quietly(made: tuple[AuditResult, SitingResult, Path]) -> None:
    with sqlite3.connect(made[2] / "audit.gpkg") as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
    assert application_id == GPKG_APPLICATION_ID
    major, minor = (int(p) for p in GPKG_VERSION.split("."))
    assert user_version == major * 10000 + minor * 100 == 10200  # 1.4 (10400) makes GDAL < 3.7 warn


def test_every_layer_has_one_default_style_and_communities_one_per_rule(
        made: tuple[AuditResult, SitingResult, Path]) -> None:
    result, siting, out = made
    styles = _styles(out / "audit.gpkg")
    defaults = styles[styles["useAsDefault"] == 1]
    assert sorted(defaults["f_table_name"]) == sorted(_expected_counts(result, siting))
    status_rules = [c.split(SEP)[0] for c in result.communities.columns if str(c).endswith(f"{SEP}status")]
    community = styles[styles["f_table_name"] == "communities"]
    assert community["styleName"].tolist() == [f"communities {r}" for r in status_rules]
    titles = rule_titles(result)
    for rule_id, description in zip(status_rules, community["description"], strict=True):
        assert titles[rule_id] in description
    area = styles[styles["f_table_name"] == "uncovered__reach_childcare_15"]
    assert titles["reach_childcare_15"] in area["description"].iloc[0]


def _categories(qml: str) -> list[tuple[str, str]]:
    root = ET.fromstring(qml.split("\n", 1)[1])
    symbols = {s.get("name"): s for s in root.findall("renderer-v2/symbols/symbol")}
    out = []
    for cat in root.findall("renderer-v2/categories/category"):
        props = {p.get("k"): p.get("v") for p in symbols[cat.get("symbol")].findall("layer/prop")}
        out.append((str(cat.get("value")), f"{props.get('color', '')}|{props.get('name', '')}"))
    return out


def _rgb(hex_colour: str) -> str:
    return ",".join(str(int(hex_colour[i: i + 2], 16)) for i in (1, 3, 5))


def test_facilities_and_sites_are_drawn_with_their_type_symbol(made: tuple[AuditResult, SitingResult, Path]) -> None:
    result, siting, out = made
    styles = _styles(out / "audit.gpkg").set_index("f_table_name")
    for table, frame in (("facilities", result.facilities), ("suggestions", siting.suggestions)):
        cats = _categories(str(styles.loc[table, "styleQML"]))
        assert [v for v, _ in cats] == sorted(set(frame["facility_type"].dropna().astype(str)))
        for term, drawn in cats:
            colour, shape = drawn.split("|")
            symbol = facility_symbol(term)
            assert colour.startswith(_rgb(symbol.colour)) and shape == symbol.shape
    root = ET.fromstring(str(styles.loc["facilities", "styleQML"]).split("\n", 1)[1])
    labels = {c.get("value"): c.get("label") for c in root.findall("renderer-v2/categories/category")}
    plan = fx.preset().types
    assert labels["childcare"] == f"{plan['childcare']['zh']} childcare"  # the plan's name in the legend


def test_the_qgis_project_opens_every_layer_grouped_per_rule(made: tuple[AuditResult, SitingResult, Path]) -> None:
    result, siting, out = made
    root = ET.parse(out / "audit.qgs").getroot()
    sources = [str(m.findtext("datasource")) for m in root.iter("maplayer")]
    assert all(s.startswith("./audit.gpkg|layername=") for s in sources)  # relative: the folder can move
    tables = {s.split("layername=")[1].split("|")[0] for s in sources}
    assert tables == set(_expected_counts(result, siting))
    ids = [str(m.findtext("id")) for m in root.iter("maplayer")]
    assert len(set(ids)) == len(ids) and all(len(i) > 10 for i in ids)  # QGIS replaces ids of ≤ 10 characters
    tree = root.find("layer-tree-group")
    assert tree is not None
    groups = tree.findall("layer-tree-group")
    titles = rule_titles(result)
    assert [g.get("name") for g in groups] == [t for r, t in titles.items() if _has_layers(result, siting, r)]
    assert [g.get("checked") for g in groups] == ["Qt::Checked"] + ["Qt::Unchecked"] * (len(groups) - 1)
    elderly = next(g for g in groups if g.get("name") == titles["reach_elderly_15"])
    inside = [str(layer.get("source")) for layer in elderly.findall("layer-tree-layer")]
    assert "./audit.gpkg|layername=service_area__reach_elderly_15" in inside
    assert "./audit.gpkg|layername=uncovered__reach_elderly_15" in inside
    assert "./audit.gpkg|layername=suggestions|subset=\"rule_id\" = 'reach_elderly_15'" in inside


def _has_layers(result: AuditResult, siting: SitingResult, rule_id: str) -> bool:
    on_rows = f"{rule_id}{SEP}status" in result.communities.columns or (
        result.admin_units is not None and f"{rule_id}{SEP}status" in result.admin_units.columns)
    areas = any(layer.rule_id == rule_id for layer in gis_layers(result))
    return on_rows or areas or rule_id in set(siting.suggestions["rule_id"])


def test_shapefiles_gain_the_layers(made: tuple[AuditResult, SitingResult, Path]) -> None:
    result, siting, out = made
    for name, count in _expected_counts(result, siting).items():
        assert len(pyogrio.read_dataframe(out / f"{name}.shp")) == count, name
        assert (out / f"{name}_fields.csv").is_file()


def test_without_siting_or_service_areas_only_the_audit_layers(tmp_path: Path,
                                                               made: tuple[AuditResult, SitingResult, Path]) -> None:
    result = made[0]
    bare = dataclasses.replace(result, service_areas=None)
    export_result(bare, tmp_path, formats=("gpkg",))
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "audit.gpkg") if n != "layer_styles"] == [
        "communities", "facilities", "admin_units"]
    assert (tmp_path / "audit.qgs").is_file()
