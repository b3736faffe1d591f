"""Turning what the caller passes (costs or 0/1 coverage, dense or sparse) into one boolean CSR structure.

Convention for sparse input: an entry that is not stored means "out of reach". With ``limit`` the stored
values are costs (metres, minutes) and an entry is a cover when its cost is ``<= limit`` (an explicitly
stored 0 is a cost of 0, e.g. a candidate site inside the community); without ``limit`` the stored
values are 0/1 and a cover is a stored non-zero. Dense input uses ``np.inf`` or NaN for "out of reach".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from geoplan import _hints
from geoplan._errors import Hint, InputError

MatrixLike = Any  # numpy array or any scipy.sparse matrix / array


def as_csr(matrix: MatrixLike, name: str = "coverage") -> sp.csr_array:
    """Return ``matrix`` as a float64 CSR array with canonical (sorted, summed) indices.

    Parameters
    ----------
    matrix : array_like or scipy.sparse matrix
        Two-dimensional, shape (demand, candidates).
    name : str
        Argument name for error messages.

    Returns
    -------
    scipy.sparse.csr_array
        A copy; explicitly stored zeros are kept.

    Raises
    ------
    InputError
        When the matrix is not two-dimensional.
    """
    if sp.issparse(matrix):
        out = sp.csr_array(matrix, dtype=np.float64, copy=True)
    else:
        dense = np.asarray(matrix, dtype=np.float64)
        if dense.ndim != 2:
            msg = f"{name} must be a 2-D matrix (demand × candidates); got shape {dense.shape}"
            raise InputError(msg, hint=_hints.API_ARGUMENT)
        keep = np.isfinite(dense)
        rows, cols = np.nonzero(keep)
        out = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    if out.ndim != 2:
        msg = f"{name} must be a 2-D matrix (demand × candidates); got shape {out.shape}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    out.sum_duplicates()
    out.sort_indices()
    return out


def cover_pattern(matrix: MatrixLike, limit: float | None = None) -> tuple[sp.csr_array, sp.csr_array | None]:
    """Boolean coverage (demand × candidates) and, when ``limit`` is given, the matching costs.

    Parameters
    ----------
    matrix : array_like or scipy.sparse matrix
        Costs (with ``limit``) or 0/1 coverage (without). Dense input: ``inf`` / NaN = out of reach.
    limit : float, optional
        Largest cost that still covers (``inf``: every stored cost). ``None`` reads ``matrix`` as 0/1
        coverage.

    Returns
    -------
    cover : scipy.sparse.csr_array
        float64 ones where demand i is covered by candidate j; every stored entry is 1.
    costs : scipy.sparse.csr_array or None
        Same pattern as ``cover`` with the cost of each cover; ``None`` without ``limit``.

    Raises
    ------
    InputError
        Bad shape, negative or NaN costs, or a negative limit.
    """
    csr = as_csr(matrix)
    if csr.data.size and np.isnan(csr.data).any():
        msg = "coverage/cost matrix holds NaN as a stored value"
        raise InputError(msg, hint=Hint(zh="不可达的项不要存储（稀疏矩阵留空）",
                                        en="leave out-of-reach entries unstored"))
    if limit is None:
        keep = csr.data != 0
        costs = None
    else:
        if np.isnan(limit) or limit < 0:
            msg = f"limit must be a non-negative cost (inf = every stored entry); got {limit!r}"
            raise InputError(msg, hint=_hints.API_ARGUMENT)
        if csr.data.size and csr.data.min() < 0:
            msg = f"costs must be non-negative; the smallest stored cost is {csr.data.min():g}"
            raise InputError(msg, hint=_hints.API_ARGUMENT)
        keep = csr.data <= limit
    cover = _mask(csr, keep)
    if limit is not None:
        costs = cover.copy()
        costs.data = csr.data[keep]
    cover.data = np.ones_like(cover.data)
    return cover, costs


def _mask(csr: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    """Keep the stored entries where ``keep`` is true (explicit zeros survive)."""
    row_of = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    indptr = np.zeros(csr.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of[keep], minlength=csr.shape[0]), out=indptr[1:])
    return sp.csr_array((csr.data[keep], csr.indices[keep], indptr), shape=csr.shape)


def fixed_columns(fixed: MatrixLike | None, n_cols: int) -> np.ndarray:
    """Normalise ``fixed`` (column indices or a boolean mask) to sorted unique int64 indices.

    Parameters
    ----------
    fixed : sequence of int, boolean mask, or None
        Existing facilities among the matrix columns.
    n_cols : int
        Number of columns.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    InputError
        Out-of-range index or a mask of the wrong length.
    """
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.shape != (n_cols,):
            msg = f"fixed mask has length {arr.size}; the matrix has {n_cols} columns"
            raise InputError(msg, hint=_hints.API_ARGUMENT)
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        msg = f"fixed must be column indices (int) or a boolean mask; got dtype {arr.dtype}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    idx = np.unique(arr.astype(np.int64).ravel())
    if idx.size and (idx[0] < 0 or idx[-1] >= n_cols):
        msg = f"fixed column index out of range 0..{n_cols - 1}: {idx[0] if idx[0] < 0 else idx[-1]}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    return idx


def vector(values: MatrixLike, n: int, name: str, *, positive: bool = False) -> np.ndarray:
    """Check a per-row or per-column vector: finite, non-negative (or positive), length ``n``.

    Parameters
    ----------
    values : array_like or scalar
        A scalar is broadcast to length ``n``.
    n : int
        Expected length.
    name : str
        Argument name for error messages.
    positive : bool
        Require strictly positive values.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    InputError
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"{name} has shape {arr.shape}; expected ({n},)"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    if not np.isfinite(arr).all():
        first = int(np.flatnonzero(~np.isfinite(arr))[0])
        msg = f"{name} holds NaN or infinite values (first at position {first})"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    bad = arr <= 0 if positive else arr < 0
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"{name} must be {'positive' if positive else 'non-negative'}; {name}[{first}] = {arr[first]:g}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    return arr


def nearest_open(cover: sp.csr_array, costs: sp.csr_array | None, is_open: np.ndarray) -> np.ndarray:
    """Per demand row, the open column in reach with the least cost (or lowest index), else -1.

    Parameters
    ----------
    cover : scipy.sparse.csr_array
        Boolean coverage pattern (sorted indices).
    costs : scipy.sparse.csr_array or None
        Costs on the same pattern, or ``None`` (then the lowest open column index wins).
    is_open : ndarray of bool
        Per column.

    Returns
    -------
    ndarray of int64
    """
    n_rows = cover.shape[0]
    out = np.full(n_rows, -1, dtype=np.int64)
    if cover.nnz == 0:
        return out
    row_of = np.repeat(np.arange(n_rows), np.diff(cover.indptr))
    ok = is_open[cover.indices]
    rows, cols = row_of[ok], cover.indices[ok]
    key = costs.data[ok] if costs is not None else cols.astype(np.float64)
    order = np.lexsort((cols, key, rows))  # by row, then cost, then column
    rows, cols = rows[order], cols[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    out[rows[first]] = cols[first]
    return out
