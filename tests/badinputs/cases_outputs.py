"""Bad-input cases of outputs and numbers: impossible minutes, speeds and distances; template text in names.

Registered into :data:`badinputs.make_corpus.CASES` (imported by make_corpus.py). The command-line cases
(``--minutes -5``, ``--out`` naming a file, Ctrl-C ...) are not projects, so they live in
tests/test_security_cli.py and are listed under the table in docs/bad-inputs.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from badinputs import make_corpus
from badinputs.base import PRESET, communities, write_project

#: Registers into make_corpus's CASES (make_corpus.py run as a script imports itself as that module).
case = make_corpus.case

#: Text a template engine or a format string would run or change; each must come out exactly as it went in.
TEMPLATE_NAMES = [
    "{{7*7}}",
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# opens a comment",
    "closes it #} here",
    "{%- raw %}{{ config }}",
    "%s %(name)s {0} ${7*7}",
]


def _names_verbatim(result: Any, root: Path) -> None:
    names = list(result.communities["name"][: len(TEMPLATE_NAMES)])
    assert names == TEMPLATE_NAMES, names
    assert not list(root.rglob("PWNED")) and not Path("PWNED").exists()


def _preset_with(old: str, new: str) -> str:
    assert old in PRESET
    return PRESET.replace(old, new, 1)


@case(group="impossible number", input="a reach rule with minutes = inf in the preset", answer="error",
      expect=r"line \d+: .*'minutes': expected a positive number, got float (inf|nan)",
      does="PresetError naming the line and key (today it reported 100 % measured)")
def build_preset_minutes_inf(root: Path) -> Path:
    return write_project(root, preset=_preset_with("minutes = 5", "minutes = inf"))


@case(group="impossible number", input="a reach rule with minutes = nan in the preset", answer="error",
      expect=r"line \d+: .*'minutes': expected a positive number, got float (inf|nan)",
      does="PresetError naming the line and key")
def build_preset_minutes_nan(root: Path) -> Path:
    return write_project(root, preset=_preset_with("minutes = 5", "minutes = nan"))


@case(group="impossible number", input="walk_speed_m_per_min = 0 in the preset's [parameters]", answer="error",
      expect=r"line \d+: key 'parameters.walk_speed_m_per_min': expected a positive number, got int 0",
      does="PresetError naming the line and key")
def build_preset_speed_zero(root: Path) -> Path:
    return write_project(root, preset=_preset_with("walk_speed_m_per_min = 75", "walk_speed_m_per_min = 0"))


@case(group="impossible number", input="[audit] walk_speed_m_per_min = inf in the project", answer="error",
      expect=r"\[audit\] walk_speed_m_per_min must be a number > 0, got inf",
      does="ProjectError naming the section and key")
def build_project_speed_inf(root: Path) -> Path:
    return write_project(root, audit={"walk_speed_m_per_min": float("inf")})


@case(group="impossible number", input="[audit] walk_speed_m_per_min = -75 in the project", answer="error",
      expect=r"\[audit\] walk_speed_m_per_min must be a number > 0, got -75",
      does="ProjectError naming the section and key")
def build_project_speed_negative(root: Path) -> Path:
    return write_project(root, audit={"walk_speed_m_per_min": -75})


@case(group="impossible number", input="[network] max_snap_m = nan in the project", answer="error",
      expect=r"\[network\] max_snap_m must be a number > 0, got nan",
      does="ProjectError naming the section and key")
def build_project_snap_nan(root: Path) -> Path:
    return write_project(root, network={"max_snap_m": float("nan")})


@case(group="template text in names",
      input="names such as {{7*7}}, {{ cycler...os.system(...) }}, {% for %}, {# and #}, %s {0}",
      answer="handled", expect="",
      does="kept verbatim in every output; the map is a fixed page with the data as escaped JSON, so nothing "
           "in it is ever rendered as a template (tests/test_security.py checks the labels in Chromium)",
      check=_names_verbatim)
def build_template_in_names(root: Path) -> Path:
    com: pd.DataFrame = communities()
    com.loc[: len(TEMPLATE_NAMES) - 1, "小区名称"] = TEMPLATE_NAMES
    return write_project(root, com=com)
