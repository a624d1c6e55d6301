"""Step 1, the first look: what a reader should know about the file before the details (who is
in it, the outcome, the largest gap, the attitudes, the weights, usage, buying and data quality),
each as one computed sentence at the top of the exploration report."""

from __future__ import annotations

import pandas as pd

from helpers.analyses.explore import as_of_label, monthly_usage, status_counts, unit_word
from helpers.core import formats
from helpers.data.dataset import Dataset
from helpers.params.config import Params
from helpers.params.outcomes import status_groups
from helpers.params.schema import label_of, population, scale_of


def highlights(
    data: Dataset,
    missing: pd.DataFrame | None = None,
    likert: pd.DataFrame | None = None,
    behaviour: pd.DataFrame | None = None,
    monthly: pd.DataFrame | None = None,
    intake: str | None = None,
    outcome: str | None = None,
) -> list[str]:
    """Short, computed observations for the report's narrative; ``intake`` (the sentence of
    `cohorts.intake_sentence`, where a sample's new buyers stop arriving) stands in for the
    month orders peaked, which in such a sample is only where the intake ended; ``outcome``
    (`metrics.outcome_sentence`) follows the status counts."""
    p, c = data.params, data.customers
    out: list[str] = []
    if c is not None and p.columns is not None:
        out += file_lines(c, p, outcome)
        out += gap_lines(missing)
        if likert is not None and len(likert) >= 2:
            out.append(top_box_sentence(likert, p))
        out += weight_lines(c, p)
    if data.events is not None:
        out.append(usage_line(data))
    if behaviour is not None and not behaviour.empty:
        out.append(buyer_line(behaviour, p))
    if intake:
        out.append(intake)
    elif monthly is not None and len(monthly) >= 2:
        peak = monthly.loc[monthly["orders"].idxmax()]
        out.append(f"Orders peaked in {pd.Timestamp(peak['month']):%B %Y} ({int(peak['orders']):,} orders).")
    out += [
        f"Data quality: {q.rows:,} {q.check} ({q.column}): {q.action}."
        if q.counted  # the check names what it counts: "51,854 order lines without a customer id"
        else f"Data quality: {q.rows:,} {q.table} rows — {q.check} ({q.column}): {q.action}."
        for q in data.quality
    ]
    return out


def file_lines(c: pd.DataFrame, p: Params, outcome: str | None) -> list[str]:
    """Who is in the file, by status, and the outcome sentence."""
    who = population(p)
    if p.unit == "account":
        contacts = f", with {int(c['contacts'].sum()):,} contacts" if "contacts" in c else ""
        out = [f"The account file holds **{len(c):,} {who.plural}**{contacts}."]
    else:
        prospects = (
            int(status_groups(c[p.columns.status.column], p).eq("prospect").sum()) if p.columns.status else 0
        )
        out = [
            f"The file holds **{len(c):,} people**: {len(c) - prospects:,} {who.plural} (past and "
            f"present) and {prospects:,} prospects."
            if prospects
            else f"The file holds **{len(c):,} {who.plural}**."
        ]
    if p.columns.status:
        s = status_counts(c, p)
        s = s[pd.to_numeric(s["share %"], errors="coerce").notna()]
        parts = ", ".join(f"{float(r['share %']):.0f}% {k}" for k, r in s.iterrows())
        if parts and not (outcome and len(s) <= 2):  # two values: the outcome says it all
            label = label_of(p.columns.status.column, p)
            out.append(f"{label}, of all {len(c):,} in the file: {parts}.")
    if outcome:
        out.append(outcome)
    return out


def gap_lines(missing: pd.DataFrame | None) -> list[str]:
    """The largest gap in the answers, or that there is none."""
    if missing is not None and not missing.empty and missing["missing"].iloc[0] > 0:
        top = missing.iloc[0]
        return [
            f"The largest gap is **{top['variable']}**: {top['missing %']:.1f}% "
            "left it unanswered; shares below are among those who answered."
        ]
    return ["No profile variable has missing answers."] if missing is not None else []


def weight_lines(c: pd.DataFrame, p: Params) -> list[str]:
    """The effective sample size, where the data has survey weights."""
    if not p.columns.weight:
        return []
    w = c[p.columns.weight].astype(float)
    eff = w.sum() ** 2 / (w**2).sum()
    return [
        f"Survey weights are in use: the effective sample size is {eff:,.0f} "
        f"({100 * eff / len(c):.0f}% of the people), which the tests of later "
        "reports take into account."
    ]


def usage_line(data: Dataset) -> str:
    """The usage log's size and the last month's active units."""
    assert data.events is not None
    usage = monthly_usage(data)
    word = unit_word(data.params)
    last = usage.iloc[-1] if len(usage) else None
    return (
        f"The usage log holds **{int(data.events.types.sum()):,} events** of "
        f"{len(data.events.types)} types"
        + (
            f"; {int(last[word]):,} {word} were active in {pd.Timestamp(last['month']):%B %Y}."
            if last is not None and last[word] == last[word]
            else "."
        )
    )


def buyer_line(behaviour: pd.DataFrame, p: Params) -> str:
    """How many bought, how many of them more than once, and the median buyer's spend."""
    repeat = (behaviour["orders"] > 1).mean() * 100
    spend = behaviour["spend"].dropna()
    return (
        f"**{len(behaviour):,} buyers** placed orders up to {as_of_label(p.as_of)}; "
        f"{repeat:.0f}% of them ordered more than once"
        + (f", and the median buyer spent {formats.money(spend.median())} in total." if len(spend) else ".")
    )


def top_box_sentence(likert: pd.DataFrame, params: Params) -> str:
    """The attitude items with the largest and smallest top-box share, each in its own scale's
    answer words ("77% say “Too little”", "41% rate it 9–10 on a 0–10 scale"); "agree" only on
    an agreement scale, and no direction the labels do not state."""
    top_item, low_item = str(likert.index[0]), str(likert.index[-1])
    top, low = likert.iloc[0], likert.iloc[-1]
    top_scale, low_scale = scale_of(top_item, params), scale_of(low_item, params)
    low_words = "" if low_scale.agree_phrase() == top_scale.agree_phrase() else f" {low_scale.agree_phrase()}"
    return (
        f"Largest top-box share: “{label_of(top_item, params)}” ({top['top box %']:.0f}% "
        f"{top_scale.agree_phrase()}); smallest: “{label_of(low_item, params)}” "
        f"({low['top box %']:.0f}%{low_words})."
    )
