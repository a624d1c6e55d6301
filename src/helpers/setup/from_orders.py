"""A transaction log alone: the customer file the workbook builds from it, as `workbook init`
drafts it. The customers are who placed the orders; their traits are what their orders say (how
many, how much, how recently) and the columns that stay the same for each customer (a country)."""

from __future__ import annotations

import pandas as pd

from helpers.core.expressions import quote
from helpers.core.names import name_tokens
from helpers.setup.infer import OrdersGuess
from helpers.setup.roles import dimension_of
from helpers.setup.sections import filter_name, literal
from helpers.setup.yaml_lines import as_yaml, commented

CONSTANT_SHARE = 0.95  # a customer field: one value for at least this share of the customers
MAX_FIELD_VALUES = 300  # more values than this is a product or an address, not a group of people
MIN_GROUP = 30  # customers a banner group of a customer field needs (the banners' small base)
MAX_GROUPS = 4  # the largest groups of a customer field get a banner column each; the rest one


def customer_fields(frame: pd.DataFrame, og: OrdersGuess) -> dict[str, str]:
    """The columns of a transaction log that describe the customer, not the order: text with a
    few values, one value per customer for nearly all of them; each with why."""
    who = og.columns["customer_id"]
    used = set(og.columns.values())
    buyers = frame[frame[who].notna()]
    out: dict[str, str] = {}
    for col in frame.columns:
        values = buyers[col]
        if (
            col in used
            or pd.api.types.is_numeric_dtype(values)
            or pd.api.types.is_datetime64_any_dtype(values)
        ):
            continue
        distinct = values.nunique()
        if not 2 <= distinct <= MAX_FIELD_VALUES:
            continue
        per_customer = values.groupby(buyers[who]).nunique()
        constant = float((per_customer <= 1).mean())
        if constant >= CONSTANT_SHARE:
            out[str(col)] = f"one value per customer for {constant:.1%} of them ({distinct} values)"
    return out


def field_groups(frame: pd.DataFrame, og: OrdersGuess, col: str) -> dict[str, tuple[str, str]]:
    """Filters for a customer field's largest groups (each at least MIN_GROUP customers) and one
    for the rest: a banner by country that stays readable when a shop sells to 36 countries."""
    who = og.columns["customer_id"]
    latest = frame[frame[who].notna() & frame[col].notna()].drop_duplicates(who, keep="last")
    counts = latest[col].astype(str).value_counts()
    top = [v for v, n in counts.items() if n >= MIN_GROUP][:MAX_GROUPS]
    name = quote(col)
    out = {filter_name(f"{col}_{v}"): (f"{name} == {literal(v)}", f"{counts[v]:,} customers") for v in top}
    rest = int(counts.drop(top).sum())
    if rest >= MIN_GROUP:
        out[filter_name(f"{col}_elsewhere")] = (f"{name} not in {literal(top)}", f"{rest:,} customers")
    return out if len(out) >= 2 else {}


def order_thresholds(frame: pd.DataFrame, og: OrdersGuess) -> int:
    """The number of orders that makes a heavy buyer: the top fifth of buyers, at least 3."""
    who, order = og.columns["customer_id"], og.columns.get("order_id")
    grouped = frame[frame[who].notna()].groupby(who)
    counts = grouped[order].nunique() if order else grouped.size()
    return max(3, int(counts.quantile(0.8)))


def customers_block(
    og: OrdersGuess, fields: dict[str, str], heavy: int, groups: dict[str, dict[str, tuple[str, str]]]
) -> list[str]:
    """`columns:` for customers built from the orders, with the filters, banners and segment
    settings that fit traits that are numbers from orders."""
    money = "amount" in og.columns or "unit_price" in og.columns or "line_amount" in og.columns
    derived = ["orders", *(["spend", "avg_order_value"] if money else []), "days_since_last", "tenure_days"]
    if {"quantity", "status", "cancelled_at", "refunded_amount"} & set(og.columns):
        derived.append("return_rate")
    derived += [
        name
        for key, name in (("category", "main_category"), ("channel", "main_channel"))
        if key in og.columns
    ]
    by_dimension: dict[str, list[str]] = {}
    for col in fields:
        dimension, _ = dimension_of(name_tokens(col), "geographic")
        by_dimension.setdefault(dimension, []).append(col)
    out = [
        "",
        "# No customer file: one row per customer is built from the orders. Its traits are what",
        "# the orders say (how many, how much, how recently)"
        + (" and the customer fields above." if fields else "."),
        "columns:",
        commented(f"  id: {as_yaml(og.columns['customer_id'])}", "the orders' customer id"),
    ]
    for dimension, cols in by_dimension.items():
        out.append(commented(f"  {dimension}: {as_yaml(cols)}", fields[cols[0]]))
    out.append(commented(f"  behavioural: {as_yaml(derived)}", "derived from each customer's orders"))
    out += [
        "",
        "# Named filters over the fields derived from orders (used by the banners and in 02).",
        "filters:",
        commented(f"  heavy_buyers: orders >= {heavy}", "the top fifth of buyers by number of orders"),
        commented(f"  repeat_buyers: orders >= 2 and orders < {heavy}", "came back, not heavy"),
        commented("  one_time_buyers: orders == 1", "one order so far"),
    ]
    for filters in groups.values():
        out += [commented(f"  {name}: {as_yaml(rule)}", why) for name, (rule, why) in filters.items()]
    out += [
        "",
        "# Banner tables (02): questions down the side, these groups across the top.",
        "crosstab:",
        "  banners:",
        "    - {name: Buyers, filters: [heavy_buyers, repeat_buyers, one_time_buyers]}",
    ]
    for col, filters in groups.items():
        out.append(f"    - {{name: {as_yaml(col)}, filters: [{', '.join(filters)}]}}")
    out += [
        "",
        "# Segments (03): on the numbers from orders, k-means (long tails such as spend on a log scale).",
        "segment:",
        "  method: kmeans",
        "",
        "# Personas (05): no age or gender in a transaction log, so none is invented.",
        "personas:",
        "  goal: grow repeat revenue",
    ]
    return out
