"""The two covering models: LSCP (fewest new sites covering everything) and MCLP (most weight with p sites).

Both take a demand × candidate matrix (costs with ``limit``, or 0/1 coverage), treat ``fixed`` columns as
existing facilities that are open already, reduce the model (see :mod:`geoplan.siting.solver.reduce`),
warm-start HiGHS from a greedy solution and return a :class:`~geoplan.siting.solver.result.SitingSolution`.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from geoplan import settings
from geoplan._errors import Hint, InputError
from geoplan.siting.solver import milp
from geoplan.siting.solver.decompose_lscp import (
    REGION_ROWS,
    SEARCH_REGION_ROWS,
    cover_model,
    split_bound,
    window_search,
)
from geoplan.siting.solver.decompose_mclp import max_cover_lp_bound, max_cover_model, max_window_search
from geoplan.siting.solver.greedy import disjoint_rows_bound, greedy_max_cover, greedy_set_cover
from geoplan.siting.solver.local import improve_cover, improve_max_cover
from geoplan.siting.solver.matrix import MatrixLike, cover_pattern, fixed_columns, nearest_open, vector
from geoplan.siting.solver.milp import tolerance
from geoplan.siting.solver.reduce import reduce_max_cover, reduce_set_cover
from geoplan.siting.solver.regions import row_partitions
from geoplan.siting.solver.result import OPTIMAL, STOPPED, Reduction, SitingSolution, Stage, relative_gap
from geoplan.siting.solver.verify import check_cover

log = logging.getLogger(__name__)

#: Reduced set covers with more rows than this are searched and bounded region by region before the
#: whole-model MILP (:mod:`geoplan.siting.solver.decompose_lscp`); smaller ones HiGHS solves whole in seconds.
DECOMPOSE_ROWS = 1500
#: Share of the time left after the region bound that the window search may use; the whole-model MILP gets
#: the rest. At city scale that MILP does not leave its root in the time (20k × 5k: 10 s, 0 nodes, no gain).
SEARCH_SHARE = 0.9
#: Solve the regions for the LSCP bound (:func:`.decompose_lscp.split_bound`); ``False`` keeps only
#: the LP bound, the simpler path the benchmark compares against (``benchmarks/siting_bench.py``). MCLP uses
#: the LP bound alone (measured: its region bound did not pay, see :mod:`geoplan.siting.solver.decompose_mclp`).
REGION_BOUND = True


def _remaining(t0: float, time_limit: float | None) -> float | None:
    """Seconds left of ``time_limit`` since ``t0`` (``None`` = unlimited)."""
    return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)


def _whole(bound: float) -> int:
    """The least whole number of sites a proven fractional bound allows, with room for solver tolerances."""
    return math.ceil(bound - 1e-6 * max(1.0, abs(bound)))


def _until(t0: float, time_limit: float | None, share: float) -> float | None:
    """The clock time by which ``share`` of the time still left will have passed (``None`` = no limit)."""
    left = _remaining(t0, time_limit)
    return None if left is None else time.perf_counter() + share * left


def _split(
    coverage: MatrixLike, limit: float | None, fixed: MatrixLike | None
) -> tuple[sp.csr_array, sp.csr_array | None, np.ndarray, np.ndarray, np.ndarray]:
    """Coverage, costs, fixed columns, per-row 'no column in reach', per-row 'covered by a fixed column'."""
    cover, costs = cover_pattern(coverage, limit)
    fixed_idx = fixed_columns(fixed, cover.shape[1])
    uncoverable = np.diff(cover.indptr) == 0
    fixed_mask = np.zeros(cover.shape[1], dtype=np.float64)
    fixed_mask[fixed_idx] = 1.0
    by_fixed = (cover @ fixed_mask) > 0
    return cover, costs, fixed_idx, uncoverable, by_fixed


def lscp(
    coverage: MatrixLike,
    *,
    limit: float | None = None,
    fixed: MatrixLike | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """Location set covering: the fewest new sites so that every coverable demand is within reach of one.

    Parameters
    ----------
    coverage : array_like or scipy.sparse matrix, shape (n_demand, n_candidates)
        With ``limit``: costs (unstored / ``inf`` = out of reach), a demand is covered by a column whose
        cost is ``<= limit``. Without: 0/1 coverage (a stored non-zero covers).
    limit : float, optional
        Reach in the units of the costs (metres, minutes).
    fixed : sequence of int or boolean mask, optional
        Columns that are existing facilities: open already, not counted in the objective.
    time_limit : float, optional
        Seconds for the whole call; on expiry the best cover found is returned with its proven gap.
    mip_gap : float
        Relative gap at which the solver may stop (0 = prove optimality).

    Returns
    -------
    SitingSolution
        ``objective`` = number of new sites. Demands no column reaches are flagged ``uncoverable`` and
        left out of the model (they do not make it infeasible).

    Raises
    ------
    InputError
        Malformed matrix, limit or fixed columns.
    """
    t0 = time.perf_counter()
    cover, costs, fixed_idx, uncoverable, by_fixed = _split(coverage, limit, fixed)
    n_rows, n_cols = cover.shape
    free = np.setdiff1d(np.arange(n_cols), fixed_idx)
    todo = np.flatnonzero(~uncoverable & ~by_fixed)
    a = sp.csr_array(sp.csr_array(cover[todo])[:, free])
    a.sort_indices()
    red = reduce_set_cover(a)
    greedy = improve_cover(red.a, greedy_set_cover(red.a))
    greedy_obj = float(red.forced.size + greedy.size)
    reduction = Reduction(n_rows, n_cols, red.a.shape[0], red.a.shape[1], int(red.forced.size))
    log.info(
        "lscp: %d demands (%d uncoverable, %d covered by %d fixed) × %d candidates -> reduced %d × %d, "
        "%d forced, greedy %d",
        n_rows,
        int(uncoverable.sum()),
        int((by_fixed & ~uncoverable).sum()),
        fixed_idx.size,
        free.size,
        red.a.shape[0],
        red.a.shape[1],
        red.forced.size,
        int(greedy_obj),
    )
    chosen, stage = greedy, Stage("sites", OPTIMAL, greedy_obj, greedy_obj, 0.0, 0.0, 0, greedy_obj)
    split = 0.0  # a lower bound on the reduced part from the region decomposition (0 = none)
    if red.a.shape[0] > DECOMPOSE_ROWS:
        greedy, split = _decompose(red.a, greedy, t0, time_limit)
    if red.a.shape[0] > 0 and greedy.size > _whole(split):
        k = red.a.shape[1]
        model = cover_model(red.a, np.ones(k))
        if split > 0:  # Σ x >= the proven bound: a valid cut that hands HiGHS the region bound
            model = _with_row(model, np.ones(k), float(_whole(split)), milp.INF)
        start = np.zeros(k)
        start[greedy] = 1.0
        chosen = greedy
        out = milp.solve(model, start=start, time_limit=_remaining(t0, time_limit), mip_gap=mip_gap)
        if out.x is not None and out.x.sum() <= greedy.size:
            chosen = np.flatnonzero(out.x > 0.5)
        objective = float(red.forced.size + chosen.size)
        proved = _whole(max(out.bound, split)) if np.isfinite(out.bound) else _whole(split)
        if out.status != OPTIMAL:
            proved = max(proved, disjoint_rows_bound(red.a))
        bound = min(float(red.forced.size + proved), objective)
        status = OPTIMAL if bound >= objective else (out.status if out.status != OPTIMAL else STOPPED)
        stage = Stage(
            "sites",
            status,
            objective,
            bound,
            relative_gap(objective, bound),
            out.seconds,
            out.nodes,
            greedy_obj,
        )
    elif red.a.shape[0] > 0:  # the decomposition bound already proves the start optimal
        chosen = greedy
        objective = float(red.forced.size + greedy.size)
        stage = Stage("sites", OPTIMAL, objective, objective, 0.0, 0.0, 0, greedy_obj)
    selected = np.sort(free[np.concatenate([red.forced, red.cols[chosen]])]).astype(np.int64)
    is_open = np.zeros(n_cols, dtype=bool)
    is_open[fixed_idx] = True
    is_open[selected] = True
    assignment = nearest_open(cover, costs, is_open)
    sol = SitingSolution(
        model="lscp",
        status=stage.status,
        selected=selected,
        fixed=fixed_idx,
        objective=stage.objective,
        bound=stage.bound,
        gap=stage.gap,
        seconds=time.perf_counter() - t0,
        solver_seconds=stage.seconds,
        greedy_objective=greedy_obj,
        assignment=assignment,
        covered=assignment >= 0,
        uncoverable=uncoverable,
        stages=(stage,),
        reduction=reduction,
        message=f"{int(uncoverable.sum())} demand(s) out of reach of every column" if uncoverable.any() else "",
    )
    check_cover(sol, cover, mip_gap=mip_gap)
    return sol


def _decompose(a: sp.csr_array, start: np.ndarray, t0: float, time_limit: float | None) -> tuple[np.ndarray, float]:
    """The split bound, then the window search, on a large reduced set cover (:mod:`.decompose_lscp`).

    Under a time limit the bound gets 40 % of what is left and the search until :data:`SEARCH_SHARE`, leaving the
    whole-model MILP (which starts from the searched cover, with the bound as a cut) the rest; without
    one, each runs to its own end.
    """
    labels, *parts = row_partitions(a, (REGION_ROWS, *SEARCH_REGION_ROWS))
    threads = settings.solver_threads
    found = split_bound(a, labels, deadline=_until(t0, time_limit, 0.4), threads=threads, regions=REGION_BOUND)
    bound = found.bound if found is not None else 0.0
    better = start
    if start.size > _whole(bound):
        better = window_search(a, start, parts, deadline=_until(t0, time_limit, SEARCH_SHARE), threads=threads)
    n_regions = int(labels.max()) + 1
    log.info("lscp decomposition: %d regions, cover %d -> %d, bound %.2f", n_regions, start.size, better.size, bound)
    return better, bound


def _with_row(model: milp.Milp, coefficients: np.ndarray, lower: float, upper: float) -> milp.Milp:
    """``model`` plus the row ``lower <= coefficients · x <= upper`` (a valid cut from a proven bound)."""
    return milp.Milp(
        c=model.c,
        a=sp.csr_array(sp.vstack([model.a, sp.csr_array(coefficients[None, :])])),
        row_lower=np.append(model.row_lower, lower),
        row_upper=np.append(model.row_upper, upper),
        lower=model.lower,
        upper=model.upper,
        integer=model.integer,
        maximize=model.maximize,
    )


def _decompose_max(
    a: sp.csr_array, w: np.ndarray, p: int, start: np.ndarray, t0: float, time_limit: float | None
) -> tuple[np.ndarray, float]:
    """The max-cover LP bound, then the window search (shares of the time as in :func:`_decompose`)."""
    parts = row_partitions(a, SEARCH_REGION_ROWS)
    threads = settings.solver_threads
    left = _remaining(t0, time_limit)
    bound = max_cover_lp_bound(a, w, p, None if left is None else 0.4 * left)
    better = max_window_search(a, w, start, parts, deadline=_until(t0, time_limit, SEARCH_SHARE), threads=threads)
    better = improve_max_cover(a, w, better)  # windows keep their site count; swaps move sites between them
    return better, math.inf if bound is None else bound


def mclp(
    coverage: MatrixLike,
    weights: MatrixLike,
    p: int,
    *,
    limit: float | None = None,
    fixed: MatrixLike | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """Maximal covering: open at most ``p`` new sites to cover the largest total demand weight.

    Parameters
    ----------
    coverage : array_like or scipy.sparse matrix, shape (n_demand, n_candidates)
        Costs (with ``limit``) or 0/1 coverage, as in :func:`lscp`.
    weights : array_like, shape (n_demand,)
        Non-negative weight per demand (households, residents, infants).
    p : int
        Number of new sites. Fewer are opened only when more would add no covered weight.
    limit : float, optional
        Reach in the units of the costs.
    fixed : sequence of int or boolean mask, optional
        Existing facility columns: open, not counted in ``p``; what they cover counts in the objective.
    time_limit : float, optional
        Seconds for the whole call.
    mip_gap : float
        Relative gap at which the solver may stop.

    Returns
    -------
    SitingSolution
        ``objective`` = total covered weight, including weight covered by fixed columns.

    Raises
    ------
    InputError
        Malformed matrix, weights, ``p`` or fixed columns.
    """
    t0 = time.perf_counter()
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0:
        msg = f"p must be a non-negative integer number of new sites; got {p!r}"
        raise InputError(msg, hint=Hint(zh="--p 给出 0 或正整数", en="give --p as a whole number ≥ 0"))
    cover, costs, fixed_idx, uncoverable, by_fixed = _split(coverage, limit, fixed)
    n_rows, n_cols = cover.shape
    w = vector(weights, n_rows, "weights")
    base = float(w[by_fixed].sum())
    free = np.setdiff1d(np.arange(n_cols), fixed_idx)
    todo = np.flatnonzero(~uncoverable & ~by_fixed)
    a = sp.csr_array(sp.csr_array(cover[todo])[:, free])
    a.sort_indices()
    red = reduce_max_cover(a, w[todo])
    rw = red.weights if red.weights is not None else np.zeros(0)
    reduction = Reduction(n_rows, n_cols, red.a.shape[0], red.a.shape[1])
    greedy = improve_max_cover(red.a, rw, greedy_max_cover(red.a, rw, int(p)))
    greedy_obj = base + float(rw[(red.a @ _mask(greedy, red.a.shape[1])) > 0].sum())
    log.info(
        "mclp: %d demands × %d candidates, p=%d -> reduced %d × %d, greedy %.6g",
        n_rows,
        free.size,
        p,
        red.a.shape[0],
        red.a.shape[1],
        greedy_obj,
    )
    chosen, stage = greedy, Stage("covered_weight", OPTIMAL, greedy_obj, greedy_obj, 0.0, 0.0, 0, greedy_obj)
    if red.a.shape[1] > p and p > 0:
        chosen, stage = _solve_mclp(red.a, rw, int(p), greedy, base, greedy_obj, t0, time_limit, mip_gap)
    elif red.a.shape[1] > 0 and p > 0:
        chosen = np.arange(red.a.shape[1])  # every useful column fits within p
        obj = base + float(rw.sum())
        stage = Stage("covered_weight", OPTIMAL, obj, obj, 0.0, 0.0, 0, greedy_obj)
    selected = np.sort(free[red.cols[chosen]]).astype(np.int64)
    is_open = np.zeros(n_cols, dtype=bool)
    is_open[fixed_idx] = True
    is_open[selected] = True
    assignment = nearest_open(cover, costs, is_open)
    objective = float(w[assignment >= 0].sum())
    bound = max(stage.bound, objective)
    sol = SitingSolution(
        model="mclp",
        status=stage.status,
        selected=selected,
        fixed=fixed_idx,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        seconds=time.perf_counter() - t0,
        solver_seconds=stage.seconds,
        greedy_objective=greedy_obj,
        assignment=assignment,
        covered=assignment >= 0,
        uncoverable=uncoverable,
        stages=(stage,),
        reduction=reduction,
    )
    check_cover(sol, cover, weights=w, p=int(p), mip_gap=mip_gap)
    return sol


def _mask(idx: np.ndarray, n: int) -> np.ndarray:
    """0/1 float vector of length ``n`` with ones at ``idx``."""
    out = np.zeros(n)
    out[idx] = 1.0
    return out


def _solve_mclp(
    a: sp.csr_array,
    w: np.ndarray,
    p: int,
    greedy: np.ndarray,
    base: float,
    greedy_obj: float,
    t0: float,
    time_limit: float | None,
    mip_gap: float,
) -> tuple[np.ndarray, Stage]:
    """MILP ``max Σ w_i z_i  s.t.  z_i <= Σ_j a_ij y_j,  Σ y_j <= p,  y binary, 0 <= z <= 1``.

    A large model is first bounded by its LP and searched region by region (:mod:`.decompose_mclp`);
    the whole-model MILP then starts from the searched sites.
    """
    r, k = a.shape
    split = math.inf
    if r > DECOMPOSE_ROWS:
        greedy, split = _decompose_max(a, w, p, greedy, t0, time_limit)
    model = max_cover_model(a, w, p)
    if np.isfinite(split):  # Σ w z <= the proven bound: a valid cut that hands HiGHS the region bound
        model = _with_row(model, np.concatenate([np.zeros(k), w]), -milp.INF, split * (1 + 1e-9) + 1e-6)
    y0 = _mask(greedy, k)
    start_obj = base + float(w[(a @ y0) > 0].sum())
    start = np.concatenate([y0, np.minimum(a @ y0, 1.0)])
    out = milp.solve(model, start=start, time_limit=_remaining(t0, time_limit), mip_gap=mip_gap)
    chosen = greedy
    if out.x is not None:
        y = out.x[:k] > 0.5
        if float(w[(a @ y.astype(np.float64)) > 0].sum()) + base >= start_obj:
            chosen = np.flatnonzero(y)
    objective = base + float(w[(a @ _mask(chosen, k)) > 0].sum())
    # Whatever HiGHS proved, and the trivial bound: the p heaviest columns' total weight.
    top_p = float(np.sort(sp.csr_array(a.T) @ w)[-p:].sum())
    bound = base + min(out.bound, split, top_p, float(w.sum()))
    status = OPTIMAL if bound <= objective + 1e-9 * max(1.0, abs(objective)) else out.status
    if status == OPTIMAL and bound - objective > tolerance(objective, mip_gap):
        status = STOPPED  # HiGHS's word alone proves nothing
    stage = Stage(
        "covered_weight",
        status,
        objective,
        bound,
        relative_gap(objective, bound),
        out.seconds,
        out.nodes,
        greedy_obj,
    )
    return chosen, stage
