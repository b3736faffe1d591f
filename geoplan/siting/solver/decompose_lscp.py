"""Region decomposition for large set covers: a stronger lower bound and a better incumbent, both from HiGHS.

On a city-scale LSCP (thousands of rows after reductions, one connected piece) HiGHS spends a minute on the
root LP and cuts of the whole model, and its bound barely leaves the LP value. Solving many small regions
exactly instead (:mod:`geoplan.siting.solver.regions`) gives both sides of the gap:

* :func:`split_bound` — a Lagrangian-decomposition bound. With LP duals ``u`` and reduced costs ``rc``, each
  column's unit cost is split over the regions whose rows it covers: region ``g`` gets
  ``Σ_{i∈g} a_ij u_i + rc_j · (share of j's rows in g)``. The shares add up to the column's cost, so for
  the optimal cover ``x*`` the regions' costs add up to ``|x*|``, and the sum of the regions' own optima is
  a lower bound on the cover size. Each region's optimum is at least its share ``Σ_{i∈g} u_i`` of the LP
  bound (``u`` stays dual feasible there), so the bound is never weaker than the LP; it is stronger by
  every region's own integrality gap. A region stopped by its time limit counts with HiGHS's proven bound.
* :func:`window_search` — large-neighbourhood search: free the columns around one region, keep every other
  chosen column open, and let HiGHS find the fewest columns that cover what the freed ones covered. Windows
  whose freed columns reach no common row are independent and solved side by side in threads.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver import milp
from geoplan.siting.solver.result import OPTIMAL

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

#: Rows per region: small enough that HiGHS proves most regions optimal in about a second, large enough
#: that a region holds most of its own integrality gap (measured on the 20k × 5k benchmark, 865 m reach:
#: 150 rows → bound 428, 300 → 432, 600 → regions stop at their time limit and the bound falls to 431).
REGION_ROWS = 300
#: Region sizes (rows) of the partitions the window search cycles through: small windows are solved in a
#: few milliseconds each, large ones move sites across what were window borders (measured on the 20k × 5k
#: max cover: these four reach in 25 s what 300-row windows with a one-hop margin reach in 105 s).
SEARCH_REGION_ROWS = (150, 300, 600, 1000)
#: Seconds one window of the search may take: set-cover windows are harder for HiGHS than max-cover ones
#: (20k × 5k, 865 m: 3 s windows reach 451 sites in the 60 s run where 1 s windows stop at 455).
COVER_WINDOW_SECONDS = 3.0
MAX_COVER_WINDOW_SECONDS = 1.0


def cover_model(a: sp.csr_array, cost: np.ndarray) -> milp.Milp:
    """The weighted set cover ``min cost·x  s.t.  A x >= 1, x binary``."""
    n_rows, n_cols = a.shape
    ones = sp.csr_array((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    return milp.Milp(
        c=np.asarray(cost, dtype=np.float64),
        a=ones,
        row_lower=np.ones(n_rows),
        row_upper=np.full(n_rows, milp.INF),
        lower=np.zeros(n_cols),
        upper=np.ones(n_cols),
        integer=np.ones(n_cols, dtype=bool),
    )


def parallel_map(fn: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``[fn(x) for x in items]``, in a thread pool when ``threads > 1`` (HiGHS releases the GIL)."""
    if threads <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(fn, items))


def seconds_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (``None`` = no deadline)."""
    return None if deadline is None else max(deadline - time.perf_counter(), 0.0)


def regions_largest_first(labels: np.ndarray) -> list[np.ndarray]:
    """Row indices of each region, the largest first (solved while the most time is left)."""
    groups = [np.flatnonzero(labels == g) for g in range(int(labels.max()) + 1)]
    return sorted(groups, key=len, reverse=True)


def rest_per_row(a: sp.csr_array, dual: np.ndarray, cost: float) -> np.ndarray:
    """Per column, the cost the row duals leave over (``cost - Σ_i a_ij dual_i``, may be negative) per row it covers."""
    csc = sp.csc_array(a)
    return (cost - csc.T @ dual) / np.maximum(np.diff(csc.indptr), 1)


def region_costs(
    a: sp.csr_array, rows: np.ndarray, dual: np.ndarray, rest: np.ndarray
) -> tuple[sp.csr_array, np.ndarray]:
    """A region's coverage (its rows × the columns covering them) and its part of each column's cost.

    Column ``j`` gets ``Σ_{i∈rows} a_ij dual_i`` plus ``rest_j`` (:func:`rest_per_row`) for each of its rows
    in the region; over all regions the parts add up to exactly the cost.
    """
    sub = sp.csr_array(a[rows])
    in_rows = np.diff(sp.csc_array(sub).indptr)
    cols = np.flatnonzero(in_rows)
    sub = sp.csr_array(sub[:, cols])
    return sub, sub.T @ dual[rows] + rest[cols] * in_rows[cols]


def fair_seconds(deadline: float | None, threads: int, not_started: int) -> float | None:
    """An equal share of the time left among the regions not yet started (``None`` = no deadline)."""
    left = seconds_left(deadline)
    if left is None:
        return None
    return min(left, max(left * threads / max(not_started, threads), 1.0))


def lp_duals(a: sp.csr_array, time_limit: float | None = None) -> tuple[float, np.ndarray] | None:
    """Optimal value and row duals of the unit-cost set-cover LP, or ``None`` if it did not solve in time."""
    out = milp.solve(cover_model(a, np.ones(a.shape[1])).relaxation(), time_limit=time_limit)
    if out.status != OPTIMAL or out.row_dual is None:
        return None
    return out.objective, np.maximum(out.row_dual, 0.0)


@dataclass(frozen=True)
class SplitBound:
    """What :func:`split_bound` proved.

    Attributes
    ----------
    bound : float
        Lower bound on the fewest columns covering every row (not rounded up).
    lp : float
        The LP relaxation's value, for comparison.
    regions : int
        Regions solved.
    optimal : int
        Regions HiGHS solved to optimality (the others count with their proven bound).
    """

    bound: float
    lp: float
    regions: int
    optimal: int


def split_bound(
    a: sp.csr_array,
    labels: np.ndarray,
    *,
    deadline: float | None = None,
    threads: int = 1,
    duals: np.ndarray | None = None,
    regions: bool = True,
) -> SplitBound | None:
    """Lagrangian-decomposition lower bound for the unit-cost set cover ``a`` over row regions ``labels``.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage with no empty row.
    labels : ndarray of int
        Region of each row (:func:`geoplan.siting.solver.regions.row_regions`).
    deadline : float, optional
        ``time.perf_counter()`` value by which to stop; regions left unsolved count with their LP share.
    threads : int
        Regions solved side by side.
    duals : ndarray, optional
        Row prices to split the costs by, instead of the LP duals (any non-negative prices give a valid
        bound; the LP duals a tight one).
    regions : bool
        Solve the regions; ``False`` returns the LP bound alone.

    Returns
    -------
    SplitBound or None
        ``None`` when the LP relaxation itself did not finish in time.
    """
    lp = lp_duals(a, seconds_left(deadline))
    if lp is None:
        return None
    lp_value, u = lp
    if not regions:
        return SplitBound(bound=lp_value, lp=lp_value, regions=0, optimal=0)
    if duals is not None:
        u = np.maximum(np.asarray(duals, dtype=np.float64), 0.0)
    # Not clipped at 0: a column the LP takes whole (x_j = 1) can be charged more than its cost by the row
    # duals (the excess is the dual of x_j <= 1); the parts must add up to exactly the cost for the bound.
    rest = rest_per_row(a, u, 1.0)
    groups = regions_largest_first(labels)

    def region(job: tuple[int, np.ndarray]) -> tuple[float, bool]:
        index, rows = job
        sub, cost = region_costs(a, rows, u, rest)
        # The region's part of the LP bound: u restricted to it is dual feasible up to the columns whose
        # cost part falls short of what u charges them, and each such column is taken at most once.
        share = float(u[rows].sum() - np.maximum(sub.T @ u[rows] - cost, 0.0).sum())
        limit = fair_seconds(deadline, threads, len(groups) - index)
        if limit is not None and limit <= 0:
            return share, False
        out = milp.solve(cover_model(sub, cost), time_limit=limit)
        proved = out.bound if np.isfinite(out.bound) else -math.inf
        return max(share, proved), out.status == OPTIMAL

    results = parallel_map(region, list(enumerate(groups)), threads)
    bound = float(sum(b for b, _ in results))
    optimal = sum(ok for _, ok in results)
    n_groups = len(groups)
    log.info("split bound %.2f (LP %.2f) from %d regions, %d solved to optimality", bound, lp_value, n_groups, optimal)
    return SplitBound(bound=max(bound, lp_value), lp=lp_value, regions=n_groups, optimal=optimal)


def _windows(a: sp.csr_array, labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per region: the columns to free (those covering one of its rows) and every row they cover."""
    at = sp.csr_array(a.T)
    n_regions = int(labels.max()) + 1
    member = sp.csr_array((np.ones(labels.size), (labels, np.arange(labels.size))), shape=(n_regions, labels.size))
    free = sp.csr_array((member @ a) > 0)
    touched = sp.csr_array((free.astype(np.float64) @ at) > 0)
    return [
        (free.indices[free.indptr[g] : free.indptr[g + 1]], touched.indices[touched.indptr[g] : touched.indptr[g + 1]])
        for g in range(n_regions)
    ]


def _independent_batches(windows: list[tuple[np.ndarray, np.ndarray]], n_rows: int) -> list[list[int]]:
    """Group windows so that no two in a batch touch a common row (greedy colouring of the conflict graph)."""
    touched = sp.csr_array(
        (
            np.ones(sum(t.size for _, t in windows)),
            (np.repeat(np.arange(len(windows)), [t.size for _, t in windows]), np.concatenate([t for _, t in windows])),
        ),
        shape=(len(windows), n_rows),
    )
    conflict = sp.csr_array(touched @ touched.T)
    colour = np.full(len(windows), -1)
    for w in range(len(windows)):
        taken = colour[conflict.indices[conflict.indptr[w] : conflict.indptr[w + 1]]]
        colour[w] = next(c for c in range(len(windows)) if c not in set(taken.tolist()))
    return [list(np.flatnonzero(colour == c)) for c in range(int(colour.max()) + 1)]


WindowJob = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, "float | None"]
"""What one window solve gets: chosen mask, rows covered from outside, free columns, their rows, deadline."""


def _solve_cover_window(a: sp.csr_array, seconds: float, job: WindowJob) -> np.ndarray | None:
    """Fewest free columns covering the rows nothing outside covers; ``None`` if no fewer than now."""
    sel, covered, free, touched, deadline = job
    need = touched[~covered[touched]]
    current = sel[free].astype(np.float64)
    left = seconds_left(deadline)
    limit = seconds if left is None else min(seconds, left)
    model = cover_model(sp.csr_array(a[need][:, free]), np.ones(free.size))
    # Only covers with fewer columns are wanted: a cutoff says so without a start (HiGHS 1.16's warm-start
    # defect re-solved 20 windows per 60 s benchmark run; with the cutoff, 30 s of search end 1-2 sites lower).
    out = milp.solve(model, cutoff=current.sum() - 0.5, time_limit=limit)
    if out.x is None or out.objective >= current.sum() - 0.5:
        return None
    return out.x > 0.5


def search_windows(
    a: sp.csr_array,
    chosen: np.ndarray,
    partitions: Sequence[np.ndarray],
    solve_window: Callable[[WindowJob], np.ndarray | None],
    score: Callable[[np.ndarray], float],
    *,
    deadline: float | None = None,
    threads: int = 1,
    max_sweeps: int = 12,
) -> np.ndarray:
    """Sweeps of window solves over the regions of each partition in turn, keeping every improvement.

    A window frees the columns covering one region's rows; windows whose freed columns reach no common row
    are solved side by side. Sweeps cycle through ``partitions`` so that one partition's window borders lie
    inside the next one's windows; they stop after a full cycle without gain, after ``max_sweeps``, or when
    ``deadline`` (a ``time.perf_counter()`` value) passes.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage.
    chosen : ndarray of int
        The starting columns.
    partitions : sequence of ndarray of int
        Region label per row, one array per partition.
    solve_window : callable
        Takes a :data:`WindowJob`, returns the new 0/1 choice of the free columns or ``None`` to keep them.
    score : callable
        Objective of a chosen mask (higher is better), for the log and the stopping rule.
    deadline : float, optional
        No window starts after it.
    threads : int
        Independent windows solved side by side.
    max_sweeps : int
        Sweeps at most.

    Returns
    -------
    ndarray of int
        The improved columns, ascending.
    """
    n_rows, n_cols = a.shape
    sel = np.zeros(n_cols, dtype=bool)
    sel[chosen] = True
    last_gain = 0
    plans: dict[int, tuple[list[tuple[np.ndarray, np.ndarray]], list[list[int]]]] = {}  # per partition, once
    for sweep in range(max_sweeps):
        part = sweep % len(partitions)
        if part not in plans:
            windows = _windows(a, partitions[part])
            plans[part] = (windows, _independent_batches(windows, n_rows))
        windows, batches = plans[part]
        before = score(sel)
        for batch in batches:
            if deadline is not None and time.perf_counter() >= deadline:
                return np.flatnonzero(sel)
            outside = sel.copy()
            for win in batch:
                outside[windows[win][0]] = False
            covered = (a @ outside.astype(np.float64)) > 0
            jobs: list[WindowJob] = [(sel, covered, *windows[win], deadline) for win in batch]
            for win, x in zip(batch, parallel_map(solve_window, jobs, threads), strict=True):
                if x is not None:
                    sel[windows[win][0]] = x
        after = score(sel)
        log.info("window search sweep %d: %.6g -> %.6g", sweep + 1, before, after)
        if after > before:
            last_gain = sweep
        elif sweep - last_gain >= len(partitions):
            break
    return np.flatnonzero(sel)


def window_search(
    a: sp.csr_array,
    chosen: np.ndarray,
    partitions: Sequence[np.ndarray],
    *,
    deadline: float | None = None,
    threads: int = 1,
    max_sweeps: int = 12,
) -> np.ndarray:
    """Improve a set cover window by window with exact HiGHS solves.

    ``chosen`` must cover every row; the result covers every row with no more columns, ascending. The other
    parameters are those of :func:`search_windows`.
    """
    return search_windows(
        a,
        chosen,
        partitions,
        partial(_solve_cover_window, a, COVER_WINDOW_SECONDS),
        lambda sel: -float(sel.sum()),
        deadline=deadline,
        threads=threads,
        max_sweeps=max_sweeps,
    )
