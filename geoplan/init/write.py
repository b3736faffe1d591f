"""``geoplan init``: from a planner's community and facility tables to a commented ``geoplan.toml`` that runs.

Non-interactive: everything is recognised from names and values (:mod:`~geoplan.init.columns`,
:mod:`~geoplan.init.crsguess`, :mod:`~geoplan.init.types`) and every decision can be overridden by an option.
The report lists what was decided, and how, and what could not be (those are marked ``TODO`` in the file).
The written file is read back with :func:`geoplan.project.load_project` before it is reported as written.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import _hints
from geoplan._errors import Hint, ProjectError
from geoplan.crs import to_wgs84
from geoplan.init.columns import Recognised, recognise
from geoplan.init.crsguess import CrsGuess, guess_crs
from geoplan.init.types import TypeProposal, propose_all
from geoplan.network import Network
from geoplan.parsing import parse_number
from geoplan.presets import list_presets, load_preset
from geoplan.project import LayerSpec, load_project

log = logging.getLogger(__name__)

#: Preset written when no city name is recognised: the demo's, with 15-minute walking circles.
FALLBACK_PRESET = "quzhou-2022"


@dataclass
class InitOptions:
    """What ``geoplan init`` is given (paths and overrides)."""

    communities: Path | None
    facilities: Path
    network: Path | None = None
    out: Path = Path("geoplan.toml")
    preset: str | None = None
    city: str | None = None
    title: str | None = None
    crs: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    sheet: dict[str, str] = field(default_factory=dict)
    household_size: float | None = None
    force: bool = False


@dataclass
class LayerFindings:
    """What was found in one layer."""

    name: str
    spec: LayerSpec
    recognised: Recognised
    crs: CrsGuess
    n_rows: int
    geometry: bool


@dataclass
class InitReport:
    """What ``geoplan init`` wrote, decided and could not decide."""

    path: Path
    text: str
    decided: list[str]
    undecided: list[str]

    def summary(self) -> str:
        """The console text."""
        out = [f"wrote {self.path}", "decided:"] + [f"  - {d}" for d in self.decided]
        if self.undecided:
            out += ["could not decide (marked TODO in the file):"] + [f"  - {u}" for u in self.undecided]
        out.append(f"next: geoplan audit {self.path}")
        return "\n".join(out) + "\n"


def _q(text: object) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _read(path: Path, sheet: str | None) -> pd.DataFrame:
    from geoplan.layers import read_table  # layers imports project; keep init importable on its own

    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    return read_table(LayerSpec(path=path.resolve(), sheet=sheet_arg))


def _raw_xy(frame: pd.DataFrame, rec: Recognised) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any():
        geom = frame.geometry
        pts = geom.where(geom.geom_type == "Point", geom.representative_point())
        ok = ~(pts.isna() | pts.is_empty)
        x = np.full(len(pts), np.nan)
        y = np.full(len(pts), np.nan)
        x[ok.to_numpy()] = pts[ok].x.to_numpy()
        y[ok.to_numpy()] = pts[ok].y.to_numpy()
        return x, y
    if rec.x is None or rec.y is None:
        return np.array([]), np.array([])
    xs = parse_number(frame[rec.x].astype(object))[0].to_numpy(dtype=float)
    ys = parse_number(frame[rec.y].astype(object))[0].to_numpy(dtype=float)
    return xs, ys


def _layer(name: str, path: Path, opts: InitOptions, network: Network | None,
           longitude: float | None) -> tuple[LayerFindings, pd.DataFrame]:
    frame = _read(path, opts.sheet.get(name))
    geometry = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any()
    rec = recognise(frame, name, opts.fields.get(name), geometry=bool(geometry))
    missing = [c for c in (*rec.fields.values(), rec.x, rec.y) if c and c not in frame.columns]
    if missing:
        msg = f"{path}: no column {missing[0]!r} (columns: {', '.join(map(str, frame.columns))})"
        raise ProjectError(msg, hint=Hint(zh="检查 --field 中的列名", en="check the column names given with --field"))
    declared = frame.crs if isinstance(frame, gpd.GeoDataFrame) and geometry else None
    if name in opts.crs:
        guess = CrsGuess(opts.crs[name], "given on the command line", True)
    else:
        x, y = _raw_xy(frame, rec)
        names = " ".join([path.name, str(rec.x or ""), str(rec.y or "")])
        guess = guess_crs(x, y, names=names, declared=declared, network=network, longitude=longitude, layer=name)
    encoding = None
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        from geoplan._encoding import sniff_dbf_encoding

        encoding = sniff_dbf_encoding(path)
        if encoding is not None:
            rec.notes.append(f"no .cpg: text is {encoding} (detected), written as encoding = {encoding!r}")
    spec = LayerSpec(path=path, crs=guess.crs, x=rec.x, y=rec.y, encoding=encoding, fields=rec.fields)
    return LayerFindings(name, spec, rec, guess, len(frame), bool(geometry)), frame


def _share_system(a: LayerFindings, b: LayerFindings) -> tuple[LayerFindings, LayerFindings]:
    """A layer the streets could not decide takes the other layer's system when that one is left possible.

    Only a layer nothing else speaks for (no name, no .prj). Two tables of one study usually come from one
    source (both from Amap, both from Baidu); the streets can tell a big layer's system where a small one's
    points are too few or too far from the streets.
    """
    def take(weak: LayerFindings, strong: LayerFindings) -> LayerFindings:
        system = strong.crs.crs
        if weak.crs.sure or weak.crs.evidence or system not in weak.crs.candidates or system == weak.crs.crs:
            return weak
        how = (f"{system}, as [{strong.name}]: layers of one study usually share a system, and the streets do not "
               f"rule it out here ({weak.crs.facts or weak.crs.how}); check the data's source")
        guess = CrsGuess(system, how, False, weak.crs.candidates)
        return LayerFindings(weak.name, replace(weak.spec, crs=system), weak.recognised, guess, weak.n_rows,
                             weak.geometry)

    ranked = sorted((a, b), key=lambda f: (f.crs.sure, len(f.crs.candidates) == 1, f.n_rows), reverse=True)
    strong, weak = ranked
    if strong.crs.crs is None or not strong.crs.candidates:
        return a, b
    weak = take(weak, strong)
    return (weak, strong) if weak.name == a.name else (strong, weak)


def _longitude(find: LayerFindings, frame: pd.DataFrame) -> float | None:
    if find.crs.crs is None and not find.geometry:
        return None
    x, y = _raw_xy(frame, find.recognised)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    try:
        lon, _ = to_wgs84(x[ok], y[ok], find.crs.crs or (frame.crs if isinstance(frame, gpd.GeoDataFrame)
                                                          else "WGS84"))
    except Exception:
        return None
    return float(np.median(lon))


# ------------------------------------------------------------------------------------------------ preset
def preset_cities() -> dict[str, tuple[str, ...]]:
    """Preset id → the city names it is for (Chinese from its title, pinyin from its id)."""
    out: dict[str, tuple[str, ...]] = {}
    for pid in list_presets():
        title = load_preset(pid).title
        zh = re.findall(r"([\u4e00-\u9fff]{2,3}?)市", title) + re.findall(r"[(（]([\u4e00-\u9fff]{2,3})[)）]", title)
        out[pid] = (*zh, pid.split("-")[0])
    return out


def _text_sample(frames: list[pd.DataFrame], paths: list[Path], limit: int = 2000) -> str:
    parts = [str(p) for p in paths]
    for frame in frames:
        for column in frame.columns:
            if column != "geometry" and frame[column].dtype == object:
                parts += [str(v) for v in frame[column].dropna().head(limit)]
    return "\n".join(parts)


def choose_preset(opts: InitOptions, text: str) -> tuple[str, str, bool]:
    """(preset, how, sure): given, or from the city named on the command line or in the data."""
    if opts.preset:
        return opts.preset, "given on the command line", True
    cities = preset_cities()
    if opts.city:
        for pid, names in cities.items():
            if any(n and (n in opts.city or opts.city.lower() == n.lower()) for n in names):
                return pid, f"city {opts.city!r} is {pid}'s", True
        return FALLBACK_PRESET, (f"city {opts.city!r} has no preset (presets: {', '.join(cities)}): "
                                 f"{FALLBACK_PRESET} written; write your own (docs/presets.md)"), False
    low = text.lower()
    counts = {pid: sum(low.count(n.lower()) for n in names if len(n) >= 2) for pid, names in cities.items()}
    best = max(counts, key=lambda p: counts[p])
    if counts[best] > 0:
        return best, f"the data names {cities[best][0]} ({counts[best]} times)", True
    return FALLBACK_PRESET, (f"no city name found in the data: {FALLBACK_PRESET} (the demo's, with 15-minute "
                             "circles) written; give --city or --preset"), False


# ------------------------------------------------------------------------------------------------ writing
def _layer_toml(find: LayerFindings, base: Path, opts_sheet: Mapping[str, str]) -> list[str]:
    spec = find.spec
    rel = os.path.relpath(spec.path.resolve(), base)
    lines = [f"[{find.name}]", f"path = {_q(rel)}"]
    if spec.crs is not None and find.crs.sure:
        lines += [f"# crs: {find.crs.how}", f"crs = {_q(spec.crs)}"]
    elif spec.crs is not None:
        lines += [f"# TODO check crs: {find.crs.how}", f"crs = {_q(spec.crs)}"]
    elif not find.geometry:
        lines += [f"# TODO crs: {find.crs.how}", '# crs = "WGS84"']
    else:
        lines.append(f"# crs: {find.crs.how}")
    if spec.x and spec.y:
        lines += [f"x = {_q(spec.x)}", f"y = {_q(spec.y)}"]
    if spec.encoding:
        lines.append(f"encoding = {_q(spec.encoding)}   # no .cpg beside the Shapefile: detected")
    if find.name in opts_sheet:
        sheet = opts_sheet[find.name]
        lines.append(f"sheet = {sheet}" if sheet.isdigit() else f"sheet = {_q(sheet)}")
    lines += ["", f"[{find.name}.fields]          # canonical field = your column (docs/project-file.md)"]
    lines += [f"{k} = {_q(v)}" for k, v in spec.fields.items()]
    return lines


def _types_toml(proposals: list[TypeProposal], given: Mapping[str, str],
                types: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = ["[facility_types]                 # your value = plan term (`geoplan presets show PRESET`)"]
    for p in proposals:
        term = given.get(p.value, p.term)
        how = "given on the command line" if p.value in given else p.how
        label = types.get(term or "", {}).get("zh", "") if term else ""
        if term is None:
            lines.append(f"# {_q(p.value)} = \"\"   # TODO ({_rows(p.count)}): {how}; choose a plan term")
        else:
            lines.append(f"{_q(p.value)} = {_q(term)}   # {_rows(p.count)}; {label or term}: {how}")
    return lines


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def init_project(opts: InitOptions, network: Network | None = None) -> InitReport:
    """Recognise the layers and write a project file.

    Parameters
    ----------
    opts : InitOptions
        Paths and overrides.
    network : Network, optional
        The walking network, already read (default: read from ``opts.network``).

    Returns
    -------
    InitReport

    Raises
    ------
    ProjectError
        The output exists (without ``force``), a given column is missing, or the written file does not load.
    InputError, NetworkError
        A layer or the network cannot be read.
    """
    out = opts.out if opts.out.suffix == ".toml" else opts.out / "geoplan.toml"
    if out.exists() and not opts.force:
        msg = f"{out} exists"
        raise ProjectError(msg, hint=Hint(zh="加 --force 覆盖，或用 --out 指定其他路径",
                                          en="give --force to overwrite it, or --out another path"))
    if network is None and opts.network is not None:
        from geoplan.network.load import load_network

        network = load_network(opts.network, cache=True)
    decided: list[str] = []
    undecided: list[str] = []
    fac, fac_frame = _layer("facilities", opts.facilities, opts, network, None)
    findings = [fac]
    frames = [fac_frame]
    if opts.communities is not None:
        com, com_frame = _layer("communities", opts.communities, opts, network, _longitude(fac, fac_frame))
        if fac.crs.crs is None and not fac.geometry and com.crs.crs is not None:
            fac, fac_frame = _layer("facilities", opts.facilities, opts, network, _longitude(com, com_frame))
            findings = [fac]
        com, fac = _share_system(com, fac)
        findings = [com, fac]
        frames.insert(0, com_frame)
    preset, how, sure = choose_preset(opts, _text_sample(frames, [opts.facilities, *filter(None, [opts.communities])]))
    (decided if sure else undecided).append(f"preset {preset}: {how}")
    types = load_preset(preset).types
    for find in findings:
        _report_layer(find, decided, undecided)
    type_col = fac.spec.fields.get("facility_type")
    proposals: list[TypeProposal] = []
    if type_col is not None:
        counts = Counter(str(v).strip() for v in fac_frame[type_col].dropna() if str(v).strip())
        proposals = propose_all(counts, types)
        for p in proposals:
            term = opts.types.get(p.value, p.term)
            if term is None:
                undecided.append(f"facility type {p.value!r} ({_rows(p.count)}): {p.how}")
            else:
                decided.append(f"facility type {p.value!r} ({_rows(p.count)}) → {term}"
                               + (" (given)" if p.value in opts.types else f": {p.how}"))
    else:
        undecided.append("no facility-type column found: give --field facilities.facility_type=COLUMN")
    base = out.parent.resolve()
    text = _render(opts, findings, proposals, preset, how, types, network, base)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out, text)
    try:
        load_project(out)
    except ProjectError as exc:
        msg = f"the project file written to {out} does not load: {exc}"
        raise ProjectError(msg, hint=_hints.REPORT_BUG) from exc
    return InitReport(out, text, decided, undecided)


def _report_layer(find: LayerFindings, decided: list[str], undecided: list[str]) -> None:
    where = f"[{find.name}] {find.spec.path.name} ({find.n_rows} rows)"
    if find.spec.x:
        decided.append(f"{where}: x = {find.spec.x!r}, y = {find.spec.y!r}")
    elif not find.geometry:
        undecided.append(f"{where}: no x/y columns found: give --field {find.name}.x=COLUMN "
                         f"--field {find.name}.y=COLUMN")
    (decided if find.crs.sure else undecided).append(f"{where}: crs {find.crs.crs or '(file)'}: {find.crs.how}")
    fields = ", ".join(f"{k} = {v!r}" for k, v in find.spec.fields.items())
    decided.append(f"{where}: fields {fields or 'none recognised'}")
    for note in find.recognised.notes:
        decided.append(f"{where}: {note}")
    wanted = ("name", "households") if find.name == "communities" else ("name", "facility_type")
    for key in wanted:
        if key not in find.spec.fields:
            undecided.append(f"{where}: no column recognised as {key}: give --field {find.name}.{key}=COLUMN")


def _render(opts: InitOptions, findings: list[LayerFindings], proposals: list[TypeProposal], preset: str,
            preset_how: str, types: Mapping[str, Mapping[str, Any]], network: Network | None, base: Path) -> str:
    title = opts.title or f"{base.name} 一老一小设施审计"
    lines = [
        "# Written by `geoplan init`; every key is explained in docs/project-file.md. Lines marked TODO need you.",
        "# 由 `geoplan init` 生成；各键含义见 docs/project-file.md。标有 TODO 的行需要您确认。",
        "",
        "[project]",
        f"title = {_q(title)}",
        f"preset = {_q(preset)}   # {preset_how}; `geoplan presets list`",
        'crs = "auto"                      # measured in the CGCS2000 Gauss-Krüger zone of the data',
        "",
    ]
    for find in findings:
        lines += [*_layer_toml(find, base, opts.sheet), ""]
    if opts.network is not None:
        rel = os.path.relpath(opts.network.resolve(), base)
        lines += ["[network]", f"path = {_q(rel)}", "max_snap_m = 300                  # farther from a walkable "
                  "street: not evaluable", ""]
    else:
        lines += ["# [network]                       # TODO: a walking network makes distances real "
                  "(`geoplan clip` cuts one from an OSM extract)", '# path = "walk.osm.pbf"', ""]
    lines += [*_types_toml(proposals, opts.types, types), ""]
    com = next((f for f in findings if f.name == "communities"), None)
    lines += ["[audit]"]
    if opts.household_size is not None:
        lines.append(f"household_size = {opts.household_size:g}   # given: population = households × this where "
                     "missing (flagged assumed)")
    elif com is not None and "population" not in com.spec.fields:
        lines.append("# household_size = 2.5            # TODO: the census's people per household, to estimate "
                     "population from households")
    return "\n".join(lines) + "\n"
