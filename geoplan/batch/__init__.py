"""Batch audits: many areas (districts, cities, tiles of a city) audited in parallel, on local processes or a
Dask cluster, with consolidated outputs (XLSX, CSV, an index of maps) and one folder per area.

>>> from geoplan.batch import load_batch, run_batch      # doctest: +SKIP
>>> report = run_batch(load_batch("batch.toml"))          # doctest: +SKIP

Names are imported on first use, so that ``geoplan --help`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AreaOutcome": "geoplan.batch.area", "run_area": "geoplan.batch.area",
    "BatchReport": "geoplan.batch.run", "run_batch": "geoplan.batch.run",
    "AreaSpec": "geoplan.batch.spec", "BatchSpec": "geoplan.batch.spec", "load_batch": "geoplan.batch.spec",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    msg = f"module 'geoplan.batch' has no attribute {name!r}"
    raise AttributeError(msg)
