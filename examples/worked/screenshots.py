"""Make the worked example's screenshots (docs/img/worked-*.png) by running it as docs/worked-example.md says.

Writes the inputs (``make_excel.py``), runs ``geoplan init`` and ``geoplan audit`` in a scratch folder, then
screenshots the childcare gap map with its service areas in headless Chromium and stores it as a small
palette PNG (the committed images are kept under 150 kB)::

    python examples/worked/screenshots.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

from PIL import Image

from geoplan.audit import audit
from geoplan.cli import main as geoplan_main
from geoplan.outputs._png import write_map_png
from geoplan.outputs.maps import write_gap_map

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IMG = REPO / "docs" / "img"
log = logging.getLogger("screenshots")


def _small_png(src: Path, dst: Path, colours: int = 96) -> Path:
    """A palette PNG of a screenshot: flat map colours survive, the file shrinks ~3×."""
    Image.open(src).convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
    return dst


def make(work: Path) -> list[Path]:
    """Run the worked example in ``work`` and write its screenshots to docs/img/."""
    from make_excel import write_inputs  # the sibling script

    write_inputs(work)
    cwd = Path.cwd()
    os.chdir(work)
    try:
        argv = ["init", "小区.xlsx", "设施.xlsx", "--network", "路网.osm.pbf", "--city", "衢州", "--household-size",
                "2.36", "--title", "杭州中心城区一老一小设施审计（示例）", "--force"]
        assert geoplan_main(argv) == 0
        assert geoplan_main(["audit", "--date", "2024-06-01"]) == 0
        result = audit(work / "geoplan.toml", created="2024-06-01")
        html = write_gap_map(result, work / "childcare.html", rules=["reach_childcare_15"],
                             service_areas=result.service_areas)
    finally:
        os.chdir(cwd)
    IMG.mkdir(parents=True, exist_ok=True)
    raw = write_map_png(html, work / "childcare.png", width=1000, height=680)
    return [_small_png(raw, IMG / "worked-childcare-map.png")]


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.keep:
        paths = make(args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            paths = make(Path(tmp))
    for path in paths:
        log.info("wrote %s (%.0f kB)", path, path.stat().st_size / 1024)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    main()
