"""The rules' wording, public for their readers (siting's suggestions speak the same figures and units).

Figures as reason texts print them, the display unit of a facility measure, and a rule's filter in words.
They live with the rule kinds' shared helpers; this module is the one place outside ``rules`` may take them
from, so the helpers' module stays private.
"""

from __future__ import annotations

from geoplan.rules._common import filter_text, fmt, join_names, unit_of

__all__ = ["filter_text", "fmt", "join_names", "unit_of"]
