"""The audit hook the district batches use: a project without communities, with admin units and a census."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from geoplan._errors import ProjectError
from geoplan.audit import audit
from geoplan.presets import load_preset
from geoplan.project import load_project
from geoplan.rules import KINDS

pytestmark = pytest.mark.shared


def _project(tmp_path: Path, shared: Path, *, admin: bool = True) -> Path:
    admin_part = (f'[admin_units]\npath = "{shared / "cn-admin" / "districts-5cities.geojson"}"\n'
                  f'[census]\npath = "{shared / "cn-admin" / "census2020-counties-5cities.csv"}"\n') if admin else ""
    text = f"""
[project]
title = "districts"
preset = "quzhou-2022"
crs = "EPSG:4549"
[facilities]
path = "{shared / "hangzhou-central" / "facilities-osm-2024.csv"}"
crs = "WGS84"
x = "lon"
y = "lat"
[facilities.fields]
name = "name"
facility_type = "category"
[facility_types]
childcare_kindergarten = "childcare"
{admin_part}"""
    path = tmp_path / "geoplan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_without_communities_parses(tmp_path: Path, shared_data: Path) -> None:
    project = load_project(_project(tmp_path, shared_data))
    assert project.communities is None
    assert project.census is not None and project.census.path.name.startswith("census2020")


@pytest.mark.skipif("ratio" not in KINDS, reason="rule kind ratio not registered yet")
def test_county_ratio_with_census_denominators(tmp_path: Path, shared_data: Path) -> None:
    preset = load_preset("quzhou-2022")
    rules = tuple(dataclasses.replace(r, params={**r.params, "level": "county"})
                  for r in preset.rules if r.id == "ratio_slots_per_1000")
    result = audit(_project(tmp_path, shared_data), preset=dataclasses.replace(preset, rules=rules),
                   admin_codes=["3308"], created="2024-06-01")
    assert result.communities.empty
    assert result.facilities.empty  # the Hangzhou facilities lie outside Quzhou's districts
    assert any("69 facilities outside" in a for a in result.assumptions)
    units = result.admin_units
    assert units is not None and sorted(units["unit_code"]) == ["330802", "330803", "330822", "330824",
                                                                 "330825", "330881"]
    den = units.set_index("unit_code")["ratio_slots_per_1000__denominator"]
    assert den.notna().all() and (den > 100_000).all()  # census residents of each district
    assert len(result.indicators) == 6


def test_admin_codes_need_admin_units(tmp_path: Path, shared_data: Path) -> None:
    preset = load_preset("quzhou-2022")
    reach_only = dataclasses.replace(preset, rules=tuple(r for r in preset.rules if r.kind == "reach"))
    with pytest.raises(ProjectError, match="no \\[admin_units\\]"):
        audit(_project(tmp_path, shared_data, admin=False), preset=reach_only, admin_codes=["3308"])
