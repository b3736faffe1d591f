"""Floating catchment at city scale: geoplan's sparse pairs + 2SFCA against PySAL ``access`` on the same inputs.

Usage (from anywhere)::

    python benchmarks/catchment_bench.py            # the generated ~1M-node city, 20k communities, 5k facilities
    python benchmarks/catchment_bench.py --quick    # a ~100k-node city (4k / 1k)

What is timed (wall and CPU seconds, geoplan best of 3):

* **geoplan pairs** — :func:`geoplan.catchment_pairs.catchment_pairs`: every facility-community pair within
  15 min × 75 m/min = 1125 m over the attached network (grid cells, bounded Dijkstra on induced subgraphs);
* **geoplan 2SFCA / E2SFCA engine** — :func:`geoplan.rules._fca.two_step` on those pairs;
* **geoplan catchment rule** — :func:`geoplan.rules.catchment.evaluate` as the audit runs it (pairs, demand,
  both steps, the community table and the city indicator);
* **PySAL access** — ``Access.two_stage_fca`` / ``enhanced_two_stage_fca`` on the *same* cost table (the pairs:
  ``access`` takes costs, it does not compute them), numbers checked against geoplan's to 1e-9;
* **scipy dense rows (sampled)** — what the pairs would cost with ``dijkstra(indices=..., limit=...)`` on the
  whole graph (``geoplan.network.distances_within``): ``--sample`` facilities timed, extrapolated to all.

Every facility of the city is a source (supply = 1 each, ``count``), demand = households. The attachment of the
points to the network (as the audit does it once for all rules) is timed separately. The city and its PBF are
cached under ``benchmarks/_cache/`` (shared with ``run.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import citygen  # noqa: E402
from benchmarks.cases import city_case, prepare  # noqa: E402
from benchmarks.peers import Timing, clock  # noqa: E402
from geoplan.access import Access  # noqa: E402
from geoplan.catchment_pairs import catchment_pairs  # noqa: E402
from geoplan.network import distances_within, load_network  # noqa: E402
from geoplan.rules import catchment  # noqa: E402
from geoplan.rules._fca import decay_weights, two_step  # noqa: E402
from geoplan.rules.base import Citation, Rule, RuleContext  # noqa: E402

MINUTES, SPEED = 15.0, 75.0
LIMIT = MINUTES * SPEED
STEPS = {375.0: 1.0, 750.0: 0.68, LIMIT: 0.22}  # Luo & Qi's weights on thirds of the catchment


def best_of(name: str, note: str, fn: Any, repeat: int = 3) -> tuple[Timing, Any]:
    """Run ``fn`` ``repeat`` times; the fastest timing and the last result."""
    best: Timing | None = None
    out = None
    for _ in range(repeat):
        t = Timing(name, note=note)
        with clock(t):
            out = fn()
        if best is None or t.wall < best.wall:
            best = t
    assert best is not None
    return best, out


def pysal(pairs: pd.DataFrame, supply: np.ndarray, demand: np.ndarray, stepped: bool) -> pd.Series:
    """PySAL access 2SFCA (or E2SFCA with :data:`STEPS`) on the pairs as its cost table."""
    import access
    from access import weights

    cost = pd.DataFrame({"origin": pairs["community"], "dest": pairs["facility"], "cost": pairs["dist_m"]})
    model = access.Access(
        demand_df=pd.DataFrame({"demand": demand}, index=pd.Index(range(demand.size), name="cid")),
        demand_index=True, demand_value="demand",
        supply_df=pd.DataFrame({"supply": supply}, index=pd.Index(range(supply.size), name="fid")),
        supply_index=True, supply_value="supply",
        cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    if stepped:
        return model.enhanced_two_stage_fca(name="x", max_cost=LIMIT, weight_fn=weights.step_fn(STEPS))["x_supply"]
    return model.two_stage_fca(name="x", max_cost=LIMIT)["x_supply"]


def compare(ours: np.ndarray, theirs: pd.Series) -> str:
    """Largest relative difference where PySAL gives a number, and how many communities it gives none (NaN:
    a community within reach of no facility has no row in the cost table; geoplan gives it 0)."""
    idx = theirs.index.to_numpy()
    a, b = ours[idx], theirs.to_numpy()
    ok = np.isfinite(b)
    assert (a[~ok] == 0).all(), "communities PySAL leaves out must reach nothing in geoplan"
    worst = float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300))) if ok.any() else 0.0
    return f"max rel. diff {worst:.1e} over {int(ok.sum()):,} communities; NaN in PySAL: {int((~ok).sum()):,}"


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~100k-node city instead of ~1M")
    parser.add_argument("--sample", type=int, default=32, help="facilities timed for the dense scipy rows")
    parser.add_argument("--no-pysal", action="store_true", help="leave PySAL access out")
    parser.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "_cache")
    args = parser.parse_args(argv)
    spec = (citygen.CitySpec.for_nodes(100_000, communities=4_000, facilities=1_000) if args.quick
            else citygen.CitySpec.for_nodes(1_000_000))
    case = city_case(spec, args.cache)
    net = load_network(case.pbf, cache=True, cache_dir=args.cache / "networks")
    layers = prepare(case.toml)
    com, fac = layers.communities, layers.facilities
    attach = Timing("geoplan attach_points (once per audit)")
    with clock(attach):
        acc = Access(com, fac, net, max_snap_m=layers.snap_m)
    everyone = np.ones(len(fac), dtype=bool)
    rows: list[Timing] = [attach]
    t_pairs, pairs = best_of("geoplan pairs within 1125 m", "grid cells + bounded Dijkstra on induced subgraphs",
                             lambda: catchment_pairs(acc, everyone, LIMIT))
    rows.append(t_pairs)
    p = pairs.pairs
    f, c = p["facility"].to_numpy(np.int64), p["community"].to_numpy(np.int64)
    supply = np.ones(len(fac))
    demand = com["households"].to_numpy(dtype=float)
    demand = np.where(np.isfinite(demand), demand, 0.0)
    w1 = np.ones(len(p))
    ws = decay_weights(p["dist_m"].to_numpy(), "stepped", LIMIT, steps_m=list(STEPS.items()))
    t_2s, ours_2s = best_of("geoplan 2SFCA engine", "two_step on the pairs", lambda: two_step(f, c, w1, supply, demand))
    t_e2s, ours_e2s = best_of("geoplan E2SFCA engine (stepped)", "two_step, Luo & Qi weights",
                              lambda: two_step(f, c, ws, supply, demand))
    rows += [t_2s, t_e2s]
    rule = Rule("catchment_all", "catchment", "全部设施", "all facilities", Citation("-", "-", "-"),
                {"types": sorted(fac["facility_type"].dropna().unique()), "minutes": MINUTES, "supply": "count",
                 "demand": "households", "per": 1000, "target": 1})
    ctx = RuleContext(communities=com, facilities=fac, access=acc, walk_speed_m_per_min=SPEED, speed_basis="bench",
                      options={"new_build_from_year": 2022})
    t_rule, _ = best_of("**geoplan catchment rule**", "catchment.evaluate: pairs + demand + 2SFCA + tables",
                        lambda: catchment.evaluate(rule, ctx))
    rows.append(t_rule)
    if not args.no_pysal:
        t_p2, theirs_2s = best_of("PySAL access two_stage_fca", "same pairs as its cost table",
                                  lambda: pysal(p, supply, demand, False), repeat=1)
        t_p2.check = compare(ours_2s.access_low, theirs_2s)
        t_pe, theirs_e = best_of("PySAL access enhanced_two_stage_fca", "same pairs, step_fn weights",
                                 lambda: pysal(p, supply, demand, True), repeat=1)
        t_pe.check = compare(ours_e2s.access_low, theirs_e)
        rows += [t_p2, t_pe]
    assert acc.graph is not None and acc.facility_attachment is not None and acc.community_attachment is not None
    sample = np.flatnonzero(acc.facility_attachment.attached)[: args.sample]
    dense = Timing("scipy dense rows, sampled", note=f"distances_within, {sample.size} facilities × "
                   f"{acc.graph.n_nodes:,} nodes, extrapolated to {int(acc.facility_attachment.attached.sum()):,}")
    with clock(dense):
        distances_within(acc.graph, acc.facility_attachment.node[sample], LIMIT,
                         targets=acc.community_attachment.node[acc.community_attachment.attached])
    scale = acc.facility_attachment.attached.sum() / max(sample.size, 1)
    dense.wall *= scale
    dense.cpu *= scale
    rows.append(dense)
    print(f"## Floating catchment{' (--quick)' if args.quick else ''}\n")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}\n")
    print(f"{case.about}; network {net.n_nodes:,} nodes, {net.n_edges:,} edges; "
          f"{len(p):,} pairs within {LIMIT:.0f} m ({len(p) / max(len(com), 1):.1f} per community)\n")
    print("| step | wall s | CPU s | note | check |\n|---|---|---|---|---|")
    for t in rows:
        print(f"| {t.name} | {t.wall:.2f} | {t.cpu:.2f} | {t.note} | {t.check} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
