"""Step 4, value: RFM, the BG/NBD and Pareto/NBD purchase models, Gamma-Gamma spend, churn drivers.

lifetimes (the old reference library) is archived and breaks on current pandas, and
pymc-marketing needs Python 3.12 and PyMC, so the three models are written here compactly as
maximum-likelihood estimators with log-space likelihoods (Fader, Hardie & Lee 2005; Fader &
Hardie 2013), with a scikit-learn-like API (``fit`` then predictions). tests/test_value.py checks
them against the published CDNOW fits.

Conventions (as in the CDNOW literature): one row per customer of a calibration period;
``frequency`` = number of repeat purchase *days*; ``recency`` = time from first to last purchase;
``T`` = time from first purchase to the end of calibration; time in a chosen unit (weeks for
CDNOW); ``monetary`` = mean spend of the repeat purchase days.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.analyses import subscriptions
from helpers.analyses.value_models import (
    UNIT_DAYS,
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    calibration_holdout,
    customer_value,
    daily_purchases,
    degenerate,
    rfm_summary,
    spend_problem,
)
from helpers.core.artifacts import CUSTOMER_VALUE, VALUE_CHECK
from helpers.core.privacy import fold_small, suppress_rows
from helpers.data.dataset import stratified_index
from helpers.params.schema import has_churn, label_of, scale_of, status_groups

RFM_GROUPS = [  # (name, rule on R, F and M scores 1–5), first match wins
    ("Champions", lambda r, f, m: (r >= 4) & (f >= 4)),
    ("Loyal", lambda r, f, m: (r >= 3) & (f >= 4)),
    ("Big spenders", lambda r, f, m: (r >= 3) & (m >= 5)),
    ("Promising", lambda r, f, m: (r >= 4) & (f <= 2)),
    ("Need attention", lambda r, f, m: (r == 3) & (f <= 3)),
    ("At risk", lambda r, f, m: (r <= 2) & (f >= 3)),
    ("Hibernating", lambda r, f, m: (r <= 2) & (f <= 2)),
]


def rfm_scores(summary: pd.DataFrame, days_since_last: pd.Series) -> pd.DataFrame:
    """R, F and M scores 1–5 by quintile (5 = best) and a named RFM group per customer."""

    def score(x: pd.Series, reverse: bool = False) -> pd.Series:
        if x.isna().all():  # no amounts: no monetary score (0 matches no money rule)
            return pd.Series(0, index=x.index)
        ranks = x.rank(method="first", ascending=not reverse, na_option="top")  # missing: worst
        return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int)

    out = pd.DataFrame(index=summary.index)
    out["R"] = score(days_since_last, reverse=True)
    out["F"] = score(summary["frequency"])
    out["M"] = score(summary["total_spend"])
    group = pd.Series("Others", index=summary.index)
    for name, rule in reversed(RFM_GROUPS):
        group[rule(out["R"], out["F"], out["M"])] = name
    out["group"] = group
    return out


def churn_drivers(
    frame: pd.DataFrame,
    churned: pd.Series,
    categorical: list[str],
    numeric: list[str],
    min_level: int = 30,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Logistic regression of churn on profile variables: odds ratios with 95% intervals."""
    import statsmodels.formula.api as smf

    data = frame[categorical + numeric].copy()
    terms = []
    for col in categorical:
        values = data[col].astype("string")
        counts = values.value_counts()
        keep = counts[counts >= min_level].index
        data[col] = values.where(values.isin(keep))
        if data[col].nunique() >= 2:
            ref = counts.index[0]
            terms.append(f"C(Q('{col}'), Treatment(reference='{ref}'))")
    for col in numeric:
        data[col] = pd.to_numeric(data[col], errors="coerce").astype(float)
        terms.append(f"Q('{col}')")
    data["churned"] = churned.astype(float).to_numpy()
    data = data.dropna()
    model = smf.logit("churned ~ " + " + ".join(terms), data=data).fit(disp=0, maxiter=200)
    ci = model.conf_int()
    out = pd.DataFrame(
        {
            "odds ratio": np.exp(model.params),
            "low 95%": np.exp(ci[0]),
            "high 95%": np.exp(ci[1]),
            "p-value": model.pvalues,
        }
    )
    out = out.drop(index="Intercept")
    out.index = [_term_label(i, labels or {}) for i in out.index]
    return out.sort_values("p-value")


def _term_label(term: str, labels: dict[str, str]) -> str:
    """`C(Q('gender'), Treatment(reference='female'))[T.male]` → `Gender: male (vs female)`."""
    import re

    m = re.match(r"C\(Q\('(.+?)'\), Treatment\(reference='(.+?)'\)\)\[T\.(.+)\]", term)
    if m:
        name = labels.get(m.group(1), m.group(1).replace("_", " ").capitalize())
        return f"{name}: {m.group(3)} (vs {m.group(2)})"
    m = re.match(r"Q\('(.+?)'\)", term)
    if not m:
        return term
    return f"{labels.get(m.group(1), m.group(1).replace('_', ' ').capitalize())} (per point)"


def at_risk(summary: pd.DataFrame, p_alive: np.ndarray, threshold: float = 0.5) -> pd.Series:
    """Customers who bought repeatedly but are now more likely gone than active."""
    return pd.Series((summary["frequency"].to_numpy() > 0) & (p_alive < threshold), index=summary.index)


@dataclass
class ValueResult:
    """Customer value for a run: per-customer results (private) and the fitted models."""

    customers: pd.DataFrame  # index customer_id: RFM, p_alive, expected purchases, clv, at_risk
    purchases: BetaGeoModel | ParetoNBDModel
    spend: GammaGammaModel | None  # None: spend per purchase cannot be estimated (see problems)
    check: pd.DataFrame | None  # calibration vs holdout, when a holdout was asked for
    check_totals: dict[str, float] = field(default_factory=dict)
    check_fit: dict[str, float] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # model → why it cannot be estimated
    unit_days: float = 7.0  # days in the time unit of recency and T

    @property
    def purchases_ok(self) -> bool:
        """Whether the purchase model's figures can be shown."""
        return "purchases" not in self.problems

    @property
    def value_ok(self) -> bool:
        """Whether customer value (money) can be shown."""
        return self.purchases_ok and "spend" not in self.problems

    def problem_sentences(self) -> list[str]:
        """Why a model's figures are not shown, one sentence each."""
        what = {
            "purchases": "Purchase frequency and the chance a customer is still active",
            "spend": "Spend per purchase, and so customer value in money,",
        }
        return [
            f"{what[k]} cannot be estimated from this data: {why}. Its figures are not shown."
            for k, why in self.problems.items()
        ]

    def parameters(self) -> pd.DataFrame:
        """Fitted parameters and log-likelihoods of the models that could be estimated."""
        rows = (
            [
                {"model": MODEL_NAMES[type(self.purchases).__name__], "parameter": k, "estimate": v}
                for k, v in self.purchases.params_.items()
            ]
            if self.purchases_ok
            else []
        )
        rows += (
            [
                {"model": MODEL_NAMES["GammaGammaModel"], "parameter": k, "estimate": v}
                for k, v in self.spend.params_.items()
            ]
            if self.value_ok and self.spend
            else []
        )
        return pd.DataFrame(rows)

    def fitted_table(self) -> pd.DataFrame | None:
        """:meth:`parameters` for the page (None when no model could be estimated)."""
        fitted = self.parameters()
        return fitted if len(fitted) else None

    def fitted_title(self) -> str:
        """The fitted-models table's title, with the purchase model's log-likelihood."""
        return f"Fitted models (log-likelihood {self.purchases.log_likelihood_:,.1f})"


# the models as a report names them (the class names are for researchers, not for readers)
MODEL_NAMES = {
    "BetaGeoModel": "purchases (BG/NBD)",
    "ParetoNBDModel": "purchases (Pareto/NBD)",
    "GammaGammaModel": "spend per purchase (Gamma-Gamma)",
}


def fit_rows(summary: pd.DataFrame, size: int) -> pd.DataFrame:
    """The buyers a model is fitted on: everyone, or a sample stratified by first-purchase month
    (so that every cohort keeps its share and its age T)."""
    if len(summary) <= size:
        return summary
    cohort = pd.to_datetime(summary["first"]).dt.to_period("M")
    return summary.loc[stratified_index(cohort, size, seed=0)]


def _model(name: str) -> BetaGeoModel | ParetoNBDModel:
    """The purchase model; for subscriptions (sbg) BG/NBD still summarises the buyers for the
    churn drivers, and its P(alive) and value are not shown (the sBG's are)."""
    return ParetoNBDModel() if name == "pareto_nbd" else BetaGeoModel()


def _exact(summary: pd.DataFrame) -> pd.DataFrame:
    """Money sums rounded to a millionth: a parallel engine adds in a varying order, and the
    last bits it leaves would make two fits of the same data differ."""
    money = [c for c in ("monetary", "total_spend", "holdout_spend") if c in summary]
    return summary.assign(**{c: summary[c].round(6) for c in money})


def fit_value(
    engine,
    orders: ir.Table,
    as_of: dt.date,
    settings,
    margin: float = 1.0,
) -> ValueResult:
    """Fit the purchase and spend models (with a holdout check first) and score every buyer."""
    unit_days = UNIT_DAYS[settings.unit]
    check, totals, check_fit = None, {}, {}
    daily = engine.reuse(daily_purchases(orders))  # shared by the holdout check and the fit
    if settings.holdout > 0:
        cal_end = as_of - dt.timedelta(days=round(settings.holdout * unit_days))
        cal = engine.execute(rfm_summary(orders, cal_end, settings.unit, holdout_end=as_of, daily=daily))
        cal = _exact(cal.set_index("customer_id").sort_index())  # the same order everywhere
        cal_model = _model(settings.model).fit(fit_rows(cal, settings.sample_size))
        check = calibration_holdout(cal, cal_model, settings.holdout)
        totals = {
            "actual": float(cal["holdout_frequency"].sum()),
            "predicted": float(cal_model.expected_purchases(cal, settings.holdout).sum()),
            "calibration_end": str(cal_end),
        }
        check_fit = dict(cal_model.params_)
    summary = _exact(
        engine.execute(rfm_summary(orders, as_of, settings.unit, daily=daily))
        .set_index("customer_id")
        .sort_index()
    )  # ties rank the same way
    sample = fit_rows(summary, settings.sample_size)
    purchases = _model(settings.model).fit(sample, start=check_fit or None)
    problems = {}
    if (why := degenerate(purchases.params_, purchases.log_likelihood_)) is not None:
        problems["purchases"] = why
        check = None  # a check of a model that cannot be estimated says nothing
    spend = None if (why := spend_problem(sample, None)) else GammaGammaModel().fit(sample)
    why = why or spend_problem(sample, spend)
    if why:
        problems["spend"], spend = why, None
    out = summary.copy()
    nothing = np.full(len(summary), np.nan)
    ok = "purchases" not in problems
    out["p_alive"] = purchases.p_alive(summary) if ok else nothing
    out["expected_purchases"] = purchases.expected_purchases(summary, settings.horizon) if ok else nothing
    out["expected_spend"] = spend.expected_spend(summary) if spend is not None else nothing
    out["clv"] = (
        customer_value(
            purchases, spend, summary, settings.horizon, settings.steps, settings.discount_rate, margin
        )
        if spend is not None and ok
        else nothing
    )
    years = np.maximum(summary["T"].to_numpy() * unit_days / 365.25, 1.0)
    out["annual_spend"] = summary["total_spend"].to_numpy() / years
    out["at_risk"] = at_risk(summary, out["p_alive"].to_numpy(), settings.at_risk_threshold) if ok else False
    return ValueResult(out, purchases, spend, check, totals, check_fit, problems, unit_days)


def value_by(result: ValueResult, groups: pd.Series | None, min_cell: int) -> pd.DataFrame | None:
    """Per group: customers, mean P(alive), mean value, at-risk count and value at risk."""
    if groups is None:
        return None
    c = result.customers.join(groups.rename("group"), how="inner")
    g = c.groupby("group").agg(
        customers=("clv", "size"),
        p_alive=("p_alive", "mean"),
        clv=("clv", "mean"),
        at_risk=("at_risk", "sum"),
    )
    g["value at risk"] = c[c["at_risk"]].groupby("group")["annual_spend"].sum()
    g["value at risk"] = g["value at risk"].fillna(0.0)
    g["at risk %"] = 100 * g["at_risk"] / g["customers"]
    g = g.rename(columns={"p_alive": "mean P(alive)", "clv": "mean value", "at_risk": "at risk"})
    if not result.purchases_ok:  # no model, no risk: only the counts stand
        g = g[["customers"]]
    elif not result.value_ok:
        g = g.drop(columns=["mean value", "value at risk"])
    return suppress_rows(g, "customers", min_cell)


def acquisition_cohort(summary: pd.DataFrame) -> pd.Series:
    """Each customer's acquisition quarter, from the first purchase."""
    first = pd.to_datetime(summary["first"])
    return first.dt.year.astype(str) + "Q" + first.dt.quarter.astype(str)


def save_private(result: ValueResult, private_dir: str | None) -> None:
    """Write per-customer scores (P(alive), value, at risk) to the run's private folder."""
    if not private_dir:
        return
    folder = Path(private_dir)
    folder.mkdir(parents=True, exist_ok=True)
    cols = [
        "frequency",
        "recency",
        "T",
        "monetary",
        "p_alive",
        "expected_purchases",
        "clv",
        "annual_spend",
        "at_risk",
    ]
    result.customers[cols].to_parquet(folder / CUSTOMER_VALUE.name)
    check = result.check_totals if result.check is not None else {}
    totals = {k: float(check[k]) for k in ("predicted", "actual") if k in check}
    (folder / VALUE_CHECK.name).write_text(json.dumps(totals))


def customer_value_for(data, private_dir: str | None) -> pd.Series | None:
    """Each buyer's predicted value: from 04_cohorts in this run (a sibling private folder), or
    fitted here when that report did not run; None without orders or when value cannot be
    estimated from the data. For subscriptions, the sBG's value of the renewals to come."""
    if data.params is not None and data.params.value.model == "sbg" and data.orders is not None:
        return subscriptions.subscriber_values(data, data.params)
    if private_dir:
        saved = CUSTOMER_VALUE.beside(private_dir)
        if saved.exists():
            clv = pd.read_parquet(saved, columns=["clv"])["clv"]
            return clv if clv.notna().any() else None
    if data.orders is None:
        return None
    params = data.params
    result = fit_value(data.engine, data.orders, params.as_of, params.value, params.cohorts.margin)
    return result.customers["clv"] if result.value_ok else None


def churn_model(
    frame: pd.DataFrame | None,
    params,
    result: ValueResult,
) -> pd.DataFrame | None:
    """Churn drivers for buyers: status 'churned' where the data has a status, else at risk."""
    cols = params.columns
    if cols is None or frame is None or not params.value.churn_drivers:
        return None
    if not has_churn(params) and not result.purchases_ok:  # neither a status nor a risk model
        return None
    ids = frame[cols.id].astype(str)
    buyers = frame[ids.isin(result.customers.index).to_numpy()]
    if has_churn(params):  # the statuses the parameters say mean churned against still active
        group = status_groups(buyers[cols.status.column], params)
        buyers = buyers[group.isin(["customer", "lapsed", "churned"]).to_numpy(bool)]
        churned = (group.loc[buyers.index] == "churned").astype(bool)
    else:
        churned = result.customers["at_risk"].reindex(buyers[cols.id].astype(str)).to_numpy()
        churned = pd.Series(churned, index=buyers.index)
    profile = cols.demographic + cols.geographic + cols.behavioural
    profile += [c for c in (cols.acquisition.channel,) if c]
    numeric = [c for c in profile if pd.api.types.is_numeric_dtype(buyers[c])]
    categorical = [c for c in profile if c not in numeric and buyers[c].nunique() <= 12]
    buyers = buyers.copy()
    for c in cols.psychographic:  # attitudes as numbers (a scale in words by position)
        buyers[c] = scale_of(c, params).numbers(buyers[c])
    numeric += cols.psychographic
    keep = stratified_index(churned.astype(bool), params.value.churn_sample_size, seed=0)
    labels = {c: label_of(c, params) for c in categorical + numeric}
    drivers = churn_drivers(buyers.loc[keep], churned.loc[keep], categorical, numeric, labels=labels)
    return drivers.rename_axis("driver") if drivers is not None else None


def check_sentence(result: ValueResult, settings) -> str:
    """How well the model predicted the holdout, in one sentence."""
    if result.check is None:
        return "No holdout check was asked for in this run."
    t = result.check_totals
    gap = 100 * (t["predicted"] - t["actual"]) / t["actual"] if t["actual"] else np.nan
    return (
        f"Fitted on orders up to {t['calibration_end']}, the model predicted "
        f"**{t['predicted']:,.0f}** repeat purchases in the {settings.holdout:g} "
        f"{settings.unit} after it; customers made **{t['actual']:,.0f}** ({gap:+.0f}%)."
    )


def clear_drivers(drivers: pd.DataFrame | None) -> pd.DataFrame | None:
    """The churn drivers whose 95% interval excludes 1 (no effect); the others are noise to a
    reader (the full table stays in the CSV)."""
    if drivers is None:
        return None
    lo, hi = pd.to_numeric(drivers["low 95%"]), pd.to_numeric(drivers["high 95%"])
    return drivers[((lo > 1) | (hi < 1)) & np.isfinite(lo) & np.isfinite(hi) & (lo > 0)]


def value_caveat(result: ValueResult, limit: float = 0.10) -> str:
    """A warning for the value figures when the model missed the holdout by more than `limit`."""
    if result.check is None:
        return ""
    return _caveat(result.check_totals, limit)


def caveat_for(private_dir: str | None, limit: float = 0.10) -> str:
    """:func:`value_caveat` of this run's 04_cohorts (a sibling private folder), for another
    report that shows its value figures ("" when 04 did not run or made no holdout check)."""
    saved = VALUE_CHECK.beside(private_dir) if private_dir else None
    if saved is None or not saved.exists():
        return ""
    totals = json.loads(saved.read_text())
    return _caveat(totals, limit) if totals else ""


def _caveat(t: dict[str, float], limit: float) -> str:
    if not t.get("actual"):
        return ""
    gap = (t["predicted"] - t["actual"]) / t["actual"]
    if abs(gap) <= limit:
        return ""
    word = "over" if gap > 0 else "under"
    return (
        f"**Read the value figures as rough:** the purchase model {word}-forecast the holdout period "
        f"by {100 * abs(gap):.0f}%, so predicted values are likely {word}stated by a similar margin."
    )


def rfm_table(result: ValueResult) -> pd.DataFrame:
    """Buyers per RFM group with their average recency, frequency, spend and predicted value."""
    c = result.customers
    days_since = (c["T"] - c["recency"]) * result.unit_days
    scores = rfm_scores(c, days_since)
    g = (
        c.assign(group=scores["group"], days=days_since)
        .groupby("group")
        .agg(
            customers=("clv", "size"),
            frequency=("frequency", "mean"),
            once=("frequency", lambda f: 100 * (f == 0).mean()),
            days=("days", "mean"),
            total_spend=("total_spend", "mean"),
            p_alive=("p_alive", "mean"),
            clv=("clv", "mean"),
        )
    )
    g["customers %"] = 100 * g["customers"] / g["customers"].sum()
    g = g.rename(
        columns={
            "frequency": "mean repeat purchases",
            "once": "bought only once %",
            "days": "mean days since the last purchase",
            "total_spend": "mean spend",
            "p_alive": "mean P(alive)",
            "clv": "mean value",
        }
    )
    order = [name for name, _ in RFM_GROUPS] + ["Others"]
    g = g.reindex([o for o in order if o in g.index])
    return g.dropna(axis=1, how="all")  # spend and value drop out where they cannot be known


RECENT_GROUPS = ("Champions", "Loyal", "Big spenders", "Promising", "Need attention")  # R ≥ 3


LAPSED_GROUPS = ("At risk", "Hibernating")  # R ≤ 2


def rfm_note(rfm: pd.DataFrame) -> str:
    """Why an RFM group named for lapsed buyers can have a higher P(alive) than one named for
    recent buyers, when it does in this run ("" when the names and the model agree)."""
    if "mean P(alive)" not in rfm:
        return ""
    p = rfm["mean P(alive)"]
    clashes = [
        (recent, lapsed)
        for recent in RECENT_GROUPS
        for lapsed in LAPSED_GROUPS
        if recent in p.index and lapsed in p.index and p[lapsed] > p[recent]
    ]
    if not clashes:
        return ""
    recent, lapsed = clashes[0]
    once, days = rfm["bought only once %"], rfm["mean days since the last purchase"]
    return (
        f"**Why the names and P(alive) can disagree.** The RFM names rank buyers on recency, "
        f"frequency and spend; P(alive) reads each buyer's silence against their own buying rhythm. "
        f"*{lapsed}* ({once[lapsed]:.0f}% bought only once) averages a P(alive) of {p[lapsed]:.2f}, "
        f"above *{recent}* ({p[recent]:.2f}): the purchase model cannot tell whether a one-time "
        f"buyer has left, so it gives them the benefit of the doubt, while *{recent}* buy often, so "
        f"their {days[recent]:.0f} days of silence on average count against them. Read a one-time "
        f"buyer's P(alive) as unknown rather than as likely to buy."
    )


def risk_note(by_group: pd.DataFrame | None, what: str, threshold: float, lead: bool = True) -> str:
    """What the at-risk shares say: the overall share (``lead``), and whether the groups differ."""
    if by_group is None or "at risk %" not in by_group:
        return ""
    shares = pd.to_numeric(by_group["at risk %"], errors="coerce").dropna()
    counts = pd.to_numeric(by_group["customers"], errors="coerce")
    if shares.empty:
        return ""
    overall = float((shares * counts[shares.index]).sum() / counts[shares.index].sum())
    lead = (
        f"*At risk* means a repeat buyer whose P(alive) is below {threshold:.0%}; "
        f"{overall:.0f}% of all the buyers shown are (one-off buyers, with no repeat pattern to "
        "judge, are never counted at risk, so the share among repeat buyers is higher)."
        if lead
        else ""
    )
    if len(shares) < 2:
        return lead
    low, high = shares.idxmin(), shares.idxmax()
    if shares[high] - shares[low] < 5:
        return (
            f"{lead} By {what}, the at-risk share only ranges from {shares[low]:.0f}% to "
            f"{shares[high]:.0f}%: {what} says little about who is at risk."
        )
    return (
        f"{lead} By {what}, the at-risk share ranges from {shares[low]:.0f}% (*{low}*) to "
        f"{shares[high]:.0f}% (*{high}*)."
    )


def channel_groups(frame: pd.DataFrame | None, params) -> pd.Series | None:
    """Each customer's acquisition channel by customer id (None without one)."""
    if frame is None or params.columns is None or not params.columns.acquisition.channel:
        return None
    column = params.columns.acquisition.channel
    values = fold_small(frame[column].astype("string").fillna("(not known)"), params.privacy.min_cell)
    return pd.Series(values.to_numpy(), index=frame[params.columns.id].astype(str).to_numpy())
