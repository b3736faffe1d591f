"""Read a walking network from an OpenStreetMap file (``.osm.pbf``, ``.osm`` XML, ``.osm.bz2``) with pyosmium.

Why pyosmium and not ``osmnx.graph_from_xml``:

* ``graph_from_xml`` builds a networkx ``MultiDiGraph`` of Python dicts (about 1 kB per node and edge) and
  then simplifies it in pure Python; for a city extract of a million nodes that is minutes and gigabytes.
  Here libosmium (C++) decodes the file and keeps node locations, Python only sees the ``highway`` ways, and
  the graph is assembled with NumPy in a few vectorised steps.
* ``graph_from_xml`` applies no network-type filter: every way in the file becomes edges, building outlines
  and land-use polygons included, so people would "walk" along the walls of buildings. Here only walkable
  highways are kept, with the same tag filter osmnx sends to Overpass for ``network_type="walk"``.
* It reads XML only; pyosmium reads PBF, XML and compressed XML with one reader.

The network is not simplified: every consecutive node pair of a kept way is one straight edge, so snapping
can project points on segments with plain vector maths, and lengths are measured in a metric CRS.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Final, Protocol, cast

import numpy as np
import osmium
import pyproj

from geoplan._errors import NetworkError
from geoplan.crs import auto_metric_crs
from geoplan.network.graph import Network, check_metric

log = logging.getLogger(__name__)

#: Version of the way filter below; part of the cache key of built networks.
FILTER_VERSION: Final = "osmnx-2.1-walk"

# osmnx 2.1, osmnx._overpass._get_network_filter("walk"):
#   ["highway"]["area"!~"yes"]["access"!~"private"]
#   ["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|
#               razed|rest_area|services"]
#   ["foot"!~"no"]["service"!~"private"]
#   ["sidewalk"!~"separate"]["sidewalk:both"!~"separate"]["sidewalk:left"!~"separate"]
#   ["sidewalk:right"!~"separate"]
# Overpass ``!~`` is an unanchored, case-sensitive regular-expression search that also passes ways without
# the key, so re.search reproduces it exactly ("motor" excludes motorway and motorway_link).
_EXCLUDE: Final[dict[str, re.Pattern[str]]] = {
    "area": re.compile("yes"),
    "access": re.compile("private"),
    "highway": re.compile(
        "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|raceway|razed|"
        "rest_area|services"
    ),
    "foot": re.compile("no"),
    "service": re.compile("private"),
    "sidewalk": re.compile("separate"),
    "sidewalk:both": re.compile("separate"),
    "sidewalk:left": re.compile("separate"),
    "sidewalk:right": re.compile("separate"),
}

#: Suffixes :func:`read_osm` accepts.
OSM_SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".bz2", ".gz")


class Tags(Protocol):
    """Read access to OSM tags: a dict or pyosmium's ``TagList``."""

    def __contains__(self, key: str, /) -> bool: ...

    def get(self, key: str, default: None = None, /) -> str | None: ...


def is_walkable(tags: Tags) -> bool:
    """Whether a way with these tags is part of osmnx's ``walk`` network.

    Parameters
    ----------
    tags : mapping
        The way's OSM tags.

    Returns
    -------
    bool
        True when ``highway`` is present and no exclusion pattern matches.
    """
    if "highway" not in tags:
        return False
    for key, pattern in _EXCLUDE.items():
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def read_osm(path: str | os.PathLike[str], crs: pyproj.CRS | None = None) -> Network:
    """Read the walkable ways of an OSM file into a :class:`Network`.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf``, ``.osm`` (XML) or compressed XML (``.osm.bz2``, ``.osm.gz``).
    crs : pyproj.CRS, optional
        Projected CRS in metres for node coordinates and lengths. Default: the CGCS2000 Gauss-Krüger zone of
        the nodes (:func:`geoplan.crs.auto_metric_crs`).

    Returns
    -------
    Network
        One node per OSM node used by a kept way (``osm_ids`` set), one edge per consecutive node pair.

    Raises
    ------
    NetworkError
        If the file is missing or unreadable, or has no walkable way.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"street network file {path} does not exist"
        raise NetworkError(msg)
    refs, lonlat, counts = _collect_ways(path)
    if not counts:
        msg = f"{path}: no walkable highway (OSM ways tagged highway=*, walk filter) found in the file"
        raise NetworkError(msg)
    return _assemble(path, refs, lonlat[:, 0], lonlat[:, 1], counts, crs)


def _collect_ways(path: Path) -> tuple[np.ndarray, np.ndarray, list[int]]:
    # One streaming pass. The location cache is filled from *all* nodes before the filters run, so the ways
    # come with coordinates; the filters keep nodes and relations out of Python entirely. Python touches each
    # way node once (for its id); the coordinates of a whole way come from one C++ call (WKB), which halves
    # the time of a city-sized file. A way with a node outside the extract takes the per-node path (NaN).
    refs: list[int] = []
    counts: list[int] = []
    wkb: list[str] = []
    slow: dict[int, np.ndarray] = {}  # way position -> (count, 2) lon/lat, NaN where missing
    n_highway = 0
    factory = osmium.geom.WKBFactory()
    all_nodes = osmium.geom.use_nodes.ALL
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for obj in processor:
            way = cast(osmium.osm.Way, obj)  # the entity filter lets only ways through
            n_highway += 1
            if not is_walkable(way.tags):
                continue
            nodes = way.nodes
            ids = [node.ref for node in nodes]
            try:
                wkb.append(factory.create_linestring(way, all_nodes))
            except (osmium.InvalidLocationError, RuntimeError):  # a clipped node, or a one-node way
                slow[len(counts)] = _way_lonlat(nodes)
            refs.extend(ids)
            counts.append(len(ids))
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"cannot read OSM file {path}: {exc}"
        raise NetworkError(msg) from exc
    log.info("%s: %d highway ways, %d kept by the walk filter", path, n_highway, len(counts))
    return np.asarray(refs, dtype=np.int64), _lonlat(wkb, slow, counts), counts


def _way_lonlat(nodes: osmium.osm.WayNodeList) -> np.ndarray:
    nan = float("nan")
    return np.array([(n.location.lon, n.location.lat) if n.location.valid() else (nan, nan) for n in nodes],
                    dtype=np.float64).reshape(-1, 2)


def _lonlat(wkb: list[str], slow: dict[int, np.ndarray], counts: list[int]) -> np.ndarray:
    # Coordinates of every way node, in way order: the WKB linestrings (little-endian header of 9 bytes, then
    # count x (lon, lat) doubles) stripped of their headers, with the per-node ways put back in their places.
    count = np.asarray(counts, dtype=np.int64)
    if count.size == 0:
        return np.empty((0, 2))
    fast = np.ones(count.size, dtype=bool)
    fast[list(slow)] = False
    out = np.empty((int(count.sum()), 2))
    buf = np.frombuffer(bytes.fromhex("".join(wkb)), dtype=np.uint8)
    size = 9 + 16 * count[fast]
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    header = np.ones(buf.size, dtype=bool)
    header[(start[:, None] + np.arange(9)).ravel()] = False
    if not (buf[start] == 1).all():  # libosmium writes native (little-endian on every supported platform) WKB
        msg = "unexpected big-endian WKB from libosmium"
        raise NetworkError(msg)
    node_fast = np.repeat(fast, count)
    out[node_fast] = buf[header].view("<f8").reshape(-1, 2)
    if slow:
        out[~node_fast] = np.concatenate([slow[k] for k in sorted(slow)])
    return out


def _assemble(
    path: Path,
    refs: np.ndarray,
    lons: np.ndarray,
    lats: np.ndarray,
    counts: list[int],
    crs: pyproj.CRS | None,
) -> Network:
    way_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    valid = np.isfinite(lons) & np.isfinite(lats)
    # Edge i joins ref i and ref i+1 when both belong to the same way and both have a location.
    pair = (way_of[:-1] == way_of[1:]) & valid[:-1] & valid[1:]
    first = np.flatnonzero(pair)
    second = first + 1
    n_missing = int(np.count_nonzero(~valid))
    if n_missing:
        log.warning("%s: %d way nodes have no location (outside the extract); their edges are dropped", path,
                    n_missing)
    if first.size == 0:
        msg = f"{path}: the walkable ways have no usable segment (node locations missing)"
        raise NetworkError(msg)
    used = np.zeros(refs.size, dtype=bool)
    used[first] = True
    used[second] = True
    # Only nodes used by a kept segment become network nodes (no building corners, no stray POIs).
    osm_ids, where, inverse = np.unique(refs[used], return_index=True, return_inverse=True)
    node_lon = lons[used][where]
    node_lat = lats[used][where]
    node_of = np.full(refs.size, -1, dtype=np.int64)  # node index of every used way position
    node_of[used] = inverse
    u = node_of[first]
    v = node_of[second]
    if crs is None:
        crs = auto_metric_crs(node_lon, node_lat)
    crs = pyproj.CRS.from_user_input(crs)
    check_metric(crs, str(path))
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(node_lon, node_lat)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    net = Network(x=x, y=y, u=u, v=v, length=length, crs=crs, source=str(path), osm_ids=osm_ids)
    log.info("%s: walking network of %d nodes, %d edges, %.1f km in %s", path, net.n_nodes, net.n_edges,
             net.total_length_m / 1000, crs.name)
    return net
