"""The engine layer: heavy work over orders is written once as Ibis expressions, run by DuckDB.

Only small results (per-customer or per-period tables) come back to pandas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from helpers.config import OrderColumns, Source
from helpers.errors import DataError

TRUE_WORDS = ("1", "true", "t", "yes", "y")
FALSE_WORDS = ("0", "false", "f", "no", "n")


class Engine:
    """A connection to the embedded engine (DuckDB through Ibis)."""

    def __init__(self, name: str = "duckdb", threads: int | None = None) -> None:
        if name != "duckdb":
            raise DataError(f"engine '{name}' is not available; use `engine: duckdb`")
        self.name = name
        self.con = ibis.duckdb.connect(**({"threads": threads} if threads else {}))

    def read(self, source: Source, types: dict[str, str] | None = None) -> ir.Table:
        """Open a CSV or Parquet file lazily as an engine table; other formats go through pandas."""
        path = str(source.path)
        if source.kind == "parquet":
            return self.con.read_parquet(path)
        if source.kind == "csv" and source.delimiter != "whitespace":
            from helpers.data import csv_options  # local import: data imports engine

            return self.con.read_csv(path, types=types or None, **csv_options(source))
        from helpers.data import read_frame

        return ibis.memtable(read_frame(source, as_text=list(types or {})))

    def execute(self, expr: ir.Expr) -> Any:
        """Run an expression and return pandas (a small result)."""
        if isinstance(expr, ir.Table):  # through Arrow: much faster for wide results
            return self.con.to_pyarrow(expr).to_pandas()
        return self.con.execute(expr)

    @contextlib.contextmanager
    def materialised(self, expr: ir.Table) -> Iterator[ir.Table]:
        """Compute an expression once into a temporary table, dropped afterwards.

        (Ibis's own ``cache()`` shares tables between equal expressions and can drop one that
        another expression still uses, so the workbook manages its temporary tables itself.)
        """
        name = f"_wb_tmp_{uuid.uuid4().hex}"
        table = self.con.create_table(name, expr, temp=True)
        try:
            yield table
        finally:
            self.con.drop_table(name, force=True)

    def register(self, frame: pd.DataFrame, name: str) -> ir.Table:
        """Make a pandas frame available to the engine as a table."""
        return self.con.create_table(name, frame, overwrite=True)


def _as_bool(col: ir.Value) -> ir.BooleanValue:
    """Read yes/no answers stored as booleans, numbers or words."""
    if col.type().is_boolean():
        return col
    if col.type().is_numeric():
        return col != 0
    text = col.cast("string").strip().lower()
    return text.isin(TRUE_WORDS).ifelse(True, text.isin(FALSE_WORDS).ifelse(False, None))


def standard_orders(raw: ir.Table, cols: OrderColumns, keep_raw: bool = False) -> ir.Table:
    """Orders with the workbook's column names and types (unparseable values become NULL)."""
    ts = raw[cols.timestamp]
    amount = raw[cols.amount]
    fields: dict[str, ir.Value] = {
        "customer_id": raw[cols.customer_id].cast("string"),
        "order_ts": ts if ts.type().is_timestamp() else (
            ts.cast("string").as_timestamp(cols.timestamp_format).cast("timestamp")
            if cols.timestamp_format
            else ts.try_cast("timestamp")),
        "amount": amount.cast("float64") if amount.type().is_numeric()
        else amount.try_cast("float64"),
    }
    if cols.order_id:
        fields["order_id"] = raw[cols.order_id].cast("string")
    for name in ("full_price", "prepaid"):
        if getattr(cols, name):
            fields[name] = _as_bool(raw[getattr(cols, name)])
    if keep_raw:  # the values as written, for error messages
        fields["raw_ts"] = ts.cast("string")
        fields["raw_amount"] = amount.cast("string")
    return raw.select(**fields)


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after a day, for `ts < end_of(as_of)` filters."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def customer_summary(orders: ir.Table, as_of: dt.date) -> ir.Table:
    """Per-customer behaviour from orders: counts, spend, recency, tenure, last 12 months, and
    the first order (amount, full price, prepaid) with the basket growth after it."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    since = end_of(as_of - dt.timedelta(days=365))
    o = o.mutate(rank=ibis.row_number().over(group_by="customer_id", order_by=["order_ts"]))
    recent = o.order_ts >= since
    first = o.rank == 0
    day = ibis.literal(as_of)
    metrics = {
        "orders": o.count(),
        "spend": o.amount.sum(),
        "orders_12m": o.count(where=recent),
        "spend_12m": o.amount.sum(where=recent).fill_null(0),
        "first_order": o.order_ts.min(),
        "last_order": o.order_ts.max(),
        "first_order_amount": o.amount.max(where=first),
        "later_order_amount": o.amount.mean(where=~first),
    }
    for flag in ("full_price", "prepaid"):
        if flag in o.columns:
            metrics[f"first_order_{flag}"] = o[flag].cast("int64").max(where=first)
    g = o.group_by("customer_id").aggregate(**metrics)
    return g.mutate(
        days_since_last=day.delta(g.last_order.date(), unit="day"),
        tenure_days=day.delta(g.first_order.date(), unit="day"),
        avg_order_value=g.spend / g.orders,
        basket_growth=g.later_order_amount / g.first_order_amount,
    ).drop("later_order_amount")


def orders_by_month(orders: ir.Table, as_of: dt.date) -> ir.Table:
    """Orders, buyers and revenue per calendar month."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    o = o.mutate(month=o.order_ts.truncate("M").date())
    return o.group_by("month").aggregate(
        orders=o.count(), buyers=o.customer_id.nunique(), revenue=o.amount.sum()
    ).order_by("month")
