"""Sizes of suggested reach sites where the demand's size is unknown: the same answer in every model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import suggest_fixtures as fx

from geoplan.audit import audit
from geoplan.siting import lscp, sized_lscp, suggest_sites
from geoplan.siting.planning.reach import _size, size_text
from geoplan.siting.planning.standards import Standard

ELDERLY = Standard("r", ("elderly_care",), "floor_area_m2", 20.0, 100.0, "households", 200.0)
CHILDCARE = Standard("c", ("childcare",), "slots", 7.0, 100.0, "households", None)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suggestion street with compound B's households unknown (blank)."""
    toml = fx.write_project(tmp_path_factory.mktemp("street_unknown"))
    path = toml.parent / "compounds.csv"
    com = pd.read_csv(path)
    com["households"] = com["households"].astype(object)
    com.loc[com["id"] == "B", "households"] = ""
    com.to_csv(path, index=False)
    return toml


@pytest.mark.parametrize("model", ["lscp", "sized"])
def test_a_site_serving_only_unknown_demand_gets_the_minimum_and_says_size_unknown(project: Path, model: str) -> None:
    result = audit(project, preset=fx.preset())
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given", model=model,
                           rules=["reach_elderly_15"])
    sites = siting.suggestions.set_index("candidate_id")
    assert "C1700" in sites.index
    c1700 = sites.loc["C1700"]
    assert c1700["size_required"] == 200.0  # the 200 m² per-site minimum applies whatever is unknown
    assert "households unknown" in c1700["size_basis"]
    if model == "lscp":  # B alone: nothing known of what it serves
        assert "size unknown" in c1700["suggestion"] and "per-site minimum" in c1700["suggestion"]
    else:  # A (1000 households, known) goes there too: its 200 m² is a lower bound
        assert "lower bound" in c1700["suggestion"]


def _com(households: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"households": households})


def test_size_is_nan_only_without_a_minimum_and_with_nothing_known() -> None:
    sol = lscp(np.ones((2, 1)))
    rows = np.array([0, 1])
    assert math.isnan(_size(_com([np.nan, np.nan]), rows, CHILDCARE, sol, 0)[0])
    assert _size(_com([np.nan, np.nan]), rows, ELDERLY, sol, 0)[0] == 200.0
    assert _size(_com([np.nan, 2000.0]), rows, ELDERLY, sol, 0)[0] == 400.0
    assert _size(_com([np.nan, 2000.0]), rows, CHILDCARE, sol, 0)[0] == 140.0


def test_the_sized_model_says_the_same_as_lscp_for_unknown_demand() -> None:
    """Sized sites count unknown demand as 0 (size 0 without a minimum): reported as unknown, not '≥ 0'."""
    sized = sized_lscp(np.ones((2, 1)), np.zeros(2), rate=7.0, per=100.0, limit=1.0)
    assert sized.sizes is not None and sized.sizes.tolist() == [0.0]
    size, unit, _, basis, unknown = _size(_com([np.nan, np.nan]), np.array([0, 1]), CHILDCARE, sized, 0)
    assert math.isnan(size) and unknown == 2 and "2 of 2" in basis
    zh, en = size_text(size, unit, CHILDCARE, unknown, 2)
    assert en == "size unknown: households missing" and "规模未知" in zh
    assert "≥" not in en


def test_size_texts() -> None:
    assert size_text(300.0, "m²", ELDERLY, 0, 3) == ("不少于300m²", "≥ 300 m²")
    assert "lower bound" in size_text(300.0, "m²", ELDERLY, 1, 3)[1]
    assert "per-site minimum" in size_text(200.0, "m²", ELDERLY, 3, 3)[1]
    assert size_text(math.nan, "", None, 0, 1)[1] == "no sizing standard"


def test_a_presence_site_gets_the_standards_per_site_minimum() -> None:
    from types import SimpleNamespace

    from geoplan.siting.planning.presence import _minimum_size

    ctx = SimpleNamespace(rules=fx.preset().rules)
    size, unit, measure, basis = _minimum_size(ctx, "elderly_care", "none")  # type: ignore[arg-type]
    assert (size, unit, measure) == (200.0, "m²", "floor_area_m2") and "per-site minimum" in basis
    assert math.isnan(_minimum_size(ctx, "childcare", "none")[0])  # type: ignore[arg-type]
