"""Siting: where to put new facilities so that the plan's standards are met.

Two packages and an adapter between them:

* :mod:`geoplan.siting.solver` — the location models on plain arrays (LSCP, MCLP, capacitated and sized
  LSCP, reductions, region decomposition, HiGHS), importing nothing of geoplan but errors and settings;
* :mod:`geoplan.siting.frames` — the same models on GeoDataFrames and a walking network (it builds the cost
  matrix, like spopt's ``from_geodataframe``);
* :mod:`geoplan.siting.planning` — from an audit to suggestions: candidates, demand, one planner per rule kind,
  sizing by the plan's standards, and the check by auditing again.

The public names of both are re-exported here.
"""

from __future__ import annotations

from geoplan.siting.solver import (
    INFEASIBLE,
    OPTIMAL,
    STOPPED,
    TIME_LIMIT,
    Reduction,
    SitingSolution,
    Stage,
    capacitated_lscp,
    cover_pattern,
    lscp,
    mclp,
    sized_lscp,
)

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

# The adapter on GeoDataFrames and the suggestions from an audit.
from geoplan.siting.frames import CostMatrix, cost_matrix, lscp_from_geodataframe, mclp_from_geodataframe
from geoplan.siting.planning import SitingResult, apply_suggestions, suggest_sites

__all__ += ["CostMatrix", "SitingResult", "apply_suggestions", "cost_matrix", "lscp_from_geodataframe",
            "mclp_from_geodataframe", "suggest_sites"]
