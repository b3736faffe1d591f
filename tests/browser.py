"""Headless Chromium for tests: launch (or skip), watch a page, read a screenshot.

Usage in a test module::

    from browser import Browser, browser_session

    @pytest.fixture(scope="module")
    def chrome():
        with browser_session() as b:   # skips the module when Chromium is missing, unless
            yield b                     # GEOPLAN_REQUIRE_BROWSER=1 (CI), which fails instead

    def test_x(chrome):
        watch = chrome.open(path_to_html)
        assert watch.problems() == []

The browser is the system Chromium (``/usr/bin/chromium`` or ``$GEOPLAN_CHROMIUM``) driven by playwright,
with a fresh profile and Chromium's background traffic off, so every request counted is the page's own.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, Request

REQUIRE_ENV = "GEOPLAN_REQUIRE_BROWSER"

_IMAGE_STATS = """async ({b64, colors, tol}) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  const targets = colors.map(h => [1, 3, 5].map(i => parseInt(h.substr(i, 2), 16)));
  const near = colors.map(() => 0);
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4) {
    seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k];
      const dr = Math.abs(d[i] - t[0]), dg = Math.abs(d[i + 1] - t[1]), db = Math.abs(d[i + 2] - t[2]);
      if (dr <= tol && dg <= tol && db <= tol) near[k]++;
    }
  }
  return {width: img.width, height: img.height, distinct: seen.size, near: near};
}"""


def _unavailable(reason: str) -> None:
    """Skip, or fail when the environment says a browser is required (CI)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} (and {REQUIRE_ENV}=1 requires a browser)", pytrace=False)
    pytest.skip(reason)


@dataclass
class PageWatch:
    """One opened page and everything it did that a test may object to."""

    page: Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def other_requests(self) -> list[str]:
        """Requests other than the page's own file (offline maps must make none)."""
        return [u for u in self.requests if u != self.url]

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and JS dialogs (alert/confirm/prompt), labelled."""
        return ([f"console: {m}" for m in self.console_errors] + [f"pageerror: {m}" for m in self.page_errors]
                + [f"dialog: {m}" for m in self.dialogs])

    def js(self, expression: str, arg: Any = None) -> Any:
        """``page.evaluate`` shorthand."""
        return self.page.evaluate(expression, arg)


class Browser:
    """A shared Chromium context; :meth:`open` gives a watched page per file."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context

    def open(self, path: Path, ready: str | None = "window.geoplan && window.geoplan.ready === true",
             timeout_ms: float = 20_000) -> PageWatch:
        """Open a local HTML file with listeners attached before navigation, and wait for ``ready``."""
        page = self.context.new_page()
        url = Path(path).resolve().as_uri()
        watch = PageWatch(page, url)
        page.on("console", watch._on_console)
        page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
        page.on("dialog", watch._on_dialog)
        page.on("request", watch._on_request)
        page.goto(url, wait_until="load", timeout=timeout_ms)
        if ready:
            page.wait_for_function(ready, timeout=timeout_ms)
        return watch

    def image_stats(self, png: bytes, colors: Sequence[str] = (), tolerance: int = 12) -> dict[str, Any]:
        """Size, number of distinct colours, and pixels near each ``#rrggbb`` of ``colors``, of a PNG.

        Decoded by Chromium on a blank page (a pure-Python PNG decoder takes seconds per screenshot).
        """
        page = self.context.new_page()
        try:
            return page.evaluate(_IMAGE_STATS, {"b64": base64.b64encode(png).decode(), "colors": list(colors),
                                                "tol": tolerance})
        finally:
            page.close()


@contextlib.contextmanager
def browser_session(viewport: tuple[int, int] = (1280, 800)) -> Iterator[Browser]:
    """A :class:`Browser` for a test module; skips (or fails under ``GEOPLAN_REQUIRE_BROWSER=1``) when
    playwright or Chromium is missing.
    """
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    from geoplan.outputs._chromium import chromium_context, find_chromium

    if find_chromium() is None:
        where = os.environ.get("GEOPLAN_CHROMIUM") or "/usr/bin/chromium or on PATH"
        _unavailable(f"Chromium not found at {where} (apt-get install chromium, or set GEOPLAN_CHROMIUM)")
    with chromium_context(viewport) as context:
        yield Browser(context)
