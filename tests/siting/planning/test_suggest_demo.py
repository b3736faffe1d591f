"""Siting suggestions on the embedded Hangzhou demo: the re-audit with the suggested sites passes what they fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.audit import audit
from geoplan.demo import demo_project
from geoplan.result import AuditResult
from geoplan.siting import OPTIMAL, apply_suggestions, suggest_sites

REACH = ["reach_childcare_15", "reach_elderly_15"]


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return audit(demo_project())


def _households(result: AuditResult, ids: set[str]) -> float:
    com = result.communities
    return float(np.nansum(pd.to_numeric(com.loc[com["community_id"].isin(ids), "households"]).to_numpy()))


def test_lscp_generated_sites_pass_the_reaudit(result: AuditResult) -> None:
    siting = suggest_sites(demo_project(), result, rules=REACH, model="lscp", candidates="generated")
    sol = siting.solutions.set_index("rule_id")
    assert (sol["status"] == OPTIMAL).all() and (sol["gap"] == 0).all()
    assert (sol["objective"] <= sol["greedy_objective"]).all()
    assert siting.uncoverable.empty  # generated candidates leave no failing compound out of reach
    after = apply_suggestions(demo_project(), siting)
    status = after.communities.set_index("community_id")
    for rule_id in REACH:
        before = result.communities[f"{rule_id}__status"]
        sites = siting.for_rule(rule_id)
        assert len(sites) == sol.loc[rule_id, "objective"]
        fixed = {i for s in sites["communities_fixed"] for i in s.split(";")}
        assert fixed == set(result.communities.loc[before == "fail", "community_id"])
        assert (status.loc[sorted(fixed), f"{rule_id}__status"] == "pass").all()
        assert (sites["n_fixed"] > 0).all()
    # elderly sites are sized by provision_elderly_floor_area: ≥ 200 m², 20 m² per 100 households served
    elderly = siting.for_rule("reach_elderly_15")
    known = elderly[elderly["households_served"].notna()]
    assert (known["size_required"] >= 200).all()
    np.testing.assert_array_equal(known["size_required"],
                                  np.ceil(np.maximum(200.0, known["households_served"] * 0.2) - 1e-9))


def test_mclp_three_sites_cover_what_the_reaudit_finds(result: AuditResult) -> None:
    siting = suggest_sites(demo_project(), result, rules=["reach_childcare_15"], model="mclp", p=3,
                           candidates="both")
    row = siting.solutions.iloc[0]
    assert len(siting.suggestions) == 3
    assert row["objective"] >= row["greedy_objective"] and row["objective"] <= row["bound"]
    after = apply_suggestions(demo_project(), siting)
    was = result.communities.set_index("community_id")["reach_childcare_15__status"]
    now = after.communities.set_index("community_id")["reach_childcare_15__status"]
    newly = set(was.index[(was == "fail") & (now == "pass")])
    # the objective is the households of the failing compounds the three sites bring within reach
    assert _households(result, newly) == pytest.approx(row["objective"])
    assert newly == {i for s in siting.suggestions["communities_fixed"] for i in s.split(";")}
