"""Model reductions for covering problems, applied before the MILP sees them.

Set cover (LSCP), repeated until nothing changes:

* a demand reached by a single candidate forces that candidate open (and drops what it covers);
* a demand whose candidate set contains another demand's set is implied by it (dropped);
  identical sets keep one;
* a candidate whose covered set is inside another candidate's is never needed (dropped);
  identical columns keep one.

Max cover (MCLP): demands with identical candidate sets merge (weights add), zero-weight demands go,
dominated candidates go (swapping one for its dominator never loses weight).

Subset tests use the sparse products ``A Aᵀ`` / ``Aᵀ A`` (an entry equal to a row's size means
inclusion), formed in blocks of rows; when a product would need too much work (:data:`MAX_PRODUCT_NNZ`)
that test is skipped and the model is just solved larger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

#: Skip a dominance test whose product ``A Aᵀ`` needs more multiply-adds than this.
MAX_PRODUCT_NNZ = 2_000_000_000
#: Multiply-adds per block of rows when forming the product (bounds memory to ~100 MB).
BLOCK_NNZ = 4_000_000


@dataclass(frozen=True)
class Reduced:
    """A reduced covering model.

    Attributes
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage of the kept rows by the kept columns.
    rows : ndarray of int
        Index (into the matrix given to the reducer) of each kept row; for max cover, one representative
        per merged group.
    cols : ndarray of int
        Index of each kept column.
    weights : ndarray of float or None
        Max cover: merged weight of each kept row.
    forced : ndarray of int
        Set cover: columns every optimal solution may take as open (index into the given matrix).
    """

    a: sp.csr_array
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray | None
    forced: np.ndarray


def _subset_pairs(a: sp.csr_array, max_nnz: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Pairs ``(i, k)``, ``i != k``, whose row sets satisfy ``N_i ⊆ N_k``; ``None`` if too costly.

    ``A Aᵀ`` is formed a block of rows at a time (about :data:`BLOCK_NNZ` products each), so memory stays
    bounded; ``max_nnz`` caps the total work.
    """
    if a.shape[0] == 0:  # nothing to compare (and no block to cut)
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    at = sp.csr_array(a.T)
    col_sizes = np.diff(at.indptr).astype(np.float64)
    work = a @ col_sizes  # products per row of A Aᵀ
    if float(work.sum()) > max_nnz:
        return None
    sizes = np.diff(a.indptr)
    block = (np.cumsum(work) // BLOCK_NNZ).astype(np.int64)
    starts = np.flatnonzero(np.diff(block, prepend=-1))
    small: list[np.ndarray] = []
    big: list[np.ndarray] = []
    for lo, hi in zip(starts, np.append(starts[1:], a.shape[0]), strict=True):
        prod = sp.coo_array(sp.csr_array(a[lo:hi]) @ at)
        i, k, v = prod.row + lo, prod.col, prod.data
        keep = (i != k) & (v == sizes[i])
        small.append(i[keep].astype(np.int64))
        big.append(k[keep].astype(np.int64))
    if not small:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(small), np.concatenate(big)


def _dominated_sets(m: sp.csr_array, max_nnz: int, *, drop_supersets: bool, what: str) -> np.ndarray:
    """Rows of ``m`` (as sets) nested in another row: the supersets or the subsets, as asked.

    Of two identical sets the higher index is dropped. Nothing is dropped when ``m mᵀ`` would exceed
    ``max_nnz``.
    """
    drop = np.zeros(m.shape[0], dtype=bool)
    pairs = _subset_pairs(m, max_nnz)
    if pairs is None:
        log.debug("%s dominance skipped: product too large", what)
        return drop
    small, big = pairs
    sizes = np.diff(m.indptr)
    strict = sizes[small] < sizes[big]
    loser, winner = (big, small) if drop_supersets else (small, big)
    drop[loser[strict | (loser > winner)]] = True
    return drop


def dominated_rows(a: sp.csr_array, max_nnz: int = MAX_PRODUCT_NNZ) -> np.ndarray:
    """Rows whose set contains another row's set (identical sets: all but the lowest index).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean matrix with no empty rows.
    max_nnz : int
        Skip (return no rows) when ``A Aᵀ`` would be larger.

    Returns
    -------
    ndarray of bool
        True for rows implied by another (safe to drop from a set cover).
    """
    return _dominated_sets(a, max_nnz, drop_supersets=True, what="row")


def dominated_cols(a: sp.csr_array, max_nnz: int = MAX_PRODUCT_NNZ) -> np.ndarray:
    """Columns whose covered set lies inside another column's (identical: all but the lowest index).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean matrix.
    max_nnz : int
        Skip when ``Aᵀ A`` would be larger.

    Returns
    -------
    ndarray of bool
        True for dominated columns; empty columns included.
    """
    at = sp.csr_array(a.T)
    return _dominated_sets(at, max_nnz, drop_supersets=False, what="column") | (np.diff(at.indptr) == 0)


def _take(a: sp.csr_array, rows: np.ndarray | None, cols: np.ndarray | None) -> sp.csr_array:
    """Submatrix with the given row and column positions (``None`` = all)."""
    out = a if rows is None else sp.csr_array(a[rows])
    if cols is not None:
        out = sp.csr_array(out[:, cols])
    out.sort_indices()
    return out


def reduce_set_cover(a: sp.csr_array, max_rounds: int = 50, max_nnz: int = MAX_PRODUCT_NNZ) -> Reduced:
    """Reduce a set cover (every row must be covered, fewest columns).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage; every row must have at least one entry.
    max_rounds : int
        Upper bound on reduction rounds.
    max_nnz : int
        Product size cap for the dominance tests.

    Returns
    -------
    Reduced
        ``forced`` columns plus any optimal cover of ``a`` (on ``rows``, ``cols``) is optimal for the input.
    """
    rows = np.arange(a.shape[0])
    cols = np.arange(a.shape[1])
    forced: list[np.ndarray] = []
    cur = a
    for _ in range(max_rounds):
        before = cur.shape
        sizes = np.diff(cur.indptr)
        single = cur.indices[cur.indptr[:-1][sizes == 1]]
        if single.size:
            must = np.unique(single)
            forced.append(cols[must])
            hit = np.zeros(cur.shape[1], dtype=bool)
            hit[must] = True
            done = (cur @ hit.astype(np.float64)) > 0
            keep_c = np.flatnonzero(~hit)
            keep_r = np.flatnonzero(~done)
            cur, rows, cols = _take(cur, keep_r, keep_c), rows[keep_r], cols[keep_c]
        if cur.shape[0] == 0:
            cols = cols[:0]
            cur = sp.csr_array((0, 0))
            break
        keep_r = np.flatnonzero(~dominated_rows(cur, max_nnz))
        cur, rows = _take(cur, keep_r, None), rows[keep_r]
        keep_c = np.flatnonzero(~dominated_cols(cur, max_nnz))
        cur, cols = _take(cur, None, keep_c), cols[keep_c]
        if cur.shape == before:
            break
    all_forced = np.sort(np.concatenate(forced)) if forced else np.zeros(0, dtype=np.int64)
    return Reduced(a=cur, rows=rows, cols=cols, weights=None, forced=all_forced.astype(np.int64))


def _row_keys(a: sp.csr_array, seed: int = 12345) -> np.ndarray:
    """A hash per row of its column set (two random 64-bit sums), for grouping identical rows."""
    rng = np.random.default_rng(seed)
    r = rng.integers(1, 2**62, size=(a.shape[1], 2), dtype=np.int64).astype(np.uint64)
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    keys = np.zeros((a.shape[0], 3), dtype=np.uint64)
    for c in range(2):
        np.add.at(keys[:, c], row_of, r[a.indices, c])
    keys[:, 2] = np.diff(a.indptr).astype(np.uint64)
    return keys


def merge_duplicate_rows(a: sp.csr_array, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows with identical column sets.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean matrix.
    w : ndarray
        Row weights.

    Returns
    -------
    representatives : ndarray of int
        Lowest row index of each group, ascending.
    weights : ndarray of float
        Summed weight of each group.
    """
    if a.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    _, first, inverse = np.unique(_row_keys(a), axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    sums = np.bincount(inverse, weights=w, minlength=first.size)
    order = np.argsort(first)
    return first[order].astype(np.int64), sums[order]


def reduce_max_cover(a: sp.csr_array, w: np.ndarray, max_rounds: int = 20, max_nnz: int = MAX_PRODUCT_NNZ) -> Reduced:
    """Reduce a max cover (maximise covered weight with at most p columns).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Boolean coverage; rows may be empty (they are dropped).
    w : ndarray
        Non-negative row weights.
    max_rounds : int
        Upper bound on reduction rounds.
    max_nnz : int
        Product size cap for the dominance test.

    Returns
    -------
    Reduced
        ``rows`` are group representatives, ``weights`` the merged weights; ``forced`` is empty.
    """
    keep = np.flatnonzero((w > 0) & (np.diff(a.indptr) > 0))
    cur, rows, weights = _take(a, keep, None), keep, w[keep]
    cols = np.arange(a.shape[1])
    for _ in range(max_rounds):
        before = cur.shape
        rep, weights = merge_duplicate_rows(cur, weights)
        cur, rows = _take(cur, rep, None), rows[rep]
        keep_c = np.flatnonzero(~dominated_cols(cur, max_nnz))
        cur, cols = _take(cur, None, keep_c), cols[keep_c]
        nonempty = np.flatnonzero(np.diff(cur.indptr) > 0)
        cur, rows, weights = _take(cur, nonempty, None), rows[nonempty], weights[nonempty]
        if cur.shape == before:
            break
    return Reduced(a=cur, rows=rows, cols=cols, weights=weights, forced=np.zeros(0, dtype=np.int64))
