"""Load a walking network from any supported file, choosing the reader by suffix, optionally cached."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely

from geoplan import _hints
from geoplan import _sniff as sn
from geoplan._errors import Hint, InputError, MissingDependencyError, NetworkError
from geoplan._vector import check_path
from geoplan.crs import auto_metric_crs
from geoplan.network import cache as _cache
from geoplan.network.graph import Network, check_metric
from geoplan.network.lines import merge_vertices, read_lines
from geoplan.network.osm import read_osm

log = logging.getLogger(__name__)

_OSM = (".osm", ".pbf", ".bz2", ".gz")
#: What each OSM suffix's content must be (by :func:`geoplan._sniff.sniff`); compressed XML is not sniffed.
_OSM_CONTENT = {".pbf": (sn.PBF,), ".osm": (sn.XML,)}
_LINES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml", ".tab", ".mif", ".dxf")


def _reader(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _OSM:
        return "osm"
    if suffix in _LINES:
        return "lines"
    if suffix == ".graphml":
        return "graphml"
    msg = (
        f"{path}: unknown street network format {suffix!r}"
    )
    raise NetworkError(msg, hint=_hints.OSM_OR_LAYER)


def load_network(
    path: str | os.PathLike[str],
    crs: pyproj.CRS | None = None,
    *,
    cache: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    layer: str | None = None,
    source_crs: str | None = None,
) -> Network:
    """Read a street network file into a walking :class:`Network`.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` (:func:`read_osm`), ``.shp`` / ``.gpkg`` / ``.geojson`` ...
        (:func:`read_lines`, default options), or ``.graphml`` saved by osmnx (needs osmnx).
    crs : pyproj.CRS, optional
        Projected CRS in metres; default the local CGCS2000 Gauss-Krüger zone (a projected line layer keeps
        its own CRS).
    cache : bool, default False
        Reuse / store the built network as ``.npz`` under the cache folder, keyed by the SHA-256 of the file
        bytes, the CRS and the reader version (see :mod:`geoplan.network.cache`).
    cache_dir : path-like, optional
        Cache folder; default ``$GEOPLAN_CACHE_DIR`` or ``~/.cache/geoplan``.
    layer : str, optional
        ``[network] layer``: the line layer of a multi-layer file (default its only line layer).
    source_crs : str, optional
        ``[network] crs``: the road layer's coordinate system when it has none (or to override it), any name
        :func:`geoplan.crs.normalise_crs_name` knows, GCJ02 and BD09 included.

    Raises
    ------
    NetworkError
        Unknown suffix, missing or unreadable file, a folder, content that is not what the suffix says,
        nothing walkable.
    MissingDependencyError
        A ``.graphml`` file without osmnx installed.
    """
    path = Path(path)
    if path.is_dir():
        try:
            check_path(path, "network")
        except InputError as exc:
            raise NetworkError(exc.what, hint=exc.hint) from exc
    reader = _reader(path)
    if not path.is_file():
        msg = f"street network file {path} does not exist"
        raise NetworkError(msg, hint=Hint(zh="检查项目文件 [network] 中的 path（相对于项目文件）",
                                          en="check path in [network] of the project file (relative to it)"))
    _check_osm_content(path, reader)
    target: Path | None = None
    if cache:
        options = f"|layer={layer}|crs={source_crs}" if layer or source_crs else ""
        key = _cache.cache_key(_cache.input_files(path), crs, reader + options)
        target = _cache.cache_dir(cache_dir) / f"{key}.npz"
        hit = _cache.load(target)
        if hit is not None:
            log.info("%s: network from cache %s", path, target)
            return dataclasses.replace(hit, source=str(path))
    if reader != "lines" and (layer or source_crs):
        log.warning("%s: [network] layer / crs apply to road-centreline layers, not to %s files: ignored", path,
                    reader.upper())
    if reader == "osm":
        net = read_osm(path, crs)
    elif reader == "lines":
        net = read_lines(path, crs, layer=layer, source_crs=source_crs)
    else:
        net = read_graphml(path, crs)
    if target is not None:
        try:
            _cache.save(net, target)
        except OSError as exc:  # a read-only cache must not stop the audit
            log.warning("cannot write network cache %s: %s", target, exc)
    return net


def _check_osm_content(path: Path, reader: str) -> None:
    """An OSM extract that is something else (an HTML error page, an empty download) is named as such."""
    kind = sn.sniff(path)
    if kind == sn.EMPTY:
        msg = f"{path}: the street network file is empty"
        raise NetworkError(msg, hint=_hints.DOWNLOAD_AGAIN)
    expected = _OSM_CONTENT.get(path.suffix.lower()) if reader == "osm" else None
    if expected is not None and kind not in expected:
        todo = (Hint(zh="把文件名改为 .osm.pbf", en="rename it .osm.pbf") if kind == sn.PBF else
                Hint(zh="（下载失败？）重新下载该数据", en="(a failed download?) download the extract again"))
        what = "" if kind == sn.PBF else ", not an OpenStreetMap extract"
        msg = f"{path}: the name says {path.suffix} but the file is {sn.describe(kind)}{what}"
        raise NetworkError(msg, hint=todo)


def read_graphml(path: str | os.PathLike[str], crs: pyproj.CRS | None = None) -> Network:
    """Convert an osmnx GraphML file into a :class:`Network`.

    Edge directions are ignored (a walking graph is undirected; the two directions of a street become
    parallel edges, resolved by :meth:`Network.to_csr`). An edge with a ``geometry`` (simplified osmnx graphs)
    is split at its interior vertices, which become nodes (shared by both directions), so every edge is a
    straight segment as snapping expects. Lengths are recomputed in the metric CRS, like :func:`read_osm`.

    Raises
    ------
    MissingDependencyError
        If osmnx is not installed.
    NetworkError
        If the file cannot be read or has no edges.
    """
    try:
        import osmnx
    except ImportError as exc:
        msg = "reading .graphml networks needs osmnx"
        raise MissingDependencyError(msg,
                hint=_hints.install("osmnx", "give the .osm.pbf extract", "改用 .osm.pbf 数据")) from exc
    path = Path(path)
    try:
        graph = osmnx.load_graphml(path)
    except Exception as exc:  # osmnx/networkx raise many types for a bad file
        msg = f"cannot read GraphML network {path}: {exc}"
        raise NetworkError(msg, hint=_hints.DOWNLOAD_AGAIN) from exc
    return _from_nx(graph, path, crs)


def _from_nx(graph: Any, path: Path, crs: pyproj.CRS | None) -> Network:
    graph_crs = pyproj.CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    ids = np.fromiter((int(n) for n in graph.nodes), dtype=np.int64, count=graph.number_of_nodes())
    nx_ = np.fromiter((float(d["x"]) for _, d in graph.nodes(data=True)), dtype=np.float64, count=ids.size)
    ny_ = np.fromiter((float(d["y"]) for _, d in graph.nodes(data=True)), dtype=np.float64, count=ids.size)
    position = {node: i for i, node in enumerate(graph.nodes)}
    # Every edge as a polyline of vertices: (u, inner vertices ..., v). Vertices of all edges are merged by
    # exact coordinate, so the graph nodes and the shared interior vertices of both directions coincide.
    coords: list[np.ndarray] = [np.column_stack([nx_, ny_])]
    part: list[np.ndarray] = [np.full(ids.size, -1, dtype=np.int64)]
    for k, (a, b, data) in enumerate(graph.edges(data=True)):
        geom = data.get("geometry")
        if geom is not None and not shapely.is_empty(geom):
            xy = shapely.get_coordinates(geom)
            xy[0] = (nx_[position[a]], ny_[position[a]])
            xy[-1] = (nx_[position[b]], ny_[position[b]])
        else:
            xy = np.array([[nx_[position[a]], ny_[position[a]]], [nx_[position[b]], ny_[position[b]]]])
        coords.append(xy)
        part.append(np.full(xy.shape[0], k, dtype=np.int64))
    all_xy = np.concatenate(coords)
    all_part = np.concatenate(part)
    node_of, node_xy = merge_vertices(all_xy, 0.0)
    pair = (all_part[:-1] == all_part[1:]) & (all_part[:-1] >= 0)
    u, v = node_of[:-1][pair], node_of[1:][pair]
    if u.size == 0:
        msg = f"{path}: the GraphML network has no edges"
        raise NetworkError(msg, hint=Hint(zh="给出含道路的 GraphML，或改用 .osm.pbf 数据",
                                          en="give a GraphML with streets, or the .osm.pbf extract"))
    osm_of_vertex = np.full(node_xy.shape[0], -1, dtype=np.int64)
    osm_of_vertex[node_of[: ids.size]] = ids
    # Drop isolated graph nodes, as read_osm does.
    used, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    u, v = inverse[: u.size], inverse[u.size :]
    osm_of_vertex = osm_of_vertex[used]
    lon, lat = node_xy[used, 0], node_xy[used, 1]
    if not graph_crs.is_geographic:
        to_wgs = pyproj.Transformer.from_crs(graph_crs, 4326, always_xy=True)
        lon, lat = (np.asarray(c, dtype=np.float64) for c in to_wgs.transform(lon, lat))
    if crs is None:
        crs = graph_crs if graph_crs.is_projected else auto_metric_crs(lon, lat)
    crs = pyproj.CRS.from_user_input(crs)
    check_metric(crs, str(path))
    to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = (np.asarray(c, dtype=np.float64) for c in to_metric.transform(lon, lat))
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    net = Network(x=x, y=y, u=u, v=v, length=length, crs=crs, source=str(path), osm_ids=osm_of_vertex)
    log.info("%s: GraphML network of %d nodes, %d edges", path, net.n_nodes, net.n_edges)
    return net
