"""The churn score (07_churn_risk): planted truths found, the simpler model kept unless the other is
clearly better, and every published figure equal to scikit-learn's own on the same split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from helpers.analyses import churn_risk
from helpers.data.dataset import load_dataset, profile_frame, stratified_index
from helpers.params.loading import load_params, parse_params


def _params(tmp_path, frame: pd.DataFrame, behavioural: list[str], demographic: list[str]):
    path = tmp_path / "crm.parquet"
    frame.to_parquet(path)
    raw = {
        "period": "t",
        "as_of": "2026-01-01",
        "data": {"customers": {"path": str(path)}},
        "columns": {
            "id": "id",
            "status": {"column": "state", "churned": ["Gone"], "customer": ["Active"]},
            "behavioural": behavioural,
            "demographic": demographic,
        },
        "validation": {"min_rows": 1},
    }
    return parse_params(raw, "crm.yaml", tmp_path)


def _crm(n: int, logit, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "calls": rng.poisson(2.0, n).astype(float),
            "tenure": rng.uniform(0, 60, n),
            "noise": rng.normal(size=n),
            "region": rng.choice(["North", "South", "East"], n),
        }
    )
    p = 1 / (1 + np.exp(-logit(frame)))
    frame["state"] = np.where(rng.random(n) < p, "Gone", "Active")
    return frame


def test_a_linear_truth_keeps_logistic_regression_and_finds_the_trait(tmp_path):
    frame = _crm(3000, lambda f: -1.5 + 0.9 * (f["calls"] - 2) - 0.03 * (f["tenure"] - 30))
    params = _params(tmp_path, frame, ["calls", "tenure", "noise"], ["region"])
    risk = churn_risk.fit_churn_risk(frame, params)
    assert risk.chosen == churn_risk.LOGISTIC
    assert list(risk.importance.index[:2]) == ["Calls", "Tenure"]
    assert risk.importance.loc["Noise", "AUC lost when shuffled"] < 0.01
    # the planted logit's own AUC on the same people: the score comes within its interval
    kept = frame.set_index("id").loc[risk.test_ids]
    best = roc_auc_score(risk.y_test, 0.9 * kept["calls"] - 0.03 * kept["tenure"])
    assert best > 0.75 and risk.auc_interval[0] < best and risk.auc > best - 0.03
    assert risk.gains().loc[10.0, "of those who churned %"] > 20  # better than a random tenth
    assert "simpler model is kept" in churn_risk.risk_sentences(risk)[0]


def test_a_threshold_truth_chooses_gradient_boosting(tmp_path):
    """Churn only between 10 and 20 months of tenure: no straight line captures it."""
    frame = _crm(4000, lambda f: np.where(f["tenure"].between(10, 20), 2.0, -2.5))
    params = _params(tmp_path, frame, ["calls", "tenure", "noise"], ["region"])
    risk = churn_risk.fit_churn_risk(frame, params)
    assert risk.chosen == churn_risk.BOOSTING
    assert risk.importance.index[0] == "Tenure"
    truth = frame.set_index("id").loc[risk.test_ids, "tenure"].between(10, 20)
    best = roc_auc_score(risk.y_test, truth)  # the planted rule itself, on the same people
    assert risk.auc > best - 0.03


def test_too_few_churned_shows_a_sentence_not_a_score(tmp_path):
    frame = _crm(400, lambda f: np.full(len(f), -6.0))
    params = _params(tmp_path, frame, ["calls", "tenure"], ["region"])
    assert churn_risk.fit_churn_risk(frame, params) is None
    assert "at least 30 people who churned" in churn_risk.risk_sentences(None)[0]
    assert churn_risk.quality_table(None) is None and churn_risk.at_risk_by(None, None, 10) is None


def test_risk_by_group_hides_small_groups_and_sums_value(tmp_path):
    frame = _crm(3000, lambda f: -1.5 + 0.9 * (f["calls"] - 2))
    params = _params(tmp_path, frame, ["calls", "tenure"], ["region"])
    risk = churn_risk.fit_churn_risk(frame, params)
    groups = pd.Series(frame["region"].to_numpy(), index=frame["id"])
    groups.iloc[:5] = "Tiny"
    worth = pd.Series(100.0, index=frame["id"])
    table = churn_risk.at_risk_by(risk, groups, 10, worth)
    assert "Tiny" not in table.index
    active = risk.churned.index[risk.churned == 0]
    assert table["active"].sum() == len(active) - len(set(active) & set(frame["id"][:5]))
    north = [i for i in active if groups[i] == "North"]
    assert table.loc["North", "expected to churn"] == round(risk.scores[north].sum())
    assert table.loc["North", "value at risk"] == pytest.approx(100 * risk.scores[north].sum())


CRM = ["attrition", "mlc_churn"]  # the shared CRM exports whose status says who left


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
@pytest.mark.parametrize("name", CRM)
def test_the_scores_figures_are_scikit_learns_on_the_same_split(name):
    """On the shared CRM exports: refit the chosen pipeline on the same three quarters, and the
    held-out AUC, Brier score, reliability and gains equal scikit-learn's computed here."""
    params = load_params(ROOT / "parameters" / "examples" / "init" / f"{name}.yaml")
    frame = profile_frame(load_dataset(params))
    risk = churn_risk.fit_churn_risk(frame, params)
    X, _, _ = churn_risk.traits(frame, params)
    y = churn_risk.outcome(frame, params)
    keep = stratified_index(y.astype(bool), params.value.churn_sample_size, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X.loc[y.index].loc[keep], y.loc[keep], test_size=0.25, stratify=y.loc[keep], random_state=0
    )
    p = clone(risk.model).fit(X_train, y_train).predict_proba(X_test)[:, 1]
    np.testing.assert_allclose(p, risk.p_test, atol=1e-9)
    assert risk.auc == pytest.approx(roc_auc_score(y_test, p), abs=1e-12)
    assert risk.brier == pytest.approx(brier_score_loss(y_test, p), abs=1e-12)
    quality = churn_risk.quality_table(risk)["on people kept aside"]  # as the page shows them
    assert quality["ROC AUC"] == f"{roc_auc_score(y_test, p):.3f}"
    assert quality["Brier score"] == f"{brier_score_loss(y_test, p):.3f}"
    observed, predicted = calibration_curve(y_test, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(risk.reliability()["observed %"], 100 * observed)
    np.testing.assert_allclose(risk.reliability()["predicted %"], 100 * predicted)
    riskiest = pd.Series(p).rank(ascending=False, method="first") <= np.ceil(0.1 * len(p))
    found = y_test.to_numpy()[riskiest.to_numpy()].sum() / y_test.sum()
    assert risk.gains().loc[10.0, "of those who churned %"] == pytest.approx(100 * found)
    assert quality["the riskiest 10% hold, of those who churned"] == f"{100 * found:.1f}%"
    print(f"{name}: {risk.chosen}, held-out ROC AUC {risk.auc:.3f} {risk.auc_interval}")
