"""One symbol per plan facility type: every preset's types covered, no two types alike, stable for others."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from geoplan.outputs._styles import STATUS_STYLE
from geoplan.outputs._symbols import COLOURS, FACILITY_SYMBOLS, SHAPES, facility_symbol
from geoplan.presets import list_presets, load_preset


def test_every_shipped_preset_type_has_its_own_symbol() -> None:
    terms = {term for name in list_presets() for term in load_preset(name).types}
    missing = sorted(terms - set(FACILITY_SYMBOLS))
    assert not missing, f"add these plan types to FACILITY_SYMBOLS: {missing}"


def test_no_two_types_share_a_symbol_and_none_looks_like_a_status() -> None:
    symbols = list(FACILITY_SYMBOLS.values())
    assert len(set(symbols)) == len(symbols)
    assert all(s.shape in SHAPES and s.colour in COLOURS for s in symbols)
    status_colours = {colour.upper() for colour, _ in STATUS_STYLE.values()}
    assert not status_colours & {c.upper() for c in COLOURS}


def test_known_terms_come_from_the_table() -> None:
    assert facility_symbol("childcare") == FACILITY_SYMBOLS["childcare"]
    assert facility_symbol("elderly_institution").shape == "square"


@given(st.text(min_size=1, max_size=30))
def test_any_other_term_gets_a_drawable_symbol_that_does_not_change(term: str) -> None:
    symbol = facility_symbol(term)
    assert symbol == facility_symbol(term)
    assert symbol.shape in SHAPES and symbol.colour in COLOURS


def test_the_gap_map_draws_each_type_with_the_same_symbol() -> None:
    from test_export_data import make_result

    from geoplan.outputs._mapdata import facilities_payload

    facilities = make_result().facilities
    data = facilities_payload(facilities, {}, {})
    assert {t["term"] for t in data["types"]} == set(facilities["facility_type"])
    for entry in data["types"]:
        assert (entry["color"], entry["shape"]) == tuple(facility_symbol(entry["term"]))
