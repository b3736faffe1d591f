"""Write a project file: the small TOML subset of ``geoplan.toml`` (tables of scalars, lists and sub-tables)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from geoplan._errors import Hint, InputError

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(name: str) -> str:
    return name if _BARE.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{where}: {value!r} cannot be written to a project file"
            raise InputError(msg, hint=Hint(zh="只用有限的数值与可编码的文本",
                                            en="use finite numbers and encodable text only"))
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v, where)}" for k, v in value.items()) + " }"
    msg = f"{where}: value {value!r} of type {type(value).__name__} cannot be written to a project file"
    raise InputError(msg, hint=Hint(zh="只用文本、数字、布尔值、列表或表",
                                    en="use text, numbers, booleans, lists or tables only"))


def dumps(tables: Mapping[str, Mapping[str, Any]], header: str = "") -> str:
    """TOML text of ``{section: {key: value or {subkey: value}}}`` (sub-tables as ``[section.sub]``)."""
    lines = [f"# {line}" for line in header.splitlines()]
    for section, table in tables.items():
        lines.append(f"\n[{_key(section)}]")
        subs = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        lines += [f"{_key(str(k))} = {_value(v, f'[{section}] {k}')}" for k, v in table.items() if k not in subs]
        for sub, values in subs.items():
            lines.append(f"[{_key(section)}.{_key(str(sub))}]")
            lines += [f"{_key(str(k))} = {_value(v, f'[{section}.{sub}] {k}')}" for k, v in values.items()]
    return "\n".join(lines).lstrip("\n") + "\n"
