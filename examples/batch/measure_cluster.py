"""Measure a batch on a Dask LocalCluster, and the memory a county-sized area needs: the figures of
``docs/batch-dask.md``.

    python examples/batch/measure_cluster.py [--shared ../shared] [--workers 2] [--grid 250 500 700]

1. Builds the Hangzhou tiles, runs ``hangzhou-and-five-cities.toml`` on a LocalCluster (``--workers``
   processes, one thread each) into a scratch folder, and prints per-area wall time, audit time, peak worker
   memory, the bytes sent to and returned by the workers, and the size of each area's folder.
2. For street grids of ``n × n`` nodes (a county's walking network has 10⁴–10⁶ nodes), in a fresh process
   each: attach 3,000 communities and 300 facilities, run the nearest-facility search, and print time and
   peak memory, so that memory per worker can be set for areas larger than the examples.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyproj

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_hangzhou_tiles import build_tiles  # noqa: E402

log = logging.getLogger("measure_cluster")


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def measure_batch(shared: Path, workers: int) -> dict[str, object]:
    """Run the example batch on a LocalCluster; per-area and total figures."""
    from distributed import LocalCluster

    from geoplan.batch import load_batch, run_batch

    scratch = Path(tempfile.mkdtemp(prefix="geoplan-measure-"))
    tiles = scratch / "tiles"
    build_tiles(shared, tiles)
    spec = load_batch(HERE / "hangzhou-and-five-cities.toml", out=scratch / "out",
                      variables={"shared": str(shared / "data"), "tiles": str(tiles)})
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        started = time.perf_counter() - t0
        report = run_batch(spec, scheduler=cluster.scheduler_address, progress=False)
    areas = []
    for area, outcome in zip(spec.areas, report.outcomes, strict=True):
        marker = json.loads((area.out_dir / "area.json").read_text(encoding="utf-8"))
        areas.append({"id": area.id, "status": outcome.status, "seconds": round(outcome.seconds, 2),
                      "audit_seconds": round(outcome.audit_seconds, 2), "peak_rss_mb": round(outcome.peak_rss_mb),
                      "folder_mb": round(_folder_mb(area.out_dir), 2), "worker": outcome.worker,
                      "communities": marker.get("counts", {}).get("communities")})
    return {
        "workers": workers, "cluster_start_s": round(started, 1), "batch_s": round(report.seconds, 1),
        "areas": areas, "bytes_out": report.bytes_out, "bytes_back": report.bytes_back,
        "spec_bytes_per_area": round(report.bytes_out / len(spec.areas)),
        "median_area_s": statistics.median(a["seconds"] for a in areas),
        "max_peak_rss_mb": max(a["peak_rss_mb"] for a in areas),
        "consolidated_mb": round(sum(p.stat().st_size for p in spec.out.iterdir() if p.is_file()) / 2**20, 2),
        "out": str(spec.out),
    }


def _grid_probe(n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from geoplan.network import Network, attach_points, nearest_source

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    step = 80.0
    i, j = np.divmod(np.arange(n * n, dtype=np.int64), n)
    node = i * n + j
    right, up = node[j < n - 1], node[i < n - 1]
    u, v = np.concatenate([right, up]), np.concatenate([right + 1, up + n])
    net = Network(x=500_000 + j * step, y=3_300_000 + i * step, u=u, v=v, length=np.full(u.size, step),
                  crs=pyproj.CRS.from_epsg(4549), source=f"grid {n}x{n}")
    rng = np.random.default_rng(0)
    extent = (n - 1) * step
    pts = {k: np.column_stack([500_000 + rng.uniform(0, extent, m), 3_300_000 + rng.uniform(0, extent, m)])
           for k, m in (("communities", 3000), ("facilities", 300))}
    graph, att = attach_points(net, pts, max_snap_m=300.0)
    nearest_source(graph, att["facilities"].node, att["communities"].node, limit_m=1125.0 * 1.5)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"nodes": n * n, "edges": int(u.size), "seconds": round(time.perf_counter() - t0, 2),
               "peak_rss_mb": round(peak), "above_import_mb": round(peak - base)})


def measure_grid(n: int) -> dict[str, object]:
    """Time and peak memory of attach + nearest search on an n × n grid, in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_grid_probe, args=(n, queue))
    proc.start()
    result: dict[str, object] = queue.get()
    proc.join()
    return result


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--grid", type=int, nargs="*", default=[250, 500, 700])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = {"batch": measure_batch(args.shared, args.workers),
               "grids": [measure_grid(n) for n in args.grid]}
    json.dump(figures, sys.stdout, ensure_ascii=False, indent=1, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
