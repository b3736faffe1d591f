"""Rule kinds: one module each, registered here by their ``KIND`` string (see :mod:`geoplan.rules.base`)."""

from __future__ import annotations

from types import ModuleType

from geoplan.rules import catchment, count, presence, provision, ratio, reach, targets
from geoplan.rules._rates import pass_rate

#: kind string → module with ``check_params`` and ``evaluate``.
KINDS: dict[str, ModuleType] = {m.KIND: m for m in (reach, provision, presence, ratio, targets, count, catchment)}

__all__ = ["KINDS", "pass_rate"]
