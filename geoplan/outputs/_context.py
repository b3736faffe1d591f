"""Offline context for the gap map: a faint street layer, water and green areas, from the network file itself.

Nothing is fetched: the streets are the audit's walking network (merged into polylines, simplified by
:data:`SIMPLIFY_M`, coordinates rounded to 1e-5 degree, about 1 m, and delta-encoded as integers), and water
and green areas are the ``natural=water`` / ``leisure=park`` ... ways and multipolygons of the same OSM
extract when it has them (a road-centreline layer has none: the map then shows the streets only and says so in
the log). At city scale (more than :data:`CITY_EDGES` street segments) short dead-end pieces — lanes into
compounds, service stubs — are left out so the file stays light; the payload says how many.

Examples
--------
>>> ctx = MapContext.from_project("geoplan.toml", result.crs)        # doctest: +SKIP
>>> write_gap_map(result, "gap_map.html", context=ctx)               # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyproj
import shapely

from geoplan._errors import GeoplanError

if TYPE_CHECKING:
    from geoplan.network import Network
    from geoplan.project import Project
    from geoplan.result import AuditResult

log = logging.getLogger(__name__)

#: Street polylines are simplified by this many metres (invisible at street zoom).
SIMPLIFY_M: Final = 1.0
#: Integer coordinate unit: 1e-5 degree (about 1.1 m north-south).
SCALE: Final = 100_000
#: Above this many street segments the network is "city scale": dead-end pieces shorter than
#: :data:`DROP_DEAD_END_M` are left out, and polylines simplified by :data:`CITY_SIMPLIFY_M`.
CITY_EDGES: Final = 100_000
DROP_DEAD_END_M: Final = 80.0
CITY_SIMPLIFY_M: Final = 3.0
#: OSM tags read as water and as green areas (ways and multipolygon relations).
WATER_TAGS: Final[dict[str, set[str] | None]] = {"natural": {"water", "wetland"}, "waterway": {"riverbank", "dock"},
                     "landuse": {"reservoir", "basin"}, "water": None}
GREEN_TAGS: Final[dict[str, set[str] | None]] = {"leisure": {"park", "garden", "nature_reserve", "common"},
                     "landuse": {"forest", "grass", "village_green", "recreation_ground", "meadow", "cemetery"},
                     "natural": {"wood", "scrub", "grassland"}}
#: Waterway lines drawn as water (rivers and canals narrower than a mapped area).
WATER_LINES: Final = {"river", "canal", "stream"}


@dataclass(frozen=True)
class MapContext:
    """What the map draws under the data: the walking network and the file it came from.

    Attributes
    ----------
    network : Network or None
        The audit's walking network (metric CRS), for the street layer.
    osm_path : Path or None
        An OSM extract (``.osm.pbf`` / ``.osm``) to read water and green areas from; None for none.
    """

    network: Network | None = None
    osm_path: Path | None = None

    @classmethod
    def from_project(cls, project: str | os.PathLike[str] | Project, crs: pyproj.CRS) -> MapContext:
        """The context of a project's ``[network]``: the network as the audit loaded it (through the cache).

        A project without a network gives an empty context; a network that cannot be read is logged and left
        out (the map is still useful without its streets).
        """
        from geoplan.network import load_network
        from geoplan.project import Project, load_project

        proj = project if isinstance(project, Project) else load_project(Path(project))
        if proj.network is None:
            return cls()
        path = Path(proj.network.path)
        try:
            net = load_network(path, crs=crs, cache=True, layer=proj.network.layer, source_crs=proj.network.crs)
        except GeoplanError as exc:
            log.warning("map context: streets left out (%s)", exc)
            return cls()
        osm = path if path.name.lower().endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2")) else None
        if osm is None:
            log.info("map context: %s is not an OSM extract, so the map has no water or green areas", path.name)
        return cls(net, osm)

    @classmethod
    def for_audit(cls, project: str | os.PathLike[str] | Project, result: AuditResult) -> MapContext | None:
        """:meth:`from_project` when the audit measured on a network, else None (nothing to draw).

        Once the audit result carries its network, this is where to take it from instead of reloading.
        """
        return _for_audit(project, result)


def _for_audit(project: str | os.PathLike[str] | Project, result: AuditResult) -> MapContext | None:
    """The context of an audit's maps: its project's network when the audit measured on one, else None."""
    if result.network is None or result.network.basis != "network":
        return None
    return MapContext.from_project(project, result.crs)


def context_payload(ctx: MapContext | None) -> dict[str, Any] | None:
    """The ``context`` part of the map payload: streets, water, green (each None when absent)."""
    if ctx is None or (ctx.network is None and ctx.osm_path is None):
        return None
    streets = street_lines(ctx.network) if ctx.network is not None else None
    water, green, water_lines = (None, None, None)
    if ctx.osm_path is not None:
        water, green, water_lines = osm_areas(ctx.osm_path)
    return {"streets": streets, "water": water, "green": green, "water_lines": water_lines}


def street_lines(net: Network) -> dict[str, Any]:
    """The network as merged, simplified, delta-encoded WGS84 polylines.

    Returns
    -------
    dict
        ``{"lines": [[x0, y0, dx1, dy1, ...], ...], "scale": SCALE, "n_segments": ..., "dropped": ...}`` with
        x = lon and y = lat in units of 1 / ``scale`` degree; ``dropped`` counts the dead-end pieces left out.
    """
    if net.n_edges == 0:
        return {"lines": [], "scale": SCALE, "n_segments": 0, "dropped": 0}
    xy = np.column_stack([net.x, net.y])
    keep = net.u != net.v
    segments = np.asarray(shapely.linestrings(np.stack([xy[net.u[keep]], xy[net.v[keep]]], axis=1)))
    merged = shapely.line_merge(shapely.multilinestrings(segments))
    lines = np.asarray(shapely.get_parts(merged))
    city = net.n_edges > CITY_EDGES
    dropped = 0
    if city:
        lines, dropped = _drop_dead_ends(lines, net)
    lines = shapely.simplify(lines, CITY_SIMPLIFY_M if city else SIMPLIFY_M)
    to_wgs = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    encoded = [_encode(to_wgs, shapely.get_coordinates(line)) for line in lines]
    return {"lines": [e for e in encoded if e], "scale": SCALE, "n_segments": int(net.n_edges),
            "dropped": dropped}


def _drop_dead_ends(lines: np.ndarray, net: Network) -> tuple[np.ndarray, int]:
    """Leave out merged pieces shorter than :data:`DROP_DEAD_END_M` with an end no other street meets."""
    degree = np.bincount(np.concatenate([net.u, net.v]), minlength=net.n_nodes)
    ends = np.stack([shapely.get_point(lines, 0), shapely.get_point(lines, -1)], axis=1)
    exy = shapely.get_coordinates(ends.ravel()).reshape(-1, 2, 2)
    # Node ids of the ends, by coordinates (the merged lines end exactly on network nodes).
    lookup = {(float(x), float(y)): k for k, (x, y) in enumerate(zip(net.x, net.y, strict=True))}
    deg = np.array([[degree[lookup.get((float(p[0]), float(p[1])), 0)] for p in pair] for pair in exy])
    dead = (deg == 1).any(axis=1) & (shapely.length(lines) < DROP_DEAD_END_M)
    return lines[~dead], int(dead.sum())


def _encode(to_wgs: pyproj.Transformer, coords: np.ndarray) -> list[int]:
    """First point in 1 / SCALE degree, then integer deltas; repeated points (after rounding) dropped."""
    lon, lat = to_wgs.transform(coords[:, 0], coords[:, 1])
    q = np.round(np.column_stack([lon, lat]) * SCALE).astype(np.int64)
    if len(q) > 1:
        q = q[np.concatenate([[True], (np.diff(q, axis=0) != 0).any(axis=1)])]
    if len(q) < 2:
        return []
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    return [int(v) for v in d.ravel()]


def osm_areas(path: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Water areas, green areas and waterway lines of an OSM extract, as WGS84 GeoJSON (None when none).

    An extract that cannot be read for them is logged and gives none: context is never worth failing a map.
    """
    import osmium

    water: list[Any] = []
    green: list[Any] = []
    rivers: list[Any] = []
    wkb = osmium.geom.WKBFactory()
    try:
        processor = osmium.FileProcessor(str(path)).with_locations().with_areas()
        for obj in processor:
            if isinstance(obj, osmium.osm.Area):
                tags = obj.tags
                kind = "water" if _matches(tags, WATER_TAGS) else "green" if _matches(tags, GREEN_TAGS) else None
                if kind is None:
                    continue
                try:
                    geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj)))
                except (RuntimeError, osmium.InvalidLocationError, shapely.errors.GEOSException):
                    continue  # a broken ring at the extract's edge
                (water if kind == "water" else green).append(geom)
            elif isinstance(obj, osmium.osm.Way) and obj.tags.get("waterway") in WATER_LINES:
                try:
                    rivers.append(shapely.from_wkb(bytes.fromhex(wkb.create_linestring(obj))))
                except (RuntimeError, osmium.InvalidLocationError, shapely.errors.GEOSException):
                    continue
    except (RuntimeError, ValueError, OSError) as exc:
        log.warning("map context: water and green areas of %s not read (%s)", path, exc)
        return None, None, None
    log.info("map context from %s: %d water areas, %d green areas, %d waterways", path.name, len(water),
             len(green), len(rivers))
    return _geojson(water), _geojson(green), _geojson(rivers)


def _matches(tags: Any, table: Mapping[str, set[str] | None]) -> bool:
    for key, values in table.items():
        value = tags.get(key)
        if value is not None and (values is None or value in values):
            return True
    return False


def _geojson(geoms: list[Any]) -> dict[str, Any] | None:
    """Geometries (WGS84) as a FeatureCollection, simplified by ~1 m and rounded to 1e-5 degree."""
    if not geoms:
        return None
    arr = shapely.set_precision(shapely.simplify(np.asarray(geoms), 1e-5), 1e-5)
    features = [{"type": "Feature", "properties": {}, "geometry": g.__geo_interface__}
                for g in arr if g is not None and not g.is_empty]
    return {"type": "FeatureCollection", "features": features} if features else None
