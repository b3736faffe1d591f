"""Siting core: where to put new facilities so that the plan's standards are met.

A cost-matrix core in the manner of spopt (demand rows × candidate columns, scipy.sparse, existing
facilities as fixed columns) that keeps no state on a model object: each function takes the matrices and
returns a frozen :class:`SitingSolution`. Models are reduced, warm-started from a greedy solution and
solved exactly by HiGHS (through highspy); under a time limit the best solution is returned with its
proven gap. City-scale covering models are first bounded and searched region by region
(:mod:`~geoplan.siting.regions`, :mod:`~geoplan.siting.decompose`, :mod:`~geoplan.siting.decompose_max`);
capacitated ones are solved per connected component (:mod:`~geoplan.siting.components`).

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
"""

from __future__ import annotations

from geoplan.siting.capacitated import capacitated_lscp, sized_lscp
from geoplan.siting.coverage import cover_pattern
from geoplan.siting.coverage_models import lscp, mclp
from geoplan.siting.result import INFEASIBLE, OPTIMAL, STOPPED, TIME_LIMIT, Reduction, SitingSolution, Stage

__all__ = [
    "INFEASIBLE",
    "OPTIMAL",
    "STOPPED",
    "TIME_LIMIT",
    "Reduction",
    "SitingSolution",
    "Stage",
    "capacitated_lscp",
    "cover_pattern",
    "lscp",
    "mclp",
    "sized_lscp",
]

# Suggestions from an audit (the adapter over the core above): see geoplan.siting.suggest.
from geoplan.siting.apply import apply_suggestions
from geoplan.siting.suggest import suggest_sites
from geoplan.siting.suggestions import SitingResult

__all__ += ["SitingResult", "apply_suggestions", "suggest_sites"]
