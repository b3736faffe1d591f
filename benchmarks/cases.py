"""The benchmark cases (real Hangzhou, a generated city) and geoplan's side of the reach comparison."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj

from benchmarks import citygen
from benchmarks.peers import Question, Timing, TypeSet, clock
from geoplan import settings
from geoplan.access import Access
from geoplan.layers import canonical_communities, canonical_facilities, read_table
from geoplan.network import Network
from geoplan.presets import load_preset
from geoplan.project import load_project
from geoplan.rules import reach
from geoplan.rules.base import Rule, RuleContext

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "hangzhou-central"


@dataclass
class Case:
    """One project to benchmark."""

    name: str
    toml: Path
    pbf: Path
    about: str


def hangzhou_case(folder: Path) -> Case | str:
    """The demo's project pointed at ``../shared/data`` (BD-09 compounds, OSM facilities, 2015 streets)."""
    if not SHARED.is_dir():
        return f"skipped: {SHARED} not found"
    text = (REPO / "layers" / "hangzhou-central" / "geoplan.toml").read_text(encoding="utf-8")
    for name in ("compounds-bd09.csv", "facilities-osm-2024.csv", "streets-2015.osm.pbf"):
        text = text.replace(f'path = "{name}"', f'path = "{(SHARED / name).as_posix()}"')
    text = text.replace('crs = "auto"', 'crs = "EPSG:4549"')
    folder.mkdir(parents=True, exist_ok=True)
    toml = folder / "geoplan.toml"
    toml.write_text(text, encoding="utf-8")
    return Case("Hangzhou (real, shared/data)", toml, SHARED / "streets-2015.osm.pbf",
                "central Hangzhou: 2015 OSM streets, 804 BD-09 compounds, OSM facilities; preset quzhou-2022")


def city_case(spec: citygen.CitySpec, cache: Path) -> Case:
    """The generated city, written once to ``cache/<spec.tag>/`` (PBF, CSVs, geoplan.toml) and reused."""
    folder = cache / spec.tag
    toml = folder / "geoplan.toml"
    if not toml.is_file():
        citygen.write_project(citygen.generate(spec), folder)
    return Case(f"generated city ({spec.n}×{spec.n} grid)", toml, folder / "city.osm.pbf",
                f"citygen {spec.tag}: {spec.communities:,} communities, {spec.facilities:,} facilities; "
                "preset zhoukou-2022")


@dataclass
class Layers:
    """The project's layers as the audit prepares them, and its reach rules."""

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    crs: pyproj.CRS
    rules: list[Rule]
    speed: float
    limit_m: float
    snap_m: float


def prepare(toml: Path) -> Layers:
    """Read and project the layers like :func:`geoplan.audit` does (the project's CRS is given)."""
    proj = load_project(toml)
    pre = load_preset(proj.preset)
    assert proj.communities is not None, f"{toml}: no communities layer"
    communities, _ = canonical_communities(read_table(proj.communities), proj.communities)
    facilities = canonical_facilities(read_table(proj.facilities), proj.facilities, proj.facility_types,
                                      set(pre.types))
    crs = pyproj.CRS.from_user_input(proj.crs)
    speed = float(proj.audit.get("walk_speed_m_per_min") or pre.parameters.get("walk_speed_m_per_min")
                  or settings.walk_speed_m_per_min)
    rules = [r for r in pre.rules if r.kind == "reach"]
    limit = settings.search_factor * max(float(r.params["minutes"]) * speed for r in rules)
    snap = float((proj.network.max_snap_m if proj.network else None) or settings.max_snap_m)
    return Layers(communities.to_crs(crs), facilities.to_crs(crs), crs, rules, speed, limit, snap)


def geoplan_reach(net: Network, layers: Layers, repeat: int = 3) -> tuple[Timing, Timing, Question]:
    """Attach the points, then evaluate every reach rule (best of ``repeat``); and the question the peers get."""
    best: tuple[Timing, Timing, Access] | None = None
    for _ in range(repeat):
        attach = Timing("geoplan attach_points", note=f"k-d tree nearest edge, split, spur; best of {repeat}")
        with clock(attach):
            access = Access(layers.communities, layers.facilities, net, max_snap_m=layers.snap_m,
                            limit_m=layers.limit_m)
        ctx = RuleContext(communities=layers.communities, facilities=layers.facilities, access=access,
                          walk_speed_m_per_min=layers.speed, speed_basis="preset", options={})
        timing = Timing("geoplan reach audit",
                        note=f"{len(layers.rules)} reach rules: CSR, Dijkstra, rule tables; best of {repeat}")
        with clock(timing):
            for rule in layers.rules:
                reach.evaluate(rule, ctx)
        if best is None or attach.wall + timing.wall < best[0].wall + best[1].wall:
            best = (attach, timing, access)
    assert best is not None
    attach, timing, access = best
    assert access.graph is not None and access.community_attachment is not None
    assert access.facility_attachment is not None
    com = access.community_attachment
    sets = []
    for rule in layers.rules:
        fac = access.facility_mask(rule.params["types"]) & access.facility_attachment.attached
        if not fac.any():
            continue
        sets.append(TypeSet(
            name=rule.id, sources=np.unique(access.facility_attachment.node[fac]), targets=com.node[com.attached],
            threshold_m=float(rule.params["minutes"]) * layers.speed,
            geoplan_m=access.nearest(rule.params["types"]).dist_m[com.attached],
        ))
    timing.note += f" ({', '.join(f'{s.sources.size:,} sources' for s in sets)}; {com.n_attached:,} targets)"
    return attach, timing, Question.from_network(access.graph, layers.limit_m, sets)
