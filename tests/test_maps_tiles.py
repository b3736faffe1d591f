"""The optional tile basemap: ``--tiles`` on ``geoplan audit`` / ``geoplan site`` and ``[project] tiles``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geoplan._errors import InputError, ProjectError
from geoplan.cli import main
from geoplan.demo import demo_project
from geoplan.outputs.maps import check_tiles, map_tiles
from geoplan.project import load_project

TIANDITU = ("http://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
            "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY")


@pytest.mark.parametrize("bad", ["javascript:alert(1)//{z}/{x}/{y}", "https://t.example.com/{z}/{x}.png",
                                 "file:///etc/{z}/{x}/{y}", "no such provider"])
def test_unusable_templates_are_refused_naming_the_option(bad: str) -> None:
    with pytest.raises(InputError, match=r"^--tiles: basemap"):
        check_tiles(bad)


def test_wmts_template_and_provider_accepted() -> None:
    check_tiles(TIANDITU)
    check_tiles("osm")
    check_tiles(None)


def _demo_copy(tmp_path: Path, tiles: str | None) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(Path(demo_project()).parent if Path(demo_project()).is_file() else demo_project(), folder)
    toml = folder / "geoplan.toml"
    if tiles is not None:
        text = toml.read_text(encoding="utf-8").replace("[project]\n", f"[project]\ntiles = {tiles}\n", 1)
        toml.write_text(text, encoding="utf-8")
    return toml


def test_project_key_and_option_precedence(tmp_path: Path) -> None:
    toml = _demo_copy(tmp_path, f'"{TIANDITU}"')
    assert load_project(toml).tiles == TIANDITU
    assert map_tiles(None, toml) == TIANDITU
    assert map_tiles("osm", toml) == "osm"  # the option wins
    assert map_tiles(None, None) is None


def test_project_key_must_be_text(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"\[project\] tiles must be text"):
        load_project(_demo_copy(tmp_path, "3"))


def test_bad_project_template_named_by_its_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^\[project\] tiles: basemap"):
        map_tiles(None, _demo_copy(tmp_path, '"https://t.example.com/tile.png"'))


def test_cli_refuses_bad_tiles_in_one_line_before_the_audit(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "maps"
    assert main(["audit", "--tiles", "https://t.example.com/{z}.png", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("geoplan: error: --tiles: basemap") and "Traceback" not in "\n".join(err)
    assert not (out / "gap_map.html").exists()


def test_cli_map_has_the_streets_and_water_of_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import re

    out = tmp_path / "maps"
    assert main(["audit", str(_demo_copy(tmp_path, None)), "--out", str(out), "--date", "2026-11-22"]) == 0
    html = (out / "gap_map.html").read_text(encoding="utf-8")
    match = re.search(r'id="geoplan-data">(.*?)</script>', html, re.S)
    assert match
    data = json.loads(match.group(1))
    assert len(data["context"]["streets"]["lines"]) > 100 and data["context"]["water"]["features"]
    assert data["map"]["basemap"] is None  # offline: no tiles unless asked for
    keys = {layer["key"]: layer["show"] for layer in data["map"]["layers"]}
    assert keys["context:streets"] and keys["context:water"] and keys["context:boundaries"]
