"""Access: one shortest-path pass per facility-type set, shared by the reach rules and the service areas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geoplan import access as access_module
from geoplan.access import Access
from geoplan.network import Network, node_distances

CRS = pyproj.CRS.from_epsg(4549)


def _street() -> tuple[Network, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # One street x = 0 .. 1000 m (nodes every 100 m); communities 10 m north of it, two facility types.
    x = np.arange(0.0, 1001, 100)
    net = Network(x=x, y=np.zeros(x.size), u=np.arange(10), v=np.arange(1, 11), length=np.full(10, 100.0),
                  crs=CRS)
    com = gpd.GeoDataFrame(geometry=shapely.points([(50, 10), (450, 10), (950, 10)]), crs=CRS)
    fac = gpd.GeoDataFrame({"facility_type": ["elderly", "child", "elderly"]},
                           geometry=shapely.points([(0, 5), (500, 5), (1000, 5)]), crs=CRS)
    return net, com, fac


def test_node_distances_reuse_the_rules_pass_within_the_radius(monkeypatch: pytest.MonkeyPatch) -> None:
    net, com, fac = _street()
    acc = Access(com, fac, net, max_snap_m=50, limit_m=600)
    assert acc.graph is not None and acc.facility_attachment is not None
    calls: list[object] = []
    real = access_module.source_field

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(access_module, "source_field", counted)
    near = acc.nearest(["elderly"])
    np.testing.assert_allclose(near.dist_m, [5 + 50 + 10, 5 + 450 + 10, 5 + 50 + 10])  # spur + street + spur
    dist = acc.node_distances(["elderly"], 300)
    assert len(calls) == 1  # the service area asked within the search radius: no second pass
    sources = acc.facility_attachment.node[np.array([True, False, True])]
    fresh = node_distances(acc.graph, sources, 300)
    within = fresh <= 300
    np.testing.assert_array_equal(dist[within], fresh[within])
    assert (dist[~within] > 300).all()  # beyond the asked limit: inf or a larger exact value, never smaller
    wider = acc.node_distances(["elderly"], 5000)  # beyond the search radius: its own search
    np.testing.assert_array_equal(wider, node_distances(acc.graph, sources, 5000))
    assert len(calls) == 1
