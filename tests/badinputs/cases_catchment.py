"""Bad inputs of the catchment rule and its demand: age columns, population grids, catchment parameters.

Registered into :data:`badinputs.make_corpus.CASES` (imported at the end of ``make_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from badinputs import make_corpus
from badinputs.base import PRESET, communities, write_project

Builder = Callable[[Path], Path]


#: Registers into make_corpus's CASES (make_corpus.py run as a script imports itself as that module).
case = make_corpus.case


_CATCHMENT_RULE = """
[[rules]]
id = "catchment_slots"
kind = "catchment"
title_zh = "托位"
title_en = "slots"
types = ["childcare"]
minutes = 5
supply = "floor_area_m2"
demand = "infants_0_3"
per = 1000
target = 10
{extra}
[rules.cite]
file = "quzhou-2022.txt"
clause = "test"
quote = "test"
"""


@case(group="catchment rule: step weights beyond the catchment",
      input="a catchment rule with decay = \"stepped\" whose last step (10 min) lies beyond its 5 minutes",
      answer="error", expect=r"steps: the last step \(10 min\) lies beyond the catchment \(5 min\)",
      does="PresetError naming the rule and the key; nothing is audited")
def build_catchment_steps_beyond(root: Path) -> Path:
    rule = _CATCHMENT_RULE.format(extra='decay = "stepped"\nsteps = [[5, 1.0], [10, 0.5]]')
    return write_project(root, preset=PRESET + rule)


@case(group="unparseable age column", input="row 2: infants_0_3 (婴幼儿数) \"暂无\"", answer="flag", row=2,
      expect=r"infants_0_3: ", does="row kept and flagged; its infants are estimated from the census, or not "
      "evaluable with the reason where no census is given — never 0")
def build_infants_unparseable(root: Path) -> Path:
    com = communities()
    com["婴幼儿数"] = [str(10 + i) for i in range(len(com))]
    com.loc[1, "婴幼儿数"] = "暂无"
    fields = {"community_id": "小区编号", "name": "小区名称", "households": "户数", "build_year": "建成年代",
              "infants_0_3": "婴幼儿数"}
    return write_project(root, com=com, preset=PRESET + _CATCHMENT_RULE.format(extra=""),
                         communities={"fields": fields})


@case(group="population grid option", input="[audit] population_grid_use = \"circles\"", answer="error",
      expect=r"population_grid_use must be \"spread\" or \"points\"",
      does="ProjectError naming the key and the values allowed")
def build_population_grid_use_unknown(root: Path) -> Path:
    project = write_project(root, audit={"population_grid_use": "circles"}, population_grid={"path": "pop.tif"})
    (root / "pop.tif").write_bytes(b"")
    return project


@case(group="population grid without CRS or unreadable", input="[population_grid] a file that is not a GeoTIFF",
      answer="error", expect=r"pop.tif: cannot read the population grid|pip install rasterio",
      does="InputError naming the file (or, without rasterio, what to install)")
def build_population_grid_unreadable(root: Path) -> Path:
    project = write_project(root, population_grid={"path": "pop.tif"})
    (root / "pop.tif").write_text("not a raster", encoding="utf-8")
    return project
