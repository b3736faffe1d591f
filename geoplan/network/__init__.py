"""The network stage: read a walking network, attach points to it, measure shortest walking distances.

Typical use::

    from geoplan.network import load_network, attach_points, nearest_source

    net = load_network("streets.osm.pbf")                      # metric CRS chosen automatically
    net2, att = attach_points(net, {"communities": xy_c, "facilities": xy_f}, max_snap_m=300)
    dist, which = nearest_source(net2, att["facilities"].node, att["communities"].node, limit_m=3000)
"""

from __future__ import annotations

from geoplan.network.graph import Network
from geoplan.network.lines import network_from_lines, read_lines
from geoplan.network.load import load_network, read_graphml
from geoplan.network.osm import read_osm
from geoplan.network.paths import distances_within, nearest_source, node_distances, source_field
from geoplan.network.snap import Attachment, attach_points

__all__ = [
    "Attachment",
    "Network",
    "attach_points",
    "distances_within",
    "load_network",
    "nearest_source",
    "network_from_lines",
    "node_distances",
    "read_graphml",
    "read_lines",
    "read_osm",
    "source_field",
]
