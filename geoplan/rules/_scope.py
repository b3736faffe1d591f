"""Which communities a rule applies to: all, newly built, or existing (by build year)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

SCOPES = ("all", "new", "existing")


def is_new(build_year: pd.Series, new_build_from_year: int) -> pd.Series:
    """True for compounds built in or after ``new_build_from_year``; NA where the year is unknown."""
    year = pd.to_numeric(build_year, errors="coerce")
    return (year >= new_build_from_year).astype("boolean").mask(year.isna())


def scope_mask(
    communities: pd.DataFrame, scope: str, options: Mapping[str, Any]
) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """(in_scope, reason-if-not) for a rule's ``scope``.

    A community of unknown build year is kept in scope for "new"/"existing" rules would be a guess, so it is
    out of scope with the reason given; rules that need the distinction report it as not evaluable instead.
    """
    n = len(communities)
    reason = np.full(n, "", dtype=object)
    if scope == "all":
        return np.ones(n, dtype=bool), reason
    year_from = int(options["new_build_from_year"])
    new = is_new(communities["build_year"], year_from)
    wanted = new if scope == "new" else ~new
    in_scope = wanted.fillna(False).to_numpy(dtype=bool)
    label = f"built ≥ {year_from}" if scope == "new" else f"built < {year_from}"
    reason[~in_scope] = f"rule applies to compounds {label} only / 仅适用于{'新建' if scope == 'new' else '已建成'}小区"
    reason[new.isna().to_numpy()] = "build year unknown: scope cannot be decided / 建成年份缺失"
    return in_scope, reason


def undecided(communities: pd.DataFrame, scope: str, options: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Communities whose scope cannot be decided (a new/existing rule, build year or cut-off year unknown).

    The rule's answer for them is not known, so they are ``not_evaluable``, not ``not_applicable``.
    """
    n = len(communities)
    if scope == "all":
        return np.zeros(n, dtype=bool)
    if options.get("new_build_from_year") is None:
        return np.ones(n, dtype=bool)
    return is_new(communities["build_year"], int(options["new_build_from_year"])).isna().to_numpy(dtype=bool)
