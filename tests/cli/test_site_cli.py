"""``geoplan site`` on the embedded demo: the files it writes, what they hold, and a refused argument."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
import suggest_fixtures as fx

from geoplan.cli import main


@pytest.fixture(scope="module")
def site_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``geoplan site`` on the demo's childcare rule once: the output folder and what it printed."""
    out = tmp_path_factory.mktemp("site") / "maps"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["site", "--rules", "reach_childcare_15", "--candidates", "generated", "--out", str(out),
                     "--date", "2024-06-01"])
    assert code == 0
    return out, printed.getvalue()


def test_site_writes_layers_tables_and_maps(site_run: tuple[Path, str]) -> None:
    out, printed = site_run
    assert "reach_childcare_15" in printed and "optimal" in printed and "suggestions.gpkg" in printed
    solver = pd.read_csv(out / "suggestions_solver.csv", encoding="utf-8-sig")
    n_sites = int(solver.loc[0, "n_sites"])
    assert n_sites > 0 and solver.loc[0, "gap"] == 0
    assert {name for name, _ in pyogrio.list_layers(out / "suggestions.gpkg")} == {"suggestions", "catchments"}
    sites = pyogrio.read_dataframe(out / "suggestions.gpkg", layer="suggestions")
    assert len(sites) == n_sites and sites.crs.to_epsg() == 4549
    assert sites["communities_fixed"].str.len().gt(0).all()
    catch = pyogrio.read_dataframe(out / "suggestions.gpkg", layer="catchments")
    assert sorted(catch["site_id"]) == sorted(sites["site_id"])
    assert set(catch.geom_type) == {"Polygon"}
    shp = pyogrio.read_dataframe(out / "suggestions.shp")
    assert len(shp) == n_sites and {"SITE_ID", "SIZE_REQ", "FIXED_IDS", "HH_SERVED", "ADVICE"} <= set(shp.columns)
    table = pd.read_csv(out / "suggestions.csv", encoding="utf-8-sig")
    assert len(table) == n_sites and table["lon"].between(120.0, 120.4).all()
    page = (out / "suggestions_reach_childcare_15.html").read_text(encoding="utf-8")
    assert "建议选址" in page and '"role":"suggestions"' in page and '"role":"catchments"' in page


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    from browser import browser_session

    with browser_session() as b:
        yield b


@pytest.mark.browser
def test_site_map_shows_what_the_sites_fix(site_run: tuple[Path, str], chrome: Any) -> None:
    out, _ = site_run
    sites = pyogrio.read_dataframe(out / "suggestions.gpkg", layer="suggestions")
    fixed_ids = {i for ids in sites["communities_fixed"] for i in ids.split(";")}
    page = chrome.open(out / "suggestions_reach_childcare_15.html")
    assert page.problems() == []
    layers = page.js("geoplan.data.extras.map((x, k) => [x.role, geoplan.map.hasLayer(geoplan.layers['extra:' + k])])")
    assert ["fixed", True] in layers
    k = [role for role, _ in layers].index("fixed")
    rings = page.js(f"geoplan.layers['extra:{k}'].getLayers().map(l => [l instanceof L.CircleMarker, l.options.fill])")
    assert len(rings) == len(fixed_ids) and all(r == [True, False] for r in rings)
    # One ring per community the sites fix, named by its id in the popup data.
    ids = page.js(f"geoplan.data.extras[{k}].geojson.features.map(f => f.properties.v[0])")
    assert set(ids) == fixed_ids
    legend = page.js("document.querySelector('.gp-legend').innerText")
    assert "建议选址建成后达标" in legend


def test_site_mclp_without_p_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["site", "--model", "mclp", "--out", str(tmp_path)])
    assert code == 2
    assert "needs p" in capsys.readouterr().err
    assert not (tmp_path / "suggestions.gpkg").exists()


def test_site_with_a_candidate_layer_and_a_mask(tmp_path: Path) -> None:
    project = fx.write_project(tmp_path / "street")
    layer = gpd.GeoDataFrame({"candidate_id": ["V1"], "name": ["空置校舍"]},
                             geometry=[shapely.Point(fx.X0 + 2450, fx.Y0)], crs=fx.CRS)
    layer.to_file(tmp_path / "vacant.gpkg")
    mask = gpd.GeoDataFrame(geometry=[shapely.box(fx.X0 + 1690, fx.Y0 - 5, fx.X0 + 1710, fx.Y0 + 5)], crs=fx.CRS)
    mask.to_file(tmp_path / "mask.gpkg")
    out = tmp_path / "out"
    code = main(["site", str(project), "--rules", "reach_childcare_15", "--candidates", "given",
                 "--candidate-layer", str(tmp_path / "vacant.gpkg"), "--mask", str(tmp_path / "mask.gpkg"),
                 "--mask-buffer", "10", "--out", str(out)])
    assert code == 0
    sites = pyogrio.read_dataframe(out / "suggestions.gpkg", layer="suggestions")
    # C1700 lies under the mask; the vacant school at 2450 is the only candidate left that reaches B
    assert sites["candidate_id"].tolist() == ["V1"] and sites["name"].tolist() == ["空置校舍"]
    assert sites["communities_fixed"].tolist() == ["B"]
