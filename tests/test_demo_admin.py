"""The demo's admin data: three district polygons and Hangzhou's census rows, shipped, wired in, reproducible."""

from __future__ import annotations

import fnmatch
import importlib.util
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import geoplan
from geoplan import admin

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "layers" / "hangzhou-central"


@pytest.fixture(scope="module")
def result() -> geoplan.AuditResult:
    return geoplan.audit(geoplan.demo_project(), created="2026-11-22", with_service_areas=False)


def test_every_demo_file_is_packaged_and_small() -> None:
    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["geoplan.datasets"]
    project = tomllib.loads((DEMO / "geoplan.toml").read_text(encoding="utf-8"))
    named = [project[k]["path"] for k in ("communities", "facilities", "network", "admin_units", "census")]
    for name in named:
        rel = f"hangzhou-central/{name}"
        assert any(fnmatch.fnmatch(rel, g) for g in globs), rel
    assert (DEMO / "districts-hangzhou-central.geojson").stat().st_size < 20_000
    assert (DEMO / "census2020-hangzhou.csv").stat().st_size < 10_000


def test_county_rules_judge_the_three_districts_the_compounds_touch(result: geoplan.AuditResult) -> None:
    units = result.admin_units
    assert units is not None
    assert sorted(units["unit_name"]) == ["上城区", "拱墅区", "西湖区"] and units["in_study_area"].all()
    table = result.rule_results["presence_county_dementia_care"].table
    assert len(table) == 3 and set(table["status"]) <= {"pass", "fail", "not_evaluable"}


def test_census_denominators_follow_the_2021_reform() -> None:
    census = admin.read_census(DEMO / "census2020-hangzhou.csv")
    assert set(census["city_code"]) == {"3301"} and len(census) == 13
    den = admin.census_denominators(census, admin.read_districts(DEMO / "districts-hangzhou-central.geojson"))
    assert den.loc["330105", "status"] == "exact"  # 下城 + 拱墅
    assert den.loc["330105", "population"] == 485849 + 635136
    assert den.loc["330106", "status"] == "exact" and den.loc["330102", "status"] == "split"  # 江干 was split


def test_sensitivity_table_in_the_result_and_the_report(result: geoplan.AuditResult, tmp_path: Path) -> None:
    table = result.extra["sensitivity"]
    child = table[table["rule_id"] == "reach_childcare_15"].set_index("speed_m_per_min")
    assert list(child.index) == [53.0, 60.0, 75.0]
    assert child["covered"].is_monotonic_increasing
    statuses = result.communities["reach_childcare_15__status"]
    assert child.loc[75.0, "covered"] == (statuses == "pass").sum()  # the audit's own speed
    elderly = table[(table["rule_id"] == "reach_elderly_15") & table["audit_speed"]]
    assert elderly["speed_m_per_min"].tolist() == [60.0]  # the rule's own pace
    path = geoplan.outputs.report.write_summary_markdown(result, tmp_path / "report.md")
    text = path.read_text(encoding="utf-8")
    assert "步行速度敏感性 Walking-speed sensitivity" in text and "| reach_childcare_15 * | 15 | 75 | 1125 |" in text


def test_build_script_reproduces_the_committed_subset(shared_data: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_demo_layers", REPO / "scripts" / "build_demo_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compounds = pd.read_csv(DEMO / "compounds-bd09.csv", dtype=str, keep_default_na=False)
    written = module.admin_subset(shared_data / "cn-admin", tmp_path, compounds)
    for path in written:
        assert path.read_bytes() == (DEMO / path.name).read_bytes(), path.name
