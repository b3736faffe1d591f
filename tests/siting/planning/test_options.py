"""check_options: siting options refused before the (slow) audit runs, every problem named in one line."""

from __future__ import annotations

import pytest

from geoplan._errors import InputError
from geoplan.siting.planning import check_options


@pytest.mark.parametrize(("model", "p"), [("lscp", None), ("sized", None), ("mclp", 3)])
def test_valid_options_pass(model: str, p: int | None) -> None:
    check_options(model, p, "both", 300.0, "all")


@pytest.mark.parametrize(("args", "match"), [
    (("pmedian", None, "both"), "model must be one of lscp, mclp, sized, got 'pmedian'"),
    (("mclp", None, "both"), "model mclp needs p"),
    (("mclp", 0, "both"), r"got 0\)"),
    (("mclp", True, "both"), r"got True\)"),
    (("lscp", None, "everywhere"), "candidates must be one of given, generated, both"),
    (("lscp", None, "both", 0.0), "spacing must be a positive distance"),
    (("lscp", None, "both", float("nan")), "spacing must be a positive distance"),
    (("lscp", None, "both", 300.0, "some"), "demand must be one of failing, all"),
])
def test_each_bad_option_is_named(args: tuple, match: str) -> None:
    with pytest.raises(InputError, match=match):
        check_options(*args)


def test_every_problem_in_one_message() -> None:
    with pytest.raises(InputError) as err:
        check_options("mclp", None, "nowhere", -1.0)
    assert err.value.what.count(";") == 2 and "\n" not in str(err.value)
