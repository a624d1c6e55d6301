"""Benchmark: the heavy steps over orders on the engine against plain pandas and hand-written SQL.

Builds N synthetic orders and their customers (Parquet), then runs, each implementation in its
own process (so that its peak memory is its own):
  * the monthly cohort retention matrix, the RFM summary and the crosstab counts (orders, buyers
    and revenue by region and quarter) through the workbook's engine layer (Ibis expressions
    run by DuckDB, as the notebooks run them),
  * the same three results written as well-vectorised pandas (groupby/transform, no apply),
  * the same three results as hand-written DuckDB SQL,
  * with --spark, the engine layer on Spark in local mode, for reference,
and prints wall time, peak memory (the process and everything it starts) and the ratios.

    .venv/bin/python benchmarks/bench_heavy.py --orders 10000000 [--spark]
    .venv/bin/python benchmarks/bench_heavy.py --orders 50000000     # peak memory at 50M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2026, 9, 30)
START = np.datetime64("2024-01-01")
REGIONS = np.array(["North", "South", "East", "West", "Central"])
CHUNK = 5_000_000


def make_data(n: int, folder: Path, seed: int = 1) -> None:
    """N orders of N/8 customers over 33 months, and the customers' regions, as Parquet."""
    rng = np.random.default_rng(seed)
    customers = max(n // 8, 1)
    first = rng.integers(0, 1000, customers)
    ids = np.char.add("C", np.arange(customers).astype(str))
    pd.DataFrame({"customer_id": ids, "region": REGIONS[rng.integers(0, 5, customers)]}).to_parquet(
        folder / "customers.parquet"
    )
    writer = None
    for start in range(0, n, CHUNK):  # in chunks, so that building 50M orders stays small
        m = min(CHUNK, n - start)
        cust = rng.integers(0, customers, m)
        day = np.minimum(first[cust] + rng.exponential(200, m).astype(int), 1003)
        ts = START + day.astype("timedelta64[D]") + rng.integers(0, 86400, m).astype("timedelta64[s]")
        table = pa.table(
            {
                "order_id": np.arange(start, start + m),
                "customer_id": ids[cust],
                "order_ts": ts,
                "amount": rng.lognormal(3.5, 0.5, m).round(2),
            }
        )
        writer = writer or pq.ParquetWriter(folder / "orders.parquet", table.schema)
        writer.write_table(table, row_group_size=1_000_000)
    assert writer is not None
    writer.close()


# --- the three steps, four ways -------------------------------------------------------------------


def engine_run(folder: Path, engine_name: str = "duckdb") -> dict[str, int]:
    from helpers.analyses.cohorts import retention
    from helpers.analyses.value_models import rfm_summary
    from helpers.data.engine import Engine, order_crosstab, standard_orders
    from helpers.params.inputs import OrderColumns, Source

    engine = Engine(engine_name)
    raw = engine.read(Source(path=folder / "orders.parquet"))
    orders = standard_orders(
        raw, OrderColumns(customer_id="customer_id", timestamp="order_ts", amount="amount")
    )
    people = engine.read(Source(path=folder / "customers.parquet"))
    matrix = retention(engine, orders, AS_OF, "month", "on").cells
    rfm = engine.execute(rfm_summary(orders, AS_OF, "weeks"))
    cross = engine.execute(order_crosstab(orders, people, "region", "quarter"))
    return {
        "cohort cells": len(matrix),
        "customers": len(rfm),
        "crosstab cells": len(cross),
        "orders counted": int(cross["orders"].sum()),
    }


def pandas_run(folder: Path) -> dict[str, int]:
    o = pd.read_parquet(folder / "orders.parquet", columns=["customer_id", "order_ts", "amount"])
    o = o[o["order_ts"] < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)]
    p = o["order_ts"].dt.year * 12 + o["order_ts"].dt.month - 1
    cohort = p.groupby(o["customer_id"]).transform("min")
    act = pd.DataFrame(
        {"cohort": cohort, "n": p - cohort, "customer_id": o["customer_id"], "amount": o["amount"]}
    )
    matrix = (
        act.groupby(["cohort", "n"])
        .agg(active=("customer_id", "nunique"), revenue=("amount", "sum"))
        .reset_index()
    )
    del act
    day = o["order_ts"].dt.normalize()
    daily = o.assign(day=day).groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    g = daily.groupby("customer_id")
    first, last, count = g["day"].transform("min"), g["day"].transform("max"), g["day"].transform("size")
    daily["repeat"] = np.where(daily["day"] > first, daily["amount"], 0.0)
    rfm = (
        daily.assign(first=first, last=last, frequency=count - 1)
        .groupby("customer_id")
        .agg(
            frequency=("frequency", "first"),
            first=("first", "first"),
            last=("last", "first"),
            repeat=("repeat", "sum"),
            total=("amount", "sum"),
        )
    )
    rfm["recency"] = (rfm["last"] - rfm["first"]).dt.days / 7
    rfm["T"] = (pd.Timestamp(AS_OF) - rfm["first"]).dt.days / 7
    rfm["monetary"] = np.where(rfm["frequency"] > 0, rfm["repeat"] / rfm["frequency"].clip(lower=1), 0)
    del daily
    people = pd.read_parquet(folder / "customers.parquet")
    x = o.merge(people, on="customer_id", how="left")
    x["quarter"] = x["order_ts"].dt.to_period("Q")
    cross = (
        x.groupby(["region", "quarter"])
        .agg(orders=("amount", "size"), buyers=("customer_id", "nunique"), revenue=("amount", "sum"))
        .reset_index()
    )
    return {
        "cohort cells": len(matrix),
        "customers": len(rfm),
        "crosstab cells": len(cross),
        "orders counted": int(cross["orders"].sum()),
    }


SQL_MATRIX = """
with o as (select customer_id, amount, year(order_ts) * 12 + month(order_ts) - 1 as p
           from read_parquet('{path}/orders.parquet') where order_ts < DATE '{end}'),
     f as (select customer_id, min(p) as cohort from o group by customer_id)
select cohort, p - cohort as n, count(distinct o.customer_id) as active, sum(amount) as revenue
from o join f using (customer_id) group by all
"""
SQL_RFM = """
with d as (select customer_id, cast(order_ts as date) as day, sum(amount) as amount
           from read_parquet('{path}/orders.parquet') where order_ts < DATE '{end}' group by all),
     f as (select customer_id, min(day) as first from d group by customer_id)
select customer_id, count(*) - 1 as frequency, min(first) as first, max(day) as last,
       date_diff('day', min(first), max(day)) / 7.0 as recency,
       date_diff('day', min(first), DATE '{as_of}') / 7.0 as T,
       coalesce(sum(amount) filter (where day > first), 0) / greatest(count(*) - 1, 1) as monetary
from d join f using (customer_id) group by customer_id
"""
SQL_CROSS = """
select coalesce(c.region, '(unknown)') as region, date_trunc('quarter', o.order_ts) as quarter,
       count(*) as orders, count(distinct o.customer_id) as buyers, sum(o.amount) as revenue
from read_parquet('{path}/orders.parquet') o
left join read_parquet('{path}/customers.parquet') c using (customer_id)
where o.order_ts < DATE '{end}' group by all
"""


def sql_run(folder: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect()
    end = AS_OF + dt.timedelta(days=1)
    matrix = con.sql(SQL_MATRIX.format(path=folder, end=end)).df()
    rfm = con.sql(SQL_RFM.format(path=folder, end=end, as_of=AS_OF)).df()
    cross = con.sql(SQL_CROSS.format(path=folder, end=end)).df()
    return {
        "cohort cells": len(matrix),
        "customers": len(rfm),
        "crosstab cells": len(cross),
        "orders counted": int(cross["orders"].sum()),
    }


IMPLEMENTATIONS = {
    "engine": ("engine (Ibis on DuckDB)", lambda f: engine_run(f)),
    "sql": ("hand-written DuckDB SQL", sql_run),
    "pandas": ("pandas (vectorised)", pandas_run),
    "spark": ("engine on Spark local[*]", lambda f: engine_run(f, "spark")),
}


def child(name: str, folder: Path) -> None:
    """Run one implementation and print its time and result sizes as JSON (imports not timed)."""
    if name in ("engine", "spark"):
        import helpers.analyses.cohorts  # noqa: F401
        import helpers.analyses.value  # noqa: F401
    t = time.perf_counter()
    out = IMPLEMENTATIONS[name][1](folder)
    print(json.dumps({"seconds": time.perf_counter() - t, **out}))


def measured(name: str, folder: Path) -> dict:
    """Run an implementation in a fresh process; its wall time and peak memory (with children)."""
    from helpers.batch.kernels import PeakMemory

    with PeakMemory(interval=0.05) as memory:
        done = subprocess.run(
            [sys.executable, __file__, "--child", name, "--folder", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_gb"] = memory.peak_bytes / 2**30
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--spark", action="store_true", help="also run the engine on Spark local mode")
    ap.add_argument("--child", choices=list(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.folder)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        make_data(args.orders, folder)
        print(f"{args.orders:,} orders written in {time.perf_counter() - t:.1f} s")
        names = ["engine", "sql", "pandas"] + (["spark"] if args.spark else [])
        results = {}
        for name in names:
            r = results[name] = measured(name, folder)
            print(
                f"{IMPLEMENTATIONS[name][0]:<26} cohort matrix + RFM + crosstab counts: "
                f"{r['seconds']:6.1f} s, peak memory {r['peak_gb']:5.2f} GB "
                f"({r['cohort cells']:,} cohort cells, {r['customers']:,} customers, "
                f"{r['crosstab cells']:,} crosstab cells)",
                flush=True,
            )
        eng, sql, pdr = results["engine"], results["sql"], results["pandas"]
        assert eng["orders counted"] == sql["orders counted"] == pdr["orders counted"]
        print(
            f"\npandas / engine time: {pdr['seconds'] / eng['seconds']:.1f}× "
            f"(the engine is that many times faster; target ≥ 2)"
        )
        print(f"engine / hand-written SQL time: {eng['seconds'] / sql['seconds']:.2f}× (target ≤ 1.25)")
        print(f"engine / pandas peak memory: {eng['peak_gb'] / pdr['peak_gb']:.2f} (target ≤ 0.5)")
        if "spark" in results:
            print(f"Spark local / engine time: {results['spark']['seconds'] / eng['seconds']:.1f}×")


if __name__ == "__main__":
    main()
