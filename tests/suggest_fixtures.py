"""A hand-made project for the siting-suggestion tests: a straight street, a few compounds, known answers.

Coordinates are metres in EPSG:4549 around (500 000, 3 350 000); ``x`` below is the offset along the street.
The street runs along y = 0 from x = -200 to 3000 with a vertex every 100 m, plus a separate 200 m stub at
x = 5000..5200 that connects to nothing. Compounds stand 20 m off the street (y = 20). A kindergarten stands
at x = 0, an elderly home on the stub at x = 5150; given candidates at x = 600, 1700 (on the street) and 4000
(no street within the 100 m snap: unusable). Walking reach is 15 min × 75 m/min = 1125 m.

========  =====  ==========  ==========  =====================================================================
compound  x      households  build year  under quzhou-2022
========  =====  ==========  ==========  =====================================================================
P         500    800         1990        childcare pass (520 m); elderly fail
A         1000   1000        2023        childcare pass (1020 m); elderly fail; provision fail (needs 200 m²)
B         2400   600         2023        childcare fail; elderly fail; provision fail (120 → 200 m²)
D         300    300         2023        elderly fail; provision fail, shares one new site with E (500 m)
E         350    400         2023        elderly fail; provision fail, the hub of that shared site
S         5100   200         1990        on the stub: elderly pass (70 m); childcare fail, no candidate reaches
========  =====  ==========  ==========  =====================================================================

Known answers with the given candidates: childcare → one site at 1700 (the only one reaching B), serving A
and B (A is nearer to it than to the kindergarten), S uncoverable; elderly → 600 (P, A, D, E: 2500
households, 500 m²) and 1700 (B: 600 households, 200 m² minimum); township T2 (x ≥ 1500) lacks childcare and
its best given candidate is 1700 (A and B, 1600 households, within reach).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.presets import Preset, load_preset

X0, Y0 = 500_000.0, 3_350_000.0
CRS = "EPSG:4549"
COMPOUNDS = pd.DataFrame({
    "id": ["P", "A", "B", "D", "E", "S"],
    "name": ["P苑", "A苑", "B苑", "D苑", "E苑", "S苑"],
    "x": [500.0, 1000.0, 2400.0, 300.0, 350.0, 5100.0],
    "households": [800, 1000, 600, 300, 400, 200],
    "build_year": [1990, 2023, 2023, 2023, 2023, 1990],
})
CANDIDATE_X = (600.0, 1700.0, 4000.0)
RULES = ("reach_childcare_15", "reach_elderly_15", "provision_elderly_floor_area", "presence_township_childcare")


def preset(share_m: float | None = 500.0) -> Preset:
    """quzhou-2022 with the four rules the tests site for; small new compounds share sites within ``share_m``."""
    base = load_preset("quzhou-2022")
    rules = []
    for rule in base.rules:
        if rule.id == "provision_elderly_floor_area" and share_m:
            rule = dataclasses.replace(rule, params={**rule.params, "share_within_m": share_m})
        if rule.id in RULES:
            rules.append(rule)
    return dataclasses.replace(base, rules=tuple(rules))


def write_project(folder: Path) -> Path:
    """Write the project (CSV layers, GeoPackage street, GeoJSON townships) and return its geoplan.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    com = COMPOUNDS.assign(x=COMPOUNDS["x"] + X0, y=Y0 + 20.0)
    com.to_csv(folder / "compounds.csv", index=False)
    # R0: a day-care centre of P苑 (not in the provision rule's scope) without coordinates (it reaches no one), so
    # that the layer has the provision rule's type: without any, provision is not evaluable (a data gap).
    fac = pd.DataFrame({
        "fid": ["K0", "H5150", "C600", "C1700", "C4000", "R0"],
        "name": ["幼儿园", "敬老院", "社区中心甲", "社区中心乙", "社区中心丙", "日照中心"],
        "kind": ["kindergarten", "elderly_home", "centre", "centre", "centre", "day_care"],
        "x": [X0, X0 + 5150.0, *(X0 + x for x in CANDIDATE_X), None],
        "y": [Y0] * 5 + [None],
        "area": [None] * 5 + [100.0],
        "cid": [""] * 5 + ["P"],
    })
    fac.to_csv(folder / "facilities.csv", index=False)
    main = shapely.LineString([(X0 + x, Y0) for x in np.arange(-200.0, 3001.0, 100.0)])
    stub = shapely.LineString([(X0 + 5000.0, Y0), (X0 + 5200.0, Y0)])
    gpd.GeoDataFrame({"name": ["main", "stub"]}, geometry=[main, stub], crs=CRS).to_file(folder / "streets.gpkg")
    t1 = shapely.box(X0 - 300, Y0 - 500, X0 + 1500, Y0 + 500)
    t2 = shapely.box(X0 + 1500, Y0 - 500, X0 + 3100, Y0 + 500)
    gpd.GeoDataFrame({"code": ["330100001", "330100002"], "uname": ["一街道", "二街道"], "lvl": "township"},
                     geometry=[t1, t2], crs=CRS).to_file(folder / "townships.gpkg")
    (folder / "geoplan.toml").write_text(f"""
[project]
title = "siting test street"
preset = "quzhou-2022"
crs = "{CRS}"
[communities]
path = "compounds.csv"
crs = "{CRS}"
x = "x"
y = "y"
[communities.fields]
community_id = "id"
name = "name"
households = "households"
build_year = "build_year"
[facilities]
path = "facilities.csv"
crs = "{CRS}"
x = "x"
y = "y"
[facilities.fields]
facility_id = "fid"
name = "name"
facility_type = "kind"
floor_area_m2 = "area"
community_id = "cid"
[facility_types]
day_care = "elderly_day_care"
kindergarten = "childcare"
elderly_home = "elderly_institution"
centre = "candidate"
[admin_units]
path = "townships.gpkg"
[admin_units.fields]
unit_code = "code"
unit_name = "uname"
level = "lvl"
[network]
path = "streets.gpkg"
max_snap_m = 100
[audit]
household_size = 2.5
""", encoding="utf-8")
    return folder / "geoplan.toml"
