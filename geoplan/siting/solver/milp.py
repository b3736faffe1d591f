"""The one call into HiGHS (via highspy) for every siting model, and the checks that make its answer honest.

highspy rather than :func:`scipy.optimize.milp` (which runs the same HiGHS): highspy accepts a starting
solution (``setSolution``), which is how the greedy solution warm-starts branch-and-bound, and reports the
dual bound, gap and node count of the run through ``getInfo``. A fresh ``Highs`` object is made per call,
so nothing is shared between solves.

Nothing HiGHS says is passed on unchecked (:func:`solve`):

* the solution is checked against every row, column bound and integrality (:func:`violation`) and dropped
  if it fails;
* the objective reported is recomputed from that solution (``c · x``), never HiGHS's own figure;
* a bound the returned solution beats by more than the tolerance is no bound and is dropped;
* the status is :data:`~geoplan.siting.solver.result.OPTIMAL` only when the recomputed objective is within
  :func:`tolerance` (or the ``mip_gap`` asked for) of the bound, whatever HiGHS's model status says;
* the warm-start defect of HiGHS 1.16.0 (after ``setSolution``, ``run()`` can report the objective and
  bound of a better solution while returning the start) is detected by the objective HiGHS claims not
  being the objective of what it returned; the model is then solved again without the start and the better
  of the two honest answers kept, with the bound of the clean run only.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver.result import INFEASIBLE, OPTIMAL, STOPPED, TIME_LIMIT

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
# HiGHS writes its banner straight to file descriptor 1 when the process's first Highs object is made.
_BANNER_LOCK = threading.Lock()
_BANNER_SEEN: list[bool] = []
#: Constraint matrices with more non-zeros than this get their root LP solved by interior point.
IPM_ROOT_NNZ = 50_000
#: HiGHS threads per run. Since highspy 1.16 the task scheduler of an OS thread keeps the thread count of
#: the first run on that thread, and a run asking for another count is refused (``run()`` returns an error,
#: model status "Not Set"); every run here asks for the same count. One thread each: the models are run side
#: by side from a thread pool instead (``Highs.run`` releases the GIL), and HiGHS's MIP is mostly serial.
HIGHS_THREADS = 1
#: Feasibility tolerance of the solution check, relative to the size of each row's terms (HiGHS's own
#: primal and MIP feasibility tolerances are 1e-7 and 1e-6).
FEASIBILITY_TOL = 1e-6
#: Relative tolerance within which an objective "equals" a bound (HiGHS's absolute MIP gap is 1e-6; an
#: objective summed over thousands of terms carries rounding of the same order relative to its size).
OPTIMALITY_TOL = 1e-6

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
    """What one :func:`solve` produced, after the checks.

    Attributes
    ----------
    status : str
        :data:`~geoplan.siting.solver.result.OPTIMAL` (objective within :func:`tolerance` or ``mip_gap`` of the
        bound), ``TIME_LIMIT``, ``INFEASIBLE`` or ``STOPPED``.
    x : ndarray or None
        Best primal solution (integer columns rounded), checked feasible; ``None`` when there is none.
    objective : float
        ``c · x``, recomputed (NaN without ``x``).
    bound : float
        Dual bound HiGHS proved, if no solution contradicts it (``-inf``/``inf`` when none).
    seconds : float
        Wall time of the run(s).
    nodes : int
        Branch-and-bound nodes.
    message : str
        HiGHS's model status in words, and what the checks found.
    row_dual : ndarray or None
        Dual value per row when the model is an LP solved to optimality (``None`` otherwise).
    claimed : float
        The objective HiGHS reported for its solution (NaN without one), for the record.
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    seconds: float
    nodes: int
    message: str
    row_dual: np.ndarray | None = None
    claimed: float = float("nan")


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

    def value(self, x: np.ndarray) -> float:
        """Objective ``c · x`` of a solution."""
        return float(np.dot(self.c, x))


def violation(model: Milp, x: np.ndarray) -> float:
    """Largest violation of a row, column bound or integrality by ``x``, each relative to its scale.

    A row's violation is divided by ``1 + Σ_j |a_ij x_j|`` (rows of large coefficients, such as capacities
    in households, carry proportionally larger rounding), a column's by ``1 + |x_j|``.

    Parameters
    ----------
    model : Milp
    x : ndarray

    Returns
    -------
    float
        0 for a feasible solution; ``inf`` for one of the wrong length or with NaN.
    """
    if x.shape != model.c.shape or not np.isfinite(x).all():
        return float("inf")
    act = model.a @ x
    scale = 1.0 + abs(model.a) @ np.abs(x)
    rows = np.maximum(model.row_lower - act, act - model.row_upper) / scale
    cols = np.maximum(model.lower - x, x - model.upper) / (1.0 + np.abs(x))
    frac = np.abs(x[model.integer] - np.round(x[model.integer]))
    parts = [rows, cols, frac, np.zeros(1)]
    return float(max(float(np.max(p)) if p.size else 0.0 for p in parts))


def tolerance(objective: float, mip_gap: float = 0.0) -> float:
    """Largest difference between an objective and a bound that still counts as proven optimal."""
    return max(OPTIMALITY_TOL * max(1.0, abs(objective)), mip_gap * abs(objective))


@dataclass(frozen=True)
class _Raw:
    """One HiGHS run as HiGHS reported it (nothing checked yet)."""

    ran: bool
    status: Any
    x: np.ndarray | None
    claimed: float
    bound: float
    seconds: float
    nodes: int
    message: str
    row_dual: np.ndarray | None


def _quiet_highs() -> highspy.Highs:
    """A ``Highs`` object, without the banner HiGHS prints to the process's stdout on the first one made."""
    with _BANNER_LOCK:
        if _BANNER_SEEN:  # later objects print nothing: leave stdout alone for other threads
            return highspy.Highs()
        _BANNER_SEEN.append(True)
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            return highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)


def _highs(model: Milp, threads: int | None) -> highspy.Highs:
    """A ``Highs`` object holding ``model``, its options set (``threads=None``: leave HiGHS's default)."""
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
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
    return h


def _run(
    model: Milp,
    start: np.ndarray | None,
    deadline: float | None,
    mip_gap: float,
    threads: int | None,
    cutoff: float | None = None,
) -> _Raw:
    """Run HiGHS once on ``model`` and read what it reports."""
    h = _highs(model, threads)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if cutoff is not None:
        h.setOptionValue("objective_bound", float(cutoff))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - t0, 0.0))
        _enforce_deadline(h, deadline)
    ran = h.run() != highspy.HighsStatus.kError
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_x = ran and info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    if x is not None:
        x[model.integer] = np.round(x[model.integer])
    is_lp = not model.integer.any()
    claimed = float(info.objective_function_value) if has_x else float("nan")
    if not ran:
        bound = float("nan")
    elif is_lp:  # an LP solved to optimality: its value is the bound (duality)
        bound = claimed if status == highspy.HighsModelStatus.kOptimal else float("nan")
    else:
        bound = float(info.mip_dual_bound)
    row_dual = np.asarray(h.getSolution().row_dual, dtype=np.float64) if is_lp and has_x else None
    text = h.modelStatusToString(status)
    return _Raw(ran, status, x, claimed, bound, seconds, int(info.mip_node_count), text, row_dual)


def _no_bound(maximize: bool) -> float:
    """The 'nothing proved' bound."""
    return float("inf") if maximize else float("-inf")


def _checked(model: Milp, raw: _Raw, mip_gap: float, *, trust_bound: bool = True) -> MilpOutcome:
    """The honest outcome of a run: feasible ``x``, its own objective, a consistent bound, a proven status."""
    notes = [raw.message if raw.ran else f"HiGHS run failed ({raw.message})"]
    x = raw.x
    if x is not None and violation(model, x) > FEASIBILITY_TOL:
        notes.append(f"solution dropped: violates the model by {violation(model, x):.3g}")
        log.warning("HiGHS returned an infeasible solution (violation %.3g); dropped", violation(model, x))
        x = None
    objective = model.value(x) if x is not None else float("nan")
    bound = raw.bound if trust_bound and np.isfinite(raw.bound) and abs(raw.bound) < INF else _no_bound(model.maximize)
    sign = -1.0 if model.maximize else 1.0
    if x is not None and sign * (bound - objective) > tolerance(objective):
        # A feasible solution beats the "bound": it is no bound.
        notes.append(f"bound {bound:.10g} dropped: the solution's objective {objective:.10g} is beyond it")
        log.warning("HiGHS bound %.10g is contradicted by its solution (%.10g); dropped", bound, objective)
        bound = _no_bound(model.maximize)
    if x is not None and np.isfinite(bound) and abs(objective - bound) <= tolerance(objective, mip_gap):
        status = OPTIMAL
    elif raw.status == highspy.HighsModelStatus.kOptimal or not raw.ran:
        status = STOPPED  # HiGHS said optimal (or failed) but the objective is not proven
        if raw.ran:
            notes.append(f"HiGHS said optimal, but objective {objective:.10g} is not proven (bound {bound:.10g})")
    else:
        status = _STATUS.get(raw.status, STOPPED)
    if status == INFEASIBLE and x is not None:
        status = STOPPED
    return MilpOutcome(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        seconds=raw.seconds,
        nodes=raw.nodes,
        message="; ".join(notes),
        row_dual=raw.row_dual if x is not None else None,
        claimed=raw.claimed,
    )


def claims_another_solution(model: Milp, raw_objective: float, x: np.ndarray | None) -> bool:
    """HiGHS's reported objective is not the objective of the solution it returned (beyond tolerance)."""
    if x is None or not np.isfinite(raw_objective):
        return False
    value = model.value(x)
    return abs(raw_objective - value) > tolerance(value)


def _better(model: Milp, a: MilpOutcome, b: MilpOutcome) -> MilpOutcome:
    """Of two honest outcomes, the one with the better solution (``a`` on ties)."""
    if b.x is None:
        return a
    if a.x is None:
        return b
    sign = -1.0 if model.maximize else 1.0
    return b if sign * (b.objective - a.objective) < 0 else a


def solve(
    model: Milp,
    *,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    cutoff: float | None = None,
) -> MilpOutcome:
    """Solve ``model`` with HiGHS and check the answer (see the module docstring).

    Parameters
    ----------
    model : Milp
        The program.
    start : ndarray, optional
        A feasible solution to start from (HiGHS checks it and ignores an infeasible one).
    time_limit : float, optional
        Seconds, building the model included; ``None`` for no limit.
    mip_gap : float
        Relative gap at which HiGHS may stop and the answer count as optimal.
    cutoff : float, optional
        Minimisation only: look for solutions of objective below this only (HiGHS's ``objective_bound``);
        none existing, the outcome is ``INFEASIBLE``. Tells HiGHS what a start would without ``setSolution``.

    Returns
    -------
    MilpOutcome
    """
    if cutoff is not None and model.maximize:
        msg = "a cutoff is for minimisation models"
        raise ValueError(msg)
    entered = time.perf_counter()  # building and passing a large model takes time too; it counts
    deadline = None if time_limit is None else entered + max(float(time_limit), 0.0)
    raw = _run(model, start, deadline, mip_gap, HIGHS_THREADS, cutoff)
    if not raw.ran and raw.status == highspy.HighsModelStatus.kNotset:
        # Refused before solving, as when this thread's scheduler was set up by another highspy user with
        # another thread count: run again with HiGHS's default, which takes the scheduler as it is.
        log.debug("HiGHS refused the run (%s); retrying with its default thread count", raw.message)
        raw = _run(model, start, deadline, mip_gap, None, cutoff)
    defect = start is not None and claims_another_solution(model, raw.claimed, raw.x)
    out = _checked(model, raw, mip_gap, trust_bound=not defect)
    if defect:
        log.warning(
            "HiGHS reported objective %.10g but returned a solution of %.10g (a warm-start defect); "
            "solving again without the start",
            raw.claimed,
            out.objective,
        )
        clean = _checked(model, _run(model, None, deadline, mip_gap, HIGHS_THREADS, cutoff), mip_gap)
        both = _checked_with_bound(model, _better(model, clean, out), clean, mip_gap)
        out = replace(both, seconds=out.seconds + clean.seconds, nodes=out.nodes + clean.nodes)
    log.debug(
        "HiGHS: %s -> %s, objective %s (claimed %s), bound %s, %.2f s, %d nodes (%d cols, %d rows)",
        raw.message,
        out.status,
        out.objective,
        raw.claimed,
        out.bound,
        out.seconds,
        out.nodes,
        model.c.size,
        model.a.shape[0],
    )
    return out


def _checked_with_bound(model: Milp, best: MilpOutcome, clean: MilpOutcome, mip_gap: float) -> MilpOutcome:
    """``best``'s solution with the bound of the clean run, the status recomputed from the two."""
    objective, bound = best.objective, clean.bound
    sign = -1.0 if model.maximize else 1.0
    if best.x is not None and sign * (bound - objective) > tolerance(objective):
        bound = _no_bound(model.maximize)  # contradicted by the other run's solution
    proven = best.x is not None and np.isfinite(bound) and abs(objective - bound) <= tolerance(objective, mip_gap)
    status = OPTIMAL if proven else (clean.status if clean.status != OPTIMAL else STOPPED)
    return replace(
        best,
        status=status,
        bound=bound,
        message=f"{best.message}; warm-start defect detected, solved again without the start ({clean.message})",
    )
