"""Explore helpers against hand computations on the demo data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import demo_params_at, kept_orders

from helpers.analyses import explore, file_summary
from helpers.core.privacy import marker
from helpers.data.dataset import load_dataset


@pytest.fixture(scope="module")
def data(demo_dir, tmp_path_factory):
    return load_dataset(demo_params_at(demo_dir, tmp_path_factory.mktemp("p")))


def test_weighted_shares_match_a_hand_computation(data):
    c = data.customers
    t = explore.profile_categorical(c["city_tier"], c["weight"])
    w = c.groupby("city_tier")["weight"].sum()
    assert t.loc["urban", "weighted %"] == pytest.approx(100 * w["urban"] / w.sum())
    assert t.loc["urban", "respondents"] == (c["city_tier"] == "urban").sum()
    assert t["share %"].sum() == pytest.approx(100)


def test_income_bands_are_in_their_natural_order_and_gaps_shown(data):
    t = explore.profile_categorical(data.customers["income_band"], data.customers["weight"])
    assert list(t.index) == ["under 25k", "25k-50k", "50k-75k", "75k-100k", "100k+", explore.NO_ANSWER]


def test_likert_summary_top_and_bottom_boxes(data):
    c, p = data.customers, data.params
    s = explore.likert_summary(c, p)
    item = "att_price_sensitive"
    x, w = c[item].astype(float), c["weight"]
    ok = x.notna()
    top = 100 * w[ok & (x >= 4)].sum() / w[ok].sum()
    assert s.loc[item, "top box %"] == pytest.approx(top)
    assert s.loc[item, "mean"] == pytest.approx(np.average(x[ok], weights=w[ok]))
    levels = [p.likert.labels[v] for v in range(1, 6)]
    np.testing.assert_allclose(s[levels].sum(axis=1), 100)
    assert s["top box %"].is_monotonic_decreasing


def test_multi_response_shares_can_sum_above_100(data):
    t = explore.multi_response_summary(data.customers, data.params, "social_platforms")
    assert t["weighted %"].sum() > 100
    answered = data.customers["social_platforms"].notna()
    insta = data.customers.loc[answered, "social_platforms"].str.split(";").apply(lambda v: "instagram" in v)
    w = data.customers.loc[answered, "weight"]
    assert t.loc["instagram", "weighted %"] == pytest.approx(100 * w[insta].sum() / w.sum())
    assert t.loc["instagram", "share %"] == pytest.approx(100 * insta.mean())


def test_missing_summary_counts_gaps(data):
    m = explore.missing_summary(data.customers, data.params).set_index("column")
    assert m.loc["income_band", "missing"] == data.customers["income_band"].isna().sum()
    nps = data.params.columns.nps  # beside the four dimensions: NPS and acquisition are checked too
    assert m.loc[nps, "missing"] == data.customers[nps].isna().sum() > 0
    assert m.loc["social_platforms", "missing"] == data.customers["social_platforms"].isna().sum()


def test_small_categories_are_folded_into_one_row(data):
    c = data.customers.copy()
    c.loc[c.index[:3], "region"] = "Islands"
    c.loc[c.index[3:5], "region"] = "Atlantis"
    prof = explore.profile_dimension(c, data.params, "geographic")
    table = prof.tables["Region"]
    assert "Islands" not in table.index and "Atlantis" not in table.index
    row = table.loc["Other (small groups)"]  # 5 people: still under the minimum, so hidden too
    assert (row == marker(data.params.privacy.min_cell)).all()


def test_nps_is_promoters_minus_detractors(data):
    c = data.customers
    t = explore.nps_summary(c, data.params)
    nps = c["nps"].astype(float)
    ok = nps.notna()
    w = c["weight"][ok]
    promoters = 100 * w[nps[ok] >= 9].sum() / w.sum()
    detractors = 100 * w[nps[ok] <= 6].sum() / w.sum()
    assert t.loc["Net Promoter Score", "score (−100 to 100)"] == pytest.approx(
        promoters - detractors, abs=0.05
    )
    assert np.isnan(t.loc["Net Promoter Score", "weighted %"])  # a score is not a share


def test_buyer_behaviour_matches_pandas(data, demo_dir):
    b = explore.buyer_behaviour(data).set_index("customer_id").sort_index()
    o = pd.read_parquet(demo_dir / "orders.parquet").drop_duplicates()
    o = kept_orders(o)  # returns and guests out
    g = o.groupby("customer_id").agg(
        orders=("amount", "size"), spend=("amount", "sum"), last=("order_ts", "max")
    )
    g = g.sort_index()
    assert (b["orders"] == g["orders"]).all()
    np.testing.assert_allclose(b["spend"], g["spend"], rtol=1e-9)
    since = (pd.Timestamp(data.params.as_of) - g["last"].dt.normalize()).dt.days
    assert (b["days_since_last"].to_numpy() == since.to_numpy()).all()
    recent = o[o["order_ts"] >= pd.Timestamp(data.params.as_of) - pd.Timedelta(days=364)]
    n12 = recent.groupby("customer_id").size().reindex(g.index, fill_value=0)
    assert (b["orders_12m"].to_numpy() == n12.to_numpy()).all()
    first = o.sort_values("order_ts").groupby("customer_id").first().sort_index()
    np.testing.assert_allclose(b["first_order_amount"], first["amount"], rtol=1e-12)
    assert (b["first_order_full_price"].to_numpy() == first["full_price"].astype(int)).all()
    later = (g["spend"] - first["amount"]) / (g["orders"] - 1).replace(0, np.nan)
    np.testing.assert_allclose(b["basket_growth"], later / first["amount"], rtol=1e-9)


def test_odd_values_flags_extremes(data):
    c = data.customers.copy()
    c.loc[c.index[:5], "acquisition_cost"] = 999.0
    odd = explore.odd_values(c, data.params, ["acquisition_cost"]).set_index("column")
    assert odd.loc["acquisition_cost", "odd values"] >= 5


def test_highlights_are_computed_sentences(data):
    missing = explore.missing_summary(data.customers, data.params)
    lines = file_summary.highlights(
        data,
        missing,
        explore.likert_summary(data.customers, data.params),
        explore.buyer_behaviour(data),
        explore.monthly_orders(data),
    )
    text = " ".join(lines)
    prospects = int((data.customers["status"] == "prospect").sum())  # the run's own word for its people
    assert f"**{len(data.customers):,} people**: {len(data.customers) - prospects:,} customers" in text
    largest = missing.loc[missing["missing"].idxmax(), "variable"]
    assert largest.startswith("NPS") and largest in text  # the demo's largest gap: NPS, not asked of all
    assert "exact duplicate rows" in text


def test_revenue_by_channel_matches_pandas_and_hides_small_cells(data, demo_dir):
    import dataclasses

    min_cell = 60  # some quarters of the small demo have fewer buyers in a channel
    params = data.params.model_copy(
        update={"privacy": data.params.privacy.model_copy(update={"min_cell": min_cell})}
    )
    table = explore.revenue_by(dataclasses.replace(data, params=params))
    orders = pd.read_parquet(demo_dir / "orders.parquet").drop_duplicates()
    orders = kept_orders(orders)  # returns and guests out
    orders = orders[orders["order_ts"] < pd.Timestamp(data.params.as_of) + pd.Timedelta(days=1)]
    people = pd.read_parquet(demo_dir / "customers.parquet")[["customer_id", "acquisition_channel"]]
    o = orders.merge(people, on="customer_id", how="left")
    o["quarter"] = o["order_ts"].dt.to_period("Q").astype(str)
    g = o.groupby(["quarter", "acquisition_channel"])
    revenue = g["amount"].sum().unstack()
    buyers = g["customer_id"].nunique().unstack().fillna(0)
    assert list(table.index) == list(revenue.index)
    shown = buyers >= min_cell
    assert (~shown).to_numpy().any() and shown.to_numpy().any()  # the demo has both kinds
    for q in revenue.index:
        for ch in revenue.columns:
            cell = table.loc[q, ch]
            if shown.loc[q, ch]:
                assert cell == pytest.approx(revenue.loc[q, ch], rel=1e-9)
            else:
                assert cell == marker(min_cell)


def test_a_sample_whose_intake_ended_does_not_say_orders_peaked(data):
    monthly = explore.monthly_orders(data)
    plain = file_summary.highlights(data, monthly=monthly)
    assert any(line.startswith("Orders peaked in") for line in plain)
    said = file_summary.highlights(
        data, monthly=monthly, intake="**New buyers were taken in only until March 1997**"
    )
    assert not any("peaked" in line for line in said)
    assert "**New buyers were taken in only until March 1997**" in said
