"""Getting started: ``geoplan init`` (write a project file from a planner's tables) and the default project.

* :func:`geoplan.init.write.init_project` — recognise columns, coordinate systems and facility types and write
  a commented ``geoplan.toml`` that runs (:mod:`~geoplan.init.columns`, :mod:`~geoplan.init.crsguess`,
  :mod:`~geoplan.init.types`).
* :func:`default_project` — what ``geoplan audit`` runs when given no project.
"""

from __future__ import annotations

from geoplan.init.default import default_project

__all__ = ["default_project"]
