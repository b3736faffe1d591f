"""Admin units an audit covers: read or built from codes, marked in or out of the study area, urban or rural.

* :func:`admin_units` — the project's ``[admin_units]`` layer (optionally filtered by code);
* :func:`code_units` — township / village units from the features' 9- / 12-digit ``admin_code`` when no
  polygons of that level are given (names from the NBS township list, ``[townships]``), and
  :func:`match_township_names` — codes for features that name their township instead;
* :func:`study_area` / :func:`mark_study_area` — units no community lies near are listed, not judged;
* :func:`community_urban_class` / :func:`unit_urban_class` — 城市 / 镇 / 乡村 for ``scope = "urban"`` rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geoplan import _hints, admin
from geoplan._errors import Hint, InputError, ProjectError
from geoplan.layers import read_table
from geoplan.project import Project
from geoplan.rules import _common as cm
from geoplan.rules._scope import CITY, RURAL, class_of_code, unit_type


def admin_units(proj: Project, crs: pyproj.CRS, codes: Sequence[str] | None) -> gpd.GeoDataFrame | None:
    """The project's admin units in ``crs`` (cn-admin district file, or a layer with mapped fields)."""
    spec = proj.admin_units
    if spec is None:
        if codes:
            msg = f"{proj.source}: admin codes {list(codes)} given but the project has no [admin_units] layer"
            raise ProjectError(msg, hint=Hint(zh="在项目文件中加入 [admin_units] 行政区图层，或删去行政区代码",
                                              en="add an [admin_units] layer to the project file, or remove the codes"))
        return None
    raw = read_table(spec, "admin_units")
    if not isinstance(raw, gpd.GeoDataFrame):  # a table of codes and names, without polygons
        raw = gpd.GeoDataFrame(raw, geometry=[None] * len(raw), crs=4326)
    if not spec.fields:
        units = admin.read_districts(spec.path, raw)
    else:
        missing = [f"{k} = {v!r}" for k, v in spec.fields.items() if v not in raw.columns]
        if missing:
            msg = (f"{spec.path} (admin_units): no such column: {', '.join(missing)}. "
                   f"Columns in the file: {', '.join(str(c) for c in raw.columns if c != 'geometry')}")
            raise InputError(msg, hint=Hint(zh="修改 [admin_units.fields] 中的列名", en="fix [admin_units.fields]"))
        units = raw.rename(columns={src: canon for canon, src in spec.fields.items()})
        if "level" not in units.columns:
            units["level"] = "county"
        units["unit_code"] = units["unit_code"].astype(str)
    if codes:
        keep = units["unit_code"].astype(str).str.startswith(tuple(str(c) for c in codes))
        if not keep.any():
            msg = f"{spec.path}: no admin unit has a code starting with {', '.join(map(str, codes))}"
            raise ProjectError(msg,
                    hint=Hint(zh="检查行政区代码（6 位县级 adcode 或其前缀）与 [admin_units] 图层是否对应",
                              en="check the codes (6-digit county adcodes or their prefixes) against the "
                                 "[admin_units] layer"))
        units = units[keep.to_numpy()]
    return units.reset_index(drop=True).to_crs(crs)


def inside(layer: gpd.GeoDataFrame, units: gpd.GeoDataFrame, name: str, assumptions: list[str]) -> np.ndarray:
    """Mask of the features of ``layer`` inside the units' polygons (all when the units have no polygons)."""
    shapes = units.geometry.dropna()
    if shapes.empty or layer.empty:
        return np.ones(len(layer), dtype=bool)
    inside = layer.geometry.intersects(shapes.union_all()).to_numpy()
    if not inside.all():
        assumptions.append(f"{int((~inside).sum())} {name} outside the selected admin units left out")
    return inside


# ------------------------------------------------------------------------------------------- study area


def study_area(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
               network_xy: tuple[np.ndarray, np.ndarray] | None) -> tuple[BaseGeometry | None, str]:
    """The area whose units an audit judges, and how it was drawn.

    The convex hull of the communities (where people live); without communities, the bounding box of the
    walking network; without either, the hull of the facilities; None when there is nothing to draw from.
    """
    for layer, what in ((communities, "the communities' extent (convex hull)"), (None, "the network's extent"),
                        (facilities, "the facilities' extent (convex hull)")):
        if layer is None:
            if network_xy is not None and len(network_xy[0]):
                x, y = network_xy
                return shapely.box(float(x.min()), float(y.min()), float(x.max()), float(y.max())), what
            continue
        pts = layer.geometry.dropna()
        pts = pts[~pts.is_empty]
        if len(pts):
            return shapely.buffer(pts.union_all().convex_hull, 1.0), what
    return None, ""


def mark_study_area(units: gpd.GeoDataFrame, area: BaseGeometry | None, what: str,
                    communities: gpd.GeoDataFrame, assumptions: list[str]) -> gpd.GeoDataFrame:
    """``units`` with ``in_study_area``: polygon units that meet ``area``; code-only units a community's
    ``admin_code`` falls in (or, when no community carries a code, whose county is in the study area).

    Units outside are listed in ``assumptions`` by name; the rules never see them.
    """
    units = units.copy()
    n = len(units)
    if area is None or n == 0:
        units["in_study_area"] = True
        return units
    with_geom = (units.geometry.notna() & ~units.geometry.is_empty.fillna(True)).to_numpy()
    inside = np.ones(n, dtype=bool)
    if with_geom.any():
        inside[with_geom] = units.geometry[with_geom].intersects(area).to_numpy()
    codes = units["unit_code"].astype(str).to_numpy()
    coded = cm.normalise_code(communities["admin_code"]).dropna() if "admin_code" in communities.columns else None
    if (~with_geom).any():
        if coded is not None and len(coded):
            prefixes = set(coded) | {c[:k] for c in coded for k in cm.CODE_LENGTH.values() if len(c) >= k}
            inside[~with_geom] = [c in prefixes for c in codes[~with_geom]]
        else:
            counties = {c for c, ok, g in zip(codes, inside, with_geom, strict=True) if g and ok}
            if counties:
                inside[~with_geom] = [c[:6] in counties for c in codes[~with_geom]]
    units["in_study_area"] = inside
    if not inside.all():
        names = units.loc[~inside, "unit_name"].astype(str) if "unit_name" in units.columns else pd.Series(
            codes[~inside])
        assumptions.append(f"{int((~inside).sum())} admin units outside the study area ({what}) are not judged: "
                           f"{cm.join_names(names, 8)} / 研究范围外的区划不参与评价")
    return units


# --------------------------------------------------------------------- township / village units from codes


def raw_text(raw: pd.DataFrame, column: str | None, n: int) -> pd.Series:
    """A raw column as stripped text (None where empty), position-aligned with the canonical layer."""
    if column is None or column not in raw.columns:
        return pd.Series([None] * n, dtype=object)
    text = raw[column].reset_index(drop=True).astype("string").str.strip()
    return text.where(text.notna() & (text != ""), None).astype(object)


def match_township_names(names: pd.Series, codes: pd.Series, townships: pd.DataFrame,
                         counties: set[str]) -> tuple[pd.Series, pd.Series]:
    """9-digit township codes for features that carry a township name but no township code.

    A name is looked up among the townships of the feature's county when its ``admin_code`` gives one (first
    6 digits; a namesake in another county is not taken), else among the townships of ``counties`` (the
    study area's), else the whole list; a name found in more than one place, or nowhere, stays unmatched with
    a flag saying so.

    Returns
    -------
    (codes, flags)
        ``codes``: the feature's admin code, extended to the township where a name matched; ``flags``: text.
    """
    out = codes.copy()
    flags = pd.Series("", index=codes.index, dtype=object)
    by_name: dict[str, list[tuple[str, str]]] = {}
    for code, name, county in zip(townships["unit_code"], townships["unit_name"], townships["county_code"],
                                  strict=True):
        by_name.setdefault(_bare(str(name)), []).append((str(code), str(county)))
    for i, (name, code) in enumerate(zip(names, codes, strict=True)):
        if not isinstance(name, str) or (isinstance(code, str) and len(code) >= 9):
            continue
        hits = by_name.get(_bare(name), [])
        own = code[:6] if isinstance(code, str) and len(code) >= 6 else None
        # the feature's county, when given, decides: a namesake elsewhere is not it
        hits = [h for h in hits if h[1] == own] if own else [h for h in hits if h[1] in counties] or hits
        idx = codes.index[i]
        if len(hits) == 1:
            out[idx] = hits[0][0]
        else:
            where = (f" ({len(hits)} townships of that name: give admin_code with the county)" if hits
                     else f" of county {own}" if own else "")
            flags[idx] = f"township {name!r} not matched to the township list{where} / 乡镇(街道)名称未匹配"
    return out, flags


def _bare(name: str) -> str:
    """A township name without spaces (list and data spell 街道/镇/乡 the same)."""
    return "".join(name.split())


def code_units(communities: pd.DataFrame, facilities: pd.DataFrame, given: pd.DataFrame | None,
               townships: pd.DataFrame | None) -> pd.DataFrame:
    """Township (9-digit) and village (12-digit) units from the features' admin codes, where no unit of
    that level was given: the codes the communities carry (else the facilities'), named from the township
    list when given, else by their code. No geometry: features are placed by code prefix.
    """
    levels = set(given["level"]) if given is not None and "level" in given.columns else set()
    source = communities if "admin_code" in communities.columns and communities["admin_code"].notna().any() \
        else facilities
    codes = cm.normalise_code(source["admin_code"]).dropna() if "admin_code" in source.columns else pd.Series(
        dtype=object)
    names = dict(zip(townships["unit_code"], townships["unit_name"], strict=True)) if townships is not None else {}
    rows = []
    for level, length in (("township", 9), ("village", 12)):
        if level in levels:
            continue
        for code in sorted({c[:length] for c in codes if len(c) >= length}):
            rows.append({"unit_code": code, "unit_name": names.get(code, code), "level": level,
                         "city": "", "unit_source": "admin_code of the features / 要素区划代码"})
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "level", "city", "unit_source"])


# ------------------------------------------------------------------------------------------- urban class


def unit_urban_class(units: pd.DataFrame, urban_areas: gpd.GeoSeries | None) -> pd.Series:
    """City / town / rural of each unit: its ``urban_rural_code``, else in an urban-area polygon (city),
    else its township's type (街道 → city; 乡/镇 without a code stay unknown)."""
    index = units.index
    given = units.get("urban_rural_code", pd.Series(None, index=index)).map(class_of_code)
    out = given.astype(object)
    if urban_areas is not None and isinstance(units, gpd.GeoDataFrame) and len(units):
        geom = units.geometry
        has = (geom.notna() & ~geom.is_empty.fillna(True)).to_numpy()
        todo = out.isna().to_numpy() & has
        if todo.any():
            pts = geom[todo].representative_point()
            out[todo] = np.where(pts.within(urban_areas.union_all()).to_numpy(), CITY, RURAL)
    by_type = [_street_class(n, c) for n, c in zip(units.get("unit_name", pd.Series(None, index=index)),
                                                    units["unit_code"].astype(str), strict=True)]
    return out.where(out.notna(), pd.Series(by_type, index=index, dtype=object))


def _street_class(name: object, code: str) -> str | None:
    """A 街道 (or a village of one) is city; anything else needs a code or a polygon."""
    township = code[:9] if len(code) >= 9 else None
    if township is None:
        return None
    own = unit_type(name, code) if len(code) == 9 else unit_type(None, township)
    return CITY if own == "街道" else None


def community_urban_class(communities: gpd.GeoDataFrame, field: pd.Series, urban_areas: gpd.GeoSeries | None,
                          units: pd.DataFrame | None) -> tuple[pd.Series, str]:
    """City / town / rural per community and the sources used, in order: the community's own ``urban`` field
    (NBS 城乡分类代码 or a word), the urban-area polygons, the unit it lies in (village, then township)."""
    out = field.reset_index(drop=True).map(class_of_code).astype(object)
    out.index = communities.index
    used = ["community field urban"] if out.notna().any() else []
    if urban_areas is not None and len(communities):
        todo = out.isna().to_numpy() & communities.geometry.notna().to_numpy()
        if todo.any():
            inside = communities.geometry[todo].within(urban_areas.union_all()).to_numpy()
            out[todo] = np.where(inside, CITY, RURAL)
            used.append("[urban_areas] polygons")
    if units is not None and len(units) and out.isna().any():
        classes = unit_urban_class(units, urban_areas)
        for level in ("village", "township"):
            mask = (units["level"] == level).to_numpy()
            if not mask.any() or not out.isna().any():
                continue
            placed = cm.assign_units(communities, units[mask])["unit_code"]
            lookup = dict(zip(units.loc[mask, "unit_code"].astype(str), classes[mask], strict=True))
            fill = placed.map(lookup)
            todo = out.isna() & fill.notna()
            if todo.any():
                out[todo] = fill[todo]
                used.append(f"{level} units (街道 urban; 乡/镇 by urban_rural_code)")
    if out.isna().any() and "admin_code" in communities.columns:
        by_code = cm.normalise_code(communities["admin_code"]).map(
            lambda c: _street_class(None, c) if isinstance(c, str) else None)
        todo = out.isna() & by_code.notna()
        if todo.any():
            out[todo] = by_code[todo]
            used.append("admin_code township type (街道 urban)")
    return out.astype(object).where(out.notna(), None), "; ".join(used)


def read_urban_areas(proj: Project, crs: pyproj.CRS) -> gpd.GeoSeries | None:
    """The project's ``[urban_areas]`` polygons in ``crs`` (None when not given)."""
    spec = proj.urban_areas
    if spec is None:
        return None
    frame = read_table(spec)
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{spec.path}: [urban_areas] must be a GIS layer of polygons (GeoJSON, GeoPackage, Shapefile)"
        raise ProjectError(msg, hint=Hint(zh="[urban_areas] 请给出城镇范围的面图层（GeoJSON、GeoPackage、Shapefile）",
                                          en="give a polygon layer of the urban area (GeoJSON, GeoPackage, Shapefile)"))
    if frame.crs is None:
        msg = f"{spec.path}: [urban_areas] has no coordinate system"
        raise ProjectError(msg, hint=_hints.save_with_crs("EPSG:4490"))
    shapes = frame.geometry[frame.geometry.notna() & ~frame.geometry.is_empty]
    if not shapes.geom_type.isin(["Polygon", "MultiPolygon"]).all() or shapes.empty:
        msg = f"{spec.path}: [urban_areas] must hold polygons of the urban area"
        raise ProjectError(msg, hint=Hint(zh="给出城镇范围的面图层（而非点或线）",
                                          en="give the urban area as polygons, not points or lines"))
    # make_valid: self-intersecting rings from hand digitising must not break the point-in-polygon tests
    return gpd.GeoSeries(shapely.make_valid(shapes.to_crs(crs).to_numpy()), crs=crs)
