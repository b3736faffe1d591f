"""batch.area.select_rules: the area's kinds / rules, and its ratio_level given to the kinds whose plugin takes it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from geoplan._errors import ProjectError
from geoplan.batch.area import select_rules
from geoplan.batch.spec import AreaSpec
from geoplan.presets import load_preset
from geoplan.rules import KINDS


def _area(**kw: object) -> AreaSpec:
    return AreaSpec(id="a", title="a", project={}, out_dir=Path("/nonexistent"), created="2026-12-01", **kw)  # type: ignore[arg-type]


def test_ratio_level_goes_to_the_kinds_that_take_it() -> None:
    preset = load_preset("quzhou-2022")
    chosen = select_rules(preset, _area(kinds=("ratio", "reach"), ratio_level="county"))
    assert {r.kind for r in chosen.rules} <= {"ratio", "reach"}
    for rule in chosen.rules:
        taken = KINDS[rule.kind].area_level
        assert (rule.params.get("level") == "county") == taken or (not taken and "level" not in rule.params)
    assert any(r.kind == "reach" for r in chosen.rules)
    assert all("level" not in r.params for r in chosen.rules if r.kind == "reach")


def test_a_kind_whose_plugin_takes_the_level_gets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    preset = load_preset("quzhou-2022")
    monkeypatch.setitem(KINDS, "reach", dataclasses.replace(KINDS["reach"], area_level=True))
    chosen = select_rules(preset, _area(kinds=("reach",), ratio_level="county"))
    assert chosen.rules and all(r.params["level"] == "county" for r in chosen.rules)


def test_no_rule_left_names_what_the_preset_has() -> None:
    with pytest.raises(ProjectError, match="reach_childcare_15"):
        select_rules(load_preset("quzhou-2022"), _area(kinds=("no_such_kind",)))
