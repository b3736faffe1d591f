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

from geoplan.siting.coverage import cover_pattern, nearest_open
from geoplan.siting.result import SitingSolution, relative_gap

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
    sites = [int(j) for j in chosen]
    before = total_walk(dist, np.asarray([*sites, *fixed], dtype=np.int64))
    for _ in range(max_passes):
        moved = False
        for k in range(len(sites)):
            if time.perf_counter() - t0 > time_budget_s:
                log.info("recentre: time budget of %.0f s used up", time_budget_s)
                return _done(sites, before, dist, fixed)
            better = _best_swap(dist, sites, k, fixed, allowed)
            if better is not None:
                sites[k] = better
                moved = True
        if not moved:
            break
    return _done(sites, before, dist, fixed)


def _done(sites: list[int], before: tuple[float, int], dist: sp.csr_array,
          fixed: NDArray[np.int64]) -> NDArray[np.int64]:
    after = total_walk(dist, np.asarray([*sites, *fixed], dtype=np.int64))
    log.info("recentre: total walk %.0f m → %.0f m (%d → %d communities served)", before[0], after[0], before[1],
             after[1])
    return np.sort(np.asarray(sites, dtype=np.int64))


def _best_swap(dist: sp.csr_array, sites: list[int], k: int, fixed: NDArray[np.int64],
               allowed: NDArray[np.bool_]) -> int | None:
    """The unused column that best replaces ``sites[k]`` (None when none shortens the walk)."""
    j = sites[k]
    others = np.asarray([*sites[:k], *sites[k + 1:], *fixed], dtype=np.int64)
    other = _nearest(dist, others)
    mine = _nearest(dist, np.asarray([j], dtype=np.int64))
    needed = np.isfinite(mine) & ~np.isfinite(other)  # only j reaches these: the replacement must too
    finite = np.isfinite(other)
    # Walk saved (negative = longer) by a column: its gain where others already serve, minus the walk of the
    # communities only it would then serve. Scored per stored entry, summed per row.
    col = dist.indices
    gain = np.where(finite[col], np.maximum(other[col] - dist.data, 0.0), 0.0)
    cost = np.where(needed[col], dist.data, 0.0)
    score = dist.copy()
    score.data = gain - cost
    reach_needed = dist.copy()
    reach_needed.data = needed[col].astype(np.float64)
    n_needed = int(needed.sum())
    total = np.asarray(score.sum(axis=1)).ravel()
    feasible = (np.asarray(reach_needed.sum(axis=1)).ravel() >= n_needed) & allowed
    feasible[np.asarray(sites, dtype=np.int64)] = False
    if not feasible.any():
        return None
    current = float(total[j])  # j scored like any column: what it saves now
    cand = np.flatnonzero(feasible)
    best = int(cand[np.argmax(total[cand])])
    return best if total[best] > current + 1e-6 else None


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
    return dataclasses.replace(sol, **changes), text  # type: ignore[arg-type]
