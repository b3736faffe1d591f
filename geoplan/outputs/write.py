"""Write everything an audit produces into one output folder (what ``geoplan audit`` does)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from geoplan.outputs._folder import output_folder
from geoplan.outputs.docx_report import write_report_docx
from geoplan.outputs.export import export_result
from geoplan.outputs.maps import MapContext, write_gap_map
from geoplan.result import AuditResult

DEFAULT_FORMATS = ("gpkg", "shp", "csv", "md", "xlsx")


def write_all(
    result: AuditResult,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = DEFAULT_FORMATS,
    lang: str = "zh",
    encoding: str = "utf-8",
    tiles: str | None = None,
    context: MapContext | None = None,
    docx: bool = True,
) -> dict[str, Path]:
    """Write the gap map, the exports and (``docx``) the Word report ``report.docx`` into ``out_dir``.

    ``tiles`` (a tile basemap) and ``context`` (streets, water, green drawn offline) go to the gap map, see
    :func:`geoplan.outputs.maps.write_gap_map`.

    Every file is written under a temporary name and renamed when whole, while the folder's lock is held
    (see :mod:`geoplan.outputs._folder`).

    Returns
    -------
    dict
        Label → path of each main file written, the map first.

    Raises
    ------
    OutputError
        ``out_dir`` is a file, holds a symbolic link leading outside it, is not writable, or another run
        is writing into it; or a file cannot be written.
    """
    with output_folder(Path(out_dir)) as out:
        written = {"gap_map.html": write_gap_map(result, out / "gap_map.html", lang=lang,
                                                 service_areas=result.service_areas, tiles=tiles, context=context)}
        written.update(export_result(result, out, formats=formats, encoding=encoding))
        if docx:  # the Word report, its map images taken from the gap map just written
            written["report.docx"] = write_report_docx(result, out / "report.docx", map_html=written["gap_map.html"])
    return written
