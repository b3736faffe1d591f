"""Fixed dates inside container formats (GeoPackage, XLSX), so one audit always writes the same bytes."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import zipfile
from pathlib import Path


def stamp_geopackage(path: Path, stamp: str) -> None:
    """Set ``gpkg_contents.last_change`` (and QGIS ``layer_styles.update_time``) to the ISO date ``stamp``."""
    when = dt.datetime.fromisoformat(stamp).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_contents SET last_change = ?", (when,))
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "layer_styles" in tables:
            db.execute("UPDATE layer_styles SET update_time = ?", (when,))
    db.close()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def restamp_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite an XLSX with every zip entry, and the document's modified date, set to ``when``.

    openpyxl stamps ``dcterms:modified`` with the clock on save, whatever the properties say.
    """
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    tmp = path.with_name(f".{path.name}.restamp")
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = _MODIFIED.sub(rb"\g<1>" + iso + rb"\g<2>", data)
                fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = info.external_attr
                dst.writestr(fixed, data)
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C or a full disk: leave no stray copy behind
        tmp.unlink(missing_ok=True)
        raise
