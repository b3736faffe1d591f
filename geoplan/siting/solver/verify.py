"""The last step of every siting model: check the solution against the caller's own matrix before returning it.

Whatever the reductions, the decomposition and HiGHS did, a :class:`~geoplan.siting.solver.result.SitingSolution`
leaves a model only if, recomputed from the caller's inputs:

* every demand some column reaches is served by an open column within reach (``covered``), except in MCLP;
* the objective is what the solution achieves (sites opened, or weight covered), the sizes and loads are
  what the allocation implies, and budgets (``p``) and capacities hold;
* the bound lies on the right side of the objective, and the status is ``optimal`` only when the two meet.

A failure is a defect in geoplan or its solver, never in the caller's data; it raises
:class:`SolutionCheckError` (one line naming the check) rather than return a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan._errors import GeoplanError, Hint
from geoplan.siting.solver.milp import tolerance
from geoplan.siting.solver.result import OPTIMAL, SitingSolution

#: Relative slack for loads against capacities and shares adding up to 1 (arc values come from an LP).
LOAD_TOL = 1e-6


class SolutionCheckError(GeoplanError, RuntimeError):
    """A siting solution failed its own check (a geoplan or solver defect; please report it)."""


def _fail(model: str, what: str) -> None:
    msg = f"{model}: the solution failed its check ({what})"
    raise SolutionCheckError(msg, hint=Hint(zh="这是 geoplan 或 HiGHS 的缺陷：请附上命令与数据报告此问题",
                                            en="this is a geoplan or HiGHS defect, please report it"))


def _open_mask(sol: SitingSolution, n_cols: int) -> np.ndarray:
    """Open columns (fixed and selected), after checking the indices."""
    sel, fixed = sol.selected, sol.fixed
    if sel.size and (sel.min() < 0 or sel.max() >= n_cols or np.unique(sel).size != sel.size):
        _fail(sol.model, "selected columns out of range or repeated")
    if np.intersect1d(sel, fixed).size:
        _fail(sol.model, "an existing facility is also listed as a new site")
    is_open = np.zeros(n_cols, dtype=bool)
    is_open[fixed] = True
    is_open[sel] = True
    return is_open


def check_bound(sol: SitingSolution, *, maximize: bool, mip_gap: float = 0.0) -> None:
    """The bound is on the right side of the objective; ``optimal`` only when they meet (within ``mip_gap``)."""
    if not np.isfinite(sol.objective):
        if sol.status == OPTIMAL:
            _fail(sol.model, "status optimal without a solution")
        return
    slack = tolerance(sol.objective)
    beyond = sol.bound - sol.objective if not maximize else sol.objective - sol.bound
    if np.isfinite(sol.bound) and beyond > slack:
        _fail(sol.model, f"bound {sol.bound:.10g} beyond the objective {sol.objective:.10g}")
    proven = tolerance(sol.objective, mip_gap)
    if sol.status == OPTIMAL and not (np.isfinite(sol.bound) and abs(sol.objective - sol.bound) <= proven):
        _fail(sol.model, f"status optimal with objective {sol.objective:.10g} and bound {sol.bound:.10g}")
    for stage in sol.stages:
        met = abs(stage.objective - stage.bound) <= tolerance(stage.objective, mip_gap)
        if stage.status == OPTIMAL and np.isfinite(stage.objective) and not met:
            _fail(sol.model, f"stage {stage.name} optimal with objective {stage.objective} and bound {stage.bound}")


def check_cover(
    sol: SitingSolution,
    cover: sp.csr_array,
    *,
    weights: np.ndarray | None = None,
    p: int | None = None,
    mip_gap: float = 0.0,
) -> None:
    """LSCP (``weights`` None) or MCLP: coverage, objective, budget and bound recomputed from ``cover``.

    Parameters
    ----------
    sol : SitingSolution
    cover : scipy.sparse.csr_array
        The caller's boolean coverage (demand × candidates), within reach.
    weights : ndarray, optional
        MCLP: weight per demand.
    p : int, optional
        MCLP: most new sites.
    mip_gap : float
        The gap the model was allowed to stop at ("optimal" within it).

    Raises
    ------
    SolutionCheckError
    """
    n_cols = cover.shape[1]
    is_open = _open_mask(sol, n_cols)
    reached = (cover @ is_open.astype(np.float64)) > 0
    if not np.array_equal(reached, sol.covered):
        _fail(sol.model, "the 'covered' flags are not what the open sites reach")
    if not np.array_equal(np.diff(cover.indptr) == 0, sol.uncoverable):
        _fail(sol.model, "the 'uncoverable' flags are not the demands no column reaches")
    served = sol.assignment >= 0
    if not np.array_equal(served, reached):
        _fail(sol.model, "a demand is assigned but not reached, or reached but not assigned")
    rows = np.flatnonzero(served)
    cols = sol.assignment[rows]
    if rows.size and (not is_open[cols].all() or not (cover[rows, cols] > 0).all()):
        _fail(sol.model, "a demand is assigned to a closed site or one out of reach")
    if weights is None:
        if (~reached & ~sol.uncoverable).any():
            _fail(sol.model, f"{int((~reached & ~sol.uncoverable).sum())} coverable demand(s) left uncovered")
        objective = float(sol.selected.size)
    else:
        if p is not None and sol.selected.size > p:
            _fail(sol.model, f"{sol.selected.size} new sites where p = {p}")
        objective = float(np.asarray(weights, dtype=np.float64)[reached].sum())
    if abs(objective - sol.objective) > tolerance(objective):
        _fail(sol.model, f"objective {sol.objective:.10g} reported, {objective:.10g} recomputed")
    check_bound(sol, maximize=weights is not None, mip_gap=mip_gap)


@dataclass(frozen=True)
class Sizing:
    """The size standard of a sized model, for its check.

    Attributes
    ----------
    factor : float
        Size per unit of demand.
    min_size : float
        Smallest new site.
    max_size : float or None
        Largest new site.
    """

    factor: float
    min_size: float
    max_size: float | None


def check_assignment(
    sol: SitingSolution,
    cover: sp.csr_array,
    size: np.ndarray,
    capacity: np.ndarray,
    *,
    single_source: bool,
    sizing: Sizing | None = None,
    mip_gap: float = 0.0,
) -> None:
    """Capacitated and sized models: allocation, loads, capacities, sizes and objectives recomputed.

    Parameters
    ----------
    sol : SitingSolution
    cover : scipy.sparse.csr_array
        The caller's boolean reach (demand × candidates).
    size : ndarray
        Demand size per demand.
    capacity : ndarray
        Capacity per column in demand units (``inf`` = none).
    single_source : bool
        Each demand served by one site.
    sizing : Sizing, optional
        The size standard (sized model).
    mip_gap : float
        The gap each stage was allowed to stop at.

    Raises
    ------
    SolutionCheckError
    """
    if sol.allocation is None or sol.load is None:
        if np.isfinite(sol.objective) or sol.status == OPTIMAL:
            _fail(sol.model, "an objective without an allocation")
        return
    n_cols = cover.shape[1]
    is_open = _open_mask(sol, n_cols)
    alloc = sp.coo_array(sol.allocation)
    if alloc.nnz and (not is_open[alloc.col].all() or not (cover[alloc.row, alloc.col] > 0).all()):
        _fail(sol.model, "demand allocated to a closed site or one out of reach")
    share = np.bincount(alloc.row, weights=alloc.data, minlength=cover.shape[0])
    positive = (size > 0) & ~sol.uncoverable
    if (np.abs(share[positive] - 1.0) > LOAD_TOL).any():
        _fail(sol.model, "a demand's shares do not add up to 1")
    if single_source and (np.bincount(alloc.row, minlength=cover.shape[0])[positive] > 1).any():
        _fail(sol.model, "a single-source demand is split between sites")
    reached = (cover @ is_open.astype(np.float64)) > 0
    if (~reached & ~sol.uncoverable).any():
        _fail(sol.model, "a coverable demand has no open site in reach")
    load = np.bincount(alloc.col, weights=alloc.data * size[alloc.row], minlength=n_cols)
    if (np.abs(load - sol.load) > LOAD_TOL * (1.0 + load)).any():
        _fail(sol.model, "loads are not what the allocation implies")
    if (load > capacity * (1.0 + LOAD_TOL) + LOAD_TOL).any():
        _fail(sol.model, "a site is loaded beyond its capacity")
    if abs(float(sol.selected.size) - sol.objective) > 0.5:
        _fail(sol.model, f"objective {sol.objective} reported for {sol.selected.size} new sites")
    if sizing is not None:
        _check_sizes(sol, load, sizing)
    check_bound(sol, maximize=False, mip_gap=mip_gap)


def _check_sizes(sol: SitingSolution, load: np.ndarray, sizing: Sizing) -> None:
    """Each new site's size is the standard's for its load; stage two's objective is their total."""
    if sol.sizes is None:
        _fail(sol.model, "no sizes")
        return
    need = np.maximum(sizing.min_size, sizing.factor * load[sol.selected])
    if (np.abs(sol.sizes - need) > LOAD_TOL * (1.0 + need)).any():
        _fail(sol.model, "a site's size is not the standard's for its load")
    if sizing.max_size is not None and (sol.sizes > sizing.max_size * (1.0 + LOAD_TOL)).any():
        _fail(sol.model, "a site is larger than the largest size allowed")
    if len(sol.stages) > 1 and np.isfinite(sol.stages[1].objective):
        total = float(sol.sizes.sum())
        if abs(total - sol.stages[1].objective) > tolerance(total) + LOAD_TOL * total:
            _fail(sol.model, f"total size {sol.stages[1].objective:.10g} reported, {total:.10g} recomputed")
