"""``geoplan site`` on the embedded demo: the files it writes, what they hold, and a refused argument."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geoplan.cli import main


def test_site_writes_layers_tables_and_maps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "maps"
    code = main(["site", "--rules", "reach_childcare_15", "--candidates", "generated", "--out", str(out),
                 "--date", "2024-06-01"])
    assert code == 0
    printed = capsys.readouterr().out
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


def test_site_mclp_without_p_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["site", "--model", "mclp", "--out", str(tmp_path)])
    assert code == 2
    assert "needs p" in capsys.readouterr().err
    assert not (tmp_path / "suggestions.gpkg").exists()
