"""Words and colours of the gap map, in Chinese and English.

Colours are colour-blind safe: statuses use the Okabe-Ito palette (blue / vermillion read apart under every
common colour-vision deficiency), facility types have one fixed symbol each
(:mod:`geoplan.outputs._symbols`), and the admin-unit rate uses ColorBrewer's 5-class RdYlBu, rated colour-blind safe.
"""

from __future__ import annotations

from typing import Final

#: Fill colour by rule status; "other" is any status string geoplan does not define.
STATUS_COLORS: Final = {
    "pass": "#0072B2",
    "fail": "#D55E00",
    "not_evaluable": "#999999",
    "not_applicable": "#CCCCCC",
    "other": "#666666",
}
#: Admin-unit pass rate, 0-20 % ... 80-100 %.
RATE_RAMP: Final = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")
#: Service areas, suggested sites, catchments.
EXTRA_COLORS: Final = {"service_areas": "#56B4E9", "uncovered": "#D55E00", "suggestions": "#000000",
                       "catchments": "#000000", "fixed": "#009E73"}

TEXT: Final[dict[str, dict[str, object]]] = {
    "zh": {
        "status": {"pass": "达标", "fail": "不达标", "not_evaluable": "无法评估", "not_applicable": "不适用"},
        "status_missing": "无结果",
        "basis_values": {"measured": "实测", "assumed": "假定（默认值）", "estimated": "估算（按公式）",
                         "not_evaluable": "无法评估"},
        "distance": "距离",
        "value": "数值",
        "minutes": "步行时间（分钟）",
        "threshold": "标准",
        "shortfall": "差额",
        "facility": "最近设施",
        "basis": "数据依据",
        "reason": "说明",
        "id": "编号",
        "type": "类型",
        "unnamed": "（未命名）",
        "legend": "图例",
        "communities": "小区",
        "facilities": "设施",
        "attached": "已接入路网",
        "not_attached": "未接入路网（距道路过远）",
        "network": "路网",
        "rate": "达标率",
        "rate_layer": "行政区达标率",
        "network_basis": {"network": "路网步行距离"},
        "rate_detail": "达标 {passed} / 可评估 {evaluable}，无法评估 {unknown}",
        "no_data": "无数据",
        "preset": "规则方案",
        "created": "生成日期",
        "distance_basis": "距离依据",
        "service_areas": "服务范围",
        "uncovered": "未覆盖区域",
        "suggestions": "建议选址",
        "catchments": "建议选址服务范围",
        "fixed": "建议选址建成后达标",
        "admin": "行政区",
        "none_evaluable": "全部无法评估（{n}/{total}），无达标率",
        "streets": "街道（步行路网）",
        "water": "水系",
        "green": "绿地",
        "boundaries": "行政区界",
        "context": "底图",
        "whatif": "假如：开关选址，即时重算",
        "whatif_sites": "选址开关（建议 / 候选）",
        "whatif_suggested": "建议",
        "whatif_candidate": "候选",
        "whatif_rate": "覆盖 {passed}/{evaluated} 个小区（{rate}）",
        "whatif_weighted": "按{weight}加权 {rate}",
        "whatif_weights": {"households": "户数", "population": "人口"},
        "whatif_serves": "新覆盖 {n} 个原不达标小区",
    },
    "en": {
        "status": {
            "pass": "pass",
            "fail": "fail",
            "not_evaluable": "not evaluable",
            "not_applicable": "not applicable",
        },
        "status_missing": "no result",
        "basis_values": {
            "measured": "measured", "assumed": "assumed (default)", "estimated": "estimated (formula)",
            "not_evaluable": "not evaluable",
        },
        "distance": "Distance",
        "value": "Value",
        "minutes": "Walk (min)",
        "threshold": "Threshold",
        "shortfall": "Shortfall",
        "facility": "Nearest facility",
        "basis": "Basis",
        "reason": "Reason",
        "id": "ID",
        "type": "Type",
        "unnamed": "(unnamed)",
        "legend": "Legend",
        "communities": "Communities",
        "facilities": "Facilities",
        "attached": "on the network",
        "not_attached": "not on the network (too far from a road)",
        "network": "network",
        "rate": "Pass rate",
        "rate_layer": "Pass rate by admin unit",
        "network_basis": {"network": "walking distance on the street network"},
        "rate_detail": "pass {passed} / evaluable {evaluable}, not evaluable {unknown}",
        "no_data": "no data",
        "preset": "Preset",
        "created": "Created",
        "distance_basis": "Distances",
        "service_areas": "Service areas",
        "uncovered": "Uncovered areas",
        "suggestions": "Suggested sites",
        "catchments": "Catchments of suggested sites",
        "fixed": "Pass once the suggested sites are built",
        "admin": "Admin units",
        "none_evaluable": "not evaluable for any community ({n}/{total}): no pass rate",
        "streets": "Streets (walking network)",
        "water": "Water",
        "green": "Parks and green",
        "boundaries": "Admin boundaries",
        "context": "Background",
        "whatif": "What if: switch sites on and off",
        "whatif_sites": "Sites (suggested / candidate)",
        "whatif_suggested": "suggested",
        "whatif_candidate": "candidate",
        "whatif_rate": "{passed}/{evaluated} communities covered ({rate})",
        "whatif_weighted": "weighted by {weight}: {rate}",
        "whatif_weights": {"households": "households", "population": "residents"},
        "whatif_serves": "brings {n} failing communities within reach",
    },
}


def text(lang: str) -> dict[str, object]:
    """The word table of one language.

    Parameters
    ----------
    lang : {"zh", "en"}

    Raises
    ------
    ValueError
        Another language code.
    """
    try:
        return TEXT[lang]
    except KeyError:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, not {lang!r}") from None


def status_label(lang: str, status: str) -> str:
    """The word for one status (the raw string for statuses geoplan does not define)."""
    words = text(lang)["status"]
    assert isinstance(words, dict)
    return str(words.get(status, status))


def ink_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (``#rrggbb``), for cluster counts."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"
