"""Cohorts and retention against independent pandas computations and the demo's planted truth."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, demo_params_at

from helpers import cohorts, fields
from helpers.data import load_dataset
from helpers.engine import Engine
from helpers.filters import evaluate, profile_frame
from helpers.schema import label_of


def pandas_retention(orders: pd.DataFrame, as_of: dt.date, definition: str) -> pd.DataFrame:
    """Monthly cohort retention written independently in pandas."""
    o = orders[orders["order_ts"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)].copy()
    o["p"] = o["order_ts"].dt.year * 12 + o["order_ts"].dt.month - 1
    o["cohort"] = o.groupby("customer_id")["p"].transform("min")
    o["n"] = o["p"] - o["cohort"]
    sizes = o.groupby("cohort")["customer_id"].nunique()
    if definition == "on":
        active = o.groupby(["cohort", "n"])["customer_id"].nunique().unstack(fill_value=0)
    else:
        last = o.groupby(["cohort", "customer_id"])["n"].max().reset_index()
        cols = range(int(last["n"].max()) + 1)
        active = pd.DataFrame({n: last[last["n"] >= n].groupby("cohort").size() for n in cols}).fillna(0)
    share = active.div(sizes, axis=0)
    now = as_of.year * 12 + as_of.month - 1
    for cohort in share.index:
        share.loc[cohort, [c for c in share.columns if c > now - cohort]] = np.nan
    return share


@pytest.fixture(scope="module")
def demo(demo_dir_full, tmp_path_factory):
    params = demo_params_at(demo_dir_full, tmp_path_factory.mktemp("p"))
    data = load_dataset(params)
    return params, data, profile_frame(data)


@pytest.mark.parametrize("definition", ["on", "on_or_after"])
def test_monthly_retention_matches_pandas_on_demo(demo, demo_dir_full, definition):
    params, data, _ = demo
    ours = cohorts.retention(data.engine, data.orders, params.as_of, "month", definition).matrix()
    orders = pd.read_parquet(demo_dir_full / "orders.parquet").drop_duplicates()
    ref = pandas_retention(orders, params.as_of, definition)
    ours_values = ours.to_numpy()
    ref_values = ref.reindex(columns=range(ours.shape[1])).to_numpy()
    np.testing.assert_allclose(ours_values, ref_values, rtol=1e-12, equal_nan=True)
    # the youngest cohort has only period 0; later periods are blank, not zero
    assert ours.iloc[-1, 0] == 1.0 and np.isnan(ours.iloc[-1, 1:]).all()


@pytest.mark.skipif(
    not (SHARED / "cdnow" / "CDNOW_master.txt").exists(), reason="../shared/data/cdnow not present"
)
def test_monthly_retention_of_the_full_cdnow_file_matches_pandas():
    raw = pd.read_csv(
        SHARED / "cdnow" / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str}
    )
    raw["order_ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw = raw.rename(columns={"dollar_value": "amount"})[["customer_id", "order_ts", "amount"]]
    engine = Engine()
    orders = engine.register(raw, "cdnow")
    as_of = dt.date(1998, 6, 30)
    for definition in ("on", "on_or_after"):
        ours = cohorts.retention(engine, orders, as_of, "month", definition)
        ref = pandas_retention(raw, as_of, definition)
        np.testing.assert_allclose(
            ours.matrix().to_numpy(), ref.reindex(columns=range(18)).to_numpy(), rtol=1e-12
        )
    sizes = ours.sizes()
    assert sizes.sum() == 23_570 and list(sizes.index) == ["1997-01", "1997-02", "1997-03"]
    revenue = ours.matrix("revenue")
    assert np.nansum(revenue.to_numpy()) == pytest.approx(raw["amount"].sum())


def test_period_index_agrees_with_python():
    days = [dt.date(2024, 1, 1), dt.date(2024, 2, 29), dt.date(2025, 12, 31), dt.date(2026, 6, 15)]
    t = ibis.memtable(pd.DataFrame({"d": pd.to_datetime(days)}))
    con = ibis.duckdb.connect()
    for period in cohorts.PERIODS:
        got = con.execute(t.select(i=cohorts.period_index(t.d, period)))["i"].tolist()
        assert got == [cohorts.index_of(d, period) for d in days], period
        for i in got:
            assert cohorts.index_of(cohorts.start_of(i, period).date(), period) == i


def test_weekly_and_quarterly_cohorts(demo):
    params, data, _ = demo
    for period in ("week", "quarter"):
        r = cohorts.retention(data.engine, data.orders, params.as_of, period, "on")
        m = r.matrix()
        assert (m.iloc[:, 0] == 1).all() and m.shape[0] > 3


def test_email_retains_better_than_paid_search(demo):
    params, data, frame = demo
    groups = cohorts.split_values(frame, params, "acquisition_channel")
    r = cohorts.retention(data.engine, data.orders, params.as_of, "month", "on", groups)
    at = r.at([3, 6, 12])
    assert (at.loc["email"] > at.loc["paid search"]).all()
    econ = cohorts.economics(data, frame, params)
    assert econ.loc["email", "value / CAC"] > 2 * econ.loc["paid search", "value / CAC"]
    assert econ.loc["paid search", "payback (months)"] > econ.loc["email", "payback (months)"]


def test_the_promotion_cohort_drops_after_the_promotion_ends(demo):
    params, data, frame = demo
    effects = cohorts.promotions(data, frame, params)
    summary = cohorts.promotion_summary(effects["SUMMER50"])
    after = "active % in the 3 months after"
    during = "active % in the last promotion month"
    assert summary.loc["with SUMMER50", after] < 0.4 * summary.loc["without SUMMER50", after]
    assert summary.loc["with SUMMER50", during] > 0.5 * summary.loc["without SUMMER50", during]


def test_the_stick_point_is_three_orders_in_sixty_days(demo):
    params, data, _ = demo
    sp = cohorts.stick_point(data.engine, data.orders, params.as_of, "orders", 60, (180, 365))
    assert sp.best == 3
    t = sp.thresholds.loc[3]
    assert t["lift low"] > 0.4 and t["ratio"] > 3
    assert "3 orders within 60 days" in cohorts.stick_sentence(sp)
    spend = cohorts.stick_point(data.engine, data.orders, params.as_of, "spend", 60, (180, 365))
    assert spend.levels["customers"].sum() == sp.levels["customers"].sum()


def test_cohort_rules_side_by_side(demo):
    params, data, frame = demo
    table = cohorts.rules(data, frame, params)
    assert list(table.index) == [label_of(r, params) for r in params.cohorts.rules]
    referred, ready = label_of("referred_two_or_more", params), label_of("ready_to_buy", params)
    assert table.loc[referred, "active in month 12 %"] > table.loc[referred, "rest: active in month 12 %"]
    assert table.loc[ready, "active in month 6 %"] > table.loc[ready, "rest: active in month 6 %"]
    assert table.loc[ready, "who it covers"] == "Days from first contact to first order at most 7"


def test_nps_groups():
    g = fields.nps_group(pd.Series([10, 9, 8, 7, 6, 0, None]))
    assert g.tolist()[:6] == ["promoters", "promoters", "passives", "passives", "detractors", "detractors"]
    assert g.isna().tolist()[-1]


def test_cohort_rules_equal_split_retention_computed_rule_by_rule(demo):
    """The one-pass rule comparison against retention split by each rule (the direct way)."""
    params, data, frame = demo
    ct = params.cohorts
    buyers = frame[frame["orders"] > 0]
    table = cohorts.rules(data, frame, params)
    last = max(ct.economics_periods)
    for rule, expr in list(ct.rules.items())[:3]:
        meets = evaluate(expr, buyers).to_numpy(bool)
        groups = pd.Series(
            np.where(meets, "meets", "rest"), index=buyers[params.columns.id].astype(str).to_numpy()
        )
        ret = cohorts.retention(data.engine, data.orders, params.as_of, ct.period, "on", groups, last)
        at = ret.at(ct.economics_periods)
        curve = ret.curve()
        revenue = curve[curve["n"] <= last].groupby("group")["revenue_per_customer"].sum()
        row = table.loc[label_of(rule, params)]
        for n in ct.economics_periods:
            assert row[f"active in month {n} %"] == pytest.approx(100 * at.loc["meets", n])
            assert row[f"rest: active in month {n} %"] == pytest.approx(100 * at.loc["rest", n])
        spent = f"revenue per customer, first {last} months"
        assert row[spent] == pytest.approx(revenue["meets"])
        assert row[f"rest: {spent}"] == pytest.approx(revenue["rest"])
