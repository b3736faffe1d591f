"""What to do about an error, in Chinese and English: the hints that recur, shared by every module.

A message says what is wrong (file, row, field); its :class:`~geoplan._errors.Hint` says what to do. A hint used
by one ``raise`` only is written there; one that recurs, or that needs a value (a section, a package), is here.
"""

from __future__ import annotations

from typing import Final

from geoplan._errors import Hint

EXPORT_AGAIN: Final = Hint(zh="重新导出该图层或数据表", en="export the layer again")
RESAVE: Final = Hint(zh="在 Excel 或 WPS 中打开并重新保存", en="open it in Excel or WPS and save it again")
DOWNLOAD_AGAIN: Final = Hint(zh="文件可能损坏或未下载完整：重新下载或复制", en="download or copy it again")
TODO_HTML: Final = Hint(zh="重新下载或导出数据表（保存的可能是登录页或错误页）",
                        en="download or export the table again")
WRITABLE_FOLDER: Final = Hint(zh="换一个可写的文件夹", en="choose a writable folder")
OTHER_FOLDER: Final = Hint(zh="用 --out 换一个输出文件夹", en="choose another --out folder")
CRS_NAMES: Final = Hint(zh="坐标系写作 WGS84、CGCS2000、GCJ02（高德）、BD09（百度），或 EPSG 代码，如 "
                           "EPSG:4490、EPSG:4549",
                        en="use WGS84, CGCS2000, GCJ02 (Amap), BD09 (Baidu), or an EPSG code such as EPSG:4490 or "
                           "EPSG:4549")
PROJECTED_CRS: Final = Hint(zh="用以米为单位的投影坐标系，如 EPSG:4549（CGCS2000 高斯-克吕格，中央经线 120°E）",
                            en="use a projected CRS in metres, e.g. EPSG:4549 (CGCS2000 Gauss-Krüger, 120°E)")
API_ARGUMENT: Final = Hint(zh="检查调用此 geoplan 函数时传入的参数（见其文档字符串）",
                           en="check the arguments given to this geoplan function (see its docstring)")
REPORT_BUG: Final = Hint(zh="这是 geoplan 的缺陷：请附上命令与数据报告此问题",
                         en="this is a bug in geoplan: please report it with the command and the data")
OSM_OR_LAYER: Final = Hint(zh="给出 OpenStreetMap 数据（.osm.pbf、.osm、.osm.bz2）、道路中心线图层（.shp、.gpkg、"
                              ".geojson）或 osmnx 的 .graphml",
                           en="use an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2), a road-centreline layer "
                              "(.shp, .gpkg, .geojson) or an osmnx .graphml")
LIST_PROBLEMS: Final = Hint(zh="逐条修改以上问题后重新运行", en="fix each problem listed above and run again")
PRESET_NAMES: Final = Hint(zh="`geoplan presets list` 列出全部预设；或给出预设 TOML 文件的路径；写法见 docs/presets.md",
                           en="`geoplan presets list` lists every preset; or give the path of a preset TOML file "
                              "(docs/presets.md)")


def check_path(section: str) -> Hint:
    """Check ``path`` in ``[section]`` (relative to the project file)."""
    return Hint(zh=f"检查项目文件 [{section}] 中的 path = \"...\"（相对于项目文件）",
                en=f"check path = \"...\" in [{section}] of the project file (relative to it)")


def set_key(key: str, section: str, value: str = "...") -> Hint:
    """Set ``key = "value"`` in ``[section]`` of the project file."""
    placeholder = {"<one of them>": "<其中之一>", "<name>": "<名称>"}.get(value, value)
    return Hint(zh=f"在项目文件的 [{section}] 中设置 {key} = \"{placeholder}\"",
                en=f"set {key} = \"{value}\" in [{section}] of the project file")


def install(package: str, instead_en: str = "", instead_zh: str = "") -> Hint:
    """``pip install package`` (or what to do instead)."""
    en = f"pip install {package}" + (f" (or {instead_en})" if instead_en else "")
    zh = f"安装：pip install {package}" + (f"（或{instead_zh}）" if instead_zh else "")
    return Hint(zh=zh, en=en)


def save_with_crs(example: str) -> Hint:
    """Save a layer with its coordinate system."""
    return Hint(zh=f"保存图层时带上坐标系（如 {example}）", en=f"save it with its coordinate system (e.g. {example})")


def join(*hints: Hint) -> Hint:
    """Several hints as one ("; " / "；")."""
    return Hint(zh="；".join(h.zh for h in hints if h.zh), en="; ".join(h.en for h in hints if h.en))
