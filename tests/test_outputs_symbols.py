"""One symbol per plan facility type: fixed, distinct, covering every preset's types, drawn by the map runtime."""

from __future__ import annotations

import re

from geoplan.outputs import _assets
from geoplan.outputs._symbols import FALLBACK, SHAPES, SYMBOLS, symbol_of
from geoplan.presets import list_presets, load_preset
from geoplan.project import CANDIDATE_TYPE


def test_every_preset_type_has_its_own_symbol() -> None:
    terms = {t for name in list_presets() for t in load_preset(name).types} | {CANDIDATE_TYPE}
    assert sorted(terms - set(SYMBOLS)) == []


def test_symbols_are_distinct_valid_and_not_the_fallback() -> None:
    pairs = list(SYMBOLS.values())
    assert len(set(pairs)) == len(pairs)
    assert FALLBACK not in pairs
    assert all(re.fullmatch(r"#[0-9A-F]{6}", s.colour) and s.shape in SHAPES for s in [*pairs, FALLBACK])
    candidate = SYMBOLS[CANDIDATE_TYPE]
    assert all(s.colour != candidate.colour and s.shape != candidate.shape for t, s in SYMBOLS.items()
               if t != CANDIDATE_TYPE)


def test_unknown_type_gets_the_fallback() -> None:
    assert symbol_of("托育机构") == FALLBACK and symbol_of("childcare") == SYMBOLS["childcare"]


def test_runtime_draws_every_shape() -> None:
    runtime = _assets.vendored("gapmap.js").decode("utf-8")
    block = runtime[runtime.index("var SHAPES = {"): runtime.index("};", runtime.index("var SHAPES = {"))]
    assert all(re.search(rf"\b{shape}:", block) for shape in SHAPES)
