"""On-disk cache of built networks, so a city's OSM file is parsed once.

A network is stored as ``<key>.npz`` (arrays + CRS WKT + source), where the key is the SHA-256 of the input
file's bytes (and of its sidecar files for a Shapefile: ``.shx``, ``.dbf``, ``.prj``, ``.cpg``), the requested
CRS, the reader and its options, and :data:`CACHE_VERSION`. Editing the file, changing the CRS or a new
filter version therefore misses the cache; nothing is ever invalidated by date. Delete the folder to clear it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import numpy as np
import pyproj

from geoplan import settings
from geoplan.network.graph import Network
from geoplan.network.osm import FILTER_VERSION

log = logging.getLogger(__name__)

#: Bumped whenever the way networks are built changes (filter, lengths, node merging ...).
CACHE_VERSION: Final = f"1/{FILTER_VERSION}"
#: Environment variable overriding the cache folder.
CACHE_ENV: Final = "GEOPLAN_CACHE_DIR"

_SIDECARS: Final = (".shx", ".dbf", ".prj", ".cpg")


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``<override, else $GEOPLAN_CACHE_DIR, else settings.cache_dir>/networks``."""
    if override is not None:
        base = Path(override)
    elif os.environ.get(CACHE_ENV):
        base = Path(os.environ[CACHE_ENV])
    else:
        base = settings.cache_dir
    return base / "networks"


def input_files(path: Path) -> list[Path]:
    """The files whose bytes define a network read from ``path`` (a Shapefile's sidecars included)."""
    files = [path]
    if path.suffix.lower() == ".shp":
        files += [p for ext in _SIDECARS for p in (path.with_suffix(ext), path.with_suffix(ext.upper()))
                  if p.is_file()]
    return files


def cache_key(files: Iterable[Path], crs: pyproj.CRS | None, reader: str) -> str:
    """SHA-256 hex digest of the input bytes, the CRS (WKT or ``auto``), the reader and the cache version."""
    digest = hashlib.sha256()
    digest.update(CACHE_VERSION.encode())
    digest.update(reader.encode())
    digest.update(b"auto" if crs is None else pyproj.CRS.from_user_input(crs).to_wkt().encode())
    for file in files:
        digest.update(file.suffix.lower().encode())
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def save(network: Network, path: Path) -> None:
    """Write ``network`` to ``path`` (.npz) atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "x": network.x, "y": network.y, "u": network.u, "v": network.v, "length": network.length,
        "crs_wkt": np.array(network.crs.to_wkt()), "source": np.array(network.source),
    }
    if network.osm_ids is not None:
        arrays["osm_ids"] = network.osm_ids
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(path: Path) -> Network | None:
    """Read a cached network, or None when the file is missing or unreadable (it is then rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return Network(
                x=data["x"], y=data["y"], u=data["u"], v=data["v"], length=data["length"],
                crs=pyproj.CRS.from_wkt(str(data["crs_wkt"])), source=str(data["source"]),
                osm_ids=data["osm_ids"] if "osm_ids" in data.files else None,
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, pyproj.exceptions.CRSError) as exc:
        log.warning("ignoring unreadable network cache %s: %s", path, exc)
        return None
