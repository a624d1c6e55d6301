"""Churn risk scored for everyone, on any file whose status says who churned: a scikit-learn
classifier chosen by cross-validation (regularised logistic regression, and gradient boosting
kept only when it is clearly better), judged on a quarter of the rows kept aside: ROC AUC with a
bootstrap interval, the Brier score and a reliability curve, the gains ("the riskiest 10% hold
31% of those who churned"), and the traits that move the score (permutation importance).

Every figure here is scikit-learn's own (`roc_auc_score`, `brier_score_loss`,
`calibration_curve`, `permutation_importance`); the module only chooses, splits and words them.
The per-person scores stay in the run's private folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from helpers.core.artifacts import CUSTOMER_VALUE
from helpers.core.privacy import fold_small
from helpers.data.dataset import stratified_index
from helpers.params.outcomes import outcome_of
from helpers.params.schema import label_of, scale_of

FOLDS = 5
HELD_OUT = 0.25
MAX_LEVELS = 30  # a text column with more values is not a trait to score on
MIN_LEVEL = 10  # values held by fewer rows are coded together as rare
MIN_EACH = 30  # churned and stayed rows needed on each side to fit and judge a model
LOGISTIC = "regularised logistic regression"
BOOSTING = "gradient boosting"
RISK_SCORES = "churn_risk.parquet"  # per-person scores, private folder only


def outcome(frame: pd.DataFrame, params) -> pd.Series | None:
    """1 for the rows whose status means churned, 0 for still active (or lapsed); other rows
    (prospects, unknown) are left out. None when the parameters do not say which is which."""
    spec = outcome_of(params)
    return None if spec is None else spec.flags(frame, params).dropna().astype(int)


def traits(frame: pd.DataFrame, params) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The columns the score may use (every profile dimension and the acquisition channel, the
    status itself and personal data never), attitudes as numbers; and which are numeric."""
    cols = params.columns
    wanted = [c for dim in ("demographic", "geographic", "behavioural", "firmographic", "psychographic")
              for c in params.profile_columns(dim)]  # fmt: skip
    wanted += [c for c in (cols.acquisition.channel, cols.acquisition.promotion) if c]
    wanted = [
        c for c in dict.fromkeys(wanted) if c in frame and c != cols.status.column and c not in cols.personal
    ]
    X = frame[wanted].copy()
    for c in cols.psychographic:
        if c in X:
            X[c] = scale_of(c, params).numbers(X[c])
    numeric = [
        c for c in wanted if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
    ]
    categorical = [c for c in wanted if c not in numeric and X[c].nunique() <= MAX_LEVELS]
    for c in categorical:  # as integer codes (rare values together): one-hot coding of text is slow
        text = X[c].astype("string").fillna("(missing)")
        counts = text.value_counts()
        text = text.where(text.isin(counts.index[counts >= MIN_LEVEL]), "(rare)")
        X[c] = pd.Categorical(text).codes.astype("int64")
    return X[numeric + categorical], numeric, categorical


def pipelines(numeric: list[str], categorical: list[str], seed: int) -> dict[str, GridSearchCV]:
    """The two candidates, each tuned by a stratified 5-fold search on ROC AUC."""
    prep = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
        ],
        sparse_threshold=0,  # gradient boosting takes dense data only
    )
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    logistic = Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=2000))])
    boosting = Pipeline(
        [
            ("prep", prep),
            ("model", HistGradientBoostingClassifier(random_state=seed, early_stopping=True, max_iter=300)),
        ]
    )
    return {
        LOGISTIC: GridSearchCV(logistic, {"model__C": [0.01, 0.1, 1.0, 10.0]}, scoring="roc_auc", cv=folds),
        BOOSTING: GridSearchCV(
            boosting,
            {"model__learning_rate": [0.1], "model__max_leaf_nodes": [7, 15]},
            scoring="roc_auc",
            cv=folds,
        ),
    }


def _fold_scores(search: GridSearchCV) -> np.ndarray:
    best = search.best_index_
    return np.array([search.cv_results_[f"split{i}_test_score"][best] for i in range(FOLDS)])


def clearly_better(simple: np.ndarray, other: np.ndarray) -> bool:
    """Whether the other model's fold AUCs beat the simpler one's by more than 0.005 and by more
    than twice the standard error of the paired fold differences."""
    diff = other - simple
    return bool(diff.mean() > 0.005 and diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff)))


@dataclass
class ChurnRisk:
    """The chosen model, how well it ranks and is calibrated on rows it never saw, and every
    labelled and unlabelled row's score."""

    model: Pipeline
    chosen: str
    why: str
    cv: pd.DataFrame  # per candidate: mean and sd of the fold AUCs, the tuned setting
    y_test: np.ndarray
    p_test: np.ndarray
    scores: pd.Series  # everyone's churn risk, by customer id
    churned: pd.Series  # the outcome, by customer id (labelled rows only)
    importance: pd.DataFrame
    test_ids: np.ndarray  # who was kept aside (customer ids), for checking
    auc_interval: tuple[float, float] = (np.nan, np.nan)
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def auc(self) -> float:
        return float(roc_auc_score(self.y_test, self.p_test))

    @property
    def brier(self) -> float:
        return float(brier_score_loss(self.y_test, self.p_test))

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """Observed churn share against the mean predicted risk, in equal-size risk bins."""
        observed, predicted = calibration_curve(self.y_test, self.p_test, n_bins=bins, strategy="quantile")
        return pd.DataFrame({"predicted %": 100 * predicted, "observed %": 100 * observed})

    def gains(self, steps: int = 10) -> pd.DataFrame:
        """Of the held-out rows, riskiest first: the share of all churners in the top 10%, 20%, …"""
        order = np.argsort(-self.p_test, kind="stable")
        hit = np.cumsum(self.y_test[order]) / max(self.y_test.sum(), 1)
        tops = np.arange(1, steps + 1) / steps
        at = np.ceil(tops * len(order)).astype(int) - 1
        out = pd.DataFrame({"riskiest %": 100 * tops, "of those who churned %": 100 * hit[at]})
        out["lift"] = out["of those who churned %"] / out["riskiest %"]
        return out.set_index("riskiest %")


def auc_interval(y: np.ndarray, p: np.ndarray, draws: int = 1000, seed: int = 0) -> tuple[float, float]:
    """A 95% bootstrap interval of the ROC AUC (held-out rows resampled, churned and stayed apart)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    aucs = []
    for _ in range(draws):
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        aucs.append(roc_auc_score(y[idx], p[idx]))
    low, high = np.percentile(aucs, [2.5, 97.5])
    return float(low), float(high)


def fit_churn_risk(frame: pd.DataFrame | None, params, seed: int = 0) -> ChurnRisk | None:
    """Choose, fit and judge the churn score; None without a status that says who churned, traits
    to score on, or at least 30 churned and 30 stayed."""
    if frame is None or params.columns is None:
        return None
    y = outcome(frame, params)
    if y is None or y.sum() < MIN_EACH or (1 - y).sum() < MIN_EACH:
        return None
    X, numeric, categorical = traits(frame, params)
    if X.empty:
        return None
    ids = frame[params.columns.id].astype(str)
    labelled = X.loc[y.index]
    keep = stratified_index(y.astype(bool), params.value.churn_sample_size, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(
        labelled.loc[keep], y.loc[keep], test_size=HELD_OUT, stratify=y.loc[keep], random_state=seed
    )
    searches = pipelines(numeric, categorical, seed)
    with threadpool_limits(1):  # one thread: notebooks run side by side, and threads would fight
        for search in searches.values():
            search.fit(X_train, y_train)
    folds = {name: _fold_scores(s) for name, s in searches.items()}
    better = clearly_better(folds[LOGISTIC], folds[BOOSTING])
    chosen = BOOSTING if better else LOGISTIC
    gap = folds[BOOSTING].mean() - folds[LOGISTIC].mean()
    why = (
        f"it ranks clearly better than logistic regression in cross-validation (AUC {gap:+.3f})"
        if better
        else f"gradient boosting is not clearly better in cross-validation (AUC {gap:+.3f}), so the "
        "simpler model is kept"
    )
    model = searches[chosen].best_estimator_
    p_test = model.predict_proba(X_test)[:, 1]
    imp = permutation_importance(model, X_test, y_test, scoring="roc_auc", n_repeats=5, random_state=seed)
    importance = pd.DataFrame(
        {"AUC lost when shuffled": imp.importances_mean, "sd": imp.importances_std},
        index=[label_of(c, params) for c in X.columns],
    ).sort_values("AUC lost when shuffled", ascending=False)
    cv = pd.DataFrame(
        {
            "cross-validated AUC": {n: f.mean() for n, f in folds.items()},
            "sd over folds": {n: f.std(ddof=1) for n, f in folds.items()},
            "setting chosen": {n: _setting(s.best_params_) for n, s in searches.items()},
        }
    ).rename_axis("model")
    y_arr = y_test.to_numpy()
    return ChurnRisk(
        model=model,
        chosen=chosen,
        why=why,
        cv=cv,
        y_test=y_arr,
        p_test=p_test,
        scores=pd.Series(model.predict_proba(X)[:, 1], index=ids.to_numpy(), name="churn risk"),
        churned=pd.Series(y.to_numpy(), index=ids.loc[y.index].to_numpy()),
        importance=importance.rename_axis("trait"),
        test_ids=ids.loc[X_test.index].to_numpy(),
        auc_interval=auc_interval(y_arr, p_test, seed=seed),
    )


def _setting(best: dict) -> str:
    names = {"model__C": "C", "model__learning_rate": "learning rate", "model__max_leaf_nodes": "leaves"}
    return ", ".join(f"{names.get(k, k)} {v}" for k, v in best.items())


def cv_table(risk: ChurnRisk | None) -> pd.DataFrame | None:
    """The candidates' cross-validated AUC and the setting each was tuned to."""
    return None if risk is None else risk.cv


def importance_table(risk: ChurnRisk | None, top: int = 12) -> pd.DataFrame | None:
    """The traits that move the score most (the AUC lost when each is shuffled), most first."""
    return None if risk is None else risk.importance.head(top)


def quality_table(risk: ChurnRisk | None) -> pd.DataFrame | None:
    """How good the score is, on the held-out rows."""
    if risk is None:
        return None
    low, high = risk.auc_interval
    guess = brier_score_loss(risk.y_test, np.full(len(risk.y_test), risk.y_test.mean()))
    top = risk.gains().iloc[0]["of those who churned %"]
    rows = {
        "people kept aside": f"{len(risk.y_test):,}",
        "churned among them": f"{100 * risk.y_test.mean():.1f}%",
        "ROC AUC": f"{risk.auc:.3f}",
        "ROC AUC, 95% interval": f"{low:.3f}–{high:.3f}",
        "Brier score": f"{risk.brier:.3f}",
        "Brier score of always guessing the churn share": f"{guess:.3f}",
        "the riskiest 10% hold, of those who churned": f"{top:.1f}%",
    }
    return pd.DataFrame({"on people kept aside": pd.Series(rows)}).rename_axis("measure")


def risk_sentences(risk: ChurnRisk | None) -> list[str]:
    """What the score says, for a reader."""
    if risk is None:
        return [
            f"No score is shown: learning one needs at least {MIN_EACH} people who churned and "
            f"{MIN_EACH} still active, and traits to learn from."
        ]
    top = risk.gains().iloc[0]
    low, high = risk.auc_interval
    return [
        f"The score comes from {risk.chosen}: {risk.why}.",
        f"On rows it never saw, the riskiest 10% hold {top['of those who churned %']:.0f}% of those who "
        f"churned ({top['lift']:.1f}× what a random tenth would); ROC AUC {risk.auc:.2f} "
        f"(95% interval {low:.2f}–{high:.2f}).",
    ]


def at_risk_by(
    risk: ChurnRisk, groups: pd.Series | None, min_cell: int, value: pd.Series | None = None
) -> pd.DataFrame | None:
    """Per group of those still active: people, mean churn risk, the expected number to churn and,
    where value is known, the value at risk (risk × value)."""
    if risk is None or groups is None:
        return None
    active = risk.churned.index[risk.churned.to_numpy() == 0]
    g = fold_small(groups.reindex(active).astype("string").fillna("(not known)"), min_cell)
    scores = risk.scores.reindex(active)
    out = pd.DataFrame({"active": g.groupby(g).size(), "mean churn risk %": 100 * scores.groupby(g).mean()})
    out["expected to churn"] = scores.groupby(g).sum().round()
    if value is not None:
        out["value at risk"] = (scores * value.reindex(active).fillna(0)).groupby(g).sum()
    out = out[out["active"] >= min_cell]
    return out.sort_values("mean churn risk %", ascending=False).rename_axis("group")


def save_scores(risk: ChurnRisk | None, private_dir: str | None) -> Path | None:
    """Everyone's churn risk, to the run's private folder only (never a report)."""
    if risk is None or not private_dir:
        return None
    path = Path(private_dir) / RISK_SCORES
    path.parent.mkdir(parents=True, exist_ok=True)
    risk.scores.rename_axis("customer_id").to_frame().to_parquet(path)
    return path


def beside_p_alive(risk: ChurnRisk | None, private_dir: str | None, min_cell: int) -> pd.DataFrame | None:
    """Where the purchase model ran (04 in the same run): those still active in five equal groups
    by churn risk, lowest first, with their mean risk and mean P(alive); None without it."""
    if risk is None or not private_dir or not CUSTOMER_VALUE.beside(private_dir).exists():
        return None
    alive = pd.read_parquet(CUSTOMER_VALUE.beside(private_dir), columns=["p_alive"])["p_alive"]
    alive.index = alive.index.astype(str)
    active = risk.churned.index[risk.churned.to_numpy() == 0]
    both = pd.DataFrame({"risk": risk.scores.reindex(active), "p_alive": alive.reindex(active)}).dropna()
    if len(both) < 5 * min_cell:
        return None
    fifth = pd.qcut(
        both["risk"].rank(method="first"), 5, labels=["lowest", "low", "middle", "high", "highest"]
    )
    out = both.groupby(fifth, observed=True).agg(
        people=("risk", "size"), churn_risk=("risk", "mean"), p_alive=("p_alive", "mean")
    )
    out[["churn_risk", "p_alive"]] *= 100
    return out.rename(columns={"churn_risk": "mean churn risk %", "p_alive": "mean P(alive) %"}).rename_axis(
        "churn risk fifth"
    )
