"""Gap map at city scale: file size and time to open in headless Chromium, 20k communities.

Usage::

    python benchmarks/map_bench.py [--communities 20000] [--runs 3]

A generated city (benchmarks/citygen.py, ~250k street nodes) is audited under zhoukou-2022 and its gap map is
written with the service areas and the offline street context (the audit's network, simplified at city
scale); the page is opened ``--runs`` times in a fresh Chromium and the time until the map reports ready
(``geoplan.readyMs``, from navigation start) is printed beside the issue's targets (≤ 10 MB, ≤ 2 s). Nothing
here is asserted in the unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import geoplan  # noqa: E402
from benchmarks import citygen  # noqa: E402
from geoplan.outputs._chromium import chromium_context  # noqa: E402
from geoplan.outputs.maps import MapContext, write_gap_map  # noqa: E402

TARGET_MB, TARGET_S = 10.0, 2.0


def main() -> None:
    """Build, write and open the map; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    spec = citygen.CitySpec.for_nodes(args.nodes, communities=args.communities, facilities=args.communities // 4)
    work = Path(tempfile.mkdtemp(prefix="geoplan-map-bench-"))
    project = citygen.write_project(citygen.generate(spec), work)
    t0 = time.perf_counter()
    result = geoplan.audit(project)
    audit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    context = MapContext.for_audit(project, result)
    path = write_gap_map(result, work / "gap_map.html", service_areas=result.service_areas, context=context)
    write_s = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    ready = []
    for _ in range(args.runs):
        with chromium_context() as context:
            page = context.new_page()
            page.goto(path.as_uri())
            page.wait_for_function("window.geoplan && window.geoplan.ready === true", timeout=120_000)
            ready.append(float(page.evaluate("geoplan.readyMs")) / 1000)
    open_s = statistics.median(ready)
    print(f"| figure | value | target |\n|---|---|---|\n"
          f"| communities | {len(result.communities):,} | 20,000 |\n"
          f"| street nodes | {result.network.n_nodes if result.network else 0:,} | |\n"
          f"| street strokes drawn (shortest left out) | {_streets(path)} | |\n"
          f"| audit (s) | {audit_s:.1f} | |\n| map written (s) | {write_s:.1f} | |\n"
          f"| file size (MB) | {size_mb:.1f} | ≤ {TARGET_MB:g} ({size_mb / TARGET_MB:.2f}×) |\n"
          f"| open in Chromium, median of {args.runs} (s) | {open_s:.2f} | ≤ {TARGET_S:g} "
          f"({open_s / TARGET_S:.2f}×) |")


def _streets(path: Path) -> str:
    """Street polylines in the page's payload, and the short dead-end pieces left out."""
    import json
    import re

    text = path.read_text(encoding="utf-8")
    match = re.search(r'id="geoplan-data">(.*?)</script>', text, re.S)
    streets = ((json.loads(match.group(1)) if match else {}).get("context") or {}).get("streets") or {}
    return f"{len(streets.get('lines', [])):,} ({streets.get('dropped', 0):,})"


if __name__ == "__main__":
    main()
