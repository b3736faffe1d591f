"""A thin, stateless call into HiGHS (via highspy) for the siting models.

highspy rather than :func:`scipy.optimize.milp` (which runs the same HiGHS): highspy accepts a starting
solution (``setSolution``), which is how the greedy solution warm-starts branch-and-bound, and reports the
dual bound, gap and node count of the run through ``getInfo``. A fresh ``Highs`` object is made per call,
so nothing is shared between solves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from geoplan.siting.result import INFEASIBLE, OPTIMAL, STOPPED, TIME_LIMIT

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
#: Constraint matrices with more non-zeros than this get their root LP solved by interior point.
IPM_ROOT_NNZ = 50_000

_STATUS = {
    highspy.HighsModelStatus.kOptimal: OPTIMAL,
    highspy.HighsModelStatus.kTimeLimit: TIME_LIMIT,
    highspy.HighsModelStatus.kInfeasible: INFEASIBLE,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: INFEASIBLE,
    highspy.HighsModelStatus.kInterrupt: TIME_LIMIT,  # only our deadline callback interrupts
}


def _enforce_deadline(h: highspy.Highs, deadline: float) -> None:
    """Interrupt HiGHS once the wall clock passes ``deadline``.

    HiGHS checks its own ``time_limit`` only between LP solves, so a long interior-point solve inside the
    cut loop can overrun it by many seconds (measured: 12 s on a 60 s limit); the interrupt callbacks are
    polled inside simplex and IPM iterations too.
    """

    def stop(event: Any) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    for hook in (h.cbMipInterrupt, h.cbIpmInterrupt, h.cbSimplexInterrupt):
        hook.subscribe(stop)


@dataclass(frozen=True)
class MilpOutcome:
    """What one HiGHS run produced.

    Attributes
    ----------
    status : str
        :data:`~geoplan.siting.result.OPTIMAL`, ``TIME_LIMIT``, ``INFEASIBLE`` or ``STOPPED``.
    x : ndarray or None
        Best primal solution (integer columns rounded), ``None`` when none was found.
    objective : float
        Objective of ``x`` (NaN without one).
    bound : float
        Dual bound HiGHS proved (``-inf``/``inf`` when it proved none).
    seconds : float
        Wall time of the run.
    nodes : int
        Branch-and-bound nodes.
    message : str
        HiGHS's model status in words.
    row_dual : ndarray or None
        Dual value per row when the model is an LP solved to optimality (``None`` otherwise).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    seconds: float
    nodes: int
    message: str
    row_dual: np.ndarray | None = None


@dataclass(frozen=True)
class Milp:
    """A mixed-integer program ``min/max c·x  s.t.  row_lower <= A x <= row_upper, lower <= x <= upper``.

    Attributes
    ----------
    c : ndarray
        Objective coefficients.
    a : scipy.sparse.csr_array
        Constraint matrix, one row per constraint.
    row_lower, row_upper : ndarray
        Row bounds (use :data:`INF` for none).
    lower, upper : ndarray
        Column bounds.
    integer : ndarray of bool
        Integer columns.
    maximize : bool
        Maximise instead of minimise.
    """

    c: np.ndarray
    a: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    maximize: bool = False

    def relaxation(self) -> Milp:
        """The same program with every column continuous (its LP relaxation)."""
        return replace(self, integer=np.zeros(self.c.size, dtype=bool))


def solve(
    model: Milp,
    *,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
) -> MilpOutcome:
    """Solve ``model`` with HiGHS.

    Parameters
    ----------
    model : Milp
        The program.
    start : ndarray, optional
        A feasible solution to start from (HiGHS checks it and ignores an infeasible one).
    time_limit : float, optional
        Seconds; ``None`` for no limit.
    mip_gap : float
        Relative gap at which HiGHS may stop and call the solution optimal.
    threads : int, optional
        HiGHS threads for this run; 1 when several runs share the machine from a thread pool
        (``Highs.run`` releases the GIL, so runs in threads proceed in parallel).

    Returns
    -------
    MilpOutcome
    """
    entered = time.perf_counter()  # building and passing a large model takes time too; it counts
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.0))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if model.a.nnz > IPM_ROOT_NNZ:
        # Covering LPs are highly degenerate: on large ones the interior-point root solve is several times
        # faster than dual simplex (measured: 8.9k × 4k set cover, root in 5 s vs not within 60 s).
        h.setOptionValue("mip_lp_solver", "ipm")
        if not model.integer.any():  # the same holds for a plain LP (20k-row max-cover LP: 3 s vs 37 s)
            h.setOptionValue("solver", "ipm")
    lp = highspy.HighsLp()
    n_col = int(model.c.size)
    lp.num_col_ = n_col
    lp.num_row_ = int(model.a.shape[0])
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(model.row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(model.row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = model.a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = model.a.indices.astype(np.int32)
    lp.a_matrix_.value_ = model.a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = int(model.a.shape[0])
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(v)] for v in model.integer]
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    if time_limit is not None:
        deadline = entered + max(float(time_limit), 0.0)
        h.setOptionValue("time_limit", max(deadline - t0, 0.0))
        _enforce_deadline(h, deadline)
    h.run()
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    if x is not None:
        x[model.integer] = np.round(x[model.integer])
    objective = float(info.objective_function_value) if has_x else float("nan")
    bound = float(info.mip_dual_bound) if model.integer.any() else objective  # an LP: bound = optimum
    if not np.isfinite(bound) or abs(bound) >= INF:
        bound = float("inf") if model.maximize else float("-inf")
    is_lp = not model.integer.any()
    row_dual = np.asarray(h.getSolution().row_dual, dtype=np.float64) if is_lp and has_x else None
    text = h.modelStatusToString(status)
    log.debug(
        "HiGHS: %s, objective %s, bound %s, %.2f s, %d nodes (%d cols, %d rows)",
        text,
        objective,
        bound,
        seconds,
        info.mip_node_count,
        n_col,
        model.a.shape[0],
    )
    return MilpOutcome(
        status=_STATUS.get(status, STOPPED),
        x=x,
        objective=objective,
        bound=bound,
        seconds=seconds,
        nodes=int(info.mip_node_count),
        message=text,
        row_dual=row_dual,
    )
