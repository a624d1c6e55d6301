"""Step 4 on a usage log: trial-to-paid conversion, and the stick point searched over actions.

The counting runs in the engine (`helpers.data.events` reads the log); only per-type, per-level and
per-group tables come back. Conversion and lift intervals are statsmodels' (Wilson and Newcomb).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import proportion_confint

from helpers.core.privacy import fold_small, suppress_rows
from helpers.data.dataset import Dataset
from helpers.data.engine import end_of
from helpers.params.config import Params
from helpers.params.schema import display_values
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
    return suppress_rows(t, TRIALS, min_cell, keep=[])


def conversion_p(by: pd.DataFrame) -> float:
    """Whether the groups of a split convert differently: the χ² test over the groups shown (a
    group hidden for its size is left out); missing when fewer than two groups are shown or
    every trial converted (or none did)."""
    trials = pd.to_numeric(by[TRIALS], errors="coerce")
    converted = pd.to_numeric(by["converted"], errors="coerce")
    shown = trials.notna() & converted.notna() & (trials >= 1)
    if shown.sum() < 2:
        return np.nan
    table = np.column_stack([converted[shown], trials[shown] - converted[shown]])
    return float(chi2_contingency(table)[1]) if (table.sum(axis=0) > 0).all() else np.nan


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
    p = conversion_p(by)
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
