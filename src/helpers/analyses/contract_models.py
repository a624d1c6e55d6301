"""Retention models for businesses that are not "buy at any time": subscriptions that renew or
cancel at known moments (the shifted-beta-geometric model, Fader & Hardie 2007, "How to project
customer retention") and periods that are each bought or not (BG/BB, Fader, Hardie & Shang 2010,
"Customer-base analysis in a discrete-time noncontractual setting").

Written here because no well-kept Python library fits them (lifetimes is unmaintained and has no
sBG; pymc-marketing's needs a sampler). Both follow scikit-learn's shape: ``fit`` returns the
model, fitted values end in ``_``. Intervals come from a parametric bootstrap: parameter draws
from the fit's covariance (the inverse Hessian of the log-likelihood, on the log scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special
from statsmodels.tools.numdiff import approx_hess3

from helpers.analyses.value_models import fit_likelihood

# γ and δ stay within e^±9: subscribers who all share one churn rate send both to infinity
# (the plain geometric model); at e^9 the curve is that model's to many decimals
LOG_BOUND = 9.0


def _draws(log_params: np.ndarray, negll, n: int, seed: int) -> np.ndarray:
    """Parameter draws (n × k) from the fit's asymptotic normal law on the log scale."""
    hess = approx_hess3(log_params, negll)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(hess)
    cov = (cov + cov.T) / 2
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(log_params, cov, size=n, method="eigh")
    return np.exp(np.clip(draws, -LOG_BOUND, LOG_BOUND))


@dataclass
class ShiftedBetaGeometricModel:
    """sBG: each subscriber cancels at every renewal with their own probability θ, θ ~ Beta(γ, δ)
    across subscribers, so the churn rate falls with tenure as the likely leavers leave first."""

    params_: dict[str, float] = field(default_factory=dict)
    log_likelihood_: float = np.nan
    draws_: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    @staticmethod
    def from_survivors(survivors: list[float] | np.ndarray) -> pd.DataFrame:
        """A cohort's survivor counts at periods 0, 1, …, T as lifetimes: those lost at each
        renewal, and those still subscribed after the last (the published tables' shape)."""
        n = np.asarray(survivors, dtype=float)
        lost = n[:-1] - n[1:]
        periods = np.arange(1, len(n))
        return pd.DataFrame(
            {
                "periods": np.r_[periods, len(n)],
                "churned": np.r_[np.ones(len(lost), bool), False],
                "count": np.r_[lost, n[-1]],
            }
        )

    @staticmethod
    def loglik(p: np.ndarray, periods: np.ndarray, churned: np.ndarray) -> np.ndarray:
        """Per-subscriber log-likelihood for (γ, δ): P(T = t) for one who paid t periods and left,
        S(t − 1) for one still subscribed in their t-th period."""
        g, d = p
        base = special.betaln(g, d)
        lost = special.betaln(g + 1, d + periods - 1) - base
        alive = special.betaln(g, d + periods - 1) - base
        return np.where(churned, lost, alive)

    def fit(self, lifetimes: pd.DataFrame, draws: int = 400, seed: int = 0) -> ShiftedBetaGeometricModel:
        """Maximum likelihood on `periods` (periods paid), `churned` and an optional `count`."""
        t = lifetimes["periods"].to_numpy(float)
        c = lifetimes["churned"].to_numpy(bool)
        k = lifetimes["count"].to_numpy(float) if "count" in lifetimes else np.ones(len(t))
        if not (t >= 1).all():
            raise ValueError("every subscriber has paid at least one period")

        def negll(q: np.ndarray) -> float:
            return -float((k * self.loglik(np.exp(np.clip(q, -LOG_BOUND, LOG_BOUND)), t, c)).sum())

        res = fit_likelihood(negll, np.zeros(2))
        res.x = np.clip(res.x, -LOG_BOUND, LOG_BOUND)
        self.params_ = dict(zip(["gamma", "delta"], np.exp(res.x), strict=True))
        self.log_likelihood_ = -float(res.fun)
        self.draws_ = _draws(res.x, negll, draws, seed) if draws else np.empty((0, 2))
        return self

    def _gd(self, draws: bool) -> tuple[np.ndarray, np.ndarray]:
        if draws:
            return self.draws_[:, :1], self.draws_[:, 1:]
        return np.array([[self.params_["gamma"]]]), np.array([[self.params_["delta"]]])

    def survival(self, periods: np.ndarray | int, draws: bool = False) -> np.ndarray:
        """Share of a starting cohort still subscribed after t renewals, S(t) (one row per draw)."""
        t = np.atleast_1d(np.asarray(periods, dtype=float))
        g, d = self._gd(draws)
        out = np.exp(special.betaln(g, d + t) - special.betaln(g, d))
        return out if draws else out[0]

    def retention(self, periods: np.ndarray | int) -> np.ndarray:
        """Share of those subscribed at t − 1 who renew at t, r(t) = (δ + t − 1) / (γ + δ + t − 1)."""
        t = np.atleast_1d(np.asarray(periods, dtype=float))
        g, d = self.params_["gamma"], self.params_["delta"]
        return (d + t - 1) / (g + d + t - 1)

    def churn_probability(self, periods_paid: np.ndarray | int) -> np.ndarray:
        """For a subscriber who has paid L periods, the chance they cancel at the next renewal,
        γ / (γ + δ + L − 1) (their θ's mean given they have renewed L − 1 times)."""
        L = np.asarray(periods_paid, dtype=float)
        g, d = self.params_["gamma"], self.params_["delta"]
        return g / (g + d + L - 1)

    def discounted_residual_lifetime(
        self, periods_paid: np.ndarray | int, discount: float, draws: bool = False
    ) -> np.ndarray:
        """DERL (Fader & Hardie 2010): the renewals still to come from a subscriber who has paid
        L periods, each discounted by `discount` per period, the next one undiscounted."""
        n = np.atleast_1d(np.asarray(periods_paid, dtype=float))
        g, d = self._gd(draws)
        out = (d + n - 1) / (g + d + n - 1) * special.hyp2f1(1.0, d + n, g + d + n, 1 / (1 + discount))
        return out if draws else out[0]

    def residual_lifetime(self, periods_paid: np.ndarray | int) -> np.ndarray:
        """The renewals still to come, undiscounted: (δ + L − 1) / (γ − 1); unbounded when γ ≤ 1
        (a heavy tail of subscribers who almost never leave)."""
        n = np.asarray(periods_paid, dtype=float)
        g, d = self.params_["gamma"], self.params_["delta"]
        return np.full(n.shape, np.inf) if g <= 1 else (d + n - 1) / (g - 1)

    def interval(self, values: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The central `level` interval of a quantity computed on the parameter draws (rows)."""
        tail = (1 - level) / 2 * 100
        return np.percentile(values, tail, axis=0), np.percentile(values, 100 - tail, axis=0)


@dataclass
class BetaGeometricBetaBinomialModel:
    """BG/BB: in each period an active customer buys with probability p, p ~ Beta(α, β), and
    may drop out for good after it with probability θ, θ ~ Beta(γ, δ)."""

    params_: dict[str, float] = field(default_factory=dict)
    log_likelihood_: float = np.nan
    draws_: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))

    @staticmethod
    def loglik(p: np.ndarray, x: np.ndarray, tx: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Per-customer log-likelihood for (α, β, γ, δ) of x purchases, the last in period t_x,
        out of n periods (Fader, Hardie & Shang 2010, eq. 5)."""
        a, b, g, d = p
        x, tx, n = np.atleast_1d(x, tx, n)
        ab, gd = special.betaln(a, b), special.betaln(g, d)
        alive = special.betaln(a + x, b + n - x) - ab + special.betaln(g, d + n) - gd
        gaps = (n - tx).astype(int)
        terms = [alive]
        for i in range(int(gaps.max()) if gaps.size else 0):
            term = special.betaln(a + x, b + tx - x + i) - ab + special.betaln(g + 1, d + tx + i) - gd
            terms.append(np.where(i < gaps, term, -np.inf))
        return special.logsumexp(np.vstack(terms), axis=0)

    def fit(self, summary: pd.DataFrame, draws: int = 400, seed: int = 0) -> BetaGeometricBetaBinomialModel:
        """Maximum likelihood on `frequency` (x), `recency` (t_x), `periods` (n), optional `count`."""
        x, tx, n = (summary[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
        k = summary["count"].to_numpy(float) if "count" in summary else np.ones(len(x))
        if ((x > tx) | (tx > n) | ((x == 0) & (tx != 0))).any():
            raise ValueError(
                "a customer needs frequency ≤ recency ≤ periods, and recency 0 without purchases"
            )

        def negll(q: np.ndarray) -> float:
            return -float((k * self.loglik(np.exp(q), x, tx, n)).sum())

        res = fit_likelihood(negll, np.zeros(4))
        self.params_ = dict(zip(["alpha", "beta", "gamma", "delta"], np.exp(res.x), strict=True))
        self.log_likelihood_ = -float(res.fun)
        self.draws_ = _draws(res.x, negll, draws, seed) if draws else np.empty((0, 4))
        return self

    def _p(self) -> np.ndarray:
        return np.array([self.params_[k] for k in ("alpha", "beta", "gamma", "delta")])

    def p_alive(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The chance a customer with this history is still active in period n + 1."""
        a, b, g, d = self._p()
        x, tx, n = (np.asarray(v, dtype=float) for v in (x, tx, n))
        top = special.betaln(a + x, b + n - x) - special.betaln(a, b)
        top = top + special.betaln(g, d + n + 1) - special.betaln(g, d)
        return np.exp(top - self.loglik(self._p(), x, tx, n))

    def expected_purchases(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray, ahead: int) -> np.ndarray:
        """Expected purchases in the next `ahead` periods for a customer with this history (eq. 13)."""
        a, b, g, d = self._p()
        x, tx, n = (np.asarray(v, dtype=float) for v in (x, tx, n))
        lead = special.betaln(a + x + 1, b + n - x) - special.betaln(a, b) - self.loglik(self._p(), x, tx, n)
        gam = special.gammaln
        scale = d / (g - 1) * np.exp(gam(g + d) - gam(1 + d))
        span = np.exp(gam(1 + d + n) - gam(g + d + n)) - np.exp(
            gam(1 + d + n + ahead) - gam(g + d + n + ahead)
        )
        return np.exp(lead) * scale * span

    def expected_purchases_new(self, periods: np.ndarray | int) -> np.ndarray:
        """Expected purchases of a new customer over its first n periods (eq. 7)."""
        a, b, g, d = self._p()
        n = np.asarray(periods, dtype=float)
        gam = special.gammaln
        return (
            a
            / (a + b)
            * d
            / (g - 1)
            * (1 - np.exp(gam(g + d) - gam(g + d + n) + gam(1 + d + n) - gam(1 + d)))
        )
