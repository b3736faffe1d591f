"""The demo's gap map in a real headless Chromium: opens offline, draws all 804 compounds, escapes names."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser import Browser, browser_session

import geoplan
from geoplan.outputs.maps import write_gap_map

XSS = "<img src=x onerror=alert(1)>"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chrome() -> Iterator[Browser]:
    with browser_session() as b:
        yield b


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The real demo with its first compound renamed to a script: the name must show as text.
    work = tmp_path_factory.mktemp("demo")
    shutil.copytree(geoplan.demo_project().parent, work, dirs_exist_ok=True)
    csv = work / "compounds-bd09.csv"
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    table.loc[0, "name"] = XSS
    table.to_csv(csv, index=False)
    result = geoplan.audit(work / "geoplan.toml", created="2026-11-22")
    return write_gap_map(result, work / "gap_map.html")


@pytest.fixture(scope="module")
def opened(chrome: Browser, demo_map: Path) -> Any:
    return chrome.open(demo_map)


def test_opens_with_no_errors_and_no_requests(opened: Any) -> None:
    assert opened.problems() == []
    assert opened.other_requests() == []


def test_all_compounds_drawn(opened: Any) -> None:
    drawn = opened.js("geoplan.layers['community:0'].getLayers().length")
    assert drawn == 804  # every compound has coordinates in the demo


def test_hostile_name_popup_is_text(opened: Any) -> None:
    # as a click on that compound's marker would (events propagate to the layer group's popup handler)
    opened.js("""(() => { const l = geoplan.layers['community:0'].getLayers().find(m => m.options.gpi === 0);
                 l.fire('click', {latlng: l.getLatLng()}, true); })()""")
    opened.page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1")
    text = opened.page.locator(".leaflet-popup-content").inner_text()
    assert text.startswith(XSS)
    assert opened.js("document.querySelectorAll('.leaflet-popup-content img').length") == 0
    assert opened.dialogs == [] and opened.problems() == []


def test_screenshot_shows_pass_and_fail(chrome: Browser, opened: Any, tmp_path: Path) -> None:
    png = opened.page.screenshot(path=str(tmp_path / "demo.png"))
    stats = chrome.image_stats(png, colors=("#0072B2", "#D55E00"))
    assert stats["distinct"] > 50
    assert stats["near"][0] > 50 and stats["near"][1] > 50  # both pass (blue) and fail (vermillion) visible
