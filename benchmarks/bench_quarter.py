"""Benchmark: build demo data of a given size and run the whole quarter through `workbook run`.

Prints the wall time and peak memory of each notebook (its kernel and every process it starts)
and of the whole run. The issue's target: 1,000,000 customers (about 20M orders, `--order-rate 4`)
in at most 5 minutes with at most 6 GB, on a 2-core machine with the default settings.

    .venv/bin/python benchmarks/bench_quarter.py --customers 1000000 --order-rate 4
    .venv/bin/python benchmarks/bench_quarter.py --data /tmp/big/data   # reuse built data
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from demo_setup import build_demo, demo_params, print_run

from helpers.batch.kernels import PeakMemory

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--order-rate", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="an existing demo data folder (skips building)")
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    ap.add_argument("--keep", type=Path, help="run in this folder and keep the reports")
    ap.add_argument("--jobs", type=int, help="notebooks side by side (default: the batch's)")
    ap.add_argument(
        "--memory-gb",
        type=float,
        help="memory budget of notebooks side by side "
        "(needs a measured run: the benchmark runs the quarter twice)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = args.data
        if data is None:
            data = work / "data"
            t = time.perf_counter()
            build_demo(data, args.customers, args.order_rate)
            print(f"demo data: {time.perf_counter() - t:.1f} s")
        people = pd.read_parquet(data / "customers.parquet", columns=["customer_id"])
        orders = pd.read_parquet(data / "orders.parquet", columns=["order_id"])
        size = f"{len(people):,} customers, {len(orders):,} orders"
        del people, orders
        demo_params(data, work / "params.yaml", engine=args.engine)
        t = time.perf_counter()
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        if args.memory_gb:  # the budget reads the peaks of a published run: make one first
            jobs += ["--memory-gb", str(args.memory_gb)]
            subprocess.run(
                [sys.executable, "-m", "helpers.cli", "run", "params.yaml", "--jobs", "1"],
                cwd=work,
                check=True,
                capture_output=True,
            )
        t = time.perf_counter()
        with PeakMemory() as whole:  # the batch and every kernel, side by side or not
            subprocess.run(
                [sys.executable, "-m", "helpers.cli", "run", "params.yaml", *jobs], cwd=work, check=True
            )
        wall = time.perf_counter() - t
        print_run(work, "demo", size, args.engine, wall, whole.peak_bytes)


if __name__ == "__main__":
    main()
