"""Demo data: a fictional brand ("Northwind Goods") with a planted truth the analyses must find.

Deterministic for a seed, vectorised with NumPy so 1,000,000 customers build in well under a minute.

Planted truth (checked by tests/test_demo.py; kept in ``_truth.parquet``, never read by an analysis):

* **Segments.** Five latent segments (:data:`SEGMENTS`, shares 28/22/20/18/12 %) with distinct
  demographics, attitude profiles (12 Likert items, :data:`ATTITUDE_MEANS`), platforms, interests,
  channels, spend and buying rates.
* **Channels.** Expected lifetime after the first 60 days is multiplied by :data:`CHANNEL_LIFETIME`:
  email customers stay about three times as long as paid-search customers.
* **A promotion that churns.** ``SUMMER50`` ran from 2025-06-01 to 2025-08-31 for new customers from
  social, paid search and affiliates. Its customers buy more while it runs and leave within weeks
  of its end (:data:`PROMO_CHURN`).
* **A stick point.** Customers who reach 3 orders within 60 days of their first order (the first
  order included) get a long lifetime; everyone else a short one. So retention jumps at 3 orders.
* **Cohort rules.** Customers who converted within 7 days of first contact (``READY_DAYS``) stay
  1.4× as long; people who leave positive reviews stay 1.3× as long; customers who reached the stick
  point refer more friends (``referrals_made``), so referrers retain better too.
* **Open answers.** Five planted themes (shipping cost, quality, discount codes, sustainable
  packaging, new products in the app), each segment in its own mix (THEME_MIX); in English, or in
  Chinese with `language="zh"` (`workbook demo-data --language zh`).
* **What they buy.** A category and a channel per order, returns and guest checkouts, with truths
  of their own (see :mod:`helpers.setup.demo_baskets`).
* **Data quality.** A few answers are missing (Likert items ~2 %, income ~6 %, age ~1 %) and about
  0.1 % of order rows are exported twice (identical rows), as CRM exports often are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.setup.demo_answers import FIRST_NAMES, LAST_NAMES, open_answers
from helpers.setup.demo_baskets import add_baskets

START = dt.date(2024, 1, 1)
DEFAULT_AS_OF = dt.date(2026, 9, 30)
EARLY_WINDOW_DAYS = 60
STICK_ORDERS = 3
PROMO_CODE = "SUMMER50"
PROMO_START = dt.date(2025, 6, 1)
PROMO_END = dt.date(2025, 8, 31)
PROMO_CHURN = 21.0  # mean days a SUMMER50 customer stays after the promotion ends
CHURN_INACTIVE_DAYS = 180  # status "churned": no order in this many days before as_of
MAX_ORDERS_PER_YEAR = 12.0

SEGMENTS = [
    "Bargain hunters",
    "Premium loyalists",
    "Digital trendsetters",
    "Busy families",
    "Eco locals",
]
SEGMENT_SHARES = np.array([0.28, 0.22, 0.20, 0.18, 0.12])

ATTITUDES = [
    "att_price_sensitive",
    "att_deal_hunter",
    "att_quality_first",
    "att_brand_loyal",
    "att_tries_new",
    "att_social_influence",
    "att_enjoys_shopping",
    "att_convenience",
    "att_researches",
    "att_eco_conscious",
    "att_local_first",
    "att_trusts_reviews",
]
#                          price deal qual loyal new social enjoy conv research eco local reviews
ATTITUDE_MEANS = np.array(
    [
        [4.5, 4.5, 2.0, 2.0, 2.6, 2.9, 3.0, 2.0, 3.8, 2.2, 2.4, 4.2],  # Bargain hunters
        [1.8, 1.7, 4.6, 4.6, 2.4, 1.8, 3.5, 3.9, 3.0, 3.0, 2.8, 2.6],  # Premium loyalists
        [2.8, 3.2, 3.0, 1.9, 4.7, 4.6, 4.5, 3.4, 2.0, 2.7, 2.0, 3.9],  # Digital trendsetters
        [3.3, 3.0, 3.2, 3.4, 2.3, 2.4, 1.8, 4.7, 2.2, 2.4, 2.4, 3.1],  # Busy families
        [2.5, 2.2, 4.0, 3.0, 3.0, 1.7, 3.2, 2.4, 4.5, 4.7, 4.7, 3.2],  # Eco locals
    ]
)

AGE = np.array([[34, 9], [54, 10], [26, 5], [40, 7], [46, 13]])
GENDER = (
    ["female", "male", "non-binary"],
    [[0.55, 0.43, 0.02], [0.45, 0.54, 0.01], [0.52, 0.43, 0.05], [0.60, 0.39, 0.01], [0.58, 0.40, 0.02]],
)
INCOME = (
    ["under 25k", "25k-50k", "50k-75k", "75k-100k", "100k+"],
    [
        [0.30, 0.38, 0.20, 0.08, 0.04],
        [0.02, 0.10, 0.23, 0.30, 0.35],
        [0.25, 0.35, 0.25, 0.10, 0.05],
        [0.05, 0.22, 0.38, 0.25, 0.10],
        [0.10, 0.25, 0.30, 0.20, 0.15],
    ],
)
EDUCATION = (
    ["secondary", "vocational", "bachelor", "postgraduate"],
    [
        [0.35, 0.35, 0.25, 0.05],
        [0.10, 0.15, 0.40, 0.35],
        [0.20, 0.15, 0.50, 0.15],
        [0.20, 0.30, 0.38, 0.12],
        [0.10, 0.15, 0.40, 0.35],
    ],
)
OCCUPATION = (
    [
        "student",
        "professional",
        "manager",
        "skilled trade",
        "service",
        "homemaker",
        "retired",
        "self-employed",
    ],
    [
        [0.15, 0.15, 0.05, 0.20, 0.30, 0.05, 0.05, 0.05],
        [0.00, 0.30, 0.30, 0.05, 0.05, 0.02, 0.20, 0.08],
        [0.40, 0.30, 0.05, 0.05, 0.12, 0.00, 0.00, 0.08],
        [0.00, 0.30, 0.15, 0.20, 0.15, 0.15, 0.00, 0.05],
        [0.05, 0.25, 0.10, 0.10, 0.10, 0.05, 0.15, 0.20],
    ],
)
HOUSEHOLD = (
    ["single", "couple", "family with children", "single parent", "shared"],
    [
        [0.35, 0.25, 0.15, 0.10, 0.15],
        [0.15, 0.55, 0.25, 0.02, 0.03],
        [0.40, 0.15, 0.05, 0.02, 0.38],
        [0.02, 0.05, 0.78, 0.15, 0.00],
        [0.25, 0.45, 0.20, 0.05, 0.05],
    ],
)
REGION = (
    ["North", "South", "East", "West", "Central"],
    [
        [0.25, 0.20, 0.20, 0.15, 0.20],
        [0.15, 0.25, 0.20, 0.25, 0.15],
        [0.15, 0.20, 0.25, 0.15, 0.25],
        [0.20, 0.20, 0.20, 0.20, 0.20],
        [0.30, 0.15, 0.15, 0.30, 0.10],
    ],
)
CITY_TIER = (
    ["urban", "suburban", "rural"],
    [[0.35, 0.40, 0.25], [0.30, 0.55, 0.15], [0.75, 0.20, 0.05], [0.15, 0.55, 0.30], [0.30, 0.25, 0.45]],
)
CHANNEL_PREF = (
    ["online", "in store", "mobile app", "marketplace"],
    [
        [0.35, 0.15, 0.15, 0.35],
        [0.25, 0.55, 0.15, 0.05],
        [0.20, 0.05, 0.70, 0.05],
        [0.60, 0.15, 0.20, 0.05],
        [0.15, 0.70, 0.10, 0.05],
    ],
)
HEARD_ABOUT = (
    ["search engine", "social media", "friends and family", "email", "tv and radio", "in store"],
    [
        [0.35, 0.30, 0.15, 0.10, 0.05, 0.05],
        [0.10, 0.05, 0.30, 0.35, 0.10, 0.10],
        [0.10, 0.65, 0.15, 0.05, 0.03, 0.02],
        [0.30, 0.15, 0.25, 0.10, 0.15, 0.05],
        [0.10, 0.05, 0.45, 0.05, 0.05, 0.30],
    ],
)
SHOPPING_STYLE = (
    ["bargain hunter", "loyal regular", "impulse buyer", "planner"],
    [
        [0.70, 0.05, 0.10, 0.15],
        [0.05, 0.75, 0.05, 0.15],
        [0.10, 0.05, 0.75, 0.10],
        [0.10, 0.15, 0.10, 0.65],
        [0.05, 0.25, 0.05, 0.65],
    ],
)
ACQ_CHANNEL = (
    ["email", "paid search", "social", "affiliate", "referral", "organic"],
    [
        [0.08, 0.34, 0.28, 0.18, 0.04, 0.08],
        [0.38, 0.08, 0.04, 0.05, 0.25, 0.20],
        [0.06, 0.20, 0.52, 0.12, 0.05, 0.05],
        [0.22, 0.34, 0.10, 0.10, 0.12, 0.12],
        [0.18, 0.08, 0.06, 0.06, 0.34, 0.28],
    ],
)
CHANNEL_CAC = {
    "email": 12.0,
    "paid search": 48.0,
    "social": 36.0,
    "affiliate": 28.0,
    "referral": 20.0,
    "organic": 6.0,
}
CHANNEL_LIFETIME = {
    "email": 1.8,
    "paid search": 0.6,
    "social": 0.85,
    "affiliate": 0.8,
    "referral": 1.5,
    "organic": 1.2,
}
INTERESTS = (
    ["fashion", "tech", "home", "outdoors", "food", "beauty", "sports", "travel", "kids", "diy"],
    [
        [0.50, 0.30, 0.30, 0.15, 0.40, 0.40, 0.20, 0.15, 0.15, 0.30],
        [0.45, 0.25, 0.50, 0.30, 0.55, 0.30, 0.25, 0.60, 0.10, 0.15],
        [0.70, 0.70, 0.15, 0.20, 0.30, 0.55, 0.35, 0.45, 0.02, 0.05],
        [0.25, 0.25, 0.60, 0.30, 0.50, 0.20, 0.35, 0.20, 0.85, 0.45],
        [0.20, 0.15, 0.45, 0.70, 0.65, 0.20, 0.25, 0.30, 0.15, 0.50],
    ],
)
PLATFORMS = (
    ["instagram", "tiktok", "facebook", "youtube", "linkedin", "pinterest", "x"],
    [
        [0.50, 0.35, 0.55, 0.60, 0.10, 0.25, 0.15],
        [0.30, 0.05, 0.50, 0.45, 0.45, 0.15, 0.20],
        [0.90, 0.85, 0.25, 0.75, 0.20, 0.35, 0.35],
        [0.45, 0.25, 0.70, 0.60, 0.20, 0.45, 0.10],
        [0.40, 0.10, 0.45, 0.40, 0.20, 0.50, 0.10],
    ],
)
ORDERS_PER_YEAR = np.array([5.0, 7.5, 6.0, 7.0, 4.5])
MEAN_SPEND = np.array([28.0, 95.0, 46.0, 68.0, 55.0])
FULL_PRICE = np.array([0.35, 0.88, 0.60, 0.65, 0.75])
PREPAID = np.array([0.30, 0.65, 0.55, 0.40, 0.45])
SEGMENT_LIFETIME = np.array([0.8, 1.5, 0.9, 1.2, 1.0])
READY_DAYS = 7  # "ready to buy": first order within this many days of first contact
READY_LIFETIME = 1.4
REVIEWER_LIFETIME = 1.3
REVIEWER_SHARE = np.array([0.10, 0.30, 0.20, 0.15, 0.35])
STICK_LIFETIME_DAYS = 900.0  # mean lifetime after day 60 for customers who reached the stick point
SHORT_LIFETIME_DAYS = 70.0  # and for those who did not
NPS_MEAN = np.array([6.0, 9.0, 7.5, 7.0, 8.0])


def _pick(rng: np.random.Generator, seg: np.ndarray, spec: tuple[list[str], list[list[float]]]) -> np.ndarray:
    """One categorical answer per person, drawn from their segment's probabilities."""
    labels, probs = spec
    p = np.asarray(probs, dtype=float)
    p = p / p.sum(axis=1, keepdims=True)
    cum = p.cumsum(axis=1)[seg]
    idx = (rng.random(len(seg))[:, None] > cum).sum(axis=1)
    return np.asarray(labels, dtype=object)[np.minimum(idx, len(labels) - 1)]


def _multi(
    rng: np.random.Generator, seg: np.ndarray, spec: tuple[list[str], list[list[float]]]
) -> np.ndarray:
    """A multiple-response answer per person: the picked options joined by ';'."""
    labels, probs = spec
    picks = rng.random((len(seg), len(labels))) < np.asarray(probs)[seg]
    out = np.empty(len(seg), dtype=object)
    joined = pd.DataFrame(picks, columns=labels).dot(pd.Index(labels) + ";").str.rstrip(";")
    out[:] = joined.to_numpy()
    out[out == ""] = None
    return out


def _day(d: dt.date) -> int:
    return (d - START).days


# The quarter before the demo quarter, with known differences, so that the quarter-over-quarter
# comparison has a planted truth: since then "Digital trendsetters" grew, "Premium loyalists"
# shrank, and "Eco locals" turned away from buying what they see on social media (that item's
# mean was 1.5 points higher before, about 35 points more of them agreed).
PREVIOUS_AS_OF = dt.date(2026, 6, 30)
PREVIOUS_SHARES = np.array([0.28, 0.30, 0.12, 0.18, 0.12])
PREVIOUS_SHIFT = {(4, ATTITUDES.index("att_social_influence")): -1.5}  # current = previous + shift
GROWS, SHRINKS, DRIFTS = "Digital trendsetters", "Premium loyalists", "Eco locals"


def make_demo(
    customers: int = 20_000,
    seed: int = 7,
    as_of: dt.date = DEFAULT_AS_OF,
    previous_quarter: bool = False,
    order_rate: float = 1.0,
    language: str = "en",
) -> dict[str, pd.DataFrame]:
    """Build the demo tables: ``customers``, ``orders`` and the hidden ``truth``.

    ``order_rate`` multiplies how often everyone buys (about 3.9 orders per person at 1, 20 at 4),
    for a retailer with heavier order tables; the planted truths are tested at 1.

    ``previous_quarter`` builds the quarter before, with the differences in
    :data:`PREVIOUS_SHARES` and :data:`PREVIOUS_SHIFT` (and ``as_of`` :data:`PREVIOUS_AS_OF`).
    """
    rng = np.random.default_rng(seed)
    n = int(customers)
    if previous_quarter:
        as_of = PREVIOUS_AS_OF
    horizon = _day(as_of) + 1
    shares = PREVIOUS_SHARES if previous_quarter else SEGMENT_SHARES
    seg = rng.choice(len(SEGMENTS), size=n, p=shares)
    means = ATTITUDE_MEANS.copy()
    if previous_quarter:
        for (k, j), shift in PREVIOUS_SHIFT.items():
            means[k, j] -= shift
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7))

    cust = pd.DataFrame({"customer_id": ids})
    age = rng.normal(AGE[seg, 0], AGE[seg, 1]).round().clip(18, 90)
    age[rng.random(n) < 0.01] = np.nan
    cust["age"] = pd.array(age, dtype="Int64")
    cust["gender"] = _pick(rng, seg, GENDER)
    income = _pick(rng, seg, INCOME)
    income[rng.random(n) < 0.06] = None
    cust["income_band"] = income
    cust["education"] = _pick(rng, seg, EDUCATION)
    cust["occupation"] = _pick(rng, seg, OCCUPATION)
    cust["household"] = _pick(rng, seg, HOUSEHOLD)
    cust["region"] = _pick(rng, seg, REGION)
    cust["city_tier"] = _pick(rng, seg, CITY_TIER)
    likert = np.rint(means[seg] + rng.normal(0, 0.75, (n, len(ATTITUDES)))).clip(1, 5)
    likert[rng.random(likert.shape) < 0.02] = np.nan
    for j, col in enumerate(ATTITUDES):
        cust[col] = pd.array(likert[:, j], dtype="Int64")
    cust["interests"] = _multi(rng, seg, INTERESTS)
    cust["social_platforms"] = _multi(rng, seg, PLATFORMS)
    cust["channel_preference"] = _pick(rng, seg, CHANNEL_PREF)
    cust["heard_about"] = _pick(rng, seg, HEARD_ABOUT)
    cust["shopping_style"] = _pick(rng, seg, SHOPPING_STYLE)

    # acquisition: prospects (12 %) have never ordered
    prospect = rng.random(n) < 0.12
    buyer = ~prospect
    first_day = rng.integers(0, horizon, size=n)
    channel = _pick(rng, seg, ACQ_CHANNEL)
    in_promo = (first_day >= _day(PROMO_START)) & (first_day <= _day(PROMO_END))
    promo_channel = np.isin(channel, ["social", "paid search", "affiliate"])
    promo = buyer & in_promo & promo_channel & (rng.random(n) < 0.6)
    welcome = buyer & ~promo & (rng.random(n) < 0.18)
    promo_code = np.full(n, None, dtype=object)
    promo_code[promo] = PROMO_CODE
    promo_code[welcome] = "WELCOME10"
    cac = np.array([CHANNEL_CAC[c] for c in channel]) * rng.lognormal(0, 0.25, n)

    # buying process: heterogeneous rate, an early window, then a lifetime (see module docstring)
    rate = ORDERS_PER_YEAR[seg] * rng.gamma(4.0, 0.25, n) * order_rate
    rate[promo] *= 1.4
    # cap the expected rate below the maximum so Poisson noise stays about within it
    rate = np.minimum(rate, 0.8 * MAX_ORDERS_PER_YEAR * order_rate) / 365.0
    early_extra = rng.poisson(rate * (EARLY_WINDOW_DAYS - 1))
    stuck = 1 + early_extra >= STICK_ORDERS
    chan_factor = np.array([CHANNEL_LIFETIME[c] for c in channel])
    # first contact: 30 % convert within a week ("ready to buy"), the rest within half a year
    quick = rng.random(n) < 0.3
    to_convert = np.where(quick, rng.integers(0, READY_DAYS + 1, n), rng.integers(READY_DAYS + 1, 181, n))
    reviewer = rng.random(n) < REVIEWER_SHARE[seg]
    mean_life = np.where(stuck, STICK_LIFETIME_DAYS, SHORT_LIFETIME_DAYS)
    mean_life = (
        mean_life
        * chan_factor
        * SEGMENT_LIFETIME[seg]
        * np.where(quick, READY_LIFETIME, 1.0)
        * np.where(reviewer, REVIEWER_LIFETIME, 1.0)
    )
    death = first_day + EARLY_WINDOW_DAYS + rng.exponential(mean_life)
    promo_death = _day(PROMO_END) + rng.exponential(PROMO_CHURN, n)
    death = np.where(promo, np.maximum(promo_death, first_day + 14), death)
    early_len = np.minimum(EARLY_WINDOW_DAYS - 1, np.maximum(death - first_day, 0))
    early_extra = np.where(promo, rng.poisson(rate * early_len), early_extra)
    late_start = first_day + EARLY_WINDOW_DAYS
    late_len = np.clip(np.minimum(death, horizon) - late_start, 0, None)
    late_n = np.where(late_start < horizon, rng.poisson(rate * late_len), 0)
    early_extra = np.where(first_day + 1 < horizon, early_extra, 0)
    early_extra[prospect], late_n[prospect] = 0, 0

    # orders: first + early + late, drawn per customer with np.repeat
    who_first = np.flatnonzero(buyer)
    who_early = np.repeat(np.arange(n), early_extra)
    who_late = np.repeat(np.arange(n), late_n)
    day_first = first_day[who_first].astype(float)
    span_e = np.minimum(early_len[who_early], horizon - 1 - first_day[who_early])
    day_early = first_day[who_early] + 1 + rng.random(len(who_early)) * np.maximum(span_e - 1, 0)
    day_late = late_start[who_late] + rng.random(len(who_late)) * late_len[who_late]
    who = np.concatenate([who_first, who_early, who_late])
    day = np.floor(np.concatenate([day_first, day_early, day_late])).clip(0, horizon - 1)
    seconds = rng.integers(8 * 3600, 22 * 3600, len(who))
    ts = (
        np.datetime64(START, "s")
        + day.astype("timedelta64[D]").astype("timedelta64[s]")
        + seconds.astype("timedelta64[s]")
    )
    order_seg = seg[who]
    amount = (MEAN_SPEND[order_seg] * rng.lognormal(-0.08, 0.4, len(who))).round(2)
    in_promo_order = promo[who] & (day <= _day(PROMO_END))
    full_price = (rng.random(len(who)) < FULL_PRICE[order_seg]) & ~in_promo_order
    amount = np.where(full_price, amount, (amount * 0.8).round(2))
    prepaid = rng.random(len(who)) < PREPAID[order_seg]
    orders = pd.DataFrame(
        {
            "customer_id": ids[who],
            "order_ts": ts,
            "amount": amount,
            "full_price": full_price,
            "prepaid": prepaid,
        }
    )
    orders = orders.sort_values(["order_ts", "customer_id"], kind="stable", ignore_index=True)
    orders.insert(
        0, "order_id", np.char.add("O", np.char.zfill(np.arange(1, len(orders) + 1).astype(str), 9))
    )
    dup = orders.sample(frac=0.001, random_state=seed)
    orders = pd.concat([orders, dup]).sort_values("order_ts", kind="stable", ignore_index=True)

    first_date = pd.Series(pd.NaT, index=range(n), dtype="datetime64[s]")
    first_date[buyer] = np.datetime64(START, "D") + first_day[buyer].astype("timedelta64[D]")
    cust["first_order_date"] = first_date.dt.date.astype("object").where(buyer, None)
    contact_day = np.where(buyer, first_day - to_convert, rng.integers(-180, horizon, n))
    contact = np.datetime64(START, "D") + contact_day.astype("timedelta64[D]")
    cust["first_contact_date"] = pd.Series(contact).dt.date.astype("object")
    cust["referrals_made"] = np.where(buyer, rng.poisson(np.where(stuck, 1.6, 0.3)), 0)
    cust["reviews_left"] = np.where(buyer & reviewer, 1 + rng.poisson(1.5, n), 0)
    cust["acquisition_channel"] = np.where(buyer, channel, None)
    cust["promotion_code"] = promo_code
    cust["acquisition_cost"] = np.where(buyer, cac.round(2), np.nan)

    last_day = np.full(n, -1.0)
    np.maximum.at(last_day, who, day)
    inactive = horizon - 1 - last_day > CHURN_INACTIVE_DAYS
    status = np.where(prospect, "prospect", np.where(inactive, "churned", "customer"))
    cust.insert(1, "status", status)
    nps = np.rint(rng.normal(NPS_MEAN[seg], 1.8)).clip(0, 10)
    nps[rng.random(n) < 0.2] = np.nan
    cust["nps"] = pd.array(nps, dtype="Int64")
    weight = rng.lognormal(0, 0.3, n) * np.where(cust["age"].fillna(40).to_numpy() < 30, 1.3, 1.0)
    cust["weight"] = (weight / weight.mean()).round(4)

    gender = cust["gender"].to_numpy()
    first = np.empty(n, dtype=object)
    for g, names in FIRST_NAMES.items():
        mask = gender == g
        first[mask] = np.asarray(names, dtype=object)[rng.integers(0, len(names), mask.sum())]
    last = np.asarray(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    cust["name"] = pd.Series(first) + " " + pd.Series(last)
    cust["email"] = (
        pd.Series(first).str.lower()
        + "."
        + pd.Series(last).str.lower()
        + pd.Series(np.arange(1, n + 1).astype(str))
        + "@example.com"
    )
    # 07700 900000-900999 is the UK's range reserved for drama: never a real number
    cust["phone"] = "+44 7700 900" + pd.Series(rng.integers(0, 1000, n).astype(str)).str.zfill(3)
    cust["open_answer"], planted_themes = open_answers(rng, seg, cust["email"], cust["phone"], language, seed)

    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": seg,
            "segment_name": np.asarray(SEGMENTS)[seg],
            "reached_stick_point": stuck & buyer,
            "promo_customer": promo,
            "themes": planted_themes,
        }
    )
    segment_of = pd.Series(seg, index=ids)
    orders = add_baskets(orders, segment_of, seed, np.datetime64(START, "s") + np.timedelta64(horizon, "D"))
    return {"customers": cust, "orders": orders, "truth": truth}


def write_demo(
    out: str | Path = "data/demo",
    customers: int = 20_000,
    seed: int = 7,
    as_of: dt.date = DEFAULT_AS_OF,
    previous_quarter: bool = False,
    order_rate: float = 1.0,
    language: str = "en",
) -> dict[str, Path]:
    """Build the demo data and write it as Parquet files into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = make_demo(
        customers=customers,
        seed=seed,
        as_of=as_of,
        previous_quarter=previous_quarter,
        order_rate=order_rate,
        language=language,
    )
    return write_tables(tables, out)


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> dict[str, Path]:
    """Write demo tables as Parquet, each whole or not at all (the hidden truth as `_truth`)."""
    paths = {}
    for name, frame in tables.items():
        path = out / ("_truth.parquet" if name == "truth" else f"{name}.parquet")
        tmp = path.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
        paths[name] = path
    return paths


def demo_exists(out: str | Path = "data/demo") -> bool:
    """Whether the demo files are already there."""
    return all((Path(out) / f).exists() for f in ("customers.parquet", "orders.parquet"))
