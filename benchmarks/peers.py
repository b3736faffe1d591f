"""The reach question answered by geoplan's peers, on the very graph geoplan attached the points to.

Every contender gets the same :class:`Question`: the attached network's edges (one per undirected pair, the
shortest, as in geoplan's CSR), the source nodes of each facility-type set, the community nodes, the rule
distance and the search limit. Attaching points to the network is geoplan's work and is *not* charged to the
peers. Each answer is checked against geoplan's distances.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geoplan.network import Network

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class TypeSet:
    """One reach rule's facility types: where the facilities and communities are, and geoplan's answer."""

    name: str
    sources: IntArray  # distinct facility nodes
    targets: IntArray  # community nodes (attached ones)
    threshold_m: float
    geoplan_m: FloatArray  # geoplan's distance per target (inf beyond the limit)


@dataclass(frozen=True)
class Question:
    """The graph (deduplicated undirected edges) and the type sets."""

    x: FloatArray
    y: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    limit_m: float
    sets: list[TypeSet]

    @classmethod
    def from_network(cls, net: Network, limit_m: float, sets: list[TypeSet]) -> Question:
        """The edges of ``net`` as geoplan searches them (its CSR's upper triangle)."""
        upper = sp.triu(net.to_csr(), k=1).tocoo()
        return cls(net.x, net.y, upper.row.astype(np.int64), upper.col.astype(np.int64), upper.data, limit_m, sets)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.size)

    def save(self, path: Path) -> None:
        """Write the question to ``path`` (.npz), for a peer run in another process."""
        arrays: dict[str, Any] = {"x": self.x, "y": self.y, "u": self.u, "v": self.v, "length": self.length,
                                  "limit_m": self.limit_m, "names": np.array([ts.name for ts in self.sets])}
        for k, ts in enumerate(self.sets):
            arrays |= {f"sources{k}": ts.sources, f"targets{k}": ts.targets, f"threshold{k}": ts.threshold_m,
                       f"geoplan{k}": ts.geoplan_m}
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> Question:
        """Read a question written by :meth:`save`."""
        with np.load(path) as z:
            sets = [TypeSet(str(name), z[f"sources{k}"], z[f"targets{k}"], float(z[f"threshold{k}"]),
                            z[f"geoplan{k}"]) for k, name in enumerate(z["names"])]
            return cls(z["x"], z["y"], z["u"], z["v"], z["length"], float(z["limit_m"]), sets)


@dataclass
class Timing:
    """Wall and CPU seconds of one contender, with notes and checks; ``unfinished`` when stopped at a limit."""

    name: str
    wall: float = 0.0
    cpu: float = 0.0
    note: str = ""
    check: str = ""
    parts: dict[str, float] = field(default_factory=dict)
    unfinished: bool = False


@contextlib.contextmanager
def clock(timing: Timing, part: str | None = None) -> Iterator[None]:
    """Add the wall and CPU time of the block to ``timing`` (and to ``timing.parts[part]``, wall)."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    dw, dc = time.perf_counter() - wall, time.process_time() - cpu
    timing.wall += dw
    timing.cpu += dc
    if part:
        timing.parts[part] = timing.parts.get(part, 0.0) + dw


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C++ code that prints to file descriptor 1 (pandana's progress bars)."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def agreement(ts: TypeSet, dist: FloatArray, tol: float = 0.01) -> str:
    """How a contender's distances compare with geoplan's on the targets."""
    ours = ts.geoplan_m
    both = np.isfinite(ours) & np.isfinite(dist)
    differ = int(np.count_nonzero(np.isfinite(ours) != np.isfinite(dist)))
    worst = float(np.max(np.abs(ours[both] - dist[both]), initial=0.0))
    return "same" if differ == 0 and worst <= tol else f"{differ} reach differ, max |Δ| {worst:.3g} m"


def bare_scipy(q: Question, repeat: int = 3) -> Timing:
    """CSR from the edge arrays, then one csgraph multi-source Dijkstra per type set: the floor (best of 3)."""
    runs = [_bare_scipy(q) for _ in range(repeat)]
    best = min(runs, key=lambda t: t.wall)
    best.note += f"; best of {repeat}"
    return best


def _bare_scipy(q: Question) -> Timing:
    t = Timing("bare scipy csgraph", note="csr_array + dijkstra(min_only, limit) per type set")
    checks = []
    with clock(t, "build"):
        n = q.n_nodes
        graph = sp.csr_array((np.concatenate([q.length, q.length]),
                              (np.concatenate([q.u, q.v]), np.concatenate([q.v, q.u]))), shape=(n, n))
    for ts in q.sets:
        with clock(t, "query"):
            d = dijkstra(graph, directed=True, indices=ts.sources, min_only=True, limit=q.limit_m)[ts.targets]
        checks.append(agreement(ts, d))
    t.check = "; ".join(checks)
    return t


def nx_graph(q: Question) -> tuple[Any, Timing]:
    """The osmnx graph type: a MultiDiGraph with both directions of every street and a ``length``."""
    import networkx as nx

    t = Timing("networkx graph build", note="MultiDiGraph, both directions, length attribute (as osmnx)")
    with clock(t):
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(range(q.n_nodes))
        u, v, w = q.u.tolist(), q.v.tolist(), q.length.tolist()
        graph.add_edges_from((a, b, {"length": c}) for a, b, c in zip(u, v, w, strict=True))
        graph.add_edges_from((b, a, {"length": c}) for a, b, c in zip(u, v, w, strict=True))
    return graph, t


def nx_multi_source(graph: Any, q: Question) -> Timing:
    """``multi_source_dijkstra_path_length`` per type set, cut off at the search limit."""
    import networkx as nx

    t = Timing("networkx multi_source_dijkstra_path_length", note="per type set, cutoff = limit")
    checks = []
    for ts in q.sets:
        with clock(t):
            lengths = nx.multi_source_dijkstra_path_length(graph, set(ts.sources.tolist()), cutoff=q.limit_m,
                                                           weight="length")
            d = np.array([lengths.get(k, np.inf) for k in ts.targets.tolist()])
        checks.append(agreement(ts, d))
    t.check = "; ".join(checks)
    return t


def nx_ego(graph: Any, q: Question, sample: int, seed: int = 0) -> Timing:
    """``ego_graph(radius = rule distance)`` per facility (the osmnx isochrone tutorial): sampled, extrapolated.

    The covered communities of the sampled facilities must all be within the rule distance by geoplan.
    """
    import networkx as nx

    t = Timing("networkx ego_graph per facility")
    rng = np.random.default_rng(seed)
    per, total, checks = [], 0.0, []
    for ts in q.sets:
        picked = rng.choice(ts.sources, min(sample, ts.sources.size), replace=False)
        probe = Timing("ego")
        covered: set[int] = set()
        for s in picked.tolist():
            with clock(probe):
                ego = nx.ego_graph(graph, s, radius=ts.threshold_m, distance="length")
            covered.update(ego.nodes)
        mean_wall, mean_cpu = probe.wall / picked.size, probe.cpu / picked.size
        per.append(mean_wall)
        total += mean_wall * ts.sources.size
        t.cpu += mean_cpu * ts.sources.size
        hit = np.isin(ts.targets, np.fromiter(covered, dtype=np.int64))
        bad = int(np.count_nonzero(ts.geoplan_m[hit] > ts.threshold_m + 1e-6))
        checks.append("sample coverage consistent" if bad == 0 else f"{bad} covered targets beyond the distance")
    t.wall = total
    t.note = (f"extrapolated: {sample} sampled facilities per type set, mean "
              f"{', '.join(f'{p * 1000:.1f}' for p in per)} ms each, × {sum(ts.sources.size for ts in q.sets)}")
    t.check = "; ".join(checks)
    return t


def pandana_run(q: Question) -> Timing:
    """pandana: contraction-hierarchy build, then ``set_pois`` + ``nearest_pois`` per type set."""
    import pandana

    t = Timing("pandana (build + query)", note=f"pandana {pandana.__version__}, CH on all cores")
    checks = []
    nodes = pd.RangeIndex(q.n_nodes)
    with clock(t, "build"), quiet_stdout():
        net = pandana.Network(pd.Series(q.x, index=nodes), pd.Series(q.y, index=nodes), pd.Series(q.u),
                              pd.Series(q.v), pd.DataFrame({"length": q.length}), twoway=True)
    for ts in q.sets:
        with clock(t, "query"), quiet_stdout():
            net.set_pois(ts.name, q.limit_m, 1, pd.Series(q.x[ts.sources]), pd.Series(q.y[ts.sources]))
            table = net.nearest_pois(q.limit_m, ts.name, num_pois=1)
            d = table[1].to_numpy(dtype=np.float64)[ts.targets]
        d[d >= q.limit_m] = np.inf  # pandana fills "none within" with the search distance
        checks.append(agreement(ts, d))
    t.check = "; ".join(checks)
    return t


def pandana_bounded(q: Question, timeout_s: float, work: Path) -> Timing:
    """:func:`pandana_run` in a child process, stopped after ``timeout_s`` (its CH build can take very long)."""
    import subprocess
    import sys

    path = work / "question.npz"
    q.save(path)
    repo = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.peers", str(path)], cwd=repo, capture_output=True,
                             text=True, check=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Timing("pandana (build + query)", wall=timeout_s, cpu=float("nan"), unfinished=True,
                      note=f"stopped after {timeout_s:,.0f} s, still building its contraction hierarchy")
    return Timing(**json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":  # python -m benchmarks.peers QUESTION.npz: pandana on a saved question, JSON out
    import sys

    print(json.dumps(asdict(pandana_run(Question.load(Path(sys.argv[1]))))))
