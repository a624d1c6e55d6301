"""Step 4, the customer-value models as published: each buyer's purchase history (frequency, recency,
age, average spend), BG/NBD and Pareto/NBD for how often and how long a customer keeps buying,
Gamma-Gamma for how much they spend, each fitted by maximum likelihood (Fader, Hardie and Lee), and
the checks that a history can be fitted at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import optimize, special

UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def daily_purchases(orders: ir.Table) -> ir.Table:
    """One row per customer and purchase day, with the day's amount (same-day orders summed)."""
    days = orders.mutate(day=orders.order_ts.date())
    return days.group_by(["customer_id", "day"]).aggregate(amount=days.amount.sum())


def rfm_summary(
    orders: ir.Table,
    calibration_end: dt.date,
    unit: str = "weeks",
    holdout_end: dt.date | None = None,
    daily: ir.Table | None = None,
) -> ir.Table:
    """Per customer: frequency (repeat purchase days), recency, T, monetary; optional holdout.

    Purchases on the same day count as one purchase (their amounts are summed), as in the papers.
    ``daily`` may pass :func:`daily_purchases` of the orders, computed once.
    """
    daily = daily_purchases(orders) if daily is None else daily
    cal = daily.filter(daily.day <= calibration_end)
    first = cal.group_by("customer_id").aggregate(first=cal.day.min())
    cal = cal.join(first, "customer_id")
    per_day = UNIT_DAYS[unit]
    end = ibis.literal(calibration_end)
    summary = cal.group_by("customer_id").aggregate(
        frequency=cal.count() - 1,
        first=cal.first.min(),
        last=cal.day.max(),
        repeat_spend=cal.amount.sum(where=cal.day > cal.first),
        total_spend=cal.amount.sum(),
    )
    summary = summary.mutate(
        recency=summary.last.delta(summary.first, unit="day").cast("float64") / per_day,
        T=end.delta(summary.first, unit="day").cast("float64") / per_day,
        monetary=(summary.frequency > 0).ifelse(summary.repeat_spend / summary.frequency, 0.0),
    )
    cols = ["customer_id", "frequency", "recency", "T", "monetary", "total_spend", "first", "last"]
    if holdout_end is None:
        return summary.select(cols)
    hold = daily.filter((daily.day > calibration_end) & (daily.day <= holdout_end))
    hold = hold.group_by("customer_id").aggregate(
        holdout_frequency=hold.count(), holdout_spend=hold.amount.sum()
    )
    out = summary.left_join(hold, "customer_id").select(
        *cols,
        holdout_frequency=hold.holdout_frequency.fill_null(0),
        holdout_spend=hold.holdout_spend.fill_null(0.0),
    )
    return out


def fit_likelihood(negll, x0: np.ndarray, warm: dict[str, float] | None = None) -> optimize.OptimizeResult:
    """Minimise a negative log-likelihood over log-parameters, from a few starting points, or
    from ``warm`` (a nearby fit, e.g. the holdout check's) when that converges."""
    if warm:
        res = optimize.minimize(negll, np.log(list(warm.values())), method="L-BFGS-B")
        if res.success:
            return res
    best = None
    for start in (x0, x0 + 0.5, x0 - 0.5):
        res = optimize.minimize(
            negll, start, method="Nelder-Mead", options={"maxiter": 20_000, "xatol": 1e-6, "fatol": 1e-6}
        )
        res = optimize.minimize(negll, res.x, method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
        if best.success and np.all(np.abs(best.x) < 10):  # a sound optimum: no restart needed
            break
    return best


def _arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        summary["frequency"].to_numpy(float),
        summary["recency"].to_numpy(float),
        summary["T"].to_numpy(float),
    )


def _compressed(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (frequency, recency, T) rows and how many customers share each: the likelihood
    only depends on these, so fitting on them is exact and far faster on large customer bases."""
    g = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="k")
    return (
        g["frequency"].to_numpy(float),
        g["recency"].to_numpy(float),
        g["T"].to_numpy(float),
        g["k"].to_numpy(float),
    )


@dataclass
class BetaGeoModel:
    """BG/NBD (Fader, Hardie & Lee 2005): purchases while alive, a coin flip after each purchase."""

    params_: dict[str, float] = field(default_factory=dict)
    log_likelihood_: float = np.nan

    @staticmethod
    def loglik(p: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Per-customer log-likelihood for parameters (r, alpha, a, b)."""
        r, alpha, a, b = p
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.betaln(a, b + x) - special.betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(
                x > 0,
                np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                -np.inf,
            )
        return a1 + a2 + np.logaddexp(a3, a4)

    def fit(self, summary: pd.DataFrame, start: dict[str, float] | None = None) -> BetaGeoModel:
        """Maximum-likelihood fit on an RFM summary (``start``: parameters to start from)."""
        x, tx, T, k = _compressed(summary)
        res = fit_likelihood(lambda q: -(k * self.loglik(np.exp(q), x, tx, T)).sum(), np.zeros(4), start)
        self.params_ = dict(zip(["r", "alpha", "a", "b"], np.exp(res.x), strict=True))
        self.log_likelihood_ = -float(res.fun)
        return self

    def _p(self) -> tuple[float, float, float, float]:
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def p_alive(self, summary: pd.DataFrame) -> np.ndarray:
        """Probability each customer is still active at the end of calibration."""
        r, alpha, a, b = self._p()
        x, tx, T = _arrays(summary)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            )
        return np.where(x > 0, 1 / (1 + np.exp(log_ratio)), 1.0)

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> np.ndarray:
        """Expected purchases in the next t time units."""
        r, alpha, a, b = self._p()
        x, tx, T = _arrays(summary)
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1)
        body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(x > 0, (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x), 0)
        return head * body / (1 + tail)

    def expected_purchases_new(self, t: np.ndarray | float) -> np.ndarray:
        """Expected purchases of a new customer in a period of length t (for tracking plots)."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


@dataclass
class ParetoNBDModel:
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases while alive, exponential lifetimes."""

    params_: dict[str, float] = field(default_factory=dict)
    log_likelihood_: float = np.nan

    @staticmethod
    def _log_a0(
        r: float, alpha: float, s: float, beta: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """log of A0 (Fader & Hardie's note), both branches of the Gauss hypergeometric."""
        rsx = r + s + x
        if alpha >= beta:
            big, other, second = alpha, beta, s + 1
        else:
            big, other, second = beta, alpha, r + x
        z1 = (big - other) / (big + tx)
        z2 = (big - other) / (big + T)
        t1 = np.log(special.hyp2f1(rsx, second, rsx + 1, z1)) - rsx * np.log(big + tx)
        t2 = np.log(special.hyp2f1(rsx, second, rsx + 1, z2)) - rsx * np.log(big + T)
        # log(exp(t1) - exp(t2)), t1 >= t2; -inf (A0 = 0) when the last purchase is at T
        with np.errstate(divide="ignore"):
            return t1 + np.log1p(-np.exp(np.minimum(t2 - t1, 0.0)))

    @classmethod
    def loglik(cls, p: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Per-customer log-likelihood for parameters (r, alpha, s, beta)."""
        r, alpha, s, beta = p
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        second = np.log(s) - np.log(r + s + x) + cls._log_a0(r, alpha, s, beta, x, tx, T)
        return head + np.logaddexp(first, second)

    def fit(self, summary: pd.DataFrame, start: dict[str, float] | None = None) -> ParetoNBDModel:
        """Maximum-likelihood fit on an RFM summary (``start``: parameters to start from)."""
        x, tx, T, k = _compressed(summary)

        def negll(q: np.ndarray) -> float:
            value = -(k * self.loglik(np.exp(q), x, tx, T)).sum()
            return float(value) if np.isfinite(value) else 1e12

        res = fit_likelihood(negll, np.zeros(4), start)
        self.params_ = dict(zip(["r", "alpha", "s", "beta"], np.exp(res.x), strict=True))
        self.log_likelihood_ = -float(res.fun)
        return self

    def _p(self) -> tuple[float, float, float, float]:
        p = self.params_
        return p["r"], p["alpha"], p["s"], p["beta"]

    def p_alive(self, summary: pd.DataFrame) -> np.ndarray:
        """Probability each customer is still active at the end of calibration."""
        r, alpha, s, beta = self._p()
        x, tx, T = _arrays(summary)
        log_term = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + self._log_a0(r, alpha, s, beta, x, tx, T)
        )
        return 1 / (1 + np.exp(log_term))

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> np.ndarray:
        """Expected purchases in the next t time units."""
        r, alpha, s, beta = self._p()
        x, _tx, T = _arrays(summary)
        mean = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        return mean * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * self.p_alive(summary)


@dataclass
class GammaGammaModel:
    """Gamma-Gamma spend model (Fader & Hardie 2013): each customer's mean spend per purchase."""

    params_: dict[str, float] = field(default_factory=dict)
    log_likelihood_: float = np.nan

    @staticmethod
    def loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Per-customer log-likelihood for (p, q, gamma) on repeat buyers."""
        p, q, g = params
        return (
            special.gammaln(p * x + q)
            - special.gammaln(p * x)
            - special.gammaln(q)
            + q * np.log(g)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(g + m * x)
        )

    def fit(self, summary: pd.DataFrame) -> GammaGammaModel:
        """Fit on repeat buyers (frequency > 0, monetary > 0)."""
        rep = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
        x, m = rep["frequency"].to_numpy(float), rep["monetary"].to_numpy(float)
        res = fit_likelihood(lambda q: -self.loglik(np.exp(q), x, m).sum(), np.log([1.0, 1.0, m.mean()]))
        self.params_ = dict(zip(["p", "q", "gamma"], np.exp(res.x), strict=True))
        self.log_likelihood_ = -float(res.fun)
        return self

    def expected_spend(self, summary: pd.DataFrame) -> np.ndarray:
        """Expected mean spend per future purchase (population mean for one-time buyers)."""
        p, q, g = (self.params_[k] for k in ("p", "q", "gamma"))
        x = summary["frequency"].to_numpy(float)
        m = summary["monetary"].to_numpy(float)
        return p * (g + x * m) / (p * x + q - 1)


def customer_value(
    purchases: BetaGeoModel | ParetoNBDModel,
    spend: GammaGammaModel,
    summary: pd.DataFrame,
    horizon: float,
    steps: int = 12,
    discount_rate: float = 0.0,
    margin: float = 1.0,
) -> np.ndarray:
    """Expected discounted value over a horizon: purchases per step × expected spend × margin.

    ``discount_rate`` is per step (e.g. a monthly rate with ``steps`` months).
    """
    edges = np.linspace(0, horizon, steps + 1)
    cumulative = np.array(
        [purchases.expected_purchases(summary, t) if t > 0 else np.zeros(len(summary)) for t in edges]
    )
    per_step = np.diff(cumulative, axis=0)
    factors = 1 / (1 + discount_rate) ** np.arange(1, steps + 1)
    return margin * spend.expected_spend(summary) * (factors[:, None] * per_step).sum(axis=0)


def degenerate(params: dict[str, float], loglik: float, low: float = 1e-8, high: float = 1e6) -> str | None:
    """Why a maximum-likelihood fit cannot be trusted (None when it can): a parameter that is
    not finite or ran to the edge of what makes sense, or a likelihood that is not finite."""
    if not params or not np.isfinite(loglik):
        return "the fit did not converge"
    for name, value in params.items():
        if not np.isfinite(value):
            return f"the fit did not converge ({name} is not a number)"
        if value > high or value < low:
            return f"the fit ran to an extreme ({name} = {value:.3g}): the data do not pin it down"
    return None


def spend_problem(summary: pd.DataFrame, model: GammaGammaModel | None) -> str | None:
    """Why spend per purchase cannot be estimated here (None when it can)."""
    rep = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
    if summary["total_spend"].isna().all():
        return "the orders have no amounts"
    if len(rep) < 20:
        return f"only {len(rep)} repeat buyers with a positive amount; at least 20 are needed"
    m = rep["monetary"].to_numpy(float)
    if np.std(m) <= 1e-9 * max(abs(np.mean(m)), 1.0):
        return "every repeat buyer spends the same per purchase, so spend varies too little to model"
    if model is None:
        return None
    why = degenerate(model.params_, model.log_likelihood_)
    if why:
        return why
    if model.params_["q"] <= 1:
        return (
            f"the fitted q = {model.params_['q']:.2f} is not above 1, so expected spend is "
            "not finite (heavy-tailed spend)"
        )
    return None


def calibration_holdout(
    summary: pd.DataFrame, model: BetaGeoModel | ParetoNBDModel, holdout_length: float, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency (the classic check)."""
    pred = model.expected_purchases(summary, holdout_length)
    bucket = summary["frequency"].clip(upper=max_frequency).astype(int)
    out = pd.DataFrame(
        {
            "customers": bucket.value_counts().sort_index(),
            "actual": summary.groupby(bucket)["holdout_frequency"].mean(),
            "predicted": pd.Series(pred, index=summary.index).groupby(bucket).mean(),
        }
    )
    out.index.name = "repeat purchases in calibration"
    return out
