"""The orders checked before any notebook starts, in the engine (DuckDB or Spark): dates and
amounts readable, none in the future, every order with its customer; refunds and duplicates
handled as the parameters say, and orders after ``as_of`` left out. Each step returns what it
found (`helpers.data.checks.Findings`); the driver raises one message with every problem."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from helpers.data.checks import Findings, Problems, QualityItem, key_for, missing_columns, personal_ids
from helpers.data.engine import (
    Engine,
    end_of,
    orders_from_lines,
    returned_lines,
    spread_order_fields,
    standard_orders,
)
from helpers.data.readers import read_frame
from helpers.params.config import Params
from helpers.params.inputs import OrderColumns


@dataclass
class CheckedOrders:
    """The checked orders (one row per customer order kept, up to as_of) and, where the file says
    what was bought or returned, its lines: every line up to as_of, guests' and returned ones
    included, with a `returned` flag."""

    orders: ir.Table
    lines: ir.Table | None = None


def validate_orders(
    orders: ir.Table, params: Params, path: Path | str, engine: Engine, quality: list[QualityItem]
) -> CheckedOrders:
    """The orders checked and read into their types, refunds and duplicates handled as the
    parameters say and orders after ``as_of`` left out; every problem in one message."""
    cols = params.orders
    assert cols is not None
    problems = Problems(path)
    wanted = [c for c in (cols.customer_id, cols.timestamp, *_used_columns(cols)) if c]
    missing_columns(problems, wanted, list(orders.columns), "orders")
    problems.raise_if_any()
    if params.data.orders is not None and params.data.orders.kind == "csv":
        # text files are parsed once, into the engine's own table of the columns used: every
        # check below then scans that, not the files again
        orders = engine.reuse(orders.select(*dict.fromkeys(wanted)))
    key = key_for(params, cols.customer_id)
    if key is None:  # ids that are e-mail addresses must be pseudonymised (the first rows)
        sample = engine.execute(orders.select(v=orders[cols.customer_id].cast("string")).limit(5000))
        problems.take(personal_ids(sample["v"], cols.customer_id))
        problems.raise_if_any()
    chk = standard_orders(orders, cols, keep_raw=True, key=key)
    stats = _order_counts(chk, params, engine)
    if cols.lines and (stats["no_customer"] or stats["no_ts"] or _order_level_columns(cols)):
        # an export that writes an order's own fields on its first line only (Shopify's)
        chk = spread_order_fields(chk, cols.customer_fields)
        stats = _order_counts(chk, params, engine)
    problems.take(_order_problems(chk, stats, params, engine))
    problems.raise_if_any()
    base = chk.drop("raw_ts", "raw_amount")
    if params.data.products is not None:
        base = with_products(base, params, engine, quality)
    base = base.mutate(
        returned=returned_lines(base, cols.returned_status)
        if cols.refunds == "exclude"
        else ibis.literal(False)
    )
    _note_guests(stats, params, quality)
    if cols.lines:  # returned and cancelled lines out, then one row per order
        kept = base.filter(base.customer_id.notnull() & ~base.returned)
        _note_returned(base, params, engine, quality)
        std = _without_full_refunds(orders_from_lines(kept, cols.customer_fields), params, engine, quality)
    else:
        std = base.filter(base.customer_id.notnull())
        std, refunds, found = _without_refunds(std, params, engine)
        problems.take(found, quality)
        std, found = _without_duplicates(
            std.drop("returned"), stats, refunds + int(stats["no_customer"]), params, engine
        )
        problems.take(found, quality)
        problems.raise_if_any()
    if stats["after_as_of"]:
        quality.append(
            QualityItem(
                "orders",
                f"dated after as_of {params.as_of}",
                cols.timestamp,
                int(stats["after_as_of"]),
                "left out of this period",
            )
        )
    end = end_of(params.as_of)
    has_lines = cols.lines or cols.product or cols.category or cols.has_returns
    return CheckedOrders(
        std.filter(std.order_ts < end), base.filter(base.order_ts < end) if has_lines else None
    )


def _used_columns(cols: OrderColumns) -> list[str | None]:
    """The orders' columns the parameters name, besides the customer and the time."""
    return [
        cols.amount,
        cols.order_id,
        cols.quantity,
        cols.unit_price,
        cols.line_amount,
        cols.full_price,
        cols.prepaid,
        cols.product,
        cols.category,
        cols.channel,
        cols.status,
        cols.cancelled_at,
        cols.refunded_amount,
        cols.return_reason,
        *cols.customer_fields,
    ]


def _order_level_columns(cols: OrderColumns) -> bool:
    """Whether the lines carry order-level fields an export may write on first lines only."""
    return bool(cols.channel or cols.status or cols.cancelled_at or cols.refunded_amount)


def _order_counts(chk: ir.Table, params: Params, engine: Engine) -> pd.Series:
    """In one pass: rows, unreadable, missing and future dates, unreadable amounts, orders without
    a customer and orders after ``as_of``."""
    raw_ts, raw_amount = chk.raw_ts, chk.raw_amount
    now = end_of(dt.date.today())
    return engine.execute(
        chk.aggregate(
            rows=chk.count(),
            bad_ts=chk.count(where=chk.order_ts.isnull() & raw_ts.notnull()),
            no_ts=chk.count(where=raw_ts.isnull()),
            future=chk.count(where=chk.order_ts >= now),
            bad_amount=chk.count(where=chk.amount.isnull() & raw_amount.notnull()),
            no_customer=chk.count(where=chk.customer_id.isnull()),
            after_as_of=chk.count(where=chk.order_ts >= end_of(params.as_of)),
        )
    ).iloc[0]


def _examples(chk: ir.Table, engine: Engine, cond: ir.BooleanValue, col: ir.Value) -> str:
    """Three values of a column where a condition holds, as the file writes them."""
    vals = engine.execute(chk.filter(cond).select(v=col.cast("string")).limit(3))["v"]
    return ", ".join(repr(v) for v in vals)


def _order_problems(chk: ir.Table, stats: pd.Series, params: Params, engine: Engine) -> Findings:
    """Too few rows, dates that cannot be read or lie in the future, amounts that are not numbers,
    orders without a customer: each with examples from the file."""
    cols = params.orders
    assert cols is not None
    found = Findings()
    raw_ts, raw_amount = chk.raw_ts, chk.raw_amount
    now = end_of(dt.date.today())
    if stats["rows"] < params.validation.min_rows:
        found.add(
            None,
            f"only {stats['rows']} rows; at least {params.validation.min_rows} needed",
            "use a larger extract or lower `validation.min_rows`",
        )
    if stats["bad_ts"] or stats["no_ts"]:
        found.add(
            cols.timestamp,
            f"{stats['bad_ts'] + stats['no_ts']} rows have no readable "
            f"date (e.g. {_examples(chk, engine, chk.order_ts.isnull(), raw_ts)})",
            "write timestamps as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
        )
    if stats["future"]:
        found.add(
            cols.timestamp,
            f"{stats['future']} orders are dated in the future "
            f"(e.g. {_examples(chk, engine, chk.order_ts >= now, raw_ts)})",
            "fix those dates",
        )
    if stats["bad_amount"]:
        unreadable = chk.amount.isnull() & raw_amount.notnull()
        found.add(
            cols.money,
            f"{stats['bad_amount']} amounts are not numbers "
            f"(e.g. {_examples(chk, engine, unreadable, raw_amount)})",
            "amounts must be numbers (currency signs and digit grouping are fine); for amounts "
            'written like 12,50 set `orders.decimal: ","`',
        )
    if stats["no_customer"] and cols.without_customer == "stop":
        found.add(
            cols.customer_id,
            f"{stats['no_customer']} {'order lines' if cols.lines else 'orders'} have no customer id",
            "every order needs its customer's id; or set `orders.without_customer: leave_out` to leave "
            "guest orders out of every figure (counted in the data-quality table)",
        )
    return found


def _note_guests(stats: pd.Series, params: Params, quality: list[QualityItem]) -> None:
    """Rows with no customer (guest checkouts), where the parameters leave them out: counted, and
    kept only in totals that need no customer."""
    cols = params.orders
    assert cols is not None
    if not stats["no_customer"]:
        return
    what = "order lines" if cols.lines else "orders"
    action = "left out of per-customer figures"
    if cols.lines or cols.product or cols.category:
        action += "; kept in revenue by month and by product"
    quality.append(
        QualityItem(
            "orders",
            f"{what} without a customer id",
            cols.customer_id,
            int(stats["no_customer"]),
            action,
            counted=what,
        )
    )


def _note_returned(lines: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]) -> None:
    """Order lines that were not kept (returns, cancellations, refunded orders): counted; they are
    out of revenue and in the returns analysis."""
    cols = params.orders
    assert cols is not None
    returned = int(engine.execute(lines.count(where=lines.returned & lines.customer_id.notnull())))
    if returned:  # (guests' lines are counted as guests')
        column = cols.status or cols.cancelled_at or cols.quantity or cols.money or ""
        quality.append(
            QualityItem(
                "orders",
                "returned, refunded or cancelled lines",
                column,
                returned,
                "left out of revenue; counted in the returns",
                counted="lines",
            )
        )


def _without_full_refunds(
    orders: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]
) -> ir.Table:
    """Orders refunded in full by their refunded amount left out (a partial refund lowers the
    order's revenue), and counted."""
    cols = params.orders
    assert cols is not None
    if not cols.refunded_amount or cols.refunds != "exclude":
        return orders
    nothing_left = (orders.refunded > 0) & (orders.amount <= 0.005)
    refunded = int(engine.execute(orders.count(where=nothing_left)))
    if refunded:
        quality.append(
            QualityItem(
                "orders",
                "refunded in full (refunded amount)",
                cols.refunded_amount,
                refunded,
                "left out of every figure",
            )
        )
    return orders.filter(~nothing_left.fill_null(False))


def with_products(lines: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]) -> ir.Table:
    """Each line with its product's category (and name) from the product file, joined by SKU;
    lines whose SKU the file lacks are counted and given the category "(not in the product file)"."""
    src, cols = params.data.products, params.products
    assert src is not None and cols is not None
    frame = read_frame(src, as_text=[cols.sku])  # a product file is small: read through pandas
    problems = Problems(src.path)
    missing_columns(
        problems, [c for c in (cols.sku, cols.category, cols.name) if c], list(frame.columns), "products"
    )
    problems.raise_if_any()
    table = pd.DataFrame(
        {
            "_sku": frame[cols.sku].astype("string").str.strip(),
            "category": frame[cols.category].astype("string").str.strip(),
            **({"_name": frame[cols.name].astype("string").str.strip()} if cols.name else {}),
        }
    ).drop_duplicates("_sku")
    catalogue = engine.register(table, f"_wb_products_{uuid.uuid4().hex}")
    joined = lines.left_join(catalogue, lines.product == catalogue._sku)
    unknown = int(engine.execute(joined.count(where=joined.category.isnull() & joined.product.notnull())))
    if unknown:
        quality.append(
            QualityItem(
                "orders",
                "products not in the product file",
                params.orders.product or "",
                unknown,
                'shown as "(not in the product file)"',
                counted="lines",
            )
        )
    named = {"product": joined._name.coalesce(joined.product)} if cols.name else {}
    out = joined.mutate(category=joined.category.fill_null("(not in the product file)"), **named)
    return out.select(*lines.columns, "category")


def _without_refunds(std: ir.Table, params: Params, engine: Engine) -> tuple[ir.Table, int, Findings]:
    """The orders without refunds (negative amounts) and refunded or cancelled orders (by their
    status) where the parameters exclude them, and how many were left out."""
    cols = params.orders
    assert cols is not None
    found, refunds = Findings(), 0
    if cols.refunds == "exclude":
        refunds = int(engine.execute(std.count(where=std.returned)))
        if refunds:
            what = "refunds (negative amounts)" if cols.amount else "refunded or cancelled orders"
            if cols.amount and (cols.status or cols.cancelled_at):
                what = "refunds (negative amounts) and refunded or cancelled orders"
            column = cols.status or cols.cancelled_at or cols.amount or ""
            found.quality.append(QualityItem("orders", what, column, refunds, "left out of every figure"))
            std = std.filter(~std.returned)
    return std, refunds, found


def _without_duplicates(
    std: ir.Table, stats: pd.Series, refunds: int, params: Params, engine: Engine
) -> tuple[ir.Table, Findings]:
    """Order ids unique; exact duplicate rows dropped (or kept, as the parameters ask) and noted."""
    cols = params.orders
    assert cols is not None
    found = Findings()
    distinct = engine.reuse(std.distinct())  # computed once: checked here, then analysed
    if cols.order_id:
        dup = engine.execute(distinct.aggregate(rows=distinct.count(), ids=distinct.order_id.nunique())).iloc[
            0
        ]
        if dup["rows"] != dup["ids"]:
            clash = distinct.group_by("order_id").aggregate(k=distinct.count()).filter(lambda t: t.k > 1)
            ex = ", ".join(repr(v) for v in engine.execute(clash.limit(3))["order_id"])
            found.add(
                cols.order_id,
                f"{int(dup['rows'] - dup['ids'])} order ids have different rows (e.g. {ex})",
                "order ids must be unique",
            )
            return std, found
        what, column = "exact duplicate rows", cols.order_id
    else:  # no order id: a row repeating the same customer, time and amount is a duplicate
        dup = engine.execute(distinct.aggregate(rows=distinct.count())).iloc[0]
        what = "duplicate rows (same customer, time" + (" and amount)" if cols.amount else ")")
        column = cols.customer_id
    exact = int(stats["rows"] - refunds - dup["rows"])
    if exact and cols.duplicates == "drop":
        found.quality.append(QualityItem("orders", what, column, exact, "kept one copy of each"))
        std = distinct
    elif exact:
        found.quality.append(QualityItem("orders", what, column, exact, "kept, as the parameters ask"))
    return std, found
