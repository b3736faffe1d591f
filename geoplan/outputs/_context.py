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
from geoplan.outputs._strokes import strokes

if TYPE_CHECKING:
    from geoplan.network import Network
    from geoplan.project import Project
    from geoplan.result import AuditResult

log = logging.getLogger(__name__)

#: Street polylines are simplified by this many metres (invisible at street zoom).
SIMPLIFY_M: Final = 1.0
#: Integer coordinate unit: 1e-5 degree (about 1.1 m north-south).
SCALE: Final = 100_000
#: Above this many street segments the network is "city scale": the shortest strokes are left out so that at
#: most :data:`CITY_VERTICES` vertices are drawn, and polylines are simplified by :data:`CITY_SIMPLIFY_M`.
CITY_EDGES: Final = 100_000
CITY_VERTICES: Final = 250_000
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
            if proj.network.clip:  # as the audit does: the study area cut out of a province's extract (cached)
                from geoplan.clip import clip_for_project

                path = Path(clip_for_project(proj)[0])
                net = load_network(path, crs=crs, cache=True)
            else:
                net = load_network(path, crs=crs, cache=True, layer=proj.network.layer,
                                   source_crs=proj.network.crs)
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
    """The network as strokes (:mod:`geoplan.outputs._strokes`), simplified, delta-encoded WGS84 polylines.

    At city scale (more than :data:`CITY_EDGES` segments) the shortest strokes are left out until what is
    drawn has at most :data:`CITY_VERTICES` vertices: the long streets a reader finds the way by stay.

    Returns
    -------
    dict
        ``{"lines": [[x0, y0, dx1, dy1, ...], ...], "scale": SCALE, "n_segments": ..., "dropped": ...}`` with
        x = lon and y = lat in units of 1 / ``scale`` degree; ``dropped`` counts the strokes left out.
    """
    seqs = strokes(net.x, net.y, net.u, net.v)
    if not seqs:
        return {"lines": [], "scale": SCALE, "n_segments": int(net.n_edges), "dropped": 0}
    sizes = np.array([s.size for s in seqs])
    nodes = np.concatenate(seqs)
    which = np.repeat(np.arange(len(seqs)), sizes)
    lines = shapely.linestrings(np.column_stack([net.x[nodes], net.y[nodes]]), indices=which)
    city = net.n_edges > CITY_EDGES
    dropped = 0
    if city:
        lines, dropped = _longest(np.asarray(lines), sizes)
    lines = np.asarray(shapely.simplify(lines, CITY_SIMPLIFY_M if city else SIMPLIFY_M))
    return {"lines": _encode(lines, net.crs), "scale": SCALE, "n_segments": int(net.n_edges), "dropped": dropped}


def _longest(lines: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, int]:
    """The longest strokes whose vertices fit in :data:`CITY_VERTICES`, in their original order."""
    by_length = np.argsort(-shapely.length(lines), kind="stable")
    fits = np.cumsum(sizes[by_length]) <= CITY_VERTICES
    chosen = np.sort(by_length[fits])
    return lines[chosen], int(lines.size - chosen.size)


def _encode(lines: np.ndarray, crs: pyproj.CRS) -> list[list[int]]:
    """Per line: first point in 1 / SCALE degree, then integer deltas; points repeated after rounding dropped."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return []
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(coords[:, 0], coords[:, 1])
    q = np.round(np.column_stack([lon, lat]) * SCALE).astype(np.int64)
    new_line = np.r_[True, index[1:] != index[:-1]]
    keep = new_line | (np.diff(q, axis=0, prepend=q[:1]) != 0).any(axis=1)
    q, index, new_line = q[keep], index[keep], new_line[keep]
    delta = np.where(new_line[:, None], q, np.diff(q, axis=0, prepend=q[:1]))
    bounds = np.flatnonzero(new_line)[1:]
    return [part.ravel().tolist() for part in np.split(delta, bounds) if len(part) >= 2]


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
