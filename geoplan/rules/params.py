"""The vocabulary of a rule kind's parameter schema (each kind's ``PARAMS``; checked by :mod:`geoplan.presets`).

A key's spec is ``(check, required)``. ``check`` is the name of a value check (see
``geoplan.presets._check_value``: "types", "positive", "count", "str", "list" ...), a tuple of the allowed
literal values, or a dict: a nested table with its own key specs.
"""

from __future__ import annotations

from typing import Any, Final

Spec = tuple[Any, bool]

#: Facility fields a rule may read (canonical columns of the facilities layer).
FIELDS: Final = (
    "floor_area_m2", "outdoor_area_m2", "land_area_m2", "slots", "beds", "nursing_beds", "dementia_beds",
)
#: What a ratio may be per.
DENOMINATORS: Final = ("population", "elderly_60", "infants_0_3")
#: A measure of the facilities: a count, or the sum of one field.
MEASURE_SPEC: Final[dict[str, Spec]] = {"types": ("types", True), "field": (("count", *FIELDS), True)}
#: Keep only facilities whose field compares so with a value.
FILTER_SPEC: Final[dict[str, Spec]] = {
    "field": (FIELDS, True),
    "op": ((">=", "<=", ">", "<", "==", "!="), True),
    "value": ("number", True),
}
