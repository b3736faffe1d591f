"""geoplan.siting keeps every public name of the solver and the planning packages (existing code keeps working)."""

from __future__ import annotations

import geoplan.siting as siting
from geoplan.siting import frames, planning, solver


def test_the_top_package_re_exports_both_parts() -> None:
    for part in (solver, planning, frames):
        names = getattr(part, "__all__", [n for n in dir(part) if not n.startswith("_")])
        missing = [n for n in names if n in siting.__all__ and getattr(siting, n) is not getattr(part, n)]
        assert not missing, missing
    expected = {"lscp", "mclp", "capacitated_lscp", "sized_lscp", "suggest_sites", "apply_suggestions",
                "SitingResult", "SitingSolution", "lscp_from_geodataframe", "mclp_from_geodataframe", "cost_matrix"}
    assert expected <= set(siting.__all__)
    assert all(hasattr(siting, n) for n in siting.__all__)
