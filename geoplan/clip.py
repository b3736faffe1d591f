"""Clip a big OpenStreetMap extract (a province, a country) to a study area's walking network, streaming.

Planners download a provincial ``.osm.pbf`` of hundreds of megabytes; an audit needs the walkable streets of
one district plus a margin. Two streaming passes with pyosmium (libosmium in C++; Python sees only the
highway ways and then only the kept objects):

1. every way the walk filter keeps (:func:`geoplan.network.osm.is_walkable`, osmnx's ``walk`` filter) with at
   least one node inside the area is kept *whole*, with all its nodes (a street crossing the edge is not cut,
   so walks that leave the area and come back are still found);
2. those nodes and ways are copied to a new PBF, relations and everything else left out.

The area is admin polygons, or the compounds' convex hull, buffered by a margin: by default the longest walking
distance of the preset's reach rules, so a facility just beyond the edge of the study area still serves the
compounds inside it (no edge effect).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from geoplan import _hints
from geoplan._errors import Hint, NetworkError, ProjectError
from geoplan.crs import auto_metric_crs
from geoplan.network.osm import OSM_SUFFIXES, is_walkable

if TYPE_CHECKING:
    from geoplan.project import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipResult:
    """What a clip kept."""

    out: Path
    ways: int
    nodes: int
    ways_seen: int
    area_km2: float


def buffered_area(shapes: Iterable[BaseGeometry], margin_m: float, hull: bool = True) -> BaseGeometry:
    """The area to keep in WGS84: the shapes (WGS84), their convex hull when ``hull``, buffered by ``margin_m``.

    The buffer is made in the CGCS2000 Gauss-Krüger zone of the shapes, so the margin is in true metres.
    """
    geoms = [g for g in shapes if g is not None and not g.is_empty]
    if not geoms:
        msg = "nothing to clip to: the area has no geometry (no placed points or polygons)"
        raise NetworkError(msg, hint=Hint(zh="检查项目图层的坐标与坐标系，或用 --bbox / --area 指定范围",
                                          en="check the project layers' coordinates and crs, or give --bbox / --area"))
    union = shapely.union_all(geoms)
    if hull:
        union = union.convex_hull
    centre = union.centroid
    metric = auto_metric_crs([centre.x], [centre.y])
    series = gpd.GeoSeries([union], crs=4326).to_crs(metric).buffer(margin_m)
    return cast(BaseGeometry, series.to_crs(4326).iloc[0])


def _show_progress() -> bool:
    # a person watching (a terminal), or -v (debug logging); never in a pipe or a test by default
    return sys.stderr.isatty() or logging.getLogger("geoplan").isEnabledFor(logging.DEBUG)


def _kept_ways(src: Path, area: BaseGeometry) -> tuple[set[int], set[int], int]:
    """Pass 1: ids of walkable ways touching the area and of all their nodes."""
    shapely.prepare(area)
    minx, miny, maxx, maxy = area.bounds
    ways: set[int] = set()
    nodes: set[int] = set()
    seen = 0
    processor = (osmium.FileProcessor(str(src)).with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                 .with_filter(osmium.filter.KeyFilter("highway")))
    with tqdm(desc="pass 1/2: highway ways", unit=" ways", disable=not _show_progress(), file=sys.stderr) as bar:
        for obj in processor:
            way = cast(osmium.osm.Way, obj)
            seen += 1
            if seen % 10_000 == 0:
                bar.update(10_000)
            if not is_walkable(way.tags):
                continue
            refs = [n.ref for n in way.nodes]
            locs = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
            if not locs:
                continue
            xy = np.asarray(locs)
            box = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
            if box.any() and shapely.contains_xy(area, xy[box, 0], xy[box, 1]).any():
                ways.add(way.id)
                nodes.update(refs)
        bar.update(seen % 10_000)
    return ways, nodes, seen


def _copy(src: Path, tmp: Path, ways: set[int], nodes: set[int]) -> None:
    """Pass 2: copy the kept nodes and ways, in file order (nodes first, as PBF readers expect)."""
    node_filter, way_filter = osmium.filter.IdFilter(nodes), osmium.filter.IdFilter(ways)
    node_filter.enable_for(osmium.osm.NODE)  # each id filter applies to its own kind only (ids repeat across kinds)
    way_filter.enable_for(osmium.osm.WAY)
    processor = (osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY)
                 .with_filter(node_filter).with_filter(way_filter))
    writer = osmium.SimpleWriter(str(tmp), overwrite=True)
    try:
        with tqdm(desc="pass 2/2: writing", unit=" objects", total=len(nodes) + len(ways),
                  disable=not _show_progress(), file=sys.stderr) as bar:
            for obj in processor:
                if isinstance(obj, osmium.osm.Node):
                    writer.add_node(obj)
                elif isinstance(obj, osmium.osm.Way):
                    writer.add_way(obj)
                bar.update()  # tqdm redraws at most every 0.1 s
    finally:
        writer.close()


def clip_extract(src: str | os.PathLike[str], area: BaseGeometry, out: str | os.PathLike[str]) -> ClipResult:
    """Write the walkable ways of ``src`` touching ``area`` (WGS84) to the PBF ``out``.

    Parameters
    ----------
    src : path-like
        An OSM extract (.osm.pbf, .osm, .osm.bz2 ...).
    area : shapely geometry
        The area in WGS84 lon/lat (see :func:`buffered_area`).
    out : path-like
        The PBF to write (``.osm.pbf``); written to a temporary file first, then renamed.

    Raises
    ------
    NetworkError
        The extract is missing or unreadable, or no walkable way touches the area.
    """
    src, out = Path(src), Path(out)
    if not src.is_file():
        msg = f"OSM extract {src} not found"
        raise NetworkError(msg, hint=Hint(zh="检查路径（相对于当前文件夹）",
                                          en="check the path (relative to the current folder)"))
    if not str(out).lower().endswith(".osm.pbf"):
        msg = f"--out {out}"
        raise NetworkError(msg, hint=Hint(zh="输出文件名以 .osm.pbf 结尾", en="name the clipped network *.osm.pbf"))
    if not str(src).lower().endswith(OSM_SUFFIXES):
        msg = f"{src}: not an OSM file ({', '.join(OSM_SUFFIXES)})"
        raise NetworkError(msg, hint=Hint(zh="给出 OpenStreetMap 数据（如 Geofabrik 的 .osm.pbf）",
                                          en="give an OpenStreetMap extract (e.g. Geofabrik's .osm.pbf)"))
    try:
        ways, nodes, seen = _kept_ways(src, area)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"cannot read OSM extract {src}: {exc}"
        raise NetworkError(msg, hint=_hints.DOWNLOAD_AGAIN) from exc
    if not ways:
        msg = (f"{src}: no walkable way touches the area ({seen} highway ways read)")
        raise NetworkError(msg, hint=Hint(zh="确认数据覆盖研究区，并检查各图层的坐标系",
                                          en="check that the extract covers the study area and the layers' "
                                             "coordinate systems"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name[:-len('.osm.pbf')]}.part.osm.pbf")
    try:
        _copy(src, tmp, ways, nodes)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    metric = auto_metric_crs([area.centroid.x], [area.centroid.y])
    km2 = float(gpd.GeoSeries([area], crs=4326).to_crs(metric).area.iloc[0]) / 1e6
    log.info("%s: %d walkable ways, %d nodes kept of %d highway ways (area %.1f km²)", out, len(ways), len(nodes),
             seen, km2)
    return ClipResult(out, len(ways), len(nodes), seen, km2)


def project_margin_m(proj: Project) -> tuple[float, str]:
    """The longest walking distance of the project's reach rules (minutes × speed), and how it was found."""
    from geoplan import settings
    from geoplan.presets import load_preset

    pre = load_preset(proj.preset)
    speed = float(proj.audit.get("walk_speed_m_per_min") or pre.parameters.get("walk_speed_m_per_min")
                  or settings.walk_speed_m_per_min)
    minutes = [float(r.params["minutes"]) for r in pre.rules if r.kind == "reach"]
    if not minutes:
        return 1000.0, f"preset {pre.id} has no reach rule: 1000 m"
    return max(minutes) * speed, f"longest reach rule of {pre.id}: {max(minutes):g} min × {speed:g} m/min"


def project_area(project: str | os.PathLike[str] | Project) -> tuple[list[BaseGeometry], bool, Project]:
    """Shapes (WGS84) of a project's study area: its admin polygons, else its compounds' (else facilities') points.

    Returns the shapes, whether they are points to be hulled, and the project.
    """
    from geoplan.layers import canonical_communities, canonical_facilities, read_table
    from geoplan.presets import load_preset
    from geoplan.project import Project, load_project

    proj = project if isinstance(project, Project) else load_project(Path(project))
    if proj.admin_units is not None:
        units = read_table(proj.admin_units)
        if isinstance(units, gpd.GeoDataFrame) and units.crs is not None:
            return list(units.to_crs(4326).geometry), False, proj
    # The audited compounds make the study area (a city-wide facility layer must not widen it); the margin
    # brings in the facilities that serve them.
    if proj.communities is not None:
        com, _ = canonical_communities(read_table(proj.communities), proj.communities)
        return list(com.geometry), True, proj
    fac = canonical_facilities(read_table(proj.facilities), proj.facilities, proj.facility_types,
                               set(load_preset(proj.preset).types))
    return list(fac.geometry), True, proj


def area_file(path: Path) -> list[BaseGeometry]:
    """The polygons (WGS84) of an area file; a :class:`ProjectError` when it has none or no CRS."""
    from geoplan.layers import read_table
    from geoplan.project import LayerSpec

    frame = read_table(LayerSpec(path=path.resolve()))
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        msg = f"{path}: no polygons with a coordinate system"
        raise ProjectError(msg, hint=Hint(zh="给出带坐标系的面图层（GeoJSON、GeoPackage 或带 .prj 的 Shapefile）",
                                          en="give polygons with a coordinate system (GeoJSON, GeoPackage, "
                                             "Shapefile with .prj)"))
    return list(frame.to_crs(4326).geometry)


def clip_for_project(proj: Project, cache: Path | None = None) -> tuple[Path, str]:
    """The study area's walking network cut from ``[network] path`` (``clip = true``), cached; and a note.

    The clipped file is kept under the network cache (``clips/``), keyed by the extract's path, size and
    modification time (hashing a GB extract on every audit would cost more than clipping), the area and the
    margin: a second audit of the same project reuses it.
    """
    from geoplan.network.cache import cache_dir

    if proj.network is None:
        msg = f"{proj.source}: no [network] to clip"
        raise ProjectError(msg, hint=Hint(zh="在项目文件中加入 [network]，或用 --area / --bbox",
                                          en="add [network] to the project file, or give --area / --bbox"))
    spec = proj.network
    if spec.clip_area is not None:
        shapes, hull, how = area_file(spec.clip_area), False, f"the polygons of {spec.clip_area.name}"
    else:
        shapes, hull, _ = project_area(proj)
        how = "the compounds' extent" if hull else "the [admin_units] polygons"
    margin, why = (spec.clip_margin_m, "clip_margin_m") if spec.clip_margin_m is not None \
        else project_margin_m(proj)
    area = buffered_area(shapes, margin, hull=hull)
    stat = spec.path.stat()
    key = hashlib.sha256(f"{spec.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{margin}|".encode()
                         + shapely.to_wkb(area)).hexdigest()[:32]
    out = (cache or cache_dir().parent / "clips") / f"{key}.osm.pbf"
    if not out.is_file():
        clip_extract(spec.path, area, out)
    note = (f"walking network cut from {spec.path.name} to {how} plus {margin:g} m ({why}); clipped file {out}")
    return out, note
