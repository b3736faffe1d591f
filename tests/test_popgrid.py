"""Population grid (GeoTIFF) as demand: spread by households within a cell, or cells as demand points.

The grid is written in the test: 3 × 3 cells of 100 m in EPSG:4549 near Hangzhou, origin (500000, 3346300)
top-left. Cell (0, 0) holds 800 residents, (1, 1) 90, (2, 2) 50, (0, 2) 0 (empty), the rest nodata.
"""

from __future__ import annotations

import builtins
import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan._errors import InputError, MissingDependencyError
from geoplan.popgrid import read_grid, spread

rasterio = pytest.importorskip("rasterio")
X0, Y0 = 500_000.0, 3_346_300.0


def _tif(path: Path, crs: str | None = "EPSG:4549") -> Path:
    data = np.full((3, 3), -1.0, dtype="float32")
    data[0, 0], data[1, 1], data[2, 2], data[0, 2] = 800, 90, 50, 0
    transform = rasterio.transform.from_origin(X0, Y0, 100, 100)
    with rasterio.open(path, "w", driver="GTiff", height=3, width=3, count=1, dtype="float32", crs=crs,
                       transform=transform, nodata=-1.0) as dst:
        dst.write(data, 1)
    return path


def _centre(row: int, col: int, dx: float = 0.0) -> shapely.Point:
    return shapely.Point(X0 + 100 * col + 50 + dx, Y0 - 100 * row - 50)


def test_read_grid_keeps_populated_cells(tmp_path: Path) -> None:
    grid = read_grid(_tif(tmp_path / "pop.tif"))
    assert sorted(zip(grid.rows.tolist(), grid.cols.tolist(), grid.value.tolist(), strict=True)) == [
        (0, 0, 800.0), (1, 1, 90.0), (2, 2, 50.0)]
    np.testing.assert_allclose(grid.x[grid.rows == 0], X0 + 50)


def test_spread_by_households_hand_computed(tmp_path: Path) -> None:
    grid = read_grid(_tif(tmp_path / "pop.tif"))
    com = gpd.GeoDataFrame(
        {"households": [100.0, 300.0, 40.0, np.nan, 10.0]},
        geometry=[_centre(0, 0, -20), _centre(0, 0, 20), _centre(1, 1, -20), _centre(1, 1, 20),
                  shapely.Point(X0 - 500, Y0)],  # the last lies outside the grid
        crs=4549)
    pop, formula, notes = spread(grid, com)
    # cell (0, 0): 800 × 100/400 = 200, 800 × 300/400 = 600; cell (1, 1) has a community of unknown households
    np.testing.assert_allclose(pop, [200.0, 600.0, np.nan, np.nan, np.nan])
    assert "800.0 residents × 100 / 400 households" in formula[0]
    assert any("50 residents in 1 cells with no community" in n for n in notes)
    assert any("3 communities without a figure" in n for n in notes)


def test_grid_without_crs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no coordinate system"):
        read_grid(_tif(tmp_path / "pop.tif", crs=None))


def test_missing_rasterio_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_rasterio(name: str, *args: object, **kwargs: object) -> object:
        if name == "rasterio":
            raise ImportError(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_rasterio)
    with pytest.raises(MissingDependencyError, match="pip install rasterio"):
        read_grid(tmp_path / "pop.tif")


def test_grid_points_as_demand_of_a_catchment_rule(tmp_path: Path) -> None:
    from geoplan.audit import audit
    from geoplan.presets import load_preset

    _tif(tmp_path / "pop.tif")
    # one childcare facility with 4 slots at the centre of cell (1, 1): within 15 min × 75 m/min of all cells
    pd.DataFrame({"name": ["托育"], "type": ["托育机构"], "slots": [4], "x": [X0 + 150], "y": [Y0 - 150]}).to_csv(
        tmp_path / "fac.csv", index=False)
    (tmp_path / "geoplan.toml").write_text("""
[project]
title = "grid"
preset = "quzhou-2022"
crs = "EPSG:4549"
[facilities]
path = "fac.csv"
crs = "EPSG:4549"
x = "x"
y = "y"
[facilities.fields]
name = "name"
facility_type = "type"
slots = "slots"
[facility_types]
"托育机构" = "childcare"
[population_grid]
path = "pop.tif"
[audit]
population_grid_use = "points"
""", encoding="utf-8")
    pre = load_preset("quzhou-2022")
    rule = pre.rule("catchment_childcare_slots_15")
    res = audit(tmp_path / "geoplan.toml", preset=dataclasses.replace(pre, rules=(rule,)), created="2024-01-01")
    com = res.communities
    assert sorted(com["population"]) == [50.0, 90.0, 800.0]
    # 4 slots / 940 residents × 1000 = 4.255 per 1000 for every cell (all within the catchment): < 4.5
    np.testing.assert_allclose(com["catchment_childcare_slots_15__value"], 4000 / 940, atol=1e-4)
    assert set(com["catchment_childcare_slots_15__status"]) == {"fail"}
    assert set(com["catchment_childcare_slots_15__basis"]) == {"assumed"}  # no network: straight lines


def test_spread_through_the_audit_marks_population_estimated(tmp_path: Path) -> None:
    from geoplan.audit import audit
    from geoplan.presets import load_preset

    _tif(tmp_path / "pop.tif")
    pd.DataFrame({"name": ["a", "b"], "hh": [100, 300], "x": [X0 + 30, X0 + 70], "y": [Y0 - 50, Y0 - 50]}).to_csv(
        tmp_path / "com.csv", index=False)
    pd.DataFrame({"name": ["托育"], "type": ["托育机构"], "slots": [4], "x": [X0 + 150], "y": [Y0 - 150]}).to_csv(
        tmp_path / "fac.csv", index=False)
    (tmp_path / "geoplan.toml").write_text("""
[project]
title = "grid"
preset = "quzhou-2022"
crs = "EPSG:4549"
[communities]
path = "com.csv"
crs = "EPSG:4549"
x = "x"
y = "y"
[communities.fields]
name = "name"
households = "hh"
[facilities]
path = "fac.csv"
crs = "EPSG:4549"
x = "x"
y = "y"
[facilities.fields]
name = "name"
facility_type = "type"
slots = "slots"
[facility_types]
"托育机构" = "childcare"
[population_grid]
path = "pop.tif"
""", encoding="utf-8")
    pre = load_preset("quzhou-2022")
    rule = pre.rule("catchment_childcare_slots_15")
    res = audit(tmp_path / "geoplan.toml", preset=dataclasses.replace(pre, rules=(rule,)), created="2024-01-01")
    com = res.communities
    np.testing.assert_allclose(com["population"], [200.0, 600.0])
    assert list(com["catchment_childcare_slots_15__demand_basis"]) == ["estimated", "estimated"]
    assert "grid cell (0,0)" in com["catchment_childcare_slots_15__demand_formula"][0]
    assert any("residents in 2 cells with no community" in a for a in res.assumptions)
