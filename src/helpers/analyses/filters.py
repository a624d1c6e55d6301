"""Step 2, filter: evaluate named filters over the customers, sizes and overlaps.

The expression language (parsing, checking) is `helpers.core.expressions`; the fields filters can use
beyond the customer columns are `helpers.data.fields`. Evaluation works on pandas Series and on Ibis
columns alike (both overload the operators).
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.expressions import (
    _COMPARE,
    FilterSyntaxError,
    column_name,
    filter_columns,
    is_boolean_word,
    literal_value,
    parse_filter,
)
from helpers.core.privacy import marker
from helpers.data.dataset import profile_frame
from helpers.data.fields import DERIVED_FIELDS, available_columns, check_references
from helpers.params.config import Params
from helpers.params.schema import label_of
from helpers.params.wording import describe

__all__ = [
    "DERIVED_FIELDS",
    "FilterSyntaxError",
    "available_columns",
    "check_references",
    "evaluate",
    "filter_columns",
    "parse_filter",
    "profile_frame",
]


def _literal(node: ast.AST) -> Any:
    return literal_value(node)


def _eval(node: ast.AST, cols: Any) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, cols)
    if isinstance(node, ast.BoolOp):
        parts = [_as_mask(_eval(v, cols)) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ~_as_mask(_eval(node.operand, cols))
        return -_eval(node.operand, cols)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, cols)
        out = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                values = list(_literal(right_node))
                part = left.isin(values)
                part = ~_as_mask(part) if isinstance(op, ast.NotIn) else part
            else:
                right = _eval(right_node, cols)
                part = _COMPARE[type(op)](left, right)
            part = _as_mask(part)
            out = part if out is None else out & part
            left = _eval(right_node, cols) if not isinstance(op, ast.In | ast.NotIn) else left
        return out
    if is_boolean_word(node):
        return _literal(node)
    if isinstance(node, ast.Name):
        return cols[column_name(node.id)]
    if isinstance(node, ast.Constant | ast.List | ast.Tuple):
        return _literal(node)
    raise FilterSyntaxError(f"unsupported expression: {ast.dump(node)}")


def _as_mask(value: Any) -> Any:
    """Missing answers never match a filter."""
    if isinstance(value, pd.Series):
        return value.fillna(False).astype(bool)
    return value


def evaluate(expression: str, frame: pd.DataFrame) -> pd.Series:
    """Which rows of the frame a filter selects (a boolean Series)."""
    result = _eval(parse_filter(expression), frame)
    if not isinstance(result, pd.Series):
        return pd.Series(bool(result), index=frame.index)
    return _as_mask(result)


def empty_filter_notes(sizes: pd.DataFrame) -> list[str]:
    """Warnings for filters that select no one or too few people to show."""
    out = []
    for name, row in sizes.iterrows():
        if row["people"] == 0:
            out.append(f"The filter **{name}** selects no one this period; its columns are empty.")
        elif row["note"]:
            out.append(f"The filter **{name}** selects too few people to show.")
    return out


def filter_masks(frame: pd.DataFrame, params: Params, names: list[str] | None = None) -> pd.DataFrame:
    """One boolean column per named filter."""
    names = list(params.filters) if names is None else names
    return pd.DataFrame({n: evaluate(params.filters[n], frame) for n in names}, index=frame.index)


def filter_sizes(masks: pd.DataFrame, weights: pd.Series, min_cell: int) -> pd.DataFrame:
    """People in each filter (unweighted and weighted share), with empty filters flagged."""
    n = masks.sum()
    out = pd.DataFrame(
        {
            "people": n.astype(int),
            "share %": 100 * n / max(len(masks), 1),
            "weighted %": 100 * masks.mul(weights, axis=0).sum() / weights.sum(),
        }
    )
    out["note"] = np.where(n == 0, "empty: no one matches", np.where(n < min_cell, "too few to show", ""))
    return out


def sizes_table(masks: pd.DataFrame, weights: pd.Series, params: Params) -> pd.DataFrame:
    """Each filter for the report: its name, who is in it in words, people and shares; the
    figures of a filter of fewer people than the privacy minimum are hidden."""
    min_cell = params.privacy.min_cell
    sizes = filter_sizes(masks, weights, min_cell)
    if not (params.columns and params.columns.weight):
        sizes = sizes.drop(columns="weighted %")  # the same as the plain share without weights
    out = sizes.astype({c: object for c in sizes.columns if c != "note"})
    small = (sizes["people"] > 0) & (sizes["people"] < min_cell)
    out.loc[small, [c for c in out.columns if c != "note"]] = marker(min_cell)
    out.insert(0, "who is in it", [describe(params.filters[n], params) for n in sizes.index])
    out.index = pd.Index([label_of(n, params) for n in sizes.index], name="filter")
    return out


def overlap_table(masks: pd.DataFrame, params: Params) -> pd.DataFrame:
    """:func:`overlap_matrix` with the filters' names, and every share that rests on fewer people
    than the privacy minimum (in the row's filter or in both) left blank."""
    min_cell = params.privacy.min_cell
    out = overlap_matrix(masks)
    both = overlap_counts(masks).reindex_like(out)
    out = out.mask((both > 0) & (both < min_cell))
    out = out.mask(pd.Series(masks.sum() < min_cell, index=out.index), axis=0)
    names = [label_of(n, params) for n in out.index]
    out.index, out.columns = pd.Index(names, name="filter"), pd.Index(names)
    return out


def overlap_matrix(masks: pd.DataFrame) -> pd.DataFrame:
    """Share of each row filter's people who are also in the column filter (in %)."""
    m = masks.astype(float)
    both = m.T @ m
    size = m.sum()
    return 100 * both.div(size.replace(0, np.nan), axis=0)


def overlap_counts(masks: pd.DataFrame) -> pd.DataFrame:
    """People in both filters of each pair."""
    m = masks.astype(int)
    return m.T @ m
