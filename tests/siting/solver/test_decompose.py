"""Region decomposition of large set covers: regions, the split bound, the window search, and lscp using them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from geoplan.siting import OPTIMAL, lscp, mclp
from geoplan.siting.solver import covering
from geoplan.siting.solver.decompose_lscp import lp_duals, split_bound, window_search
from geoplan.siting.solver.decompose_mclp import max_cover_lp_bound, max_window_search
from geoplan.siting.solver.regions import row_regions


def odd_cycle(n: int) -> sp.csr_array:
    """Rows 0..n-1 on a cycle, column j covering rows j and j+1: LP optimum n/2, cover optimum ceil(n/2)."""
    rows = np.concatenate([np.arange(n), (np.arange(n) + 1) % n])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    return sp.csr_array((np.ones(2 * n), (rows, cols)), shape=(n, n))


def geometric(n: int, m: int, reach: float, seed: int) -> sp.csr_array:
    """Unit-square points: rows covered by the candidate columns within ``reach``; every row coverable."""
    rng = np.random.default_rng(seed)
    demand, cand = rng.uniform(0, 1, (n, 2)), rng.uniform(0, 1, (m, 2))
    cand = np.vstack([cand, demand])  # a candidate on each demand point, so nothing is uncoverable
    coo = cKDTree(demand).sparse_distance_matrix(cKDTree(cand), reach, output_type="coo_matrix")
    a = sp.csr_array((np.ones(coo.nnz), (coo.row, coo.col)), shape=(n, cand.shape[0]))
    a.sort_indices()
    return a


def brute_cover(a: sp.csr_array) -> int:
    """Fewest columns covering every row, by enumeration (tiny instances only)."""
    dense = a.toarray() > 0
    best = a.shape[1]
    for mask in range(1 << a.shape[1]):
        cols = [j for j in range(a.shape[1]) if mask >> j & 1]
        if len(cols) < best and dense[:, cols].any(axis=1).all():
            best = len(cols)
    return best


def test_row_regions_respect_target_and_components() -> None:
    a = geometric(400, 100, 0.08, 0)
    labels = row_regions(a, 60)
    assert labels.shape == (400,)
    assert np.bincount(labels).max() <= 60
    assert set(np.unique(labels)) == set(range(labels.max() + 1))
    # Two disconnected blocks never share a region, even when both fit in one.
    blocks = sp.csr_array(sp.block_diag([odd_cycle(5), odd_cycle(7)]))
    lab = row_regions(blocks, 100)
    assert set(lab[:5]).isdisjoint(set(lab[5:]))


def test_split_bound_whole_region_is_the_cover_optimum() -> None:
    a = odd_cycle(7)
    assert lp_duals(a) is not None and lp_duals(a)[0] == pytest.approx(3.5)
    one = split_bound(a, np.zeros(7, dtype=np.int64))
    assert one is not None and one.bound == pytest.approx(4.0) and one.lp == pytest.approx(3.5)


def test_split_bound_between_lp_and_optimum_on_geometric_instances() -> None:
    for seed in range(3):
        a = geometric(300, 60, 0.12, seed)
        optimum = lscp(a).objective
        found = split_bound(a, row_regions(a, 80))
        assert found is not None
        assert found.lp - 1e-6 <= found.bound <= optimum + 1e-6


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 10),
    m=st.integers(2, 7),
    n_regions=st.integers(1, 4),
    any_prices=st.booleans(),
)
def test_split_bound_never_exceeds_the_optimum(seed: int, n: int, m: int, n_regions: int, any_prices: bool) -> None:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < 0.4
    dense[np.arange(n), rng.integers(0, m, n)] = True  # every row coverable
    a = sp.csr_array(dense.astype(np.float64))
    # Arbitrary prices too (often charging a column more than its cost): the split must stay valid.
    prices = rng.uniform(0, 2, n) if any_prices else None
    found = split_bound(a, rng.integers(0, n_regions, n), duals=prices)
    assert found is not None
    assert found.bound <= brute_cover(a) + 1e-6


def test_window_search_keeps_a_cover_and_reaches_the_optimum_on_small_instances() -> None:
    a = geometric(250, 40, 0.12, 7)
    start = np.arange(a.shape[1])  # every column: a cover, far from optimal
    better = window_search(a, start, [row_regions(a, 1000)])  # one window = the whole model
    assert ((a @ np.isin(np.arange(a.shape[1]), better).astype(float)) > 0).all()
    assert better.size == lscp(a).objective
    # With small windows the cover still shrinks and stays a cover.
    local = window_search(a, start, [row_regions(a, 40), row_regions(a, 70)])
    assert ((a @ np.isin(np.arange(a.shape[1]), local).astype(float)) > 0).all()
    assert local.size < start.size


def test_lscp_through_the_decomposition_proves_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    a = geometric(600, 150, 0.07, 3)
    whole = lscp(a)
    monkeypatch.setattr(covering, "DECOMPOSE_ROWS", 10)
    monkeypatch.setattr(covering, "REGION_ROWS", 50)
    monkeypatch.setattr(covering, "SEARCH_REGION_ROWS", (40, 90))
    split = lscp(a)
    assert whole.status == OPTIMAL and split.status == OPTIMAL
    assert split.objective == whole.objective
    assert split.bound == whole.objective
    assert ((a @ np.isin(np.arange(a.shape[1]), split.selected).astype(float)) > 0).all()


def test_lscp_decomposition_under_a_time_limit_reports_a_valid_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    a = geometric(600, 150, 0.07, 4)
    optimum = lscp(a).objective
    monkeypatch.setattr(covering, "DECOMPOSE_ROWS", 10)
    monkeypatch.setattr(covering, "REGION_ROWS", 50)
    monkeypatch.setattr(covering, "SEARCH_REGION_ROWS", (40, 90))
    sol = lscp(a, time_limit=5.0)
    assert sol.bound <= optimum <= sol.objective
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / max(sol.objective, 1.0))


def brute_max_cover(a: sp.csr_array, w: np.ndarray, p: int) -> float:
    """Most weight ``p`` columns cover, by enumeration (tiny instances only)."""
    dense = a.toarray() > 0
    best = 0.0
    for mask in range(1 << a.shape[1]):
        cols = [j for j in range(a.shape[1]) if mask >> j & 1]
        if len(cols) <= p:
            best = max(best, float(w[dense[:, cols].any(axis=1)].sum()))
    return best


def test_max_cover_lp_bound_on_odd_cycle() -> None:
    # Unit weights on a 5-cycle: p = 2 columns cover 4 rows, and so does the LP (y = 0.4, z = 0.8 each);
    # with p = 1.5 the LP covers 3 where one column covers 2.
    a = odd_cycle(5)
    w = np.ones(5)
    assert brute_max_cover(a, w, 2) == 4.0 and max_cover_lp_bound(a, w, 2) == pytest.approx(4.0)
    assert max_cover_lp_bound(a, w, 1.5) == pytest.approx(3.0)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 10),
    m=st.integers(2, 7),
    p=st.integers(1, 3),
)
def test_max_cover_lp_bound_never_below_the_optimum(seed: int, n: int, m: int, p: int) -> None:
    rng = np.random.default_rng(seed)
    a = sp.csr_array((rng.random((n, m)) < 0.4).astype(np.float64))
    w = rng.integers(0, 50, n).astype(np.float64)
    found = max_cover_lp_bound(a, w, p)
    assert found is not None
    assert found >= brute_max_cover(a, w, p) - 1e-6


def test_max_window_search_keeps_p_and_never_loses_weight() -> None:
    a = geometric(300, 60, 0.1, 5)
    w = np.random.default_rng(5).integers(100, 3000, 300).astype(np.float64)
    start = np.arange(12)  # twelve arbitrary sites
    better = max_window_search(a, w, start, [row_regions(a, 50), row_regions(a, 120)])

    def covered(cols: np.ndarray) -> float:
        return float(w[(a @ np.isin(np.arange(a.shape[1]), cols).astype(float)) > 0].sum())

    assert better.size <= start.size
    assert covered(better) > covered(start)
    assert covered(better) <= mclp(a, w, 12).objective + 1e-6


def test_mclp_through_the_decomposition_proves_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    a = geometric(500, 120, 0.06, 6)
    w = np.random.default_rng(6).integers(100, 3000, 500).astype(np.float64)
    whole = mclp(a, w, 25)
    monkeypatch.setattr(covering, "DECOMPOSE_ROWS", 10)
    monkeypatch.setattr(covering, "REGION_ROWS", 50)
    monkeypatch.setattr(covering, "SEARCH_REGION_ROWS", (40, 90))
    split = mclp(a, w, 25)
    assert whole.status == OPTIMAL and split.status == OPTIMAL
    assert split.objective == pytest.approx(whole.objective)
    assert split.bound >= split.objective - 1e-6
    limited = mclp(a, w, 25, time_limit=3.0)
    assert limited.objective <= whole.objective + 1e-6 <= limited.bound + 2e-6
