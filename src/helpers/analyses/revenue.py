"""Where revenue comes from: how concentrated it is among the buyers (what the top 1%, 10%, 20%
bring; the Lorenz curve and its Gini coefficient) and each group's share of the buyers against
its share of the revenue ("heavy buyers: 20% of buyers, 58% of revenue").

Per-customer spend comes from the engine's customer summary (one row per buyer); what is done
here is arithmetic on that small table. Figures resting on fewer buyers than the privacy minimum
are hidden, and the Lorenz curve is drawn in steps of at least that many buyers, so that no
point of it is one customer's spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analyses.banners import Column
from helpers.core.privacy import marker

TOP_SHARES = (0.01, 0.05, 0.10, 0.20, 0.50)


@dataclass
class Concentration:
    """How revenue spreads over the buyers."""

    top: pd.DataFrame  # "top of buyers" -> buyers, share of revenue %
    lorenz: pd.DataFrame  # share of buyers (0–1, fewest-spending first) -> share of revenue (0–1)
    gini: float
    buyers: int


def gini(spend: np.ndarray) -> float:
    """The Gini coefficient of spend (0: everyone spends the same; near 1: one buyer brings all)."""
    x = np.sort(np.asarray(spend, dtype=float))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def concentration(spend: pd.Series, min_cell: int) -> Concentration | None:
    """The top shares, the Lorenz curve and the Gini coefficient of the buyers' spend (buyers:
    spend above 0); None without at least two buyers."""
    x = np.sort(pd.to_numeric(spend, errors="coerce").dropna().to_numpy(float))
    x = x[x > 0]
    n = len(x)
    if n < 2:
        return None
    total = x.sum()
    rows = []
    for share in TOP_SHARES:
        people = max(1, int(round(share * n)))
        brought = x[-people:].sum() / total
        rows.append(
            {
                "top of buyers": f"top {100 * share:g}%",
                "buyers": people,
                "share of revenue %": 100 * brought if people >= min_cell else np.nan,
            }
        )
    top = pd.DataFrame(rows).set_index("top of buyers")
    step = max(1, min_cell, n // 100)  # no point of the curve is a handful of buyers
    cut = np.unique(np.r_[np.arange(0, n, step), n])
    cumulative = np.r_[0.0, np.cumsum(x)] / total
    lorenz = pd.DataFrame({"share of buyers": cut / n, "share of revenue": cumulative[cut]})
    return Concentration(top, lorenz, gini(x), n)


def concentration_sentence(c: Concentration | None, who: str = "buyers") -> str:
    """The headline of concentration in one sentence."""
    if c is None:
        return f"*Not enough {who} with a spend to say how revenue spreads over them.*"
    shown = c.top["share of revenue %"].dropna()
    if shown.empty:
        return f"*Too few {who} to show the top shares without showing single {who}.*"
    parts = [
        f"the {label} bring {v:.0f}%"
        for label, v in shown.items()
        if label in ("top 1%", "top 10%", "top 20%")
    ]
    lead = "; ".join(parts) if parts else f"the {shown.index[-1]} bring {shown.iloc[-1]:.0f}%"
    return (
        f"Of the revenue from {c.buyers:,} {who}, {lead} (Gini coefficient {c.gini:.2f}: 0 would be "
        f"everyone spending the same, 1 one {who[:-1] if who.endswith('s') else who} bringing it all)."
    )


def revenue_by_group(spend: pd.Series, columns: list[Column], min_cell: int) -> pd.DataFrame | None:
    """Each group's buyers and revenue against everyone's: share of buyers, share of revenue and
    the revenue index (share of revenue ÷ share of buyers × 100: above 100, a group brings more
    than its number). `spend` is aligned with the masks (0 or missing for non-buyers)."""
    values = pd.to_numeric(spend, errors="coerce").fillna(0).to_numpy(float)
    buyer = values > 0
    buyers, total = int(buyer.sum()), float(values.sum())
    if buyers == 0 or total <= 0:
        return None
    rows = []
    for col in columns:
        if col.complement:
            continue
        mask = np.asarray(col.mask, bool)
        n = int((mask & buyer).sum())
        people_share, revenue_share = n / buyers, values[mask].sum() / total
        small = n < min_cell
        rows.append(
            {
                "banner": col.group,
                "group": col.label,
                "buyers": marker(min_cell) if small else n,
                "share of buyers %": np.nan if small else 100 * people_share,
                "share of revenue %": np.nan if small else 100 * revenue_share,
                "revenue index": np.nan if small or not people_share else 100 * revenue_share / people_share,
            }
        )
    return pd.DataFrame(rows).set_index(["banner", "group"]) if rows else None


def revenue_sentences(table: pd.DataFrame | None, top: int = 3) -> list[str]:
    """The groups whose share of revenue is furthest above their share of buyers, in words."""
    if table is None:
        return []
    shown = table.dropna(subset=["revenue index"])
    shown = shown[shown["revenue index"] >= 120].sort_values("revenue index", ascending=False)
    return [
        f"**{group}** ({banner}): {row['share of buyers %']:.0f}% of buyers, "
        f"{row['share of revenue %']:.0f}% of revenue."
        for (banner, group), row in shown.head(top).iterrows()
    ]


def revenue_by_labels(
    spend: pd.Series, labels: pd.Series | None, group: str, min_cell: int
) -> pd.DataFrame | None:
    """Share of buyers against share of revenue for each value of a label per customer (a
    segment, a persona), both indexed by customer id; None without labels."""
    if labels is None:
        return None
    aligned = labels.reindex(spend.index)
    columns = [
        Column(str(value), group, (aligned == value).to_numpy(bool))
        for value in sorted(aligned.dropna().unique())
    ]
    return revenue_by_group(spend, columns, min_cell)
