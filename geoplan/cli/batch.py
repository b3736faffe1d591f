"""``geoplan batch``: the command-line face of :mod:`geoplan.batch` (one command of :mod:`geoplan.cli`).

    geoplan batch BATCH.toml [--out DIR] [--var NAME=VALUE ...] [--scheduler tcp://HOST:8786]
                             [--workers N] [--force] [--date YYYY-MM-DD] [--no-progress]

Exit status 0 when every area ran (failing rules are findings, not errors), 1 when an area could not run,
2 for a batch file that cannot be used (bad TOML, an output path leaving the output folder ...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geoplan._errors import Hint, ProjectError
from geoplan._numeric import cli_count, cli_date


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``batch`` subcommand."""
    p = sub.add_parser("batch", help="audit many areas in parallel (local processes or a Dask cluster)",
                       description="Audit every area of a batch file and write consolidated outputs "
                                   "(batch.xlsx, CSV, index.html) and one folder per area.")
    p.add_argument("batch", type=Path, help="the batch file (TOML)")
    p.add_argument("--out", type=Path, help="output folder (default: [batch] out, relative to the batch file)")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="set a ${NAME} variable of the batch file (repeatable); relative paths are taken "
                        "from the current folder")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local processes)")
    p.add_argument("--workers", type=cli_count, help="local worker processes (default: [batch] workers or the cores)")
    p.add_argument("--force", action="store_true", help="rerun areas already completed with the same inputs")
    p.add_argument("--date", type=cli_date,
                   help="date stamped on every output (ISO; default: [batch] created or today)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _variables(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            msg = f"--var {item!r}"
            raise ProjectError(msg, hint=Hint(zh="写作 NAME=VALUE，如 --var shared=/data/shared/data",
                                              en="write NAME=VALUE, e.g. --var shared=/data/shared/data"))
        is_path = ("/" in value or "\\" in value or value.startswith(".")) and not value.startswith("${")
        out[name] = str(Path(value).resolve()) if is_path and not Path(value).is_absolute() else value
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan batch`` with parsed arguments; returns the exit status."""
    from geoplan.batch import load_batch, run_batch
    from geoplan.batch.area import DONE, ERROR, SKIPPED, AreaOutcome
    from geoplan.outputs.console import written_list

    spec = load_batch(args.batch, out=args.out, variables=_variables(args.var), created=args.date)
    out = sys.stdout

    def said(outcome: AreaOutcome) -> None:
        if outcome.status == ERROR:
            sys.stderr.write(f"geoplan batch: area {outcome.id} could not run: {outcome.message}\n")

    report = run_batch(spec, scheduler=args.scheduler, workers=args.workers, force=args.force,
                       progress=not args.no_progress, on_outcome=said)
    out.write(f"{spec.title}\n{len(spec.areas)} areas: {report.count(DONE)} run, {report.count(SKIPPED)} skipped "
              f"(already complete; --force reruns them), {report.count(ERROR)} could not run  "
              f"[{report.executor}, {report.seconds:.1f} s]\n")
    for outcome in report.outcomes:
        if outcome.status == ERROR:
            out.write(f"  error  {outcome.id}: {outcome.message}\n")
    out.write(written_list(report.written, 26))
    out.write(f"  {'areas/<id>/':<26} {spec.out / 'areas'}  (audit.gpkg, gap_map.html, geoplan.toml)\n")
    return 0 if report.ok else 1
