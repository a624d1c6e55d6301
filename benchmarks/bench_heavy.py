"""Benchmark: the heavy steps over orders on the engine against plain pandas and hand-written SQL.

Builds N synthetic orders (Parquet), then times, in one run:
  * the monthly cohort retention matrix and the RFM summary through the workbook's engine layer
    (Ibis expressions run by DuckDB, as the notebooks run them),
  * the same two results written as well-vectorised pandas (groupby/transform, no apply),
  * the same two results as hand-written DuckDB SQL,
and prints the wall times and the ratios.

    .venv/bin/python benchmarks/bench_heavy.py [--orders 10000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from helpers.cohorts import retention
from helpers.config import OrderColumns, Source
from helpers.engine import Engine, standard_orders
from helpers.value import rfm_summary

AS_OF = dt.date(2026, 9, 30)
START = np.datetime64("2024-01-01")


def make_orders(n: int, path: Path, seed: int = 1) -> None:
    """N orders of N/8 customers over 33 months, written as Parquet."""
    rng = np.random.default_rng(seed)
    customers = max(n // 8, 1)
    cust = rng.integers(0, customers, n)
    first = rng.integers(0, 1000, customers)
    day = np.minimum(first[cust] + rng.exponential(200, n).astype(int), 1003)
    ts = START + day.astype("timedelta64[D]") + rng.integers(0, 86400, n).astype("timedelta64[s]")
    frame = pd.DataFrame({"order_id": np.arange(n), "customer_id": cust.astype(str),
                          "order_ts": ts, "amount": rng.lognormal(3.5, 0.5, n).round(2)})
    frame.to_parquet(path, row_group_size=1_000_000)


def engine_run(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = Engine()
    raw = engine.read(Source(path=path))
    orders = standard_orders(raw, OrderColumns(customer_id="customer_id", timestamp="order_ts",
                                               amount="amount"))
    matrix = retention(engine, orders, AS_OF, "month", "on").cells
    rfm = engine.execute(rfm_summary(orders, AS_OF, "weeks"))
    return matrix, rfm


def pandas_run(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    o = pd.read_parquet(path, columns=["customer_id", "order_ts", "amount"])
    o = o[o["order_ts"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    p = o["order_ts"].dt.year * 12 + o["order_ts"].dt.month - 1
    cohort = p.groupby(o["customer_id"]).transform("min")
    n = p - cohort
    act = pd.DataFrame({"cohort": cohort, "n": n, "customer_id": o["customer_id"],
                        "amount": o["amount"]})
    matrix = act.groupby(["cohort", "n"]).agg(active=("customer_id", "nunique"),
                                              revenue=("amount", "sum")).reset_index()
    day = o["order_ts"].dt.normalize()
    daily = o.assign(day=day).groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    g = daily.groupby("customer_id")
    first, last, count = g["day"].transform("min"), g["day"].transform("max"), g["day"].transform("size")
    daily["repeat"] = np.where(daily["day"] > first, daily["amount"], 0.0)
    rfm = daily.assign(first=first, last=last, frequency=count - 1).groupby("customer_id").agg(
        frequency=("frequency", "first"), first=("first", "first"), last=("last", "first"),
        repeat=("repeat", "sum"), total=("amount", "sum"))
    rfm["recency"] = (rfm["last"] - rfm["first"]).dt.days / 7
    rfm["T"] = (pd.Timestamp(AS_OF) - rfm["first"]).dt.days / 7
    rfm["monetary"] = np.where(rfm["frequency"] > 0, rfm["repeat"] / rfm["frequency"].clip(lower=1), 0)
    return matrix, rfm


SQL_MATRIX = """
with o as (select customer_id, amount, year(order_ts) * 12 + month(order_ts) - 1 as p
           from read_parquet('{path}') where order_ts < DATE '{end}'),
     f as (select customer_id, min(p) as cohort from o group by customer_id)
select cohort, p - cohort as n, count(distinct o.customer_id) as active, sum(amount) as revenue
from o join f using (customer_id) group by all
"""
SQL_RFM = """
with d as (select customer_id, cast(order_ts as date) as day, sum(amount) as amount
           from read_parquet('{path}') where order_ts < DATE '{end}' group by all),
     f as (select customer_id, min(day) as first from d group by customer_id)
select customer_id, count(*) - 1 as frequency, min(first) as first, max(day) as last,
       date_diff('day', min(first), max(day)) / 7.0 as recency,
       date_diff('day', min(first), DATE '{as_of}') / 7.0 as T,
       coalesce(sum(amount) filter (where day > first), 0) / greatest(count(*) - 1, 1) as monetary
from d join f using (customer_id) group by customer_id
"""


def sql_run(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect()
    end = AS_OF + dt.timedelta(days=1)
    matrix = con.sql(SQL_MATRIX.format(path=path, end=end)).df()
    rfm = con.sql(SQL_RFM.format(path=path, end=end, as_of=AS_OF)).df()
    return matrix, rfm


def timed(fn, path: Path) -> tuple[float, tuple]:  # noqa: ANN001
    t = time.perf_counter()
    out = fn(path)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.parquet"
        t = time.perf_counter()
        make_orders(args.orders, path)
        print(f"{args.orders:,} orders written in {time.perf_counter() - t:.1f} s")
        results = {}
        for name, fn in (("engine (Ibis on DuckDB)", engine_run), ("hand-written DuckDB SQL", sql_run),
                         ("pandas (vectorised)", pandas_run)):
            seconds, (matrix, rfm) = timed(fn, path)
            results[name] = seconds
            print(f"{name:<26} cohort matrix + RFM: {seconds:6.1f} s "
                  f"({len(matrix):,} cohort cells, {len(rfm):,} customers)", flush=True)
        eng = results["engine (Ibis on DuckDB)"]
        print(f"\npandas / engine: {results['pandas (vectorised)'] / eng:.1f}× "
              f"(engine is that many times faster)")
        print(f"engine / hand-written SQL: {eng / results['hand-written DuckDB SQL']:.2f}×")


if __name__ == "__main__":
    main()
