"""``geoplan site``: siting suggestions from the command line (one command of :mod:`geoplan.cli`).

    geoplan site [PROJECT] [--rules reach_childcare_15,...] [--model lscp|mclp|sized] [--p N]
                 [--candidates given|generated|both] [--spacing 300] [--candidate-layer FILE] [--mask FILE]
                 [--mask-buffer 0] [--demand failing|all] [--time-limit 60] [--out maps]

Audits the project (``./geoplan.toml`` by default, else the embedded demo, as ``geoplan audit``), suggests
sites for the failing rules (:func:`geoplan.siting.suggest_sites`) and writes them
(:func:`geoplan.outputs.suggestions.write_suggestions`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd

from geoplan._errors import Hint, InputError
from geoplan._numeric import cli_count, cli_date, cli_nonnegative, cli_positive
from geoplan.outputs._folder import output_folder


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``site`` subcommand."""
    p = sub.add_parser("site", help="suggest new facility sites that close an audit's gaps",
                       description="Audit a project, then suggest sites for its failing reach, provision and "
                                   "presence rules (default project: ./geoplan.toml, else the embedded demo).")
    p.add_argument("project", nargs="?", help="geoplan.toml or its folder (default: ./geoplan.toml, else the demo)")
    p.add_argument("--rules", help="comma-separated rule ids (default: every failing reach/provision/presence rule)")
    p.add_argument("--model", choices=("lscp", "mclp", "sized"), default="lscp",
                   help="reach rules: fewest sites (lscp), most households with --p sites (mclp), or fewest "
                        "sites then least total size (sized)")
    p.add_argument("--p", type=cli_count, help="number of new sites per rule (mclp)")
    p.add_argument("--candidates", choices=("given", "generated", "both"), default="both",
                   help="candidate sites: facilities of type 'candidate', street nodes in the gaps, or both")
    p.add_argument("--spacing", type=cli_positive("m"), default=300.0,
                   help="spacing of generated candidates, m (default 300)")
    p.add_argument("--candidate-layer", type=Path, help="more candidate sites: a point layer (GPKG, SHP, GeoJSON)")
    p.add_argument("--mask", type=Path, help="layer of areas where no site may go (GPKG, SHP, GeoJSON)")
    p.add_argument("--mask-buffer", type=cli_nonnegative("m"), default=0.0,
                   help="keep sites this far from masked areas, m")
    p.add_argument("--demand", choices=("failing", "all"), default="failing",
                   help="reach rules: model the failing communities (default) or all, existing facilities fixed")
    p.add_argument("--time-limit", type=cli_positive("seconds"), default=60.0,
                   help="solver seconds per rule (default 60)")
    p.add_argument("--preset", help="preset name or TOML path (overrides the project's)")
    p.add_argument("--out", type=Path, default=Path("maps"), help="output folder (default: ./maps)")
    p.add_argument("--encoding", default="utf-8", help="Shapefile text: utf-8 (default) or gbk (old ArcGIS)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="map language")
    p.add_argument("--date", type=cli_date, help="date stamped on the maps (ISO), for reproducible outputs")
    p.add_argument("--tiles", metavar="URL", help="tile basemap of the maps: an XYZ/WMTS URL template with "
                   "{z}/{x}/{y} (e.g. 天地图 with your key) or 'osm'; default none (streets, water, green offline)")


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan site`` with parsed arguments; returns the exit status."""
    from geoplan.audit import audit
    from geoplan.init import default_project
    from geoplan.outputs.console import site_table, written_list
    from geoplan.outputs.maps import MapContext, map_tiles
    from geoplan.outputs.suggestions import write_suggestions
    from geoplan.siting import suggest_sites
    from geoplan.siting.planning import check_options

    check_options(args.model, args.p, args.candidates, args.spacing)  # before the audit, which takes a while
    project, which = default_project(args.project)  # ./geoplan.toml, else the demo, as `geoplan audit`
    sys.stderr.write(which + "\n")
    tiles = map_tiles(args.tiles, project)
    with output_folder(args.out):  # checked and locked before the audit and the solver
        result = audit(project, preset=args.preset, created=args.date)
        rules = [r.strip() for r in args.rules.split(",") if r.strip()] if args.rules else None
        layer = _read_layer(args.candidate_layer) if args.candidate_layer else None
        siting = suggest_sites(project, result, rules=rules, model=args.model, p=args.p, candidates=args.candidates,
                               spacing_m=args.spacing, mask=args.mask, mask_buffer_m=args.mask_buffer,
                               candidate_layer=layer, demand=args.demand, time_limit_s=args.time_limit,
                               preset=args.preset)
        written = write_suggestions(siting, result, args.out, lang=args.lang, encoding=args.encoding, tiles=tiles,
                                    context=MapContext.for_audit(project, result))
    sys.stdout.write(site_table(siting.solutions))
    sys.stdout.write(written_list(written, 36))
    return 0


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    """A candidate point layer, or an :class:`InputError` naming the file."""
    try:
        return gpd.read_file(path)
    except Exception as exc:  # GDAL raises many kinds for a missing or damaged file
        msg = f"cannot read the candidate layer {path}: {exc}"
        raise InputError(msg, hint=Hint(zh="给出 GeoPackage、Shapefile 或 GeoJSON 点图层",
                                        en="give a GeoPackage, Shapefile or GeoJSON point layer")) from exc
