"""Package-wide defaults.

Every value here is a *configured default*: when an audit uses one (rather than a value from the project file,
the preset or the command line) the affected figure is flagged ``assumed`` in the output, so a reviewer can
see where it came from. Change them for a session by assignment, e.g. ``geoplan.settings.max_snap_m = 150``.

Attributes
----------
walk_speed_m_per_min : float
    Walking speed used when neither preset nor project gives one. 75 m/min = 4.5 km/h, the speed of the osmnx
    examples; GB 50180-2018 puts the 15-minute life circle at 800-1000 m, i.e. 53-67 m/min.
max_snap_m : float
    A point farther than this from any walkable edge is not attached to the network; its reach is then
    "not evaluable" with the distance in the reason, never silently snapped across a river.
search_factor : float
    Shortest paths are searched up to ``search_factor`` times the longest rule distance; beyond that a
    community is reported as "no facility within X m" (a measured fail), which bounds the work at city scale.
euclidean_detour_factor : float
    Straight-line distance is multiplied by this when no network is given (the labelled fallback).
    1.3 is a common urban circuity (network / crow-fly) figure.
min_edge_length_m : float
    Zero-length edges (duplicate nodes in the source) are given this length, so the sparse graph keeps them.
service_area_frontage_m : float
    Service areas are the reached street pieces widened by this much on each side: the depth of the plots
    that front a street, not a guess at ground the network does not reach.
cache_dir : Path
    Where built networks are kept (``networks/<hash>.npz``), keyed by the input file's bytes, so a city's
    PBF is parsed once. The environment variable ``GEOPLAN_CACHE_DIR`` overrides it.
solver_threads : int
    Threads for siting solves that run side by side (the regions of a large set cover); the CPUs this
    process may use, at most 4. Changes speed only, never a result that was solved to the end.
"""

from __future__ import annotations

import os
from pathlib import Path

walk_speed_m_per_min: float = 75.0
max_snap_m: float = 300.0
search_factor: float = 3.0
euclidean_detour_factor: float = 1.3
min_edge_length_m: float = 1e-3
service_area_frontage_m: float = 30.0
cache_dir: Path = Path.home() / ".cache" / "geoplan"
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
solver_threads: int = max(1, min(_cpus, 4))
