"""What a siting model returns: a frozen :class:`SitingSolution`, plus the per-stage solver report.

Every index in a solution is a row (demand) or column (candidate) index of the matrix the caller passed,
never an index into the reduced model the solver actually saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import scipy.sparse as sp

#: Solved to proven optimality (within ``mip_gap`` when one was given).
OPTIMAL: Final = "optimal"
#: Stopped by the time limit; the best solution found is returned with its proven gap.
TIME_LIMIT: Final = "time_limit"
#: No assignment satisfies the constraints (capacitated models only: coverage models report
#: unreachable demand as ``uncoverable`` instead).
INFEASIBLE: Final = "infeasible"
#: The solver stopped for another reason (iteration limit, interrupt, numerical trouble); see ``message``.
STOPPED: Final = "stopped"


@dataclass(frozen=True)
class Stage:
    """The solver report of one optimisation stage.

    Sized models solve two stages (fewest sites, then least total size with that many sites);
    the others one.

    Attributes
    ----------
    name : str
        ``"sites"`` (number of new sites), ``"covered_weight"`` or ``"total_size"``.
    status : str
        One of :data:`OPTIMAL`, :data:`TIME_LIMIT`, :data:`INFEASIBLE`, :data:`STOPPED`.
    objective : float
        Objective of the returned solution in the original (unreduced) model; NaN when there is none.
    bound : float
        Proven bound on the optimum (lower for minimisation, upper for maximisation), same units.
    gap : float
        ``|objective - bound| / max(|objective|, 1)``; 0 when optimal, NaN without a solution.
    seconds : float
        Wall time of the MILP solve of this stage (0 when reductions solved it). A time limit is enforced
        by HiGHS and by an interrupt callback; it can be overrun by about a second.
    nodes : int
        Branch-and-bound nodes HiGHS explored.
    greedy_objective : float
        Objective of the warm start: greedy, then local search for LSCP / MCLP (NaN when the heuristic
        found no feasible solution).
    """

    name: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    nodes: int = 0
    greedy_objective: float = float("nan")


@dataclass(frozen=True)
class Reduction:
    """Size of the model before and after reductions.

    Attributes
    ----------
    demands, candidates : int
        Rows and columns of the input matrix.
    rows, cols : int
        Rows and columns of the model handed to the solver.
    forced : int
        New sites every solution must open (a demand only they reach), fixed before solving.
    """

    demands: int
    candidates: int
    rows: int
    cols: int
    forced: int = 0


@dataclass(frozen=True)
class SitingSolution:
    """The outcome of one siting model. Indices refer to the caller's matrix (demand rows, candidate columns).

    Attributes
    ----------
    model : str
        ``"lscp"``, ``"mclp"``, ``"capacitated_lscp"`` or ``"sized_lscp"``.
    status : str
        :data:`OPTIMAL` when every stage is; otherwise the status of the first stage that is not.
    selected : ndarray of int
        New candidate columns opened, ascending. Fixed (existing) columns are not listed here.
    fixed : ndarray of int
        Existing facility columns, open by definition.
    objective : float
        Primary objective: number of new sites (LSCP variants) or total covered weight including what
        fixed facilities cover (MCLP).
    bound : float
        Proven bound on the primary objective.
    gap : float
        Proven relative gap of the primary objective.
    seconds : float
        Wall time of the whole call (input checks, reductions, greedy, solver).
    solver_seconds : float
        Wall time spent inside HiGHS, all stages.
    greedy_objective : float
        Primary objective of the warm start (greedy, then local search for LSCP and MCLP).
    assignment : ndarray of int
        Per demand, the open column (new or fixed) that serves it, or -1. With several in reach, the
        cheapest (when costs were given) or the lowest index; in capacitated models, the largest share.
    covered : ndarray of bool
        Per demand, served by an open site within reach.
    uncoverable : ndarray of bool
        Per demand, no column (new or fixed) is within reach: no model can serve it.
    sizes : ndarray of float or None
        Sized models: required size of each site in ``selected`` (same order).
    load : ndarray of float or None
        Capacitated and sized models: demand size assigned to each column (length = number of columns).
    allocation : scipy.sparse.csr_array or None
        Capacitated and sized models: share of each demand served by each column (rows sum to 1 for
        covered demand).
    stages : tuple of Stage
        Solver report per stage.
    reduction : Reduction or None
        Model size before and after reductions (of the first stage).
    message : str
        Anything the caller should know in words (why infeasible, what was dropped).
    """

    model: str
    status: str
    selected: np.ndarray
    fixed: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    solver_seconds: float
    greedy_objective: float
    assignment: np.ndarray
    covered: np.ndarray
    uncoverable: np.ndarray
    sizes: np.ndarray | None = None
    load: np.ndarray | None = None
    allocation: sp.csr_array | None = None
    stages: tuple[Stage, ...] = field(default_factory=tuple)
    reduction: Reduction | None = None
    message: str = ""

    @property
    def n_selected(self) -> int:
        """Number of new sites opened."""
        return int(self.selected.size)

    def served_by(self, column: int) -> np.ndarray:
        """Demand rows served (wholly or in part) by one column, ascending.

        Parameters
        ----------
        column : int
            A candidate or fixed column index.

        Returns
        -------
        ndarray of int
        """
        if self.allocation is not None:
            col = self.allocation.tocsc()[:, [column]]
            return np.sort(col.nonzero()[0]).astype(np.int64)
        return np.flatnonzero(self.assignment == column)

    def size_of(self) -> dict[int, float]:
        """Map of selected column → required size (sized models; empty otherwise)."""
        if self.sizes is None:
            return {}
        return {int(j): float(s) for j, s in zip(self.selected, self.sizes, strict=True)}


def relative_gap(objective: float, bound: float) -> float:
    """``|objective - bound| / max(|objective|, 1)``, NaN when either is not finite.

    Parameters
    ----------
    objective, bound : float

    Returns
    -------
    float
    """
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    return float(abs(objective - bound) / max(abs(objective), 1.0))
