"""Road-centreline layers, GraphML and the dispatching, caching loader."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

import geoplan.network.load as load_mod
from geoplan._errors import InputError, MissingDependencyError, NetworkError
from geoplan.network import load_network, network_from_lines, read_lines

CRS = pyproj.CRS.from_epsg(4549)


def gdf(*geoms: shapely.Geometry, crs: pyproj.CRS | int | None = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [f"r{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs)


def test_crossing_lines_connect_only_when_planarized() -> None:
    # An X: a flyover over a street, no shared vertex.
    layer = gdf(shapely.LineString([(0, 0), (100, 100)]), shapely.LineString([(0, 100), (100, 0)]))
    net = network_from_lines(layer)
    assert (net.n_nodes, net.n_edges) == (4, 2)
    assert np.unique(net.components()).size == 2
    flat = network_from_lines(layer, planarize=True)
    assert (flat.n_nodes, flat.n_edges) == (5, 4)
    assert np.unique(flat.components()).size == 1
    assert flat.total_length_m == pytest.approx(net.total_length_m)
    corner = dijkstra(flat.to_csr(), indices=int(np.flatnonzero((flat.x == 0) & (flat.y == 0))[0]))
    assert corner.max() == pytest.approx(100 * np.sqrt(2))


def test_vertices_merge_within_tolerance() -> None:
    # The second line starts 5 mm from where the first ends; the third 5 cm from it.
    layer = gdf(
        shapely.LineString([(0, 0), (100, 0)]),
        shapely.LineString([(100.005, 0), (200, 0)]),
        shapely.LineString([(200.05, 0), (300, 0)]),
    )
    assert np.unique(network_from_lines(layer).components()).size == 2
    one = network_from_lines(layer, snap_tolerance_m=0.1)
    assert np.unique(one.components()).size == 1 and one.n_nodes == 4
    exact = network_from_lines(layer, snap_tolerance_m=0.0)
    assert exact.n_nodes == 6
    # A segment shorter than the tolerance collapses into a node (no self-loop kept).
    tiny = network_from_lines(gdf(shapely.LineString([(0, 0), (0.001, 0), (50, 0)])))
    assert (tiny.n_nodes, tiny.n_edges) == (2, 1)


def test_geographic_layer_is_projected_to_the_local_zone() -> None:
    layer = gdf(shapely.LineString([(120.15, 30.25), (120.16, 30.25)]), crs=4326)
    net = network_from_lines(layer)
    assert net.crs == CRS
    _, _, d = pyproj.Geod(ellps="GRS80").inv(120.15, 30.25, 120.16, 30.25)
    assert net.total_length_m == pytest.approx(d, rel=3e-4)
    utm = network_from_lines(layer, crs=pyproj.CRS.from_epsg(32651))
    assert utm.crs.to_epsg() == 32651 and utm.total_length_m == pytest.approx(d, rel=1e-3)


def test_bad_layers() -> None:
    line = shapely.LineString([(0, 0), (1, 0)])
    with pytest.raises(InputError, match="no coordinate system"):
        network_from_lines(gdf(line, crs=None))
    with pytest.raises(InputError, match="Polygon"):
        network_from_lines(gdf(line, shapely.box(0, 0, 1, 1)))
    with pytest.raises(InputError, match="snap_tolerance_m"):
        network_from_lines(gdf(line), snap_tolerance_m=-1)
    with pytest.raises(NetworkError, match="no line segment"):
        network_from_lines(gdf(shapely.LineString([(0, 0), (0.001, 0)])))
    with pytest.raises(NetworkError, match="metres"):
        network_from_lines(gdf(line), crs=pyproj.CRS.from_epsg(4326))
    # Null geometries are skipped, not fatal.
    assert network_from_lines(gdf(line, None)).n_edges == 1


def test_read_lines_and_load_network_dispatch(tmp_path: Path) -> None:
    layer = gdf(
        shapely.MultiLineString([[(0, 0), (100, 0)], [(100, 0), (100, 50)]]),
        shapely.LineString([(100, 50), (0, 50)]),
    )
    path = tmp_path / "roads.gpkg"
    layer.to_file(path, driver="GPKG")
    net = read_lines(path)
    assert (net.n_nodes, net.n_edges, net.total_length_m) == (4, 3, 250.0)
    assert net.source == str(path)
    same = load_network(path)
    np.testing.assert_array_equal(same.length, net.length)
    shp = tmp_path / "roads.shp"
    layer.to_file(shp)
    assert load_network(shp).total_length_m == 250.0
    with pytest.raises(NetworkError, match="unknown street network format"):
        load_network(tmp_path / "roads.csv")
    with pytest.raises(NetworkError, match="does not exist"):
        load_network(tmp_path / "nope.gpkg")
    (tmp_path / "broken.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(NetworkError, match=r"broken\.gpkg"):
        read_lines(tmp_path / "broken.gpkg")


def _graphml(tmp_path: Path) -> Path:
    ox = pytest.importorskip("osmnx")
    import networkx as nx

    g = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (lon, lat) in {1: (120.150, 30.250), 2: (120.151, 30.250), 3: (120.152, 30.251)}.items():
        g.add_node(node, x=lon, y=lat)
    bend = shapely.LineString([(120.151, 30.250), (120.152, 30.250), (120.152, 30.251)])
    g.add_edge(1, 2, length=96.0)
    g.add_edge(2, 1, length=96.0)
    g.add_edge(2, 3, length=207.0, geometry=bend)
    g.add_edge(3, 2, length=207.0, geometry=shapely.LineString(bend.coords[::-1]))
    g.add_node(4, x=120.2, y=30.3)  # isolated: dropped
    path = tmp_path / "walk.graphml"
    ox.save_graphml(g, path)
    return path


def test_graphml(tmp_path: Path) -> None:
    path = _graphml(tmp_path)
    net = load_network(path)
    # Nodes 1, 2, 3 plus the bend vertex, shared by both directions; the isolated node is dropped.
    assert net.n_nodes == 4
    assert sorted(net.osm_ids.tolist()) == [-1, 1, 2, 3]
    assert net.n_edges == 6  # 1-2 twice, 2-bend and bend-3 twice each
    lonlat = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    pts = np.array(lonlat.transform([120.150, 120.151, 120.152, 120.152], [30.250, 30.250, 30.250, 30.251])).T
    seg = np.hypot(*np.diff(pts, axis=0).T)
    n1 = int(np.flatnonzero(net.osm_ids == 1)[0])
    n3 = int(np.flatnonzero(net.osm_ids == 3)[0])
    assert dijkstra(net.to_csr(), indices=n1)[n3] == pytest.approx(seg.sum(), abs=1e-6)


def test_graphml_without_osmnx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "walk.graphml"
    path.write_text("<graphml/>")
    monkeypatch.setitem(sys.modules, "osmnx", None)  # import osmnx -> ImportError
    with pytest.raises(MissingDependencyError, match="pip install osmnx"):
        load_network(path)


def test_cache_hit_skips_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layer = gdf(shapely.LineString([(0, 0), (100, 0), (100, 80)]))
    path = tmp_path / "roads.gpkg"
    layer.to_file(path, driver="GPKG")
    cache = tmp_path / "cache"
    first = load_network(path, cache=True, cache_dir=cache)
    assert len(list((cache / "networks").glob("*.npz"))) == 1

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("reader called on a cache hit")

    monkeypatch.setattr(load_mod, "read_lines", boom)
    again = load_network(path, cache=True, cache_dir=cache)
    np.testing.assert_array_equal(again.x, first.x)
    np.testing.assert_array_equal(again.u, first.u)
    assert again.crs == first.crs and again.source == str(path) and again.osm_ids is None
    # Another CRS or changed bytes is another key: the reader runs again.
    with pytest.raises(AssertionError, match="cache hit"):
        load_network(path, crs=pyproj.CRS.from_epsg(32651), cache=True, cache_dir=cache)
    monkeypatch.undo()
    gdf(shapely.LineString([(0, 0), (100, 0)])).to_file(path, driver="GPKG")
    assert load_network(path, cache=True, cache_dir=cache).total_length_m == 100.0
    # GEOPLAN_CACHE_DIR is honoured, and a corrupt cache file is rebuilt, not fatal.
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(tmp_path / "env"))
    load_network(path, cache=True)
    (cached,) = (tmp_path / "env" / "networks").glob("*.npz")
    cached.write_bytes(b"garbage")
    assert load_network(path, cache=True).total_length_m == 100.0


def test_osm_cache_keeps_osm_ids(shared_data: Path, tmp_path: Path) -> None:
    pbf = shared_data / "hangzhou-central/streets-2015.osm.pbf"
    built = load_network(pbf, cache=True, cache_dir=tmp_path)
    cached = load_network(pbf, cache=True, cache_dir=tmp_path)
    np.testing.assert_array_equal(cached.osm_ids, built.osm_ids)
    assert cached.total_length_m == built.total_length_m
