"""Malformed presets: every problem is reported at once, each naming its key and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import geoplan.rules
from geoplan._errors import PresetError
from geoplan.presets import load_preset
from geoplan.rules import reach
from geoplan.rules.base import RuleKind

HEAD = """\
[preset]
id = "tiny"
title = "测试"
document = "none"
plan_file = "quzhou-2022.txt"
target_year = 2025
new_build_from_year = 2022

[parameters]
walk_speed_m_per_min = 75
walk_speed_source = "test"

[types]
childcare = { zh = "托育机构", en = "childcare institution" }
"""

REACH = """
[[rules]]
id = "{id}"
kind = "reach"
title_zh = "15分钟托育服务圈"
title_en = "15-minute childcare circle"
types = ["childcare"]
minutes = 15
[rules.cite]
file = "quzhou-2022.txt"
clause = "二(一)"
quote = "打造15分钟便捷托育服务圈"
"""


ID_A = 'id = "a"'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(PresetError) as info:
        load_preset(write(tmp_path, text))
    return str(info.value)


def line(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line of ``text`` containing ``needle``."""
    hits = [i + 1 for i, s in enumerate(text.splitlines()) if needle in s]
    return hits[nth - 1]


def reported(message: str) -> list[str]:
    return [s.strip() for s in message.splitlines()[1:] if not s.strip().startswith("→")]  # not the hint


def test_the_base_preset_is_valid(tmp_path: Path) -> None:
    p = load_preset(write(tmp_path, HEAD + REACH.format(id="a")))
    assert p.id == "tiny" and p.rule("a").params == {"types": ["childcare"], "minutes": 15}
    assert p.rule("a").cite.quote == "打造15分钟便捷托育服务圈"


def test_unknown_top_level_and_preset_keys(tmp_path: Path) -> None:
    text = HEAD.replace('new_build_from_year = 2022', 'new_build_from_year = 2022\ncolour = "red"')
    text += REACH.format(id="a") + "\n[extras]\nfoo = 1\n"
    msg = error(tmp_path, text)
    assert f"line {line(text, 'colour')}: key 'preset.colour': unknown key 'colour'" in msg
    assert f"line {line(text, '[extras]')}: key 'extras': unknown key 'extras'" in msg
    assert "2 problem(s)" in msg


def test_unknown_rule_key(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a").replace("minutes = 15", "minutes = 15\nminuts = 10")
    msg = error(tmp_path, text)
    assert f"line {line(text, 'minuts')}: [[rules]] #1 (id 'a'), key 'minuts': unknown key 'minuts'" in msg


def test_wrong_type_is_reported_once_with_key_and_line(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a").replace("minutes = 15", 'minutes = "15"')
    msg = error(tmp_path, text)
    assert reported(msg) == [
        f"line {line(text, 'minutes')}: [[rules]] #1 (id 'a'), key 'minutes': "
        "expected a positive number, got str '15'"
    ]


def test_duplicate_rule_id_points_at_the_second(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a") + REACH.format(id="b") + REACH.format(id="a")
    msg = error(tmp_path, text)
    n = line(text, ID_A, 2)
    assert f"line {n}: [[rules]] #3 (id 'a'), key 'id': duplicate rule id 'a'" in msg
    assert "first used by [[rules]] #1" in msg


def test_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a") + REACH.format(id="b").replace('kind = "reach"', 'kind = "teleport"')
    msg = error(tmp_path, text)
    n = line(text, "teleport")
    assert f"line {n}: [[rules]] #2 (id 'b'), key 'kind': unknown kind 'teleport'" in msg
    known = msg.split("known kinds: ")[1].splitlines()[0].split(", ")
    assert {"count", "presence", "provision", "ratio", "reach", "targets"} <= set(known)


def test_undeclared_type(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a").replace('["childcare"]', '["childcare", "kindergarten"]')
    msg = error(tmp_path, text)
    n = line(text, "kindergarten")
    assert f"line {n}: [[rules]] #1 (id 'a'), key 'types': type 'kindergarten'" in msg
    assert "not declared in [types]" in msg


def test_missing_keys_point_at_their_table(tmp_path: Path) -> None:
    rule_b = REACH.format(id="b").replace('quote = "打造15分钟便捷托育服务圈"\n', "")
    text = HEAD + REACH.format(id="a") + rule_b
    text = text.replace('title_en = "15-minute childcare circle"\n', "", 1)
    msg = error(tmp_path, text)
    first = line(text, "[[rules]]")
    assert f"line {first}: [[rules]] #1 (id 'a'), key 'title_en': required key is missing" in msg
    cite_b = line(text, "[rules.cite]", 2)
    assert f"line {cite_b}: [[rules]] #2 (id 'b'), key 'cite.quote': required key is missing" in msg


def test_all_problems_at_once_sorted_by_line(tmp_path: Path) -> None:
    text = (HEAD.replace("target_year = 2025", 'target_year = "2025"')
            + REACH.format(id="a").replace("minutes = 15", "minutes = -1")
            + REACH.format(id="a"))
    msg = error(tmp_path, text)
    lines = reported(msg)
    assert msg.startswith(f"{tmp_path / 'tiny.toml'}: 3 problem(s) in preset:")
    numbers = [int(re.match(r"line (\d+):", s).group(1)) for s in lines]  # type: ignore[union-attr]
    assert numbers == sorted(numbers) == [line(text, "target_year"), line(text, "minutes"),
                                          line(text, ID_A, 2)]


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = HEAD + REACH.format(id="a").replace("minutes = 15", "minutes = ")
    msg = error(tmp_path, text)
    assert "TOML syntax error" in msg and f"line {line(text, 'minutes =')}, column" in msg


def test_unknown_name_lists_the_presets() -> None:
    with pytest.raises(PresetError) as info:
        load_preset("quzhou-2021")
    msg = str(info.value)
    assert "unknown preset 'quzhou-2021'" in msg
    for name in ("hangzhou-2022", "langfang-2021", "quzhou-2022", "shaoyang-2023", "zhoukou-2022"):
        assert name in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="preset file not found"):
        load_preset(tmp_path / "nothing.toml")


PROVISION = """
[[rules]]
id = "p"
kind = "provision"
title_zh = "配建"
title_en = "provision"
types = ["childcare"]
measure = "slots"
per = 1000
per_unit = "population"
{rates}
[rules.cite]
file = "quzhou-2022.txt"
clause = "三(二)4"
quote = "托育服务设施按照每千人10个以上托位配置"
"""


@pytest.mark.parametrize(("rates", "expected"), [
    ("rate = 10\nrate_new = 12\nrate_existing = 8", "give exactly one of rate or rate_new + rate_existing"),
    ("rate_new = 12", "rate_new needs rate_existing too"),
    ("", "give exactly one of rate or rate_new + rate_existing"),
    ("rate = 10\nper_unit_x = 1", "unknown key 'per_unit_x'"),
])
def test_provision_rates(tmp_path: Path, rates: str, expected: str) -> None:
    assert expected in error(tmp_path, HEAD + PROVISION.format(rates=rates))


def test_nested_tables_are_checked(tmp_path: Path) -> None:
    ratio = """
[[rules]]
id = "r"
kind = "ratio"
title_zh = "每千人口托位数"
title_en = "slots per 1000"
numerator = { types = ["childcare"], field = "places" }
denominator = "households"
per = 1000
target = 4.5
level = "city"
[rules.cite]
file = "quzhou-2022.txt"
clause = "二(一)"
quote = "每千人口拥有3岁以下婴幼儿托位数达到4.5个"
"""
    text = HEAD + ratio
    msg = error(tmp_path, text)
    n = line(text, "numerator")
    assert f"line {n}: [[rules]] #1 (id 'r'), key 'numerator.field': expected one of" in msg
    assert f"line {line(text, 'denominator')}: [[rules]] #1 (id 'r'), key 'denominator'" in msg


def test_targets_rows(tmp_path: Path) -> None:
    targets = """
[[rules]]
id = "t"
kind = "targets"
title_zh = "任务分配表"
title_en = "annex"
table = "annex"
[rules.measures.slots_2025]
types = ["childcare"]
field = "slots"
[rules.cite]
file = "zhoukou-2022.txt"
clause = "附件"
quote = "各县(市、区)“一老一小”建设任务分配表"
[[rules.rows]]
area = "川汇区"
slots_2025 = 2326
[[rules.rows]]
area = "淮阳区"
slots_2025 = "3880"
"""
    text = HEAD + targets
    msg = error(tmp_path, text)
    assert reported(msg) == [
        f"line {line(text, '3880')}: [[rules]] #1 (id 't'), key 'rows[1].slots_2025': "
        "expected a number, got str '3880'"
    ]


def test_walk_speed_needs_its_source(tmp_path: Path) -> None:
    text = HEAD.replace('walk_speed_source = "test"\n', "") + REACH.format(id="a")
    msg = error(tmp_path, text)
    assert f"line {line(text, 'walk_speed_m_per_min')}: key 'parameters.walk_speed_m_per_min': missing" in msg


def test_registered_kind_runs_its_own_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def check_params(params: dict[str, object]) -> list[str]:
        return [] if params.get("speed", 0) <= 5 else ["speed: at most 5"]  # type: ignore[operator]

    fake = RuleKind(name="fake", params={"types": ("types", True), "speed": ("positive", True)},
                    check_params=check_params, evaluate=reach.evaluate)
    monkeypatch.setitem(geoplan.rules.KINDS, "fake", fake)
    rule = REACH.format(id="f").replace('kind = "reach"', 'kind = "fake"')
    rule = rule.replace("minutes = 15", "speed = 9")
    text = HEAD + rule
    msg = error(tmp_path, text)
    # a kind known only to the registry: its check speaks, placed on the key it names
    n = line(text, "speed = 9")
    assert reported(msg) == [f"line {n}: [[rules]] #1 (id 'f'), key 'speed': fake: speed: at most 5"]
    assert load_preset(write(tmp_path, text.replace("speed = 9", "speed = 4"))).rule("f").kind == "fake"
