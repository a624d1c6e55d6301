"""The banner of a crosstab: the groups across the top (a column's values, or named filters), one
lettered column per value, small values folded together so that no column rests on too few people."""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analyses.filters import evaluate, filter_columns
from helpers.core.expressions import comparisons, parse_filter
from helpers.core.privacy import SMALL_GROUPS, small_groups
from helpers.data.dataset import is_numeric_column
from helpers.params.config import Params
from helpers.params.schema import label_of, status_column, value_words
from helpers.params.settings import Banner


@dataclass
class Column:
    """One banner column: who is in it."""

    label: str
    group: str
    mask: np.ndarray
    letter: str = ""
    title: str = ""  # how a sentence names the column's people
    uses: frozenset[str] = frozenset()  # the columns that define it
    complement: bool = False  # "everyone else": its differences mirror its partner's


def banners_in_use(frame: pd.DataFrame, params: Params) -> list[Banner]:
    """The banners of the parameters; without any, the status column and the first geographic
    and demographic categories (up to 12 values each), so that every survey gets a comparison."""
    if params.crosstab.banners:
        return list(params.crosstab.banners)
    cols = params.columns
    if cols is None:
        return []
    out = []
    candidates = [status_column(params)] + cols.geographic[:3] + cols.demographic[:6]
    for col in [c for c in candidates if c]:
        values = frame[col]
        if 2 <= values.nunique() <= 12 and not is_numeric_column(values):
            out.append(Banner(name=label_of(col, params), column=col))
        if len(out) == 3:
            break
    return out


def banner_columns(frame: pd.DataFrame, params: Params, base: pd.Series | None = None) -> list[Column]:
    """The banner columns (letters A, B, … within each group); the values of a column held by
    fewer people than the privacy minimum are folded into one "Other (small groups)" column."""
    cols: list[Column] = []
    min_cell = params.privacy.min_cell
    for banner in banners_in_use(frame, params):
        group: list[Column] = []
        if banner.column:
            values = frame[banner.column]
            small = small_groups(values, min_cell)
            for value in ordered_values(values):
                if value in small:
                    continue
                shown = value_words(banner.column, value, params)  # "code 2" without a label
                group.append(
                    Column(
                        shown,
                        banner.name,
                        (values == value).fillna(False).to_numpy(bool),
                        title=f"{banner.name}: {shown}",
                        uses=frozenset([banner.column]),
                    )
                )
            if small:
                mask = values.isin(small).fillna(False).to_numpy(bool)
                group.append(
                    Column(
                        SMALL_GROUPS,
                        banner.name,
                        mask,
                        title=f"{banner.name}: {SMALL_GROUPS.lower()} "
                        f"({len(small)} values held by fewer than {min_cell} "
                        "people each)",
                        uses=frozenset([banner.column]),
                    )
                )
        for name in banner.filters:
            shown = filter_heading(name, params.filters[name], banner.name)
            group.append(
                Column(
                    shown,
                    banner.name,
                    evaluate(params.filters[name], frame).to_numpy(bool),
                    title=shown if shown == pretty(name) else f"{banner.name}: {shown}",
                    uses=frozenset(filter_columns(params.filters[name])),
                )
            )
        cols += lettered(group, base)
    for name in params.crosstab.compare_with_rest:
        mask = evaluate(params.filters[name], frame).to_numpy(bool)
        group_name = f"{pretty(name)} vs the rest"
        uses = frozenset(filter_columns(params.filters[name]))
        cols += lettered(
            [
                Column(pretty(name), group_name, mask, title=pretty(name), uses=uses),
                Column("Everyone else", group_name, ~mask, uses=uses, complement=True),
            ],
            base,
        )
    return cols


def lettered(group: list[Column], base: pd.Series | None) -> list[Column]:
    """The columns of one banner lettered A, B, …, each restricted to the base."""
    for i, col in enumerate(group):
        col.letter = _letter(i)
        if base is not None:
            col.mask = col.mask & base.to_numpy(bool)
    return group


def _letter(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def filter_heading(name: str, expression: str, banner: str) -> str:
    """A filter's column heading under its banner: the value itself for a filter that picks one
    text value (`Country == "United Kingdom"`: United Kingdom), else its name without the
    banner's own word (`country_elsewhere` under Country: Elsewhere)."""
    body = parse_filter(expression).body
    if isinstance(body, ast.Compare) and len(body.ops) == 1 and isinstance(body.ops[0], ast.Eq):
        picks = comparisons(expression)
        if len(picks) == 1 and isinstance(picks[0][2], str) and picks[0][2].strip():
            return picks[0][2]
    prefix = re.sub(r"\W+", "_", banner).strip("_").lower() + "_"
    if name.lower().startswith(prefix) and len(name) > len(prefix):
        return pretty(name[len(prefix) :])
    return pretty(name)


def pretty(name: str) -> str:
    """A column name as words: underscores as spaces, first letter capital."""
    return name.replace("_", " ").capitalize()


def ordered_values(values: pd.Series) -> list:
    """A column's values in banner order: the 12 most common, or all in their own order."""
    counts = values.dropna().value_counts()
    if len(counts) > 12:
        return list(counts.index[:12])
    numbers = pd.to_numeric(pd.Series(counts.index), errors="coerce")
    if numbers.notna().all():  # codes and scores in their numeric order, not as text
        return [counts.index[i] for i in np.argsort(numbers.to_numpy(), kind="stable")]
    return sorted(counts.index, key=str)
