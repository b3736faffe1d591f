"""Turn audit tables into the gap map's JSON payload (columnar, WGS84, rounded, strings deduplicated).

At city scale (20k communities, several rules) a GeoJSON layer per rule would repeat every point and every
popup figure per layer; one columnar payload read by ``assets/gapmap.js`` keeps the file a few MB. Strings
are dictionary-encoded (``{"d": uniques, "i": indices}``) because facility names and reasons repeat a lot.
Nothing here escapes HTML: the runtime only ever assigns data strings with ``textContent``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._errors import Hint, InputError
from geoplan.outputs import _maptext
from geoplan.outputs._symbols import symbol_of
from geoplan.result import SEP

if TYPE_CHECKING:
    import pyproj

log = logging.getLogger(__name__)

#: Decimal places of WGS84 coordinates: 1e-6 degree is about 0.1 m.
COORD_DIGITS = 6
#: Polygons are simplified by this many metres (in the metric CRS) before export; invisible below zoom 17.
SIMPLIFY_M = 2.0
#: Facility types with more points than this are clustered (DOM markers get slow past a few hundred).
CLUSTER_OVER = 200


def script_json(obj: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>``, no U+2028)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                     ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    return text


def _missing(value: Any) -> bool:
    # pd.isna on a list would return an array; cells here are scalars or odd objects.
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def str_column(values: Iterable[Any]) -> dict[str, list[Any]]:
    """Dictionary-encode a column as strings; missing cells get index -1."""
    uniques: dict[str, int] = {}
    idx: list[int] = []
    for value in values:
        if _missing(value):
            idx.append(-1)
            continue
        idx.append(uniques.setdefault(str(value), len(uniques)))
    return {"d": list(uniques), "i": idx}


def num_column(values: Iterable[Any], digits: int) -> list[float | int | None]:
    """Round a numeric column; missing or non-numeric cells become null."""
    out: list[float | int | None] = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            out.append(None)
            continue
        if not math.isfinite(number):
            out.append(None)
            continue
        rounded = round(number, digits)
        out.append(int(rounded) if rounded.is_integer() else rounded)
    return out


def to_wgs84(gdf: gpd.GeoDataFrame, fallback: pyproj.CRS | None, what: str) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 (Leaflet's coordinates), using ``fallback`` when the layer has no CRS.

    Raises
    ------
    InputError
        Neither the layer nor the result says what CRS the coordinates are in.
    """
    if gdf.crs is None:
        if fallback is None:
            raise InputError(f"{what}: no CRS on the layer or the result", hint=Hint(zh="先为图层设定坐标系",
                                                                                     en="set the layer's "
                                                                                        "coordinate system"))
        gdf = gdf.set_crs(fallback)
    return gdf.to_crs(4326)


def rule_titles(rules: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """Rule id -> title in ``lang`` (falling back to the other language, then the id), in preset order."""
    out: dict[str, str] = {}
    if rules is None or "id" not in rules.columns:
        return out
    first, second = ("title_zh", "title_en") if lang == "zh" else ("title_en", "title_zh")
    for _, row in rules.iterrows():
        title = next((row[c] for c in (first, second) if c in rules.columns and not _missing(row[c])
                      and str(row[c]).strip()), row["id"])
        out[str(row["id"])] = str(title)
    return out


def rules_in(frame: pd.DataFrame, titles: dict[str, str], only: Sequence[str] | None) -> list[str]:
    """Rule ids with a ``<id>__status`` column in ``frame``: preset order first, then column order.

    Raises
    ------
    InputError
        ``only`` names a rule with no results in ``frame``.
    """
    present = [str(c)[: -len(f"{SEP}status")] for c in frame.columns if str(c).endswith(f"{SEP}status")]
    ordered = [r for r in titles if r in present] + [r for r in present if r not in titles]
    if only is None:
        return ordered
    unknown = [r for r in only if r not in present]
    if unknown:
        raise InputError(f"rules {unknown} have no community results; mappable rules: {ordered}",
                         hint=Hint(zh="只选择有小区结果的规则", en="choose rules with community results"))
    return [r for r in ordered if r in only]


def rule_block(frame: pd.DataFrame, rule_id: str, title: str) -> dict[str, Any]:
    """One rule's columns for the payload, plus its status counts."""

    def get(field: str) -> pd.Series | None:
        name = f"{rule_id}{SEP}{field}"
        return frame[name] if name in frame.columns else None

    status = get("status")
    assert status is not None
    counts = {str(k): int(v) for k, v in status.value_counts(dropna=True).items()}
    block: dict[str, Any] = {"id": rule_id, "title": title, "status": str_column(status), "counts": counts}
    for field, digits in (("value", 1), ("threshold", 3), ("shortfall", 1), ("minutes", 1)):
        column = get(field)
        block[field] = None if column is None else num_column(column, digits)
    strings = (("unit", "unit"), ("basis", "basis"), ("reason", "reason"), ("facility_name", "facility"))
    for field, key in strings:
        column = get(field)
        block[key] = None if column is None else str_column(column)
    return block


def points(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, list[float], list[float]]:
    """Row positions with a location, and their rounded lat / lon (polygons give a representative point)."""
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not keep.all():
        log.warning("%d of %d features have no location and are left off the map", (~keep).sum(), len(keep))
    rows = np.flatnonzero(keep)
    pts = geoms[rows]
    not_point = shapely.get_type_id(pts) != 0
    if not_point.any():
        pts = pts.copy()
        pts[not_point] = shapely.point_on_surface(pts[not_point])
    xy = np.round(shapely.get_coordinates(pts), COORD_DIGITS)
    return rows, xy[:, 1].tolist(), xy[:, 0].tolist()


def feature_set(gdf: gpd.GeoDataFrame, rule_ids: Sequence[str], titles: dict[str, str],
                id_column: str) -> tuple[dict[str, Any], np.ndarray]:
    """Locations, names, ids and rule blocks of a point layer already in WGS84; also the rows kept."""
    rows, lat, lon = points(gdf)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).iloc[rows]
    names = frame["name"] if "name" in frame.columns else pd.Series([None] * len(frame))
    ids = frame[id_column] if id_column in frame.columns else pd.Series([None] * len(frame))
    data = {
        "n": len(rows), "lat": lat, "lon": lon, "name": str_column(names), "id": str_column(ids),
        "rules": [rule_block(frame, r, titles.get(r, r)) for r in rule_ids],
    }
    return data, rows


def type_labels(extra: dict[str, Any], preset_id: str, lang: str) -> dict[str, str]:
    """Facility type term -> label in ``lang`` (``elderly_institution`` -> 养老机构).

    From ``result.extra["facility_types"]`` (term -> {"zh": ..., "en": ...}) when the audit put it there,
    else from the preset named by the result (presets share one type vocabulary); empty if neither.
    """
    types = extra.get("facility_types")
    if not isinstance(types, dict):
        try:
            from geoplan.presets import load_preset

            types = load_preset(preset_id).types
        except Exception as exc:  # a custom or missing preset only costs the labels
            log.info("facility type labels not found (preset %r: %s); showing type terms", preset_id, exc)
            return {}
    return {str(term): str(spec.get(lang) or spec.get("zh") or term) for term, spec in types.items()
            if isinstance(spec, dict)}


def facilities_payload(gdf: gpd.GeoDataFrame, titles: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    """Facilities by type, each in its fixed symbol (:mod:`geoplan.outputs._symbols`); ``attached`` False draws
    hollow."""
    data, rows = feature_set(gdf, rules_in(gdf, titles, None), titles, "facility_id")
    frame = gdf.iloc[rows]
    kinds = frame["facility_type"] if "facility_type" in frame.columns else pd.Series(["?"] * len(frame))
    kinds = kinds.fillna("?").astype(str)
    types = sorted(kinds.unique())  # sorted for a stable layer order; the symbol is the type's own
    lookup = {t: k for k, t in enumerate(types)}
    data["type"] = [lookup[t] for t in kinds]
    data["types"] = []
    for name in types:
        color, shape = symbol_of(name)
        data["types"].append({
            "term": name, "name": labels.get(name, name), "color": color, "ink": _maptext.ink_on(color),
            "shape": shape, "count": int((kinds == name).sum()),
        })
    if "attached" in frame.columns:
        data["attached"] = [None if _missing(a) else int(bool(a)) for a in frame["attached"]]
    else:
        data["attached"] = [None] * len(frame)
    data["cluster"] = bool(len(frame) and kinds.value_counts().max() > CLUSTER_OVER)
    return data


def geojson(gdf: gpd.GeoDataFrame, props: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A FeatureCollection of a WGS84 layer, coordinates rounded; properties ``{"i": row, **props[row]}``."""
    geoms = shapely.transform(gdf.geometry.to_numpy(), lambda xy: np.round(xy, COORD_DIGITS))
    features = []
    for k, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        properties = {"i": k, **(props[k] if props is not None else {})}
        features.append({"type": "Feature", "properties": properties, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": features}


def simplified(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons and lines simplified by :data:`SIMPLIFY_M` if the CRS is metric (points untouched)."""
    if gdf.crs is None or not gdf.crs.is_projected:
        return gdf
    out = gdf.copy()
    out[out.geometry.name] = out.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    return out


def admin_payload(
    admin: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    community_rules: Sequence[str],
    titles: dict[str, str],
    metric_crs: pyproj.CRS | None,
    text: dict[str, Any],
) -> dict[str, Any]:
    """Admin units: a pass-rate layer per community rule (pass / (pass + fail) of the communities inside,
    by location) and a status layer per admin-level rule.
    """
    if admin.crs is None and metric_crs is not None:
        admin = admin.set_crs(metric_crs)
    comm = communities[[communities.geometry.name]].copy()
    if comm.crs is None and metric_crs is not None:
        comm = comm.set_crs(metric_crs)
    if admin.crs is not None and comm.crs is not None and admin.crs != comm.crs:
        comm = comm.to_crs(admin.crs)
    units = admin[[admin.geometry.name]].reset_index(drop=True)
    # By location, not admin_code: the map must agree with what the planner sees on it.
    joined = gpd.sjoin(comm.reset_index(drop=True), units, how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()  # a point on a border counts once
    unit_of = joined["index_right"].to_numpy(dtype=float)
    inside = ~np.isnan(unit_of)
    unit_idx = unit_of[inside].astype(int)
    layers: list[dict[str, Any]] = []
    for rule_id in community_rules:
        status = communities[f"{rule_id}{SEP}status"].astype(object).to_numpy()[inside]

        def tally(value: str, status: np.ndarray = status) -> np.ndarray:
            return np.bincount(unit_idx, weights=status == value, minlength=len(units)).astype(int)

        passed, failed, unknown = tally("pass"), tally("fail"), tally("not_evaluable")
        evaluable = passed + failed
        rate = [round(float(p) / e, 4) if e else None for p, e in zip(passed, evaluable, strict=True)]
        title = f"{text['rate_layer']} · {titles.get(rule_id, rule_id)}"
        layers.append({
            "kind": "rate", "title": title, "rule": rule_id, "rate": rate, "pass": passed.tolist(),
            "evaluable": evaluable.tolist(), "unknown": unknown.tolist(),
        })
    frame = pd.DataFrame(admin.drop(columns=admin.geometry.name)).reset_index(drop=True)
    for rule_id in rules_in(frame, titles, None):
        layers.append({"kind": "status", "title": f"{text['admin']} · {titles.get(rule_id, rule_id)}",
                       "block": rule_block(frame, rule_id, titles.get(rule_id, rule_id))})
    name_col = next((c for c in ("name", "admin_name", "admin_code") if c in frame.columns), None)
    names = frame[name_col] if name_col else pd.Series([None] * len(frame))
    shapes = to_wgs84(simplified(admin), metric_crs, "admin_units")
    return {"geojson": geojson(shapes), "name": str_column(names), "layers": layers}


def extra_payload(gdf: gpd.GeoDataFrame, role: str, title: str, labels: dict[str, str],
                  metric_crs: pyproj.CRS | None) -> dict[str, Any]:
    """A supplied layer (service areas, suggested sites, catchments): geometry + every scalar column for
    the popup; areas with ``facility_type`` take the type's fixed colour (:mod:`geoplan.outputs._symbols`),
    and the legend lists each type present under its label (``labels``: term -> label).
    """
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    keys = [str(c) for c in frame.columns
            if not frame[c].map(lambda v: isinstance(v, list | dict | tuple | set | np.ndarray)).any()]
    default = _maptext.EXTRA_COLORS[role]
    typed = "facility_type" in frame.columns and role in ("service_areas", "catchments")  # sites: yellow stars
    kinds = frame["facility_type"].fillna("?").astype(str) if typed else None
    props: list[dict[str, Any]] = []
    for k, (_, row) in enumerate(frame.iterrows()):
        color = symbol_of(kinds.iloc[k]).colour if kinds is not None else default
        props.append({"c": color, "v": [None if _missing(row[c]) else _cell(row[c]) for c in keys]})
    present = list(dict.fromkeys(kinds)) if kinds is not None else []
    legend = [{"color": symbol_of(t).colour, "label": labels.get(t, t)} for t in sorted(present)]
    shapes = to_wgs84(simplified(gdf.reset_index(drop=True)), metric_crs, role)
    return {"role": role, "title": title, "color": default, "legend": legend, "keys": keys,
            "geojson": geojson(shapes, props)}


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)
