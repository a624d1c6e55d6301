"""Segmentation as 03 runs it: fit, choose, check and name the segments, the sentences and tables of
the page, and what it leaves for later notebooks (the model bundle and the assignments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analyses import saved_model
from helpers.analyses.metrics import Ledger, population_word, registry
from helpers.analyses.naming import label, segment_names
from helpers.analyses.profiles import SegmentProfile, distinctive, profile, propose_labels, too_few
from helpers.analyses.quarters import follow_previous, previous_folder
from helpers.analyses.segment import (
    STABLE,
    FeatureSpec,
    KChoice,
    Segmenter,
    Stability,
    choose_k,
    feature_spec,
    fit_sample,
    stability,
)
from helpers.core.artifacts import ASSIGNMENTS, SEGMENT_MODEL
from helpers.core.privacy import suppress_rows
from helpers.params.config import Params
from helpers.params.schema import label_of


@dataclass
class Segmentation:
    """Everything the segmentation report shows."""

    spec: FeatureSpec
    choice: KChoice
    model: Segmenter
    segments: pd.Series  # 1..k per customer (by size), index as the frame
    stability: Stability | None
    profile: SegmentProfile | None  # None: one segment, nothing to set apart
    names: dict[int, str]  # the one name of each segment (its persona's first name)
    descriptions: dict[int, str] = field(default_factory=dict)  # what sets each one apart

    @property
    def k(self) -> int:
        """Number of segments."""
        return self.choice.k

    def sizes(self, weights: pd.Series, min_cell: int) -> pd.DataFrame:
        """People, their share and (where the data has survey weights) the weighted share per
        segment, with names and stability verdicts."""
        n = self.segments.value_counts().sort_index()
        w = weights.groupby(self.segments).sum()
        out = pd.DataFrame(
            {
                "what sets it apart": [self.descriptions.get(s, "") for s in n.index],
                "people": n,
                "share %": 100 * n / n.sum(),
            }
        )
        if weights.nunique() > 1:  # the weighted share is the one every other page uses
            out["weighted %"] = 100 * w / w.sum()
        if self.stability is not None:
            out["mean Jaccard"] = self.stability.jaccard.to_numpy()
            out["stability"] = self.stability.verdict.to_numpy()
        out.index = pd.Index([label(s, self.names) for s in n.index], name="segment")
        return suppress_rows(out, "people", min_cell, keep=["what sets it apart"])

    def stability_notes(self) -> list[str]:
        """Plain sentences calling out segments that are not stable."""
        if self.stability is None:
            return ["Only one segment: nothing to test for stability."]
        notes = [
            f"Across {len(self.stability.jaccard)} segments, refits with other seeds agree "
            f"with an adjusted Rand index of {self.stability.ari_seeds:.2f} (1 = identical)."
        ]
        for s, verdict in self.stability.verdict.items():
            j = self.stability.jaccard[s]
            if verdict != "stable":
                notes.append(
                    f"**{label(s + 1, self.names)} is {verdict}** (mean Jaccard {j:.3f}): treat it with care."
                )
        if len(notes) == 1:
            notes.append(f"Every segment is stable (mean Jaccard ≥ {STABLE}).")
        return notes


WEAK_SILHOUETTE = 0.25  # below it, no substantial structure (Kaufman & Rousseeuw)


WEAK_ENTROPY = 0.7  # below it, many people sit between segments


def separation_note(result: Segmentation) -> str:
    """A plain warning when the chosen segments are weakly separated or not all stable, else ""."""
    table = result.choice.table
    row = table.loc[result.k] if result.k in table.index else pd.Series(dtype=float)
    sil, ent = row.get("silhouette", np.nan), row.get("entropy", np.nan)
    unstable = result.stability is not None and (result.stability.verdict != "stable").any()
    if sil == sil and sil < WEAK_SILHOUETTE:
        why = f"silhouette {sil:.2f}, where under {WEAK_SILHOUETTE} means no substantial structure"
    elif ent == ent and ent < WEAK_ENTROPY:
        why = f"relative entropy {ent:.2f}: many people sit between two segments"
    else:
        return ""
    also = "; not all of them come back when the data is resampled" if unstable else ""
    return f"but they are **weakly separated** ({why}{also}): read them as tendencies, not distinct types."


def glance_lines(result: Segmentation, sizes: pd.DataFrame, params: Params | None = None) -> list[str]:
    """The segmentation's main findings, for the top of the report."""
    if result.k < 2:
        who = population_word(params) if params else "people"
        return [f"No segments: the {who} do not fall into distinct groups on these traits."]
    stable = result.stability is None or (result.stability.verdict == "stable").all()
    shares = pd.to_numeric(sizes["weighted %" if "weighted %" in sizes else "share %"], errors="coerce")
    big, small = shares.idxmax(), shares.idxmin()

    def apart(s: str) -> str:
        what = sizes.loc[s, "what sets it apart"]
        return f"; {what}" if isinstance(what, str) and what else ""

    weak = separation_note(result)
    return [
        f"**{result.k} segments** of {population_word(params) if params else 'customers'}, "
        + (
            weak
            or (
                "each stable (it comes back when the data is resampled) and clearly told apart."
                if stable
                else "not all stable: see below."
            )
        ),
        f"Largest: **{big}** ({shares[big]:.0f}% of {population_word(params) if params else 'people'}"
        f"{apart(big)}). "
        f"Smallest: **{small}** ({shares[small]:.0f}%{apart(small)}).",
    ]


def record_sizes(ledger: Ledger, result: Segmentation, weights: pd.Series, params: Params) -> None:
    """Note each segment's share of people (weighted, the base every page uses) for the batch's
    check that every page gives one figure one value."""
    size = registry(params)["size"]
    shares = weights.groupby(result.segments).sum() / max(float(weights.sum()), 1e-12)
    for s, share in shares.items():
        ledger.record(size, label(int(s), result.names), float(share), decimals=0)


def run(
    frame: pd.DataFrame, params: Params, weights: pd.Series, private_dir: str | Path | None = None
) -> Segmentation:
    """Choose k on a stratified sample, fit, test stability, assign everyone, profile, name (with
    last quarter's numbers and names for the same people when the run has a previous one)."""
    seg = params.segment
    spec = feature_spec(frame, params)
    sample = fit_sample(frame, seg.sample_size, seg.strata, seg.seed)
    choice = choose_k(sample, params, spec)
    model = choice.models.get(choice.k) or Segmenter(
        params, spec, seg.method, choice.k, seg.seed, seg.n_init, seg.random_starts
    ).fit(sample)
    raw = model.predict(frame)
    counts = np.bincount(raw, minlength=choice.k)
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(choice.k)
    model.order_ = rank  # model segment -> size rank (0 = largest)
    segments = pd.Series(rank[raw] + 1, index=frame.index, name="segment")
    stab = None
    if choice.k > 1:
        stab = stability(sample, params, spec, model)
        stab = Stability(
            pd.Series(stab.jaccard.to_numpy()[order], name="mean Jaccard"),
            stab.ari_seeds,
            pd.Series(stab.verdict.to_numpy()[order]),
        )
    found = profile(frame, segments, params, weights) if choice.k > 1 else None
    descriptions = propose_labels(found, params) if found is not None else {1: "everyone"}
    names = segment_names(frame, segments, descriptions, params)
    result = Segmentation(spec, choice, model, segments, stab, found, names, descriptions)
    previous = previous_folder(private_dir, params)
    if previous is None:
        return result
    # a segment that holds last quarter's people keeps its number and persona name (issue #28)
    mapping, names = follow_previous(frame, segments, names, descriptions, params, previous)
    return renumbered(result, mapping, names, frame, params, weights)


def renumbered(
    result: Segmentation,
    mapping: dict[int, int],
    names: dict[int, str],
    frame: pd.DataFrame,
    params: Params,
    weights: pd.Series,
) -> Segmentation:
    """The same segmentation under other numbers and names (see quarters.follow_previous)."""
    segments = result.segments.map(mapping).astype(int).rename("segment")
    model = result.model
    model.order_ = np.array([mapping[int(r) + 1] - 1 for r in model.order_])  # predict_segment
    stab = result.stability
    if stab is not None:  # position = number - 1, as sizes() and stability_notes() read it
        new = [mapping[int(s) + 1] - 1 for s in stab.jaccard.index]
        stab = Stability(
            pd.Series(stab.jaccard.to_numpy(), index=new, name="mean Jaccard").sort_index(),
            stab.ari_seeds,
            pd.Series(stab.verdict.to_numpy(), index=new).sort_index(),
        )
    found = profile(frame, segments, params, weights) if result.profile is not None else None
    descriptions = propose_labels(found, params) if found is not None else {mapping[1]: "everyone"}
    return Segmentation(result.spec, result.choice, model, segments, stab, found, names, descriptions)


def method_text(result: Segmentation, params: Params, people: int) -> str:
    """One sentence: the method, the sample, and the features by their readable names."""
    method = {"latent_class": "latent class model", "kmeans": "k-means on the main components"}
    features = ", ".join(label_of(c, params) for c in result.spec.columns)
    fitted = min(people, params.segment.sample_size)
    logged = getattr(result.model.encoder_, "logged_", []) if params.segment.method == "kmeans" else []
    on_log = (
        f" On a log scale, as their long tail of a few very large values asks: "
        f"{', '.join(label_of(c, params) for c in logged)}."
        if logged
        else ""
    )
    return (
        f"**Method:** {method.get(params.segment.method, params.segment.method)}, fitted on "
        f"{'a sample of ' if fitted < people else ''}{fitted:,} people and applied to all "
        f"{people:,}. **Features:** {features}.{on_log}"
    )


def heatmap_rows(result: Segmentation, top: int = 4, min_cell: int = 0) -> pd.DataFrame:
    """The index rows that set segments apart: each segment's top distinctive traits (a cell
    that rests on fewer people than the privacy minimum is left blank)."""
    found = result.profile
    assert found is not None
    keys = []
    for s in found.segments:
        keys += list(distinctive(found, s, top).index)
    keys = list(dict.fromkeys(keys))
    rows = found.index.loc[keys].mask(too_few(found, min_cell).loc[keys])
    rows.index = [
        f"{v}: {a}"
        if a not in ("agree", "mean")
        else (f"{v} (top of its scale)" if a == "agree" else f"{v} (mean)")
        for v, a in rows.index
    ]
    rows.columns = [label(s, result.names) for s in rows.columns]
    return rows


def traits_table(result: Segmentation, top: int = 8) -> pd.DataFrame:
    """Each segment's most distinctive traits with share, total share and index."""
    assert result.profile is not None
    parts = []
    for s in result.profile.segments:
        d = distinctive(result.profile, s, top).reset_index()
        d.insert(0, "segment", label(s, result.names))
        parts.append(d)
    out = pd.concat(parts, ignore_index=True)
    out["answer"] = out["answer"].replace({"agree": "top of its scale"})
    is_mean = out["answer"] == "mean"  # a number's mean is a value, not a share
    share, total = out.pop("share"), out.pop("total")
    out["share %"] = (100 * share).where(~is_mean)
    out["total %"] = (100 * total).where(~is_mean)
    if is_mean.any():
        out["segment mean"] = share.where(is_mean)
        out["overall mean"] = total.where(is_mean)
    return out.set_index(["segment", "variable", "answer"])


def save_assignments(
    result: Segmentation, frame: pd.DataFrame, params: Params, private_dir: str | Path | None
) -> Path | None:
    """Each customer's segment, kept privately for the later reports of the same run."""
    if not private_dir or params.columns is None:
        return None
    folder = Path(private_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = pd.DataFrame(
        {
            "customer_id": frame[params.columns.id].astype(str).to_numpy(),
            "segment": result.segments.to_numpy(),
        }
    )
    out["segment_name"] = out["segment"].map(lambda s: label(s, result.names))
    path = folder / ASSIGNMENTS.name
    out.to_parquet(path, index=False)
    return path


def load_assignments(private_dir: str | Path | None) -> pd.Series | None:
    """Segments saved by 03_segment in this run (a sibling private folder), by customer id."""
    if not private_dir:
        return None
    path = ASSIGNMENTS.beside(private_dir)
    if not path.exists():
        return None
    table = pd.read_parquet(path)
    return pd.Series(table["segment_name"].to_numpy(), index=table["customer_id"].to_numpy(), name="segment")


@dataclass
class SegmentsForReport:
    """Segments of a run as later reports use them."""

    segments: pd.Series  # 1..k aligned to the frame
    profile: SegmentProfile
    names: dict[int, str]
    descriptions: dict[int, str] = field(default_factory=dict)


def segments_for(
    frame: pd.DataFrame, params: Params, weights: pd.Series, private_dir: str | Path | None
) -> SegmentsForReport:
    """The segments 03_segment saved in this run, or a fresh segmentation when there are none."""
    saved = private_dir is not None and ASSIGNMENTS.beside(private_dir).exists()
    if saved and SEGMENT_MODEL.beside(private_dir).exists():
        table = pd.read_parquet(ASSIGNMENTS.beside(private_dir)).set_index("customer_id")
        seg = table["segment"].reindex(frame[params.columns.id].astype(str).to_numpy())
        segments = pd.Series(seg.to_numpy(), index=frame.index, name="segment")
        model = saved_model.load(SEGMENT_MODEL.beside(private_dir))
        names, descriptions = model.names, model.descriptions
    else:
        result = run(frame, params, weights, private_dir)
        segments, names, descriptions = result.segments, result.names, result.descriptions
    return SegmentsForReport(segments, profile(frame, segments, params, weights), names, descriptions)
