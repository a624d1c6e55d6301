"""Step 4, what acquisition brings: each channel's value against what it costs to win (CAC), how the
customers a promotion won behave after it ends, the parameter file's cohort rules side by side, and
the headlines at the top of the cohorts report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.analyses.cohorts import (
    IntakeEnd,
    Retention,
    activity,
    index_of,
    intake_sentence,
    retention,
    split_series,
    start_of,
    with_groups,
)
from helpers.analyses.filters import evaluate
from helpers.analyses.stick_point import StickPoint
from helpers.core.privacy import is_suppressed, marker, suppress_rows, suppress_small, too_few
from helpers.data.engine import Engine
from helpers.params.schema import label_of
from helpers.params.wording import describe


def retention_column(period: str, n: int) -> str:
    """The economics table's column of the share of a channel's customers active in period ``n``."""
    return f"active in {period} {n} %"


PERIODS_AFTER = 3  # a promotion's customers are followed this many periods after it ended


def after_column(unit: str, periods_after: int = PERIODS_AFTER) -> str:
    """The promotion summary's column of the share active in the periods after it ended."""
    return f"active % in the {periods_after} {unit}s after"


def channel_economics(
    ret: Retention, cac: pd.Series, periods: list[int], margin: float = 1.0, min_cell: int = 0
) -> pd.DataFrame:
    """Per channel: customers, CAC, retention at chosen periods, value, value-to-CAC, payback; a
    retention figure of fewer than ``min_cell`` active customers, and a channel of fewer
    customers, shows the marker (privacy)."""
    curve = ret.curve()
    rows, counts, bases = [], [], []
    horizon = max(periods)
    for group, c in curve.groupby("group"):
        c = c.set_index("n").sort_index()
        cumulative = (c["revenue_per_customer"] * margin).cumsum()
        cost = float(cac.get(group, np.nan))
        value = float(cumulative.get(horizon, cumulative.iloc[-1]))
        paid = cumulative[cumulative >= cost].index if cost == cost else []
        row = {"channel": group, "customers": int(c.loc[0, "size"]), "CAC": cost}
        count, base = {"channel": group}, {"channel": group}
        for n in periods:
            col = retention_column(ret.period, n)
            row[col] = 100 * c["retention"].get(n, np.nan)
            count[col], base[col] = c["active"].get(n, np.nan), c["size"].get(n, np.nan)
        row[f"value per customer, first {horizon} {ret.period}s"] = value
        row["value / CAC"] = value / cost if cost else np.nan
        row[f"payback ({ret.period}s)"] = int(paid[0]) if len(paid) else np.nan
        rows.append(row)
        counts.append(count)
        bases.append(base)
    out = pd.DataFrame(rows).set_index("channel").sort_values("value / CAC", ascending=False)
    if min_cell:
        count_t, base_t = pd.DataFrame(counts).set_index("channel"), pd.DataFrame(bases).set_index("channel")
        cols = list(count_t.columns)
        out[cols] = suppress_small(out[cols], count_t, min_cell, keep_zero=True, base=base_t)
        out = suppress_rows(out, "customers", min_cell)
    return out


def promotion_window(
    frame: pd.DataFrame, date_col: str, promo_col: str, code: str
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """When a promotion ran: the first and last first-order dates of its customers."""
    dates = pd.to_datetime(frame.loc[frame[promo_col] == code, date_col])
    return dates.min(), dates.max()


@dataclass
class PromotionEffect:
    """A promotion's customers against others acquired while it ran: activity per period
    (``table``: group, period, periods after the end, size, active, active %, revenue), the code,
    when it ran, and the period unit."""

    code: str
    table: pd.DataFrame
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    unit: str = "period"


def promotion_effect(
    engine: Engine,
    orders: ir.Table,
    frame: pd.DataFrame,
    id_col: str,
    date_col: str,
    promo_col: str,
    code: str,
    as_of: dt.date,
    period: str = "month",
) -> PromotionEffect:
    """Activity per calendar period of a promotion's customers against others acquired meanwhile."""
    start, end = promotion_window(frame, date_col, promo_col, code)
    acquired = pd.to_datetime(frame[date_col])
    window = (acquired >= start) & (acquired <= end)
    who = frame.loc[window]
    group = np.where(who[promo_col] == code, f"with {code}", f"without {code}")
    groups = pd.Series(group, index=who[id_col].astype(str).to_numpy())
    act = with_groups(engine, engine.reuse(activity(orders, as_of, period)), groups)
    per = engine.execute(
        act.group_by(["group", "p"]).aggregate(
            active=act.customer_id.nunique(where=act.active == 1), revenue=act.revenue.sum()
        )
    )
    sizes = groups.value_counts()
    per["size"] = per["group"].map(sizes)
    per["active %"] = 100 * per["active"] / per["size"]
    per["revenue per customer"] = per["revenue"] / per["size"]
    per["period"] = [start_of(int(p), period) for p in per["p"]]
    end_p = index_of(end.date(), period)
    per["after end"] = per["p"] - end_p
    out = per.sort_values(["group", "p"], ignore_index=True)
    columns = [
        "group",
        "period",
        "after end",
        "size",
        "active",
        "active %",
        "revenue",
        "revenue per customer",
    ]
    return PromotionEffect(code, out[columns], start, end, period)


def promotion_table(effect: PromotionEffect, min_cell: int) -> PromotionEffect:
    """A promotion's activity per period as published: a period in which fewer than the privacy
    minimum of a group were active shows the marker, not its count, share or revenue; a group
    of fewer customers than the minimum is hidden whole."""
    out = suppress_rows(effect.table, "active", min_cell, keep=["group", "period", "after end", "size"])
    out = suppress_rows(out, "size", min_cell, keep=["group", "period", "after end"])
    return dataclasses.replace(effect, table=out)


def promotion_summary(
    effect: PromotionEffect, periods_after: int = PERIODS_AFTER, min_cell: int = 0
) -> pd.DataFrame:
    """Share active per group in the periods after the promotion ended vs while it ran (a group
    of fewer customers than ``min_cell`` is hidden; the averages leave out the periods hidden in
    :func:`promotion_table`, which, with the others shown, they would give away)."""
    rows = []
    unit = effect.unit
    hidden = marker(min_cell)
    for group, c in effect.table.groupby("group"):
        last, window = c[c["after end"] == 0], c[(c["after end"] > 0) & (c["after end"] <= periods_after)]
        during, after = last["active %"].mean(), window["active %"].mean()
        spend_after = window["revenue per customer"].mean()
        if min_cell:
            if bool(np.any(too_few(last["active"].to_numpy(), min_cell))):
                during = hidden
            shown = window[~np.asarray(too_few(window["active"].to_numpy(), min_cell), dtype=bool)]
            after, spend_after = shown["active %"].mean(), shown["revenue per customer"].mean()
            if shown.empty and not window.empty:
                after = spend_after = hidden
        rows.append(
            {
                "group": group,
                "customers": int(c["size"].iloc[0]),
                f"active % in the last promotion {unit}": during,
                after_column(unit, periods_after): after,
                f"revenue per customer per {unit} after": spend_after,
            }
        )
    return suppress_rows(pd.DataFrame(rows).set_index("group"), "customers", min_cell)


def customer_periods(
    engine: Engine, orders: ir.Table, as_of: dt.date, period: str, last: int
) -> pd.DataFrame:
    """One row per customer: cohort, and for each period offset n ≤ ``last`` whether they were
    active and their revenue (the per-customer pieces of pooled retention, computed once)."""
    act = engine.reuse(activity(orders, as_of, period))
    cols: dict[str, ir.Value] = {"cohort": act.cohort.min()}
    for n in range(last + 1):
        cols[f"active_{n}"] = ((act.n == n) & (act.active == 1)).cast("int64").max()
        cols[f"revenue_{n}"] = act.revenue.sum(where=act.n == n).fill_null(0.0)
    return engine.execute(act.group_by("customer_id").aggregate(**cols)).set_index("customer_id")


def compare_rules(
    engine: Engine,
    orders: ir.Table,
    as_of: dt.date,
    masks: pd.DataFrame,
    ids: pd.Series,
    period: str,
    periods: list[int],
    value: pd.Series | None = None,
    min_cell: int = 0,
) -> pd.DataFrame:
    """Each cohort rule side by side: people meeting it vs the rest, the share active in a
    period after the first (retention "on"), revenue and predicted value per customer.

    Retention at n is pooled over the cohorts old enough to have an n-th period, as in
    :meth:`Retention.at`; revenue per customer adds up those pooled values for n ≤ max(periods).
    A figure of fewer than ``min_cell`` people (active in the period, or in its base) shows the
    marker (privacy).
    """
    last = max(periods)
    keys = ids.astype(str).to_numpy()
    per = customer_periods(engine, orders, as_of, period, last).reindex(keys)
    age = index_of(as_of, period) - per["cohort"].to_numpy(float)  # NaN: no orders
    clv = value.reindex(keys).to_numpy() if value is not None else None
    active = {n: per[f"active_{n}"].to_numpy(float) for n in periods}
    spent = {n: per[f"revenue_{n}"].to_numpy(float) for n in range(last + 1)}
    rows, counts, bases = [], [], []
    for rule in masks.columns:
        meets = masks[rule].to_numpy(bool)
        row: dict[str, float | int | str] = {"rule": rule, "customers": int(meets.sum())}
        count: dict[str, float | str] = {"rule": rule}
        base: dict[str, float | str] = {"rule": rule}
        for n in periods:
            active_in = f"active in {period} {n} %"
            for label, who in ((active_in, meets), (f"rest: {active_in}", ~meets)):
                sel = who & (age >= n)
                row[label] = 100 * active[n][sel].sum() / sel.sum() if sel.any() else np.nan
                count[label], base[label] = float(active[n][sel].sum()), float(sel.sum())
        revenue = f"revenue per customer, first {last} {period}s"
        for label, who in ((revenue, meets), (f"rest: {revenue}", ~meets)):
            sums = [
                spent[n][sel].sum() / sel.sum() for n in range(last + 1) if (sel := who & (age >= n)).any()
            ]
            row[label] = float(np.sum(sums)) if sums else np.nan
            # the smallest base a pooled value rests on: those old enough for the last period
            count[label] = base[label] = float((who & (age >= last)).sum()) if sums else np.nan
        if clv is not None:
            row["predicted value per customer"] = np.nanmean(clv[meets]) if meets.any() else np.nan
            row["rest: predicted value per customer"] = np.nanmean(clv[~meets]) if (~meets).any() else np.nan
            for label, who in (
                ("predicted value per customer", meets),
                ("rest: predicted value per customer", ~meets),
            ):
                count[label] = base[label] = float(np.isfinite(clv[who]).sum())
        rows.append(row)
        counts.append(count)
        bases.append(base)
    out = pd.DataFrame(rows).set_index("rule")
    if min_cell:
        count_t, base_t = pd.DataFrame(counts).set_index("rule"), pd.DataFrame(bases).set_index("rule")
        cols = list(count_t.columns)
        out[cols] = suppress_small(out[cols], count_t, min_cell, keep_zero=True, base=base_t)
    return out


def economics(data, frame: pd.DataFrame | None, params) -> pd.DataFrame | None:
    """Acquisition channel economics, when the data names channels and costs."""
    if frame is None or data.orders is None:  # value needs revenue: orders (or invoices)
        return None
    acq = params.columns.acquisition
    if not (acq.channel and acq.cost):
        return None
    cohort_rules = params.cohorts
    groups = split_series(frame, params.columns.id, frame[acq.channel], min_cell=params.privacy.min_cell)
    ret = retention(
        data.engine,
        data.activity,
        params.as_of,
        cohort_rules.period,
        "on",
        groups,
        max(cohort_rules.economics_periods),
    )
    cac = frame.groupby(acq.channel)[acq.cost].mean()
    return channel_economics(
        ret, cac, cohort_rules.economics_periods, cohort_rules.margin, params.privacy.min_cell
    )


def promotions(
    data,
    frame: pd.DataFrame | None,
    params,
    min_customers: int = 30,
) -> dict[str, PromotionEffect]:
    """Before/after activity for each studied promotion code with enough customers."""
    if frame is None:
        return {}
    acq = params.columns.acquisition
    if not (acq.promotion and acq.date):
        return {}
    counts = frame[acq.promotion].value_counts()
    codes = params.cohorts.promotions or list(counts.index)
    return {
        code: promotion_effect(
            data.engine,
            data.activity,
            frame,
            params.columns.id,
            acq.date,
            acq.promotion,
            code,
            params.as_of,
            params.cohorts.period,
        )
        for code in codes
        if counts.get(code, 0) >= min_customers
    }


def promotion_note(
    promos: dict[str, PromotionEffect],
    frame: pd.DataFrame | None,
    params,
    min_customers: int = 30,
) -> str:
    """What the promotion section shows, or why it shows nothing."""
    if promos:
        return f"Promotions studied: {', '.join(f'**{c}**' for c in promos)}."
    acq = params.columns.acquisition if params.columns else None
    if frame is None or acq is None or not acq.promotion:
        return "*No promotion is studied: this run's data has no promotion code.*"
    if not acq.date:
        return "*No promotion is studied: it needs each customer's first order date.*"
    wanted = params.cohorts.promotions or "any code"
    return (
        f"*No promotion is studied: {wanted if isinstance(wanted, str) else ', '.join(wanted)}"
        f" has fewer than {min_customers} customers in this period.*"
    )


def rules(
    data,
    frame: pd.DataFrame | None,
    params,
    value: pd.Series | None = None,
) -> pd.DataFrame | None:
    """The configured cohort rules compared side by side."""
    cohort_rules = params.cohorts
    if frame is None or not cohort_rules.rules:
        return None
    if data.events is not None:  # everyone with a start in the usage log
        buyers = frame[frame["start_date"].notna()] if "start_date" in frame else frame
    else:
        buyers = frame[frame["orders"] > 0] if "orders" in frame else frame
    masks = pd.DataFrame(
        {name: evaluate(expr, buyers) for name, expr in cohort_rules.rules.items()}, index=buyers.index
    )
    out = compare_rules(
        data.engine,
        data.activity,
        params.as_of,
        masks,
        buyers[params.columns.id],
        cohort_rules.period,
        cohort_rules.economics_periods,
        value,
        params.privacy.min_cell,
    )
    out.insert(0, "who it covers", [describe(cohort_rules.rules[r], params) for r in out.index])
    out.index = pd.Index([label_of(r, params) for r in out.index], name="rule")
    return suppress_rows(out, "customers", params.privacy.min_cell, keep=["who it covers"])


def _shown_pct(value: object) -> str:
    """A percentage for a sentence, or the privacy marker's meaning where the figure is hidden."""
    if is_suppressed(value):
        return f"hidden (fewer than {str(value).lstrip('<')} people)"
    number = pd.to_numeric(value, errors="coerce")
    return "not known yet" if pd.isna(number) else f"{float(number):.0f}%"


def headlines(
    ret: Retention,
    by_split: dict[str, Retention],
    econ: pd.DataFrame | None,
    sp: StickPoint,
    promos: dict[str, PromotionEffect],
    min_cell: int = 0,
    intake: IntakeEnd | None = None,
    economics_after: int | None = None,
) -> list[str]:
    """Short computed findings for the top of the report (figures of fewer people than
    ``min_cell`` left out; first, when the sample's intake ended, that it did). The channels are
    compared on retention after ``economics_after`` periods (the last of `cohorts.economics_periods`)."""
    out = [intake_sentence(intake)] if intake is not None else []
    curve = ret.curve(min_cell).set_index("n")
    shown = [
        n for n in (1, 3, 12) if n in curve.index and curve.loc[n, "retention"] == curve.loc[n, "retention"]
    ]
    if shown:
        rule = "active in that very" if ret.definition == "on" else "active in that or a later"
        out.append(
            f"**Retention** ({rule} {ret.period}, all cohorts): "
            + ", ".join(
                f"{100 * curve.loc[n, 'retention']:.0f}% after {n} {ret.period}{'s' if n > 1 else ''}"
                for n in shown
            )
            + "."
        )
    if (
        econ is not None
        and len(econ) > 1
        and "value / CAC" in econ
        and pd.to_numeric(econ["value / CAC"], errors="coerce").notna().sum() > 1
    ):
        econ = econ[pd.to_numeric(econ["value / CAC"], errors="coerce").notna()]
        best, worst = econ.index[0], econ.index[-1]
        ret_col = retention_column(ret.period, economics_after) if economics_after is not None else None
        still = (
            f" Still active after {economics_after} {ret.period}s: {_shown_pct(econ.loc[best, ret_col])} "
            f"against {_shown_pct(econ.loc[worst, ret_col])}."
            if ret_col in econ
            else ""
        )
        out.append(
            f"**{best[:1].upper() + best[1:]}** customers bring the most value for what they cost to win "
            f"({econ.loc[best, 'value / CAC']:.1f} times their acquisition cost); **{worst}** the "
            f"least ({econ.loc[worst, 'value / CAC']:.1f} times).{still}"
        )
    out.append(sp.sentence())
    for code, effect in promos.items():
        summary = promotion_summary(effect, min_cell=min_cell)
        after = after_column(effect.unit)
        with_code = pd.to_numeric(summary[after], errors="coerce").get(f"with {code}", np.nan)
        without = pd.to_numeric(summary[after], errors="coerce").get(f"without {code}", np.nan)
        if not (with_code == with_code and without == without):  # a group too small to show
            continue
        out.append(
            f"After **{code}** ended, {with_code:.0f}% of its customers stayed active per "
            f"period, against {without:.0f}% of customers acquired without it meanwhile."
        )
    return out
