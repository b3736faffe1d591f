"""The what-if data of a suggestions map: which failing communities each site would bring within reach.

Embedded in the page so that the browser, with no server, recomputes a reach rule's coverage when the planner
switches suggested and candidate sites on and off: a community passes when the audit found it passing, or when
it failed and a site that is on lies within the rule's walking distance (the distance the audit used, less
the siting's 1 cm margin, over the same network: :func:`geoplan.access.site_reach`). The rates are computed as
the audit computes them (:mod:`geoplan.rules._rates`): pass / (pass + fail) over the communities counted in
rates, and weighted by the rule's weight where it is known.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import settings
from geoplan.access import site_reach
from geoplan.outputs._mapdata import COORD_DIGITS, str_column
from geoplan.result import SEP
from geoplan.rules._rates import counted_mask
from geoplan.siting.planning.context import TOLERANCE_M
from geoplan.siting.planning.reach_demand import threshold_of

if TYPE_CHECKING:
    from geoplan.network import Network
    from geoplan.result import AuditResult

log = logging.getLogger(__name__)

#: Status codes of the embedded base: 1 pass, 0 fail, -1 anything else (stays as it is whatever is built).
_CODE = {"pass": 1, "fail": 0}


def whatif_payload(result: AuditResult, rule_id: str, suggested: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame,
                   network: Network | None, weight: str = "households") -> dict[str, Any] | None:
    """The what-if block of one reach rule, or None when the rule has no community results.

    Parameters
    ----------
    result : AuditResult
    rule_id : str
        A reach rule with ``<rule>__status`` and ``<rule>__threshold`` columns.
    suggested : GeoDataFrame
        The rule's suggested sites (``site_id``, ``name``; metric CRS), switched on at open.
    candidates : GeoDataFrame
        Given candidate sites not suggested (``facility_id``, ``name``), switched off at open.
    network : Network or None
        The audit's walking network; None only when the audit measured straight lines.
    weight : str
        The rule's weight column (households or population).

    Returns
    -------
    dict or None
        ``base`` (status code per community row), ``weight`` (per row, null when unknown), ``counted`` (0/1 per
        row), ``sites`` (id, name, kind, on, lat, lon, ``covers``: sorted rows of failing communities in reach).
    """
    com = result.communities
    if f"{rule_id}{SEP}status" not in com.columns:
        return None
    threshold = threshold_of(result, rule_id)
    status = com[f"{rule_id}{SEP}status"].astype(object).to_numpy()
    base = np.array([_CODE.get(s, -1) if isinstance(s, str) else -1 for s in status], dtype=np.int64)
    sites = _sites(suggested, candidates, result)
    covers: list[list[int]] = [[] for _ in range(len(sites))]
    if len(sites):
        on_network = result.network is not None and result.network.basis == "network"
        if on_network and network is None:
            log.warning("what-if of %s left out: the audit measured on a network the map was not given", rule_id)
            return None
        xy = shapely.get_coordinates(sites.geometry.to_numpy()).reshape(-1, 2)
        reach = site_reach(com, xy, network if on_network else None, limit_m=threshold,
                           max_snap_m=result.network.max_snap_m if result.network else settings.max_snap_m,
                           detour_factor=settings.euclidean_detour_factor)
        pairs = reach.pairs[reach.pairs["dist_m"] <= threshold - TOLERANCE_M]
        pairs = pairs[base[pairs["community"].to_numpy()] == 0]  # only a failing community changes
        for site, group in pairs.groupby("site"):
            covers[int(site)] = sorted(int(c) for c in group["community"].unique())
    weights = (pd.to_numeric(com[weight], errors="coerce") if weight in com.columns
               else pd.Series(np.nan, index=com.index))
    counted = counted_mask(com)
    wgs = sites.to_crs(4326)
    xy84 = np.round(shapely.get_coordinates(wgs.geometry.to_numpy()).reshape(-1, 2), COORD_DIGITS)
    return {
        "rule": rule_id, "threshold_m": threshold, "weight_name": weight,
        "base": base.tolist(),
        "weight": [None if not np.isfinite(w) else round(float(w), 3) for w in weights.to_numpy(dtype=float)],
        "counted": [1] * len(com) if counted is None else [int(bool(c)) for c in counted.to_numpy()],
        "sites": {
            "id": str_column(sites["site_id"]), "name": str_column(sites["name"]),
            "kind": sites["kind"].tolist(), "on": [int(k == "suggested") for k in sites["kind"]],
            "lat": xy84[:, 1].tolist(), "lon": xy84[:, 0].tolist(), "covers": covers,
        },
    }


def _sites(suggested: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, result: AuditResult) -> gpd.GeoDataFrame:
    """Suggested sites then candidates, as (site_id, name, kind, geometry) in the audit's CRS."""
    parts = []
    for frame, id_col, kind in ((suggested, "site_id", "suggested"), (candidates, "facility_id", "candidate")):
        if frame is None or not len(frame):
            continue
        frame = frame.to_crs(result.crs) if frame.crs is not None else frame.set_crs(result.crs)
        ids = frame[id_col] if id_col in frame.columns else pd.Series(range(len(frame)), index=frame.index)
        names = frame["name"] if "name" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        parts.append(gpd.GeoDataFrame({"site_id": ids.astype(str).to_numpy(), "name": names.to_numpy(),
                                       "kind": kind}, geometry=frame.geometry.to_numpy(), crs=result.crs))
    if not parts:
        return gpd.GeoDataFrame({"site_id": [], "name": [], "kind": []}, geometry=[], crs=result.crs)
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=result.crs)
    located = ~(shapely.is_missing(out.geometry.to_numpy()) | shapely.is_empty(out.geometry.to_numpy()))
    return out[located].reset_index(drop=True)
