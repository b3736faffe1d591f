"""``geoplan`` command line: one module per command, each a thin shell over the Python API.

    geoplan audit [PROJECT] [--out maps] [--preset NAME] [--minutes 10] [--speed 75] ...   (audit)
    geoplan presets list | show NAME                                                       (presets)
    geoplan batch BATCH.toml [--scheduler tcp://...] ...                                   (batch)
    geoplan export AUDIT.gpkg|PROJECT --to shp ...                                         (export)
    geoplan site [PROJECT] [--model lscp|mclp] ...                                         (site)
    geoplan init COMMUNITIES FACILITIES ...                                                (init)
    geoplan clip EXTRACT.osm.pbf [PROJECT] ...                                             (clip)

Each module has ``add_parser(sub)`` and ``run(args) -> int``; what they print is formatted in
:mod:`geoplan.outputs.console`. Here: the parser (one-line usage errors, help in Chinese or English from
:mod:`geoplan._help`) and :func:`main`, which turns a :class:`~geoplan._errors.GeoplanError` into one line and
exit status 2, and Ctrl-C into 130.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import NoReturn

from geoplan import _help
from geoplan._errors import GeoplanError
from geoplan.cli import audit, batch, clip, export, init, presets, site

log = logging.getLogger("geoplan")

#: command name → its module (``add_parser`` and ``run``), in the order of ``geoplan --help``.
COMMANDS: dict[str, ModuleType] = {"audit": audit, "presets": presets, "batch": batch, "export": export,
                                   "site": site, "init": init, "clip": clip}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``geoplan audit: error: argument --minutes: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        _help.usage_error(self, message)  # in the --lang of the help


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The argument parser, its help in ``lang`` ("zh" or "en"; exposed for documentation and tests)."""
    parser: argparse.ArgumentParser = _Parser(prog="geoplan", description="Audit '一老一小' facility plans. / "
                                              "“一老一小”设施规划审计。")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-v progress, -vv debug)")
    parser.add_argument("--lang", dest="ui_lang", choices=_help.LANGS, help="language of help and hints: zh or en "
                        "(default: from the locale)")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        module.add_parser(sub)
    _help.localise(parser, lang)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geoplan`` console script."""
    lang = _help.ui_language(sys.argv[1:] if argv is None else argv)
    args = build_parser(lang).parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)  # quiet by default: warnings; -v progress; -vv debug
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    run: Callable[[argparse.Namespace], int] = COMMANDS[args.command].run
    try:
        return run(args)
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

