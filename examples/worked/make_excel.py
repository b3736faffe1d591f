"""Write the worked example's inputs: the demo's compounds and facilities as a planner receives them.

``小区.xlsx`` holds the 804 central-Hangzhou compounds with Chinese headers and Amap (GCJ-02) coordinates,
``设施.xlsx`` the 69 facilities with Chinese type names, also in GCJ-02, and the demo's street network is
copied beside them (see docs/worked-example.md). Nothing is committed: run it into a scratch folder::

    python examples/worked/make_excel.py [OUT]          # default: examples/worked/out
"""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

import pandas as pd

from geoplan.crs import bd09_to_gcj02, wgs84_to_gcj02

log = logging.getLogger("make_excel")

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "layers" / "hangzhou-central"
TYPES_ZH = {"childcare_kindergarten": "幼儿园", "elderly_care": "养老院", "candidate_community_centre": "社区服务中心",
            "candidate_townhall": "街道办事处"}


def write_inputs(out: Path) -> list[Path]:
    """Write 小区.xlsx, 设施.xlsx and 路网.osm.pbf into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    raw = pd.read_csv(DEMO / "compounds-bd09.csv", dtype=object)
    lon, lat = bd09_to_gcj02(raw["lon_bd09"].astype(float), raw["lat_bd09"].astype(float))
    compounds = pd.DataFrame({"序号": range(1, len(raw) + 1), "小区名称": raw["name"], "地址": raw["address"],
                              "户数（户）": raw["households_raw"], "建成年代": raw["build_year_raw"],
                              "经度": lon.round(7), "纬度": lat.round(7)})
    fac = pd.read_csv(DEMO / "facilities-osm-2024.csv", dtype=object)
    flon, flat = wgs84_to_gcj02(fac["lon"].astype(float), fac["lat"].astype(float))
    facilities = pd.DataFrame({"编号": fac["osmid"], "机构名称": fac["name"], "类型": fac["category"].map(TYPES_ZH),
                               "经度": flon.round(7), "纬度": flat.round(7)})
    paths = [out / "小区.xlsx", out / "设施.xlsx", out / "路网.osm.pbf"]
    compounds.to_excel(paths[0], index=False)
    facilities.to_excel(paths[1], index=False)
    shutil.copyfile(DEMO / "streets-2015.osm.pbf", paths[2])
    return paths


def main() -> None:
    """Command line: the output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in write_inputs(args.out):
        log.info("wrote %s", path)


if __name__ == "__main__":
    main()
