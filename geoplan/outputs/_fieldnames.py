"""Field names: Chinese labels for table headers, and the Shapefile's 10-character short names.

A dBASE (``.dbf``) field name holds at most 10 bytes, so Shapefile outputs use short names, chosen by a
fixed procedure (same columns and rules in → same names out) and listed beside each Shapefile in
``<name>_fields.csv`` (short, full name, description):

1. Canonical fields have fixed short names:

   ================  ==========   ================  ==========
   full name         short        full name         short
   ================  ==========   ================  ==========
   community_id      COMM_ID      facility_id       FAC_ID
   name              NAME         facility_type     FAC_TYPE
   households        HH           source_type       SRC_TYPE
   population        POP          floor_area_m2     FLOOR_M2
   build_year        BUILD_YR     outdoor_area_m2   OUTDR_M2
   admin_code        ADMIN        land_area_m2      LAND_M2
   source_row        SRC_ROW      slots             SLOTS
   flags             FLAGS        beds              BEDS
   attached          ATTACHED     nursing_beds      NURS_BEDS
   lon               LON          dementia_beds     DEMEN_BEDS
   lat               LAT          truncated_fields  TRUNCATED
   level             LEVEL        area              AREA
   snap_m            SNAP_M
   ================  ==========   ================  ==========

   Siting suggestions (``geoplan site``):

   =================  ==========   =================  ==========
   full name          short        full name          short
   =================  ==========   =================  ==========
   site_id            SITE_ID      communities_fixed  FIXED_IDS
   candidate_id       CAND_ID      n_fixed            N_FIXED
   source             SOURCE       households_fixed   HH_FIXED
   model              MODEL        households_served  HH_SERVED
   size_required      SIZE_REQ     population_served  POP_SERVED
   size_unit          SIZE_UNIT    n_communities      N_COMM
   size_measure       SIZE_MEAS    unit_code          UNIT_CODE
   size_basis         SIZE_BASIS   suggestion         ADVICE
   =================  ==========   =================  ==========

2. A rule's result column ``<rule_id>__<field>`` becomes ``R<n>_<CODE>``: ``n`` is the rule's number
   (1-based, in the order the rules are given, i.e. preset order; rules not given are numbered after them
   in order of first appearance), ``CODE`` the field's code: status STATUS, value VALUE, threshold THRESH,
   unit UNIT, shortfall SHORT, basis BASIS, reason REASON, minutes MIN, facility_id FAC_ID,
   facility_name FAC_NM, distance_m DIST_M, required REQ, provided PROV, count COUNT; another field
   gets its cleaned name (rule 4). So ``reach_elderly_15__status`` → ``R1_STATUS``. Codes are cut to fit
   10 characters (from rule 100 on).
3. ``assumed_<field>`` or ``<field>_assumed`` (a figure filled from a configured default) →
   ``A_<short name of field>``, e.g. ``assumed_floor_area_m2`` → ``A_FLOOR_M2``, ``population_assumed`` →
   ``A_POP``.
4. Any other name: upper-cased, every run of characters outside ``A-Z 0-9 _`` replaced by one ``_``,
   ``F`` put in front when it would start with a digit, ``FIELD`` when nothing is left; cut to 10.
5. Names are unique compared case-insensitively (as dBASE and ArcGIS compare them): a name already taken
   gets a numeric suffix in place of its tail, ``NAME`` → ``NAME_1`` → ``NAME_2`` ...,
   ``ABCDEFGHIJ`` → ``ABCDEFGH_1``. Rules 1–3 are applied to all columns first (in column order), then
   rule 4, so a stray input column never takes a designed name such as ``HH``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from geoplan.result import SEP

#: dBASE field-name limit (bytes; the names produced here are ASCII).
MAX_LEN: Final = 10


@dataclass(frozen=True)
class FieldInfo:
    """Short (Shapefile) name, Chinese label and English description of a field."""

    short: str
    zh: str
    en: str


CANONICAL: Final[dict[str, FieldInfo]] = {
    "community_id": FieldInfo("COMM_ID", "小区编号", "community id"),
    "name": FieldInfo("NAME", "名称", "name"),
    "households": FieldInfo("HH", "户数", "households"),
    "population": FieldInfo("POP", "人口", "population"),
    "build_year": FieldInfo("BUILD_YR", "建成年份", "year built"),
    "admin_code": FieldInfo("ADMIN", "行政区划代码", "administrative division code"),
    "source_row": FieldInfo("SRC_ROW", "源数据行号", "row in the input file"),
    "flags": FieldInfo("FLAGS", "数据问题", "data problems noted while reading"),
    "attached": FieldInfo("ATTACHED", "已接入路网", "attached to the walking network"),
    "lon": FieldInfo("LON", "经度WGS84", "longitude, WGS84"),
    "lat": FieldInfo("LAT", "纬度WGS84", "latitude, WGS84"),
    "level": FieldInfo("LEVEL", "层级", "administrative level"),
    "snap_m": FieldInfo("SNAP_M", "接入路网距离(米)", "distance to the walking network, m"),
    "facility_id": FieldInfo("FAC_ID", "设施编号", "facility id"),
    "facility_type": FieldInfo("FAC_TYPE", "设施类型", "facility type (plan term)"),
    "source_type": FieldInfo("SRC_TYPE", "原始类型", "facility type as given in the input"),
    "floor_area_m2": FieldInfo("FLOOR_M2", "建筑面积(m²)", "floor area, m²"),
    "outdoor_area_m2": FieldInfo("OUTDR_M2", "室外场地面积(m²)", "outdoor area, m²"),
    "land_area_m2": FieldInfo("LAND_M2", "用地面积(m²)", "land area, m²"),
    "slots": FieldInfo("SLOTS", "托位数", "childcare places"),
    "beds": FieldInfo("BEDS", "床位数", "beds"),
    "nursing_beds": FieldInfo("NURS_BEDS", "护理型床位数", "nursing beds"),
    "dementia_beds": FieldInfo("DEMEN_BEDS", "认知障碍照护床位数", "dementia-care beds"),
    "area": FieldInfo("AREA", "范围", "area (city, county ...)"),
    "truncated_fields": FieldInfo(
        "TRUNCATED", "被截断字段", "fields of this row cut to the 254-byte dBASE limit (short names)"
    ),
    # siting suggestions (geoplan.siting.planning.plans)
    "site_id": FieldInfo("SITE_ID", "建议选址编号", "suggested site id (<rule>-<n>)"),
    "candidate_id": FieldInfo("CAND_ID", "候选用地编号", "candidate site id (facility id, node:<osm id>, compound id)"),
    "source": FieldInfo("SOURCE", "候选来源", "given candidate / generated / compound"),
    "model": FieldInfo("MODEL", "选址模型", "siting model (lscp, mclp, sized, direct, best in unit)"),
    "size_required": FieldInfo("SIZE_REQ", "建议规模", "size the site needs under the standard"),
    "size_unit": FieldInfo("SIZE_UNIT", "规模单位", "unit of size_required"),
    "size_measure": FieldInfo("SIZE_MEAS", "规模指标", "facility field the size is (floor_area_m2, slots ...)"),
    "size_basis": FieldInfo("SIZE_BASIS", "规模依据", "standard applied, or why no size"),
    "communities_fixed": FieldInfo("FIXED_IDS", "解决的小区", "ids of the failing communities it fixes (;)"),
    "n_fixed": FieldInfo("N_FIXED", "解决数量", "number of failing communities (or units) it fixes"),
    "households_fixed": FieldInfo("HH_FIXED", "解决户数", "households of the communities it fixes"),
    "households_served": FieldInfo("HH_SERVED", "服务户数", "households whose nearest open site it is"),
    "population_served": FieldInfo("POP_SERVED", "服务人口", "residents whose nearest open site it is"),
    "n_communities": FieldInfo("N_COMM", "服务小区数", "communities served"),
    "unit_code": FieldInfo("UNIT_CODE", "区划代码", "admin unit code"),
    "suggestion": FieldInfo("ADVICE", "建议", "the suggestion in words"),
}

RULE_FIELDS: Final[dict[str, FieldInfo]] = {
    "status": FieldInfo("STATUS", "状态", "pass / fail / not_evaluable / not_applicable"),
    "value": FieldInfo("VALUE", "实测值", "measured value"),
    "threshold": FieldInfo("THRESH", "标准值", "threshold (the plan's figure)"),
    "unit": FieldInfo("UNIT", "单位", "unit of value and threshold"),
    "shortfall": FieldInfo("SHORT", "差额", "shortfall against the threshold"),
    "basis": FieldInfo("BASIS", "数据依据", "measured / assumed (configured default) / not_evaluable"),
    "reason": FieldInfo("REASON", "原因", "why not evaluable or not applicable; how measured"),
    "minutes": FieldInfo("MIN", "步行分钟", "walking time, minutes"),
    "facility_id": FieldInfo("FAC_ID", "最近设施编号", "nearest facility id"),
    "facility_name": FieldInfo("FAC_NM", "最近设施名称", "nearest facility name"),
    "distance_m": FieldInfo("DIST_M", "距离(米)", "distance, m"),
    "required": FieldInfo("REQ", "应配", "required amount"),
    "provided": FieldInfo("PROV", "实配", "provided amount"),
    "count": FieldInfo("COUNT", "数量", "count"),
}

#: Chinese labels of other table columns (indicators, findings, rules, summary), for headers only.
LABELS: Final[dict[str, str]] = {
    "rule_id": "规则编号", "id": "规则编号", "kind": "规则类型", "title_zh": "规则名称",
    "title_en": "英文名称", "indicator_zh": "指标", "indicator_en": "英文指标", "measured": "实测值",
    "target": "目标值", "note": "说明",
    "feature_index": "要素序号", "feature_id": "要素编号", "feature_name": "要素名称", "params": "参数",
    "citation": "出处", "cite_file": "出处文件", "cite_clause": "条款", "cite_quote": "原文",
    "n_pass": "达标数", "n_fail": "不达标数", "n_not_evaluable": "无法评估数", "n_not_applicable": "不适用数",
    "pass_rate_pct": "达标率(%)", "pass_rate_households_pct": "按户数加权达标率(%)",
    "n_households_known": "户数已知的小区数",
}

_ASSUMED = "assumed_"
_ASSUMED_SUFFIX = "_assumed"


def _assumed_of(column: str) -> str | None:
    """The field an ``assumed_<field>`` / ``<field>_assumed`` flag column refers to, else None."""
    if column.startswith(_ASSUMED) and len(column) > len(_ASSUMED):
        return column[len(_ASSUMED):]
    if column.endswith(_ASSUMED_SUFFIX) and len(column) > len(_ASSUMED_SUFFIX):
        return column[: -len(_ASSUMED_SUFFIX)]
    return None


def split_rule_column(column: str) -> tuple[str, str] | None:
    """``(rule_id, field)`` of a wide rule column ``<rule_id>__<field>``, else None."""
    rule_id, sep, field = column.rpartition(SEP)
    if not sep or not rule_id or not field:
        return None
    return rule_id, field


def rule_order(columns: Iterable[str], rules: Iterable[str] = ()) -> list[str]:
    """Rule ids numbered R1, R2 ...: ``rules`` first, then others in order of first appearance."""
    order = list(dict.fromkeys(rules))
    seen = set(order)
    for column in columns:
        parts = split_rule_column(column)
        if parts and parts[0] not in seen:
            seen.add(parts[0])
            order.append(parts[0])
    return order


def clean_name(name: str) -> str:
    """Rule 4 of the module docstring: an ASCII, upper-case name of at most 10 characters."""
    cleaned = re.sub(r"[^A-Z0-9_]+", "_", name.upper())
    cleaned = re.sub(r"_+", "_", cleaned).strip("_")
    if not cleaned:
        cleaned = "FIELD"
    if cleaned[0].isdigit():
        cleaned = "F" + cleaned
    return cleaned[:MAX_LEN]


def _designed(column: str, numbers: Mapping[str, int]) -> str | None:
    if column in CANONICAL:
        return CANONICAL[column].short
    parts = split_rule_column(column)
    if parts:
        rule_id, field = parts
        prefix = f"R{numbers[rule_id]}_"
        code = RULE_FIELDS[field].short if field in RULE_FIELDS else clean_name(field)
        return (prefix + code)[:MAX_LEN]
    rest = _assumed_of(column)
    if rest is not None:
        return ("A_" + (CANONICAL[rest].short if rest in CANONICAL else clean_name(rest)))[:MAX_LEN]
    return None


def _claim(base: str, taken: set[str]) -> str:
    candidate = base[:MAX_LEN]
    k = 1
    while candidate.upper() in taken:
        suffix = f"_{k}"
        candidate = base[: MAX_LEN - len(suffix)] + suffix
        k += 1
    taken.add(candidate.upper())
    return candidate


def shapefile_names(columns: Sequence[str], rules: Iterable[str] = ()) -> dict[str, str]:
    """Map every column to a unique Shapefile field name of at most 10 ASCII characters.

    Parameters
    ----------
    columns : sequence of str
        Column names (without the geometry column), unique.
    rules : iterable of str
        Rule ids in preset order; they fix the rule numbers (``R1`` ...), so that every layer of one
        audit numbers its rules alike.

    Returns
    -------
    dict
        full name → short name, in column order.
    """
    numbers = {rule_id: i + 1 for i, rule_id in enumerate(rule_order(columns, rules))}
    taken: set[str] = set()
    short: dict[str, str] = {}
    for column in columns:
        designed = _designed(column, numbers)
        if designed is not None:
            short[column] = _claim(designed, taken)
    for column in columns:
        if column not in short:
            short[column] = _claim(clean_name(column), taken)
    return {column: short[column] for column in columns}


def describe(column: str, rule_titles: Mapping[str, str] | None = None) -> str:
    """A one-line description of a column: Chinese label / English, with the rule for rule columns."""
    if column in CANONICAL:
        info = CANONICAL[column]
        return f"{info.zh} / {info.en}"
    parts = split_rule_column(column)
    if parts:
        rule_id, field = parts
        title = (rule_titles or {}).get(rule_id, "")
        rule = f"规则 rule {rule_id}" + (f" {title}" if title else "")
        if field in RULE_FIELDS:
            info = RULE_FIELDS[field]
            return f"{rule}: {info.zh} / {info.en}"
        return f"{rule}: {field}"
    rest = _assumed_of(column)
    if rest is not None:
        return f"采用默认值 / filled from a configured default: {rest}"
    return ""


def header(column: str) -> str:
    """A readable table header: Chinese label followed by the field name (the name alone if unknown)."""
    if column in CANONICAL:
        return f"{CANONICAL[column].zh} {column}"
    parts = split_rule_column(column)
    if parts and parts[1] in RULE_FIELDS:
        return f"{RULE_FIELDS[parts[1]].zh} {column}"
    if _assumed_of(column) is not None:
        return f"采用默认值 {column}"
    if column in LABELS:
        return f"{LABELS[column]} {column}"
    if column in RULE_FIELDS:
        return f"{RULE_FIELDS[column].zh} {column}"
    return column
