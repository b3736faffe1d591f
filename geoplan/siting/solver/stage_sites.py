"""First stage of the capacitated and sized models on one part: fewest new sites.

A part whose columns all have unlimited capacity is a plain set cover over its new sites (every demand, of
any size, needs one open site in reach; measured on the demo's elderly rule: 0.6 s instead of 25 s for the
same optimum with assignment variables). Otherwise the arc model of :mod:`~geoplan.siting.solver.arc_model`,
warm-started by the greedy assignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver import milp
from geoplan.siting.solver.arc_model import ArcModel, build_rows, start_from_assignment
from geoplan.siting.solver.components import Part, cheapest, used_sites
from geoplan.siting.solver.greedy import disjoint_rows_bound, greedy_capacitated, greedy_set_cover
from geoplan.siting.solver.result import INFEASIBLE, OPTIMAL, Stage, relative_gap

NAN = float("nan")


@dataclass(frozen=True)
class PartResult:
    """A part's solution.

    Attributes
    ----------
    y : ndarray of bool
        Open new sites, per ``ycols`` of the part's model.
    x : ndarray
        Arc values of the part's model.
    stage : Stage
        The part's report of the stage.
    """

    y: np.ndarray
    x: np.ndarray
    stage: Stage


def _cheapest_x(m: ArcModel, y: np.ndarray) -> np.ndarray:
    """Arc values serving each demand of a part model from its cheapest open column (fixed, or new with ``y``)."""
    open_col = m.is_fixed.copy()
    open_col[m.ycols[y]] = True
    x = np.zeros(m.na)
    x[cheapest(m, np.arange(m.na), open_col)] = 1.0
    return x


def _result(
    full: ArcModel, part: Part, vals: np.ndarray | None, out: milp.MilpOutcome, greedy_obj: float
) -> PartResult:
    """The part's first-stage result from solver output ``out`` (``vals``: its solution or the start)."""
    m = part.model
    if out.status == INFEASIBLE or vals is None:
        status = out.status if out.status != OPTIMAL else INFEASIBLE
        stage = Stage("sites", status, NAN, out.bound, NAN, out.seconds, out.nodes, greedy_obj)
        return PartResult(np.zeros(m.ny, dtype=bool), np.zeros(m.na), stage)
    y = vals[: m.ny] > 0.5
    x = np.clip(vals[m.ny : m.ny + m.na], 0.0, 1.0) if vals.size > m.ny else _cheapest_x(m, y)
    y = used_sites(full, part, y, x)
    objective = float(y.sum())
    bound = min(math.ceil(out.bound - 1e-6), objective) if np.isfinite(out.bound) else 0.0
    status = OPTIMAL if bound >= objective else out.status
    stage = Stage(
        "sites", status, objective, float(bound), relative_gap(objective, bound), out.seconds, out.nodes, greedy_obj
    )
    return PartResult(y, x, stage)


def _by_cover(full: ArcModel, part: Part, time_limit: float | None, mip_gap: float) -> PartResult:
    """First stage of a part without capacities: a set cover over its new sites."""
    m = part.model
    ypos = m.ypos()
    pattern = sp.csr_array((np.ones(m.na), (m.arc_row, m.arc_col)), shape=(m.rows.size, m.n_cols))
    coo = sp.coo_array(sp.vstack([pattern, part.cover]))
    a = sp.csr_array((np.ones(coo.nnz), (coo.row, ypos[coo.col])), shape=(coo.shape[0], m.ny))
    a.sort_indices()
    start = np.zeros(m.ny)
    start[greedy_set_cover(a)] = 1.0
    bound = disjoint_rows_bound(a)
    if start.sum() <= bound:  # typical of small parts: no solver call needed
        done = milp.MilpOutcome(OPTIMAL, start, float(start.sum()), float(bound), 0.0, 0, "greedy meets the bound")
        return _result(full, part, start, done, float(start.sum()))
    model = milp.Milp(
        c=np.ones(m.ny),
        a=a,
        row_lower=np.ones(a.shape[0]),
        row_upper=np.full(a.shape[0], milp.INF),
        lower=np.zeros(m.ny),
        upper=np.ones(m.ny),
        integer=np.ones(m.ny, dtype=bool),
    )
    out = milp.solve(model, start=start, time_limit=time_limit, mip_gap=mip_gap)
    return _result(full, part, out.x if out.x is not None else start, out, float(start.sum()))


def _by_arcs(full: ArcModel, part: Part, time_limit: float | None, mip_gap: float) -> PartResult:
    """First stage of a part with capacities: the arc model, warm-started by the greedy assignment."""
    m = part.model
    greedy = greedy_capacitated(m.arc_matrix(), m.size, m.capacity, m.is_fixed)
    start = start_from_assignment(m, greedy) if greedy is not None else None
    if start is not None and part.cover.shape[0]:
        start[: m.ny] = np.maximum(start[: m.ny], _open_for_cover(m, start[: m.ny] > 0.5, part.cover))
    greedy_obj = float(start[: m.ny].sum()) if start is not None else NAN
    a, lo, hi = build_rows(m, cover=part.cover)
    n = m.ny + m.na
    model = milp.Milp(
        c=np.concatenate([np.ones(m.ny), np.zeros(m.na)]),
        a=a,
        row_lower=lo,
        row_upper=hi,
        lower=np.zeros(n),
        upper=np.ones(n),
        integer=np.concatenate([np.ones(m.ny, dtype=bool), np.full(m.na, m.single_source)]),
    )
    out = milp.solve(model, start=start, time_limit=time_limit, mip_gap=mip_gap)
    return _result(full, part, out.x if out.x is not None else start, out, greedy_obj)


def _open_for_cover(m: ArcModel, y: np.ndarray, cover: sp.csr_array) -> np.ndarray:
    """``y`` plus, for each size-0 demand with no open site in reach, its first site."""
    out = y.astype(np.float64)
    ypos = m.ypos()
    for r in range(cover.shape[0]):
        cols = ypos[cover.indices[cover.indptr[r] : cover.indptr[r + 1]]]
        if not out[cols].any():
            out[cols[0]] = 1.0
    return out


def solve_sites(full: ArcModel, part: Part, time_limit: float | None, mip_gap: float) -> PartResult:
    """Fewest new sites for one part.

    Parameters
    ----------
    full : ArcModel
        The full model (for the size-0 demands' arcs).
    part : Part
    time_limit : float, optional
        Seconds.
    mip_gap : float

    Returns
    -------
    PartResult
        ``stage.objective`` is NaN when no solution was found (infeasible, or none before the limit).
    """
    solve = _by_cover if part.unlimited else _by_arcs
    return solve(full, part, time_limit, mip_gap)
