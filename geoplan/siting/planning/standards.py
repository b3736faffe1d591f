"""Sizing a suggested site by the plan's standards: the floor area or places its served demand requires.

A reach rule says *where* (within N minutes' walk) but not *how big*; the preset's provision (配建) rules say
how much per 100 households or per 1000 residents. :func:`standard_for` finds the provision rule whose
facility types overlap the reach rule's, and :func:`required_size` applies it to the demand a site serves::

    size = max(min_site, rate × units / per)      e.g. 20 m² per 100 households, at least 200 m² per site

rounded up to a whole m² / place. Where the preset has no such rule the suggestion reports the demand served
(households, residents) and says that no sizing standard applies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from geoplan.rules import text as cm
from geoplan.rules.base import Rule

#: Text of a suggestion's ``size_basis`` when the preset has no standard for the facility types.
NO_STANDARD = "no sizing standard for these facility types in the preset: demand served reported only / 无配建标准"


@dataclass(frozen=True)
class Standard:
    """One provision standard, as used for sizing.

    Attributes
    ----------
    rule_id : str
        The provision rule it comes from.
    types : tuple of str
        The facility types it applies to (plan terms).
    measure : str
        ``floor_area_m2``, ``slots``, ``beds`` or ``outdoor_area_m2``.
    rate, per : float
        ``rate`` units of the measure per ``per`` units of demand.
    per_unit : str
        ``households`` or ``population``.
    min_site : float or None
        Smallest size of one site.
    note : str
        Anything the reader should know about how the standard was read (e.g. which of two rates).
    """

    rule_id: str
    types: tuple[str, ...]
    measure: str
    rate: float
    per: float
    per_unit: str
    min_site: float | None = None
    note: str = ""

    @property
    def unit(self) -> str:
        """Display unit of the measure (``m²``, ``托位 slots`` ...)."""
        return cm.unit_of(self.measure)

    def describe(self) -> str:
        """The standard in words, e.g. ``20 m² per 100 households, ≥ 200 m² per site (rule)``."""
        text = f"{cm.fmt(self.rate)} {self.unit} per {cm.fmt(self.per)} {self.per_unit}"
        if self.min_site is not None:
            text += f", ≥ {cm.fmt(self.min_site)} {self.unit} per site"
        text += f" ({self.rule_id}{'; ' + self.note if self.note else ''})"
        return text


def standard_for(rules: Iterable[Rule], types: Sequence[str]) -> Standard | None:
    """The first provision rule (preset order) whose facility types overlap ``types``, as a standard.

    Parameters
    ----------
    rules : iterable of Rule
        The preset's rules.
    types : sequence of str
        Facility types of the rule being sited (plan terms).

    Returns
    -------
    Standard or None
        None when no provision rule covers any of the types.
    """
    wanted = set(types)
    for rule in rules:
        p = rule.params
        if rule.kind != "provision" or not wanted & set(p.get("types", ())):
            continue
        note = ""
        if "rate" in p:
            rate = float(p["rate"])
        else:
            rate = float(p["rate_existing"])
            if float(p["rate_new"]) != rate:
                note = f"rate for existing compounds ({cm.fmt(rate)}; new compounds {cm.fmt(float(p['rate_new']))})"
        return Standard(
            rule_id=rule.id, types=tuple(t for t in p["types"] if t in wanted), measure=str(p["measure"]),
            rate=rate, per=float(p["per"]), per_unit=str(p.get("per_unit", "households")),
            min_site=float(p["min_site"]) if "min_site" in p else None, note=note,
        )
    return None


def required_size(units: float, standard: Standard) -> float:
    """Size a site serving ``units`` households (or residents) needs under ``standard``, rounded up.

    Parameters
    ----------
    units : float
        Households or residents served (``standard.per_unit``); NaN when unknown.
    standard : Standard

    Returns
    -------
    float
        ``max(min_site, rate × units / per)`` rounded up to a whole unit; NaN when ``units`` is NaN.

    Examples
    --------
    >>> s = Standard("r", ("elderly_care",), "floor_area_m2", 20.0, 100.0, "households", 200.0)
    >>> required_size(1597, s), required_size(600, s)
    (320.0, 200.0)
    """
    if not math.isfinite(units):
        return math.nan
    raw = standard.rate * max(units, 0.0) / standard.per
    size = max(raw, standard.min_site or 0.0)
    # Round up, but not past a whole number that float arithmetic missed by a hair (20 × 1500 / 100 = 300).
    return float(math.ceil(size - 1e-9))
