"""The architecture's import contract (docs/architecture.md) holds, and breaking it is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("importlinter", reason="import-linter is in the dev extra")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    config = root / ".importlinter.toml"
    config.write_text(_contract_toml(), encoding="utf-8")
    cmd = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
           "--config", str(config), "--no-cache"]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)


def _contract_toml() -> str:
    """The contract section of pyproject.toml, as a config file of its own."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    section = text[start:]
    tomllib.loads(section)  # it must stand on its own
    return section


def _copy_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "geoplan", tmp_path / "geoplan", ignore=shutil.ignore_patterns("assets", "__pycache__"))
    return tmp_path


def test_the_package_keeps_the_contract(tmp_path: Path) -> None:
    done = _lint(_copy_package(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


def test_a_rule_importing_outputs_breaks_the_contract(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    reach = root / "geoplan" / "rules" / "reach.py"
    reach.write_text(reach.read_text(encoding="utf-8") + "\nimport geoplan.outputs.maps  # forbidden\n",
                     encoding="utf-8")
    done = _lint(root)
    assert done.returncode != 0
    assert "geoplan.rules.reach -> geoplan.outputs.maps" in done.stdout


def test_the_network_importing_the_cli_breaks_the_contract(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    graph = root / "geoplan" / "network" / "graph.py"
    graph.write_text(graph.read_text(encoding="utf-8") + "\nimport geoplan.cli  # forbidden\n", encoding="utf-8")
    done = _lint(root)
    assert done.returncode != 0
    assert "geoplan.network.graph -> geoplan.cli" in done.stdout


def test_the_siting_solver_importing_geoplan_breaks_the_contract(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    milp = root / "geoplan" / "siting" / "solver" / "milp.py"
    milp.write_text(milp.read_text(encoding="utf-8") + "\nimport geoplan.rules.base  # forbidden\n", encoding="utf-8")
    done = _lint(root)
    assert done.returncode != 0
    assert "geoplan.siting.solver.milp -> geoplan.rules.base" in done.stdout


def test_the_solver_contract_lists_every_other_module() -> None:
    """A new top-level module is forbidden to the solver too (only _errors, its _hints and settings are allowed)."""
    contracts = tomllib.loads(_contract_toml())["tool"]["importlinter"]["contracts"]
    solver = next(c for c in contracts if c.get("source_modules") == ["geoplan.siting.solver"])
    pkg = ROOT / "geoplan"
    top = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
    top |= {p.parent.name for p in pkg.glob("*/__init__.py")}
    expected = {f"geoplan.{m}" for m in top - {"_errors", "_hints", "settings", "siting"}}
    expected |= {f"geoplan.siting.{p.stem}" for p in (pkg / "siting").glob("*.py") if p.stem != "__init__"}
    expected |= {f"geoplan.siting.{p.parent.name}" for p in (pkg / "siting").glob("*/__init__.py")} - {
        "geoplan.siting.solver"}
    assert expected - set(solver["forbidden_modules"]) == set(), "add these to the solver's forbidden_modules"
