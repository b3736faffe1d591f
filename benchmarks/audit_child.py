"""One full preset audit, as a user runs it, in its own process: ``python -m benchmarks.audit_child TOML CACHE [OUT]``.

Prints one JSON line: wall and CPU seconds of ``geoplan.audit(project)``, the process's peak RSS, and where
the wall time went (network load, attaching, each rule kind, the gap-map service areas; the rest is reading the
layers, the network check and assembling the result). The network cache folder is given, so the caller chooses a
cold (empty) or a warm cache. With OUT, every output ``geoplan audit --out OUT`` writes is written too (as the CLI
does, ``write_all``), timed as "outputs written" and included in the totals.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


def _timed(phases: dict[str, float], key: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            phases[key] = phases.get(key, 0.0) + time.perf_counter() - start

    return wrapper


def _peak_rss() -> int:
    # VmHWM belongs to this program's address space; ru_maxrss on Linux also keeps the high-water mark of the
    # parent's pages from before exec, which would charge the benchmark runner's memory to the audit.
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def main(argv: list[str]) -> int:
    """Run the audit of ``argv[0]`` with the network cache in ``argv[1]``; print the JSON report."""
    toml, cache, *out = argv
    os.environ["GEOPLAN_CACHE_DIR"] = cache
    import geoplan
    from geoplan.rules import KINDS

    audit_module = importlib.import_module("geoplan.audit")
    phases: dict[str, float] = {}
    audit_module.load_network = _timed(phases, "network load", audit_module.load_network)  # type: ignore[attr-defined]
    audit_module.Access = _timed(phases, "attach points", audit_module.Access)  # type: ignore[attr-defined]
    audit_module.service_areas = _timed(phases, "service areas", audit_module.service_areas)  # type: ignore[attr-defined]
    for kind, module in list(KINDS.items()):
        KINDS[kind] = SimpleNamespace(KIND=kind, check_params=module.check_params,  # type: ignore[assignment]
                                      evaluate=_timed(phases, f"rules: {kind}", module.evaluate))
    wall, cpu = time.perf_counter(), time.process_time()
    result = geoplan.audit(toml)
    if out:
        from geoplan.outputs.write import write_all

        _timed(phases, "outputs written", write_all)(result, out[0])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak_rss()
    phases["layers, result (rest)"] = wall - sum(phases.values())
    print(json.dumps({
        "wall": wall, "cpu": cpu, "peak_rss": peak, "phases": phases,
        "communities": len(result.communities), "rules": len(result.rule_results),
        "nodes": result.network.n_nodes if result.network is not None else 0,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
