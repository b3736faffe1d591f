"""Words for people: the one translation table of statuses, bases, levels and units, and reasons in words.

Machine-readable outputs (GeoPackage, CSV, Shapefile) keep the stable codes (``pass``, ``measured``,
``childcare``) that QGIS styles and scripts read; the deliverables people read (the workbook, report.md,
report.docx) show the plans' words through this module: 达标/不达标/无法评估/不适用, the preset's Chinese
name of each facility type, distances in metres, no internal ids. ``lang`` is ``zh``, ``en`` or
``bilingual`` (``"达标 pass"``).

Reasons are free text written by the rules (English with ids, some with a Chinese gloss after " / "). A
failing reach rule's reason is rendered from its fields (types, distance, threshold); any other reason has
its type ids replaced by names, its Chinese gloss chosen in Chinese, and metres written as 米.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

#: Code → (Chinese, English) of every status, basis, level and unit a report shows.
WORDS: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "status": {
        "pass": ("达标", "pass"),
        "fail": ("不达标", "fail"),
        "not_evaluable": ("无法评估", "not evaluable"),
        "not_applicable": ("不适用", "not applicable"),
    },
    "basis": {
        "measured": ("实测", "measured"),
        "estimated": ("估算", "estimated"),
        "assumed": ("假设", "assumed"),
        "not_evaluable": ("无法评估", "not evaluable"),
    },
    "level": {
        "community": ("小区", "community"),
        "facility": ("设施", "facility"),
        "admin": ("行政区", "admin unit"),
        "area": ("全域", "whole area"),
    },
    "unit": {
        "m": ("米", "m"),
        "m²": ("平方米", "m²"),
        "m2": ("平方米", "m²"),
        "%": ("%", "%"),
        "min": ("分钟", "min"),
        "count": ("处", "sites"),
    },
}
LANGS: Final = ("zh", "en", "bilingual")
_CJK: Final = re.compile(r"[\u3400-\u9fff]")
_METRES: Final = re.compile(r"(\d[\d,]*(?:\.\d+)?) ?m\b(?!²|2)")
_EVALUATED: Final = re.compile(r"(\d+)/(\d+) evaluated")
_WEIGHTED: Final = re.compile(r"（按(\S+?) \S+?加权 weighted by [^）]*）")
_EDGE: Final = re.compile(r"(\d+) m from the network's edge: may be under-served only because the network ends here"
                          r"(?: / 临近路网边界)?")
_NOT_EVALUABLE: Final = re.compile(r"(\d+) not evaluable")
_SPEED: Final = re.compile(r"(\d+) ?m/min")
#: Field names that reasons quote, in the plans' words.
_FIELDS: Final = {"nursing_beds": "护理型床位数", "dementia_beds": "认知障碍照护床位数", "beds": "床位数",
                  "slots": "托位数", "households": "户数", "population": "人口", "build_year": "建成年份",
                  "floor_area_m2": "建筑面积"}
_SHORT_TYPES: Final = re.compile(r"([a-z][a-z0-9_]*)/… \((\d+) types\)")


def _pick(zh: str, en: str, lang: str) -> str:
    if lang == "en":
        return en
    if lang == "bilingual" and en and en != zh:
        return f"{zh} {en}"
    return zh


def word(kind: str, code: Any, lang: str = "zh") -> str:
    """The word for ``code`` of ``kind`` (status, basis, level, unit); an unknown code as given, "" for none."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return ""
    text = str(code)
    pair = WORDS.get(kind, {}).get(text)
    return _pick(*pair, lang) if pair else text


def type_name(term: str, types: Mapping[str, Mapping[str, str]], lang: str = "zh") -> str:
    """A facility type's name in the preset (``{"zh": .., "en": ..}``); the term itself when undeclared."""
    spec = types.get(term) or {}
    return _pick(str(spec.get("zh") or term), str(spec.get("en") or term), lang)


def type_list(terms: Sequence[str], types: Mapping[str, Mapping[str, str]], lang: str = "zh") -> str:
    """Type names joined the way the language joins them (、 in Chinese)."""
    names = [type_name(t, types, lang) for t in terms]
    return ("、" if lang != "en" else ", ").join(names)


def metres(value: float, lang: str = "zh") -> str:
    """A distance for people: whole metres with thousands separators."""
    return f"{value:,.0f}" + (" m" if lang == "en" else "米")


def _replace_types(text: str, types: Mapping[str, Mapping[str, str]], lang: str) -> str:
    text = _SHORT_TYPES.sub(lambda m: (f"{type_name(m[1], types, lang)}等{m[2]}类" if lang != "en"
                                        else f"{type_name(m[1], types, lang)} and {int(m[2]) - 1} more types"), text)
    for term in sorted(types, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(term)}(?![A-Za-z0-9_])", type_name(term, types, lang), text)
    return text


def _glossed(parts: list[str], lang: str) -> list[str]:
    """Of "english; more english / 中文" keep the Chinese gloss in Chinese (it covers the parts since the last
    gloss) and the English in English; bilingual keeps both."""
    out: list[str] = []
    pending: list[str] = []
    for part in parts:
        head, sep, tail = part.partition(" / ")
        if not sep or not _CJK.search(tail):
            pending.append(part)
            continue
        if lang == "en":
            out += [*pending, head]
        elif lang == "zh":
            out.append(tail)
        else:
            out += [*pending, part]
        pending = []
    return out + pending


def plain_text(text: str, types: Mapping[str, Mapping[str, str]], lang: str = "zh") -> str:
    """Free text from a rule (reason, note) for people: type names, metres, counts, the right gloss.

    Bilingual text keeps the rule's English and its Chinese gloss, with type names in both languages.
    """
    text = _WEIGHTED.sub(lambda m: f"（按{m[1]}加权）", text)
    if lang == "zh":
        text = _EDGE.sub(lambda m: f"距路网边界{m[1]}米，可能因路网在此截止而偏低", text)
    evaluated = {"zh": "{0}/{1} 达标/参评", "en": "{0} of {1} pass"}.get(lang, "{0}/{1} 达标/参评 pass/evaluated")
    text = _EVALUATED.sub(lambda m: evaluated.format(m[1], m[2]), text)
    parts = _glossed([p.strip() for p in text.split("; ")], lang)
    out = _replace_types("；".join(parts) if lang == "zh" else "; ".join(parts), types, lang)
    if lang != "zh":
        return out
    out = _NOT_EVALUABLE.sub(lambda m: f"{m[1]}个无法评估", out)
    out = _SPEED.sub(lambda m: f"{m[1]}米/分钟", out)
    for field, label in _FIELDS.items():
        out = re.sub(rf"(?<![A-Za-z0-9_]){field}(?![A-Za-z0-9_])", label, out)
    return _METRES.sub(lambda m: f"{m[1]}米", out)


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def reason_text(row: Mapping[Any, Any], params: Mapping[str, Any] | None, kind: str,
                types: Mapping[str, Mapping[str, str]], lang: str = "zh") -> str:
    """One finding's reason for people, from its fields where they say it all, else from its text.

    Parameters
    ----------
    row : mapping
        ``status``, ``value``, ``threshold``, ``unit``, ``shortfall``, ``reason`` of one finding.
    params : mapping or None
        The rule's parameters (``types`` of a reach rule).
    kind : str
        The rule's kind (``reach``, ``provision`` ...).
    types : mapping
        The preset's facility types (term → ``{"zh", "en"}``).
    lang : str
        ``zh``, ``en`` or ``bilingual``.
    """
    raw = str(row.get("reason") or "")
    if kind == "reach" and row.get("status") == "fail" and params and row.get("unit") == "m":
        return _reach_fail(row, list(params.get("types") or []), raw, types, lang)
    return plain_text(raw, types, lang) if raw else ""


def _reach_fail(row: Mapping[Any, Any], terms: list[str], raw: str,
                types: Mapping[str, Mapping[str, str]], lang: str) -> str:
    threshold, value = _num(row.get("threshold")), _num(row.get("value"))
    names = type_list(terms[:3], types, lang) + (("等" if lang != "en" else " …") if len(terms) > 3 else "")
    edge = [plain_text(p, types, lang) for p in raw.split("; ") if "network's edge" in p]
    if math.isfinite(value):
        zh = f"最近的{names}步行{metres(value)}，超出标准{metres(value - threshold)}"
        en = f"nearest {names} is {metres(value, 'en')} on foot, {metres(value - threshold, 'en')} beyond the standard"
    else:
        zh = f"步行{metres(threshold)}内无{names}"
        en = f"no {names} within {metres(threshold, 'en')} on foot"
    if "off the network" in raw:
        zh += "（此类设施未接入路网）"
        en += " (such facilities are off the network)"
    return "；".join([_pick(zh, en, lang) if lang != "en" else en, *edge])
