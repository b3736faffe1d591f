"""The batch file (``batch.toml``): many areas, each a project audited on its own, and where outputs go.

Example::

    [batch]
    title = "五市区县一老一小比率审计"
    out = "out/five-cities"            # relative to this file, and inside its folder; ``--out`` overrides
    created = "2024-06-01"             # date stamped on every output (reproducible reruns)

    [vars]                             # ${name} anywhere in a string below; ``--var name=value`` overrides
    shared = "../../../shared/data"

    [defaults]                         # merged into every area (tables key by key)
    preset = "quzhou-2022"
    [defaults.facilities]
    path = "${shared}/hangzhou-central/facilities-osm-2024.csv"
    ...

    [[areas]]
    id = "quzhou"                      # folder name under out/areas/
    title = "衢州市"
    admin = ["3308"]                   # only these admin units (code prefixes); features outside left out
    kinds = ["ratio"]                  # only these rule kinds of the preset (or rules = ["rule_id", ...])
    ratio_level = "county"             # ratio rules per county instead of for the whole city
    [areas.census]
    path = "${shared}/cn-admin/census2020-counties-5cities.csv"

An area is a project file's content (``[project]`` keys ``title``, ``preset``, ``crs`` at the area's top
level, sections ``communities``, ``facilities``, ``network``, ``facility_types``, ``audit``, ``admin_units``,
``census``, ``urban_areas``, ``townships`` as tables; ``network = false`` removes one given in ``[defaults]``),
optionally on top of an existing ``project_file``. Relative paths are resolved against
the file that holds them. Output paths (``[batch] out``, an area's ``out``) must stay inside the output folder:
absolute paths and ``..`` that leave it are refused. Every problem is reported at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Final

from geoplan._config import unknown_key
from geoplan._errors import Hint, OutputError, ProjectError
from geoplan._numeric import is_positive, iso_date_problem
from geoplan.project import read_toml

#: Project-file sections an area may hold, and which of them name a file.
SECTIONS: Final = ("communities", "facilities", "network", "facility_types", "audit", "admin_units", "census",
                   "urban_areas", "townships")
PATH_SECTIONS: Final = ("communities", "facilities", "network", "admin_units", "census", "urban_areas", "townships")
#: Area keys that go to the project file's ``[project]`` table.
PROJECT_KEYS: Final = ("title", "preset", "crs")
#: Area keys that steer the audit rather than describe the project.
AUDIT_KEYS: Final = ("id", "out", "project_file", "kinds", "rules", "ratio_level", "admin", "minutes", "use_network")
AREA_KEYS: Final = frozenset((*SECTIONS, *PROJECT_KEYS, *AUDIT_KEYS))
BATCH_KEYS: Final = frozenset(("title", "out", "created", "workers"))
TOP_KEYS: Final = frozenset(("batch", "vars", "defaults", "areas"))
#: What an area id may be: it names the area's folder.
AREA_ID: Final = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-.\u4e00-\u9fff]{0,63}")
_VAR: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class AreaSpec:
    """One area of a batch, fully resolved: plain data, so it can be sent to a worker process or a cluster.

    Attributes
    ----------
    id, title : str
        Folder name under ``<out>/areas`` and display title.
    project : dict
        The project file's tables with absolute paths (written as ``geoplan.toml`` in the area's folder).
    out_dir : Path
        The area's output folder (absolute, inside the batch's output folder).
    created : str
        ISO date stamped on the outputs.
    kinds, rules : tuple of str or None
        Only the preset's rules of these kinds / with these ids.
    ratio_level : str or None
        Level given to every ratio rule (``"county"``), overriding the preset.
    admin : tuple of str or None
        Admin-unit code prefixes the area is limited to (see :func:`geoplan.audit.audit`, ``admin_codes``).
    minutes : float or None
        Minutes of every reach rule, overriding the preset.
    use_network : bool
        False uses the labelled straight-line fallback.
    """

    id: str
    title: str
    project: dict[str, Any]
    out_dir: Path
    created: str
    kinds: tuple[str, ...] | None = None
    rules: tuple[str, ...] | None = None
    ratio_level: str | None = None
    admin: tuple[str, ...] | None = None
    minutes: float | None = None
    use_network: bool = True

    def input_paths(self) -> list[Path]:
        """Every input file the area reads (layers, network, census, a preset file)."""
        paths = [Path(self.project[s]["path"]) for s in PATH_SECTIONS if "path" in self.project.get(s, {})]
        preset = str(self.project["project"].get("preset", ""))
        return [*paths, *([Path(preset)] if preset.endswith(".toml") else [])]

    def fingerprint(self) -> str:
        """SHA-256 of what the area's results depend on: its settings and its inputs' sizes and dates.

        A completed area whose fingerprint is unchanged is skipped on a rerun.
        """
        from geoplan import __version__

        stamp = []
        for path in self.input_paths():
            st = path.stat() if path.exists() else None
            stamp.append([str(path), st.st_size if st else None, st.st_mtime_ns if st else None])
        payload = {
            "version": __version__, "project": self.project, "created": self.created, "kinds": self.kinds,
            "rules": self.rules, "ratio_level": self.ratio_level, "admin": self.admin, "minutes": self.minutes,
            "use_network": self.use_network, "inputs": stamp,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class BatchSpec:
    """A parsed batch file."""

    source: Path
    title: str
    out: Path
    created: str
    areas: tuple[AreaSpec, ...]
    workers: int | None = None
    vars: Mapping[str, str] = field(default_factory=dict)


def _substitute(value: Any, variables: Mapping[str, str], where: str, problems: list[str]) -> Any:
    """``value`` with ``${name}`` replaced in every string (recursively)."""
    if isinstance(value, str):
        def put(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                known = ", ".join(sorted(variables)) or "none"
                problems.append(f"{where}: unknown variable ${{{name}}} (defined in [vars] or --var: {known})")
                return match.group(0)
            return variables[name]
        return _VAR.sub(put, value)
    if isinstance(value, dict):
        return {k: _substitute(v, variables, f"{where}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables, where, problems) for v in value]
    return value


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, tables merged key by key."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _resolve_paths(tables: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """Project tables with every ``path`` (and a preset file) made absolute against ``base``."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in tables.items()}
    for section in PATH_SECTIONS:
        table = out.get(section)
        if isinstance(table, dict) and isinstance(table.get("path"), str):
            table["path"] = str((base / table["path"]).resolve())
    preset = out.get("preset")
    if isinstance(preset, str) and preset.endswith(".toml"):
        out["preset"] = str((base / preset).resolve())
    return out


def _project_file(path_text: str, base: Path, where: str, problems: list[str]) -> dict[str, Any]:
    """An existing project file as area tables (its ``[project]`` keys at the top, paths absolute)."""
    path = (base / path_text).resolve()
    if path.is_dir():
        path = path / "geoplan.toml"
    try:
        raw = read_toml(path)
    except ProjectError as exc:
        problems.append(f"{where}: project_file {path_text!r}: {exc}")
        return {}
    meta = raw.pop("project", {})
    tables = {**{k: meta[k] for k in PROJECT_KEYS if k in meta}, **raw}
    return _resolve_paths(tables, path.parent)


def inside(root: Path, relative: str, what: str) -> Path:
    """``root / relative``, refusing anything that would be written outside ``root``.

    Raises
    ------
    OutputError
        For an absolute path (POSIX or Windows style), a ``..`` that leaves ``root``, or a link leading out.
    """
    if not relative or PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute() or (
            PureWindowsPath(relative).drive):
        msg = (f"{what} = {relative!r} is refused: output paths in a batch file must be relative and stay inside "
               f"{root}")
        raise OutputError(msg, hint=Hint(zh="要写到别处，请在命令行用 --out 给出输出文件夹",
                                         en="to write elsewhere give the output folder on the command line (--out)"))
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            msg = (f"{what} = {relative!r} is refused: its '..' climbs out of {root}; output paths in a batch "
                   "file must stay inside it")
            raise OutputError(msg, hint=Hint(zh="要写到别处，请在命令行用 --out 给出输出文件夹",
                                             en="to write elsewhere give the output folder on the command line "
                                                "(--out)"))
    target = root / Path(*parts) if parts else root
    if not target.resolve().is_relative_to(root.resolve()):
        msg = f"{what} = {relative!r} is refused: it leads outside {root} (through a link?)"
        raise OutputError(msg, hint=Hint(zh="给出批处理文件夹内的相对路径（不经过符号链接）",
                                         en="give a relative path inside the batch folder (not through a link)"))
    return target


def _area(raw: Any, index: int, defaults: Mapping[str, Any], base: Path, out: Path, created: str,
          variables: Mapping[str, str], problems: list[str]) -> AreaSpec | None:
    where = f"[[areas]] #{index + 1}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table")
        return None
    area_id = raw.get("id")
    where = f"[[areas]] #{index + 1} (id {area_id!r})"
    if not isinstance(area_id, str) or not AREA_ID.fullmatch(area_id):
        problems.append(f"{where}: id must be 1-64 letters, digits, Chinese characters, '_', '-' or '.' "
                        "(it names the area's folder)")
        return None
    raw = _substitute(raw, variables, where, problems)
    for key in sorted(set(raw) - AREA_KEYS):
        problems.append(unknown_key(f"{where}:", key, AREA_KEYS))
    tables = dict(defaults)
    if "project_file" in raw or "project_file" in defaults:
        file_text = str(raw.get("project_file", defaults.get("project_file")))
        tables = _merge(_project_file(file_text, base, where, problems), tables)
    tables = _merge(tables, _resolve_paths(raw, base))
    tables = {k: v for k, v in tables.items() if not (k in SECTIONS and v is False)}  # `network = false`: none
    for section in SECTIONS:
        if section in tables and not isinstance(tables[section], dict):
            problems.append(f"{where}: {section} must be a table ([areas.{section}])")
    if "facilities" not in tables:
        problems.append(f"{where}: no [areas.facilities] (nor in [defaults] or the project_file)")
    if "preset" not in tables:
        problems.append(f"{where}: no preset (give preset = \"name\" in the area or in [defaults])")
    area_out = inside(out / "areas", str(raw.get("out", area_id)), f"{where} out")
    if area_out.resolve() == (out / "areas").resolve():
        problems.append(f"{where}: out must name a subfolder, not the areas folder itself")
    project = {"project": {"title": str(tables.get("title", area_id)), "preset": str(tables.get("preset", "")),
                           **({"crs": str(tables["crs"])} if "crs" in tables else {})},
               **{s: tables[s] for s in SECTIONS if isinstance(tables.get(s), dict)}}
    admin = tables.get("admin")
    return AreaSpec(
        id=area_id, title=str(tables.get("title", area_id)), project=project, out_dir=area_out, created=created,
        kinds=_names(tables.get("kinds"), f"{where} kinds", problems),
        rules=_names(tables.get("rules"), f"{where} rules", problems),
        ratio_level=_choice(tables.get("ratio_level"), ("city", "county"), f"{where} ratio_level", problems),
        admin=_names([admin] if isinstance(admin, str) else admin, f"{where} admin", problems),
        minutes=_number(tables.get("minutes"), f"{where} minutes", problems),
        use_network=bool(tables.get("use_network", True)),
    )


def _names(value: Any, where: str, problems: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str | int) for v in value):
        problems.append(f"{where}: a non-empty list of names or codes, got {value!r}")
        return None
    return tuple(str(v) for v in value)


def _choice(value: Any, allowed: tuple[str, ...], where: str, problems: list[str]) -> str | None:
    if value is not None and value not in allowed:
        problems.append(f"{where}: one of {', '.join(allowed)}, got {value!r}")
        return None
    return None if value is None else str(value)


def _number(value: Any, where: str, problems: list[str]) -> float | None:
    if value is not None and not is_positive(value):
        problems.append(f"{where}: a positive number, got {value!r}")
        return None
    return None if value is None else float(value)


def load_batch(path: str | Path, *, out: str | Path | None = None, variables: Mapping[str, str] | None = None,
               created: str | None = None) -> BatchSpec:
    """Read and check a batch file; every problem is reported in one error.

    Parameters
    ----------
    path : path
        The batch TOML.
    out : path, optional
        Output folder, overriding ``[batch] out`` (a command-line choice: it may be anywhere).
    variables : mapping, optional
        Values overriding ``[vars]``.
    created : str, optional
        ISO date overriding ``[batch] created`` (default: today).

    Raises
    ------
    ProjectError
        For a malformed file (each problem with the area and key involved).
    OutputError
        For an output path that would leave the output folder (``../../etc``, ``/tmp/x``).
    """
    import datetime as dt

    path = Path(path)
    raw = read_toml(path, "batch file")
    base = path.resolve().parent
    problems: list[str] = [f"unknown section [{k}] (allowed: {', '.join(sorted(TOP_KEYS))})"
                           for k in sorted(set(raw) - TOP_KEYS)]
    meta = raw.get("batch", {})
    problems += [unknown_key("[batch]", k, BATCH_KEYS) for k in sorted(set(meta) - BATCH_KEYS)]
    given_vars = {str(k): str(v) for k, v in raw.get("vars", {}).items()}
    variables = {**given_vars, **{str(k): str(v) for k, v in (variables or {}).items()}}
    # The file's own output folder is checked even when --out replaces it: such a file is refused either way.
    out_text = str(_substitute(meta.get("out", "batch-out"), variables, "[batch] out", problems))
    out_dir = inside(base, out_text, f"{path.name}: [batch] out")
    if out is not None:
        out_dir = Path(out).resolve()
    stamp = created or str(meta.get("created", dt.date.today().isoformat()))
    if not _DATE.fullmatch(stamp) or iso_date_problem(stamp):  # 2024-13-45 matches the pattern
        problems.append(f"[batch] created: an ISO date such as 2024-06-01, got {stamp!r}")
    workers = meta.get("workers")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        problems.append(f"[batch] workers: a positive whole number, got {workers!r}")
    defaults = _substitute(raw.get("defaults", {}), variables, "[defaults]", problems)
    problems += [unknown_key("[defaults]", k, AREA_KEYS - {"id"}) for k in sorted(set(defaults) - AREA_KEYS - {"id"})]
    defaults = _resolve_paths({k: v for k, v in defaults.items() if k not in ("id", "out")}, base)
    areas_raw = raw.get("areas", [])
    if not isinstance(areas_raw, list) or not areas_raw:
        problems.append("no [[areas]]: a batch needs at least one area")
        areas_raw = []
    areas = [_area(a, i, defaults, base, out_dir, stamp, variables, problems) for i, a in enumerate(areas_raw)]
    kept = [a for a in areas if a is not None]
    seen: dict[str, str] = {}
    for a in kept:
        for key, label in ((a.id.casefold(), "id"), (os.path.normcase(str(a.out_dir)), "out folder")):
            if key in seen:
                problems.append(f"area {a.id!r}: {label} already used by area {seen[key]!r}")
            seen[key] = a.id
    for a in kept:
        for b in kept:
            if a is not b and a.out_dir != b.out_dir and b.out_dir.is_relative_to(a.out_dir):
                problems.append(f"area {b.id!r}: its folder {b.out_dir} is inside area {a.id!r}'s folder")
    if problems:
        msg = f"{path}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        raise ProjectError(msg, hint=Hint(zh="逐项修改批处理文件；写法见 docs/batch-dask.md",
                                          en="fix each item in the batch file (see docs/batch-dask.md)"))
    return BatchSpec(source=path.resolve(), title=str(meta.get("title", path.stem)), out=out_dir, created=stamp,
                     areas=tuple(kept), workers=workers, vars=variables)
