"""Rebuild the embedded demo in ``layers/hangzhou-central`` from ``../shared/data/hangzhou-central``.

The demo keeps the data in its raw, real form (compounds in Baidu BD-09 with strings like "1597户"), so the
default audit exercises the same parsing and conversions a planner's own data needs. Run from the repository
root: ``python scripts/build_demo_layers.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
from pathlib import Path

import pandas as pd

log = logging.getLogger("build_demo_layers")

REPO = Path(__file__).resolve().parents[1]
#: Compound columns shipped: facts about the compounds only (no prices, no URLs, per the source's terms).
COMPOUND_COLUMNS = ["name", "plate", "district_plate", "address", "lon_bd09", "lat_bd09", "households_raw",
                    "build_year_raw", "buildings", "floor_area_m2", "prop_type"]


def build(shared: Path, out: Path) -> list[Path]:
    """Copy and trim the source files; returns the files written."""
    src = shared / "data" / "hangzhou-central"
    out.mkdir(parents=True, exist_ok=True)
    compounds = pd.read_csv(src / "compounds-bd09.csv", dtype=str, keep_default_na=False)
    compounds[COMPOUND_COLUMNS].to_csv(out / "compounds-bd09.csv", index=False, lineterminator="\n")
    shutil.copyfile(src / "facilities-osm-2024.csv", out / "facilities-osm-2024.csv")
    shutil.copyfile(src / "streets-2015.osm.pbf", out / "streets-2015.osm.pbf")
    written = [out / n for n in ("compounds-bd09.csv", "facilities-osm-2024.csv", "streets-2015.osm.pbf")]
    for path in written:
        log.info("%s  sha256 %s", path.relative_to(REPO), hashlib.sha256(path.read_bytes()).hexdigest()[:16])
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=REPO / "layers" / "hangzhou-central")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.shared, args.out)


if __name__ == "__main__":
    main()
