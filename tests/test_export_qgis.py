"""audit.gpkg and audit.qgs opened in real QGIS (Debian's python3-qgis, headless): every layer, its feature
count and its style, the project's groups, and a rendered PNG.

QGIS's Python bindings belong to the system Python (``/usr/bin/python3``), not the one geoplan runs on, so
the checking half (tests/qgis_check.py) runs there in a subprocess and reports JSON. The tests skip when that
Python has no ``qgis`` module, unless ``GEOPLAN_REQUIRE_QGIS=1`` (CI), which makes them fail instead.
``GEOPLAN_QGIS_PYTHON`` names another Python with QGIS. GDAL's own ``ogrinfo`` (Debian's GDAL 3.6, installed
with QGIS) checks the GeoPackage opens without the "may only be partially supported" warning.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import suggest_fixtures as fx

from geoplan.audit import audit
from geoplan.demo import demo_project
from geoplan.outputs._gislayers import rule_titles
from geoplan.outputs._symbols import facility_symbol
from geoplan.outputs.export import export_result
from geoplan.result import SEP, AuditResult
from geoplan.siting import suggest_sites
from geoplan.siting.planning.plans import SitingResult

REQUIRE_ENV = "GEOPLAN_REQUIRE_QGIS"
CHECK = Path(__file__).with_name("qgis_check.py")
DATE = "2026-01-15"


@cache
def _qgis_python() -> str | None:
    python = os.environ.get("GEOPLAN_QGIS_PYTHON", "/usr/bin/python3")
    if not Path(python).is_file():
        return None
    probe = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, env=_env(), timeout=120,
                           check=False)
    return python if probe.returncode == 0 else None


def _env() -> dict[str, str]:
    # the system Python must not pick up this interpreter's packages
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _need_qgis() -> str:
    python = _qgis_python()
    if python is None:
        reason = ("QGIS Python bindings not found (apt-get install python3-qgis qgis-providers, or set "
                  "GEOPLAN_QGIS_PYTHON)")
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    return python


def _run_qgis(folder: Path) -> dict[str, Any]:
    python = _need_qgis()
    done = subprocess.run([python, str(CHECK), str(folder / "audit.gpkg"), str(folder / "audit.qgs"),
                           str(folder / "qgis.png")], capture_output=True, text=True, env=_env(), timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, SitingResult, Path, dict[str, Any]]:
    _need_qgis()
    project = fx.write_project(tmp_path_factory.mktemp("street"))
    result = audit(project, preset=fx.preset())
    siting = suggest_sites(project, result, preset=fx.preset(), candidates="given")
    out = tmp_path_factory.mktemp("street_gis")
    export_result(result, out, formats=("gpkg",), siting=siting)
    return result, siting, out, _run_qgis(out)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, Path, dict[str, Any]]:
    _need_qgis()
    result = audit(demo_project(), created=DATE)
    out = tmp_path_factory.mktemp("demo_gis")
    export_result(result, out, formats=("gpkg",))
    return result, out, _run_qgis(out)


def _counts(result: AuditResult, siting: SitingResult | None) -> dict[str, int]:
    counts = {"communities": len(result.communities), "facilities": len(result.facilities)}
    if result.admin_units is not None:
        counts["admin_units"] = len(result.admin_units)
    if result.service_areas is not None:
        for (rule_id, coverage), rows in result.service_areas.groupby(["rule_id", "coverage"], sort=False):
            counts[f"{'service_area' if coverage == 'covered' else 'uncovered'}__{rule_id}"] = len(rows)
    if siting is not None:
        counts["suggestions"] = len(siting.suggestions)
        counts["catchments"] = len(siting.catchments)
    return counts


def _status_rules(frame: Any) -> list[str]:
    return [str(c).split(SEP)[0] for c in frame.columns if str(c).endswith(f"{SEP}status")]


def _check_gpkg(report: dict[str, Any], result: AuditResult, siting: SitingResult | None) -> None:
    layers = {layer["name"]: layer for layer in report["gpkg"] if layer["spatial"]}
    assert {name: layer["count"] for name, layer in layers.items()} == _counts(result, siting)
    for name, layer in layers.items():
        assert layer["valid"], name
        # the default style from layer_styles is applied on opening: never QGIS's random single symbol
        assert layer["renderer"]["type"] == "categorizedSymbol", name
    community_rules = _status_rules(result.communities)
    assert layers["communities"]["renderer"]["attr"] == f"{community_rules[0]}{SEP}status"
    assert len(layers["communities"]["db_styles"]) == len(community_rules)
    facilities = layers["facilities"]["renderer"]
    assert facilities["attr"] == "facility_type"
    for (term, _label, colour), shape in zip(facilities["categories"], facilities["shapes"], strict=True):
        assert (colour, shape) == (facility_symbol(term).colour.lower(), facility_symbol(term).shape)
    assert not [m for m in report["messages"] if "partially supported" in m]


def _check_project(report: dict[str, Any], result: AuditResult, siting: SitingResult | None) -> None:
    project = report["project"]
    assert project["read"] and project["crs"] == f"EPSG:{result.crs.to_epsg()}"
    counts = _counts(result, siting)
    titles = rule_titles(result)
    assert project["groups"] and set(project["groups"]) <= set(titles.values())
    shown = set()
    for layer in project["layers"]:
        assert layer["valid"], layer["id"]
        table = layer["source"].split("layername=")[1].split("|")[0]
        shown.add(table)
        rule = layer["id"].split("__", 1)[1] if "__" in layer["id"] else ""
        if table in ("suggestions", "catchments") and siting is not None:
            frame = siting.suggestions if table == "suggestions" else siting.catchments
            assert layer["count"] == int((frame["rule_id"] == rule).sum()) > 0
            assert layer["group"] == titles[rule]
        else:
            assert layer["count"] == counts[table]
        if table in ("communities", "admin_units") and layer["group"]:
            assert layer["renderer"]["attr"] == f"{rule}{SEP}status"
    assert shown == set(counts)
    render = project["render"]
    assert render["errors"] == [] and (render["width"], render["height"]) == (900, 700)
    # sampled every 3rd pixel: at least 0.5 % of the map is drawn (the street fixture is one thin street)
    assert render["drawn_samples"] > 0.005 * (900 // 3) * (700 // 3)


def test_street_project_with_siting_in_qgis(street: tuple[AuditResult, SitingResult, Path, dict[str, Any]]) -> None:
    result, siting, out, report = street
    assert report["qgis"].startswith("3.")
    _check_gpkg(report, result, siting)
    _check_project(report, result, siting)
    assert (out / "qgis.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_audit_in_qgis(demo: tuple[AuditResult, Path, dict[str, Any]]) -> None:
    result, _out, report = demo
    _check_gpkg(report, result, None)
    _check_project(report, result, None)


def test_gdal_opens_the_geopackage_without_a_version_warning(demo: tuple[AuditResult, Path, dict[str, Any]]) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo not installed (it comes with qgis-providers)")
    done = subprocess.run([ogrinfo, "-ro", "-so", str(demo[1] / "audit.gpkg")], capture_output=True, text=True,
                          env=_env(), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "partially supported" not in done.stdout + done.stderr
    assert "Warning" not in done.stderr, done.stderr
