"""Exceptions raised by geoplan.

Each subclasses the built-in exception a caller would naturally catch, so ``except ValueError`` still works,
and each message names the file, row and field involved; its :class:`Hint` says what to do, in Chinese and
English (the CLI prints the one of ``--lang``). Every ``raise`` of a GeoplanError in geoplan/ gives ``hint=``
(tests/test_hints.py scans for one that does not); hints that recur are in :mod:`geoplan._hints`.

A message that lists several problems (a project file, a preset, an input layer checked completely) keeps each
problem's own remedy inline in English after it, and carries one hint for the list: in English "fix each problem
listed above", in Chinese the same remedies, numbered as the problems are (see
:meth:`geoplan._validate.Problems.raise_if_any`), so a Chinese reader gets every remedy in Chinese too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """What to do about an error, in Chinese and English (the CLI prints the one of ``--lang``)."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The hint in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


class GeoplanError(Exception):
    """Base class for every error geoplan raises on purpose.

    An error may carry a bilingual :class:`Hint` (``raise ProjectError(msg, hint=...)``): its message then says
    what is wrong, and ``str(error)`` adds the English hint; :meth:`localised` the hint of a language.
    """

    def __init__(self, *args: object, hint: Hint | None = None) -> None:
        super().__init__(*args)
        self.hint = hint

    def __str__(self) -> str:
        return self.localised("en")

    @property
    def what(self) -> str:
        """The message without the hint: what is wrong."""
        return super().__str__()

    def localised(self, lang: str) -> str:
        """The message with the "what to do" part in ``lang``."""
        base = self.what
        if self.hint is None:
            return base
        # a list of problems gets the hint on a line of its own, a one-line message after a semicolon
        return f"{base}\n  → {self.hint.text(lang)}" if "\n" in base else f"{base}; {self.hint.text(lang)}"


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
