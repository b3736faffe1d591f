"""Gap maps: one self-contained HTML file showing where a plan's rules pass and fail.

Communities are coloured by each community-level rule's status (one overlay per rule, the first shown),
facilities are drawn by type, and admin units (when the audit has them) by pass rate. The file opens offline
by default: Leaflet is inlined and no basemap is requested unless ``tiles`` asks for one.

The page is the fixed skeleton ``assets/gapmap.html`` with the data as one escaped JSON payload
(:mod:`geoplan.outputs._page`); ``assets/gapmap.js`` builds the map, its layers and the layer control from
it, setting every label as text. No template engine ever sees the data, so a community named ``{{7*7}}``
or ``<script>`` is shown as exactly that. The file is written atomically (:mod:`geoplan.outputs._atomic`).

Examples
--------
>>> write_gap_map(result, "maps/hangzhou.html")                       # doctest: +SKIP
>>> write_map_png("maps/hangzhou.html", "maps/hangzhou.png")          # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from geoplan._errors import Hint, InputError
from geoplan.outputs import _atomic, _context, _mapdata, _maptext, _page
from geoplan.outputs._context import MapContext
from geoplan.outputs._png import write_map_png

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

    from geoplan.result import AuditResult

__all__ = ["GapMap", "MapContext", "add_service_areas", "add_suggestions", "build_gap_map", "check_tiles", "map_tiles",
           "write_gap_map", "write_map_png"]

log = logging.getLogger(__name__)

# Chinese web maps (GCJ-02 / BD-09) are shifted from WGS84 by hundreds of metres.
_SHIFTED_HOSTS = ("autonavi", "amap", "gaode", "map.qq", "tencent", "baidu", "bdimg")


@dataclass
class GapMap:
    """A gap map not yet written: the payload ``assets/gapmap.js`` draws, and what the page needs.

    Attributes
    ----------
    payload : dict
        Everything drawn, including ``payload["map"]["layers"]`` (key, plain-text name, shown at open) in
        layer-control order; :func:`add_service_areas` and :func:`add_suggestions` append to it.
    title : str
        The page title (plain text).
    lang : {"zh", "en"}
    offline : bool
        Inline Leaflet (no request leaves the page) instead of linking the pinned CDN copies.
    crs : pyproj.CRS or None
        The audit's metric CRS, for extra layers without one.
    labels : dict
        Facility type term -> label in ``lang`` (legends of typed service areas).
    """

    payload: dict[str, Any]
    title: str
    lang: str
    offline: bool
    crs: pyproj.CRS | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        """The HTML page: the fixed skeleton with the payload as escaped JSON (no template engine)."""
        return _page.render_page(self.payload, title=self.title, lang=self.lang, offline=self.offline)

    def add_layer(self, key: str, name: str, show: bool) -> None:
        """List an overlay in the layer control (``name`` is plain text: the page escapes it)."""
        self.payload["map"]["layers"].append({"key": key, "name": name, "show": bool(show)})


def build_gap_map(
    result: AuditResult,
    *,
    rules: Sequence[str] | None = None,
    lang: str = "zh",
    offline: bool = True,
    tiles: str | None = None,
    service_areas: gpd.GeoDataFrame | None = None,
    suggestions: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    fixed: gpd.GeoDataFrame | None = None,
    context: MapContext | None = None,
    whatif: dict[str, Any] | None = None,
) -> GapMap:
    """Build the gap map of an audit (see :func:`write_gap_map` for the parameters).

    Returns
    -------
    GapMap
        Render with ``m.render()``; further layers can be added with :func:`add_service_areas` and
        :func:`add_suggestions` before that.
    """
    words = _maptext.text(lang)
    titles = _mapdata.rule_titles(result.rules, lang)
    comm_rules = _mapdata.rules_in(result.communities, titles, rules)
    comm = _mapdata.to_wgs84(result.communities, result.crs, "communities")
    communities, kept = _mapdata.feature_set(comm, comm_rules, titles, "community_id")
    fac = result.facilities if result.facilities is not None else comm.iloc[:0]
    labels = _mapdata.type_labels(result.extra, result.preset_id, lang)
    facilities = _mapdata.facilities_payload(_mapdata.to_wgs84(fac, result.crs, "facilities"), titles, labels)
    admin = None
    if result.admin_units is not None and len(result.admin_units):
        admin = _mapdata.admin_payload(result.admin_units, result.communities, comm_rules, titles, result.crs,
                                       words)
    basemap = _basemap(tiles, offline)
    title = _title(result, words)
    payload: dict[str, Any] = {
        "text": words,
        "colors": _maptext.STATUS_COLORS,
        "ramp": list(_maptext.RATE_RAMP),
        "title": title,
        "tiles": basemap is not None,
        "map": {"center": _center(communities, facilities), "zoom": 12, "basemap": basemap, "layers": []},
        "communities": communities,
        "facilities": facilities,
        "admin": admin,
        "extras": [],
        "context": _context.context_payload(context),
        # rows: the community rows drawn (payload index -> row of result.communities the what-if counts in)
        "whatif": None if whatif is None else {**whatif, "rows": kept.tolist()},
    }
    m = GapMap(payload, str(title["main"]), lang, offline, result.crs, labels)
    for k, block in enumerate(communities["rules"]):
        m.add_layer(f"community:{k}", _rule_layer_name(block, communities["n"], lang), show=k == 0)
    for k, kind in enumerate(facilities["types"]):
        m.add_layer(f"facility:{k}", f"{kind['name']} ({kind['count']})", show=True)
    for k, spec in enumerate(admin["layers"] if admin else []):
        m.add_layer(f"admin:{k}", str(spec["title"]), show=False)
    _add_context_layers(m, show=basemap is None)
    if service_areas is not None:
        _add_area_layers(m, service_areas, titles)
    if suggestions is not None or catchments is not None or fixed is not None:
        add_suggestions(m, suggestions, catchments, fixed)
    if whatif is not None and whatif["sites"]["kind"]:
        m.add_layer("whatif:sites", str(words["whatif_sites"]), show=True)
    return m


def write_gap_map(
    result: AuditResult,
    path: str | Path,
    *,
    rules: Sequence[str] | None = None,
    lang: str = "zh",
    offline: bool = True,
    tiles: str | None = None,
    service_areas: gpd.GeoDataFrame | None = None,
    suggestions: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    fixed: gpd.GeoDataFrame | None = None,
    context: MapContext | None = None,
    whatif: dict[str, Any] | None = None,
) -> Path:
    """Write the gap map of an audit to one HTML file.

    Parameters
    ----------
    result : AuditResult
        The audit; its communities carry ``<rule_id>__status`` etc. columns in a metric CRS.
    path : str or Path
        The HTML file to write (parent folders are created).
    rules : sequence of str, optional
        Community-level rule ids to map, in preset order; default every rule with community results.
    lang : {"zh", "en"}
        Language of the legend, popups and layer names (rule titles use ``title_zh`` / ``title_en``).
    offline : bool, default True
        Inline Leaflet so the file opens with no network. ``False`` links the pinned CDN copies instead and
        shows an OpenStreetMap basemap unless ``tiles`` says otherwise.
    tiles : str, optional
        Basemap: ``"osm"``, an xyzservices provider name, or a URL template with ``{z}/{x}/{y}``. Off by
        default when offline (tiles need the network). Note Chinese web maps (Amap, Tencent, Baidu) are in
        shifted coordinates (GCJ-02 / BD-09), so WGS84 points land hundreds of metres off on them.
    service_areas, suggestions, catchments, fixed : GeoDataFrame, optional
        Extra layers, see :func:`add_service_areas` and :func:`add_suggestions`. Service areas with
        ``rule_id`` (and ``coverage``) make one service-area and one uncovered layer per rule.
    context : MapContext, optional
        Streets (the audit's walking network), water and green areas drawn faintly under the data, offline
        (:mod:`geoplan.outputs._context`; ``MapContext.from_project``). Admin boundaries are drawn whenever the
        audit has admin units.
    whatif : dict, optional
        A reach rule's sites and what each would bring within reach (:mod:`geoplan.outputs._whatif`): the
        page then lets the planner switch each site on and off and recomputes the rule's coverage.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        ``rules`` names a rule without community results, or a layer has no CRS.
    OutputError
        The file cannot be written.
    """
    m = build_gap_map(result, rules=rules, lang=lang, offline=offline, tiles=tiles,
                      service_areas=service_areas, suggestions=suggestions, catchments=catchments, fixed=fixed,
                      context=context, whatif=whatif)
    out = _atomic.write_text(Path(path), m.render(), what="the gap map")
    log.info("gap map %s: %.2f MB, %d communities", out, out.stat().st_size / 1e6, len(result.communities))
    return out


def add_service_areas(m: GapMap, areas: gpd.GeoDataFrame, *, title: str | None = None) -> None:
    """Add service areas (e.g. 15-minute walk isochrones of facilities) as one overlay, hidden at first.

    Parameters
    ----------
    m : GapMap
        A map from :func:`build_gap_map`, not yet rendered.
    areas : GeoDataFrame
        Polygons, in any CRS (none: the audit's). With ``facility_type`` they take the type's colour; every
        scalar column shows in the popup.
    title : str, optional
        Layer name; default "服务范围" / "Service areas".
    """
    _add_extra(m, areas, "service_areas", title, show=False)


def add_suggestions(m: GapMap, suggestions: gpd.GeoDataFrame | None,
                    catchments: gpd.GeoDataFrame | None = None, fixed: gpd.GeoDataFrame | None = None) -> None:
    """Add suggested new sites (stars), their catchments (dashed outlines) and what they fix (rings), all shown.

    Parameters
    ----------
    m : GapMap
        A map from :func:`build_gap_map`, not yet rendered.
    suggestions : GeoDataFrame or None
        Points (polygons are drawn as areas); every scalar column shows in the popup.
    catchments : GeoDataFrame, optional
        What each suggested site would serve, as polygons or lines.
    fixed : GeoDataFrame, optional
        The communities the sites would make pass (the map "after"): a green ring around each, over its
        current status colour.
    """
    if catchments is not None:
        _add_extra(m, catchments, "catchments", None, show=True)
    if fixed is not None:
        _add_extra(m, fixed, "fixed", None, show=True)
    if suggestions is not None:
        _add_extra(m, suggestions, "suggestions", None, show=True)


def _add_context_layers(m: GapMap, show: bool) -> None:
    """Streets, water, green and admin boundaries: listed first, shown at open unless a tile basemap is."""
    words = m.payload["text"]
    ctx = m.payload["context"] or {}
    if ctx.get("streets") and ctx["streets"]["lines"]:
        m.add_layer("context:streets", str(words["streets"]), show=show)
    if ctx.get("water") or ctx.get("water_lines"):
        m.add_layer("context:water", str(words["water"]), show=show)
    if ctx.get("green"):
        m.add_layer("context:green", str(words["green"]), show=show)
    if m.payload["admin"] is not None:
        m.add_layer("context:boundaries", str(words["boundaries"]), show=True)


def _add_area_layers(m: GapMap, areas: gpd.GeoDataFrame, titles: dict[str, str]) -> None:
    """Service areas and uncovered frontage: one layer each per rule (``rule_id``), so overlaps never blend.

    Rows marked ``coverage = "uncovered"`` (street frontage no facility reaches) are the rule's uncovered layer.
    Without ``rule_id`` the rows make one layer of each.
    """
    words = m.payload["text"]
    rule_of = areas["rule_id"].astype(str) if "rule_id" in areas.columns else None
    groups = list(dict.fromkeys(rule_of)) if rule_of is not None else [None]
    uncovered = (areas["coverage"] == "uncovered").to_numpy() if "coverage" in areas.columns else None
    for rule_id in groups:
        mine = (rule_of == rule_id).to_numpy() if rule_of is not None else None
        suffix = f" · {titles.get(rule_id, rule_id)}" if rule_id is not None else ""
        for role, rows in (("service_areas", None if uncovered is None else ~uncovered), ("uncovered", uncovered)):
            if role == "uncovered" and rows is None:
                continue
            pick = areas
            if mine is not None or rows is not None:
                keep = (mine if mine is not None else True) & (rows if rows is not None else True)
                pick = areas[keep]
            if not len(pick):
                continue
            if role == "uncovered":  # frontage nobody reaches has no facility type to colour it by
                pick = pick.drop(columns="facility_type", errors="ignore")
            _add_extra(m, pick, role, f"{words[role]}{suffix}", show=False)


def _rule_layer_name(block: dict[str, Any], n: int, lang: str) -> str:
    """A community rule's layer name: its failing count, or that nothing could be evaluated (never "fail 0/n")."""
    counts = block["counts"]
    if counts.get("pass", 0) + counts.get("fail", 0) == 0:
        word = _maptext.status_label(lang, "not_evaluable")
        return f"{block['title']} ({word} {counts.get('not_evaluable', 0)}/{n})"
    return f"{block['title']} ({_maptext.status_label(lang, 'fail')} {counts.get('fail', 0)}/{n})"


def _add_extra(m: GapMap, gdf: gpd.GeoDataFrame, role: str, title: str | None, show: bool) -> None:
    if not isinstance(m, GapMap):
        raise TypeError("not a gap map: build it with build_gap_map()")
    name = title or str(m.payload["text"][role])
    extras = m.payload["extras"]
    extras.append(_mapdata.extra_payload(gdf, role, name, m.labels, m.crs))
    m.add_layer(f"extra:{len(extras) - 1}", f"{name} ({len(gdf)})", show=show)


def _title(result: AuditResult, words: dict[str, Any]) -> dict[str, Any]:
    sub = []
    preset = " · ".join(
        p for p in (
            f"{words['preset']}: {result.preset_title} ({result.preset_id})" if result.preset_title else "",
            f"{words['created']}: {result.created}" if result.created else "",
        ) if p
    )
    if preset:
        sub.append(preset)
    if result.network is not None:
        basis = words["network_basis"].get(result.network.basis, result.network.basis)
        sub.append(f"{words['distance_basis']}: {basis}")
    return {"main": result.title or result.preset_title or "geoplan", "sub": sub}


def _center(*sets: dict[str, Any]) -> list[float]:
    for s in sets:
        if s["n"]:
            return [sum(s["lat"]) / s["n"], sum(s["lon"]) / s["n"]]
    return [35.0, 105.0]  # China; the map has nothing to fit to anyway


def map_tiles(option: str | None, project: str | Path | None) -> str | None:
    """The maps' tile basemap: the ``--tiles`` option, else the project's ``[project] tiles``, else none.

    Raises
    ------
    InputError
        The basemap is not usable (see :func:`check_tiles`), naming where it came from.
    """
    if option is not None:
        check_tiles(option, "--tiles")
        return option
    if project is None:
        return None
    from geoplan.project import load_project

    tiles = load_project(Path(project)).tiles
    check_tiles(tiles, "[project] tiles")
    return tiles


def check_tiles(tiles: str | None, where: str = "--tiles") -> None:
    """Refuse a basemap that is neither an http(s) URL template with ``{z}``/``{x}``/``{y}`` nor a known
    provider name, before any work is done.

    Raises
    ------
    InputError
        Naming ``where`` (the option or project key) and what to give instead.
    """
    if tiles is None:
        return
    try:
        _basemap(tiles, offline=True)
    except InputError as exc:
        msg = f"{where}: {exc.what}"
        raise InputError(msg, hint=exc.hint) from None


_TILES_HINT = Hint(zh="给出 http(s) 瓦片地址模板，含 {z}、{x}、{y}（如天地图加您的密钥），或 'osm'；不给则离线绘制街道",
                   en="give an http(s) tile URL template with {z}, {x} and {y} (e.g. 天地图 with your key) or 'osm'; "
                      "leave it out to draw the streets offline")


def _basemap(tiles: str | None, offline: bool) -> dict[str, Any] | None:
    """The basemap as {url, attribution, max_zoom} for ``L.tileLayer``, or None for none.

    Raises
    ------
    InputError
        ``tiles`` is neither a URL template nor a known xyzservices provider name.
    """
    if tiles is None and offline:
        return None
    import xyzservices.providers as providers

    if tiles is None or tiles.lower() in ("osm", "openstreetmap"):
        tiles = "OpenStreetMap.Mapnik"
    if "{x}" in tiles or "{z}" in tiles:
        parts = urlsplit(tiles.replace("{s}", "a"))
        if parts.scheme not in ("http", "https") or not parts.hostname or not all(
                f"{{{k}}}" in tiles for k in "xyz"):
            msg = (f"basemap {tiles!r}: a tile URL template must start with http:// or https:// and contain "
                   "{z}, {x} and {y} (WMTS: TILEMATRIX={z}&TILEROW={y}&TILECOL={x})")
            raise InputError(msg, hint=_TILES_HINT)
        host = parts.hostname
        if any(h in host for h in _SHIFTED_HOSTS):
            log.warning("basemap %s uses shifted Chinese coordinates (GCJ-02/BD-09): points will appear "
                        "hundreds of metres off", host)
        return {"url": tiles, "attribution": host, "html": False, "max_zoom": 19}
    try:
        provider = providers.query_name(tiles)
    except ValueError as exc:
        msg = f"basemap {tiles!r}: not a URL template with {{z}}/{{x}}/{{y}} nor a known provider name"
        hint = Hint(zh="给出含 {z}/{x}/{y} 的瓦片 URL 或已知底图名（如 'osm'、'OpenStreetMap.Mapnik'）",
                    en="give a URL template with {z}/{x}/{y} or a known provider name (e.g. 'osm', "
                       "'OpenStreetMap.Mapnik')")
        raise InputError(msg, hint=hint) from exc
    # The provider's own attribution (links to its licence) is markup shipped with xyzservices, not data.
    return {"url": provider.build_url(), "attribution": provider.html_attribution, "html": True,
            "max_zoom": int(provider.get("max_zoom", 19))}
