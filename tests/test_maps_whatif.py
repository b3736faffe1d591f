"""The what-if suggestions map on the embedded Hangzhou demo: sites switched in Chromium, checked by a re-audit.

Three childcare sites (MCLP, given and generated candidates) are suggested for the demo; the map embeds what
each site and each unchosen candidate brings within reach. Switching a site off in the browser must turn the
communities only it served back to failing, and the figures shown must equal geoplan's own re-audit with the
remaining sites added to the facilities (:func:`geoplan.siting.apply_suggestions`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geoplan.audit import audit
from geoplan.demo import demo_project
from geoplan.outputs.maps import MapContext
from geoplan.outputs.suggestions import write_suggestions
from geoplan.result import AuditResult
from geoplan.siting import SitingResult, apply_suggestions, suggest_sites

RULE = "reach_childcare_15"
FAIL_VERMILLION = "#D55E00"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return audit(demo_project())


@pytest.fixture(scope="module")
def siting(result: AuditResult) -> SitingResult:
    return suggest_sites(demo_project(), result, rules=[RULE], model="mclp", p=3, candidates="both")


@pytest.fixture(scope="module")
def page(result: AuditResult, siting: SitingResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whatif")
    written = write_suggestions(siting, result, out, context=MapContext.for_audit(demo_project(), result))
    return written[f"suggestions_{RULE}.html"]


def _data(page: Path) -> dict[str, Any]:
    html = page.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="geoplan-data">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def _figures(after: AuditResult) -> tuple[float, float]:
    rows = after.indicators[after.indicators["rule_id"] == RULE]
    plain = rows[~rows["indicator_en"].str.contains("weighted")].iloc[0]["measured"]
    weighted = rows[rows["indicator_en"].str.contains("weighted")].iloc[0]["measured"]
    return float(plain), float(weighted)


def _without(siting: SitingResult, site_id: str) -> SitingResult:
    return dataclasses.replace(siting, suggestions=siting.suggestions[siting.suggestions["site_id"] != site_id])


def test_payload_lists_suggested_and_candidate_sites(page: Path, siting: SitingResult, result: AuditResult) -> None:
    w = _data(page)["whatif"]
    assert w["rule"] == RULE and len(w["base"]) == len(result.communities)
    kinds = w["sites"]["kind"]
    assert kinds[:3] == ["suggested"] * 3 and set(kinds[3:]) == {"candidate"} and w["sites"]["on"][:3] == [1, 1, 1]
    ids = [w["sites"]["id"]["d"][k] for k in w["sites"]["id"]["i"]]
    assert ids[:3] == list(siting.suggestions["site_id"])
    # What a suggested site covers includes every community the siting says it fixes.
    com_ids = list(result.communities["community_id"].astype(str))
    for k, fixed in enumerate(siting.suggestions["communities_fixed"]):
        covered = {com_ids[c] for c in w["sites"]["covers"][k]}
        assert set(filter(None, str(fixed).split(";"))) <= covered


# ---- in the browser ----


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    from browser import browser_session

    with browser_session() as b:
        yield b


def _statuses(watch: Any) -> list[int]:
    return watch.js("geoplan.data.whatif.now")


def _codes(after: AuditResult) -> list[int]:
    code = {"pass": 1, "fail": 0}
    return [code.get(s, -1) for s in after.communities[f"{RULE}__status"].astype(object)]


@pytest.mark.browser
def test_switching_a_site_off_equals_the_reaudit(chrome: Any, page: Path, siting: SitingResult,
                                                 result: AuditResult) -> None:
    watch = chrome.open(page)
    assert watch.problems() == [] and watch.other_requests() == []
    assert watch.js("!!document.querySelector('.gp-whatif')")
    # At open: every suggested site on, the figures of the re-audit with all of them.
    all_on = apply_suggestions(demo_project(), siting, rules=[RULE])
    assert _statuses(watch) == _codes(all_on)
    fig = watch.js("geoplan.data.whatif.figure")
    plain, weighted = _figures(all_on)
    assert round(fig["rate"] * 100, 2) == pytest.approx(plain) and round(fig["weighted"] * 100, 2) == \
        pytest.approx(weighted)
    shown = watch.js("document.querySelector('.gp-whatif-figure').innerText")
    assert f"{fig['passed']}/{fig['evaluated']}" in shown and f"{plain:.1f} %" in shown

    # Switch the first suggested site off by its checkbox, as a planner would.
    covers = watch.js("geoplan.data.whatif.sites.covers")
    only_first = set(covers[0]) - set().union(*map(set, covers[1:3]))
    assert only_first, "the first site must serve some community no other suggested site does"
    watch.page.locator(".gp-whatif input[data-site='0']").click()
    watch.page.wait_for_timeout(50)
    now = _statuses(watch)
    assert all(now[c] == 0 for c in only_first)  # back to failing
    site_id = str(siting.suggestions["site_id"].iloc[0])
    after = apply_suggestions(demo_project(), _without(siting, site_id), rules=[RULE])
    assert now == _codes(after)  # every community, as geoplan's re-audit finds it
    fig = watch.js("geoplan.data.whatif.figure")
    plain, weighted = _figures(after)
    assert round(fig["rate"] * 100, 2) == pytest.approx(plain) and round(fig["weighted"] * 100, 2) == \
        pytest.approx(weighted)
    assert f"{plain:.1f} %" in watch.js("document.querySelector('.gp-whatif-figure').innerText")
    # ... and the map shows them failing: their markers are vermillion now.
    rows = watch.js("geoplan.data.whatif.rows")
    drawn = dict(watch.js("geoplan.layers['community:0'].getLayers().map(l => [l.options.gpi, l.options.fillColor])"))
    for c in only_first:
        assert drawn[rows.index(c)] == FAIL_VERMILLION
    # Back on: the figures of all three again.
    watch.page.locator(".gp-whatif input[data-site='0']").click()
    assert _statuses(watch) == _codes(all_on)
    assert watch.problems() == []


@pytest.mark.browser
def test_switching_a_candidate_on(chrome: Any, page: Path, result: AuditResult) -> None:
    watch = chrome.open(page)
    w = watch.js("geoplan.data.whatif.sites")
    cand = [k for k, kind in enumerate(w["kind"]) if kind == "candidate"]
    assert cand
    before = _statuses(watch)
    k = max(cand, key=lambda s: len(w["covers"][s]))
    watch.page.locator(f".gp-whatif input[data-site='{k}']").click()
    now = _statuses(watch)
    newly = {i for i, (a, b) in enumerate(zip(before, now, strict=True)) if a == 0 and b == 1}
    assert newly == {c for c in w["covers"][k] if before[c] == 0}
    assert all(a == b for i, (a, b) in enumerate(zip(before, now, strict=True)) if i not in newly)
    assert watch.problems() == []


@pytest.mark.browser
def test_hostile_site_name_is_text(chrome: Any, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point
    from test_maps import CHILD, CRS, X0, XSS, Y0, make_result
    from test_maps_context import PBF

    from geoplan.network import load_network
    from geoplan.outputs._whatif import whatif_payload
    from geoplan.outputs.maps import write_gap_map

    res = make_result(with_admin=False)
    sites = gpd.GeoDataFrame({"site_id": ["S-01"], "name": [XSS]}, geometry=[Point(X0 + 1000, Y0 + 1000)], crs=CRS)
    w = whatif_payload(res, CHILD, sites, sites.iloc[:0], load_network(PBF, crs=CRS))
    assert w is not None
    watch = chrome.open(write_gap_map(res, tmp_path / "xss.html", rules=[CHILD], whatif=w))
    label = watch.js("document.querySelector('.gp-whatif-site').innerText")
    assert XSS in label and watch.js("document.querySelectorAll('.gp-whatif img').length") == 0
    assert watch.problems() == [] and watch.dialogs == []
