"""City-scale speed: geoplan's reach audit against its peers, the full preset audit, the network load.

Usage (from anywhere)::

    python benchmarks/run.py                  # real Hangzhou + a generated ~1M-node city (20k / 5k points)
    python benchmarks/run.py --quick          # real Hangzhou + a ~100k-node city (4k / 1k): a couple of minutes
    python benchmarks/run.py --skip-peers ego nx pandana

Peers (optional, not geoplan dependencies): networkx, pandana. The generated city, its PBF and the project are
cached under ``benchmarks/_cache/`` (not committed). The report is Markdown on stdout; see RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import citygen, peers, report  # noqa: E402
from benchmarks.cases import Case, city_case, geoplan_reach, hangzhou_case, prepare  # noqa: E402
from benchmarks.peers import Timing, clock  # noqa: E402
from geoplan.network import load_network  # noqa: E402

PEER_NAMES = ("ego", "nx", "pandana", "scipy")
# Issue #18: the full audit (outputs written) in <= 12 s from the PBF and <= 5 s from the cache, <= 2 GiB; the reach
# step <= 1.3x the bare scipy pass. (The ego_graph and pandana targets are those of the first city-scale issue.)
TARGETS = {"ego": 100.0, "pandana": 5.0, "scipy": 1.3, "audit_s": 12.0, "audit_warm_s": 5.0, "rss_gb": 2.0}


def machine() -> str:
    """One line about the machine, the libraries and the date."""
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in ("numpy", "scipy", "shapely", "osmium", "networkx", "pandana"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return (f"{dt.datetime.now().isoformat(timespec='minutes')} · {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB · "
            f"Python {platform.python_version()} · {', '.join(versions)}")


def load_avg() -> str:
    """The 1-minute load average (other work on the machine inflates wall times)."""
    return f"{os.getloadavg()[0]:.1f}"


def audit_subprocess(toml: Path, cache: Path) -> dict[str, Any]:
    """``geoplan.audit(toml)`` and its outputs in a fresh interpreter with the given network cache folder."""
    with tempfile.TemporaryDirectory() as out_dir:
        out = subprocess.run([sys.executable, "-m", "benchmarks.audit_child", str(toml), str(cache),
                              str(Path(out_dir) / "out")], cwd=REPO, capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def run_case(case: Case, skip: set[str], sample: int, pandana_timeout: float) -> dict[str, Any]:
    """Every measurement of one case."""
    res: dict[str, Any] = {"case": case, "load_start": load_avg(), "rows": []}
    rows: list[Timing] = res["rows"]
    load = Timing("network load from PBF", note="read_osm: pyosmium + NumPy")
    with clock(load):
        net = load_network(case.pbf)
    rows.append(load)
    with tempfile.TemporaryDirectory() as tmp:
        load_network(case.pbf, cache=True, cache_dir=tmp)
        cached = Timing("network load from cache", note="npz keyed by the file's SHA-256 (hashing included)")
        with clock(cached):
            load_network(case.pbf, cache=True, cache_dir=tmp)
        rows.append(cached)
    res["network"] = f"{net.n_nodes:,} nodes, {net.n_edges:,} edges, {net.total_length_m / 1000:,.0f} km"
    layers = prepare(case.toml)
    attach, ours, question = geoplan_reach(net, layers)
    rows += [attach, ours]
    res["attach"], res["ours"] = attach, ours
    contenders: dict[str, Timing] = {}
    if "scipy" not in skip:
        contenders["scipy"] = peers.bare_scipy(question)
    if "pandana" not in skip:
        if importlib.util.find_spec("pandana") is None:
            res["pandana_skipped"] = "pandana is not installed (pip install pandana)"
        else:
            with tempfile.TemporaryDirectory() as tmp:
                contenders["pandana"] = peers.pandana_bounded(question, pandana_timeout, Path(tmp))
    if {"nx", "ego"} - skip:
        graph, build = peers.nx_graph(question)
        rows.append(build)
        gc.freeze()  # millions of graph objects: keep the cyclic GC from re-scanning them during the timings
        if "nx" not in skip:
            contenders["nx"] = peers.nx_multi_source(graph, question)
        if "ego" not in skip:
            contenders["ego"] = peers.nx_ego(graph, question, sample)
        del graph
        gc.unfreeze()
        gc.collect()
    rows += list(contenders.values())
    res["contenders"] = contenders
    with tempfile.TemporaryDirectory() as tmp:
        res["audit_cold"] = audit_subprocess(case.toml, Path(tmp))
        res["audit_warm"] = audit_subprocess(case.toml, Path(tmp))
    res["load_end"] = load_avg()
    return res


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~100k-node city instead of ~1M")
    parser.add_argument("--skip-peers", nargs="*", default=[], choices=PEER_NAMES, metavar="PEER",
                        help=f"leave out some of {', '.join(PEER_NAMES)}")
    parser.add_argument("--sample", type=int, default=20, help="facilities sampled per type set for ego_graph")
    parser.add_argument("--pandana-timeout", type=float, default=1800.0,
                        help="stop pandana after this many seconds (its CH build is slow on grid-like cities)")
    parser.add_argument("--no-hangzhou", action="store_true", help="only the generated city")
    parser.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "_cache",
                        help="where the generated city is kept (default benchmarks/_cache)")
    args = parser.parse_args(argv)
    skip = set(args.skip_peers)
    spec = (citygen.CitySpec.for_nodes(100_000, communities=4_000, facilities=1_000) if args.quick
            else citygen.CitySpec.for_nodes(1_000_000))
    print(f"## geoplan city-scale benchmark{' (--quick)' if args.quick else ''}\n\n{machine()}\n")
    cases: list[tuple[Case, bool]] = []
    if not args.no_hangzhou:
        hz = hangzhou_case(args.cache / "hangzhou")
        if isinstance(hz, str):
            print(f"Hangzhou case {hz}\n")
        else:
            cases.append((hz, False))
    cases.append((city_case(spec, args.cache), True))
    for case, judged in cases:
        res = run_case(case, skip, args.sample, args.pandana_timeout)
        text, verdicts = report.case_report(res, TARGETS if judged else None)
        print(text + "\n", flush=True)
        if judged:
            print(report.verdict_block(verdicts, args.quick) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
