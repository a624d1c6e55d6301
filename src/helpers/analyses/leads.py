"""Step 3, leads: the typing tool (segment from a few golden questions) and the ICP fit scorecard.

Lead-scoring practice keeps **fit** (who a lead is: the ICP scorecard) apart from **engagement**
(what a lead did recently); this module scores fit, and reports engagement beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import mutual_info_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from helpers.analyses import naming
from helpers.analyses.metrics import population_word
from helpers.analyses.scorecard import lead_columns
from helpers.core.privacy import suppress_small
from helpers.data.dataset import stratified_index
from helpers.params.config import Params
from helpers.params.inputs import DERIVED_FIELDS
from helpers.params.schema import label_of
from helpers.params.schema import newcomers as newcomers_of

UNASSIGNED = "unassigned"


def candidate_questions(frame: pd.DataFrame, params: Params) -> list[str]:
    """Single questions a new lead could answer: profile columns (not sets, not derived)."""
    cols = params.columns
    assert cols is not None
    if params.unit == "account":  # what a new account's record holds, not its later usage
        return lead_columns(frame, params)
    asked = cols.demographic + cols.geographic + cols.psychographic + cols.behavioural
    return [c for c in asked if c in frame and c not in DERIVED_FIELDS]  # a lead has no orders yet


def _kinds(frame: pd.DataFrame, questions: list[str]) -> tuple[list[str], list[str]]:
    numeric = [q for q in questions if pd.api.types.is_numeric_dtype(frame[q])]
    return numeric, [q for q in questions if q not in numeric]


def _pipeline(frame: pd.DataFrame, questions: list[str]) -> Pipeline:
    numeric, categorical = _kinds(frame, questions)
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(no answer)"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    return make_pipeline(prep, LogisticRegression(max_iter=2000))


def _as_model_input(frame: pd.DataFrame, questions: list[str]) -> pd.DataFrame:
    numeric, categorical = _kinds(frame, questions)
    out = frame[questions].copy()
    for q in numeric:
        out[q] = pd.to_numeric(out[q], errors="coerce").astype(float)
    for q in categorical:
        out[q] = out[q].astype(object).where(out[q].notna(), np.nan)
    return out


def golden_questions(proposed: pd.Series, params: Params) -> list[str]:
    """The typing tool's questions: the parameter file's, or the most informative proposed ones."""
    return list(params.typing.questions) or list(proposed.index[: params.typing.propose])


def propose_questions(frame: pd.DataFrame, segments: np.ndarray, params: Params) -> pd.Series:
    """Rank candidate questions by how much they tell about the segment (mutual information,
    on a sample stratified by segment)."""
    frame, segments = _sample(frame, segments, params.typing.sample_size)
    qs = candidate_questions(frame, params)
    if not qs:  # nothing a newcomer's record holds (a transaction log alone knows only orders)
        return pd.Series([], index=pd.Index([], dtype=object), name="information", dtype=float)
    numeric, _ = _kinds(frame, qs)
    encoded = pd.DataFrame(
        {
            q: (
                frame[q].astype(float).fillna(frame[q].astype(float).median())
                if q in numeric
                else frame[q].astype("string").fillna("?").astype("category").cat.codes
            )
            for q in qs
        }
    )
    mi = mutual_info_classif(
        encoded, segments, discrete_features=[q not in numeric for q in qs], random_state=0
    )
    return pd.Series(mi, index=qs, name="information").sort_values(ascending=False)


@dataclass
class TypingTool:
    """A calibrated classifier from golden questions to segments."""

    questions: list[str]
    model: Any
    classes: list[int]
    min_probability: float
    accuracy: float
    confusion: pd.DataFrame
    categories: dict[str, list[str]]
    counts: pd.DataFrame | None = None  # the confusion matrix in people (for the privacy rule)

    def assign(self, leads: pd.DataFrame) -> pd.DataFrame:
        """Each lead's segment and probability; below the threshold the lead is unassigned."""
        proba = self.model.predict_proba(_as_model_input(leads, self.questions))
        best = proba.argmax(axis=1)
        p = proba.max(axis=1)
        segment = np.array(self.classes, dtype=object)[best]
        segment[p < self.min_probability] = UNASSIGNED
        return pd.DataFrame({"segment": segment, "probability": p.round(4)}, index=leads.index)


def _sample(frame: pd.DataFrame, segments: np.ndarray, size: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A sample stratified by segment, so that small segments keep their share."""
    keep = stratified_index(pd.Series(segments), size, seed=0).to_numpy()
    return frame.iloc[keep], segments[keep]


def train_typing_tool(
    frame: pd.DataFrame, segments: np.ndarray, params: Params, questions: list[str]
) -> TypingTool | None:
    """Fit the calibrated classifier on a stratified sample; cross-validated accuracy and
    confusion matrix (None with a single segment)."""
    tp = params.typing
    if len(np.unique(segments)) < 2 or not questions:  # nothing to tell apart, or nothing to ask
        return None
    frame, segments = _sample(frame, segments, tp.sample_size)
    x = _as_model_input(frame, questions)
    folds = StratifiedKFold(tp.folds, shuffle=True, random_state=0)
    model = CalibratedClassifierCV(_pipeline(frame, questions), method="sigmoid", cv=3)
    predicted = cross_val_predict(model, x, segments, cv=folds)
    classes = sorted(np.unique(segments).tolist())
    cm = confusion_matrix(segments, predicted, labels=classes, normalize="true")
    confusion = pd.DataFrame(100 * cm, index=classes, columns=classes)
    people = confusion_matrix(segments, predicted, labels=classes)
    counts = pd.DataFrame(people, index=classes, columns=classes)
    model.fit(x, segments)
    _, categorical = _kinds(frame, questions)
    cats = {q: sorted(frame[q].dropna().astype(str).unique()) for q in categorical}
    accuracy = float((predicted == segments).mean())
    return TypingTool(questions, model, classes, tp.min_probability, accuracy, confusion, cats, counts)


def confusion_table(tool: TypingTool | None, names: dict[int, str], min_cell: int) -> pd.DataFrame | None:
    """The typing tool's confusion matrix for the report: % of each true segment, segments by
    name, and every share that rests on fewer people than the privacy minimum hidden."""
    if tool is None:
        return None
    out = tool.confusion.round(2)
    if tool.counts is not None:
        out = suppress_small(out, tool.counts, min_cell, keep_zero=True)
    labels = [naming.label(s, names) for s in out.index]
    out.index = pd.Index(labels, name="true segment")
    out.columns = pd.Index(labels, name="assigned to")
    return out


def question_table(proposed: pd.Series, params: Params, top: int = 10) -> pd.DataFrame:
    """The best questions by their readable names, with what each tells about the segment."""
    out = proposed.head(top).to_frame()
    out.index = [label_of(str(q), params) for q in out.index]
    out.index.name = "question"
    return out


def typing_summary(tool: TypingTool | None, params: Params, k: int) -> str:
    """The golden questions (by their readable names) and the tool's accuracy, in one line."""
    if tool is None and k > 1:
        return (
            f"*No typing tool: the segments rest on what the {population_word(params)} did (their "
            "orders), and a newcomer's record holds nothing given here that tells them apart.*"
        )
    if tool is None:
        return "*No typing tool: with one segment there is nothing to tell apart.*"
    names = ", ".join(label_of(q, params) for q in tool.questions)
    return (
        f"**Golden questions:** {names}. **Cross-validated accuracy: "
        f"{100 * tool.accuracy:.1f}%** over {k} segments (chance: {100 / k:.0f}%)."
    )


def typing_line(tool: TypingTool | None, k: int, params: Params | None = None) -> str:
    """The typing tool in one plain sentence, in the run's words for its people (empty without
    a tool)."""
    if tool is None:
        return ""
    newcomers, who = (
        ("new leads", "customers") if params is None else (newcomers_of(params), population_word(params))
    )
    return (
        f"The segment of {newcomers} can be told from **{len(tool.questions)} questions**, right for "
        f"{100 * tool.accuracy:.0f}% of the {who} it was checked on (guessing would be right for "
        f"{100 / k:.0f}%)."
    )
