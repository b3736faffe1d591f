"""Demand by age: measured columns first, else residents × the census age share of the community's county."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan import admin
from geoplan.demand import age_shares, community_demand

HEADER = "CODE,NAME,POPU,AGES_0,AGES_1-4,AGES_60-64,AGES_65P,HHLD_S\n"


def _census(tmp_path: Path, rows: str) -> pd.DataFrame:
    path = tmp_path / "census.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return admin.read_census(path)


def _communities(**cols: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))
    base: dict[str, list[object]] = {"households": [np.nan] * n, "population": [np.nan] * n,
                                     "admin_code": [None] * n}
    return gpd.GeoDataFrame({**base, **cols}, geometry=[shapely.Point(i, 0) for i in range(n)], crs=4549)


def test_age_estimate_hand_computed(tmp_path: Path) -> None:
    # county 330106: 1 % aged 0, 4 % aged 1–4, 7 % 60–64, 13 % 65+, 2.5 persons per household.
    census = _census(tmp_path, "330106,西湖区,1000000,0.01,0.04,0.07,0.13,2.5\n")
    com = _communities(households=[400.0, np.nan, 400.0], population=[np.nan, 2000.0, np.nan],
                       admin_code=["330106001", "330106002", None], infants_0_3=[np.nan, np.nan, 33.0])
    infants = community_demand(com, "infants_0_3", census)
    # 400 households × 2.5 = 1000 residents × (0.01 + 0.75 × 0.04 = 0.04) = 40; 2000 × 0.04 = 80
    np.testing.assert_allclose(infants.value, [40.0, 80.0, 33.0])
    assert list(infants.basis) == ["estimated", "estimated", "measured"]
    assert "400 households × 2.50 persons" in infants.formula[0]
    assert "AGES_0 + 0.75 × AGES_1-4" in infants.formula[0] and "330106 西湖区" in infants.formula[0]
    assert infants.formula[2] == ""
    assert any("census.csv" in n for n in infants.notes)
    elderly = community_demand(com, "elderly_60", census)
    np.testing.assert_allclose(elderly.value, [200.0, 400.0, 200.0])  # third: city mean (one city), no code


def test_unknown_is_never_zero(tmp_path: Path) -> None:
    census = _census(tmp_path, "330106,西湖区,1000000,0.01,0.04,0.07,0.13,2.5\n"
                               "331002,椒江区,500000,0.01,0.04,0.07,0.13,2.5\n")
    com = _communities(households=[np.nan, 400.0], admin_code=["330106001", None])
    res = community_demand(com, "infants_0_3", census)
    assert np.isnan(res.value).all()  # no residents; no county and the census covers two cities
    assert list(res.basis) == ["not_evaluable", "not_evaluable"]
    assert all(r for r in res.reason)
    no_census = community_demand(_communities(households=[400.0]), "elderly_60", None)
    assert np.isnan(no_census.value[0]) and "census" in no_census.reason[0]


def test_successor_district_takes_weighted_shares(tmp_path: Path) -> None:
    # 2021: 钱塘 330114 was formed from parts of 江干 330104 and 萧山 330109 (admin.CENSUS_SUCCESSORS):
    # its shares are the population-weighted ones of both, (1000 × 0.2 + 3000 × 0.1) / 4000 = 0.125.
    census = _census(tmp_path, "330104,江干区,1000,0.01,0.04,0.10,0.10,2.0\n"
                               "330109,萧山区,3000,0.02,0.04,0.05,0.05,2.0\n")
    shares = age_shares(census)
    assert shares.loc["330114", "elderly_60"] == pytest.approx(0.125)
    assert shares.loc["330109", "elderly_60"] == pytest.approx(0.1)  # a census code keeps its own row
    assert "330104 江干区" in shares.loc["330114", "source"]
    com = _communities(households=[100.0], admin_code=["330114001"])
    assert community_demand(com, "elderly_60", census).value[0] == pytest.approx(100 * 2.0 * 0.125)


def test_measured_population_and_households_kinds(tmp_path: Path) -> None:
    com = _communities(households=[300.0, np.nan], population=[900.0, np.nan])
    pop = community_demand(com, "population", None)
    assert list(pop.basis) == ["measured", "not_evaluable"]
    hh = community_demand(com, "households", None)
    np.testing.assert_allclose(hh.value, [300.0, np.nan])


@pytest.mark.shared
def test_real_census_estimates_for_hangzhou(shared_data: Path) -> None:
    census = admin.read_census(shared_data / "cn-admin" / "census2020-counties-5cities.csv")
    com = _communities(households=[1000.0], admin_code=["330106"])
    res = community_demand(com, "infants_0_3", census)
    row = census[census["unit_code"] == "330106"].iloc[0]
    expected = 1000 * row["HHLD_S"] * (row["AGES_0"] + 0.75 * row["AGES_1-4"])
    assert res.value[0] == pytest.approx(expected)
    assert res.basis[0] == "estimated"


def test_population_filled_from_project_household_size_is_estimated() -> None:
    com = _communities(households=[100.0, 50.0], population=[236.0, 500.0])
    com["population_assumed"] = [True, False]  # the audit filled the first from [audit] household_size = 2.36
    res = community_demand(com, "population", None)
    assert list(res.basis) == ["estimated", "measured"]
    assert res.formula[0] == "100 households × 2.36 persons (project household_size)"
