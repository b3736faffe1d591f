"""Write siting suggestions for GIS, Excel and the browser (what ``geoplan site`` writes).

* ``suggestions.gpkg`` — layers ``suggestions`` (points) and ``catchments`` (outlines), full field names;
* ``suggestions.shp`` — the sites with short field names and ``suggestions_fields.csv`` (see
  :mod:`geoplan.outputs._fieldnames`);
* ``suggestions.csv`` — the sites as a table with lon/lat (WGS84); ``suggestions_solver.csv`` (one row per
  rule: objective, bound, gap, status, times) and ``suggestions_uncoverable.csv`` (what no site fixes, why);
* ``suggestions_<rule_id>.html`` — per rule, the gap map of that rule with its sites (stars) and catchments.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd

from geoplan.outputs._folder import output_folder
from geoplan.outputs._tables import child_path, clean_layer, lonlat_table, write_csv
from geoplan.outputs.export import write_geopackage, write_shapefile
from geoplan.outputs.maps import write_gap_map
from geoplan.result import SEP, AuditResult
from geoplan.siting.planning.plans import SitingResult

log = logging.getLogger(__name__)


def write_suggestions(
    siting: SitingResult,
    result: AuditResult,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    encoding: str = "utf-8",
    maps: bool = True,
) -> dict[str, Path]:
    """Write the suggestions' layers, tables and maps into ``out_dir`` (created if needed).

    Parameters
    ----------
    siting : SitingResult
    result : AuditResult
        The audit the suggestions were made for (the maps show its gaps).
    out_dir : str or Path
    lang : {"zh", "en"}
        Language of the maps.
    encoding : {"utf-8", "gbk"}
        Shapefile text encoding.
    maps : bool
        Write the per-rule maps.

    Returns
    -------
    dict
        File name → path of every file written (Shapefile sidecars not listed).

    Raises
    ------
    OutputError
        A file cannot be written.
    """
    with output_folder(Path(out_dir)) as out:
        written = _write_all(siting, result, out, lang, encoding, maps)
    log.info("wrote %d suggestion files to %s", len(written), out)
    return dict(sorted(written.items()))


def _write_all(siting: SitingResult, result: AuditResult, out: Path, lang: str, encoding: str,
               maps: bool) -> dict[str, Path]:
    written: dict[str, Path] = {}

    def put(path: Path) -> None:
        written[path.name] = path

    sites, catchments = siting.suggestions, siting.catchments
    layers = {"suggestions": sites}
    if len(catchments):
        layers["catchments"] = catchments
    put(write_geopackage(layers, child_path(out, "suggestions.gpkg"), styles=False))
    if len(sites):
        shp = write_shapefile(sites, child_path(out, "suggestions.shp"), encoding=encoding)
        put(shp.path)
        put(shp.fields_path)
    put(write_csv(lonlat_table(clean_layer(sites)), child_path(out, "suggestions.csv")))
    put(write_csv(clean_layer(siting.solutions), child_path(out, "suggestions_solver.csv")))
    put(write_csv(clean_layer(siting.uncoverable), child_path(out, "suggestions_uncoverable.csv")))
    if maps:
        for rule_id in dict.fromkeys(sites["rule_id"]):
            put(_rule_map(result, sites, catchments, str(rule_id), child_path(out, f"suggestions_{rule_id}.html"),
                          lang))
    return written


def _rule_map(result: AuditResult, sites: gpd.GeoDataFrame, catchments: gpd.GeoDataFrame, rule_id: str,
              path: Path, lang: str) -> Path:
    """The gap map of one rule (its community layer first, when it has one) with its sites and catchments."""
    on_communities = f"{rule_id}{SEP}status" in result.communities.columns
    mine = catchments[catchments["rule_id"] == rule_id]
    rule_sites = sites[sites["rule_id"] == rule_id]
    fixed = _fixed_communities(result.communities, rule_sites)
    return write_gap_map(result, path, rules=[rule_id] if on_communities else None, lang=lang,
                         suggestions=rule_sites, catchments=mine if len(mine) else None,
                         fixed=fixed if len(fixed) else None)


def _fixed_communities(communities: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The communities the sites list in ``communities_fixed``, with the site that fixes each (the map "after")."""
    fixed_by: dict[str, str] = {}
    for site_id, ids in zip(sites["site_id"], sites["communities_fixed"].fillna(""), strict=True):
        for cid in filter(None, str(ids).split(";")):
            fixed_by.setdefault(cid, str(site_id))
    ids = communities["community_id"].astype(str)
    keep = [c for c in ("community_id", "name") if c in communities.columns] + [communities.geometry.name]
    chosen = communities.loc[ids.isin(list(fixed_by)), keep].copy()
    chosen["fixed_by"] = chosen["community_id"].astype(str).map(fixed_by)
    return chosen
