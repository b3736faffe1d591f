"""Gap-map context: streets, water, green and admin boundaries from the network file itself, offline.

The hand-laid audit of ``test_maps`` sits in central Hangzhou, inside the demo's real 2015 OSM street extract
(``layers/hangzhou-central/streets-2015.osm.pbf``, committed), which also maps the West Lake and parks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from test_maps import CRS, layer_names, make_result, payload

from geoplan.network import Network, load_network
from geoplan.outputs import _context
from geoplan.outputs._context import MapContext, street_lines
from geoplan.outputs.maps import write_gap_map

# The street colour #8c8c8c at opacity 0.55 over the no-tiles background #f7f7f5.
STREET_ON_PAPER = "#bcbcbb"
PBF = Path(__file__).resolve().parents[1] / "layers" / "hangzhou-central" / "streets-2015.osm.pbf"


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(PBF, crs=CRS)


@pytest.fixture(scope="module")
def page(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gap_map(make_result(), tmp_path_factory.mktemp("ctx") / "ctx.html",
                         context=MapContext(network, PBF))


def _decode(streets: dict[str, Any]) -> list[np.ndarray]:
    out = []
    for line in streets["lines"]:
        a = np.cumsum(np.asarray(line, dtype=np.int64).reshape(-1, 2), axis=0) / streets["scale"]
        out.append(a)
    return out


def test_streets_round_trip_within_two_metres(network: Network) -> None:
    streets = street_lines(network)
    lines = _decode(streets)
    assert streets["dropped"] == 0 and len(lines) > 100  # not city scale: nothing left out
    to_metric = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
    pts = np.vstack(lines)
    x, y = to_metric.transform(pts[:, 0], pts[:, 1])
    xy = np.column_stack([network.x, network.y])
    edges = shapely.linestrings(np.stack([xy[network.u], xy[network.v]], axis=1))
    tree = shapely.STRtree(edges)
    _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    assert dist.max() < 2.0  # every drawn vertex lies on a street (rounding ~1 m + simplification 1 m)
    # ... and every street is drawn: the network's nodes lie on the drawn lines.
    drawn = shapely.multilinestrings([shapely.linestrings(np.column_stack(to_metric.transform(a[:, 0], a[:, 1])))
                                      for a in lines])
    sample = shapely.points(network.x[::25], network.y[::25])
    assert float(shapely.distance(sample, drawn).max()) < 3.0


def test_city_scale_keeps_the_longest_strokes_within_the_budget(network: Network,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    full = street_lines(network)
    monkeypatch.setattr(_context, "CITY_EDGES", 10)
    monkeypatch.setattr(_context, "CITY_VERTICES", 3000)
    light = street_lines(network)
    assert light["dropped"] > 0 and len(light["lines"]) == len(full["lines"]) - light["dropped"]
    assert sum(len(line) // 2 for line in light["lines"]) <= 3000
    assert len(json.dumps(light)) < len(json.dumps(full)) / 2


def test_strokes_run_straight_through_a_crossing() -> None:
    from geoplan.outputs._strokes import strokes

    # A plus sign: W-C-E and S-C-N, and a bend E-NE: two strokes, W..E..NE and S..N.
    x = np.array([0.0, -1, 1, 0, 0, 2])
    y = np.array([0.0, 0, 0, -1, 1, 1])
    u = np.array([1, 0, 3, 0, 2])
    v = np.array([0, 2, 0, 4, 5])
    got = sorted(sorted(s.tolist()) for s in strokes(x, y, u, v))
    assert got == [[0, 1, 2, 5], [0, 3, 4]]


def test_water_and_green_from_the_extract() -> None:
    water, green, rivers = _context.osm_areas(PBF)
    assert water is not None and green is not None and rivers is not None
    west_lake = shapely.Point(120.145, 30.245)  # the West Lake
    assert any(shapely.geometry.shape(f["geometry"]).contains(west_lake) for f in water["features"])


def test_road_layer_without_osm_has_no_water(tmp_path: Path, network: Network) -> None:
    data = payload(write_gap_map(make_result(), tmp_path / "streets.html",
                                 context=MapContext(network, None)).read_text(encoding="utf-8"))
    assert data["context"]["water"] is None and data["context"]["streets"]["lines"]
    keys = [layer["key"] for layer in data["map"]["layers"]]
    assert "context:streets" in keys and "context:water" not in keys


def test_context_layers_listed_and_off_under_a_tile_basemap(page: Path, tmp_path: Path, network: Network) -> None:
    names = layer_names(page.read_text(encoding="utf-8"))
    assert {"街道（步行路网）", "水系", "绿地", "行政区界"} <= set(names)
    online = payload(write_gap_map(make_result(), tmp_path / "tiles.html", context=MapContext(network, PBF),
                                   tiles="https://t0.example.com/{z}/{x}/{y}.png").read_text(encoding="utf-8"))
    shown = {layer["key"]: layer["show"] for layer in online["map"]["layers"]}
    assert shown["context:streets"] is False and shown["context:boundaries"] is True


# ---- in the browser ----


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    from browser import browser_session

    with browser_session() as b:
        yield b


@pytest.mark.browser
def test_context_visible_offline(chrome: Any, page: Path, tmp_path: Path) -> None:
    watch = chrome.open(page)
    assert watch.problems() == [] and watch.other_requests() == []
    on = watch.js("Object.keys(geoplan.layers).filter(k => k.startsWith('context:') && "
                  "geoplan.map.hasLayer(geoplan.layers[k])).sort()")
    assert on == ["context:boundaries", "context:green", "context:streets", "context:water"]
    # Streets on their own canvas, water, green and boundaries on a shared one, both under the data.
    assert watch.js("document.querySelectorAll('.leaflet-gp-context-pane canvas').length") == 2
    watch.js("void geoplan.map.setView([30.25, 120.155], 14, {animate: false})")  # the West Lake's east shore
    watch.page.wait_for_timeout(300)
    png = watch.page.screenshot(path=str(tmp_path / "context.png"))
    stats = chrome.image_stats(png, ["#c6dbef", "#e5f5e0", STREET_ON_PAPER], tolerance=12)
    water, green, streets = stats["near"]
    assert water > 5000 and green > 500 and streets > 500, stats  # lake, parks and streets drawn
    legend = watch.js("document.querySelector('.gp-legend').innerText")
    assert all(w in legend for w in ("底图", "街道（步行路网）", "水系", "绿地", "行政区界"))
    # Switched off, the streets disappear from the legend and the canvas.
    watch.page.locator(".leaflet-control-layers-overlays label", has_text="街道（步行路网）").locator("input").click()
    watch.page.wait_for_timeout(100)
    assert "街道（步行路网）" not in watch.js("document.querySelector('.gp-legend').innerText")
    after = chrome.image_stats(watch.page.screenshot(), [STREET_ON_PAPER], tolerance=12)["near"][0]
    assert streets - after > 3000  # the street pixels went with the layer
    assert watch.problems() == []
