"""Step 4, the stick point: the early action after which customers (or accounts) stay.

One search, whether the run counts orders or the actions of a usage log:

- each customer followed long enough is counted by how often they did each early action in the
  first ``window_days`` days after their start (their first order, or the log's start event);
- staying means ordering again (or an active event) between ``outcome_days[0]`` and
  ``outcome_days[1]`` days after the start;
- every action and every threshold (k or more times) is tried that leaves at least the privacy
  minimum, and ``min_share`` of everyone followed, on **each** side;
- each lift (share staying at or above the threshold minus the share below it) gets Newcomb's
  interval at a Bonferroni-corrected level (95% over all the thresholds tried), so that trying
  many thresholds does not announce noise;
- the stick point is the strongest threshold whose interval excludes no lift.

:func:`find` reads the parameters and returns one :class:`StickPoint`, which gives its
own sentence, table and chart levels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers.analyses.explore import unit_word
from helpers.core.privacy import marker, too_few
from helpers.data.dataset import Dataset
from helpers.data.engine import Engine, end_of
from helpers.data.events import start_times
from helpers.params.config import Params
from helpers.params.schema import label_of

LIFT_COLUMNS = [
    "threshold",
    "customers at or above",
    "retention at or above",
    "retention below",
    "lift",
    "lift low",
    "lift high",
    "ratio",
]
ALPHA = 0.05  # over all thresholds tried

# a stick point is weak, and said to be, when few reach it or most who reach it still leave
WEAK_REACH = 0.10  # reached by fewer than this share of the units followed
WEAK_REACHED = 30  # or by fewer units than this
WEAK_STAY = 0.50  # or fewer than this share of those at or past it stay


def lift_row(threshold: int, n1: int, c1: int, n0: int, c0: int, alpha: float = ALPHA) -> dict[str, float]:
    """Retention at or above a threshold against below it: the lift (difference of the two
    shares) with Newcomb's interval at level 1 - alpha, and the ratio."""
    low, high = confint_proportions_2indep(c1, n1, c0, n0, compare="diff", method="newcomb", alpha=alpha)
    return {
        "threshold": int(threshold),
        "customers at or above": n1,
        "retention at or above": c1 / n1,
        "retention below": c0 / n0,
        "lift": c1 / n1 - c0 / n0,
        "lift low": low,
        "lift high": high,
        "ratio": (c1 / n1) / (c0 / n0) if c0 else np.nan,
    }


def _share(x: float) -> str:
    """A share in words: one decimal under 10% (3.8%), whole percent above."""
    return f"{100 * x:.1f}%" if 100 * x < 9.95 else f"{100 * x:.0f}%"


def is_weak(reached: int, total: int, staying: float) -> bool:
    """Whether a stick point is weak: few reach it, or most of those who do still leave."""
    return reached < max(WEAK_REACHED, WEAK_REACH * total) or staying < WEAK_STAY


def weak_words(
    reached: int, total: int, staying: float, below: float, who: str, stays: str, leaves: str
) -> str | None:
    """Why a stick point is weak, in plain sentences (None when it is not): how few reach it and
    how many of them still leave; never a finding to act on."""
    if not total or not is_weak(reached, total, staying):
        return None
    few = reached < max(WEAK_REACHED, WEAK_REACH * total)
    share = _share(reached / total)
    reach = f"{'Only ' if few else ''}{share} of {who} ({reached:,} of {total:,}) reach it"
    if staying < WEAK_STAY:
        after = f"{100 * (1 - staying):.0f}% of them {leaves}"
        after += f", against {100 * (1 - below):.0f}% of those below it"
    else:
        after = f"{100 * staying:.0f}% of them {stays}, against {100 * below:.0f}% of those below it"
    if few and staying < WEAK_STAY:
        why = "Too few reach it, and most who do still leave"
    elif few:
        why = "Too few reach it"
    else:
        why = "Most who reach it still leave"
    return (
        f"{reach[0].upper()}{reach[1:]}, and {after}. {why}: a description of a few, not a finding to act on."
    )


# --- the result -----------------------------------------------------------------------------------


@dataclass
class StickPoint:
    """The search: per early action, staying by how often it was done, and the best threshold."""

    levels: dict[str, pd.DataFrame]  # per action and level: customers, retained, retention
    thresholds: dict[str, pd.DataFrame]  # per action and threshold tried: LIFT_COLUMNS
    per_action: pd.DataFrame  # each action's strongest threshold, strongest first
    best_action: str | None  # the stick point's action (the strongest tried when none is found)
    best: int
    found: bool  # the best threshold's corrected interval excludes no lift
    window_days: int
    outcome_days: tuple[int, int]
    tried: int  # thresholds tried, for the correction
    basis: str = "orders"  # or "events": what the actions and staying are counted from
    unit: str = "customers"
    total: int = 0  # the customers (accounts) followed long enough to judge
    labels: dict[str, str] = field(default_factory=dict)  # every action tried, in words
    spend_step: float | None = None  # with `action: spend`: a level is this much spend

    @property
    def label(self) -> str:
        """The stick point's action in words."""
        return self.labels.get(self.best_action, "") if self.best_action else ""

    @property
    def level(self) -> float:
        """The interval level of every lift shown, in percent (95% split over the thresholds tried)."""
        return 100 * (1 - ALPHA / max(self.tried, 1))

    @property
    def axis(self) -> str:
        """What the chart's axis counts."""
        return self.label if self.basis == "orders" else f"{self.label} (times)"

    def best_row(self) -> pd.Series:
        """The stick point's threshold: its shares, lift and interval."""
        return self.per_action.loc[self.best_action]

    def sentence(self) -> str:
        """The stick point in one sentence, with its interval, or why none is announced."""
        return order_sentence(self) if self.basis == "orders" else action_sentence(self)

    def table(self, min_cell: int = 0) -> pd.DataFrame:
        """For one action every threshold tried, for several each action's best, in percentage points
        (a figure resting on fewer people than ``min_cell`` shows the marker)."""
        if self.basis == "orders":
            return threshold_table(self, min_cell)
        return action_table(self, min_cell)

    def table_title(self) -> str:
        """The title of :meth:`table`."""
        if self.basis == "orders":
            return "Every threshold: retention at or above vs below"
        return "Every action tried: its strongest threshold, staying active at or above vs below"

    def chart_levels(self, min_cell: int) -> pd.DataFrame:
        """The best action's levels (customers, share staying); a level whose share rests on fewer
        people than ``min_cell`` (in it, or staying) is left out."""
        if self.best_action is None:
            return pd.DataFrame(columns=["customers", "retained", "retention"])
        lv = self.levels[self.best_action]
        lv = lv[~too_few(lv["retained"], min_cell, lv["customers"], keep_zero=True)]
        if self.spend_step:
            lv = lv.copy()
            lv.index = [f"{int(i * self.spend_step)}–{int((i + 1) * self.spend_step)}" for i in lv.index]
        return lv


# --- the one search --------------------------------------------------------------------------------


def search(
    levels: dict[str, pd.DataFrame], max_level: int, min_share: float, min_cell: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, int]:
    """Every threshold of every action with enough people on each side, its lift and corrected
    interval; each action's strongest; the number tried."""
    sides = {}
    for action, lv in levels.items():
        n_all, r_all = int(lv["customers"].sum()), int(lv["retained"].sum())
        floor = max(1, min_cell, min_share * n_all)  # both sides large enough to show
        lowest = int(lv.index.min()) if len(lv) else 0
        for k in range(lowest + 1, max_level + 1):
            at_or_above = lv[lv.index >= k]
            n1, c1 = int(at_or_above["customers"].sum()), int(at_or_above["retained"].sum())
            if min(n1, n_all - n1) >= floor:
                sides[(action, k)] = (n1, c1, n_all - n1, r_all - c1)
    tried = len(sides)
    rows = [{"action": a, **lift_row(k, *counts, ALPHA / max(tried, 1))} for (a, k), counts in sides.items()]
    table = pd.DataFrame(rows, columns=["action", *LIFT_COLUMNS])
    thresholds = {
        a: part.drop(columns="action").set_index("threshold") for a, part in table.groupby("action")
    }
    strongest = table.sort_values("lift", ascending=False, kind="stable").drop_duplicates("action")
    return thresholds, strongest.set_index("action"), tried


def choose(per_action: pd.DataFrame) -> tuple[str | None, int, bool]:
    """The stick point: the strongest threshold whose interval excludes no lift (else the strongest)."""
    clear = per_action[per_action["lift low"] > 0]
    found = len(clear) > 0
    best = str(clear.index[0]) if found else (str(per_action.index[0]) if len(per_action) else None)
    return best, int(per_action.loc[best, "threshold"]) if best is not None else 0, found


def order_levels(
    engine: Engine,
    orders: ir.Table,
    as_of: dt.date,
    action: str,
    window_days: int,
    outcome_days: tuple[int, int],
    max_level: int,
    spend_step: float,
) -> pd.DataFrame:
    """Buyers followed long enough, by how far they got in their first days (``orders``,
    ``active_days`` or ``spend`` in steps of ``spend_step``, the first order included), and how
    many of each ordered again in the outcome window."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    o = o.mutate(day=o.order_ts.date())
    first = o.group_by("customer_id").aggregate(first=o.day.min())
    j = o.join(first, "customer_id")
    j = j.mutate(since=j.day.delta(j.first, unit="day"))
    early = j.since < window_days
    measure = {
        "orders": j.count(where=early),
        "active_days": j.day.nunique(where=early),
        "spend": j.amount.sum(where=early),
    }[action]
    per = j.group_by(["customer_id", "first"]).aggregate(
        level=measure, later=j.count(where=(j.since >= outcome_days[0]) & (j.since < outcome_days[1]))
    )
    per = per.filter(per.first <= as_of - dt.timedelta(days=outcome_days[1]))
    lvl = (per.level / spend_step).floor().cast("int64") if action == "spend" else per.level
    per = per.mutate(level=ibis.least(lvl, max_level), retained=(per.later > 0).cast("int64"))
    levels = engine.execute(
        per.group_by("level").aggregate(customers=per.count(), retained=per.retained.sum())
    ).sort_values("level")
    levels = levels.set_index("level")
    levels["retention"] = levels["retained"] / levels["customers"]
    return levels


def action_levels(
    data: Dataset,
    window_days: int,
    outcome_days: tuple[int, int],
    max_level: int,
    event_types: list[str] | None,
) -> dict[str, pd.DataFrame]:
    """Per event type (every action but the milestones, or those given): the units followed long
    enough by how often they did it in their first days, and how many of each stayed active."""
    params = data.params
    cols = params.events
    assert data.events is not None and cols is not None
    engine, log = data.engine, data.events
    starts = start_times(log, params)
    t = log.table.join(starts, "customer_id")
    t = t.filter(t.event_ts >= t.start_ts)
    t = t.mutate(since=t.event_ts.date().delta(t.start_ts.date(), unit="day"))
    lo, hi = outcome_days
    active = t.event_type.isin(cols.active) if cols.active else ibis.literal(True)
    ready = starts.filter(starts.start_ts < end_of(params.as_of - dt.timedelta(days=hi)))
    later = t.filter(active & (t.since >= lo) & (t.since < hi))
    outcome = later.group_by("customer_id").aggregate(later=later.count())
    units = ready.left_join(outcome, "customer_id")
    units = engine.reuse(
        units.select(customer_id=units.customer_id, retained=units.later.notnull().cast("int64"))
    )
    totals = engine.execute(units.aggregate(n=units.count(), r=units.retained.sum()))
    n_all, r_all = int(totals["n"].iloc[0]), int(totals["r"].iloc[0] or 0)
    milestones = {*cols.start, *cols.trial, *cols.paid}
    searched = event_types or [k for k in log.types.index if k not in milestones]
    early = t.filter((t.since < window_days) & t.event_type.isin(searched))
    counts = early.group_by(["customer_id", "event_type"]).aggregate(level=early.count())
    counts = counts.join(units, "customer_id")
    counts = counts.mutate(level=ibis.least(counts.level, max_level))
    per_level = engine.execute(
        counts.group_by(["event_type", "level"]).aggregate(
            customers=counts.count(), retained=counts.retained.sum()
        )
    )
    levels: dict[str, pd.DataFrame] = {}
    for kind in searched:
        part = per_level[per_level["event_type"] == kind].set_index("level")[["customers", "retained"]]
        rest = {
            "customers": [n_all - int(part["customers"].sum())],
            "retained": [r_all - int(part["retained"].sum())],
        }
        lv = pd.concat([pd.DataFrame(rest, index=[0]), part.astype(int)]).sort_index()
        lv = lv[lv["customers"] > 0]
        lv["retention"] = lv["retained"] / lv["customers"]
        lv.index.name = "level"
        levels[kind] = lv
    return levels


def result(
    levels: dict[str, pd.DataFrame],
    window_days: int,
    outcome_days: tuple[int, int],
    max_level: int,
    min_share: float,
    min_cell: int,
    **words: object,
) -> StickPoint:
    """The search over ``levels`` and its choice, as one :class:`StickPoint` (``words``: its basis,
    unit, labels and spend step)."""
    words.setdefault("labels", {a: a.replace("_", " ") for a in levels})
    thresholds, per_action, tried = search(levels, max_level, min_share, min_cell)
    best_action, best, found = choose(per_action)
    total = int(next(iter(levels.values()))["customers"].sum()) if levels else 0
    return StickPoint(
        levels,
        thresholds,
        per_action,
        best_action,
        best,
        found,
        window_days,
        tuple(outcome_days),
        tried,
        total=total,
        **words,  # type: ignore[arg-type]
    )


def on_orders(
    engine: Engine,
    orders: ir.Table,
    as_of: dt.date,
    action: str = "orders",
    window_days: int = 60,
    outcome_days: tuple[int, int] = (180, 365),
    max_level: int = 8,
    spend_step: float = 50.0,
    min_share: float = 0.05,
    min_cell: int = 0,
) -> StickPoint:
    """The stick point on orders: ``action`` (orders, active days or spend) in the first days."""
    levels = order_levels(engine, orders, as_of, action, window_days, outcome_days, max_level, spend_step)
    return result(
        {action: levels},
        window_days,
        outcome_days,
        max_level,
        min_share,
        min_cell,
        labels={action: action.replace("_", " ")},
        spend_step=spend_step if action == "spend" else None,
    )


def on_actions(
    data: Dataset,
    window_days: int = 14,
    outcome_days: tuple[int, int] = (90, 120),
    max_level: int = 8,
    min_share: float = 0.05,
    event_types: list[str] | None = None,
    min_cell: int = 0,
) -> StickPoint:
    """The stick point searched over every action of the usage log (or ``event_types``)."""
    levels = action_levels(data, window_days, outcome_days, max_level, event_types)
    params = data.params
    return result(
        levels,
        window_days,
        outcome_days,
        max_level,
        min_share,
        min_cell,
        basis="events",
        unit=unit_word(params),
        labels={k: label_of(k, params) for k in levels},
    )


def find(data: Dataset, params: Params) -> StickPoint:
    """The stick point the parameters ask for: on orders, or searched over the usage log's actions."""
    sp, min_cell = params.cohorts.stick_point, params.privacy.min_cell
    if sp.action == "events" or (data.orders is None and data.events is not None):  # no orders: actions
        return on_actions(
            data, sp.window_days, sp.outcome_days, sp.max_level, sp.min_share, sp.events or None, min_cell
        )
    return on_orders(
        data.engine, data.orders, params.as_of, **sp.model_dump(exclude={"events"}), min_cell=min_cell
    )


# --- the sentence and the table ----------------------------------------------------------------------


def order_sentence(sp: StickPoint) -> str:
    """The stick point on orders in one sentence, or why none is announced."""
    if sp.best_action is None:
        return (
            "Too few customers have been with us long enough, or no threshold leaves enough on "
            "each side, to find a stick point."
        )
    t, what, (lo, hi) = sp.best_row(), sp.label, sp.outcome_days
    ci = f"{sp.level:.2f}% interval, corrected for the {sp.tried} thresholds tried"
    if not sp.found:
        return (
            f"**No stick point found:** no threshold of {what} within {sp.window_days} days of the "
            f"first order raises retention clearly (the best, {sp.best}, has a lift of "
            f"{100 * t['lift']:.0f} points, {ci}: {100 * t['lift low']:.0f} to {100 * t['lift high']:.0f})."
        )
    level = sp.best if sp.spend_step is None else f"{sp.best} spend steps"
    weak = weak_words(
        int(t["customers at or above"]),
        sp.total,
        float(t["retention at or above"]),
        float(t["retention below"]),
        "buyers",
        f"order again {lo}–{hi} days after their first order",
        f"still do not order again {lo}–{hi} days after their first order",
    )
    if weak:
        return (
            f"**A weak stick point: {level} {what} within {sp.window_days} days** of the first order. {weak}"
        )
    return (
        f"**Stick point: {level} {what} within {sp.window_days} days** of the first order. "
        f"{100 * t['retention at or above']:.0f}% of customers who get there order again "
        f"{lo}–{hi} days after their first order, against "
        f"{100 * t['retention below']:.0f}% of those who do not: {100 * t['lift']:.0f} points more "
        f"({ci}: {100 * t['lift low']:.0f}–{100 * t['lift high']:.0f}), "
        f"{t['ratio']:.1f} times as many."
    )


def action_sentence(sp: StickPoint) -> str:
    """The stick point on a usage log's actions in one sentence, or why none is announced."""
    lo, hi = sp.outcome_days
    if sp.best_action is None:
        return (
            f"Too few {sp.unit} have been with us for {hi} days, or no action leaves enough on "
            "each side of a threshold, to look for a stick point."
        )
    t, what = sp.best_row(), sp.label
    if not sp.found:
        return (
            f"**No stick point found:** {sp.tried} thresholds of {len(sp.levels)} actions in "
            f"the first {sp.window_days} days were tried, and none raises the share still active "
            f"{lo}–{hi} days later beyond what chance gives (the strongest, *{what}* {sp.best} or more "
            f"times, has a lift of {100 * t['lift']:.0f} points, corrected interval "
            f"{100 * t['lift low']:.0f} to {100 * t['lift high']:.0f})."
        )
    weak = weak_words(
        int(t["customers at or above"]),
        sp.total,
        float(t["retention at or above"]),
        float(t["retention below"]),
        sp.unit,
        f"are still active {lo}–{hi} days after they started",
        f"are no longer active {lo}–{hi} days after they started",
    )
    if weak:
        head = f"*{what}* {sp.best} or more times in the first {sp.window_days} days"
        return f"**A weak stick point: {head}.** {weak}"
    return (
        f"**Stick point: *{what}* {sp.best} or more times in the first {sp.window_days} days.** "
        f"{100 * t['retention at or above']:.0f}% of the {sp.unit} that get there are still active "
        f"{lo}–{hi} days after they started, against {100 * t['retention below']:.0f}% of those that do "
        f"not: {100 * t['lift']:.0f} points more (interval {100 * t['lift low']:.0f}–"
        f"{100 * t['lift high']:.0f}, corrected for the {sp.tried} thresholds tried), "
        f"{t['ratio']:.1f} times as many."
    )


def thin_thresholds(t: pd.DataFrame, total: int, min_cell: int) -> pd.Series:
    """Thresholds whose share staying, on either side, rests on fewer than ``min_cell`` people
    (those who stayed, or the side itself; a count of no one stays): privacy."""
    n1 = t["customers at or above"].astype(float)
    n0 = total - n1
    c1 = (t["retention at or above"] * n1).round()
    c0 = (t["retention below"] * n0).round()
    return too_few(c1, min_cell, n1, keep_zero=True) | too_few(c0, min_cell, n0, keep_zero=True)


def hide_thin(t: pd.DataFrame, thin: pd.Series, min_cell: int, keep: list[str]) -> pd.DataFrame:
    """The marker in every figure of the thin thresholds (``keep``: columns left as they are)."""
    if not thin.any():
        return t
    out = t.astype(object)
    out.loc[thin.to_numpy(), [c for c in out.columns if c not in keep]] = marker(min_cell)
    return out


def _in_points(t: pd.DataFrame) -> pd.DataFrame:
    """Shares and lifts in percentage points."""
    for col in ("retention at or above", "retention below", "lift", "lift low", "lift high"):
        t[col] = 100 * t[col]
    return t


def threshold_table(sp: StickPoint, min_cell: int = 0) -> pd.DataFrame:
    """Every threshold of the one action tried on orders, in percentage points."""
    t = (
        sp.thresholds.get(sp.best_action, pd.DataFrame(columns=LIFT_COLUMNS[1:])).copy()
        if sp.best_action
        else None
    )
    if t is None:
        t = pd.DataFrame(columns=LIFT_COLUMNS).set_index("threshold")
    thin = thin_thresholds(t, sp.total, min_cell)
    t = hide_thin(_in_points(t), thin, min_cell, ["customers at or above"])
    t.index.name = f"{next(iter(sp.labels.values()), 'orders')} in {sp.window_days} days"
    return t.rename(
        columns={
            "retention at or above": "retained at or above %",
            "retention below": "retained below %",
            "lift": "lift (points)",
            "lift low": f"lift, {sp.level:.2f}% CI low",
            "lift high": f"lift, {sp.level:.2f}% CI high",
        }
    )


def action_table(sp: StickPoint, min_cell: int = 0) -> pd.DataFrame:
    """Each event type's best threshold, in percentage points, strongest first."""
    t = sp.per_action.copy()
    thin = thin_thresholds(t, sp.total, min_cell)
    t.index = pd.Index([sp.labels.get(k, k) for k in t.index], name="action")
    t = hide_thin(_in_points(t), thin, min_cell, ["threshold", "customers at or above"])
    return t.rename(
        columns={
            "threshold": f"times in the first {sp.window_days} days",
            "customers at or above": f"{sp.unit} at or above",
            "retention at or above": "still active at or above %",
            "retention below": "still active below %",
            "lift": "lift (points)",
            "lift low": f"lift, {sp.level:.2f}% CI low",
            "lift high": f"lift, {sp.level:.2f}% CI high",
        }
    )
