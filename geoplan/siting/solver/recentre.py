"""Move chosen sites towards the middle of what they serve, without losing any coverage.

A covering model only asks that every community be within reach; among the many optimal answers it returns
one whose sites often sit at the edge of their catchments (a site at the corner of a 15-minute circle covers
the far compounds as well as one in the middle does). Planners prefer the middle: shorter walks for most.

:func:`recentre` is a 1-swap local search on the secondary objective "total walk from every served community
to its nearest open site": each chosen site in turn may be replaced by an unused candidate that still reaches
every community only it reached; the swap that shortens the total walk most is made, and passes repeat until
none helps (or the time budget runs out). The number of sites never changes and the set of covered
communities never shrinks, so an LSCP stays optimal and an MCLP's covered weight cannot fall.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geoplan.siting.solver.matrix import cover_pattern, nearest_open
from geoplan.siting.solver.result import SitingSolution, relative_gap
from geoplan.siting.solver.verify import check_cover

log = logging.getLogger(__name__)


def total_walk(dist: sp.csr_array, open_cols: NDArray[np.int64]) -> tuple[float, int]:
    """Sum over covered communities of the walk to the nearest open column, and how many are covered.

    Parameters
    ----------
    dist : scipy.sparse.csr_array, shape (n_columns, n_communities)
        Walking distances within reach (unstored = out of reach; stored zeros are kept).
    open_cols : int array
        Open columns.
    """
    best = _nearest(dist, open_cols)
    ok = np.isfinite(best)
    return float(best[ok].sum()), int(ok.sum())


def _nearest(dist: sp.csr_array, cols: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per community, the distance to the nearest of ``cols`` (inf when none reaches it)."""
    best = np.full(dist.shape[1], np.inf)
    for j in cols:
        lo, hi = dist.indptr[j], dist.indptr[j + 1]
        idx = dist.indices[lo:hi]
        best[idx] = np.minimum(best[idx], dist.data[lo:hi])
    return best


def _two_nearest(dist: sp.csr_array, cols: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.int64],
                                                                        NDArray[np.float64]]:
    """Per community: distance to the nearest of ``cols``, which column that is, and the second nearest."""
    n = dist.shape[1]
    first, second = np.full(n, np.inf), np.full(n, np.inf)
    first_col = np.full(n, -1, dtype=np.int64)
    starts, stops = dist.indptr[cols], dist.indptr[np.asarray(cols) + 1]
    if not len(cols) or not (stops > starts).any():
        return first, first_col, second
    pos = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
    owner = np.repeat(np.asarray(cols), stops - starts)
    com, d = dist.indices[pos], dist.data[pos]
    order = np.lexsort((owner, d, com))
    com, d, owner = com[order], d[order], owner[order]
    head = np.ones(com.size, dtype=bool)
    head[1:] = com[1:] != com[:-1]
    first[com[head]], first_col[com[head]] = d[head], owner[head]
    runner = np.flatnonzero(head) + 1
    runner = runner[runner < com.size]
    runner = runner[~head[runner]]
    second[com[runner]] = d[runner]
    return first, first_col, second


def _row_sums(values: NDArray[np.float64], indptr: NDArray[np.int64]) -> NDArray[np.float64]:
    """Sums of ``values`` over the rows of a CSR structure (0 for empty rows)."""
    cum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return np.asarray(cum[indptr[1:]] - cum[indptr[:-1]])


def recentre(dist: sp.csr_array, chosen: NDArray[np.int64], fixed: NDArray[np.int64],
             allowed: NDArray[np.bool_], *, time_budget_s: float = 10.0, max_passes: int = 10) -> NDArray[np.int64]:
    """Swap chosen sites for unused candidates that keep every coverage and shorten the total walk.

    Parameters
    ----------
    dist : scipy.sparse.csr_array, shape (n_columns, n_communities)
        Walking distances within reach, one row per column (candidate or existing facility).
    chosen : int array
        Columns of the new sites.
    fixed : int array
        Columns of existing facilities (open, never moved).
    allowed : bool array, shape (n_columns,)
        Columns a site may move to (usable candidates; existing facilities excluded).
    time_budget_s : float
        Stop after this many seconds (the sites found so far are returned).
    max_passes : int
        Passes over the chosen sites at most.

    Returns
    -------
    int array
        The new sites' columns, ascending; as many as ``chosen``.
    """
    t0 = time.perf_counter()
    dist = sp.csr_array(dist)
    dist.sort_indices()
    by_com = sp.csc_array(dist)
    sites = [int(j) for j in chosen]
    fixed = np.asarray(fixed, dtype=np.int64)
    before = total_walk(dist, np.asarray([*sites, *fixed], dtype=np.int64))
    near = _two_nearest(dist, np.asarray([*sites, *fixed], dtype=np.int64))
    for _ in range(max_passes):
        moved = False
        for k in range(len(sites)):
            if time.perf_counter() - t0 > time_budget_s:
                log.info("recentre: time budget of %.0f s used up", time_budget_s)
                return _done(sites, before, dist, fixed)
            better = _best_swap(dist, by_com, sites, k, near, allowed)
            if better is not None:
                sites[k] = better
                moved = True
                near = _two_nearest(dist, np.asarray([*sites, *fixed], dtype=np.int64))
        if not moved:
            break
    return _done(sites, before, dist, fixed)


def _done(sites: list[int], before: tuple[float, int], dist: sp.csr_array,
          fixed: NDArray[np.int64]) -> NDArray[np.int64]:
    after = total_walk(dist, np.asarray([*sites, *fixed], dtype=np.int64))
    log.info("recentre: total walk %.0f m → %.0f m (%d → %d communities served)", before[0], after[0], before[1],
             after[1])
    return np.sort(np.asarray(sites, dtype=np.int64))


def _best_swap(dist: sp.csr_array, by_com: sp.csc_array, sites: list[int], k: int,
               near: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]],
               allowed: NDArray[np.bool_]) -> int | None:
    """The unused column that best replaces ``sites[k]`` (None when none shortens the walk)."""
    j = sites[k]
    first, first_col, second = near
    other = np.where(first_col == j, second, first)  # nearest open column other than j
    mine = dist.indices[dist.indptr[j]:dist.indptr[j + 1]]
    needed_idx = mine[~np.isfinite(other[mine])]  # only j reaches these: the replacement must too
    if needed_idx.size:  # a replacement reaches the first of them: look only at those columns
        c0 = needed_idx[0]
        rows = by_com.indices[by_com.indptr[c0]:by_com.indptr[c0 + 1]].astype(np.int64)
    else:
        rows = np.arange(dist.shape[0], dtype=np.int64)
    taken = np.zeros(dist.shape[0], dtype=bool)
    taken[np.asarray(sites, dtype=np.int64)] = True
    rows = rows[allowed[rows] & ~taken[rows]]
    if rows.size == 0:
        return None
    sub = dist[np.concatenate([[j], rows])]
    needed = np.zeros(dist.shape[1], dtype=bool)
    needed[needed_idx] = True
    col, d = sub.indices, sub.data
    finite = np.isfinite(other)
    # Walk saved (negative = longer) by a column: its gain where others already serve, minus the walk of the
    # communities only it would then serve; the row of j itself (first) scores the present.
    total = _row_sums(np.where(finite[col], np.maximum(other[col] - d, 0.0), 0.0) - np.where(needed[col], d, 0.0),
                      sub.indptr)
    reach = _row_sums(needed[col].astype(np.float64), sub.indptr)
    feasible = reach[1:] >= needed_idx.size
    if not feasible.any():
        return None
    cand = np.flatnonzero(feasible)
    best = int(cand[np.argmax(total[1:][cand])])
    return int(rows[best]) if total[1 + best] > total[0] + 1e-6 else None


def recentre_solution(sol: SitingSolution, costs: sp.csr_array, limit: float, walks: sp.csr_array,
                      allowed: NDArray[np.bool_], weights: NDArray[np.float64] | None = None,
                      time_budget_s: float = 10.0) -> tuple[SitingSolution, str]:
    """A covering solution with its new sites recentred (see :func:`recentre`), and what changed in words.

    Parameters
    ----------
    sol : SitingSolution
        An LSCP or MCLP solution over ``costs``.
    costs : scipy.sparse.csr_array, shape (n_demand, n_columns)
        The matrix the model was solved on.
    limit : float
        Its reach.
    walks : scipy.sparse.csr_array, shape (n_columns, n_communities)
        Walks within reach from every column to every community that may be served (demand or not).
    allowed : bool array
        Columns a site may move to.
    weights : float array, optional
        MCLP demand weights: the objective is recomputed (it can only grow).

    Returns
    -------
    SitingSolution, str
        The solution with ``selected``, ``assignment`` and ``covered`` (and the MCLP objective and gap)
        updated; the change of total walk.
    """
    if sol.selected.size == 0:
        return sol, ""
    before = total_walk(walks, np.concatenate([sol.selected, sol.fixed]))
    moved = recentre(walks, sol.selected, sol.fixed, allowed, time_budget_s=time_budget_s)
    after = total_walk(walks, np.concatenate([moved, sol.fixed]))
    cover, cst = cover_pattern(costs, limit)
    is_open = np.zeros(costs.shape[1], dtype=bool)
    is_open[moved] = True
    is_open[sol.fixed] = True
    assignment = nearest_open(cover, cst, is_open)
    changes: dict[str, object] = {"selected": moved, "assignment": assignment, "covered": assignment >= 0}
    if weights is not None:
        objective = float(weights[assignment >= 0].sum())
        changes.update(objective=objective, gap=relative_gap(objective, max(sol.bound, objective)))
    n_moved = int(np.setdiff1d(moved, sol.selected).size)
    text = (f"recentred {n_moved} of {sol.selected.size} sites: total walk of the {after[1]} communities served "
            f"{before[0] / 1000:.1f} km → {after[0] / 1000:.1f} km")
    out = dataclasses.replace(sol, **changes)  # type: ignore[arg-type]
    check_cover(out, cover, weights=weights, p=int(sol.selected.size))  # moved sites still cover what they did
    return out, text
