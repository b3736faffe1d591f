"""Build a walking network from a road-centreline layer (Shapefile, GeoPackage, GeoJSON ...).

City planning departments usually hold streets as line layers, not OSM. Each vertex pair of each line
becomes an edge; vertices closer than ``snap_tolerance_m`` (digitising noise) become one node, so lines that
share an end vertex are connected.

Lines that merely *cross* are not connected unless ``planarize=True``: in a centreline layer an overpass,
a viaduct or a river bridge crosses the streets below without a junction, and noding every crossing would
let people step off a flyover. Turn it on only for layers digitised without junction vertices (some CAD
exports), knowing it connects such crossings too.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geoplan import _hints
from geoplan._errors import Hint, InputError, NetworkError
from geoplan.crs import auto_metric_crs
from geoplan.network.graph import Network, check_metric

log = logging.getLogger(__name__)


def network_from_lines(
    gdf: gpd.GeoDataFrame,
    crs: pyproj.CRS | None = None,
    *,
    snap_tolerance_m: float = 0.01,
    planarize: bool = False,
    source: str = "",
) -> Network:
    """Turn a layer of (multi)line strings into a :class:`Network`.

    Parameters
    ----------
    gdf : GeoDataFrame
        Road centrelines with a declared CRS. Null and empty geometries are skipped (and counted in the log);
        any geometry other than (Multi)LineString is an error.
    crs : pyproj.CRS, optional
        Projected CRS in metres to build the network in. Default: the layer's CRS if it is projected in
        metres, otherwise the local CGCS2000 Gauss-Krüger zone.
    snap_tolerance_m : float, default 0.01
        Vertices closer than this are merged into one node (pairs found with a KD-tree, merged transitively,
        so no pair straddling a rounding-grid cell boundary is missed). Must be >= 0; 0 merges only
        identical coordinates.
    planarize : bool, default False
        Node every crossing of two lines (shapely union). Off by default: see the module docstring.
    source : str
        Recorded as :attr:`Network.source`.

    Returns
    -------
    Network
        Without ``osm_ids``; edge length = straight-line length between its two nodes.

    Raises
    ------
    InputError
        If the layer has no CRS, has non-line geometries, or ``snap_tolerance_m`` is negative.
    NetworkError
        If there is no usable segment.
    """
    what = source or "line layer"
    if snap_tolerance_m < 0 or not np.isfinite(snap_tolerance_m):
        msg = f"{what}: snap_tolerance_m must be a finite number >= 0, got {snap_tolerance_m}"
        raise InputError(msg, hint=_hints.API_ARGUMENT)
    if gdf.crs is None:
        msg = f"{what}: the road layer has no coordinate system"
        raise InputError(msg, hint=Hint(zh="先设定坐标系（如 gdf.set_crs('EPSG:4549')）",
                                        en="set it (e.g. gdf.set_crs('EPSG:4549'))"))
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        log.warning("%s: %d null or empty geometries skipped", what, int(missing.sum()))
    geoms = geoms[~missing]
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, [1, 5])  # LineString, MultiLineString
    if bad.any():
        names = ", ".join(sorted({g.geom_type for g in geoms[bad]}))
        msg = f"{what}: a street network needs line geometries; {int(bad.sum())} features are {names}"
        raise InputError(msg, hint=Hint(zh="给出道路中心线（线）图层，而非点或面",
                                        en="give the road-centreline (line) layer, not points or polygons"))
    target = _target_crs(gdf, geoms, crs, what)
    if not pyproj.CRS.from_user_input(gdf.crs).equals(target):
        geoms = np.asarray(gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(target).values, dtype=object)
    parts = shapely.get_parts(geoms)
    if planarize and parts.size:
        noded = shapely.union_all(parts)
        log.info("%s: planarized %d lines into %d", what, parts.size, shapely.get_num_geometries(noded))
        parts = shapely.get_parts(noded)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    return _from_vertices(coords, part, target, snap_tolerance_m, source)


def _target_crs(gdf: gpd.GeoDataFrame, geoms: np.ndarray, crs: pyproj.CRS | None, what: str) -> pyproj.CRS:
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
    else:
        layer = pyproj.CRS.from_user_input(gdf.crs)
        try:
            check_metric(layer, what)
            target = layer
        except NetworkError:
            lonlat = gpd.GeoSeries(geoms, crs=layer).to_crs(4326)
            xy = shapely.get_coordinates(lonlat.values)
            target = auto_metric_crs(xy[:, 0], xy[:, 1])
    check_metric(target, what)
    return target


def _from_vertices(
    coords: np.ndarray, part: np.ndarray, crs: pyproj.CRS, tolerance: float, source: str
) -> Network:
    what = source or "line layer"
    node_of, node_xy = merge_vertices(coords, tolerance)
    same_part = part[:-1] == part[1:]
    a = node_of[:-1][same_part]
    b = node_of[1:][same_part]
    loops = a == b  # a segment shorter than the tolerance collapses onto one node
    if loops.any():
        log.info("%s: %d segments shorter than %g m collapsed into single nodes", what, int(loops.sum()),
                 tolerance)
    a, b = a[~loops], b[~loops]
    if a.size == 0:
        msg = f"{what}: no line segment longer than the snap tolerance ({tolerance} m)"
        raise NetworkError(msg, hint=Hint(zh="检查道路图层的坐标系与单位（线段是否极短）",
                                          en="check the road layer's coordinate system and units (are the "
                                             "segments tiny?)"))
    # Keep only nodes used by an edge (a collapsed short line would otherwise leave an isolated node).
    used, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    u, v = inverse[: a.size], inverse[a.size :]
    x, y = node_xy[used, 0], node_xy[used, 1]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    net = Network(x=x, y=y, u=u, v=v, length=length, crs=crs, source=source)
    log.info("%s: network of %d nodes, %d edges, %.1f km", what, net.n_nodes, net.n_edges,
             net.total_length_m / 1000)
    return net


def merge_vertices(coords: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge coordinates closer than ``tolerance`` into nodes.

    Parameters
    ----------
    coords : ndarray, shape (n, 2)
        Vertex coordinates in metres.
    tolerance : float
        Merge distance; pairs within it are joined transitively (connected components of the
        "within tolerance" graph), so a chain of vertices each 1 cm apart becomes one node.

    Returns
    -------
    node_of : ndarray of int64, shape (n,)
        Node index of every vertex.
    node_xy : ndarray of float64, shape (n_nodes, 2)
        Coordinates of each node: those of its lexicographically smallest (x, then y) vertex.
    """
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    unique_xy, inverse = np.unique(coords, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if tolerance > 0 and unique_xy.shape[0] > 1:
        pairs = cKDTree(unique_xy).query_pairs(tolerance, output_type="ndarray")
        n = unique_xy.shape[0]
        graph = coo_array((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        _, first = np.unique(label, return_index=True)  # first[k] = lowest unique vertex of component k
        return label[inverse].astype(np.int64), unique_xy[first]
    return inverse.astype(np.int64), unique_xy


def read_lines(
    path: str | os.PathLike[str],
    crs: pyproj.CRS | None = None,
    *,
    layer: str | int | None = None,
    snap_tolerance_m: float = 0.01,
    planarize: bool = False,
    source_crs: str | None = None,
) -> Network:
    """Read a road-centreline file with pyogrio and build a :class:`Network` from it.

    The file is opened by :func:`geoplan._inputs.read_vector`, like every input layer: a Shapefile's ``.shx``
    is checked, a multi-layer file's line layer is found, content not matching the suffix is named.

    Parameters
    ----------
    path : path-like
        Any vector format GDAL reads (``.shp``, ``.gpkg``, ``.geojson`` ...).
    crs : pyproj.CRS, optional
        See :func:`network_from_lines`.
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage), by name or 0-based index; default the only line layer.
    snap_tolerance_m, planarize
        See :func:`network_from_lines`.
    source_crs : str, optional
        The layer's coordinate system when the file has none (or overriding it): a name or EPSG code, or the
        offset systems GCJ02 / BD09 (undone to WGS84 first).

    Raises
    ------
    NetworkError
        If the file is missing or cannot be read, or has no coordinate system and none is given.
    """
    from geoplan._vector import read_vector

    path = Path(path)
    if not path.exists():
        msg = f"street network file {path} does not exist"
        raise NetworkError(msg, hint=Hint(zh="检查项目文件 [network] 中的 path（相对于项目文件）",
                                          en="check path in [network] of the project file (relative to it)"))
    try:
        gdf, _ = read_vector(path, section="network", layer=layer, need_attributes=False, lines=True, columns=[])
    except InputError as exc:
        raise NetworkError(exc.what, hint=exc.hint) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"street network file {path} has no geometry column"
        raise NetworkError(msg, hint=Hint(zh="给出含线几何的道路图层", en="give a road layer with line geometries"))
    gdf = _declare_crs(gdf, path, source_crs)
    return network_from_lines(gdf, crs, snap_tolerance_m=snap_tolerance_m, planarize=planarize,
                              source=str(path))


def _declare_crs(gdf: gpd.GeoDataFrame, path: Path, source_crs: str | None) -> gpd.GeoDataFrame:
    """The road layer in its declared CRS (offset systems undone), or an error saying to add ``[network] crs``."""
    from geoplan._validate import crs_hint_both
    from geoplan.crs import BD09, GCJ02, normalise_crs_name, to_wgs84

    if source_crs is None:
        if gdf.crs is None:
            xy = shapely.get_coordinates(gdf.geometry.to_numpy())
            hint = Hint(zh="在项目文件的 [network] 中加 crs = \"...\"",
                        en="add crs = \"...\" to [network] in the project file")
            if len(xy):
                hint = _hints.join(hint, crs_hint_both(xy[:, 0], xy[:, 1]))
            msg = f"{path}: the road layer has no coordinate system (no .prj?)"
            raise NetworkError(msg, hint=hint)
        return gdf
    try:
        declared = normalise_crs_name(source_crs)
    except InputError as exc:
        raise NetworkError(f"{path}: [network] crs: {exc.what}", hint=exc.hint) from exc
    if isinstance(declared, str) and declared in (GCJ02, BD09):
        def undo(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84(xy[:, 0], xy[:, 1], str(declared))
            return np.column_stack([lon, lat])

        geoms = shapely.transform(gdf.geometry.to_numpy(), undo)
        return gpd.GeoDataFrame(geometry=geoms, crs=4326)
    return gdf.set_crs(declared, allow_override=True)
