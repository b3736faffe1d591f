"""The rows one area contributes to the consolidated outputs, in the plans' terms.

* ``indicators`` — the result's indicators (the plan's wording, measured / target / shortfall / basis);
* ``failing`` — communities failing a rule, with the figures and the reason, and lon/lat (WGS84);
* ``units`` — per admin unit (or the whole city) results of presence, ratio, targets and count rules, with
  ``numerator``, ``denominator`` and, for ratios, ``required`` = target × denominator / per (what the plan asks
  for on the census figures, known even when the supply is not);
* ``suggestions`` — sites that would close the gaps, from :func:`geoplan.siting.suggest_sites`.

Every table starts with ``area_id``, ``area_title``, ``preset_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from geoplan.batch.suggest import suggestions
from geoplan.rules.base import FAIL, INDICATOR_COLUMNS, RESULT_COLUMNS

if TYPE_CHECKING:
    from geoplan.batch.spec import AreaSpec
    from geoplan.presets import Preset
    from geoplan.project import Project
    from geoplan.result import AuditResult

KEY_COLUMNS: Final = ("area_id", "area_title", "preset_id")
FAILING_COLUMNS: Final = (*KEY_COLUMNS, "rule_id", "rule_title_zh", "community_id", "name", "households",
                          *RESULT_COLUMNS, "lon", "lat")
UNIT_COLUMNS: Final = (*KEY_COLUMNS, "rule_id", "kind", "level", "unit_code", "unit_name", *RESULT_COLUMNS,
                       "numerator", "denominator", "denominator_source", "required")
#: Columns of each table read back as numbers (the others are text).
NUMERIC: Final = frozenset(("measured", "target", "shortfall", "households", "value", "threshold", "lon", "lat",
                            "numerator", "denominator", "required", "rank", "x", "y", "covers", "covers_households",
                            "distance_m"))


def _keyed(table: pd.DataFrame, area: AreaSpec, result: AuditResult) -> pd.DataFrame:
    out = table.reset_index(drop=True).copy()
    for i, (name, value) in enumerate(zip(KEY_COLUMNS, (area.id, area.title, result.preset_id), strict=True)):
        out.insert(i, name, value)
    return out


def _lonlat(result: AuditResult) -> tuple[np.ndarray, np.ndarray]:
    com = result.communities
    if com.empty:
        return np.array([]), np.array([])
    points = com.geometry.to_crs(4326)
    ok = points.notna() & ~points.is_empty
    lon = np.where(ok, points.x.where(ok), np.nan).round(6)
    lat = np.where(ok, points.y.where(ok), np.nan).round(6)
    return lon, lat


def failing_table(result: AuditResult, area: AreaSpec) -> pd.DataFrame:
    """Communities failing a rule (one row per community and rule), in input order then rule order."""
    f = result.findings
    if f.empty:
        return pd.DataFrame(columns=list(FAILING_COLUMNS))
    f = f[(f["level"] == "community") & (f["status"] == FAIL)]
    com = result.communities
    lon, lat = _lonlat(result)
    idx = f["feature_index"].to_numpy(dtype=int)
    titles = dict(zip(result.rules["id"], result.rules["title_zh"], strict=True))
    table = pd.DataFrame({
        "rule_id": f["rule_id"].to_numpy(), "rule_title_zh": f["rule_id"].map(titles).to_numpy(),
        "community_id": f["feature_id"].astype(str).to_numpy(), "name": f["feature_name"].to_numpy(),
        "households": com["households"].to_numpy()[idx] if len(com) else [],
        **{c: f[c].to_numpy() for c in RESULT_COLUMNS},
        "lon": lon[idx] if len(lon) else [], "lat": lat[idx] if len(lat) else [],
    })
    return _keyed(table, area, result)[list(FAILING_COLUMNS)]


def units_table(result: AuditResult, area: AreaSpec) -> pd.DataFrame:
    """Per-unit (or whole-area) results of the admin- and area-level rules."""
    frames = []
    for rule_id, res in result.rule_results.items():
        if res.level not in ("admin", "area"):
            continue
        t = res.table
        names = t["area_name"] if "area_name" in t.columns else t.get("unit_name", pd.Series(t.index, index=t.index))
        table = pd.DataFrame({
            "rule_id": rule_id, "kind": res.rule.kind, "level": res.rule.params.get("level", "city"),
            "unit_code": t.index.astype(str), "unit_name": names.astype(str).to_numpy(),
            **{c: t[c].to_numpy() for c in RESULT_COLUMNS},
            **{c: (t[c].to_numpy() if c in t.columns else np.nan) for c in ("numerator", "denominator")},
            "denominator_source": t["denominator_source"].to_numpy() if "denominator_source" in t.columns else "",
        })
        per = res.rule.params.get("per")
        den = pd.to_numeric(table["denominator"], errors="coerce")
        table["required"] = (pd.to_numeric(table["threshold"], errors="coerce") * den / float(per)).round(1) if (
            res.rule.kind == "ratio" and per) else np.nan
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=list(UNIT_COLUMNS))
    return _keyed(pd.concat(frames, ignore_index=True), area, result)[list(UNIT_COLUMNS)]


def indicators_table(result: AuditResult, area: AreaSpec) -> pd.DataFrame:
    """The result's indicators with the area keys in front."""
    ind = result.indicators
    table = ind[[c for c in INDICATOR_COLUMNS if c in ind.columns]]
    return _keyed(table, area, result)


def area_tables(result: AuditResult, area: AreaSpec, project: Project,
                preset: Preset | None = None) -> dict[str, pd.DataFrame]:
    """Every table the area contributes, by name (the CSV file stems in the area's ``tables/``)."""
    return {
        "indicators": indicators_table(result, area),
        "failing": failing_table(result, area),
        "units": units_table(result, area),
        "suggestions": _keyed(suggestions(project, result, preset), area, result),
    }
