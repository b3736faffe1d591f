"""The batch file: variables, defaults, removing a section, every problem at once, and output paths that stay
inside the output folder (``../../etc`` and absolute paths refused with a clear message)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from geoplan._errors import OutputError, ProjectError
from geoplan.batch._toml import dumps
from geoplan.batch.spec import inside, load_batch
from geoplan.cli import main

HEAD = """
[batch]
title = "t"
out = "{out}"
created = "2024-06-01"
[vars]
data = "data"
[defaults]
preset = "quzhou-2022"
crs = "EPSG:4549"
[defaults.facilities]
path = "${{data}}/fac.csv"
x = "lon"
y = "lat"
[defaults.network]
path = "${{data}}/streets.osm"
"""


def write(tmp_path: Path, areas: str, out: str = "out") -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    for name in ("fac.csv", "com.csv", "streets.osm"):
        (tmp_path / "data" / name).write_text("lon,lat\n", encoding="utf-8")
    path = tmp_path / "batch.toml"
    path.write_text(HEAD.format(out=out) + areas, encoding="utf-8")
    return path


AREAS = """
[[areas]]
id = "a"
title = "甲"
communities = { path = "${data}/com.csv", x = "lon", y = "lat" }
[[areas]]
id = "b"
kinds = ["ratio"]
ratio_level = "county"
admin = "3308"
network = false
out = "cities/b"
"""


def test_defaults_vars_and_paths(tmp_path: Path) -> None:
    spec = load_batch(write(tmp_path, AREAS))
    a, b = spec.areas
    assert spec.out == (tmp_path / "out").resolve() and spec.created == "2024-06-01"
    assert a.project["facilities"]["path"] == str((tmp_path / "data" / "fac.csv").resolve())
    assert a.project["communities"]["x"] == "lon" and a.project["project"]["title"] == "甲"
    assert a.out_dir == spec.out / "areas" / "a"
    assert "network" not in b.project and "network" in a.project  # `network = false` removes the default
    assert (b.kinds, b.ratio_level, b.admin) == (("ratio",), "county", ("3308",))
    assert b.out_dir == spec.out / "areas" / "cities" / "b"
    assert a.fingerprint() != b.fingerprint()


def test_cli_variables_and_out_override(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    (other).mkdir()
    for name in ("fac.csv", "streets.osm"):
        (other / name).write_text("lon,lat\n", encoding="utf-8")
    spec = load_batch(write(tmp_path, AREAS), out=tmp_path / "o2", variables={"data": str(other)})
    assert spec.areas[1].project["facilities"]["path"] == str(other / "fac.csv")
    assert spec.areas[0].out_dir == (tmp_path / "o2" / "areas" / "a").resolve()


def test_fingerprint_follows_inputs(tmp_path: Path) -> None:
    path = write(tmp_path, AREAS)
    before = load_batch(path).areas[0].fingerprint()
    (tmp_path / "data" / "com.csv").write_text("lon,lat\n120.1,30.2\n", encoding="utf-8")
    assert load_batch(path).areas[0].fingerprint() != before


@pytest.mark.parametrize("out", ["../../etc", "/etc/geoplan", "sub/../../..", "C:\\\\temp", "..\\\\..\\\\x"])
def test_batch_out_escaping_is_refused(tmp_path: Path, out: str) -> None:
    with pytest.raises(OutputError, match="refused"):
        load_batch(write(tmp_path, AREAS, out=out))


@pytest.mark.parametrize("out", ["../../etc", "/tmp/x", "../../../b"])
def test_area_out_escaping_is_refused(tmp_path: Path, out: str) -> None:
    with pytest.raises(OutputError, match="refused"):
        load_batch(write(tmp_path, AREAS.replace('out = "cities/b"', f'out = "{out}"')))


def test_refused_even_when_out_is_given_and_nested_areas(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="refused"):
        load_batch(write(tmp_path, AREAS, out="../../etc"), out=tmp_path / "fine")
    with pytest.raises(ProjectError, match="inside area 'a'"):
        load_batch(write(tmp_path, AREAS.replace('out = "cities/b"', 'out = "a/b"')))


def test_link_leading_out_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (root / "link").symlink_to(tmp_path.parent)
    with pytest.raises(OutputError, match="outside"):
        inside(root, "link/x", "out")
    assert inside(root, "a/./b", "out") == root / "a" / "b"


def test_every_problem_at_once(tmp_path: Path) -> None:
    areas = """
[[areas]]
id = "a"
colour = "red"
kinds = "reach"
minutes = -3
ratio_level = "township"
communities = { path = "${nope}/x.csv" }
[[areas]]
id = "a"
[[areas]]
id = "../x"
"""
    with pytest.raises(ProjectError) as info:
        load_batch(write(tmp_path, areas))
    text = str(info.value)
    for needle in ("unknown key 'colour'", "kinds: a non-empty list", "minutes: a positive number",
                   "ratio_level: one of city, county", "unknown variable ${nope}", "id already used",
                   "id must be"):
        assert needle in text, needle


def test_cli_refuses_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, AREAS, out="../../etc")
    assert main(["batch", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "[batch] out = '../../etc' is refused" in err and "climbs out of" in err and "--out" in err
    assert not (tmp_path.parent.parent / "etc" / "areas").exists()


def test_project_file_writer_round_trips() -> None:
    tables = {"project": {"title": "杭州 \"x\"\n", "preset": "q"},
              "communities": {"path": "/a b/c.csv", "fields": {"name": "小区名称"}},
              "facility_types": {"托育机构": "childcare", "a b": "x"},
              "audit": {"household_size": 2.36, "n": 3, "flag": True, "codes": ["3308", 1]}}
    assert tomllib.loads(dumps(tables, "header\nline")) == tables


def test_unreachable_scheduler_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    from geoplan.batch import run

    monkeypatch.setattr(run, "CONNECT_TIMEOUT", "1s")
    path = write(tmp_path, AREAS)
    assert main(["batch", str(path), "--no-progress", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in err and "dask scheduler" in err
