"""What rows mean, as a user meets it: ``geoplan audit`` on corpus cases, its headline, report and exit code."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from badinputs.make_corpus import CASES

from geoplan.cli import main

DATE = "2026-01-01"


def _audit(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    case = next(c for c in CASES if c.name == name)
    project = case.build(tmp_path / name)
    out = tmp_path / "maps"
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 0
    return capsys.readouterr().out, (out / "report.md").read_text(encoding="utf-8")


def test_duplicates_are_counted_in_the_headline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = _audit("duplicate_rows", tmp_path, capsys)
    assert "communities: 60" in out
    assert "left out of rates (kept in every output, flagged): 20 communities: duplicates 20" in out
    assert "20 exact duplicate rows" in report


@pytest.mark.parametrize("name", ["outside_study_area_network", "outside_study_area_no_network",
                                  "outside_study_area_admin_units"])
def test_rows_outside_the_study_area_are_counted_in_the_headline(name: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, report = _audit(name, tmp_path, capsys)
    assert "2 communities: outside the study area 2" in out
    assert "outside the study area" in report


def test_unmapped_facility_types_are_listed_in_headline_and_report(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out, report = _audit("facility_type_unmapped", tmp_path, capsys)
    assert "facility types used by no rule (3 facilities; map them in [facility_types]): 日间照料中心 ×3" in out
    assert "| 日间照料中心 | 未映射，不参与任何规则 used by no rule: map it in [facility_types] | 3 |" in report
    assert "reach_elderly" not in out.split("no figure")[0]  # no measured zero in the table: no figure


def test_automatic_mapping_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = _audit("facility_type_plan_word", tmp_path, capsys)
    assert "used by no rule" not in out
    assert "| 托育机构 | → childcare（自动 automatic: the preset's word for it） | 3 |" in report


def test_network_edge_is_marked_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _audit("network_edge", tmp_path, capsys)
    line = next(x for x in out.splitlines() if x.strip().startswith("reach_elderly "))
    assert " %*" in line
    assert "* failing near the network's edge, maybe only because the network ends there:" in out


def test_undecided_crs_check_is_said_on_the_console(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _, report = _audit("crs_check_undecided", tmp_path, capsys)
    assert any("[communities] the coordinate-system check could not decide" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.WARNING)
    assert "could not decide" in report


@pytest.mark.parametrize("name", ["degrees_labelled_projected", "metres_labelled_degrees"])
def test_crs_mislabels_name_the_likely_crs_in_one_error(name: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.name == name)
    project = case.build(tmp_path / name)
    assert main(["audit", str(project), "--out", str(tmp_path / "maps"), "--date", DATE]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("geoplan: error: "))
    assert ("longitude/latitude" in line) if name.startswith("degrees") else ("EPSG:4528" in line)
