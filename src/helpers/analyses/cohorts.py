"""Step 4, cohorts: acquisition cohorts, retention, channel economics, promotions, the stick point.

Every aggregation over orders is an Ibis expression run by the engine (DuckDB by default); only
per-cohort and per-group tables come back to pandas.

Retention definitions (as Mixpanel and Amplitude define them):

* ``on``: the share of a cohort active in exactly period *n* after its first period;
* ``on_or_after``: the share active in period *n* or any later period.

Periods are calendar periods (week, month, quarter): period 0 is the calendar period of the first
order. A cohort too young to have reached period *n* by ``as_of`` is blank, not zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.analyses.explore import promotion_or_none
from helpers.analyses.filters import evaluate
from helpers.core.privacy import fold_small, marker, suppress_rows, suppress_small, too_few
from helpers.data.dataset import NO_PROFILE
from helpers.data.engine import Engine, end_of
from helpers.params.schema import display_values, label_of
from helpers.params.wording import label_in_sentence

PERIODS = ("week", "month", "quarter")


MONDAY = dt.date(1970, 1, 5)


ALL = "All customers"


def period_index(ts: ir.Value, period: str) -> ir.IntegerValue:
    """An integer per calendar period (both dates truncated first, so engines agree)."""
    d = ts.date() if ts.type().is_timestamp() else ts
    if period == "month":
        return d.year() * 12 + d.month() - 1
    if period == "quarter":
        return d.year() * 4 + (d.month() - 1) // 3
    if period == "week":
        return d.truncate("W").delta(ibis.literal(MONDAY), unit="day") // 7
    raise ValueError(f"unknown period '{period}'; use week, month or quarter")


def index_of(day: dt.date, period: str) -> int:
    """The period index of a date (the same numbering as period_index)."""
    if period == "month":
        return day.year * 12 + day.month - 1
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    monday = day - dt.timedelta(days=day.weekday())
    return (monday - MONDAY).days // 7


def start_of(index: int, period: str) -> pd.Timestamp:
    """The first day of a period index."""
    if period == "month":
        return pd.Timestamp(index // 12, index % 12 + 1, 1)
    if period == "quarter":
        return pd.Timestamp(index // 4, (index % 4) * 3 + 1, 1)
    return pd.Timestamp(MONDAY) + pd.Timedelta(weeks=index)


def with_groups(engine: Engine, table: ir.Table, groups: pd.Series | None) -> ir.Table:
    if groups is None:
        return table.mutate(group=ibis.literal(ALL))
    g = pd.DataFrame({"customer_id": groups.index.astype(str), "group": groups.astype(str)})
    gt = engine.register(g.reset_index(drop=True), "_cohort_groups")
    return table.join(gt, "customer_id")


def activity(orders: ir.Table, as_of: dt.date, period: str) -> ir.Table:
    """One row per customer and period with activity or revenue: cohort, period offset n, revenue
    and ``active`` (1 when the customer was active in it).

    ``orders`` are orders (every row is activity), or an activity stream with an ``active``
    column (usage events, active = 1, beside invoices, active = 0; see `helpers.data.events`): the
    cohort is the first active period, and revenue counts whether or not the period was active.
    """
    o = orders.filter(orders.order_ts < end_of(as_of))
    if "active" not in o.columns:
        o = o.mutate(active=ibis.literal(1).cast("int64"))
    o = o.mutate(p=period_index(o.order_ts, period))
    first = o.group_by("customer_id").aggregate(cohort=o.p.min(where=o.active == 1))
    act = (
        o.join(first, "customer_id")
        .group_by(["customer_id", "cohort", "p"])
        .aggregate(revenue=o.amount.sum(), active=o.active.max())
    )
    act = act.mutate(n=act.p - act.cohort)
    return act.filter(act.n >= 0)


@dataclass
class Retention:
    """Cohort retention in long form: one row per group, cohort and period offset."""

    cells: pd.DataFrame
    period: str
    definition: str
    basis: str = "orders"  # what counts as active: orders, or usage events

    @property
    def since(self) -> str:
        """What period 0 is, in words (for chart axes)."""
        return "the start" if self.basis == "events" else "the first order"

    def _shown(self, group: str, min_cell: int) -> pd.DataFrame:
        """A group's cells, cohorts of fewer than ``min_cell`` customers left out (privacy)."""
        c = self.cells[self.cells["group"] == group]
        return c[c["size"] >= min_cell]

    def _pivot(self, c: pd.DataFrame, value: str) -> pd.DataFrame:
        out = c.pivot(index="cohort", columns="n", values=value)
        out.index = pd.Index([_label(i, self.period) for i in out.index], name="cohort")
        return out

    def hidden(self, value: str = "retention", group: str = ALL, min_cell: int = 0) -> pd.DataFrame:
        """Which cells of :meth:`matrix` are hidden (privacy): those of fewer than ``min_cell``
        active customers (a cell of no one stays), in the cohorts large enough to be shown."""
        c = self._shown(group, min_cell)
        small = too_few(c["active"], min_cell, c["size"], keep_zero=True)
        return self._pivot(c.assign(_small=small), "_small").fillna(False).astype(bool)

    def matrix(self, value: str = "retention", group: str = ALL, min_cell: int = 0) -> pd.DataFrame:
        """A cohort × period table of one value: blank where a cohort is too young, and where the
        cell rests on fewer than ``min_cell`` customers (privacy: :meth:`hidden`); a cohort of
        fewer than ``min_cell`` customers is left out whole."""
        c = self._shown(group, min_cell)
        small = too_few(c["active"], min_cell, c["size"], keep_zero=True)
        return self._pivot(c.assign(**{value: c[value].mask(small)}), value)

    def matrix_table(self, value: str = "retention", min_cell: int = 0) -> pd.DataFrame:
        """The matrix as a CSV holds it: each cohort's customers, then % in each period; a cell
        (or a whole cohort) of fewer than ``min_cell`` customers shows the marker."""
        c = self.cells[self.cells["group"] == ALL]
        share = 100 * self._pivot(c, value)
        active = self._pivot(c, "active")
        size = self._pivot(c, "size")
        out = suppress_small(share, active, min_cell, keep_zero=True, base=size)
        out.columns = [f"{self.period} {n} %" for n in out.columns]
        sizes = self.sizes().reindex(out.index)
        out.insert(0, "customers", sizes.astype(object).where(sizes >= min_cell, marker(min_cell)))
        return out

    def sizes(self, group: str = ALL, min_cell: int = 0) -> pd.Series:
        """Customers in each cohort (those of at least ``min_cell``)."""
        c = self._shown(group, min_cell)
        c = c[c["n"] == 0]
        return pd.Series(
            c["size"].to_numpy(), index=[_label(i, self.period) for i in c["cohort"]], name="customers"
        )

    def privacy_note(self, min_cell: int, group: str = ALL) -> str:
        """What the privacy minimum hid in the cohort table, in words ("" when nothing)."""
        c = self.cells[self.cells["group"] == group]
        small = c.loc[c["n"] == 0, "size"] < min_cell
        cells = int(self.hidden(group=group, min_cell=min_cell).to_numpy().sum())
        parts = []
        if cells:
            parts.append(
                f"{cells} cell{'s' if cells > 1 else ''} of fewer than {min_cell} active "
                f"{'people' if self.basis == 'events' else 'customers'} "
                f"{'are' if cells > 1 else 'is'} hidden (hatched and marked "
                f"{marker(min_cell)} in the chart and the CSV table)"
            )
        if small.any():
            k = int(small.sum())
            parts.append(
                f"{k} cohort{'s' if k > 1 else ''} of fewer than {min_cell} "
                f"{'is' if k == 1 else 'are'} not shown"
            )
        return f"*Privacy: {'; '.join(parts)}.*" if parts else ""

    def curve(self, min_cell: int = 0) -> pd.DataFrame:
        """Retention per period offset, pooled over cohorts old enough (weighted by size); a point
        of fewer than ``min_cell`` active customers, or pooled over fewer, is blank (privacy)."""
        c = self.cells.dropna(subset=["retention"])
        g = c.groupby(["group", "n"]).agg(
            active=("active", "sum"), size=("size", "sum"), revenue=("revenue", "sum")
        )
        g["retention"] = g["active"] / g["size"]
        g["revenue_per_customer"] = g["revenue"] / g["size"]
        small = too_few(g["active"], min_cell, g["size"], keep_zero=True)
        g[["retention", "revenue_per_customer"]] = g[["retention", "revenue_per_customer"]].mask(
            small, axis=0
        )
        return g.reset_index()

    def at(self, periods: list[int], min_cell: int = 0) -> pd.DataFrame:
        """Pooled retention at chosen offsets, one row per group (blank where hidden)."""
        curve = self.curve(min_cell)
        out = curve[curve["n"].isin(periods)].pivot(index="group", columns="n", values="retention")
        return out.reindex(columns=periods)

    def table_at(self, periods: list[int], min_cell: int) -> pd.DataFrame:
        """:meth:`at` as published: % active in each named period, with the group's customers;
        a share that rests on fewer active customers than the privacy minimum (or on a group of
        fewer) is hidden."""
        curve = self.curve()
        part = curve[curve["n"].isin(periods)]
        share = 100 * part.pivot(index="group", columns="n", values="retention").reindex(columns=periods)
        active = part.pivot(index="group", columns="n", values="active").reindex(columns=periods)
        size = part.pivot(index="group", columns="n", values="size").reindex(columns=periods)
        out = suppress_small(share, active, min_cell, keep_zero=True, base=size)
        out.columns = [f"active in {self.period} {n} %" for n in periods]
        first = self.cells[self.cells["n"] == 0]
        out.insert(0, "customers", first.groupby("group")["size"].sum().reindex(out.index))
        out.index.name = "group"
        return suppress_rows(out, "customers", min_cell)

    @property
    def groups(self) -> list[str]:
        """The groups in this table."""
        return list(dict.fromkeys(self.cells["group"]))


def _label(index: int, period: str) -> str:
    start = start_of(int(index), period)
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m-%d}"


def _active_by_period(engine: Engine, act: ir.Table) -> pd.DataFrame:
    # act has one row per customer and period, active 0 or 1, so a sum counts active customers
    return engine.execute(
        act.group_by(["group", "cohort", "n"]).aggregate(active=act.active.sum(), revenue=act.revenue.sum())
    )


def retention(
    engine: Engine,
    orders: ir.Table,
    as_of: dt.date,
    period: str = "month",
    definition: str = "on",
    groups: pd.Series | None = None,
    max_periods: int | None = None,
) -> Retention:
    """Cohort retention of customers and revenue, optionally split by a customer-level group."""
    act = with_groups(engine, engine.reuse(activity(orders, as_of, period)), groups)
    by_last = pd.DataFrame(columns=["group", "cohort", "last_n", "k"])
    if definition == "on":
        by_n = _active_by_period(engine, act)
    else:  # two aggregations: materialise the activity rows once
        with engine.materialised(act) as act:
            by_n = _active_by_period(engine, act)
            last = act.group_by(["group", "customer_id", "cohort"]).aggregate(
                last_n=act.n.max(where=act.active == 1)
            )
            by_last = engine.execute(last.group_by(["group", "cohort", "last_n"]).aggregate(k=last.count()))
    now = index_of(as_of, period)
    rows = []
    for (group, cohort), part in by_n.groupby(["group", "cohort"]):
        size = int(part.loc[part["n"] == 0, "active"].sum())
        age = now - int(cohort)
        top = age if max_periods is None else min(age, max_periods)
        active = part.set_index("n")["active"].reindex(range(top + 1), fill_value=0)
        revenue = part.set_index("n")["revenue"].reindex(range(top + 1), fill_value=0.0)
        lasts = by_last[(by_last["group"] == group) & (by_last["cohort"] == cohort)]
        later = lasts.set_index("last_n")["k"].reindex(range(age + 1), fill_value=0)
        on_or_after = later[::-1].cumsum()[::-1]
        for n in range(top + 1):
            kept = int(active[n]) if definition == "on" else int(on_or_after[n])
            rows.append(
                {
                    "group": group,
                    "cohort": int(cohort),
                    "n": n,
                    "size": size,
                    "active": kept,
                    "retention": kept / size if size else np.nan,
                    "revenue": float(revenue[n]),
                    "revenue_per_customer": float(revenue[n]) / size if size else np.nan,
                }
            )
    cells = pd.DataFrame(
        rows,
        columns=["group", "cohort", "n", "size", "active", "retention", "revenue", "revenue_per_customer"],
    )
    first = cells[cells["n"] == 0].set_index(["group", "cohort"])["revenue"]
    base = first.reindex(list(zip(cells["group"], cells["cohort"], strict=True))).to_numpy()
    # a cohort without revenue in its first period (trials that pay later) has no revenue retention
    cells["revenue_retention"] = cells["revenue"].to_numpy() / np.where(base > 0, base, np.nan)
    basis = "events" if "active" in orders.columns else "orders"
    return Retention(
        cells.sort_values(["group", "cohort", "n"], ignore_index=True), period, definition, basis
    )


@dataclass
class IntakeEnd:
    """A sample whose new buyers stop arriving before its orders do (a panel drawn once)."""

    first: pd.Timestamp  # the first month with new buyers
    last: pd.Timestamp  # the last month with new buyers
    last_order: pd.Timestamp  # the last month with orders
    buyers: int  # the buyers taken in
    later: int = 0  # the few first orders after the last month of intake

    @property
    def months_after(self) -> int:
        """Months with orders but no new buyers."""
        return (self.last_order.year - self.last.year) * 12 + self.last_order.month - self.last.month


def intake_ended(
    engine: Engine, orders: ir.Table | None, as_of: dt.date, min_after: int = 2, trickle: float = 0.01
) -> IntakeEnd | None:
    """When new buyers stop arriving at least ``min_after`` months before the last orders (fewer
    than ``trickle`` of all buyers arrive after, each of those months under 2% of the busiest
    month's intake), the sample's intake ended; None when buyers keep arriving."""
    if orders is None:
        return None
    o = orders.filter(orders.order_ts < end_of(as_of))
    o = o.mutate(p=period_index(o.order_ts, "month"))
    starts = o.p.min(where=o.active == 1) if "active" in o.columns else o.p.min()
    first = o.group_by("customer_id").aggregate(first=starts)
    new = engine.execute(first.group_by("first").aggregate(new=first.count()))
    last_p = engine.execute(o.aggregate(last=o.p.max()))["last"].iloc[0]
    new = new.dropna()
    if new.empty or pd.isna(last_p):
        return None
    months = pd.Series(0, index=range(int(new["first"].min()), int(last_p) + 1), dtype=int)
    months.loc[new["first"].astype(int).to_numpy()] = new["new"].to_numpy()
    busy = months >= max(1, 0.02 * months.max())
    end = int(months.index[busy.to_numpy()][-1])
    after = int(months[months.index > end].sum())
    if int(last_p) - end < min_after or after > trickle * months.sum():
        return None
    return IntakeEnd(
        start_of(int(months.index[0]), "month"),
        start_of(end, "month"),
        start_of(int(last_p), "month"),
        int(months.sum()),
        after,
    )


def intake_sentence(end: IntakeEnd) -> str:
    """Why orders fall in a sample whose intake ended: not a trend, and no peak."""
    span = f"{end.first:%B %Y}" if end.first == end.last else f"{end.first:%B}–{end.last:%B %Y}"
    if end.first.year != end.last.year:
        span = f"{end.first:%B %Y}–{end.last:%B %Y}"
    which = f"all but {end.later:,} of the" if end.later else "all"
    return (
        f"**New buyers were taken in only until {end.last:%B %Y}** ({which} {end.buyers:,} first "
        f"orders fall in {span}); the orders of the {end.months_after} months after come from "
        f"them {'almost ' if end.later else ''}alone, "
        "so the fall in orders is how the sample was cut, not a trend or a peak."
    )


def sample_intake(data, params) -> IntakeEnd | None:
    """:func:`intake_ended` on the run's activity (orders, or the usage log's starts)."""
    return intake_ended(data.engine, data.activity, params.as_of)


def split_series(
    frame: pd.DataFrame, id_column: str, values: pd.Series, missing: str = "(not known)", min_cell: int = 0
) -> pd.Series:
    """A customer-level grouping indexed by customer id, for splitting cohorts; groups of fewer
    than ``min_cell`` people are folded into one "Other (small groups)" (privacy)."""
    out = fold_small(display_values(values).fillna(missing), min_cell)
    out.index = frame[id_column].astype(str).to_numpy()
    return out


def split_values(frame: pd.DataFrame, params, name: str) -> pd.Series:
    """A split's group per customer id: a column's values, or a filter as yes/no."""
    id_col = params.columns.id
    if name in params.filters and name not in frame.columns:
        values = evaluate(params.filters[name], frame).map(
            {True: label_of(name, params), False: "everyone else"}
        )
    elif name == params.columns.acquisition.promotion:
        values = promotion_or_none(frame[name])
    else:
        values = frame[name]
    return split_series(frame, id_col, values, min_cell=params.privacy.min_cell)


def split_retention(
    data,
    frame: pd.DataFrame | None,
    params,
    segments: pd.Series | None = None,
) -> dict[str, Retention]:
    """Retention split by each configured column or filter, and by segment when known."""
    cohort_rules = params.cohorts
    if frame is None:
        return {}
    out = {
        name: retention(
            data.engine,
            data.activity,
            params.as_of,
            cohort_rules.period,
            cohort_rules.definition,
            split_values(frame, params, name),
            cohort_rules.max_periods,
        )
        for name in cohort_rules.splits
    }
    if segments is not None:
        out["segment"] = retention(
            data.engine,
            data.activity,
            params.as_of,
            cohort_rules.period,
            cohort_rules.definition,
            segments,
            cohort_rules.max_periods,
        )
    return out


def both_definitions(data, params) -> pd.DataFrame:
    """The pooled retention curve under both definitions, for one chart (points of fewer people
    than the privacy minimum blank)."""
    cohort_rules = params.cohorts
    curves = [
        retention(
            data.engine,
            data.activity,
            params.as_of,
            cohort_rules.period,
            d,
            max_periods=cohort_rules.max_periods,
        )
        .curve(params.privacy.min_cell)
        .assign(group=words)
        for d, words in (("on", "active in that period"), ("on_or_after", "active in it or later"))
    ]
    return pd.concat(curves, ignore_index=True)


def reading_note(ret: Retention) -> str:
    """How to read the retention tables and charts: the period and the definition, in words."""
    did = "was active" if ret.basis == "events" else "ordered"
    very = f"{did} in that very" if ret.definition == "on" else f"{did} in that {ret.period} or any later"
    first = "start (the first start event in the usage log)" if ret.basis == "events" else "first order"
    return (
        f"Each column is a {ret.period} after the {ret.period} of the {first}; a cell is the share "
        f"of the cohort that {very} {ret.period}."
    )


def split_note(by_split: dict[str, Retention]) -> str:
    """What the page says when no split can be made (nothing when there are splits)."""
    return "" if by_split else f"_{NO_PROFILE}_"


def split_title(name: str, params) -> str:
    """The title of a split's retention chart: the split's label, not its key."""
    return f"Retention by {label_in_sentence(name, params)}"
