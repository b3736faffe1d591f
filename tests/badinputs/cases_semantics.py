"""Corpus cases about what rows mean: duplicates, placeholder coordinates, CRS mislabels, unmapped types,
facility types absent from the layer, unknown build years, the network's edge, rows outside the study area.

Registered into :data:`badinputs.make_corpus.CASES` (imported there); each builds a small project from
:mod:`badinputs.base` with one thing wrong.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from badinputs import make_corpus
from badinputs.base import PRESET, communities, facilities, lonlat, write_project
from geoplan.rules.base import FAIL, NOT_APPLICABLE, NOT_EVALUABLE, PASS

#: Registers into make_corpus's CASES (make_corpus.py run as a script imports itself as that module).
case = make_corpus.case

#: A point in another province (Beijing), where compounds of a Hangzhou list get geocoded by mistake.
ELSEWHERE = (116.4074, 39.9042)


def _status(result: Any, rule: str) -> pd.Series:
    return result.communities[f"{rule}__status"]


def _reason(result: Any, rule: str, row: int) -> str:
    return str(result.communities[f"{rule}__reason"].iloc[row - 1])


def _indicator(result: Any, rule: str, weighted: bool = False) -> pd.Series:
    ind = result.indicators[result.indicators["rule_id"] == rule]
    return ind.iloc[1 if weighted else 0]


def _assumption(result: Any, pattern: str) -> None:
    assert any(re.search(pattern, a) for a in result.assumptions), result.assumptions


def _no_assumption(result: Any, pattern: str) -> None:
    assert not any(re.search(pattern, a) for a in result.assumptions), result.assumptions


def _base_result(root: Path) -> Any:
    import geoplan

    return geoplan.audit(write_project(root.parent / f"{root.name}_base"), created="2026-01-01")


# ----------------------------------------------------------------------------------------------- duplicates


def _duplicates_count_once(result: Any, root: Path) -> None:
    base = _base_result(root)
    com = result.communities
    assert (com["rate_excluded"].iloc[40:] == [f"duplicate of row {i}" for i in range(1, 21)]).all()
    assert (com["rate_excluded"].iloc[:40] == "").all()
    for rule in ("reach_childcare", "reach_elderly"):
        for weighted in (False, True):
            assert _indicator(result, rule, weighted)["measured"] == _indicator(base, rule, weighted)["measured"]
        assert (_status(result, rule).iloc[40:].to_numpy() == _status(result, rule).iloc[:20].to_numpy()).all()


@case(group="exact duplicate rows", input="rows 1-20 appended again (same name, point and households): 60 rows",
      answer="flag", row=41, n_communities=60, expect=r"exact duplicate of row 1 \(same name and point\)",
      does="copies kept in every output with their own status, flagged, marked rate_excluded = \"duplicate of "
           "row N\" and counted once in the pass and household-weighted rates; the headline counts them",
      check=_duplicates_count_once)
def build_duplicate_rows(root: Path) -> Path:
    com = communities()
    return write_project(root, com=pd.concat([com, com.iloc[:20]], ignore_index=True))


# ------------------------------------------------------------------------------------------- coordinates


def _zero_rows_not_evaluable(result: Any, _: Path) -> None:
    for rule in ("reach_childcare", "reach_elderly"):
        assert _status(result, rule).iloc[[2, 6]].eq(NOT_EVALUABLE).all()
    assert "(0, 0) is a placeholder" in str(result.communities["flags"].iloc[6])
    _no_assumption(result, r"look like|looks like")


@case(group="placeholder coordinates", input="rows 3 and 7: 经度 = 0, 纬度 = 0", answer="flag", row=3,
      expect=r"\(0, 0\) is a placeholder", does="rows kept, flagged, not evaluable (no false coordinate-system "
                                                 "warning, no \"farther than 300 m from a street\")",
      check=_zero_rows_not_evaluable)
def build_coordinates_zero(root: Path) -> Path:
    com = communities()
    com.loc[[2, 6], ["经度", "纬度"]] = 0
    return write_project(root, com=com)


def _one_point_not_evaluable(result: Any, _: Path) -> None:
    assert _status(result, "reach_childcare").eq(NOT_EVALUABLE).all()
    _assumption(result, r"40 rows of different names share exactly the point")


@case(group="all rows at one point", input="every compound geocoded to the same point (a city-centre fallback)",
      answer="flag", row=1, expect=r"40 rows of different names share exactly the point .*geocoder's fallback",
      does="rows kept and flagged as a geocoder's fallback, not evaluable; a warning names the point",
      check=_one_point_not_evaluable)
def build_coordinates_one_point(root: Path) -> Path:
    com = communities()
    com["经度"], com["纬度"] = com.loc[0, "经度"], com.loc[0, "纬度"]
    return write_project(root, com=com)


@case(group="degrees labelled as a projected CRS", input="lon/lat in degrees with crs = \"EPSG:4549\"",
      answer="error", expect=r"none of the 40 rows has usable coordinates.*outside where EPSG:4549 is used.*"
                             r"look like longitude/latitude",
      does="one error naming the file: the values look like longitude/latitude, set crs = \"WGS84\"/\"GCJ02\"/…")
def build_degrees_labelled_projected(root: Path) -> Path:
    return write_project(root, communities={"crs": "EPSG:4549"})


def _gauss_krueger(com: pd.DataFrame, rows: list[int] | None = None) -> pd.DataFrame:
    """Compounds as CGCS2000 3-degree Gauss-Krüger zone 40 eastings with the zone prefix (EPSG:4528)."""
    import pyproj

    t = pyproj.Transformer.from_crs(4326, 4528, always_xy=True)
    out = com.copy()
    idx = list(range(len(com))) if rows is None else rows
    x, y = t.transform(com.loc[idx, "经度"].to_numpy(), com.loc[idx, "纬度"].to_numpy())
    out["经度"] = out["经度"].astype(object)
    out["纬度"] = out["纬度"].astype(object)
    out.loc[idx, "经度"], out.loc[idx, "纬度"] = np.round(x, 2), np.round(y, 2)
    return out


@case(group="metres labelled as degrees", input="Gauss-Krüger eastings with zone prefix (40xxxxxx m) and crs = "
                                                "\"WGS84\"",
      answer="error", expect=r"none of the 40 rows has usable coordinates.*zone prefix 40.*EPSG:4528",
      does="one error naming the file and the likely CRS (CGCS2000 3-degree zone 40, EPSG:4528)")
def build_metres_labelled_degrees(root: Path) -> Path:
    return write_project(root, com=_gauss_krueger(communities()))


@case(group="metres labelled as degrees", input="rows 2 and 5 in Gauss-Krüger metres, the rest in degrees",
      answer="flag", row=2, expect=r"out of range for EPSG:4326",
      does="rows kept, flagged and not evaluable; a warning names the likely CRS (EPSG:4528) of those rows",
      check=lambda r, _: _assumption(r, r"2 of 40 rows lie outside the range of the declared crs .*EPSG:4528"))
def build_metres_rows_among_degrees(root: Path) -> Path:
    return write_project(root, com=_gauss_krueger(communities(), [1, 4]))


@case(group="coordinate-system check cannot decide",
      input="30 of the 40 compounds 3 km off the street grid (the network covers a quarter of them)",
      answer="warning", expect=r"\[communities\] the coordinate-system check could not decide",
      does="a warning (console and report) that the check could not decide, with how many points were near "
           "streets and what to set if the data is 高德 or 百度")
def build_crs_check_undecided(root: Path) -> Path:
    com = communities()
    com.loc[10:, "经度"] = com.loc[10:, "经度"] + 0.03
    return write_project(root, com=com)


# ------------------------------------------------------------------------------------------- facility types


def _unmapped_listed(result: Any, _: Path) -> None:
    assert result.extra["facility_types_unmapped"] == {"日间照料中心": 3}
    assert _status(result, "reach_elderly").eq(NOT_EVALUABLE).all()
    reason = _reason(result, "provision_elderly", 1)
    assert "no elderly_care facility in the facilities layer" in reason and "if there truly are none" in reason


@case(group="facility type not mapped", input="the [facility_types] line for 日间照料中心 removed",
      answer="warning", expect=r"facility types not mapped to a plan type \(3 facilities used by no rule\): "
                               r"日间照料中心 ×3",
      does="values used by no rule listed with counts in the headline, the report and the assumptions; the "
           "elderly rules are not evaluable (with the would-be answer), not a measured zero",
      check=_unmapped_listed)
def build_facility_type_unmapped(root: Path) -> Path:
    return write_project(root, facility_types={"日间照料中心": None})


def _auto_mapped_like_base(result: Any, root: Path) -> None:
    base = _base_result(root)
    assert (_status(result, "reach_childcare") == _status(base, "reach_childcare")).all()
    assert result.extra["facility_types_auto"] == {"托育机构": ("childcare", 3)}
    assert not result.extra["facility_types_unmapped"]


@case(group="facility type is the plan's own word", input="no [facility_types] line for 托育机构, the preset's "
                                                          "Chinese name of its type childcare",
      answer="warning", expect=r"facility type '托育机构' \(3 rows\) mapped to 'childcare' automatically",
      does="mapped to the type automatically (zh name, the name before its bracket, or a listed synonym); the "
           "report and assumptions say so", check=_auto_mapped_like_base)
def build_facility_type_plan_word(root: Path) -> Path:
    return write_project(root, facility_types={"托育机构": None})


# ------------------------------------------------------------------------------------------- build year


def _unknown_year_not_evaluable(result: Any, _: Path) -> None:
    status = _status(result, "provision_elderly")
    assert status.iloc[1] == NOT_EVALUABLE and "build year unknown" in _reason(result, "provision_elderly", 2)
    assert set(status) <= {PASS, FAIL, NOT_EVALUABLE, NOT_APPLICABLE} and NOT_APPLICABLE in set(status)


@case(group="unknown build year", input="a provision rule for new compounds only; row 2: 建成年代 = \"不详\"",
      answer="flag", row=2, expect=r"build_year", does="row flagged; not_evaluable (new or existing is unknown) "
                                                       "rather than not_applicable", check=_unknown_year_not_evaluable)
def build_build_year_unknown_scope(root: Path) -> Path:
    com = communities()
    com.loc[1, "建成年代"] = "不详"
    preset = PRESET.replace("rate = 20\n", "rate = 20\nscope = \"new\"\n", 1)
    return write_project(root, com=com, preset=preset)


# --------------------------------------------------------------------------------------------- edge effects


def _edge_flagged(result: Any, _: Path) -> None:
    table = result.rule_results["reach_elderly"].table
    edge = table["edge_effect"].to_numpy(dtype=bool)
    assert edge.any() and (table.loc[edge, "status"] == FAIL).all()
    assert table.loc[edge, "reason"].str.contains("may be under-served only because the network ends here").all()
    # a failing community farther from the edge than the walking distance is a plain measured fail
    inner = (table["status"] == FAIL).to_numpy() & ~edge
    assert inner.any() and not table.loc[inner, "reason"].str.contains("network ends").any()
    assert "may be pessimistic" in _indicator(result, "reach_elderly")["note"]


@case(group="network ends short of the facilities", input="the three elderly-care sites 400 m beyond the street "
                                                            "grid's east edge (off the extract)",
      answer="handled", expect="",
      does="failing compounds nearer the network's outer edge than the walking distance are flagged \"may be "
           "under-served only because the network ends here\"; the indicator note and the headline count them",
      check=_edge_flagged)
def build_network_edge(root: Path) -> Path:
    fac = facilities()
    lon, lat = lonlat([1600.0, 1600.0, 1600.0], [200.0, 600.0, 1000.0])
    fac.loc[3:5, "经度"], fac.loc[3:5, "纬度"] = np.round(lon, 7), np.round(lat, 7)
    return write_project(root, fac=fac)


# --------------------------------------------------------------------------------------------- study area


def _outside_left_out(result: Any, root: Path) -> None:
    com = result.communities
    assert list(com["rate_excluded"].iloc[[4, 8]]) == ["outside the study area"] * 2
    assert (com["rate_excluded"].drop(index=[4, 8]) == "").all()
    for rule in ("reach_childcare", "reach_elderly"):
        note = _indicator(result, rule)["note"]
        assert "2 left out of the rate" in note, note


def _elsewhere(rows: list[int]) -> pd.DataFrame:
    com = communities()
    com.loc[rows, "经度"], com.loc[rows, "纬度"] = ELSEWHERE
    return com


@case(group="rows outside the study area", input="rows 5 and 9 geocoded to Beijing; the project has a network",
      answer="flag", row=5, expect=r"outside the study area \(more than 5 km beyond the walking network\)",
      does="rows kept in every output, flagged, rate_excluded = \"outside the study area\", left out of every "
           "rate; the headline counts them", check=_outside_left_out)
def build_outside_study_area_network(root: Path) -> Path:
    return write_project(root, com=_elsewhere([4, 8]))


@case(group="rows outside the study area", input="rows 5 and 9 geocoded to Beijing; no network (straight lines)",
      answer="flag", row=5, expect=r"outside the study area \(more than 50 km from the median point",
      does="as above; without admin units or a network the study area is the compounds' own spread (a robust "
           "outlier test around their median point)", check=_outside_left_out)
def build_outside_study_area_no_network(root: Path) -> Path:
    project = write_project(root, com=_elsewhere([4, 8]))
    text = project.read_text(encoding="utf-8")
    project.write_text(re.sub(r"\[network\]\n(?:[^\[\n].*\n)*", "", text), encoding="utf-8")
    return project


def _admin_units(root: Path) -> Path:
    lon, lat = lonlat([-300.0, 1500.0, 1500.0, -300.0, -300.0], [-300.0, -300.0, 1500.0, 1500.0, -300.0])
    feature = {"type": "Feature", "properties": {"code": "330106", "name": "西湖区", "level": "county"},
               "geometry": {"type": "Polygon", "coordinates": [np.column_stack([lon, lat]).tolist()]}}
    path = root / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


@case(group="rows outside the study area", input="rows 5 and 9 geocoded to Beijing; [admin_units] gives the "
                                                   "district polygon",
      answer="flag", row=9, expect=r"outside the study area \(in no admin unit of the project\)",
      does="as above; the study area is the union of the admin units", check=_outside_left_out)
def build_outside_study_area_admin_units(root: Path) -> Path:
    project = write_project(root, com=_elsewhere([4, 8]),
                            admin_units={"path": "districts.geojson",
                                         "fields": {"unit_code": "code", "unit_name": "name", "level": "level"}})
    _admin_units(root)
    return project


def _unplaced_facility_reaches_no_one(result: Any, _: Path) -> None:
    assert result.network is None or result.network.basis != "network"
    assert set(_status(result, "reach_elderly")) <= {PASS, FAIL}


@case(group="facility without coordinates, no network", input="elderly-care site row 4 without 经度/纬度 and no "
                                                              "[network] (straight-line fallback)",
      answer="flag", layer="facilities", row=4, expect=r"no usable coordinates",
      does="facility kept and flagged; it reaches no one, the other sites are measured as usual",
      check=_unplaced_facility_reaches_no_one)
def build_facility_unplaced_no_network(root: Path) -> Path:
    fac = facilities()
    fac["经度"] = fac["经度"].astype(object)
    fac["纬度"] = fac["纬度"].astype(object)
    fac.loc[3, ["经度", "纬度"]] = ""
    project = write_project(root, fac=fac)
    text = project.read_text(encoding="utf-8")
    project.write_text(re.sub(r"\[network\]\n(?:[^\[\n].*\n)*", "", text), encoding="utf-8")
    return project
