"""``geoplan export``: the command line over :mod:`geoplan.convert` (one command of :mod:`geoplan.cli`).

    geoplan export SOURCE --to shp [--to gpkg ...] [--out DIR] [--crs EPSG:4549 | GK] [--encoding gbk]

SOURCE is an ``audit.gpkg`` geoplan wrote (re-read and converted) or a project (audited first); see
:mod:`geoplan.convert` for why both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan._numeric import cli_date
from geoplan.outputs._folder import output_folder

#: Formats of ``geoplan export`` (a project source also allows ``md``); kept in step with geoplan.convert.
EXPORT_FORMATS = ("shp", "gpkg", "geojson", "xlsx", "csv")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``export`` subcommand."""
    p = sub.add_parser("export", help="export an audit as Shapefile / GeoPackage / GeoJSON / XLSX",
                       description="Export an audit GeoPackage (re-read) or a project (audited first).")
    p.add_argument("source", type=Path, help="audit.gpkg written by geoplan, or a geoplan.toml / its folder")
    p.add_argument("--to", action="append", required=True, metavar="FORMAT",
                   help=f"output format, repeatable: {', '.join(EXPORT_FORMATS)} (a project also: md)")
    p.add_argument("--out", type=Path, default=Path("export"), help="output folder (default: ./export)")
    p.add_argument("--crs", help="CRS of .prj and GeoPackage: EPSG:4549, CGCS2000 ..., or GK for the "
                                 "CGCS2000 Gauss-Krüger zone of the data (default: the audit's)")
    p.add_argument("--encoding", default="utf-8", help="Shapefile text: utf-8 (default) or gbk (old ArcGIS)")
    p.add_argument("--date", type=cli_date, help="date stamped on outputs when a project is audited (ISO)")


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan export`` with parsed arguments; returns the exit status."""
    from geoplan.convert import export_source
    from geoplan.outputs.console import written_list

    formats = [f for item in args.to for f in item.split(",") if f]
    with output_folder(args.out):
        written = export_source(args.source, args.out, formats, encoding=args.encoding, crs=args.crs,
                                created=args.date)
    sys.stdout.write(written_list(written, 26))
    return 0
