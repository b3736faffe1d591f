"""Greedy heuristics, vectorised on the sparse coverage: warm starts for HiGHS, cheap answers on their own.

* :func:`greedy_set_cover` — Chvátal's rule (open the column covering most uncovered rows), then drop
  columns made redundant by later ones.
* :func:`greedy_max_cover` — open, p times, the column adding most uncovered weight (a (1 - 1/e)
  approximation).
* :func:`greedy_capacitated` — open the column that can absorb most unassigned demand, fill it nearest
  first; single-sourced, so its result is feasible for the split and the single-source models alike.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def rows_of(at: sp.csr_array, j: int) -> np.ndarray:
    """Row indices stored in column ``j`` (``at`` is the transpose in CSR)."""
    return at.indices[at.indptr[j] : at.indptr[j + 1]]


def greedy_set_cover(a: sp.csr_array) -> np.ndarray:
    """Columns covering every coverable row, chosen greedily; redundant ones removed.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage (rows × columns), sorted indices.

    Returns
    -------
    ndarray of int
        Chosen column positions, ascending. Rows with no entry stay uncovered.
    """
    n_cols = a.shape[1]
    at = sp.csr_array(a.T)
    gain = np.diff(at.indptr).astype(np.int64)
    uncovered = np.diff(a.indptr) > 0
    remaining = int(uncovered.sum())
    chosen: list[int] = []
    while remaining > 0:
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        rows = rows_of(at, j)
        new = rows[uncovered[rows]]
        uncovered[new] = False
        remaining -= new.size
        chosen.append(j)
        gain -= np.bincount(a[new].indices, minlength=n_cols)
    return drop_redundant(a, np.asarray(chosen, dtype=np.int64))


def drop_redundant(a: sp.csr_array, chosen: np.ndarray) -> np.ndarray:
    """Remove chosen columns (latest first) whose rows all stay covered by the others."""
    if chosen.size == 0:
        return chosen
    at = sp.csr_array(a.T)
    mask = np.zeros(a.shape[1], dtype=np.float64)
    mask[chosen] = 1.0
    count = a @ mask
    keep = np.ones(chosen.size, dtype=bool)
    for pos in range(chosen.size - 1, -1, -1):
        rows = rows_of(at, int(chosen[pos]))
        if rows.size == 0 or count[rows].min() >= 2:
            count[rows] -= 1
            keep[pos] = False
    return np.sort(chosen[keep])


def greedy_max_cover(a: sp.csr_array, w: np.ndarray, p: int) -> np.ndarray:
    """Up to ``p`` columns chosen one by one for the largest added covered weight.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage (rows × columns), sorted indices.
    w : ndarray
        Non-negative row weights.
    p : int
        Number of columns to open at most (fewer when nothing more can be gained).

    Returns
    -------
    ndarray of int
        Chosen column positions, ascending.
    """
    n_cols = a.shape[1]
    at = sp.csr_array(a.T)
    gain = at @ w
    uncovered = np.ones(a.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(p):
        j = int(np.argmax(gain)) if n_cols else 0
        if n_cols == 0 or gain[j] <= 1e-12:
            break
        rows = rows_of(at, j)
        new = rows[uncovered[rows]]
        uncovered[new] = False
        chosen.append(j)
        sub = a[new]
        gain -= np.bincount(sub.indices, weights=np.repeat(w[new], np.diff(sub.indptr)), minlength=n_cols)
        gain[j] = 0.0
    return np.sort(np.asarray(chosen, dtype=np.int64))


def greedy_capacitated(
    cost: sp.csr_array, size: np.ndarray, capacity: np.ndarray, is_fixed: np.ndarray
) -> np.ndarray | None:
    """Single-source assignment opening few columns greedily, or ``None`` if the heuristic gets stuck.

    Parameters
    ----------
    cost : scipy.sparse.csr_array
        Arc costs (rows × columns); a stored entry is an allowed assignment. Every row has one.
    size : ndarray
        Demand size per row.
    capacity : ndarray
        Capacity per column in demand units (``inf`` for none).
    is_fixed : ndarray of bool
        Columns already open.

    Returns
    -------
    ndarray of int or None
        Column assigned to each row.
    """
    n_rows, n_cols = cost.shape
    at = sp.csr_array(cost.T)
    residual = capacity.astype(np.float64).copy()
    assigned = np.full(n_rows, -1, dtype=np.int64)
    is_open = is_fixed.copy()

    options = np.diff(cost.indptr)
    pattern = at.copy()
    pattern.data = np.ones_like(pattern.data)

    def fill(j: int) -> None:
        lo, hi = at.indptr[j], at.indptr[j + 1]
        rows, arc_cost = at.indices[lo:hi], at.data[lo:hi]
        # Demands with fewest alternatives first, then nearest.
        for r in rows[np.lexsort((arc_cost, options[rows]))]:
            if assigned[r] < 0 and size[r] <= residual[j] + 1e-9:
                assigned[r] = j
                residual[j] -= size[r]

    for k in np.flatnonzero(is_open):
        fill(int(k))
    useless = np.zeros(n_cols, dtype=bool)
    while (assigned < 0).any():
        free = (assigned < 0).astype(np.float64)
        # Demand a column could take: unassigned size in reach, up to its capacity; rows of size 0 count 1e-9.
        reach = pattern @ (free * np.maximum(size, 1e-9))
        gain = np.where(is_open | useless, 0.0, np.minimum(reach, residual))
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            return None
        before = int((assigned < 0).sum())
        fill(j)
        if int((assigned < 0).sum()) == before:
            useless[j] = True  # nothing in reach fits its capacity
        else:
            is_open[j] = True
    return assigned


def disjoint_rows_bound(a: sp.csr_array) -> int:
    """A lower bound on the set cover size: rows chosen greedily (smallest first) that share no column.

    Each such row needs its own column, so their count bounds any cover from below. Used when the solver
    stops before proving a bound of its own.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage with no empty rows.

    Returns
    -------
    int
    """
    used = np.zeros(a.shape[1], dtype=bool)
    count = 0
    for r in np.argsort(np.diff(a.indptr), kind="stable"):
        cols = a.indices[a.indptr[r] : a.indptr[r + 1]]
        if not used[cols].any():
            used[cols] = True
            count += 1
    return count
