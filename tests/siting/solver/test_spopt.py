"""geoplan's LSCP and MCLP reach the same optimum as spopt (with pulp's CBC) on a random instance.

Skipped when spopt is not installed (it is a test/benchmark extra, not a runtime dependency).
"""

from __future__ import annotations

import numpy as np
import pytest

from geoplan.siting import OPTIMAL, lscp, mclp

spopt_locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")

# Large enough that neither model is solved by reductions alone (HiGHS does run).
RADIUS = 0.3
# spopt builds its models with pulp APIs that pulp 3.3 marks deprecated (hundreds of warnings).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cbc() -> object:
    """pulp's CBC: COIN_CMD where a CBC binary is installed (pulp >= 4), else the bundled PULP_CBC_CMD."""
    coin = pulp.COIN_CMD(msg=False)
    return coin if coin.available() else pulp.PULP_CBC_CMD(msg=False)


def instance(seed: int = 42, n: int = 200, m: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean costs of n random demands to m candidates (unit square), rows all coverable; weights."""
    rng = np.random.default_rng(seed)
    d, c = rng.random((n, 2)), rng.random((m, 2))
    costs = np.hypot(*(d[:, None, :] - c[None, :, :]).transpose(2, 0, 1))
    costs = costs[(costs <= RADIUS).any(axis=1)]  # spopt's LSCP is infeasible otherwise
    return costs, rng.integers(1, 100, costs.shape[0]).astype(float)


def test_lscp_objective_equals_spopt() -> None:
    costs, _ = instance()
    ours = lscp(costs, limit=RADIUS)
    theirs = spopt_locate.LSCP.from_cost_matrix(costs, RADIUS).solve(cbc())
    assert ours.status == OPTIMAL
    assert ours.reduction is not None and ours.reduction.rows > 0
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective))
    assert ours.covered.all()


@pytest.mark.parametrize("p", [3, 8])
def test_mclp_objective_equals_spopt(p: int) -> None:
    costs, w = instance()
    ours = mclp(costs, w, p, limit=RADIUS)
    theirs = spopt_locate.MCLP.from_cost_matrix(costs, w, RADIUS, p_facilities=p).solve(cbc())
    assert ours.status == OPTIMAL
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective))
