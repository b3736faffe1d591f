"""Shipped demo projects, looked up by name (the embedded default lives in the repository's ``layers/``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from geoplan._errors import Hint, ProjectError

DEFAULT = "hangzhou-central"


def demo_names() -> list[str]:
    """Names of the shipped demo projects."""
    root = resources.files("geoplan.datasets")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "geoplan.toml").is_file())


def demo_project(name: str = DEFAULT) -> Path:
    """Path of a shipped demo's ``geoplan.toml``.

    Raises
    ------
    ProjectError
        For an unknown name; the message lists the available ones.
    """
    path = resources.files("geoplan.datasets") / name / "geoplan.toml"
    if not path.is_file():
        msg = f"no demo project named {name!r}; available: {', '.join(demo_names()) or 'none'}"
        raise ProjectError(msg, hint=Hint(zh="用上面列出的演示名称", en="use one of the demo names listed"))
    return Path(str(path))
