"""The JavaScript and CSS a gap map needs, inlined (offline) or linked from a CDN (online).

Vendored files are listed with their sha256 in ``assets/MANIFEST.json`` (written by
``assets/fetch_assets.py``); they are checked on first use so a truncated or hand-edited copy fails loudly
instead of producing a map that silently does not draw.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from pathlib import Path

from geoplan import _hints
from geoplan._errors import Hint, OutputError

ASSETS = Path(__file__).resolve().with_name("assets")

#: Versions pinned by fetch_assets.py; the CDN links of online maps use the same ones.
LEAFLET_VERSION = "1.9.4"
MARKERCLUSTER_VERSION = "1.5.3"
_CDN = "https://cdn.jsdelivr.net/npm"

# url(images/x.png) in leaflet.css would make the browser ask for a file that is not beside the HTML.
_CSS_URL = re.compile(r"url\((['\"]?)images/([\w.-]+\.png)\1\)")


@functools.cache
def _refetch() -> Hint:
    """Fetch the vendored map assets again."""
    script = ASSETS / "fetch_assets.py"
    return Hint(zh=f"重新运行 {script}", en=f"re-run {script}")


def _manifest() -> dict[str, str]:
    """Vendored relative path -> sha256, from MANIFEST.json."""
    data = json.loads((ASSETS / "MANIFEST.json").read_text(encoding="utf-8"))
    return {path: digest for package in data.values() for path, digest in package["files"].items()}


@functools.cache
def vendored(rel: str) -> bytes:
    """Bytes of one vendored file, checked against the manifest.

    Parameters
    ----------
    rel : str
        Path relative to ``assets/``, e.g. ``"leaflet/leaflet.js"``.

    Raises
    ------
    OutputError
        The file is missing or differs from the manifest (re-run ``assets/fetch_assets.py``).
    """
    path = ASSETS / rel
    expected = _manifest().get(rel)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"map asset {path} is missing", hint=_refetch()) from exc
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise OutputError(f"map asset {path} differs from MANIFEST.json", hint=_refetch())
    return data


def _text(rel: str) -> str:
    text = vendored(rel).decode("utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        # Inlined as-is, such a string would end the enclosing tag early.
        raise OutputError(f"map asset {rel} contains a closing script/style tag and cannot be inlined",
                          hint=_hints.REPORT_BUG)
    return text


def _data_uri(match: re.Match[str]) -> str:
    png = vendored(f"leaflet/images/{match.group(2)}")
    return f"url(data:image/png;base64,{base64.b64encode(png).decode()})"


@functools.cache
def library_tags(offline: bool) -> tuple[str, ...]:
    """``<style>``/``<script>`` (offline) or ``<link>``/``<script src>`` (online) for Leaflet + MarkerCluster.

    Parameters
    ----------
    offline : bool
        Inline everything (no request leaves the page) instead of linking the pinned CDN copies.
    """
    if not offline:
        leaflet = f"{_CDN}/leaflet@{LEAFLET_VERSION}/dist"
        cluster = f"{_CDN}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist"
        return (
            f'<link rel="stylesheet" href="{leaflet}/leaflet.css"/>',
            f'<link rel="stylesheet" href="{cluster}/MarkerCluster.css"/>',
            f'<script src="{leaflet}/leaflet.js"></script>',
            f'<script src="{cluster}/leaflet.markercluster.js"></script>',
        )
    leaflet_css = _CSS_URL.sub(_data_uri, _text("leaflet/leaflet.css"))
    return (
        f"<style>{leaflet_css}</style>",
        f"<style>{_text('markercluster/MarkerCluster.css')}</style>",
        f"<script>{_text('leaflet/leaflet.js')}</script>",
        f"<script>{_text('markercluster/leaflet.markercluster.js')}</script>",
    )


@functools.cache
def runtime_tags() -> tuple[str, ...]:
    """The gap map's own CSS and JS (``assets/gapmap.css``, ``assets/gapmap.js``), always inlined."""
    return (f"<style>{_text('gapmap.css')}</style>", f"<script>{_text('gapmap.js')}</script>")
