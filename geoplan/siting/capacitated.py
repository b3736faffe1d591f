"""Capacitated set covering and the sizing mode (site size decided by what the site serves).

:func:`capacitated_lscp` — fewest new sites such that every demand within reach of some column is
assigned to an open site within reach, no site over its capacity (existing facilities count with their
capacity).

:func:`sized_lscp` — the same with the capacity a *decision*: a new site's size is
``max(min_size, rate × assigned / per)`` (e.g. 20 m² per 100 households, at least 200 m²), optionally at
most ``max_size``. Fewest sites first, then the least total new size with that many sites.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from geoplan._errors import InputError
from geoplan.siting import milp
from geoplan.siting.assign_model import (
    ArcModel,
    allocation_matrix,
    build_rows,
    load_per_column,
    main_site,
    start_from_assignment,
)
from geoplan.siting.coverage import MatrixLike, cover_pattern, fixed_columns, vector
from geoplan.siting.greedy import greedy_capacitated
from geoplan.siting.result import (
    INFEASIBLE,
    OPTIMAL,
    TIME_LIMIT,
    Reduction,
    SitingSolution,
    Stage,
    relative_gap,
)

log = logging.getLogger(__name__)
NAN = float("nan")


def _capacity(values: MatrixLike, n: int, name: str) -> np.ndarray:
    """Per-column capacity: scalar or length ``n``, non-negative, ``inf`` allowed."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"{name} has shape {arr.shape}; expected one value per column ({n},)"
        raise InputError(msg)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"{name} must be non-negative (inf = unlimited); {name}[{first}] = {arr[first]}"
        raise InputError(msg)
    return arr


def _arc_model(
    costs: MatrixLike,
    size: np.ndarray,
    capacity: np.ndarray,
    limit: float | None,
    fixed: MatrixLike | None,
    single_source: bool,
) -> tuple[ArcModel, np.ndarray, np.ndarray]:
    """Arc model of the coverable demands, the 'uncoverable' mask and the caller rows no capacity can take."""
    cover, cst = cover_pattern(costs, math.inf if limit is None else limit)
    assert cst is not None
    n_rows, n_cols = cover.shape
    fixed_idx = fixed_columns(fixed, n_cols)
    is_fixed = np.zeros(n_cols, dtype=bool)
    is_fixed[fixed_idx] = True
    uncoverable = np.diff(cover.indptr) == 0
    row_of = np.repeat(np.arange(n_rows), np.diff(cst.indptr))
    col = cst.indices.astype(np.int64)
    fits = size[row_of] <= capacity[col] * (1 + 1e-12) if single_source else capacity[col] > 0
    fits |= size[row_of] == 0
    reach_cap = np.bincount(row_of[fits], weights=np.minimum(capacity[col[fits]], 1e300), minlength=n_rows)
    unservable = ~uncoverable & ((np.bincount(row_of[fits], minlength=n_rows) == 0) | (reach_cap < size - 1e-9))
    rows = np.flatnonzero(~uncoverable)
    pos = np.full(n_rows, -1, dtype=np.int64)
    pos[rows] = np.arange(rows.size)
    keep = fits & ~uncoverable[row_of]
    arc_col = col[keep]
    used = np.zeros(n_cols, dtype=bool)
    used[arc_col] = True
    model = ArcModel(
        n_rows=n_rows,
        n_cols=n_cols,
        rows=rows,
        arc_row=pos[row_of[keep]],
        arc_col=arc_col,
        arc_cost=cst.data[keep],
        size=size[rows],
        capacity=capacity,
        ycols=np.flatnonzero(used & ~is_fixed),
        is_fixed=is_fixed,
        single_source=single_source,
    )
    return model, uncoverable, unservable


def _solution(
    model_name: str,
    m: ArcModel,
    x: np.ndarray | None,
    stages: tuple[Stage, ...],
    t0: float,
    uncoverable: np.ndarray,
    reduction: Reduction,
    message: str = "",
    sizes_of: tuple[float, float] | None = None,
) -> SitingSolution:
    """Assemble the result from arc values ``x`` (``None`` = no solution)."""
    first, last = stages[0], stages[-1]
    fixed_idx = np.flatnonzero(m.is_fixed)
    solver_s = float(sum(s.seconds for s in stages))
    if x is None:
        none = np.full(m.n_rows, -1, dtype=np.int64)
        return SitingSolution(
            model=model_name,
            status=last.status,
            selected=np.zeros(0, dtype=np.int64),
            fixed=fixed_idx,
            objective=NAN,
            bound=first.bound,
            gap=NAN,
            seconds=time.perf_counter() - t0,
            solver_seconds=solver_s,
            greedy_objective=first.greedy_objective,
            assignment=none,
            covered=none >= 0,
            uncoverable=uncoverable,
            stages=stages,
            reduction=reduction,
            message=message,
        )
    alloc = allocation_matrix(m, x)
    assignment = main_site(alloc)
    load = load_per_column(m, x)
    served = np.bincount(m.arc_col[x > 1e-7], minlength=m.n_cols) > 0
    selected = np.flatnonzero(served & ~m.is_fixed).astype(np.int64)
    sizes = None
    if sizes_of is not None:
        factor, min_size = sizes_of
        sizes = np.maximum(min_size, factor * load[selected])
    return SitingSolution(
        model=model_name,
        status=last.status,
        selected=selected,
        fixed=fixed_idx,
        objective=float(selected.size),
        bound=first.bound,
        gap=relative_gap(float(selected.size), first.bound),
        seconds=time.perf_counter() - t0,
        solver_seconds=solver_s,
        greedy_objective=first.greedy_objective,
        assignment=assignment,
        covered=assignment >= 0,
        uncoverable=uncoverable,
        sizes=sizes,
        load=load,
        allocation=alloc,
        stages=stages,
        reduction=reduction,
        message=message,
    )


def _x_clean(m: ArcModel, vals: np.ndarray) -> np.ndarray:
    """Arc part of a ``[y | x | ...]`` vector, clipped to [0, 1]."""
    return np.clip(vals[m.ny : m.ny + m.na], 0.0, 1.0)


def _stage_sites(m: ArcModel, t0: float, time_limit: float | None, mip_gap: float) -> tuple[np.ndarray | None, Stage]:
    """First stage: fewest new sites. Returns ``[y | x]`` values (or ``None``) and the stage report."""
    greedy = greedy_capacitated(m.arc_matrix(), m.size, m.capacity, m.is_fixed)
    start = start_from_assignment(m, greedy) if greedy is not None else None
    greedy_obj = float(start[: m.ny].sum()) if start is not None else NAN
    a, lo, hi = build_rows(m)
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
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)
    out = milp.solve(model, start=start, time_limit=left, mip_gap=mip_gap)
    vals = out.x if out.x is not None else start
    if out.status == INFEASIBLE or vals is None:
        status = out.status if out.status != OPTIMAL else INFEASIBLE
        return None, Stage("sites", status, NAN, out.bound, NAN, out.seconds, out.nodes, greedy_obj)
    x = _x_clean(m, vals)
    used = np.bincount(m.arc_col[x > 1e-7], minlength=m.n_cols) > 0
    vals = np.concatenate([used[m.ycols].astype(np.float64), x])
    objective = float(vals[: m.ny].sum())
    bound = min(math.ceil(out.bound - 1e-6), objective) if np.isfinite(out.bound) else 0.0
    status = OPTIMAL if bound >= objective else out.status
    return vals, Stage(
        "sites",
        status,
        objective,
        float(bound),
        relative_gap(objective, bound),
        out.seconds,
        out.nodes,
        greedy_obj,
    )


def capacitated_lscp(
    costs: MatrixLike,
    demand_size: MatrixLike,
    capacity: MatrixLike,
    *,
    limit: float | None = None,
    fixed: MatrixLike | None = None,
    single_source: bool = False,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """Fewest new sites so every reachable demand is assigned within reach without exceeding capacities.

    Parameters
    ----------
    costs : array_like or scipy.sparse matrix, shape (n_demand, n_candidates)
        Costs; a stored entry (finite, for dense input) within ``limit`` is an allowed assignment.
    demand_size : array_like, shape (n_demand,)
        Size of each demand in capacity units (households, residents, infants).
    capacity : array_like or float, shape (n_candidates,)
        Capacity of each column in the same units, including fixed columns (``inf`` = unlimited).
    limit : float, optional
        Reach; ``None`` = every stored cost.
    fixed : sequence of int or boolean mask, optional
        Existing facilities: open, not counted in the objective, their capacity used first.
    single_source : bool
        Each demand served by one site (binary assignment) instead of split across sites.
    time_limit : float, optional
        Seconds for the whole call.
    mip_gap : float
        Relative gap at which the solver may stop.

    Returns
    -------
    SitingSolution
        ``objective`` = number of new sites; ``load`` and ``allocation`` give the assignment. Status
        ``infeasible`` (no sites, message naming demands) when capacities within reach cannot take
        every demand.

    Raises
    ------
    InputError
        Malformed inputs.
    """
    t0 = time.perf_counter()
    cover_shape = cover_pattern(costs, math.inf if limit is None else limit)[0].shape
    size = vector(demand_size, cover_shape[0], "demand_size")
    cap = _capacity(capacity, cover_shape[1], "capacity")
    m, uncoverable, unservable = _arc_model(costs, size, cap, limit, fixed, single_source)
    reduction = Reduction(m.n_rows, m.n_cols, m.rows.size, m.ny)
    if unservable.any():
        return _infeasible("capacitated_lscp", m, unservable, uncoverable, reduction, t0)
    vals, stage = _stage_sites(m, t0, time_limit, mip_gap)
    message = "" if vals is not None else _why(stage)
    x = _x_clean(m, vals) if vals is not None else None
    return _solution("capacitated_lscp", m, x, (stage,), t0, uncoverable, reduction, message)


def _why(stage: Stage) -> str:
    """Message for a first stage without solution."""
    if stage.status == INFEASIBLE:
        return "capacities within reach cannot take every demand together (HiGHS proved the model infeasible)"
    return f"no feasible assignment found before the solver stopped ({stage.status})"


def _infeasible(
    name: str, m: ArcModel, unservable: np.ndarray, uncoverable: np.ndarray, reduction: Reduction, t0: float
) -> SitingSolution:
    """Result for inputs where some demand cannot fit any site in reach."""
    bad = np.flatnonzero(unservable)
    msg = (
        f"{bad.size} demand(s) exceed the capacity of every site within reach "
        f"(rows {', '.join(map(str, bad[:10]))}{' ...' if bad.size > 10 else ''})"
    )
    log.warning("%s: %s", name, msg)
    stage = Stage("sites", INFEASIBLE, NAN, NAN, NAN, 0.0)
    return _solution(name, m, None, (stage,), t0, uncoverable, reduction, msg)


def sized_lscp(
    costs: MatrixLike,
    households: MatrixLike,
    *,
    rate: float,
    per: float = 100.0,
    min_size: float = 0.0,
    max_size: float | None = None,
    limit: float | None = None,
    fixed: MatrixLike | None = None,
    fixed_size: MatrixLike | None = None,
    single_source: bool = True,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> SitingSolution:
    """Fewest new sites, then least total new size, with each site sized by the standard for what it serves.

    A new site j serving households H_j needs ``max(min_size, rate × H_j / per)`` (e.g. ``rate=20, per=100,
    min_size=200``: 20 m² per 100 households, at least 200 m²).

    Parameters
    ----------
    costs : array_like or scipy.sparse matrix, shape (n_demand, n_candidates)
        Costs; a stored entry within ``limit`` is an allowed assignment.
    households : array_like, shape (n_demand,)
        Demand size (households, residents, infants) per demand.
    rate, per : float
        Size standard: ``rate`` units of size per ``per`` units of demand.
    min_size : float
        Smallest size of a new site.
    max_size : float, optional
        Largest size of a new site (``None`` = unlimited).
    limit : float, optional
        Reach; ``None`` = every stored cost.
    fixed : sequence of int or boolean mask, optional
        Existing facilities (open; they serve up to their ``fixed_size``; not counted, not enlarged).
    fixed_size : array_like or float, shape (n_candidates,), optional
        Size of each existing facility (entries of non-fixed columns ignored); required with ``fixed``,
        ``inf`` for unlimited.
    single_source : bool
        Each demand served by one site (default: a community belongs to one station's list).
    time_limit : float, optional
        Seconds for both stages together; the second stage gets what the first leaves.
    mip_gap : float
        Relative gap at which each stage may stop.

    Returns
    -------
    SitingSolution
        ``objective`` = number of new sites; ``sizes`` = required size per selected site;
        ``stages[1]`` = total new size (objective, bound, gap); ``served_by(j)`` lists a site's demands.

    Raises
    ------
    InputError
        Malformed inputs, or ``fixed`` without ``fixed_size``.
    """
    t0 = time.perf_counter()
    n_rows, n_cols = cover_pattern(costs, math.inf if limit is None else limit)[0].shape
    if not (np.isfinite(rate) and rate > 0 and np.isfinite(per) and per > 0 and min_size >= 0):
        msg = f"rate, per must be positive, min_size non-negative; got rate={rate}, per={per}, min={min_size}"
        raise InputError(msg)
    if max_size is not None and max_size < min_size:
        msg = f"max_size ({max_size}) is below min_size ({min_size})"
        raise InputError(msg)
    if fixed is not None and fixed_size is None:
        msg = "fixed facilities need fixed_size (their existing size per column; np.inf for unlimited)"
        raise InputError(msg)
    h = vector(households, n_rows, "households")
    factor = rate / per
    cap = np.full(n_cols, math.inf if max_size is None else max_size / factor)
    fixed_idx = fixed_columns(fixed, n_cols)
    if fixed_idx.size:
        cap[fixed_idx] = _capacity(fixed_size, n_cols, "fixed_size")[fixed_idx] / factor
    m, uncoverable, unservable = _arc_model(costs, h, cap, limit, fixed, single_source)
    reduction = Reduction(m.n_rows, m.n_cols, m.rows.size, m.ny)
    if unservable.any():
        return _infeasible("sized_lscp", m, unservable, uncoverable, reduction, t0)
    vals, first = _stage_sites(m, t0, time_limit, mip_gap)
    if vals is None:
        return _solution("sized_lscp", m, None, (first,), t0, uncoverable, reduction, _why(first))
    vals2, second = _stage_size(m, vals, int(first.objective), factor, min_size, t0, time_limit, mip_gap)
    log.info(
        "sized_lscp: %d sites (bound %g, %s), total size %.6g (bound %.6g, %s)",
        first.objective,
        first.bound,
        first.status,
        second.objective,
        second.bound,
        second.status,
    )
    return _solution(
        "sized_lscp",
        m,
        _x_clean(m, vals2),
        (first, second),
        t0,
        uncoverable,
        reduction,
        sizes_of=(factor, min_size),
    )


def _total_size(m: ArcModel, x: np.ndarray, factor: float, min_size: float) -> tuple[np.ndarray, float]:
    """Per-``y`` sizes and their total for arc values ``x``."""
    load = load_per_column(m, x)[m.ycols]
    used = np.bincount(m.arc_col[x > 1e-7], minlength=m.n_cols)[m.ycols] > 0
    sizes = np.where(used, np.maximum(min_size, factor * load), 0.0)
    return sizes, float(sizes.sum())


def _stage_size(
    m: ArcModel,
    vals: np.ndarray,
    k: int,
    factor: float,
    min_size: float,
    t0: float,
    time_limit: float | None,
    mip_gap: float,
) -> tuple[np.ndarray, Stage]:
    """Second stage: least total new size with at most ``k`` new sites, warm-started from stage one."""
    ny, na = m.ny, m.na
    x0 = _x_clean(m, vals)
    s0, total0 = _total_size(m, x0, factor, min_size)
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)
    if ny == 0 or (left is not None and left <= 0):
        status = OPTIMAL if ny == 0 else TIME_LIMIT
        bound = total0 if ny == 0 else 0.0
        return vals, Stage("total_size", status, total0, bound, relative_gap(total0, bound), 0.0, 0, total0)
    base, lo, hi = build_rows(m, extra_cols=ny)
    ypos = m.ypos()
    to_new = np.flatnonzero(ypos[m.arc_col] >= 0)
    # factor × Σ d_i x_a − s_j <= 0 ; min_size y_j − s_j <= 0 ; Σ y <= k
    load_rows = sp.csr_array(
        (
            np.concatenate([factor * m.size[m.arc_row[to_new]], -np.ones(ny)]),
            (
                np.concatenate([ypos[m.arc_col[to_new]], np.arange(ny)]),
                np.concatenate([ny + to_new, ny + na + np.arange(ny)]),
            ),
        ),
        shape=(ny, ny + na + ny),
    )
    min_rows = sp.hstack(
        [
            sp.diags_array(np.full(ny, float(min_size)), dtype=np.float64),
            sp.csr_array((ny, na)),
            -sp.eye_array(ny),
        ]
    )
    count_row = sp.hstack([np.ones((1, ny)), sp.csr_array((1, na + ny))])
    a = sp.csr_array(sp.vstack([base, load_rows, min_rows, count_row]))
    model = milp.Milp(
        c=np.concatenate([np.zeros(ny + na), np.ones(ny)]),
        a=a,
        row_lower=np.concatenate([lo, np.full(2 * ny + 1, -milp.INF)]),
        row_upper=np.concatenate([hi, np.zeros(2 * ny), [float(k)]]),
        lower=np.zeros(ny + na + ny),
        upper=np.concatenate([np.ones(ny + na), np.full(ny, milp.INF)]),
        integer=np.concatenate([np.ones(ny, dtype=bool), np.full(na, m.single_source), np.zeros(ny, dtype=bool)]),
    )
    start = np.concatenate([vals[: ny + na], s0])
    out = milp.solve(model, start=start, time_limit=left, mip_gap=mip_gap)
    best = vals
    if out.x is not None and _total_size(m, _x_clean(m, out.x), factor, min_size)[1] <= total0:
        best = out.x[: ny + na]
    total = _total_size(m, _x_clean(m, best), factor, min_size)[1]
    bound = min(out.bound, total) if np.isfinite(out.bound) else 0.0
    status = OPTIMAL if total - bound <= 1e-6 * max(1.0, total) else out.status
    return best, Stage(
        "total_size",
        status,
        total,
        float(bound),
        relative_gap(total, bound),
        out.seconds,
        out.nodes,
        total0,
    )
