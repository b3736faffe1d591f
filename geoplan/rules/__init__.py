"""Rule kinds as plugins: one module each, registered here (see :class:`geoplan.rules.base.RuleKind`)."""

from __future__ import annotations

from geoplan._errors import Hint, PresetError
from geoplan.rules import catchment, count, presence, provision, ratio, reach, targets
from geoplan.rules._rates import pass_rate
from geoplan.rules.base import RuleKind

#: kind string → its plugin. Add a kind with :func:`register`.
KINDS: dict[str, RuleKind] = {}


def register(kind: RuleKind, *, replace: bool = False) -> RuleKind:
    """Register a rule kind, so that presets may name it.

    Parameters
    ----------
    kind : RuleKind
    replace : bool
        Allow replacing a kind of the same name (otherwise that is refused).

    Returns
    -------
    RuleKind
        ``kind``, so that a module may write ``PLUGIN = register(RuleKind(...))``.

    Raises
    ------
    PresetError
        When a different kind of that name is already registered.
    """
    if not replace and KINDS.get(kind.name, kind) is not kind:
        msg = f"rule kind {kind.name!r} is registered already; pass replace=True to replace it"
        raise PresetError(msg, hint=Hint(zh="换一个规则类型名称，或传入 replace=True 以替换",
                                         en="choose another kind name, or pass replace=True"))
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a registered kind (for tests and plugins that add a kind for one run)."""
    KINDS.pop(name, None)


for _module in (reach, provision, presence, ratio, targets, catchment, count):
    register(_module.PLUGIN)

__all__ = ["KINDS", "RuleKind", "pass_rate", "register", "unregister"]
