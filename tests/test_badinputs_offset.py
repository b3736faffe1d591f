"""Offset-system mislabels on real data: the Hangzhou demo's 804 Baidu (BD-09) compounds and OSM streets.

The synthetic corpus shows the detector finds a shifted grid; here the compounds are real polygon centroids
20-70 m from real streets, where a false alarm or a miss would show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoplan._netcheck import detect_offset
from geoplan.crs import BD09, normalise_crs_name
from geoplan.layers import canonical_communities, canonical_facilities, read_table
from geoplan.network import Network, load_network
from geoplan.project import LayerSpec

DEMO = Path(__file__).resolve().parents[1] / "layers" / "hangzhou-central"


@pytest.fixture(scope="module")
def streets() -> Network:
    return load_network(DEMO / "streets-2015.osm.pbf")


def _compounds(crs: str) -> LayerSpec:
    return LayerSpec(path=DEMO / "compounds-bd09.csv", crs=crs, x="lon_bd09", y="lat_bd09", fields={"name": "name"})


@pytest.mark.parametrize(("declared", "expected"), [("BD09", None), ("GCJ02", BD09), ("WGS84", BD09)])
def test_real_baidu_compounds(streets: Network, declared: str, expected: str | None) -> None:
    spec = _compounds(declared)
    com, _ = canonical_communities(read_table(spec), spec)
    found = detect_offset(com.geometry, normalise_crs_name(declared), streets, "communities")
    assert (found.better if found else None) == expected
    if found is not None:
        assert found.n_points > 500 and found.median_better_m < found.median_declared_m
        assert f'set crs = "{expected}" in [communities]' in found.message()


def test_no_false_alarm_on_real_osm_facilities_mostly_beyond_the_streets(streets: Network) -> None:
    """OSM facilities are WGS84: no alarm, although two thirds lie beyond the street extract (moving those toward
    the network shortens their distances under any offset: only points near a street may take part).
    """
    spec = LayerSpec(path=DEMO / "facilities-osm-2024.csv", crs="WGS84", x="lon", y="lat",
                     fields={"name": "name", "facility_type": "category"})
    fac = canonical_facilities(read_table(spec), spec, {}, set())
    assert detect_offset(fac.geometry, normalise_crs_name("WGS84"), streets, "facilities") is None
