"""Local search that improves a greedy cover before it warm-starts HiGHS.

* :func:`improve_cover` (set cover): replace two or more chosen columns by one unchosen column.
* :func:`improve_max_cover` (max cover): swap one chosen column for one unchosen column while the covered
  weight grows.

Candidate moves come from one sparse product per round; each is re-checked exactly against the current
solution before it is applied, so every move is feasible and improving.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver.greedy import drop_redundant, rows_of


def improve_cover(a: sp.csr_array, chosen: np.ndarray, max_rounds: int = 20) -> np.ndarray:
    """Local search on a set cover: replace two or more chosen columns by one unchosen column.

    Candidate moves come from one sparse product per round (an unchosen column k that contains the
    rows only chosen column j covers, for two or more j); each move is then checked exactly against the
    current cover before it is applied, so the result always covers every row the input covered.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage (rows × columns), sorted indices.
    chosen : ndarray of int
        A cover (column positions) with no redundant column.
    max_rounds : int
        Rounds of (product, moves) at most; stops earlier when a round makes no move.

    Returns
    -------
    ndarray of int
        The improved cover, ascending, redundant columns removed.
    """
    n_rows, n_cols = a.shape
    at = sp.csr_array(a.T)
    sel = np.zeros(n_cols, dtype=bool)
    sel[chosen] = True
    for _ in range(max_rounds):
        cnt = a @ sel.astype(np.float64)
        uniq = np.flatnonzero(cnt == 1)
        sub = sp.csr_array(a[uniq])
        owner = sub.indices[sel[sub.indices]]  # the one chosen column of each such row
        own = sp.csr_array((np.ones(uniq.size), (owner, uniq)), shape=(n_cols, n_rows))
        n_own = np.diff(own.indptr)
        prod = sp.coo_array(own @ a)
        full = (prod.data == n_own[prod.row]) & ~sel[prod.col]
        j, k = prod.row[full], prod.col[full]
        per_k = np.bincount(k, minlength=n_cols)
        order = np.argsort(k, kind="stable")
        j, k = j[order], k[order]
        starts = np.searchsorted(k, np.arange(n_cols))
        moves = 0
        for kk in np.argsort(-per_k, kind="stable")[: int((per_k >= 2).sum())]:
            js = j[starts[kk] : starts[kk] + per_k[kk]]
            if _try_swap(a, at, sel, cnt, int(kk), js):
                moves += 1
        if moves == 0:
            break
    return drop_redundant(a, np.flatnonzero(sel))


def _try_swap(a: sp.csr_array, at: sp.csr_array, sel: np.ndarray, cnt: np.ndarray, k: int, js: np.ndarray) -> bool:
    """Open ``k`` and close as many of ``js`` as keeps every row covered, if that is two or more."""
    if sel[k]:
        return False
    k_rows = rows_of(at, k)
    removed: list[int] = []
    drop = np.zeros(0, dtype=np.int64)
    for jj in js:
        if not sel[jj]:
            continue
        trial = np.concatenate([drop, rows_of(at, int(jj))])
        rows, times = np.unique(trial, return_counts=True)
        left = cnt[rows] - times + np.isin(rows, k_rows)
        if (left > 0).all():
            removed.append(int(jj))
            drop = trial
    if len(removed) < 2:
        return False
    sel[removed] = False
    sel[k] = True
    np.subtract.at(cnt, drop, 1)
    cnt[k_rows] += 1
    return True


def _owners(a: sp.csr_array, sel: np.ndarray, cnt: np.ndarray, w: np.ndarray) -> sp.csr_array:
    """(column × row) matrix: for each row covered exactly once, its weight under its one chosen column."""
    n_rows, n_cols = a.shape
    uniq = np.flatnonzero(cnt == 1)
    sub = sp.csr_array(a[uniq])
    owner = sub.indices[sel[sub.indices]]
    return sp.csr_array((w[uniq], (owner, uniq)), shape=(n_cols, n_rows))


def improve_max_cover(a: sp.csr_array, w: np.ndarray, chosen: np.ndarray, max_rounds: int = 30) -> np.ndarray:
    """Swap chosen for unchosen columns while the covered weight grows.

    The gain of swapping out j for k is ``(uncovered weight k adds) − (weight only j covers and k does
    not)``; candidates are the best pairs of each round's product, re-checked exactly before applying.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage (rows × columns), sorted indices.
    w : ndarray
        Non-negative row weights.
    chosen : ndarray of int
        Current columns.
    max_rounds : int
        Rounds at most; stops earlier when a round makes no move.

    Returns
    -------
    ndarray of int
        Improved columns (same count), ascending.
    """
    n_cols = a.shape[1]
    at = sp.csr_array(a.T)
    sel = np.zeros(n_cols, dtype=bool)
    sel[chosen] = True
    if sel.all() or not sel.any():
        return np.flatnonzero(sel)
    for _ in range(max_rounds):
        cnt = a @ sel.astype(np.float64)
        gain = at @ np.where(cnt == 0, w, 0.0)
        gain[sel] = -np.inf
        own = _owners(a, sel, cnt, w)
        loss = np.asarray(own.sum(axis=1)).ravel()
        loss[~sel] = np.inf
        prod = sp.coo_array(own @ a)
        j = np.concatenate([prod.row, [int(np.argmin(loss))]])
        k = np.concatenate([prod.col, [int(np.argmax(gain))]])
        delta = gain[k] - loss[j] + np.concatenate([prod.data, [0.0]])
        good = np.flatnonzero(delta > 1e-9)
        moves = 0
        for pos in good[np.argsort(-delta[good], kind="stable")]:
            moves += _try_exchange(at, w, sel, cnt, int(j[pos]), int(k[pos]))
        if moves == 0:
            break
    return np.flatnonzero(sel)


def _try_exchange(at: sp.csr_array, w: np.ndarray, sel: np.ndarray, cnt: np.ndarray, j: int, k: int) -> int:
    """Close ``j`` and open ``k`` if that covers more weight now; returns 1 if done."""
    if not sel[j] or sel[k]:
        return 0
    j_rows, k_rows = rows_of(at, j), rows_of(at, k)
    added = float(w[k_rows][cnt[k_rows] == 0].sum())
    lost_rows = j_rows[(cnt[j_rows] == 1) & ~np.isin(j_rows, k_rows)]
    if added - float(w[lost_rows].sum()) <= 1e-9:
        return 0
    sel[j], sel[k] = False, True
    cnt[j_rows] -= 1
    cnt[k_rows] += 1
    return 1
