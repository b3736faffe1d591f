"""Coverage / compliance rates over a result table, plain and weighted, as the plans phrase them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from geoplan.rules.base import FAIL, MEASURED, NOT_EVALUABLE, PASS


def pass_rate(status: pd.Series, weights: pd.Series | None = None) -> tuple[float, int, int]:
    """Share passing among evaluated features (pass + fail), optionally weighted.

    Returns (rate, n_evaluated, n_pass); rate is NaN when nothing could be evaluated. Features with an
    unknown weight are left out of the weighted rate (the count of such is reported by the caller).
    """
    evaluated = status.isin([PASS, FAIL])
    passed = status == PASS
    if weights is None:
        n = int(evaluated.sum())
        return (float(passed.sum()) / n if n else math.nan), n, int(passed.sum())
    w = pd.to_numeric(weights, errors="coerce")
    known = evaluated & w.notna()
    total = float(w[known].sum())
    return (float(w[known & passed].sum()) / total if total > 0 else math.nan), int(known.sum()), int(
        (known & passed).sum()
    )


def rate_indicator(
    rule_id: str,
    indicator_zh: str,
    indicator_en: str,
    status: pd.Series,
    target_rate: float | None,
    note: str,
    *,
    weights: pd.Series | None = None,
    weight_label: str = "",
    basis: str = MEASURED,
    area: str = "全部 all",
) -> dict[str, Any]:
    """One indicators-table row for a rate; shortfall = features still to fix to meet the target."""
    rate, n, n_pass = pass_rate(status, weights)
    n_ne = int((status == NOT_EVALUABLE).sum())
    shortfall: float = math.nan
    if target_rate is not None and weights is None and n:
        shortfall = float(max(0, math.ceil(target_rate * n - 1e-9) - n_pass))
    suffix = f"（按{weight_label}加权 weighted by {weight_label}）" if weights is not None else ""
    notes = [note, f"{n_pass}/{n} evaluated"]
    if n_ne:
        notes.append(f"{n_ne} not evaluable")
    return {
        "rule_id": rule_id,
        "indicator_zh": indicator_zh + suffix,
        "indicator_en": indicator_en + (f" (weighted by {weight_label})" if weights is not None else ""),
        "area": area,
        "measured": round(rate * 100, 2) if np.isfinite(rate) else math.nan,
        "target": None if target_rate is None else round(target_rate * 100, 2),
        "unit": "%",
        "shortfall": shortfall,
        "basis": basis if np.isfinite(rate) else NOT_EVALUABLE,
        "note": "; ".join(notes),
    }


__all__ = ["pass_rate", "rate_indicator"]
