"""Demand per community by age group (infants 0–3, elderly 60+), measured where the data has it, else estimated.

Order, per community:

1. the layer's own column (``infants_0_3`` / ``elderly_60`` mapped in ``[communities.fields]``): *measured*;
2. residents × the census age share of the community's county: *estimated*, where residents are the
   ``population`` column, or ``households`` × the mean household size (the project's ``household_size``, else
   the county's census HHLD_S);
3. otherwise unknown, with the reason (never a zero).

The census table is :func:`geoplan.admin.read_census` (the 2020 county census of
``shared/data/cn-admin/census2020-counties-5cities.csv`` or a user's table of the same shape). It gives ages 0
and 1–4, not 0–3, so the infant share is AGES_0 + 0.75 × AGES_1-4 (ages 0, 1, 2, 3; an even spread within the
1–4 band assumed); the elderly share is AGES_60-64 + AGES_65P. A community's county is the first six digits of
its ``admin_code``, else the county polygon it lies in; 2021 successor districts of Hangzhou take the
population-weighted shares of the 2020 districts they came from. Where the county is unknown and the census
covers one city, the city's shares are used (said in the formula). Every estimated figure carries its formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan import admin
from geoplan.rules import _common as cm
from geoplan.rules.base import ESTIMATED, MEASURED, NOT_EVALUABLE

#: Demand kinds a catchment rule may use.
DEMANDS: Final = ("population", "households", "infants_0_3", "elderly_60")
AGE_GROUPS: Final = ("infants_0_3", "elderly_60")
LABELS: Final = {"population": "residents / 常住人口", "households": "households / 户",
                 "infants_0_3": "infants 0–3 / 3岁以下婴幼儿", "elderly_60": "elderly 60+ / 60岁及以上老年人"}
SHARE_FORMULA: Final = {
    "infants_0_3": f"AGES_0 + {admin.INFANT_SHARE_OF_1_4:g} × AGES_1-4",
    "elderly_60": "AGES_60-64 + AGES_65P",
}


@dataclass(frozen=True)
class Demand:
    """One demand figure per community.

    Attributes
    ----------
    kind : str
        One of :data:`DEMANDS`.
    value : Series of float
        NaN where unknown.
    basis : Series of str
        ``measured``, ``estimated`` or ``not_evaluable``.
    formula : Series of str
        For estimated figures, how (figures, source); empty for measured ones.
    reason : Series of str
        Why a figure is unknown; empty otherwise.
    notes : list of str
        Layer-wide notes for the audit's assumptions (sources, counts estimated).
    """

    kind: str
    value: pd.Series
    basis: pd.Series
    formula: pd.Series
    reason: pd.Series
    notes: list[str]


def age_shares(census: pd.DataFrame) -> pd.DataFrame:
    """Age shares and household size per county code (census codes and their 2021 successors).

    Parameters
    ----------
    census : DataFrame
        :func:`geoplan.admin.read_census` output.

    Returns
    -------
    DataFrame
        Indexed by 6-digit code: ``infants_0_3`` and ``elderly_60`` (shares of residents), ``household_size``
        and ``source`` (the census rows used, e.g. ``"330104 江干区 + 330102 上城区"``).
    """
    rows = {}
    codes = {s for c in census["unit_code"].astype(str) for s in admin.successors(c)}
    codes |= set(census["unit_code"].astype(str))
    for code in sorted(codes):
        direct = census[census["unit_code"].astype(str) == code]
        preds = direct if len(direct) else census[census["unit_code"].map(
            lambda c, t=code: t in admin.successors(str(c)))]
        rows[code] = _shares(preds)
    return pd.DataFrame.from_dict(rows, orient="index")


def _shares(rows: pd.DataFrame) -> dict[str, Any]:
    pop = float(rows["population"].sum())
    households = float((rows["population"] / rows["household_size"]).sum())
    return {
        "infants_0_3": float(rows["infants_0_3"].sum()) / pop if pop > 0 else np.nan,
        "elderly_60": float(rows["elderly_60"].sum()) / pop if pop > 0 else np.nan,
        "household_size": pop / households if households > 0 else np.nan,
        "source": " + ".join(f"{c} {n}" for c, n in zip(rows["unit_code"], rows["unit_name"], strict=True)),
    }


def county_of(communities: pd.DataFrame, admin_units: pd.DataFrame | None) -> pd.Series:
    """The 6-digit county code of each community: from ``admin_code``, else the county polygon (None if neither)."""
    index = communities.index
    codes = (cm.normalise_code(communities["admin_code"]) if "admin_code" in communities.columns
             else pd.Series(None, index=index, dtype=object))
    county = codes.map(lambda c: c[:6] if isinstance(c, str) else None).astype(object)
    if admin_units is not None and "level" in admin_units.columns and county.isna().any():
        units = admin_units[admin_units["level"] == "county"]
        if len(units):
            placed = cm.assign_units(communities.drop(columns="admin_code", errors="ignore"), units)
            county = county.where(county.notna(), placed["unit_code"])
    return county


def _lookup(county: pd.Series, shares: pd.DataFrame | None, city: dict[str, Any] | None) -> pd.DataFrame:
    """Per community: the census shares of its county (``where`` says which), else the city's, else NaN."""
    cols = ["infants_0_3", "elderly_60", "household_size"]
    out = pd.DataFrame(np.nan, index=county.index, columns=cols)
    out["where"] = ""
    if shares is not None:
        codes = county.where(county.isin(shares.index))
        found = codes.notna().to_numpy()
        picked = shares.reindex(codes[found].astype(str).to_numpy())
        out.loc[found, cols] = picked[cols].to_numpy(dtype=float)
        out.loc[found, "where"] = ["county " + str(src) for src in picked["source"]]
    if city is not None:
        rest = (out["where"] == "").to_numpy()
        out.loc[rest, cols] = [float(city[c]) for c in cols]
        out.loc[rest, "where"] = (f"city mean of {city['source_count']} census counties (county of the "
                                  "community unknown)")
    return out


def _residents(communities: pd.DataFrame, where: pd.DataFrame,
               options: Mapping[str, Any]) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Residents per community, whether estimated, and the formula of the estimate."""
    index = communities.index
    pop = pd.to_numeric(communities.get("population", pd.Series(np.nan, index=index)), errors="coerce")
    hh = pd.to_numeric(communities.get("households", pd.Series(np.nan, index=index)), errors="coerce")
    filled = communities.get("population_assumed", pd.Series(False, index=index)).astype("boolean").fillna(False)
    formula = np.full(len(index), "", dtype=object)
    if "population_formula" in communities.columns:  # spread from a population grid (geoplan.popgrid)
        from_grid = communities["population_formula"].fillna("").astype(str).to_numpy()
        formula[from_grid != ""] = from_grid[from_grid != ""]
        filled = filled & pd.Series(from_grid == "", index=index)
    # filled by the audit from the project's household_size (population_assumed): say so, with the size used
    rows = filled.to_numpy(dtype=bool) & hh.notna().to_numpy() & (hh > 0).to_numpy() & pop.notna().to_numpy()
    given = options.get("household_size")
    formula[rows] = [f"{h:g} households × {float(given) if given is not None else p / h:g} persons "
                     "(project household_size)" for h, p in zip(hh[rows], pop[rows], strict=True)]
    size = where["household_size"].to_numpy(dtype=float)
    need = (pop.isna() & hh.notna()).to_numpy() & np.isfinite(size)
    values = pop.to_numpy(dtype=float).copy()
    values[need] = hh.to_numpy(dtype=float)[need] * size[need]
    formula[need] = [f"{h:g} households × {z:.2f} persons (census HHLD_S, {w})"
                     for h, z, w in zip(hh.to_numpy()[need], size[need], where["where"].to_numpy()[need], strict=True)]
    out = pd.Series(values, index=index, dtype=float)
    formula_s = pd.Series(formula, index=index, dtype=object)
    return out, (formula_s != "") & out.notna(), formula_s


def community_demand(communities: pd.DataFrame, kind: str, census: pd.DataFrame | None,
                     admin_units: pd.DataFrame | None = None,
                     options: Mapping[str, Any] | None = None) -> Demand:
    """Demand of one kind per community, measured or estimated, with formula, source and reason.

    Parameters
    ----------
    communities : DataFrame
        Canonical communities (``households``, ``population``, optional ``infants_0_3`` / ``elderly_60``,
        ``admin_code``; ``population_assumed`` where the audit filled population from households).
    kind : str
        One of :data:`DEMANDS`.
    census : DataFrame or None
        :func:`geoplan.admin.read_census` output.
    admin_units : DataFrame, optional
        Admin units (county polygons place communities without a code).
    options : mapping, optional
        Audit options (``household_size``).

    Returns
    -------
    Demand
    """
    opts = options or {}
    index = communities.index
    if kind == "households":
        value = pd.to_numeric(communities.get("households", pd.Series(np.nan, index=index)), errors="coerce")
        return _finish(kind, value.astype(float), pd.Series(False, index=index),
                       pd.Series("", index=index, dtype=object), "households unknown / 户数缺失", [])
    shares, city, source = _census_parts(census)
    where = _lookup(county_of(communities, admin_units), shares, city)
    residents, est, formula = _residents(communities, where, opts)
    notes = [f"census: {source}"] if source else []
    if kind == "population":
        return _finish(kind, residents, est, formula, _why_unknown(communities, census), notes)
    own = pd.to_numeric(communities.get(kind, pd.Series(np.nan, index=index)), errors="coerce").astype(float)
    share = where[kind].to_numpy(dtype=float)
    todo = (own.isna() & residents.notna()).to_numpy() & np.isfinite(share)
    values = own.to_numpy(dtype=float).copy()
    values[todo] = residents.to_numpy(dtype=float)[todo] * share[todo]
    people = [f or f"{r:g} residents (population column)"
              for f, r in zip(formula.to_numpy()[todo], residents.to_numpy()[todo], strict=True)]
    text = np.full(len(index), "", dtype=object)
    text[todo] = [f"{p} × {q:.4f} {kind} share ({SHARE_FORMULA[kind]}, census 2020, {w}) = {v:.1f}"
                  for p, q, w, v in zip(people, share[todo], where["where"].to_numpy()[todo], values[todo],
                                        strict=True)]
    value = pd.Series(values, index=index, dtype=float)
    estimated = pd.Series(todo, index=index)
    formula_out = pd.Series(text, index=index, dtype=object)
    if estimated.any():
        notes.append(f"{int(estimated.sum())} communities: {kind} estimated = residents × the census share "
                     f"({SHARE_FORMULA[kind]}) of the community's county")
    return _finish(kind, value, estimated, formula_out, _why_unknown(communities, census, kind), notes)


def _census_parts(census: pd.DataFrame | None) -> tuple[pd.DataFrame | None, dict[str, Any] | None, str]:
    if census is None or census.empty:
        return None, None, ""
    shares = age_shares(census)
    cities = census["city_code"].dropna().astype(str).unique()
    city = None
    if len(cities) == 1:
        city = {**_shares(census), "source_count": len(census)}
    source = str(census.attrs.get("source", "census table"))
    return shares, city, source


def _why_unknown(communities: pd.DataFrame, census: pd.DataFrame | None, kind: str = "population") -> str:
    has_hh = "households" in communities.columns and communities["households"].notna().any()
    if census is None and kind != "population":
        return (f"no {kind} column and no census table to estimate it from ([census] in the project) / "
                "无年龄人口数据且未提供人口普查表")
    if census is None and has_hh:
        return "population unknown and no census or household_size to estimate it / 无人口数据"
    return (f"{kind} unknown: no {kind} / population / households figure, or no census row for the community's "
            "county / 人口数据缺失")


def _finish(kind: str, value: pd.Series, estimated: pd.Series, formula: pd.Series, why: str,
            notes: list[str]) -> Demand:
    known = value.notna()
    basis = pd.Series(np.where(~known, NOT_EVALUABLE, np.where(estimated, ESTIMATED, MEASURED)),
                      index=value.index, dtype=object)
    reason = pd.Series(np.where(known, "", why), index=value.index, dtype=object)
    return Demand(kind, value, basis, formula.where(estimated, ""), reason, notes)
