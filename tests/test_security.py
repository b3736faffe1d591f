"""Text from the data is data: template, script and formula payloads in every text field, end to end.

One project carries a payload in each text field that reaches an output: community names and ids,
facility names, ids and type values, a column header, the project title, the preset title, a rule title
and a facility-type label. ``geoplan audit`` runs on it through the command line, and then:

* nothing ran: no file written by the payload, no dialog, no script error, no element with an event
  handler or an image in the page;
* every label a planner sees in Chromium (page title, title box, layer control, legend, popups) equals its
  input verbatim — ``{{7*7}}`` shows as ``{{7*7}}``, not 49, and ``{#`` shifts nothing;
* the GeoPackage, CSV and XLSX hold the same text (XLSX as text cells, never formulas; CSV with the
  documented apostrophe before text a spreadsheet would run).
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyogrio
import pytest
from badinputs.base import PRESET, communities, facilities, write_project
from badinputs.cases_outputs import TEMPLATE_NAMES
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan import _numeric
from geoplan.cli import main
from geoplan.outputs import _page

DATE = "2026-01-01"
SCRIPT_NAMES = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "line\u2028separator\u2029here",
    "=HYPERLINK(\"http://example.invalid\",\"x\")",
    "+1+2",
]
NAMES = TEMPLATE_NAMES + SCRIPT_NAMES
PROJECT_TITLE = "{{7*7}} <b>审计</b> {% if 1 %}x{% endif %}"
PRESET_TITLE = "{# 预设 #} {{ self }}"
RULE_TITLE = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }} 托育圈"
TYPE_LABEL = "{{ 6*7 }} <i>托育</i>"
TYPE_VALUE = "{% raw %}托育{{x}}"
HEADER = "{{ 户数 }}"
FACILITY_NAME = "{{ lipsum.__globals__.os.popen('touch PWNED').read() }}"
FORMULA_START = ("=", "+", "-", "@")


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def hostile_project(root: Path) -> Path:
    """The corpus's base project with a payload in every text field (see the module docstring)."""
    com = communities()
    com.loc[: len(NAMES) - 1, "小区名称"] = NAMES
    com.loc[: len(NAMES) - 1, "小区编号"] = [f"{name}#{k}" for k, name in enumerate(NAMES)]
    com = com.rename(columns={"户数": HEADER})
    fac = facilities()
    fac.loc[0, "名称"] = FACILITY_NAME
    fac.loc[0, "编号"] = "{{ id }}"
    fac.loc[:2, "类型"] = TYPE_VALUE
    preset = (PRESET.replace('title = "坏数据测试预设"', f"title = {_toml(PRESET_TITLE)}", 1)
              .replace('title_zh = "5分钟托育服务圈"', f"title_zh = {_toml(RULE_TITLE)}", 1)
              .replace('childcare = { zh = "托育机构"', f"childcare = {{ zh = {_toml(TYPE_LABEL)}", 1))
    fields = {"community_id": "小区编号", "name": "小区名称", "households": HEADER, "build_year": "建成年代"}
    return write_project(
        root, com=com, fac=fac, preset=preset,
        project={"title": PROJECT_TITLE},
        communities={"fields": fields},
        facility_types={TYPE_VALUE: "childcare", "托育机构": None},
    )


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``geoplan audit`` of the hostile project through the CLI, run from inside its folder."""
    root = tmp_path_factory.mktemp("hostile")
    project = hostile_project(root / "project")
    out = root / "maps"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["-v", "audit", str(project), "--out", str(out), "--date", DATE]) == 0
    yield out


def _no_side_effect(root: Path) -> None:
    assert not list(root.rglob("PWNED")) and not Path("PWNED").exists()


def test_nothing_ran_on_disk(audited: Path) -> None:
    _no_side_effect(audited.parent)
    assert not [p.name for p in audited.iterdir() if ".partial" in p.name or p.name.startswith(".")]


def test_map_payload_holds_the_text_verbatim(audited: Path) -> None:
    page = (audited / "gap_map.html").read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="geoplan-data">(.*?)</script>', page, re.S)
    assert match
    data = json.loads(match.group(1))
    names = data["communities"]["name"]
    assert [names["d"][k] for k in names["i"][: len(NAMES)]] == NAMES
    assert data["title"]["main"] == PROJECT_TITLE
    assert any(PRESET_TITLE in s for s in data["title"]["sub"])
    assert RULE_TITLE in [r["title"] for r in data["communities"]["rules"]]
    assert TYPE_LABEL in [t["name"] for t in data["facilities"]["types"]]
    # The raw text appears nowhere as markup, and the page has nothing a template engine would have eaten.
    for raw in ("<img src=x onerror=alert(1)>", "<b>审计</b>", "<i>托育</i>", "</script><script>alert(2)"):
        assert raw not in page
    assert "49" not in data["title"]["main"] and "{{7*7}}" in page


def test_geopackage_keeps_the_text(audited: Path) -> None:
    com = pyogrio.read_dataframe(audited / "audit.gpkg", layer="communities")
    assert list(com["name"][: len(NAMES)]) == NAMES
    fac = pyogrio.read_dataframe(audited / "audit.gpkg", layer="facilities")
    assert FACILITY_NAME in set(fac["name"])


def test_xlsx_cells_are_text_never_formulas(audited: Path) -> None:
    wb = openpyxl.load_workbook(audited / "audit.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    sheet = next(ws for ws in wb.worksheets if "name" in [str(c.value).split()[-1] for c in ws[1] if c.value])
    headers = [str(c.value).split()[-1] for c in sheet[1]]
    column = headers.index("name") + 1
    got = [sheet.cell(row=r, column=column).value for r in range(2, 2 + len(NAMES))]
    assert got == NAMES


def test_csv_keeps_the_text_formulas_defused(audited: Path) -> None:
    with open(audited / "communities.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = [r["name"] for r in rows[: len(NAMES)]]
    want = [("'" + n) if n.startswith(FORMULA_START) else n for n in NAMES]
    assert got == want


def test_report_shows_titles_verbatim(audited: Path) -> None:
    report = (audited / "report.md").read_text(encoding="utf-8")
    assert RULE_TITLE in report


# ---- properties of the page and the checks, for any text and any number ----


def _split_page(page: str) -> tuple[str, str, str]:
    """(title as written, payload as written, the page with both cut out)."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    data = re.search(r'<script type="application/json" id="geoplan-data">(.*?)</script>', page, re.S)
    assert title and data
    rest = page[: title.start(1)] + page[title.end(1): data.start(1)] + page[data.end(1):]
    return title.group(1), data.group(1), rest


@settings(max_examples=200, deadline=None)
@given(title=st.text(), names=st.lists(st.text(), max_size=4), lang=st.sampled_from(["zh", "en"]))
def test_any_text_stays_data_in_the_page(title: str, names: list[str], lang: str) -> None:
    page = _page.render_page({"title": title, "names": names}, title=title, lang=lang, offline=True)
    written_title, written_data, rest = _split_page(page)
    assert html.unescape(written_title) == title and "<" not in written_title
    assert json.loads(written_data) == {"title": title, "names": names}
    assert not re.search(r"[<>&\u2028\u2029]", written_data)  # nothing in it can end the script element
    # Whatever the text, the rest of the page is the same fixed skeleton and assets.
    assert rest == _split_page(_page.render_page({}, title="", lang=lang, offline=True))[2]


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(), st.text()))
def test_positive_check_accepts_exactly_finite_numbers_above_zero(value: object) -> None:
    ok = (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0)
    assert _numeric.is_positive(value) == ok
    if ok:
        assert _numeric.check_positive(value, "x") == float(value)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="x must be a finite number > 0"):
            _numeric.check_positive(value, "x")


# ---- in Chromium ----


@pytest.fixture(scope="module")
def opened(audited: Path) -> Iterator[Any]:
    from browser import browser_session

    with browser_session() as chrome:
        yield chrome.open(audited / "gap_map.html")


@pytest.mark.browser
def test_nothing_executes_in_the_page(opened: Any, audited: Path) -> None:
    assert opened.dialogs == [] and opened.problems() == [] and opened.other_requests() == []
    handlers = opened.js("""Array.from(document.querySelectorAll('*')).filter(e =>
        Array.from(e.attributes).some(a => a.name.startsWith('on'))).length""")
    assert handlers == 0
    assert opened.js("document.querySelectorAll('img, iframe, object, embed').length") == 0
    # The skeleton's scripts only: Leaflet, MarkerCluster, the runtime, the payload, the start call.
    assert opened.js("document.querySelectorAll('script').length") == 5
    _no_side_effect(audited.parent)


@pytest.mark.browser
def test_labels_equal_their_input(opened: Any) -> None:
    assert opened.js("document.title") == PROJECT_TITLE
    assert opened.js("document.querySelector('.gp-title-main').textContent") == PROJECT_TITLE
    subs = opened.js("Array.from(document.querySelectorAll('.gp-title-sub')).map(e => e.textContent)")
    assert any(PRESET_TITLE in s for s in subs)
    labels = opened.js("""Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label span span'))
        .map(s => s.textContent.trim())""")
    expected = [layer["name"] for layer in opened.js("geoplan.data.map.layers")]
    assert labels == expected
    assert any(label.startswith(RULE_TITLE + " (") for label in labels)
    assert f"{TYPE_LABEL} (3)" in labels
    legend = opened.js("document.querySelector('.gp-legend').innerText")
    assert TYPE_LABEL in legend


@pytest.mark.browser
def test_popups_show_names_verbatim(opened: Any) -> None:
    for k, name in enumerate(NAMES):
        opened.js("""(i) => { const l = geoplan.layers['community:0'].getLayers().find(m => m.options.gpi === i);
                     l.fire('click', {latlng: l.getLatLng()}, true); }""", k)
        opened.page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1")
        title = opened.js("document.querySelector('.leaflet-popup-content .gp-popup-title').textContent")
        assert title == name
        ident = opened.js("document.querySelector('.leaflet-popup-content .gp-meta td').textContent")
        assert ident == f"{name}#{k}"
        opened.js("geoplan.map.closePopup()")
        opened.page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    assert opened.dialogs == [] and opened.problems() == []
