"""Headless Chromium through playwright, using the system browser (playwright's own download is not needed).

Shared by :func:`geoplan.outputs.maps.write_map_png` and the browser tests, so both see a map the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan import _hints
from geoplan._errors import Hint, MissingDependencyError

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

#: Flags for a quiet, reproducible headless run: no GPU, no sandbox (containers), and none of Chromium's
#: own background traffic, so a test counting network requests sees only the page's.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of the Chromium to use: ``$GEOPLAN_CHROMIUM``, else /usr/bin/chromium, else one on PATH."""
    env = os.environ.get("GEOPLAN_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((p for p in map(shutil.which, _CANDIDATES) if p), None)


@contextlib.contextmanager
def chromium_context(
    viewport: tuple[int, int] = (1280, 800), executable: str | None = None, scale: float = 1.0
) -> Iterator[BrowserContext]:
    """A fresh headless Chromium context (own temporary profile), closed on exit.

    Parameters
    ----------
    viewport : (width, height)
        Page size in CSS pixels.
    executable : str, optional
        Browser binary; default :func:`find_chromium`.
    scale : float
        Device pixel ratio (2 gives print-quality screenshots).

    Raises
    ------
    MissingDependencyError
        playwright is not installed, or no Chromium is found.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise MissingDependencyError("map screenshots need playwright", hint=_hints.install("playwright")) from exc
    path = executable or find_chromium()
    if path is None:
        raise MissingDependencyError(
            "map screenshots need Chromium",
            hint=Hint(zh="安装：apt-get install chromium（或把 GEOPLAN_CHROMIUM 设为浏览器路径）",
                      en="apt-get install chromium (or set GEOPLAN_CHROMIUM to a browser)"),
        )
    with tempfile.TemporaryDirectory(prefix="geoplan-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=path, headless=True, args=list(CHROMIUM_ARGS),
            viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=scale,
        )
        try:
            yield context
        finally:
            context.close()
