"""What the commands print (geoplan.outputs.console): the siting table and the list of files written.

The audit headline is checked against the README's block on the demo (tests/test_demo.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.outputs.console import site_table, written_list


def _solution(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {"rule_id": "reach_childcare_15", "n_sites": 2, "objective": 2.0, "bound": 2.0,
                              "gap": 0.0, "status": "optimal", "seconds": 0.123, "n_uncoverable": 1,
                              "size_objective": np.nan, "size_bound": np.nan, "size_status": ""}
    return {**row, **overrides}


def test_site_table_one_line_per_rule_with_gap_in_percent() -> None:
    table = site_table(pd.DataFrame([_solution(), _solution(rule_id="presence_x", bound=np.nan, gap=np.nan,
                                                            status="no bound", n_sites=1, objective=1.0)]))
    lines = table.splitlines()
    assert lines[0].split() == ["rule", "sites", "objective", "bound", "gap", "status", "seconds", "left"]
    assert lines[1].split() == ["reach_childcare_15", "2", "2", "2", "0.00%", "optimal", "0.12", "1"]
    assert lines[2].split() == ["presence_x", "1", "1", "-", "-", "no", "bound", "0.12", "1"]
    assert table.endswith("\n") and len(lines) == 3


def test_site_table_adds_the_size_stage_and_says_when_nothing_fails() -> None:
    sized = site_table(pd.DataFrame([_solution(size_objective=720.0, size_bound=700.0, size_status="time_limit")]))
    assert sized.splitlines()[2].strip() == "total size 720 (bound 700, time_limit)"
    empty = site_table(pd.DataFrame(columns=list(_solution())))
    assert empty.splitlines()[-1].strip() == "no failing reach, provision or presence rule: nothing to site"


def test_written_list_pads_labels_to_the_width() -> None:
    text = written_list({"gap map": Path("maps/gap_map.html"), "report": Path("maps/report.md")}, 10)
    assert text == "written:\n  gap map    maps/gap_map.html\n  report     maps/report.md\n"
