"""``geoplan clip``: a study area's walking network out of a bigger OSM extract, built here from the demo's streets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely

import geoplan
from geoplan._errors import NetworkError
from geoplan.cli import main
from geoplan.clip import buffered_area, clip_extract
from geoplan.demo import demo_project
from geoplan.network.osm import is_walkable

DEMO_TOML = Path(demo_project())
STREETS = DEMO_TOML.parent / "streets-2015.osm.pbf"
SHIFT = 10_000_000_000  # id offset of the far copy
FAR_DEG = 1.0           # the far copy lies a degree east: another city, to be dropped


def _read(path: Path) -> dict[str, dict[int, object]]:
    out: dict[str, dict[int, object]] = {"n": {}, "w": {}, "r": {}}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            out["n"][obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            out["w"][obj.id] = ([n.ref for n in obj.nodes], dict(obj.tags))
        else:
            out["r"][obj.id] = dict(obj.tags)
    return out


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 'province': the demo's streets, a far copy of them, a motorway, a building outline and a relation."""
    path = tmp_path_factory.mktemp("osm") / "province.osm.pbf"
    nodes = [(n.id, n.location.lon, n.location.lat, dict(n.tags))
             for n in osmium.FileProcessor(str(STREETS), osmium.osm.NODE)]
    ways = [(w.id, [n.ref for n in w.nodes], dict(w.tags)) for w in osmium.FileProcessor(str(STREETS), osmium.osm.WAY)]
    mutable = osmium.osm.mutable
    writer = osmium.SimpleWriter(str(path))
    for shift, east in ((0, 0.0), (SHIFT, FAR_DEG)):
        for nid, lon, lat, tags in nodes:
            writer.add_node(mutable.Node(id=nid + shift, location=(lon + east, lat), tags=tags))
    extra = {SHIFT * 3 + i: (120.16 + 0.001 * i, 30.26) for i in range(4)}
    for nid, (lon, lat) in extra.items():
        writer.add_node(mutable.Node(id=nid, location=(lon, lat)))
    for shift in (0, SHIFT):
        for wid, refs, tags in ways:
            writer.add_way(mutable.Way(id=wid + shift, nodes=[r + shift for r in refs], tags=tags))
    ids = list(extra)
    writer.add_way(mutable.Way(id=SHIFT * 3, nodes=ids[:2], tags={"highway": "motorway"}))
    writer.add_way(mutable.Way(id=SHIFT * 3 + 1, nodes=[*ids, ids[0]], tags={"building": "yes"}))
    writer.add_relation(mutable.Relation(id=SHIFT * 3, members=[("w", SHIFT * 3, "")],
                                                    tags={"type": "route"}))
    writer.close()
    return path


def test_clip_keeps_exactly_the_walkable_ways_touching_the_area(extract: Path, tmp_path: Path) -> None:
    area = shapely.box(120.15, 30.25, 120.17, 30.27)
    result = clip_extract(extract, area, tmp_path / "walk.osm.pbf")
    src, got = _read(extract), _read(tmp_path / "walk.osm.pbf")
    expected = set()
    for wid, (refs, tags) in src["w"].items():
        pts = np.array([src["n"][r] for r in refs if r in src["n"]])
        if is_walkable(tags) and len(pts) and shapely.contains_xy(area, pts[:, 0], pts[:, 1]).any():
            expected.add(wid)
    assert expected and set(got["w"]) == expected
    assert all(wid < SHIFT for wid in got["w"])           # the far copy, motorway and building are gone
    assert not got["r"]
    needed = {r for refs, _ in got["w"].values() for r in refs}
    assert set(got["n"]) == needed                         # whole ways, with every node and nothing else
    assert all(got["n"][n] == src["n"][n] for n in needed)
    assert (result.ways, result.nodes) == (len(expected), len(needed))


@pytest.mark.slow
def test_clipped_network_gives_the_same_audit(extract: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "walk.osm.pbf"
    assert main(["clip", str(extract), str(DEMO_TOML), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "15 min × 75 m/min" in printed and str(out) in printed
    clipped = _read(out)
    assert clipped["w"] and max(clipped["w"]) < SHIFT
    project = tmp_path / "geoplan.toml"
    text = _demo_layers_absolute().replace('path = "streets-2015.osm.pbf"', f'path = "{out.name}"')
    project.write_text(text, encoding="utf-8")
    full, cut = geoplan.audit(DEMO_TOML), geoplan.audit(project)
    cols = ["rule_id", "indicator_en", "measured"]
    assert full.indicators[cols].equals(cut.indicators[cols])
    assert cut.network is not None and full.network is not None
    assert cut.network.n_edges <= full.network.n_edges


def test_buffered_area_margin_is_in_metres() -> None:
    point = shapely.Point(120.16, 30.26)
    area = buffered_area([point], 1000.0)
    assert area.contains(shapely.Point(120.16 + 0.0098, 30.26))   # ~940 m east
    assert not area.contains(shapely.Point(120.16 + 0.0110, 30.26))  # ~1060 m east


def test_clip_errors_name_what_to_do(extract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(NetworkError, match="no walkable way touches the area"):
        clip_extract(extract, shapely.box(100, 20, 100.1, 20.1), tmp_path / "x.osm.pbf")
    with pytest.raises(NetworkError, match=r"\*\.osm\.pbf"):
        clip_extract(extract, shapely.box(100, 20, 100.1, 20.1), tmp_path / "x.shp")
    assert not list(tmp_path.iterdir())
    assert main(["clip", str(extract), "--bbox", "1,2,3", "--out", str(tmp_path / "y.osm.pbf")]) == 2
    assert "MINLON,MINLAT,MAXLON,MAXLAT" in capsys.readouterr().err
    assert main(["clip", str(tmp_path / "none.osm.pbf"), "--bbox", "120,30,121,31"]) == 2
    assert "not found" in capsys.readouterr().err


def _demo_layers_absolute() -> str:
    """The demo's project file with every layer but the network named by its absolute path."""
    def absolute(m: re.Match[str]) -> str:
        name = m.group(1)
        return m.group(0) if name.endswith(".pbf") else f'path = "{(DEMO_TOML.parent / name).as_posix()}"'

    return re.sub(r'path = "([^"]+)"', absolute, DEMO_TOML.read_text(encoding="utf-8"))


def _project_on(extract: Path, tmp: Path, network_lines: str) -> Path:
    text = _demo_layers_absolute()
    text = text.replace('path = "streets-2015.osm.pbf"', f'path = "{extract.as_posix()}"\n{network_lines}')
    path = tmp / "geoplan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_names_the_big_extract_with_clip(extract: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "cache"))
    project = _project_on(extract, tmp_path, "clip = true")
    first = geoplan.audit(project)
    clips = list((tmp_path / "cache" / "clips").glob("*.osm.pbf"))
    assert len(clips) == 1 and max(_read(clips[0])["w"]) < SHIFT
    assert any("cut from province.osm.pbf" in a and "15 min × 75 m/min" in a for a in first.assumptions)
    stamp = clips[0].stat().st_mtime_ns
    second = geoplan.audit(project)
    assert clips[0].stat().st_mtime_ns == stamp                       # reused, not clipped again
    demo = geoplan.audit(DEMO_TOML)
    cols = ["rule_id", "indicator_en", "measured"]
    assert first.indicators[cols].equals(demo.indicators[cols])
    assert second.indicators[cols].equals(demo.indicators[cols])


def test_clip_area_and_margin_in_the_project(extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "cache"))
    gpd.GeoDataFrame(geometry=[shapely.box(120.15, 30.25, 120.17, 30.27)], crs=4326).to_file(tmp_path / "area.geojson")
    project = _project_on(extract, tmp_path, 'clip = true\nclip_area = "area.geojson"\nclip_margin_m = 100')
    result = geoplan.audit(project)
    assert any("area.geojson plus 100 m (clip_margin_m)" in a for a in result.assumptions)
    assert result.network is not None and result.network.n_edges > 0


@pytest.mark.parametrize(("lines", "problem"), [
    ('clip = "yes"', "clip must be true or false"),
    ("clip_margin_m = 500", "need clip = true"),
    ('clip = true\nclip_area = "none.geojson"', "clip_area 'none.geojson' not found"),
    ("clip = true\nclip_margin_m = -1", "clip_margin_m must be a number > 0"),
])
def test_clip_keys_are_checked(extract: Path, tmp_path: Path, lines: str, problem: str) -> None:
    with pytest.raises(geoplan.ProjectError, match=problem):
        geoplan.load_project(_project_on(extract, tmp_path, lines))
