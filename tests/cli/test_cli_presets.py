"""`geoplan presets list|show` and the demo under another preset, as a planner would call them."""

from __future__ import annotations

import pytest

import geoplan
from geoplan.cli import main


def test_presets_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("quzhou-2022", "shaoyang-2023", "langfang-2021", "zhoukou-2022", "hangzhou-2022"):
        assert name in out


def test_presets_show_cites_clauses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "zhoukou-2022"]) == 0
    out = capsys.readouterr().out
    assert "zhoukou-2022.txt" in out and "每百户" in out


def test_unknown_preset_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "beijing-2099"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geoplan: error:") and "quzhou-2022" in err and "Traceback" not in err


def test_demo_under_hangzhou_preset() -> None:
    result = geoplan.audit(geoplan.demo_project(), preset="hangzhou-2022", created="2026-11-22")
    assert len(result.communities) == 804
    assert set(result.rules["id"]) == {r.id for r in geoplan.load_preset("hangzhou-2022").rules}
    ind = result.indicators
    # OSM has no slots: the per-1000 ratio is not evaluable and says why, never a zero.
    slots = ind[ind["rule_id"].str.startswith("ratio_")]
    assert len(slots) and (slots["basis"] == "not_evaluable").all()
