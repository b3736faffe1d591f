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

from geoplan import _hints
from geoplan._errors import InputError
from geoplan.siting.solver.arc_model import (
    ArcModel,
    allocation_matrix,
    load_per_column,
    main_site,
)
from geoplan.siting.solver.components import Part, Split, cover_choice, part_limits, split, used_sites
from geoplan.siting.solver.matrix import MatrixLike, cover_pattern, fixed_columns, vector
from geoplan.siting.solver.result import (
    INFEASIBLE,
    OPTIMAL,
    STOPPED,
    TIME_LIMIT,
    Reduction,
    SitingSolution,
    Stage,
    relative_gap,
)
from geoplan.siting.solver.stage_sites import PartResult, solve_sites
from geoplan.siting.solver.stage_size import SizeRule, solve_size
from geoplan.siting.solver.verify import Sizing, check_assignment

log = logging.getLogger(__name__)
NAN = float("nan")
#: Seconds any part may use even when its share of the time limit is smaller (small parts need milliseconds).
MIN_PART_SECONDS = 1.0
#: Split the model into independent components (switched off only to test that splitting changes nothing).
_DECOMPOSE = True


def _capacity(values: MatrixLike, n: int, name: str) -> np.ndarray:
    """Per-column capacity: scalar or length ``n``, non-negative, ``inf`` allowed."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"{name} has shape {arr.shape}; expected one value per column ({n},)"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"{name} must be non-negative (inf = unlimited); {name}[{first}] = {arr[first]}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
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
    first = stages[0]
    # Optimal only when every stage is: a least total size is no optimum if the number of sites is not.
    status = next((s.status for s in stages if s.status != OPTIMAL), OPTIMAL)
    fixed_idx = np.flatnonzero(m.is_fixed)
    solver_s = float(sum(s.seconds for s in stages))
    if x is None:
        none = np.full(m.n_rows, -1, dtype=np.int64)
        return SitingSolution(
            model=model_name,
            status=status,
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
        status=status,
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


def _stage_sites(
    full: ArcModel, parts: list[Part], t0: float, time_limit: float | None, mip_gap: float
) -> list[PartResult]:
    """First stage, part by part: fewest new sites."""
    return [
        solve_sites(full, part, limit, mip_gap) for part, limit in part_limits(parts, t0, time_limit, MIN_PART_SECONDS)
    ]


def _solved(results: list[PartResult]) -> bool:
    """Every part has a solution (else the whole model has none)."""
    return all(math.isfinite(r.stage.objective) for r in results)


def _combine(name: str, stages: list[Stage]) -> Stage:
    """One stage report for the parts: objectives, bounds, seconds and nodes add; optimal if every part is."""
    if not stages:
        return Stage(name, OPTIMAL, 0.0, 0.0, 0.0, 0.0, 0, 0.0)
    statuses = [s.status for s in stages]
    status = next((s for s in (INFEASIBLE, TIME_LIMIT, STOPPED) if s in statuses), OPTIMAL)
    objective = float(sum(s.objective for s in stages))
    bound = float(sum(s.bound for s in stages))
    return Stage(
        name,
        status,
        objective,
        bound,
        relative_gap(objective, bound),
        float(sum(s.seconds for s in stages)),
        int(sum(s.nodes for s in stages)),
        float(sum(s.greedy_objective for s in stages)),
    )


def _assemble(m: ArcModel, split: Split, results: list[PartResult]) -> np.ndarray:
    """Full-model arc values: preset arcs, each part's arcs, size-0 demands at their cheapest open site."""
    x = np.zeros(m.na)
    x[split.preset] = 1.0
    for part, res in zip(split.parts, results, strict=True):
        x[part.arcs] = res.x
        x[cover_choice(m, part, res.y)] = 1.0
    return x


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
    if unservable.any():
        return _infeasible("capacitated_lscp", m, unservable, uncoverable, _reduction(m, None), t0)
    parts = split(m, decompose=_DECOMPOSE)
    results = _stage_sites(m, parts.parts, t0, time_limit, mip_gap)
    stage = _combine("sites", [r.stage for r in results])
    x = _assemble(m, parts, results) if _solved(results) else None
    message = "" if x is not None else _why(stage)
    sol = _solution("capacitated_lscp", m, x, (stage,), t0, uncoverable, _reduction(m, parts), message)
    reach = cover_pattern(costs, math.inf if limit is None else limit)[0]
    check_assignment(sol, reach, size, cap, single_source=single_source, mip_gap=mip_gap)
    return sol


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
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    if max_size is not None and max_size < min_size:
        msg = f"max_size ({max_size}) is below min_size ({min_size})"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    if fixed is not None and fixed_size is None:
        msg = "fixed facilities need fixed_size (their existing size per column; np.inf for unlimited)"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    h = vector(households, n_rows, "households")
    factor = rate / per
    cap = np.full(n_cols, math.inf if max_size is None else max_size / factor)
    fixed_idx = fixed_columns(fixed, n_cols)
    if fixed_idx.size:
        cap[fixed_idx] = _capacity(fixed_size, n_cols, "fixed_size")[fixed_idx] / factor
    m, uncoverable, unservable = _arc_model(costs, h, cap, limit, fixed, single_source)
    if unservable.any():
        return _infeasible("sized_lscp", m, unservable, uncoverable, _reduction(m, None), t0)
    parts = split(m, decompose=_DECOMPOSE)
    reduction = _reduction(m, parts)
    results = _stage_sites(m, parts.parts, t0, time_limit, mip_gap)
    first = _combine("sites", [r.stage for r in results])
    if not _solved(results):
        return _solution("sized_lscp", m, None, (first,), t0, uncoverable, reduction, _why(first))
    rule = SizeRule(factor, min_size)
    results = _stage_size(m, parts.parts, results, rule, t0, time_limit, mip_gap)
    second = _combine("total_size", [r.stage for r in results])
    log.info(
        "sized_lscp: %d sites (bound %g, %s), total size %.6g (bound %.6g, %s)",
        first.objective,
        first.bound,
        first.status,
        second.objective,
        second.bound,
        second.status,
    )
    sol = _solution(
        "sized_lscp",
        m,
        _assemble(m, parts, results),
        (first, second),
        t0,
        uncoverable,
        reduction,
        sizes_of=(factor, min_size),
    )
    reach = cover_pattern(costs, math.inf if limit is None else limit)[0]
    sizing = Sizing(factor, min_size, max_size)
    check_assignment(sol, reach, h, cap, single_source=single_source, sizing=sizing, mip_gap=mip_gap)
    return sol


def _stage_size(
    full: ArcModel,
    parts: list[Part],
    sites: list[PartResult],
    rule: SizeRule,
    t0: float,
    time_limit: float | None,
    mip_gap: float,
) -> list[PartResult]:
    """Second stage, part by part: least total new size with the part's first-stage count of sites."""
    results = []
    for (part, limit), res in zip(part_limits(parts, t0, time_limit, MIN_PART_SECONDS), sites, strict=True):
        k = int(res.y.sum())
        out = solve_size(part.model, part.cover, res.y, res.x, k, res.stage.status == OPTIMAL, rule, limit, mip_gap)
        y = used_sites(full, part, out.y, out.x)
        total = rule.total(part.model, out.x) + rule.min_size * float((y & ~_serves_load(part.model, out.x)).sum())
        bound = min(out.bound, total)
        status = OPTIMAL if total - bound <= 1e-6 * max(1.0, total) else out.status
        stage = Stage(
            "total_size", status, total, bound, relative_gap(total, bound), out.seconds, out.nodes, out.start_objective
        )
        results.append(PartResult(y, out.x, stage))
    return results


def _serves_load(m: ArcModel, x: np.ndarray) -> np.ndarray:
    """Per ``ycols``: the new site serves some demand of positive size."""
    used = np.zeros(m.n_cols, dtype=bool)
    used[m.arc_col[x > 1e-7]] = True
    return used[m.ycols]


def _reduction(m: ArcModel, parts: Split | None) -> Reduction:
    """Model size before and after the reductions (of the first stage)."""
    if parts is None:
        return Reduction(m.n_rows, m.n_cols, m.rows.size, m.ny)
    rows = sum(p.model.rows.size + p.cover.shape[0] for p in parts.parts)
    cols = sum(p.model.ny for p in parts.parts)
    return Reduction(m.n_rows, m.n_cols, int(rows), int(cols))
