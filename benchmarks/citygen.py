"""A generated city-like walking network, for benchmarks at a scale no extract in ``../shared`` reaches.

The city, built in the CGCS2000 Gauss-Krüger zone EPSG:4549 around Hangzhou's longitude:

* **perturbed grid**: ``n × n`` intersections ``spacing_m`` apart, each moved by up to ``jitter / 2`` of the
  spacing in x and y (streets are never exactly straight, blocks never alike);
* **arterials**: every ``arterial_every``-th row and column is complete (``primary`` every 4th, else
  ``secondary``);
* **local streets**: every other grid link (``residential``, 10 % ``footway``), of which ``drop_local`` are
  removed at random: irregular blocks and dead ends;
* **a river**: a sinuous east-west band ``river_width_m`` wide. Its nodes are removed except on *bridge
  columns* (every ``bridge_every``-th arterial column), whose bridges have no side streets, so the only ways
  across are the bridges;
* **an expressway** (``highway=motorway``, own nodes) in the PBF only: not walkable, the walk filter drops it;
* only the largest connected component is kept (random drops strand a few nodes).

Communities lie inside blocks (within ±0.45 spacing of a random street node off the river); facilities of the
zhoukou-2022 types likewise, 60 % of them inside a community (``community_id`` set) with ``floor_area_m2``,
``slots`` (childcare) and ``beds`` (institutions), so the preset's provision rules evaluate.

:func:`generate` gives the :class:`City` (with the :class:`~geoplan.network.Network` the PBF reads back as:
same nodes in the same order, same edges), :func:`write_pbf` the ``.osm.pbf`` (pyosmium ``SimpleWriter``) and
:func:`write_project` the CSVs, PBF and a ``geoplan.toml`` a user would have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pyproj
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geoplan.network import Network

CRS = pyproj.CRS.from_epsg(4549)
CENTRE_LONLAT = (120.15, 30.25)
#: zhoukou-2022 plan types and their share of the generated facilities.
FACILITY_TYPES = {"childcare": 0.4, "elderly_care": 0.25, "elderly_day_care": 0.2, "elderly_institution": 0.15}
_TAGS = ("residential", "footway", "secondary", "primary")  # edge tag codes 0..3
_WAY_MAX_EDGES = 12  # OSM ways end somewhere: ~7 nodes per way, as in the Hangzhou extract (8)


@dataclass(frozen=True)
class CitySpec:
    """Parameters of a generated city (see the module docstring); ``n`` is the grid side."""

    n: int = 1000
    spacing_m: float = 50.0
    jitter: float = 0.3
    arterial_every: int = 16
    bridge_every: int = 4
    drop_local: float = 0.15
    river_width_m: float = 200.0
    communities: int = 20_000
    facilities: int = 5_000
    seed: int = 42

    @classmethod
    def for_nodes(cls, nodes: int, **kwargs: int | float) -> CitySpec:
        """A spec of about ``nodes`` walkable nodes."""
        return cls(n=round(math.sqrt(nodes)), **kwargs)  # type: ignore[arg-type]

    @property
    def tag(self) -> str:
        """Short name for file names (every parameter that changes the output)."""
        return (f"city-n{self.n}-s{self.spacing_m:g}-j{self.jitter:g}-a{self.arterial_every}-b{self.bridge_every}"
                f"-d{self.drop_local:g}-r{self.river_width_m:g}-c{self.communities}-f{self.facilities}-{self.seed}")


@dataclass(frozen=True, eq=False)
class City:
    """A generated city: the walking network, its OSM view and the two point layers (WGS84)."""

    spec: CitySpec
    network: Network
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    grid_i: NDArray[np.int64]
    grid_j: NDArray[np.int64]
    side: NDArray[np.int8]  # -1 south of the river, +1 north, 0 on a bridge
    bridge_columns: NDArray[np.int64]
    edge_tag: NDArray[np.int8]  # index into _TAGS
    communities: pd.DataFrame
    facilities: pd.DataFrame


def _river_centre(spec: CitySpec, j: NDArray[np.float64]) -> NDArray[np.float64]:
    # Rows; the slope stays < 0.4 rows per column, so no street link can jump the band.
    n = spec.n
    return 0.45 * n + 0.04 * n * np.sin(2 * np.pi * j / (0.7 * n))


def generate(spec: CitySpec) -> City:
    """Build the city described by ``spec`` (deterministic for a given seed)."""
    rng = np.random.default_rng(spec.seed)
    n, ae = spec.n, spec.arterial_every
    i, j = np.divmod(np.arange(n * n, dtype=np.int64), n)
    half = spec.river_width_m / (2 * spec.spacing_m)
    off = i - _river_centre(spec, j.astype(np.float64))
    in_river = np.abs(off) < half
    art_col = j % ae == 0
    bridge_col = art_col & ((j // ae) % spec.bridge_every == spec.bridge_every // 2)
    alive = ~in_river | bridge_col
    side = np.where(in_river, 0, np.sign(off)).astype(np.int8)

    node = np.arange(n * n, dtype=np.int64)
    h = node[j < n - 1]  # link to the east
    v = node[i < n - 1]  # link to the north
    a = np.concatenate([h, v])
    b = np.concatenate([h + 1, v + n])
    horizontal = np.arange(a.size) < h.size
    arterial = np.where(horizontal, i[a] % ae == 0, art_col[a])
    on_bridge = ~horizontal & bridge_col[a] & (in_river[a] | in_river[b])
    keep = alive[a] & alive[b] & ~(horizontal & (in_river[a] | in_river[b]))
    keep &= arterial | on_bridge | (rng.random(a.size) >= spec.drop_local)
    line = np.where(horizontal, i[a], j[a])
    pos = np.where(horizontal, j[a], i[a])
    # Footways come in stretches of 8 links (a lane, a park path), not link by link.
    footway = rng.random((2 * n, n // 8 + 1)) < 0.1
    local_tag = footway[line + np.where(horizontal, 0, n), pos // 8]
    tag = np.where(arterial | on_bridge, np.where((line // ae) % 4 == 0, 3, 2), local_tag).astype(np.int8)
    a, b, tag = a[keep], b[keep], tag[keep]

    # Largest component only, nodes renumbered in grid order (= OSM id order).
    graph = coo_array((np.ones(a.size), (a, b)), shape=(n * n, n * n))
    _, label = connected_components(graph, directed=False)
    big = np.bincount(label[alive]).argmax()
    used = alive & (label == big)
    new_index = np.cumsum(used) - 1
    ok = used[a]
    a, b, tag = new_index[a[ok]], new_index[b[ok]], tag[ok]
    i, j, side = i[used], j[used], side[used]

    x0, y0 = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(*CENTRE_LONLAT)
    jit = (rng.random((2, n * n)) - 0.5) * spec.jitter * spec.spacing_m
    mx = x0 + (j - n / 2) * spec.spacing_m + jit[0][used]
    my = y0 + (i - n / 2) * spec.spacing_m + jit[1][used]
    lon, lat = _to_lonlat(mx, my)
    x, y = _to_metric(lon, lat)
    net = Network(x=x, y=y, u=a, v=b, length=np.hypot(x[a] - x[b], y[a] - y[b]), crs=CRS,
                  source=f"generated {spec.tag}", osm_ids=np.arange(1, x.size + 1, dtype=np.int64))
    communities, facilities = _points(spec, rng, x, y, side)
    cols = np.flatnonzero(bridge_col[: n])
    return City(spec, net, lon, lat, i, j, side, cols, tag, communities, facilities)


def _to_lonlat(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lon, lat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True).transform(x, y)
    return np.round(lon, 7), np.round(lat, 7)  # OSM's fixed-point precision, so the PBF round-trips


def _to_metric(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _points(spec: CitySpec, rng: np.random.Generator, x: NDArray[np.float64], y: NDArray[np.float64],
            side: NDArray[np.int8]) -> tuple[pd.DataFrame, pd.DataFrame]:
    land = np.flatnonzero(side != 0)
    anchor = rng.choice(land, spec.communities)
    d = (rng.random((2, spec.communities)) - 0.5) * 0.9 * spec.spacing_m
    cx, cy = x[anchor] + d[0], y[anchor] + d[1]
    clon, clat = _to_lonlat(cx, cy)
    cid = np.array([f"C{k:06d}" for k in range(spec.communities)], dtype=object)
    communities = pd.DataFrame({
        "community_id": cid, "name": [f"小区{k}" for k in range(spec.communities)], "lon": clon, "lat": clat,
        "households": rng.integers(80, 3000, spec.communities),
        "build_year": rng.integers(1980, 2025, spec.communities),
    })
    m = spec.facilities
    types = rng.choice(list(FACILITY_TYPES), m, p=list(FACILITY_TYPES.values()))
    linked = rng.random(m) < 0.6
    host = rng.integers(0, spec.communities, m)
    free = rng.choice(land, m)
    d = (rng.random((2, m)) - 0.5) * np.where(linked, 40.0, 0.9 * spec.spacing_m)
    fx = np.where(linked, cx[host], x[free]) + d[0]
    fy = np.where(linked, cy[host], y[free]) + d[1]
    flon, flat = _to_lonlat(fx, fy)
    facilities = pd.DataFrame({
        "facility_id": [f"F{k:06d}" for k in range(m)], "name": [f"设施{k}" for k in range(m)], "type": types,
        "lon": flon, "lat": flat, "floor_area_m2": rng.integers(80, 1500, m),
        "slots": np.where(types == "childcare", rng.integers(10, 150, m).astype(float), np.nan),
        "beds": np.where(types == "elderly_institution", rng.integers(20, 300, m).astype(float), np.nan),
        "community_id": np.where(linked, cid[host], ""),
    })
    return communities, facilities


def write_pbf(city: City, path: Path) -> Path:
    """Write the city as an OSM PBF: its walkable ways plus a non-walkable expressway."""
    net = city.network
    horizontal = city.grid_i[net.u] == city.grid_i[net.v]
    line = np.where(horizontal, city.grid_i[net.u], city.grid_j[net.u] + city.spec.n)  # one id per street line
    pos = np.where(horizontal, city.grid_j[net.u], city.grid_i[net.u])
    order = np.lexsort((pos, line))
    a, b, tag, line, pos = net.u[order], net.v[order], city.edge_tag[order], line[order], pos[order]
    start = np.ones(a.size, dtype=bool)
    start[1:] = (a[1:] != b[:-1]) | (tag[1:] != tag[:-1]) | (line[1:] != line[:-1])
    start |= pos % _WAY_MAX_EDGES == 0
    bounds = np.append(np.flatnonzero(start), a.size)
    ids = net.osm_ids if net.osm_ids is not None else np.arange(1, net.n_nodes + 1)
    # Expressway nodes: own ids after the street nodes, half a block north of the middle row.
    row = city.grid_i == city.spec.n // 3
    ex_lon = np.sort(city.lon[row])[::4]
    ex_lat = np.full(ex_lon.size, float(np.median(city.lat[row])) + 1e-4)
    ex_ids = ids[-1] + 1 + np.arange(ex_lon.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    node = osmium.osm.mutable.Node
    way = osmium.osm.mutable.Way
    with osmium.SimpleWriter(str(path)) as writer:
        for k, lo, la in zip(ids.tolist(), city.lon.tolist(), city.lat.tolist(), strict=True):
            writer.add_node(node(id=k, location=(lo, la)))
        for k, lo, la in zip(ex_ids.tolist(), ex_lon.tolist(), ex_lat.tolist(), strict=True):
            writer.add_node(node(id=k, location=(lo, la)))
        refs_a, refs_b = ids[a].tolist(), ids[b].tolist()
        for w, (s, e) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)):
            refs = [*refs_a[s:e], refs_b[e - 1]]
            tags = {"highway": _TAGS[int(tag[s])], "name": f"路{int(line[s])}"}
            writer.add_way(way(id=w + 1, nodes=refs, tags=tags))
        writer.add_way(way(id=bounds.size + 1, nodes=ex_ids.tolist(), tags={"highway": "motorway"}))
    return path


def write_project(city: City, folder: Path, preset: str = "zhoukou-2022", pbf: Path | None = None) -> Path:
    """Write ``communities.csv``, ``facilities.csv``, the PBF (unless given) and ``geoplan.toml``."""
    folder.mkdir(parents=True, exist_ok=True)
    city.communities.to_csv(folder / "communities.csv", index=False)
    city.facilities.to_csv(folder / "facilities.csv", index=False)
    pbf = pbf or write_pbf(city, folder / "city.osm.pbf")
    toml = folder / "geoplan.toml"
    toml.write_text(f"""# Generated by benchmarks/citygen.py ({city.spec.tag}); not committed.
[project]
title = "Generated city, {city.network.n_nodes:,} nodes (benchmark)"
preset = "{preset}"
crs = "EPSG:4549"

[communities]
path = "communities.csv"
crs = "WGS84"
x = "lon"
y = "lat"
[communities.fields]
community_id = "community_id"
name = "name"
households = "households"
build_year = "build_year"

[facilities]
path = "facilities.csv"
crs = "WGS84"
x = "lon"
y = "lat"
[facilities.fields]
facility_id = "facility_id"
name = "name"
facility_type = "type"
floor_area_m2 = "floor_area_m2"
slots = "slots"
beds = "beds"
community_id = "community_id"

[network]
path = "{pbf.resolve().as_posix()}"
max_snap_m = 300

[audit]
household_size = 2.5
""", encoding="utf-8")
    return toml
