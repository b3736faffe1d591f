"""The assignment (arc) formulation shared by the capacitated and the sized models.

Columns, in order: ``y_j`` (open new candidate j, binary), ``x_a`` (share of demand i served over arc
a = (i, j), in [0, 1] or binary), and for the sized second stage ``s_j`` (size of new site j).

Rows: every demand fully assigned (``Σ_a x_a = 1``); capacity ``Σ d_i x_a <= C_j y_j`` (``<= C_j`` for a
fixed column) where ``C_j`` is finite; linking ``x_a <= y_j`` for arcs to new sites (the strong
formulation: a much tighter LP bound than the aggregated capacity row alone); optionally covering rows
``Σ y_j >= 1`` for demands of size 0, which need an open site in reach but no assignment variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver import milp


@dataclass(frozen=True)
class ArcModel:
    """Arcs of the demands in the model and the candidate columns they reach.

    Attributes
    ----------
    n_rows, n_cols : int
        Shape of the caller's matrix.
    rows : ndarray of int
        Caller row of each model demand.
    arc_row : ndarray of int
        Model demand (position in ``rows``) of each arc.
    arc_col : ndarray of int
        Caller column of each arc.
    arc_cost : ndarray of float
        Cost of each arc.
    size : ndarray of float
        Demand size per model demand.
    capacity : ndarray of float
        Capacity per caller column in demand units (``inf`` = none).
    ycols : ndarray of int
        Caller columns that get a ``y`` variable (new candidates with at least one arc).
    is_fixed : ndarray of bool
        Per caller column.
    single_source : bool
        Binary ``x``.
    """

    n_rows: int
    n_cols: int
    rows: np.ndarray
    arc_row: np.ndarray
    arc_col: np.ndarray
    arc_cost: np.ndarray
    size: np.ndarray
    capacity: np.ndarray
    ycols: np.ndarray
    is_fixed: np.ndarray
    single_source: bool

    @property
    def ny(self) -> int:
        """Number of ``y`` columns."""
        return int(self.ycols.size)

    @property
    def na(self) -> int:
        """Number of arcs."""
        return int(self.arc_row.size)

    def ypos(self) -> np.ndarray:
        """Position in ``ycols`` of each caller column (-1 for fixed / unused)."""
        pos = np.full(self.n_cols, -1, dtype=np.int64)
        pos[self.ycols] = np.arange(self.ny)
        return pos

    def arc_matrix(self) -> sp.csr_array:
        """Arc costs as a (model demand × caller column) CSR matrix, arcs in CSR order."""
        indptr = np.zeros(self.rows.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.arc_row, minlength=self.rows.size), out=indptr[1:])
        return sp.csr_array((self.arc_cost, self.arc_col, indptr), shape=(self.rows.size, self.n_cols))


def build_rows(
    m: ArcModel, extra_cols: int = 0, cover: sp.csr_array | None = None
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Assignment, capacity, linking and covering rows over ``[y | x | extra]`` columns.

    Parameters
    ----------
    m : ArcModel
    extra_cols : int
        Further columns after ``x`` (left empty here).
    cover : scipy.sparse.csr_array, optional
        Demands × caller columns: each row needs an open site among its entries (all of them in ``ycols``).

    Returns
    -------
    matrix : scipy.sparse.csr_array
    row_lower, row_upper : ndarray
    """
    ny, na, nd = m.ny, m.na, m.rows.size
    n = ny + na + extra_cols
    ypos = m.ypos()
    arcs = np.arange(na)
    # assignment rows
    r_parts = [m.arc_row]
    c_parts = [ny + arcs]
    v_parts = [np.ones(na)]
    lo = [np.ones(nd)]
    hi = [np.ones(nd)]
    next_row = nd
    # capacity rows
    capped = np.flatnonzero(np.isfinite(m.capacity) & (np.bincount(m.arc_col, minlength=m.n_cols) > 0))
    if capped.size:
        cap_row = np.full(m.n_cols, -1, dtype=np.int64)
        cap_row[capped] = next_row + np.arange(capped.size)
        on = cap_row[m.arc_col] >= 0
        r_parts.append(cap_row[m.arc_col[on]])
        c_parts.append(ny + arcs[on])
        v_parts.append(m.size[m.arc_row[on]])
        new = capped[ypos[capped] >= 0]
        r_parts.append(cap_row[new])
        c_parts.append(ypos[new])
        v_parts.append(-m.capacity[new])
        lo.append(np.full(capped.size, -milp.INF))
        hi.append(np.where(m.is_fixed[capped], m.capacity[capped], 0.0))
        next_row += capped.size
    # linking rows x_a - y_j <= 0
    to_new = np.flatnonzero(ypos[m.arc_col] >= 0)
    link = next_row + np.arange(to_new.size)
    r_parts += [link, link]
    c_parts += [ny + to_new, ypos[m.arc_col[to_new]]]
    v_parts += [np.ones(to_new.size), -np.ones(to_new.size)]
    lo.append(np.full(to_new.size, -milp.INF))
    hi.append(np.zeros(to_new.size))
    next_row += to_new.size
    if cover is not None and cover.shape[0]:
        coo = sp.coo_array(cover)
        r_parts.append(next_row + coo.row)
        c_parts.append(ypos[coo.col])
        v_parts.append(np.ones(coo.nnz))
        lo.append(np.ones(cover.shape[0]))
        hi.append(np.full(cover.shape[0], milp.INF))
        next_row += cover.shape[0]
    mat = sp.csr_array(
        (np.concatenate(v_parts), (np.concatenate(r_parts), np.concatenate(c_parts))), shape=(next_row, n)
    )
    mat.sum_duplicates()
    mat.sort_indices()
    return mat, np.concatenate(lo), np.concatenate(hi)


def start_from_assignment(m: ArcModel, assigned: np.ndarray) -> np.ndarray:
    """``[y | x]`` values of a single-source assignment (caller column per model demand).

    Parameters
    ----------
    m : ArcModel
    assigned : ndarray of int
        Caller column serving each model demand.

    Returns
    -------
    ndarray
    """
    keys = m.arc_row.astype(np.int64) * m.n_cols + m.arc_col
    pos = np.searchsorted(keys, np.arange(m.rows.size) * m.n_cols + assigned)
    x = np.zeros(m.na)
    x[pos] = 1.0
    y = np.zeros(m.ny)
    ypos = m.ypos()[assigned]
    y[ypos[ypos >= 0]] = 1.0
    return np.concatenate([y, x])


def load_per_column(m: ArcModel, x: np.ndarray) -> np.ndarray:
    """Demand size assigned to each caller column given arc values ``x``."""
    return np.bincount(m.arc_col, weights=x * m.size[m.arc_row], minlength=m.n_cols)


def allocation_matrix(m: ArcModel, x: np.ndarray) -> sp.csr_array:
    """(caller demand × caller column) shares from arc values ``x`` (tiny values dropped)."""
    keep = x > 1e-7
    return sp.csr_array(
        (np.minimum(x[keep], 1.0), (m.rows[m.arc_row[keep]], m.arc_col[keep])), shape=(m.n_rows, m.n_cols)
    )


def main_site(alloc: sp.csr_array) -> np.ndarray:
    """Per caller demand, the column with the largest share (-1 when unserved)."""
    out = np.full(alloc.shape[0], -1, dtype=np.int64)
    coo = sp.coo_array(alloc)
    order = np.lexsort((-coo.data, coo.row))
    rows, cols = coo.row[order], coo.col[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    out[rows[first]] = cols[first]
    return out
