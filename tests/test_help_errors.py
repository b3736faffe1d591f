"""argparse's own usage errors in the language of ``--lang`` (geoplan._help.zh_error / usage_error)."""

from __future__ import annotations

import re

import pytest

from geoplan import _help
from geoplan.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")

#: argv → what the Chinese message must say (and the English one, from argparse itself).
CASES = [
    (["frob"], "参数 command：无效的选择：'frob'（可选：'audit'", "invalid choice: 'frob'"),
    (["audit", "--lang", "fr"], "参数 --lang：无效的选择：'fr'（可选：'zh', 'en'）", "invalid choice: 'fr'"),
    (["presets"], "缺少必需的参数：action", "the following arguments are required: action"),
    (["audit", "--bogus"], "无法识别的参数：--bogus", "unrecognized arguments: --bogus"),
    (["audit", "--minutes"], "参数 --minutes：需要一个值", "argument --minutes: expected one argument"),
    (["audit", "--minutes", "x"], "须为大于 0 的有限数（minutes），实际为 'x'", "must be a finite number > 0"),
    (["audit", "--new-build-from", "3"], "须为年份（如 2022），实际为 '3'", "must be a year such as 2022"),
    (["audit", "--date", "2024-02-30"], "'2024-02-30' 不是有效的日期", "is not a calendar date"),
    (["audit", "--date", "June"], "需要 ISO 日期（如 2024-06-01），实际为 'June'", "an ISO date such as"),
    (["audit", "--no-network=3"], "忽略了多余的值 '3'", "ignored explicit argument '3'"),
    (["export", "x.gpkg"], "缺少必需的参数：--to", "the following arguments are required: --to"),
]


@pytest.mark.parametrize(("argv", "zh", "en"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_usage_errors_in_both_languages(argv: list[str], zh: str, en: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "zh", *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert zh in err, err
    assert err.startswith("geoplan") and ": error: " in err and err.endswith("--help）\n"), err
    assert len(err.splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["--lang", "en", *argv])
    err = capsys.readouterr().err
    assert en in err and not CJK.search(err.replace("'", "")), err
    assert err.endswith("--help)\n")


def test_every_english_error_of_the_cases_is_translated(capsys: pytest.CaptureFixture[str]) -> None:
    """No English template is left in a Chinese message (argparse's wording is what the catalogue knows)."""
    for argv, _, _ in CASES:
        with pytest.raises(SystemExit):
            main(["--lang", "en", *argv])
        message = capsys.readouterr().err.split(": error: ", 1)[1].rsplit(" (see ", 1)[0]
        assert _help.zh_error(message) != message
        assert not re.search(r"\b(argument|invalid|expected|required|must be|got)\b", _help.zh_error(message))


def test_an_unknown_message_is_kept() -> None:
    assert _help.zh_error("something argparse never said") == "something argparse never said"
    assert _help.zh_error("argument --x: something new") == "参数 --x：something new"
