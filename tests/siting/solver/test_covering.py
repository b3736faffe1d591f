"""Covering models (LSCP, MCLP): hand-made instances with known optima, brute force on small random ones."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan._errors import InputError
from geoplan.siting import OPTIMAL, TIME_LIMIT, lscp, mclp
from geoplan.siting.solver.greedy import greedy_max_cover, greedy_set_cover
from geoplan.siting.solver.local import improve_cover, improve_max_cover
from geoplan.siting.solver.reduce import dominated_cols, dominated_rows, reduce_set_cover

# Demands on a line at these x (metres); candidates at these x; reach 100 m.
DEMAND_X = np.array([0.0, 50.0, 150.0, 250.0, 300.0, 1000.0])
CAND_X = np.array([0.0, 100.0, 180.0, 310.0, 900.0])
LIMIT = 100.0


def line_costs() -> np.ndarray:
    """|x_i - x_j| for every demand and candidate."""
    return np.abs(DEMAND_X[:, None] - CAND_X[None, :])


def brute_lscp(cov: np.ndarray) -> int:
    """Fewest columns covering every coverable row, by enumeration."""
    need = cov.any(axis=1)
    for k in range(cov.shape[1] + 1):
        for cols in itertools.combinations(range(cov.shape[1]), k):
            if cov[:, list(cols)].any(axis=1)[need].all():
                return k
    raise AssertionError("unreachable")


def brute_mclp(cov: np.ndarray, w: np.ndarray, p: int) -> float:
    """Largest weight covered by p columns, by enumeration."""
    return max(float(w[cov[:, list(c)].any(axis=1)].sum()) for c in itertools.combinations(range(cov.shape[1]), p))


def test_lscp_line_known_optimum() -> None:
    # Candidate 1 (x=100) covers demands at 0, 50, 150; candidate 3 (x=310) alone reaches 300 and also
    # covers 250; candidate 2 (x=180) covers 150, 250; only candidate 4 (x=900) reaches 1000.
    sol = lscp(line_costs(), limit=LIMIT)
    assert sol.status == OPTIMAL
    assert sol.objective == 3
    assert sol.bound == 3 and sol.gap == 0
    assert sol.selected.tolist() == [1, 3, 4]
    assert sol.covered.all() and not sol.uncoverable.any()
    # nearest open site: demand at 0 is 100 m from candidate 1 (candidate 0 is closed)
    assert sol.assignment.tolist() == [1, 1, 1, 3, 3, 4]


def test_lscp_uncoverable_is_reported_not_infeasible() -> None:
    costs = line_costs()
    costs[5, 4] = np.inf  # the demand at x=1000 now reaches nothing
    sol = lscp(costs, limit=LIMIT)
    assert sol.status == OPTIMAL
    assert sol.objective == 2
    assert sol.uncoverable.tolist() == [False] * 5 + [True]
    assert sol.covered.tolist() == [True] * 5 + [False]
    assert sol.assignment[5] == -1
    assert "out of reach" in sol.message


def test_lscp_fixed_facility_counts_toward_coverage() -> None:
    # An existing facility at x=310 (column 3) already covers 250 and 300.
    sol = lscp(line_costs(), limit=LIMIT, fixed=[3])
    assert sol.objective == 2
    assert sol.selected.tolist() == [1, 4]
    assert sol.fixed.tolist() == [3]
    assert sol.assignment[3] == 3 and sol.assignment[4] == 3
    mask = np.zeros(CAND_X.size, dtype=bool)
    mask[3] = True
    assert lscp(line_costs(), limit=LIMIT, fixed=mask).selected.tolist() == [1, 4]


def test_lscp_sparse_costs_keep_explicit_zero() -> None:
    # A stored 0 is a cost of 0 (site inside the community), not "out of reach".
    costs = sp.csr_array((np.array([0.0, 0.0]), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 2))
    sol = lscp(costs, limit=10.0)
    assert sol.objective == 2 and sol.covered.all()
    # read as 0/1 coverage (no limit), the zeros mean "not covered"
    assert lscp(costs).uncoverable.all()


def test_lscp_matches_brute_force_on_random_instances() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        cov = rng.random((14, 8)) < 0.25
        fixed = rng.choice(8, 1) if rng.random() < 0.5 else None
        sol = lscp(cov.astype(float), fixed=fixed)
        free = np.setdiff1d(np.arange(8), [] if fixed is None else fixed)
        todo = ~(cov[:, fixed].any(axis=1)) if fixed is not None else np.ones(14, dtype=bool)
        assert sol.objective == brute_lscp(cov[todo][:, free])
        assert np.array_equal(sol.covered, cov.any(axis=1))
        assert sol.n_selected == sol.objective


def test_mclp_p1_p2_known_optimum() -> None:
    w = np.array([10.0, 10.0, 10.0, 40.0, 40.0, 5.0])
    one = mclp(line_costs(), w, 1, limit=LIMIT)
    assert one.status == OPTIMAL
    assert one.selected.tolist() == [3] and one.objective == 80.0  # 250 + 300
    two = mclp(line_costs(), w, 2, limit=LIMIT)
    assert two.selected.tolist() == [1, 3] and two.objective == 110.0
    assert two.bound == pytest.approx(110.0)
    assert two.covered.tolist() == [True] * 5 + [False]


def test_mclp_fixed_weight_counts_and_p_counts_new_sites_only() -> None:
    w = np.array([10.0, 10.0, 10.0, 40.0, 40.0, 5.0])
    sol = mclp(line_costs(), w, 1, limit=LIMIT, fixed=[3])
    assert sol.selected.tolist() == [1]
    assert sol.objective == 110.0  # 80 by the existing facility + 30 by the new one


def test_mclp_matches_brute_force_on_random_instances() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        cov = rng.random((15, 7)) < 0.3
        w = rng.integers(1, 20, 15).astype(float)
        for p in (1, 2, 3):
            sol = mclp(cov.astype(float), w, p)
            assert sol.objective == pytest.approx(brute_mclp(cov, w, p))
            assert sol.n_selected <= p
            assert sol.objective == pytest.approx(w[sol.covered].sum())


def test_mclp_opens_fewer_sites_only_when_more_add_nothing() -> None:
    cov = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=float)
    sol = mclp(cov, [1.0, 1.0, 1.0], 3)
    assert sol.selected.tolist() == [0, 1]
    assert sol.objective == 3.0


def test_time_limit_returns_best_solution_with_gap() -> None:
    costs = np.hypot(*(np.random.default_rng(5).random((2, 3000, 1)) - np.random.default_rng(6).random((2, 1, 800))))
    sol = lscp(costs, limit=0.05, time_limit=0.0)
    assert sol.status == TIME_LIMIT
    assert sol.gap > 0 and sol.bound < sol.objective
    assert np.array_equal(sol.covered, ~sol.uncoverable)  # still a full cover
    w = np.random.default_rng(1).random(3000)
    mc = mclp(costs, w, 30, limit=0.05, time_limit=0.0)
    assert mc.status == TIME_LIMIT
    assert mc.bound > mc.objective and mc.gap > 0
    assert mc.n_selected <= 30


def _covered_weight(a: sp.csr_array, w: np.ndarray, cols: np.ndarray) -> float:
    return float(w[(a @ np.isin(np.arange(a.shape[1]), cols).astype(float)) > 0].sum())


def test_greedy_and_local_search_are_feasible() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = sp.csr_array((rng.random((60, 25)) < 0.12).astype(float))
        cover = greedy_set_cover(a)
        hit = a @ np.isin(np.arange(25), cover).astype(float)
        assert np.array_equal(hit > 0, np.diff(a.indptr) > 0)
        better = improve_cover(a, cover)
        assert better.size <= cover.size
        assert np.array_equal((a @ np.isin(np.arange(25), better).astype(float)) > 0, hit > 0)
        w = rng.random(60)
        mc = greedy_max_cover(a, w, 4)
        assert mc.size <= 4
        mc2 = improve_max_cover(a, w, mc)
        assert mc2.size == mc.size
        assert _covered_weight(a, w, mc2) >= _covered_weight(a, w, mc) - 1e-12


def test_dominance_reductions() -> None:
    a = sp.csr_array(np.array([[1, 1, 0], [1, 0, 0], [1, 0, 0], [0, 1, 1]], dtype=float))
    # row 0 ⊇ row 1; rows 1 and 2 identical (keep 1)
    assert dominated_rows(a).tolist() == [True, False, True, False]
    # column 0 covers {0,1,2}, column 1 {0,3}, column 2 {3} ⊆ column 1
    assert dominated_cols(a).tolist() == [False, False, True]
    red = reduce_set_cover(a)
    # row 1 forces column 0; row 3 then has columns 1, 2 with 2 dominated → column 1 forced
    assert red.forced.tolist() == [0, 1] and red.a.shape[0] == 0


def test_input_errors() -> None:
    with pytest.raises(InputError, match="p must be"):
        mclp(line_costs(), np.ones(6), -1, limit=LIMIT)
    with pytest.raises(InputError, match="weights"):
        mclp(line_costs(), np.ones(5), 1, limit=LIMIT)
    with pytest.raises(InputError, match="out of range"):
        lscp(line_costs(), limit=LIMIT, fixed=[9])
    with pytest.raises(InputError, match="non-negative"):
        lscp(-line_costs() - 1, limit=LIMIT)
    with pytest.raises(InputError, match="2-D"):
        lscp(np.ones(3))
