"""Reductions of the arc model and its split into independent parts, for the capacitated and sized models.

Applied before any MILP, each keeps at least one optimal solution of both stages (fewest sites, then least
total size):

* a demand within reach of an existing facility of unlimited capacity is served by it (serving it there
  costs no new site, no new size and no capacity anywhere else);
* a demand of size 0 needs only *some* open site in reach: it is served by an existing facility in reach,
  or becomes a covering row over the new sites (no assignment variables);
* a new candidate of unlimited capacity whose demands are all within reach of another such candidate is
  dropped (identical ones keep the lowest column): anything it serves the other can serve, and merging two
  sites never adds to the count or to ``Σ max(min_size, rate × load)``;
* the rest splits into the connected components of the bipartite demand–column graph (demands joined by a
  shared candidate or existing facility); components share no variable and no row, so each is solved on
  its own and the optima add up. For the sized model the lexicographic optimum decomposes too: the sum of
  the per-component fewest sites is the global fewest, so stage two of each component keeps its own count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geoplan.siting.solver.arc_model import ArcModel

log = logging.getLogger(__name__)

#: Skip the candidate-dominance test when the product ``AᵀA`` needs more multiply-adds than this.
MAX_DOMINANCE_WORK = 50_000_000


@dataclass(frozen=True)
class Part:
    """One independent component of the reduced arc model.

    Attributes
    ----------
    model : ArcModel
        The component's demands of positive size and their arcs (same caller shape as the full model;
        ``ycols`` = the component's new candidates, including those reached only by ``cover`` rows).
    arcs : ndarray of int
        Index of each ``model`` arc among the full model's arcs.
    cover : scipy.sparse.csr_array
        Demands of size 0 (rows) × caller columns: each needs one open new site among its entries.
    cover_rows : ndarray of int
        Full-model demand (position in the full ``rows``) of each ``cover`` row.
    cover_arcs : ndarray of int
        Full-model arcs of the ``cover`` rows (kept ones), in arc order.
    unlimited : bool
        Every column of the component has unlimited capacity: its first stage is a plain set cover.
    """

    model: ArcModel
    arcs: np.ndarray
    cover: sp.csr_array
    cover_rows: np.ndarray
    cover_arcs: np.ndarray
    unlimited: bool

    @property
    def work(self) -> float:
        """Size estimate (arcs and rows) used to share the time limit."""
        return float(self.model.na + self.model.rows.size + self.cover.nnz + self.cover.shape[0])


@dataclass(frozen=True)
class Split:
    """The full arc model reduced and split.

    Attributes
    ----------
    parts : list of Part
        Components, smallest first.
    preset : ndarray of int
        Full-model arcs fixed to 1 by the reductions (demands served by existing facilities).
    dropped : int
        New candidates dropped as dominated.
    """

    parts: list[Part]
    preset: np.ndarray
    dropped: int


def cheapest(m: ArcModel, arcs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Among ``arcs``, the cheapest to an ``allowed`` column for each demand that has one (ties: lowest column).

    Parameters
    ----------
    m : ArcModel
    arcs : ndarray of int
        Candidate arcs (indices into ``m``'s arcs), in arc order.
    allowed : ndarray of bool
        Per caller column.

    Returns
    -------
    ndarray of int
        One arc per demand reached, ordered by demand.
    """
    ok = arcs[allowed[m.arc_col[arcs]]]
    order = ok[np.lexsort((m.arc_col[ok], m.arc_cost[ok], m.arc_row[ok]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = m.arc_row[order[1:]] != m.arc_row[order[:-1]]
    return order[first]


def _dominated(m: ArcModel, arcs: np.ndarray) -> np.ndarray:
    """Unlimited new columns whose demands (over ``arcs``) another unlimited new column also reaches."""
    col = m.arc_col[arcs]
    free = ~m.is_fixed & np.isinf(m.capacity)
    on = free[col]
    a = sp.csr_array((np.ones(int(on.sum())), (m.arc_row[arcs[on]], col[on])), shape=(m.rows.size, m.n_cols))
    deg = np.diff(a.indptr).astype(np.float64)
    if float(deg @ deg) > MAX_DOMINANCE_WORK:
        log.debug("candidate dominance skipped: AᵀA needs %.3g multiply-adds", float(deg @ deg))
        return np.zeros(0, dtype=np.int64)
    at = sp.csr_array(a.T)
    size = np.diff(at.indptr)
    prod = sp.coo_array(at @ a)
    j, k = prod.row, prod.col
    # j ⊆ k: every demand of j is shared with k; of identical columns the lowest index stays
    sub = (j != k) & (prod.data == size[j]) & ((size[k] > size[j]) | (k < j))
    return np.unique(j[sub]).astype(np.int64)


def _components(m: ArcModel, arcs: np.ndarray, rows: np.ndarray) -> tuple[int, np.ndarray]:
    """Component label of each full-model demand in ``rows`` (graph of ``arcs``)."""
    n = m.rows.size
    adj = sp.csr_array((np.ones(arcs.size), (m.arc_row[arcs], m.arc_col[arcs])), shape=(n, m.n_cols))
    graph = sp.bmat([[None, adj], [adj.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    # renumber so only components with demands in ``rows`` remain
    uniq, lab = np.unique(labels[rows], return_inverse=True)
    return int(uniq.size), lab.astype(np.int64)


def split(m: ArcModel, *, decompose: bool = True) -> Split:
    """Reduce the full arc model and split it into independent parts.

    Parameters
    ----------
    m : ArcModel
        The full model (every coverable demand, every allowed arc).
    decompose : bool
        Split into connected components (``False``: one part; for testing the decomposition).

    Returns
    -------
    Split
    """
    to_inf = cheapest(m, np.arange(m.na), m.is_fixed & np.isinf(m.capacity))
    active = np.ones(m.rows.size, dtype=bool)
    active[m.arc_row[to_inf]] = False
    zero_arcs = np.flatnonzero(active[m.arc_row] & (m.size[m.arc_row] <= 0))
    to_fixed = cheapest(m, zero_arcs, m.is_fixed)
    active[m.arc_row[to_fixed]] = False
    preset = np.sort(np.concatenate([to_inf, to_fixed]))
    arcs = np.flatnonzero(active[m.arc_row])
    dominated = _dominated(m, arcs)
    if dominated.size:
        arcs = arcs[~np.isin(m.arc_col[arcs], dominated)]
    rows = np.flatnonzero(active)
    if decompose and rows.size:
        n_parts, label = _components(m, arcs, rows)
    else:
        n_parts, label = (1 if rows.size else 0), np.zeros(rows.size, dtype=np.int64)
    row_label = np.full(m.rows.size, -1, dtype=np.int64)
    row_label[rows] = label
    by_part = row_label[m.arc_row[arcs]]
    arc_order = np.argsort(by_part, kind="stable")
    arc_bounds = np.searchsorted(by_part[arc_order], np.arange(n_parts + 1))
    row_order = np.argsort(label, kind="stable")
    row_bounds = np.searchsorted(label[row_order], np.arange(n_parts + 1))
    parts = [
        _part(m, arcs[arc_order[arc_bounds[p] : arc_bounds[p + 1]]], rows[row_order[row_bounds[p] : row_bounds[p + 1]]])
        for p in range(n_parts)
    ]
    parts.sort(key=lambda p: p.work)
    log.debug(
        "arc model: %d demands preset to existing facilities, %d candidates dominated, %d part(s), largest %s",
        int((~active).sum()),
        dominated.size,
        len(parts),
        f"{parts[-1].model.rows.size} + {parts[-1].cover.shape[0]} demands" if parts else "-",
    )
    return Split(parts=parts, preset=preset, dropped=int(dominated.size))


def _part(m: ArcModel, arcs: np.ndarray, rows: np.ndarray) -> Part:
    """The part of full-model demands ``rows`` (sorted) with their (kept) ``arcs``."""
    # sizes stay proportional to the part (no full-length arrays): a city can split into thousands of parts
    zero = m.size[rows] <= 0
    pos_rows, cover_rows = rows[~zero], rows[zero]
    on_pos = ~(m.size[m.arc_row[arcs]] <= 0)
    model_arcs = arcs[on_pos]  # full-model arcs are in (row, column) order, so these are too
    cover_arcs = arcs[~on_pos]
    cover = sp.csr_array(
        (
            np.ones(cover_arcs.size),
            (np.searchsorted(cover_rows, m.arc_row[cover_arcs]), m.arc_col[cover_arcs]),
        ),
        shape=(cover_rows.size, m.n_cols),
    )
    cols = np.unique(m.arc_col[arcs])
    sub = ArcModel(
        n_rows=m.n_rows,
        n_cols=m.n_cols,
        rows=m.rows[pos_rows],
        arc_row=np.searchsorted(pos_rows, m.arc_row[model_arcs]),
        arc_col=m.arc_col[model_arcs],
        arc_cost=m.arc_cost[model_arcs],
        size=m.size[pos_rows],
        capacity=m.capacity,
        ycols=cols[~m.is_fixed[cols]],
        is_fixed=m.is_fixed,
        single_source=m.single_source,
    )
    unlimited = bool(np.isinf(m.capacity[cols]).all())
    return Part(
        model=sub, arcs=model_arcs, cover=cover, cover_rows=cover_rows, cover_arcs=cover_arcs, unlimited=unlimited
    )


def part_limits(
    parts: list[Part], t0: float, time_limit: float | None, min_seconds: float = 1.0
) -> Iterator[tuple[Part, float | None]]:
    """Each part (in the given order, smallest first) with its seconds: what is left, shared by size.

    A part gets at least ``min_seconds`` (if left): small parts need milliseconds, so what they do not use
    goes to the larger ones after them.

    Parameters
    ----------
    parts : list of Part
    t0 : float
        ``time.perf_counter()`` at the start of the call the limit applies to.
    time_limit : float or None
        Seconds for all parts (``None`` = unlimited).
    min_seconds : float

    Yields
    ------
    (Part, float or None)
    """
    work_left = float(sum(p.work for p in parts))
    for part in parts:
        if time_limit is None:
            yield part, None
            continue
        left = max(time_limit - (time.perf_counter() - t0), 0.0)
        share = left * part.work / work_left if work_left > 0 else left
        work_left -= part.work
        yield part, min(left, max(share, min_seconds))


def cover_choice(full: ArcModel, part: Part, y: np.ndarray) -> np.ndarray:
    """Full-model arcs serving the part's size-0 demands, each from its cheapest open new site.

    Parameters
    ----------
    full : ArcModel
        The full model.
    part : Part
    y : ndarray of bool
        Open new sites, per ``part.model.ycols``.

    Returns
    -------
    ndarray of int
    """
    open_col = np.zeros(full.n_cols, dtype=bool)
    open_col[part.model.ycols[y]] = True
    return cheapest(full, part.cover_arcs, open_col)


def used_sites(full: ArcModel, part: Part, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """New sites (per ``ycols``) serving a demand, size-0 demands taking their cheapest open site.

    Parameters
    ----------
    full : ArcModel
    part : Part
    y : ndarray of bool
        Open new sites, per ``part.model.ycols``.
    x : ndarray
        Arc values of ``part.model``.

    Returns
    -------
    ndarray of bool
    """
    m = part.model
    used = np.zeros(m.n_cols, dtype=bool)
    used[m.arc_col[x > 1e-7]] = True
    used[full.arc_col[cover_choice(full, part, y | used[m.ycols])]] = True
    return used[m.ycols]
