"""Split the central-Hangzhou compounds into tiles for the example batch (``hangzhou-and-five-cities.toml``).

Reads ``<shared>/data/hangzhou-central/compounds-bd09.csv`` and writes ``tile-r<row>c<col>.csv`` (the same
columns, raw BD-09 strings untouched) for a ``rows × cols`` grid over the compounds' extent, cut at quantiles
so that tiles hold similar numbers of compounds. Compounds without coordinates go to tile r1c1, so every row
of the source is in exactly one tile. Nothing is committed: run it into a scratch folder
(``examples/batch/out/tiles`` by default, what the batch file's ``tiles`` variable points to)::

    python examples/batch/build_hangzhou_tiles.py [--shared ../shared] [--out DIR] [--rows 2 --cols 3]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("build_hangzhou_tiles")

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def build_tiles(shared: Path, out: Path, rows: int = 2, cols: int = 3) -> list[Path]:
    """Write one compounds CSV per tile; returns their paths (row-major order)."""
    source = shared / "data" / "hangzhou-central" / "compounds-bd09.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    lon = pd.to_numeric(frame["lon_bd09"], errors="coerce").to_numpy()
    lat = pd.to_numeric(frame["lat_bd09"], errors="coerce").to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon_cuts = np.quantile(lon[ok], np.linspace(0, 1, cols + 1)[1:-1])
    lat_cuts = np.quantile(lat[ok], np.linspace(0, 1, rows + 1)[1:-1])
    col = np.where(ok, np.searchsorted(lon_cuts, np.nan_to_num(lon), side="right"), 0)
    row = np.where(ok, rows - 1 - np.searchsorted(lat_cuts, np.nan_to_num(lat), side="right"), 0)  # r1 = north
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in range(rows):
        for c in range(cols):
            path = out / f"tile-r{r + 1}c{c + 1}.csv"
            frame[(row == r) & (col == c)].to_csv(path, index=False, lineterminator="\n")
            written.append(path)
            log.info("%s: %d compounds", path.name, int(((row == r) & (col == c)).sum()))
    return written


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared/ folder")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "tiles", help="folder for the tile CSVs")
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--cols", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_tiles(args.shared, args.out, args.rows, args.cols)


if __name__ == "__main__":
    main()
