"""Step 3, the ICP scorecard: the traits the best customers (or accounts) share, proposed as criteria
and checked on a holdout, each lead's fit score and tier, and how fit goes with value and staying."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from helpers.analyses import naming
from helpers.analyses.explore import unit_word
from helpers.analyses.filters import evaluate
from helpers.analyses.metrics import population_word
from helpers.core.expressions import quote
from helpers.core.privacy import marker, suppress_rows, suppress_small
from helpers.params.config import Params
from helpers.params.inputs import DERIVED_FIELDS
from helpers.params.outcomes import outcome_of
from helpers.params.schema import display_value, has_churn, label_of, status_column, still_customer
from helpers.params.settings import IcpCriterion
from helpers.params.wording import describe, label_in_sentence

TIERS = ("not fit", "workable fit", "perfect fit")


HOLDOUT_SHARE = 0.5  # accounts kept aside to validate criteria derived from the rest


def best_accounts(frame: pd.DataFrame, params: Params) -> tuple[pd.Series | None, str]:
    """The accounts the business wants most: the top quarter on value that are still customers
    (with a status mapping); (None, why) when the run has no measure of value."""
    value, what = value_of(frame, params)
    if value is None:
        return None, what
    known = value.notna()
    if value[known].nunique() <= 2:  # a yes/no measure (still a customer): the yes side
        if params.unit == "account":
            return known & (value == value[known].max()), "the accounts still customers (not churned)"
        return known & (value == value[known].max()), f"the {population_word(params)} who did not churn"
    best = known & (value >= value[known].quantile(0.75)) & (value > value[known].min())
    said = f"the top quarter on {what}"
    if (
        has_churn(params)
        and not params.icp.value_field
        and what != "the share still a customer (not churned)"
    ):
        best &= still_customer(frame[status_column(params)], params).fillna(False).astype(bool)
        said += " that are still customers"
    return best, said


def lead_columns(frame: pd.DataFrame, params: Params) -> list[str]:
    """Columns a file of new accounts has: firmographic, geographic and demographic columns and the
    acquisition channel (not behaviour, usage or anything derived from orders)."""
    cols = params.columns
    assert cols is not None
    wanted = cols.firmographic + cols.geographic + cols.demographic + [cols.acquisition.channel or ""]
    return [c for c in dict.fromkeys(wanted) if c and c in frame]


def profile_columns(frame: pd.DataFrame, params: Params) -> list[str]:
    """Columns a file of new people (leads, respondents) can hold: who they are, where, what they
    do and how they came (never the status, the value field or anything derived from orders)."""
    cols = params.columns
    assert cols is not None
    wanted = cols.demographic + cols.geographic + cols.behavioural + [cols.acquisition.channel or ""]
    skip = {status_column(params), params.icp.value_field, *DERIVED_FIELDS}
    return [c for c in dict.fromkeys(wanted) if c and c in frame and c not in skip]


def candidate_rules(values: pd.Series, column: str, params: Params) -> list[tuple[str, str, pd.Series]]:
    """The traits a column offers as criteria: each answer, or for a number with many values its
    lower quartile, median and upper quartile as thresholds (name, rule, who meets it)."""
    rules: list[tuple[str, str, pd.Series]] = []
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 12:
        for q in (0.25, 0.5, 0.75):
            cut = float(values.quantile(q))
            shown = f"{cut:,.0f}" if abs(cut) >= 10 else f"{cut:g}"
            rules.append(
                (f"{label_of(column, params)}: {shown} or more", f"{quote(column)} >= {cut:g}", values >= cut)
            )
        return rules
    for answer in values.dropna().unique():
        literal = (
            ("true" if answer else "false")
            if isinstance(answer, bool | np.bool_)
            else (
                f"{answer:g}"
                if isinstance(answer, int | float | np.number)
                else json.dumps(str(answer), ensure_ascii=False)
            )
        )
        name = f"{label_of(column, params)}: {display_value(answer)}"
        rules.append((name, f"{quote(column)} == {literal}", values == answer))
    return rules


def _clear_traits(
    rules: list[tuple[str, str, pd.Series]], is_best: pd.Series, bad: pd.Series | None
) -> list[tuple[float, str, str]]:
    """The traits at least 20% of the best accounts have, that never go with the worse outcome,
    and that the best have more often than the rest at p < 0.01 (corrected for the traits of the
    column tried): each with its index (share among the best against everyone's, × 100)."""
    scored = []
    for name, rule, meets in rules:
        share_all, share_best = float(meets.mean()), float(meets[is_best].mean())
        if share_all > 0 and share_best >= 0.2:
            scored.append((100 * share_best / share_all, name, rule, meets))
    # as before the split: three times the traits tried (each rule's tuple length); stricter than
    # the Bonferroni bound the comment intends, kept so the published criteria stay the same
    tests = sum(len(r) for r in rules) or 1
    if bad is not None:  # a trait that goes with the worse outcome is never "ideal"
        scored = [row for row in scored if not bad[row[3]].mean() > bad[~row[3]].mean()]  # NaN passes
    return [
        (idx, name, rule)
        for idx, name, rule, meets in scored
        if proportions_ztest(
            [int(meets[is_best].sum()), int(meets[~is_best].sum())],
            [int(is_best.sum()), int((~is_best).sum())],
            alternative="larger",
        )[1]
        < 0.01 / tests
    ]


def derived_criteria(
    frame: pd.DataFrame,
    params: Params,
    top: int = 6,
    seed: int | None = None,
    columns: list[str] | None = None,
) -> tuple[list[IcpCriterion], pd.Series]:
    """Criteria from the accounts with the highest value and retention, derived on one part of
    the accounts; the rest (the returned mask, :data:`HOLDOUT_SHARE` of them) validates them.

    Per lead column, the answer (or, for a number, the lower quartile, median or upper quartile
    as a threshold) most over-represented among the best accounts, kept when its index is at
    least 125 and at least 20% of the best accounts have it; one criterion per column, at most
    ``top``, worth 1–10 points by index (25 index points a point)."""
    rng = np.random.default_rng(params.segment.seed if seed is None else seed)
    holdout = pd.Series(rng.random(len(frame)) < HOLDOUT_SHARE, index=frame.index)
    best, _ = best_accounts(frame, params)
    if best is None or best.sum() == 0:
        return [], holdout
    fit_part = frame[~holdout]
    is_best = best[~holdout]
    outcome = outcome_of(params)
    bad = outcome.flags(fit_part, params) if outcome is not None else None
    found = []
    for column in lead_columns(frame, params) if columns is None else columns:
        rules = candidate_rules(fit_part[column], column, params)
        scored = _clear_traits(rules, is_best, bad)
        if scored:
            idx, name, rule = max(scored)
            if idx >= 125:
                found.append((idx, name, rule))
    found.sort(reverse=True)
    criteria = [
        IcpCriterion(name=name, rule=rule, points=float(min(10, max(1, round((idx - 100) / 25)))))
        for idx, name, rule in found[:top]
    ]
    return criteria, holdout


def holdout_outcomes(
    frame: pd.DataFrame, fit: pd.DataFrame | None, holdout: pd.Series, params: Params
) -> pd.DataFrame | None:
    """Fit tier against value, retention and trial-to-paid conversion on the held-out accounts,
    which the criteria were not derived from (hidden where a tier has too few)."""
    if fit is None:
        return None
    part = frame[holdout]
    out = tier_outcomes(part, fit[holdout], params.privacy.min_cell, params)
    if out is None:
        return None
    best, _ = best_accounts(part, params)
    tiers = fit.loc[holdout, "fit tier"]
    if best is not None:
        out["best accounts %"] = (100 * best.groupby(tiers).mean()).reindex(out.index)
    hide = marker(params.privacy.min_cell)
    counts = tiers.value_counts().reindex(out.index)
    if "best accounts %" in out and (counts < params.privacy.min_cell).any():
        out["best accounts %"] = (
            out["best accounts %"].astype(object).where(counts >= params.privacy.min_cell, hide)
        )
    outcome = outcome_of(params)
    if outcome is not None:
        out = out.drop(columns="still a customer %", errors="ignore")  # the outcome says it
        out[f"{outcome.name} %"] = _tier_rates(outcome.flags(part, params), tiers, out.index, params)
    if "converted" in part and "trial" in part:
        judged = (part["trial"] == 1) & part["converted"].notna()  # trials old enough to judge
        rate = part.loc[judged, "converted"].groupby(tiers[judged]).mean()
        trials = judged.groupby(tiers).sum().reindex(out.index, fill_value=0)
        share = (100 * rate).reindex(out.index)
        few = trials < params.privacy.min_cell
        out["trials converted %"] = share.astype(object).where(~few, hide) if few.any() else share
    word = unit_word(params)
    return out.rename(columns={"people": word, "people %": f"{word} %"})


def _tier_rates(flags: pd.Series, tiers: pd.Series, order: pd.Index, params: Params) -> pd.Series:
    """The share with a flag per fit tier, in %, hidden where it rests on too few."""
    known = flags.notna()
    rate = (100 * flags[known].groupby(tiers[known]).mean()).reindex(order)
    counts = known.groupby(tiers).sum().reindex(order, fill_value=0)
    few = counts < params.privacy.min_cell
    return rate.astype(object).where(~few, marker(params.privacy.min_cell)) if few.any() else rate


def holdout_sentence(outcomes: pd.DataFrame | None, params: Params, checked: bool = True) -> str:
    """What the rows kept aside say about the scorecard, in one sentence, with a warning when its
    best tier has the worse outcome (``checked``: the criteria were derived on other rows)."""
    if outcomes is None or len(outcomes) < 2:
        return ""
    top, bottom = outcomes.index[-1], outcomes.index[0]
    word = unit_word(params)
    outcome = outcome_of(params)
    parts, warning = [], ""
    columns = [
        ("trials converted %", "converted their trial"),
        ("best accounts %", f"are among the best {word}"),
    ]
    if outcome is not None:
        columns.insert(0, (f"{outcome.name} %", f"had {outcome.name.split(': ', 1)[-1]} ({outcome.name})"))
    for col, what in columns:
        if col in outcomes:
            hi, lo = pd.to_numeric(outcomes[col], errors="coerce")[[top, bottom]]
            if hi == hi and lo == lo:
                parts.append(f"{hi:.0f}% of *{top}* {word} {what}, against {lo:.0f}% of *{bottom}* ones")
                if outcome is not None and col == f"{outcome.name} %" and hi > lo:
                    warning = (
                        f" **Warning:** the *{top}* tier has more {outcome.name} than the *{bottom}* "
                        f"tier: these criteria point to the riskier {word}; review them before use."
                    )
    if not parts:
        return warning.strip()
    share = f"{100 * HOLDOUT_SHARE:.0f}%"
    where = f"Checked on the {share} of {word} the criteria were not derived from" if checked else "Fit tier"
    return f"**{where}:** " + "; ".join(parts) + "." + warning


def value_of(frame: pd.DataFrame, params: Params) -> tuple[pd.Series | None, str]:
    """What "highest value" means for the default ICP criteria, and its description: the
    declared `icp.value_field`, else spend in the last 12 months (runs with order amounts), else
    staying a customer (runs with a status mapping); (None, why) when the run has none of them."""
    field = params.icp.value_field
    if field:
        return pd.to_numeric(frame[field], errors="coerce"), label_in_sentence(field, params)
    if "spend_12m" in frame and frame["spend_12m"].notna().any():
        return frame["spend_12m"].astype(float), "spend in the last 12 months"
    if params is not None and has_churn(params):
        return (
            still_customer(frame[status_column(params)], params),
            "the share still a customer (not churned)",
        )
    return None, (
        "this run has no measure of value (a value column named in the parameter file, "
        "status values that say who churned, or orders with amounts)"
    )


def _label(column: str, params: Params) -> str:
    return label_of(column, params)


def fit_scores(
    frame: pd.DataFrame, criteria: list[IcpCriterion], tiers: tuple[float, float]
) -> pd.DataFrame | None:
    """Points, fit score (share of the maximum) and fit tier per person or lead (None without
    criteria: no fit is made up)."""
    if not criteria:
        return None
    total = sum(c.points for c in criteria) or 1.0
    points = np.zeros(len(frame))
    for c in criteria:
        points += evaluate(c.rule, frame).to_numpy(bool) * c.points
    score = points / total
    tier = np.where(score >= tiers[1], TIERS[2], np.where(score >= tiers[0], TIERS[1], TIERS[0]))
    return pd.DataFrame(
        {"fit points": points, "fit score": score.round(4), "fit tier": tier}, index=frame.index
    )


def engagement(frame: pd.DataFrame, days: int) -> pd.Series:
    """Engaged: ordered within the last `days` days (kept apart from fit)."""
    if "days_since_last" not in frame:
        return pd.Series("unknown", index=frame.index)
    recent = frame["days_since_last"].astype(float) <= days
    return pd.Series(np.where(recent, "engaged", "not engaged"), index=frame.index)


def tier_outcomes(
    frame: pd.DataFrame, fit: pd.DataFrame | None, min_cell: int, params: Params | None = None
) -> pd.DataFrame | None:
    """How fit tier relates to value and retention (among buyers; with a status mapping, the
    share still a customer)."""
    if fit is None:
        return None
    has_orders = "orders" in frame
    buyers = frame["orders"] > 0 if has_orders else pd.Series(True, index=frame.index)
    d = pd.DataFrame({"tier": fit["fit tier"], "buyer": buyers})
    if "spend_12m" in frame and frame["spend_12m"].notna().any():
        d["spend_12m"] = frame["spend_12m"]
        d["active_12m"] = frame["orders_12m"] > 0
    g = d.groupby("tier").agg(people=("buyer", "size"), buyers=("buyer", "sum"))
    if not has_orders:
        g = g.drop(columns="buyers")
    if params is not None and has_churn(params):
        d["still"] = still_customer(frame[status_column(params)], params)
        g["still a customer %"] = 100 * d.groupby("tier")["still"].mean()
    if "spend_12m" in d:
        b = d[d["buyer"]]
        g["spend, last 12 months (mean)"] = b.groupby("tier")["spend_12m"].mean()
        g["active in last 12 months %"] = 100 * b.groupby("tier")["active_12m"].mean()
    g["people %"] = 100 * g["people"] / g["people"].sum()
    g = g.reindex([t for t in TIERS if t in g.index])
    return suppress_rows(g, "people", min_cell)


def scorecard_criteria(
    result: Any, frame: pd.DataFrame, params: Params
) -> tuple[list[IcpCriterion], pd.Series | None]:
    """The scorecard's criteria and the held-out accounts that validate them: the parameter
    file's; for accounts, derived from the best accounts (:func:`derived_criteria`); for
    customers, the most distinctive traits of the highest-value segment."""
    if params.icp.criteria:
        return list(params.icp.criteria), None
    if params.unit == "account":
        return derived_criteria(frame, params)
    return derived_criteria(frame, params, columns=profile_columns(frame, params))


def fit_outcomes(
    frame: pd.DataFrame, fit: pd.DataFrame | None, holdout: pd.Series | None, params: Params
) -> pd.DataFrame | None:
    """Fit tier against value and retention: on the held-out accounts when the criteria were
    derived from the others, else on everyone."""
    if holdout is not None:
        return holdout_outcomes(frame, fit, holdout, params)
    out = tier_outcomes(frame, fit, params.privacy.min_cell, params)
    outcome = outcome_of(params)
    if out is not None and outcome is not None:
        out = out.drop(columns="still a customer %", errors="ignore")  # the outcome says it
        flags = outcome.flags(frame, params)
        out[f"{outcome.name} %"] = _tier_rates(flags, fit["fit tier"], out.index, params)
    return out


def scorecard_note(criteria: list[IcpCriterion], frame: pd.DataFrame, params: Params) -> str:
    """Where the scorecard's criteria come from, or why this run has none."""
    if params.icp.criteria:
        return "The criteria are the research team's, from the parameter file."
    value, what = value_of(frame, params)
    if value is None:
        return f"*No scorecard for this run: {what}.*"
    _, best = best_accounts(frame, params)
    one, many = unit_word(params, plural=False), unit_word(params)
    holds = (
        "firmographics, region, channel"
        if params.unit == "account"
        else "who they are, where, what they do, how they came"
    )
    if not criteria:
        return (
            f"*No scorecard for this run: no trait a new {one}'s record holds is clearly more "
            f"common among {best} (the research team can name criteria in the parameter file).*"
        )
    return (
        f"The criteria are the traits a new {one}'s record holds ({holds}) that are most "
        f"over-represented among **{best}**, found on half of the {many} and checked on the other "
        "half below; a trait that goes with the worse outcome is never proposed (the research team "
        "can rename or replace them in the parameter file)."
    )


def criteria_table(criteria: list[IcpCriterion], params: Params) -> pd.DataFrame | None:
    """The scorecard as a table, each rule in words (None without criteria)."""
    if not criteria:
        return None
    out = pd.DataFrame(
        [
            {"criterion": c.name, "who meets it": describe(c.rule, params), "points": c.points}
            for c in criteria
        ],
        columns=["criterion", "who meets it", "points"],
    )
    if not params.icp.criteria:  # derived criteria are named after their rule already
        out = out.drop(columns="who meets it")
    return out


def tier_mix(
    fit: pd.DataFrame | None,
    segments: pd.Series,
    engaged: pd.Series,
    min_cell: int,
    names: dict[int, str] | None = None,
) -> pd.DataFrame | None:
    """Fit tiers (% of each segment and overall) with the engaged share beside them; a share
    that rests on fewer people than the privacy minimum is hidden."""
    if fit is None:
        return None
    tiers = pd.crosstab(segments, fit["fit tier"]).reindex(columns=list(TIERS), fill_value=0)
    overall = tiers.sum().to_frame("All").T
    counts = pd.concat([tiers, overall])
    out = 100 * counts.div(counts.sum(axis=1), axis=0)
    out = suppress_small(out, counts, min_cell, keep_zero=True)
    out.columns = [f"{c} %" for c in out.columns]
    eng = pd.concat(
        [(engaged == "engaged").groupby(segments).mean(), pd.Series({"All": (engaged == "engaged").mean()})]
    )
    if (engaged != "unknown").any():  # engagement needs orders
        out["engaged %"] = 100 * eng
    out.insert(0, "people", counts.sum(axis=1))
    if names is not None:
        out.index = [s if s == "All" else naming.label(s, names) for s in out.index]
    out.index.name = "segment"
    return suppress_rows(out, "people", min_cell)
