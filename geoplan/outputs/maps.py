"""Gap maps: one self-contained HTML file showing where a plan's rules pass and fail.

Communities are coloured by each community-level rule's status (one overlay per rule, the first shown),
facilities are drawn by type, and admin units (when the audit has them) by pass rate. The file opens offline
by default: Leaflet is inlined and no basemap is requested unless ``tiles`` asks for one.

Examples
--------
>>> write_gap_map(result, "maps/hangzhou.html")                       # doctest: +SKIP
>>> write_map_png("maps/hangzhou.html", "maps/hangzhou.png")          # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import folium
from branca.element import Figure

from geoplan._errors import OutputError
from geoplan.outputs import _mapdata, _maptext
from geoplan.outputs._layers import Finish, JsLayer, Runtime
from geoplan.outputs._png import write_map_png

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.result import AuditResult

__all__ = ["add_service_areas", "add_suggestions", "build_gap_map", "write_gap_map", "write_map_png"]

log = logging.getLogger(__name__)

# Chinese web maps (GCJ-02 / BD-09) are shifted from WGS84 by hundreds of metres.
_SHIFTED_HOSTS = ("autonavi", "amap", "gaode", "map.qq", "tencent", "baidu", "bdimg")


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
) -> folium.Map:
    """Build the gap map of an audit as a folium map (see :func:`write_gap_map` for the parameters).

    Returns
    -------
    folium.Map
        Render with ``m.get_root().render()`` or save with ``m.save(path)``; further layers can be added
        with :func:`add_service_areas` and :func:`add_suggestions` before that.
    """
    words = _maptext.text(lang)
    titles = _mapdata.rule_titles(result.rules, lang)
    comm_rules = _mapdata.rules_in(result.communities, titles, rules)
    comm = _mapdata.to_wgs84(result.communities, result.crs, "communities")
    communities, _ = _mapdata.feature_set(comm, comm_rules, titles, "community_id")
    fac = result.facilities if result.facilities is not None else comm.iloc[:0]
    facilities = _mapdata.facilities_payload(
        _mapdata.to_wgs84(fac, result.crs, "facilities"), titles,
        _mapdata.type_labels(result.extra, result.preset_id, lang),
    )
    admin = None
    if result.admin_units is not None and len(result.admin_units):
        admin = _mapdata.admin_payload(result.admin_units, result.communities, comm_rules, titles, result.crs,
                                       words)
    tile_layer = _tile_layer(tiles, offline)
    payload: dict[str, Any] = {
        "text": words,
        "colors": _maptext.STATUS_COLORS,
        "ramp": list(_maptext.RATE_RAMP),
        "title": _title(result, words),
        "tiles": tile_layer is not None,
        "communities": communities,
        "facilities": facilities,
        "admin": admin,
        "extras": [],
    }
    m = folium.Map(location=_center(communities, facilities), zoom_start=12, tiles=None, control_scale=False,
                   prefer_canvas=True, max_zoom=19, min_zoom=3)
    # folium's own CDN links (jQuery, Bootstrap, ...) are not used; Runtime brings Leaflet itself.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = html.escape(payload["title"]["main"])  # branca inserts <title> unescaped
    if tile_layer is not None:
        tile_layer.add_to(m)
    m.add_child(Runtime(payload, offline, {"text": words, "crs": result.crs}))
    fail_word = _maptext.status_label(lang, "fail")
    for k, block in enumerate(communities["rules"]):
        name = f"{block['title']} ({fail_word} {block['counts'].get('fail', 0)}/{communities['n']})"
        m.add_child(JsLayer(f"community:{k}", html.escape(name), show=k == 0))
    for k, kind in enumerate(facilities["types"]):
        m.add_child(JsLayer(f"facility:{k}", html.escape(f"{kind['name']} ({kind['count']})"), show=True))
    for k, spec in enumerate(admin["layers"] if admin else []):
        m.add_child(JsLayer(f"admin:{k}", html.escape(spec["title"]), show=False))
    m.add_child(folium.LayerControl(collapsed=False, position="topright"))
    m.add_child(Finish())
    if service_areas is not None:
        # Rows marked coverage = "uncovered" (street frontage no facility reaches) get a layer of their own.
        uncovered = (service_areas["coverage"] == "uncovered").to_numpy() if "coverage" in service_areas else None
        if uncovered is None:
            add_service_areas(m, service_areas)
        else:
            if (~uncovered).any():
                add_service_areas(m, service_areas[~uncovered])
            if uncovered.any():
                _add_extra(m, service_areas[uncovered].drop(columns="facility_type", errors="ignore"), "uncovered",
                           None, show=False)
    if suggestions is not None or catchments is not None or fixed is not None:
        add_suggestions(m, suggestions, catchments, fixed)
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
        Basemap: ``"osm"``, a folium / xyzservices name, or a URL template with ``{z}/{x}/{y}``. Off by
        default when offline (tiles need the network). Note Chinese web maps (Amap, Tencent, Baidu) are in
        shifted coordinates (GCJ-02 / BD-09), so WGS84 points land hundreds of metres off on them.
    service_areas, suggestions, catchments, fixed : GeoDataFrame, optional
        Extra layers, see :func:`add_service_areas` and :func:`add_suggestions`.

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
                      service_areas=service_areas, suggestions=suggestions, catchments=catchments, fixed=fixed)
    _number_elements(m)
    page = m.get_root().render()
    # Chromium picks Chinese (not Japanese) glyph variants for Han characters from the page language.
    page = page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the gap map to {out}: {exc}") from exc
    log.info("gap map %s: %.2f MB, %d communities", out, out.stat().st_size / 1e6, len(result.communities))
    return out


def add_service_areas(m: folium.Map, areas: gpd.GeoDataFrame, *, title: str | None = None) -> None:
    """Add service areas (e.g. 15-minute walk isochrones of facilities) as one overlay, hidden at first.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_gap_map`, not yet rendered.
    areas : GeoDataFrame
        Polygons, in any CRS (none: the audit's). With ``facility_type`` they take the type's colour; every
        scalar column shows in the popup.
    title : str, optional
        Layer name; default "服务范围" / "Service areas".
    """
    _add_extra(m, areas, "service_areas", title, show=False)


def add_suggestions(m: folium.Map, suggestions: gpd.GeoDataFrame | None,
                    catchments: gpd.GeoDataFrame | None = None, fixed: gpd.GeoDataFrame | None = None) -> None:
    """Add suggested new sites (stars), their catchments (dashed outlines) and what they fix (rings), all shown.

    Parameters
    ----------
    m : folium.Map
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


def _add_extra(m: folium.Map, gdf: gpd.GeoDataFrame, role: str, title: str | None, show: bool) -> None:
    runtime = next((c for c in m._children.values() if isinstance(c, Runtime)), None)
    if runtime is None:
        raise ValueError("not a gap map: build it with build_gap_map()")
    words = runtime.context["text"]
    name = title or str(words[role])
    extras = runtime.payload["extras"]
    extras.append(_mapdata.extra_payload(gdf, role, name, runtime.payload["facilities"]["types"],
                                         runtime.context["crs"]))
    # The control and the closing call must stay after every layer they reference.
    tail = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl | Finish)]
    for k, _ in tail:
        del m._children[k]
    m.add_child(JsLayer(f"extra:{len(extras) - 1}", html.escape(f"{name} ({len(gdf)})"), show=show))
    for k, c in tail:
        m.add_child(c, name=k)


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


def _tile_layer(tiles: str | None, offline: bool) -> folium.TileLayer | None:
    if tiles is None:
        return None if offline else folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)
    if tiles.lower() in ("osm", "openstreetmap"):
        return folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)
    if "{x}" in tiles or "{z}" in tiles:
        host = urlsplit(tiles.replace("{s}", "a")).hostname or tiles
        if any(h in host for h in _SHIFTED_HOSTS):
            log.warning("basemap %s uses shifted Chinese coordinates (GCJ-02/BD-09): points will appear "
                        "hundreds of metres off", host)
        return folium.TileLayer(tiles, attr=html.escape(host), name=html.escape(host), control=False)
    return folium.TileLayer(tiles, control=False)


def _number_elements(m: folium.Map) -> None:
    """Give every element a sequential id, so the same audit writes the same file byte for byte."""
    seen: set[int] = set()
    stack = [m.get_root()]
    while stack:
        element = stack.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        element._id = f"{len(seen):04d}"
        stack.extend(element._children.values())
