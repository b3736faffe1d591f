"""Select the admin units an audit covers, and the features inside them."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pyproj

from geoplan import admin
from geoplan._errors import InputError, ProjectError
from geoplan.layers import read_table
from geoplan.project import Project


def admin_units(proj: Project, crs: pyproj.CRS, codes: Sequence[str] | None) -> gpd.GeoDataFrame | None:
    """The project's admin units in ``crs`` (cn-admin district file, or a layer with mapped fields)."""
    spec = proj.admin_units
    if spec is None:
        if codes:
            msg = f"{proj.source}: admin codes {list(codes)} given but the project has no [admin_units] layer"
            raise ProjectError(msg)
        return None
    raw = read_table(spec, "admin_units")
    if not isinstance(raw, gpd.GeoDataFrame):  # a table of codes and names, without polygons
        raw = gpd.GeoDataFrame(raw, geometry=[None] * len(raw), crs=4326)
    if not spec.fields:
        units = admin.read_districts(spec.path, raw)
    else:
        missing = [f"{k} = {v!r}" for k, v in spec.fields.items() if v not in raw.columns]
        if missing:
            msg = (f"{spec.path} (admin_units): no such column: {', '.join(missing)}; fix [admin_units.fields]. "
                   f"Columns in the file: {', '.join(str(c) for c in raw.columns if c != 'geometry')}")
            raise InputError(msg)
        units = raw.rename(columns={src: canon for canon, src in spec.fields.items()})
        if "level" not in units.columns:
            units["level"] = "county"
        units["unit_code"] = units["unit_code"].astype(str)
    if codes:
        keep = units["unit_code"].astype(str).str.startswith(tuple(str(c) for c in codes))
        if not keep.any():
            msg = f"{spec.path}: no admin unit has a code starting with {', '.join(map(str, codes))}"
            raise ProjectError(msg)
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
