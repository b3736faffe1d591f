"""The output folder: checked before anything is written, and held by one run at a time.

:func:`check_out_dir` refuses, before any work, an ``--out`` that is an existing file or holds a symbolic
link pointing outside it (a write through it would land elsewhere). :func:`output_folder` then creates
the folder and takes its lock: a ``.geoplan.lock`` file made with ``O_EXCL`` holding the run's process id.
A second run into the same folder is refused with one line naming the first; a lock left by a run that
died (its process is gone) is taken over with a warning, and the temporary files that run could not
remove (named by its process id, see :mod:`geoplan.outputs._atomic`) are deleted. Creating the lock is
also the check that the folder is writable, so a read-only folder or file system is refused before any
output is written.

The lock is re-entrant within a process, so the command line can take it before the audit and the
writers (:func:`geoplan.write_all`, ``write_suggestions`` ...) take it again around their own files.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from geoplan import _hints
from geoplan._errors import Hint, OutputError
from geoplan.outputs._atomic import PARTIAL

log = logging.getLogger(__name__)

#: Name of the lock file inside an output folder while a run writes into it.
LOCK_NAME = ".geoplan.lock"

_held: dict[Path, int] = {}
_guard = threading.Lock()


def _outside(link: Path, root: Path) -> bool:
    target = Path(os.path.realpath(link))
    return target != root and root not in target.parents


def check_out_dir(out: Path, *, option: str = "--out") -> None:
    """Refuse an output folder that cannot be used, before anything is written.

    Parameters
    ----------
    out : Path
        The output folder (it need not exist yet).
    option : str
        How messages name it (``--out``, ``[batch] out``).

    Raises
    ------
    OutputError
        ``out`` is an existing file, or a symbolic link inside it points outside it.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        msg = f"{option} {out} is an existing file, not a folder"
        raise OutputError(msg, hint=Hint(zh="给出用于输出的文件夹", en="give a folder for the outputs"))
    if not out.is_dir():
        return
    root = Path(os.path.realpath(out))
    for folder, dirs, files in os.walk(out):  # links are listed, never followed
        for name in dirs + files:
            entry = Path(folder) / name
            if entry.is_symlink() and _outside(entry, root):
                msg = (f"{option} {out}: {entry} is a symbolic link to {os.path.realpath(entry)}, outside the "
                       "output folder (outputs are never written through it)")
                raise OutputError(msg, hint=Hint(zh="删除该链接或换一个文件夹",
                                                 en="remove it or choose another folder"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _create_lock(lock: Path) -> bool:
    """Create the lock file holding this pid; False when it exists already."""
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    return True


def _remove_partials(out: Path, pid: int) -> None:
    """Temporary files a killed run (``kill -9``, power cut) could not remove: named by its process id."""
    for leftover in out.rglob(f".*.{pid}-*{PARTIAL}*"):
        if leftover.is_file() and not leftover.is_symlink():
            log.warning("removing %s, left half-written by the run that stopped", leftover)
            leftover.unlink(missing_ok=True)


def _acquire(out: Path, option: str) -> None:
    lock = out / LOCK_NAME
    try:
        if _create_lock(lock):
            return
        text = lock.read_text(encoding="ascii", errors="replace").strip()
        pid = int(text) if text.isdigit() else None
        if pid is not None and pid != os.getpid() and _alive(pid):
            msg = (f"{option} {out} is in use by another geoplan run (process {pid})")
            raise OutputError(msg, hint=Hint(zh=f"等它结束或换一个文件夹（若没有运行中的任务，删除 {lock}）",
                                             en=f"wait for it to finish or choose another folder (if no run is "
                                                f"active, delete {lock})"))
        log.warning("taking over the lock of %s left by a run that stopped (process %s)", out, text or "?")
        if pid is not None:
            _remove_partials(out, pid)
        lock.unlink(missing_ok=True)
        if not _create_lock(lock):
            msg = f"{option} {out} was taken by another geoplan run just now"
            raise OutputError(msg, hint=Hint(zh="换一个文件夹", en="choose another folder"))
    except OutputError:
        raise
    except OSError as exc:
        reason = "the file system is read-only" if exc.errno == errno.EROFS else (exc.strerror or str(exc))
        msg = f"{option} {out}: cannot write into the folder ({reason})"
        raise OutputError(msg, hint=_hints.WRITABLE_FOLDER) from exc


@contextlib.contextmanager
def output_folder(out: Path, *, option: str = "--out") -> Iterator[Path]:
    """Check and create ``out``, and hold its lock while the block runs (re-entrant within a process).

    Raises
    ------
    OutputError
        See :func:`check_out_dir`; the folder cannot be created or written; another run holds it.
    """
    out = Path(out)
    check_out_dir(out, option=option)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "the file system is read-only" if exc.errno == errno.EROFS else (exc.strerror or str(exc))
        msg = f"{option} {out}: cannot create the folder ({reason})"
        raise OutputError(msg, hint=_hints.WRITABLE_FOLDER) from exc
    key = Path(os.path.realpath(out))
    with _guard:
        first = key not in _held
        if first:
            _acquire(out, option)
        _held[key] = _held.get(key, 0) + 1
    try:
        yield out
    finally:
        with _guard:
            _held[key] -= 1
            if not _held[key]:
                del _held[key]
                with contextlib.suppress(OSError):
                    (out / LOCK_NAME).unlink()
