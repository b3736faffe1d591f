"""Properties every audit must have, whatever the data (hypothesis).

- adding a facility never lowers any reach rate, nor turns a community's pass into a fail;
- adding households never turns a failing provision rule into a pass (from the raw "1597户" strings on);
- results do not depend on the order of the input rows;
- two runs write byte-identical reports.

The reach property is checked on the rule with a street grid and with the straight-line fallback (fast, many
examples); the others run the whole pipeline from files (fewer examples).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from badinputs.base import PRESET, communities, facilities, write_project
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import geoplan
from geoplan.access import Access
from geoplan.network import network_from_lines
from geoplan.rules import reach
from geoplan.rules.base import RESULT_COLUMNS, Citation, Rule, RuleContext

DATE = "2026-01-01"
CRS = "EPSG:32650"  # any metric CRS: coordinates below are metres
TYPES = ("childcare", "elderly_care")
GRID = network_from_lines(gpd.GeoDataFrame(
    geometry=[shapely.LineString([(0, y), (1200, y)]) for y in range(0, 1201, 200)]
    + [shapely.LineString([(x, 0), (x, 1200)]) for x in range(0, 1201, 200)], crs=CRS))
SPEED = 75.0

# ------------------------------------------------------------------------------------------------- reach

coord = st.floats(-400, 1600, allow_nan=False)
point = st.tuples(coord, coord)
facility = st.tuples(point, st.sampled_from(TYPES))


def _communities(points: list[tuple[float, float]], households: list[int]) -> gpd.GeoDataFrame:
    n = len(points)
    frame = pd.DataFrame({"community_id": [f"C{i}" for i in range(n)], "name": [f"c{i}" for i in range(n)],
                          "households": np.array(households[:n], dtype=float), "population": np.nan,
                          "build_year": np.nan, "admin_code": "", "source_row": np.arange(1, n + 1), "flags": ""})
    return gpd.GeoDataFrame(frame, geometry=shapely.points(np.array(points).reshape(-1, 2)), crs=CRS)


def _facilities(items: list[tuple[tuple[float, float], str]]) -> gpd.GeoDataFrame:
    n = len(items)
    frame = pd.DataFrame({"facility_id": [f"F{i}" for i in range(n)], "name": [f"f{i}" for i in range(n)],
                          "facility_type": pd.Series([t for _, t in items], dtype=object), "community_id": "",
                          "admin_code": "", "source_row": np.arange(1, n + 1), "flags": ""})
    geometry = shapely.points(np.array([p for p, _ in items], dtype=float).reshape(-1, 2)) if n else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _reach(com: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, types: list[str], minutes: float,
           network: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    rule = Rule("r", "reach", "服务圈", "circle", Citation("f", "c", "q"),
                {"types": types, "minutes": minutes, "weight": "households"})
    access = Access(com, fac, network, max_snap_m=150.0, limit_m=3 * minutes * SPEED)
    result = reach.evaluate(rule, RuleContext(com, fac, access, SPEED, "test"))
    return result.table, result.indicators


@settings(max_examples=60, deadline=None)
@given(st.lists(point, min_size=1, max_size=12), st.lists(st.integers(0, 3000), min_size=12, max_size=12),
       st.lists(facility, max_size=6), facility, st.sampled_from([list(TYPES[:1]), list(TYPES[1:]), list(TYPES)]),
       st.sampled_from([3.0, 8.0, 15.0]), st.booleans())
def test_adding_a_facility_never_lowers_a_reach_rate(
    points: list[tuple[float, float]], households: list[int], existing: list[tuple[tuple[float, float], str]],
    new: tuple[tuple[float, float], str], types: list[str], minutes: float, use_network: bool,
) -> None:
    com = _communities(points, households)
    network = GRID if use_network else None
    before, ind_before = _reach(com, _facilities(existing), types, minutes, network)
    after, ind_after = _reach(com, _facilities([*existing, new]), types, minutes, network)
    for (_, b), (_, a) in zip(ind_before.iterrows(), ind_after.iterrows(), strict=True):  # plain and weighted
        if np.isfinite(b["measured"]):
            assert a["measured"] >= b["measured"] - 1e-9, (b["indicator_en"], b["measured"], a["measured"])
    assert not ((before["status"] == "pass") & (after["status"] == "fail")).any()
    both = before["value"].notna() & after["value"].notna()
    assert (after.loc[both, "value"] <= before.loc[both, "value"] + 0.11).all()  # values are rounded to 0.1 m


# -------------------------------------------------------------------------------------------- pipeline

SHARED_PRESET = PRESET.replace("rate = 20\n", "rate = 20\nmin_site = 200\nshare_within_m = 400\n")


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def _audit(folder: Path, com: pd.DataFrame, fac: pd.DataFrame, preset: str = PRESET) -> geoplan.AuditResult:
    return geoplan.audit(write_project(folder, com=com, fac=fac, preset=preset), created=DATE)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 39), st.integers(1, 4000)), min_size=1, max_size=5),
       st.sampled_from([PRESET, SHARED_PRESET]), st.integers(0, 10**6))
def test_adding_households_never_turns_a_provision_fail_into_a_pass(
    base_dir: Path, growth: list[tuple[int, int]], preset: str, salt: int
) -> None:
    com = communities()
    counts = com["户数"].str.removesuffix("户").astype(int)
    grown = com.copy()
    for row, more in growth:
        counts[row] += more
    grown["户数"] = [f"{n:,}户" if i % 2 else f"约{n}户" for i, n in enumerate(counts)]  # strings, as delivered
    folder = base_dir / f"grow{salt}"
    before = _audit(folder / "a", com, facilities(), preset).communities["provision_elderly__status"]
    after = _audit(folder / "b", grown, facilities(), preset).communities["provision_elderly__status"]
    assert not ((before == "fail") & (after == "pass")).any()
    assert (after == "pass").sum() <= (before == "pass").sum()


def _by_id(result: geoplan.AuditResult, fields: tuple[str, ...]) -> pd.DataFrame:
    columns = [c for c in result.communities.columns if "__" in str(c) and str(c).split("__", 1)[1] in fields]
    return result.communities.set_index("community_id")[columns].sort_index()


#: Every figure and status, plus the walking minutes (reason texts are compared in their own test).
FIGURES = (*(c for c in RESULT_COLUMNS if c != "reason"), "minutes")


# Shrinking a permutation of 40 rows takes minutes; the failing order is printed as generated.
@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(range(40)), st.permutations(range(6)))
def test_results_do_not_depend_on_row_order(base_dir: Path, com_order: list[int], fac_order: list[int]) -> None:
    com, fac = communities(), facilities()
    key = "-".join(map(str, com_order[:6])) + "_" + "".join(map(str, fac_order))
    first = _audit(base_dir / f"order-{key}" / "a", com, fac, SHARED_PRESET)
    again = _audit(base_dir / f"order-{key}" / "b", com.iloc[com_order], fac.iloc[fac_order], SHARED_PRESET)
    pd.testing.assert_frame_equal(_by_id(first, FIGURES), _by_id(again, FIGURES))
    reach_reasons = ("reason",)
    for rule in ("reach_childcare", "reach_elderly"):
        pd.testing.assert_series_equal(_by_id(first, reach_reasons)[f"{rule}__reason"],
                                       _by_id(again, reach_reasons)[f"{rule}__reason"])
    pd.testing.assert_frame_equal(first.indicators, again.indicators)
    assert sorted(first.assumptions) == sorted(again.assumptions)


def test_provision_reasons_do_not_depend_on_row_order(base_dir: Path) -> None:
    com, fac = communities(), facilities()
    first = _audit(base_dir / "reasons" / "a", com, fac, SHARED_PRESET)
    again = _audit(base_dir / "reasons" / "b", com.iloc[::-1], fac, SHARED_PRESET)
    pd.testing.assert_frame_equal(_by_id(first, ("reason",)), _by_id(again, ("reason",)))


#: Written the same byte for byte on every run (the map, the report, every table, the Shapefiles).
REPORTS = ("gap_map.html", "report.md", "summary.csv", "summary_indicators.csv", "communities.csv",
           "facilities.csv", "communities.dbf", "communities.shp", "facilities.dbf", "communities_fields.csv")


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    project = write_project(tmp_path / "p")
    outs = []
    for name in ("a", "b"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Shapefile field names shortened (expected)
            geoplan.write_all(geoplan.audit(project, created=DATE), tmp_path / name)
        outs.append(tmp_path / name)
    return outs[0], outs[1]


def test_two_runs_write_byte_identical_reports(tmp_path: Path) -> None:
    a, b = _two_runs(tmp_path)
    for name in REPORTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    written = {p.name for p in a.iterdir()}
    assert set(REPORTS) <= written


def test_two_runs_write_byte_identical_geopackage_and_xlsx(tmp_path: Path) -> None:
    a, b = _two_runs(tmp_path)
    for name in ("audit.gpkg", "audit.xlsx"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
