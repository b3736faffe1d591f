"""Batch audits: many areas (districts, cities, tiles of a city) audited in parallel, on local processes or a
Dask cluster, with consolidated outputs (XLSX, CSV, an index of maps) and one folder per area.

>>> from geoplan.batch import load_batch, run_batch      # doctest: +SKIP
>>> report = run_batch(load_batch("batch.toml"))          # doctest: +SKIP
"""

from __future__ import annotations

from geoplan.batch.area import AreaOutcome, run_area
from geoplan.batch.run import BatchReport, run_batch
from geoplan.batch.spec import AreaSpec, BatchSpec, load_batch

__all__ = ["AreaOutcome", "AreaSpec", "BatchReport", "BatchSpec", "load_batch", "run_area", "run_batch"]
