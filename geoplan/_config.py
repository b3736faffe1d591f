"""The one reader of the TOML files geoplan is given: project files, presets and batch files.

Editors on Windows save TOML in ways ``tomllib`` refuses with a bare "Invalid statement (at line 1, column 1)":
a UTF-8 byte-order mark (Notepad), UTF-16 ("Unicode" in Notepad's save dialog), GBK, full-width quotes or
equals signs typed with a Chinese input method, unquoted Chinese keys or values, Windows paths with ``\\`` in
double quotes. :func:`load_toml` reads the bytes (BOMs stripped, UTF-16 decoded, both logged) and turns every
syntax error into one line naming the file, the line and its text, and what to do. Unknown keys are named
with the closest allowed key (:func:`did_you_mean`).
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geoplan._errors import GeoplanError, Hint, ProjectError

log = logging.getLogger(__name__)

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_FULL_WIDTH = "“”‘’＂＇＝［］｛｝，：＃"  # quotes, equals, brackets and comma typed with a Chinese input method


def did_you_mean(key: str, allowed: Iterable[str]) -> str:
    """``" (did you mean 'path'?)"`` for the allowed key closest to ``key``, or ``""``."""
    options = list(allowed)
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == key.lower().strip()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key(where: str, key: str, allowed: Iterable[str], what: str = "key") -> str:
    """The message for an unknown key: what it is, the closest allowed one, and every allowed one."""
    options = sorted(allowed)
    return f"{where} unknown {what} {key!r}{did_you_mean(key, options)} (allowed: {', '.join(options)})"


#: The files :func:`decode` reads, in Chinese (for hints).
_ZH = {"project file": "项目文件", "preset": "预设文件", "batch file": "批处理文件"}
#: What to do about a TOML syntax error, and about a project file that is not there (zh / en).
SYNTAX_HINT = Hint(zh="文本须加英文引号，如 path = \"小区.xlsx\"；每个键的写法见 docs/project-file.md",
                   en="text needs ASCII quotes, e.g. path = \"compounds.xlsx\"; every key is in docs/project-file.md")
NOT_FOUND_HINT = Hint(zh="检查路径；`geoplan init` 可由数据表生成项目文件",
                      en="check the path; `geoplan init` writes one from your tables")


def decode(data: bytes, source: Path | str, what: str, error: type[GeoplanError] = ProjectError) -> str:
    """TOML text from a file's bytes: UTF-8 (a BOM stripped), UTF-16 with a BOM; else an error naming the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        log.info("%s: UTF-8 byte-order mark ignored", source)
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.warning("%s: the %s is UTF-16 (Notepad's \"Unicode\"); read as such; save it as UTF-8", source, what)
        return data.decode("utf-16").removeprefix("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = ""
        try:
            data.decode("gb18030")
            guess = ", GBK it seems"
        except UnicodeDecodeError:
            pass
        msg = f"{source}: not UTF-8 (byte {exc.start}, line {line}{guess})"
        hint = Hint(zh=f"把{_ZH.get(what, what)}另存为 UTF-8 编码", en=f"save the {what} as UTF-8")
        raise error(msg, hint=hint) from exc


def _hint(reason: str, line: str) -> str:
    if any(c in line for c in _FULL_WIDTH):
        return "full-width quotes or signs (“ ” ＝ ，) typed with a Chinese input method: use ASCII \" = ,"
    low = reason.lower()
    stripped = line.strip()
    if stripped.startswith(("//", ";", "--")):
        return "comments start with # in TOML"
    if re.search(r"=\s*(True|False|TRUE|FALSE|yes|no)\s*(#.*)?$", stripped):
        return "true and false are lower-case in TOML (or quote the text)"
    if "expected ']'" in low or (stripped.startswith("[") and "]" not in stripped):
        return "a [section] header needs its closing ]"
    if "\\" in line and ("escape" in low or "unescaped" in low or "hex" in low or "unicode" in low):
        return "a backslash in \"...\" starts an escape: write paths with / or in single quotes ('C:\\data\\x.csv')"
    if stripped and not stripped.isascii() and "=" in stripped and not stripped.startswith(("\"", "'", "[")) \
            and not stripped.split("=", 1)[0].strip().isascii():
        return "a key other than A-Z a-z 0-9 _ - needs quotes: \"托育机构\" = \"childcare\""
    if "invalid value" in low or ("invalid statement" in low and "=" in stripped):
        return "text values need quotes: key = \"value\""
    if "overwrite" in low or "twice" in low or "already" in low:
        return "a key or [section] is given twice: keep one"
    if "expected '='" in low or "expected '=' after" in low:
        return "each line is key = value; keys with spaces or Chinese need quotes"
    if "end of document" in low or "unclosed" in low or "newline" in low:
        return "a quote, bracket or brace is not closed"
    return "see https://toml.io for the syntax"


_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")
_TABLE = re.compile(r"^\s*\[\[?([^\]]+)\]\]?")


def _locate(reason: str, lines: list[str]) -> int:
    """The line of an error tomllib places "at end of document": a repeated key or table, an unclosed string."""
    low = reason.lower()
    if "overwrite" in low or "twice" in low:
        seen: set[tuple[str, str]] = set()
        table = ""
        for n, line in enumerate(lines, 1):
            header = _TABLE.match(line)
            if header:
                table = header.group(1).strip()
                if line.lstrip().startswith("[["):
                    table = f"{table}#{n}"  # each [[array]] element is a table of its own
                if table.count("#") or ("", table) not in seen:
                    seen.add(("", table))
                    continue
                return n
            key = _KEY.match(line)
            if key:
                item = (table, key.group(1).strip("\"'"))
                if item in seen:
                    return n
                seen.add(item)
    if "unterminated" in low or "unclosed" in low:
        for n in range(len(lines), 0, -1):
            code = lines[n - 1].split("#", 1)[0]
            if code.count('"') % 2 or code.count("'") % 2:
                return n
    return 0


def parse(text: str, source: Path | str, what: str, error: type[GeoplanError] = ProjectError) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes one ``error`` naming the file, line, its text and what to do."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        m = _AT.search(reason)
        lines = text.splitlines()
        if m:
            n, col = int(m.group(1)), int(m.group(2))
            line = lines[n - 1] if 0 < n <= len(lines) else ""
            short = _AT.sub("", reason).strip()
            shown = line.strip()
            shown = shown if len(shown) <= 80 else shown[:80] + "…"
            msg = (f"{source}: TOML syntax error in the {what} at line {n}, column {col}: {short}: `{shown}` — "
                   f"{_hint(short, line)}")
        else:
            n = _locate(reason, lines)
            shown = f" at line {n}: `{lines[n - 1].strip()[:80]}`" if n else ""
            msg = f"{source}: TOML syntax error in the {what}{shown}: {reason} — {_hint(reason, '')}"
        raise error(msg, hint=SYNTAX_HINT) from exc


def load_toml(path: Path, what: str = "project file", error: type[GeoplanError] = ProjectError) -> dict[str, Any]:
    """Read a TOML file geoplan is given; every failure is one ``error`` naming the file."""
    return parse(read_text(path, what, error), path, what, error)


def read_text(path: Path, what: str = "project file", error: type[GeoplanError] = ProjectError) -> str:
    """The text of a TOML file (see :func:`decode`); a missing file, a folder or an unreadable one is an error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        msg = f"{what} not found: {path}"
        raise error(msg, hint=NOT_FOUND_HINT if what == "project file" else None) from exc
    except IsADirectoryError as exc:
        msg = f"{path}: is a folder"
        raise error(msg, hint=Hint(zh="给出文件本身，而非文件夹", en=f"give the {what} itself")) from exc
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror or exc})"
        raise error(msg, hint=Hint(zh="检查文件的权限，或复制到可读的位置",
                                   en="check the file's permissions, or copy it somewhere readable")) from exc
    return decode(data, path, what, error)
