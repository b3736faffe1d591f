"""One symbol per plan facility type, the same in every map and in QGIS.

A type keeps its colour and shape whatever other types a map shows (never assigned by order): elderly-care
types are greens and blues, childcare types pinks and purples, the rest earth tones; shapes differ within a
family. 候选站点 (``candidate``) is a grey cross, unlike every plan type; suggested new sites are drawn as
yellow stars by the maps themselves, so no type uses the star. Shapes are named as QGIS simple markers
(``square``, ``triangle``, ``diamond``, ``circle``, ``pentagon``, ``hexagon``, ``cross``).

Examples
--------
>>> symbol_of("childcare")
Symbol(colour='#CC79A7', shape='triangle')
>>> symbol_of("something new") == FALLBACK
True
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["COLOURS", "FACILITY_SYMBOLS", "FALLBACK", "SHAPES", "SYMBOLS", "FacilitySymbol", "Symbol",
           "facility_symbol", "symbol_of"]


class Symbol(NamedTuple):
    """A marker: fill colour (``#RRGGBB``) and shape name."""

    colour: str
    shape: str


#: Every shape a symbol may have (the map runtime draws exactly these).
SHAPES: Final = ("square", "triangle", "diamond", "circle", "pentagon", "hexagon", "cross")

#: Plan type term -> symbol (terms as in the presets' ``[types]`` and ``candidate``).
SYMBOLS: Final[dict[str, Symbol]] = {
    # elderly care: greens / blue-greens
    "elderly_care": Symbol("#009E73", "square"),
    "elderly_day_care": Symbol("#009E73", "diamond"),
    "township_elderly_centre": Symbol("#009E73", "hexagon"),
    "elderly_institution": Symbol("#1B7837", "square"),
    "public_elderly_institution": Symbol("#1B7837", "pentagon"),
    "smart_elderly_home": Symbol("#1B7837", "diamond"),
    "embedded_elderly_home": Symbol("#1B7837", "hexagon"),
    "family_care_bed": Symbol("#56B4E9", "circle"),
    "dementia_care": Symbol("#56B4E9", "diamond"),
    "meal_service": Symbol("#56B4E9", "square"),
    "elderly_activity_centre": Symbol("#56B4E9", "pentagon"),
    "elderly_university": Symbol("#117733", "triangle"),
    "elderly_school": Symbol("#117733", "circle"),
    "kangyang_consortium": Symbol("#44AA99", "hexagon"),
    "rehab_centre": Symbol("#44AA99", "square"),
    "inclusive_elderly_institution": Symbol("#1B7837", "triangle"),
    "special_care_institution": Symbol("#1B7837", "circle"),
    "village_elderly_station": Symbol("#44AA99", "diamond"),
    "mutual_aid_elderly": Symbol("#44AA99", "pentagon"),
    # childcare: pinks / purples
    "childcare": Symbol("#CC79A7", "triangle"),
    "inclusive_childcare": Symbol("#CC79A7", "diamond"),
    "childcare_service_centre": Symbol("#882255", "hexagon"),
    "demonstration_childcare": Symbol("#882255", "triangle"),
    "demonstration_infant_station": Symbol("#882255", "diamond"),
    "public_kindergarten_childcare": Symbol("#CC79A7", "square"),
    "maternal_child_health": Symbol("#AA4499", "pentagon"),
    # other
    "fitness": Symbol("#E69F00", "circle"),
    "candidate": Symbol("#7F7F7F", "cross"),
}

#: Any type not in :data:`SYMBOLS` (a custom preset's, or an unmapped value).
FALLBACK: Final = Symbol("#666666", "circle")


def symbol_of(term: str) -> Symbol:
    """The symbol of a plan type term (:data:`FALLBACK` for unknown terms)."""
    return SYMBOLS.get(str(term), FALLBACK)


#: The names the GIS exports use for the same table (one table, two spellings of its API).
FacilitySymbol = Symbol
FACILITY_SYMBOLS: Final = SYMBOLS
facility_symbol = symbol_of
#: Every colour a facility symbol may take.
COLOURS: Final = tuple(sorted({s.colour for s in (*SYMBOLS.values(), FALLBACK)}))
