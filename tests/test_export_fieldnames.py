"""The Shapefile field-name scheme: documented, deterministic, collision-free."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.outputs import _fieldnames
from geoplan.outputs._fieldnames import CANONICAL, MAX_LEN, RULE_FIELDS, header, shapefile_names

_VALID = re.compile(r"[A-Z][A-Z0-9_]{0,9}")


def test_every_canonical_short_name_is_in_the_documented_table() -> None:
    doc = _fieldnames.__doc__ or ""
    for full, info in CANONICAL.items():
        assert re.search(rf"\b{full}\s+{info.short}\b", doc), f"{full} → {info.short} not documented"
    for field, info in RULE_FIELDS.items():
        assert f"{field} {info.short}" in doc, f"rule field {field} → {info.short} not documented"


def test_designed_names() -> None:
    columns = [
        "community_id", "name", "households", "reach_elderly_15__status", "reach_elderly_15__facility_name",
        "provision_childcare__status", "assumed_floor_area_m2", "population_assumed",
    ]
    names = shapefile_names(columns, ["reach_elderly_15", "provision_childcare"])
    assert names == {
        "community_id": "COMM_ID", "name": "NAME", "households": "HH",
        "reach_elderly_15__status": "R1_STATUS",
        "reach_elderly_15__facility_name": "R1_FAC_NM", "provision_childcare__status": "R2_STATUS",
        "assumed_floor_area_m2": "A_FLOOR_M2", "population_assumed": "A_POP",
    }


def test_rule_numbers_follow_the_given_order_then_appearance() -> None:
    columns = ["a__status", "b__status", "c__status"]
    assert shapefile_names(columns, ["c", "a"]) == {"a__status": "R2_STATUS", "b__status": "R3_STATUS",
                                                    "c__status": "R1_STATUS"}
    assert list(shapefile_names(columns).values()) == ["R1_STATUS", "R2_STATUS", "R3_STATUS"]


def test_stray_columns_never_take_designed_names() -> None:
    # "HH" comes first but households keeps its documented short name; case-insensitive clashes resolved.
    names = shapefile_names(["HH", "hh", "households", "Name", "name"])
    assert names == {"HH": "HH_1", "hh": "HH_2", "households": "HH", "Name": "NAME_1", "name": "NAME"}


def test_unusable_names_are_cleaned() -> None:
    names = shapefile_names(["小区名称", "123abc", "x-y z", "a" * 30, "A" * 30])
    assert names == {"小区名称": "FIELD", "123abc": "F123ABC", "x-y z": "X_Y_Z", "a" * 30: "AAAAAAAAAA",
                     "A" * 30: "AAAAAAAA_1"}


def test_headers_show_chinese_label_and_field_name() -> None:
    assert header("households") == "户数 households"
    assert header("reach_elderly_15__status") == "状态 reach_elderly_15__status"
    assert header("some_column") == "some_column"


_pieces = st.text(alphabet="abcXYZ_09-小区状态 ", min_size=1, max_size=40)
_rule_cols = st.tuples(st.sampled_from(["reach_elderly_15", "r", "provision_childcare_new_build"]),
                       st.sampled_from([*RULE_FIELDS, "extra_field_x", "小区"])).map("__".join)
# names sharing their first 10 cleaned characters, so that suffixes must be stacked
_alike = st.tuples(st.sampled_from(["very_long_field_name", "Very-Long field NAME", "hh", "HH", "name_"]),
                   st.text(alphabet="ab_小", max_size=3)).map("".join)
_columns = st.lists(st.one_of(_pieces, _rule_cols, _alike, st.sampled_from(sorted(CANONICAL))), min_size=1,
                    max_size=60, unique=True)


@settings(max_examples=300, deadline=None)
@given(columns=_columns, rules=st.lists(st.sampled_from(["reach_elderly_15", "r", "zzz"]), unique=True))
def test_short_names_are_unique_valid_and_deterministic(columns: list[str], rules: list[str]) -> None:
    names = shapefile_names(columns, rules)
    assert list(names) == columns
    shorts = list(names.values())
    assert all(_VALID.fullmatch(s) and len(s.encode("ascii")) <= MAX_LEN for s in shorts), shorts
    assert len({s.upper() for s in shorts}) == len(shorts), "two fields collide after shortening"
    assert shapefile_names(list(columns), list(rules)) == names


@settings(max_examples=100, deadline=None)
@given(n_rules=st.integers(min_value=1, max_value=150))
def test_many_rules_stay_unique(n_rules: int) -> None:
    columns = [f"rule_{i}__{field}" for i in range(n_rules) for field in RULE_FIELDS]
    shorts = list(shapefile_names(columns).values())
    assert len({s.upper() for s in shorts}) == len(shorts)
    assert all(len(s) <= MAX_LEN for s in shorts)
