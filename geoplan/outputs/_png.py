"""A static PNG of a gap map, for written reports, via a headless Chromium screenshot."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from geoplan._errors import Hint, OutputError
from geoplan.outputs._atomic import replacing
from geoplan.outputs._chromium import chromium_context

log = logging.getLogger(__name__)

# Interactive controls mean nothing on paper; the title, legend and scale bar stay.
_READY = "window.geoplan && window.geoplan.ready === true"
_PRINT_CSS = ".leaflet-control-zoom, .leaflet-control-layers { display: none !important; }"


def write_map_png(
    html_path: str | Path,
    png_path: str | Path,
    *,
    width: int = 1600,
    height: int = 1000,
    scale: float = 1.0,
    timeout_s: float = 60.0,
) -> Path:
    """Screenshot a gap map HTML file (as written by ``write_gap_map``) to a PNG.

    Parameters
    ----------
    html_path : str or Path
        The map.
    png_path : str or Path
        The image to write (parent folders are created).
    width, height : int
        Viewport in CSS pixels; the map is fitted to the data within it.
    scale : float
        Device pixel ratio; 2 doubles the resolution for print.
    timeout_s : float
        How long to wait for the map (and its basemap tiles, if any) to draw.

    Returns
    -------
    Path
        ``png_path``.

    Raises
    ------
    MissingDependencyError
        playwright or Chromium is missing.
    OutputError
        The page did not become ready (not a gap map, or a script error), or the PNG cannot be written.
    """
    src = Path(html_path).resolve()
    out = Path(png_path)
    if not src.is_file():
        raise OutputError(f"no map at {src}", hint=_NO_MAP)
    # playwright's sync API refuses to run where an asyncio loop runs (Jupyter, or another sync session in
    # this thread), so the browser gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_shoot, src, out, width, height, scale, timeout_s).result()
    log.info("map image %s (%dx%d px)", out, int(width * scale), int(height * scale))
    return out


#: What to do when there is no map to photograph, or it never finished drawing.
_NO_MAP = Hint(zh="先运行 geoplan audit 生成地图", en="write the map first (geoplan audit)")
_NOT_DRAWN = Hint(zh="给出 geoplan 写出的缺口地图（gap_map.html），或加大超时",
                  en="give a gap map written by geoplan (gap_map.html), or a longer timeout")


def _shoot(src: Path, out: Path, width: int, height: int, scale: float, timeout_s: float) -> None:
    errors: list[str] = []
    with chromium_context((width, height), scale=scale) as context:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(src.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        try:
            page.wait_for_function(_READY, timeout=timeout_s * 1000)
        except Exception as exc:  # playwright's TimeoutError; the message below says what matters
            raise OutputError(
                f"{src} did not finish drawing in {timeout_s:.0f} s (not a gap map?); script errors: {errors}",
                hint=_NOT_DRAWN,
            ) from exc
        page.add_style_tag(content=_PRINT_CSS)
        page.evaluate("document.querySelector('.gp-map').classList.add('gp-print')")
        if page.evaluate("document.querySelectorAll('.leaflet-tile').length") > 0:
            page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
        with replacing(out, what="the map image") as tmp:
            page.screenshot(path=str(tmp), full_page=False)
    if errors:
        log.warning("script errors while drawing %s: %s", src, errors)


# Shows one rule's layer through the page's own layer registry (window.geoplan.layer(key), keys
# "community:<k>" / "admin:<k>" indexing the payload's lists) and hides every other rule layer. Returns
# "" when the rule has no layer of its own (a city-wide count or ratio): no picture is taken for it.
_SHOW_RULE = """(id) => {
  const G = window.geoplan, D = G.data || {};
  const com = (D.communities || {}).rules || [], adm = (D.admin || {}).layers || [];
  const k = com.findIndex((r) => r.id === id);
  const a = adm.findIndex((l) => l.kind === "status" && l.block && l.block.id === id);
  const key = k >= 0 ? "community:" + k : (a >= 0 ? "admin:" + a : "");
  if (!key) return "";
  Object.keys(G.layers).forEach((other) => {
    if (other !== key && /^(community|admin):/.test(other) && G.map.hasLayer(G.layers[other])) {
      G.map.removeLayer(G.layers[other]);
    }
  });
  const layer = G.layers[key] || G.layer(key);
  if (!G.map.hasLayer(layer)) G.map.addLayer(layer);
  return key;
}"""


# The page hides the other rule layers on a zero-delay timer; two frames later the new markers are drawn.
_SETTLED = "() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 0))"


def write_rule_pngs(html_path: str | Path, pngs: dict[str, Path], *, width: int = 1400, height: int = 900,
                    timeout_s: float = 60.0) -> dict[str, Path]:
    """Screenshot a gap map once per rule, with that rule's layer shown, in one browser session.

    Parameters
    ----------
    html_path : str or Path
        The map (as written by ``write_gap_map``).
    pngs : dict
        Rule id → image path to write.

    Returns
    -------
    dict
        Rule id → path, for every image written (none for a rule the map has no layer of).

    Raises
    ------
    MissingDependencyError
        playwright or Chromium is missing.
    OutputError
        The page did not become ready.
    """
    src = Path(html_path).resolve()
    if not src.is_file():
        raise OutputError(f"no map at {src}", hint=_NO_MAP)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_shoot_rules, src, pngs, width, height, timeout_s).result()


def _shoot_rules(src: Path, pngs: dict[str, Path], width: int, height: int, timeout_s: float) -> dict[str, Path]:
    written: dict[str, Path] = {}
    with chromium_context((width, height)) as context:
        page = context.new_page()
        page.goto(src.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        try:
            page.wait_for_function(_READY, timeout=timeout_s * 1000)
        except Exception as exc:  # playwright's TimeoutError
            msg = f"{src} did not finish drawing in {timeout_s:.0f} s (not a gap map?)"
            raise OutputError(msg, hint=_NOT_DRAWN) from exc
        page.add_style_tag(content=_PRINT_CSS)
        for rule_id, out in pngs.items():
            if not page.evaluate(_SHOW_RULE, rule_id):
                continue
            page.evaluate(_SETTLED)
            with replacing(Path(out), what="the map image") as tmp:
                page.screenshot(path=str(tmp), full_page=False)
            written[rule_id] = Path(out)
    return written
