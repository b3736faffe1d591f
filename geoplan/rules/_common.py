"""Helpers shared by the aggregate rule kinds (provision, presence, ratio, targets, count).

Facility selection (plan types, optional attribute filter), measured figures with their ``assumed_*`` flags,
admin-code normalisation and the assignment of points to admin units (polygon or code prefix), and the
parameter checks the presets share. Every function takes a layer and returns Series / arrays indexed like it.

A *missing* input is never turned into a zero: the functions return the problem as text and the kinds make
the affected rows ``not_evaluable`` with that text as the reason.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

#: Units of the measures a facility can carry (Chinese first, English key).
UNITS: Final = {
    "floor_area_m2": "m²",
    "outdoor_area_m2": "m²",
    "land_area_m2": "m²",
    "slots": "托位 slots",
    "beds": "张 beds",
    "nursing_beds": "张 beds",
    "dementia_beds": "张 beds",
    "count": "处 facilities",
}
#: Comparison operators accepted in a rule's ``filter``.
OPS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
#: Length of an admin code at each level (GB/T 2260 county, NBS township and village codes).
CODE_LENGTH: Final = {"county": 6, "township": 9, "village": 12}
COUNT: Final = "count"


def unit_of(field: str) -> str:
    """Display unit of a facility measure (``"m²"``, ``"托位 slots"`` ...); the field name if unknown."""
    return UNITS.get(field, field)


# ----------------------------------------------------------------------------------------------- params


def check_types(value: Any, key: str = "types") -> list[str]:
    """Problems with a list of plan facility types."""
    if not isinstance(value, list) or not value or not all(isinstance(t, str) and t for t in value):
        return [f"{key}: a non-empty list of facility type names is required, got {value!r}"]
    return []


def check_positive(params: Mapping[str, Any], key: str, *, required: bool = True, integer: bool = False) -> list[str]:
    """Problems with a positive number parameter (absent is fine when not ``required``)."""
    if key not in params:
        return [f"{key}: required"] if required else []
    value = params[key]
    right_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not right_type or value <= 0:
        what = "a positive integer" if integer else "a positive number"
        return [f"{key}: {what} is required, got {value!r}"]
    return []


def check_non_negative(params: Mapping[str, Any], key: str, *, required: bool = True) -> list[str]:
    """Problems with a number ≥ 0 (e.g. a rate of 0 m² is allowed, a negative one is not)."""
    if key not in params:
        return [f"{key}: required"] if required else []
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return [f"{key}: a number ≥ 0 is required, got {value!r}"]
    return []


def check_filter(value: Any) -> list[str]:
    """Problems with an optional ``filter = { field, op, value }``."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [f"filter: a table {{ field, op, value }} is required, got {value!r}"]
    problems = []
    if not isinstance(value.get("field"), str) or not value.get("field"):
        problems.append("filter.field: the name of a facility field is required")
    if value.get("op") not in OPS:
        problems.append(f"filter.op: one of {' '.join(OPS)}, got {value.get('op')!r}")
    if "value" not in value:
        problems.append("filter.value: required")
    return problems


def check_target_rate(params: Mapping[str, Any]) -> list[str]:
    """Problems with the optional ``target_rate`` (a share between 0 and 1)."""
    rate = params.get("target_rate")
    if rate is None:
        return []
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        return [f"target_rate: a share between 0 and 1 is required, got {rate!r}"]
    return []


# ------------------------------------------------------------------------------------------- facilities


def type_mask(facilities: pd.DataFrame, types: list[str]) -> pd.Series:
    """True for facilities whose plan type is one of ``types`` and that count (see below).

    A facility with a ``rate_excluded`` reason (an exact duplicate of an earlier row, outside the study area)
    stays in the outputs but counts for no aggregate: it is not selected.
    """
    if "facility_type" not in facilities.columns:
        return pd.Series(False, index=facilities.index)
    selected = facilities["facility_type"].isin(types).fillna(False).astype(bool)
    if "rate_excluded" in facilities.columns:
        selected &= facilities["rate_excluded"].astype(object).fillna("").astype(str) == ""
    return selected


def absent_reason(types: list[str], would_be: str) -> str:
    """Reason for a rule whose facility types are absent from the layer: a data gap until the user says so."""
    return (f"no {'/'.join(types)} facility in the facilities layer: add them, or map their data values in "
            f"[facility_types]; if there truly are none, {would_be} / 设施图层中无此类设施")


def filter_mask(facilities: pd.DataFrame, spec: Mapping[str, Any] | None) -> tuple[pd.Series, str | None]:
    """Three-valued filter: True / False / NA (the field is empty for that facility).

    Returns (mask, problem); problem is the reason text when the field is not in the layer at all.
    """
    index = facilities.index
    if not spec:
        return pd.Series(True, index=index, dtype="boolean"), None
    field, op, target = str(spec["field"]), OPS[str(spec["op"])], spec["value"]
    if field not in facilities.columns:
        return pd.Series(pd.NA, index=index, dtype="boolean"), f"no {field} in facilities layer / 设施图层无{field}字段"
    values = facilities[field]
    if isinstance(target, int | float) and not isinstance(target, bool):
        values = pd.to_numeric(values, errors="coerce")
    known = values.notna() & (values.astype(object) != "")
    result = pd.Series(pd.NA, index=index, dtype="boolean")
    if known.any():
        result[known] = [bool(op(v, target)) for v in values[known]]
    return result, None


def filter_text(spec: Mapping[str, Any] | None) -> str:
    """``"floor_area_m2 >= 2000"`` or ``""``."""
    return f"{spec['field']} {spec['op']} {spec['value']}" if spec else ""


def assumed_flag(facilities: pd.DataFrame, field: str) -> pd.Series:
    """The ``assumed_<field>`` booleans (False where absent): figure filled from a configured default."""
    col = f"assumed_{field}"
    if col not in facilities.columns:
        return pd.Series(False, index=facilities.index)
    return facilities[col].astype("boolean").fillna(False).astype(bool)


def measure_values(facilities: pd.DataFrame, field: str, selected: pd.Series,
                   type_label: str) -> tuple[pd.Series, pd.Series, str | None]:
    """A facility measure as floats (NaN = unknown), its ``assumed`` flags, and a layer-wide problem.

    ``field == "count"`` gives 1 per facility. The problem is set when the field is absent from the layer
    or empty for every selected facility (then nothing can be summed); individual gaps stay NaN.
    """
    index = facilities.index
    if field == COUNT:
        return pd.Series(1.0, index=index), pd.Series(False, index=index), None
    if field not in facilities.columns:
        return (pd.Series(np.nan, index=index), pd.Series(False, index=index),
                f"no {field} in facilities layer / 设施图层无{field}字段")
    values = pd.to_numeric(facilities[field], errors="coerce").astype(float)
    if selected.any() and values[selected].isna().all():
        n = int(selected.sum())
        return (values, assumed_flag(facilities, field),
                f"{field} is empty for all {n} {type_label} facilities / {type_label}设施均无{field}数据")
    return values, assumed_flag(facilities, field), None


# -------------------------------------------------------------------------------------------- admin units


def normalise_code(values: pd.Series) -> pd.Series:
    """Admin codes as digit strings (``330102001.0`` → ``"330102001"``); None where empty or not a code."""

    def one(value: Any) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        text = re.sub(r"\.0+$", "", str(value).strip())
        return text if re.fullmatch(r"\d{6,12}", text) else None

    return values.map(one).astype(object)


def _has_geometry(units: pd.DataFrame) -> pd.Series:
    if isinstance(units, gpd.GeoDataFrame) and units.geometry.name in units.columns:
        return units.geometry.notna() & ~units.geometry.is_empty.fillna(True)
    return pd.Series(False, index=units.index)


def assign_units(points: gpd.GeoDataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Which unit each point lies in: by polygon where the unit has one, else by admin-code prefix.

    Parameters
    ----------
    points : GeoDataFrame
        Facilities or communities (point geometry, optional ``admin_code``).
    units : DataFrame or GeoDataFrame
        ``unit_code`` and, optionally, polygon geometry (in any CRS; reprojected to the points' CRS).

    Returns
    -------
    DataFrame
        Indexed like ``points``: ``unit_code`` (None where in no unit) and ``placed`` — False where the
        point's unit cannot be decided (no location usable for the units: a point without coordinates, or
        without a usable admin code while some units have no polygon).
    """
    out = pd.DataFrame({"unit_code": pd.Series(None, index=points.index, dtype=object),
                        "placed": True}, index=points.index)
    if len(points) == 0 or len(units) == 0:
        return out
    with_geom = _has_geometry(units)
    has_point = (points.geometry.notna() & ~points.geometry.is_empty.fillna(True)).to_numpy()
    if with_geom.any():
        polys = gpd.GeoDataFrame(units.loc[with_geom, ["unit_code"]], geometry=units.geometry[with_geom])
        if polys.crs is not None and points.crs is not None and polys.crs != points.crs:
            polys = polys.to_crs(points.crs)
        pts = gpd.GeoDataFrame(geometry=points.geometry[has_point], crs=points.crs)
        joined = gpd.sjoin(pts, polys, predicate="within", how="inner")
        joined = joined[~joined.index.duplicated(keep="first")]
        out.loc[joined.index, "unit_code"] = joined["unit_code"].astype(str).to_numpy()
    codes = normalise_code(points["admin_code"]) if "admin_code" in points.columns else pd.Series(
        None, index=points.index, dtype=object)
    all_codes = units["unit_code"].astype(str)
    code_only = set(all_codes[~with_geom])
    # a point with coordinates is matched by code to code-only units; one without, to any unit
    for wanted, rows in ((code_only, has_point), (set(all_codes), ~has_point)):
        todo = out["unit_code"].isna().to_numpy() & rows
        for length in sorted({len(c) for c in wanted}):
            prefix = codes.map(lambda c, n=length: c[:n] if isinstance(c, str) and len(c) >= n else None)
            hit = todo & prefix.isin(wanted).to_numpy()
            out.loc[hit, "unit_code"] = prefix[hit]
            todo &= ~hit
    longest = max(len(c) for c in all_codes)
    no_code = codes.map(lambda c: not isinstance(c, str) or len(c) < longest).to_numpy()
    undecidable = no_code & (~has_point | bool(code_only))
    out.loc[out["unit_code"].isna().to_numpy() & undecidable, "placed"] = False
    return out


def household_size_for(communities: pd.DataFrame, census: pd.DataFrame | None,
                       options: Mapping[str, Any]) -> tuple[pd.Series, str]:
    """Mean household size to apply to each community (NaN where none is known), and where it came from.

    Order: ``options["household_size"]`` (one figure for all); else the census row of the community's county
    (first 6 digits of ``admin_code``, through the 2021 Hangzhou mapping); else the census city mean when the
    census covers one city only. The result is always an *assumed* figure.
    """
    from geoplan import admin  # local: admin imports this module's helpers

    index = communities.index
    given = options.get("household_size")
    if given is not None:
        return pd.Series(float(given), index=index), f"household size {float(given):g} (option household_size)"
    if census is None or census.empty:
        return pd.Series(np.nan, index=index), ""
    by_county = admin.household_size_by_county(census)
    codes = normalise_code(communities["admin_code"]) if "admin_code" in communities.columns else pd.Series(
        None, index=index, dtype=object)
    county = codes.map(lambda c: c[:6] if isinstance(c, str) else None)
    size = county.map(by_county).astype(float)
    note = "household size from census 2020 (HHLD_S) of the community's county"
    cities = census["city_code"].dropna().unique()
    if size.isna().any() and len(cities) == 1:
        city_size = admin.city_household_size(census)
        size = size.fillna(city_size)
        note += f"; else city mean {city_size:.2f}"
    return size, note


def community_population(communities: pd.DataFrame, census: pd.DataFrame | None,
                         options: Mapping[str, Any]) -> tuple[pd.Series, pd.Series, str]:
    """Residents per community: ``population`` where given, else households × mean household size.

    Returns (population, assumed, note): NaN where neither is known; ``assumed`` marks the derived figures,
    including populations the audit already filled from households (``population_assumed`` column).
    """
    index = communities.index
    pop = pd.to_numeric(communities.get("population", pd.Series(np.nan, index=index)), errors="coerce")
    hh = pd.to_numeric(communities.get("households", pd.Series(np.nan, index=index)), errors="coerce")
    need = pop.isna() & hh.notna()
    note = ""
    if need.any():
        size, note = household_size_for(communities, census, options)
        pop = pop.where(~need, hh * size)
    assumed = need & pop.notna()
    if "population_assumed" in communities.columns:
        assumed |= communities["population_assumed"].astype("boolean").fillna(False).astype(bool)
    return pop.astype(float), assumed, note


def join_names(names: pd.Series, limit: int = 5) -> str:
    """``"a、b、c 等7处"`` style list for reasons (at most ``limit`` names)."""
    items = [str(n) for n in names if isinstance(n, str) and n]
    if len(items) <= limit:
        return "、".join(items)
    return "、".join(items[:limit]) + f" 等{len(items)}处 ({len(items)} in all)"


def fmt(x: float) -> str:
    """A figure for a reason text: integers without decimals, else up to 2 decimals."""
    if not np.isfinite(x):
        return "NaN"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}"
