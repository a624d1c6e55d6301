"""Cohorts and retention against independent pandas computations and the demo's planted truth."""

from __future__ import annotations

import datetime as dt

import ibis
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, demo_params_at

from helpers.analyses import acquisition, cohorts, stick_point
from helpers.analyses.filters import evaluate, profile_frame
from helpers.data import fields
from helpers.data.dataset import load_dataset
from helpers.data.engine import Engine
from helpers.params.schema import label_of
from helpers.present import charts


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
    orders = orders[(orders["amount"] > 0) & orders["customer_id"].notna()]  # returns and guests out
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
    econ = acquisition.economics(data, frame, params)
    assert econ.loc["email", "value / CAC"] > 2 * econ.loc["paid search", "value / CAC"]
    assert econ.loc["paid search", "payback (months)"] > econ.loc["email", "payback (months)"]


def test_the_promotion_cohort_drops_after_the_promotion_ends(demo):
    params, data, frame = demo
    effects = acquisition.promotions(data, frame, params)
    summary = acquisition.promotion_summary(effects["SUMMER50"])
    after = "active % in the 3 months after"
    during = "active % in the last promotion month"
    assert summary.loc["with SUMMER50", after] < 0.4 * summary.loc["without SUMMER50", after]
    assert summary.loc["with SUMMER50", during] > 0.5 * summary.loc["without SUMMER50", during]


def test_the_stick_point_is_three_orders_in_sixty_days(demo):
    params, data, _ = demo
    sp = stick_point.on_orders(data.engine, data.orders, params.as_of, "orders", 60, (180, 365))
    assert sp.best == 3
    t = sp.thresholds["orders"].loc[3]
    assert t["lift low"] > 0.4 and t["ratio"] > 3
    assert "3 orders within 60 days" in sp.sentence()
    spend = stick_point.on_orders(data.engine, data.orders, params.as_of, "spend", 60, (180, 365))
    assert spend.levels["spend"]["customers"].sum() == sp.levels["orders"]["customers"].sum()


def test_cohort_rules_side_by_side(demo):
    params, data, frame = demo
    table = acquisition.rules(data, frame, params)
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
    cohort_rules = params.cohorts
    buyers = frame[frame["orders"] > 0]
    table = acquisition.rules(data, frame, params)
    last = max(cohort_rules.economics_periods)
    for rule, expr in list(cohort_rules.rules.items())[:3]:
        meets = evaluate(expr, buyers).to_numpy(bool)
        groups = pd.Series(
            np.where(meets, "meets", "rest"), index=buyers[params.columns.id].astype(str).to_numpy()
        )
        ret = cohorts.retention(
            data.engine, data.orders, params.as_of, cohort_rules.period, "on", groups, last
        )
        at = ret.at(cohort_rules.economics_periods)
        curve = ret.curve()
        revenue = curve[curve["n"] <= last].groupby("group")["revenue_per_customer"].sum()
        row = table.loc[label_of(rule, params)]
        for n in cohort_rules.economics_periods:
            assert row[f"active in month {n} %"] == pytest.approx(100 * at.loc["meets", n])
            assert row[f"rest: active in month {n} %"] == pytest.approx(100 * at.loc["rest", n])
        spent = f"revenue per customer, first {last} months"
        assert row[spent] == pytest.approx(revenue["meets"])
        assert row[f"rest: {spent}"] == pytest.approx(revenue["rest"])


# --- the privacy minimum in every cell and curve point ------------------------------------------


def planted_orders() -> pd.DataFrame:
    """Three monthly cohorts: 40 people (15, 3 and 4 back in months 1–3), 23 people (1 and 2 back
    in months 1–2) and 5 people (none back)."""
    rows = []

    def cohort(prefix: str, size: int, month: int, back: list[int]) -> None:
        for i in range(size):
            rows.append((f"{prefix}{i}", pd.Timestamp(2024, month, 3), 10.0))
        for n, k in enumerate(back, start=1):
            rows.extend((f"{prefix}{i}", pd.Timestamp(2024, month + n, 5), 5.0) for i in range(k))

    cohort("a", 40, 1, [15, 3, 4])
    cohort("b", 23, 2, [1, 2])
    cohort("c", 5, 3, [0])
    return pd.DataFrame(rows, columns=["customer_id", "order_ts", "amount"])


@pytest.fixture(scope="module")
def planted():
    engine = Engine()
    orders = engine.register(planted_orders(), "planted")
    return engine, orders, dt.date(2024, 4, 30)


def test_a_small_cohort_shows_no_cell_of_one_or_two_people(planted):
    engine, orders, as_of = planted
    r = cohorts.retention(engine, orders, as_of, "month", "on")
    assert r.matrix().loc["2024-02", 1] == pytest.approx(1 / 23)  # without the minimum: shown
    heat = r.matrix(min_cell=10)  # the heatmap's data
    assert list(heat.index) == ["2024-01", "2024-02"]  # the cohort of 5 is left out whole
    assert heat.loc["2024-02", 0] == 1.0 and np.isnan(heat.loc["2024-02", [1, 2]]).all()
    assert heat.loc["2024-01", 1] == pytest.approx(15 / 40) and np.isnan(heat.loc["2024-01", [2, 3]]).all()
    assert r.hidden(min_cell=10).to_numpy().sum() == 4
    assert list(r.sizes(min_cell=10)) == [40, 23]
    assert "4 cells of fewer than 10" in r.privacy_note(10) and "1 cohort" in r.privacy_note(10)
    csv = r.matrix_table(min_cell=10)  # the CSV table
    assert csv.loc["2024-02", "month 1 %"] == "<10" and csv.loc["2024-02", "month 2 %"] == "<10"
    assert csv.loc["2024-02", "customers"] == 23 and csv.loc["2024-02", "month 0 %"] == 100
    assert csv.loc["2024-03", "customers"] == "<10" and csv.loc["2024-03", "month 1 %"] == "<10"
    assert pd.isna(csv.loc["2024-03", "month 2 %"])  # too young: blank, not hidden
    assert csv.loc["2024-01", "month 1 %"] == pytest.approx(37.5) and csv.loc["2024-01", "month 3 %"] == "<10"


def test_the_heatmap_marks_each_hidden_cell_and_no_other(planted):
    engine, orders, as_of = planted
    r = cohorts.retention(engine, orders, as_of, "month", "on")
    fig = charts.retention_heatmap(
        r.matrix(min_cell=10),
        r.sizes(min_cell=10),
        "Retained (%)",
        hidden=r.hidden(min_cell=10),
        hidden_mark="<10",
    )
    marks = [t for t in fig.axes[0].texts if t.get_text() == "<10"]
    assert len(marks) == 4  # the four hidden cells; too-young cells stay blank
    assert {(t.get_position()[1] - 0.5, t.get_position()[0] - 0.5) for t in marks} == {
        (0, 2),
        (0, 3),
        (1, 1),
        (1, 2),
    }
    plt.close(fig)


def test_curve_points_of_few_people_are_gaps(planted):
    engine, orders, as_of = planted
    r = cohorts.retention(engine, orders, as_of, "month", "on")
    curve = r.curve(10).set_index("n")
    assert curve.loc[1, "retention"] == pytest.approx(16 / 68)  # 15 + 1 + 0 of 40 + 23 + 5
    assert curve.loc[[2, 3], "retention"].isna().all()  # 5 and 4 people back
    assert r.curve().set_index("n").loc[2, "retention"] == pytest.approx(5 / 63)
    groups = pd.Series({f"b{i}": "small cohort" for i in range(23)} | {f"a{i}": "big" for i in range(40)})
    split = cohorts.retention(engine, orders, as_of, "month", "on", groups)
    table = split.table_at([1, 2], 10)
    assert table.loc["small cohort", "active in month 1 %"] == "<10"
    assert table.loc["big", "active in month 1 %"] == pytest.approx(37.5)
    assert table.loc["big", "active in month 2 %"] == "<10"
    assert split.curve(10).set_index(["group", "n"]).loc[("small cohort", 1), "retention"] != 1 / 23


def test_cohort_rules_hide_figures_of_few_people(planted):
    engine, orders, as_of = planted
    ids = pd.Series([f"a{i}" for i in range(40)] + [f"b{i}" for i in range(23)])
    masks = pd.DataFrame({"second cohort": ids.str.startswith("b").to_numpy()})
    out = acquisition.compare_rules(engine, orders, as_of, masks, ids, "month", [1, 2], min_cell=10)
    row = out.loc["second cohort"]
    assert row["active in month 1 %"] == "<10" and row["rest: active in month 1 %"] == pytest.approx(37.5)
    assert row["rest: active in month 2 %"] == "<10"


# --- weak stick points said plainly --------------------------------------------------------------


def planted_stick(reached: int, stayed: int, total: int, stayed_below: int) -> stick_point.StickPoint:
    """A stick point at 3 orders reached by ``reached`` of ``total`` buyers."""
    levels = pd.DataFrame(
        {"customers": [total - reached, reached], "retained": [stayed_below, stayed]}, index=[2, 3]
    )
    levels["retention"] = levels["retained"] / levels["customers"]
    return stick_point.result({"orders": levels}, 60, (180, 365), max_level=8, min_share=0.01, min_cell=0)


def test_a_stick_point_few_reach_and_most_leave_is_called_weak():
    sentence = planted_stick(38, 10, 1000, 50).sentence()  # 3.8%, 74% do not stay
    assert sentence.startswith("**A weak stick point: 3 orders within 60 days**")
    assert "Only 3.8% of buyers (38 of 1,000) reach it" in sentence
    assert "74% of them still do not order again 180–365 days" in sentence
    assert "not a finding to act on" in sentence
    mostly_leave = planted_stick(300, 120, 1000, 70).sentence()  # many reach, 40% stay
    assert "A weak stick point" in mostly_leave and "60% of them still do not order again" in mostly_leave
    strong = planted_stick(300, 200, 1000, 70).sentence()
    assert strong.startswith("**Stick point: 3 orders") and "weak" not in strong


def test_the_demo_stick_point_is_strong(demo):
    params, data, _ = demo
    sentence = stick_point.find(data, params).sentence()
    assert sentence.startswith("**Stick point: 3 orders within 60 days**") and "weak" not in sentence


CDNOW = SHARED / "cdnow" / "CDNOW_master.txt"
needs_cdnow = pytest.mark.skipif(not CDNOW.exists(), reason="../shared/data/cdnow not present")


@pytest.fixture(scope="module")
def cdnow():
    raw = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw["order_ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw = raw.rename(columns={"dollar_value": "amount"})[["customer_id", "order_ts", "amount"]]
    engine = Engine()
    return engine, engine.register(raw, "cdnow_orders"), dt.date(1998, 6, 30)


@needs_cdnow
def test_the_cdnow_stick_point_is_weak_and_its_intake_ended(cdnow):
    engine, orders, as_of = cdnow
    sp = stick_point.on_orders(engine, orders, as_of, "orders", 60, (180, 365), min_cell=10)
    sentence = sp.sentence()
    assert sentence.startswith("**A weak stick point: 3 orders within 60 days**")
    assert "Only 8.8% of buyers (2,081 of 23,570)" in sentence
    end = cohorts.intake_ended(engine, orders, as_of)
    assert end is not None and f"{end.last:%Y-%m}" == "1997-03" and end.months_after == 15
    words = cohorts.intake_sentence(end)
    assert "only until March 1997" in words and "not a trend" in words and "peak" in words


def test_the_demo_keeps_taking_in_new_buyers(demo):
    params, data, _ = demo
    assert cohorts.intake_ended(data.engine, data.orders, params.as_of) is None
    ret = cohorts.retention(data.engine, data.orders, params.as_of, "month", "on")
    lines = acquisition.headlines(ret, {}, None, stick_point.find(data, params), {}, 10, None)
    assert not any("taken in" in line for line in lines)


def test_a_hidden_retention_figure_is_said_hidden_in_the_economics_headline(demo):
    params, data, _ = demo
    ret = cohorts.retention(data.engine, data.orders, params.as_of, "month", "on")
    econ = pd.DataFrame(
        {"customers": [400, 300], "value / CAC": [3.2, 1.1], "active in month 12 %": [41.0, "<10"]},
        index=pd.Index(["Referral", "Paid search"], name="channel"),
    )
    lines = acquisition.headlines(ret, {}, econ, stick_point.find(data, params), {}, 10, None, 12)
    sentence = next(line for line in lines if "acquisition cost" in line)
    assert "41% against hidden (fewer than 10 people)" in sentence


def test_a_promotion_average_never_gives_away_a_hidden_period(demo):
    params, data, frame = demo
    effect = acquisition.promotions(data, frame, params)["SUMMER50"]
    table = effect.table
    effect.table = table.assign(active=table["active"].where(table["after end"] != 3, 4))  # one small period
    effect.table["active %"] = 100 * effect.table["active"] / effect.table["size"]
    table = acquisition.promotion_table(effect, 10).table
    summary = acquisition.promotion_summary(effect, min_cell=10)
    after = next(c for c in summary.columns if "after" in c and c.startswith("active %"))
    for group, rows in table.groupby("group"):
        window = rows[(rows["after end"] > 0) & (rows["after end"] <= 3)]
        shown = pd.to_numeric(window["active %"], errors="coerce").dropna()
        assert len(shown) < len(window)  # the planted small period is hidden in the table
        assert summary.loc[group, after] == pytest.approx(shown.mean())  # and left out of the average
