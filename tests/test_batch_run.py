"""Batches on real data: local processes and a Dask LocalCluster give identical consolidated results; completed
areas are skipped; one area failing is reported while the rest finish; the workbook and index open."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geoplan.batch import BatchSpec, load_batch, run_batch
from geoplan.batch.area import DONE, ERROR, SKIPPED
from geoplan.batch.consolidate import OUTPUTS, consolidated_tables
from geoplan.cli import main

pytestmark = pytest.mark.shared

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "batch"
EXAMPLE = EXAMPLES / "hangzhou-and-five-cities.toml"
#: Six small areas of the example: three tiles and three cities (the whole example is the slow test).
SMALL = ("hz-tile-r1c2", "hz-tile-r1c3", "hz-tile-r2c1", "quzhou-districts", "shaoyang-districts",
         "langfang-districts")
RESULT_CSVS = ("indicators.csv", "units.csv", "failing_communities.csv", "suggestions.csv", "areas.csv")


@pytest.fixture(scope="module")
def tiles(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    spec = importlib.util.spec_from_file_location("build_hangzhou_tiles", EXAMPLES / "build_hangzhou_tiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("tiles")
    module.build_tiles(shared_data.parent, out)
    return out


def example(out: Path, shared_data: Path, tiles: Path, only: tuple[str, ...] | None = SMALL) -> BatchSpec:
    spec = load_batch(EXAMPLE, out=out, variables={"shared": str(shared_data), "tiles": str(tiles)})
    if only is None:
        return spec
    return dataclasses.replace(spec, areas=tuple(a for a in spec.areas if a.id in only))


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as local:
        yield local.scheduler_address


def sorted_tables(spec: BatchSpec) -> dict[str, pd.DataFrame]:
    tables = consolidated_tables(spec, [])
    return {name: t.sort_values(list(t.columns), key=lambda c: c.astype(str)).reset_index(drop=True)
            for name, t in tables.items()}


def assert_identical(a: BatchSpec, b: BatchSpec) -> None:
    ta, tb = sorted_tables(a), sorted_tables(b)
    for name in OUTPUTS:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)
    for csv in RESULT_CSVS:
        assert (a.out / csv).read_bytes() == (b.out / csv).read_bytes(), csv


def test_local_and_local_cluster_give_identical_results(tmp_path: Path, shared_data: Path, tiles: Path,
                                                        cluster: str) -> None:
    local = example(tmp_path / "local", shared_data, tiles)
    on_dask = example(tmp_path / "dask", shared_data, tiles)
    r1 = run_batch(local, workers=2, progress=False)
    r2 = run_batch(on_dask, scheduler=cluster, progress=False)
    assert r1.ok and r2.ok, [o.message for o in (*r1.outcomes, *r2.outcomes) if o.message]
    assert r1.executor == "local:2 processes" and r2.executor == f"dask:{cluster}"
    assert {o.status for o in r2.outcomes} == {DONE} and len(r2.outcomes) == 6
    assert len({o.worker for o in r2.outcomes}) == 2  # both cluster workers took areas
    assert_identical(local, on_dask)
    tables = sorted_tables(local)
    assert set(tables["indicators"]["area_id"]) == set(SMALL)
    units = tables["units"].set_index(["area_id", "unit_code", "rule_id"])
    # Quzhou's 柯城区 (330802): census residents and what 4.5 托位 per 1000 asks of it.
    row = units.loc[("quzhou-districts", "330802", "ratio_slots_per_1000")]
    assert row["denominator_source"] == "census" and row["denominator"] > 400_000
    assert row["required"] == pytest.approx(4.5 * row["denominator"] / 1000, abs=0.1)
    assert len(tables["failing"]) > 100 and len(tables["suggestions"]) > 0
    assert r2.bytes_out < 20_000 and r2.bytes_back < 10_000  # only specs out, small outcomes back

    # Rerun: everything is complete, nothing runs, outputs unchanged.
    before = (local.out / "indicators.csv").read_bytes()
    again = run_batch(local, workers=2, progress=False)
    assert {o.status for o in again.outcomes} == {SKIPPED}
    assert (local.out / "indicators.csv").read_bytes() == before


def test_workbook_and_index(tmp_path: Path, shared_data: Path, tiles: Path) -> None:
    spec = example(tmp_path / "out", shared_data, tiles, only=("hz-tile-r2c1", "langfang-districts"))
    report = run_batch(spec, workers=1, progress=False)
    assert report.ok
    book = openpyxl.load_workbook(spec.out / "batch.xlsx", read_only=True)
    assert book.sheetnames == [sheet for sheet, _ in OUTPUTS.values()]
    for name, (sheet, csv) in OUTPUTS.items():
        rows = list(book[sheet].iter_rows(values_only=True))
        table = pd.read_csv(spec.out / csv, encoding="utf-8-sig")
        assert len(rows) == len(table) + 1, name
        assert all(str(h).endswith(c) for h, c in zip(rows[0], table.columns, strict=True)), name
    areas = {r[0]: r for r in book["区域 areas"].iter_rows(min_row=2, values_only=True)}
    assert areas.keys() == {"hz-tile-r2c1", "langfang-districts"}
    indicators = pd.read_csv(spec.out / "indicators.csv", encoding="utf-8-sig")
    assert {"indicator_zh", "measured", "target", "basis"} <= set(indicators.columns)
    slots = indicators[(indicators["area_id"] == "langfang-districts")
                       & (indicators["rule_id"] == "ratio_slots_per_1000")]
    assert len(slots) == 10 and slots["indicator_zh"].str.contains("托位").all()  # one row per district
    index = (spec.out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert "areas/hz-tile-r2c1/gap_map.html" in links and "areas/langfang-districts/audit.gpkg" in links
    assert all((spec.out / link).is_file() for link in links)


BROKEN = """
[[areas]]
id = "hz-broken"
preset = "nope-2099"
communities = { path = "${tiles}/tile-r2c1.csv" }

[[areas]]
id = "hz-tile-r2c1"
communities = { path = "${tiles}/tile-r2c1.csv" }
"""


def test_a_failing_area_is_reported_and_the_rest_finish(tmp_path: Path, shared_data: Path, tiles: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    head = text[: text.index("[[areas]]")].replace('out = "out/hangzhou-and-five-cities"', 'out = "run"')
    path = tmp_path / "batch.toml"
    path.write_text(head + BROKEN, encoding="utf-8")
    args = ["batch", str(path), "--var", f"shared={shared_data}", "--var", f"tiles={tiles}", "--no-progress"]
    assert main([*args, "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "area hz-broken could not run" in captured.err and "nope-2099" in captured.err
    assert "1 run, 0 skipped" in captured.out and "1 could not run" in captured.out
    areas = pd.read_csv(tmp_path / "run" / "areas.csv", encoding="utf-8-sig").set_index("area_id")
    assert areas.loc["hz-tile-r2c1", "status"] == DONE
    assert areas.loc["hz-broken", "status"] == ERROR and "nope-2099" in areas.loc["hz-broken", "message"]
    assert "error: PresetError" in (tmp_path / "run" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "run" / "areas" / "hz-tile-r2c1" / "gap_map.html").is_file()

    # Rerun: the completed area is skipped, the broken one runs (and fails) again; --force reruns both.
    assert main([*args, "--workers", "1"]) == 1
    assert "0 run, 1 skipped" in capsys.readouterr().out
    assert main([*args, "--workers", "1", "--force"]) == 1
    assert "1 run, 0 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_whole_example_local_and_cluster(tmp_path: Path, shared_data: Path, tiles: Path, cluster: str) -> None:
    local = example(tmp_path / "local", shared_data, tiles, only=None)
    on_dask = example(tmp_path / "dask", shared_data, tiles, only=None)
    assert len(local.areas) == 11
    assert run_batch(local, workers=2, progress=False).ok
    assert run_batch(on_dask, scheduler=cluster, progress=False).ok
    assert_identical(local, on_dask)
