"""A small, correct project every bad-input case starts from: a street grid, 40 compounds, 6 facilities.

Everything is synthetic and made here, in a few milliseconds: a 7 × 7 grid of streets 200 m apart around
(120.15 E, 30.26 N) in WGS84 (GeoJSON lines), compounds 8 m off a street (the gate), facilities on streets,
a preset with two reach rules and one provision rule, and the project file tying them together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ORIGIN = (120.15, 30.26)
SPACING_M = 200.0
N_LINES = 7
N_COMMUNITIES = 40
_M_PER_DEG = 111_320.0

PRESET = """\
[preset]
id = "badinputs"
title = "坏数据测试预设"
document = "none"
plan_file = "quzhou-2022.txt"
target_year = 2025
new_build_from_year = 2022

[parameters]
walk_speed_m_per_min = 75
walk_speed_source = "test"

[types]
childcare = { zh = "托育机构", en = "childcare" }
elderly_care = { zh = "养老服务设施", en = "elderly care" }

[[rules]]
id = "reach_childcare"
kind = "reach"
title_zh = "5分钟托育服务圈"
title_en = "5-minute childcare circle"
types = ["childcare"]
minutes = 5
[rules.cite]
file = "quzhou-2022.txt"
clause = "test"
quote = "test"

[[rules]]
id = "reach_elderly"
kind = "reach"
title_zh = "5分钟养老服务圈"
title_en = "5-minute elderly-care circle"
types = ["elderly_care"]
minutes = 5
weight = "households"
[rules.cite]
file = "quzhou-2022.txt"
clause = "test"
quote = "test"

[[rules]]
id = "provision_elderly"
kind = "provision"
title_zh = "养老设施配建"
title_en = "elderly-care space"
types = ["elderly_care"]
measure = "floor_area_m2"
per = 100
per_unit = "households"
rate = 20
[rules.cite]
file = "quzhou-2022.txt"
clause = "test"
quote = "test"
"""


def lonlat(east_m: Any, north_m: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 of points given in metres east/north of :data:`ORIGIN` (flat approximation, fine at 2 km)."""
    lat = ORIGIN[1] + np.asarray(north_m, dtype=float) / _M_PER_DEG
    lon = ORIGIN[0] + np.asarray(east_m, dtype=float) / (_M_PER_DEG * math.cos(math.radians(ORIGIN[1])))
    return lon, lat


def grid_lines_m(offset_east_m: float = 0.0, n: int = N_LINES) -> list[list[tuple[float, float]]]:
    """Streets as vertex lists in metres: ``n`` west-east and ``n`` south-north lines, one vertex per junction."""
    ticks = [i * SPACING_M for i in range(n)]
    lines = [[(offset_east_m + x, y) for x in ticks] for y in ticks]
    lines += [[(offset_east_m + x, y) for y in ticks] for x in ticks]
    return lines


def write_lines_geojson(path: Path, lines_m: list[list[tuple[float, float]]]) -> Path:
    """Write streets (in metres from the origin) as a WGS84 GeoJSON line layer."""
    features = []
    for line in lines_m:
        lon, lat = lonlat([p[0] for p in line], [p[1] for p in line])
        features.append({"type": "Feature", "properties": {"highway": "residential"},
                         "geometry": {"type": "LineString", "coordinates": np.column_stack([lon, lat]).tolist()}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def community_positions_m(n: int = N_COMMUNITIES, seed: int = 7) -> np.ndarray:
    """Compound gates 8 m off a street, spread over the grid (deterministic)."""
    rng = np.random.default_rng(seed)
    extent = (N_LINES - 1) * SPACING_M
    along = rng.uniform(20, extent - 20, n)
    street = rng.integers(0, N_LINES, n) * SPACING_M
    side = np.where(rng.random(n) < 0.5, -8.0, 8.0)
    vertical = rng.random(n) < 0.5
    east = np.where(vertical, street + side, along)
    north = np.where(vertical, along, street + side)
    return np.column_stack([east, north])


def communities(n: int = N_COMMUNITIES) -> pd.DataFrame:
    """The compounds table as a planning bureau sends it: Chinese headers, raw strings, WGS84."""
    xy = community_positions_m(n)
    lon, lat = lonlat(xy[:, 0], xy[:, 1])
    return pd.DataFrame({
        "小区编号": [f"XQ{i + 1:03d}" for i in range(n)],
        "小区名称": [f"测试小区{i + 1}" for i in range(n)],
        "经度": np.round(lon, 7),
        "纬度": np.round(lat, 7),
        "户数": [f"{300 + 37 * i}户" for i in range(n)],
        "建成年代": [f"{1985 + i % 38}年建成" for i in range(n)],
    })


def facilities() -> pd.DataFrame:
    """Three childcare and three elderly-care facilities on streets; the elderly ones belong to a compound."""
    east = np.array([0.0, 600.0, 1200.0, 300.0, 900.0, 600.0])
    north = np.array([0.0, 600.0, 1200.0, 1200.0, 0.0, 400.0])
    lon, lat = lonlat(east, north)
    return pd.DataFrame({
        "编号": [f"SS{i + 1:02d}" for i in range(6)],
        "名称": ["托育一", "托育二", "托育三", "日照一", "日照二", "日照三"],
        "类型": ["托育机构"] * 3 + ["日间照料中心"] * 3,
        "经度": np.round(lon, 7),
        "纬度": np.round(lat, 7),
        "建筑面积": ["", "", "", "350㎡", "200", "1,200平方米"],
        "所属小区": ["", "", "", "XQ001", "XQ002", "XQ003"],
    })


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def toml_text(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """TOML of ``{section: {key: value or {key: value}}}`` (what a project file needs)."""
    out: list[str] = []
    for section, table in tables.items():
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        out.append(f"[{section}]")
        out += [f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in scalars.items()]
        for key, sub in table.items():
            if isinstance(sub, Mapping):
                out.append(f"[{section}.{key}]")
                out += [f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in sub.items()]
        out.append("")
    return "\n".join(out)


def project_tables(**sections: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The base project's tables; a section given replaces the base one, and ``None`` values drop a key."""
    base: dict[str, dict[str, Any]] = {
        "project": {"title": "坏数据测试", "preset": "preset.toml"},
        "communities": {"path": "communities.csv", "crs": "WGS84", "x": "经度", "y": "纬度",
                        "fields": {"community_id": "小区编号", "name": "小区名称", "households": "户数",
                                   "build_year": "建成年代"}},
        "facilities": {"path": "facilities.csv", "crs": "WGS84", "x": "经度", "y": "纬度",
                       "fields": {"facility_id": "编号", "name": "名称", "facility_type": "类型",
                                  "floor_area_m2": "建筑面积", "community_id": "所属小区"}},
        "facility_types": {"托育机构": "childcare", "日间照料中心": "elderly_care"},
        "network": {"path": "streets.geojson", "max_snap_m": 300},
    }
    for name, table in sections.items():
        merged = {**base.get(name, {}), **table}
        base[name] = {k: v for k, v in merged.items() if v is not None}
    return base


def write_project(root: Path, *, com: pd.DataFrame | None = None, fac: pd.DataFrame | None = None,
                  lines_m: list[list[tuple[float, float]]] | None = None, preset: str = PRESET,
                  **sections: Mapping[str, Any]) -> Path:
    """Write the base project into ``root`` (tables, network, preset, ``geoplan.toml``); returns the project file.

    ``com`` / ``fac`` replace the base tables (written as CSV); a case that writes its own layer file points
    the section's ``path`` at it instead.
    """
    root.mkdir(parents=True, exist_ok=True)
    (communities() if com is None else com).to_csv(root / "communities.csv", index=False)
    (facilities() if fac is None else fac).to_csv(root / "facilities.csv", index=False)
    write_lines_geojson(root / "streets.geojson", grid_lines_m() if lines_m is None else lines_m)
    (root / "preset.toml").write_text(preset, encoding="utf-8")
    path = root / "geoplan.toml"
    path.write_text(toml_text(project_tables(**sections)), encoding="utf-8")
    return path
