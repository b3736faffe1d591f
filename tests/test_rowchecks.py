"""geoplan._rowchecks, _studyarea, _typemap and rate exclusion: hand-made cases and invariants."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geoplan import _rowchecks, _studyarea, _typemap
from geoplan.network import Network
from geoplan.rules._rates import counted_mask, pass_rate


def _layer(points: list[tuple[float, float] | None], names: list[str]) -> gpd.GeoDataFrame:
    geom = [Point(p) if p is not None else None for p in points]
    return gpd.GeoDataFrame({"name": names, "households": 100.0, "flags": ""}, geometry=geom, crs=4326)


def test_duplicates_keep_the_first_and_name_it() -> None:
    gdf = _layer([(120.1, 30.2), (120.2, 30.2), (120.1, 30.2), (120.1, 30.2), None], ["a", "b", "a", "a", "a"])
    notes, excluded = _rowchecks.duplicate_rows(gdf)
    assert excluded.tolist() == ["", "", "duplicate of row 1", "duplicate of row 1", ""]
    assert "exact duplicate of row 1" in notes[2] and notes[0] == ""


def test_a_copy_with_other_households_is_a_duplicate_that_says_so() -> None:
    gdf = _layer([(120.1, 30.2), (120.1, 30.2), (120.1, 30.2)], ["a", "a", "b"])
    gdf.loc[1, "households"] = 300.0
    notes, excluded = _rowchecks.duplicate_rows(gdf)
    assert excluded.tolist() == ["", "duplicate of row 1", ""]
    assert "its households (300) differ from row 1's (100), which count" in notes[1]


def test_a_small_stack_is_flagged_a_fallback_point_loses_its_rows() -> None:
    pts: list[tuple[float, float] | None] = [(120.0 + i / 100, 30.0) for i in range(20)]
    pts[:3] = [(120.5, 30.5)] * 3
    notes, unplace, _ = _rowchecks.stacked_rows(_layer(pts, [f"n{i}" for i in range(20)]), "communities")
    assert "positions approximate" in notes[0] and not unplace.any()
    pts[:6] = [(120.5, 30.5)] * 6  # 6 of 20 ≥ a quarter
    notes, unplace, _ = _rowchecks.stacked_rows(_layer(pts, [f"n{i}" for i in range(20)]), "communities")
    assert unplace.tolist() == [True] * 6 + [False] * 14 and "geocoder's fallback" in notes[0]


def test_zero_and_outside_the_crs_area_are_unusable() -> None:
    crs = pyproj.CRS.from_epsg(4549)
    x = np.array([500_000.0, 0.0, 120.15])
    y = np.array([3_350_000.0, 0.0, 30.26])
    t = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = (np.asarray(v) for v in t.transform(x, y))
    notes = pd.Series("", index=range(3), dtype=object)
    ok, layer_notes = _rowchecks.coordinate_checks(x, y, lon, lat, crs, np.ones(3, dtype=bool), notes, "communities")
    assert ok.tolist() == [True, False, False]
    assert "(0, 0) is a placeholder" in notes[1]
    assert "outside where EPSG:4549 is used" in notes[2]
    assert any("longitude/latitude" in n for n in layer_notes)


def _grid_network(n: int = 5, step: float = 100.0) -> Network:
    xs, ys = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    x, y = xs.ravel(), ys.ravel()
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    return Network(x=x, y=y, u=u, v=v, length=np.full(u.size, step), crs=pyproj.CRS.from_epsg(32650))


def test_edge_distance_is_to_the_hull_boundary_zero_beyond() -> None:
    net = _grid_network()  # hull: the square 0..400
    gdf = gpd.GeoDataFrame(geometry=[Point(200, 200), Point(50, 200), Point(500, 200), None], crs=32650)
    d = _studyarea.edge_distance_m(gdf, net)
    assert d[:3].tolist() == [200.0, 50.0, 0.0] and np.isnan(d[3])


def test_study_area_by_network_and_by_spread() -> None:
    net = _grid_network()
    gdf = gpd.GeoDataFrame(geometry=[Point(200, 200), Point(4_000, 0), Point(6_000, 0)], crs=32650)
    out, reason = _studyarea.outside_study_area(gdf, None, net)
    assert out.tolist() == [False, False, True] and "5 km beyond the walking network" in reason
    spread = [Point(i * 1000.0, 0) for i in range(10)] + [Point(900_000.0, 0)]
    gdf = gpd.GeoDataFrame(geometry=spread, crs=32650)
    out, reason = _studyarea.outside_study_area(gdf, None, None)
    assert out.tolist() == [False] * 10 + [True] and "median point" in reason


def test_plan_words_and_auto_map() -> None:
    types = {"meal_service": {"zh": "老年助餐点(老年食堂)", "en": "m", "synonyms": ["助餐服务点"]},
             "childcare": {"zh": "托育机构", "en": "c"}}
    auto = _typemap.auto_map(["老年助餐点（老年食堂）", "老年助餐点", "助餐服务点", "托育机构", "健身房", "x"],
                             {"x": "childcare"}, types)
    assert auto == {"老年助餐点（老年食堂）": "meal_service", "老年助餐点": "meal_service",
                    "助餐服务点": "meal_service", "托育机构": "childcare"}


def test_unmapped_counts_most_first() -> None:
    fac = pd.DataFrame({"facility_type": ["childcare", None, None, "candidate", None],
                        "source_type": ["托育机构", "健身房", "健身房", "社区中心", "卫生站"]})
    assert _typemap.unmapped_counts(fac, ["childcare"]) == {"健身房": 2, "卫生站": 1}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pass", "fail", "not_evaluable"]), st.integers(0, 2000)),
                min_size=1, max_size=30), st.data())
def test_duplicating_rows_never_changes_a_rate(rows: list[tuple[str, int]], data: st.DataObject) -> None:
    """Rows copied and marked rate_excluded leave the plain and weighted rates exactly as they were."""
    status = pd.Series([s for s, _ in rows])
    weights = pd.Series([float(w) for _, w in rows])
    copies = data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=10))
    all_status = pd.concat([status, status.iloc[copies]], ignore_index=True)
    all_weights = pd.concat([weights, weights.iloc[copies]], ignore_index=True)
    frame = pd.DataFrame({"rate_excluded": [""] * len(rows) + [f"duplicate of row {i + 1}" for i in copies]})
    counted = counted_mask(frame)
    for w, w_all in ((None, None), (weights, all_weights)):
        expected, n, n_pass = pass_rate(status, w)
        got, n2, n_pass2 = pass_rate(all_status, w_all, counted)
        assert (n, n_pass) == (n2, n_pass2)
        assert (np.isnan(expected) and np.isnan(got)) or expected == got


@pytest.mark.slow
def test_city_scale_edge_and_study_area_are_vectorised() -> None:
    """20,000 compounds against a 1,000,000-node network: the hull, edge distances and study area in seconds."""
    import time

    rng = np.random.default_rng(0)
    n = 1_000_000
    u = np.arange(n - 1)
    net = Network(x=rng.uniform(0, 40_000, n), y=rng.uniform(0, 40_000, n), u=u, v=u + 1, length=np.ones(n - 1),
                  crs=pyproj.CRS.from_epsg(32650))
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(0, 40_000, 20_000), rng.uniform(0, 40_000, 20_000)),
                           crs=32650)
    start = time.perf_counter()
    d = _studyarea.edge_distance_m(pts, net)
    out, _ = _studyarea.outside_study_area(pts, None, net)
    assert time.perf_counter() - start < 10
    assert np.isfinite(d).all() and (d >= 0).all() and not out.any()


def test_a_few_services_in_one_building_keep_their_point() -> None:
    gdf = _layer([(120.5, 30.5)] * 3 + [(120.6, 30.5)], ["养老", "托育", "助餐", "其他"])
    notes, unplace, _ = _rowchecks.stacked_rows(gdf, "facilities")
    assert not unplace.any() and "positions approximate" in notes[0]
    notes, unplace, _ = _rowchecks.stacked_rows(_layer([(120.5, 30.5)] * 5, list("abcde")), "facilities")
    assert unplace.all() and "geocoder's fallback" in notes[0]


def test_a_mapping_to_the_plans_word_reads_as_the_type() -> None:
    types = {"elderly_day_care": {"zh": "日间照料中心", "en": "d"}, "childcare": {"zh": "托育机构", "en": "c"}}
    given, notes = _typemap.resolve_targets({"日照": "日间照料中心", "托班": "childcare", "x": "nope"}, types)
    assert given == {"日照": "elderly_day_care", "托班": "childcare", "x": "nope"}
    assert notes == ["[facility_types] '日照' = '日间照料中心' read as 'elderly_day_care', the preset's type "
                     "of that name"]
