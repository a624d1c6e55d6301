"""Benchmark: a shop's order lines as they come, one CSV per day, read, checked and summed into
orders, and the customers built from them, through the workbook's own loader.

Writes N synthetic invoice lines (about 8 lines an order, 5% guest lines, 2% returned lines,
a country per customer, 4,000 products in 12 departments) as D daily CSV files (the last tenth
gzip-compressed), then, in a fresh process, times `load_dataset` (every check, lines into
orders, the customers built from the orders), the monthly retention, and the products report's
engine work (revenue by department, the spend mix by country, return rates by department and
cohort, first-purchase retention), and prints wall time and peak memory. With `--quarter`, it
also runs the whole quarter (`workbook run`: every notebook, published) and prints its time and
the largest process's peak memory.

    .venv/bin/python benchmarks/bench_lines.py --lines 2000000 --files 120
    .venv/bin/python benchmarks/bench_lines.py --lines 50000000 --files 365 --quarter  # the issue's scale
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from demo_setup import print_run

from helpers.batch.kernels import PeakMemory

START = dt.date(2025, 1, 1)
COUNTRIES = np.array(["United Kingdom"] * 8 + ["Germany", "France"])
DEPARTMENTS = np.array([f"Department {i}" for i in range(1, 13)])


def make_lines(n: int, files: int, folder: Path, seed: int = 3) -> None:
    """N invoice lines spread over `files` days, written day by day (memory: one day at a time)."""
    rng = np.random.default_rng(seed)
    customers = max(n // 60, 10)
    country = COUNTRIES[rng.integers(0, len(COUNTRIES), customers)]
    per_day = n // files
    invoice = 0
    for d in range(files):
        m = per_day if d < files - 1 else n - per_day * (files - 1)
        orders = max(m // 8, 1)
        order_of_line = np.sort(rng.integers(0, orders, m))
        who = rng.integers(0, customers, orders)[order_of_line]
        guest = rng.random(orders)[order_of_line] < 0.05
        quantity = rng.integers(1, 13, m)
        quantity[rng.random(m) < 0.02] *= -1  # returned lines
        day = START + dt.timedelta(days=d)
        seconds = rng.integers(8 * 3600, 20 * 3600, orders)[order_of_line]
        frame = pd.DataFrame(
            {
                "InvoiceNo": (invoice + order_of_line).astype(str),
                "StockCode": (stock := rng.integers(10000, 14000, m)).astype(str),
                "Department": DEPARTMENTS[stock % len(DEPARTMENTS)],
                "Quantity": quantity,
                "InvoiceDate": (np.datetime64(day) + seconds.astype("timedelta64[s]")).astype(str),
                "UnitPrice": rng.lognormal(1.0, 0.8, m).round(2),
                "CustomerID": np.where(guest, "", (12000 + who).astype(str) + ".0"),
                "Country": country[who],
            }
        )
        invoice += orders
        name = folder / f"{day.isoformat()}.csv"
        if d >= files - files // 10:  # the last tenth compressed, as archives keep them
            with gzip.open(f"{name}.gz", "wt") as handle:
                frame.to_csv(handle, index=False)
        else:
            frame.to_csv(name, index=False)


def params_file(folder: Path, files: int) -> Path:
    text = {
        "period": "bench",
        "as_of": str(START + dt.timedelta(days=files - 1)),
        "data": {"orders": {"path": str(folder)}},
        "orders": {
            "customer_id": "CustomerID",
            "timestamp": "InvoiceDate",
            "order_id": "InvoiceNo",
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            "product": "StockCode",
            "category": "Department",
            "without_customer": "leave_out",
            "customer_fields": ["Country"],
        },
        "columns": {
            "id": "CustomerID",
            "geographic": ["Country"],
            "behavioural": ["orders", "spend", "days_since_last"],
        },
        "cohorts": {"period": "month"},
    }
    path = folder.parent / "bench.yaml"
    path.write_text(yaml.safe_dump(text))
    return path


def measure(params: str) -> None:
    """In a fresh process: load (checks, lines into orders, customers), then monthly retention."""
    from helpers.analyses import cohorts, products, returns
    from helpers.data.dataset import load_dataset
    from helpers.params.loading import load_params

    p = load_params(Path(params))
    t0 = time.perf_counter()
    data = load_dataset(p)
    loaded = time.perf_counter() - t0
    ret = cohorts.retention(data.engine, data.orders, p.as_of, "month", "on")
    matrix = ret.matrix()
    total = time.perf_counter() - t0
    items = products.items_of(data.lines, data.engine)
    countries = data.customers.set_index("CustomerID")["Country"]
    everyone = products.group_items(data.lines, items, data.engine)
    products.spend_mix(products.group_items(data.lines, items, data.engine, countries), everyone, 10)
    products.item_totals(data.lines, items, data.engine, 10)
    returns.by_item(data.lines, items, data.engine)
    returns.by_cohort(data.lines, data.orders, data.engine)
    returns.first_purchase_retention(data.lines, data.orders, items, data.engine, p.as_of, 10)
    baskets = time.perf_counter() - t0 - total
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    orders = int(data.engine.execute(data.orders.count()))
    print(
        json.dumps(
            {
                "load_s": round(loaded, 1),
                "with_retention_s": round(total, 1),
                "products_s": round(baskets, 1),
                "peak_gb": round(peak, 2),
                "orders": orders,
                "customers": len(data.customers),
                "cohorts": len(matrix),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--files", type=int, default=120)
    ap.add_argument("--quarter", action="store_true", help="also run the whole quarter (every notebook)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory(prefix="bench-lines-") as tmp:
        folder = Path(tmp) / "by-day"
        folder.mkdir()
        t0 = time.perf_counter()
        make_lines(args.lines, args.files, folder)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        took = time.perf_counter() - t0
        print(f"wrote {args.lines:,} lines in {args.files} files ({size:,.0f} MB) in {took:.0f} s")
        out = (
            subprocess.run(
                [sys.executable, __file__, "--measure", str(params_file(folder, args.files))],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"load (checks, lines into {r['orders']:,} orders, {r['customers']:,} customers built): "
            f"{r['load_s']} s; with the monthly retention of {r['cohorts']} cohorts: "
            f"{r['with_retention_s']} s; the products report's engine work {r['products_s']} s more; "
            f"peak memory {r['peak_gb']} GB"
        )
        if args.quarter:
            quarter(params_file(folder, args.files), Path(tmp))


def quarter(params: Path, tmp: Path) -> None:
    """The whole quarter through `workbook run`: wall time, each notebook, and the peak memory of
    all the run's processes at once."""
    with PeakMemory() as whole:
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "helpers.cli", "run", str(params)],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - t0
    if done.returncode:
        print(f"workbook run failed (rc {done.returncode}):", done.stdout[-2000:], done.stderr[-2000:])
        return
    print(f"whole quarter: {took:.0f} s; the run's processes at once: {whole.peak_bytes / 1024**3:.2f} GB")
    print_run(tmp, "bench", "order lines", "duckdb", took, whole.peak_bytes)


if __name__ == "__main__":
    main()
