"""The audit's result object: plain tables, no hidden state.

Per-community results are kept two ways: ``findings`` (long: one row per feature and rule, every kind alike)
and wide columns on ``communities`` named ``<rule_id>__<field>`` (what maps and shapefiles need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

    from geoplan.access import Access
    from geoplan.audit import Inputs
    from geoplan.rules.base import RuleResult

#: Separator between rule id and field in the wide columns, e.g. ``reach_elderly_15__status``.
SEP = "__"


@dataclass(frozen=True)
class NetworkSummary:
    """What the distances were measured on."""

    source: str
    basis: str  # "network" or "euclidean x1.3 (no network given)"
    n_nodes: int
    n_edges: int
    max_snap_m: float
    communities_attached: int
    communities_total: int
    facilities_attached: int
    facilities_total: int


@dataclass(frozen=True)
class AuditResult:
    """Everything an audit produced.

    Attributes
    ----------
    title : str
        Project title, for maps and reports.
    preset_id, preset_title : str
        The rule preset used.
    communities : GeoDataFrame
        Every input community, input order, canonical columns + ``<rule_id>__<field>`` result columns
        (status, value, threshold, unit, shortfall, basis, reason, and kind extras such as
        ``facility_name`` and ``minutes``). Metric CRS (``crs``).
    facilities : GeoDataFrame
        Every input facility with ``attached`` (on the network) and its own rule results if any.
    admin_units : GeoDataFrame or None
        Admin units with presence / ratio results, when the preset has such rules.
    findings : DataFrame
        Long table: level, feature_index, feature_id, feature_name, rule_id, + RESULT_COLUMNS.
    indicators : DataFrame
        The plan's indicators (INDICATOR_COLUMNS), phrased like the plan.
    rule_results : dict
        rule id → :class:`~geoplan.rules.base.RuleResult`, for programmatic use.
    rules : DataFrame
        One row per rule: id, kind, titles, citation, parameters used.
    network : NetworkSummary or None
    crs : pyproj.CRS
        The metric CRS everything was measured in.
    assumptions : list of str
        Every configured default that was used, in words (also flagged per figure).
    created : str
        ISO date of the run (reports use it; pass ``created=`` to reproduce a report byte for byte).
    service_areas : GeoDataFrame or None
        Per reach rule, the ground within its walking distance of a facility, built from the network edges
        reached (:mod:`geoplan.service_areas`); None without a network or when not asked for.
    access : Access or None
        The layers' attachment to the network and the per-type distances the rules used (``access.network``
        is the walking network): a second evaluation, e.g. with suggested sites added, reuses the network.
    inputs : Inputs or None
        What the evaluation ran on (:func:`geoplan.audit.evaluate_inputs` runs it again, e.g. with sites added).
    """

    title: str
    preset_id: str
    preset_title: str
    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    admin_units: gpd.GeoDataFrame | None
    findings: pd.DataFrame
    indicators: pd.DataFrame
    rule_results: dict[str, RuleResult]
    rules: pd.DataFrame
    network: NetworkSummary | None
    crs: pyproj.CRS
    assumptions: list[str] = field(default_factory=list)
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    service_areas: gpd.GeoDataFrame | None = None
    access: Access | None = field(default=None, repr=False, compare=False)
    inputs: Inputs | None = field(default=None, repr=False, compare=False)

    def rule_table(self, rule_id: str, layer: str = "communities") -> pd.DataFrame:
        """One rule's typed result (its ``RuleResult.table``) row for row with a layer of this result.

        Parameters
        ----------
        rule_id : str
        layer : {"communities", "facilities", "admin_units"}
            Rows aligned by position with the communities or facilities, by ``unit_code`` with the admin units.

        Returns
        -------
        DataFrame
            Indexed like the layer; a row the rule has no result for is NA; no columns when the rule is not in
            this result or is of another level (a result holding only the flat columns, made by hand or read back,
            gives them by field name). Read this rather than the ``<rule_id>__<field>`` columns.
        """
        frame = getattr(self, layer)
        index = frame.index if frame is not None else pd.RangeIndex(0)
        res = self.rule_results.get(rule_id)
        if frame is not None and res is None:  # a result made from the flat columns only (by hand, read back)
            prefix = f"{rule_id}{SEP}"
            flat = [c for c in frame.columns if str(c).startswith(prefix)]
            return frame[flat].rename(columns=lambda c: str(c)[len(prefix):]) if flat else pd.DataFrame(index=index)
        if frame is None or res is None:
            return pd.DataFrame(index=index)
        codes = frame["unit_code"].astype(str).to_numpy() if layer == "admin_units" else None
        if codes is not None and (res.level == "admin" or (res.level == "area" and res.table.index.isin(codes).any())):
            table = res.table.reindex(codes)
        elif res.level == {"communities": "community", "facilities": "facility"}.get(layer):
            table = res.table.reindex(frame.index)
        else:
            return pd.DataFrame(index=index)
        table.index = index
        return table

    def rule_columns(self, rule_id: str) -> list[str]:
        """The wide community columns of one rule."""
        prefix = f"{rule_id}{SEP}"
        return [c for c in self.communities.columns if str(c).startswith(prefix)]
