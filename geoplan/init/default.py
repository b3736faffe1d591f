"""The project ``geoplan audit`` / ``geoplan site`` run when given none: ``./geoplan.toml``, else the demo."""

from __future__ import annotations

from pathlib import Path

from geoplan.demo import demo_project

PROJECT_FILE = "geoplan.toml"


def default_project(given: str | None, cwd: Path | None = None) -> tuple[Path, str]:
    """The project to run and a sentence saying which one and why.

    Parameters
    ----------
    given : str or None
        The project argument of the command line, if any (a file or a folder holding ``geoplan.toml``).
    cwd : Path, optional
        Folder looked in when nothing is given (default: the current directory).

    Returns
    -------
    (Path, str)
        The project file (or folder) and the sentence, for the console.
    """
    if given:
        return Path(given), f"project: {given}"
    here = (cwd or Path.cwd()) / PROJECT_FILE
    if here.is_file():
        return here, f"project: {here} (./{PROJECT_FILE} in this folder) / 当前文件夹的项目文件"
    return demo_project(), (f"no ./{PROJECT_FILE} here: running the embedded Hangzhou demo "
                            f"(write your own with `geoplan init`) / 当前文件夹无项目文件，运行内置杭州演示")
