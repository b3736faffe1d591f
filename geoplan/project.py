"""The project file (``geoplan.toml``): which layers, in which coordinate system, with which fields.

Example::

    [project]
    title = "杭州中心城区"
    preset = "hangzhou-2022"          # a preset name or a path to a preset TOML
    crs = "auto"                      # the metric CRS measurements are made in ("auto" or e.g. "EPSG:4549")

    [communities]
    path = "compounds.csv"            # CSV/XLSX with x/y columns, or GeoJSON/GPKG/SHP
    crs = "BD09"                      # WGS84, CGCS2000, GCJ02 (Amap), BD09 (Baidu), EPSG:xxxx
    x = "lon_bd09"
    y = "lat_bd09"
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
    path = "streets.osm.pbf"
    max_snap_m = 300
    [facility_types]                  # data value = plan term ("candidate" marks siting candidates)
    childcare_kindergarten = "childcare"
    [audit]
    walk_speed_m_per_min = 75         # overrides the preset
    new_build_from_year = 2022
    household_size = 2.5              # population = households × this where population is missing (assumed)
    city_code = "3308"                # ratio rules: the census city (when the census has several)
    population_grid_use = "spread"    # "spread" to compounds by households, or "points": cells are the demand

``[communities]`` may be left out for audits of admin units only (presence, ratio with census denominators).

Relative paths are resolved against the project file's folder. Every problem found is reported at once.
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyproj

from geoplan import project_schema as schema
from geoplan._errors import Hint, InputError, ProjectError
from geoplan._numeric import is_number
from geoplan.crs import normalise_crs_name

#: The plan term a project maps its candidate sites to (community centres, vacant public buildings): such rows
#: serve no rule and are offered to siting (:mod:`geoplan.siting.candidates`).
CANDIDATE_TYPE = "candidate"
CANDIDATE_LABELS = {"zh": "候选站点", "en": "candidate site"}

#: Canonical fields of each layer (what rules read). Anything else in ``fields`` is an error. Every accepted key
#: comes from :mod:`geoplan.project_schema` (which documents it): add keys there.
COMMUNITY_FIELDS = schema.names("communities.fields")
FACILITY_FIELDS = schema.names("facilities.fields")
ADMIN_FIELDS = schema.names("admin_units.fields")

_LAYER_KEYS = set(schema.names(schema.LAYER))
PROJECT_HINT = Hint(zh="请逐项修改项目文件；每个键的含义、默认值与示例见 docs/project-file.md",
                    en="fix each item in the project file; every key's meaning, default and example are in "
                       "docs/project-file.md")
_TOP_KEYS = set(schema.TOP_SECTIONS)
_NETWORK_KEYS = set(schema.names("network"))


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


@dataclass(frozen=True)
class NetworkSpec:
    """The walking network: an OSM file or a road-centreline layer."""

    path: Path
    max_snap_m: float | None = None
    clip: bool = False
    clip_area: Path | None = None
    clip_margin_m: float | None = None


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
        problems.append(f"[{name}] unknown key {key!r} (allowed: {', '.join(sorted(_LAYER_KEYS))})")
    if not isinstance(raw.get("path"), str) or not raw["path"].strip():
        problems.append(f"[{name}] needs path = \"...\" (a file path in quotes)")
        return None
    path = (base / raw["path"]).resolve()
    if not path.exists():
        problems.append(f"[{name}] path {raw['path']!r} not found (looked at {path})")
    for key in ("x", "y", "layer"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"[{name}] {key} must be a column or layer name in quotes, got {raw[key]!r}")
    if "sheet" in raw and not isinstance(raw["sheet"], str | int):
        problems.append(f"[{name}] sheet must be a sheet name or number, got {raw['sheet']!r}")
    _check_crs(f"[{name}] crs", raw.get("crs"), problems)
    if "encoding" in raw:
        _check_encoding(f"[{name}] encoding", raw["encoding"], problems)
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        problems.append(f"[{name}.fields] must be a table of canonical = \"source column\"")
        fields = {}
    for key in sorted(set(fields) - set(allowed)):
        problems.append(f"[{name}.fields] unknown canonical field {key!r} (known: {', '.join(allowed)})")
    for key, value in fields.items():
        if not isinstance(value, str):
            problems.append(f"[{name}.fields] {key} must be a column name in quotes, got {value!r}")
    if ("x" in raw) != ("y" in raw):
        problems.append(f"[{name}] give both x and y columns, or neither")
    return LayerSpec(
        path=path, crs=None if raw.get("crs") is None else str(raw["crs"]), x=raw.get("x"), y=raw.get("y"),
        encoding=raw.get("encoding"), layer=raw.get("layer"), sheet=raw.get("sheet"),
        fields={k: str(v) for k, v in fields.items()},
    )


def _network(raw: Any, base: Path, problems: list[str]) -> NetworkSpec | None:
    if not isinstance(raw, dict):
        problems.append("[network] must be a table with path = \"...\"")
        return None
    for key in sorted(set(raw) - _NETWORK_KEYS):
        problems.append(f"[network] unknown key {key!r} (allowed: {', '.join(sorted(_NETWORK_KEYS))})")
    if not isinstance(raw.get("path"), str) or not raw["path"].strip():
        problems.append("[network] needs path = \"...\" (a file path in quotes)")
        return None
    path = (base / raw["path"]).resolve()
    if not path.exists():
        problems.append(f"[network] path {raw['path']!r} not found (looked at {path})")
    snap: Any = raw.get("max_snap_m")
    if snap is not None:
        _check_value("[network] max_snap_m", snap, "positive", problems)
    clip = _network_clip(raw, base, problems)
    return NetworkSpec(path, float(snap) if _is_number(snap) else None, *clip)


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


def read_toml(path: Path, what: str = "project file") -> dict[str, Any]:
    """Read a TOML file geoplan is given (project, batch); every failure is a :class:`ProjectError` naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{what} not found: {path}"
        raise ProjectError(msg, hint=Hint(zh="检查路径；`geoplan init` 可由数据表生成项目文件",
                                          en="check the path; `geoplan init` writes one from your tables")) from exc
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 (byte {exc.start})"
        raise ProjectError(msg, hint=Hint(zh="请以 UTF-8 编码保存该文件", en=f"save the {what} as UTF-8")) from exc
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror or exc})"
        raise ProjectError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise ProjectError(msg, hint=Hint(zh="文本须加英文引号，如 path = \"小区.xlsx\"；示例见 docs/project-file.md",
                                          en="text needs quotes, e.g. path = \"compounds.xlsx\"; examples in "
                                             "docs/project-file.md")) from exc


def load_project(path: str | Path) -> Project:
    """Read and check a project file; every problem is reported in one :class:`ProjectError`."""
    path = Path(path)
    if path.is_dir():
        path = path / "geoplan.toml"
    raw = read_toml(path)
    base = path.parent.resolve()
    problems: list[str] = []
    for key in sorted(set(raw) - _TOP_KEYS):
        problems.append(f"unknown section [{key}] (allowed: {', '.join(sorted(_TOP_KEYS))})")
    meta = raw.get("project", {})
    if not isinstance(meta, dict):
        problems.append("[project] must be a table")
        meta = {}
    for key in sorted(set(meta) - _PROJECT_KEYS):
        problems.append(f"[project] unknown key {key!r} (allowed: {', '.join(sorted(_PROJECT_KEYS))})")
    _check_crs("[project] crs", meta.get("crs"), problems, metric=True)
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
            problems.append(f"[audit] unknown key {key!r} (allowed: {', '.join(sorted(AUDIT_KEYS))})")
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
        population_grid=grid,
    )
