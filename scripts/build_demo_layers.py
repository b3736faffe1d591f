"""Rebuild the embedded demo in ``layers/hangzhou-central`` from ``../shared/data``.

The demo keeps the data in its raw, real form (compounds in Baidu BD-09 with strings like "1597户"), so the
default audit exercises the same parsing and conversions a planner's own data needs. Admin data is a small
derived subset of ``cn-admin``: the district polygons the compounds' extent touches (as in the source, which
is already coarse: ~40 vertices a district) and the 2020 census rows of the city (all of them, so city totals
stay the city's; the 2021 reform mapping in :mod:`geoplan.admin` turns them into district figures). Run from
the repository root: ``python scripts/build_demo_layers.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.crs import bd09_to_wgs84

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
    written += admin_subset(shared / "data" / "cn-admin", out, compounds)
    for path in written:
        log.info("%s  sha256 %s", path.relative_to(REPO), hashlib.sha256(path.read_bytes()).hexdigest()[:16])
    return written


def admin_subset(cn_admin: Path, out: Path, compounds: pd.DataFrame) -> list[Path]:
    """The districts the compounds' convex hull touches, and the census rows of their city."""
    lon = pd.to_numeric(compounds["lon_bd09"], errors="coerce").to_numpy()
    lat = pd.to_numeric(compounds["lat_bd09"], errors="coerce").to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = bd09_to_wgs84(lon[ok], lat[ok])
    hull = shapely.multipoints(np.column_stack([x, y])).convex_hull
    districts = gpd.read_file(cn_admin / "districts-5cities.geojson")
    touched = districts[districts.intersects(hull)].sort_values("adcode")
    cities = sorted({str(c)[:4] for c in touched["adcode"]})
    census = pd.read_csv(cn_admin / "census2020-counties-5cities.csv", dtype={"CODE": str})
    rows = census[census["CODE"].str[:4].isin(cities)]
    paths = [out / "districts-hangzhou-central.geojson", out / "census2020-hangzhou.csv"]
    if paths[0].exists():
        paths[0].unlink()  # GDAL will not overwrite a GeoJSON in place
    touched[["adcode", "name", "city", "geometry"]].to_file(paths[0], driver="GeoJSON", COORDINATE_PRECISION=6)
    rows.to_csv(paths[1], index=False, lineterminator="\n")
    log.info("%d districts (%s), %d census rows of %s", len(touched), " ".join(touched["name"]), len(rows),
             " ".join(cities))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=REPO / "layers" / "hangzhou-central")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.shared, args.out)


if __name__ == "__main__":
    main()
