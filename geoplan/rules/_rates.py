"""Coverage / compliance rates over a result table, plain and weighted, as the plans phrase them.

Communities whose ``rate_excluded`` column holds a reason (an exact duplicate of an earlier row, a compound
outside the study area) keep their own status in every output but are counted by no rate: pass
``counted=counted_mask(communities)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from geoplan._rowchecks import RATE_EXCLUDED
from geoplan.rules.base import FAIL, MEASURED, NOT_EVALUABLE, PASS


def counted_mask(communities: pd.DataFrame) -> pd.Series | None:
    """True for communities that count in rates (no ``rate_excluded`` reason); None when all count."""
    if RATE_EXCLUDED not in communities.columns:
        return None
    reason = communities[RATE_EXCLUDED].astype(object).fillna("").astype(str)
    return (reason == "") if (reason != "").any() else None


def pass_rate(status: pd.Series, weights: pd.Series | None = None,
              counted: pd.Series | None = None) -> tuple[float, int, int]:
    """Share passing among evaluated features (pass + fail), optionally weighted.

    Returns (rate, n_evaluated, n_pass); rate is NaN when nothing could be evaluated. Features with an
    unknown weight are left out of the weighted rate (the count of such is reported by the caller), and so
    are features where ``counted`` is False (see :func:`counted_mask`).
    """
    evaluated = status.isin([PASS, FAIL])
    if counted is not None:
        evaluated &= counted.reindex(status.index).fillna(True).astype(bool).to_numpy()
    passed = evaluated & (status == PASS)
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
    counted: pd.Series | None = None,
) -> dict[str, Any]:
    """One indicators-table row for a rate; shortfall = features still to fix to meet the target."""
    rate, n, n_pass = pass_rate(status, weights, counted)
    n_ne = int((status == NOT_EVALUABLE).sum())
    n_out = 0 if counted is None else int((~counted.reindex(status.index).fillna(True).astype(bool)).sum())
    shortfall: float = math.nan
    if target_rate is not None and weights is None and n:
        shortfall = float(max(0, math.ceil(target_rate * n - 1e-9) - n_pass))
    suffix = f"（按{weight_label}加权 weighted by {weight_label}）" if weights is not None else ""
    notes = [note, f"{n_pass}/{n} evaluated"]
    if n_ne:
        notes.append(f"{n_ne} not evaluable")
    if n_out:
        notes.append(f"{n_out} left out of the rate (duplicates, outside the study area)")
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


__all__ = ["RATE_EXCLUDED", "counted_mask", "pass_rate", "rate_indicator"]
