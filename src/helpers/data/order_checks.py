"""The orders checked before any notebook starts, in the engine (DuckDB or Spark): dates and
amounts readable, none in the future, every order with its customer; refunds and duplicates
handled as the parameters say, and orders after ``as_of`` left out. Each step returns what it
found (`helpers.data.checks.Findings`); the driver raises one message with every problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from helpers.data.checks import Findings, Problems, QualityItem, key_for, missing_columns, personal_ids
from helpers.data.engine import Engine, end_of, orders_from_lines, standard_orders
from helpers.params.config import Params


def validate_orders(
    orders: ir.Table, params: Params, path: Path | str, engine: Engine, quality: list[QualityItem]
) -> ir.Table:
    """The orders checked and read into their types, refunds and duplicates handled as the
    parameters say and orders after ``as_of`` left out; every problem in one message."""
    cols = params.orders
    assert cols is not None
    problems = Problems(path)
    wanted = [
        c
        for c in (
            cols.customer_id,
            cols.timestamp,
            cols.amount,
            cols.order_id,
            cols.quantity,
            cols.unit_price,
            cols.line_amount,
            cols.full_price,
            cols.prepaid,
            *cols.customer_fields,
        )
        if c
    ]
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
    problems.take(_order_problems(chk, stats, params, engine))
    problems.raise_if_any()
    std = _without_guests(chk.drop("raw_ts", "raw_amount"), stats, params, quality)
    if cols.lines:  # returned and cancelled lines out, then one row per order
        std = orders_from_lines(_without_returned_lines(std, params, engine, quality), cols.customer_fields)
    else:
        std, refunds, found = _without_refunds(std, params, engine)
        problems.take(found, quality)
        std, found = _without_duplicates(std, stats, refunds + int(stats["no_customer"]), params, engine)
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
    return std.filter(std.order_ts < end_of(params.as_of))


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


def _without_guests(std: ir.Table, stats: pd.Series, params: Params, quality: list[QualityItem]) -> ir.Table:
    """Rows with no customer (guest checkouts) left out, and counted, where the parameters say so."""
    cols = params.orders
    assert cols is not None
    if not stats["no_customer"]:
        return std
    what = "order lines" if cols.lines else "orders"
    quality.append(
        QualityItem(
            "orders",
            f"{what} without a customer id",
            cols.customer_id,
            int(stats["no_customer"]),
            "left out",
            counted=what,
        )
    )
    return std.filter(std.customer_id.notnull())


def _without_returned_lines(
    lines: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]
) -> ir.Table:
    """Order lines with a negative quantity or amount (returns, cancellation invoices) left out of
    revenue, and counted, unless the parameters keep refunds."""
    cols = params.orders
    assert cols is not None
    if cols.refunds != "exclude":
        return lines
    negative = lines.amount < 0
    if "quantity" in lines.columns:
        negative = negative | (lines.quantity < 0)
    returned = int(engine.execute(lines.count(where=negative)))
    if returned:
        column = cols.quantity or cols.money or ""
        quality.append(
            QualityItem(
                "orders",
                "returned or cancelled lines (negative)",
                column,
                returned,
                "left out of revenue",
                counted="lines",
            )
        )
    return lines.filter(~negative.fill_null(False))


def _without_refunds(std: ir.Table, params: Params, engine: Engine) -> tuple[ir.Table, int, Findings]:
    """The orders without refunds (negative amounts) where the parameters exclude them, and how
    many were left out."""
    cols = params.orders
    assert cols is not None
    found, refunds = Findings(), 0
    if cols.amount and cols.refunds == "exclude":
        refunds = int(engine.execute(std.count(where=std.amount < 0)))
        if refunds:
            found.quality.append(
                QualityItem(
                    "orders", "refunds (negative amounts)", cols.amount, refunds, "left out of every figure"
                )
            )
            std = std.filter(std.amount.isnull() | (std.amount >= 0))
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
