"""Fields the workbook derives for every customer, and the check that filters name real ones.

Derived from orders (orders, spend, recency …) and from the profile (NPS group). The dataset
layer computes them; the filters, banner tables and cohort rules use them by these names.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError
from helpers.core.expressions import comparisons, filter_columns
from helpers.params.config import Params
from helpers.params.inputs import DERIVED_FIELDS
from helpers.params.schema import display_value, observed_values, scale_of

_ZERO_FOR_NON_BUYERS = ("orders", "spend", "orders_12m", "spend_12m")
BASKET = ("return_rate", "categories_bought")  # derived from lines, where the orders have them


def nps_group(score: pd.Series) -> pd.Series:
    """Promoters (9–10), passives (7–8), detractors (0–6); missing stays missing."""
    s = pd.to_numeric(score, errors="coerce").astype(float).to_numpy()
    group = np.select([s >= 9, s >= 7, s >= 0], ["promoters", "passives", "detractors"], "")
    return pd.Series(group, index=score.index).replace("", None)


def available_columns(params: Params, customer_columns: list[str], has_orders: bool) -> list[str]:
    """Columns a filter may use: the loaded customer columns and, with orders, derived fields."""
    derived = [f for f in DERIVED_FIELDS if f != "days_to_convert" and f not in BASKET] if has_orders else []
    if has_orders and params.orders is not None:  # from the order lines
        derived += params.orders.basket_fields(params.data.products is not None)
    acq = params.columns.acquisition if params.columns else None
    if has_orders and acq is not None and acq.first_contact and acq.date:
        derived.append("days_to_convert")
    if has_orders and params.orders is not None:
        derived = [
            f
            for f in derived
            if not (f.endswith("full_price") and not params.orders.full_price)
            and not (f.endswith("prepaid") and not params.orders.prepaid)
        ]
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
    for i, criterion in enumerate(params.icp.criteria):
        for col in sorted(filter_columns(criterion.rule) - set(columns)):
            unknown(f"icp.criteria[{i}].rule", col, columns)
    if params.icp.value_field and params.icp.value_field not in columns:
        unknown("icp.value_field", params.icp.value_field, columns)
    for i, split in enumerate(params.cohorts.splits):
        if split not in columns and split not in params.filters:
            unknown(f"cohorts.splits[{i}]", split, columns + list(params.filters))
    if problems:
        raise ConfigError(f"{where}: bad filters or banner tables\n  - " + "\n  - ".join(problems))


def all_expressions(params: Params) -> list[tuple[str, str]]:
    """Every filter expression of the parameters with its key: filters, cohort rules, ICP."""
    out = [(f"filters.{n}", e) for n, e in params.filters.items()]
    out += [(f"cohorts.rules.{n}", e) for n, e in params.cohorts.rules.items()]
    out += [(f"icp.criteria[{i}].rule", c.rule) for i, c in enumerate(params.icp.criteria)]
    return out


def scale_words(column: str, params: Params) -> tuple[str, ...]:
    """The words of an attitude item's scale, low to high (empty for a numeric scale)."""
    if params.columns and column in params.columns.psychographic:
        return scale_of(column, params).words
    return ()


_ORDERING = {"Lt", "LtE", "Gt", "GtE"}
_OPERATOR = {
    "Eq": "==",
    "NotEq": "!=",
    "Lt": "<",
    "LtE": "<=",
    "Gt": ">",
    "GtE": ">=",
    "In": "in",
    "NotIn": "not in",
}


def check_values(params: Params, frame: pd.DataFrame) -> None:
    """Each comparison in a filter fits its column: words with words the column holds, numbers
    with numbers, `in` with a list, no `<`/`>` on words; raise ConfigError listing every problem
    with the values the column does take (this is how "selects nobody" is caught)."""
    where = params.source_file or "parameters"
    problems: list[str] = []
    for key, expression in all_expressions(params):
        for column, op, literal in comparisons(expression):
            if column in DERIVED_FIELDS and column not in frame.columns:  # numbers from orders
                if isinstance(literal, str | bool) or (
                    isinstance(literal, list) and any(isinstance(v, str | bool) for v in literal)
                ):
                    problems.append(
                        f"`{key}`: `{column} {_OPERATOR.get(op, op)} {literal!r}`: "
                        f"'{column}' is a number derived from orders; compare it "
                        "with a number"
                    )
                continue
            if column not in frame.columns:
                continue
            problem = _comparison_problem(frame[column], column, op, literal, params)
            if problem:
                problems.append(f"`{key}`: {problem}")
    if problems:
        raise ConfigError(
            f"{where}: filters that cannot select what they say\n  - "
            + "\n  - ".join(dict.fromkeys(problems))
        )


def _comparison_problem(
    values: pd.Series, column: str, op: str, literal: object, params: Params
) -> str | None:
    shown = ", ".join(repr(v) for v in observed_values(values, 12))
    more = " …" if values.nunique() > 12 else ""
    text = f"{column} {_OPERATOR.get(op, op)} {literal!r}"
    if op in ("In", "NotIn") and not isinstance(literal, list):
        return (
            f"`{text}`: `in` needs a list, e.g. {column} in [{literal!r}] "
            "(a single word would be matched letter by letter)"
        )
    items = literal if isinstance(literal, list) else [literal]
    if pd.api.types.is_bool_dtype(values):
        if all(isinstance(v, bool) for v in items) and op not in _ORDERING:
            return None
        return f"`{text}`: '{column}' is yes/no; compare it with true or false"
    if pd.api.types.is_numeric_dtype(values):
        if any(isinstance(v, str | bool) for v in items):
            numbers = ", ".join(observed_values(values, 8))
            return f"`{text}`: '{column}' holds numbers (e.g. {numbers}); compare it with a number"
        return None
    if any(isinstance(v, bool) for v in items):
        example = next(iter(observed_values(values, 1)), "…")
        return (
            f"`{text}`: '{column}' holds the words {shown}{more}, not true/false; write "
            f"them as the file does, e.g. {column} == {example!r}"
        )
    # text (words, labels, codes as text)
    if op in _ORDERING:
        words = scale_words(column, params)
        order = f" in the order {', '.join(words)}" if words else ""
        return (
            f"`{text}`: '{column}' holds words{order}; `<` and `>` compare them "
            f"alphabetically; list the values wanted instead, e.g. {column} in [...]"
        )
    numbers = [v for v in items if not isinstance(v, str)]
    if numbers:
        return (
            f"`{text}`: '{column}' holds text ({shown}{more}); write the value in quotes, "
            f"e.g. {column} == {display_value(numbers[0])!r}"
        )
    present = set(observed_values(values, 10_000))
    absent = [v for v in items if display_value(v) not in present]
    if not absent:
        return None
    return (
        f"`{text}`: '{column}' never holds {', '.join(repr(v) for v in absent)}; it holds "
        f"{shown}{more} (values are matched exactly, as the file writes them)"
    )


def multi_response(customers: pd.DataFrame, params: Params, name: str) -> pd.DataFrame:
    """A multiple-response set as one boolean column per answer (missing where not answered)."""
    assert params.columns is not None
    mr = params.columns.multi_response[name]
    if mr.column:
        text = customers[mr.column].astype("string")
        # a million answers hold only a few hundred distinct pick lists: split those, then
        # spread them to every row by their codes
        codes, distinct = pd.factorize(text, use_na_sentinel=True)
        sep = re.escape(mr.separator)
        tidy = (
            pd.Series(distinct, dtype="string")
            .str.strip()
            .str.replace(rf"\s*{sep}\s*", mr.separator, regex=True)
        )
        dummies = tidy.str.get_dummies(sep=mr.separator)
        table = dummies.to_numpy(bool)
        rows = table[np.where(codes >= 0, codes, 0)] if len(table) else np.zeros((len(codes), 0))
        picks = pd.DataFrame(rows, index=customers.index, columns=dummies.columns).astype("boolean")
        picks[codes < 0] = pd.NA
        return picks
    frame = customers[mr.columns or []].apply(pd.to_numeric, errors="coerce")
    answered = frame.notna().any(axis=1)
    out = frame.fillna(0).astype(bool).astype("boolean")
    out[~answered.to_numpy()] = pd.NA
    return out
