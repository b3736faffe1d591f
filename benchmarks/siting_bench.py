"""Siting benchmark: geoplan's LSCP / MCLP against spopt (pulp + CBC), and geoplan at city scale.

Usage::

    python benchmarks/siting_bench.py            # full run (about 15-25 minutes on 2 cores)
    python benchmarks/siting_bench.py --quick    # a minute or two

Instances are random "city-like" points: communities drawn around 40 centres of varied spread plus 10 %
uniform background, at an average 8 communities per km² (the extent grows with n); candidate sites from
the same mixture with 20 % background. Costs are Euclidean metres; the reach is 865 m, i.e. a 15-minute
walk at 75 m/min divided by a 1.3 network detour. Weights are households, uniform 100-3000.

spopt gets the dense cost matrix (its API), geoplan the sparse one within reach (its API); both are
timed from the cost matrix to the solution (model build + solve). spopt runs in a child process so a
size that exceeds the cap can be stopped; the first size that does not finish ends the growth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

LIMIT_M = 865.0
DENSITY_PER_KM2 = 8.0


def city(n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Community points (n × 2), candidate points (m × 2) in metres, and household counts."""
    rng = np.random.default_rng(seed)
    size = np.sqrt(n / DENSITY_PER_KM2) * 1000.0
    n_centres = 40
    centres = rng.uniform(0.15 * size, 0.85 * size, (n_centres, 2))
    spread = rng.uniform(0.02, 0.08, n_centres) * size
    share = rng.dirichlet(np.full(n_centres, 2.0))

    def draw(k: int, background: float) -> np.ndarray:
        k_bg = int(k * background)
        which = rng.choice(n_centres, k - k_bg, p=share)
        pts = centres[which] + rng.normal(size=(k - k_bg, 2)) * spread[which, None]
        return np.clip(np.vstack([pts, rng.uniform(0, size, (k_bg, 2))]), 0, size)

    demand, cand = draw(n, 0.1), draw(m, 0.2)
    return demand, cand, rng.integers(100, 3000, n).astype(np.float64)


def sparse_costs(demand: np.ndarray, cand: np.ndarray, limit: float) -> sp.csr_array:
    """Distances within ``limit`` as CSR (demand × candidates)."""
    coo = cKDTree(demand).sparse_distance_matrix(cKDTree(cand), limit, output_type="coo_matrix")
    return sp.csr_array(coo.tocsr())


def coverable_instance(n: int, m: int, seed: int, limit: float) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Sparse costs, weights and dense costs restricted to communities some candidate reaches.

    spopt's LSCP is infeasible with an unreachable community, so both libraries get the same rows.
    """
    demand, cand, w = city(n, m, seed)
    costs = sparse_costs(demand, cand, limit)
    keep = np.diff(costs.indptr) > 0
    dense = np.hypot(*(demand[keep][:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    return sp.csr_array(costs[np.flatnonzero(keep)]), w[keep], dense


def mclp_p(n: int) -> int:
    """Sites to place in the MCLP runs (about half of what full coverage needs on these cities)."""
    return max(5, n // 50)


# --------------------------------------------------------------------------------------------- spopt
def spopt_worker(n: int, m: int, seed: int, limit: float) -> None:
    """Child process: solve LSCP then MCLP with spopt + CBC, one JSON line each on stdout."""
    import warnings

    warnings.simplefilter("ignore")
    import pulp
    from spopt.locate import LSCP, MCLP

    _, w, dense = coverable_instance(n, m, seed, limit)

    def cbc() -> Any:
        coin = pulp.COIN_CMD(msg=False)
        return coin if coin.available() else pulp.PULP_CBC_CMD(msg=False)

    t0 = time.perf_counter()
    model = LSCP.from_cost_matrix(dense, limit).solve(cbc())
    obj = pulp.value(model.problem.objective)
    status = pulp.LpStatus[model.problem.status]
    print(json.dumps({"model": "lscp", "objective": obj, "seconds": time.perf_counter() - t0, "status": status}))
    sys.stdout.flush()
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(dense, w, limit, p_facilities=mclp_p(n)).solve(cbc())
    obj = pulp.value(model.problem.objective)
    status = pulp.LpStatus[model.problem.status]
    print(json.dumps({"model": "mclp", "objective": obj, "seconds": time.perf_counter() - t0, "status": status}))


def run_spopt(n: int, m: int, seed: int, limit: float, cap: float) -> dict[str, dict[str, Any]]:
    """Run :func:`spopt_worker` in its own process group; kill the group after ``cap`` seconds."""
    cmd = [sys.executable, __file__, "--spopt-worker", str(n), str(m), str(seed), str(limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and the CBC process it started
        out, _ = proc.communicate()
    results = {}
    for line in out.splitlines():
        rec = json.loads(line)
        results[rec["model"]] = rec
    return results


# ------------------------------------------------------------------------------------------- geoplan
@dataclass
class Run:
    """One geoplan solve, for the report."""

    objective: float
    bound: float
    gap: float
    seconds: float
    status: str
    warm: float
    rows: int
    cols: int
    recomputed: float

    @property
    def honest(self) -> str:
        """'yes' when the objective recomputed here from the returned sites equals the reported one."""
        same = abs(self.recomputed - self.objective) <= 1e-9 * max(1.0, abs(self.objective))
        return "yes" if same else f"NO ({self.recomputed:.0f})"


def recompute(model: str, costs: sp.csr_array, w: np.ndarray, limit: float, selected: np.ndarray) -> float:
    """The objective of the returned sites, from the cost matrix alone (no geoplan code).

    LSCP: the number of sites if they cover every community some candidate reaches, else NaN (not a cover).
    MCLP: the household weight within ``limit`` of a selected site.
    """
    within = sp.csr_array((costs.data <= limit, costs.indices, costs.indptr), shape=costs.shape)
    is_open = np.zeros(costs.shape[1])
    is_open[selected] = 1.0
    covered = (within @ is_open) > 0
    if model == "lscp":
        coverable = (within @ np.ones(costs.shape[1])) > 0
        return float(selected.size) if covered[coverable].all() else float("nan")
    return float(w[covered].sum())


def run_geoplan(model: str, costs: sp.csr_array, w: np.ndarray, p: int, limit: float, time_limit: float | None) -> Run:
    """Solve with geoplan and keep the figures the report needs."""
    from geoplan.siting import lscp, mclp

    if model == "lscp":
        sol = lscp(costs, limit=limit, time_limit=time_limit)
    else:
        sol = mclp(costs, w, p, limit=limit, time_limit=time_limit)
    red = sol.reduction
    return Run(
        sol.objective,
        sol.bound,
        sol.gap,
        sol.seconds,
        sol.status,
        sol.greedy_objective,
        red.rows if red else 0,
        red.cols if red else 0,
        recompute(model, costs, w, limit, sol.selected),
    )


def versions() -> str:
    """Library versions for the report header."""
    import highspy

    parts = [f"python {platform.python_version()}", f"highspy {highspy.Highs().version()}"]
    try:
        import pulp
        import spopt

        parts += [f"spopt {spopt.__version__}", f"pulp {pulp.__version__}"]
    except ImportError:
        parts.append("spopt not installed")
    return ", ".join(parts) + f", {os.cpu_count()} CPUs"


def compare(n: int, m: int, seed: int, cap: float) -> bool:
    """geoplan vs spopt on one size; returns whether both finished both models within ``cap`` each."""
    costs, w, _ = coverable_instance(n, m, seed, LIMIT_M)
    p = mclp_p(n)
    theirs = run_spopt(n, m, seed, LIMIT_M, cap)
    finished = True
    for model in ("lscp", "mclp"):
        ours = run_geoplan(model, costs, w, p, LIMIT_M, cap)
        if ours.status != "optimal":
            finished = False
            print(f"{n:>6} × {m:<5} {model:5} geoplan not optimal within {cap:.0f} s (gap {100 * ours.gap:.2f} %)")
            continue
        t = theirs.get(model)
        if t is None or t["status"] != "Optimal":
            finished = False
            print(
                f"{n:>6} × {m:<5} {model:5} p={p if model == 'mclp' else '-':<4} geoplan {ours.objective:>12.0f} "
                f"{ours.seconds:8.2f} s | spopt did not finish within {cap:.0f} s"
            )
            continue
        same = "equal" if abs(ours.objective - t["objective"]) <= 1e-6 * max(1.0, abs(t["objective"])) else "DIFFER"
        print(
            f"{n:>6} × {m:<5} {model:5} p={p if model == 'mclp' else '-':<4} geoplan {ours.objective:>12.0f} "
            f"{ours.seconds:8.2f} s | spopt {t['objective']:>12.0f} {t['seconds']:8.2f} s | "
            f"{same}, spopt/geoplan time {t['seconds'] / max(ours.seconds, 1e-9):6.1f}, "
            f"objective recomputed = reported: {ours.honest}"
        )
    return finished


def city_scale(n: int, m: int, time_limit: float, limits: tuple[float, ...], compare_bound: bool) -> None:
    """geoplan alone at city scale under a time limit; with ``compare_bound`` LSCP also without the region bound."""
    from geoplan.siting.solver import covering

    variants = (True, False) if compare_bound else (True,)
    for limit in limits:
        demand, cand, w = city(n, m, 0)
        costs = sparse_costs(demand, cand, limit)
        per_row = costs.nnz / n
        p = 0
        for model in ("lscp", "mclp"):
            for regions in variants if model == "lscp" else (False,):  # MCLP has the LP bound only
                covering.REGION_BOUND = regions
                r = run_geoplan(model, costs, w, p, limit, time_limit)
                covering.REGION_BOUND = True
                if model == "lscp" and regions == variants[0]:
                    p = int(r.objective // 2)
                print(
                    f"{n} × {m}, reach {limit:.0f} m ({per_row:.1f} candidates/community), {model}"
                    f"{f' p={p}' if model == 'mclp' else ''}, {'region' if regions else 'LP'} bound: {r.status}, "
                    f"objective {r.objective:.0f}, bound {r.bound:.0f}, gap {100 * r.gap:.2f} %, {r.seconds:.1f} s, "
                    f"objective recomputed = reported: {r.honest} "
                    f"(warm start {r.warm:.0f}; reduced model {r.rows} × {r.cols})",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and caps only")
    ap.add_argument("--spopt-cap", type=float, default=None, help="seconds per spopt size (both models)")
    ap.add_argument("--city-only", action="store_true", help="skip the spopt comparison")
    ap.add_argument("--compare-only", action="store_true", help="skip the city-scale runs")
    ap.add_argument("--reach", type=float, nargs="+", default=None, help="city-scale reaches in metres")
    ap.add_argument("--no-bound-comparison", action="store_true", help="city scale: region bound only")
    ap.add_argument("--spopt-worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.spopt_worker:
        n, m, seed, limit = args.spopt_worker
        spopt_worker(int(n), int(m), int(seed), float(limit))
        return 0
    print(f"siting benchmark, {time.strftime('%Y-%m-%d')}; {versions()}")
    print(f"reach {LIMIT_M:.0f} m, {DENSITY_PER_KM2:g} communities/km²; MCLP p = n/50")
    if not args.city_only:
        print("\n== geoplan vs spopt (objectives must be equal; times = model build + solve)")
        cap = args.spopt_cap or (30.0 if args.quick else 300.0)
        sizes = [(1000, 300), (2000, 600)] if args.quick else [(1000, 300), (2000, 600), (5000, 1250), (10000, 2500)]
        for n, m in sizes:
            if not compare(n, m, 0, cap):
                print(f"spopt cap {cap:.0f} s reached at {n} × {m}; larger sizes not tried")
                break
    if args.compare_only:
        return 0
    print("\n== geoplan at city scale (time limit per model; region bound, and the LP bound alone for comparison)")
    compare_bound = not args.no_bound_comparison
    if args.quick:
        city_scale(5000, 1250, 20.0, tuple(args.reach or (LIMIT_M,)), compare_bound)
    else:
        city_scale(20000, 5000, 60.0, tuple(args.reach or (LIMIT_M, 500.0)), compare_bound)
    return 0


if __name__ == "__main__":
    sys.exit(main())
