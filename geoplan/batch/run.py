"""Run a batch: skip completed areas, audit the rest on local processes or a Dask cluster, consolidate.

Local (default): a process pool (``spawn``) of ``workers`` processes; ``workers = 1`` runs the areas one after
the other in this process. Dask: ``scheduler="tcp://host:8786"`` (or a :class:`distributed.Client`) submits one
task per area; the workers must see the same files at the same paths (a shared disk), since only the
:class:`~geoplan.batch.spec.AreaSpec` goes out and a small :class:`~geoplan.batch.area.AreaOutcome` comes back.
A task that dies with its worker (memory, crash) is reported as that area's error like any other.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from geoplan import _hints
from geoplan._errors import Hint, InputError, MissingDependencyError
from geoplan.batch.area import DONE, ERROR, SKIPPED, AreaOutcome, is_complete, run_area
from geoplan.batch.consolidate import consolidate
from geoplan.batch.spec import AreaSpec, BatchSpec
from geoplan.outputs._folder import output_folder

log = logging.getLogger(__name__)

#: How long to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    outcomes : list of AreaOutcome
        One per area, in the batch file's order.
    written : dict
        Label → path of the consolidated outputs.
    seconds : float
        Wall time of the run (audits and consolidation).
    executor : str
        ``"local:<n> processes"``, ``"in-process"`` or ``"dask:<scheduler address>"``.
    bytes_out, bytes_back : int
        Pickled size of the area specs sent to workers and of the outcomes returned (what crossed the network
        with Dask).
    """

    outcomes: list[AreaOutcome]
    written: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    executor: str = ""
    bytes_out: int = 0
    bytes_back: int = 0

    @property
    def ok(self) -> bool:
        """True when every area ran (failing rules are findings, not errors)."""
        return all(o.status != ERROR for o in self.outcomes)

    def count(self, status: str) -> int:
        """Number of areas with this status."""
        return sum(o.status == status for o in self.outcomes)


def _local(tasks: Sequence[AreaSpec], workers: int) -> Iterator[AreaOutcome]:
    if workers <= 1:
        for task in tasks:
            yield run_area(task)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_quiet_worker) as pool:
        with _sigint_ignored():  # inherited by the workers spawned here: Ctrl-C is the main process's to handle
            futures = {pool.submit(run_area, task): task for task in tasks}
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except BrokenProcessPool as exc:
                    task = futures[future]
                    yield AreaOutcome(task.id, ERROR, f"worker process died: {exc}")
        except KeyboardInterrupt:
            # Stop now rather than after every queued area: cancel the queue and end the workers, whose
            # SIGTERM unwinds their writers (temporary files removed) before they exit.
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            raise


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change signal handlers; its Ctrl-C then reaches the workers too
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet_worker() -> None:
    """A worker's SIGTERM unwinds the area it writes (temporary files removed) and ends it quietly."""
    signal.signal(signal.SIGTERM, _exit_on_term)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _dask(tasks: Sequence[AreaSpec], scheduler: Any) -> Iterator[AreaOutcome]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        msg = 'running on a Dask cluster needs dask.distributed'
        raise MissingDependencyError(msg, hint=_hints.install('"geoplan[batch]"')) from exc
    try:
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        msg = (f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc})")
        raise InputError(msg,
                hint=Hint(zh="用 `dask scheduler` 启动调度器、`dask worker ADDRESS --nthreads 1` 启动工作进程，"
                             "或去掉 --scheduler 使用本机进程",
                          en="start one with `dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, or "
                             "leave out --scheduler to use local processes")) from exc
    try:
        futures = {client.submit(run_area, task, key=f"geoplan-area-{task.id}-{task.fingerprint()[:12]}",
                                 pure=False): task for task in tasks}
        for future in dask_completed(futures):
            try:
                yield future.result()
            except Exception as exc:
                task = futures[future]
                yield AreaOutcome(task.id, ERROR, f"task lost on the cluster: {type(exc).__name__}: {exc}")
    finally:
        if client is not scheduler:
            client.close()


def _address(scheduler: Any) -> str:
    if isinstance(scheduler, str):
        return scheduler
    return str(getattr(getattr(scheduler, "scheduler", None), "address", scheduler))


def run_batch(
    spec: BatchSpec,
    *,
    scheduler: Any = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    on_outcome: Callable[[AreaOutcome], None] | None = None,
) -> BatchReport:
    """Audit every area of a batch and write the consolidated outputs into ``spec.out``.

    Parameters
    ----------
    spec : BatchSpec
        From :func:`geoplan.batch.load_batch`.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client; default: local processes.
    workers : int, optional
        Local processes (default: ``[batch] workers``, else the number of cores, at most the areas to run).
    force : bool
        Rerun areas already completed with the same inputs and settings.
    progress : bool
        Show a progress bar (stderr).
    on_outcome : callable, optional
        Called with each area's outcome as it arrives (e.g. to print failures at once).

    Returns
    -------
    BatchReport
        ``ok`` is False when an area could not run; failing rules are findings, not errors.
    """
    with output_folder(spec.out, option="the batch output folder"):
        return _run(spec, scheduler, workers, force, progress, on_outcome)


def _run(spec: BatchSpec, scheduler: Any, workers: int | None, force: bool, progress: bool,
         on_outcome: Callable[[AreaOutcome], None] | None) -> BatchReport:
    t0 = time.perf_counter()
    done: dict[str, AreaOutcome] = {}
    todo: list[AreaSpec] = []
    for area in spec.areas:
        if not force and is_complete(area):
            done[area.id] = AreaOutcome(area.id, SKIPPED, "completed earlier with the same inputs and settings")
        else:
            todo.append(area)
    log.info("%d areas to run, %d already complete", len(todo), len(done))
    n = workers or spec.workers or min(os.cpu_count() or 1, max(len(todo), 1))
    executor = f"dask:{_address(scheduler)}" if scheduler is not None else (
        "in-process" if n <= 1 else f"local:{n} processes")
    stream: Iterator[AreaOutcome] = iter(())
    if todo:
        stream = _dask(todo, scheduler) if scheduler is not None else _local(todo, n)
    bytes_back = 0
    with tqdm(total=len(spec.areas), initial=len(done), desc="areas", unit="area", disable=not progress) as bar:
        for outcome in stream:
            bytes_back += len(pickle.dumps(outcome))
            done[outcome.id] = outcome
            bar.set_postfix_str(f"{outcome.id} {outcome.status}", refresh=False)
            bar.update(1)
            if on_outcome is not None:
                on_outcome(outcome)
    outcomes = [done[a.id] for a in spec.areas]
    written = consolidate(spec, outcomes)
    report = BatchReport(outcomes, written, time.perf_counter() - t0, executor,
                         sum(len(pickle.dumps(a)) for a in todo), bytes_back)
    log.info("batch %s: %d done, %d skipped, %d errors in %.1f s (%s)", spec.title, report.count(DONE),
             report.count(SKIPPED), report.count(ERROR), report.seconds, executor)
    return report


def with_out(spec: BatchSpec, out: Path) -> BatchSpec:
    """The same batch writing into another folder (areas keep their place under it)."""
    areas = tuple(replace(a, out_dir=out / a.out_dir.relative_to(spec.out)) for a in spec.areas)
    return replace(spec, out=out, areas=areas)
