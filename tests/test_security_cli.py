"""Every failure is one clear line, and outputs are whole or absent, through the command line.

* impossible options (``--minutes -5``, ``--speed inf``, ``--date 2024-13-45`` ...) are refused by the
  parser with one line naming the option, before anything runs; the Python API refuses the same values;
* ``--out`` naming a file, holding a symbolic link that leads outside it, or on a read-only file system is
  refused before anything is written;
* Ctrl-C while outputs are being written (a real SIGINT to a real run) exits 130 with one line and leaves
  no temporary file and no truncated file under a final name; a disk that fills up mid-write likewise;
* a second run into the same ``--out`` is refused with one line while the first runs; a lock left by a
  run that died is taken over.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyogrio
import pytest
from badinputs.base import write_project

import geoplan
from geoplan._errors import InputError
from geoplan.cli import main
from geoplan.outputs import _atomic, _folder

DATE = "2026-01-01"
REPO = Path(__file__).resolve().parents[1]


def _one_error_line(err: str, pattern: str) -> None:
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert pattern in lines[0], err


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("small") / "project")


# ---- options ----


BAD_OPTIONS = [
    (["audit", "--minutes", "-5"], "argument --minutes: must be a finite number > 0 (minutes), got '-5'"),
    (["audit", "--minutes", "0"], "argument --minutes"),
    (["audit", "--minutes", "nan"], "argument --minutes"),
    (["audit", "--minutes", "inf"], "argument --minutes"),
    (["audit", "--speed", "0"], "argument --speed: must be a finite number > 0 (m/min), got '0'"),
    (["audit", "--speed", "inf"], "argument --speed"),
    (["audit", "--speed", "-75"], "argument --speed"),
    (["audit", "--max-snap", "-1"], "argument --max-snap"),
    (["audit", "--date", "2024-13-45"], "argument --date: '2024-13-45' is not a calendar date"),
    (["audit", "--date", "2024-02-30"], "argument --date"),
    (["audit", "--date", "yesterday"], "argument --date: an ISO date such as 2024-06-01 is needed"),
    (["audit", "--new-build-from", "20222"], "argument --new-build-from"),
    (["site", "--spacing", "0"], "argument --spacing"),
    (["site", "--p", "0"], "argument --p"),
    (["site", "--time-limit", "nan"], "argument --time-limit"),
    (["site", "--mask-buffer", "-1"], "argument --mask-buffer"),
    (["site", "--date", "2024-00-10"], "argument --date"),
    (["export", "x.gpkg", "--to", "shp", "--date", "2024-1-1"], "argument --date"),
    (["batch", "b.toml", "--workers", "0"], "argument --workers"),
    (["batch", "b.toml", "--date", "2024-13-01"], "argument --date"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_impossible_options_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main([*argv, "--out", str(out)])
    assert info.value.code == 2
    _one_error_line(capsys.readouterr().err, message)
    assert not out.exists()


def test_impossible_option_in_a_real_process(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "geoplan.cli", "audit", "--minutes", "-5"], cwd=tmp_path,
                         capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "geoplan audit: error: argument --minutes: must be a finite number > 0 (minutes), got '-5' "
        "(see geoplan audit --help)"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("key", "value"), [("minutes", float("nan")), ("minutes", -5), ("walk_speed_m_per_min", 0),
                                            ("walk_speed_m_per_min", float("inf")), ("max_snap_m", -1.0)])
def test_the_api_refuses_the_same_values(project: Path, key: str, value: float) -> None:
    with pytest.raises(InputError, match=rf"audit\({key}=\.\.\.\) must be a finite number > 0"):
        geoplan.audit(project, **{key: value})


def test_the_api_refuses_a_date_that_is_none(project: Path) -> None:
    with pytest.raises(InputError, match=r"audit\(created=\.\.\.\): '2024-13-45' is not a calendar date"):
        geoplan.audit(project, created="2024-13-45")


def test_a_speed_from_settings_is_checked_too(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from badinputs.base import PRESET

    no_speed = PRESET.replace("walk_speed_m_per_min = 75\nwalk_speed_source = \"test\"\n", "")
    bare = write_project(project.parent.parent / "bare", preset=no_speed)
    monkeypatch.setattr(geoplan.settings, "walk_speed_m_per_min", 0.0)
    with pytest.raises(InputError, match=r"walking speed \(geoplan.settings default\) must be a finite number > 0"):
        geoplan.audit(bare)


# ---- the output folder ----


def test_out_naming_a_file(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "maps"
    target.write_text("keep me", encoding="utf-8")
    assert main(["audit", str(project), "--out", str(target), "--date", DATE]) == 2
    _one_error_line(capsys.readouterr().err, f"--out {target} is an existing file, not a folder")
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("kind", ["file", "folder", "dangling"])
def test_symlink_leading_outside_is_refused_before_writing(project: Path, tmp_path: Path, kind: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "gap_map.html").write_text("not yours", encoding="utf-8")
    out = tmp_path / "maps"
    (out / "sub").mkdir(parents=True)
    target = {"file": outside / "gap_map.html", "folder": outside, "dangling": outside / "nope"}[kind]
    (out / "sub" / "link").symlink_to(target)
    before, outside_before = _files(out), _files(outside)
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 2
    _one_error_line(capsys.readouterr().err, "is a symbolic link to")
    assert _files(out) == before and _files(outside) == outside_before
    assert (outside / "gap_map.html").read_text(encoding="utf-8") == "not yours"


def test_symlink_inside_the_folder_is_fine(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    (out / "old").mkdir(parents=True)
    (out / "latest").symlink_to(out / "old")
    _folder.check_out_dir(out)  # no error


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Path:
    """A real read-only tmpfs (root ignores file modes, not a read-only mount); skipped where mount is refused."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mnt)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_read_only_file_system(project: Path, read_only_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(project), "--out", str(read_only_dir / "maps"), "--date", DATE]) == 2
    _one_error_line(capsys.readouterr().err, "the file system is read-only")


def test_read_only_existing_folder(project: Path, tmp_path: Path, read_only_dir: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(project), "--out", str(read_only_dir), "--date", DATE]) == 2
    _one_error_line(capsys.readouterr().err, "cannot write into the folder (the file system is read-only)")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_failure_mid_write_leaves_nothing_half_written(project: Path, tmp_path: Path, code: int,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The disk fills (or turns read-only) while the workbook is written: simulated, as a full disk cannot be."""
    real = _atomic.os.replace

    def failing(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(".xlsx"):
            raise OSError(code, os.strerror(code))
        real(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", failing)
    out = tmp_path / "maps"
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 2
    _one_error_line(capsys.readouterr().err, f"cannot write the workbook {out / 'audit.xlsx'}: {os.strerror(code)}")
    names = _files(out)
    assert "audit.xlsx" not in names and not [n for n in names if ".partial" in n or n.startswith(".")]
    assert len(pyogrio.read_dataframe(out / "audit.gpkg", layer="communities")) == 40  # written before: whole


def test_keyboard_interrupt_in_a_writer(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    real = pyogrio.write_dataframe

    def interrupted(df: object, path: object, **kw: object) -> None:
        real(df, path, **kw)
        if str(path).endswith(".shp"):
            raise KeyboardInterrupt

    monkeypatch.setattr(pyogrio, "write_dataframe", interrupted)
    out = tmp_path / "maps"
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("geoplan: interrupted") and "Traceback" not in err
    names = _files(out)
    assert not [n for n in names if n.startswith((".", "communities.")) or ".partial" in n], names


# ---- a real Ctrl-C, and a second run, against a real running geoplan ----

_SLOW_RUN = textwrap.dedent("""
    import contextlib, sys, time
    from geoplan.outputs import _xlsx
    real = _xlsx.replacing

    @contextlib.contextmanager
    def slow(path, **kw):
        with real(path, **kw) as tmp:
            yield tmp
            print("WRITING", tmp, flush=True)   # the workbook is half-way: written, not yet in place
            time.sleep(120)

    _xlsx.replacing = slow
    from geoplan.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_ctrl_c_and_a_second_run_while_writing(project: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "maps"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, "audit", str(project), "--out", str(out), "--date",
                             DATE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("WRITING"), (line, proc.stderr.read() if proc.stderr else "")
        partial = Path(line.split(maxsplit=1)[1].strip())
        assert partial.exists() and ".partial" in partial.name
        # A second run into the same folder meanwhile: one line naming the first, nothing touched.
        before = {p: p.stat().st_mtime_ns for p in out.iterdir()}
        assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 2
        _one_error_line(capsys.readouterr().err, f"is in use by another geoplan run (process {proc.pid})")
        assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == before
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("geoplan: interrupted") and "Traceback" not in err, err
    names = _files(out)
    assert "audit.xlsx" not in names and not [n for n in names if n.startswith(".")], names
    assert (out / "gap_map.html").read_text(encoding="utf-8").endswith("</html>\n")


def test_a_lock_left_by_a_dead_run_is_taken_over(project: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "maps"
    out.mkdir()
    (out / _folder.LOCK_NAME).write_text(f"{dead.pid}\n", encoding="ascii")
    # What that run, killed outright, left half-written; another run's temporary file is not touched.
    (out / f".audit.{dead.pid}-0a1b2c3d.partial.gpkg").write_bytes(b"SQLite format 3\0")
    (out / f".report.{dead.pid + 1}-0a1b2c3d.partial.md").write_text("# half", encoding="utf-8")
    assert main(["audit", str(project), "--out", str(out), "--date", DATE]) == 0
    assert "taking over the lock" in caplog.text
    assert not (out / _folder.LOCK_NAME).exists() and (out / "gap_map.html").exists()
    assert [p.name for p in out.glob(".*")] == [f".report.{dead.pid + 1}-0a1b2c3d.partial.md"]


def test_the_lock_is_reentrant_and_released(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    with _folder.output_folder(out):
        with _folder.output_folder(out):
            assert (out / _folder.LOCK_NAME).read_text(encoding="ascii").strip() == str(os.getpid())
        assert (out / _folder.LOCK_NAME).exists()
    assert not (out / _folder.LOCK_NAME).exists()


@pytest.mark.slow
def test_demo_is_byte_identical_across_two_runs(tmp_path: Path) -> None:
    """``geoplan audit`` of the demo, twice into one folder and once into another: the same bytes each time."""
    out, other = tmp_path / "a", tmp_path / "b"
    assert main(["audit", "--out", str(out), "--date", DATE]) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["audit", "--out", str(out), "--date", DATE]) == 0
    again = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["audit", "--out", str(other), "--date", DATE]) == 0
    assert first == again == {p.name: p.read_bytes() for p in other.iterdir()}
    assert "gap_map.html" in first and not [n for n in first if n.startswith(".")]


@pytest.mark.slow
def test_ctrl_c_stops_a_batch_on_local_workers(tmp_path: Path) -> None:
    """SIGINT to the whole process group (a terminal's Ctrl-C): one line, 130, no worker traceback, no leftovers."""
    write_project(tmp_path / "p")
    areas = "".join(f'\n[[areas]]\nid = "a{i}"\nproject_file = "p/geoplan.toml"\n' for i in range(8))
    (tmp_path / "batch.toml").write_text(f'[batch]\ntitle = "t"\nout = "out"\ncreated = "{DATE}"\n{areas}',
                                         encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "geoplan.cli", "batch", "batch.toml", "--workers", "2",
                             "--no-progress"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    started = tmp_path / "out" / "areas"
    try:
        for _ in range(600):  # until two workers are writing areas (at most a minute)
            if proc.poll() is not None or (started.is_dir() and len(list(started.iterdir())) >= 2):
                break
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("geoplan: interrupted"), err
    leftovers = [p for p in (tmp_path / "out").rglob(".*")]
    assert leftovers == [], leftovers


def test_batch_created_must_be_a_calendar_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_project(tmp_path / "p")
    (tmp_path / "batch.toml").write_text('[batch]\ntitle = "t"\ncreated = "2024-13-45"\n[[areas]]\nid = "a"\n'
                                         'project_file = "p/geoplan.toml"\n', encoding="utf-8")
    assert main(["batch", str(tmp_path / "batch.toml"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    _one_error_line(err, "batch.toml: 1 problem(s)")  # the batch file's problems, listed under its one line
    assert "[batch] created: an ISO date such as 2024-06-01, got '2024-13-45'" in err
    assert not (tmp_path / "batch-out").exists()
