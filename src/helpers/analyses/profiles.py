"""What sets a segment apart: its profile against everyone (shares and means, index), the traits
that distinguish it, and the short names proposed from them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analyses.segment import NOT_A_TRAIT, account_features
from helpers.data.fields import multi_response
from helpers.params.config import Params
from helpers.params.schema import counted_event, display_values, label_of, scale_of


@dataclass
class SegmentProfile:
    """Each segment against everyone on every profile variable: the index (100 = average), the
    weighted shares (or means) behind it with a ``Total`` column, and the people holding each trait
    (rows are (variable, answer); columns the segment numbers)."""

    index: pd.DataFrame
    shares: pd.DataFrame
    counts: pd.DataFrame | None  # the people behind each share (means: missing); None: not known
    columns: dict[str, str] = field(default_factory=dict)  # each variable's column (or set)

    @property
    def segments(self) -> list[int]:
        """The segment numbers, in the profile's order."""
        return list(self.index.columns)

    @classmethod
    def from_frame(cls, index: pd.DataFrame) -> SegmentProfile:
        """A profile saved before it was a class: the index with its shares and counts in ``.attrs``."""
        return cls(index, index.attrs["shares"], index.attrs.get("counts"))


def profile(frame: pd.DataFrame, segments: pd.Series, params: Params, weights: pd.Series) -> SegmentProfile:
    """Each segment's index against the total on every profile variable (100 = average).

    Categorical answers and multiple-response picks use the weighted share, Likert items the
    top-box share (on each item's own scale), numbers the weighted mean.
    """
    cols = params.columns
    assert cols is not None
    rows: dict[tuple[str, str], pd.Series] = {}
    people: dict[tuple[str, str], np.ndarray] = {}  # unweighted count holding each trait
    w = weights.to_numpy(dtype=float)
    total_w = weights.groupby(segments).sum()
    # weighted sums per segment by bincount over segment codes: one pass per indicator, which
    # keeps a million customers at seconds (a groupby per indicator and value took minutes)
    labels = list(total_w.index)
    known = segments.notna().to_numpy()
    code = np.full(len(segments), len(labels))  # customers without a segment: an extra bin
    code[known] = np.searchsorted(labels, segments.to_numpy()[known])
    bins = len(labels) + 1

    def per_segment(values: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=values, minlength=bins)[: len(labels)]

    def add(key: tuple[str, str], indicator: pd.Series | np.ndarray) -> None:
        x = np.asarray(indicator, dtype=float)
        ok = ~np.isnan(x)
        counted = np.where(ok, x, 0.0) * w
        answered = np.where(ok, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = per_segment(counted) / per_segment(answered)
        overall = counted.sum() / answered.sum() if answered.sum() else np.nan
        if overall > 0:
            rows[key] = pd.Series([*share, overall], index=[*labels, "Total"])
            people[key] = np.bincount(code, weights=(ok & (x == 1)).astype(float), minlength=bins)[
                : len(labels)
            ]

    for c in cols.psychographic:
        add((label_of(c, params), "agree"), scale_of(c, params).in_top(frame[c]))
    described = cols.demographic + cols.geographic + cols.behavioural + params.profile_columns("firmographic")
    if params.unit == "account":  # company types differ by usage: describe the features they were found on
        covered = set(described) | set(cols.psychographic) | set(cols.multi_response)
        features = params.segment.features or account_features(frame, params)
        described += [c for c in features if c not in covered and c in frame]
    for c in described:
        series = frame[c]
        if pd.api.types.is_numeric_dtype(series) and series.nunique() > 12:
            x = series.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(x)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = per_segment(np.where(ok, x * w, 0.0)) / per_segment(np.where(ok, w, 0.0))
            rows[(label_of(c, params), "mean")] = pd.Series(
                [*means, np.average(x[ok], weights=w[ok])], index=[*labels, "Total"]
            )
            continue
        codes, values = pd.factorize(display_values(series))  # each answer once, missing -1
        for j, value in enumerate(values):
            add((label_of(c, params), str(value)), np.where(codes < 0, np.nan, codes == j))
    for name in cols.multi_response:
        picks = multi_response(frame, params, name)
        for option in picks.columns:
            add((label_of(name, params), option), picks[option].astype("Float64").astype(float))
    shares = pd.DataFrame(rows).T
    shares.index.names = ["variable", "answer"]
    index = 100 * shares.drop(columns="Total").div(shares["Total"], axis=0)
    counts = pd.DataFrame(people, index=labels).T.reindex(index.index)
    counts.columns = index.columns
    columns = {label_of(c, params): c for c in [*cols.psychographic, *described, *cols.multi_response]}
    return SegmentProfile(index, shares, counts, columns)


def too_few(profile: SegmentProfile, min_cell: int) -> pd.DataFrame:
    """Where a segment's share of a trait rests on fewer people than the privacy minimum (but
    more than none): those figures are never shown."""
    index = profile.index
    if profile.counts is None:
        return pd.DataFrame(False, index=index.index, columns=index.columns)
    counts = profile.counts.reindex(index=index.index, columns=index.columns)
    return (counts > 0) & (counts < min_cell)


def distinctive(profile: SegmentProfile, segment: int, top: int = 8, min_share: float = 0.15) -> pd.DataFrame:
    """A segment's most distinctive traits (largest index, among answers it gives often)."""
    index, shares = profile.index, profile.shares
    s = pd.DataFrame({"index": index[segment], "share": shares[segment], "total": shares["Total"]})
    s = s[(s["share"] >= min_share) | (s.index.get_level_values("answer") == "mean")]
    return s.sort_values("index", ascending=False).head(top)


def propose_labels(profile: SegmentProfile, params: Params) -> dict[int, str]:
    """Plain-language names from the two traits each segment over-indexes on most (index 115 or
    more: an answer most of the segment gives, or an attitude at least a quarter of it holds),
    unique within the run; renamable in `segment.names`."""
    index, shares = profile.index, profile.shares
    answers = index.index.get_level_values("answer")
    ranked: dict[int, list[str]] = {}
    for seg in index.columns:
        traits = index[seg][(answers != "mean") & ~answers.isin(NOT_A_TRAIT)]
        # a name says what most of the segment is (attitudes: many)
        share = shares[seg].reindex(traits.index).fillna(0)
        is_attitude = traits.index.get_level_values("answer") == "agree"
        traits = traits[np.where(is_attitude, share >= 0.25, share >= 0.5)]
        traits = traits[traits >= 115].sort_values(ascending=False)
        parts, used = [], set()
        for variable, answer in traits.index:
            if variable in used:
                continue
            used.add(variable)
            parts.append(_trait_name(variable, answer))
        # company types differ by how much they use, and customers known only by their orders
        # by how much they buy: far-off means
        if params.unit == "account" or not parts:
            means = index[seg][answers == "mean"]
            far = means[(means >= 150) | (means <= 60)]
            far = far.reindex((far - 100).abs().sort_values(ascending=False).index)
            parts = [
                _amount_trait(variable, v, profile.columns.get(variable), params)
                for (variable, _), v in far.items()
            ] + parts
        ranked[seg] = parts
    names = {}
    for seg, parts in ranked.items():
        names[seg] = " & ".join(parts[:2])  # empty: nothing sets it clearly apart
    for seg, parts in ranked.items():  # a name two segments share takes a third trait
        if list(names.values()).count(names[seg]) > 1 and len(parts) > 2:
            names[seg] = " & ".join(parts[:3])
    return unique_names(names)


def _amount_trait(variable: str, index: float, column: str | None, params: Params) -> str:
    """A far-off mean as a trait: "many days active", "few “invited colleague” events"."""
    event = counted_event(column, params) if column else None
    noun = f"“{event[:1].lower() + event[1:]}” events" if event else variable[:1].lower() + variable[1:]
    if event or params.unit == "account":
        return f"{'many' if index >= 150 else 'few'} {noun}"
    return f"{variable}: {'high' if index >= 150 else 'low'}"  # a measure: "Total spend: high"


def _trait_name(variable: str, answer: str) -> str:
    """A trait as a short name: the statement of an attitude, else the answer (with its
    question where the answer alone says nothing, such as yes, no or a number)."""
    if answer == "agree":
        return _short(variable)
    bare = (
        answer.strip().lower() in ("yes", "no", "true", "false")
        or answer.replace(".", "", 1).isdigit()
        or len(answer) <= 2
    )
    return f"{variable}: {answer}" if bare else answer.replace("_", " ")


def unique_names(names: dict[int, str]) -> dict[int, str]:
    """Names made unique within a run: a repeated name gets the segment's number."""
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {seg: (f"{name} ({seg})" if name and counts[name] > 1 else name) for seg, name in names.items()}


def _short(statement: str) -> str:
    """`I wait for deals and discount codes` → `Wait for deals and discount codes`."""
    s = statement.strip()
    for prefix in ("I ", "I'm ", "I am "):
        if s.startswith(prefix):
            s = s[len(prefix) :]
            break
    return s[:1].upper() + s[1:]
