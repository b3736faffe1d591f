"""The final check every siting model runs: tampered solutions must fail it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan.siting import OPTIMAL, capacitated_lscp, lscp, mclp, sized_lscp
from geoplan.siting.solver.verify import Sizing, SolutionCheckError, check_assignment, check_cover

# Demand 0-3 on a line, candidates reaching pairs: {0,1}, {1,2}, {2,3}, {3}.
COVER = sp.csr_array(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=np.float64))


def test_a_checked_lscp_passes_and_tampering_fails() -> None:
    sol = lscp(COVER)
    assert sol.status == OPTIMAL and sol.objective == 2
    check_cover(sol, COVER)
    with pytest.raises(SolutionCheckError, match="objective"):
        check_cover(replace(sol, objective=1.0, bound=1.0), COVER)
    with pytest.raises(SolutionCheckError, match="covered"):
        check_cover(replace(sol, selected=sol.selected[:1]), COVER)
    with pytest.raises(SolutionCheckError, match="optimal"):
        check_cover(replace(sol, bound=1.0, gap=0.5), COVER)
    with pytest.raises(SolutionCheckError, match="bound"):
        check_cover(replace(sol, bound=3.0), COVER)


def test_mclp_budget_and_weight_are_checked() -> None:
    w = np.array([1.0, 2.0, 3.0, 4.0])
    sol = mclp(COVER, w, 1)
    check_cover(sol, COVER, weights=w, p=1)
    with pytest.raises(SolutionCheckError, match="p = 0"):
        check_cover(sol, COVER, weights=w, p=0)
    with pytest.raises(SolutionCheckError, match="objective"):
        check_cover(sol, COVER, weights=w * 2, p=1)


def test_capacities_and_sizes_are_checked() -> None:
    size = np.array([5.0, 5.0, 5.0, 5.0])
    sol = capacitated_lscp(COVER, size, np.full(4, 10.0), limit=1.0)
    check_assignment(sol, COVER, size, np.full(4, 10.0), single_source=True)
    with pytest.raises(SolutionCheckError, match="capacity"):
        check_assignment(sol, COVER, size, np.full(4, 5.0), single_source=True)
    sized = sized_lscp(COVER, size, rate=20.0, per=100.0, min_size=200.0, limit=1.0)
    cap = np.full(4, np.inf)
    check_assignment(sized, COVER, size, cap, single_source=True, sizing=Sizing(0.2, 200.0, None))
    with pytest.raises(SolutionCheckError, match="size"):
        check_assignment(sized, COVER, size, cap, single_source=True, sizing=Sizing(0.2, 300.0, None))
