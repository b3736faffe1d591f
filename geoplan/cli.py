"""``geoplan`` command line: a thin shell over the Python API.

    geoplan audit [PROJECT] [--out maps] [--preset NAME] [--minutes 10] [--speed 75] ...
    geoplan presets list | show NAME
    geoplan batch BATCH.toml [--scheduler tcp://...] ...   (geoplan.batch.cli)
    geoplan export AUDIT.gpkg|PROJECT --to shp ...        (geoplan.export_cli)
    geoplan site [PROJECT] [--model lscp|mclp] ...        (geoplan.site_cli)
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from geoplan import _help, clip_cli, export_cli, site_cli
from geoplan._errors import GeoplanError, Hint, PresetError
from geoplan._numeric import cli_date, cli_positive, cli_year
from geoplan.batch import cli as batch_cli
from geoplan.init import cli as init_cli
from geoplan.outputs._folder import output_folder
from geoplan.result import AuditResult

log = logging.getLogger("geoplan")


def _add_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _cmd_audit(args: argparse.Namespace) -> int:
    from geoplan.audit import audit
    from geoplan.init import default_project
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
    out = sys.stdout
    out.write(headline(result))
    out.write("\nwritten:\n")
    for label, path in written.items():
        out.write(f"  {label:<22} {path}\n")
    return 0


def headline(result: AuditResult) -> str:
    """The figures a planner looks at first, as printed by ``geoplan audit``: one line per evaluated rule."""
    com = result.communities
    lines = [result.title, f"preset {result.preset_id}: {result.preset_title}"]
    net = result.network
    on_net = f" ({net.communities_attached} on the walking network)" if net and net.n_nodes else ""
    lines.append(f"communities: {len(com)}{on_net}   facilities: {len(result.facilities)}   distances: "
                 f"{net.basis if net else 'none'}")
    ind = result.indicators[result.indicators["unit"] == "%"]
    unevaluated = []
    lines.append(f"  {'rule':<30} {'passing':>8} {'households':>11} {'target':>7}")
    edge = _edge_counts(result)
    for rule_id, rows in ind.groupby("rule_id", sort=False):
        plain = rows.iloc[0]
        if plain["measured"] != plain["measured"]:  # NaN: nothing could be evaluated
            unevaluated.append(str(rule_id))
            continue
        weighted = rows[rows["indicator_en"].str.contains("weighted")]
        w = f"{weighted.iloc[0]['measured']:.1f} %" if len(weighted) else ""
        target = plain["target"]
        t = f"{target:g} %" if target is not None and target == target else ""
        mark = "*" if edge.get(str(rule_id)) else " "
        lines.append(f"  {rule_id!s:<30} {plain['measured']:>6.1f} %{mark}{w:>11} {t:>7}  {plain['indicator_zh']}")
    lines.extend(_notes(result, edge))
    if unevaluated:
        text = (f"no figure ({len(unevaluated)} rules: data missing, or no feature in scope; reasons in "
                f"report.md): {', '.join(unevaluated)}")
        lines.extend(textwrap.wrap(text, width=110, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines) + "\n"


def _edge_counts(result: AuditResult) -> dict[str, int]:
    """Rule id → failing communities near the network's outer edge (may fail only because the network ends)."""
    counts = {}
    for rule_id, rr in result.rule_results.items():
        if "edge_effect" in rr.table.columns and rr.table["edge_effect"].any():
            counts[rule_id] = int(rr.table["edge_effect"].sum())
    return counts


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=110, initial_indent="  ", subsequent_indent="    ")


def _notes(result: AuditResult, edge: dict[str, int]) -> list[str]:
    """Headline lines on rows whose figures need a second look: network edge, rows left out, unmapped types."""
    lines = []
    if edge:
        listed = ", ".join(f"{v} ({k})" for k, v in edge.items())
        lines += _wrap(f"* failing near the network's edge, maybe only because the network ends there: {listed}")
    excluded = result.communities.get("rate_excluded")
    if excluded is not None and (excluded.astype(str) != "").any():
        kinds = excluded[excluded.astype(str) != ""].astype(str).str.replace(r"^duplicate of row \d+$", "duplicates",
                                                                          regex=True).value_counts()
        listed = ", ".join(f"{k} {v}" for k, v in kinds.items())
        lines += _wrap(f"left out of rates (kept in every output, flagged): {int(kinds.sum())} communities: {listed}")
    unmapped = result.extra.get("facility_types_unmapped") or {}
    if unmapped:
        from geoplan._typemap import counts_text

        lines += _wrap(f"facility types used by no rule ({sum(unmapped.values())} facilities; map them in "
                       f"[facility_types]): {counts_text(unmapped)}")
    return lines


def _cmd_presets(args: argparse.Namespace) -> int:
    from geoplan.presets import describe_preset, load_preset, preset_table

    if args.action == "list":
        sys.stdout.write(preset_table().to_string(index=False) + "\n")
        return 0
    if not args.name:
        msg = "geoplan presets show: no preset name"
        raise PresetError(msg, hint=Hint(zh="给出预设名称（见 `geoplan presets list`）或预设 TOML 路径",
                                         en="give a preset name (see `geoplan presets list`) or a preset TOML path"))
    sys.stdout.write(describe_preset(load_preset(args.name)) + "\n")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``geoplan audit: error: argument --minutes: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The argument parser, its help in ``lang`` ("zh" or "en"; exposed for documentation and tests)."""
    parser: argparse.ArgumentParser = _Parser(prog="geoplan", description="Audit '一老一小' facility plans. / "
                                              "“一老一小”设施规划审计。")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-v progress, -vv debug)")
    parser.add_argument("--lang", dest="ui_lang", choices=_help.LANGS, help="language of help and hints: zh or en "
                        "(default: from the locale)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_audit(sub)
    p = sub.add_parser("presets", help="list or show rule presets with their citations")
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("name", nargs="?")
    batch_cli.add_parser(sub)
    export_cli.add_parser(sub)
    site_cli.add_parser(sub)
    init_cli.add_parser(sub)
    clip_cli.add_parser(sub)
    _help.localise(parser, lang)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geoplan`` console script."""
    lang = _help.ui_language(sys.argv[1:] if argv is None else argv)
    args = build_parser(lang).parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)  # quiet by default: warnings; -v progress; -vv debug
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    commands = {"audit": _cmd_audit, "presets": _cmd_presets, "batch": batch_cli.run, "export": export_cli.run,
                "site": site_cli.run, "init": init_cli.run,
                "clip": clip_cli.run}
    try:
        return commands[args.command](args)
    except GeoplanError as exc:
        sys.stderr.write(f"geoplan: error: {exc.localised(lang)}\n")
        return 2
    except KeyboardInterrupt:
        # Every writer removes its temporary files on the way out, so no output is left half-written.
        sys.stderr.write("geoplan: interrupted; files not finished were removed, finished ones are whole\n")
        return 130
    except OSError as exc:  # the system refused something no check foresaw (a full disk, a vanished folder)
        sys.stderr.write(f"geoplan: error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
