"""The engine layer: heavy work over orders is written once as Ibis expressions.

The same expressions run on DuckDB (embedded, the default) or on Apache Spark (`engine: spark`),
chosen in the parameter file. Only small results (per-cohort or per-segment tables, samples for
model fitting) come back to pandas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from helpers.core.errors import DataError
from helpers.core.privacy import PSEUDONYM_LENGTH
from helpers.data.readers import csv_options, multi_file_options, read_frame, readable_paths
from helpers.params.inputs import OrderColumns, Source
from helpers.params.settings import SparkSettings

TRUE_WORDS = ("1", "true", "t", "yes", "y")
FALSE_WORDS = ("0", "false", "f", "no", "n")


SPARK_LOG = Path(__file__).resolve().parents[1] / "templates" / "spark" / "log4j2.properties"


def spark_session(settings: SparkSettings) -> Any:
    """Start (or join) a Spark session with the workbook's settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(
            '`engine: spark` needs PySpark: install it with `pip install -e ".[spark]"`, '
            "or use `engine: duckdb`"
        ) from None
    conf: dict[str, Any] = {
        "spark.driver.memory": settings.driver_memory,
        # Arrow moves results to pandas; no progress bars or UI in reports and logs
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": settings.shuffle_partitions,
        # NULL (not an error) for a failed cast or a division by zero, as in DuckDB
        "spark.sql.ansi.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="workbook-spark-"),
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{SPARK_LOG}",
    } | settings.conf
    builder = SparkSession.builder.master(settings.master).appName("customer-workbook")
    for key, value in conf.items():
        builder = builder.config(key, str(value).lower() if isinstance(value, bool) else str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class Engine:
    """A connection to the engine that runs heavy work: DuckDB (embedded) or Spark, via Ibis."""

    def __init__(
        self, name: str = "duckdb", threads: int | None = None, spark: SparkSettings | None = None
    ) -> None:
        self.name = name
        self._reused: dict[Any, ir.Table] = {}
        if name == "duckdb":
            self.con = ibis.duckdb.connect(**({"threads": threads} if threads else {}))
            # times with a zone become UTC whatever the machine's zone (as Spark's session does)
            self.con.raw_sql("SET TimeZone = 'UTC'")
        elif name == "spark":
            self.session = spark_session(spark or SparkSettings())
            self.con = ibis.pyspark.connect(self.session)
        else:
            raise DataError(f"engine '{name}' is not available; use `engine: duckdb` or `engine: spark`")

    @property
    def is_local(self) -> bool:
        """Whether the engine runs on this machine (so a local folder is visible to it)."""
        return self.name == "duckdb" or self.session.sparkContext.master.startswith("local")

    def close(self) -> None:
        """Give the memory back: the DuckDB database and Arrow's unused buffers (a local Spark
        session stays, as the process that started it may use it again)."""
        self._reused.clear()
        if self.name == "duckdb":
            self.con.disconnect()
        pa.default_memory_pool().release_unused()

    def save_parquet(self, expr: ir.Table, path: str | Path) -> None:
        """Write an expression's rows as Parquet (a folder of part files on Spark)."""
        self.con.to_parquet(expr, str(path))

    @classmethod
    def for_params(cls, params: Any) -> Engine:
        """The engine a parameter file asks for."""
        return cls(params.engine, spark=params.spark)

    def read(self, source: Source, types: dict[str, str] | None = None) -> ir.Table:
        """Open an input's CSV or Parquet files (one, a folder's or a glob's) lazily as one engine
        table; other formats go through pandas."""
        path = str(source.path)
        if source.kind == "parquet":
            if source.is_pattern:
                return self.con.read_parquet([str(f) for f in source.files])
            if self.name == "duckdb" and Path(path).is_dir():
                path = f"{path}/**/*.parquet"
            return self.con.read_parquet(path)
        if source.kind == "csv" and source.delimiter != "whitespace":
            opts = csv_options(source)
            paths = readable_paths(source)
            if self.name == "spark":  # every column as text; the workbook casts them itself
                return self.con.read_csv(
                    paths,
                    inferSchema=False,
                    enforceSchema=False,  # every file's header checked: no column read by place
                    header=opts["header"],
                    sep=opts.get("delim", ","),
                    encoding=opts.get("encoding", "utf-8"),
                )
            return self.con.read_csv(paths, types=types or None, **opts, **multi_file_options(paths))
        return ibis.memtable(read_frame(source, as_text=list(types or {})))

    def execute(self, expr: ir.Expr) -> Any:
        """Run an expression and return pandas (a small result)."""
        if isinstance(expr, ir.Table):  # through Arrow: fast for wide results, same types everywhere
            return self.con.to_pyarrow(expr).to_pandas()
        return self.con.execute(expr)

    @contextlib.contextmanager
    def materialised(self, expr: ir.Table) -> Iterator[ir.Table]:
        """Compute an expression once into a temporary table, dropped afterwards.

        (Ibis's own ``cache()`` shares tables between equal expressions and can drop one that
        another expression still uses, so the workbook manages its temporary tables itself.)
        """
        name, table = self._store(expr)
        try:
            yield table
        finally:
            self._drop(name)

    def reuse(self, expr: ir.Table) -> ir.Table:
        """The expression computed once and kept for this engine's lifetime: for intermediate
        tables that several steps share (activity per period, purchases per day)."""
        key = expr.op()
        if key not in self._reused:
            self._reused[key] = self._store(expr)[1]
        return self._reused[key]

    def _store(self, expr: ir.Table) -> tuple[str, ir.Table]:
        """Compute an expression into a temporary table (on Spark, which has none: a cached
        temporary view with the column types the expression promised)."""
        name = f"_wb_tmp_{uuid.uuid4().hex}"
        if self.name == "spark":
            view = self.con.create_view(name, expr, overwrite=True)
            self.session.catalog.cacheTable(name)
            return name, _as_typed(view, expr)
        return name, self.con.create_table(name, expr, temp=True)

    def _drop(self, name: str) -> None:
        if self.name == "spark":
            self.session.catalog.uncacheTable(name)
            self.session.catalog.dropTempView(name)
        else:
            self.con.drop_table(name, force=True)

    def register(self, frame: pd.DataFrame, name: str) -> ir.Table:
        """Make a pandas frame available to the engine as a table."""
        if self.name == "spark":  # a temporary view, not a table in the warehouse folder
            return self.con.create_view(name, ibis.memtable(frame), overwrite=True)
        return self.con.create_table(name, frame, overwrite=True)


def _as_typed(view: ir.Table, expr: ir.Table) -> ir.Table:
    """A stored view with the column types its expression promised: Spark stores some integer
    arithmetic as 32-bit where Ibis (and DuckDB) say 64-bit."""
    schema = expr.schema()
    if view.schema() == schema:
        return view
    return view.cast(schema)


def _as_bool(col: ir.Value) -> ir.BooleanValue:
    """Read yes/no answers stored as booleans, numbers or words."""
    if col.type().is_boolean():
        return col
    if col.type().is_numeric():
        return col != 0
    text = col.cast("string").strip().lower()
    return text.isin(TRUE_WORDS).ifelse(True, text.isin(FALSE_WORDS).ifelse(False, None))


def pseudonym(values: ir.StringValue, key: str) -> ir.StringValue:
    """Each value's keyed pseudonym, computed by the engine exactly as
    `helpers.core.privacy.pseudonym_text` computes it (SHA-256 of the key and SHA-256 of the key
    and the trimmed, lower-case value; its first PSEUDONYM_LENGTH hex digits)."""
    secret = ibis.literal(key)
    inner = (secret + values.strip().lower()).hexdigest("sha256")
    return (secret + inner).hexdigest("sha256").substr(0, PSEUDONYM_LENGTH)


def standard_orders(
    raw: ir.Table, cols: OrderColumns, keep_raw: bool = False, key: str | None = None
) -> ir.Table:
    """Orders with the workbook's column names and types (unparseable values become NULL); with
    a pseudonym key, the customer id replaced by its pseudonym."""
    ts = raw[cols.timestamp]
    # without an amount column every amount is NULL: counts work, sums of money are missing
    money = cols.money
    amount = raw[money] if money else ibis.null().cast("float64")
    cid = raw[cols.customer_id]
    if cid.type().is_floating():  # ids stored as floats (SPSS, Excel): 1.0 is the id "1"
        cid = cid.cast("int64")
    elif cid.type().is_string():  # and written as floats in a text file: "17850.0" is "17850"
        cid = cid.re_search(r"^[0-9]+\.0+$").ifelse(cid.re_replace(r"\.0+$", ""), cid)  # no back-reference:
        # DuckDB writes one as \1, Spark as $1
    if key is not None:
        cid = pseudonym(cid.cast("string").nullif(""), key)
    fields: dict[str, ir.Value] = {
        "customer_id": cid.cast("string"),
        "order_ts": ts
        if ts.type().is_timestamp()
        else (
            ts.cast("string").as_timestamp(cols.timestamp_format).cast("timestamp")
            if cols.timestamp_format
            else ts.try_cast("timestamp")
        ),
        "amount": _money(amount, cols.decimal),
    }
    if cols.quantity:  # an order line: its amount is the quantity times the unit price
        quantity = _number(raw[cols.quantity])
        fields["quantity"] = quantity
        if not cols.line_amount:
            fields["amount"] = fields["amount"] * quantity
    if cols.order_id:
        fields["order_id"] = raw[cols.order_id].cast("string")
    for name in ("full_price", "prepaid"):
        if getattr(cols, name):
            fields[name] = _as_bool(raw[getattr(cols, name)])
    texts = {
        "product": cols.product,
        "category": cols.category,
        "channel": cols.channel,
        "status": cols.status,
        "cancelled": cols.cancelled_at,
        "reason": cols.return_reason,
    }
    for name, column in {**texts, **{c: c for c in cols.customer_fields}}.items():
        if column:  # as text; an empty cell says nothing
            fields[name] = raw[column].cast("string").strip().nullif("")
    if cols.refunded_amount:
        fields["refunded"] = _money(raw[cols.refunded_amount], cols.decimal)
    if keep_raw:  # the values as written, for checks and error messages
        fields["raw_ts"] = ts
        fields["raw_amount"] = amount
    return raw.select(**fields)


def _number(value: ir.Value) -> ir.Value:
    """A column of numbers, whether stored as numbers or written as text (unreadable: NULL)."""
    return value.cast("float64") if value.type().is_numeric() else value.try_cast("float64")


def _money(amount: ir.Value, decimal: str) -> ir.Value:
    """Amounts as numbers, whether stored as numbers or written as text."""
    return amount.cast("float64") if amount.type().is_numeric() else money_text(amount, decimal)


# an order's own fields, which an export may write on the order's first line only
ORDER_LEVEL = ("customer_id", "order_ts", "channel", "status", "cancelled", "refunded")


def spread_order_fields(lines: ir.Table, customer_fields: list[str] | tuple[str, ...] = ()) -> ir.Table:
    """Order lines with their order's own fields (customer, time, channel, status, refund,
    customer fields) filled in where a line leaves them empty, as Shopify's export does after an
    order's first line; the values as written (`raw_*`) too, so the checks see a line as read."""
    wanted = [c for c in (*ORDER_LEVEL, "raw_ts", *customer_fields) if c in lines.columns]
    order = lines.group_by("order_id").aggregate(
        **{f"_o_{c}": (lines[c].min() if c in ("order_ts", "raw_ts") else lines[c].max()) for c in wanted}
    )
    joined = lines.left_join(order, "order_id")
    filled = {c: joined[c].coalesce(joined[f"_o_{c}"]) for c in wanted}
    return joined.mutate(**filled).select(*lines.columns)


def returned_lines(lines: ir.Table, returned_status: list[str] | tuple[str, ...] = ()) -> ir.BooleanValue:
    """Whether each line was not kept: a negative quantity or amount (a return, a cancellation
    invoice), an order whose status says refunded or cancelled, or that has a cancellation date."""
    flag = lines.amount < 0
    if "quantity" in lines.columns:
        flag = flag | (lines.quantity < 0)
    if "status" in lines.columns and returned_status:
        flag = flag | lines.status.lower().isin([s.lower() for s in returned_status])
    if "cancelled" in lines.columns:
        flag = flag | lines.cancelled.notnull()
    return flag.fill_null(False)


def orders_from_lines(lines: ir.Table, customer_fields: list[str] | tuple[str, ...] = ()) -> ir.Table:
    """One row per order from its lines: the order's amount is the sum of its lines less any
    refund, its time the first line's, its customer, yes/no and customer fields those its lines
    give (an export that writes an order's fields on its first line only gives them to the whole
    order)."""
    amount = lines.amount.sum()
    fields: dict[str, ir.Value] = {"customer_id": lines.customer_id.max(), "order_ts": lines.order_ts.min()}
    if "refunded" in lines.columns:  # a partial refund lowers the order's revenue
        fields["refunded"] = lines.refunded.max().fill_null(0)
        amount = amount - fields["refunded"]
    fields["amount"] = amount
    for name in ("full_price", "prepaid"):
        if name in lines.columns:
            fields[name] = lines[name].any()
    for name in ("channel", *customer_fields):
        if name in lines.columns:
            fields[name] = lines[name].max()
    return lines.group_by("order_id").aggregate(**fields)


def money_text(amount: ir.Value, decimal: str = ".") -> ir.Value:
    """Amounts written as text as numbers: `$1,234.50` and `1.234,50 €` (with `decimal: ","`)
    read 1234.5; currency signs, codes and digit grouping go; anything else is NULL."""
    text = amount.cast("string").re_replace(r"[^0-9,.\-]", "")
    grouping = "," if decimal == "." else "."
    # the other mark before the last 1–2 digits is a decimal mark of another convention (12,50 in
    # a file with decimal "."): no number (reported), rather than 1250
    other = text.re_search(("," if grouping == "," else r"\.") + r"[0-9]{1,2}$")
    text = text.replace(grouping, "")
    if decimal == ",":
        text = text.replace(",", ".")
    return other.ifelse(ibis.null("float64"), text.nullif("").try_cast("float64"))


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after a day, for `ts < end_of(as_of)` filters."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def customer_summary(
    orders: ir.Table, as_of: dt.date, customer_fields: list[str] | tuple[str, ...] = ()
) -> ir.Table:
    """Per-customer behaviour from orders: counts, spend, recency, tenure, last 12 months, and
    the first order (amount, full price, prepaid) with the basket growth after it; each customer
    field as the latest order that gives it has it."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    since = end_of(as_of - dt.timedelta(days=365))
    recent = o.order_ts >= since
    day = ibis.literal(as_of)
    # the first order's fields by arg-min over time: one aggregation, no window over all orders
    metrics = {
        "orders": o.count(),
        "spend": o.amount.sum(),
        "orders_12m": o.count(where=recent),
        "spend_12m": o.amount.sum(where=recent).fill_null(0),
        "first_order": o.order_ts.min(),
        "last_order": o.order_ts.max(),
        "first_order_amount": o.amount.argmin(o.order_ts),
    }
    for flag in ("full_price", "prepaid"):
        if flag in o.columns:
            metrics[f"first_order_{flag}"] = o[flag].cast("int64").argmin(o.order_ts)
    for name in customer_fields:
        metrics[name] = o[name].argmax(o.order_ts, where=o[name].notnull())
    g = o.group_by("customer_id").aggregate(**metrics)
    later_mean = (g.spend - g.first_order_amount) / (g.orders - 1).nullif(0)
    return g.mutate(
        days_since_last=day.delta(g.last_order.date(), unit="day"),
        tenure_days=day.delta(g.first_order.date(), unit="day"),
        avg_order_value=g.spend / g.orders,
        basket_growth=later_mean / g.first_order_amount,
    )


def basket_summary(lines: ir.Table, orders: ir.Table) -> ir.Table:
    """Per customer from their lines: the share of the value bought that was returned, and (with
    categories) the main category by spend and how many categories; with an order channel, the
    channel of most orders. Guests' lines are left out."""
    ln = lines.filter(lines.customer_id.notnull())
    bought = (
        (ln.amount > 0) & ~(ln.quantity < 0).fill_null(False) if "quantity" in ln.columns else ln.amount > 0
    )
    value = ln.amount.abs()
    g = ln.group_by("customer_id").aggregate(  # returned: a negative line, or a bought one taken back
        _bought=value.sum(where=bought.fill_null(False)), _returned=value.sum(where=ln.returned)
    )
    out = g.mutate(return_rate=ibis.least(g._returned.fill_null(0) / g._bought.nullif(0), 1.0)).drop(
        "_bought", "_returned"
    )
    if "category" in ln.columns:
        kept = ln.filter(~ln.returned & ln.category.notnull())
        cc = kept.group_by(["customer_id", "category"]).aggregate(v=kept.amount.sum())
        per = largest(cc, "category", "v", "main_category").join(
            cc.group_by("customer_id").aggregate(categories_bought=cc.count()), "customer_id"
        )
        out = out.left_join(per, "customer_id").drop("customer_id_right")
    if "channel" in orders.columns:
        ch = orders.filter(orders.channel.notnull())
        cc = ch.group_by(["customer_id", "channel"]).aggregate(k=ch.count())
        out = out.left_join(largest(cc, "channel", "k", "main_channel"), "customer_id").drop(
            "customer_id_right"
        )
    return out


def largest(cc: ir.Table, label: str, size: str, name: str) -> ir.Table:
    """Per customer, the label with the largest size; a tie goes to the first label in order
    (the same on every engine, where an arg-max would pick either)."""
    top = cc.group_by("customer_id").aggregate(_top=cc[size].max())
    hit = cc.join(top, "customer_id").filter(lambda t: t[size] == t._top)
    return hit.group_by("customer_id").aggregate(**{name: hit[label].min()})


def orders_by_month(orders: ir.Table, as_of: dt.date) -> ir.Table:
    """Orders, buyers and revenue per calendar month."""
    o = orders.filter(orders.order_ts < end_of(as_of))
    o = o.mutate(month=o.order_ts.truncate("M").date())
    return (
        o.group_by("month")
        .aggregate(orders=o.count(), buyers=o.customer_id.nunique(), revenue=o.amount.sum())
        .order_by("month")
    )


ORDER_PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}


def order_crosstab(orders: ir.Table, people: ir.Table | None, rows: str, columns: str) -> ir.Table:
    """Orders, buyers and revenue in each cell of two fields: an order period (`month`, `quarter`,
    `year`) or a customer attribute from `people` (joined on customer_id; missing: "(unknown)")."""
    periods = {
        f: orders.order_ts.truncate(ORDER_PERIODS[f]).date() for f in (rows, columns) if f in ORDER_PERIODS
    }
    o = orders.mutate(**periods)
    if people is not None:
        wanted = [c for c in (rows, columns) if c not in ORDER_PERIODS]
        people = people.select(
            "customer_id", *[people[c].cast("string").fill_null("(unknown)").name(c) for c in wanted]
        )
        o = o.left_join(people, "customer_id").drop("customer_id_right")
        o = o.mutate(**{c: o[c].fill_null("(unknown)") for c in wanted})
    return (
        o.group_by([rows, columns])
        .aggregate(orders=o.count(), buyers=o.customer_id.nunique(), revenue=o.amount.sum())
        .order_by([rows, columns])
    )
