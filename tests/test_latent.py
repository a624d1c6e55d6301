"""The workbook's latent class EM against stepmix, the reference: same start, same optimum.

From stepmix's own first start (its uniform random responsibilities for a seed), both fits must
reach the same log-likelihood (1e-6 relative) and the same partition (ARI ≥ 0.99), with the same
BIC (so the same number of free parameters) and relative entropy. Checked on the demo's sample
and on two shared surveys (the Big Five items, the European Social Survey's 0–10 scales).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import ROOT, SHARED, demo_params_at
from sklearn.metrics import adjusted_rand_score

from helpers.analyses import filters, saved_model, segment
from helpers.analyses.latent import LatentClassModel
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params

stepmix = pytest.importorskip("stepmix", reason="stepmix is the reference (installed with .[dev])")
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")


def encoded(params, size: int = 3000) -> tuple[np.ndarray, dict]:
    """The latent class matrix of a data set's segmentation features, as 03 builds it."""
    frame = filters.profile_frame(load_dataset(params))
    spec = segment.feature_spec(frame, params)
    sample = segment.fit_sample(frame, size, None, 0)
    return segment.MixedEncoder(spec, params).fit(sample).latent_blocks(sample)


def reference_fit(x: np.ndarray, desc: dict, k: int, seed: int, abs_tol: float = 1e-10):
    """stepmix from one random start (its own draw for the seed), run to a tight tolerance."""
    model = stepmix.StepMix(
        n_components=k,
        measurement=desc,
        n_init=1,
        random_state=seed,
        progress_bar=0,
        max_iter=5000,
        abs_tol=abs_tol,
        rel_tol=0,
        verbose=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(x)


def compare(x: np.ndarray, desc: dict, k: int, seed: int = 3) -> None:
    reference = reference_fit(x, desc, k, seed)
    start = np.random.RandomState(seed).uniform(size=(len(x), k))  # stepmix's first draw
    own = LatentClassModel(k, max_iter=5000, tol=1e-12).fit(x, init=start / start.sum(1)[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll_ref, bic_ref = reference.score(x), reference.bic(x)
        entropy_ref, labels_ref = reference.relative_entropy(x), reference.predict(x)
    assert abs(own.score(x) - ll_ref) <= 1e-6 * abs(ll_ref)
    assert own.n_parameters == reference.n_parameters
    assert own.bic(x) == pytest.approx(bic_ref, rel=1e-6)
    assert own.relative_entropy(x) == pytest.approx(entropy_ref, abs=1e-4)
    assert adjusted_rand_score(labels_ref, own.predict(x)) >= 0.99


@pytest.mark.parametrize("k", [2, 4])
def test_same_optimum_as_stepmix_on_the_demo(demo_dir, tmp_path, k):
    x, desc = encoded(demo_params_at(demo_dir, tmp_path))
    assert {"likert", "nominal", "sets"} <= set(desc)  # categorical and binary blocks both
    compare(x, desc, k)


@needs_shared
@pytest.mark.parametrize("example", ["bfi", "ess9_gb"])
def test_same_optimum_as_stepmix_on_shared_surveys(example):
    x, desc = encoded(load_params(ROOT / "parameters" / "examples" / f"{example}.yaml"))
    assert np.isnan(x).any()  # real missing answers go through the FIML path
    compare(x, desc, 3)


def test_two_stage_starts_reach_the_best_of_stepmix_random_starts(demo_dir, tmp_path):
    x, desc = encoded(demo_params_at(demo_dir, tmp_path))
    best = max(reference_fit(x, desc, 4, seed, abs_tol=1e-8).score(x) for seed in range(4))
    own = LatentClassModel(4, random_state=0).fit(x)
    assert own.converged_
    assert own.score(x) >= best - 1e-6 * abs(best)


def test_warm_start_keeps_the_solution_and_its_class_numbers(demo_dir, tmp_path):
    x, _ = encoded(demo_params_at(demo_dir, tmp_path))
    base = LatentClassModel(4, random_state=0).fit(x)
    same = LatentClassModel(4).fit(x, init=base)
    assert same.n_iter_ <= 3 and same.score(x) == pytest.approx(base.score(x), rel=1e-9)
    draw = np.random.default_rng(0).integers(0, len(x), len(x))
    boot = LatentClassModel(4).fit(x[draw], init=base)
    assert (boot.predict(x) == base.predict(x)).mean() > 0.9  # no label switching


def test_missing_and_unseen_answers_leave_the_item_out():
    x = np.array([[0, 1], [1, 0], [0, 1], [1, 0], [0, np.nan], [1, 1]] * 20, dtype=float)
    model = LatentClassModel(2, random_state=0).fit(x)
    nothing = model.predict_proba(np.array([[np.nan, np.nan], [7, np.nan]]))
    assert np.allclose(nothing, model.weights_[None, :])  # no answer: the class shares
    one = model.predict_proba(np.array([[0, np.nan]]))
    assert np.allclose(one, model.predict_proba(np.array([[0, 5]])))  # 5 never seen: missing
    assert np.allclose([p.sum(axis=1) for p in model.probabilities()], 1.0)


def test_a_single_class_is_the_answer_shares():
    x = np.array([[0], [0], [1], [2], [np.nan]], dtype=float)
    model = LatentClassModel(1).fit(x)
    assert np.allclose(model.probabilities()[0], [[0.5, 0.25, 0.25]])
    assert np.isnan(model.relative_entropy(x))


def test_a_segment_model_saved_with_stepmix_still_assigns(demo_dir, tmp_path):
    """Models saved before the own EM hold a StepMix inside; assign and next quarter read them."""
    params = demo_params_at(demo_dir, tmp_path)
    frame = filters.profile_frame(load_dataset(params))
    spec = segment.feature_spec(frame, params)
    model = segment.Segmenter(params, spec, n_segments=3).fit(frame)
    x, desc = model.encoder_.latent_blocks(frame)
    old = stepmix.StepMix(
        n_components=3, measurement=desc, n_init=1, random_state=0, progress_bar=0, verbose=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old.fit(x)
    model.model_ = old
    path = saved_model.save(saved_model.from_dict({"model": model}), tmp_path / "private")
    again = saved_model.load(path).model
    assert adjusted_rand_score(again.predict(frame), old.predict(x)) == 1.0
