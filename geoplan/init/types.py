"""Propose a plan term for each facility-type value of the data, from the preset's own names.

Each value is compared with every term of the preset: its id ("childcare"), its Chinese name and the parts
of it ("特困人员供养服务设施(敬老院)" → "敬老院"), its English name, and its ``synonyms`` where the preset has
them. An exact match wins; then the term whose name is contained in the value (or contains it) with the
longest common text; then shared English words ("childcare_kindergarten" → "childcare"). A few words every
Chinese facility table uses and no plan spells out (幼儿园, 养老院, 福利院 …) point to a plan name, and only
count when the preset has that name. Values no term matches are left for the user and say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from geoplan.project import CANDIDATE_TYPE

#: Common words of facility tables → the preset term names (zh) they mean, tried in order where present.
COMMON_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "幼儿园": ("托育机构",),  # kindergartens run 托班 (2-3-year-olds): the mapped childcare supply
    "托儿所": ("托育机构",),
    "托育": ("托育机构",),
    "托班": ("托育机构",),
    "早教": ("托育机构",),
    "kindergarten": ("托育机构",),
    "养老院": ("养老机构",),
    "老年公寓": ("养老机构",),
    "福利院": ("养老机构",),
    "护理院": ("养老机构",),
    "颐养": ("养老机构",),
    "敬老院": ("敬老院", "养老机构"),
    "照料中心": ("日间照料中心", "社区居家养老服务设施(照料中心)"),
    "日照中心": ("日间照料中心",),
    "助餐": ("老年助餐点(老年食堂)",),
    "食堂": ("老年助餐点(老年食堂)",),
    "居家养老": ("社区居家养老服务设施(照料中心)",),
    "养老服务站": ("村(居)养老服务站", "社区居家养老服务设施(照料中心)"),
    "养老服务中心": ("乡镇(街道)养老服务中心",),
    "老年大学": ("老年大学",),
    "老年学校": ("老年学校(学堂、学习点)",),
    "健身": ("体育健身设施",),
    "体育": ("体育健身设施",),
}
#: Values that mark siting candidates (community centres, town halls, vacant public buildings).
CANDIDATE_WORDS: Final = ("candidate", "候选", "社区服务中心", "党群服务中心", "社区中心", "街道办", "community_centre",
                          "townhall", "闲置")

_SPLIT = re.compile(r"[()（）、,，/\s]+")
_WORDS = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class TypeProposal:
    """A data value, its rows, and the plan term proposed for it (None: the user must choose)."""

    value: str
    count: int
    term: str | None
    how: str


def _names(term: str, spec: Mapping[str, Any]) -> list[str]:
    names = [term.lower(), str(spec.get("zh", "")), str(spec.get("en", "")).lower()]
    zh = str(spec.get("zh", ""))
    names += [p for p in _SPLIT.split(zh) if len(p) >= 2]
    synonyms = spec.get("synonyms", ())
    if isinstance(synonyms, str):
        synonyms = (synonyms,)
    if isinstance(synonyms, Iterable):
        names += [str(s).lower() for s in synonyms if str(s).strip()]
    return [n for n in names if n]


def _by_zh(types: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for term, spec in types.items():
        zh = str(spec.get("zh", ""))
        out.setdefault(zh, term)
        for part in _SPLIT.split(zh):
            if len(part) >= 2:
                out.setdefault(part, term)
    return out


def propose(value: str, types: Mapping[str, Mapping[str, Any]]) -> tuple[str | None, str]:
    """The plan term proposed for one data value, and how it was found."""
    text = str(value).strip()
    low = text.lower()
    if any(w in low for w in CANDIDATE_WORDS):
        return CANDIDATE_TYPE, "a siting candidate (community centre, town hall …)"
    names = {term: _names(term, spec) for term, spec in types.items()}
    for term, ns in names.items():
        if low in ns or low.replace("-", "_").replace(" ", "_") == term:
            return term, "same name"
    best: tuple[int, str] | None = None
    for term, ns in names.items():
        for n in ns:
            # only a plan name inside the value: a value inside a longer name ("养老院" in "智慧养老院") is
            # a broader thing than that term
            if len(n) >= 2 and n in low and (best is None or len(n) > best[0]):
                best = (len(n), term)
    if best is not None:
        return best[1], f"name contains {types[best[1]].get('zh', best[1])!s}"
    zh_terms = _by_zh(types)
    for word, targets in COMMON_WORDS.items():
        if word in low:
            for target in targets:
                if target in zh_terms:
                    return zh_terms[target], f"{word!r} is a {target}"
    # every word of the term in the value ("childcare" in "childcare_kindergarten"); one shared word
    # ("elderly") is not enough
    words = set(_WORDS.findall(low))
    scored = [(len(tw), term) for term in types if (tw := set(_WORDS.findall(term))) and tw <= words]
    if scored:
        term = max(scored)[1]
        return term, "holds every word of the plan term"
    return None, "no plan term matches"


def propose_all(counts: Mapping[str, int], types: Mapping[str, Mapping[str, Any]]) -> list[TypeProposal]:
    """A proposal for every distinct value, most frequent first."""
    out = []
    for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        term, how = propose(value, types)
        out.append(TypeProposal(value, count, term, how))
    return out
