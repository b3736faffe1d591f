"""Audit one area of a batch and write its folder: what a worker process (local or on a cluster) runs.

An area's folder (``<out>/areas/<id>/``) holds, when complete:

* ``geoplan.toml`` — the area's resolved project file (``geoplan audit`` reruns it alone);
* ``audit.gpkg`` — communities, facilities and admin units with QGIS styles; ``gap_map.html``;
* ``tables/*.csv`` — the rows the consolidated outputs gather (indicators, failing communities, units,
  suggestions), plain CSV with full float precision;
* ``area.json`` — written last: status, fingerprint, counts, timings and peak memory. An area whose
  ``area.json`` says ``done`` with the current fingerprint is skipped on a rerun.

Only the :class:`AreaSpec` goes to the worker and only a small :class:`AreaOutcome` comes back: the results
stay on the (shared) disk the consolidation reads.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import platform
import resource
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from geoplan._errors import Hint
from geoplan.batch._toml import dumps
from geoplan.batch.spec import AreaSpec
from geoplan.batch.tables import area_tables
from geoplan.outputs._atomic import write_text
from geoplan.presets import Preset, load_preset

log = logging.getLogger(__name__)

DONE: Final = "done"
SKIPPED: Final = "skipped"
ERROR: Final = "error"
MARKER: Final = "area.json"
TABLES: Final = "tables"


@dataclass(frozen=True)
class AreaOutcome:
    """What a worker sends back for one area (small: the results themselves are on disk).

    Attributes
    ----------
    id : str
        The area id.
    status : {"done", "skipped", "error"}
    message : str
        The error (type and message) for ``error``; empty otherwise.
    seconds : float
        Wall time of the whole area (audit + outputs) on the worker.
    audit_seconds : float
        Time of :func:`geoplan.audit.audit` alone.
    peak_rss_mb : float
        Peak resident memory of the worker process so far (Linux ``ru_maxrss``).
    worker : str
        ``host:pid`` of the process that ran it.
    counts : dict
        communities, facilities, rules, admin units, failing findings (community × rule).
    """

    id: str
    status: str
    message: str = ""
    seconds: float = 0.0
    audit_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str = ""
    counts: dict[str, int] = dataclasses.field(default_factory=dict)


def select_rules(preset: Preset, area: AreaSpec) -> Preset:
    """The preset limited to the area's ``kinds`` / ``rules``, with its ``ratio_level`` applied.

    Raises
    ------
    ProjectError
        When the selection leaves no rule, naming what the preset has.
    """
    from geoplan._errors import ProjectError
    from geoplan.rules import KINDS

    rules = [r for r in preset.rules if (area.kinds is None or r.kind in area.kinds)
             and (area.rules is None or r.id in area.rules)]
    if not rules:
        have = ", ".join(f"{r.id} ({r.kind})" for r in preset.rules)
        msg = (f"area {area.id!r}: no rule of preset {preset.id} matches kinds={list(area.kinds or [])} "
               f"rules={list(area.rules or [])}; the preset has: {have}")
        raise ProjectError(msg, hint=Hint(zh="修改该区域的 kinds / rules，使其对应预设中的规则",
                                          en="fix the area's kinds / rules to name rules of the preset"))
    if area.ratio_level:
        level = {"level": area.ratio_level}
        rules = [dataclasses.replace(r, params={**r.params, **level}) if KINDS[r.kind].area_level else r
                 for r in rules]
    return dataclasses.replace(preset, rules=tuple(rules))


def read_marker(area: AreaSpec) -> dict[str, Any] | None:
    """The area's ``area.json``, or None when absent or unreadable."""
    try:
        data = json.loads((area.out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_complete(area: AreaSpec, fingerprint: str | None = None) -> bool:
    """True when the area's folder holds a finished run of exactly this spec."""
    marker = read_marker(area)
    return bool(marker and marker.get("status") == DONE
                and marker.get("fingerprint") == (fingerprint or area.fingerprint()))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), what="the area marker")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _audit_and_write(area: AreaSpec) -> tuple[float, dict[str, int]]:
    from geoplan.audit import audit
    from geoplan.outputs.export import export_result
    from geoplan.outputs.maps import write_gap_map
    from geoplan.project import load_project

    out = area.out_dir
    project_path = out / "geoplan.toml"
    write_text(project_path, dumps(area.project, header=f"area {area.id} of a geoplan batch (generated)"),
               what="the area's project file")
    project = load_project(project_path)
    preset = select_rules(load_preset(project.preset), area)
    t0 = time.perf_counter()
    result = audit(project, preset=preset, minutes=area.minutes, use_network=area.use_network,
                   created=area.created, admin_codes=list(area.admin) if area.admin else None)
    audit_seconds = time.perf_counter() - t0
    export_result(result, out, formats=("gpkg",), stem="audit")
    write_gap_map(result, out / "gap_map.html")
    tables = area_tables(result, area, project, preset)
    folder = out / TABLES
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        write_text(folder / f"{name}.csv", table.to_csv(index=False, lineterminator="\n"), what="the area table")
    counts = {"communities": len(result.communities), "facilities": len(result.facilities),
              "rules": len(result.rules), "admin_units": 0 if result.admin_units is None else len(result.admin_units),
              "failing_findings": len(tables["failing"])}
    return audit_seconds, counts


def run_area(area: AreaSpec) -> AreaOutcome:
    """Audit one area and write its folder; never raises for a problem of the area itself.

    Any exception while auditing (bad layer, unknown preset, unreadable network ...) is caught, written to
    ``area.json`` with status ``error`` and returned, so that the other areas of the batch finish.
    """
    t0 = time.perf_counter()
    worker = f"{platform.node()}:{os.getpid()}"
    out = area.out_dir
    marker: dict[str, Any] = {"id": area.id, "title": area.title, "worker": worker, "created": area.created}
    try:
        marker["fingerprint"] = area.fingerprint()
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).unlink(missing_ok=True)
        audit_seconds, counts = _audit_and_write(area)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        log.error("area %s failed: %s", area.id, message)
        marker.update(status=ERROR, message=message, traceback=traceback.format_exc(limit=8))
        if out.is_dir():
            _write_json(out / MARKER, marker)
        return AreaOutcome(area.id, ERROR, message, time.perf_counter() - t0, 0.0, _peak_rss_mb(), worker)
    seconds = time.perf_counter() - t0
    marker.update(status=DONE, seconds=round(seconds, 3), audit_seconds=round(audit_seconds, 3), counts=counts,
                  peak_rss_mb=round(_peak_rss_mb(), 1))
    _write_json(out / MARKER, marker)
    log.info("area %s done in %.1f s", area.id, seconds)
    return AreaOutcome(area.id, DONE, "", seconds, audit_seconds, _peak_rss_mb(), worker, counts)


def read_tables(area: AreaSpec) -> dict[str, pd.DataFrame]:
    """The tables a completed area wrote (empty dict when the area has none)."""
    folder = area.out_dir / TABLES
    out: dict[str, pd.DataFrame] = {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        out[path.stem] = pd.read_csv(path, dtype={"area_id": str, "unit_code": str, "feature_id": str})
    return out
