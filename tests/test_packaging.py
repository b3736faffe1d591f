"""What a non-editable install ships: every package and every file the code reads at run time."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _package_dirs() -> dict[str, Path]:
    mapping = CONFIG["package-dir"]
    return {name: ROOT / mapping.get(name, name.replace(".", "/")) for name in CONFIG["packages"]}


def test_every_subpackage_is_listed() -> None:
    listed = set(CONFIG["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "geoplan").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_every_data_file_matches_package_data() -> None:
    data = CONFIG["package-data"]
    missing = []
    dirs = _package_dirs()
    package_folders = set(dirs.values())
    for name, folder in dirs.items():
        patterns = data.get(name, [])
        for path in folder.rglob("*"):
            rel = path.relative_to(folder)
            in_subpackage = any(folder / part in package_folders for part in rel.parents if part != Path("."))
            if path.is_dir() or in_subpackage or path.suffix in (".py", ".pyc") or "__pycache__" in rel.parts \
                    or path.name.startswith("."):
                continue
            if not any(fnmatch.fnmatch(rel.as_posix(), pat) for pat in patterns):
                missing.append(f"{name}: {rel.as_posix()}")
    assert not missing, f"files a wheel would leave out: {missing}"
