"""The rules' public wording (geoplan.rules.text), as siting's suggestions print it."""

from __future__ import annotations

from geoplan.rules import text


def test_figures_units_and_filters_in_words() -> None:
    assert (text.fmt(200.0), text.fmt(319.4), text.fmt(1 / 3), text.fmt(float("nan"))) == ("200", "319.40", "0.33",
                                                                                           "NaN")
    assert text.unit_of("floor_area_m2") == "m²" and text.unit_of("no_such_field") == "no_such_field"
    assert text.filter_text({"field": "floor_area_m2", "op": ">=", "value": 2000}) == "floor_area_m2 >= 2000"
    assert text.filter_text(None) == ""
