"""AuditResult.rule_table: the typed rule results, aligned with a layer, equal to the flattened columns."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoplan.audit import evaluate
from geoplan.result import SEP, AuditResult
from geoplan.rules.base import FAIL, PASS

X0, Y0 = 500_000.0, 3_350_000.0


@pytest.fixture(scope="module")
def result() -> AuditResult:
    communities = gpd.GeoDataFrame({"name": ["a", "b"], "households": [100, 200]},
                                   geometry=shapely.points([X0 + 100, X0 + 5000], [Y0, Y0]), crs=4549)
    facilities = gpd.GeoDataFrame({"name": ["托育"], "facility_type": ["childcare"]},
                                  geometry=shapely.points([X0], [Y0]), crs=4549)
    units = gpd.GeoDataFrame({"unit_code": ["330102", "330105"], "unit_name": ["甲区", "乙区"],
                              "level": ["county", "county"]},
                             geometry=[shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000),
                                       shapely.box(X0 + 4000, Y0 - 1000, X0 + 6000, Y0 + 1000)], crs=4549)
    return evaluate(communities, facilities, "quzhou-2022", admin_units=units, created="2026-12-01",
                    with_service_areas=False)


def test_rule_table_is_the_rule_result_aligned_with_the_communities(result: AuditResult) -> None:
    table = result.rule_table("reach_childcare_15")
    assert table["status"].tolist() == [PASS, FAIL]  # 100 m × 1.3 in reach, 5 km not
    assert list(table.index) == list(result.communities.index)
    for column in table.columns:
        pd.testing.assert_series_equal(table[column], result.communities[f"reach_childcare_15{SEP}{column}"],
                                       check_names=False)


def test_rule_table_of_admin_units_is_aligned_by_unit_code(result: AuditResult) -> None:
    assert result.admin_units is not None
    table = result.rule_table("presence_county_childcare_service_centre", "admin_units")
    assert list(table.index) == list(result.admin_units.index)
    for column in table.columns:
        pd.testing.assert_series_equal(
            table[column], result.admin_units[f"presence_county_childcare_service_centre{SEP}{column}"],
            check_names=False)
    assert table["status"].notna().any()


def test_rule_table_is_empty_for_another_level_or_an_unknown_rule(result: AuditResult) -> None:
    assert result.rule_table("presence_county_childcare_service_centre").columns.empty
    assert result.rule_table("reach_childcare_15", "admin_units").columns.empty
    unknown = result.rule_table("no_such_rule")
    assert unknown.columns.empty and len(unknown) == len(result.communities)
