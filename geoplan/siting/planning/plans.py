"""What siting suggestions are made of: per-rule pieces (:class:`RulePlan`) and the result (:class:`SitingResult`).

Each rule kind's adapter (:mod:`~geoplan.siting.planning.reach`, :mod:`~geoplan.siting.planning.provision`,
:mod:`~geoplan.siting.planning.presence`) returns a :class:`RulePlan` of plain rows; :func:`assemble` turns the
plans of all rules into the four tables of a :class:`SitingResult`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

#: Columns of :attr:`SitingResult.suggestions` (plus ``geometry``), in order.
SUGGESTION_COLUMNS: Final = (
    "site_id", "rule_id", "kind", "model", "source", "candidate_id", "name", "facility_type", "size_required",
    "size_unit", "size_measure", "size_basis", "communities_fixed", "n_fixed", "households_fixed",
    "households_served", "population_served", "unit_code", "suggestion",
)
#: Columns of :attr:`SitingResult.catchments` (plus ``geometry``).
CATCHMENT_COLUMNS: Final = ("site_id", "rule_id", "facility_type", "n_communities", "households_served")
#: Columns of :attr:`SitingResult.solutions`.
SOLUTION_COLUMNS: Final = (
    "rule_id", "kind", "model", "status", "objective", "objective_unit", "bound", "gap", "greedy_objective",
    "seconds", "solver_seconds", "n_demand", "n_candidates_given", "n_candidates_generated",
    "n_candidates_unusable", "n_fixed_facilities", "n_sites", "n_uncoverable", "threshold_m", "basis", "message",
    "size_status", "size_objective", "size_bound", "size_gap",
)
#: Columns of :attr:`SitingResult.uncoverable`.
UNCOVERABLE_COLUMNS: Final = ("rule_id", "feature_id", "name", "households", "reason")


@dataclass
class RulePlan:
    """The suggestions for one rule, as rows (dicts keyed by the column names above, plus ``geometry``)."""

    suggestions: list[dict[str, Any]] = field(default_factory=list)
    catchments: list[dict[str, Any]] = field(default_factory=list)
    solution: dict[str, Any] = field(default_factory=dict)
    uncoverable: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SitingResult:
    """Suggested new facilities that close an audit's gaps.

    Attributes
    ----------
    suggestions : GeoDataFrame
        One row per suggested site (:data:`SUGGESTION_COLUMNS`), points in ``crs``: ``site_id``
        (``<rule_id>-<n>``), the rule, ``kind`` (reach / provision / presence), ``model``, ``source``
        (given / generated candidate, compound, unit), ``facility_type`` (plan term the site would be),
        ``size_required`` in ``size_unit`` of ``size_measure`` with ``size_basis`` (the standard applied, or
        why none), ``communities_fixed`` (community ids, ``;``-joined) and ``n_fixed``, the households it
        fixes and serves, residents served, ``unit_code`` (presence), and ``suggestion`` (the advice in words).
    catchments : GeoDataFrame
        What each site serves (:data:`CATCHMENT_COLUMNS`): outline around the site and the communities whose
        nearest open site it is.
    solutions : DataFrame
        One row per rule (:data:`SOLUTION_COLUMNS`): solver status, objective, proven bound and gap, greedy
        warm start, times, model sizes; for the sized model also the second stage (least total size with
        that many sites: ``size_status``, ``size_objective``, ``size_bound``, ``size_gap``).
    uncoverable : DataFrame
        Failing communities (or units) no suggestion fixes, with the reason (:data:`UNCOVERABLE_COLUMNS`).
    crs : pyproj.CRS
        The audit's metric CRS.
    preset_id : str
        The preset whose rules were sited.
    notes : list of str
        Assumptions and anything else the reader should know, in words.
    """

    suggestions: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    solutions: pd.DataFrame
    uncoverable: pd.DataFrame
    crs: pyproj.CRS
    preset_id: str
    notes: list[str] = field(default_factory=list)

    def for_rule(self, rule_id: str) -> gpd.GeoDataFrame:
        """The suggestions of one rule."""
        return self.suggestions[self.suggestions["rule_id"] == rule_id]


def _layer(rows: Sequence[dict[str, Any]], columns: Iterable[str], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    cols = list(columns)
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    geoms = [r["geometry"] for r in rows]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs) if geoms else gpd.GeoSeries([], crs=crs),
                            crs=crs)


def assemble(plans: Sequence[RulePlan], crs: pyproj.CRS, preset_id: str, notes: list[str]) -> SitingResult:
    """Number the sites per rule and build the result's tables."""
    rows: list[dict[str, Any]] = []
    catch: list[dict[str, Any]] = []
    for plan in plans:
        for k, (row, c) in enumerate(zip(plan.suggestions, _pad(plan), strict=True)):
            site_id = f"{row['rule_id']}-{k + 1:02d}"
            rows.append({**row, "site_id": site_id})
            if c is not None:
                catch.append({**c, "site_id": site_id})
    suggestions = _layer(rows, SUGGESTION_COLUMNS, crs)
    for col in ("n_fixed",):
        suggestions[col] = suggestions[col].astype("Int64")
    for col in ("size_required", "households_fixed", "households_served", "population_served"):
        suggestions[col] = pd.to_numeric(suggestions[col], errors="coerce").astype(float)
    solutions = pd.DataFrame([p.solution for p in plans], columns=list(SOLUTION_COLUMNS))
    uncoverable = pd.DataFrame([u for p in plans for u in p.uncoverable], columns=list(UNCOVERABLE_COLUMNS))
    return SitingResult(suggestions=suggestions, catchments=_layer(catch, CATCHMENT_COLUMNS, crs),
                        solutions=solutions, uncoverable=uncoverable, crs=crs, preset_id=preset_id, notes=notes)


def _pad(plan: RulePlan) -> list[dict[str, Any] | None]:
    """Catchments aligned with the suggestions (a suggestion may have none)."""
    out: list[dict[str, Any] | None] = [None] * len(plan.suggestions)
    for c in plan.catchments:
        out[int(c["index"])] = {k: v for k, v in c.items() if k != "index"}
    return out


def join_ids(ids: Iterable[Any]) -> str:
    """``;``-joined ids, as in ``communities_fixed``."""
    return ";".join(str(i) for i in ids)


def nan_sum(values: np.ndarray) -> float:
    """Sum ignoring NaN; NaN when every value is NaN (unknown, not zero)."""
    v = np.asarray(values, dtype=float)
    return float(np.nansum(v)) if np.isfinite(v).any() else float("nan")
