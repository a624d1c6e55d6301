"""Step 2, filter: named filters written as readable expressions, and the fields they can use.

A filter is a small expression over column names, e.g. ``orders_12m >= 6`` or
``city_tier == "urban" and gender == "female"`` or ``income_band in ["75k-100k", "100k+"]``.
It is parsed with Python's ``ast`` and only comparisons, ``and``/``or``/``not``, ``in``/``not in``
with a list, and literals are allowed, so a parameter file can never run code. The same
translation works on pandas Series and on Ibis columns (both overload the operators).
"""

from __future__ import annotations

import ast
import difflib
import operator
from typing import Any

import numpy as np
import pandas as pd

from helpers.cohorts import nps_group
from helpers.config import Params
from helpers.data import Dataset
from helpers.errors import ConfigError

# behavioural fields the workbook derives from orders for every customer (0 / missing for none)
DERIVED_FIELDS = {
    "orders": "orders up to as_of",
    "spend": "total spend up to as_of",
    "orders_12m": "orders in the 12 months up to as_of",
    "spend_12m": "spend in the 12 months up to as_of",
    "avg_order_value": "average order value",
    "days_since_last": "days since the last order (missing for non-buyers)",
    "tenure_days": "days since the first order (missing for non-buyers)",
    "first_order_amount": "amount of the first order",
    "first_order_full_price": "1 when the first order was at full price",
    "first_order_prepaid": "1 when the first order was prepaid",
    "basket_growth": "mean later order amount ÷ first order amount (missing: no later order)",
    "days_to_convert": "days from first contact to first order (needs acquisition.first_contact)",
}
_ZERO_FOR_NON_BUYERS = ("orders", "spend", "orders_12m", "spend_12m")

_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


class FilterSyntaxError(ValueError):
    """A filter expression uses something other than comparisons, and/or/not and literals."""


def parse_filter(expression: str) -> ast.Expression:
    """Parse and check a filter expression (raises FilterSyntaxError)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise FilterSyntaxError(f"cannot read '{expression}': {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
                   ast.Compare, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.In,
                   ast.NotIn, *_COMPARE)
        if not isinstance(node, allowed):
            raise FilterSyntaxError(
                f"'{expression}' uses {type(node).__name__.lower()}, which filters do not allow; "
                "write comparisons joined by and/or, e.g. orders_12m >= 6 and region == \"North\"")
    return tree


def filter_columns(expression: str) -> set[str]:
    """The column names a filter expression uses."""
    return {n.id for n in ast.walk(parse_filter(expression)) if isinstance(n, ast.Name)}


def _literal(node: ast.AST) -> Any:
    return ast.literal_eval(node)


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
    if isinstance(node, ast.Name):
        return cols[node.id]
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


def available_columns(params: Params, customer_columns: list[str], has_orders: bool) -> list[str]:
    """Columns a filter may use: the loaded customer columns and, with orders, derived fields."""
    derived = [f for f in DERIVED_FIELDS if f != "days_to_convert"] if has_orders else []
    acq = params.columns.acquisition if params.columns else None
    if has_orders and acq is not None and acq.first_contact and acq.date:
        derived.append("days_to_convert")
    if has_orders and params.orders is not None:
        derived = [f for f in derived if not (f.endswith("full_price") and not params.orders.full_price)
                   and not (f.endswith("prepaid") and not params.orders.prepaid)]
    extra = ["nps_group"] if params.columns is not None and params.columns.nps else []
    return list(customer_columns) + derived + extra


def check_references(params: Params, columns: list[str]) -> None:
    """Filters and banner tables name only known columns; raise ConfigError naming the key."""
    where = params.source_file or "parameters"
    problems = []
    personal = set(params.columns.personal) if params.columns else set()
    sets = set(params.columns.multi_response) if params.columns else set()

    def unknown(key: str, col: str, known: list[str]) -> None:
        hint = difflib.get_close_matches(col, known, n=1)
        fix = f"did you mean '{hint[0]}'?" if hint else "use a declared column or a derived field"
        why = "is personal data, which analyses never see" if col in personal else "is not a column"
        problems.append(f"`{key}`: '{col}' {why}; {fix}")

    for name, expression in params.filters.items():
        for col in sorted(filter_columns(expression) - set(columns)):
            unknown(f"filters.{name}", col, columns)
    for i, banner in enumerate(params.crosstab.banners):
        if banner.column and banner.column not in columns:
            unknown(f"crosstab.banners[{i}].column", banner.column, columns)
    for i, row in enumerate(params.crosstab.rows):
        if row not in columns and row not in sets:
            unknown(f"crosstab.rows[{i}]", row, columns + sorted(sets))
    for name, expression in params.cohorts.rules.items():
        for col in sorted(filter_columns(expression) - set(columns)):
            unknown(f"cohorts.rules.{name}", col, columns)
    for i, split in enumerate(params.cohorts.splits):
        if split not in columns and split not in params.filters:
            unknown(f"cohorts.splits[{i}]", split, columns + list(params.filters))
    if problems:
        raise ConfigError(f"{where}: bad filters or banner tables\n  - " + "\n  - ".join(problems))


def empty_filter_notes(sizes: pd.DataFrame) -> list[str]:
    """Warnings for filters that select no one or too few people to show."""
    out = []
    for name, row in sizes.iterrows():
        if row["people"] == 0:
            out.append(f"The filter **{name}** selects no one this period; its columns are empty.")
        elif row["note"]:
            out.append(f"The filter **{name}** selects only {row['people']} people: too few to show.")
    return out


def profile_frame(data: Dataset) -> pd.DataFrame | None:
    """Customers with the behavioural fields derived from their orders (engine-computed);
    None for a run without a customer file."""
    if data.customers is None or data.params.columns is None:
        return None
    frame = data.customers.copy()
    if data.orders is None:
        if data.params.columns.nps:
            frame["nps_group"] = nps_group(frame[data.params.columns.nps])
        return frame
    behaviour = data.behaviour().set_index("customer_id")
    joined = behaviour.reindex(frame[data.params.columns.id].astype(str).to_numpy())
    for col in DERIVED_FIELDS:
        if col not in joined.columns:
            continue
        values = joined[col].to_numpy(dtype=float)
        if col in _ZERO_FOR_NON_BUYERS:
            values = np.nan_to_num(values, nan=0.0)
        frame[col] = values
    if data.params.columns.nps:
        frame["nps_group"] = nps_group(frame[data.params.columns.nps])
    acq = data.params.columns.acquisition
    if acq.first_contact and acq.date:
        frame["days_to_convert"] = (pd.to_datetime(frame[acq.date])
                                    - pd.to_datetime(frame[acq.first_contact])).dt.days
    return frame


def filter_masks(frame: pd.DataFrame, params: Params, names: list[str] | None = None
                 ) -> pd.DataFrame:
    """One boolean column per named filter."""
    names = list(params.filters) if names is None else names
    return pd.DataFrame({n: evaluate(params.filters[n], frame) for n in names}, index=frame.index)


def filter_sizes(masks: pd.DataFrame, weights: pd.Series, min_cell: int) -> pd.DataFrame:
    """People in each filter (unweighted and weighted share), with empty filters flagged."""
    n = masks.sum()
    out = pd.DataFrame({"people": n.astype(int),
                        "share %": 100 * n / max(len(masks), 1),
                        "weighted %": 100 * masks.mul(weights, axis=0).sum() / weights.sum()})
    out["note"] = np.where(n == 0, "empty: no one matches", np.where(n < min_cell, "too few to show", ""))
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
