"""Suggested sites that would close an area's reach gaps: a screening answer for the batch workbook.

For every reach rule with failing communities: the fewest new sites (location set covering,
:func:`geoplan.siting.lscp`, solved exactly by HiGHS) such that every failing community has one within the
rule's distance. Candidate sites are the communities themselves (a facility built with a compound, 配建) and
the project's facilities of type ``candidate`` (community centres, town halls). Distances are straight lines
× the detour factor (:data:`geoplan.settings.euclidean_detour_factor`), so each row says ``basis`` =
``euclidean x1.3 (screening)``: confirm a site on the network with ``geoplan audit`` before acting on it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from geoplan import settings
from geoplan.rules.base import FAIL
from geoplan.siting import lscp

if TYPE_CHECKING:
    from geoplan.result import AuditResult

log = logging.getLogger(__name__)

SUGGESTION_COLUMNS: Final = ("rule_id", "rank", "site_kind", "site_id", "site_name", "lon", "lat", "covers",
                             "covers_households", "distance_m", "basis", "note")
#: Seconds allowed to the exact solver per rule (the greedy cover is kept beyond that, with its gap).
TIME_LIMIT_S: Final = 30.0


def _xy(gdf: pd.DataFrame) -> np.ndarray:
    geom = gdf.geometry
    ok = (geom.notna() & ~geom.is_empty).to_numpy()
    xy = np.full((len(gdf), 2), np.nan)
    if ok.any():
        xy[ok, 0], xy[ok, 1] = geom[ok].x.to_numpy(), geom[ok].y.to_numpy()
    return xy


def _candidates(result: AuditResult) -> pd.DataFrame:
    com, fac = result.communities, result.facilities
    cands = [pd.DataFrame({"site_kind": "community", "site_id": com["community_id"].astype(str).to_numpy(),
                           "site_name": com["name"].astype(str).to_numpy()})]
    xy = [_xy(com)]
    if len(fac) and "facility_type" in fac.columns:
        mask = (fac["facility_type"] == "candidate").to_numpy()
        cands.append(pd.DataFrame({"site_kind": "candidate", "site_id": fac.loc[mask, "facility_id"].astype(str),
                                   "site_name": fac.loc[mask, "name"].astype(str)}))
        xy.append(_xy(fac)[mask])
    table = pd.concat(cands, ignore_index=True)
    both = np.vstack(xy)
    table["x"], table["y"] = both[:, 0], both[:, 1]
    return table[np.isfinite(both).all(axis=1)].reset_index(drop=True)


def _order(row: dict[str, float]) -> tuple[float, float, float]:
    return -row["covers_households"], -row["covers"], row["site"]


def _rule_sites(result: AuditResult, rule_id: str, cands: pd.DataFrame, detour: float) -> list[dict[str, object]]:
    table = result.rule_results[rule_id].table
    failing = np.flatnonzero((table["status"] == FAIL).to_numpy())
    xy = _xy(result.communities)[failing]
    keep = np.isfinite(xy).all(axis=1)
    failing, xy = failing[keep], xy[keep]
    if not len(failing) or cands.empty:
        return []
    reach_m = float(table["threshold"].iloc[failing[0]])
    tree = cKDTree(cands[["x", "y"]].to_numpy())
    near = tree.query_ball_point(xy, reach_m / detour)
    rows = np.repeat(np.arange(len(failing)), [len(n) for n in near])
    cols = np.concatenate([np.asarray(n, dtype=np.int64) for n in near])
    cover = sp.csr_array((np.ones(len(cols)), (rows, cols)), shape=(len(failing), len(cands)))
    solution = lscp(cover, time_limit=TIME_LIMIT_S)
    households = pd.to_numeric(result.communities["households"], errors="coerce").to_numpy()[failing]
    out: list[dict[str, float]] = []
    for j in solution.selected:
        served = solution.assignment == j
        dist = np.hypot(*(xy[served] - cands[["x", "y"]].to_numpy()[j]).T) * detour
        out.append({"site": int(j), "covers": int(served.sum()),
                    "covers_households": float(np.nansum(households[served])),
                    "distance_m": round(float(dist.max()), 1) if len(dist) else 0.0})
    out.sort(key=_order)
    note = (f"{int(solution.covered.sum())} of {len(failing)} failing communities within {reach_m:g} m of a "
            f"suggested site; {int(solution.uncoverable.sum())} have no candidate in reach; solver {solution.status}")
    log.info("%s: %d sites suggested (%s)", rule_id, len(out), note)
    return [{**r, "rule_id": rule_id, "rank": i + 1, "note": note} for i, r in enumerate(out)]


def suggestions(result: AuditResult, *, detour: float = settings.euclidean_detour_factor) -> pd.DataFrame:
    """Suggested new sites per failing reach rule (:data:`SUGGESTION_COLUMNS`), best first within a rule."""
    rules = [rid for rid, res in result.rule_results.items() if res.rule.kind == "reach"]
    cands = _candidates(result) if rules else pd.DataFrame()
    rows = [row for rid in rules for row in _rule_sites(result, rid, cands, detour)]
    if not rows:
        return pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
    table = pd.DataFrame(rows)
    sites = cands.iloc[table["site"].to_numpy()].reset_index(drop=True)
    lonlat = pd.DataFrame({"x": sites["x"], "y": sites["y"]})
    points = gpd.GeoSeries(gpd.points_from_xy(lonlat["x"], lonlat["y"]), crs=result.crs).to_crs(4326)
    table["site_kind"], table["site_id"], table["site_name"] = sites["site_kind"], sites["site_id"], sites["site_name"]
    table["lon"], table["lat"] = points.x.round(6).to_numpy(), points.y.round(6).to_numpy()
    table["basis"] = f"euclidean x{detour:g} (screening)"
    return table[list(SUGGESTION_COLUMNS)]
