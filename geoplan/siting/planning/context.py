"""Everything the per-rule siting adapters read, gathered once by :func:`~.suggest.suggest_sites`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geoplan.network import Network
from geoplan.result import AuditResult
from geoplan.rules.base import Rule

Model = Literal["lscp", "mclp", "sized"]
MODELS: Final = ("lscp", "mclp", "sized")
CandidateMode = Literal["given", "generated", "both"]
CANDIDATE_MODES: Final = ("given", "generated", "both")
#: Coverage margin: a site covers a community when the walk is at least this much shorter than the reach, so
#: that the re-audit with the site added (same network, same points, re-projected) passes despite rounding.
TOLERANCE_M: Final = 0.01


@dataclass(frozen=True)
class SiteContext:
    """Inputs shared by the rules of one :func:`~geoplan.siting.planning.suggest.suggest_sites` call.

    Attributes
    ----------
    result : AuditResult
        The audit whose gaps are to be closed.
    rules : tuple of Rule
        Every rule of the preset (provision rules give the sizing standards).
    types : dict
        The preset's facility types: term → ``{"zh": ..., "en": ...}``.
    network : Network or None
        The walking network (not augmented), None for the Euclidean fallback.
    max_snap_m, detour_factor : float
        As in the audit.
    given : GeoDataFrame
        Given candidate sites (already masked), metric CRS.
    mask : shapely geometry or None
        Areas where no site may go; ``mask_buffer_m`` around them too.
    candidates : {"given", "generated", "both"}
    spacing_m : float
        Grid spacing of generated candidates.
    model : {"lscp", "mclp", "sized"}
    p : int or None
        Number of new sites for MCLP.
    max_site : float or None
        Largest size of one new site for the sized model (in the standard's unit).
    demand : {"failing", "all"}
    time_limit_s : float or None
        Seconds per rule for the solver.
    recentre : bool
        Move LSCP / MCLP sites towards the middle of what they serve (:mod:`geoplan.siting.solver.recentre`).
    """

    result: AuditResult
    rules: tuple[Rule, ...]
    types: dict[str, dict[str, str]]
    network: Network | None
    max_snap_m: float
    detour_factor: float
    given: gpd.GeoDataFrame
    mask: BaseGeometry | None
    mask_buffer_m: float
    candidates: CandidateMode
    spacing_m: float
    model: Model
    p: int | None
    max_site: float | None
    demand: Literal["failing", "all"]
    time_limit_s: float | None
    recentre: bool = True

    def type_label(self, term: str, lang: str = "zh") -> str:
        """A plan type's label (``childcare`` → 托育机构)."""
        spec = self.types.get(term, {})
        return str(spec.get(lang) or spec.get("zh") or term)
