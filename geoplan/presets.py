"""Rule presets: read, validate and describe the plan presets in ``seeds/`` (or a user's copy of one).

A preset is data (``seeds/README.md`` is its schema): ``[preset]`` metadata, ``[parameters]``, the plan's
facility ``[types]`` and a list of ``[[rules]]``. :func:`load_preset` checks everything before it reports,
then raises one :class:`~geoplan._errors.PresetError` listing every problem, each with its line number.

Line numbers: ``tomllib`` reports positions for syntax errors only. For the semantic checks the text is
scanned once for table headers (``[preset]``, ``[[rules]]``, ``[rules.cite]``, ``[[rules.rows]]`` ...), each
``[[...]]`` numbered as TOML numbers array elements, and a problem at, say, ``rules[3].cite.quote`` is placed
on the ``quote =`` line inside the fourth ``[[rules]]`` block's ``[rules.cite]`` table; when the key is absent
(or lives in an inline table) the nearest enclosing line found is used. Multi-line strings that contain
lines looking like headers can mislead the scan; the message still names the key.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from geoplan import _hints
from geoplan._config import parse as toml_parse
from geoplan._config import read_text as toml_text
from geoplan._errors import Hint, PresetError
from geoplan._numeric import is_number
from geoplan.rules._scope import UNIT_TYPES
from geoplan.rules.base import Citation, Rule
from geoplan.rules.params import DENOMINATORS, MEASURE_SPEC, Spec

log = logging.getLogger(__name__)

#: Package holding the presets (``seeds/`` in the repository).
PACKAGE = "geoplan.seeds"

# ------------------------------------------------------------------------------------------------- schema
# A key's spec is (check, required). check is the name of a value check (see _check_value), a tuple of the
# allowed literal values, or a dict: a nested table with its own key specs. Keep this in step with the
# table in seeds/README.md; a rule kind's own keys are its plugin's ``params`` (geoplan.rules.KINDS), and its
# check_params runs after them.

TOP_KEYS: dict[str, Spec] = {
    "preset": ("table", True),
    "parameters": ("table", False),
    "types": ("table", True),
    "rules": ("rules", True),
}
PRESET_KEYS: dict[str, Spec] = {
    "id": ("preset_id", True),
    "title": ("str", True),
    "title_en": ("str", False),
    "document": ("str", True),
    "plan_file": ("str", True),
    "issued": ("str", False),
    "target_year": ("year", True),
    "new_build_from_year": ("year", True),
}
PARAMETER_KEYS: dict[str, Spec] = {
    "walk_speed_m_per_min": ("positive", False),
    "walk_speed_source": ("str", False),
}
TYPE_KEYS: dict[str, Spec] = {"zh": ("str", True), "en": ("str", True), "note": ("str", False),
                             "synonyms": ("types", False)}
CITE_KEYS: dict[str, Spec] = {"file": ("str", True), "clause": ("str", True), "quote": ("str", True)}
#: Keys every rule has or may have, whatever its kind.
RULE_KEYS: dict[str, Spec] = {
    "id": ("rule_id", True),
    "kind": ("str", True),
    "title_zh": ("str", True),
    "title_en": ("str", True),
    "cite": (CITE_KEYS, True),
    "target_rate": ("fraction", False),
    "target_year": ("year", False),
    "scope": (("all", "new", "existing", "urban"), False),
    "urban_class": (("city", "town"), False),
    "indicator_zh": ("str", False),
    "indicator_en": ("str", False),
    "note": ("str", False),
}
class _FromKinds(Mapping[str, Any]):
    """A live view of one attribute of every registered rule kind (geoplan.rules.KINDS), by kind name."""

    def __init__(self, attribute: str) -> None:
        self._attribute = attribute

    def _items(self) -> dict[str, Any]:
        return {name: getattr(kind, self._attribute) for name, kind in _registered_kinds().items()
                if getattr(kind, self._attribute)}

    def __getitem__(self, key: str) -> Any:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())


#: Kind-specific parameters (the table in seeds/README.md): each registered kind's ``params``.
KIND_PARAMS: Mapping[str, Mapping[str, Spec]] = _FromKinds("params")
#: Exactly one of these key groups must be given, complete (provision: one rate, or a new/existing pair).
ONE_OF: Mapping[str, tuple[tuple[str, ...], ...]] = _FromKinds("one_of")

_TERM = re.compile(r"^[a-z][a-z0-9_]*$")
_PRESET_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_RULE_META = ("id", "kind", "title_zh", "title_en", "cite")

Path_ = tuple[str | int, ...]
Problem = tuple[Path_, str]


# ------------------------------------------------------------------------------------------------ Preset
@dataclass(frozen=True)
class Preset:
    """A plan's rules, as read from one preset file.

    Attributes
    ----------
    id, title, document, plan_file : str
        From ``[preset]``; ``plan_file`` names the plan text in ``shared/policy``.
    target_year : int
        Year of the figures encoded (a rule's own ``target_year`` overrides it).
    new_build_from_year : int
        Compounds built in or after this year are "new" for provision rules.
    parameters : dict
        ``[parameters]`` (walking speed and its source).
    types : dict of str to dict
        Plan facility terms → ``{"zh": ..., "en": ...}``.
    rules : tuple of Rule
        In file order; ``Rule.params`` holds every key but id, kind, titles and cite.
    source : Path
        The file read.
    """

    id: str
    title: str
    document: str
    plan_file: str
    target_year: int
    new_build_from_year: int
    parameters: dict[str, Any]
    types: dict[str, dict[str, str]]
    rules: tuple[Rule, ...]
    source: Path
    title_en: str = ""
    issued: str = ""

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id.

        Raises
        ------
        PresetError
            When the preset has no such rule (the message lists its rule ids).
        """
        for r in self.rules:
            if r.id == rule_id:
                return r
        msg = f"preset {self.id!r} has no rule {rule_id!r}; its rules: {', '.join(r.id for r in self.rules)}"
        raise PresetError(msg, hint=Hint(zh="`geoplan presets show 预设名` 列出其规则编号",
                                         en="`geoplan presets show NAME` lists its rule ids"))


# ------------------------------------------------------------------------------------------------ public
def list_presets() -> list[str]:
    """Names of the presets shipped with geoplan, sorted (``seeds/*.toml`` without the suffix)."""
    root = importlib.resources.files(PACKAGE)
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


def load_preset(name_or_path: str | os.PathLike[str]) -> Preset:
    """Read and validate a preset, by name (see :func:`list_presets`) or as a path to a TOML file.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"quzhou-2022"``, or a path such as ``"my-city.toml"`` (anything ending in ``.toml`` or
        containing a path separator is taken as a path).

    Returns
    -------
    Preset

    Raises
    ------
    PresetError
        Unknown name (the message lists the available ones), missing file, TOML syntax error (with line
        and column), or every schema problem found, each with its line number.
    """
    text, source = _read(name_or_path)
    raw = toml_parse(text, source, "preset", PresetError)
    problems = _validate(raw)
    if problems:
        where = _Locator(text)
        located = sorted(((where.line_of(path), path, what) for path, what in problems), key=lambda t: t[0])
        lines = [f"line {n}: {_label(raw, path)}: {what}" for n, path, what in located]
        msg = f"{source}: {len(lines)} problem(s) in preset:\n  " + "\n  ".join(lines)
        raise PresetError(msg, hint=Hint(zh="逐项修改预设文件；每个键的写法见 docs/presets.md",
                                         en="fix each item in the preset file; every key is in docs/presets.md"))
    return _build(raw, source)


def preset_table() -> pd.DataFrame:
    """One row per shipped preset: id, title, document, plan file, years, rule count and kinds."""
    rows = []
    for name in list_presets():
        p = load_preset(name)
        kinds: dict[str, int] = {}
        for r in p.rules:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        rows.append({
            "id": p.id, "title": p.title, "document": p.document, "plan_file": p.plan_file,
            "target_year": p.target_year, "new_build_from_year": p.new_build_from_year, "rules": len(p.rules),
            "kinds": ", ".join(f"{k}×{n}" for k, n in kinds.items()),
        })
    return pd.DataFrame(rows, columns=["id", "title", "document", "plan_file", "target_year",
                                       "new_build_from_year", "rules", "kinds"])


def describe_preset(preset: Preset) -> str:
    """Readable text for ``geoplan presets show NAME``: metadata, types, and each rule with its citation."""
    speed = preset.parameters.get("walk_speed_m_per_min")
    out = [
        f"{preset.id} — {preset.title}" + (f" ({preset.title_en})" if preset.title_en else ""),
        f"document: {preset.document}" + (f", issued {preset.issued}" if preset.issued else ""),
        f"plan text: {preset.plan_file}; figures for {preset.target_year}; "
        f"new compounds: built in or after {preset.new_build_from_year}",
    ]
    if speed is not None:
        out.append(f"walking speed: {speed:g} m/min — {preset.parameters.get('walk_speed_source', '')}")
    out.append(f"source: {preset.source}")
    out.append("")
    out.append(f"types ({len(preset.types)}):")
    width = max((len(t) for t in preset.types), default=0)
    out += [f"  {t.ljust(width)}  {v['zh']} / {v['en']}" for t, v in preset.types.items()]
    out.append("")
    out.append(f"rules ({len(preset.rules)}):")
    for r in preset.rules:
        out.append(f"  {r.id}  [{r.kind}]  {r.title_zh} / {r.title_en}")
        rows = r.params.get("rows")
        for key, value in r.params.items():
            if key != "rows":
                out.append(f"      {key}: {_show(value)}")
        if isinstance(rows, list) and rows:
            cols = list(rows[0])
            out.append(f"      rows ({len(rows)}): " + " | ".join(cols))
            out += ["        " + " | ".join(_show(row.get(c, "")) for c in cols) for row in rows]
        out.append(f"      cite: {r.cite.file} {r.cite.clause}: “{r.cite.quote}”")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ reading
def _read(name_or_path: str | os.PathLike[str]) -> tuple[str, Path]:
    text_arg = os.fspath(name_or_path)
    is_path = text_arg.endswith(".toml") or os.sep in text_arg or "/" in text_arg
    if isinstance(name_or_path, os.PathLike) or is_path:
        path = Path(text_arg)
        if not path.is_file():
            msg = f"preset file not found: {path}"
            raise PresetError(msg, hint=Hint(zh="检查路径（相对于当前文件夹或项目文件）",
                                             en="check the path (relative to the current folder or the project file)"))
        return toml_text(path, "preset", PresetError), path
    names = list_presets()
    if text_arg not in names:
        msg = (f"unknown preset {text_arg!r}; available presets: {', '.join(names)}")
        raise PresetError(msg, hint=_hints.PRESET_NAMES)
    res = importlib.resources.files(PACKAGE) / f"{text_arg}.toml"
    return res.read_text(encoding="utf-8"), Path(str(res))


def _build(raw: Mapping[str, Any], source: Path) -> Preset:
    meta = raw["preset"]
    rules = tuple(
        Rule(
            id=r["id"], kind=r["kind"], title_zh=r["title_zh"], title_en=r["title_en"],
            cite=Citation(file=r["cite"]["file"], clause=r["cite"]["clause"], quote=r["cite"]["quote"]),
            params=MappingProxyType({k: v for k, v in r.items() if k not in _RULE_META}),
        )
        for r in raw["rules"]
    )
    return Preset(
        id=meta["id"], title=meta["title"], document=meta["document"], plan_file=meta["plan_file"],
        target_year=meta["target_year"], new_build_from_year=meta["new_build_from_year"],
        parameters=dict(raw.get("parameters", {})),
        types={k: dict(v) for k, v in raw["types"].items()},
        rules=rules, source=source, title_en=meta.get("title_en", ""), issued=meta.get("issued", ""),
    )


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, Mapping):
        return "{" + "; ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ------------------------------------------------------------------------------------------------ checks
def _validate(raw: Mapping[str, Any]) -> list[Problem]:
    problems = _check_table(raw, TOP_KEYS, ())
    if isinstance(raw.get("parameters"), Mapping):
        params = raw["parameters"]
        problems += _check_table(params, PARAMETER_KEYS, ("parameters",))
        if "walk_speed_m_per_min" in params and "walk_speed_source" not in params:
            problems.append((("parameters", "walk_speed_m_per_min"),
                             "missing walk_speed_source: say where the walking speed comes from"))
    if isinstance(raw.get("preset"), Mapping):
        problems += _check_table(raw["preset"], PRESET_KEYS, ("preset",))
    declared: set[str] = set()
    if isinstance(raw.get("types"), Mapping):
        for term, spec in raw["types"].items():
            declared.add(term)
            if not _TERM.match(term):
                problems.append((("types", term), f"type name {term!r} must match [a-z][a-z0-9_]*"))
            if isinstance(spec, Mapping):
                problems += _check_table(spec, TYPE_KEYS, ("types", term))
            else:
                problems.append((("types", term), "expected a table such as { zh = \"…\", en = \"…\" }"))
    rules = raw.get("rules")
    if isinstance(rules, list):
        seen: dict[str, int] = {}
        for i, rule in enumerate(rules):
            problems += _check_rule(rule, i, declared, seen)
    return problems


def _check_rule(rule: Mapping[str, Any], i: int, declared: set[str], seen: dict[str, int]) -> list[Problem]:
    base: Path_ = ("rules", i)
    rid = rule.get("id")
    if isinstance(rid, str):
        if rid in seen:
            return [((*base, "id"), f"duplicate rule id {rid!r} (first used by [[rules]] #{seen[rid] + 1})"),
                    *_check_rule_body(rule, base, declared)]
        seen[rid] = i
    return _check_rule_body(rule, base, declared)


def _check_rule_body(rule: Mapping[str, Any], base: Path_, declared: set[str]) -> list[Problem]:
    kind = rule.get("kind")
    speed_problems: list[Problem] = []
    if "walk_speed_m_per_min" in rule and "walk_speed_source" not in rule:
        speed_problems.append(((*base, "walk_speed_m_per_min"),
                               "missing walk_speed_source: say where the rule's walking speed comes from"))
    registered = _registered_kinds()
    known = sorted(registered)
    spec = dict(RULE_KEYS)
    problems: list[Problem] = []
    if isinstance(kind, str) and kind not in known:
        problems.append(((*base, "kind"), f"unknown kind {kind!r}; known kinds: {', '.join(known)}"))
    schema = KIND_PARAMS.get(kind) if isinstance(kind, str) else None
    if schema is not None:
        spec.update(schema)
    # unknown keys are reported only where the kind's parameters are known
    problems += _check_table(rule, spec, base, unknown_keys=schema is not None)
    if isinstance(kind, str) and kind in ONE_OF:
        problems += _check_one_of(rule, ONE_OF[kind], base)
    problems += speed_problems
    for path, terms in _type_refs(rule, base):
        for term in terms:
            if isinstance(term, str) and term not in declared:
                problems.append((path, f"type {term!r} is not declared in [types]"))
    if isinstance(kind, str) and kind in registered:
        flagged = {p[len(base)] for p, _ in problems if len(p) > len(base)}
        params = {k: v for k, v in rule.items() if k not in _RULE_META}
        for what in registered[kind].check_params(params):
            key = _key_named(str(what), params)
            if key not in flagged:
                problems.append(((*base, key) if key else base, f"{kind}: {what}"))
    return problems


def _check_one_of(rule: Mapping[str, Any], groups: tuple[tuple[str, ...], ...], base: Path_) -> list[Problem]:
    given = [g for g in groups if any(k in rule for k in g)]
    options = " or ".join(" + ".join(g) for g in groups)
    if len(given) != 1:
        where = given[1][0] if len(given) > 1 else None
        return [((*base, where) if where else base, f"give exactly one of {options}")]
    missing = [k for k in given[0] if k not in rule]
    return [((*base, given[0][0]), f"{given[0][0]} needs {', '.join(missing)} too")] if missing else []


def _check_table(
    table: Any, spec: Mapping[str, Spec], path: Path_, *, unknown_keys: bool = True
) -> list[Problem]:
    if not isinstance(table, Mapping):
        return [(path, f"expected a table, got {type(table).__name__}")]
    problems: list[Problem] = []
    for key, (check, required) in spec.items():
        if key in table:
            problems += _check_value(check, table[key], (*path, key))
        elif required:
            problems.append(((*path, key), "required key is missing"))
    if unknown_keys:
        for key in table:
            if key not in spec:
                problems.append(((*path, key), f"unknown key {key!r}; allowed: {', '.join(spec)}"))
    return problems


def _check_value(check: Any, value: Any, path: Path_) -> list[Problem]:
    if isinstance(check, dict):
        return _check_table(value, check, path)
    if isinstance(check, tuple):
        ok = any(type(value) is type(c) and value == c for c in check)
        return [] if ok else [(path, f"expected one of {', '.join(map(repr, check))}, got {_got(value)}")]
    if check == "denominator":
        if isinstance(value, Mapping):
            return _check_table(value, MEASURE_SPEC, path)
        return _check_value(DENOMINATORS, value, path)
    if check == "rows":
        return _check_rows(value, path)
    if check == "measures":
        if not isinstance(value, Mapping) or not value:
            return [(path, f"expected a table of measures, got {_got(value)}")]
        return [p for name, m in value.items() for p in _check_table(m, MEASURE_SPEC, (*path, name))]
    if check == "rules":
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            return [(path, "expected [[rules]] tables")]
        return []
    ok, expected = _SCALAR_CHECKS[check](value)
    return [] if ok else [(path, f"expected {expected}, got {_got(value)}")]


def _check_rows(value: Any, path: Path_) -> list[Problem]:
    if not isinstance(value, list) or not value or not all(isinstance(r, Mapping) for r in value):
        return [(path, "expected one or more [[rules.rows]] tables")]
    problems: list[Problem] = []
    for j, row in enumerate(value):
        if not isinstance(row.get("area"), str) or not row["area"]:
            problems.append(((*path, j, "area"), "each row needs area = \"<area name>\""))
        for key, v in row.items():
            if key != "area" and not _is_number(v):
                problems.append(((*path, j, key), f"expected a number, got {_got(v)}"))
    return problems


def _is_number(v: Any) -> bool:
    return is_number(v)  # finite: TOML's inf and nan are no minutes, distance or target


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_SCALAR_CHECKS: dict[str, Any] = {
    "str": lambda v: (isinstance(v, str) and v.strip() != "", "a non-empty string"),
    "table": lambda v: (isinstance(v, Mapping), "a table"),
    "number": lambda v: (_is_number(v), "a number"),
    "positive": lambda v: (_is_number(v) and v > 0, "a positive number"),
    "list": lambda v: (isinstance(v, list) and len(v) > 0, "a non-empty list"),
    "nonnegative": lambda v: (_is_number(v) and v >= 0, "a number ≥ 0"),
    "fraction": lambda v: (_is_number(v) and 0 <= v <= 1, "a share between 0 and 1 (0.6 for 60%)"),
    "count": lambda v: (_is_int(v) and v >= 1, "a whole number ≥ 1"),
    "year": lambda v: (_is_int(v) and 1900 <= v <= 2100, "a year like 2025"),
    "rule_id": lambda v: (isinstance(v, str) and bool(_TERM.match(v)), "an id of [a-z0-9_], starting a-z"),
    "preset_id": lambda v: (isinstance(v, str) and bool(_PRESET_ID.match(v)), "an id of [a-z0-9_-]"),
    "types": lambda v: (isinstance(v, list) and bool(v) and all(isinstance(t, str) for t in v),
                        "a non-empty list of type names"),
    "unit_types": lambda v: (isinstance(v, list) and bool(v) and all(t in UNIT_TYPES for t in v),
                             f"a list of unit types ({', '.join(UNIT_TYPES)})"),
}


def _got(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _type_refs(node: Any, path: Path_) -> Iterator[tuple[Path_, list[Any]]]:
    """Every ``types = [...]`` list in a rule, however deep (numerator, measures ...), with its path."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "types" and isinstance(value, list):
                yield (*path, key), value
            else:
                yield from _type_refs(value, (*path, key))
    elif isinstance(node, list):
        for j, value in enumerate(node):
            yield from _type_refs(value, (*path, j))


def _key_named(message: str, params: Mapping[str, Any]) -> str | None:
    """The parameter key a kind's check_params message is about (the first one it names), if any."""
    found = [(m.start(), k) for k in params if (m := re.search(rf"(?<![\w.]){re.escape(k)}(?!\w)", message))]
    return min(found)[1] if found else None


def _registered_kinds() -> Mapping[str, Any]:
    """geoplan.rules.KINDS, or empty when the rule modules cannot be imported (reported in the log)."""
    try:
        from geoplan.rules import KINDS
    except ImportError as exc:  # a rule module is missing or broken: validate the common keys only
        log.warning("rule kinds not importable (%s); only the keys every rule has are checked", exc)
        return {}
    return KINDS


def _label(raw: Mapping[str, Any], path: Path_) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = raw.get("rules")
        rule = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else {}
        rid = rule.get("id") if isinstance(rule, Mapping) else None
        head = f"[[rules]] #{path[1] + 1}" + (f" (id {rid!r})" if isinstance(rid, str) else "")
        rest = _dotted(path[2:])
        return head + (f", key {rest!r}" if rest else "")
    return f"key {_dotted(path)!r}" if path else "file"


def _dotted(path: Path_) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


# ------------------------------------------------------------------------------------------------ lines
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


class _Locator:
    """Line numbers of TOML keys, from a scan of table headers (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: list[tuple[Path_, int]] = [((), 0)]  # (resolved path, index of header line)
        counters: dict[Path_, int] = {}
        for n, line in enumerate(self.lines):
            m = _HEADER.match(line)
            if not m:
                continue
            comps = [c.strip().strip("\"'") for c in m.group(2).split(".")]
            resolved: Path_ = ()
            for j, comp in enumerate(comps):
                resolved = (*resolved, comp)
                if j == len(comps) - 1 and m.group(1) == "[[":
                    counters[resolved] = counters.get(resolved, -1) + 1
                    resolved = (*resolved, counters[resolved])
                elif resolved in counters:
                    resolved = (*resolved, counters[resolved])
            self.blocks.append((resolved, n))

    def line_of(self, path: Path_) -> int:
        """1-based line of a key path such as ``("rules", 3, "cite", "quote")``, or of what encloses it."""
        best_i, best_len = 0, -1
        for i, (bpath, _) in enumerate(self.blocks):
            if len(bpath) > best_len and path[: len(bpath)] == bpath:
                best_i, best_len = i, len(bpath)
        start = self.blocks[best_i][1]
        end = self.blocks[best_i + 1][1] if best_i + 1 < len(self.blocks) else len(self.lines)
        rest = [p for p in path[best_len:] if isinstance(p, str)]
        if rest:
            k = re.escape(rest[0])
            key = re.compile(rf"^\s*(?:\"{k}\"|'{k}'|{k})\s*[=.]")
            for n in range(start, end):
                if key.match(self.lines[n]):
                    return n + 1
        return start + 1
