"""Every key of the project file (``geoplan.toml``), once: what it means, its default and an example (zh + en).

:mod:`geoplan.project` takes the keys it accepts from this table and ``docs/project-file.md`` is generated
from it (``python -m geoplan.project_schema > docs/project-file.md``; a test checks the file is current), so
a key cannot be accepted without being documented. To add a key: add one :class:`Key` to :data:`KEYS`
(its ``check`` is the value check :mod:`geoplan.project` applies where it reads that section), regenerate the
doc, done.

Sections: ``project``, ``communities`` / ``facilities`` / ``admin_units`` / ``census`` (the same layer keys,
listed once under :data:`LAYER`), each layer's ``.fields`` table (canonical field = source column),
``network``, ``facility_types`` (free: data value = plan term) and ``audit``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final

#: Pseudo-section of the keys every layer table accepts (``[communities]``, ``[facilities]`` ...).
LAYER: Final = "layer"
#: The layer tables, in document order.
LAYER_SECTIONS: Final = ("communities", "facilities", "admin_units", "census", "urban_areas", "townships",
                          "population_grid")


@dataclass(frozen=True)
class Key:
    """One key of the project file.

    Attributes
    ----------
    section : str
        ``"project"``, ``"layer"`` (every layer table), ``"communities.fields"``, ``"network"``, ``"audit"`` ...
    name : str
        The key as written in the file.
    check : str
        The value check: ``text``, ``positive`` (number > 0), ``year``, ``bool``, ``crs``, ``metric_crs``,
        ``path``, ``column``, ``sheet``, ``encoding``, ``row`` (counted from 1), ``sep`` (one character), ``table``
        or ``field`` (a source column name).
    default : str
        What applies when the key is absent, in words.
    example : str
        A TOML value, as written after ``=``.
    zh, en : str
        What it means, in Chinese and English.
    """

    section: str
    name: str
    check: str
    default: str
    example: str
    zh: str
    en: str


def _k(section: str, name: str, check: str, default: str, example: str, zh: str, en: str) -> Key:
    return Key(section, name, check, default, example, zh, en)


_REQ = "required"
_NONE = "—"

#: Section intros for the generated document: (zh, en).
SECTIONS: Final[dict[str, tuple[str, str]]] = {
    "project": ("项目标题、规则预设与量算坐标系。", "Title, rule preset and the metric CRS measurements are made in."),
    LAYER: ("每个图层表（[communities] 小区、[facilities] 设施、[admin_units] 行政区、[census] 普查）都接受这些键。",
            "Every layer table ([communities], [facilities], [admin_units], [census]) accepts these keys."),
    "communities.fields": ("规范字段 = 源数据列名（可用中文列名）。小区表可省略整个 [communities]（仅审计行政区）。",
                           "canonical field = source column (Chinese names allowed). [communities] may be left "
                           "out for audits of admin units only."),
    "facilities.fields": ("规范字段 = 源数据列名。", "canonical field = source column."),
    "admin_units.fields": ("可选。县级多边形（如 cn-admin 的 adcode/name/city）无需字段映射；其他图层用这些字段。",
                           "Optional. County polygons as in cn-admin (adcode, name, city) need no field map; any "
                           "other layer names these."),
    "census.fields": ("第七次人口普查县级表（geoplan.admin.read_census 的列），无字段映射。",
                      "The 2020 census by county (the columns geoplan.admin.read_census reads); no field map."),
    "urban_areas.fields": ("可选。城镇建成区多边形（scope = \"urban\" 规则据此判定城市/城镇小区），无字段映射。",
                           "Optional. Polygons of the urban area (scope = \"urban\" rules use them to tell urban "
                           "compounds); no field map."),
    "townships.fields": ("可选。国家统计局乡镇(街道)名录（code、name、areaCode 列，如 shared/data/cn-admin/"
                         "townships-5cities-2023.csv）：用于乡镇名称→代码匹配与无多边形的乡镇单元。无字段映射。",
                         "Optional. The NBS township list (code, name, areaCode columns, e.g. shared/data/cn-admin/"
                         "townships-5cities-2023.csv): township names → codes, and township units without "
                         "polygons. No field map."),
    "population_grid.fields": ("可选。常住人口栅格 GeoTIFF（如 WorldPop；需 rasterio），按户数分配到小区或"
                               "直接作为需求点（[audit] population_grid_use）。无字段映射。",
                               "Optional. A GeoTIFF of residents (e.g. WorldPop; needs rasterio), spread to the "
                               "compounds by households or used as demand points ([audit] population_grid_use). "
                               "No field map."),
    "network": ("步行路网：OSM 文件或道路中心线图层。", "The walking network: an OSM file or a road-centreline layer."),
    "facility_types": ("数据中的类型值 = 规划术语（`geoplan presets show NAME` 的 types）。"
                       "\"candidate\" 标记选址候选点。任意键。",
                       "data value = plan term (the types of `geoplan presets show NAME`); \"candidate\" marks "
                       "siting candidates. Any key."),
    "audit": ("审计选项（覆盖预设）。", "Audit options (override the preset)."),
}

KEYS: Final[tuple[Key, ...]] = (
    # ------------------------------------------------------------------ [project]
    _k("project", "title", "text", "the project folder's name", '"某区一老一小设施审计"',
       "报告与地图的标题", "title of the report and maps"),
    _k("project", "preset", "text", _REQ, '"zhoukou-2022"',
       "规则预设：名称（`geoplan presets list`）或预设 TOML 的路径", "rule preset: a name (`geoplan presets list`) "
       "or the path to a preset TOML"),
    _k("project", "tiles", "text", "none: the map draws its own streets, water and green offline",
       '"http://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default'
       '&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=你的密钥"',
       "可选的瓦片底图：XYZ/WMTS 地址模板（含 {z}/{x}/{y}，如带密钥的天地图），或 \"osm\"；需联网，"
       "高德/百度等偏移坐标底图会错位", "optional tile basemap: an XYZ / WMTS URL template with {z}/{x}/{y} (e.g. "
       "天地图 with your key) or \"osm\"; needs the network; shifted Chinese maps (Amap, Baidu) misplace points"),
    _k("project", "crs", "metric_crs", '"auto": the CGCS2000 3-degree Gauss-Krüger zone of the data', '"EPSG:4549"',
       "量算用的投影坐标系（米）", "the projected CRS (metres) distances and areas are measured in"),
    # ------------------------------------------------------------------ layer keys
    _k(LAYER, "path", "path", _REQ, '"小区.xlsx"',
       "文件路径（相对于项目文件）：CSV/XLSX（含经纬度列）或 GeoJSON/GPKG/SHP",
       "file path (relative to the project file): CSV/XLSX with x/y columns, or GeoJSON / GeoPackage / Shapefile"),
    _k(LAYER, "crs", "crs", "the file's own CRS; WGS84 (flagged as assumed) for x/y tables", '"GCJ02"',
       "坐标系：WGS84、CGCS2000、GCJ02（高德/腾讯）、BD09（百度）、EPSG:4549 …",
       "coordinate system: WGS84, CGCS2000, GCJ02 (Amap/Tencent), BD09 (Baidu), EPSG:4549 …"),
    _k(LAYER, "x", "column", "none (GIS layers carry geometry)", '"经度"',
       "表格的 X/经度列（与 y 同时给出）", "table column of x / longitude (give x and y together)"),
    _k(LAYER, "y", "column", "none (GIS layers carry geometry)", '"纬度"',
       "表格的 Y/纬度列", "table column of y / latitude"),
    _k(LAYER, "encoding", "encoding", "detected (UTF-8, GBK …; a Shapefile's .cpg)", '"GBK"',
       "文本编码，用于无 .cpg 的 Shapefile 或 CSV", "text encoding, for a Shapefile without .cpg or a CSV"),
    _k(LAYER, "layer", "column", "the file's first layer", '"设施点"',
       "GeoPackage 等多图层文件中的图层名", "layer name in a multi-layer file (GeoPackage …)"),
    _k(LAYER, "sheet", "sheet", "the first sheet", '"Sheet1"',
       "XLSX 的工作表名称或序号（从 0 起）", "XLSX sheet name or number (from 0)"),
    _k(LAYER, "header_row", "row", "found by the mapped column names (title rows above it skipped)", "3",
       "表头所在行（从 1 起）；表头上方有标题行时可指定", "row of a table's header, counted from 1 (title rows above "
       "it are skipped)"),
    _k(LAYER, "sep", "sep", "detected (\",\" \";\" tab \"|\"; Excel's sep= line)", '";"',
       "文本表格的分隔符：\",\"、\";\"、\"\\t\"（制表符）或 \"|\"", "field separator of a text table: \",\", \";\", "
       "\"\\t\" (tab) or \"|\""),
    _k(LAYER, "fields", "table", "canonical names used as they are", '{ name = "小区名称" }',
       "字段映射表 [<图层>.fields]，见下", "the field map [<layer>.fields], below"),
    # ------------------------------------------------------------------ [communities.fields]
    _k("communities.fields", "community_id", "field", "row number", '"小区编码"',
       "小区唯一编号（设施的 community_id 据此配建关联）", "unique compound id (facilities' community_id links to it "
       "for 配建)"),
    _k("communities.fields", "name", "field", "none", '"小区名称"', "小区名称", "compound name"),
    _k("communities.fields", "households", "field", "missing (rules weighted by households give no figure)", '"户数"',
       "户数；\"1597户\"、\"约600户\"、\"1,597\" 可解析", "households; \"1597户\", \"约600户\", \"1,597\" are parsed"),
    _k("communities.fields", "population", "field", "households × [audit] household_size, flagged assumed",
       '"人口"', "常住人口", "resident population"),
    _k("communities.fields", "build_year", "field", "missing (new/existing provision rates cannot be chosen)",
       '"建成年代"', "建成年份；\"1989年建成\" 可解析", "year built; \"1989年建成\" is parsed"),
    _k("communities.fields", "admin_code", "field", "found by point in [admin_units] polygon", '"社区代码"',
       "所属行政区划代码", "code of the admin unit it belongs to"),
    _k("communities.fields", "entrance_x", "field", "the compound's point", '"入口经度"',
       "小区出入口 X（距离从入口量起）", "x of the compound's entrance (distances start there)"),
    _k("communities.fields", "entrance_y", "field", "the compound's point", '"入口纬度"',
       "小区出入口 Y", "y of the compound's entrance"),
    _k("communities.fields", "urban", "field", "from [urban_areas], the township type or the admin code",
       '"城乡分类代码"', "城乡属性：国家统计局城乡分类代码（111/121/220 …）或 城市/城镇/农村",
       "urban/rural class: an NBS 城乡分类代码 (111/121/220 …) or 城市/城镇/农村"),
    _k("communities.fields", "township", "field", "none", '"所属街道"',
       "所属乡镇(街道)名称，按 [townships] 名录匹配为代码", "township (街道/乡/镇) name, matched to a code by the "
       "[townships] list"),
    _k("communities.fields", "infants_0_3", "field", "estimated from the census age shares of the county",
       '"婴幼儿数"', "3岁以下婴幼儿数", "infants aged 0–3"),
    _k("communities.fields", "elderly_60", "field", "estimated from the census age shares of the county",
       '"老年人口"', "60岁及以上老年人数", "residents aged 60 and over"),
    # ------------------------------------------------------------------ [facilities.fields]
    _k("facilities.fields", "facility_id", "field", "row number", '"编号"', "设施唯一编号", "unique facility id"),
    _k("facilities.fields", "name", "field", "none", '"名称"', "设施名称", "facility name"),
    _k("facilities.fields", "facility_type", "field", _REQ + " for rules by type", '"类型"',
       "设施类型（其值经 [facility_types] 对应到规划术语）", "facility type (values mapped to plan terms by "
       "[facility_types])"),
    _k("facilities.fields", "floor_area_m2", "field", "missing (provision by floor area gives no figure)",
       '"建筑面积"', "建筑面积（平方米）", "floor area (m²)"),
    _k("facilities.fields", "outdoor_area_m2", "field", "missing", '"室外场地面积"', "室外活动场地面积（平方米）",
       "outdoor area (m²)"),
    _k("facilities.fields", "land_area_m2", "field", "missing", '"用地面积"', "用地面积（平方米）",
       "land area (m²)"),
    _k("facilities.fields", "slots", "field", "missing (slot rules give no figure)", '"托位"', "托位数",
       "childcare slots"),
    _k("facilities.fields", "beds", "field", "missing", '"床位"', "床位数", "beds"),
    _k("facilities.fields", "nursing_beds", "field", "missing", '"护理型床位"', "护理型床位数", "nursing beds"),
    _k("facilities.fields", "dementia_beds", "field", "missing", '"认知症床位"', "认知症照护床位数",
       "dementia-care beds"),
    _k("facilities.fields", "community_id", "field", "none: 配建 by distance (share_within_m)", '"所属小区编码"',
       "配建设施所属小区的编号（= 小区的 community_id）", "id of the compound a facility is built with (配建; = the "
       "compound's community_id)"),
    _k("facilities.fields", "admin_code", "field", "found by point in [admin_units] polygon", '"街道代码"',
       "所属行政区划代码", "code of the admin unit it belongs to"),
    _k("facilities.fields", "township", "field", "none", '"所属街道"',
       "所属乡镇(街道)名称，按 [townships] 名录匹配为代码", "township name, matched to a code by the [townships] list"),
    # ------------------------------------------------------------------ [admin_units.fields]
    _k("admin_units.fields", "unit_code", "field", "adcode (cn-admin layers)", '"区划代码"',
       "行政区划代码（县 6 位、乡镇 9 位、村 12 位）", "admin code (county 6, township 9, village 12 digits)"),
    _k("admin_units.fields", "unit_name", "field", "name (cn-admin layers)", '"名称"', "行政区名称",
       "admin unit name"),
    _k("admin_units.fields", "level", "field", '"county" (cn-admin layers)', '"级别"',
       "级别列：county / township / village", "level column: county / township / village"),
    _k("admin_units.fields", "urban_rural_code", "field", "街道 urban; 乡/镇 unknown", '"城乡分类代码"',
       "乡镇(村)的城乡分类代码（判定 乡/镇 是否城镇）",
       "NBS urban-rural code of a township or village (tells whether a 乡/镇 is urban)"),
    _k("admin_units.fields", "build_year", "field", "missing (new/existing scope cannot be applied to units)",
       '"建成年份"', "单元（如社区）的建成年份，用于新建/既有范围", "year a unit (e.g. a 社区) was built, for "
       "new/existing scope"),
    # ------------------------------------------------------------------ [network]
    _k("network", "path", "path", "no network: straight line × 1.3, labelled", '"walk.osm.pbf"',
       "路网文件：OSM .pbf/.osm 或道路中心线图层（SHP/GPKG）；大范围 OSM 可先 `geoplan clip` 裁剪",
       "network file: OSM .pbf/.osm or a road-centreline layer (SHP/GPKG); clip a big OSM extract first with "
       "`geoplan clip`"),
    _k("network", "clip", "bool", "false: the file is the study area's network", "true",
       "path 是省/全国的大 OSM 文件：审计时裁出研究区（行政区多边形或小区范围 + 外扩距离）并缓存",
       "path is a big (province, country) OSM extract: the audit cuts out the study area (admin polygons or the "
       "compounds' extent, plus the margin) once and caches it"),
    _k("network", "clip_area", "path", "[admin_units] polygons, else the compounds' convex hull", '"districts.geojson"',
       "裁剪范围的多边形文件（clip = true 时）", "polygons to clip to (with clip = true)"),
    _k("network", "clip_margin_m", "positive", "the preset's longest walking distance (minutes × speed)", "1500",
       "裁剪范围外扩的米数，避免边缘效应", "metres added around the area, so facilities just outside it count "
       "(no edge effect)"),
    _k("network", "layer", "column", "the file's only line layer", '"roads"',
       "多图层文件（GeoPackage）中的道路线图层名", "line layer of a multi-layer file (GeoPackage)"),
    _k("network", "crs", "crs", "the file's own CRS", '"EPSG:4549"',
       "道路图层的坐标系（无 .prj 的 Shapefile 必填，或覆盖其自带坐标系；GCJ02/BD09 会被还原）",
       "CRS of a road layer without one (.shp without .prj), or overriding its own (GCJ02/BD09 are undone)"),
    _k("network", "max_snap_m", "positive", "300 (geoplan.settings)", "300",
       "点到最近可步行道路的最大距离（米），更远者不可评估", "max distance (m) from a point to the nearest walkable "
       "street; farther points are not evaluable"),
    # ------------------------------------------------------------------ [audit]
    _k("audit", "walk_speed_m_per_min", "positive", "the preset's, else 75", "75",
       "步行速度（米/分钟）", "walking speed (m/min)"),
    _k("audit", "new_build_from_year", "year", "the preset's", "2022",
       "此年份及以后建成的小区按新建小区标准", "compounds built in or after this year count as new"),
    _k("audit", "household_size", "positive", "none: population stays missing", "2.5",
       "户均人口；缺人口时 人口 = 户数 × 此值（标为假定）", "people per household: population = households × this "
       "where it is missing (flagged assumed)"),
    _k("audit", "shared_site_radius_m", "positive", "the rule's share_within_m", "300",
       "相邻小区可共用一处配建设施的半径（米）", "radius (m) within which neighbouring compounds may share one site"),
    _k("audit", "city_code", "text", "the census's only city", '"3308"',
       "比率规则所用普查城市代码（普查含多个城市时）", "ratio rules: the census city (when the census has several)"),
    _k("audit", "city_name", "text", '"全市 city"', '"衢州市"', "全市一行的名称", "name of the whole-city row"),
    _k("audit", "ratio_denominator", "text", "the rule's denominator_source, else census",
       '"communities"', "比率规则的分母来源：census 或 communities", "ratio rules' denominator: census or "
       "communities"),
    _k("audit", "population_grid_use", "text", '"spread"', '"spread"',
       "人口栅格用法：spread（按户数分配到小区）或 points（栅格单元即需求点，不给 [communities]）",
       "how the population grid is used: spread (to the compounds by households) or points (each cell is a "
       "demand point; leave [communities] out)"),
)


def section(name: str) -> tuple[Key, ...]:
    """The keys of one section, in document order."""
    return tuple(k for k in KEYS if k.section == name)


def names(name: str) -> tuple[str, ...]:
    """The key names of one section, in document order."""
    return tuple(k.name for k in section(name))


def checks(name: str) -> dict[str, str]:
    """Key name → value check, for one section."""
    return {k.name: k.check for k in section(name)}


#: Top-level tables of a project file.
TOP_SECTIONS: Final = ("project", *LAYER_SECTIONS, "network", "facility_types", "audit")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _heading(name: str) -> str:
    if name == LAYER:
        return "## " + ", ".join(f"[{s}]" for s in LAYER_SECTIONS)
    return f"## [{name}]"


def render_markdown() -> str:
    """``docs/project-file.md``: every key with its meaning (zh, en), default and an example."""
    out = [
        "# The project file (`geoplan.toml`) / 项目文件",
        "",
        "<!-- generated by `python -m geoplan.project_schema > docs/project-file.md`; "
        "edit geoplan/project_schema.py -->",
        "",
        "A project file names the layers, their coordinate systems and field maps, the network and the preset.",
        "`geoplan init` writes one from your tables; `geoplan audit` (no argument) runs `./geoplan.toml`.",
        "Relative paths are resolved against the project file's folder. Any key not listed here is an error.",
        "",
        "项目文件说明图层、坐标系、字段映射、路网与规则预设。`geoplan init` 可由数据表生成；"
        "在含 `geoplan.toml` 的文件夹中运行 `geoplan audit` 即审计该项目。未列出的键均报错。",
        "",
    ]
    for name in ("project", LAYER, "communities.fields", "facilities.fields", "admin_units.fields",
                 "census.fields", "urban_areas.fields", "townships.fields", "population_grid.fields", "network",
                 "facility_types", "audit"):
        zh, en = SECTIONS[name]
        out += [_heading(name), "", f"{en}  ", zh, ""]
        keys = section(name)
        if not keys:
            continue
        out += ["| key | meaning | 含义 | default | example |", "|---|---|---|---|---|"]
        out += [f"| `{k.name}` | {_cell(k.en)} | {_cell(k.zh)} | {_cell(k.default)} | `{k.name} = {_cell(k.example)}` |"
                for k in keys]
        out.append("")
    out += ["## Example / 示例", "", "```toml", example_toml(), "```", ""]
    return "\n".join(out)


def example_toml() -> str:
    """A project file using one example value per key of the main sections (documentation only)."""
    lines: list[str] = []
    for name in ("project", "communities", "communities.fields", "facilities", "facilities.fields", "network",
                 "audit"):
        keys = section(LAYER if name in LAYER_SECTIONS else name)
        lines.append(f"[{name}]")
        for k in keys:
            if k.name == "fields" or (k.name in ("layer", "sheet", "encoding") and name == "communities"):
                continue
            if name == "facilities" and k.name in ("x", "y", "sheet", "layer"):
                continue
            value = k.example
            if name == "facilities" and k.name == "path":
                value = '"设施.shp"'
            if name == "facilities" and k.name == "crs":
                value = '"CGCS2000"'
            lines.append(f"{k.name} = {value}")
        lines.append("")
    lines += ["[facility_types]", '"托育机构" = "childcare"', '"日间照料中心" = "elderly_day_care"']
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - doc generation
    sys.stdout.write(render_markdown())
