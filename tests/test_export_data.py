"""A small synthetic AuditResult for the export and report tests (no dependency on the audit itself).

Five communities and three facilities in EPSG:4549 around Hangzhou (lon 120.15, lat 30.26), two rules with
every status, a missing household count, names with Chinese, HTML and a spreadsheet formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas import GeoDataFrame

from geoplan.result import SEP, AuditResult, NetworkSummary
from geoplan.rules.base import (
    FAIL,
    NOT_APPLICABLE,
    NOT_EVALUABLE,
    PASS,
    STATUSES,
    Citation,
    Rule,
    RuleResult,
    indicators_frame,
)

CRS = pyproj.CRS.from_epsg(4549)
TITLE = "衢州市一老一小设施体检"
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://example.com","点我")'
NAMES = ["西湖花园", XSS, "翠苑一区", FORMULA, "文三新村"]
REACH = "reach_elderly_15"
PROV = "provision_childcare"
PRESENCE = "presence_station"
REACH_STATUS = [PASS, FAIL, NOT_EVALUABLE, NOT_APPLICABLE, PASS]
PROV_STATUS = [FAIL, PASS, PASS, NOT_EVALUABLE, FAIL]
HOUSEHOLDS = [1200.0, np.nan, 800.0, 450.0, 300.0]


def _points(lon: list[float], lat: list[float]) -> np.ndarray:
    x, y = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(lon, lat)
    return shapely.points(x, y)


def _rule_table(status: list[str], unit: str, threshold: float, extra: bool) -> pd.DataFrame:
    value = [float(v) for v in (640.5, 1480.25, np.nan, np.nan, 990.0)]
    reason = {
        PASS: "", FAIL: "",
        NOT_EVALUABLE: "community not attached: 412 m from the network / 未接入路网",
        NOT_APPLICABLE: "rule applies to compounds built ≥ 2022 only / 仅适用于新建小区",
    }
    table = pd.DataFrame({
        "status": status,
        "value": [v if s in (PASS, FAIL) else np.nan for v, s in zip(value, status, strict=True)],
        "threshold": threshold,
        "unit": unit,
        "shortfall": [max(0.0, v - threshold) if s == FAIL else np.nan
                      for v, s in zip(value, status, strict=True)],
        "basis": ["measured" if s in (PASS, FAIL) else NOT_EVALUABLE if s == NOT_EVALUABLE else "measured"
                  for s in status],
        "reason": [reason[s] for s in status],
    })
    if extra:
        table["minutes"] = (table["value"] / 75).round(1)
        table["facility_id"] = ["F00001", "F00002", None, None, "F00003"]
        table["facility_name"] = ["颐养中心", "社区托育园", None, None, "幸福里照料中心"]
    return table


def _rules() -> list[Rule]:
    return [
        Rule(REACH, "reach", "15分钟幸福养老服务圈", "15-minute elderly-care service circle",
             Citation("quzhou-2022.txt", "二(二)3", "打造15分钟幸福养老服务圈"),
             {"types": ["elderly_care"], "minutes": 15, "target_rate": 1.0}),
        Rule(PROV, "provision", "托育设施配建", "childcare provision",
             Citation("quzhou-2022.txt", "三(一)2", "新建小区按每千人不少于10个托位配建"),
             {"types": ["childcare"], "measure": "slots", "per": 1000, "per_unit": "population"}),
    ]


def make_result(*, admin: bool = False, network: bool = True, title: str = TITLE) -> AuditResult:
    """The synthetic result; ``admin=True`` adds two admin-unit polygons with a status column."""
    lon = [120.150, 120.153, 120.147, 120.156, 120.151]
    lat = [30.260, 30.262, 30.258, 30.259, 30.265]
    com = pd.DataFrame({
        "community_id": [f"C{i:05d}" for i in range(1, 6)],
        "name": NAMES,
        "households": HOUSEHOLDS,
        "population": [3100.0, 2000.0, 2050.0, 1100.0, 760.0],
        "build_year": [2005.0, 2023.0, np.nan, 1998.0, 2016.0],
        "admin_code": ["330106"] * 5,
        "source_row": [1, 2, 3, 4, 5],
        "flags": ["", "households: missing", "build_year: missing", "", ""],
    })
    tables = {
        REACH: _rule_table(REACH_STATUS, "m", 1125.0, True),
        PROV: _rule_table(PROV_STATUS, "托位", 10.0, False),
    }
    for rule_id, table in tables.items():
        for column in table.columns:
            com[f"{rule_id}{SEP}{column}"] = table[column].to_numpy()
    communities = GeoDataFrame(com, geometry=_points(lon, lat), crs=CRS)
    facilities = GeoDataFrame({
        "facility_id": ["F00001", "F00002", "F00003"],
        "name": ["颐养中心", "社区托育园", "幸福里照料中心"],
        "facility_type": ["elderly_care", "childcare", "elderly_care"],
        "source_type": ["养老服务中心", "托育机构", "日间照料中心"],
        "floor_area_m2": [1500.0, np.nan, 820.5],
        "slots": [np.nan, 60.0, np.nan],
        "beds": [80.0, np.nan, 20.0],
        "community_id": ["C00001", "C00003", "C00005"],
        "admin_code": ["330106"] * 3,
        "source_row": [1, 2, 3],
        "flags": ["", "floor_area_m2: missing", ""],
        "attached": [True, True, False],
        "assumed_floor_area_m2": [False, True, False],
    }, geometry=_points([120.1505, 120.148, 120.152], [30.2605, 30.2585, 30.2648]), crs=CRS)
    admin_units = None
    if admin:
        x0, y0 = communities.total_bounds[:2]
        admin_units = GeoDataFrame({
            "admin_code": ["330106001", "330106002"], "name": ["北山街道", "西溪街道"],
            "level": ["township"] * 2,
            f"{PRESENCE}{SEP}status": [PASS, FAIL], f"{PRESENCE}{SEP}value": [1.0, 0.0],
        }, geometry=[shapely.box(x0 - 500, y0 - 500, x0, y0), shapely.box(x0, y0 - 500, x0 + 500, y0)],
            crs=CRS)
    rules = _rules()
    findings = pd.concat([
        pd.DataFrame({
            "level": "community", "feature_index": range(5), "feature_id": com["community_id"],
            "feature_name": NAMES, "rule_id": rule_id,
        }).join(tables[rule_id][["status", "value", "threshold", "unit", "shortfall", "basis", "reason"]])
        for rule_id in (REACH, PROV)
    ], ignore_index=True)
    indicators = indicators_frame([
        {"rule_id": REACH, "indicator_zh": "15分钟养老服务圈覆盖率", "indicator_en": "15-min circle coverage",
         "area": "全部 all", "measured": 50.0, "target": 100.0, "unit": "%", "shortfall": 1.0,
         "basis": "measured", "note": "1/2 evaluated"},
        {"rule_id": REACH, "indicator_zh": "15分钟养老服务圈覆盖率（按户数加权）", "indicator_en": "weighted",
         "area": "全部 all", "measured": 2 / 3 * 100, "target": 100.0, "unit": "%", "shortfall": np.nan,
         "basis": "measured", "note": "households | weighted"},
    ])
    rule_results = {
        r.id: RuleResult(r, "community", tables[r.id], indicators[indicators["rule_id"] == r.id])
        for r in rules
    }
    rules_df = pd.DataFrame({
        "id": [r.id for r in rules], "kind": [r.kind for r in rules],
        "title_zh": [r.title_zh for r in rules], "title_en": [r.title_en for r in rules],
        "params": [dict(r.params) for r in rules],
    })
    net = NetworkSummary("hangzhou.osm.pbf", "network", 1523, 3870, 300.0, 4, 5, 2, 3) if network else None
    return AuditResult(
        title=title, preset_id="quzhou-2022", preset_title="衢州市“一老一小”整体解决方案",
        communities=communities, facilities=facilities, admin_units=admin_units, findings=findings,
        indicators=indicators, rule_results=rule_results, rules=rules_df, network=net, crs=CRS,
        assumptions=["步行速度 75 m/min（默认设置 settings default）", "户均人口 2.8（默认 default）"],
        created="2025-01-15",
    )


@pytest.fixture
def result() -> AuditResult:
    return make_result()


def test_fixture_has_every_status_and_a_missing_household(result: AuditResult) -> None:
    assert set(result.communities[f"{REACH}{SEP}status"]) == set(STATUSES)
    assert result.communities["households"].isna().sum() == 1
    assert result.communities.crs.to_epsg() == 4549
    lon, lat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True).transform(
        result.communities.geometry.x.mean(), result.communities.geometry.y.mean())
    assert lon == pytest.approx(120.15, abs=0.01) and lat == pytest.approx(30.26, abs=0.01)
