"""Step 3, segment: mixed-data segmentation, its stability, profiles, the typing tool, the ICP.

Two methods behind one scikit-learn style estimator (:class:`Segmenter`: fit / predict /
predict_proba):

* ``latent_class``: a latent class (finite mixture) model (:mod:`helpers.analyses.latent`, checked
  against ``stepmix`` in the tests), with categorical models for Likert items, nominal answers,
  multiple-response picks (two levels) and numbers in ordered bins, all tolerant of missing
  answers (FIML);
* ``kmeans``: factor analysis of mixed data (FAMD) then k-means. FAMD is PCA on standardised
  numbers and on indicator columns scaled by 1/√(share); it is written here with scikit-learn
  rather than taken from ``prince``, which pulls in a plotting stack the workbook does not need.

k is chosen by a documented rule (see :func:`choose_k`) that a researcher can override, segments
are bootstrapped for stability (Hennig's Jaccard criterion), and the model is saved with the
run's private artifacts so that next quarter and ``workbook assign`` can use it.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats.contingency import association
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score

from helpers.analyses.latent import LatentClassModel
from helpers.analyses.metrics import population_word
from helpers.core.privacy import SMALL_GROUPS
from helpers.data.dataset import stratified_index
from helpers.data.events import slug
from helpers.data.fields import multi_response
from helpers.data.text import OTHER as OTHER_THEME
from helpers.params.config import Params
from helpers.params.schema import NO_VALUE, scale_of

# answers that say what a segment is not, or nothing: never a segment's description
NOT_A_TRAIT = {OTHER_THEME, NO_VALUE, SMALL_GROUPS}


STABLE = 0.75  # the mean best-match Jaccard of a segment that holds


DISSOLVED = 0.5  # below this a segment dissolves when refitted


@dataclass
class FeatureSpec:
    """Which columns a segmentation uses, by measurement type."""

    likert: list[str] = field(default_factory=list)
    nominal: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # multiple-response set names
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Every feature name (sets by their name)."""
        return self.likert + self.nominal + self.numeric + self.sets


def feature_spec(frame: pd.DataFrame, params: Params) -> FeatureSpec:
    """The features of the parameters, or by default the psychographic and behavioural roles."""
    cols = params.columns
    assert cols is not None
    seg = params.segment
    names = seg.features or (
        cols.psychographic
        + cols.behavioural
        + [
            n
            for n, mr in cols.multi_response.items()
            if mr.dimension in ("psychographic", "behavioural") and not mr.from_text  # themes describe
        ]
    )
    if not seg.features:
        names = names + account_features(frame, params)
    if not names:  # a file without attitudes or behaviour (a CRM export): who they are
        names = (
            cols.demographic
            + cols.geographic
            + [n for n, mr in cols.multi_response.items() if mr.dimension in ("demographic", "geographic")]
        )
    spec = FeatureSpec(weights=dict(seg.weights))
    for name in names:
        if name in cols.multi_response:
            spec.sets.append(name)
        elif name in cols.psychographic:
            spec.likert.append(name)
        elif pd.api.types.is_numeric_dtype(frame[name]) and frame[name].nunique() > 2:
            spec.numeric.append(name)
        else:
            spec.nominal.append(name)
    return spec


def account_features(frame: pd.DataFrame, params: Params) -> list[str]:
    """By default, accounts are also grouped on their firmographics and, with a usage log, on
    how much they use each active event type (and on how many days)."""
    assert params.columns is not None
    out = list(params.columns.firmographic) if params.unit == "account" else []
    if params.events is not None:
        kinds = params.events.active or [c.removeprefix("count_") for c in frame if c.startswith("count_")]
        out += ["active_days"] + [c for k in kinds if (c := f"count_{slug(k)}") in frame]
    return [c for c in out if c in frame]


SKEWED = 2.0  # skewness above which a non-negative number is taken on a log scale (k-means)


class MixedEncoder:
    """Turns mixed answers into the arrays each method needs; remembers categories and scales."""

    def __init__(self, spec: FeatureSpec, params: Params) -> None:
        self.spec = spec
        self.scales_ = {c: scale_of(c, params) for c in spec.likert}  # each item's own scale
        self.params = params

    def fit(self, frame: pd.DataFrame) -> MixedEncoder:
        """Learn categories, set answers, means and scales from the data."""
        s = self.spec
        self.categories_ = {c: sorted(frame[c].dropna().astype(str).unique()) for c in s.nominal}
        self.set_options_ = {n: list(multi_response(frame, self.params, n).columns) for n in s.sets}
        num = frame[s.numeric].astype(float) if s.numeric else pd.DataFrame(index=frame.index)
        self.num_mean_ = num.mean()
        self.num_std_ = num.std().replace(0, 1.0)
        # latent class: numbers in up to five ordered bins (quantile edges), because Gaussian
        # components collapse onto heaped values such as counts that are mostly zero
        self.num_edges_ = {c: np.unique(np.nanquantile(num[c], [0.2, 0.4, 0.6, 0.8])) for c in s.numeric}
        # distance method: counts and money with a long right tail (spend, orders) on a log scale,
        # or the few biggest customers become a "segment" of their own
        self.logged_ = [c for c in s.numeric if num[c].min() >= 0 and num[c].skew() > SKEWED]
        dense = self._dense_raw(frame)
        self.dense_mean_ = np.nanmean(dense, axis=0)
        self.dense_std_ = np.nanstd(dense, axis=0)
        self.dense_std_[~(self.dense_std_ > 0)] = 1.0
        self.dense_weight_ = self._dense_weights()
        return self

    # latent class: integer codes (categorical), 0/1 (binary), z-scores (Gaussian), NaN missing
    def latent_blocks(self, frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, dict[str, Any]]]:
        """The data matrix and its blocks, described as stepmix's nested measurement (the
        reference the tests compare with)."""
        s = self.spec
        blocks, desc = [], {}
        if s.likert:
            blocks.append(np.column_stack([self.scales_[c].positions(frame[c]) for c in s.likert]))
            desc["likert"] = {"model": "categorical_nan", "n_columns": len(s.likert)}
        if s.nominal:
            codes = np.column_stack([self._codes(frame[c], self.categories_[c]) for c in s.nominal])
            blocks.append(codes)
            desc["nominal"] = {"model": "categorical_nan", "n_columns": len(s.nominal)}
        binary = self._sets(frame)
        if binary.shape[1]:
            blocks.append(binary)
            desc["sets"] = {"model": "binary_nan", "n_columns": binary.shape[1]}
        if s.numeric:
            binned = []
            for c in s.numeric:
                x = frame[c].astype(float).to_numpy()
                b = np.searchsorted(self.num_edges_[c], x, side="right").astype(float)
                b[np.isnan(x)] = np.nan
                binned.append(b)
            blocks.append(np.column_stack(binned))
            desc["numeric"] = {"model": "categorical_nan", "n_columns": len(s.numeric)}
        return np.column_stack(blocks), desc

    @staticmethod
    def _codes(values: pd.Series, categories: list[str]) -> np.ndarray:
        lookup = {v: i for i, v in enumerate(categories)}
        return values.astype("string").map(lookup).astype(float).to_numpy()

    def _sets(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for name in self.spec.sets:
            picks = multi_response(frame, self.params, name).reindex(columns=self.set_options_[name])
            parts.append(picks.astype("Float64").astype(float).to_numpy())
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    # distance method: FAMD scaling (numbers and Likert standardised, indicators / sqrt(share))
    def _dense_raw(self, frame: pd.DataFrame) -> np.ndarray:
        s = self.spec
        scales = getattr(self, "scales_", {})
        likert = [
            scales[c].numbers(frame[c]).to_numpy() if c in scales else frame[c].astype(float).to_numpy()
            for c in s.likert
        ]
        logged = getattr(self, "logged_", [])  # models saved before it existed used none
        numbers = frame[s.numeric].astype(float)
        numbers[logged] = np.log1p(numbers[logged].clip(lower=0))
        parts = [
            np.column_stack(likert) if likert else np.empty((len(frame), 0)),
            numbers.to_numpy(),
        ]
        for c in s.nominal:
            codes = self._codes(frame[c], self.categories_[c])
            ind = (codes[:, None] == np.arange(len(self.categories_[c]))[None, :]).astype(float)
            ind[np.isnan(codes)] = np.nan
            parts.append(ind)
        parts.append(self._sets(frame))
        return np.column_stack(parts)

    def _dense_weights(self) -> np.ndarray:
        s = self.spec
        w = [s.weights.get(c, 1.0) for c in s.likert + s.numeric]
        for c in s.nominal:
            w += [s.weights.get(c, 1.0)] * len(self.categories_[c])
        for n in s.sets:
            w += [s.weights.get(n, 1.0)] * len(self.set_options_[n])
        return np.asarray(w, dtype=float)

    def dense(self, frame: pd.DataFrame) -> np.ndarray:
        """FAMD-scaled matrix, missing answers at the mean, feature weights applied."""
        n_cont = len(self.spec.likert) + len(self.spec.numeric)
        x = self._dense_raw(frame) - self.dense_mean_
        scale = self.dense_std_.copy()
        # indicator columns: divide by sqrt(share) as FAMD does, not by their std
        scale[n_cont:] = np.sqrt(np.clip(self.dense_mean_[n_cont:], 1e-6, None))
        x = np.nan_to_num(x / scale, nan=0.0)
        return x * self.dense_weight_


class Segmenter(BaseEstimator, ClusterMixin):
    """Segments customers on mixed data: fit, predict, predict_proba (scikit-learn style)."""

    random_starts = 20  # models saved before this setting existed read it from here

    def __init__(
        self,
        params: Params | None = None,
        spec: FeatureSpec | None = None,
        method: str = "latent_class",
        n_segments: int = 5,
        random_state: int = 0,
        n_init: int = 4,
        random_starts: int = 20,
    ) -> None:
        self.params = params
        self.spec = spec
        self.method = method
        self.n_segments = n_segments
        self.random_state = random_state
        self.n_init = n_init
        self.random_starts = random_starts

    def fit(self, frame: pd.DataFrame, y: Any = None) -> Segmenter:  # noqa: ARG002 - sklearn API
        """Fit the encoder and the model on a frame of customers."""
        self.encoder_ = MixedEncoder(self.spec, self.params).fit(frame)
        k = self.n_segments
        if self.method == "latent_class":
            x, _ = self.encoder_.latent_blocks(frame)
            self.model_ = LatentClassModel(
                k, n_starts=self.random_starts, n_final=self.n_init, random_state=self.random_state
            ).fit(x)
            self._x_fit = x
        else:
            x = self.encoder_.dense(frame)
            n_comp = min(x.shape[1], 20)
            self.pca_ = PCA(n_components=n_comp, random_state=self.random_state).fit(x)
            z = self.pca_.transform(x)
            self.model_ = KMeans(
                n_clusters=k, n_init=max(self.n_init, 4), random_state=self.random_state
            ).fit(z)
            d2 = ((z[:, None, :] - self.model_.cluster_centers_[None]) ** 2).sum(-1)
            self.temperature_ = float(np.mean(d2.min(axis=1))) or 1.0
            self._x_fit = z
        self.labels_ = self.predict_encoded(self._x_fit)
        return self

    def refit(self, rows: np.ndarray, seed: int) -> Segmenter:
        """The model fitted again, from its own random starts, on rows of its fitting data (a
        bootstrap draw), with the same encoding: the rows are not encoded again.

        The starts are cold, as Hennig's clusterboot refits from scratch: a refit started from
        this solution would measure the optimiser's memory as well as whether the segments come
        back from other people.
        """
        other = Segmenter(
            self.params,
            self.spec,
            self.method,
            self.n_segments,
            seed,
            self.n_init,
            self.random_starts,
        )
        other.encoder_ = self.encoder_
        x = self._x_fit[rows]
        if self.method == "latent_class":
            other.model_ = LatentClassModel(
                self.n_segments, n_starts=self.random_starts, n_final=self.n_init, random_state=seed
            ).fit(x)
        else:
            other.pca_ = self.pca_
            other.model_ = KMeans(
                n_clusters=self.n_segments, n_init=max(self.n_init, 4), random_state=seed
            ).fit(x)
            other.temperature_ = self.temperature_
        other._x_fit = x
        other.labels_ = other.predict_encoded(x)
        return other

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        if self.method == "latent_class":
            return self.encoder_.latent_blocks(frame)[0]
        return self.pca_.transform(self.encoder_.dense(frame))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of each segment (posterior for latent class; distance-based for k-means)."""
        return self._proba_matrix(self._matrix(frame))

    def predict_encoded(self, x: np.ndarray) -> np.ndarray:
        """Segments of rows already encoded as this model encodes (its fitting data's matrix)."""
        return self._proba_matrix(x).argmax(axis=1)

    def _proba_matrix(self, x: np.ndarray) -> np.ndarray:
        if self.method == "latent_class":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self.model_.predict_proba(x)
        d2 = ((x[:, None, :] - self.model_.cluster_centers_[None]) ** 2).sum(-1)
        logits = -d2 / (2 * self.temperature_)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, frame: pd.DataFrame, batch_size: int = 200_000) -> np.ndarray:
        """The most likely segment of each customer, in batches to keep memory bounded."""
        out = [
            self.predict_proba(frame.iloc[i : i + batch_size]).argmax(axis=1)
            for i in range(0, len(frame), batch_size)
        ]
        return np.concatenate(out) if out else np.array([], dtype=int)

    def predict_segment(self, frame: pd.DataFrame) -> np.ndarray:
        """Segment numbers as the report shows them (1 = the largest segment at fitting time)."""
        raw = self.predict(frame)
        order = getattr(self, "order_", np.arange(self.n_segments))
        return order[raw] + 1

    def criteria(self, frame: pd.DataFrame, labels: np.ndarray) -> dict[str, float]:
        """Fit criteria: BIC and relative entropy (latent class) or silhouette (k-means)."""
        if self.method == "latent_class":
            x = self._x_fit if len(frame) == len(self._x_fit) else self._matrix(frame)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return {
                    "BIC": float(self.model_.bic(x)),
                    "entropy": float(self.model_.relative_entropy(x)) if self.n_segments > 1 else np.nan,
                }
        z = self._matrix(frame)
        if self.n_segments < 2:
            return {"silhouette": np.nan}
        n = min(len(z), 4000)
        rng = np.random.default_rng(self.random_state)
        idx = rng.choice(len(z), n, replace=False)
        return {"silhouette": float(silhouette_score(z[idx], labels[idx]))}


def fit_sample(frame: pd.DataFrame, size: int, strata: str | None, seed: int) -> pd.DataFrame:
    """A stratified sample to fit on (everyone when the data is small)."""
    if len(frame) <= size:
        return frame
    if strata and strata in frame:
        return frame.loc[stratified_index(frame[strata], size, seed)]
    return frame.sample(size, random_state=seed)


@dataclass
class KChoice:
    """The k search: criteria per k, knock-outs, the chosen k and why."""

    table: pd.DataFrame
    k: int
    reason: str
    models: dict[int, Segmenter]


def _fit_and_score(
    sample: pd.DataFrame, params: Params, spec: FeatureSpec, k: int
) -> tuple[Segmenter, dict[str, float]]:
    seg = params.segment
    model = Segmenter(params, spec, seg.method, k, seg.seed, seg.n_init, seg.random_starts).fit(sample)
    labels = model.labels_
    shares = np.bincount(labels, minlength=k) / len(labels)
    return model, {
        "k": k,
        **model.criteria(sample, labels),
        "smallest segment %": 100 * shares.min(),
        "mirrors one question": mirrors(sample, labels, spec),
    }


def mirrors(frame: pd.DataFrame, labels: np.ndarray, spec: FeatureSpec) -> float:
    """The strongest association (Cramér's V) between the segments and any single question.

    Segments that merely copy one answer (V near 1) are not segments of customers but a
    restatement of that question, so they are knocked out.
    """
    if len(np.unique(labels)) < 2:
        return 0.0
    best = 0.0
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    for col in spec.likert + spec.nominal:
        codes, _ = pd.factorize(frame[col].astype("string"))  # missing: -1
        ok = codes >= 0
        m = int(codes.max()) + 1 if ok.any() else 0
        # the crosstab of segment by answer, counted in one pass
        table = np.bincount(labels[ok] * m + codes[ok], minlength=k * m).reshape(k, m)
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if table.shape[0] > 1 and table.shape[1] > 1:
            best = max(best, float(association(table, method="cramer")))
    return best


def choose_k(sample: pd.DataFrame, params: Params, spec: FeatureSpec) -> KChoice:
    """Fit every k in the range and choose one by the documented rule.

    Knock-outs: every segment at least ``min_share`` of the sample; segments must not merely copy
    one question (Cramér's V below 0.9, see :func:`mirrors`); for latent class also a relative
    entropy of at least ``min_entropy`` (segments that can be told apart). Among the
    survivors, latent class takes the smallest k after which BIC improves by less than
    ``bic_tolerance`` (a share of BIC) — on large samples BIC keeps creeping down, so its raw
    minimum over-splits; k-means takes the highest silhouette, and no segmentation (k = 1) when
    even that is below ``min_silhouette``. ``segment.k`` in the parameters overrides the rule.
    """
    seg = params.segment
    rows, models = [], {}
    k_min = 1 if seg.method == "latent_class" else 2
    ks = list(range(k_min, seg.k_max + 1))
    # one k after another (each fit takes a fraction of a second, less than starting a second
    # process); stop once a k fails the size knock-out (larger k only split segments further)
    for k in ks:
        model, row = _fit_and_score(sample, params, spec, k)
        rows.append(row)
        models[k] = model
        if row["smallest segment %"] < 100 * seg.min_share and not seg.k:
            break
    table = pd.DataFrame(rows).set_index("k")
    ok = (table["smallest segment %"] >= 100 * seg.min_share) & (table["mirrors one question"] < 0.9)
    if seg.method == "latent_class":
        ok &= table["entropy"].fillna(1.0) >= seg.min_entropy
    table["passes knock-outs"] = ok
    if seg.k:
        return KChoice(table, seg.k, f"k = {seg.k} was set in the parameters.", models)
    if seg.method == "latent_class":
        bic = table["BIC"]
        candidates = [k for k in table.index if ok[k]]
        for k in candidates:
            nxt = bic.get(k + 1)
            if nxt is None or nxt > bic[k] * (1 - seg.bic_tolerance) or not ok.get(k + 1, False):
                if nxt is not None and nxt <= bic[k] * (1 - seg.bic_tolerance):
                    then = (
                        f"k = {k + 1} would fit better but fails a knock-out "
                        f"({_knockout(table.loc[k + 1], seg)})"
                    )
                elif nxt is not None:
                    then = (
                        f"going to k = {k + 1} improves BIC by less than {100 * seg.bic_tolerance:.1f}%"
                        if nxt < bic[k]
                        else f"k = {k + 1} fits worse (higher BIC)"
                    )
                else:
                    then = "it is the largest k tried"
                why = (
                    f"k = {k}: {then}; every segment is at least {100 * seg.min_share:.0f}% "
                    f"of {population_word(params)} and relative entropy is at least {seg.min_entropy}."
                )
                return KChoice(table, k, why, models)
        return KChoice(table, 1, "No k passes the knock-outs: no segmentation.", models)
    sil = table["silhouette"].where(ok)
    if sil.isna().all() or sil.max() < seg.min_silhouette:
        return KChoice(
            table,
            1,
            f"No k reaches a silhouette of {seg.min_silhouette}: the data shows no clear segments.",
            models,
        )
    k = int(sil.idxmax())
    return KChoice(
        table,
        k,
        f"k = {k}: the highest silhouette ({sil.max():.2f}) among k with "
        f"every segment at least {100 * seg.min_share:.0f}% of {population_word(params)}.",
        models,
    )


def _knockout(row: pd.Series, seg: Any) -> str:
    """Which knock-out a number of segments fails, in words."""
    reasons = []
    if row["smallest segment %"] < 100 * seg.min_share:
        reasons.append(f"a segment under {100 * seg.min_share:.0f}% of the people")
    if row["mirrors one question"] >= 0.9:
        reasons.append("its segments merely copy one question")
    if "entropy" in row and row["entropy"] == row["entropy"] and row["entropy"] < seg.min_entropy:
        reasons.append("segments too hard to tell apart (low entropy)")
    return "; ".join(reasons) or "a knock-out"


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two boolean memberships."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


@dataclass
class Stability:
    """Bootstrap Jaccard per segment and the agreement across seeds."""

    jaccard: pd.Series
    ari_seeds: float
    verdict: pd.Series


def stability(sample: pd.DataFrame, params: Params, spec: FeatureSpec, model: Segmenter) -> Stability:
    """Refit on bootstrap samples (Hennig's clusterboot) and on other seeds; compare memberships.

    ``model`` is the fit on ``sample``; the bootstrap refits reuse its encoded rows and start
    from their own random starts (see :meth:`Segmenter.refit`); the seed refits fit the whole
    sample from other random starts.
    """
    seg = params.segment
    assert len(model.labels_) == len(sample), "stability needs the model fitted on the sample"
    base = model.labels_
    k = model.n_segments
    rng = np.random.default_rng(seg.seed)
    draws = [rng.integers(0, len(sample), len(sample)) for _ in range(seg.bootstrap)]

    def refit(b: int) -> np.ndarray:
        return model.refit(draws[b], seed=seg.seed + b + 1).predict_encoded(model._x_fit)

    scores = np.zeros((seg.bootstrap, k))
    for b, other in enumerate(refit(b) for b in range(seg.bootstrap)):
        for s in range(k):
            scores[b, s] = max(jaccard(base == s, other == t) for t in range(k))
    seeds = list(range(seg.seed + 100, seg.seed + 100 + seg.seeds))
    labels = [
        Segmenter(params, spec, seg.method, k, seed, seg.n_init, seg.random_starts).fit(sample).labels_
        for seed in seeds
    ]
    aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations([base, *labels], 2)]
    mean = pd.Series(scores.mean(axis=0), index=range(k), name="mean Jaccard")
    verdict = pd.Series(
        np.where(mean >= STABLE, "stable", np.where(mean <= DISSOLVED, "dissolved", "a pattern, not stable")),
        index=mean.index,
    )
    return Stability(mean, float(np.mean(aris)) if aris else np.nan, verdict)
