"""Make the worked example's screenshots (docs/img/worked-*.png) by running it as docs/worked-example.md says.

Writes the inputs (``make_excel.py``), runs ``geoplan init``, ``geoplan audit`` and ``geoplan site`` in a
scratch folder, then screenshots in headless Chromium the childcare gap map with its service areas, the head
of report.md (its summary and headline table) and the map of the suggested childcare sites, and stores each
as a small palette PNG (the committed images are kept under 150 kB; the script fails otherwise)::

    python examples/worked/screenshots.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import tempfile
from pathlib import Path

from PIL import Image

from geoplan.audit import audit
from geoplan.cli import main as geoplan_main
from geoplan.outputs._chromium import chromium_context
from geoplan.outputs._png import write_map_png
from geoplan.outputs.maps import write_gap_map

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IMG = REPO / "docs" / "img"
log = logging.getLogger("screenshots")
MAX_BYTES = 150_000  # as tests/test_docs_presets.py checks
#: The report as a planner's Markdown viewer shows it: a plain table style.
_REPORT_CSS = ("body{font:14px/1.45 'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:24px;color:#222}"
               "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #bbb;padding:3px 8px;"
               "text-align:left}th{background:#eef2f5}h1{font-size:22px}h2{font-size:18px;margin-top:20px}")


def _small_png(src: Path, dst: Path, colours: int = 96) -> Path:
    """A palette PNG of a screenshot: flat map colours survive, the file shrinks ~3×."""
    Image.open(src).convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
    return dst


def _cells(line: str) -> list[str]:
    return [html.escape(c.strip()) for c in line.strip().strip("|").split("|")]


def markdown_head_html(markdown: str, stop: str) -> str:
    """The report's Markdown up to the heading ``stop`` as HTML: headings, pipe tables and paragraphs only.

    That is every construct report.md's head uses; all text is escaped.
    """
    body, table = [], []
    lines = markdown.split(stop, 1)[0].splitlines()
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            head, rows = _cells(table[0]), [_cells(t) for t in table[2:]]
            body.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
            table = []
        heading = re.match(r"(#+) (.*)", line)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
        elif line.strip():
            body.append(f"<p>{html.escape(line)}</p>")
    return f"<!doctype html><meta charset=utf-8><style>{_REPORT_CSS}</style>" + "".join(body)


def report_png(report: Path, png: Path, width: int = 1100) -> Path:
    """Screenshot the head of report.md (summary and headline table) in headless Chromium."""
    page_html = markdown_head_html(report.read_text(encoding="utf-8"), "\n## 规划指标")
    with chromium_context((width, 800)) as context:
        page = context.new_page()
        page.set_content(page_html, wait_until="load")
        page.screenshot(path=str(png), full_page=True)
    return png


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
        assert geoplan_main(["site", "--rules", "reach_childcare_15", "--out", "site", "--date", "2024-06-01"]) == 0
        result = audit(work / "geoplan.toml", created="2024-06-01")
        html = write_gap_map(result, work / "childcare.html", rules=["reach_childcare_15"],
                             service_areas=result.service_areas)
    finally:
        os.chdir(cwd)
    IMG.mkdir(parents=True, exist_ok=True)
    shots = [
        (write_map_png(html, work / "childcare.png", width=1000, height=680), "worked-childcare-map.png"),
        (report_png(work / "maps" / "report.md", work / "report.png"), "worked-report.png"),
        (write_map_png(work / "site" / "suggestions_reach_childcare_15.html", work / "site.png", width=1000,
                       height=680), "worked-site-map.png"),
    ]
    written = [_small_png(raw, IMG / name) for raw, name in shots]
    for path in written:
        if path.stat().st_size > MAX_BYTES:
            msg = f"{path} is {path.stat().st_size / 1024:.0f} kB: over the 150 kB kept for docs images"
            raise SystemExit(msg)
    return written


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
