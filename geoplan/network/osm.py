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

from geoplan import _hints
from geoplan._errors import Hint, NetworkError
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
        what = "is a folder" if path.is_dir() else "does not exist"
        msg = f"street network file {path} {what}"
        raise NetworkError(msg, hint=Hint(zh="在项目文件 [network] path 中给出 .osm.pbf 文件本身（相对于项目文件）",
                                          en="give the .osm.pbf file itself in [network] path of the project "
                                             "file (relative to it)"))
    refs, lons, lats, counts = _collect_ways(path)
    if not counts:
        msg = f"{path}: no walkable highway (OSM ways tagged highway=*, walk filter) found in the file"
        raise NetworkError(msg,
                hint=Hint(zh="确认数据覆盖研究区并含道路（highway=*）；可用 `geoplan clip` 从省级数据裁剪",
                          en="check that the extract covers the study area and has streets (highway=*); `geoplan clip` "
                             "cuts one from a province extract"))
    return _assemble(path, np.asarray(refs, dtype=np.int64), np.asarray(lons), np.asarray(lats), counts, crs)


def _collect_ways(path: Path) -> tuple[list[int], list[float], list[float], list[int]]:
    # One streaming pass. The location cache is filled from *all* nodes before the filters run, so the ways
    # come with coordinates; the filters keep nodes and relations out of Python entirely.
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    counts: list[int] = []
    n_highway = 0
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    nan = float("nan")
    try:
        for obj in processor:
            way = cast(osmium.osm.Way, obj)  # the entity filter lets only ways through
            n_highway += 1
            if not is_walkable(way.tags):
                continue
            count = 0
            for node in way.nodes:
                location = node.location
                refs.append(node.ref)
                if location.valid():
                    lons.append(location.lon)
                    lats.append(location.lat)
                else:  # a node clipped off the extract: edges touching it are dropped later
                    lons.append(nan)
                    lats.append(nan)
                count += 1
            counts.append(count)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"cannot read OSM file {path}: {exc} — the extract is damaged or truncated?"
        raise NetworkError(msg, hint=_hints.DOWNLOAD_AGAIN) from exc
    log.info("%s: %d highway ways, %d kept by the walk filter", path, n_highway, len(counts))
    return refs, lons, lats, counts


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
        raise NetworkError(msg, hint=Hint(zh="用 `geoplan clip` 或 osmium 重新裁剪（保留完整路段的节点）",
                                          en="cut the extract again with `geoplan clip` or osmium (keeping the "
                                             "nodes of whole ways)"))
    used = np.zeros(refs.size, dtype=bool)
    used[first] = True
    used[second] = True
    # Only nodes used by a kept segment become network nodes (no building corners, no stray POIs).
    osm_ids, where = np.unique(refs[used], return_index=True)
    node_lon = lons[used][where]
    node_lat = lats[used][where]
    u = np.searchsorted(osm_ids, refs[first])
    v = np.searchsorted(osm_ids, refs[second])
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
