"""A population grid (GeoTIFF, e.g. WorldPop) as demand: spread to compounds by households, or as demand points.

``[population_grid] path = "pop.tif"`` in the project, and ``[audit] population_grid_use``:

* ``"spread"`` (default): each cell's residents are shared among the communities lying in that cell in
  proportion to their households; a community gets ``population`` = cell residents × its share of the cell's
  households (*estimated*, formula kept in ``population_formula``). A cell holding a community of unknown
  households gives its communities no figure (the split cannot be made); residents in cells without any
  community are counted in a note, never spread elsewhere.
* ``"points"``: every cell with residents becomes a demand point (a community at the cell centre, ``population``
  = the cell value), for catchment and reach rules; the project then has no ``[communities]`` layer.

Read with rasterio (optional: ``pip install rasterio``); the raster must carry its CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan import _hints
from geoplan._errors import Hint, InputError, MissingDependencyError

log = logging.getLogger(__name__)

USES: Final = ("spread", "points")


@dataclass(frozen=True)
class Grid:
    """Cells with a value: row, column, centre (raster CRS), residents; and the raster's transform and CRS."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    value: NDArray[np.float64]
    transform: Any
    crs: pyproj.CRS
    shape: tuple[int, int]
    source: str


def _rasterio() -> Any:
    try:
        import rasterio
    except ImportError as exc:
        msg = ("a population grid (GeoTIFF) needs rasterio")
        raise MissingDependencyError(msg,

                        hint=_hints.install("rasterio", "pip install 'geoplan[grid]', or leave "
                                                        "[population_grid] out of the project",
                 "pip install 'geoplan[grid]'，或从项目中删去 [population_grid]")) from exc
    return rasterio


def read_grid(path: str | Path) -> Grid:
    """The cells of band 1 holding residents (> 0, not nodata), with their centres.

    Raises
    ------
    MissingDependencyError
        rasterio is not installed.
    InputError
        The file cannot be read, has no CRS, or holds negative residents.
    """
    rasterio = _rasterio()
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform, crs, shape = src.transform, src.crs, (src.height, src.width)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{path}: cannot read the population grid ({exc})"
        raise InputError(msg, hint=Hint(zh="给出 GeoTIFF 人口栅格", en="give a GeoTIFF")) from exc
    if crs is None:
        msg = f"{path}: the population grid has no coordinate system"
        raise InputError(msg, hint=_hints.save_with_crs("EPSG:4326"))
    data = np.ma.filled(band.astype(np.float64), np.nan)
    if np.nanmin(data, initial=0.0) < 0:
        msg = f"{path}: negative residents in the population grid (band 1)"
        raise InputError(msg, hint=Hint(zh="为空单元格设置 nodata 值", en="set nodata for empty cells"))
    rows, cols = np.nonzero(np.isfinite(data) & (data > 0))
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    return Grid(rows.astype(np.int64), cols.astype(np.int64), np.asarray(xs, float), np.asarray(ys, float),
                data[rows, cols], transform, pyproj.CRS.from_user_input(crs.to_wkt()), shape, str(path))


def grid_points(grid: Grid) -> gpd.GeoDataFrame:
    """Every populated cell as a community (WGS84 points, canonical columns, ``population`` from the grid)."""
    ids = [f"grid_r{r}_c{c}" for r, c in zip(grid.rows, grid.cols, strict=True)]
    frame = pd.DataFrame({
        "community_id": ids, "name": [f"grid cell {r},{c}" for r, c in zip(grid.rows, grid.cols, strict=True)],
        "households": np.nan, "population": grid.value, "build_year": np.nan, "admin_code": None,
        "source_row": np.arange(len(ids)) + 1, "flags": "",
    })
    pts = gpd.GeoSeries(shapely.points(grid.x, grid.y), crs=grid.crs).to_crs(4326)
    log.info("population grid %s: %d populated cells as demand points (%.0f residents)", grid.source, len(ids),
             float(grid.value.sum()))
    return gpd.GeoDataFrame(frame, geometry=pts.to_numpy(), crs=4326)


def spread(grid: Grid, communities: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series, list[str]]:
    """Residents per community from the grid, shared by households within each cell.

    Returns
    -------
    population : Series of float
        NaN where no figure can be made (no coordinates, outside the grid, unknown households in the cell).
    formula : Series of str
        How each figure was made.
    notes : list of str
        Residents left unassigned (cells without communities), communities without a figure.
    """
    rasterio = _rasterio()
    index = communities.index
    pts = communities.geometry.to_crs(grid.crs)
    has = (pts.notna() & ~pts.is_empty).to_numpy()
    r = np.full(len(index), -1, dtype=np.int64)
    c = np.full(len(index), -1, dtype=np.int64)
    if has.any():
        rr, cc = rasterio.transform.rowcol(grid.transform, pts[has].x.to_numpy(), pts[has].y.to_numpy())
        r[has], c[has] = np.asarray(rr), np.asarray(cc)
    inside = (r >= 0) & (r < grid.shape[0]) & (c >= 0) & (c < grid.shape[1])
    n_cells = grid.shape[0] * grid.shape[1]
    values = np.zeros(n_cells)
    values[grid.rows * grid.shape[1] + grid.cols] = grid.value
    hh = pd.to_numeric(communities["households"], errors="coerce").to_numpy(dtype=float)
    cell = np.where(inside, r * grid.shape[1] + c, -1)
    pos = np.flatnonzero(inside)
    known = np.isfinite(hh[pos])
    total = np.bincount(cell[pos][known], weights=hh[pos][known], minlength=n_cells)
    unknown = np.bincount(cell[pos][~known], minlength=n_cells) > 0
    ok = np.zeros(len(index), dtype=bool)
    ok[pos] = ~unknown[cell[pos]] & (total[cell[pos]] > 0)
    at = cell[ok]
    pop = pd.Series(np.nan, index=index, dtype=float)
    pop[ok] = values[at] * hh[ok] / total[at]
    text = np.full(len(index), "", dtype=object)
    text[ok] = [f"grid cell ({a},{b}) {v:.1f} residents × {h:g} / {t:g} households of the cell"
                for a, b, v, h, t in zip(r[ok], c[ok], values[at], hh[ok], total[at], strict=True)]
    formula = pd.Series(text, index=index, dtype=object)
    occupied = np.zeros(n_cells, dtype=bool)
    occupied[cell[pos]] = True
    lost = values[~occupied & (values > 0)]
    notes = [f"population grid {Path(grid.source).name}: residents spread to communities by households within "
             f"each cell ({int(ok.sum())} communities)"]
    if lost.size:
        notes.append(f"population grid: {lost.sum():,.0f} residents in {lost.size} cells with no community are "
                     "not counted / 无小区的栅格人口未计入")
    missing = int(len(index) - ok.sum())
    if missing:
        notes.append(f"population grid: {missing} communities without a figure (no coordinates, outside the grid, "
                     "or a cell with a community of unknown households)")
    return pop, formula, notes
