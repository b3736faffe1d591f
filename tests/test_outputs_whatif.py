"""What-if data on the hand-made street of ``suggest_fixtures`` (known answers, no browser).

Childcare reach is 1125 m. Sites at x = 1700 (given candidate) and x = 600 (given candidate): 1700 reaches the
failing compound B (x = 2400, 700 m) and no other failing one (S on the unconnected stub is out of reach of
everything); 600 reaches no failing compound (B is 1800 m away). Passing compounds are never listed.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import suggest_fixtures as fx
from shapely.geometry import Point

from geoplan.audit import audit
from geoplan.network import load_network
from geoplan.outputs._whatif import whatif_payload
from geoplan.project import load_project
from geoplan.result import AuditResult

RULE = "reach_childcare_15"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fx.write_project(tmp_path_factory.mktemp("street"))


@pytest.fixture(scope="module")
def result(project: Path) -> AuditResult:
    return audit(project, preset=fx.preset())


def _sites(xs: list[float], ids: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": ids, "facility_id": ids, "name": [f"站{i}" for i in ids]},
                            geometry=[Point(fx.X0 + x, fx.Y0) for x in xs], crs=fx.CRS)


def test_each_site_lists_the_failing_compounds_it_reaches(project: Path, result: AuditResult) -> None:
    net_path = load_project(project).network
    assert net_path is not None
    network = load_network(net_path.path, crs=result.crs)
    w = whatif_payload(result, RULE, _sites([1700.0], ["N1"]), _sites([600.0], ["C1"]), network)
    assert w is not None
    ids = list(result.communities["community_id"].astype(str))
    status = dict(zip(ids, result.communities[f"{RULE}__status"], strict=True))
    code = {"pass": 1, "fail": 0}
    assert w["base"] == [code.get(status[i], -1) for i in ids]
    b = ids.index("B")
    assert w["sites"]["covers"] == [[b], []]
    assert w["sites"]["kind"] == ["suggested", "candidate"] and w["sites"]["on"] == [1, 0]
    hh = dict(zip(fx.COMPOUNDS["id"], fx.COMPOUNDS["households"], strict=True))
    assert w["weight"] == [hh[i] for i in ids]
    excluded = result.communities.get("rate_excluded")
    expected = [1] * len(ids) if excluded is None else [int(str(r) in ("", "nan", "None")) for r in excluded]
    assert w["counted"] == expected
    assert w["threshold_m"] == pytest.approx(1125.0)


def test_without_the_network_the_audit_measured_on_there_is_no_whatif(result: AuditResult) -> None:
    assert whatif_payload(result, RULE, _sites([1700.0], ["N1"]), _sites([], []), None) is None


def test_rule_without_community_results(result: AuditResult) -> None:
    assert whatif_payload(result, "presence_township_childcare", _sites([1700.0], ["N1"]), _sites([], []), None) \
        is None
