"""Assemble a gap map's HTML from a fixed skeleton, with data only ever as data.

No template engine touches the page: ``assets/gapmap.html`` is plain HTML with ``<!--geoplan:NAME-->``
slots, cut at its slots once and joined with the filled values in a single pass, so nothing inserted is
ever read again as markup or as template source. The only data in the page is the JSON payload (escaped
for a ``<script>`` element by :func:`geoplan.outputs._mapdata.script_json`) and the escaped ``<title>``;
``assets/gapmap.js`` reads the payload and sets every label as text.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from typing import Any

from geoplan import _hints
from geoplan._errors import OutputError
from geoplan.outputs import _assets
from geoplan.outputs._mapdata import script_json

#: id of the ``<script type="application/json">`` holding the payload.
DATA_ID = "geoplan-data"
#: ``<html lang>`` per map language: Chromium picks Chinese (not Japanese) Han glyphs from it.
HTML_LANG = {"zh": "zh-CN", "en": "en"}
_SLOT = re.compile(r"<!--geoplan:([a-z]+)-->")
_SLOTS = ("lang", "title", "head", "data")


@functools.cache
def skeleton() -> tuple[str, ...]:
    """The skeleton cut at its slots: literal, slot name, literal, slot name, ..., literal.

    Raises
    ------
    OutputError
        The skeleton is missing or its slots are not exactly :data:`_SLOTS`, once each.
    """
    text = _assets.vendored("gapmap.html").decode("utf-8")
    parts = tuple(_SLOT.split(text))
    if sorted(parts[1::2]) != sorted(_SLOTS):
        msg = f"map skeleton {_assets.ASSETS / 'gapmap.html'} must have the slots {_SLOTS} once each"
        raise OutputError(msg, hint=_hints.REPORT_BUG)
    return parts


def render_page(payload: Mapping[str, Any], *, title: str, lang: str, offline: bool) -> str:
    """The whole gap-map page.

    Parameters
    ----------
    payload : mapping
        Everything ``gapmap.js`` draws; JSON-serialisable, no NaN.
    title : str
        The page title (any text: it is escaped).
    lang : {"zh", "en"}
    offline : bool
        Inline Leaflet instead of linking the pinned CDN copies.
    """
    values = {
        "lang": HTML_LANG[lang],
        "title": html.escape(title, quote=True),
        "head": "\n".join(_assets.library_tags(offline) + _assets.runtime_tags()),
        "data": script_json(payload),
    }
    parts = skeleton()
    return "".join(part if k % 2 == 0 else values[part] for k, part in enumerate(parts))
