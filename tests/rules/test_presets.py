"""The five shipped presets: they load, cite text that is in the plans, and carry the plans' figures."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from geoplan._errors import PresetError
from geoplan.presets import Preset, describe_preset, list_presets, load_preset, preset_table

zhconv = pytest.importorskip("zhconv", reason="zhconv (test extra) normalises traditional characters")

NAMES = ["hangzhou-2022", "langfang-2021", "quzhou-2022", "shaoyang-2023", "zhoukou-2022"]
README = Path(__file__).resolve().parents[2] / "seeds" / "README.md"
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")  # langfang: 區(qū)


def norm(text: str) -> str:
    """Plan text or quote, comparable: pinyin noise dropped, NFKC, simplified, no whitespace."""
    text = zhconv.convert(unicodedata.normalize("NFKC", _PINYIN.sub("", text)), "zh-cn")
    return re.sub(r"\s+", "", text)


def cells(text: str) -> list[str]:
    """The plan split into table cells / lines (the indicator tables are one cell per line or per '|')."""
    return [norm(c) for c in re.split(r"[\n|]", text) if norm(c)]


def number(cell: str) -> float:
    """'≧55%' → 55.0, '≥2' → 2.0, '4.51' → 4.51."""
    return float(re.sub(r"[%≥≧>]", "", cell))


@pytest.fixture(scope="module")
def presets() -> dict[str, Preset]:
    return {name: load_preset(name) for name in NAMES}


def plan(policy_dir: Path, preset: Preset) -> str:
    return (policy_dir / preset.plan_file).read_text(encoding="utf-8")


def test_list_presets_is_exactly_the_five() -> None:
    assert list_presets() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_preset_loads_and_names_its_plan(name: str, policy_dir: Path) -> None:
    p = load_preset(name)
    assert p.id == name == p.source.stem
    assert p.plan_file == f"{name}.txt" and (policy_dir / p.plan_file).is_file()
    assert p.target_year == 2025
    assert {r.cite.file for r in p.rules} == {p.plan_file}
    assert p.parameters["walk_speed_m_per_min"] == 75 and "GB 50180-2018" in p.parameters["walk_speed_source"]
    assert load_preset(p.source) == p  # by path, same preset


@pytest.mark.parametrize("name", NAMES)
def test_every_quote_and_indicator_is_in_the_plan(name: str, policy_dir: Path) -> None:
    p = load_preset(name)
    text = norm(plan(policy_dir, p))
    missing = [
        f"{r.id}: {what} {s!r}"
        for r in p.rules
        for what, s in (("quote", r.cite.quote), ("indicator_zh", r.params.get("indicator_zh")))
        if s and norm(s) not in text
    ]
    assert not missing


def test_quote_check_can_fail(policy_dir: Path) -> None:
    text = norm((policy_dir / "langfang-2021.txt").read_text(encoding="utf-8"))
    assert norm("構建城市地區“十五分鐘”養老服務圈") in text
    assert norm("構建城市地區“十分鐘”養老服務圈") not in text


# ---------------------------------------------------------------------------------------------- numbers
_WORDS_FOR_ALL = ("全覆盖", "所有", "全部", "全面补齐")  # 全面补齐…短板: make up every shortfall
_CN = {"一刻钟": 15.0, "十五": 15.0}


def evidence(rule: Any, text: str, table: list[str]) -> tuple[set[float], str]:
    """Numbers (and words) a rule's figures may come from: its quote, and the table row or sentence of its
    indicator / quote (the 4 cells after an exact table label, or the 12 characters after an inline one)."""
    parts = [norm(rule.cite.quote)]
    for label in (rule.cite.quote, rule.params.get("indicator_zh")):
        if not label:
            continue
        label = norm(label)
        parts.append(label)
        if label in table:
            i = table.index(label)
            parts += table[i + 1 : i + 5]
        elif label in text:
            i = text.index(label) + len(label)
            parts.append(text[i : i + 12])
    joined = " ".join(parts)
    values: set[float] = set()
    for m in re.finditer(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(万)?", joined):
        scale = 10000.0 if m.group(3) else 1.0
        values |= {float(g) * scale for g in m.groups()[:2] if g}
    for m in re.finditer(r"(\d+)/(\d+)", joined):
        values.add(100 * int(m.group(1)) / int(m.group(2)))
    values |= {v for word, v in _CN.items() if word in joined}
    return values, joined


def claimed(rule: Any) -> list[tuple[str, float]]:
    """The rule's figures that must come from the plan (min_count = 1 is the kind's 'at least one')."""
    p = rule.params
    out = [(k, float(p[k])) for k in ("minutes", "rate", "rate_new", "rate_existing", "min_site", "target")
           if k in p]
    if p.get("min_count", 1) != 1:
        out.append(("min_count", float(p["min_count"])))
    if "filter" in p:
        out.append(("filter.value", float(p["filter"]["value"])))
    if "target_rate" in p:
        out.append(("target_rate", 100 * float(p["target_rate"])))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_is_in_the_cited_text(name: str, policy_dir: Path) -> None:
    raw = plan(policy_dir, load_preset(name))
    text, table = norm(raw), cells(raw)
    wrong = []
    for rule in load_preset(name).rules:
        values, joined = evidence(rule, text, table)
        for key, value in claimed(rule):
            full = key == "target_rate" and value == 100 and any(w in joined for w in _WORDS_FOR_ALL)
            if not full and not any(abs(value - v) < 1e-6 for v in values):
                wrong.append(f"{rule.id}.{key} = {value:g} not in {joined!r}")
    assert not wrong


def test_figure_check_can_fail(presets: dict[str, Preset], policy_dir: Path) -> None:
    rule = presets["quzhou-2022"].rule("provision_elderly_floor_area")
    raw = plan(policy_dir, presets["quzhou-2022"])
    values, _ = evidence(rule, norm(raw), cells(raw))
    assert {20.0, 200.0} <= values and 30.0 not in values


# Indicator tables: (preset, rule, parameter, row label in the plan's table, column, scale)
# Quzhou columns: 2021, 2022, 2025; Shaoyang: 2022, 2025; Zhoukou: 2020, 2025.
TABLE = [
    ("quzhou-2022", "ratio_beds_per_1000_elderly", "target", "每千名老年人养老服务床位数(张)", 2, 1),
    ("quzhou-2022", "ratio_nursing_bed_share", "target", "养老机构护理型养老床位占比(%)", 2, 1),
    ("quzhou-2022", "ratio_dementia_beds_per_10000_elderly",
     "target", "每万名老年人拥有养老机构认知障碍床位数(张)", 2, 1),
    ("quzhou-2022", "ratio_rehab_beds_per_10000_elderly",
     "target", "每万名老年人医疗机构康复护理床位数(张)", 2, 1),
    ("quzhou-2022", "ratio_slots_per_1000", "target", "每千人口拥有3岁以下婴幼儿托位数(个)", 2, 1),
    ("quzhou-2022", "ratio_inclusive_slot_share", "target", "普惠托位占比(%)", 2, 1),
    ("quzhou-2022", "presence_county_smart_elderly_home",
     "min_count", "每县(市、区)智慧养老院家数(个)", 2, 1),
    ("quzhou-2022", "count_childcare_service_centre", "min_count", "托育综合服务中心(个)", 2, 1),
    ("quzhou-2022", "presence_township_kangyang_consortium",
     "target_rate", "康养联合体乡镇(街道)覆盖率(%)", 2, 100),
    ("quzhou-2022", "presence_township_elderly_school", "target_rate", "乡镇(街道)老年学堂覆盖率(%)", 2, 100),
    ("quzhou-2022", "presence_community_meal_service", "target_rate", "城市社区助餐服务覆盖率(%)", 2, 100),
    ("shaoyang-2023", "ratio_slots_per_1000", "target", "每千人口拥有3岁以下婴幼儿托位数", 1, 1),
    ("shaoyang-2023", "ratio_nursing_bed_share", "target", "养老机构护理型床位占比", 1, 1),
    ("shaoyang-2023", "ratio_inclusive_slot_share", "target", "普惠性托位占比", 1, 1),
    ("shaoyang-2023", "count_childcare_slots", "min_count", "托位数", 1, 1),
    ("shaoyang-2023", "count_childcare_registered", "min_count", "登记备案的托育机构数", 1, 1),
    ("shaoyang-2023", "count_demonstration_childcare", "min_count", "示范性婴幼儿照护服务机构数", 1, 1),
    ("shaoyang-2023", "presence_community_day_care", "target_rate", "社区日间照料机构覆盖率", 1, 100),
    ("shaoyang-2023", "presence_community_childcare", "target_rate", "社区托育服务覆盖率", 1, 100),
    ("zhoukou-2022", "ratio_slots_per_1000", "target", "每千人口(常住人口)拥有3岁以下婴幼儿托位数(个)", 1, 1),
    ("zhoukou-2022", "ratio_nursing_bed_share", "target", "养老机构护理型床位占比(%)", 1, 1),
    ("zhoukou-2022", "ratio_inclusive_childcare_share", "target", "全市普惠性托育机构占比(%)", 1, 1),
    ("zhoukou-2022", "presence_community_elderly_care", "target_rate", "社区养老服务机构覆盖率(%)", 1, 100),
    ("zhoukou-2022", "presence_community_day_care", "target_rate", "社区日间照料机构覆盖率(%)", 1, 100),
    ("zhoukou-2022", "presence_township_mutual_aid", "target_rate", "乡镇互助性养老机构覆盖率(%)", 1, 100),
    ("zhoukou-2022", "presence_county_elderly_university",
     "target_rate", "县(市、区)老年大学覆盖面(%)", 1, 100),
    ("zhoukou-2022", "provision_childcare_slots", "target_rate",
     "新建居民小区和已建成居住小区配建标准托育设施达标率(%)", 1, 100),
]


@pytest.mark.parametrize(("name", "rule_id", "key", "label", "column", "scale"), TABLE)
def test_indicator_table_figures(
    name: str, rule_id: str, key: str, label: str, column: int, scale: int, presets: dict[str, Preset],
    policy_dir: Path,
) -> None:
    table = cells(plan(policy_dir, presets[name]))
    row = table[table.index(norm(label)) + 1 :]
    assert presets[name].rule(rule_id).params[key] * scale == pytest.approx(number(row[column]))


def test_zhoukou_annex_is_transcribed_exactly(presets: dict[str, Preset], policy_dir: Path) -> None:
    table = cells(plan(policy_dir, presets["zhoukou-2022"]))
    body = table[table.index(norm("2025年托位 (个)")) + 1 :]
    annex = [body[i : i + 4] for i in range(0, len(body), 4)]
    rows = presets["zhoukou-2022"].rule("targets_county_annex").params["rows"]
    assert len(rows) == len(annex) == 13
    for row, (area, pop, beds, slots) in zip(rows, annex, strict=True):
        assert (row["area"], row["population_2020_wan"], row["beds_2025"], row["slots_2025"]) == (
            area, float(pop), int(beds), int(slots))
    # the annex adds up to the plan's city totals (6.7万 beds, 3.7万 slots, 902.6万 residents)
    assert round(sum(r["beds_2025"] for r in rows), -3) == presets["zhoukou-2022"].rule(
        "count_elderly_beds").params["min_count"]
    assert round(sum(r["slots_2025"] for r in rows), -3) == presets["zhoukou-2022"].rule(
        "count_childcare_slots").params["min_count"]
    assert sum(r["population_2020_wan"] for r in rows) == pytest.approx(902.6, abs=0.05)


# Structure the numbers alone do not show: (preset, rule, expected parameters)
SHAPES = [
    ("quzhou-2022", "reach_fitness_10", {"kind": "reach", "types": ["fitness"], "minutes": 10}),
    ("quzhou-2022", "provision_elderly_floor_area",
     {"scope": "new", "measure": "floor_area_m2", "per": 100,
      "per_unit": "households", "rate": 20, "min_site": 200}),
    ("quzhou-2022", "provision_childcare_slots",
     {"scope": "new", "measure": "slots", "per": 1000, "rate": 10}),
    ("shaoyang-2023", "provision_existing_indoor",
     {"scope": "existing", "measure": "floor_area_m2", "per": 1000, "per_unit": "households", "rate": 150}),
    ("shaoyang-2023", "provision_existing_outdoor",
     {"scope": "existing", "measure": "outdoor_area_m2", "rate": 300}),
    ("shaoyang-2023", "reach_elderly_15", {"minutes": 15, "target_rate": 1.0}),
    ("shaoyang-2023", "count_meal_service", {"types": ["meal_service"], "min_count": 300}),
    ("shaoyang-2023", "presence_township_elderly_centre", {"level": "township", "target_year": 2023}),
    ("langfang-2021", "ratio_nursing_bed_share_2022", {"target": 50, "target_year": 2022}),
    ("langfang-2021", "ratio_nursing_bed_share_2035", {"target": 80, "target_year": 2035}),
    ("zhoukou-2022", "provision_elderly_floor_area",
     {"measure": "floor_area_m2", "per": 100, "per_unit": "households", "rate_new": 30, "rate_existing": 20}),
    ("zhoukou-2022", "provision_childcare_slots",
     {"measure": "slots", "per": 1000, "per_unit": "population", "rate_new": 10, "rate_existing": 8}),
    ("zhoukou-2022", "ratio_elderly_land_per_resident",
     {"per": 1, "target": 0.1, "denominator": "population"}),
    ("hangzhou-2022", "presence_county_elderly_activity_centre",
     {"level": "county", "filter": {"field": "floor_area_m2", "op": ">=", "value": 2000}}),
    ("hangzhou-2022", "count_demonstration_childcare",
     {"types": ["demonstration_childcare"], "min_count": 50}),
    ("hangzhou-2022", "ratio_slots_per_1000", {"per": 1000, "target": 4.6, "denominator": "population"}),
]


@pytest.mark.parametrize(("name", "rule_id", "expected"), SHAPES)
def test_rule_shapes(name: str, rule_id: str, expected: dict[str, Any], presets: dict[str, Preset]) -> None:
    rule = presets[name].rule(rule_id)
    got = {k: rule.kind if k == "kind" else rule.params.get(k) for k in expected}
    assert got == expected


def test_new_build_years_are_the_plans_years(presets: dict[str, Preset]) -> None:
    years = {name: p.new_build_from_year for name, p in presets.items()}
    assert years == {"hangzhou-2022": 2022, "langfang-2021": 2021, "quzhou-2022": 2022, "shaoyang-2023": 2023,
                     "zhoukou-2022": 2022}


# ---------------------------------------------------------------------------------------------- types
def readme_types() -> dict[str, dict[str, str]]:
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| (.+?) \|$", README.read_text(encoding="utf-8"), re.M)
    return {t: {"zh": zh, "en": en} for t, zh, en in rows}


def test_types_follow_the_readme_vocabulary(presets: dict[str, Preset]) -> None:
    vocab = readme_types()
    assert len(vocab) >= 20
    for p in presets.values():
        for term, labels in p.types.items():
            assert {"zh": labels["zh"], "en": labels["en"]} == vocab[term], (p.id, term)


def test_every_declared_type_is_used(presets: dict[str, Preset]) -> None:
    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            return {t for k, v in node.items() for t in (v if k == "types" else refs(v))}
        if isinstance(node, list):
            return {t for v in node for t in refs(v)}
        return set()

    for p in presets.values():
        used = set().union(*(refs(dict(r.params)) for r in p.rules))
        assert set(p.types) == used, p.id


# ---------------------------------------------------------------------------------------------- views
def test_describe_lists_every_rule_with_its_citation(presets: dict[str, Preset]) -> None:
    for p in presets.values():
        text = describe_preset(p)
        for r in p.rules:
            assert f"{r.id}  [{r.kind}]" in text and r.cite.quote in text
    annex = describe_preset(presets["zhoukou-2022"])
    assert "rows (13): area | population_2020_wan | beds_2025 | slots_2025" in annex
    assert "周口港口物流产业集聚区 | 3.97 | 298 | 238" in annex


def test_preset_table() -> None:
    table = preset_table()
    assert list(table["id"]) == NAMES
    assert table.set_index("id").loc["zhoukou-2022", "rules"] == len(load_preset("zhoukou-2022").rules)
    assert "targets×1" in table.set_index("id").loc["zhoukou-2022", "kinds"]


def test_unknown_rule_id_lists_the_rules(presets: dict[str, Preset]) -> None:
    with pytest.raises(PresetError, match="reach_elderly_15"):
        presets["quzhou-2022"].rule("reach_elderly_16")
