"""The embedded demo end to end: `geoplan audit` on layers/hangzhou-central, and what it writes.

These read only the committed demo (no ../shared needed), so a user's clone runs them too.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

import geoplan
from geoplan.cli import main
from geoplan.outputs.console import headline

REPO = Path(__file__).resolve().parents[1]
N_COMPOUNDS = 804


@pytest.fixture(scope="module")
def demo_result() -> geoplan.AuditResult:
    return geoplan.audit(geoplan.demo_project(), created="2026-11-22")


@pytest.fixture(scope="module")
def demo_out(demo_result: geoplan.AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maps")
    geoplan.write_all(demo_result, out)
    return out


def test_every_community_in_the_result(demo_result: geoplan.AuditResult) -> None:
    com = demo_result.communities
    assert len(com) == N_COMPOUNDS
    assert list(com["source_row"]) == list(range(1, N_COMPOUNDS + 1))
    # Missing households stay missing and are flagged, never invented.
    missing = com["households"].isna()
    assert missing.sum() == N_COMPOUNDS - 561
    assert com.loc[missing, "flags"].str.contains("households: missing").all()


def test_reach_rules_measured_on_the_network(demo_result: geoplan.AuditResult) -> None:
    com = demo_result.communities
    for rule in ("reach_elderly_15", "reach_childcare_15"):
        status = com[f"{rule}__status"]
        assert set(status) <= {"pass", "fail", "not_evaluable"}
        measured = com[f"{rule}__basis"] == "measured"
        assert (status[measured] != "not_evaluable").all()
        # a pass is a distance within the threshold, a fail is not
        passed = status == "pass"
        assert (com.loc[passed, f"{rule}__value"] <= com.loc[passed, f"{rule}__threshold"]).all()
    assert demo_result.network is not None and demo_result.network.basis == "network"
    assert demo_result.network.communities_attached > 780  # a handful of compounds lie off the 2015 extract


@pytest.mark.parametrize("name", ["communities.shp", "audit.gpkg", "communities.csv"])
def test_every_community_in_every_output(demo_out: Path, name: str) -> None:
    path = demo_out / name
    layer = "communities" if name.endswith(".gpkg") else None
    table = pd.read_csv(path) if name.endswith(".csv") else pyogrio.read_dataframe(path, layer=layer)
    assert len(table) == N_COMPOUNDS


def test_shapefile_and_geopackage_round_trip(demo_result: geoplan.AuditResult, demo_out: Path) -> None:
    com = demo_result.communities
    gpkg = pyogrio.read_dataframe(demo_out / "audit.gpkg", layer="communities")
    shp = pyogrio.read_dataframe(demo_out / "communities.shp")
    fields = pd.read_csv(demo_out / "communities_fields.csv")
    short = dict(zip(fields.iloc[:, 1], fields.iloc[:, 0], strict=True))  # full name → short name
    assert gpkg.crs == com.crs and shp.crs == com.crs
    for column in ("name", "households", "reach_childcare_15__status", "reach_childcare_15__value"):
        np.testing.assert_array_equal(gpkg[column].to_numpy(), com[column].to_numpy())
        np.testing.assert_array_equal(shp[short[column]].to_numpy(), com[column].to_numpy())
    assert np.allclose(shp.geometry.x, com.geometry.x) and np.allclose(gpkg.geometry.y, com.geometry.y)


def test_readme_headline_is_what_the_command_prints(demo_result: geoplan.AuditResult) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Its headline, as printed:\n\n```text\n(.*?)```", readme, re.S)
    assert block is not None, "README lost its headline block"
    assert block.group(1) == headline(demo_result)


def test_cli_runs_the_demo_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--out", str(tmp_path / "maps"), "--date", "2026-11-22"]) == 0
    out = capsys.readouterr().out
    assert "gap_map.html" in out and str(tmp_path / "maps") in out
    assert (tmp_path / "maps" / "gap_map.html").stat().st_size > 10_000


def test_minutes_and_speed_overridable(demo_result: geoplan.AuditResult) -> None:
    shorter = geoplan.audit(geoplan.demo_project(), minutes=5, walk_speed_m_per_min=60, created="2026-11-22")
    com, base = shorter.communities, demo_result.communities
    assert (com["reach_childcare_15__threshold"] == 300).all()  # 5 min × 60 m/min
    assert (base["reach_childcare_15__threshold"] == 1125).all()  # preset: 15 min × 75 m/min
    # the same distances, judged against a tighter circle; the search stops at 3 × 300 m (settings.search_factor)
    short_v, base_v = com["reach_childcare_15__value"], base["reach_childcare_15__value"]
    both = short_v.notna() & base_v.notna()
    np.testing.assert_array_equal(short_v[both], base_v[both])
    assert (base_v[short_v.isna() & base_v.notna()] > 900).all()
    assert (com["reach_childcare_15__status"] == "pass").sum() < (base["reach_childcare_15__status"] == "pass").sum()
    assert not any("walking speed" in a for a in shorter.assumptions)  # given, so not an assumption
    assert any("walking speed 75" in a for a in demo_result.assumptions)
