"""Write siting suggestions for GIS, Excel and the browser (what ``geoplan site`` writes).

* ``suggestions.gpkg`` — layers ``suggestions`` (points) and ``catchments`` (outlines), full field names;
* ``suggestions.shp`` — the sites with short field names and ``suggestions_fields.csv`` (see
  :mod:`geoplan.outputs._fieldnames`);
* ``suggestions.csv`` — the sites as a table with lon/lat (WGS84); ``suggestions_solver.csv`` (one row per
  rule: objective, bound, gap, status, times) and ``suggestions_uncoverable.csv`` (what no site fixes, why);
* ``suggestions_<rule_id>.html`` — per rule, the gap map of that rule with its sites (stars) and catchments;
  for a reach rule, each suggested and candidate site can be switched on and off in the browser and the rule's
  coverage and the communities' colours follow (:mod:`geoplan.outputs._whatif`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geoplan.outputs._folder import output_folder
from geoplan.outputs._tables import child_path, clean_layer, lonlat_table, write_csv
from geoplan.outputs._whatif import whatif_payload
from geoplan.outputs.export import write_geopackage, write_shapefile
from geoplan.outputs.maps import MapContext, write_gap_map
from geoplan.project import CANDIDATE_TYPE
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
    tiles: str | None = None,
    context: MapContext | None = None,
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
    tiles : str, optional
        Tile basemap of the maps (see :func:`geoplan.outputs.maps.write_gap_map`).
    context : MapContext, optional
        Streets, water and green drawn offline; its network also gives the what-if switches of reach rules
        their walking distances (without it, on an audit measured on a network, the maps have no what-if).

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
        written = _write_all(siting, result, out, lang, encoding, maps, MapOptions(tiles, context))
    log.info("wrote %d suggestion files to %s", len(written), out)
    return dict(sorted(written.items()))


@dataclass(frozen=True)
class MapOptions:
    """What the suggestion maps draw besides the data: a tile basemap, the offline context."""

    tiles: str | None = None
    context: MapContext | None = None


def _write_all(siting: SitingResult, result: AuditResult, out: Path, lang: str, encoding: str,
               maps: bool, options: MapOptions) -> dict[str, Path]:
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
                          lang, options))
    return written


def _rule_map(result: AuditResult, sites: gpd.GeoDataFrame, catchments: gpd.GeoDataFrame, rule_id: str,
              path: Path, lang: str, maps: MapOptions) -> Path:
    """The gap map of one rule (its community layer first, when it has one) with its sites and catchments;
    for a reach rule also the what-if switches of its suggested and candidate sites."""
    on_communities = f"{rule_id}{SEP}status" in result.communities.columns
    mine = catchments[catchments["rule_id"] == rule_id]
    rule_sites = sites[sites["rule_id"] == rule_id]
    fixed = _fixed_communities(result.communities, rule_sites)
    whatif = None
    if on_communities and (rule_sites["kind"] == "reach").all():
        whatif = whatif_payload(result, rule_id, rule_sites, _other_candidates(result, rule_sites),
                                maps.context.network if maps.context else None, _weight(result, rule_id))
    return write_gap_map(result, path, rules=[rule_id] if on_communities else None, lang=lang,
                         suggestions=rule_sites, catchments=mine if len(mine) else None,
                         fixed=fixed if len(fixed) else None, tiles=maps.tiles, context=maps.context, whatif=whatif)


def _other_candidates(result: AuditResult, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The given candidate sites (facilities of type ``candidate``) not among the suggestions."""
    fac = result.facilities
    if fac is None or "facility_type" not in fac.columns:
        return fac.iloc[:0] if fac is not None else gpd.GeoDataFrame(geometry=[], crs=result.crs)
    used = set(sites.loc[sites["source"] == "given", "candidate_id"].astype(str))
    given = fac[fac["facility_type"] == CANDIDATE_TYPE]
    return given[~given["facility_id"].astype(str).isin(used)]


def _weight(result: AuditResult, rule_id: str) -> str:
    """The reach rule's weight column (``households`` unless the rule says ``population``)."""
    rr = result.rule_results.get(rule_id)
    return str(rr.rule.params.get("weight", "households")) if rr is not None else "households"


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
