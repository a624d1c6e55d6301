"""Where revenue comes from: concentration (top shares, Lorenz curve, Gini) and each group's
share of buyers against its share of revenue; small groups and single buyers never shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analyses import revenue
from helpers.analyses.banners import Column


def test_gini_matches_the_mean_absolute_difference_definition():
    x = np.random.default_rng(2).lognormal(3, 1.2, 400)
    reference = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert revenue.gini(x) == pytest.approx(reference, rel=1e-12)
    assert revenue.gini(np.ones(10)) == pytest.approx(0.0)
    assert revenue.gini(np.r_[np.zeros(3), 1.0]) == pytest.approx(0.75)  # (n - 1) / n


def test_top_shares_and_the_lorenz_curve():
    rng = np.random.default_rng(4)
    spend = pd.Series(np.r_[rng.lognormal(3, 1, 2000), np.zeros(50)])  # 50 never bought
    c = revenue.concentration(spend, min_cell=10)
    buyers = np.sort(spend[spend > 0].to_numpy())[::-1]
    assert c.buyers == 2000
    assert c.top.loc["top 10%", "share of revenue %"] == pytest.approx(
        100 * buyers[:200].sum() / buyers.sum()
    )
    assert c.top.loc["top 1%", "buyers"] == 20
    curve = c.lorenz
    assert curve.iloc[0].tolist() == [0.0, 0.0] and curve.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert curve["share of revenue"].is_monotonic_increasing
    assert (curve["share of revenue"] <= curve["share of buyers"] + 1e-12).all()  # below the diagonal
    assert "top 10% bring" in revenue.concentration_sentence(c)


def test_no_figure_rests_on_fewer_buyers_than_the_minimum():
    spend = pd.Series(np.random.default_rng(5).lognormal(3, 1, 300))
    c = revenue.concentration(spend, min_cell=10)
    assert np.isnan(c.top.loc["top 1%", "share of revenue %"])  # 3 buyers
    assert not np.isnan(c.top.loc["top 5%", "share of revenue %"])  # 15 buyers
    steps = np.diff(c.lorenz["share of buyers"].to_numpy() * 300)
    assert (steps[:-1] >= 10 - 1e-9).all()  # each point of the curve adds at least ten buyers
    assert revenue.concentration(pd.Series([5.0]), 10) is None


def test_a_small_group_that_brings_most_of_the_revenue_is_found():
    rng = np.random.default_rng(6)
    n = 1000
    affluent = np.arange(n) < 200  # a fifth of the buyers ...
    spend = pd.Series(np.where(affluent, rng.normal(300, 20, n), rng.normal(50, 5, n)))
    tiny = np.arange(n) >= n - 4
    columns = [
        Column("Affluent", "Income", affluent),
        Column("Others", "Income", ~affluent),
        Column("Tiny", "Test", tiny),
    ]
    table = revenue.revenue_by_group(spend, columns, min_cell=10)
    row = table.loc[("Income", "Affluent")]
    expected = spend[affluent].sum() / spend.sum()  # ... bring 60% of the revenue
    assert row["share of buyers %"] == pytest.approx(20)
    assert row["share of revenue %"] == pytest.approx(100 * expected)
    assert row["revenue index"] == pytest.approx(100 * expected / 0.2)
    assert table.loc[("Test", "Tiny"), "buyers"] == "<10" and np.isnan(
        table.loc[("Test", "Tiny"), "revenue index"]
    )
    sentences = revenue.revenue_sentences(table)
    assert sentences == [f"**Affluent** (Income): 20% of buyers, {100 * expected:.0f}% of revenue."]


def test_revenue_by_segment_labels_aligns_by_customer_id():
    spend = pd.Series([10.0, 30.0, 60.0, 0.0], index=["a", "b", "c", "d"])
    labels = pd.Series(["1. X", "2. Y", "2. Y"], index=["c", "a", "b"])  # another order
    table = revenue.revenue_by_labels(spend, labels, "Segment", min_cell=1)
    assert table.loc[("Segment", "1. X"), "share of revenue %"] == pytest.approx(60)
    assert table.loc[("Segment", "2. Y"), "share of buyers %"] == pytest.approx(200 / 3)
    assert revenue.revenue_by_labels(spend, None, "Segment", 1) is None
