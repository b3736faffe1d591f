"""Siting planning: from an audit's failing rules to new facilities a planner can act on.

Per rule kind a planner (:mod:`.reach`, :mod:`.provision`, :mod:`.presence`, registered in
:mod:`.suggest`) reads what the audit found (:mod:`.reach_demand`), builds candidate sites
(:mod:`.candidates`), asks the solver (:mod:`geoplan.siting.solver`) where to put them, sizes them by the
preset's provision standards (:mod:`.standards`) and returns a :class:`~.plans.RulePlan`; :mod:`.plans`
assembles the rules' plans into a :class:`SitingResult`, and :mod:`.apply` audits again with the sites added.

Functions
---------
suggest_sites
    Suggested sites for the failing rules of an audit.
apply_suggestions
    The audit again with the suggested sites added to the facilities.
check_options
    Validate the siting options before the (slow) audit runs.
"""

from __future__ import annotations

from geoplan.siting.planning.apply import apply_suggestions
from geoplan.siting.planning.plans import RulePlan, SitingResult
from geoplan.siting.planning.suggest import check_options, suggest_sites

__all__ = ["RulePlan", "SitingResult", "apply_suggestions", "check_options", "suggest_sites"]
