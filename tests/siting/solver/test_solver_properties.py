"""Every siting model against the true optimum of random instances, computed independently.

The invariant, for LSCP, MCLP, capacitated and sized models, with and without the decompositions, with no,
short and zero time limits: ``bound <= true optimum <= objective`` (the other way round for MCLP), the
objective is the cost of the returned solution (recomputed here from the caller's matrix), and ``optimal``
implies ``objective == true optimum``. The true optima come from small models written out here and solved
by :func:`scipy.optimize.milp` (its own HiGHS build, no geoplan code involved).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geoplan.siting import INFEASIBLE, OPTIMAL, capacitated_lscp, lscp, mclp, sized_lscp
from geoplan.siting.solver import capacitated, covering
from geoplan.siting.solver.result import SitingSolution

TOL = 1e-6
LIMITS = st.sampled_from([None, 0.0, 0.02, 5.0])
#: The fixtures used with @given only patch module constants, the same for every example.
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def instance(seed: int, n: int, m: int, reach: float, on_demand: int = 0) -> tuple[sp.csr_array, np.ndarray]:
    """Distances (unit-square points, within ``reach`` stored) and weights 1-100.

    ``on_demand = k > 0`` adds a candidate on every k-th demand point: many more overlapping columns, so
    that the reductions leave a model for HiGHS (and for the decomposition).
    """
    rng = np.random.default_rng(seed)
    demand, cand = rng.uniform(0, 1, (n, 2)), rng.uniform(0, 1, (m, 2))
    if on_demand:
        cand = np.vstack([cand, demand[::on_demand]])
    coo = cKDTree(demand).sparse_distance_matrix(cKDTree(cand), reach, output_type="coo_matrix")
    return sp.csr_array(coo.tocsr()), rng.integers(1, 100, n).astype(np.float64)


def reach_of(costs: sp.csr_array, reach: float) -> np.ndarray:
    """Dense boolean reach (stored entries within ``reach``; a stored 0 is a distance of 0)."""
    out = np.zeros(costs.shape, dtype=bool)
    coo = sp.coo_array(costs)
    out[coo.row[coo.data <= reach], coo.col[coo.data <= reach]] = True
    return out


def solve(c: np.ndarray, rows: list[tuple[np.ndarray, float, float]], integer: np.ndarray, upper: np.ndarray) -> float:
    """``min c·x`` over the rows ``(coefficients, lower, upper)`` with scipy; ``inf`` when infeasible."""
    cons = []
    if rows:
        cons = [LinearConstraint(np.array([r[0] for r in rows]), [r[1] for r in rows], [r[2] for r in rows])]
    res = milp(c, constraints=cons, integrality=integer.astype(int), bounds=Bounds(0, upper))
    return float(res.fun) if res.status == 0 else math.inf


def true_lscp(r: np.ndarray, fixed: np.ndarray) -> float:
    """Fewest new columns covering every row some column reaches."""
    m = r.shape[1]
    free = np.ones(m, dtype=bool)
    free[fixed] = False
    need = r.any(axis=1) & ~r[:, fixed].any(axis=1)
    rows = [(r[i] & free, 1.0, np.inf) for i in np.flatnonzero(need)]
    return solve(np.ones(m), [(v.astype(float), lo, hi) for v, lo, hi in rows], np.ones(m), free.astype(float))


def true_mclp(r: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    """Most weight covered with at most ``p`` new columns (``[y | z]`` model), fixed columns' weight included."""
    n, m = r.shape
    free = np.ones(m, dtype=bool)
    free[fixed] = False
    base = r[:, fixed].any(axis=1)
    rows = [(np.concatenate([-(r[i] & free).astype(float), np.eye(n)[i]]), -np.inf, 0.0) for i in range(n)]
    rows.append((np.concatenate([free, np.zeros(n)]).astype(float), -np.inf, float(p)))
    upper = np.concatenate([free, ~base]).astype(float)  # z of a row fixed columns cover: counted in base
    val = solve(-np.concatenate([np.zeros(m), w]), rows, np.concatenate([np.ones(m), np.zeros(n)]), upper)
    return -val + float(w[base].sum())


def arc_optimum(
    r: np.ndarray,
    size: np.ndarray,
    cap: np.ndarray,
    fixed: np.ndarray,
    single: bool,
    sizing: tuple[float, float] | None,
) -> tuple[float, float]:
    """Fewest new sites (``[y | x | s]`` arc model), then with ``sizing = (factor, min_size)`` the least total
    size ``Σ s_j``, ``s_j >= max(min_size y_j, factor × load_j)``, with exactly that many new sites (NaN
    without ``sizing``; ``inf`` when infeasible)."""
    n, m = r.shape
    is_fixed = np.zeros(m, dtype=bool)
    is_fixed[fixed] = True
    arcs = np.argwhere(r)  # (i, j) within reach
    na = arcs.shape[0]
    ny = m  # y for every column (fixed ones pinned to 1 below, cost 0)
    n_var = ny + na + ny  # [y | x | s]

    def row(entries: dict[int, float], lo: float, hi: float) -> tuple[np.ndarray, float, float]:
        v = np.zeros(n_var)
        for k, val in entries.items():
            v[k] += val
        return v, lo, hi

    rows = []
    for i in range(n):
        mine = np.flatnonzero(arcs[:, 0] == i)
        if not mine.size:
            continue  # out of reach of everything: not in the model
        if size[i] > 0:
            rows.append(row({ny + a: 1.0 for a in mine}, 1.0, 1.0))
        else:
            rows.append(row({int(arcs[a, 1]): 1.0 for a in mine}, 1.0, np.inf))
    for j in range(m):
        into = np.flatnonzero(arcs[:, 1] == j)
        if np.isfinite(cap[j]) and into.size:
            entries = {ny + a: float(size[arcs[a, 0]]) for a in into}
            entries[j] = entries.get(j, 0.0) - float(cap[j])
            rows.append(row(entries, -np.inf, 0.0))
        for a in into:
            rows.append(row({ny + a: 1.0, j: -1.0}, -np.inf, 0.0))
    lower_y = is_fixed.astype(float)
    integer = np.concatenate([np.ones(ny), np.full(na, float(single)), np.zeros(ny)])
    upper = np.concatenate([np.ones(ny + na), np.zeros(ny)])
    fix_rows = [row({j: 1.0}, 1.0, 1.0) for j in np.flatnonzero(lower_y)]
    c1 = np.concatenate([(~is_fixed).astype(float), np.zeros(na + ny)])
    sites = solve(c1, rows + fix_rows, integer, upper)
    if sizing is None or not np.isfinite(sites):
        return sites, math.nan
    factor, min_size = sizing
    size_rows = [row({k: 1.0 for k in np.flatnonzero(~is_fixed)}, sites, sites)]
    for j in np.flatnonzero(~is_fixed):
        into = np.flatnonzero(arcs[:, 1] == j)
        size_rows.append(row({ny + na + j: 1.0, j: -min_size}, 0.0, np.inf))  # s_j >= min_size y_j
        load = {ny + a: -factor * float(size[arcs[a, 0]]) for a in into}
        load[ny + na + j] = 1.0
        size_rows.append(row(load, 0.0, np.inf))  # s_j >= factor × load_j
    upper2 = np.concatenate([np.ones(ny + na), np.where(is_fixed, 0.0, np.inf)])
    c2 = np.concatenate([np.zeros(ny + na), (~is_fixed).astype(float)])
    return sites, solve(c2, rows + fix_rows + size_rows, integer, upper2)


def assert_honest(sol: SitingSolution, optimum: float, *, maximize: bool) -> None:
    """bound ≤ optimum ≤ objective (reversed for maximise); optimal ⇒ objective = optimum."""
    slack = TOL * max(1.0, abs(optimum))
    if maximize:
        assert sol.bound >= optimum - slack, (sol.bound, optimum)
        if np.isfinite(sol.objective):
            assert sol.objective <= optimum + slack
    else:
        assert sol.bound <= optimum + slack, (sol.bound, optimum)
        if np.isfinite(sol.objective):
            assert sol.objective >= optimum - slack
    if sol.status == OPTIMAL:
        assert sol.objective == pytest.approx(optimum, rel=TOL, abs=TOL)


def fixed_of(seed: int, m: int, share: float) -> np.ndarray:
    """A seeded share of the columns as existing facilities."""
    rng = np.random.default_rng(seed + 1)
    return np.sort(rng.choice(m, int(m * share), replace=False)).astype(np.int64)


@pytest.fixture
def small_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the region decomposition run on models of tens of rows."""
    monkeypatch.setattr(covering, "DECOMPOSE_ROWS", 4)
    monkeypatch.setattr(covering, "REGION_ROWS", 8)
    monkeypatch.setattr(covering, "SEARCH_REGION_ROWS", (5, 12))


COVER_CASES = {
    "seed": st.integers(0, 100_000),
    "n": st.integers(20, 120),
    "m": st.integers(5, 50),
    "reach": st.floats(0.08, 0.3),
    "share": st.sampled_from([0.0, 0.05, 0.2]),
    "time_limit": LIMITS,
    "on_demand": st.sampled_from([0, 1, 2]),
}
#: Larger, denser instances: the reduced model keeps tens of rows, so the decomposition has work to do.
DECOMPOSED_CASES = {
    **COVER_CASES,
    "n": st.integers(100, 250),
    "reach": st.floats(0.12, 0.28),
    "share": st.sampled_from([0.0, 0.0, 0.02]),
    "on_demand": st.just(1),
}


def _lscp_case(
    seed: int, n: int, m: int, reach: float, share: float, time_limit: float | None, on_demand: int
) -> None:
    costs, _ = instance(seed, n, m, reach, on_demand)
    fixed = fixed_of(seed, costs.shape[1], share)
    sol = lscp(costs, limit=reach, fixed=fixed, time_limit=time_limit)
    assert_honest(sol, true_lscp(reach_of(costs, reach), fixed), maximize=False)
    assert sol.objective == sol.selected.size  # recomputed here too


def _mclp_case(
    seed: int, n: int, m: int, reach: float, share: float, time_limit: float | None, on_demand: int
) -> None:
    costs, w = instance(seed, n, m, reach, on_demand)
    fixed = fixed_of(seed, costs.shape[1], share)
    p = max(1, costs.shape[1] // 8)
    sol = mclp(costs, w, p, limit=reach, fixed=fixed, time_limit=time_limit)
    r = reach_of(costs, reach)
    open_cols = np.concatenate([sol.selected, fixed]).astype(np.int64)
    assert sol.objective == pytest.approx(float(w[r[:, open_cols].any(axis=1)].sum()))
    assert sol.selected.size <= p
    assert_honest(sol, true_mclp(r, w, p, fixed), maximize=True)


@settings(max_examples=30, deadline=None)
@given(**COVER_CASES)
def test_lscp_is_honest(
    seed: int, n: int, m: int, reach: float, share: float, time_limit: float | None, on_demand: int
) -> None:
    _lscp_case(seed, n, m, reach, share, time_limit, on_demand)


@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**DECOMPOSED_CASES)
def test_lscp_through_the_decomposition_is_honest(
    small_regions: None,
    seed: int,
    n: int,
    m: int,
    reach: float,
    share: float,
    time_limit: float | None,
    on_demand: int,
) -> None:
    _lscp_case(seed, n, m, reach, share, time_limit, on_demand)


@settings(max_examples=30, deadline=None)
@given(**COVER_CASES)
def test_mclp_is_honest(
    seed: int, n: int, m: int, reach: float, share: float, time_limit: float | None, on_demand: int
) -> None:
    _mclp_case(seed, n, m, reach, share, time_limit, on_demand)


@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**DECOMPOSED_CASES)
def test_mclp_through_the_decomposition_is_honest(
    small_regions: None,
    seed: int,
    n: int,
    m: int,
    reach: float,
    share: float,
    time_limit: float | None,
    on_demand: int,
) -> None:
    _mclp_case(seed, n, m, reach, share, time_limit, on_demand)


ARC_CASES = {
    "seed": st.integers(0, 100_000),
    "n": st.integers(3, 9),
    "m": st.integers(2, 6),
    "single": st.booleans(),
    "split_parts": st.booleans(),
    "time_limit": LIMITS,
}


def _arc_instance(seed: int, n: int, m: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray, np.ndarray]:
    """Costs (reach 0.5), demand sizes (some 0), capacities (some unlimited), existing facilities."""
    costs, _ = instance(seed, n, m, 0.5)
    rng = np.random.default_rng(seed + 2)
    size = np.where(rng.random(n) < 0.15, 0.0, rng.integers(10, 60, n).astype(np.float64))
    cap = np.where(rng.random(m) < 0.25, np.inf, rng.integers(40, 150, m).astype(np.float64))
    return costs, size, cap, fixed_of(seed, m, 0.2)


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**ARC_CASES)
def test_capacitated_is_honest(
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    n: int,
    m: int,
    single: bool,
    split_parts: bool,
    time_limit: float | None,
) -> None:
    monkeypatch.setattr(capacitated, "_DECOMPOSE", split_parts)
    costs, size, cap, fixed = _arc_instance(seed, n, m)
    sol = capacitated_lscp(costs, size, cap, limit=0.5, fixed=fixed, single_source=single, time_limit=time_limit)
    optimum, _ = arc_optimum(reach_of(costs, 0.5), size, cap, fixed, single, None)
    if not np.isfinite(optimum):
        assert sol.status == INFEASIBLE or not np.isfinite(sol.objective)
        return
    assert sol.status != INFEASIBLE
    assert_honest(sol, optimum, maximize=False)


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES_OK)
@given(**ARC_CASES, max_size=st.sampled_from([None, 20.0]))
def test_sized_is_honest(
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    n: int,
    m: int,
    single: bool,
    split_parts: bool,
    time_limit: float | None,
    max_size: float | None,
) -> None:
    monkeypatch.setattr(capacitated, "_DECOMPOSE", split_parts)
    costs, size, cap, fixed = _arc_instance(seed, n, m)
    fixed_size = np.where(np.isfinite(cap), cap * 0.2, np.inf)  # existing sizes, in m² at 20 per 100
    sol = sized_lscp(
        costs,
        size,
        rate=20.0,
        per=100.0,
        min_size=8.0,
        max_size=max_size,
        limit=0.5,
        fixed=fixed,
        fixed_size=fixed_size,
        single_source=single,
        time_limit=time_limit,
    )
    new_cap = np.full(m, np.inf if max_size is None else max_size / 0.2)
    new_cap[fixed] = fixed_size[fixed] / 0.2
    sites, total = arc_optimum(reach_of(costs, 0.5), size, new_cap, fixed, single, (0.2, 8.0))
    if not np.isfinite(sites):
        assert sol.status == INFEASIBLE or not np.isfinite(sol.objective)
        return
    assert_honest(sol, sites, maximize=False)
    if sol.stages[0].status == OPTIMAL and len(sol.stages) > 1:
        second = sol.stages[1]
        assert second.bound <= total + TOL * max(1.0, total)
        assert second.objective >= total - TOL * max(1.0, total)
        if second.status == OPTIMAL:
            assert second.objective == pytest.approx(total, rel=TOL)


@pytest.mark.slow
@pytest.mark.parametrize("decomposed", [False, True])
def test_seeded_sweep_of_covering_models(monkeypatch: pytest.MonkeyPatch, decomposed: bool) -> None:
    """Seeded LSCP and MCLP instances (200 plain, 60 decomposed: about 20 s and 2 min)."""
    if decomposed:
        monkeypatch.setattr(covering, "DECOMPOSE_ROWS", 4)
        monkeypatch.setattr(covering, "REGION_ROWS", 8)
        monkeypatch.setattr(covering, "SEARCH_REGION_ROWS", (5, 12))
    rng = np.random.default_rng(13 + decomposed)
    for seed in range(60 if decomposed else 200):
        n = int(rng.integers(100, 250) if decomposed else rng.integers(20, 120))
        args = (seed, n, int(rng.integers(5, 50)), float(rng.uniform(0.1, 0.28)), 0.0, None, 1 if decomposed else 2)
        _lscp_case(*args)
        _mclp_case(*args)
