"""Siting suggestions on a hand-made street (tests/suggest_fixtures.py): known best sites, sizes, re-audit."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import suggest_fixtures as fx

from geoplan._errors import InputError
from geoplan.audit import audit
from geoplan.result import AuditResult
from geoplan.siting import apply_suggestions, suggest_sites


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fx.write_project(tmp_path_factory.mktemp("street"))


@pytest.fixture(scope="module")
def result(project: Path) -> AuditResult:
    return audit(project, preset=fx.preset())


def _x(gdf: gpd.GeoDataFrame) -> list[float]:
    """Offsets along the street of a layer's points."""
    return [round(float(x) - fx.X0, 1) for x in shapely.get_x(gdf.geometry.to_numpy())]


def test_known_best_sites_with_given_candidates(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given",
                           rules=["reach_elderly_15", "reach_childcare_15"])
    elderly = siting.for_rule("reach_elderly_15").sort_values("candidate_id")
    assert elderly["candidate_id"].tolist() == ["C1700", "C600"]
    assert elderly["communities_fixed"].tolist() == ["B", "P;A;D;E"]
    assert elderly["households_served"].tolist() == [600.0, 2500.0]
    # 20 m² per 100 households, at least 200 m² per site (provision_elderly_floor_area)
    assert elderly["size_required"].tolist() == [200.0, 500.0]
    assert (elderly["size_unit"] == "m²").all() and (elderly["facility_type"] == "elderly_care").all()
    child = siting.for_rule("reach_childcare_15")
    assert child["candidate_id"].tolist() == ["C1700"]
    # it fixes B and is also A's nearest site (720 m against 1020 m to the kindergarten)
    assert child["communities_fixed"].tolist() == ["B"]
    assert child["households_fixed"].tolist() == [600.0] and child["households_served"].tolist() == [1600.0]
    assert np.isnan(child["size_required"].iloc[0])  # the test preset has no childcare provision rule
    assert "no sizing standard" in child["size_basis"].iloc[0]
    sol = siting.solutions.set_index("rule_id")
    assert sol.loc["reach_elderly_15", "objective"] == 2 and sol.loc["reach_elderly_15", "gap"] == 0
    assert sol.loc["reach_childcare_15", "n_candidates_unusable"] == 1  # C4000 is off the street
    assert siting.uncoverable[["rule_id", "feature_id"]].values.tolist() == [["reach_childcare_15", "S"]]
    assert "no candidate site within 1125 m" in siting.uncoverable["reason"].iloc[0]


def test_generated_candidates_cover_the_stub_and_lie_in_reach(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="generated",
                           rules=["reach_childcare_15"], spacing_m=300)
    sites = siting.for_rule("reach_childcare_15")
    assert len(sites) == 2 and siting.uncoverable.empty
    xs = sorted(_x(sites))
    # B (x = 2400, 20 m off the street) needs a site within 1105 m along it; S (x = 5100) one on the stub
    assert 1295 <= xs[0] <= 3000 and 5000 <= xs[1] <= 5200
    assert set(sites["source"]) == {"generated"}


def test_mclp_takes_the_heavier_site(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given", model="mclp", p=1,
                           rules=["reach_elderly_15"])
    assert siting.suggestions["candidate_id"].tolist() == ["C600"]
    row = siting.solutions.iloc[0]
    assert row["objective"] == 2500 and row["bound"] == 2500 and row["objective_unit"] == "households covered"
    assert siting.uncoverable["feature_id"].tolist() == ["B"]
    assert "p = 1" in siting.uncoverable["reason"].iloc[0]


def test_demand_all_counts_what_existing_facilities_cover(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given", model="mclp", p=1,
                           demand="all", rules=["reach_elderly_15"])
    row = siting.solutions.iloc[0]
    # S (200 households) is served by the elderly home on the stub already; C600 adds P, A, D, E (2500)
    assert (row["n_demand"], row["objective"], row["n_fixed_facilities"]) == (6, 2700, 1)
    assert siting.suggestions["communities_fixed"].tolist() == ["P;A;D;E"]


def test_sized_model_assigns_for_least_total_size(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given", model="sized",
                           rules=["reach_elderly_15"])
    sites = siting.suggestions.set_index("candidate_id")
    # A (1000 households) can use either site: with 1700 the sizes are 300 + 320 = 620 m², with 600 they
    # would be 500 + 200 = 700 m² (the 200 m² minimum), so the sized model sends A to 1700.
    assert sites["size_required"].to_dict() == {"C1700": 320.0, "C600": 300.0}
    assert sites.loc["C1700", "communities_fixed"] == "A;B"
    row = siting.solutions.iloc[0]
    assert (row["objective"], row["size_objective"], row["size_bound"], row["status"]) == (2, 620, 620, "optimal")


def test_provision_and_presence_texts(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given",
                           rules=["provision_elderly_floor_area", "presence_township_childcare"])
    prov = siting.for_rule("provision_elderly_floor_area").set_index("candidate_id")
    assert prov["size_required"].to_dict() == {"A": 200.0, "B": 200.0, "E": 200.0}
    assert "add a site of ≥ 200 m² in compound A苑" in prov.loc["A", "suggestion"]
    assert prov.loc["E", "communities_fixed"] == "D;E"
    assert "one shared site of ≥ 200 m² in E苑 for 2 neighbouring compounds" in prov.loc["E", "suggestion"]
    assert "供D苑、E苑共用" in prov.loc["E", "suggestion"]
    pres = siting.for_rule("presence_township_childcare")
    assert pres["unit_code"].tolist() == ["330100002"] and pres["candidate_id"].tolist() == ["C1700"]
    assert "1,600 households within 1125 m" in pres["suggestion"].iloc[0]
    # one catchment outline, around the shared site's compounds
    assert siting.catchments["site_id"].tolist() == [prov.loc["E", "site_id"]]


def test_reaudit_passes_every_fixed_community(project: Path, result: AuditResult) -> None:
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="both")
    assert set(siting.suggestions["rule_id"]) == set(fx.RULES)
    after = apply_suggestions(project, siting, preset=fx.preset())
    status = after.communities.set_index("community_id")
    community_level = siting.suggestions[siting.suggestions["kind"] != "presence"]
    for rule_id, ids in community_level.groupby("rule_id")["communities_fixed"]:
        fixed = [i for s in ids for i in s.split(";") if i]
        assert fixed and (status.loc[fixed, f"{rule_id}__status"] == "pass").all(), rule_id
    units = after.admin_units.set_index("unit_code")
    assert units.loc["330100002", "presence_township_childcare__status"] == "pass"
    assert len(after.facilities) == len(result.facilities) + len(siting.suggestions)


def test_mask_removes_candidates(project: Path, result: AuditResult) -> None:
    mask = shapely.box(fx.X0 + 1650, fx.Y0 - 50, fx.X0 + 1750, fx.Y0 + 50)  # over C1700
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given", mask=mask,
                           rules=["reach_childcare_15"])
    assert siting.suggestions.empty
    assert sorted(siting.uncoverable["feature_id"]) == ["B", "S"]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"model": "pmedian"}, "model must be one of"),
    ({"model": "mclp"}, "needs p"),
    ({"candidates": "all"}, "candidates must be one of"),
    ({"rules": ["ratio_slots_per_1000"]}, "not in preset"),
    ({"spacing_m": 0}, "spacing must be a positive"),
])
def test_bad_arguments_are_refused(project: Path, result: AuditResult, kwargs: dict[str, object],
                                   match: str) -> None:
    with pytest.raises(InputError, match=match):
        suggest_sites(project, result, preset=fx.preset(), **kwargs)


def test_without_network_the_straight_line_fallback_is_used_and_labelled(project: Path) -> None:
    flat = audit(project, preset=fx.preset(), use_network=False)
    siting = suggest_sites(project, flat, preset=fx.preset(), candidates="generated", rules=["reach_elderly_15"])
    assert siting.solutions["basis"].iloc[0].startswith("euclidean x1.3")
    assert not siting.suggestions.empty and siting.uncoverable.empty
    after = apply_suggestions(project, siting, preset=fx.preset(), use_network=False)
    status = after.communities.set_index("community_id")["reach_elderly_15__status"]
    fixed = [i for s in siting.suggestions["communities_fixed"] for i in s.split(";")]
    assert sorted(fixed) == ["A", "B", "D", "E", "P"] and (status.loc[fixed] == "pass").all()
