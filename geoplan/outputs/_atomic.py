"""Every output file is whole or absent: written under a temporary name beside it, then renamed.

A run stopped half-way (Ctrl-C, a full disk, an error in a later step) must never leave a truncated file
under a final name, where a planner would open it as if it were complete. Each writer therefore writes to
a hidden temporary name in the same folder (same file system, so the rename is atomic), flushes it to
disk, and only then renames it over the final name; on any failure, including ``KeyboardInterrupt``, the
temporary files are removed and nothing under the final name has changed.

Examples
--------
>>> write_text(Path("maps/report.md"), "# report\\n", what="the report")          # doctest: +SKIP
>>> with replacing(Path("maps/audit.gpkg"), what="the GeoPackage") as tmp:         # doctest: +SKIP
...     pyogrio.write_dataframe(layer, tmp, driver="GPKG")
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

from geoplan import _hints
from geoplan._errors import OutputError

log = logging.getLogger(__name__)

#: Marks temporary files (``.<stem>.<pid>-<token>.partial<suffix>``), so a crashed run's can be recognised.
PARTIAL = ".partial"


def temporary_path(path: Path) -> Path:
    """A hidden, unique name beside ``path`` with the same suffix (GDAL drivers go by the suffix)."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL}{path.suffix}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; some file systems do not allow it, which costs only durability.
    with contextlib.suppress(OSError):
        _fsync(folder)


def _remove_temporaries(tmp: Path) -> None:
    for leftover in tmp.parent.glob(glob.escape(tmp.stem) + "*"):  # sidecars, -journal, -wal
        with contextlib.suppress(OSError):
            leftover.unlink()


def _cannot(what: str, path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    msg = f"cannot write {what} {path}: {reason}; check that the folder is writable and has space"
    return OutputError(msg)


@contextlib.contextmanager
def replacing(path: Path, *, what: str = "the file", sidecars: Sequence[str] = ()) -> Iterator[Path]:
    """Yield a temporary path for a writer that needs one; on success move it (and its sidecars) to ``path``.

    Parameters
    ----------
    path : Path
        The final file. Its folder must exist.
    what : str
        How error messages name the file ("the GeoPackage").
    sidecars : sequence of str
        Suffixes of files written beside the temporary one that belong with it (a Shapefile's ``.dbf``,
        ``.shx``, ``.prj``, ``.cpg``); each present one is moved to the same suffix beside ``path``.

    Raises
    ------
    OutputError
        The file cannot be written or renamed (an ``OSError`` from the writer is turned into one).
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        if not tmp.exists():
            msg = f"cannot write {what} {path}: the writer produced no file"
            raise OutputError(msg, hint=_hints.REPORT_BUG)
        moves = [(tmp, path)] + [(tmp.with_suffix(s), path.with_suffix(s)) for s in sidecars
                                 if tmp.with_suffix(s).exists()]
        for src, _ in moves:
            _fsync(src)
        # Sidecars first, the main file last: a reader looking for the .shp finds it only when all are in place.
        for src, dst in reversed(moves):
            os.replace(src, dst)
        _fsync_dir(path.parent)
    except OSError as exc:
        _remove_temporaries(tmp)
        if isinstance(exc, OutputError):
            raise
        raise _cannot(what, path, exc) from exc
    except BaseException:
        _remove_temporaries(tmp)
        raise


def write_bytes(path: Path, data: bytes, *, what: str = "the file") -> Path:
    """Write ``data`` to ``path`` whole or not at all; returns ``path``.

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    with replacing(Path(path), what=what) as tmp, open(tmp, "xb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path: Path, text: str, *, what: str = "the file", encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all ("\\n" line ends as given); returns ``path``.

    Raises
    ------
    OutputError
        The file cannot be written.
    """
    return write_bytes(path, text.encode(encoding), what=what)
