"""The bad-input corpus: every way an input can go wrong, each with the answer geoplan must give.

Each :class:`Case` writes a small project (a few kB, made in milliseconds from :mod:`badinputs.base`) with
one thing wrong, and says what must come back: an ``error`` (a :class:`geoplan.GeoplanError` whose message
matches ``expect``), a ``flag`` (the text in the ``flags`` of the given row), a ``warning`` (the text in
``AuditResult.assumptions``) or ``handled`` (the audit is right anyway; ``check`` proves it). Tests build
the cases in a temporary folder; nothing generated is committed.

    python tests/badinputs/make_corpus.py OUT       # write every case into OUT/<name>/ to look at
    python tests/badinputs/make_corpus.py --table   # the table in docs/bad-inputs.md
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make `badinputs` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if __name__ == "__main__":
        # Run as the package module, so that the case modules register into its CASES (not a script copy's).
        from badinputs.make_corpus import main as _main

        sys.exit(_main())

from badinputs import base
from badinputs.base import (
    N_COMMUNITIES,
    PRESET,
    communities,
    community_positions_m,
    facilities,
    grid_lines_m,
    lonlat,
    write_project,
)

Builder = Callable[[Path], Path]
Check = Callable[[Any, Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input and the answer it must get.

    Attributes
    ----------
    name : str
        Folder name and test id.
    group : str
        The issue's wording of the kind of problem.
    input : str
        What is wrong with the input, for the docs table.
    answer : str
        ``error``, ``flag``, ``warning`` or ``handled``.
    expect : str
        Regular expression: in the error message, in the row's flags, or in the assumptions.
    does : str
        What geoplan does, for the docs table.
    build : callable
        Writes the case into a folder and returns the project file.
    row : int, optional
        1-based row whose ``flags`` must match (``flag`` answers).
    layer : str
        ``communities`` or ``facilities``: whose flags.
    n_communities : int
        Rows in the communities input (the output must have as many).
    check : callable, optional
        Further assertions on the result (result, case folder).
    """

    name: str
    group: str
    input: str
    answer: str
    expect: str
    does: str
    build: Builder
    row: int | None = None
    layer: str = "communities"
    n_communities: int = N_COMMUNITIES
    check: Check | None = None


CASES: list[Case] = []


def case(**kw: Any) -> Callable[[Builder], Builder]:
    """Register the decorated builder as a case."""
    def register(fn: Builder) -> Builder:
        CASES.append(Case(name=fn.__name__.removeprefix("build_"), build=fn, **kw))
        return fn
    return register


# --------------------------------------------------------------------------------------------- helpers


def _square(lon: float, lat: float, half_m: float = 15.0) -> list[list[float]]:
    dlon = half_m / (111_320.0 * math.cos(math.radians(lat)))
    dlat = half_m / 111_320.0
    return [[lon - dlon, lat - dlat], [lon + dlon, lat - dlat], [lon + dlon, lat + dlat], [lon - dlon, lat + dlat],
            [lon - dlon, lat - dlat]]


def _polygon_layer(root: Path, geometry_of_row: dict[int, Any]) -> Path:
    """The base communities as a GeoJSON polygon layer; ``geometry_of_row`` replaces rows' geometries (1-based)."""
    com = communities()
    features = []
    for i, row in com.iterrows():
        props = {k: row[k] for k in ("小区编号", "小区名称", "户数", "建成年代")}
        geom: Any = {"type": "Polygon", "coordinates": [_square(row["经度"], row["纬度"])]}
        geom = geometry_of_row.get(int(i) + 1, geom)
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    path = root / "communities.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


_GIS_COMMUNITIES = {"path": "communities.geojson", "x": None, "y": None, "crs": None}


def _write_polygons(root: Path, geometry_of_row: dict[int, Any]) -> Path:
    project = write_project(root, communities=_GIS_COMMUNITIES)
    _polygon_layer(root, geometry_of_row)
    return project


def _status(result: Any, rule: str, row: int) -> str:
    return str(result.communities[f"{rule}__status"].iloc[row - 1])


def _reason(result: Any, rule: str, row: int) -> str:
    return str(result.communities[f"{rule}__reason"].iloc[row - 1])


def _same_values_as_base(result: Any, root: Path) -> None:
    """Reach distances equal those on the base GeoJSON network (values are rounded to 0.1 m)."""
    import geoplan

    reference = geoplan.audit(write_project(root / "_base"), created="2026-01-01")
    for rule in ("reach_childcare", "reach_elderly"):
        got = result.communities[f"{rule}__value"].to_numpy(dtype=float)
        want = reference.communities[f"{rule}__value"].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, atol=0.11, err_msg=rule)


# ----------------------------------------------------------------------------------------- geometries


_CENTRE = lonlat(300.0, 8.0)


@case(group="invalid geometry", input="row 2: a polygon whose hole lies outside its shell", answer="flag", row=2,
      expect=r"invalid geometry \(Hole lies outside shell.*\) repaired with make_valid",
      does="repaired with make_valid, row flagged with GEOS's reason; audited normally")
def build_geometry_invalid(root: Path) -> Path:
    lon, lat = float(_CENTRE[0][()]), float(_CENTRE[1][()])
    hole = _square(lon + 0.01, lat, 5.0)
    return _write_polygons(root, {2: {"type": "Polygon", "coordinates": [_square(lon, lat), hole]}})


@case(group="self-intersecting geometry", input="row 2: a bow-tie polygon", answer="flag", row=2,
      expect=r"invalid geometry \(Self-intersection.*\) repaired",
      does="repaired with make_valid (two triangles), row flagged; audited at a point on its surface")
def build_geometry_self_intersecting(root: Path) -> Path:
    lon, lat = float(_CENTRE[0][()]), float(_CENTRE[1][()])
    d = 0.0002
    bowtie = [[lon - d, lat - d], [lon + d, lat + d], [lon + d, lat - d], [lon - d, lat + d], [lon - d, lat - d]]
    return _write_polygons(root, {2: {"type": "Polygon", "coordinates": [bowtie]}})


def _not_evaluable_row2(result: Any, root: Path) -> None:
    for rule in ("reach_childcare", "reach_elderly"):
        assert _status(result, rule, 2) == "not_evaluable"
        assert "no usable coordinates" in _reason(result, rule, 2)


@case(group="empty geometry", input="row 2: an empty polygon", answer="flag", row=2,
      expect=r"no usable coordinates: (empty|no) geometry",
      does="row kept, flagged; reach rules not evaluable for it with the reason", check=_not_evaluable_row2)
def build_geometry_empty(root: Path) -> Path:
    return _write_polygons(root, {2: {"type": "Polygon", "coordinates": []}})


@case(group="null geometry", input="row 2: geometry null", answer="flag", row=2,
      expect=r"no usable coordinates: no geometry",
      does="row kept, flagged; reach rules not evaluable for it with the reason", check=_not_evaluable_row2)
def build_geometry_null(root: Path) -> Path:
    return _write_polygons(root, {2: None})


# ------------------------------------------------------------------------------------------ coordinates


def _write_shapefile(root: Path, encoding: str, *, prj: bool = True, cpg: bool = True) -> Path:
    import geopandas as gpd
    import shapely

    com = communities()
    gdf = gpd.GeoDataFrame(com.drop(columns=["经度", "纬度"]),
                           geometry=shapely.points(com["经度"].to_numpy(), com["纬度"].to_numpy()), crs=4326)
    path = root / "communities.shp"
    with warnings.catch_warnings():  # GDAL's note that it cut UTF-8 field names to 10 bytes
        warnings.simplefilter("ignore", RuntimeWarning)
        gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


@case(group="no CRS", input="a Shapefile without .prj, and no crs in the project", answer="error",
      expect=r"communities\.shp \(communities\): the file has no coordinate system.*crs = \"WGS84\"",
      does="error naming the file, suggesting a crs from the coordinates' range")
def build_crs_missing_shapefile(root: Path) -> Path:
    project = write_project(root, communities={**_GIS_COMMUNITIES, "path": "communities.shp"})
    _write_shapefile(root, "GBK", prj=False)
    return project


@case(group="Shapefile field names cut",
      input="a UTF-8 Shapefile: 小区编号 (12 bytes) stored as 10 bytes, mid-character", answer="error",
      expect=r"3 problems:(.|\n)*the file has '小区编\ufffd': the Shapefile format cut the name",
      does="read byte-exact, text decoded with � for the cut character; error naming each cut field, what to do")
def build_shapefile_field_names_cut(root: Path) -> Path:
    project = write_project(root, communities={**_GIS_COMMUNITIES, "path": "communities.shp"})
    _write_shapefile(root, "UTF-8")
    return project


@case(group="no CRS", input="a CSV table and no crs in [communities]", answer="warning",
      expect=r"\[communities\] gives no crs: x/y taken as WGS84 \(assumed\)",
      does="WGS84 assumed and said in the assumptions (and checked against the network, see GCJ-02 below)")
def build_crs_missing_table(root: Path) -> Path:
    return write_project(root, communities={"crs": None})


@case(group="no CRS", input="crs = \"Baidu-Mercator\" (not a coordinate system geoplan knows)", answer="error",
      expect=r"\[communities\] crs: unknown coordinate system 'Baidu-Mercator'",
      does="error listing the names accepted")
def build_crs_unknown(root: Path) -> Path:
    return write_project(root, communities={"crs": "Baidu-Mercator"})


@case(group="lat/lon swapped", input="x = 纬度 and y = 经度 in the project (every row swapped)", answer="flag",
      row=1, expect=r"x/y given the wrong way round \(lat, lon\): used as \(lon, lat\)",
      does="each swapped row turned round (unambiguous in China) and flagged; the assumptions say to fix x/y",
      check=lambda r, _: _assumption(r, r"swapped in 40 of 40 rows.*set x = '经度' and y = '纬度'"))
def build_latlon_swapped_all(root: Path) -> Path:
    return write_project(root, communities={"x": "纬度", "y": "经度"})


def _assumption(result: Any, pattern: str) -> None:
    import re

    assert any(re.search(pattern, a) for a in result.assumptions), (pattern, result.assumptions)


def _swap_rows(com: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    com = com.copy()
    idx = [r - 1 for r in rows]
    com.loc[idx, ["经度", "纬度"]] = com.loc[idx, ["纬度", "经度"]].to_numpy()
    return com


@case(group="lat/lon swapped", input="rows 3 and 5 hold (lat, lon)", answer="flag", row=3,
      expect=r"x/y given the wrong way round", does="those rows turned round and flagged",
      check=lambda r, _: _same_values_as_base(r, _))
def build_latlon_swapped_rows(root: Path) -> Path:
    return write_project(root, com=_swap_rows(communities(), [3, 5]))


def _offset(com: pd.DataFrame, fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    com = com.copy()
    lon, lat = fn(com["经度"].to_numpy(), com["纬度"].to_numpy())
    com["经度"], com["纬度"] = np.round(lon, 7), np.round(lat, 7)
    return com


@case(group="GCJ-02 labelled WGS84", input="compounds in GCJ-02 (Amap) with crs = \"WGS84\"", answer="warning",
      expect=r"\[communities\] coordinates look like GCJ02, not WGS84 as declared",
      does="detected against the streets (paired test of distances to the nearest street); warned in the log "
           "and the assumptions with both median distances and what to set")
def build_gcj02_labelled_wgs84(root: Path) -> Path:
    from geoplan.crs import wgs84_to_gcj02

    return write_project(root, com=_offset(communities(), wgs84_to_gcj02))


@case(group="BD-09 labelled GCJ-02", input="compounds in BD-09 (Baidu) with crs = \"GCJ02\"", answer="warning",
      expect=r"\[communities\] coordinates look like BD09, not GCJ02 as declared",
      does="detected against the streets and warned, as above")
def build_bd09_labelled_gcj02(root: Path) -> Path:
    from geoplan.crs import wgs84_to_bd09

    return write_project(root, com=_offset(communities(), wgs84_to_bd09), communities={"crs": "GCJ02"})


@case(group="unparseable coordinates", input="row 4: 经度 = \"abc\"; row 6: 纬度 empty", answer="flag", row=4,
      expect=r"no usable coordinates: 经度 = 'abc'",
      does="rows kept and flagged with the raw values; not evaluable for distance rules")
def build_coordinates_unparseable(root: Path) -> Path:
    com = communities().astype({"经度": object, "纬度": object})
    com.loc[3, "经度"] = "abc"
    com.loc[5, "纬度"] = ""
    return write_project(root, com=com)


@case(group="unparseable coordinates", input="every 经度 empty", answer="error",
      expect=r"none of the 40 rows has usable coordinates",
      does="error: the layer cannot be placed at all (check x/y and crs)")
def build_coordinates_all_unusable(root: Path) -> Path:
    com = communities()
    com["经度"] = ""
    return write_project(root, com=com)


# --------------------------------------------------------------------------------------------- encodings


@case(group="GBK shapefile without .cpg", input="a Shapefile whose DBF text is GBK, no .cpg", answer="warning",
      expect=r"communities\.shp: no \.cpg file; text read as GB18030 \(detected\)",
      does="DBF text tried as UTF-8, then GB18030: read as GB18030, said in the log and assumptions; no mojibake",
      check=lambda r, _: _names_are(r, communities()["小区名称"]))
def build_gbk_shapefile_no_cpg(root: Path) -> Path:
    project = write_project(root, communities={**_GIS_COMMUNITIES, "path": "communities.shp"})
    _write_shapefile(root, "GBK", cpg=False)
    return project


def _names_are(result: Any, names: pd.Series) -> None:
    assert list(result.communities["name"]) == list(names)


@case(group="GBK CSV", input="communities.csv saved as GBK (Excel's default)", answer="warning",
      expect=r"communities\.csv: not UTF-8, read as GBK", does="read as GBK/GB18030, said in the assumptions",
      check=lambda r, _: _names_are(r, communities()["小区名称"]))
def build_gbk_csv(root: Path) -> Path:
    project = write_project(root)
    communities().to_csv(root / "communities.csv", index=False, encoding="gbk")
    return project


@case(group="mixed encodings", input="communities.csv: rows 2 and 4 in GBK, the rest UTF-8", answer="flag",
      row=2, expect=r"text read as GBK \(the file mixes UTF-8 and GBK rows\)",
      does="each cell decoded on its own; GBK rows flagged; the assumptions say to re-save as UTF-8",
      check=lambda r, _: _names_are(r, communities()["小区名称"]))
def build_mixed_encodings(root: Path) -> Path:
    project = write_project(root)
    lines = communities().to_csv(index=False).splitlines()
    data = b"".join((line.encode("gbk") if i in (2, 4) else line.encode("utf-8")) + b"\n"
                    for i, line in enumerate(lines))
    (root / "communities.csv").write_bytes(data)
    return project


@case(group="mixed encodings", input="encoding = \"UTF-8\" declared, the file is GBK", answer="error",
      expect=r"communities\.csv: line 1 is not valid UTF-8; remove encoding",
      does="error naming the line; suggests letting geoplan detect the encoding")
def build_wrong_declared_encoding(root: Path) -> Path:
    project = write_project(root, communities={"encoding": "UTF-8"})
    communities().to_csv(root / "communities.csv", index=False, encoding="gbk")
    return project


# ---------------------------------------------------------------------------------------------- values


HOUSEHOLDS = ["1597户", "约600户", "1,597", "-", "暂无", "600-800户", "１２３户", "1.2万户"]


def _household_values(result: Any, _: Path) -> None:
    got = result.communities["households"].to_numpy()[: len(HOUSEHOLDS)]
    np.testing.assert_array_equal(got, [1597, 600, 1597, np.nan, np.nan, np.nan, 123, 12000])
    flags = result.communities["flags"]
    assert "households: missing" in flags[3] and "households: missing" in flags[4]
    assert "ambiguous, several numbers: 600-800户" in flags[5]
    assert _status(result, "provision_elderly", 4) == "not_evaluable"


@case(group="household strings", input="户数: 1597户, 约600户, 1,597, -, 暂无, 600-800户, １２３户, 1.2万户",
      answer="flag", row=2, expect=r"households: approximate: 约600户",
      does="numbers parsed (1597, 600, 1597, 123, 12000); '-' and '暂无' stay missing, '600-800户' is ambiguous "
           "and stays missing; each noted; rules needing households are not evaluable there",
      check=_household_values)
def build_household_strings(root: Path) -> Path:
    com = communities()
    com.loc[: len(HOUSEHOLDS) - 1, "户数"] = HOUSEHOLDS
    return write_project(root, com=com)


@case(group="negative and absurd values", input="户数 -5 and 9999999户; 建筑面积 -100 and 1e9 m²", answer="flag",
      row=1, expect=r"households: negative value dropped: -5",
      does="kept as missing with a note (never used as a number); facilities likewise",
      check=lambda r, _: _facility_flag(r, 4, r"floor_area_m2: implausible \(> 1e\+06\) dropped"))
def build_negative_and_absurd(root: Path) -> Path:
    com, fac = communities(), facilities()
    com.loc[0, "户数"], com.loc[1, "户数"] = "-5", "9999999户"
    fac.loc[3, "建筑面积"], fac.loc[4, "建筑面积"] = "1e9", "-100"
    return write_project(root, com=com, fac=fac)


def _facility_flag(result: Any, row: int, pattern: str) -> None:
    import re

    assert re.search(pattern, str(result.facilities["flags"].iloc[row - 1])), result.facilities["flags"].tolist()


@case(group="duplicate ids", input="rows 1 and 2 both XQ001; facilities 1 and 2 both SS01", answer="flag", row=1,
      expect=r"duplicate id 'XQ001' \(rows 1, 2\): both kept",
      does="both rows kept and flagged (with the other rows' numbers), in every output",
      check=lambda r, _: _facility_flag(r, 2, r"duplicate id 'SS01'"))
def build_duplicate_ids(root: Path) -> Path:
    com, fac = communities(), facilities()
    com.loc[1, "小区编号"] = "XQ001"
    fac.loc[1, "编号"] = "SS01"
    return write_project(root, com=com, fac=fac)


# ------------------------------------------------------------------------------------------ empty layers


@case(group="empty layers", input="communities.csv: the header only", answer="warning", n_communities=0,
      expect=r"communities\.csv \(communities\) has no rows",
      does="audit runs (0 communities in, 0 out); said in the assumptions")
def build_empty_communities(root: Path) -> Path:
    return write_project(root, com=communities().iloc[:0])


def _no_facility_reasons(result: Any, _: Path) -> None:
    assert set(result.communities["reach_childcare__status"]) == {"not_evaluable"}
    assert "no childcare facility in the facilities layer" in _reason(result, "reach_childcare", 1)


@case(group="empty layers", input="facilities.csv: the header only", answer="warning",
      expect=r"facilities\.csv \(facilities\) has no rows",
      does="every community kept; rules needing facilities not evaluable, with the reason", check=_no_facility_reasons)
def build_empty_facilities(root: Path) -> Path:
    return write_project(root, fac=facilities().iloc[:0])


@case(group="empty layers", input="communities.csv of 0 bytes", answer="error",
      expect=r"communities\.csv: the file is empty \(0 bytes\)", does="error naming the file")
def build_zero_byte_file(root: Path) -> Path:
    project = write_project(root)
    (root / "communities.csv").write_bytes(b"")
    return project


# ------------------------------------------------------------------------------------------ the network


def _all_off_network(result: Any, _: Path) -> None:
    assert set(result.communities["reach_childcare__status"]) == {"not_evaluable"}
    assert "farther than 300 m from any walkable street" in _reason(result, "reach_childcare", 1)


@case(group="layer outside the network", input="all compounds 50 km east of the streets", answer="warning",
      expect=r"only 0 of 40 communities are within 300 m of a walkable street",
      does="every community kept, not evaluable with the distance rule in the reason; warned in the assumptions",
      check=_all_off_network)
def build_outside_network(root: Path) -> Path:
    xy = community_positions_m()
    com = communities()
    com["经度"], com["纬度"] = lonlat(xy[:, 0] + 50_000, xy[:, 1])
    return write_project(root, com=com)


def _island_fails(result: Any, _: Path) -> None:
    for row in (N_COMMUNITIES + 1, N_COMMUNITIES + 2):
        assert _status(result, "reach_childcare", row) == "fail"
        assert "no childcare facility reachable" in _reason(result, "reach_childcare", row)


@case(group="disconnected network", input="a separate 200 m street square 1 km east, with 2 compounds on it",
      answer="flag", row=N_COMMUNITIES + 1, n_communities=N_COMMUNITIES + 2,
      expect=r"network: on a separate piece of the street network \(\d+ nodes\) not connected to the rest",
      does="those compounds flagged; their reach rules fail with 'no facility reachable'", check=_island_fails)
def build_network_disconnected(root: Path) -> Path:
    island = [[(2200.0, 0.0), (2400.0, 0.0), (2400.0, 200.0), (2200.0, 200.0), (2200.0, 0.0)]]
    com = communities()
    lon, lat = lonlat([2300.0, 2392.0], [8.0, 100.0])
    extra = pd.DataFrame({"小区编号": ["XQ041", "XQ042"], "小区名称": ["岛上小区1", "岛上小区2"], "经度": lon,
                          "纬度": lat, "户数": ["500户", "800户"], "建成年代": ["2000年", "2001年"]})
    return write_project(root, com=pd.concat([com, extra], ignore_index=True), lines_m=grid_lines_m() + island)


def _osm_xml(path: Path, *, oneway: bool = False, zero_length: bool = False, join: bool = True) -> Path:
    """The base grid as OSM XML: one way per street; optionally one-way, or cut at a duplicated junction node.

    ``join=False`` leaves out the zero-length ways (to show that they carry connections).
    """
    nodes: dict[tuple[float, float], int] = {}
    lines: list[str] = []
    extra: list[tuple[int, float, float]] = []
    ways: list[list[int]] = []
    for line in grid_lines_m():
        ids = [nodes.setdefault(p, len(nodes) + 1) for p in line]
        if zero_length:
            # The street ends at node a; a second node b at the very same spot starts its other half, and a
            # zero-length way joins a and b: only that way connects the halves along the street.
            mid = len(ids) // 2
            twin = 100_000 + len(extra)
            extra.append((twin, *line[mid]))
            ways += [ids[: mid + 1], [twin, *ids[mid + 1:]]] + ([[ids[mid], twin]] if join else [])
        else:
            ways.append(ids)
    for (x, y), i in nodes.items():
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{i}" version="1" lat="{float(lat):.9f}" lon="{float(lon):.9f}"/>')
    for i, x, y in extra:
        lon, lat = lonlat(x, y)
        lines.append(f'  <node id="{i}" version="1" lat="{float(lat):.9f}" lon="{float(lon):.9f}"/>')
    for k, ids in enumerate(ways):
        refs = "".join(f'<nd ref="{i}"/>' for i in ids)
        tags = '<tag k="highway" v="residential"/>' + ('<tag k="oneway" v="yes"/>' if oneway else "")
        lines.append(f'  <way id="{k + 1}" version="1">{refs}{tags}</way>')
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="badinputs">\n'
                    + "\n".join(lines) + "\n</osm>\n", encoding="utf-8")
    return path


@case(group="one-way-only streets", input="every street tagged oneway=yes (OSM XML)", answer="handled",
      expect="", does="walkers ignore oneway (as osmnx's walk network does): distances equal those on the "
                      "same streets without the tag", check=_same_values_as_base)
def build_network_oneway(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.osm"})
    _osm_xml(root / "streets.osm", oneway=True)
    return project


@case(group="zero-length edges", input="each street cut at a junction duplicated as two OSM nodes, joined by a "
                                       "zero-length way", answer="handled", expect="",
      does="zero-length edges kept (at 1 mm) so the halves stay joined: distances equal the uncut streets'",
      check=_same_values_as_base)
def build_network_zero_length(root: Path) -> Path:
    project = write_project(root, network={"path": "streets.osm"})
    _osm_xml(root / "streets.osm", zero_length=True)
    return project


@case(group="missing file", input="[network] path names a file that does not exist", answer="error",
      expect=r"\[network\] path 'no-streets\.osm\.pbf' not found \(looked at .*no-streets\.osm\.pbf\)",
      does="error listing every missing path at once")
def build_network_missing(root: Path) -> Path:
    return write_project(root, network={"path": "no-streets.osm.pbf"})


# ------------------------------------------------------------------------------------------------ types


@case(group="facility types unknown to the preset", input="facility row 2: 类型 = 健身房 (not mapped)",
      answer="flag", layer="facilities", row=2, expect=r"unknown type '健身房': used by no rule; map it",
      does="facility kept and flagged; it counts for no rule")
def build_unknown_facility_type(root: Path) -> Path:
    fac = facilities()
    fac.loc[1, "类型"] = "健身房"
    return write_project(root, fac=fac)


@case(group="facility types unknown to the preset", input="[facility_types] 托育机构 = \"childcar\" (a typo)",
      answer="flag", layer="facilities", row=1,
      expect=r"type '托育机构' is mapped to 'childcar', which the preset does not define",
      does="facilities flagged; the assumptions name the mapping; rules for childcare are not evaluable "
           "('no childcare facility in the layer')",
      check=lambda r, _: _assumption(r, r"\[facility_types\] '托育机构' = 'childcar': the preset has no type"))
def build_type_mapped_to_unknown_term(root: Path) -> Path:
    return write_project(root, facility_types={"托育机构": "childcar"})


# ---------------------------------------------------------------------------------------------- presets


@case(group="preset with unknown keys", input="a rule with minutes_max = 5 and a section [extras]", answer="error",
      expect=r"line \d+: .*unknown key 'minutes_max'", does="PresetError listing every problem with its line")
def build_preset_unknown_keys(root: Path) -> Path:
    text = PRESET.replace("minutes = 5\n", "minutes = 5\nminutes_max = 5\n", 1) + '\n[extras]\nnote = "x"\n'
    return write_project(root, preset=text)


@case(group="preset with wrong types", input="minutes = \"5\" (a string), types = \"childcare\" (not a list)",
      answer="error", expect=r"line \d+: .*(minutes|types).*\n.*line \d+: .*(minutes|types)",
      does="PresetError listing both problems with their lines")
def build_preset_wrong_types(root: Path) -> Path:
    text = PRESET.replace('types = ["childcare"]\nminutes = 5', 'types = "childcare"\nminutes = "5"', 1)
    return write_project(root, preset=text)


# ------------------------------------------------------------------------------------------------ names


NASTY_NAMES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\",\"y\")",
               "javascript:alert(1)", "a\tb\r\nc", "名称\u2028分行"]
LONG_NAME = "很长的小区名称" * 700  # 4900 characters, 14700 bytes in UTF-8


@case(group="HTML/JS in names", input="names such as <script>alert(1)</script>, =HYPERLINK(…), a line separator",
      answer="handled", expect="",
      does="kept verbatim in the result; escaped in the map (textContent only), prefixed with ' in spreadsheets",
      check=lambda r, _: _names_are(r, pd.Series(NASTY_NAMES + list(communities()["小区名称"][len(NASTY_NAMES):]))))
def build_html_in_names(root: Path) -> Path:
    com = communities()
    com.loc[: len(NASTY_NAMES) - 1, "小区名称"] = NASTY_NAMES
    return write_project(root, com=com)


@case(group="very long names", input="a name of 4,900 characters", answer="handled", expect="",
      does="kept whole (GeoPackage, CSV, XLSX); cut at a character boundary only in the Shapefile, where the "
           "row's TRUNCATED field says so",
      check=lambda r, _: _names_are(r, pd.Series([LONG_NAME, *communities()["小区名称"][1:]])))
def build_very_long_names(root: Path) -> Path:
    com = communities()
    com.loc[0, "小区名称"] = LONG_NAME
    return write_project(root, com=com)


# ------------------------------------------------------------------------------------------------ files


@case(group="missing file", input="[communities] path = \"nope.csv\"", answer="error",
      expect=r"\[communities\] path 'nope\.csv' not found", does="ProjectError with every problem of the file")
def build_missing_file(root: Path) -> Path:
    return write_project(root, communities={"path": "nope.csv"})


@case(group="missing file", input="the project file itself does not exist", answer="error",
      expect=r"project file not found: .*absent\.toml", does="error naming the path")
def build_project_missing(root: Path) -> Path:
    write_project(root)
    return root / "absent.toml"


@case(group="truncated GeoPackage", input="communities.gpkg cut to half its size", answer="error",
      expect=r"communities\.gpkg: cannot read this file: .*damaged or truncated",
      does="error naming the file: damaged or truncated, copy or export it again")
def build_truncated_gpkg(root: Path) -> Path:
    import geopandas as gpd
    import shapely

    project = write_project(root, communities={**_GIS_COMMUNITIES, "path": "communities.gpkg"})
    com = communities()
    gdf = gpd.GeoDataFrame(com.drop(columns=["经度", "纬度"]),
                           geometry=shapely.points(com["经度"].to_numpy(), com["纬度"].to_numpy()), crs=4326)
    path = root / "communities.gpkg"
    gdf.to_file(path, engine="pyogrio")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return project


@case(group="truncated file", input="communities.xlsx holding random bytes", answer="error",
      expect=r"communities\.xlsx: cannot read this file", does="error naming the file")
def build_corrupt_xlsx(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities.xlsx"})
    (root / "communities.xlsx").write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8)))
    return project


@case(group="missing columns", input="fields name = \"小区名\" and households = \"户 数\" (not in the file)",
      answer="error", expect=r"2 problems:\n  - field '小区名'.*\n  - field '户 数'.*Columns in the file",
      does="one error listing every missing column and the columns the file has")
def build_missing_columns(root: Path) -> Path:
    fields = {"community_id": "小区编号", "name": "小区名", "households": "户 数"}
    return write_project(root, communities={"fields": fields})


@case(group="project with wrong types", input="max_snap_m = \"300\", household_size = -1, [audit] speed = 80",
      answer="error",
      expect=r"3 problem\(s\):(.|\n)*max_snap_m must be a number(.|\n)*household_size(.|\n)*unknown key 'speed'",
      does="ProjectError listing every problem at once")
def build_project_wrong_types(root: Path) -> Path:
    return write_project(root, network={"max_snap_m": "300"}, audit={"household_size": -1, "speed": 80})


@case(group="project not UTF-8", input="geoplan.toml saved as GBK", answer="error",
      expect=r"geoplan\.toml: not UTF-8 \(byte \d+, line \d+.*\); save the project file as UTF-8",
      does="error naming the file")
def build_project_not_utf8(root: Path) -> Path:
    project = write_project(root)
    project.write_bytes(project.read_text(encoding="utf-8").encode("gbk"))
    return project


@case(group="unsupported file", input="[communities] path = \"/etc/hostname\"-like file without a known suffix",
      answer="error", expect=r"communities: unsupported file type '\(no suffix\)'",
      does="error listing the formats geoplan reads")
def build_unsupported_file(root: Path) -> Path:
    project = write_project(root, communities={"path": "communities"})
    (root / "communities").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    return project


# ---------------------------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class BatchCase:
    """A batch file whose paths try to leave the output folder; the error must match ``expect``."""

    name: str
    input: str
    expect: str
    areas: str
    batch_out: str = "out"


BATCH_CASES = [
    BatchCase("batch_out_traversal", "[batch] out = \"../../etc\"", r"\[batch\] out = '\.\./\.\./etc' is refused",
              '[[areas]]\nid = "a"\n', "../../etc"),
    BatchCase("batch_out_absolute", "[batch] out = \"/etc/geoplan\"", r"\[batch\] out = '/etc/geoplan' is refused",
              '[[areas]]\nid = "a"\n', "/etc/geoplan"),
    BatchCase("batch_area_out_traversal", "[[areas]] out = \"../../../x\"", r"out = '\.\./\.\./\.\./x' is refused",
              '[[areas]]\nid = "a"\nout = "../../../x"\n'),
    BatchCase("batch_area_id_traversal", "[[areas]] id = \"../evil\"", r"id must be 1-64 letters",
              '[[areas]]\nid = "../evil"\n'),
]


def write_batch(root: Path, bc: BatchCase) -> Path:
    """The base project's layers plus a batch file with the bad path."""
    write_project(root)
    text = (f'[batch]\nout = "{bc.batch_out}"\ncreated = "2026-01-01"\n\n[defaults]\npreset = "preset.toml"\n'
            '[defaults.facilities]\npath = "facilities.csv"\ncrs = "WGS84"\nx = "经度"\ny = "纬度"\n\n' + bc.areas)
    path = root / "batch.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------- docs


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The Markdown table of every case and its answer (kept in docs/bad-inputs.md by a test)."""
    rows = ["| # | Case | Input | Answer | What geoplan does |", "|---|---|---|---|---|"]
    for i, c in enumerate(CASES, 1):
        rows.append(f"| {i} | {_cell(c.group)} (`{c.name}`) | {_cell(c.input)} | {c.answer} | {_cell(c.does)} |")
    for j, b in enumerate(BATCH_CASES, len(CASES) + 1):
        rows.append(f"| {j} | path traversal / absolute path in a batch file (`{b.name}`) | {_cell(b.input)} | "
                    "error | OutputError or ProjectError naming the key; nothing is written |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every case into a folder, or print the docs table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder to write the cases into")
    parser.add_argument("--table", action="store_true", help="print the Markdown table of the cases")
    args = parser.parse_args(argv)
    if args.table:
        sys.stdout.write(table())
        return 0
    if args.out is None:
        parser.error("give an output folder or --table")
    for c in CASES:
        folder = args.out / c.name
        shutil.rmtree(folder, ignore_errors=True)
        c.build(folder)
    for b in BATCH_CASES:
        folder = args.out / b.name
        shutil.rmtree(folder, ignore_errors=True)
        write_batch(folder, b)
    sys.stdout.write(f"{len(CASES) + len(BATCH_CASES)} cases written to {args.out}\n")
    return 0


import badinputs.cases_htmlsafe  # noqa: E402  (registers the map basemap case)
import badinputs.cases_outputs  # noqa: E402,F401  (registers the outputs/numbers cases)
from badinputs import cases_scope  # noqa: E402  (admin units and scopes)

cases_scope.register(case)
# Each module registers its cases into CASES on import (one module per area of the corpus).
from badinputs import cases_catchment, cases_files, cases_semantics  # noqa: E402,F401

__all__ = ["BATCH_CASES", "CASES", "N_COMMUNITIES", "Case", "base", "main", "osm_xml", "table", "write_batch"]
osm_xml = _osm_xml

if __name__ == "__main__":
    sys.exit(main())
