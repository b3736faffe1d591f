"""Region decomposition for large max covers (MCLP): an upper bound and a better incumbent, both from HiGHS.

The same two ideas as :mod:`geoplan.siting.decompose`, adapted to a budget of ``p`` sites:

* :func:`max_split_bound` — relax the budget with a price ``μ`` per site (Lagrangian relaxation) and split
  each column's price over the regions whose rows it covers, by the LP duals ``v`` of the coverage rows:
  region ``g`` pays ``Σ_{i∈g} a_ij v_i + (μ - Σ_i a_ij v_i) · (share of j's rows in g)``. For any cover
  with at most ``p`` sites, covered weight ``<= μ p + Σ_g (weight covered in g - price paid in g)``, and
  each region's term is bounded by its own optimum, which HiGHS solves exactly (or bounds, when stopped).
  Any ``μ >= 0`` and any split give a valid bound; the LP duals make it at least as tight as the LP.
* :func:`max_window_search` — free the columns around one region, keep their number, keep every other
  chosen column, and let HiGHS place the freed sites for the most newly covered weight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

import numpy as np
import scipy.sparse as sp

from geoplan.siting import milp
from geoplan.siting.decompose import (
    MAX_COVER_WINDOW_SECONDS,
    WindowJob,
    fair_seconds,
    parallel_map,
    region_costs,
    regions_largest_first,
    rest_per_row,
    search_windows,
    seconds_left,
)
from geoplan.siting.result import OPTIMAL

log = logging.getLogger(__name__)


def max_cover_model(a: sp.csr_array, w: np.ndarray, p: float | None, price: np.ndarray | None = None) -> milp.Milp:
    """``max Σ w_i z_i - Σ price_j y_j  s.t.  z_i <= Σ_j a_ij y_j,  Σ y_j <= p,  y binary, 0 <= z <= 1``.

    The budget row is left out when ``p`` is ``None`` (the priced, relaxed model); columns are ``y`` then ``z``.
    """
    r, k = a.shape
    ones = sp.csr_array((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    blocks = [sp.hstack([-ones, sp.eye_array(r)])]
    upper = [np.zeros(r)]
    if p is not None:
        blocks.append(sp.hstack([np.ones((1, k)), sp.csr_array((1, r))]))
        upper.append(np.array([float(p)]))
    n_rows = r + (p is not None)
    return milp.Milp(
        c=np.concatenate([-(price if price is not None else np.zeros(k)), np.asarray(w, dtype=np.float64)]),
        a=sp.csr_array(sp.vstack(blocks)),
        row_lower=np.full(n_rows, -milp.INF),
        row_upper=np.concatenate(upper),
        lower=np.zeros(k + r),
        upper=np.ones(k + r),
        integer=np.concatenate([np.ones(k, dtype=bool), np.zeros(r, dtype=bool)]),
        maximize=True,
    )


def _lp(a: sp.csr_array, w: np.ndarray, p: int, time_limit: float | None) -> tuple[float, np.ndarray, float] | None:
    """LP value, coverage-row duals ``v`` and site price ``μ`` of the max-cover relaxation (``None``: no time)."""
    out = milp.solve(max_cover_model(a, w, p).relaxation(), time_limit=time_limit)
    if out.status != OPTIMAL or out.row_dual is None:
        return None
    # Every row is a '<=' row of a maximisation, so each true dual is >= 0 (HiGHS reports them with its own
    # sign convention); the bound below is valid for any v and any μ >= 0, the duals only make it tight.
    duals = np.abs(out.row_dual)
    return out.objective, duals[: a.shape[0]], float(duals[a.shape[0]])


def max_split_bound(
    a: sp.csr_array,
    w: np.ndarray,
    p: int,
    labels: np.ndarray,
    *,
    deadline: float | None = None,
    threads: int = 1,
    regions: bool = True,
) -> float | None:
    """Upper bound on the covered weight of ``p`` columns of ``a``, by region (see the module docstring).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage with no empty row.
    w : ndarray
        Non-negative weight per row.
    p : int
        Sites to open.
    labels : ndarray of int
        Region of each row (:func:`geoplan.siting.regions.row_regions`).
    deadline : float, optional
        ``time.perf_counter()`` value by which to stop; regions left unsolved count with their LP share.
    threads : int
        Regions solved side by side.
    regions : bool
        Solve the regions; ``False`` returns the LP bound alone.

    Returns
    -------
    float or None
        The bound, or ``None`` when the LP relaxation did not finish in time.
    """
    lp = _lp(a, w, p, seconds_left(deadline))
    if lp is None:
        return None
    lp_value, v, mu = lp
    if not regions:
        return lp_value
    groups = regions_largest_first(labels)
    rest = rest_per_row(a, v, mu)

    def region(job: tuple[int, np.ndarray]) -> float:
        index, rows = job
        sub, price = region_costs(a, rows, v, rest)
        # The region's LP optimum is at most this (v stays dual feasible there): its share of the LP bound.
        share = float(np.maximum(w[rows] - v[rows], 0.0).sum() + np.maximum(sub.T @ v[rows] - price, 0.0).sum())
        limit = fair_seconds(deadline, threads, len(groups) - index)
        if limit is not None and limit <= 0:
            return share
        out = milp.solve(max_cover_model(sub, w[rows], None, price), time_limit=limit)
        return min(share, out.bound) if np.isfinite(out.bound) else share

    bound = mu * p + float(sum(parallel_map(region, list(enumerate(groups)), threads)))
    log.info("max-cover split bound %.6g (LP %.6g) from %d regions", bound, lp_value, len(groups))
    return bound


def _solve_max_window(a: sp.csr_array, w: np.ndarray, job: WindowJob) -> np.ndarray | None:
    """Best placement of as many sites as the window holds now; ``None`` if it covers no more weight."""
    sel, covered, free, touched, deadline = job
    need = touched[~covered[touched]]
    sub = sp.csr_array(a[need][:, free])
    current = sel[free].astype(np.float64)
    now = float(w[need][(sub @ current) > 0].sum())
    left = seconds_left(deadline)
    limit = MAX_COVER_WINDOW_SECONDS if left is None else min(MAX_COVER_WINDOW_SECONDS, left)
    start = np.concatenate([current, np.minimum(sub @ current, 1.0)])
    out = milp.solve(max_cover_model(sub, w[need], float(current.sum())), start=start, time_limit=limit)
    if out.x is None:
        return None
    y = out.x[: free.size] > 0.5
    if float(w[need][(sub @ y.astype(np.float64)) > 0].sum()) <= now * (1 + 1e-12):
        return None
    return y


def max_window_search(
    a: sp.csr_array,
    w: np.ndarray,
    chosen: np.ndarray,
    partitions: Sequence[np.ndarray],
    *,
    deadline: float | None = None,
    threads: int = 1,
    max_sweeps: int = 12,
) -> np.ndarray:
    """Improve a max cover (row weights ``w``) window by window, each window keeping its number of sites.

    The result has no more sites than ``chosen`` and covers at least as much weight, ascending. The other
    parameters are those of :func:`geoplan.siting.decompose.search_windows`.
    """
    return search_windows(
        a,
        chosen,
        partitions,
        partial(_solve_max_window, a, w),
        lambda sel: float(w[(a @ sel.astype(np.float64)) > 0].sum()),
        deadline=deadline,
        threads=threads,
        max_sweeps=max_sweeps,
    )
