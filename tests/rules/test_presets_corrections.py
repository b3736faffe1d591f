"""The preset corrections of issue #15: each corrected or added rule quotes its plan, and its number is the plan's.

Every number is read from the plan text next to the quote (not restated here), so a preset that drifts from
its plan fails; the quote itself must be found in the normalised plan (tests/test_presets.py's ``norm``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geoplan.presets import Preset, load_preset

from .test_presets import cells, norm


def plan_text(policy_dir: Path, preset: Preset) -> str:
    return norm((policy_dir / preset.plan_file).read_text(encoding="utf-8"))


def number_after(text: str, quote: str, pattern: str) -> float:
    """The first number matching ``pattern`` inside the (normalised) quote as it stands in the plan."""
    q = norm(quote)
    assert q in text, f"quote not in the plan: {quote!r}"
    m = re.search(pattern, q)
    assert m, f"no number in {quote!r}"
    return float(m.group(1))


# (preset, rule id, parameter, scale, pattern of the number within the quote)
COUNTS = [
    ("quzhou-2022", "count_smart_elderly_home", "min_count", r"智慧养老院(\d+)家"),
    ("quzhou-2022", "count_kangyang_consortium", "min_count", r"建成(\d+)个康养联合体"),
    ("quzhou-2022", "count_embedded_elderly_home", "min_count", r"不少于(\d+)家"),
    ("quzhou-2022", "count_family_care_beds", "min_count", r"床位(\d+)张以上"),
    ("zhoukou-2022", "ratio_public_kindergarten_slot_share", "target", r"总托位数的(\d+)%"),
    ("zhoukou-2022", "ratio_elderly_land_per_resident_county", "target", r"不少于(\d+(?:\.\d+)?)平方米"),
    ("langfang-2021", "presence_new_community_day_care", "target_rate", r"覆盖率达到(\d+)%"),
]


@pytest.mark.parametrize(("name", "rule_id", "key", "pattern"), COUNTS)
def test_added_rules_quote_the_plan_and_carry_its_number(name: str, rule_id: str, key: str, pattern: str,
                                                         policy_dir: Path) -> None:
    preset = load_preset(name)
    rule = preset.rule(rule_id)
    want = number_after(plan_text(policy_dir, preset), rule.cite.quote, pattern)
    scale = 100 if key == "target_rate" else 1
    assert rule.params[key] * scale == pytest.approx(want)


def test_quzhou_township_childcare_is_the_2025_column(policy_dir: Path) -> None:
    preset = load_preset("quzhou-2022")
    rule = preset.rule("presence_township_childcare")
    table = cells((policy_dir / preset.plan_file).read_text(encoding="utf-8"))
    row = table[table.index(norm("乡镇(街道)托育机构覆盖率(%)")) + 1:]
    assert row[:2] == ["69.81", "75"]  # 2021 actual, 2022 target
    assert "".join(row[2:4]) == "基本全覆盖"  # the 2025 column: no figure, full coverage
    assert rule.params["target_rate"] == 1.0 and "target_year" not in rule.params
    assert norm(rule.cite.quote) in plan_text(policy_dir, preset) and "基本全覆盖" in norm(rule.cite.quote)


def test_zhoukou_registered_childcare_is_table_row_16(policy_dir: Path) -> None:
    preset = load_preset("zhoukou-2022")
    rule = preset.rule("count_childcare_registered")
    table = cells((policy_dir / preset.plan_file).read_text(encoding="utf-8"))
    i = table.index(norm(rule.params["indicator_zh"]))
    assert table[i - 1] == "16" and table[i + 2] == "≥30"
    assert rule.params["min_count"] == 30
    assert set(rule.params["types"]) >= {"childcare", "public_kindergarten_childcare"}


def test_zhoukou_land_per_resident_is_judged_per_county_too(policy_dir: Path) -> None:
    preset = load_preset("zhoukou-2022")
    city, county = preset.rule("ratio_elderly_land_per_resident"), preset.rule("ratio_elderly_land_per_resident_county")
    assert (city.params["level"], county.params["level"]) == ("city", "county")
    assert "分区分级" in norm(county.cite.quote) and norm(county.cite.quote) in plan_text(policy_dir, preset)


def test_langfang_rules_judge_counties_and_townships_not_districts_and_streets(policy_dir: Path) -> None:
    preset = load_preset("langfang-2021")
    text = plan_text(policy_dir, preset)
    rehab = preset.rule("presence_county_rehab_centre")
    assert "每个县(市)" in norm(rehab.cite.quote) and norm(rehab.cite.quote) in text
    assert rehab.params["unit_types"] == ["县", "市"]
    township = preset.rule("presence_township_elderly_centre")
    assert township.params["unit_types"] == ["乡", "镇"]
    assert norm("乡(镇)要拓展现有养老机构功能") in text  # the sentence the quote closes
    # the village mutual-aid sentence is a pilot's, with no coverage target: no rule judges villages on it
    assert norm("开展县、乡、村三级养老服务网络建设试点") in text
    assert not any("mutual_aid_elderly" in r.params.get("types", []) for r in preset.rules)


def test_urban_qualifiers_are_scopes(policy_dir: Path) -> None:
    cases = [("quzhou-2022", "reach_fitness_10", "city", "城市社区"),
             ("quzhou-2022", "presence_community_meal_service", "city", "城市社区"),
             ("langfang-2021", "reach_elderly_15", "city", "城市地区"),
             ("zhoukou-2022", "presence_urban_community_childcare", "city", "城市社区"),
             ("shaoyang-2023", "presence_community_childcare", "town", None)]
    for name, rule_id, urban_class, word in cases:
        preset = load_preset(name)
        rule = preset.rule(rule_id)
        assert rule.params["scope"] == "urban" and rule.params["urban_class"] == urban_class, rule_id
        if word:
            assert word in norm(rule.cite.quote)
    # Shaoyang's qualifier is in the paragraph the quote ends: 统筹规划发展城镇社区婴幼儿照护服务设施 … 达到50%
    preset = load_preset("shaoyang-2023")
    text = plan_text(policy_dir, preset)
    quote = norm(preset.rule("presence_community_childcare").cite.quote)
    start = text.index(norm("统筹规划发展城镇社区婴幼儿照护服务设施"))
    assert start < text.index(quote) < start + 400


def test_shaoyang_catch_up_rules_target_all_compounds(policy_dir: Path) -> None:
    preset = load_preset("shaoyang-2023")
    text = plan_text(policy_dir, preset)
    for rule_id in ("provision_existing_indoor", "provision_existing_outdoor"):
        rule = preset.rule(rule_id)
        assert rule.params["target_rate"] == 1.0
        assert norm(rule.params["indicator_zh"]) in text and "全面补齐" in rule.params["indicator_zh"]


def test_elderly_circles_state_their_speed_as_an_assumption() -> None:
    for name in ("quzhou-2022", "langfang-2021", "shaoyang-2023", "zhoukou-2022"):
        rule = load_preset(name).rule("reach_elderly_15")
        assert rule.params["walk_speed_m_per_min"] == 60
        assert rule.params["walk_speed_source"].startswith("assumption, not in the plan")
