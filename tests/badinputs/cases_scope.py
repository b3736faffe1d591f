"""Bad inputs of admin units and scopes: township names, the township list, urban areas, urban/rural values.

Registered into :data:`badinputs.make_corpus.CASES` by :func:`register` (called from make_corpus, so the cases
land in the same list whether make_corpus runs as a script or is imported by the tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from badinputs.base import communities, write_project

_TOWNSHIPS = "code,name,areaCode,provinceCode,cityCode\n330102001,湖滨街道,330102,33,3301\n"


def _with_township_names(root: Path, names: list[str], *, with_list: bool = True) -> Path:
    com = communities()
    com["街道"] = (names * len(com))[: len(com)]
    fields = {"community_id": "小区编号", "name": "小区名称", "households": "户数", "build_year": "建成年代",
              "township": "街道"}
    sections: dict[str, Any] = {"communities": {"fields": fields}}
    if with_list:
        sections["townships"] = {"path": "townships.csv"}
    project = write_project(root, com=com, **sections)
    (root / "townships.csv").write_text(_TOWNSHIPS, encoding="utf-8")
    return project


def build_township_names_without_list(root: Path) -> Path:
    """fields.township given, no [townships] list to match the names to."""
    return _with_township_names(root, ["湖滨街道"], with_list=False)


def build_township_name_unknown(root: Path) -> Path:
    """Row 2 names a township the list does not have."""
    return _with_township_names(root, ["湖滨街道", "不存在街道"])


def build_urban_areas_points(root: Path) -> Path:
    """[urban_areas] is a point layer, not polygons of the urban area."""
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [120.15, 30.25]}}]}
    (root / "urban.geojson").parent.mkdir(parents=True, exist_ok=True)
    (root / "urban.geojson").write_text(json.dumps(points), encoding="utf-8")
    return write_project(root, urban_areas={"path": "urban.geojson"})


def build_urban_value_unknown(root: Path) -> Path:
    """Row 2's urban/rural value is neither an NBS 城乡分类代码 nor a word geoplan knows."""
    com = communities()
    com["城乡"] = ["111"] * len(com)
    com.loc[1, "城乡"] = "半城半乡"
    fields = {"community_id": "小区编号", "name": "小区名称", "households": "户数", "build_year": "建成年代",
              "urban": "城乡"}
    return write_project(root, com=com, communities={"fields": fields})


def register(case: Callable[..., Callable[[Callable[[Path], Path]], Callable[[Path], Path]]]) -> None:
    """Register this module's cases with make_corpus's ``case`` decorator."""
    case(group="township names without a list", input="communities map fields.township, no [townships] given",
         answer="error", expect=r"no \[townships\] list",
         does="ProjectError naming the layer: add [townships] path = the NBS township list")(
        build_township_names_without_list)
    case(group="township name not in the list", input="row 2: a township name the [townships] list lacks",
         answer="flag", row=2, expect=r"township '不存在街道' not matched to the township list",
         does="row kept with its county code only, flagged; township rules cannot place it")(
        build_township_name_unknown)
    case(group="urban areas not polygons", input="[urban_areas] is a point layer", answer="error",
         expect=r"\[urban_areas\] must hold polygons",
         does="ProjectError naming the file: give polygons of the urban area")(build_urban_areas_points)
    case(group="urban/rural value not understood", input="row 2: urban = '半城半乡'", answer="flag", row=2,
         expect=r"urban: value not understood",
         does="row flagged; urban-scope rules leave it out as 'urban or rural unknown'")(build_urban_value_unknown)
