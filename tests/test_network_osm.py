"""Reading OSM files: the walk filter, node/edge assembly, PBF = XML = bz2 on the real Hangzhou extract."""

from __future__ import annotations

import bz2
import itertools
import re
from pathlib import Path

import numpy as np
import osmium
import pyproj
import pytest

from geoplan._errors import NetworkError
from geoplan.network import read_osm
from geoplan.network.osm import _EXCLUDE, is_walkable

HZ = "hangzhou-central/streets-2015"

# Nodes 1..14 in a row near Hangzhou (lon step 0.001 deg ~ 96 m); node 999 is referenced but absent.
NODES = {i: (120.15 + 0.001 * i, 30.25) for i in range(1, 15)}
WAYS = [
    (10, [1, 2, 3], {"highway": "residential"}),
    (11, [3, 4], {"highway": "footway", "foot": "designated"}),
    (12, [4, 5], {"highway": "cycleway"}),
    (13, [6, 7, 8, 9, 6], {"building": "yes"}),
    (14, [3, 10], {"highway": "service", "service": "private"}),
    (15, [1, 11], {"highway": "motorway_link"}),
    (16, [6, 7], {"highway": "pedestrian", "area": "yes"}),
    (17, [8, 9], {"highway": "path", "foot": "no"}),
    (18, [9, 10], {"highway": "residential", "access": "private"}),
    (19, [12, 13, 999, 14], {"highway": "footway"}),
    (20, [5, 6], {"highway": "primary", "sidewalk": "separate"}),
]


def write_osm(path: Path, ways: list = WAYS) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in NODES.items()]
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_walk_filter_on_a_small_file(tmp_path: Path) -> None:
    net = read_osm(write_osm(tmp_path / "small.osm"))
    assert net.osm_ids is not None
    # Kept: 10 (1-2-3), 11 (3-4), 19 (12-13 only: 999 is missing, so 13-999 and 999-14 are dropped).
    assert net.osm_ids.tolist() == [1, 2, 3, 4, 12, 13]
    edges = sorted(zip(net.osm_ids[net.u].tolist(), net.osm_ids[net.v].tolist(), strict=True))
    assert edges == [(1, 2), (2, 3), (3, 4), (12, 13)]
    assert net.crs == pyproj.CRS.from_epsg(4549)  # CGCS2000 GK zone, central meridian 120 E
    geod = pyproj.Geod(ellps="GRS80")
    lon = np.array([NODES[i][0] for i in net.osm_ids])
    lat = np.array([NODES[i][1] for i in net.osm_ids])
    _, _, great_circle = geod.inv(lon[net.u], lat[net.u], lon[net.v], lat[net.v])
    np.testing.assert_allclose(net.length, great_circle, rtol=3e-4)  # GK scale error near the meridian


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway", "foot": "yes"}, True),
        ({"highway": "service", "service": "driveway"}, True),
        ({"highway": "steps"}, True),
        ({"building": "yes"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "footway", "area": "yes"}, False),
        ({"highway": "track", "access": "private"}, False),
        ({"highway": "path", "foot": "no"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "primary", "sidewalk:left": "separate"}, False),
    ],
)
def test_is_walkable(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


def test_filter_mirrors_osmnx_walk_filter() -> None:
    # If osmnx changes its walk filter, this fails and FILTER_VERSION / _EXCLUDE need an update.
    osmnx_overpass = pytest.importorskip("osmnx._overpass")
    query = osmnx_overpass._get_network_filter("walk")
    clauses = dict(re.findall(r'\["([^"]+)"!~"([^"]+)"\]', query))
    assert clauses == {key: pattern.pattern for key, pattern in _EXCLUDE.items()}
    assert query.startswith('["highway"]')


def test_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.osm.pbf"
    with pytest.raises(NetworkError, match=r"missing\.osm\.pbf"):
        read_osm(missing)
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"this is not a PBF file at all" * 10)
    with pytest.raises(NetworkError, match=r"garbage\.osm\.pbf"):
        read_osm(garbage)
    truncated = tmp_path / "truncated.osm"
    truncated.write_bytes(write_osm(tmp_path / "whole.osm").read_bytes()[:400])
    with pytest.raises(NetworkError, match=r"truncated\.osm: "):
        read_osm(truncated)
    buildings = write_osm(tmp_path / "buildings.osm", [w for w in WAYS if "highway" not in w[2]])
    with pytest.raises(NetworkError, match=r"buildings\.osm: no walkable"):
        read_osm(buildings)
    with pytest.raises(NetworkError, match="metres"):
        read_osm(write_osm(tmp_path / "small.osm"), crs=pyproj.CRS.from_epsg(4326))


@pytest.fixture(scope="module")
def hz_pbf(shared_data: Path):
    return read_osm(shared_data / f"{HZ}.osm.pbf")


def test_real_extract_plausible(hz_pbf) -> None:
    net = hz_pbf
    # Measured: 7,551 nodes, 8,448 edges, 483.2 km, 25 components, 92.0 % in the largest. (The README's
    # "about 7,800" counts every highway node; the walk filter drops cycleways, area=yes squares ...)
    assert 7000 < net.n_nodes < 8000
    assert 8000 < net.n_edges < 9000
    assert 400_000 < net.total_length_m < 560_000
    sizes = np.bincount(net.components())
    assert 15 <= sizes.size <= 35
    assert 0.88 < sizes[0] / net.n_nodes < 0.95
    assert net.crs == pyproj.CRS.from_epsg(4549)  # central meridian 120 E
    assert not (net.u == net.v).any()
    # Nodes span the documented bbox (lon 120.1000-120.1851, lat 30.2300-30.2963), projected.
    lon, lat = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True).transform(net.x, net.y)
    assert 120.0995 < lon.min() < lon.max() < 120.1856
    assert 30.2295 < lat.min() < lat.max() < 30.2968


def test_pbf_xml_and_bz2_give_the_same_graph(hz_pbf, shared_data: Path, tmp_path: Path) -> None:
    xml = shared_data / f"{HZ}.osm"
    compressed = tmp_path / "streets.osm.bz2"
    compressed.write_bytes(bz2.compress(xml.read_bytes(), compresslevel=1))
    for other in (read_osm(xml), read_osm(compressed)):
        assert (other.n_nodes, other.n_edges) == (hz_pbf.n_nodes, hz_pbf.n_edges)
        assert other.total_length_m == pytest.approx(hz_pbf.total_length_m, rel=1e-9)
        np.testing.assert_array_equal(other.osm_ids, hz_pbf.osm_ids)
        np.testing.assert_array_equal(other.u, hz_pbf.u)
        np.testing.assert_allclose(other.x, hz_pbf.x, atol=1e-3)


def test_no_building_outlines(hz_pbf, shared_data: Path) -> None:
    highway_nodes: set[int] = set()
    building_nodes: set[int] = set()
    walk_pairs: set[tuple[int, int]] = set()
    for obj in osmium.FileProcessor(str(shared_data / f"{HZ}.osm.pbf"), osmium.osm.WAY):
        refs = [n.ref for n in obj.nodes]
        if "highway" in obj.tags:
            highway_nodes.update(refs)
        if "building" in obj.tags:
            building_nodes.update(refs)
        elif is_walkable(obj.tags):
            walk_pairs.update((min(a, b), max(a, b)) for a, b in itertools.pairwise(refs))
    building_only = building_nodes - highway_nodes
    assert len(building_only) > 5000  # the file has ~2,000 building outlines
    ids = set(hz_pbf.osm_ids.tolist())
    assert not ids & building_only
    assert ids <= highway_nodes
    # Every edge is a consecutive node pair of a walkable, non-building way.
    a, b = hz_pbf.osm_ids[hz_pbf.u], hz_pbf.osm_ids[hz_pbf.v]
    edges = set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))
    assert edges == walk_pairs
