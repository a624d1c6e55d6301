"""Segmentation, stability, the typing tool and the ICP scorecard; planted segments recovered."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import demo_params_at
from sklearn.metrics import adjusted_rand_score

from helpers.analyses import leads, saved_model, scorecard, segment, segmentation
from helpers.analyses.filters import profile_frame
from helpers.analyses.naming import segment_names
from helpers.core import artifacts
from helpers.core.errors import DataError
from helpers.core.expressions import filter_columns
from helpers.data.dataset import load_dataset, weights
from helpers.params.loading import parse_params
from helpers.params.settings import IcpCriterion, Population


@pytest.fixture(scope="module")
def demo_full(demo_dir_full, tmp_path_factory):
    params = demo_params_at(demo_dir_full, tmp_path_factory.mktemp("p"))
    frame = profile_frame(load_dataset(params))
    truth = pd.read_parquet(demo_dir_full / "_truth.parquet")["segment"].to_numpy()
    return params, frame, truth


@pytest.fixture(scope="module")
def result(demo_full):
    params, frame, _ = demo_full
    return segmentation.run(frame, params, weights(frame, params))


def test_planted_segments_are_recovered_with_default_parameters(demo_full, result):
    _, _, truth = demo_full
    assert result.k == 5  # the planted number
    assert adjusted_rand_score(truth, result.segments) >= 0.8
    assert result.choice.table.loc[5, "passes knock-outs"]
    assert (result.stability.verdict == "stable").all()
    assert result.stability.ari_seeds > 0.8


def test_estimator_api_and_batched_assignment(demo_full, result):
    _, frame, _ = demo_full
    model = result.model
    proba = model.predict_proba(frame.head(100))
    assert proba.shape == (100, 5) and np.allclose(proba.sum(axis=1), 1)
    small_batches = model.predict(frame.head(1000), batch_size=70)
    assert (small_batches == model.predict(frame.head(1000))).all()
    assert set(model.predict_segment(frame.head(500))) <= set(range(1, 6))


def test_profiles_index_and_labels(demo_full, result):
    params, frame, _ = demo_full
    index, shares = result.profile.index, result.profile.shares
    assert list(index.columns) == [1, 2, 3, 4, 5] and result.profile.segments == [1, 2, 3, 4, 5]
    # an index is the segment's share over the total's share
    key = index.index[0]
    s1 = shares.loc[key, 1]
    assert index.loc[key, 1] == pytest.approx(100 * s1 / shares.loc[key, "Total"])
    names = result.names
    assert len(set(names.values())) == 5 and all(names.values())
    assert len(set(result.descriptions.values())) == 5  # what sets each apart, beside the name
    renamed = segment_names(
        frame,
        result.segments,
        result.descriptions,
        params.model_copy(
            update={"segment": params.segment.model_copy(update={"names": {1: "Bargain hunters"}})}
        ),
    )
    assert renamed[1] == "Bargain hunters" and renamed[2] == names[2]
    sizes = result.sizes(weights(frame, params), 10)
    assert sizes["people"].is_monotonic_decreasing and sizes["people"].sum() == len(frame)


def _noise_params(tmp_path, method: str):
    rng = np.random.default_rng(5)
    n = 1500
    frame = pd.DataFrame({"id": [f"n{i}" for i in range(n)]})
    items = [f"q{i}" for i in range(10)]
    for q in items:
        frame[q] = rng.integers(1, 6, n)
    frame["style"] = rng.choice(["a", "b", "c"], n)
    path = tmp_path / "noise.parquet"
    frame.to_parquet(path)
    raw = {
        "period": "noise",
        "as_of": "2026-01-01",
        "data": {"customers": {"path": str(path)}},
        "columns": {"id": "id", "psychographic": items, "behavioural": ["style"]},
        "validation": {"min_rows": 10},
        "segment": {"method": method, "k_max": 5, "bootstrap": 4, "seeds": 2, "n_init": 2},
    }
    return parse_params(raw, "noise.yaml", tmp_path), frame


@pytest.mark.parametrize("method", ["latent_class", "kmeans"])
def test_pure_noise_does_not_come_out_as_stable_segments(tmp_path, method):
    params, frame = _noise_params(tmp_path, method)
    spec = segment.feature_spec(frame, params)
    choice = segment.choose_k(frame, params, spec)
    if choice.k == 1:
        return  # no segmentation: the right answer
    model = choice.models[choice.k]
    stab = segment.stability(frame, params, spec, model)
    assert (stab.verdict != "stable").any() or stab.jaccard.mean() < 0.75


def test_kmeans_method_finds_structure_in_the_demo(demo_full):
    params, frame, truth = demo_full
    p = params.model_copy(
        update={"segment": params.segment.model_copy(update={"method": "kmeans", "bootstrap": 3, "seeds": 1})}
    )
    spec = segment.feature_spec(frame, p)
    sample = segment.fit_sample(frame, 4000, "status", 1)
    choice = segment.choose_k(sample, p, spec)
    labels = choice.models[choice.k].predict(frame)
    assert choice.k >= 3 and adjusted_rand_score(truth, labels) >= 0.6
    assert choice.table["silhouette"].max() > 0.1


def test_kmeans_takes_long_tailed_money_on_a_log_scale(tmp_path):
    """Buyers known only by their orders: three planted groups of spend and orders, a few
    very large customers. On raw numbers k-means splits off the biggest customers; on a log
    scale it finds the three groups, and the method sentence says so."""
    rng = np.random.default_rng(11)
    n = 1200
    group = rng.integers(0, 3, n)
    orders = rng.poisson([1, 6, 20], (n, 3))[np.arange(n), group] + 1
    spend = orders * rng.lognormal(np.array([3.0, 5.0, 7.0])[group], 0.2)
    spend[:6] *= 200  # six wholesale customers
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(n)], "buys": orders, "money": spend})
    path = tmp_path / "buyers.parquet"
    frame.to_parquet(path)
    raw = {
        "period": "buyers",
        "as_of": "2026-01-01",
        "data": {"customers": {"path": str(path)}},
        "columns": {"id": "id", "behavioural": ["buys", "money"]},
        "validation": {"min_rows": 10},
        "segment": {"method": "kmeans", "k_max": 5, "bootstrap": 3, "seeds": 1, "n_init": 2},
    }
    params = parse_params(raw, "buyers.yaml", tmp_path)
    result = segmentation.run(frame, params, pd.Series(1.0, index=frame.index))
    assert result.model.encoder_.logged_ == ["money"]  # orders here have no long tail
    assert result.k == 3 and adjusted_rand_score(group, result.segments) >= 0.8
    assert "On a log scale" in segmentation.method_text(result, params, n)
    # segments told apart by numbers alone are described by them ("money: high")
    assert all(": high" in d or ": low" in d for d in result.descriptions.values())


def test_typing_tool_accuracy_and_unassigned_leads(demo_full, result):
    params, frame, _ = demo_full
    tool = leads.train_typing_tool(frame, result.segments.to_numpy(), params, params.typing.questions)
    assert tool.accuracy >= 0.8  # measured: about 0.93 on the demo with six golden questions
    assert np.allclose(tool.confusion.sum(axis=1), 100)
    out = tool.assign(frame.head(200))
    assert set(out["segment"]) <= {1, 2, 3, 4, 5, leads.UNASSIGNED}
    strict = leads.TypingTool(
        tool.questions, tool.model, tool.classes, 0.999, tool.accuracy, tool.confusion, tool.categories
    )
    assert (strict.assign(frame.head(200))["segment"] == leads.UNASSIGNED).any()
    ranked = leads.propose_questions(frame, result.segments.to_numpy(), params)
    assert any(q.startswith("att_") for q in ranked.index[:5])  # attitudes carry the segments


def test_icp_scorecard_tiers_and_value(demo_full, result):
    """For people as for accounts: criteria derived on half, checked on the other half, and the
    tiers point at valuable customers with the better outcome there."""
    params, frame, _ = demo_full
    criteria, holdout = scorecard.scorecard_criteria(result, frame, params)
    assert 1 <= len(criteria) <= 6 and holdout is not None and 0.4 < holdout.mean() < 0.6
    fit = scorecard.fit_scores(frame, criteria, params.icp.tiers)
    assert set(fit["fit tier"]) <= set(scorecard.TIERS)
    assert ((fit["fit score"] >= 0) & (fit["fit score"] <= 1)).all()
    outcomes = scorecard.fit_outcomes(frame, fit, holdout, params)
    spend = outcomes["spend, last 12 months (mean)"]
    assert spend["perfect fit"] > spend["not fit"]  # the scorecard points at valuable customers
    churned = pd.to_numeric(outcomes["Status: churned %"], errors="coerce")
    assert churned["perfect fit"] < churned["not fit"]  # and at the ones who stay
    sentence = scorecard.holdout_sentence(outcomes, params)
    assert sentence.startswith("**Checked on the 50% of customers") and "Warning" not in sentence
    mix = scorecard.tier_mix(fit, result.segments, scorecard.engagement(frame, 90), 10)
    assert "All" in mix.index


def test_icp_criteria_never_go_with_the_worse_outcome(demo_full):
    """A trait the best customers share but that goes with more churn is not proposed, and
    criteria from the parameter file whose best tier churns more get a warning."""
    params, frame, _ = demo_full
    risky = frame.copy()
    churned = risky["status"].astype(str).str.lower() == "churned"
    value = risky["spend_12m"].astype(float)
    # a marker held by big spenders who churn: over-represented among the top spenders overall
    risky["records"] = np.where(churned & (value > value.quantile(0.5)), "yes", "no")
    cols = params.columns.model_copy(update={"behavioural": [*params.columns.behavioural, "records"]})
    p = params.model_copy(update={"columns": cols})
    criteria, _ = scorecard.derived_criteria(risky, p, columns=scorecard.profile_columns(risky, p))
    assert not any("records" in c.rule for c in criteria)
    given = [IcpCriterion(name="Records: yes", rule='records == "yes"', points=5)]
    fit = scorecard.fit_scores(risky, given, p.icp.tiers)
    outcomes = scorecard.fit_outcomes(risky, fit, None, p)
    assert "Warning" in scorecard.holdout_sentence(outcomes, p, checked=False)


def test_workbook_assign_good_and_malformed_leads(demo_full, result, tmp_path):
    import subprocess
    import sys

    params, frame, _ = demo_full
    tool = leads.train_typing_tool(frame, result.segments.to_numpy(), params, params.typing.questions)
    criteria, _ = scorecard.scorecard_criteria(result, frame, params)
    private = tmp_path / "private"
    model = saved_model.build(result, tool, criteria, frame, params)
    saved_model.save(model, artifacts.SEGMENT_MODEL.in_run(private / params.period / "v3").parent)
    columns = sorted(set(tool.questions) | {c for cr in criteria for c in filter_columns(cr.rule)})
    good = frame[["customer_id", *columns]].head(30).rename(columns={"customer_id": "lead_id"})
    good.to_csv(tmp_path / "good.csv", index=False)
    params_file = params.source_file
    run = [sys.executable, "-m", "helpers.cli", "assign", params_file]
    ok = subprocess.run(
        [*run, str(tmp_path / "good.csv"), "-o", str(tmp_path / "out.csv"), "--private", str(private)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns[:3]) == ["lead_id", "segment", "probability"]
    assert len(out) == 30 and out["problems"].isna().all()
    bad = good.astype(object)
    bad.iloc[0, 1:] = None
    bad.loc[bad.index[1], "age"] = "forty"
    bad.loc[bad.index[2], "att_price_sensitive"] = 7
    bad.to_csv(tmp_path / "bad.csv", index=False)
    res = subprocess.run(
        [*run, str(tmp_path / "bad.csv"), "-o", str(tmp_path / "out2.csv"), "--private", str(private)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and "3 rows have problems" in res.stderr
    out2 = pd.read_csv(tmp_path / "out2.csv")
    assert len(out2) == 30  # nothing dropped silently
    assert out2.loc[0, "segment"] == leads.UNASSIGNED and "no golden question" in out2.loc[0, "problems"]
    assert "age: not a number" in out2.loc[1, "problems"]
    assert "outside 1–5" in out2.loc[2, "problems"]
    missing = good.drop(columns=["age"])
    missing.to_csv(tmp_path / "missing.csv", index=False)
    res = subprocess.run(
        [*run, str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o3.csv"), "--private", str(private)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "lacks the columns" in res.stderr and "age" in res.stderr
    assert "Traceback" not in res.stderr
    none = subprocess.run(
        [
            *run,
            str(tmp_path / "good.csv"),
            "-o",
            str(tmp_path / "o4.csv"),
            "--private",
            str(tmp_path / "nowhere"),
        ],
        capture_output=True,
        text=True,
    )
    assert none.returncode == 2 and "no published run" in none.stderr


def test_stratified_samples_keep_each_group_share():
    from helpers.data.dataset import stratified_index

    rng = np.random.default_rng(3)
    groups = pd.Series(
        rng.choice(["a", "b", "c"], 100_000, p=[0.7, 0.25, 0.05]), index=np.arange(100_000) * 2
    )  # labels, not positions
    keep = stratified_index(groups, 10_000, seed=1)
    assert abs(len(keep) - 10_000) <= 3 and keep.is_unique and keep.isin(groups.index).all()
    shares = groups.loc[keep].value_counts(normalize=True)
    full = groups.value_counts(normalize=True)
    assert (shares - full).abs().max() < 1e-3  # exact proportional allocation, not chance
    assert stratified_index(groups.iloc[:50], 100, seed=1).equals(groups.index[:50])


def test_weak_separation_is_said_plainly(demo_full, result):
    """The demo's planted segments are clearly told apart; the same result with a low silhouette
    or entropy is called weakly separated in At a glance, never "each stable"."""
    import copy

    params, frame, _ = demo_full
    sizes = result.sizes(weights(frame, params), 10)
    strong = segmentation.glance_lines(result, sizes, params)[0]
    assert "clearly told apart" in strong and "weakly" not in strong
    weak = copy.copy(result)
    table = result.choice.table.copy()
    table.loc[result.k, "entropy"] = 0.52
    weak.choice = segment.KChoice(table, result.k, result.choice.reason, result.choice.models)
    said = segmentation.glance_lines(weak, sizes, params)[0]
    assert "weakly separated" in said and "0.52" in said and "each stable" not in said
    table = table.assign(silhouette=np.nan)
    table.loc[result.k, "silhouette"] = 0.11
    weak.choice = segment.KChoice(table, result.k, result.choice.reason, result.choice.models)
    assert "silhouette 0.11" in segmentation.glance_lines(weak, sizes, params)[0]


def test_the_glance_names_the_people_as_the_run_does(tmp_path, demo_dir):
    params = demo_params_at(demo_dir, tmp_path)
    tool = SimpleNamespace(questions=["a", "b", "c"], accuracy=0.91)
    assert "of new leads" in leads.typing_line(
        tool, 4, params
    ) and "of the customers it" in leads.typing_line(tool, 4, params)
    survey = params.model_copy(update={"population": Population(plural="respondents", singular="respondent")})
    line = leads.typing_line(tool, 4, survey)
    assert "The segment of new respondents" in line and "91% of the respondents" in line
    assert "lead" not in line and "customer" not in line
    none = segmentation.glance_lines(SimpleNamespace(k=1), pd.DataFrame(), survey)
    assert none == ["No segments: the respondents do not fall into distinct groups on these traits."]


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_segment_model_saved_before_the_layers_still_assigns_leads():
    """A model saved by the flat layout (format 1: a dict, classes under helpers.segment,
    helpers.leads, helpers.config) loads and assigns 40 leads exactly as that version did."""
    model = saved_model.load(FIXTURES / "segment_model_flat_layout.joblib")
    assert model.format == 1 and model.k == 5 and model.typing is not None
    assert type(model.model).__module__ == "helpers.analyses.segment"
    # its profile was an index frame carrying its shares in .attrs: read as a SegmentProfile
    assert model.profile is not None and model.profile.segments == [1, 2, 3, 4, 5]
    shares = model.profile.shares["Total"]
    assert shares[shares.index.get_level_values("answer") != "mean"].between(0, 1).all()
    leads_in = pd.read_csv(FIXTURES / "leads_for_flat_layout_model.csv")
    result, problems = model.assign(leads_in, "leads.csv")
    expected = pd.read_csv(FIXTURES / "leads_assigned_by_flat_layout.csv")
    again = pd.read_csv(io.StringIO(leads_in[["lead_id"]].join(result).to_csv(index=False)))
    pd.testing.assert_frame_equal(again, expected)
    assert problems == []
    assert "helpers.segment" not in sys.modules  # the stand-ins are gone once the model is read


def test_a_segment_model_from_a_newer_workbook_says_so(tmp_path):
    model = saved_model.from_dict({"names": {1: "Ash"}})
    model.format = saved_model.FORMAT + 1
    path = saved_model.save(model, tmp_path)
    with pytest.raises(DataError, match="newer workbook"):
        saved_model.load(path)
    (tmp_path / "broken.joblib").write_bytes(b"not a model")
    with pytest.raises(DataError, match="cannot be read"):
        saved_model.load(tmp_path / "broken.joblib")
