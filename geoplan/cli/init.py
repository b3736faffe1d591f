"""``geoplan init COMMUNITIES FACILITIES [--network FILE] ...``: write a project file from a planner's tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan._errors import Hint, ProjectError
from geoplan.init.write import InitOptions, init_project
from geoplan.project import COMMUNITY_FIELDS, FACILITY_FIELDS

_LAYERS = {"communities": COMMUNITY_FIELDS, "facilities": FACILITY_FIELDS}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``geoplan init``."""
    p = sub.add_parser("init", help="write a geoplan.toml from a community table and a facility table")
    p.add_argument("communities", type=Path, help="community (小区) table: XLSX/CSV/SHP/GPKG")
    p.add_argument("facilities", type=Path, help="facility table: XLSX/CSV/SHP/GPKG")
    p.add_argument("--network", type=Path, help="walking network (OSM .pbf or road layer); also used to check CRSs")
    p.add_argument("--out", type=Path, default=Path("geoplan.toml"), help="project file to write (default: "
                   "./geoplan.toml)")
    p.add_argument("--preset", help="preset name or TOML path (default: from the city name)")
    p.add_argument("--city", help="city name, to choose the preset (e.g. 衢州)")
    p.add_argument("--title", help="project title")
    p.add_argument("--crs", action="append", default=[], metavar="LAYER=CRS",
                   help="coordinate system of a layer, e.g. communities=GCJ02 (default: guessed)")
    p.add_argument("--field", action="append", default=[], metavar="LAYER.FIELD=COLUMN",
                   help="column of a canonical field, e.g. communities.households=总户数, communities.x=经度")
    p.add_argument("--type", action="append", default=[], metavar="VALUE=TERM",
                   help="plan term of a facility-type value, e.g. 幼儿园=childcare")
    p.add_argument("--sheet", action="append", default=[], metavar="LAYER=SHEET", help="XLSX sheet of a layer")
    p.add_argument("--household-size", type=float, help="people per household (census), to estimate population")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")


def _pairs(values: list[str], option: str, example: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        key, sep, right = value.partition("=")
        if not sep or not key.strip() or not right.strip():
            msg = f"--{option} {value!r} is not KEY=VALUE"
            raise ProjectError(msg, hint=Hint(zh=f"请写成 {example}", en=f"write it as {example}"))
        out.append((key.strip(), right.strip()))
    return out


def _layer_key(key: str, option: str) -> str:
    if key not in _LAYERS:
        msg = f"--{option}: layer {key!r} is not one of communities, facilities"
        raise ProjectError(msg, hint=Hint(zh="图层名用 communities（小区）或 facilities（设施）",
                                          en="name the layer communities or facilities"))
    return key


def options(args: argparse.Namespace) -> InitOptions:
    """The :class:`InitOptions` of parsed arguments; a malformed override is a :class:`ProjectError`."""
    fields: dict[str, dict[str, str]] = {}
    for key, column in _pairs(args.field, "field", "communities.households=户数"):
        layer, _, name = key.partition(".")
        _layer_key(layer, "field")
        if name not in (*_LAYERS[layer], "x", "y"):
            msg = f"--field {key}: {name!r} is not a field of {layer} (fields: x, y, {', '.join(_LAYERS[layer])})"
            raise ProjectError(msg, hint=Hint(zh="字段含义见 docs/project-file.md", en="the fields are explained in "
                                              "docs/project-file.md"))
        fields.setdefault(layer, {})[name] = column
    size = args.household_size
    if size is not None and not 0 < size < 20:  # no household holds 20 people on average
        msg = f"--household-size {size:g} is not a household size"
        raise ProjectError(msg, hint=Hint(zh="填写普查的户均人口，如 2.6", en="give the census's people per household, "
                                          "e.g. 2.6"))
    return InitOptions(
        communities=args.communities, facilities=args.facilities, network=args.network, out=args.out,
        preset=args.preset, city=args.city, title=args.title,
        crs={_layer_key(k, "crs"): v for k, v in _pairs(args.crs, "crs", "communities=GCJ02")},
        fields=fields, types=dict(_pairs(args.type, "type", "幼儿园=childcare")),
        sheet={_layer_key(k, "sheet"): v for k, v in _pairs(args.sheet, "sheet", "communities=Sheet1")},
        household_size=args.household_size, force=args.force,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan init``; the summary goes to stdout."""
    for path in (args.communities, args.facilities, args.network):
        if path is not None and not path.exists():
            msg = f"{path}: file not found"
            raise ProjectError(msg, hint=Hint(zh="检查路径（相对于当前文件夹）", en="check the path (relative to the "
                                              "current folder)"))
    report = init_project(options(args))
    sys.stdout.write(report.summary())
    return 0
