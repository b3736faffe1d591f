"""``geoplan site`` with no project runs ./geoplan.toml when there is one, as ``geoplan audit`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoplan.cli import main


@pytest.mark.parametrize("command", ["site", "audit"])
def test_no_argument_runs_the_project_file_of_this_folder(command: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # a project file with one wrong key: the error proves which file was read, before any audit work
    (tmp_path / "geoplan.toml").write_text('[project]\npreset = "quzhou-2022"\nbogus = 1\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["--lang", "en", command, "--out", str(tmp_path / "maps")]) == 2
    err = capsys.readouterr().err
    assert f"project: {tmp_path / 'geoplan.toml'} (./geoplan.toml in this folder)" in err
    assert "bogus" in err and "docs/project-file.md" in err
