"""The outcome a run's data holds, in the data's own words: which rows had the bad result.

A status mapping names the values that mean churned (for a churn file: `churn = yes`; for a credit
file mapped `churned: [bad]`, the bad payers). The outcome is the share of people with that bad
result among the people whose status has a meaning other than prospect (prospects never had the
chance). Lower is better. Every page that states a group's outcome rate (the persona ranking, the
cards, the ICP check on rows kept aside) takes it from here, so it has one name and one base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.params.config import Params
from helpers.params.inputs import value_key
from helpers.params.schema import display_value, has_churn, label_of, status_groups


@dataclass(frozen=True)
class Outcome:
    """A bad result per row (1), its good opposite (0), missing where the row has neither."""

    column: str
    name: str  # in the data's words, e.g. "Churn: yes", "Status: churned", "Risk: bad"
    base: str  # who the share is of, e.g. "people with a known status (prospects left out)"

    def flags(self, frame: pd.DataFrame, params: Params) -> pd.Series:
        """1 where the row has the bad result, 0 where the good one, missing otherwise."""
        group = status_groups(frame[self.column], params)
        bad = (group == "churned").astype(float)
        return bad.where(group.isin(["churned", "customer", "lapsed"]).fillna(False).astype(bool))

    def rate(
        self, frame: pd.DataFrame, mask: pd.Series, params: Params, weights: pd.Series | None = None
    ) -> tuple[float, int]:
        """The (weighted) share with the bad result in the rows of `mask`, and how many rows it
        rests on (NaN, 0 without any)."""
        x = self.flags(frame, params)[mask].dropna()
        if not len(x):
            return np.nan, 0
        if weights is None:
            return float(x.mean()), len(x)
        w = weights.reindex(x.index).astype(float)
        return float((x * w).sum() / max(w.sum(), 1e-12)), len(x)


def outcome_of(params: Params) -> Outcome | None:
    """The run's status outcome, or None when the status says nothing of who had the bad result."""
    if not has_churn(params):
        return None
    spec = params.columns.status
    assert spec is not None
    labels = params.value_labels.get(spec.column, {})
    words = [str(labels.get(value_key(v), display_value(v))) for v in spec.churned]
    column = label_of(spec.column, params)
    name = f"{column}: {' or '.join(words)}"
    base = "people whose status is known" + (" (prospects left out)" if spec.prospect else "")
    return Outcome(spec.column, name, base)
