"""Sparse catchment pairs against networkx, and the 2SFCA / E2SFCA engine against PySAL ``access``.

Real data: the 2015 Hangzhou street extract with the 804 compounds (BD-09 undone) and the OSM kindergartens,
attached as an audit attaches them (:class:`geoplan.access.Access`); catchment 1125 m (15 min × 75 m/min).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from geoplan.access import Access
from geoplan.catchment_pairs import catchment_pairs, network_pairs, stretch_factor
from geoplan.crs import bd09_to_wgs84
from geoplan.network import Network, distances_within, read_osm
from geoplan.rules._fca import decay_weights, two_step

nx = pytest.importorskip("networkx")
LIMIT = 1125.0


@pytest.fixture(scope="module")
def hangzhou(shared_data: Path) -> Access:
    folder = shared_data / "hangzhou-central"
    net = read_osm(folder / "streets-2015.osm.pbf")
    compounds = pd.read_csv(folder / "compounds-bd09.csv")
    lon, lat = bd09_to_wgs84(compounds["lon_bd09"], compounds["lat_bd09"])
    com = gpd.GeoDataFrame({"households": np.arange(len(compounds)) % 17 * 50 + 100.0},
                           geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(net.crs)
    facilities = pd.read_csv(folder / "facilities-osm-2024.csv")
    fac = gpd.GeoDataFrame({"facility_type": facilities["category"].to_numpy()},
                           geometry=gpd.points_from_xy(facilities["lon"], facilities["lat"]), crs=4326).to_crs(net.crs)
    # most OSM facilities lie outside the 2015 extract: add sites 30 m off every 5th compound, so catchments
    # overlap densely
    sites = com.iloc[::5].geometry.translate(30.0, -30.0)
    extra = gpd.GeoDataFrame({"facility_type": ["site"] * len(sites)}, geometry=sites.to_numpy(), crs=net.crs)
    fac = pd.concat([fac, extra], ignore_index=True)
    return Access(com, fac, net, max_snap_m=300.0)


def _nx(net: Network) -> nx.Graph:
    g = nx.Graph()
    for a, b, w in zip(net.u.tolist(), net.v.tolist(), np.maximum(net.length, 1e-6).tolist(), strict=True):
        if a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
            g.add_edge(a, b, weight=w)
    return g


@pytest.mark.shared
def test_pairs_match_networkx_on_real_streets(hangzhou: Access) -> None:
    access = hangzhou
    assert access.graph is not None and access.community_attachment is not None
    assert access.facility_attachment is not None
    mask = np.ones(len(access.facilities), dtype=bool)
    got = catchment_pairs(access, mask, LIMIT).pairs
    g = _nx(access.graph)
    com_node = access.community_attachment.node
    expected = []
    for j in np.flatnonzero(access.facility_attachment.attached):
        reach = nx.single_source_dijkstra_path_length(g, int(access.facility_attachment.node[j]), cutoff=LIMIT)
        for i in np.flatnonzero(access.community_attachment.attached):
            d = reach.get(int(com_node[i]))
            if d is not None and d <= LIMIT:
                expected.append((j, i, d))
    exp = pd.DataFrame(expected, columns=["facility", "community", "dist_m"])
    assert len(exp) > 5000  # thousands of pairs, so the comparison means something
    merged = exp.merge(got, on=["facility", "community"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged["dist_m_x"], merged["dist_m_y"], rtol=0, atol=1e-6)
    assert stretch_factor(access.graph) == pytest.approx(1.0)


def test_pairs_find_targets_sharing_a_node_and_cells_of_any_size() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 3000, 400), rng.uniform(0, 3000, 400)
    links = cKDTree(np.c_[x, y]).query_pairs(260, output_type="ndarray")
    net = Network(x, y, links[:, 0], links[:, 1], np.hypot(x[links[:, 0]] - x[links[:, 1]],
                                                             y[links[:, 0]] - y[links[:, 1]]) * 1.1,
                  crs=pyproj.CRS.from_epsg(4549))
    sources = rng.integers(0, 400, 30)
    targets = np.concatenate([rng.integers(0, 400, 80), [-1, int(sources[0]), int(sources[0])]])
    base = network_pairs(net, sources, targets, 700.0)
    for fraction in (0.2, 1.0, 3.0):
        other = network_pairs(net, sources, targets, 700.0, cell_fraction=fraction, block_bytes=1024)
        pd.testing.assert_frame_equal(base, other)
    g = _nx(net)
    for s_pos, s in enumerate(sources):
        reach = nx.single_source_dijkstra_path_length(g, int(s), cutoff=700.0)
        want = sorted(t_pos for t_pos, t in enumerate(targets) if t >= 0 and reach.get(int(t), np.inf) <= 700.0)
        assert sorted(base.loc[base["source_pos"] == s_pos, "target_pos"]) == want


@pytest.mark.shared
@pytest.mark.parametrize("decay", ["none", "stepped", "gaussian"])
def test_same_numbers_as_pysal_access(hangzhou: Access, decay: str) -> None:
    access_mod = pytest.importorskip("access")
    from access import weights

    acc = hangzhou
    rng = np.random.default_rng(7)
    n_fac = len(acc.facilities)
    supply = rng.integers(5, 120, n_fac).astype(float)
    demand = acc.communities["households"].to_numpy(dtype=float)
    pairs = catchment_pairs(acc, np.ones(n_fac, dtype=bool), LIMIT).pairs
    steps = {375.0: 1.0, 750.0: 0.68, LIMIT: 0.22}
    fn = {"none": None, "stepped": weights.step_fn(steps), "gaussian": weights.gaussian(500.0)}[decay]
    w = decay_weights(pairs["dist_m"].to_numpy(), decay, LIMIT, steps_m=list(steps.items()), sigma_m=500.0)
    ours = two_step(pairs["facility"].to_numpy(np.int64), pairs["community"].to_numpy(np.int64), w, supply, demand)

    cost = pd.DataFrame({"origin": pairs["community"], "dest": pairs["facility"], "cost": pairs["dist_m"]})
    model = access_mod.Access(
        demand_df=pd.DataFrame({"demand": demand}, index=pd.Index(range(len(demand)), name="cid")),
        demand_index=True, demand_value="demand",
        supply_df=pd.DataFrame({"supply": supply}, index=pd.Index(range(n_fac), name="fid")),
        supply_index=True, supply_value="supply",
        cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    if decay == "none":
        theirs = model.two_stage_fca(name="x", max_cost=LIMIT)["x_supply"]
    else:
        theirs = model.enhanced_two_stage_fca(name="x", max_cost=LIMIT, weight_fn=fn)["x_supply"]
    reached = np.unique(pairs["community"])
    assert reached.size > 500
    np.testing.assert_allclose(ours.access_low[reached], theirs.loc[reached].to_numpy(), rtol=1e-9, atol=0)
    unreached = np.setdiff1d(np.arange(len(demand)), reached)
    assert (ours.access_low[unreached] == 0).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(50, 900), st.sampled_from([0.25, 0.5, 1.0, 2.0]),
       st.floats(1.0, 1.6))
def test_pairs_equal_the_dense_search(seed: int, limit: float, fraction: float, detour: float) -> None:
    # any graph whose edges are at least their chord (detour ≥ 1), any radius and cell size: the cell-by-cell
    # search finds exactly the pairs (and distances) of a Dijkstra over the whole graph
    rng = np.random.default_rng(seed)
    n = 120
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    links = cKDTree(np.c_[x, y]).query_pairs(300, output_type="ndarray")
    if not len(links):
        return
    chord = np.hypot(x[links[:, 0]] - x[links[:, 1]], y[links[:, 0]] - y[links[:, 1]])
    net = Network(x, y, links[:, 0], links[:, 1], chord * detour, crs=pyproj.CRS.from_epsg(4549))
    sources, targets = rng.integers(-1, n, 15), rng.integers(-1, n, 40)
    got = network_pairs(net, sources, targets, limit, cell_fraction=fraction)
    dense = distances_within(net, sources, limit, targets=targets)
    want = dense.merge(pd.DataFrame({"node": targets, "target_pos": np.arange(targets.size)}), on="node")
    want = want[["source_pos", "target_pos", "dist_m"]].sort_values(["source_pos", "target_pos"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
