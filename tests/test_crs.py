"""Coordinate conversions: offset systems, their inverses, and the metric CRS choice."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan._errors import InputError
from geoplan.crs import (
    auto_metric_crs,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    normalise_crs_name,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_known_point_gcj02_offset_is_hundreds_of_metres() -> None:
    # Tiananmen: the GCJ-02 shift is a few hundred metres, BD-09 adds roughly another kilometre.
    lon, lat = np.array([116.391275]), np.array([39.907333])
    g = wgs84_to_gcj02(lon, lat)
    b = wgs84_to_bd09(lon, lat)
    assert 100 < _metres(lon, lat, *g)[0] < 800
    assert 500 < _metres(lon, lat, *b)[0] < 2000


@settings(max_examples=200, deadline=None)
@given(st.floats(73.5, 135.0), st.floats(18.0, 53.5))
def test_bd09_round_trip_within_a_centimetre(lon: float, lat: float) -> None:
    w_lon, w_lat = np.array([lon]), np.array([lat])
    back = bd09_to_wgs84(*wgs84_to_bd09(w_lon, w_lat))
    assert _metres(w_lon, w_lat, *back)[0] < 0.01
    back_g = gcj02_to_wgs84(*wgs84_to_gcj02(w_lon, w_lat))
    assert _metres(w_lon, w_lat, *back_g)[0] < 0.01


def test_vectorised_round_trip_on_a_grid() -> None:
    lon, lat = np.meshgrid(np.linspace(100, 125, 60), np.linspace(20, 45, 60))
    back = bd09_to_wgs84(*wgs84_to_bd09(lon.ravel(), lat.ravel()))
    assert _metres(lon.ravel(), lat.ravel(), *back).max() < 0.01


def test_outside_china_unchanged() -> None:
    lon, lat = np.array([2.35]), np.array([48.85])
    assert np.allclose(wgs84_to_gcj02(lon, lat), (lon, lat))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("BD-09", "BD09"), ("gcj02", "GCJ02"), ("Amap", "GCJ02"), ("baidu", "BD09")],
)
def test_offset_names(name: str, expected: str) -> None:
    assert normalise_crs_name(name) == expected


def test_epsg_names() -> None:
    assert normalise_crs_name("CGCS2000") == pyproj.CRS.from_epsg(4490)
    assert normalise_crs_name("WGS84") == pyproj.CRS.from_epsg(4326)
    assert normalise_crs_name(4549) == pyproj.CRS.from_epsg(4549)


def test_unknown_crs_message() -> None:
    with pytest.raises(InputError, match="unknown coordinate system 'Beijing-ish'"):
        normalise_crs_name("Beijing-ish")


def test_gauss_kruger_zone_to_wgs84() -> None:
    # A point on the central meridian of CGCS2000 GK CM 120E sits at false easting 500 km.
    lon, lat = to_wgs84(np.array([500000.0]), np.array([3348000.0]), "EPSG:4549")
    assert abs(lon[0] - 120.0) < 1e-6
    assert 30.2 < lat[0] < 30.3


def test_auto_metric_crs() -> None:
    assert auto_metric_crs([120.15], [30.26]).to_epsg() == 4549  # Hangzhou → CM 120E
    assert auto_metric_crs([113.6], [27.2]).to_epsg() == 4547  # Shaoyang-ish → CM 114E
    assert auto_metric_crs([2.35], [48.85]).to_epsg() == 32631  # Paris → UTM 31N
    with pytest.raises(InputError):
        auto_metric_crs([np.nan], [np.nan])
