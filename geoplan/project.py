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

    [facilities]  ... same shape, with fields.facility_type
    [admin_units]                     # optional: county polygons (adcode, name, city as in cn-admin), or
    path = "districts.geojson"        # fields.unit_code / unit_name / level for any other layer
    [census]                          # optional: 2020 census by county (geoplan.admin.read_census)
    path = "census2020.csv"
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

``[communities]`` may be left out for audits of admin units only (presence, ratio with census denominators).

Relative paths are resolved against the project file's folder. Every problem found is reported at once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoplan._errors import ProjectError

#: Canonical fields of each layer (what rules read). Anything else in ``fields`` is an error.
COMMUNITY_FIELDS = ("community_id", "name", "households", "population", "build_year", "admin_code", "entrance_x",
                    "entrance_y")
FACILITY_FIELDS = ("facility_id", "name", "facility_type", "floor_area_m2", "outdoor_area_m2", "land_area_m2",
                   "slots", "beds", "nursing_beds", "dementia_beds", "community_id", "admin_code")

_LAYER_KEYS = {"path", "crs", "x", "y", "encoding", "layer", "sheet", "fields"}
_TOP_KEYS = {"project", "communities", "facilities", "network", "facility_types", "audit", "admin_units", "census"}


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


def _layer(name: str, raw: Any, base: Path, allowed: tuple[str, ...], problems: list[str]) -> LayerSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"[{name}] is missing or not a table")
        return None
    for key in sorted(set(raw) - _LAYER_KEYS):
        problems.append(f"[{name}] unknown key {key!r} (allowed: {', '.join(sorted(_LAYER_KEYS))})")
    if "path" not in raw:
        problems.append(f"[{name}] needs path = \"...\"")
        return None
    path = (base / str(raw["path"])).resolve()
    if not path.exists():
        problems.append(f"[{name}] path {raw['path']!r} not found (looked at {path})")
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        problems.append(f"[{name}.fields] must be a table of canonical = \"source column\"")
        fields = {}
    for key in sorted(set(fields) - set(allowed)):
        problems.append(f"[{name}.fields] unknown canonical field {key!r} (known: {', '.join(allowed)})")
    if ("x" in raw) != ("y" in raw):
        problems.append(f"[{name}] give both x and y columns, or neither")
    return LayerSpec(
        path=path, crs=raw.get("crs"), x=raw.get("x"), y=raw.get("y"), encoding=raw.get("encoding"),
        layer=raw.get("layer"), sheet=raw.get("sheet"), fields={k: str(v) for k, v in fields.items()},
    )


def load_project(path: str | Path) -> Project:
    """Read and check a project file; every problem is reported in one :class:`ProjectError`."""
    path = Path(path)
    if path.is_dir():
        path = path / "geoplan.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"project file not found: {path}"
        raise ProjectError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise ProjectError(msg) from exc
    base = path.parent.resolve()
    problems: list[str] = []
    for key in sorted(set(raw) - _TOP_KEYS):
        problems.append(f"unknown section [{key}] (allowed: {', '.join(sorted(_TOP_KEYS))})")
    meta = raw.get("project", {})
    communities = None
    if "communities" in raw:
        communities = _layer("communities", raw["communities"], base, COMMUNITY_FIELDS, problems)
    facilities = _layer("facilities", raw.get("facilities"), base, FACILITY_FIELDS, problems)
    admin = None
    if "admin_units" in raw:
        admin = _layer("admin_units", raw["admin_units"], base, ("unit_code", "unit_name", "level"), problems)
    census = _layer("census", raw["census"], base, (), problems) if "census" in raw else None
    network = None
    if "network" in raw:
        net = raw["network"]
        net_path = (base / str(net.get("path", ""))).resolve()
        if "path" not in net or not net_path.exists():
            problems.append(f"[network] path {net.get('path')!r} not found (looked at {net_path})")
        network = NetworkSpec(net_path, net.get("max_snap_m"))
    types = raw.get("facility_types", {})
    if not all(isinstance(v, str) for v in types.values()):
        problems.append("[facility_types] values must be plan terms (strings)")
    if "preset" not in meta:
        problems.append("[project] needs preset = \"<name or path>\" (see `geoplan presets list`)")
    if problems or ("communities" in raw and communities is None) or facilities is None:
        msg = f"{path}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        raise ProjectError(msg)
    preset = str(meta["preset"])
    if preset.endswith(".toml"):
        preset = str((base / preset).resolve())
    return Project(
        title=str(meta.get("title", path.parent.name)), preset=preset, communities=communities,
        facilities=facilities, network=network, crs=str(meta.get("crs", "auto")), facility_types=types,
        audit=raw.get("audit", {}), admin_units=admin, census=census, source=path,
    )
