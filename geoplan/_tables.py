"""Turn the rules' results into the audit's tables: wide layers, the long findings table, indicators."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.access import Access
from geoplan.network import Network
from geoplan.result import SEP, NetworkSummary
from geoplan.rules.base import INDICATOR_COLUMNS, RESULT_COLUMNS, Rule, RuleResult


def admin_out(units: gpd.GeoDataFrame | None, results: dict[str, RuleResult]) -> gpd.GeoDataFrame | None:
    """The admin units with the wide columns of admin-level rules (joined on ``unit_code``)."""
    if units is None:
        return None
    out = units.set_index(units["unit_code"].astype(str).to_numpy())
    for rule_id, res in results.items():
        if res.level == "admin" or (res.level == "area" and res.table.index.isin(out.index).any()):
            out = out.join(res.table.add_prefix(f"{rule_id}{SEP}"))
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=units.geometry.name, crs=units.crs)


def wide(layer: gpd.GeoDataFrame, results: dict[str, RuleResult], level: str) -> gpd.GeoDataFrame:
    parts = [layer]
    for rule_id, res in results.items():
        if res.level == level:
            parts.append(res.table.add_prefix(f"{rule_id}{SEP}"))
    out = pd.concat(parts, axis=1)
    return gpd.GeoDataFrame(out, geometry=layer.geometry.name, crs=layer.crs)


def facilities_out(facilities: gpd.GeoDataFrame, access: Access, results: dict[str, RuleResult]) -> gpd.GeoDataFrame:
    out = wide(facilities, results, "facility")
    att = access.facility_attachment
    out["attached"] = att.attached if att is not None else False
    out["snap_m"] = np.round(att.offset_m, 1) if att is not None else np.nan
    if att is not None:
        off = ~att.attached & out.geometry.notna().to_numpy()
        note = f"not on the network: farther than {access.max_snap_m:g} m from a walkable street"
        out.loc[off, "flags"] = [f"{f}; {note}" if f else note for f in out.loc[off, "flags"]]
    return out


def findings(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
              results: dict[str, RuleResult]) -> pd.DataFrame:
    frames = []
    for rule_id, res in results.items():
        table = res.table[list(RESULT_COLUMNS)].copy()
        layer = {"community": communities, "facility": facilities}.get(res.level)
        if layer is not None:
            id_col = "community_id" if res.level == "community" else "facility_id"
            table.insert(0, "feature_name", layer["name"].to_numpy())
            table.insert(0, "feature_id", layer[id_col].to_numpy())
        else:
            table.insert(0, "feature_name", res.table.index.astype(str))
            table.insert(0, "feature_id", res.table.index.astype(str))
        table.insert(0, "feature_index", np.arange(len(table)))
        table.insert(0, "rule_id", rule_id)
        table.insert(0, "level", res.level)
        frames.append(table.reset_index(drop=True))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def indicators(results: dict[str, RuleResult]) -> pd.DataFrame:
    frames = [r.indicators for r in results.values() if len(r.indicators)]
    if not frames:
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def rules_table(rules: list[Rule]) -> pd.DataFrame:
    rows = [{"id": r.id, "kind": r.kind, "title_zh": r.title_zh, "title_en": r.title_en,
             "cite_file": r.cite.file, "cite_clause": r.cite.clause, "cite_quote": r.cite.quote,
             "params": "; ".join(f"{k}={v}" for k, v in sorted(r.params.items()))} for r in rules]
    return pd.DataFrame(rows)


def network_summary(source: str, network: Network | None, access: Access, snap: float) -> NetworkSummary:
    """What the distances were measured on; ``source`` names the network file (``"none"`` without one)."""
    ca, fa = access.community_attachment, access.facility_attachment
    return NetworkSummary(
        source=(source or "in memory") if network is not None else "none",
        basis=access.basis,
        n_nodes=network.n_nodes if network is not None else 0,
        n_edges=network.n_edges if network is not None else 0,
        max_snap_m=snap,
        communities_attached=int(ca.attached.sum()) if ca is not None else 0,
        communities_total=len(access.communities),
        facilities_attached=int(fa.attached.sum()) if fa is not None else 0,
        facilities_total=len(access.facilities),
    )
