"""The project file (``geoplan.toml``): which layers, in which coordinate system, with which fields.

Example::

    [project]
    title = "杭州中心城区"
    preset = "hangzhou-2022"          # a preset name or a path to a preset TOML
    crs = "auto"                      # the metric CRS measurements are made in ("auto" or e.g. "EPSG:4549")

    [communities]
    path = "compounds.csv"            # CSV/XLSX/XLS with x/y columns, or GeoJSON/GPKG/SHP (read by content)
    crs = "BD09"                      # WGS84, CGCS2000, GCJ02 (Amap), BD09 (Baidu), EPSG:xxxx
    x = "lon_bd09"
    y = "lat_bd09"
    sheet = "小区"                    # a workbook's sheet: its name, or its number counted from 1
    header_row = 3                    # the header's row (default: found by the column names below)
    sep = ";"                         # a text table's separator (default: detected among , tab ; |)
    encoding = "GBK"                  # default: detected (UTF-8, GBK, UTF-16, mixed rows)
    layer = "compounds"               # a GeoPackage's layer (default: its only layer)
    [communities.fields]              # canonical name = source column (Chinese names allowed)
    name = "name"
    households = "households_raw"
    infants_0_3 = "婴幼儿数"          # optional age groups (else estimated from the census: geoplan.demand)

    [facilities]  ... same shape, with fields.facility_type
    [admin_units]                     # optional: county polygons (adcode, name, city as in cn-admin), or
    path = "districts.geojson"        # fields.unit_code / unit_name / level for any other layer
    [census]                          # optional: 2020 census by county (geoplan.admin.read_census)
    path = "census2020.csv"
    [urban_areas]                     # optional: polygons of the urban area (scope = "urban" rules)
    path = "urban.gpkg"
    [townships]                       # optional: NBS township list (code, name, areaCode): township
    path = "townships.csv"            # units and names → codes for features with fields.township
    [population_grid]                 # optional: residents GeoTIFF as demand (geoplan.popgrid; needs rasterio)
    path = "pop.tif"
    [network]
    path = "streets.osm.pbf"          # OSM .pbf/.osm, or a road-centreline layer (SHP/GPKG/GeoJSON)
    max_snap_m = 300
    layer = "roads"                   # a GeoPackage's line layer (default: its only line layer)
    crs = "EPSG:4549"                 # the road layer's CRS when it has none (.shp without .prj), or to override
    [facility_types]                  # data value = plan term ("candidate" marks siting candidates)
    childcare_kindergarten = "childcare"
    [audit]
    walk_speed_m_per_min = 75         # overrides the preset
    new_build_from_year = 2022
    household_size = 2.5              # population = households × this where population is missing (assumed)
    city_code = "3308"                # ratio rules: the census city (when the census has several)
    population_grid_use = "spread"    # "spread" to compounds by households, or "points": cells are the demand

``[communities]`` may be left out for audits of admin units only (presence, ratio with census denominators).

Relative paths are resolved against the project file's folder. Every problem found is reported at once;
an unknown key names the closest allowed one. The keys each section accepts, with what they mean, are the
tables :data:`LAYER_KEYS`, :data:`NETWORK_KEYS`, :data:`PROJECT_KEYS` and :data:`AUDIT_KEYS`. A column may be
mapped to one field only (``x``, ``y`` and ``fields`` together), except ``x = y``: one column of "lon,lat" pairs.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyproj

from geoplan import project_schema as schema
from geoplan._config import did_you_mean, load_toml, unknown_key
from geoplan._errors import Hint, InputError, ProjectError
from geoplan._numeric import is_number
from geoplan.crs import normalise_crs_name

#: The plan term a project maps its candidate sites to (community centres, vacant public buildings): such rows
#: serve no rule and are offered to siting (:mod:`geoplan.siting.planning.candidates`).
CANDIDATE_TYPE = "candidate"
CANDIDATE_LABELS = {"zh": "候选站点", "en": "candidate site"}

#: Canonical fields of each layer (what rules read). Anything else in ``fields`` is an error. Every accepted key
#: comes from :mod:`geoplan.project_schema` (which documents it): add keys there.
COMMUNITY_FIELDS = schema.names("communities.fields")
FACILITY_FIELDS = schema.names("facilities.fields")
ADMIN_FIELDS = schema.names("admin_units.fields")

#: Keys of a layer section ([communities], [facilities] ...), of [network] and of [project], with what they mean.
LAYER_KEYS: dict[str, str] = {k.name: k.en for k in schema.section(schema.LAYER)}
NETWORK_KEYS: dict[str, str] = {k.name: k.en for k in schema.section("network")}
PROJECT_KEYS: dict[str, str] = {k.name: k.en for k in schema.section("project")}
_LAYER_KEYS = set(LAYER_KEYS)
_NETWORK_KEYS = set(NETWORK_KEYS)
PROJECT_HINT = Hint(zh="请逐项修改项目文件；每个键的含义、默认值与示例见 docs/project-file.md",
                    en="fix each item in the project file; every key's meaning, default and example are in "
                       "docs/project-file.md")
_TOP_KEYS = set(schema.TOP_SECTIONS)
#: Suffixes of data files: given where a project file is expected, they are named as what they are.
_DATA_SUFFIXES = frozenset((".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm", ".shp", ".geojson", ".json", ".gpkg",
                            ".pbf", ".osm", ".zip", ".kml"))


@dataclass(frozen=True)
class LayerSpec:
    """Where one input layer is and how to read it."""

    path: Path
    crs: str | None = None
    x: str | None = None
    y: str | None = None
    encoding: str | None = None
    layer: str | None = None
    sheet: str | int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    header_row: int | None = None
    sep: str | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """The walking network: an OSM file or a road-centreline layer."""

    path: Path
    max_snap_m: float | None = None
    clip: bool = False
    clip_area: Path | None = None
    clip_margin_m: float | None = None
    layer: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class Project:
    """A parsed project file."""

    title: str
    preset: str
    communities: LayerSpec | None
    facilities: LayerSpec
    network: NetworkSpec | None = None
    crs: str = "auto"
    facility_types: Mapping[str, str] = field(default_factory=dict)
    audit: Mapping[str, Any] = field(default_factory=dict)
    admin_units: LayerSpec | None = None
    census: LayerSpec | None = None
    source: Path | None = None
    urban_areas: LayerSpec | None = None
    townships: LayerSpec | None = None
    population_grid: LayerSpec | None = None  # GeoTIFF of residents (geoplan.popgrid)
    tiles: str | None = None  # tile basemap of the maps (URL template or provider name)


#: ``[audit]`` keys and the check of their value (a number > 0, a year, or text).
AUDIT_KEYS: dict[str, str] = schema.checks("audit")
_PROJECT_KEYS = set(schema.names("project"))


def _is_number(value: Any) -> bool:
    return is_number(value)  # finite: TOML's inf and nan are no minutes, speed or distance


def _check_value(where: str, value: Any, check: str, problems: list[str]) -> None:
    if check == "positive" and not (_is_number(value) and value > 0):
        problems.append(f"{where} must be a number > 0, got {value!r}")
    elif check == "year" and not (isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100):
        problems.append(f"{where} must be a year such as 2022, got {value!r}")
    elif check == "text" and not isinstance(value, str):
        problems.append(f"{where} must be text in quotes, got {value!r}")


def _check_crs(where: str, value: Any, problems: list[str], *, metric: bool = False) -> None:
    if value is None or (metric and value == "auto"):
        return
    if not isinstance(value, str | int) or isinstance(value, bool):
        problems.append(f"{where} must be text such as \"WGS84\" or \"EPSG:4549\", got {value!r}")
        return
    try:
        crs = normalise_crs_name(value)
    except InputError as exc:
        problems.append(f"{where}: {exc}")
        return
    if metric and not (isinstance(crs, pyproj.CRS) and crs.is_projected):
        problems.append(f"{where} = {value!r} must be \"auto\" or a projected CRS in metres, e.g. \"EPSG:4549\"")


def _check_encoding(where: str, value: Any, problems: list[str]) -> None:
    try:
        codecs.lookup(str(value))
    except LookupError:
        problems.append(f"{where} = {value!r} is not an encoding Python knows; use \"GBK\" or \"UTF-8\"")


def _layer(name: str, raw: Any, base: Path, allowed: tuple[str, ...], problems: list[str]) -> LayerSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"[{name}] is missing or not a table")
        return None
    for key in sorted(set(raw) - _LAYER_KEYS):
        problems.append(unknown_key(f"[{name}]", key, _LAYER_KEYS))
    if not isinstance(raw.get("path"), str) or not raw["path"].strip():
        problems.append(f"[{name}] needs path = \"...\" (a file path in quotes)")
        return None
    path = (base / Path(raw["path"]).expanduser()).resolve()
    if not path.exists():
        problems.append(f"[{name}] path {raw['path']!r} not found (looked at {path}){_near(path, raw['path'])}")
    for key in ("x", "y", "layer"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"[{name}] {key} must be a column or layer name in quotes, got {raw[key]!r}")
    sheet = raw.get("sheet")
    if "sheet" in raw and (not isinstance(sheet, str | int) or isinstance(sheet, bool)
                           or (isinstance(sheet, int) and sheet < 1)):
        problems.append(f"[{name}] sheet must be a sheet name or a number counted from 1, got {raw['sheet']!r}")
    header_row = raw.get("header_row")
    if header_row is not None and not (isinstance(header_row, int) and not isinstance(header_row, bool)
                                       and header_row >= 1):
        problems.append(f"[{name}] header_row must be a row number counted from 1, got {header_row!r}")
    sep = raw.get("sep")
    sep = {"\\t": "\t", "tab": "\t", "TAB": "\t", "Tab": "\t"}.get(sep, sep) if isinstance(sep, str) else sep
    if sep is not None and not (isinstance(sep, str) and len(sep) == 1 and sep not in "\"\r\n"):
        problems.append(f"[{name}] sep must be one character such as \",\" \";\" \"\\t\" \"|\", got {sep!r}")
    _check_crs(f"[{name}] crs", raw.get("crs"), problems)
    if "encoding" in raw:
        _check_encoding(f"[{name}] encoding", raw["encoding"], problems)
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        problems.append(f"[{name}.fields] must be a table of canonical = \"source column\"")
        fields = {}
    for key in sorted(set(fields) - set(allowed)):
        problems.append(unknown_key(f"[{name}.fields]", key, allowed, "canonical field"))
    for key, value in fields.items():
        if not isinstance(value, str):
            problems.append(f"[{name}.fields] {key} must be a column name in quotes, got {value!r}")
    _check_mapped_once(name, raw, fields, problems)
    if ("x" in raw) != ("y" in raw):
        problems.append(f"[{name}] give both x and y columns, or neither")
    return LayerSpec(
        path=path, crs=None if raw.get("crs") is None else str(raw["crs"]), x=raw.get("x"), y=raw.get("y"),
        encoding=raw.get("encoding"), layer=raw.get("layer"), sheet=raw.get("sheet"),
        fields={k: str(v) for k, v in fields.items()},
        header_row=header_row if isinstance(header_row, int) else None, sep=sep if isinstance(sep, str) else None,
    )


def _check_mapped_once(name: str, raw: Mapping[str, Any], fields: Mapping[str, Any], problems: list[str]) -> None:
    """A source column given for two fields (x, y and ``fields``) is refused: one of them is a slip."""
    uses: dict[str, list[str]] = {}
    # x = y = "location" is one column of "lon,lat" pairs (geoplan.layers reads it so): one use, not two.
    xy = [("x", raw.get("x"))] if raw.get("x") == raw.get("y") else [(k, raw.get(k)) for k in ("x", "y")]
    for key, column in [*xy, *fields.items()]:
        if isinstance(column, str):
            uses.setdefault(column.strip(), []).append(key)
    for column, keys in uses.items():
        if len(keys) > 1:
            problems.append(f"[{name}] column {column!r} is mapped to {len(keys)} fields ({', '.join(keys)}); "
                            "map each column to one field")


def _network(raw: Any, base: Path, problems: list[str]) -> NetworkSpec | None:
    if not isinstance(raw, dict):
        problems.append("[network] must be a table with path = \"...\"")
        return None
    for key in sorted(set(raw) - _NETWORK_KEYS):
        problems.append(unknown_key("[network]", key, NETWORK_KEYS))
    if not isinstance(raw.get("path"), str) or not raw["path"].strip():
        problems.append("[network] needs path = \"...\" (a file path in quotes)")
        return None
    path = (base / Path(raw["path"]).expanduser()).resolve()
    if not path.exists():
        problems.append(f"[network] path {raw['path']!r} not found (looked at {path}){_near(path, raw['path'])}")
    if "layer" in raw and not isinstance(raw["layer"], str):
        problems.append(f"[network] layer must be a layer name in quotes, got {raw['layer']!r}")
    _check_crs("[network] crs", raw.get("crs"), problems)
    layer = raw.get("layer") if isinstance(raw.get("layer"), str) else None
    crs = None if raw.get("crs") is None else str(raw["crs"])
    snap: Any = raw.get("max_snap_m")
    if snap is not None:
        _check_value("[network] max_snap_m", snap, "positive", problems)
    clip = _network_clip(raw, base, problems)
    return NetworkSpec(path, float(snap) if _is_number(snap) else None, *clip, layer=layer, crs=crs)


def _network_clip(raw: dict[str, Any], base: Path, problems: list[str]) -> tuple[bool, Path | None, float | None]:
    """``[network] clip / clip_area / clip_margin_m``: cut the study area out of a big extract."""
    clip = raw.get("clip", False)
    if not isinstance(clip, bool):
        problems.append(f"[network] clip must be true or false, got {clip!r}")
    area: Path | None = None
    if "clip_area" in raw:
        if not isinstance(raw["clip_area"], str) or not raw["clip_area"].strip():
            problems.append("[network] clip_area must be a file path in quotes")
        else:
            area = (base / raw["clip_area"]).resolve()
            if not area.exists():
                problems.append(f"[network] clip_area {raw['clip_area']!r} not found (looked at {area})")
    margin: Any = raw.get("clip_margin_m")
    if margin is not None:
        _check_value("[network] clip_margin_m", margin, "positive", problems)
    if (area is not None or margin is not None) and clip is not True:
        problems.append("[network] clip_area / clip_margin_m need clip = true")
    return clip is True, area, float(margin) if _is_number(margin) else None


def _near(path: Path, given: str) -> str:
    """What may have been meant by a path not found: backslashes, or files of a similar name in its folder."""
    if "\\" in given:
        return "; write the path with / (a backslash is not a folder separator here)"
    folder = path.parent
    if not folder.is_dir():
        return f"; the folder {folder} does not exist either"
    names = [p.name for p in folder.iterdir()]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    close += [n for n in names if n.lower() == path.name.lower() or Path(n).stem == path.stem]
    close = list(dict.fromkeys(close))[:3]
    return f"; files there with a similar name: {', '.join(close)}" if close else ""


def read_toml(path: Path, what: str = "project file") -> dict[str, Any]:
    """Read a TOML file geoplan is given (project, batch); every failure is a :class:`ProjectError` naming it.

    See :func:`geoplan._config.load_toml` (BOM, UTF-16, GBK, syntax errors with the line and what to do).
    """
    return load_toml(path, what)


def load_project(path: str | Path) -> Project:
    """Read and check a project file; every problem is reported in one :class:`ProjectError`."""
    path = Path(path)
    if path.is_dir():
        path = path / "geoplan.toml"
    if path.suffix.lower() in _DATA_SUFFIXES:
        msg = (f"{path}: a data file ({path.suffix}), not a project file")
        hint = Hint(zh=f"写一个引用它的 geoplan.toml，如 [communities] path = \"{path.name}\"；"
                       f"或用 `geoplan init {path.name} …` 生成",
                    en=f"write a geoplan.toml that names it, e.g. [communities] path = \"{path.name}\" (see "
                       "README.md, \"Your own project\")")
        raise ProjectError(msg, hint=hint)
    raw = read_toml(path)
    base = path.parent.resolve()
    problems: list[str] = []
    for key in sorted(set(raw) - _TOP_KEYS):
        problems.append(f"unknown section [{key}]{did_you_mean(key, _TOP_KEYS)} "
                        f"(allowed: {', '.join(sorted(_TOP_KEYS))})")
    meta = raw.get("project", {})
    if not isinstance(meta, dict):
        problems.append("[project] must be a table")
        meta = {}
    for key in sorted(set(meta) - _PROJECT_KEYS):
        problems.append(unknown_key("[project]", key, _PROJECT_KEYS))
    _check_crs("[project] crs", meta.get("crs"), problems, metric=True)
    if "tiles" in meta:
        _check_value("[project] tiles", meta["tiles"], "text", problems)
    communities = None
    if "communities" in raw:
        communities = _layer("communities", raw["communities"], base, COMMUNITY_FIELDS, problems)
    facilities = _layer("facilities", raw.get("facilities"), base, FACILITY_FIELDS, problems)
    admin = None
    if "admin_units" in raw:
        admin = _layer("admin_units", raw["admin_units"], base, ADMIN_FIELDS, problems)
    census = _layer("census", raw["census"], base, schema.names("census.fields"), problems) if "census" in raw else None
    urban = _layer("urban_areas", raw["urban_areas"], base, (), problems) if "urban_areas" in raw else None
    townships = _layer("townships", raw["townships"], base, (), problems) if "townships" in raw else None
    grid = _layer("population_grid", raw["population_grid"], base, (), problems) if "population_grid" in raw else None
    use = raw.get("audit", {}).get("population_grid_use", "spread") if isinstance(raw.get("audit"), dict) else "spread"
    if use not in ("spread", "points"):
        problems.append(f"[audit] population_grid_use must be \"spread\" or \"points\", got {use!r}")
    elif grid is not None and use == "points" and "communities" in raw:
        problems.append("[audit] population_grid_use = \"points\" makes the grid cells the communities: "
                        "leave [communities] out, or use \"spread\"")
    network = _network(raw["network"], base, problems) if "network" in raw else None
    types = raw.get("facility_types", {})
    if not isinstance(types, dict) or not all(isinstance(v, str) for v in types.values()):
        problems.append("[facility_types] must be a table of \"data value\" = \"plan term\" (strings)")
        types = {}
    audit_opts = raw.get("audit", {})
    if not isinstance(audit_opts, dict):
        problems.append("[audit] must be a table")
        audit_opts = {}
    for key, value in audit_opts.items():
        if key in AUDIT_KEYS:
            _check_value(f"[audit] {key}", value, AUDIT_KEYS[key], problems)
        else:
            problems.append(unknown_key("[audit]", key, AUDIT_KEYS))
    if not isinstance(meta.get("preset"), str):
        problems.append("[project] needs preset = \"<name or path>\" (see `geoplan presets list`)")
    if problems or ("communities" in raw and communities is None) or facilities is None:
        msg = f"{path}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        raise ProjectError(msg, hint=PROJECT_HINT)
    preset = str(meta["preset"])
    if preset.endswith(".toml"):
        preset = str((base / preset).resolve())
    return Project(
        title=str(meta.get("title", path.parent.name)), preset=preset, communities=communities,
        facilities=facilities, network=network, crs=str(meta.get("crs", "auto")), facility_types=types,
        audit=audit_opts, admin_units=admin, census=census, source=path, urban_areas=urban, townships=townships,
        population_grid=grid, tiles=meta.get("tiles") or None,
    )
