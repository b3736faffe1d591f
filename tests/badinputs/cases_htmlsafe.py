"""Bad inputs of the maps: the ``[project] tiles`` basemap key.

Registered into :data:`badinputs.make_corpus.CASES` (imported at the end of ``make_corpus.py``). A tile URL
that is text but no usable template (``javascript:``, no ``{z}/{x}/{y}``) is refused by the command line
before the audit (tests/test_maps_tiles.py), since the API audit draws no map.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from badinputs import make_corpus
from badinputs.base import write_project

Builder = Callable[[Path], Path]


def case(**kw: Any) -> Callable[[Builder], Builder]:
    """Register a case in make_corpus's list (and in the running script's, when make_corpus runs as one)."""
    def register(fn: Builder) -> Builder:
        make_corpus.case(**kw)(fn)
        main = sys.modules.get("__main__")
        if main is not None and main is not make_corpus and isinstance(getattr(main, "CASES", None), list) \
                and callable(getattr(main, "case", None)):
            main.case(**kw)(fn)
        return fn
    return register


@case(group="map basemap key of the wrong type", input="[project] tiles = 3 (a number, not a URL template)",
      answer="error", expect=r"\[project\] tiles must be text",
      does="ProjectError naming the key; nothing is audited")
def build_tiles_not_text(root: Path) -> Path:
    return write_project(root, project={"tiles": 3})
