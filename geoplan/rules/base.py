"""What every rule kind shares: the rule as data, its citation, the context it is evaluated in, its result.

A rule kind is a plugin: one module in :mod:`geoplan.rules` (or anywhere) building a :class:`RuleKind` — its
parameter schema and checks, ``evaluate``, its output fields and the hooks the audit, the maps, siting and
batch read — and one :func:`geoplan.rules.register` call (a line in :mod:`geoplan.rules`). Presets then name
it as ``kind``; nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.access import Access

#: Outcome of a rule for one feature.
PASS: Final = "pass"
FAIL: Final = "fail"
NOT_EVALUABLE: Final = "not_evaluable"
#: The rule does not apply to this feature (e.g. a new-build rule on an existing compound).
NOT_APPLICABLE: Final = "not_applicable"
STATUSES: Final = (PASS, FAIL, NOT_EVALUABLE, NOT_APPLICABLE)
#: Where a figure comes from: the data, a configured default (flagged), or nowhere.
MEASURED: Final = "measured"
ASSUMED: Final = "assumed"
#: Derived from measured figures by a stated formula (e.g. infants = residents × the census age share).
ESTIMATED: Final = "estimated"

Level = Literal["community", "facility", "admin", "area"]

#: Columns of every per-feature result table, in this order (extra kind-specific columns may follow).
RESULT_COLUMNS: Final = ("status", "value", "threshold", "unit", "shortfall", "basis", "reason")
#: Columns of the indicators table: one row per figure the plan states, phrased like the plan.
INDICATOR_COLUMNS: Final = (
    "rule_id", "indicator_zh", "indicator_en", "area", "measured", "target", "unit", "shortfall", "basis", "note",
)


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: plan file (in ``shared/policy``), clause, and a quote findable in the file."""

    file: str
    clause: str
    quote: str


@dataclass(frozen=True)
class Rule:
    """One checkable requirement of a plan, as read from a preset."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    cite: Citation
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at. Layers are in one metric CRS with canonical column names.

    communities : GeoDataFrame
        One row per input community, input order, index 0..n-1. Columns: community_id, name, households,
        population, build_year, admin_code (may be missing), source_row, flags; geometry = Point.
    facilities : GeoDataFrame
        facility_id, name, facility_type (plan term), source_type, floor_area_m2, slots, beds,
        community_id, admin_code, source_row, flags, plus ``assumed_*`` booleans for figures filled from a
        configured default; geometry = Point.
    access : Access
        Network (or labelled Euclidean) distances from communities to the nearest facility of given types.
    walk_speed_m_per_min : float
        Effective speed (command line > project > preset > settings); ``speed_basis`` says which. A reach
        rule's own ``walk_speed_m_per_min`` replaces it unless it came from the command line
        (:func:`geoplan.rules._speed.rule_speed`).
    """

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    access: Access
    walk_speed_m_per_min: float
    speed_basis: str
    admin_units: gpd.GeoDataFrame | None = None
    census: pd.DataFrame | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule.

    table : DataFrame
        Indexed like the layer named by ``level`` (communities, facilities, admin units) or by area name,
        with :data:`RESULT_COLUMNS` first. Every input feature has a row.
    indicators : DataFrame
        :data:`INDICATOR_COLUMNS`; the plan's figure(s) this rule measures.
    """

    rule: Rule
    level: Level
    table: pd.DataFrame
    indicators: pd.DataFrame


def indicators_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build an indicators table with the standard columns (missing keys become NA)."""
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


@dataclass(frozen=True)
class RuleKind:
    """One rule kind as a plugin: everything the rest of geoplan asks of a kind, in one place.

    Attributes
    ----------
    name : str
        The preset's ``kind`` string.
    params : mapping
        Parameter schema, ``key -> (check, required)`` (see :mod:`geoplan.rules.params`); preset validation
        reads it (unknown keys, missing keys, literal values).
    check_params : callable
        ``check_params(params) -> list[str]``: the kind's own checks beyond the schema (empty when fine).
    evaluate : callable
        ``evaluate(rule, ctx) -> RuleResult``.
    fields : tuple of str
        Columns of its result table beyond :data:`RESULT_COLUMNS` (what its outputs may carry).
    one_of : tuple of tuples
        Exactly one of these key groups must be given, complete (e.g. one rate, or a new/existing pair).
    planner : str or None
        The siting strategy that closes its gaps (a key of ``geoplan.siting`` ``PLANNERS``: "reach",
        "provision", "presence"), or None when no sites are suggested for it.
    site_fields : mapping
        How a suggested site of this kind becomes a facility: facility column -> suggestion column
        (e.g. provision ``{"community_id": "candidate_id"}``).
    map_layer : str or None
        "service_area": the maps draw the street ground within its walking distance; None: no map layer.
    minutes_override : bool
        ``audit(minutes=...)`` replaces its ``minutes``.
    own_walk_speed : bool
        A rule may carry its own walking speed, stated among the assumptions.
    area_level : bool
        A batch area's ``ratio_level`` sets its ``level``.
    """

    name: str
    params: Mapping[str, tuple[Any, bool]]
    check_params: Callable[[Mapping[str, Any]], list[str]]
    evaluate: Callable[[Rule, RuleContext], RuleResult]
    fields: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    planner: str | None = None
    site_fields: Mapping[str, str] = field(default_factory=dict)
    map_layer: Literal["service_area"] | None = None
    minutes_override: bool = False
    own_walk_speed: bool = False
    area_level: bool = False
