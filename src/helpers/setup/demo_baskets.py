"""What the demo brand's orders hold: a product category and an order channel per order, returns,
and guest checkouts, with planted truths the products report must find (tests/test_demo.py):

* **A splurge.** Premium loyalists put 45% of their orders into Home (others 8–15%), at their
  own higher order values: their buyers spend far more per head on Home than other buyers do.
* **A category that comes back.** Footwear is returned four to five times as often as anything
  else (:data:`RETURN_RATE`); a return is a row of its own, dated days after the order, with the
  order's amount negative.
* **Guest checkouts.** About 3% more orders with no customer id: in the product and monthly
  totals, in no per-customer figure.

Drawn from a generator of their own, after the rest of the demo, so that every customer, order
and amount the other reports use stays exactly as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = ["Home", "Kitchen", "Outdoor", "Footwear", "Beauty", "Kids"]
# per segment (Bargain hunters, Premium loyalists, Digital trendsetters, Busy families, Eco locals)
CATEGORY_MIX = np.array(
    [
        [0.10, 0.25, 0.10, 0.15, 0.10, 0.30],
        [0.45, 0.15, 0.10, 0.10, 0.15, 0.05],
        [0.08, 0.10, 0.12, 0.30, 0.35, 0.05],
        [0.12, 0.25, 0.08, 0.15, 0.05, 0.35],
        [0.15, 0.20, 0.40, 0.10, 0.10, 0.05],
    ]
)
SPLURGE_SEGMENT, SPLURGE_CATEGORY = 1, "Home"
RETURN_RATE = {"Footwear": 0.22, "Home": 0.05, "Kitchen": 0.04, "Outdoor": 0.05, "Beauty": 0.04, "Kids": 0.05}
CHANNELS = ["web", "app", "store", "marketplace"]
CHANNEL_MIX = np.array(
    [
        [0.45, 0.15, 0.15, 0.25],
        [0.40, 0.20, 0.35, 0.05],
        [0.25, 0.60, 0.05, 0.10],
        [0.45, 0.25, 0.20, 0.10],
        [0.30, 0.10, 0.55, 0.05],
    ]
)
GUEST_SHARE = 0.03


def _pick(rng: np.random.Generator, rows: np.ndarray, mix: np.ndarray, names: list[str]) -> np.ndarray:
    """One name per row, drawn from its row of the mix."""
    cumulative = mix.cumsum(axis=1)[rows]
    draw = rng.random(len(rows))[:, None]
    return np.asarray(names, dtype=object)[(draw > cumulative).sum(axis=1).clip(0, len(names) - 1)]


def add_baskets(
    orders: pd.DataFrame, segment_of: pd.Series, seed: int, horizon_end: np.datetime64
) -> pd.DataFrame:
    """The orders with a category and a channel each, plus return rows and guest orders."""
    rng = np.random.default_rng(seed + 1_000)
    seg = segment_of.reindex(orders["customer_id"]).to_numpy(dtype=int)
    out = orders.copy()
    # an order exported twice keeps one category and channel (the copies stay identical)
    first = ~out["order_id"].duplicated()
    category = pd.Series(_pick(rng, seg, CATEGORY_MIX, CATEGORIES), index=out.index).where(first)
    channel = pd.Series(_pick(rng, seg, CHANNEL_MIX, CHANNELS), index=out.index).where(first)
    out["category"] = category.groupby(out["order_id"]).transform("first")
    out["channel"] = channel.groupby(out["order_id"]).transform("first")
    kept = out[first]
    rate = kept["category"].map(RETURN_RATE).to_numpy(dtype=float)
    back = kept[rng.random(len(kept)) < rate].copy()
    back["order_ts"] = back["order_ts"] + pd.to_timedelta(rng.integers(3, 21, len(back)), unit="D")
    back = back[back["order_ts"] < horizon_end]
    back["amount"] = -back["amount"]
    back["order_id"] = "R" + back["order_id"].str[1:]
    guests = kept.sample(frac=GUEST_SHARE, random_state=seed + 1).copy()
    guests["customer_id"] = None
    guests["order_id"] = "G" + guests["order_id"].str[1:]
    guests["category"] = rng.choice(CATEGORIES, len(guests))
    both = pd.concat([out, back, guests], ignore_index=True)
    return both.sort_values("order_ts", kind="stable", ignore_index=True)
