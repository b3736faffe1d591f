"""Exceptions raised by geoplan.

Each subclasses the built-in exception a caller would naturally catch, so ``except ValueError`` still works,
and each message names the file, row and field involved and says what to do.
"""

from __future__ import annotations


class GeoplanError(Exception):
    """Base class for every error geoplan raises on purpose."""


class InputError(GeoplanError, ValueError):
    """An input layer or table cannot be used as given (bad field, bad value, unknown CRS ...)."""


class ProjectError(GeoplanError, ValueError):
    """The project file (``geoplan.toml``) is malformed or names something that does not exist."""


class PresetError(GeoplanError, ValueError):
    """A rule preset is malformed, unknown, or uses a rule kind geoplan does not know."""


class NetworkError(GeoplanError, ValueError):
    """The street network cannot be read or has nothing walkable in it."""


class MissingDependencyError(GeoplanError, ImportError):
    """An optional dependency is needed for this feature; the message says what to install."""


class OutputError(GeoplanError, OSError):
    """An output cannot be written (path outside the output folder, unwritable file ...)."""
