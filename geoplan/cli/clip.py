"""``geoplan clip EXTRACT.osm.pbf [PROJECT] --out walk.osm.pbf``: a study area's walking network from a big extract."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from geoplan._errors import Hint, ProjectError
from geoplan.clip import area_file, buffered_area, clip_extract, project_area, project_margin_m
from geoplan.init.default import default_project

log = logging.getLogger(__name__)
BBOX_HINT = Hint(zh="写成 最小经度,最小纬度,最大经度,最大纬度，如 120.10,30.23,120.19,30.30",
                 en="write MINLON,MINLAT,MAXLON,MAXLAT, e.g. 120.10,30.23,120.19,30.30")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``geoplan clip``."""
    p = sub.add_parser("clip", help="cut a study area's walking network out of a big OSM extract (streaming)")
    p.add_argument("extract", type=Path, help="OSM extract (.osm.pbf) of a province or country")
    p.add_argument("project", nargs="?", help="project whose area to keep (default: ./geoplan.toml)")
    p.add_argument("--out", type=Path, default=Path("walk.osm.pbf"), help="PBF to write (default: ./walk.osm.pbf)")
    p.add_argument("--area", type=Path, help="polygons to keep (admin units: GeoJSON/GPKG/SHP) instead of the "
                   "project's")
    p.add_argument("--bbox", help="lon/lat box to keep instead: MINLON,MINLAT,MAXLON,MAXLAT (WGS84)")
    p.add_argument("--margin", type=float, help="metres added around the area (default: the preset's longest "
                   "walking distance)")


def _bbox(text: str) -> BaseGeometry:
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError as exc:
        msg = f"--bbox {text!r} is not four numbers"
        raise ProjectError(msg, hint=BBOX_HINT) from exc
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        msg = f"--bbox {text!r}: not a lon/lat box (min < max, longitude -180..180, latitude -90..90)"
        raise ProjectError(msg, hint=BBOX_HINT)
    return shapely.box(minx, miny, maxx, maxy)


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan clip``; a summary goes to stdout."""
    margin = args.margin
    if margin is not None and not 0 <= margin <= 50_000:
        msg = f"--margin {margin:g} is out of range"
        raise ProjectError(msg, hint=Hint(zh="给出 0 到 50000 之间的米数", en="give metres between 0 and 50000"))
    if args.bbox or args.area:
        shapes: list[BaseGeometry] = [_bbox(args.bbox)] if args.bbox else area_file(args.area)
        hull, how = False, ("--bbox" if args.bbox else f"--area {args.area}")
        if margin is None:
            margin, why = 1200.0, "default 1200 m (15 min × 80 m/min; give --margin or a project for the preset's)"
        else:
            why = "given"
    else:
        project, which = default_project(args.project)
        if not args.project and "demo" in which:
            msg = "geoplan clip: no area (no project given and no ./geoplan.toml here)"
            raise ProjectError(msg, hint=Hint(zh="给出项目文件、--area 或 --bbox",
                                              en="give a project, --area or --bbox"))
        shapes, hull, proj = project_area(project)
        how = f"project {project}" + (" admin units" if not hull else " compounds' extent")
        if margin is None:
            margin, why = project_margin_m(proj)
        else:
            why = "given"
    area = buffered_area(shapes, float(margin), hull=hull)
    result = clip_extract(args.extract, area, args.out)
    sys.stdout.write(f"area: {how}, margin {margin:g} m ({why}); {result.area_km2:.1f} km²\n"
                     f"kept {result.ways} walkable ways, {result.nodes} nodes of {result.ways_seen} highway ways\n"
                     f"wrote {result.out}  (name it in [network] path of the project file)\n")
    return 0
