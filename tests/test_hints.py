"""Every error geoplan raises on purpose says what to do in Chinese and in English (geoplan._hints).

Two checks: the bad-input corpus's error cases, rendered as the CLI renders them with ``--lang zh`` and
``--lang en``; and an AST scan of geoplan/ for a ``raise XxxError(...)`` of a GeoplanError subclass without
``hint=`` (a short, justified allow-list below).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from badinputs.make_corpus import CASES, Case

import geoplan
from geoplan._errors import GeoplanError
from geoplan.cli import main

PACKAGE = Path(geoplan.__file__).resolve().parent
ERRORS = [c for c in CASES if c.answer == "error"]
CJK = re.compile(r"[\u4e00-\u9fff]")
DATE = "2026-01-01"

#: (module path relative to geoplan/, exception class) raised without a hint, and why that is right. Empty:
#: even a defect's error says what to do (report it), and an error of a Python call names the argument to fix.
ALLOWED: dict[tuple[str, str], str] = {}


def _error_classes() -> set[str]:
    """Names of GeoplanError and of every subclass defined in geoplan/."""
    names = {"GeoplanError"}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        (getattr(b, "id", None) or getattr(b, "attr", None)) in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def _raises_without_hint() -> list[tuple[str, int, str]]:
    names = _error_classes()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            # ``raise error(msg)`` / ``raise self.error(msg)``: a GeoplanError class passed in as ``error``
            if (name in names or name == "error") and not any(k.arg == "hint" for k in node.exc.keywords):
                found.append((path.relative_to(PACKAGE).as_posix(), node.lineno, str(name)))
    return found


def test_the_scan_finds_geoplan_errors() -> None:
    assert {"InputError", "ProjectError", "NetworkError", "OutputError", "SolutionCheckError"} <= _error_classes()
    assert len(_raises_with_hint()) > 150  # the scan sees the raises it checks


def _raises_with_hint() -> list[ast.Raise]:
    names = _error_classes()
    return [node for path in PACKAGE.rglob("*.py") for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
            and (getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", None)) in names
            and any(k.arg == "hint" for k in node.exc.keywords)]


def test_every_raise_of_a_geoplan_error_carries_a_hint() -> None:
    missing = [f"{file}:{line} {name}" for file, line, name in _raises_without_hint()
               if (file, name) not in ALLOWED]
    assert missing == []


def test_the_allow_list_is_not_stale() -> None:
    used = {(file, name) for file, _, name in _raises_without_hint()}
    assert set(ALLOWED) <= used


def _hint_part(exc: GeoplanError, lang: str) -> str:
    full, bare = exc.localised(lang), super(GeoplanError, exc).__str__()
    assert full.startswith(bare)
    return full[len(bare):]


@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_corpus_errors_say_what_to_do_in_both_languages(case: Case, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    project = case.build(tmp_path / case.name)
    with pytest.raises(GeoplanError) as info:
        geoplan.audit(project, created=DATE)
    exc = info.value
    assert exc.hint is not None, str(exc)
    zh, en = _hint_part(exc, "zh"), _hint_part(exc, "en")
    assert CJK.search(zh), zh
    assert re.search(r"[A-Za-z]{3}", CJK.sub("", en)), en
    # what the CLI prints in either language
    assert main(["--lang", "zh", "audit", str(project), "--out", str(tmp_path / "z"), "--date", DATE]) == 2
    assert zh.strip() in capsys.readouterr().err
    assert main(["--lang", "en", "audit", str(project), "--out", str(tmp_path / "e"), "--date", DATE]) == 2
    assert en.strip() in capsys.readouterr().err
