"""Capacitated and sized set covering: hand-made instances with known optima."""

from __future__ import annotations

import numpy as np
import pytest

from geoplan._errors import InputError
from geoplan.siting import INFEASIBLE, OPTIMAL, capacitated_lscp, sized_lscp
from geoplan.siting.assign_model import start_from_assignment
from geoplan.siting.capacitated import _arc_model
from geoplan.siting.greedy import greedy_capacitated

# Three demands of 60 (households) all within reach of three candidates of capacity 90.
COSTS = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0], [3.0, 2.0, 1.0]])
SIZE = np.array([60.0, 60.0, 60.0])
CAP = np.array([90.0, 90.0, 90.0])


def test_split_assignment_needs_two_sites() -> None:
    sol = capacitated_lscp(COSTS, SIZE, CAP)
    assert sol.status == OPTIMAL
    assert sol.objective == 2 and sol.n_selected == 2
    assert sol.load is not None and sol.allocation is not None
    assert (sol.load <= CAP + 1e-6).all()
    assert sol.load.sum() == pytest.approx(180.0)
    assert np.asarray(sol.allocation.sum(axis=1)).ravel() == pytest.approx(np.ones(3))
    assert sol.covered.all()


def test_single_source_needs_three_sites() -> None:
    sol = capacitated_lscp(COSTS, SIZE, CAP, single_source=True)
    assert sol.status == OPTIMAL
    assert sol.objective == 3
    assert sorted(sol.assignment.tolist()) == [0, 1, 2]
    assert [sol.served_by(j).size for j in sol.selected] == [1, 1, 1]


def test_fixed_capacity_is_used_and_not_counted() -> None:
    # An existing facility (column 3) of capacity 120 reaches demands 0 and 1.
    costs = np.hstack([COSTS, np.array([[1.0], [1.0], [np.inf]])])
    sol = capacitated_lscp(costs, SIZE, np.append(CAP, 120.0), fixed=[3], single_source=True)
    assert sol.objective == 1
    assert sol.fixed.tolist() == [3]
    assert sol.served_by(3).tolist() == [0, 1]
    assert sol.assignment[2] in sol.selected


def test_limit_cuts_arcs() -> None:
    # With reach 1 each demand has one candidate only: three sites whatever the capacities.
    sol = capacitated_lscp(COSTS, SIZE, 1000.0, limit=1.0)
    assert sol.objective == 3
    assert sol.assignment.tolist() == [0, 1, 2]


def test_demand_larger_than_any_site_is_infeasible_with_message() -> None:
    sol = capacitated_lscp(COSTS, np.array([60.0, 100.0, 60.0]), CAP, single_source=True)
    assert sol.status == INFEASIBLE
    assert "rows 1" in sol.message
    assert sol.n_selected == 0 and not sol.covered.any()


def test_total_capacity_short_is_infeasible() -> None:
    sol = capacitated_lscp(COSTS, np.array([80.0, 80.0, 80.0]), np.array([80.0, 80.0, 70.0]), single_source=True)
    assert sol.status == INFEASIBLE
    assert "infeasible" in sol.message


def test_uncoverable_demand_left_out() -> None:
    costs = np.vstack([COSTS, [np.inf, np.inf, np.inf]])
    sol = capacitated_lscp(costs, np.append(SIZE, 10.0), CAP)
    assert sol.status == OPTIMAL and sol.objective == 2
    assert sol.uncoverable.tolist() == [False, False, False, True]
    assert sol.assignment[3] == -1


def test_capacitated_greedy_start_is_feasible() -> None:
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(20):
        costs = np.where(rng.random((12, 6)) < 0.5, rng.random((12, 6)), np.inf)
        costs[:, 0] = np.where(np.isinf(costs).all(axis=1), 0.5, costs[:, 0])
        size = rng.integers(1, 10, 12).astype(float)
        cap = rng.integers(10, 30, 6).astype(float)
        m, _, _ = _arc_model(costs, size, cap, None, None, True)
        assigned = greedy_capacitated(m.arc_matrix(), m.size, m.capacity, m.is_fixed)
        if assigned is None:
            continue
        checked += 1
        assert np.isfinite(costs[m.rows, assigned]).all()  # every assignment is an arc
        load = np.bincount(assigned, weights=m.size, minlength=6)
        assert (load <= cap + 1e-9).all()
        start = start_from_assignment(m, assigned)
        assert start[m.ny :].sum() == m.rows.size  # one arc per demand
        sol = capacitated_lscp(costs, size, cap, single_source=True)
        assert sol.objective <= sol.greedy_objective
    assert checked >= 15  # the heuristic rarely gets stuck on these


# Sizing: communities on a line at x (km) with households; candidates at x; reach 1 km;
# standard 20 m² per 100 households, at least 200 m² per site.
H_X = np.array([0.0, 1.0, 2.0, 10.0])
HOUSEHOLDS = np.array([1500.0, 600.0, 800.0, 100.0])
SITE_X = np.array([0.0, 1.5, 10.0])


def sizing_costs(sites: np.ndarray = SITE_X) -> np.ndarray:
    return np.abs(H_X[:, None] - sites[None, :])


def test_sized_mode_fewest_sites_then_least_size() -> None:
    # Demands 0 and 3 have one site each; 2 needs site 1. Community 1 (600 hh) may go to site 0
    # (sizes 420 + 200 + 200 = 820) or site 1 (300 + 280 + 200 = 780): the latter is optimal.
    sol = sized_lscp(sizing_costs(), HOUSEHOLDS, rate=20, per=100, min_size=200, limit=1.0)
    assert sol.status == OPTIMAL
    assert sol.objective == 3
    assert sol.size_of() == {0: 300.0, 1: 280.0, 2: 200.0}
    assert sol.stages[1].name == "total_size" and sol.stages[1].objective == pytest.approx(780.0)
    assert sol.stages[1].gap == pytest.approx(0.0)
    assert [sol.served_by(j).tolist() for j in sol.selected] == [[0], [1, 2], [3]]


def test_sized_mode_with_existing_facility() -> None:
    # Existing 250 m² facility at x=2 serves up to 1250 households: community 2 (800) goes there,
    # community 1 then joins site 0 (2100 hh → 420 m²); site 1 is not needed.
    costs = sizing_costs(np.append(SITE_X, 2.0))
    sol = sized_lscp(
        costs, HOUSEHOLDS, rate=20, per=100, min_size=200, limit=1.0, fixed=[3], fixed_size=[0, 0, 0, 250.0]
    )
    assert sol.objective == 2
    assert sol.size_of() == {0: 420.0, 2: 200.0}
    assert sol.served_by(3).tolist() == [2]
    assert sol.load is not None and sol.load[3] == 800.0


def test_sized_mode_max_size_binds() -> None:
    # At most 300 m² (1500 hh) per site: site 0 cannot also take community 1.
    sol = sized_lscp(sizing_costs(), HOUSEHOLDS, rate=20, per=100, min_size=200, max_size=300, limit=1.0)
    assert sol.served_by(0).tolist() == [0]
    assert sol.sizes is not None and (sol.sizes <= 300 + 1e-9).all()


def test_sized_mode_needs_fixed_size() -> None:
    with pytest.raises(InputError, match="fixed_size"):
        sized_lscp(sizing_costs(), HOUSEHOLDS, rate=20, fixed=[0])
    with pytest.raises(InputError, match="rate"):
        sized_lscp(sizing_costs(), HOUSEHOLDS, rate=0)
