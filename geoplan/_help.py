"""Help in Chinese and English: one catalogue of every command's and option's help, applied to the built parser.

The English text is the parser's own (``help=`` where each command is defined); the Chinese text is here, keyed
by (command, option): the option's long name, or a positional argument's name, or the sub-command's name under
the command ``""``. :func:`localise` walks the parser after it is built, so a command defined in any module is
covered; a test fails when an option has no Chinese entry. The language is ``--lang zh|en`` anywhere on the
command line, else the locale (``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` starting with ``zh`` → Chinese), else
English.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, NoReturn

LANGS: Final = ("zh", "en")

#: (command, option) → (Chinese, English or "" to keep the parser's own English).
CATALOGUE: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("", "--help"): ("显示此帮助并退出", ""),
    ("", "--verbose"): ("输出更多日志（可重复：-vv）", ""),
    ("", "--lang"): ("帮助与提示的语言：zh 或 en（默认按系统区域设置）", ""),
    ("", "audit"): ("审计项目（默认：当前文件夹的 geoplan.toml，否则内置杭州演示）并输出地图与报告", ""),
    ("", "presets"): ("列出或查看规则预设及其政策出处", ""),
    ("", "batch"): ("并行审计多个区域（本机进程或 Dask 集群）", ""),
    ("", "export"): ("将审计结果导出为 Shapefile / GeoPackage / GeoJSON / XLSX", ""),
    ("", "site"): ("为审计缺口推荐新设施选址", ""),
    ("", "init"): ("由小区表和设施表生成 geoplan.toml 项目文件", ""),
    ("", "clip"): ("从大范围 OSM 数据中裁出研究区的步行路网（流式处理）", ""),
    # audit
    ("audit", "--help"): ("显示此帮助并退出", ""),
    ("audit", "project"): ("geoplan.toml 或其所在文件夹（默认：./geoplan.toml，否则内置演示）", ""),
    ("audit", "--out"): ("输出文件夹（默认：./maps）", ""),
    ("audit", "--preset"): ("预设名称或 TOML 路径（覆盖项目文件）", ""),
    ("audit", "--minutes"): ("所有可达性规则的步行分钟数（覆盖预设）", ""),
    ("audit", "--speed"): ("步行速度，米/分钟（覆盖项目与预设）", ""),
    ("audit", "--max-snap"): ("点到路网的最大距离（米）", ""),
    ("audit", "--new-build-from"): ("此年份及以后建成的小区按新建小区计", ""),
    ("audit", "--no-network"): ("不用路网：直线距离 × 绕行系数（标注）", ""),
    ("audit", "--date"): ("输出上标注的日期（ISO），便于复现", ""),
    ("audit", "--lang"): ("地图与帮助的语言", "map (and help) language"),
    ("audit", "--tiles"): ("地图的瓦片底图：含 {z}/{x}/{y} 的 XYZ/WMTS 地址模板（如带密钥的天地图）或 osm；"
                           "默认无（街道、水系、绿地离线绘制）", ""),
    # presets
    ("presets", "--help"): ("显示此帮助并退出", ""),
    ("presets", "action"): ("list 列出全部预设，show 查看一个预设", "list every preset, or show one"),
    ("presets", "name"): ("预设名称（show 时，见 `geoplan presets list`）", "preset name (for show; see `geoplan "
                          "presets list`)"),
    # batch
    ("batch", "--help"): ("显示此帮助并退出", ""),
    ("batch", "batch"): ("批处理文件（TOML）", ""),
    ("batch", "--out"): ("输出文件夹（默认：[batch] out，相对于批处理文件）", ""),
    ("batch", "--var"): ("设置批处理文件中的 ${NAME} 变量（可重复）；相对路径以当前文件夹为准", ""),
    ("batch", "--scheduler"): ("Dask 调度器地址，如 tcp://10.0.0.5:8786（默认：本机进程）", ""),
    ("batch", "--workers"): ("本机工作进程数（默认：[batch] workers 或 CPU 核数）", ""),
    ("batch", "--force"): ("重新运行输入未变且已完成的区域", ""),
    ("batch", "--date"): ("所有输出上标注的日期（ISO；默认：[batch] created 或今天）", ""),
    ("batch", "--no-progress"): ("不显示进度条", ""),
    # export
    ("export", "--help"): ("显示此帮助并退出", ""),
    ("export", "source"): ("geoplan 写出的 audit.gpkg，或 geoplan.toml / 其文件夹", ""),
    ("export", "--to"): ("输出格式，可重复：shp、gpkg、geojson、xlsx、csv（项目还可 md）", ""),
    ("export", "--out"): ("输出文件夹（默认：./export）", ""),
    ("export", "--crs"): ("输出坐标系：EPSG:4549、CGCS2000 …，或 GK 表示数据所在的 CGCS2000 高斯-克吕格带"
                          "（默认：审计所用）", ""),
    ("export", "--encoding"): ("Shapefile 文本编码：utf-8（默认）或 gbk（旧版 ArcGIS）", ""),
    ("export", "--date"): ("审计项目时输出上标注的日期（ISO）", ""),
    # site
    ("site", "--help"): ("显示此帮助并退出", ""),
    ("site", "project"): ("geoplan.toml 或其所在文件夹（默认：./geoplan.toml，否则内置演示）", ""),
    ("site", "--rules"): ("逗号分隔的规则编号（默认：所有未达标的可达性/配建/覆盖规则）", ""),
    ("site", "--model"): ("可达性规则：最少站点（lscp）、--p 个站点覆盖最多户数（mclp），"
                          "或先最少站点再最小总规模（sized）", ""),
    ("site", "--p"): ("每条规则的新增站点数（mclp）", ""),
    ("site", "--candidates"): ("候选站点：类型为 candidate 的设施、缺口内的路网节点，或两者", ""),
    ("site", "--spacing"): ("生成候选点的间距，米（默认 300）", ""),
    ("site", "--candidate-layer"): ("更多候选站点：点图层（GPKG、SHP、GeoJSON）", ""),
    ("site", "--mask"): ("禁止选址的区域图层（GPKG、SHP、GeoJSON）", ""),
    ("site", "--mask-buffer"): ("站点与禁止区域的最小距离，米", ""),
    ("site", "--demand"): ("可达性规则：只对未达标小区建模（默认）或全部小区，现有设施固定", ""),
    ("site", "--time-limit"): ("每条规则的求解时间上限，秒（默认 60）", ""),
    ("site", "--preset"): ("预设名称或 TOML 路径（覆盖项目文件）", ""),
    ("site", "--out"): ("输出文件夹（默认：./maps）", ""),
    ("site", "--encoding"): ("Shapefile 文本编码：utf-8（默认）或 gbk（旧版 ArcGIS）", ""),
    ("site", "--lang"): ("地图与帮助的语言", "map (and help) language"),
    ("site", "--date"): ("地图上标注的日期（ISO），便于复现", ""),
    ("site", "--tiles"): ("地图的瓦片底图：含 {z}/{x}/{y} 的 XYZ/WMTS 地址模板（如带密钥的天地图）或 osm；"
                          "默认无（街道、水系、绿地离线绘制）", ""),
    # init
    ("init", "--help"): ("显示此帮助并退出", ""),
    ("init", "communities"): ("小区表：XLSX/CSV/SHP/GPKG", ""),
    ("init", "facilities"): ("设施表：XLSX/CSV/SHP/GPKG", ""),
    ("init", "--network"): ("步行路网（OSM .pbf 或道路图层），也用于核对坐标系", ""),
    ("init", "--out"): ("要写出的项目文件（默认：./geoplan.toml）", ""),
    ("init", "--preset"): ("预设名称或 TOML 路径（默认：按城市名选择）", ""),
    ("init", "--city"): ("城市名，用于选择预设（如 衢州）", ""),
    ("init", "--title"): ("项目标题", ""),
    ("init", "--crs"): ("图层坐标系，如 communities=GCJ02（默认：自动判断）", ""),
    ("init", "--field"): ("规范字段对应的列，如 communities.households=总户数、communities.x=经度", ""),
    ("init", "--type"): ("设施类型值对应的规划术语，如 幼儿园=childcare", ""),
    ("init", "--sheet"): ("图层所在的 XLSX 工作表", ""),
    ("init", "--household-size"): ("户均人口（普查），用于由户数估算人口", ""),
    ("init", "--force"): ("覆盖已有的项目文件", ""),
    # clip
    ("clip", "--help"): ("显示此帮助并退出", ""),
    ("clip", "extract"): ("省或全国的 OSM 数据（.osm.pbf）", ""),
    ("clip", "project"): ("按其范围裁剪的项目（默认：./geoplan.toml）", ""),
    ("clip", "--out"): ("要写出的 PBF（默认：./walk.osm.pbf）", ""),
    ("clip", "--area"): ("按此多边形（行政区：GeoJSON/GPKG/SHP）裁剪，而非项目范围", ""),
    ("clip", "--bbox"): ("按经纬度矩形裁剪：最小经度,最小纬度,最大经度,最大纬度（WGS84）", ""),
    ("clip", "--margin"): ("范围外扩的米数（默认：预设中最长的步行距离）", ""),
}

#: argparse's own words, in Chinese.
_ZH_WORDS: Final = {"usage: ": "用法：", "positional arguments": "位置参数", "options": "选项",
                    "subcommands": "子命令"}


#: argparse's own usage errors and geoplan's ``type=`` checks (English %-template → Chinese); see :func:`zh_error`.
_ZH_ERRORS: Final = (
    ("argument %(name)s: %(message)s", "参数 %(name)s：%(message)s"),
    ("invalid choice: %(value)s (choose from %(choices)s)", "无效的选择：%(value)s（可选：%(choices)s）"),
    ("the following arguments are required: %(names)s", "缺少必需的参数：%(names)s"),
    ("unrecognized arguments: %(names)s", "无法识别的参数：%(names)s"),
    ("expected one argument", "需要一个值"),
    ("expected at most one argument", "最多接受一个值"),
    ("expected at least one argument", "至少需要一个值"),
    ("expected %(n)s arguments", "需要 %(n)s 个值"),
    ("expected %(n)s argument", "需要 %(n)s 个值"),
    ("invalid %(type)s value: %(value)s", "无效的%(type)s值：%(value)s"),
    ("not allowed with argument %(name)s", "不能与参数 %(name)s 同时使用"),
    ("one of the arguments %(names)s is required", "参数 %(names)s 须给出其一"),
    ("ambiguous option: %(option)s could match %(matches)s", "选项 %(option)s 有歧义，可能是：%(matches)s"),
    ("ignored explicit argument %(value)s", "忽略了多余的值 %(value)s"),
    ("unexpected option string: %(option)s", "意外的选项：%(option)s"),
    ("must be %(what)s, got %(value)s", "须为%(what)s，实际为 %(value)s"),
    ("must be ≥ 0, got %(value)s", "须 ≥ 0，实际为 %(value)s"),
    ("an ISO date such as 2024-06-01 is needed, got %(value)s", "需要 ISO 日期（如 2024-06-01），实际为 %(value)s"),
    ("%(value)s is not a calendar date (%(why)s)", "%(value)s 不是有效的日期（%(why)s）"),
)
#: Phrases inside the messages above (types, what a value must be).
_ZH_PHRASES: Final = (("a finite number > 0", "大于 0 的有限数"), ("a finite number ≥ 0", "≥ 0 的有限数"),
                      ("a whole number ≥ 1", "≥ 1 的整数"), ("a year such as 2022", "年份（如 2022）"),
                      ("positive number", "正数"), ("number", "数值"), ("int", "整数"), ("float", "数值"))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(pattern, re.S)


_ZH_ERROR_RES: Final = tuple((_template_regex(en), zh) for en, zh in _ZH_ERRORS)


def _zh_phrase(text: str) -> str:
    for en, zh in _ZH_PHRASES:
        if text == en or text.startswith(en + " ("):
            return zh + text[len(en):].replace(" (", "（").replace(")", "）")
    return text


def zh_error(message: str) -> str:
    """argparse's English usage error in Chinese (an unknown message is returned as it is)."""
    for regex, zh in _ZH_ERROR_RES:
        found = regex.fullmatch(message)
        if found is None:
            continue
        fields = found.groupdict()
        if "message" in fields:
            fields["message"] = zh_error(fields["message"])
        for key in ("type", "what"):
            if key in fields:
                fields[key] = _zh_phrase(fields[key])
        return zh % fields
    return message


def usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Exit 2 with argparse's usage error on one line, in the parser's language (see :func:`localise`)."""
    prog = parser.prog
    if getattr(parser, "geoplan_lang", "en") == "zh":
        parser.exit(2, f"{prog}: error: {zh_error(message)}（见 {prog} --help）\n")
    parser.exit(2, f"{prog}: error: {message} (see {prog} --help)\n")


def ui_language(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language of help and hints: ``--lang`` on the command line, else the locale, else English."""
    args = list(argv or [])
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in LANGS:
            return args[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS:
            return arg.split("=", 1)[1]
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _key(action: argparse.Action) -> str:
    longs = [o for o in action.option_strings if o.startswith("--")]
    return longs[0] if longs else (action.option_strings[0] if action.option_strings else action.dest)


def walk(parser: argparse.ArgumentParser, command: str = "") -> Iterator[tuple[str, str, argparse.Action]]:
    """Every (command, option key, action) of a parser and its sub-commands; sub-commands under ``command``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield command, choice.dest, choice
            for name, sub in action.choices.items():
                yield from walk(sub, f"{command} {name}".strip())
        else:
            yield command, _key(action), action


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _subparsers(sub)


class _ZhFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, prefix=_ZH_WORDS["usage: "] if prefix is None else prefix)


def localise(parser: argparse.ArgumentParser, lang: str) -> None:
    """Set every help text of ``parser`` (and its sub-commands) to ``lang`` from :data:`CATALOGUE`."""
    index = 0 if lang == "zh" else 1
    for command, key, action in walk(parser):
        entry = CATALOGUE.get((command, key))
        if entry is None:
            continue
        text = entry[index]
        if text:
            action.help = text
    for sub in _subparsers(parser):
        sub.geoplan_lang = lang  # type: ignore[attr-defined]  # read by usage_error
        if lang == "zh":
            sub.formatter_class = _ZhFormatter
            for group in sub._action_groups:
                group.title = _ZH_WORDS.get(group.title or "", group.title)
    for sub in _subparsers(parser):
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    action.choices[choice.dest].description = choice.help


def missing(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(command, option) pairs of the parser without a Chinese entry, or without any English text."""
    out = []
    for command, key, action in walk(parser):
        entry = CATALOGUE.get((command, key))
        if entry is None or not entry[0] or not (entry[1] or action.help):
            out.append((command, key))
    return out
