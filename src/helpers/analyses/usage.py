"""Step 4 on a usage log: trial-to-paid conversion, and the stick point searched over actions.

The counting runs in the engine (`helpers.data.events` reads the log); only per-type, per-level and
per-group tables come back. Conversion and lift intervals are statsmodels' (Wilson and Newcomb).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from helpers.analyses.explore import unit_word
from helpers.core.privacy import fold_small, marker, suppress_rows, too_few
from helpers.data.dataset import Dataset
from helpers.data.engine import end_of
from helpers.data.events import start_times
from helpers.params.config import Params
from helpers.params.schema import display_values, label_of
from helpers.params.wording import label_in_sentence

TRIALS = "trials"


# --- trial-to-paid conversion ------------------------------------------------------------------


def conversions(data: Dataset, days: int = 30) -> pd.DataFrame:
    """Per unit with a trial old enough to judge: its start month, and whether a paid event
    followed within ``days`` days of the trial's start (``converted``)."""
    params = data.params
    assert params.columns is not None
    u = data.usage()
    if "trial_ts" not in u or "paid_ts" not in u:
        return pd.DataFrame(columns=["customer_id", "cohort", "converted"])
    trial = pd.to_datetime(u["trial_ts"])
    paid = pd.to_datetime(u["paid_ts"])
    cutoff = pd.Timestamp(end_of(params.as_of)) - pd.Timedelta(days=days)
    ready = trial.notna() & (trial < cutoff)
    within = paid.notna() & (paid >= trial) & (paid - trial <= pd.Timedelta(days=days))
    out = pd.DataFrame(
        {
            "customer_id": u["customer_id"].astype(str),
            "cohort": trial.dt.to_period("M").astype(str),
            "converted": within.astype(int),
        }
    )
    return out[ready.to_numpy()].reset_index(drop=True)


def conversion_by(
    conv: pd.DataFrame, groups: pd.Series | None, min_cell: int = 0, name: str = "group"
) -> pd.DataFrame:
    """Trials, converted and the conversion rate with its 95% Wilson interval per group
    (``groups`` indexed by unit id; None: the trial cohort); a group of fewer trials than the
    privacy minimum is hidden."""
    if groups is None:
        g = conv["cohort"]
    else:  # groups of fewer trials than the minimum are folded together, never shown alone
        g = pd.Series(groups.reindex(conv["customer_id"]).to_numpy(), index=conv.index)
        g = fold_small(display_values(g).fillna("(not known)"), min_cell)
    t = conv.assign(_g=g.to_numpy()).groupby("_g")["converted"].agg(["size", "sum"])
    t.columns = [TRIALS, "converted"]
    low, high = proportion_confint(t["converted"], t[TRIALS], method="wilson")
    t["conversion %"] = 100 * t["converted"] / t[TRIALS]
    t["95% CI low"] = 100 * low
    t["95% CI high"] = 100 * high
    t.index.name = name
    if groups is not None:
        t = t.sort_index().sort_values("conversion %", ascending=False, kind="stable")
    big = t[t[TRIALS] >= max(min_cell, 1)]
    if len(big) > 1:
        table = np.column_stack([big["converted"], big[TRIALS] - big["converted"]])
        t.attrs["p"] = float(chi2_contingency(table)[1]) if (table.sum(axis=0) > 0).all() else np.nan
    return suppress_rows(t, TRIALS, min_cell, keep=[])


def conversion_sentence(by: pd.DataFrame, what: str, conv: pd.DataFrame) -> str:
    """The best- and worst-converting groups of a split, with whether the difference is real
    (``conv``: every trial judged, from :func:`conversions`, for the overall rate)."""
    total = len(conv)
    if not total:
        return "No trial is old enough to judge its conversion yet."
    rate = 100 * conv["converted"].mean()
    shown = by[pd.to_numeric(by["conversion %"], errors="coerce").notna()]
    if len(shown) < 2:
        return f"{rate:.0f}% of {total:,} trials converted to paid."
    best, worst = shown.index[0], shown.index[-1]
    p = by.attrs.get("p", np.nan)
    hi, lo = shown.loc[best, "conversion %"], shown.loc[worst, "conversion %"]
    if not p < 0.05:  # no claim of a best group when the differences could be chance
        return (
            f"No {what} converts clearly better: from {lo:.0f}% (**{worst}**) to {hi:.0f}% "
            f"(**{best}**) of trials, differences that could be chance (χ² p = {p:.2g}); "
            f"{rate:.0f}% overall."
        )
    return (
        f"**{best}** converts best: {hi:.0f}% of its trials (95% CI "
        f"{shown.loc[best, '95% CI low']:.0f}–{shown.loc[best, '95% CI high']:.0f}%), against {lo:.0f}% "
        f"for **{worst}** and {rate:.0f}% overall; the differences by {what} are beyond chance "
        f"(χ² p = {p:.2g})."
    )


# --- the stick point on actions ----------------------------------------------------------------


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


def lift_row(threshold: int, n1: int, c1: int, n0: int, c0: int, alpha: float = 0.05) -> dict[str, float]:
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


# a stick point is weak, and said to be, when few reach it or most who reach it still leave
WEAK_REACH = 0.10  # reached by fewer than this share of the units followed
WEAK_REACHED = 30  # or by fewer units than this
WEAK_STAY = 0.50  # or fewer than this share of those at or past it stay


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


@dataclass
class ActionSearch:
    """The stick point searched over event types: the best threshold of each type, and the best
    overall when its interval (corrected for the number of thresholds tried) excludes no lift."""

    per_type: pd.DataFrame  # per event type: best threshold, retention at/above and below, lift, CI
    levels: dict[str, pd.DataFrame]  # per event type and level: units, retained, retention
    thresholds: dict[str, pd.DataFrame]  # per event type and threshold: as `per_type`'s columns
    best_type: str | None
    best: int
    found: bool
    window_days: int
    outcome_days: tuple[int, int]
    tried: int
    unit: str = "accounts"
    total: int = 0
    label: str = ""  # the best event type in words
    labels: dict[str, str] = field(default_factory=dict)  # every event type tried, in words

    @property
    def action(self) -> str:
        """What the chart's axis counts."""
        return f"{self.label} (times)"


def search_actions(
    data: Dataset,
    window_days: int = 14,
    outcome_days: tuple[int, int] = (90, 120),
    max_level: int = 8,
    min_share: float = 0.05,
    event_types: list[str] | None = None,
    min_cell: int = 0,
) -> ActionSearch:
    """Find the early action (an event type done k or more times in the first ``window_days``
    days after the start) after which units stay active best.

    Staying active means an active event between ``outcome_days[0]`` and ``outcome_days[1]``
    days after the start; only units whose outcome window has ended by ``as_of`` count. Every
    event type (or those given) and every threshold 1…``max_level`` is tried; each lift's
    interval is Newcomb's at a Bonferroni-corrected level (95% over all thresholds tried), so a
    search over many actions does not announce noise. A threshold must leave at least
    ``min_share`` of units on each side.
    """
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
    units = units.select(customer_id=units.customer_id, retained=units.later.notnull().cast("int64"))
    units = engine.reuse(units)
    totals = engine.execute(units.aggregate(n=units.count(), r=units.retained.sum()))
    n_all, r_all = int(totals["n"].iloc[0]), int(totals["r"].iloc[0] or 0)
    # by default every action but the milestones the run names (start, trial, paid)
    milestones = {*cols.start, *cols.trial, *cols.paid}
    searched = event_types or [k for k in log.types.index if k not in milestones]
    early = t.filter((t.since < window_days) & t.event_type.isin(searched))
    counts = early.group_by(["customer_id", "event_type"]).aggregate(level=early.count())
    counts = counts.join(units, "customer_id")
    counts = counts.mutate(level=ibis.least(counts.level, max_level))
    per_level = engine.execute(
        counts.group_by(["event_type", "level"]).aggregate(
            units=counts.count(), retained=counts.retained.sum()
        )
    )
    levels: dict[str, pd.DataFrame] = {}
    for kind in searched:
        part = per_level[per_level["event_type"] == kind].set_index("level")[["units", "retained"]]
        zero = pd.DataFrame(
            {"units": [n_all - int(part["units"].sum())], "retained": [r_all - int(part["retained"].sum())]},
            index=[0],
        )
        lv = pd.concat([zero, part.astype(int)]).sort_index()
        lv = lv[lv["units"] > 0]
        lv["retention"] = lv["retained"] / lv["units"]
        lv.index.name = "level"
        levels[kind] = lv
    rows = {}
    for kind, lv in levels.items():
        for k in range(1, max_level + 1):
            n1, c1 = int(lv.loc[lv.index >= k, "units"].sum()), int(lv.loc[lv.index >= k, "retained"].sum())
            n0, c0 = n_all - n1, r_all - c1
            if min(n1, n0) < max(1, min_cell, min_share * n_all):  # both sides large enough to show
                continue
            rows[(kind, k)] = (n1, c1, n0, c0)
    tried = max(len(rows), 1)
    alpha = 0.05 / tried
    out = [{"event type": kind, **lift_row(k, *counts, alpha)} for (kind, k), counts in rows.items()]
    table = pd.DataFrame(out, columns=["event type", *LIFT_COLUMNS])
    thresholds = {
        kind: part.drop(columns="event type").set_index("threshold")
        for kind, part in table.groupby("event type")
    }
    per_type = (
        table.sort_values("lift", ascending=False, kind="stable")
        .drop_duplicates("event type")
        .set_index("event type")
        if len(table)
        else table.set_index("event type")
    )
    clear = per_type[per_type["lift low"] > 0]
    found = len(clear) > 0
    best_type = str(clear.index[0]) if found else (str(per_type.index[0]) if len(per_type) else None)
    best = int(per_type.loc[best_type, "threshold"]) if best_type is not None else 0
    return ActionSearch(
        per_type,
        levels,
        thresholds,
        best_type,
        best,
        found,
        window_days,
        tuple(outcome_days),
        len(rows),
        unit_word(params),
        n_all,
        label_of(best_type, params) if best_type else "",
        {k: label_of(k, params) for k in levels},
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


def action_table(search: ActionSearch, min_cell: int = 0) -> pd.DataFrame:
    """Each event type's best threshold, in percentage points, strongest first (a threshold
    with fewer units at or above it than the privacy minimum is left out)."""
    t = search.per_type.copy()
    t = t[t["customers at or above"] >= min_cell]
    thin = thin_thresholds(t, search.total, min_cell)
    t.index = pd.Index([search.labels.get(k, k) for k in t.index], name="action")
    for col in ("retention at or above", "retention below", "lift", "lift low", "lift high"):
        t[col] = 100 * t[col]
    t = hide_thin(t, thin, min_cell, ["threshold", "customers at or above"])
    level = 100 * (1 - 0.05 / max(search.tried, 1))
    return t.rename(
        columns={
            "threshold": f"times in the first {search.window_days} days",
            "customers at or above": f"{search.unit} at or above",
            "retention at or above": "still active at or above %",
            "retention below": "still active below %",
            "lift": "lift (points)",
            "lift low": f"lift, {level:.2f}% CI low",
            "lift high": f"lift, {level:.2f}% CI high",
        }
    )


def action_sentence(search: ActionSearch) -> str:
    """The stick point on actions in one sentence, or why none is announced."""
    lo, hi = search.outcome_days
    if search.best_type is None:
        return (
            f"Too few {search.unit} have been with us for {hi} days, or no action leaves enough on "
            "each side of a threshold, to look for a stick point."
        )
    t = search.per_type.loc[search.best_type]
    what = search.label
    if not search.found:
        return (
            f"**No stick point found:** {search.tried} thresholds of {len(search.levels)} actions in "
            f"the first {search.window_days} days were tried, and none raises the share still active "
            f"{lo}–{hi} days later beyond what chance gives (the strongest, *{what}* {search.best} or more "
            f"times, has a lift of {100 * t['lift']:.0f} points, corrected interval "
            f"{100 * t['lift low']:.0f} to {100 * t['lift high']:.0f})."
        )
    weak = weak_words(
        int(t["customers at or above"]),
        search.total,
        float(t["retention at or above"]),
        float(t["retention below"]),
        search.unit,
        f"are still active {lo}–{hi} days after they started",
        f"are no longer active {lo}–{hi} days after they started",
    )
    if weak:
        return (
            f"**A weak stick point: *{what}* {search.best} or more times in the first "
            f"{search.window_days} days.** {weak}"
        )
    return (
        f"**Stick point: *{what}* {search.best} or more times in the first {search.window_days} days.** "
        f"{100 * t['retention at or above']:.0f}% of the {search.unit} that get there are still active "
        f"{lo}–{hi} days after they started, against {100 * t['retention below']:.0f}% of those that do "
        f"not: {100 * t['lift']:.0f} points more (interval {100 * t['lift low']:.0f}–"
        f"{100 * t['lift high']:.0f}, corrected for the {search.tried} thresholds tried), "
        f"{t['ratio']:.1f} times as many."
    )


def levels_for_chart(search: ActionSearch, min_cell: int) -> pd.DataFrame:
    """The best action's levels (units and share still active), a level whose share rests on
    fewer units than ``min_cell`` (in it, or still active) left out."""
    if search.best_type is None:
        return pd.DataFrame(columns=["units", "retained", "retention"])
    lv = search.levels[search.best_type]
    lv = lv.rename(columns={"units": "customers"})
    return lv[~too_few(lv["retained"], min_cell, lv["customers"], keep_zero=True)]


def conversion_splits(frame: pd.DataFrame | None, params: Params, max_groups: int = 12) -> list[str]:
    """The columns conversion is split by: the acquisition channel and the firmographic columns
    with at most ``max_groups`` values (numbers such as revenue are left to the banner tables)."""
    if frame is None or params.columns is None:
        return []
    wanted = [params.columns.acquisition.channel, *params.profile_columns("firmographic")]
    return [
        c
        for c in dict.fromkeys(w for w in wanted if w)
        if c in frame and c != "contacts" and frame[c].nunique() <= max_groups
    ]


def in_words(column: str, params: Params) -> str:
    """A column's label inside a sentence."""
    return label_in_sentence(column, params)


def group_values(frame: pd.DataFrame, params: Params, column: str) -> pd.Series:
    """A column's values per unit id (for conversion splits)."""
    assert params.columns is not None
    return pd.Series(frame[column].to_numpy(), index=frame[params.columns.id].astype(str).to_numpy())
