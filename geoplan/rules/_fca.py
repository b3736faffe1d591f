"""The two-step floating catchment (2SFCA / E2SFCA) on sparse facility-community pairs, with unknowns as bounds.

Step 1, per facility j: ``R_j = S_j / Σ_i W(d_ij) P_i`` over the communities i within its catchment.
Step 2, per community i: ``A_i = Σ_j W(d_ij) R_j`` over the facilities j whose catchment holds it.
``W`` is 1 (2SFCA) or a distance decay (E2SFCA: stepped weights, or Gaussian), the same in both steps, as in
Luo & Qi (2009) and PySAL ``access``.

Unknown figures are never zeros: a facility with unknown supply, or with demand of unknown size in its
catchment, gives each community a *lower* ratio (it contributes nothing) and an *upper* one (it contributes
everything it could: unknown supply → ∞; unknown demand → the known demand only). A community is decided
when both bounds fall on the same side of the standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DECAYS = ("none", "stepped", "gaussian")


def decay_weights(dist_m: FloatArray, decay: str, limit_m: float, *, steps_m: Sequence[tuple[float, float]] = (),
                  sigma_m: float = np.nan) -> FloatArray:
    """Weight of each pair by its distance: 1 (``none``), step weights, or ``exp(-d² / 2σ²)`` (``gaussian``).

    Stepped weights apply up to and including each step's distance (a distance beyond the last step weighs 0,
    as in PySAL ``access.weights.step_fn``). Pairs beyond ``limit_m`` weigh 0 whatever the decay.
    """
    d = np.asarray(dist_m, dtype=np.float64)
    if decay == "none":
        w = np.ones_like(d)
    elif decay == "stepped":
        w = np.zeros_like(d)
        done = np.zeros(d.shape, dtype=bool)
        for upper, weight in sorted(steps_m):
            hit = ~done & (d <= upper)
            w[hit] = weight
            done |= hit
    elif decay == "gaussian":
        w = np.exp(-d * d / (2.0 * sigma_m * sigma_m))
    else:
        msg = f"decay: one of {', '.join(DECAYS)}, got {decay!r}"
        raise ValueError(msg)
    return np.where(d <= limit_m, w, 0.0)


@dataclass(frozen=True)
class Fca:
    """Step results: per facility (ratio bounds, weighted demand) and per community (access bounds).

    ``access_low == access_high`` where every facility a community reaches has known supply and a catchment of
    known demand; the community's value is then exact.
    """

    ratio_low: FloatArray
    ratio_high: FloatArray
    weighted_demand: FloatArray
    unknown_demand: BoolArray
    access_low: FloatArray
    access_high: FloatArray
    n_reached: IntArray
    facilities_uncertain: IntArray


def two_step(fac: IntArray, com: IntArray, weight: FloatArray, supply: FloatArray, demand: FloatArray,
             demand_missing: BoolArray | None = None) -> Fca:
    """Run both steps over the pairs ``(fac[k], com[k])`` with weights ``weight[k]``.

    Parameters
    ----------
    fac, com : int arrays
        Facility and community positions of each pair.
    weight : float array
        Weight of each pair (pairs of weight 0 take no part).
    supply : float array, per facility
        Capacity (slots, beds, m²); NaN where unknown.
    demand : float array, per community
        Demand (residents, infants, elderly, households); NaN where unknown.
    demand_missing : bool array per facility, optional
        Facilities with demand in their catchment that no pair carries (e.g. a community off the network).

    Returns
    -------
    Fca
    """
    n_fac, n_com = supply.size, demand.size
    keep = weight > 0
    f, c, w = fac[keep], com[keep], weight[keep]
    p = demand[c]
    known_p = np.isfinite(p)
    dem = np.bincount(f, weights=np.where(known_p, w * p, 0.0), minlength=n_fac).astype(np.float64)
    unknown = np.bincount(f, weights=(~known_p).astype(float), minlength=n_fac) > 0
    if demand_missing is not None:
        unknown |= demand_missing
    s_known = np.isfinite(supply)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(dem > 0, supply / dem, 0.0)
    low = np.where(s_known & ~unknown, exact, 0.0)
    high = np.where(~s_known, np.inf, np.where(dem > 0, exact, np.where(unknown, np.inf, 0.0)))
    uncertain = (~s_known | unknown)[f]
    return Fca(
        ratio_low=low, ratio_high=high, weighted_demand=dem, unknown_demand=unknown,
        access_low=np.bincount(c, weights=w * low[f], minlength=n_com).astype(np.float64),
        access_high=_sum_with_inf(c, w * high[f], n_com),
        n_reached=np.bincount(c, minlength=n_com).astype(np.int64),
        facilities_uncertain=np.bincount(c, weights=uncertain.astype(float), minlength=n_com).astype(np.int64),
    )


def _sum_with_inf(index: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Sums per index that keep +inf (bincount would turn inf + finite into inf anyway; this says so)."""
    finite = np.isfinite(values)
    out = np.bincount(index[finite], weights=values[finite], minlength=n).astype(np.float64)
    out[np.unique(index[~finite])] = np.inf
    return out
