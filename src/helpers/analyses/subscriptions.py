"""How long subscribers stay (`value.model: sbg`): each paying customer's periods paid, read from
the orders (invoices) through the engine, the shifted-beta-geometric model fitted per group,
retention projected past the data with its interval, the discounted renewals still to come (DERL)
and what a subscriber is worth, and who is likely to cancel at the next renewal.

A subscriber counts as lost when no payment came within one and a half periods before as_of (a
late payment is not a cancellation); the periods paid are the distinct calendar periods with a
payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ibis import ir
from statsmodels.duration.survfunc import SurvfuncRight

from helpers.analyses.cohorts import period_index, split_values
from helpers.analyses.contract_models import ShiftedBetaGeometricModel
from helpers.core import formats
from helpers.data.engine import Engine, end_of
from helpers.params.wording import label_in_sentence

PERIOD_DAYS = {"week": 7.0, "month": 30.44, "quarter": 91.31}
GRACE = 1.5  # periods without a payment before a subscriber counts as lost
LEVEL = 0.9  # the intervals' coverage
ALL = "All subscribers"
AHEAD = {"week": [26, 52], "month": [12, 24], "quarter": [4, 8]}  # projections shown, in periods


def subscribers(engine: Engine, orders: ir.Table, as_of: dt.date, period: str) -> pd.DataFrame:
    """One row per paying customer (index: customer id): `periods` paid, `churned`, and the
    average `payment` per period paid."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    o = o.mutate(p=period_index(o.order_ts, period))
    sums = {"revenue": o.amount.sum()} if "amount" in o.columns else {}
    per = o.group_by("customer_id").aggregate(periods=o.p.nunique(), last=o.order_ts.max(), **sums)
    out = engine.execute(per).set_index("customer_id")
    cutoff = pd.Timestamp(end_of(as_of)) - pd.Timedelta(days=GRACE * PERIOD_DAYS[period])
    out["churned"] = pd.to_datetime(out["last"]) < cutoff
    out["payment"] = out.get("revenue", pd.Series(np.nan, index=out.index)).astype(float) / out["periods"]
    out.index = out.index.astype(str)
    return out[["periods", "churned", "payment"]]


@dataclass
class GroupFit:
    """One group's subscribers and its fitted model."""

    group: str
    people: pd.DataFrame
    model: ShiftedBetaGeometricModel

    def observed(self) -> pd.Series:
        """The observed share still subscribed after t renewals (Kaplan–Meier: the lost at the
        renewal they missed, the still subscribed censored at the renewals they made)."""
        lost = self.people["churned"].to_numpy(bool)
        paid = self.people["periods"].to_numpy(float)
        km = SurvfuncRight(np.where(lost, paid, paid - 1), lost.astype(int))
        t = np.arange(0, int(paid.max()))
        at = np.searchsorted(km.surv_times, t, side="right") - 1
        return pd.Series(np.where(at >= 0, km.surv_prob[np.maximum(at, 0)], 1.0), index=t)


def fit_groups(
    people: pd.DataFrame, groups: pd.Series | None, min_cell: int, draws: int = 400
) -> list[GroupFit]:
    """The sBG fitted on everyone (first) and on each group of at least `min_cell` subscribers."""
    parts = [(ALL, people)]
    if groups is not None:
        g = groups.reindex(people.index)
        parts += [(str(k), people[g == k]) for k in g.dropna().unique() if (g == k).sum() >= min_cell]
    out = []
    for name, part in parts:
        counts = part.groupby(["periods", "churned"]).size().rename("count").reset_index()
        if len(part) < min_cell or not counts["churned"].any():
            continue  # no one lost yet: nothing to fit a churn rate on
        out.append(GroupFit(name, part, ShiftedBetaGeometricModel().fit(counts, draws=draws)))
    return out


def lifetime_table(
    fits: list[GroupFit], period: str, discount: float, margin: float, ahead: list[int]
) -> pd.DataFrame:
    """Per group: subscribers, lost so far, the first renewal, the share still subscribed
    `ahead` periods after starting (projected, with its 90% range), the discounted renewals to
    come and the value of a new subscriber (with its range), and the chance of cancelling at the
    next renewal among those subscribed now."""
    rows = []
    for f in fits:
        m, p = f.model, f.people
        alive = p[~p["churned"]]
        row: dict[str, float] = {
            "subscribers": len(p),
            "lost so far %": 100 * p["churned"].mean(),
            "renew the first time %": 100 * float(m.retention(1)[0]),
        }
        for n in ahead:
            low, high = m.interval(m.survival(n, draws=True)[:, 0], LEVEL)
            row[f"after {n} {period}s %"] = 100 * float(m.survival(n)[0])
            row[f"after {n} {period}s low %"], row[f"after {n} {period}s high %"] = 100 * low, 100 * high
        pay = float(p["payment"].mean()) * margin
        low, high = m.interval(m.discounted_residual_lifetime(1, discount, draws=True)[:, 0], LEVEL)
        derl = float(m.discounted_residual_lifetime(1, discount)[0])
        row["renewals to come, discounted"] = derl
        row["value of a new subscriber"] = derl * pay
        row["value low"], row["value high"] = low * pay, high * pay
        next_cancel = m.churn_probability(alive["periods"]).mean() if len(alive) else np.nan
        row["cancel at the next renewal %"] = 100 * float(next_cancel)
        rows.append(pd.Series(row, name=f.group))
    return pd.DataFrame(rows).rename_axis("group")


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The lifetime table for a reader: each projection and value beside its 90% range in words."""
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        if col.endswith((" low %", " high %", " low", " high")):
            continue
        out[col] = table[col]
        if f"{col.removesuffix(' %')} low %" in table:
            low, high = table[f"{col.removesuffix(' %')} low %"], table[f"{col.removesuffix(' %')} high %"]
            out[f"{col.removesuffix(' %')}: 90% range"] = [
                f"{a:.0f}–{b:.0f}%" for a, b in zip(low, high, strict=True)
            ]
        if col == "value of a new subscriber" and table[col].notna().any():
            out["value: 90% range"] = [
                f"{formats.money(a)}–{formats.money(b)}"
                for a, b in zip(table["value low"], table["value high"], strict=True)
            ]
    return out.dropna(axis=1, how="all")


def projection(fit: GroupFit, periods: int) -> pd.DataFrame:
    """Observed and projected share still subscribed after t renewals, with the 90% range."""
    t = np.arange(0, periods + 1)
    m = fit.model
    low, high = m.interval(m.survival(t, draws=True), LEVEL)
    out = pd.DataFrame({"projected": m.survival(t), "low": low, "high": high}, index=t)
    out["observed"] = fit.observed().reindex(t)
    return out


def split_fits(
    data, frame: pd.DataFrame | None, params, segments: pd.Series | None
) -> dict[str, list[GroupFit]]:
    """The sBG by each configured split (columns or filters) and by segment, everyone first."""
    people = subscribers(data.engine, data.orders, params.as_of, params.cohorts.period)
    min_cell = params.privacy.min_cell
    out = {ALL: fit_groups(people, None, min_cell)}
    if frame is None:
        return out
    for name in params.cohorts.splits:
        out[name] = fit_groups(people, split_values(frame, params, name), min_cell)[1:]
    if segments is not None:
        out["segment"] = fit_groups(people, segments, min_cell)[1:]
    return {k: v for k, v in out.items() if v}


def lifetime_sentences(table: pd.DataFrame, period: str, ahead: int, what: str = "group") -> list[str]:
    """The groups that keep the most and the fewest subscribers, called only where their 90%
    ranges do not overlap."""
    col = f"after {ahead} {period}s"
    groups = table.drop(index=ALL, errors="ignore")
    if len(groups) < 2 or f"{col} %" not in groups:
        return []
    best, worst = groups[f"{col} %"].idxmax(), groups[f"{col} %"].idxmin()
    b, w = groups.loc[best], groups.loc[worst]
    if b[f"{col} low %"] <= w[f"{col} high %"]:
        return [
            f"By {what}, no group clearly keeps more subscribers than another after {ahead} {period}s: "
            "their 90% ranges overlap."
        ]
    return [
        f"**{best}** keeps the most: {b[f'{col} %']:.0f}% of those who start are projected to be still "
        f"subscribed after {ahead} {period}s ({b[f'{col} low %']:.0f}–{b[f'{col} high %']:.0f}%), against "
        f"{w[f'{col} %']:.0f}% for **{worst}** ({w[f'{col} low %']:.0f}–{w[f'{col} high %']:.0f}%).",
        f"**{worst}**: {w['cancel at the next renewal %']:.0f}% of those subscribed now are expected to "
        "cancel at their next renewal.",
    ]


def subscriber_values(data, params) -> pd.Series:
    """Each paying customer's value: the discounted renewals still to come (0 once lost) times
    their payment per period and the margin, from the sBG fitted on everyone."""
    people = subscribers(data.engine, data.orders, params.as_of, params.cohorts.period)
    fits = fit_groups(people, None, params.privacy.min_cell, draws=0)
    if not fits:
        return pd.Series(np.nan, index=people.index, name="clv")
    derl = fits[0].model.discounted_residual_lifetime(people["periods"], params.value.discount_rate)
    value = np.where(people["churned"], 0.0, derl * people["payment"] * params.cohorts.margin)
    return pd.Series(value, index=people.index, name="clv")


@dataclass
class Lifetimes:
    """The sBG by split (everyone first), and each split's table, for the page."""

    by_split: dict[str, list[GroupFit]]
    tables: dict[str, pd.DataFrame]
    period: str
    words: dict[str, str]  # each split in a sentence's words

    @property
    def ahead(self) -> list[int]:
        return AHEAD[self.period]

    def title(self, name: str) -> str:
        """A table's title: what it splits by, in words."""
        return "How long subscribers stay" + ("" if name == ALL else f", by {self.words[name]}")

    def sentences(self) -> list[str]:
        """Per split, who keeps the most subscribers, where the ranges allow it."""
        out = []
        for name, table in self.tables.items():
            if name != ALL:
                out += lifetime_sentences(table, self.period, self.ahead[0], self.words[name])
        return out

    def widest(self) -> str | None:
        """The split whose groups differ most at the first projection shown."""
        col = f"after {self.ahead[0]} {self.period}s %"
        spread = {n: t[col].max() - t[col].min() for n, t in self.tables.items() if n != ALL and len(t) > 1}
        return max(spread, key=spread.get) if spread else None

    def chart_title(self, name: str) -> str:
        """The survival chart's title."""
        return "Share still subscribed: observed, then projected" + (
            "" if name == ALL else f", by {self.words[name]}"
        )

    def glance(self) -> list[str]:
        """The headline for *At a glance*: the clearest difference, else everyone's projection."""
        clear = [s for s in self.sentences() if "keeps the most" in s]
        if clear:
            return clear[:1]
        t = self.tables.get(ALL)
        if t is None:
            return []
        row, col = t.iloc[0], f"after {self.ahead[0]} {self.period}s"
        return [
            f"{row[f'{col} %']:.0f}% of new subscribers are projected to be still subscribed {col} "
            f"({row[f'{col} low %']:.0f}–{row[f'{col} high %']:.0f}%)."
        ]

    def projections(self, name: str) -> dict[str, pd.DataFrame]:
        """Observed and projected survival of each group of a split, a year (or the first
        projection's span) past the longest history, and at least to the last period shown."""
        fits = self.by_split.get(name, [])
        seen = max((int(f.people["periods"].max()) for f in fits), default=0)
        return {f.group: projection(f, max(seen + self.ahead[0], self.ahead[-1])) for f in fits}


def lifetimes(data, frame: pd.DataFrame | None, params, segments: pd.Series | None) -> Lifetimes | None:
    """Every split's sBG fits and tables; None unless the run has orders and `value.model: sbg`."""
    if data.orders is None or params.value.model != "sbg":
        return None
    period = params.cohorts.period
    by_split = split_fits(data, frame, params, segments)
    tables = {
        name: lifetime_table(fits, period, params.value.discount_rate, params.cohorts.margin, AHEAD[period])
        for name, fits in by_split.items()
    }
    words = {name: "segment" if name == "segment" else label_in_sentence(name, params) for name in by_split}
    return Lifetimes(by_split, tables, period, words)
