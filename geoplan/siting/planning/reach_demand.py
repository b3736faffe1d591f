"""What a reach rule's siting model must serve, read from an audit result (nothing recomputed).

Demand is the communities the audit found failing (or every evaluable community, ``demand="all"``), weighted
by the rule's ``weight`` (households or residents); the reach is the distance the audit used, read from the
result's ``<rule>__threshold`` column; the fixed columns are the existing facilities of the rule's types that
the audit could place on the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geoplan._errors import Hint, InputError
from geoplan.result import AuditResult
from geoplan.rules.base import FAIL, PASS, Rule

DemandMode = Literal["failing", "all"]
DEMAND_MODES: Final = ("failing", "all")


@dataclass(frozen=True)
class ReachDemand:
    """Inputs of one reach rule's siting model.

    Attributes
    ----------
    rule : Rule
    threshold_m : float
        Walking distance a site must be within (the audit's ``<rule>__threshold``).
    failing : int array
        Row positions of the communities that fail the rule.
    demand : int array
        Row positions of the demand rows of the model (``failing``, or every pass / fail community).
    evaluable : int array
        Row positions of every pass / fail community (what new and existing sites may serve).
    weight : float array
        Per community (all rows): the rule's weight column, NaN where unknown.
    weight_name : str
        ``households`` or ``population``.
    fixed : int array
        Row positions (in the facilities) of existing facilities of the rule's types usable as sources.
    """

    rule: Rule
    threshold_m: float
    failing: NDArray[np.int64]
    demand: NDArray[np.int64]
    evaluable: NDArray[np.int64]
    weight: NDArray[np.float64]
    weight_name: str
    fixed: NDArray[np.int64]


def threshold_of(result: AuditResult, rule_id: str) -> float:
    """The distance the audit used for a reach rule (its result table's ``threshold``).

    Raises
    ------
    InputError
        The result has no threshold for the rule (not a reach rule, or not in this audit).
    """
    table = result.rule_table(rule_id)
    values = (pd.to_numeric(table["threshold"], errors="coerce").dropna()
              if "threshold" in table.columns else pd.Series(dtype=float))
    if values.empty:
        msg = f"the audit has no threshold of {rule_id} with a value: was {rule_id} evaluated in this result?"
        raise InputError(msg, hint=Hint(zh="先用同一预设审计并包含该规则，再推荐选址",
                                        en="audit with this rule first (same preset), then site"))
    return float(values.iloc[0])


def reach_demand(result: AuditResult, rule: Rule, mode: DemandMode = "failing") -> ReachDemand:
    """Read one reach rule's demand, reach and existing facilities from an audit result.

    Parameters
    ----------
    result : AuditResult
    rule : Rule
        A reach rule of the result's preset.
    mode : {"failing", "all"}
        Demand rows: the failing communities, or every evaluable one (existing facilities then cover some).

    Returns
    -------
    ReachDemand
    """
    if mode not in DEMAND_MODES:
        msg = f"demand must be one of {', '.join(DEMAND_MODES)}, got {mode!r}"
        raise InputError(msg, hint=Hint(zh="--demand 用 failing 或 all", en="use --demand failing or all"))
    com = result.communities
    status = result.rule_table(rule.id)["status"].astype(object).to_numpy()
    failing = np.flatnonzero(status == FAIL).astype(np.int64)
    evaluable = np.flatnonzero(np.isin(status, [PASS, FAIL])).astype(np.int64)
    weight_name = str(rule.params.get("weight", "households"))
    weight = (pd.to_numeric(com[weight_name], errors="coerce").to_numpy(dtype=float)
              if weight_name in com.columns else np.full(len(com), np.nan))
    fac = result.facilities
    types = list(rule.params["types"])
    usable = fac["facility_type"].isin(types).to_numpy() & fac.geometry.notna().to_numpy()
    if result.network is not None and result.network.basis == "network":
        usable &= fac["attached"].fillna(False).astype(bool).to_numpy()
    return ReachDemand(
        rule=rule, threshold_m=threshold_of(result, rule.id), failing=failing,
        demand=failing if mode == "failing" else evaluable, evaluable=evaluable, weight=weight,
        weight_name=weight_name, fixed=np.flatnonzero(usable).astype(np.int64),
    )
