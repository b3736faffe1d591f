"""``geoplan audit [PROJECT] [--out maps] [--preset NAME] ...``: audit a project and write every output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan._numeric import cli_date, cli_positive, cli_year
from geoplan.outputs._folder import output_folder


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``audit`` subcommand."""
    p = sub.add_parser("audit", help="audit a project (default: the embedded Hangzhou demo) and write outputs")
    p.add_argument("project", nargs="?", help="geoplan.toml or its folder (default: ./geoplan.toml, else the demo)")
    p.add_argument("--out", type=Path, default=Path("maps"), help="output folder (default: ./maps)")
    p.add_argument("--preset", help="preset name or TOML path (overrides the project's)")
    p.add_argument("--minutes", type=cli_positive("minutes"),
                   help="minutes for every reach rule (overrides the preset)")
    p.add_argument("--speed", type=cli_positive("m/min"), help="walking speed in m/min (overrides project and preset)")
    p.add_argument("--max-snap", type=cli_positive("m"), help="max distance (m) from a point to the network")
    p.add_argument("--new-build-from", type=cli_year, help="build year from which a compound counts as new")
    p.add_argument("--no-network", action="store_true", help="use straight lines × detour factor (labelled)")
    p.add_argument("--date", type=cli_date, help="date stamped on outputs (ISO), for reproducible reports")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="map language")
    p.add_argument("--tiles", metavar="URL", help="tile basemap of the map: an XYZ/WMTS URL template with {z}/{x}/{y} "
                   "(e.g. 天地图 with your key) or 'osm'; default none (streets, water, green drawn offline)")


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan audit`` with parsed arguments; returns the exit status."""
    from geoplan.audit import audit
    from geoplan.init import default_project
    from geoplan.outputs.console import headline, written_list
    from geoplan.outputs.maps import MapContext, map_tiles
    from geoplan.outputs.write import write_all

    project, which = default_project(args.project)
    sys.stderr.write(which + "\n")
    tiles = map_tiles(args.tiles, project)  # checked before the audit
    with output_folder(args.out):  # checked and locked before the audit, which takes a while
        result = audit(
            project, preset=args.preset, minutes=args.minutes, walk_speed_m_per_min=args.speed,
            max_snap_m=args.max_snap, new_build_from_year=args.new_build_from, use_network=not args.no_network,
            created=args.date,
        )
        written = write_all(result, args.out, lang=args.lang, tiles=tiles,
                            context=MapContext.for_audit(project, result))
    sys.stdout.write(headline(result))
    sys.stdout.write("\n" + written_list(written, 22))
    return 0
