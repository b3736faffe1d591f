"""Bilingual help (geoplan._help) and the bilingual "what to do" of errors (geoplan._errors.Hint)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geoplan import _help
from geoplan._errors import Hint, ProjectError
from geoplan.cli import build_parser, main
from geoplan.project import load_project


def test_every_option_of_every_command_has_help_in_both_languages() -> None:
    assert _help.missing(build_parser()) == []


def test_catalogue_has_no_stale_entries() -> None:
    keys = {(command, key) for command, key, _ in _help.walk(build_parser())}
    assert set(_help.CATALOGUE) - keys == set()


@pytest.mark.parametrize("command", ["", "audit", "presets", "batch", "export", "site", "init", "clip"])
def test_help_is_chinese_with_lang_zh_and_english_without(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [command, "--help"] if command else ["--help"]
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "zh", *argv])
    assert stop.value.code == 0
    zh = capsys.readouterr().out
    assert zh.startswith("用法：") and "显示此帮助并退出" in zh
    with pytest.raises(SystemExit):
        main(["--lang", "en", *argv])
    en = capsys.readouterr().out
    assert en.startswith("usage:") and "show this help message and exit" in en
    # every option line of the English help has a Chinese counterpart: same option names in both
    assert re.findall(r"^  (-[-\w]+)", zh, re.M) == re.findall(r"^  (-[-\w]+)", en, re.M)


def test_language_from_locale_and_command_line() -> None:
    assert _help.ui_language([], {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert _help.ui_language([], {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert _help.ui_language([], {}) == "en"
    assert _help.ui_language(["--lang", "zh", "audit"], {"LANG": "C"}) == "zh"
    assert _help.ui_language(["audit", "--lang=en"], {"LANG": "zh_TW"}) == "en"


def test_error_hint_in_the_chosen_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = ProjectError("x.toml exists", hint=Hint(zh="加 --force 覆盖", en="give --force"))
    assert str(err) == "x.toml exists; give --force"
    assert err.localised("zh") == "x.toml exists; 加 --force 覆盖"
    assert str(ProjectError("plain")) == "plain"
    (tmp_path / "geoplan.toml").write_text('[project]\npreset = "quzhou-2022"\nbogus = 1\n', encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "geoplan.toml")
    assert "docs/project-file.md" in str(info.value) and "bogus" in str(info.value)
    assert main(["--lang", "zh", "audit", str(tmp_path / "geoplan.toml")]) == 2
    assert "每个键的含义" in capsys.readouterr().err
    assert main(["--lang", "zh", "init", "a.csv", "b.csv"]) == 2
    err_text = capsys.readouterr().err
    assert err_text.startswith("geoplan: error: a.csv: file not found; 检查路径") and err_text.count("\n") == 1


def test_project_file_and_preset_hints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "geoplan.toml"
    bad.write_text("[project]\npreset = quzhou\n", encoding="utf-8")
    assert main(["--lang", "zh", "audit", str(bad)]) == 2
    assert "文本须加英文引号" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "none.toml")]) == 2
    assert "`geoplan init` writes one" in capsys.readouterr().err
    assert main(["--lang", "zh", "presets", "show"]) == 2
    assert "geoplan presets list" in capsys.readouterr().err
