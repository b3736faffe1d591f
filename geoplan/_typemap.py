"""Facility-type values and the plan's types: automatic mapping of the plan's own words, and what is left.

A project maps its data values to the preset's plan types in ``[facility_types]``. A value that *is* the plan's
word for a type needs no mapping: the type's Chinese name (``zh``), that name without its bracketed gloss
("老年助餐点(老年食堂)" → "老年助餐点"), or one of the type's ``synonyms`` in the preset, compared after Unicode
NFKC normalisation (full-width brackets, spaces). Such values are mapped automatically and the result says so.
A value mapped to no type makes its facilities count for no rule: the values are listed with their counts in
the console headline, the report and the result's assumptions, since one forgotten line can turn a real
coverage into a near-zero one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from geoplan.project import CANDIDATE_TYPE


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def plan_words(types: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Normalised plan word → type: each type's ``zh`` name, the name before its bracket, its ``synonyms``.

    A word claimed by two types is ambiguous and left out.
    """
    claims: dict[str, set[str]] = {}
    for term, spec in types.items():
        zh = str(spec.get("zh", ""))
        words = [zh, re.split(r"[(（]", zh)[0], *[str(s) for s in spec.get("synonyms", []) or []]]
        for word in words:
            if _norm(word):
                claims.setdefault(_norm(word), set()).add(term)
    return {word: next(iter(terms)) for word, terms in claims.items() if len(terms) == 1}


def auto_map(values: Iterable[Any], type_map: Mapping[str, str],
             types: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Data values (as written) that are a plan word and not mapped by the project: value → type."""
    words = plan_words(types)
    out: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip()
        if text in type_map or text in types or text in out:
            continue
        term = words.get(_norm(text))
        if term is not None:
            out[text] = term
    return out


def resolve_targets(type_map: Mapping[str, str],
                    types: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """``[facility_types]`` entries whose target is the plan's word for a type (not its key) read as that type."""
    words = plan_words(types)
    out: dict[str, str] = {}
    notes: list[str] = []
    for value, target in type_map.items():
        term = target if target in types else words.get(_norm(target))
        if term is not None and term != target:
            notes.append(f"[facility_types] {value!r} = {target!r} read as {term!r}, the preset's type of that name")
        out[value] = term if term is not None else target
    return out, notes


def unmapped_counts(facilities: pd.DataFrame, known: Iterable[str]) -> dict[str, int]:
    """Data values whose facilities have no plan type of the preset, with their counts (most first)."""
    if "source_type" not in facilities.columns or not len(facilities):
        return {}
    usable = {*known, CANDIDATE_TYPE}
    term = facilities["facility_type"]
    lost = ~term.isin(usable) | term.isna()
    source = facilities.loc[lost, "source_type"].astype(str).str.strip()
    counts = source[source != ""].value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def counts_text(counts: Mapping[str, int], limit: int = 8) -> str:
    """``"健身房 ×3, 卫生站 ×1"`` (at most ``limit`` values, then how many more)."""
    items = [f"{k} ×{v}" for k, v in counts.items()]
    more = f", … {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def notes(auto: Mapping[str, str], used: Mapping[str, int], unmapped: Mapping[str, int]) -> list[str]:
    """The assumptions' lines about facility types."""
    out = [f"facility type {value!r} ({used.get(value, 0)} rows) mapped to {term!r} automatically: it is the "
           "preset's word for that type; add it to [facility_types] to map it otherwise"
           for value, term in auto.items() if used.get(value, 0)]
    if unmapped:
        total = sum(unmapped.values())
        out.append(f"facility types not mapped to a plan type ({total} facilities used by no rule): "
                   f"{counts_text(unmapped)}; map them in [facility_types]")
    return out
