"""The demo generator: deterministic, the right shape, and its planted truth is really there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.setup import demo


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return demo.make_demo(customers=20_000, seed=3)


def _first_year(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per buyer acquired at least a year before as_of: orders in the first 60 days, and whether
    they ordered again between day 180 and day 365 (independent pandas computation)."""
    o = tables["orders"].drop_duplicates().copy()
    o["day"] = o["order_ts"].dt.normalize()
    first = o.groupby("customer_id")["day"].min().rename("first")
    o = o.join(first, on="customer_id")
    o["since"] = (o["day"] - o["first"]).dt.days
    base = first[first <= pd.Timestamp(demo.DEFAULT_AS_OF) - pd.Timedelta(days=365)].index
    early = o[o["since"] < demo.EARLY_WINDOW_DAYS].groupby("customer_id").size()
    later = o[(o["since"] >= 180) & (o["since"] < 365)].groupby("customer_id").size() > 0
    out = pd.DataFrame(
        {
            "early": early.reindex(base).fillna(0),
            "retained": later.reindex(base, fill_value=False).astype(bool),
        }
    )
    cust = tables["customers"].set_index("customer_id").loc[base]
    return out.join(cust[["acquisition_channel", "promotion_code", "first_order_date"]])


def test_same_seed_same_data_other_seed_other_data():
    a, b = demo.make_demo(1000, seed=5), demo.make_demo(1000, seed=5)
    c = demo.make_demo(1000, seed=6)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["customers"]["age"].equals(c["customers"]["age"])


def test_shape_and_columns(tables):
    cust, orders = tables["customers"], tables["orders"]
    assert len(cust) == 20_000 and cust["customer_id"].is_unique
    for col in demo.ATTITUDES + [
        "age",
        "gender",
        "income_band",
        "education",
        "occupation",
        "household",
        "region",
        "city_tier",
        "interests",
        "social_platforms",
        "channel_preference",
        "heard_about",
        "shopping_style",
        "first_order_date",
        "acquisition_channel",
        "promotion_code",
        "acquisition_cost",
        "nps",
        "weight",
        "open_answer",
        "name",
        "email",
        "phone",
    ]:
        assert col in cust.columns, col
    assert set(cust["status"]) == {"customer", "prospect", "churned"}
    assert len(demo.ATTITUDES) >= 10
    likert = cust[demo.ATTITUDES]
    assert likert.min().min() >= 1 and likert.max().max() <= 5
    assert set(orders.columns) == {
        "order_id",
        "customer_id",
        "order_ts",
        "amount",
        "full_price",
        "prepaid",
        "category",
        "channel",
    }
    assert orders["order_ts"].max() < pd.Timestamp(demo.DEFAULT_AS_OF) + pd.Timedelta(days=1)
    returned = orders["order_id"].str.startswith("R")  # a return: its own row, the amount negative
    assert ((orders["amount"] < 0) == returned).all()
    guests = orders["customer_id"].isna()
    assert (
        guests.mean() == pytest.approx(0.03, abs=0.005)
        and orders.loc[guests, "order_id"].str.startswith("G").all()
    )
    orders = orders[~returned & ~guests]
    # prospects never ordered; everyone else did, first on their first-order date
    buyers = set(orders["customer_id"])
    prospects = cust.loc[cust["status"] == "prospect", "customer_id"]
    assert not buyers & set(prospects)
    firsts = orders.groupby("customer_id")["order_ts"].min().dt.date
    stated = cust.set_index("customer_id")["first_order_date"].dropna()
    assert (firsts.loc[stated.index] == stated).all()


def test_at_most_about_twelve_orders_per_customer_year(tables):
    o = tables["orders"].drop_duplicates()
    o = o[(o["amount"] > 0) & o["customer_id"].notna()]
    span = o.groupby("customer_id")["order_ts"].agg(["min", "count"])
    years = ((pd.Timestamp(demo.DEFAULT_AS_OF) - span["min"]).dt.days + 1) / 365
    rate = span["count"] / np.maximum(years, 1)
    assert rate.quantile(0.99) <= 13


def test_a_few_exact_duplicate_order_rows(tables):
    o = tables["orders"]
    share = o.duplicated().mean()
    assert 0.0005 < share < 0.002


def test_segments_differ_in_attitudes_demographics_and_buying(tables):
    cust, truth = tables["customers"], tables["truth"]
    seg = truth["segment"].to_numpy()
    assert 4 <= truth["segment"].nunique() <= 6
    shares = np.bincount(seg) / len(seg)
    np.testing.assert_allclose(shares, demo.SEGMENT_SHARES, atol=0.02)
    for item in demo.ATTITUDES:  # every attitude item separates the segments strongly
        groups = [cust.loc[seg == k, item].dropna().astype(float) for k in range(len(demo.SEGMENTS))]
        assert stats.f_oneway(*groups).statistic > 200, item
    means = cust.groupby(seg)["age"].mean()
    assert means[2] < 30 < 50 < means[1]  # trendsetters are young, loyalists older
    spend = (
        tables["orders"].drop_duplicates().merge(truth, on="customer_id").groupby("segment")["amount"].mean()
    )
    assert spend.idxmax() == 1 and spend.idxmin() == 0


def test_email_retains_better_than_paid_search(tables):
    fy = _first_year(tables)
    by_channel = fy.groupby("acquisition_channel")["retained"].mean()
    assert by_channel["email"] > 1.8 * by_channel["paid search"]
    table = pd.crosstab(fy["acquisition_channel"].isin(["email"]), fy["retained"])
    assert stats.chi2_contingency(table).pvalue < 1e-6


def test_the_promotion_cohort_churns_after_the_promotion_ends(tables):
    o = tables["orders"].drop_duplicates()
    cust = tables["customers"]
    promo_ids = cust.loc[cust["promotion_code"] == demo.PROMO_CODE, "customer_id"]
    assert len(promo_ids) > 200
    window = (cust["first_order_date"] >= demo.PROMO_START) & (cust["first_order_date"] <= demo.PROMO_END)
    others = cust.loc[
        window & (cust["promotion_code"] != demo.PROMO_CODE) & cust["first_order_date"].notna(), "customer_id"
    ]
    end = pd.Timestamp(demo.PROMO_END)

    def active_after(ids: pd.Series, days: int) -> float:
        later = o[o["customer_id"].isin(ids) & (o["order_ts"] > end + pd.Timedelta(days=days))]
        return later["customer_id"].nunique() / len(ids)

    # during the promotion they buy; three months after it ends almost none are left
    assert active_after(promo_ids, 90) < 0.03
    assert active_after(others, 90) > 0.25


def test_stick_point_is_three_orders_in_sixty_days(tables):
    fy = _first_year(tables)
    fy = fy[fy["promotion_code"] != demo.PROMO_CODE]
    lifts = {}
    for k in range(2, 7):
        reached = fy["early"] >= k
        lifts[k] = fy.loc[reached, "retained"].mean() - fy.loc[~reached, "retained"].mean()
    assert max(lifts, key=lifts.get) == demo.STICK_ORDERS
    reached = fy["early"] >= 3
    assert fy.loc[reached, "retained"].mean() > 3 * fy.loc[~reached, "retained"].mean()


def test_personal_data_and_contact_details_in_open_answers(tables):
    cust = tables["customers"]
    assert cust["email"].str.endswith("@example.com").all()
    assert cust["phone"].str.startswith("+44 7700 900").all()
    answers = cust["open_answer"].dropna()
    assert answers.str.contains("@example.com").mean() > 0.01  # something to scrub


def test_write_demo_writes_parquet_and_hidden_truth(tmp_path):
    paths = demo.write_demo(tmp_path, customers=500, seed=1)
    assert {p.name for p in paths.values()} == {"customers.parquet", "orders.parquet", "_truth.parquet"}
    assert "segment" not in pd.read_parquet(paths["customers"]).columns
    assert demo.demo_exists(tmp_path)


def test_baskets_keep_every_order_and_plant_their_truths(tables):
    """The categories, channels, returns and guests are added without changing any order."""
    from helpers.setup import demo_baskets

    o = tables["orders"]
    kept = o[o["order_id"].str.startswith("O")]
    assert kept["category"].notna().all() and set(kept["channel"]) == set(demo_baskets.CHANNELS)
    back = o[o["order_id"].str.startswith("R")]
    rate = back.groupby("category").size() / kept.drop_duplicates().groupby("category").size()
    assert rate.idxmax() == "Footwear" and rate["Footwear"] > 3 * rate.drop("Footwear").max()
