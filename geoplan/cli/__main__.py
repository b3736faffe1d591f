"""``python -m geoplan.cli``: the ``geoplan`` console script."""

import sys

from geoplan.cli import main

sys.exit(main())
