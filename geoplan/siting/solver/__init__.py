"""Siting solver: covering and capacitated location models on plain arrays, in the manner of spopt.

A cost-matrix core (demand rows × candidate columns, dense or scipy.sparse, existing facilities as fixed
columns) that keeps no state on a model object: each function takes the matrices and returns a frozen
:class:`SitingSolution`. Models are reduced (:mod:`.reduce`), warm-started from a greedy solution
(:mod:`.greedy`, :mod:`.local`) and solved exactly by HiGHS (:mod:`.milp`); under a time limit the best
solution is returned with its proven gap, and every solution is recomputed from the caller's matrix
(:mod:`.verify`) before it is returned. City-scale covering models are bounded and searched region by region
(:mod:`.regions`, :mod:`.decompose_lscp`, :mod:`.decompose_mclp`); capacitated ones are solved per connected
component (:mod:`.components`, :mod:`.stage_sites`, :mod:`.stage_size`).

It imports nothing of geoplan but :mod:`geoplan._errors` and :mod:`geoplan.settings` (an import-linter
contract in ``pyproject.toml``), so it can be used, tested and benchmarked on arrays alone. The adapter taking
GeoDataFrames and a walking network is :mod:`geoplan.siting.frames`.

Functions
---------
lscp
    Fewest new sites covering every coverable demand.
mclp
    Most covered weight with p new sites.
capacitated_lscp
    Fewest new sites with demand sizes and site capacities (split or single-source assignment).
sized_lscp
    Fewest new sites, then least total size, a site's size being what its assigned demand needs.
recentre
    Move chosen sites towards the middle of what they serve without losing coverage.
cover_pattern
    The boolean coverage a cost matrix and a limit imply, as the models see it.
"""

from __future__ import annotations

from geoplan.siting.solver.capacitated import capacitated_lscp, sized_lscp
from geoplan.siting.solver.covering import lscp, mclp
from geoplan.siting.solver.matrix import cover_pattern
from geoplan.siting.solver.recentre import recentre
from geoplan.siting.solver.result import (
    INFEASIBLE,
    OPTIMAL,
    STOPPED,
    TIME_LIMIT,
    Reduction,
    SitingSolution,
    Stage,
)
from geoplan.siting.solver.verify import SolutionCheckError

__all__ = [
    "INFEASIBLE",
    "OPTIMAL",
    "STOPPED",
    "TIME_LIMIT",
    "Reduction",
    "SitingSolution",
    "SolutionCheckError",
    "Stage",
    "capacitated_lscp",
    "cover_pattern",
    "lscp",
    "mclp",
    "recentre",
    "sized_lscp",
]
