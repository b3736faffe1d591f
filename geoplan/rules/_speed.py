"""Walking speed per reach rule, and the coverage of each reach rule at other speeds (sensitivity).

A reach rule may carry its own ``walk_speed_m_per_min`` (with ``walk_speed_source``) where the plan, or a
standard it cites, gives one — e.g. a slower pace for an elderly circle. Precedence: the command line (an
explicit override for the whole audit) > the rule's own speed > project > preset > settings.

Coverage at another speed needs no new shortest-path search: the reach rule has every community's walking
distance to its nearest facility, so coverage at speed *s* is the share with distance ≤ minutes × *s*. The
audit's search limit is made to cover the fastest speed of the table (:func:`search_distance_m`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan.rules.base import FAIL, PASS, RuleResult

#: Speeds of the sensitivity table, m/min: GB 50180-2018's 15-minute circle of 800 m (53 m/min), a
#: commonly used elderly pace (60 m/min = 3.6 km/h, r5py's default) and 4.5 km/h (75 m/min, osmnx examples).
SENSITIVITY_SPEEDS: Final = (53.0, 60.0, 75.0)
COMMAND_LINE: Final = "command line"


def rule_speed(params: Mapping[str, Any], speed: float, basis: str) -> tuple[float, str]:
    """The walking speed a reach rule uses and where it comes from.

    Parameters
    ----------
    params : mapping
        The rule's parameters (``walk_speed_m_per_min``, ``walk_speed_source`` optional).
    speed, basis : float, str
        The audit's speed and its basis (command line, project, preset parameter, settings default).
    """
    own = params.get("walk_speed_m_per_min")
    if own is None or basis == COMMAND_LINE:
        return float(speed), basis
    return float(own), f"rule: {params.get('walk_speed_source') or 'rule parameter'}"


def search_distance_m(rules: Iterable[Any], speed: float, basis: str) -> float:
    """The longest distance any reach rule (at its speed, or at the fastest sensitivity speed) needs."""
    longest = 0.0
    for rule in rules:
        if rule.kind != "reach":
            continue
        own, _ = rule_speed(rule.params, speed, basis)
        longest = max(longest, float(rule.params["minutes"]) * max(own, *SENSITIVITY_SPEEDS))
    return longest


def sensitivity(results: Mapping[str, RuleResult], communities: pd.DataFrame, speed: float, basis: str,
                speeds: Iterable[float] = SENSITIVITY_SPEEDS) -> pd.DataFrame:
    """Coverage of every reach rule at each speed, from the distances the audit measured.

    ``speed`` and ``basis`` are the audit's (as in :class:`~geoplan.rules.base.RuleContext`); each rule's row at
    the speed it was judged at (its own, or the audit's) is marked ``audit_speed`` and added when not one of
    ``speeds``.

    Returns
    -------
    DataFrame
        One row per (reach rule, speed): ``rule_id``, ``minutes``, ``speed_m_per_min``, ``distance_m``,
        ``covered`` (communities within the distance), ``evaluated`` (pass + fail at the audit's speed),
        ``coverage_pct`` and ``households_pct`` (households-weighted; NaN without households), and
        ``audit_speed`` (True on the row of the speed the rule was judged at).
    """
    rows = []
    households = pd.to_numeric(communities.get("households", pd.Series(np.nan, index=communities.index)),
                               errors="coerce")
    for rule_id, res in results.items():
        if res.rule.kind != "reach":
            continue
        table = res.table
        minutes = float(res.rule.params["minutes"])
        evaluated = table["status"].isin([PASS, FAIL]).to_numpy()
        dist = pd.to_numeric(table["value"], errors="coerce").to_numpy(dtype=float)
        used = rule_speed(res.rule.params, speed, basis)[0]
        for each in sorted({*(float(s) for s in speeds), used}):
            limit = minutes * each
            covered = evaluated & (np.nan_to_num(dist, nan=np.inf) <= limit + 1e-9)
            n = int(evaluated.sum())
            w = households.to_numpy(dtype=float)
            known = evaluated & np.isfinite(w)
            total = float(w[known].sum())
            rows.append({
                "rule_id": rule_id, "minutes": minutes, "speed_m_per_min": each, "distance_m": round(limit, 1),
                "covered": int(covered.sum()), "evaluated": n,
                "coverage_pct": round(100 * covered.sum() / n, 2) if n else np.nan,
                "households_pct": round(100 * w[covered & known].sum() / total, 2) if total > 0 else np.nan,
                "audit_speed": bool(np.isclose(each, used)),
            })
    return pd.DataFrame(rows, columns=["rule_id", "minutes", "speed_m_per_min", "distance_m", "covered",
                                       "evaluated", "coverage_pct", "households_pct", "audit_speed"])
