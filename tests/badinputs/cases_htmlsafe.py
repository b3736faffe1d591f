"""Bad inputs of the maps: the ``[project] tiles`` basemap key.

Registered into :data:`badinputs.make_corpus.CASES` (imported at the end of ``make_corpus.py``). A tile URL
that is text but no usable template (``javascript:``, no ``{z}/{x}/{y}``) is refused by the command line
before the audit (tests/test_maps_tiles.py), since the API audit draws no map.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from badinputs import make_corpus
from badinputs.base import write_project

Builder = Callable[[Path], Path]


#: Registers into make_corpus's CASES (make_corpus.py run as a script imports itself as that module).
case = make_corpus.case


@case(group="map basemap key of the wrong type", input="[project] tiles = 3 (a number, not a URL template)",
      answer="error", expect=r"\[project\] tiles must be text",
      does="ProjectError naming the key; nothing is audited")
def build_tiles_not_text(root: Path) -> Path:
    return write_project(root, project={"tiles": 3})
