"""Second stage of the sized model on one part: least total new size with the first stage's number of sites.

A new site j serving load ``L_j`` needs ``max(m, f L_j)`` (``f`` = rate / per, ``m`` = min_size). Written as
``f L_j + u_j`` with the *shortfall* ``u_j >= m y_j - Σ_a c_a x_a``, ``u_j >= 0``, over the arcs a = (i, j):
the objective is ``Σ_a f d_i x_a + Σ_j u_j``. With single sourcing ``c_a = min(f d_i, m)``: one demand that
alone fills the minimum size zeroes the shortfall, which is exact for binary ``x`` and a tighter LP than
``c_a = f d_i`` (used for split assignment). The count row is ``Σ y = k`` when the first stage proved ``k``
minimal (fewer sites are impossible, and the equality keeps the LP from opening fractions of sites) and
``Σ y <= k`` otherwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from geoplan.siting.solver import milp
from geoplan.siting.solver.arc_model import ArcModel, build_rows
from geoplan.siting.solver.result import OPTIMAL, TIME_LIMIT


@dataclass(frozen=True)
class SizeRule:
    """The size standard: ``max(min_size, factor × load)`` per new site.

    Attributes
    ----------
    factor : float
        Size per unit of demand (rate / per).
    min_size : float
        Smallest size of a new site.
    """

    factor: float
    min_size: float

    def total(self, m: ArcModel, x: np.ndarray) -> float:
        """Total size of the new sites used by arc values ``x``."""
        new = ~m.is_fixed[m.arc_col] & (x > 1e-7)
        load = np.bincount(m.arc_col[new], weights=x[new] * m.size[m.arc_row[new]], minlength=m.n_cols)
        used = np.bincount(m.arc_col[new], minlength=m.n_cols) > 0
        return float(np.maximum(self.min_size, self.factor * load[used]).sum())


@dataclass(frozen=True)
class SizeOutcome:
    """Result of the second stage on one part.

    Attributes
    ----------
    y : ndarray of bool
        Open new sites (per ``ycols``).
    x : ndarray
        Arc values.
    status : str
    objective, bound : float
        Total size of the open sites (model units; shortfall of sites opened for size-0 demands included)
        and the proven lower bound.
    seconds : float
    nodes : int
    start_objective : float
        Objective of the first-stage solution (the warm start).
    """

    y: np.ndarray
    x: np.ndarray
    status: str
    objective: float
    bound: float
    seconds: float
    nodes: int
    start_objective: float


def _shortfall_coef(m: ArcModel, rule: SizeRule) -> tuple[np.ndarray, np.ndarray]:
    """Arcs to new sites and their coefficient ``c_a`` in the shortfall rows."""
    to_new = np.flatnonzero(m.ypos()[m.arc_col] >= 0)
    d = m.size[m.arc_row[to_new]]
    coef = np.minimum(rule.factor * d, rule.min_size) if m.single_source else rule.factor * d
    return to_new, coef


def _shortfall(m: ArcModel, y: np.ndarray, x: np.ndarray, rule: SizeRule) -> np.ndarray:
    """Smallest feasible ``u`` for ``(y, x)``."""
    to_new, coef = _shortfall_coef(m, rule)
    filled = np.bincount(m.ypos()[m.arc_col[to_new]], weights=coef * x[to_new], minlength=m.ny)
    return np.maximum(rule.min_size * y - filled, 0.0)


def _model(m: ArcModel, cover: sp.csr_array, k: int, exact: bool, rule: SizeRule) -> milp.Milp:
    """The ``[y | x | u]`` program of the part."""
    ny, na = m.ny, m.na
    base, lo, hi = build_rows(m, extra_cols=ny, cover=cover)
    ypos = m.ypos()
    to_new, coef = _shortfall_coef(m, rule)
    d = m.size[m.arc_row[to_new]]
    # m y_j - Σ c_a x_a - u_j <= 0
    short = sp.csr_array(
        (
            np.concatenate([np.full(ny, rule.min_size), -coef, -np.ones(ny)]),
            (
                np.concatenate([np.arange(ny), ypos[m.arc_col[to_new]], np.arange(ny)]),
                np.concatenate([np.arange(ny), ny + to_new, ny + na + np.arange(ny)]),
            ),
        ),
        shape=(ny, ny + na + ny),
    )
    count = sp.csr_array((np.ones(ny), (np.zeros(ny, dtype=np.int64), np.arange(ny))), shape=(1, ny + na + ny))
    c = np.zeros(ny + na + ny)
    c[ny + to_new] = rule.factor * d
    c[ny + na :] = 1.0
    return milp.Milp(
        c=c,
        a=sp.csr_array(sp.vstack([base, short, count])),
        row_lower=np.concatenate([lo, np.full(ny, -milp.INF), [float(k) if exact else -milp.INF]]),
        row_upper=np.concatenate([hi, np.zeros(ny), [float(k)]]),
        lower=np.zeros(ny + na + ny),
        upper=np.concatenate([np.ones(ny + na), np.full(ny, milp.INF)]),
        integer=np.concatenate([np.ones(ny, dtype=bool), np.full(na, m.single_source), np.zeros(ny, dtype=bool)]),
    )


def _value(m: ArcModel, y: np.ndarray, x: np.ndarray, rule: SizeRule) -> float:
    """Objective of ``(y, x)``: sizes of the used sites plus ``min_size`` per open site serving no load."""
    new = ~m.is_fixed[m.arc_col] & (x > 1e-7)
    used = np.zeros(m.n_cols, dtype=bool)
    used[m.arc_col[new]] = True
    idle = int((y & ~used[m.ycols]).sum())
    return rule.total(m, x) + idle * rule.min_size


def solve_size(
    m: ArcModel,
    cover: sp.csr_array,
    y0: np.ndarray,
    x0: np.ndarray,
    k: int,
    exact: bool,
    rule: SizeRule,
    time_limit: float | None,
    mip_gap: float,
) -> SizeOutcome:
    """Least total size of one part with at most (``exact``: exactly) ``k`` new sites.

    Parameters
    ----------
    m : ArcModel
        The part's demands of positive size and their arcs.
    cover : scipy.sparse.csr_array
        The part's demands of size 0 (each needs an open new site among its entries).
    y0, x0 : ndarray
        First-stage solution (open sites per ``ycols``, arc values), the warm start.
    k : int
        Number of new sites of the first-stage solution.
    exact : bool
        ``k`` is proven minimal.
    rule : SizeRule
    time_limit : float, optional
        Seconds.
    mip_gap : float

    Returns
    -------
    SizeOutcome
    """
    exact = exact and int(y0.sum()) == k
    total0 = _value(m, y0, x0, rule)
    run = _Run(m, rule, y0, x0, total0, _trivial_bound(m, k, exact, rule), mip_gap)
    if run.done or (time_limit is not None and time_limit <= 0):
        return run.outcome(total0)
    t0 = time.perf_counter()
    model = _model(m, cover, k, exact, rule)
    # HiGHS proves the bound at the root LP here but is slow to find the matching solution on a whole part
    # (demo elderly rule: root LP 2 s, solution after 15 s of cuts and sub-MIPs). So: the LP bound; then the
    # sites the LP opens, even fractionally, plus the warm start's, with the assignment relaxed (a small,
    # easy MIP); then the exact assignment to the sites it picks. Only if that leaves a gap, the whole part.
    lp = milp.solve(model.relaxation(), time_limit=time_limit)
    run.add(lp, with_bound=lp.status == OPTIMAL, with_x=False)
    if lp.x is None or run.done:
        return run.outcome(total0, lp.status)
    _sites_from_lp(model, run, lp.x[: m.ny] > 1e-6, _left(t0, time_limit))
    if run.done:
        return run.outcome(total0)
    out = milp.solve(model, start=run.start(), time_limit=_left(t0, time_limit), mip_gap=mip_gap)
    run.add(out, with_bound=True)
    return run.outcome(total0, out.status)


def _sites_from_lp(model: milp.Milp, run: _Run, in_lp: np.ndarray, time_limit: float | None) -> None:
    """Best sites among those ``in_lp`` and the incumbent's (assignment relaxed), then their exact assignment."""
    ny = run.m.ny
    t0 = time.perf_counter()
    upper = model.upper.copy()
    upper[:ny][~(in_lp | run.y)] = 0.0
    integer = model.integer.copy()
    integer[ny:] = False
    relaxed = milp.solve(replace(model, upper=upper, integer=integer), start=run.start(), time_limit=time_limit)
    run.add(relaxed, with_bound=False, with_x=not run.m.single_source)
    if relaxed.x is None or not run.m.single_source or run.done:
        return
    sites = np.round(relaxed.x[:ny])
    lower, upper = model.lower.copy(), model.upper.copy()
    lower[:ny] = upper[:ny] = sites
    exact = milp.solve(replace(model, lower=lower, upper=upper), time_limit=_left(t0, time_limit))
    run.add(exact, with_bound=False)


def _left(t0: float, time_limit: float | None) -> float | None:
    """Seconds left of ``time_limit`` since ``t0``."""
    return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)


def _trivial_bound(m: ArcModel, k: int, exact: bool, rule: SizeRule) -> float:
    """``Σ max(min_size, f L_j) >= max(min_size × sites, f × load no existing facility can take)``."""
    can_fixed = np.zeros(m.rows.size, dtype=bool)
    can_fixed[m.arc_row[m.is_fixed[m.arc_col]]] = True
    return max(rule.min_size * k if exact else 0.0, rule.factor * float(m.size[~can_fixed].sum()))


class _Run:
    """Best solution and bound over the solves of one part."""

    def __init__(
        self, m: ArcModel, rule: SizeRule, y: np.ndarray, x: np.ndarray, total: float, bound: float, mip_gap: float
    ) -> None:
        self.m, self.rule = m, rule
        self.y, self.x, self.total, self.bound = y, x, total, bound
        self.mip_gap = mip_gap
        self.seconds = 0.0
        self.nodes = 0

    @property
    def done(self) -> bool:
        """The best solution is within ``mip_gap`` (at least 1e-6) of the bound."""
        return self.total - self.bound <= max(self.mip_gap, 1e-6) * max(1.0, abs(self.total))

    def add(self, out: milp.MilpOutcome, *, with_bound: bool, with_x: bool = True) -> None:
        """Take a solve's solution if better and (``with_bound``) its bound if higher."""
        m = self.m
        self.seconds += out.seconds
        self.nodes += max(out.nodes, 0)  # an LP reports -1
        if with_x and out.x is not None:
            y, x = out.x[: m.ny] > 0.5, np.clip(out.x[m.ny : m.ny + m.na], 0.0, 1.0)
            total = _value(m, y, x, self.rule)
            if total < self.total:
                self.y, self.x, self.total = y, x, total
        if with_bound and math.isfinite(out.bound):
            self.bound = max(self.bound, min(out.bound, self.total))

    def start(self) -> np.ndarray:
        """``[y | x | u]`` of the best solution."""
        y = self.y.astype(np.float64)
        return np.concatenate([y, self.x, _shortfall(self.m, y, self.x, self.rule)])

    def outcome(self, start_objective: float, status: str = TIME_LIMIT) -> SizeOutcome:
        """The result; ``status`` (of the last solve) unless the gap is closed."""
        return SizeOutcome(
            self.y,
            self.x,
            OPTIMAL if self.done else status,
            self.total,
            min(self.bound, self.total),
            self.seconds,
            self.nodes,
            start_objective,
        )
