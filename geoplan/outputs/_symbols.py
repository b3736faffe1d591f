"""One symbol per plan facility type, the same in every map geoplan draws and in QGIS.

The table is keyed by the plan's type terms (the ``[types]`` of every shipped preset), so a 养老机构 is the
same blue-green square in the gap map of any city, in the suggestion maps and in the QGIS project. Shapes
are the five both renderers draw (QGIS ``SimpleMarker`` names); colours are Okabe-Ito and Tol hues, none of
them the pass blue or fail vermillion of the status colours. Elderly-care terms take circle, square or
diamond (community, institution, learning/activity), childcare terms triangle, health and other services star.

A term no preset knows (a project's own type) gets a symbol from its name's CRC-32, so it too keeps its
symbol from one map and one run to the next.

Examples
--------
>>> facility_symbol("childcare")
FacilitySymbol(colour='#E69F00', shape='triangle')
"""

from __future__ import annotations

import zlib
from typing import Final, NamedTuple

#: Marker shapes drawn by both the HTML map and QGIS.
SHAPES: Final = ("circle", "square", "diamond", "triangle", "star")
#: Facility colours (no status blue #0072B2, no fail vermillion #D55E00).
COLOURS: Final = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#882255", "#44AA99")


class FacilitySymbol(NamedTuple):
    """A facility type's marker: ``colour`` (``#rrggbb``) and ``shape`` (one of :data:`SHAPES`)."""

    colour: str
    shape: str


_E, _P, _O, _S, _K, _Y, _W, _T = COLOURS
#: Plan type term → symbol. Every (colour, shape) pair is used once.
FACILITY_SYMBOLS: Final[dict[str, FacilitySymbol]] = {
    # elderly care in the community: circles
    "elderly_care": FacilitySymbol(_E, "circle"),
    "elderly_day_care": FacilitySymbol(_P, "circle"),
    "township_elderly_centre": FacilitySymbol(_O, "circle"),
    "village_elderly_station": FacilitySymbol(_S, "circle"),
    "mutual_aid_elderly": FacilitySymbol(_Y, "circle"),
    "meal_service": FacilitySymbol(_W, "circle"),
    "family_care_bed": FacilitySymbol(_T, "circle"),
    # elderly-care institutions (beds): squares
    "elderly_institution": FacilitySymbol(_E, "square"),
    "special_care_institution": FacilitySymbol(_P, "square"),
    "public_elderly_institution": FacilitySymbol(_O, "square"),
    "inclusive_elderly_institution": FacilitySymbol(_S, "square"),
    "smart_elderly_home": FacilitySymbol(_K, "square"),
    "embedded_elderly_home": FacilitySymbol(_Y, "square"),
    "dementia_care": FacilitySymbol(_W, "square"),
    # elderly learning and activity: diamonds
    "elderly_university": FacilitySymbol(_E, "diamond"),
    "elderly_school": FacilitySymbol(_P, "diamond"),
    "elderly_activity_centre": FacilitySymbol(_O, "diamond"),
    "kangyang_consortium": FacilitySymbol(_S, "diamond"),
    # childcare (0-3): triangles
    "childcare": FacilitySymbol(_O, "triangle"),
    "inclusive_childcare": FacilitySymbol(_E, "triangle"),
    "demonstration_childcare": FacilitySymbol(_P, "triangle"),
    "public_kindergarten_childcare": FacilitySymbol(_S, "triangle"),
    "childcare_service_centre": FacilitySymbol(_W, "triangle"),
    "demonstration_infant_station": FacilitySymbol(_T, "triangle"),
    # health and other services: stars
    "rehab_centre": FacilitySymbol(_E, "star"),
    "maternal_child_health": FacilitySymbol(_P, "star"),
    "fitness": FacilitySymbol(_S, "star"),
}


def facility_symbol(term: str) -> FacilitySymbol:
    """The symbol of a facility type term: from :data:`FACILITY_SYMBOLS`, else fixed by the term's CRC-32."""
    known = FACILITY_SYMBOLS.get(term)
    if known is not None:
        return known
    code = zlib.crc32(term.encode("utf-8"))
    return FacilitySymbol(COLOURS[code % len(COLOURS)], SHAPES[(code // len(COLOURS)) % len(SHAPES)])
