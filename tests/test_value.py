"""Customer-value models against the published CDNOW fits, and the value step on demo data."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from helpers.analyses import value

CDNOW = SHARED / "cdnow"
needs_cdnow = pytest.mark.skipif(
    not (CDNOW / "CDNOW_sample.txt").exists(), reason="../shared/data/cdnow not present"
)


@pytest.fixture(scope="module")
def sample_summary() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["order_ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    con = ibis.duckdb.connect()
    orders = con.create_table("orders", raw[["customer_id", "order_ts", "amount"]])
    summary = con.execute(
        value.rfm_summary(orders, dt.date(1997, 9, 30), "weeks", holdout_end=dt.date(1998, 6, 30))
    )
    return summary.set_index("customer_id")


@needs_cdnow
def test_rfm_summary_matches_the_papers_calibration_facts(sample_summary):
    s = sample_summary
    assert len(s) == 2357
    assert s["frequency"].sum() == 2457 and (s["frequency"] > 0).sum() == 946
    assert s["holdout_frequency"].sum() == 1882
    assert s["T"].max() == pytest.approx(38.857, abs=1e-3)  # first buyers on 1997-01-01
    assert (s["recency"] <= s["T"]).all()


@needs_cdnow
def test_bg_nbd_reproduces_the_published_fit(sample_summary):
    m = value.BetaGeoModel().fit(sample_summary)
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert m.params_[k] == pytest.approx(v, abs=0.01), k
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.5)
    # the paper's worked example: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in 39 weeks
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert m.expected_purchases(one, 39)[0] == pytest.approx(1.226, abs=0.01)
    # customers with no repeat purchase are alive by construction in BG/NBD
    zero = sample_summary[sample_summary["frequency"] == 0]
    assert np.allclose(m.p_alive(zero), 1.0)


@needs_cdnow
def test_pareto_nbd_reproduces_the_published_fit(sample_summary):
    m = value.ParetoNBDModel().fit(sample_summary)
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert m.params_[k] == pytest.approx(v, abs=0.01), k
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.5)
    p = m.p_alive(sample_summary)
    assert ((p > 0) & (p <= 1)).all()


@needs_cdnow
def test_gamma_gamma_reproduces_the_published_fit(sample_summary):
    m = value.GammaGammaModel().fit(sample_summary)
    for k, v in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert m.params_[k] == pytest.approx(v, abs=0.05), k
    spend = m.expected_spend(sample_summary)
    assert (spend > 0).all()


@needs_cdnow
def test_holdout_check_and_value(sample_summary):
    m = value.BetaGeoModel().fit(sample_summary)
    check = value.calibration_holdout(sample_summary, m, 39)
    assert check["customers"].sum() == 2357
    assert check["predicted"].is_monotonic_increasing
    actual = check["actual"] * check["customers"]
    assert actual.sum() == pytest.approx(1882)
    gg = value.GammaGammaModel().fit(sample_summary)
    clv = value.customer_value(m, gg, sample_summary, horizon=52, steps=12, discount_rate=0.01)
    plain = value.customer_value(m, gg, sample_summary, horizon=52, steps=12)
    assert (clv >= 0).all() and (clv <= plain + 1e-9).all()  # discounting only lowers value


def test_log_likelihoods_are_finite_at_extremes():
    x = np.array([0.0, 1.0, 20.0])
    tx = np.array([0.0, 38.86, 20.0])  # last purchase at T: Pareto/NBD's A0 is 0
    T = np.array([38.86, 38.86, 38.86])
    for p in ([0.2, 4.0, 0.8, 2.4], [5.0, 0.5, 0.1, 50.0]):
        assert np.isfinite(value.BetaGeoModel.loglik(np.array(p), x, tx, T)).all()
    for p in ([0.5, 10.0, 0.6, 11.0], [0.5, 12.0, 0.6, 3.0]):  # both hypergeometric branches
        assert np.isfinite(value.ParetoNBDModel.loglik(np.array(p), x, tx, T)).all()


def test_value_step_on_demo_data(make_params, tmp_path):
    from helpers.analyses.filters import profile_frame
    from helpers.data.dataset import load_dataset
    from helpers.params.loading import load_params

    params = load_params(make_params())
    data = load_dataset(params)
    result = value.fit_value(data.engine, data.orders, params.as_of, params.value, params.cohorts.margin)
    c = result.customers
    assert ((c["p_alive"] >= 0) & (c["p_alive"] <= 1)).all() and (c["clv"] >= 0).all()
    assert result.check is not None and result.check_totals["actual"] > 0
    frame = profile_frame(data)
    drivers = value.churn_model(frame, params, result)
    email = [i for i in drivers.index if "email (vs" in i][0]
    assert drivers.loc[email, "odds ratio"] < 1  # email customers churn less (planted)
    by = value.value_by(result, value.channel_groups(frame, params), 10)
    assert by.loc["email", "at risk %"] < by.loc["paid search", "at risk %"]
    rfm = value.rfm_table(result)
    assert rfm["customers"].sum() == len(c)
    value.save_private(result, str(tmp_path / "04_cohorts"))  # 05 repeats 04's caveat
    assert value.caveat_for(str(tmp_path / "05_personas")) == value.value_caveat(result) != ""


def test_customer_value_is_read_from_the_cohorts_report_of_the_same_run(tmp_path):
    from types import SimpleNamespace

    from helpers.analyses.value import customer_value_for

    saved = tmp_path / "04_cohorts"
    saved.mkdir()
    clv = pd.Series([10.0, 20.0], index=pd.Index(["a", "b"], name="customer_id"), name="clv")
    clv.to_frame().assign(p_alive=0.5).to_parquet(saved / "customer_value.parquet")
    got = customer_value_for(SimpleNamespace(params=None), str(tmp_path / "05_personas"))
    pd.testing.assert_series_equal(got, clv)


def _fit_on(frame: pd.DataFrame, holdout: float = 0) -> value.ValueResult:
    from helpers.data.engine import Engine
    from helpers.params.settings import ValueParams

    engine = Engine()
    orders = engine.con.create_table("o", frame)
    return value.fit_value(
        engine, orders, dt.date(1998, 6, 30), ValueParams(holdout=holdout, sample_size=5000)
    )


@needs_cdnow
def test_a_constant_amount_is_reported_not_modelled(sample_summary):
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["order_ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["amount"] = 15.0  # every purchase the same: Gamma-Gamma runs to p → ∞, gamma → 0
    result = _fit_on(raw[["customer_id", "order_ts", "amount"]])
    assert result.purchases_ok and not result.value_ok
    assert "spends the same" in result.problems["spend"] or "ran to an extreme" in result.problems["spend"]
    assert result.customers["clv"].isna().all() and result.customers["p_alive"].notna().all()
    assert set(result.parameters()["model"]) == {"purchases (BG/NBD)"}
    assert "cannot be estimated from this data" in result.problem_sentences()[0]


@needs_cdnow
def test_orders_without_amounts_still_model_purchases():
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["order_ts"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw["amount"] = np.nan
    result = _fit_on(raw[["customer_id", "order_ts", "amount"]], holdout=39)
    assert "no amounts" in result.problems["spend"]
    assert result.check_fit["r"] == pytest.approx(0.243, abs=0.005)  # the published fit
    assert set(result.parameters()["model"]) == {"purchases (BG/NBD)"}
    assert value.rfm_table(result).columns.tolist()[:2] == ["customers", "mean repeat purchases"]


def test_degenerate_fits_are_named():
    assert value.degenerate({"p": 1.9e17, "q": 1.0, "gamma": 0.0}, -10.0).startswith(
        "the fit ran to an extreme (p = 1.9e+17)"
    )
    assert value.degenerate({"r": np.nan}, -1.0).startswith("the fit did not converge")
    assert value.degenerate({"r": 0.24, "alpha": 4.4}, np.inf) == "the fit did not converge"
    assert value.degenerate({"r": 0.24, "alpha": 4.4}, -9582.4) is None
