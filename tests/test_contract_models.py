"""The subscription (sBG) and bought-or-not-per-period (BG/BB) models against their papers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analyses.contract_models import BetaGeometricBetaBinomialModel, ShiftedBetaGeometricModel

# Fader & Hardie (2007), "How to project customer retention", Table 1: survivors of 1,000
# customers acquired together, years 0-12; the model is fitted on years 0-7
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

# Fader, Hardie & Shang (2010), the donations data (11,104 donors, 1995 cohort, 6 years):
# (frequency, recency, donors); as shipped in the lifetimes 0.11.3 wheel's donations.csv
DONATIONS = [
    (0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119), (1, 6, 129),
    (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234), (3, 3, 322), (3, 4, 181),
    (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284), (4, 6, 512), (5, 5, 335), (5, 6, 728),
    (6, 6, 1203),
]  # fmt: skip


@pytest.mark.parametrize(("survivors", "gamma", "delta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_sbg_reproduces_fader_hardie_2007(survivors, gamma, delta):
    model = ShiftedBetaGeometricModel().fit(ShiftedBetaGeometricModel.from_survivors(survivors[:8]))
    assert model.params_["gamma"] == pytest.approx(gamma, abs=0.005)
    assert model.params_["delta"] == pytest.approx(delta, abs=0.005)
    # the projection of years 8-12 is the paper's (its parameters) and tracks what happened
    years = np.arange(8, 13)
    published = ShiftedBetaGeometricModel({"gamma": gamma, "delta": delta}).survival(years) * 1000
    projected = model.survival(years) * 1000
    np.testing.assert_allclose(projected, published, rtol=0.005)
    np.testing.assert_allclose(projected, survivors[8:], rtol=0.05)
    # the retention rate rises with tenure, as the paper stresses
    assert np.all(np.diff(model.retention(np.arange(1, 13))) > 0)


def test_sbg_derl_and_churn_chance_are_what_their_sums_say():
    model = ShiftedBetaGeometricModel({"gamma": 0.704, "delta": 1.182})
    t = np.arange(0, 3000)
    s = model.survival(t)
    for paid in (1, 3, 8):
        by_sum = (s[paid:] / s[paid - 1] / 1.1 ** np.arange(len(t) - paid)).sum()
        assert model.discounted_residual_lifetime(paid, 0.10)[0] == pytest.approx(by_sum, rel=1e-6)
        assert model.churn_probability(paid) == pytest.approx(1 - s[paid] / s[paid - 1])
    assert np.isinf(model.residual_lifetime(3))  # γ < 1: no finite mean lifetime
    heavy = ShiftedBetaGeometricModel({"gamma": 2.5, "delta": 4.0})
    s = heavy.survival(np.arange(0, 200_000))
    assert heavy.residual_lifetime(4) == pytest.approx((s[4:] / s[3]).sum(), rel=1e-4)


def test_sbg_fits_subscribers_observed_for_different_lengths():
    """Several cohorts, each seen for its own number of periods: the truth is recovered."""
    rng = np.random.default_rng(5)
    theta = rng.beta(1.5, 6.0, 60_000)
    lifetime = rng.geometric(theta)  # periods paid until the first cancellation
    seen = rng.integers(1, 25, len(theta))  # periods since each started
    frame = pd.DataFrame({"periods": np.minimum(lifetime, seen), "churned": lifetime < seen})
    model = ShiftedBetaGeometricModel().fit(frame)
    assert model.params_["gamma"] == pytest.approx(1.5, rel=0.1)
    assert model.params_["delta"] == pytest.approx(6.0, rel=0.1)


def test_sbg_intervals_cover_the_truth_as_often_as_they_say():
    """90% intervals on S(24), from data simulated with known parameters, cover the true value
    in about 90% of the simulated data sets."""
    truth = ShiftedBetaGeometricModel({"gamma": 0.8, "delta": 2.0}).survival(24)[0]
    covered = []
    for seed in range(60):
        rng = np.random.default_rng(100 + seed)
        lifetime = rng.geometric(rng.beta(0.8, 2.0, 1500))
        seen = 8
        frame = pd.DataFrame({"periods": np.minimum(lifetime, seen), "churned": lifetime < seen})
        model = ShiftedBetaGeometricModel().fit(frame, draws=300, seed=seed)
        low, high = model.interval(model.survival(24, draws=True))
        covered.append(low[0] <= truth <= high[0])
    assert 0.8 <= np.mean(covered) <= 0.98


def _donations() -> pd.DataFrame:
    frame = pd.DataFrame(DONATIONS, columns=["frequency", "recency", "count"])
    return frame.assign(periods=6)


def test_bgbb_reproduces_fader_hardie_shang_2010():
    model = BetaGeometricBetaBinomialModel().fit(_donations())
    for name, value in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert model.params_[name] == pytest.approx(value, abs=0.005)
    assert model.log_likelihood_ == pytest.approx(-33_225.6, abs=0.1)
    assert _donations()["count"].sum() == 11_104


def test_bgbb_forecasts_match_a_simulation_from_the_same_parameters():
    """P(alive), the expected purchases of a customer with a history and of a new one equal the
    averages over customers simulated from the fitted parameters."""
    model = BetaGeometricBetaBinomialModel({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    rng = np.random.default_rng(1)
    people, n, ahead = 400_000, 6, 5
    p, theta = rng.beta(1.204, 0.750, people), rng.beta(0.657, 2.783, people)
    # alive in periods 1 … L: at the start of each period, one leaves for good with chance θ
    alive_for = rng.geometric(theta) - 1
    buys = (rng.random((people, n + ahead)) < p[:, None]) & (
        np.arange(1, n + ahead + 1) <= alive_for[:, None]
    )
    past, future = buys[:, :n], buys[:, n:]
    x = past.sum(1)
    tx = np.where(x > 0, n - np.argmax(past[:, ::-1], axis=1), 0)
    assert model.expected_purchases_new(n) == pytest.approx(x.mean(), rel=0.01)
    for hx, htx in [(6, 6), (3, 6), (3, 3), (1, 1), (0, 0)]:
        who = (x == hx) & (tx == htx)
        assert model.p_alive(hx, htx, n)[0] == pytest.approx((alive_for[who] > n).mean(), abs=0.02)
        forecast = float(model.expected_purchases(hx, htx, n, ahead)[0])
        assert forecast == pytest.approx(future[who].sum(1).mean(), abs=0.05 + 0.03 * forecast)
