"""One check for every minutes, speed and distance, wherever it comes from, and for dates.

A walking time, a walking speed or a distance that is 0, negative, NaN or infinite has no meaning: with it
an audit would report 0 % or 100 % coverage as if measured. The same predicate, :func:`is_positive`,
guards the command line (argparse ``type=`` functions from :func:`cli_positive`), the project file's
``[audit]`` / ``[network]`` keys, the preset's rule parameters and the Python API (:func:`check_positive`),
so no path lets such a value through.

Examples
--------
>>> is_positive(15), is_positive(0), is_positive(float("inf")), is_positive(True)
(True, False, False, False)
>>> check_iso_date("2024-06-01", "--date")
'2024-06-01'
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from geoplan._errors import Hint, InputError

#: What every message says is allowed.
POSITIVE = "a finite number > 0"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_number(value: Any) -> bool:
    """A finite int or float (bool, NaN and ±inf are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_positive(value: Any) -> bool:
    """A finite number > 0."""
    return is_number(value) and value > 0


def check_positive(value: Any, where: str, unit: str = "") -> float:
    """``value`` as a float, or an :class:`InputError` naming ``where`` and what is allowed.

    Parameters
    ----------
    value : Any
        The value given (numpy scalars are accepted).
    where : str
        Where it came from: ``"audit(minutes=...)"``, ``"walking speed (project)"``.
    unit : str
        Its unit, for the message (``"m/min"``).
    """
    try:
        number = float(value) if not isinstance(value, bool | str) else value
    except (TypeError, ValueError):
        number = value
    if not is_positive(number):
        what = f"{POSITIVE} ({unit})" if unit else POSITIVE
        msg = f"{where} must be {what}, got {value!r}"
        raise InputError(msg, hint=Hint(zh=f"给出大于 0 的数{unit and '（' + unit + '）'}",
                                        en=f"give a number > 0{unit and ' (' + unit + ')'}"))
    return float(number)


def parse_positive(text: str, unit: str = "") -> float:
    """A command-line value that must be a finite number > 0 (``argparse`` reports the error)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not is_positive(value):
        what = f"{POSITIVE} ({unit})" if unit else POSITIVE
        msg = f"must be {what}, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def cli_positive(unit: str = "") -> Callable[[str], float]:
    """An argparse ``type=`` for a finite number > 0 in ``unit``."""

    def parse(text: str) -> float:
        return parse_positive(text, unit)

    parse.__name__ = "positive number"
    return parse


def cli_nonnegative(unit: str = "") -> Callable[[str], float]:
    """An argparse ``type=`` for a finite number ≥ 0 in ``unit`` (a buffer that may be zero)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (is_number(value) and value >= 0):
            msg = f"must be a finite number ≥ 0 ({unit}), got {text!r}" if unit else f"must be ≥ 0, got {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = "number"
    return parse


def cli_count(text: str) -> int:
    """An argparse ``type=`` for a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a whole number ≥ 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def cli_year(text: str) -> int:
    """An argparse ``type=`` for a year between 1900 and 2100."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1900 <= value <= 2100:
        msg = f"must be a year such as 2022, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def iso_date_problem(text: Any) -> str | None:
    """Why ``text`` is not an ISO calendar date ``YYYY-MM-DD``, or None when it is one."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return f"an ISO date such as 2024-06-01 is needed, got {text!r}"
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        return f"{text!r} is not a calendar date ({exc})"
    return None


def check_iso_date(text: Any, where: str) -> str:
    """``text`` if it is an ISO date, else an :class:`InputError` naming ``where``."""
    problem = iso_date_problem(text)
    if problem:
        msg = f"{where}: {problem}"
        raise InputError(msg, hint=Hint(zh="日期写作 YYYY-MM-DD，如 2026-01-01",
                                        en="write the date as YYYY-MM-DD, e.g. 2026-01-01"))
    return str(text)


def cli_date(text: str) -> str:
    """An argparse ``type=`` for an ISO date (``2024-06-01``)."""
    problem = iso_date_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text
