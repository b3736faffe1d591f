"""``geoplan presets list | show NAME``: the rule presets with their citations."""

from __future__ import annotations

import argparse
import sys

from geoplan._errors import Hint, PresetError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``presets`` subcommand."""
    p = sub.add_parser("presets", help="list or show rule presets with their citations")
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("name", nargs="?")


def run(args: argparse.Namespace) -> int:
    """Run ``geoplan presets`` with parsed arguments; returns the exit status."""
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
