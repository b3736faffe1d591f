"""The walking network as plain arrays: node coordinates, undirected edges, lengths in metres.

A :class:`Network` is what every reader produces (OSM, road-centreline layers, GraphML) and what snapping and
shortest paths consume. It is deliberately not a networkx graph: a city of a million nodes fits in a few
tens of megabytes of NumPy arrays and goes straight into :mod:`scipy.sparse.csgraph`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from geoplan import _hints, settings
from geoplan._errors import Hint, NetworkError

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.network.snap import EdgeIndex

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _frozen(values: ArrayLike, dtype: type[np.generic]) -> NDArray[np.generic]:
    # A private, read-only, contiguous copy: the dataclass is frozen, so its arrays should be too.
    arr = np.array(values, dtype=dtype, copy=True).reshape(-1)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Network:
    """An undirected walking network in a metric CRS.

    Parameters
    ----------
    x, y : ndarray of float64, shape (n_nodes,)
        Node coordinates in ``crs`` (metres): easting and northing, in that order, whatever axis order the
        CRS declares (CGCS2000 Gauss-Krüger zones declare northing first; geoplan, like geopandas and
        ``always_xy=True`` in pyproj, always uses x = easting).
    u, v : ndarray of int64, shape (n_edges,)
        Edge endpoints (node indices). Edges are undirected; parallel edges and self-loops are allowed
        here and resolved in :meth:`to_csr`.
    length : ndarray of float64, shape (n_edges,)
        Edge lengths in metres, finite and >= 0. For networks built by geoplan this is the straight-line
        length of the segment between its two nodes.
    crs : pyproj.CRS
        A projected CRS in metres.
    source : str
        Where the network came from (a file path, or a description).
    osm_ids : ndarray of int64, shape (n_nodes,), optional
        OSM node id of each node; -1 for nodes geoplan created (split and point nodes when snapping).

    Notes
    -----
    The arrays are copied and made read-only on construction. ``eq`` is disabled because element-wise array
    comparison has no single truth value; compare the arrays explicitly.
    """

    x: FloatArray
    y: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    crs: pyproj.CRS
    source: str = ""
    osm_ids: IntArray | None = None

    def __post_init__(self) -> None:
        """Copy and check the arrays; raise :class:`NetworkError` when they are inconsistent."""
        for name in ("x", "y", "length"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))
        for name in ("u", "v"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.int64))
        if self.osm_ids is not None:
            object.__setattr__(self, "osm_ids", _frozen(self.osm_ids, np.int64))
        object.__setattr__(self, "crs", pyproj.CRS.from_user_input(self.crs))
        where = f" (network from {self.source})" if self.source else ""
        n, m = self.x.size, self.u.size
        if self.y.size != n or (self.osm_ids is not None and self.osm_ids.size != n):
            msg = f"node arrays differ in length: x {n}, y {self.y.size}{where}"
            raise NetworkError(msg, hint=_hints.API_ARGUMENT)
        if self.v.size != m or self.length.size != m:
            msg = f"edge arrays differ in length: u {m}, v {self.v.size}, length {self.length.size}{where}"
            raise NetworkError(msg, hint=_hints.API_ARGUMENT)
        if m and (min(self.u.min(), self.v.min()) < 0 or max(self.u.max(), self.v.max()) >= n):
            msg = f"edge endpoints must be node indices in 0..{n - 1}{where}"
            raise NetworkError(msg, hint=_hints.API_ARGUMENT)
        if m and not (np.isfinite(self.length).all() and (self.length >= 0).all()):
            bad = int(np.count_nonzero(~(np.isfinite(self.length) & (self.length >= 0))))
            msg = f"{bad} edge lengths are negative or not finite{where}"
            raise NetworkError(msg, hint=_hints.API_ARGUMENT)
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            msg = f"node coordinates must be finite{where}"
            raise NetworkError(msg, hint=_hints.API_ARGUMENT)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        """Number of edges as stored (parallel edges and self-loops included)."""
        return int(self.u.size)

    @property
    def total_length_m(self) -> float:
        """Sum of all stored edge lengths, in metres."""
        return float(self.length.sum())

    def to_csr(self) -> sp.csr_array:
        """Symmetric sparse adjacency matrix of edge lengths, for :mod:`scipy.sparse.csgraph`.

        Parallel edges keep their minimum length, self-loops are dropped, and zero lengths are raised to
        ``settings.min_edge_length_m``. The matrix is built once and cached; do not modify it.

        Returns
        -------
        scipy.sparse.csr_array
            Shape (n_nodes, n_nodes), float64.
        """
        return self._csr

    @cached_property
    def _csr(self) -> sp.csr_array:
        n = self.n_nodes
        keep = self.u != self.v  # self-loops never shorten a path
        a = np.minimum(self.u, self.v)[keep]
        b = np.maximum(self.u, self.v)[keep]
        w = self.length[keep]
        # A zero entry in a sparse matrix means "no edge" to scipy: csgraph ignores explicit zeros in some
        # code paths and any eliminate_zeros()/arithmetic drops them. A zero-length edge (two OSM nodes at the
        # same spot, a split exactly at a vertex) is a real connection, so it gets a negligible positive
        # length instead of silently vanishing and cutting the graph in two.
        w = np.maximum(w, settings.min_edge_length_m)
        # Fast path: COO -> CSR sums duplicates, so when the matrix keeps all 2 x len(a) entries there were none
        # (a network straight from OSM or a generator has none, and this costs a tenth of sorting the keys).
        graph = sp.csr_array((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                             shape=(n, n))
        if graph.nnz == 2 * a.size:
            return graph
        # Summing would turn two parallel 50 m edges into one 100 m edge. Sort by (pair, length) and keep the
        # first, i.e. the shortest, of each undirected pair.
        key = a * np.int64(n) + b
        order = np.lexsort((w, key))
        key, a, b, w = key[order], a[order], b[order], w[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        a, b, w = a[first], b[first], w[first]
        rows = np.concatenate([a, b])
        cols = np.concatenate([b, a])
        data = np.concatenate([w, w])
        return sp.csr_array((data, (rows, cols)), shape=(n, n))

    @cached_property
    def edge_index(self) -> EdgeIndex:
        """A k-d tree of the edges (:class:`~geoplan.network.snap.EdgeIndex`), built on first use and kept."""
        from geoplan.network.snap import EdgeIndex

        return EdgeIndex(self)

    def components(self) -> IntArray:
        """Connected-component label of every node, 0 being the largest component.

        Returns
        -------
        ndarray of int64, shape (n_nodes,)
            Labels ordered by component size, descending (ties by lowest node index).
        """
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        _, labels = connected_components(self.to_csr(), directed=False)
        sizes = np.bincount(labels)
        first_node = np.full(sizes.size, self.n_nodes, dtype=np.int64)
        np.minimum.at(first_node, labels, np.arange(self.n_nodes, dtype=np.int64))
        rank = np.empty(sizes.size, dtype=np.int64)
        rank[np.lexsort((first_node, -sizes))] = np.arange(sizes.size, dtype=np.int64)
        return rank[labels]

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The edges as straight LineStrings, for maps.

        Returns
        -------
        GeoDataFrame
            Columns ``u``, ``v``, ``length_m`` and ``geometry``, one row per stored edge, in ``crs``.
        """
        import geopandas as gpd

        start = np.column_stack([self.x[self.u], self.y[self.u]])
        end = np.column_stack([self.x[self.v], self.y[self.v]])
        coords = np.stack([start, end], axis=1)
        geometry = shapely.linestrings(coords) if self.n_edges else np.empty(0, dtype=object)
        return gpd.GeoDataFrame(
            {"u": self.u, "v": self.v, "length_m": self.length}, geometry=geometry, crs=self.crs
        )

    def __repr__(self) -> str:
        """Short summary (the arrays are too long to print)."""
        return (
            f"Network({self.n_nodes:,} nodes, {self.n_edges:,} edges, {self.total_length_m / 1000:.1f} km, "
            f"crs={self.crs.to_string()!r}, source={self.source!r})"
        )


def check_metric(crs: pyproj.CRS, what: str) -> None:
    """Raise :class:`NetworkError` unless ``crs`` is projected with metre axes.

    Parameters
    ----------
    crs : pyproj.CRS
        The CRS to check.
    what : str
        Named in the message (e.g. the file being read).
    """
    units = {(axis.unit_name or "").lower() for axis in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter", "metres", "meters"}:
        msg = (
            f"{what}: network lengths must be measured in a projected CRS in metres, got {crs.name!r}"
        )
        raise NetworkError(msg, hint=Hint(zh="用 crs=None 自动选择当地 CGCS2000 高斯-克吕格带，或如 crs='EPSG:4549'",
                                          en="pass crs=None to choose the local CGCS2000 Gauss-Krüger zone, or "
                                             "e.g. crs='EPSG:4549'"))
