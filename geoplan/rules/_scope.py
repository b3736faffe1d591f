"""Which features a rule applies to: by build year (new / existing), urban or rural, and unit type.

Communities: ``scope`` = ``"all"``, ``"new"``, ``"existing"`` (by ``build_year``) or ``"urban"`` (by the
``urban_class`` column the audit fills, see :mod:`geoplan._units`). Admin units (presence rules): the same
scopes read from the unit's own columns, plus the rule's ``unit_types`` (e.g. ``["县", "市"]`` for a plan that
says 每个县(市), leaving the 区 out). Features out of scope are ``not_applicable`` with the reason given, never
failed.

Urban classes follow the NBS 统计用城乡划分代码 (城乡分类代码): 111 主城区 and 112 城乡结合区 are 城市
(``"city"``); 121 镇中心区, 122 镇乡结合区 and 123 特殊区域 are 镇 (``"town"``: 城镇 with the cities); 210 乡中心区
and 220 村庄 are 乡村 (``"rural"``). A rule with ``scope = "urban"`` takes ``urban_class = "city"`` (城市社区,
the default) or ``"town"`` (城镇: cities and towns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

SCOPES = ("all", "new", "existing", "urban")
CITY, TOWN, RURAL = "city", "town", "rural"
#: A rule's ``urban_class`` → the community / unit classes it covers.
URBAN_CLASSES: Final = {CITY: (CITY,), TOWN: (CITY, TOWN)}
_URBAN_LABEL: Final = {CITY: "城市 urban", TOWN: "城镇 urban or town"}
#: Unit types a rule's ``unit_types`` may name (county level, then township level).
UNIT_TYPES: Final = ("区", "县", "市", "旗", "街道", "镇", "乡")
#: Free-text values of an ``urban`` field (lower-cased) and the class they mean.
_URBAN_WORDS: Final = {
    "城市": CITY, "城区": CITY, "urban": CITY, "city": CITY, "true": CITY, "yes": CITY, "是": CITY, "1": CITY,
    "街道": CITY, "城镇": TOWN, "镇": TOWN, "town": TOWN, "乡村": RURAL, "农村": RURAL, "rural": RURAL,
    "false": RURAL, "no": RURAL, "否": RURAL, "0": RURAL, "村": RURAL,
}


def is_new(build_year: pd.Series, new_build_from_year: int) -> pd.Series:
    """True for compounds built in or after ``new_build_from_year``; NA where the year is unknown."""
    year = pd.to_numeric(build_year, errors="coerce")
    return (year >= new_build_from_year).astype("boolean").mask(year.isna())


def scope_mask(
    communities: pd.DataFrame, scope: str, options: Mapping[str, Any], *, urban_class: str = CITY
) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """(in_scope, reason-if-not) for a rule's ``scope``.

    A community of unknown build year is kept in scope for "new"/"existing" rules would be a guess, so it is
    out of scope with the reason given; rules that need the distinction report it as not evaluable instead.
    The same holds for ``"urban"`` when the community's urban class is unknown.
    """
    n = len(communities)
    reason = np.full(n, "", dtype=object)
    if scope == "all":
        return np.ones(n, dtype=bool), reason
    if scope == "urban":
        return urban_mask(communities.get("urban_class", pd.Series(None, index=communities.index)), urban_class)
    year_from = int(options["new_build_from_year"])
    new = is_new(communities["build_year"], year_from)
    wanted = new if scope == "new" else ~new
    in_scope = wanted.fillna(False).to_numpy(dtype=bool)
    label = f"built ≥ {year_from}" if scope == "new" else f"built < {year_from}"
    reason[~in_scope] = f"rule applies to compounds {label} only / 仅适用于{'新建' if scope == 'new' else '已建成'}小区"
    reason[new.isna().to_numpy()] = "build year unknown: scope cannot be decided / 建成年份缺失"
    return in_scope, reason


def urban_mask(classes: pd.Series, urban_class: str = CITY) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """(in_scope, reason-if-not) of features by their urban class (``city``/``town``/``rural``/missing)."""
    wanted = URBAN_CLASSES[urban_class]
    values = classes.astype(object)
    known = values.isin((CITY, TOWN, RURAL)).to_numpy()
    in_scope = values.isin(wanted).to_numpy()
    reason = np.full(len(values), "", dtype=object)
    reason[known & ~in_scope] = f"rule applies to {_URBAN_LABEL[urban_class]} areas only / 仅适用于城市(城镇)"
    reason[~known] = ("urban or rural unknown: give communities an urban field, an [urban_areas] layer, or "
                      "township units (街道 urban; 乡/镇 by urban_rural_code) / 城乡属性未知")
    return in_scope, reason


# ------------------------------------------------------------------------------------------- urban class


def class_of_code(value: Any) -> str | None:
    """Urban class of an NBS 城乡分类代码 (``111`` → city, ``121`` → town, ``220`` → rural) or a word."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = re.sub(r"\.0+$", "", str(value).strip()).lower()
    if re.fullmatch(r"1[12]\d|2[12]0", text):
        return CITY if text.startswith("11") else TOWN if text.startswith("12") else RURAL
    return _URBAN_WORDS.get(text)


def unit_type(name: Any, code: Any) -> str | None:
    """区/县/市/旗 of a county, 街道/镇/乡 of a township: from the name's ending, else from the code.

    Codes (GB/T 2260, GB/T 10114): county digits 5–6 01–20 区, 21–80 县, 81–99 市; township digits 7–9
    001–099 街道, 100–199 镇, 200–399 乡.
    """
    text = str(name).strip() if isinstance(name, str) else ""
    for suffix in ("街道", "镇", "乡", "区", "县", "市", "旗"):
        if text.endswith(suffix):
            return suffix
    digits = str(code) if isinstance(code, str) and str(code).isdigit() else ""
    if len(digits) == 6:
        n = int(digits[4:6])
        return "区" if 1 <= n <= 20 else "县" if n <= 80 else "市"
    if len(digits) >= 9:
        n = int(digits[6:9])
        return "街道" if 1 <= n <= 99 else "镇" if 100 <= n <= 199 else "乡" if 200 <= n <= 399 else None
    return None


# --------------------------------------------------------------------------------------------- admin units


def unit_scope(units: pd.DataFrame, params: Mapping[str, Any],
               options: Mapping[str, Any]) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """(judged, reason-if-not) for the admin units of an admin-level rule.

    Left out (the last that applies gives the reason): the rule's ``scope`` (``urban`` by the unit's
    ``urban_class``; ``new``/``existing`` by the unit's ``build_year`` when given) and the rule's
    ``unit_types``. Units outside the study area never reach the rules (the audit lists them apart).
    """
    n = len(units)
    judged = np.ones(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    scope = str(params.get("scope", "all"))
    if scope == "urban":
        ok, why = urban_mask(units.get("urban_class", pd.Series(None, index=units.index)),
                             str(params.get("urban_class", CITY)))
        judged &= ok
        reason[~ok] = why[~ok]
    elif scope in ("new", "existing"):
        # A unit whose build year (or the cut-off year) is unknown stays judged: the rule cannot say whether it
        # applies, so the caller marks it not evaluable (see :func:`undecided_units`), never not applicable.
        if "build_year" in units.columns and options.get("new_build_from_year") is not None:
            ok, why = scope_mask(units, scope, options)
            ok = ok | undecided_units(units, scope, options)
        else:
            ok = np.ones(n, dtype=bool)
            why = reason.copy()
        judged &= ok
        reason[~ok] = why[~ok]
    wanted = params.get("unit_types")
    if wanted:
        types = [unit_type(nm, c) for nm, c in zip(units.get("unit_name", pd.Series(None, index=units.index)),
                                                    units["unit_code"], strict=True)]
        ok = np.asarray([t in wanted for t in types], dtype=bool)
        judged &= ok
        label = "/".join(wanted)
        reason[~ok] = [f"rule applies to {label} only, this unit is {t or 'of unknown type'} / 仅适用于{label}"
                       for t in np.asarray(types, dtype=object)[~ok]]
    return judged, reason


def check_unit_types(value: Any) -> list[str]:
    """Problems with an optional ``unit_types`` list."""
    if value is None:
        return []
    if not isinstance(value, list) or not value or not all(v in UNIT_TYPES for v in value):
        return [f"unit_types: a list of {', '.join(UNIT_TYPES)}, got {value!r}"]
    return []
def undecided(communities: pd.DataFrame, scope: str, options: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Communities whose scope cannot be decided (a new/existing rule, build year or cut-off year unknown).

    The rule's answer for them is not known, so they are ``not_evaluable``, not ``not_applicable``.
    """
    n = len(communities)
    if scope not in ("new", "existing"):  # "all", and "urban" (decided by the urban class, not the year)
        return np.zeros(n, dtype=bool)
    if options.get("new_build_from_year") is None:
        return np.ones(n, dtype=bool)
    return is_new(communities["build_year"], int(options["new_build_from_year"])).isna().to_numpy(dtype=bool)


#: Why an admin unit's new/existing scope cannot be decided.
UNIT_YEAR_UNKNOWN = ("build year of the unit unknown: new/existing cannot be decided (give admin_units "
                     "fields.build_year) / 区划建成年份未知")


def undecided_units(units: pd.DataFrame, scope: str, options: Mapping[str, Any]) -> NDArray[np.bool_]:
    """Admin units whose new/existing scope cannot be decided (no ``build_year``, or no cut-off year)."""
    if scope not in ("new", "existing"):
        return np.zeros(len(units), dtype=bool)
    if "build_year" not in units.columns:
        return np.ones(len(units), dtype=bool)
    return undecided(units, scope, options)
