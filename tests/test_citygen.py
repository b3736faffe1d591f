"""The benchmark city generator: connected, the counts asked for, the river crossed only at bridges, a PBF that
reads back as the same network, and a project the audit runs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

from benchmarks import citygen  # noqa: E402
from geoplan.network import read_osm  # noqa: E402

SPEC = citygen.CitySpec(n=60, communities=200, facilities=80, seed=7)


@pytest.fixture(scope="module")
def city() -> citygen.City:
    return citygen.generate(SPEC)


def _pairs(u: np.ndarray, v: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(np.minimum(u, v).tolist(), np.maximum(u, v).tolist(), strict=True))


def test_connected_with_the_counts_asked_for(city: citygen.City) -> None:
    net = city.network
    assert (net.components() == 0).all()
    assert 0.8 * SPEC.n**2 < net.n_nodes < SPEC.n**2
    assert len(city.communities) == SPEC.communities and len(city.facilities) == SPEC.facilities
    assert city.communities["community_id"].is_unique
    degree = np.bincount(np.concatenate([net.u, net.v]), minlength=net.n_nodes)
    assert (degree == 1).any(), "dead ends expected"
    assert set(city.facilities["type"]) == set(citygen.FACILITY_TYPES)
    # Same seed, same city.
    again = citygen.generate(SPEC)
    np.testing.assert_array_equal(again.network.x, net.x)
    np.testing.assert_array_equal(again.network.u, net.u)


def test_river_is_crossed_only_at_bridges(city: citygen.City) -> None:
    net, side = city.network, city.side
    assert city.bridge_columns.size >= 1
    crossing = side[net.u] != side[net.v]
    assert crossing.any()
    # Every edge leaving a bank runs along a bridge column (north-south, no side streets on a bridge).
    j_u, j_v = city.grid_j[net.u[crossing]], city.grid_j[net.v[crossing]]
    assert (j_u == j_v).all() and np.isin(j_u, city.bridge_columns).all()
    assert (side[net.u[crossing]] == 0).any() or (side[net.v[crossing]] == 0).any()
    assert not ((side[net.u] * side[net.v]) < 0).any()  # no edge joins the two banks directly
    # Without the bridge nodes the banks fall apart.
    land = side != 0
    keep = land[net.u] & land[net.v]
    graph = sp.coo_array((np.ones(int(keep.sum())), (net.u[keep], net.v[keep])), shape=(net.n_nodes,) * 2)
    _, label = connected_components(graph, directed=False)
    assert not set(label[side < 0]) & set(label[side > 0])


def test_pbf_reads_back_as_the_same_network(city: citygen.City, tmp_path: Path) -> None:
    back = read_osm(citygen.write_pbf(city, tmp_path / "city.osm.pbf"))  # the expressway is not walkable
    assert back.crs == city.network.crs
    np.testing.assert_array_equal(back.osm_ids, city.network.osm_ids)
    np.testing.assert_allclose(back.x, city.network.x, atol=1e-6)
    np.testing.assert_allclose(back.y, city.network.y, atol=1e-6)
    assert _pairs(back.u, back.v) == _pairs(city.network.u, city.network.v)


def test_project_audits(city: citygen.City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geoplan

    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "cache"))
    result = geoplan.audit(citygen.write_project(city, tmp_path / "project"))
    assert result.network is not None and result.network.n_nodes == city.network.n_nodes
    kinds = {rid: r.rule.kind for rid, r in result.rule_results.items()}
    for kind in ("reach", "provision"):
        statuses = set().union(*(set(r.table["status"]) for rid, r in result.rule_results.items()
                                 if kinds[rid] == kind))
        assert statuses & {"pass", "fail"}, f"{kind} rules evaluated nothing: {statuses}"
    assert any((tmp_path / "cache" / "networks").glob("*.npz")), "the audit caches its network"
