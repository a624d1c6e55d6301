"""Benchmark: build demo data of a given size and run the whole quarter through `workbook run`.

Prints the wall time and peak memory of each notebook (its kernel and every process it starts)
and of the whole run. The issue's target: 1,000,000 customers (about 20M orders, `--order-rate 4`)
in at most 5 minutes with at most 6 GB, on a 2-core machine with the default settings.

    .venv/bin/python benchmarks/bench_quarter.py --customers 1000000 --order-rate 4
    .venv/bin/python benchmarks/bench_quarter.py --data /tmp/big/data   # reuse built data
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from helpers.config import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--order-rate", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="an existing demo data folder (skips building)")
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    ap.add_argument("--keep", type=Path, help="run in this folder and keep the reports")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = args.data
        if data is None:
            data = work / "data"
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "helpers.cli", "demo-data", "--customers",
                            str(args.customers), "--order-rate", str(args.order_rate),
                            "--out", str(data)], check=True)
            print(f"demo data: {time.perf_counter() - t:.1f} s")
        people = pd.read_parquet(data / "customers.parquet", columns=["customer_id"])
        orders = pd.read_parquet(data / "orders.parquet", columns=["order_id"])
        size = f"{len(people):,} customers, {len(orders):,} orders"
        del people, orders
        raw = read_yaml((ROOT / "parameters" / "demo.yaml").read_text())
        raw["data"]["customers"]["path"] = str(data / "customers.parquet")
        raw["data"]["orders"]["path"] = str(data / "orders.parquet")
        raw["engine"] = args.engine
        (work / "params.yaml").write_text(yaml.safe_dump(raw))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "helpers.cli", "run", "params.yaml"], cwd=work,
                       check=True)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        latest = max((work / "reports" / "demo").glob("v*"), key=lambda p: int(p.name[1:]))
        manifest = json.loads((latest / "manifest.json").read_text())
        print(f"\n{size} on {args.engine}: whole run {wall:.1f} s "
              f"(checking the data first: {manifest['runner_peak_memory_mb'] / 1024:.2f} GB)")
        for nb in manifest["notebooks"]:
            print(f"  {nb['name']:<12} {nb['duration_s']:6.1f} s, peak memory "
                  f"{nb['peak_memory_mb'] / 1024:5.2f} GB, HTML {nb['html_bytes'] / 1024:5.0f} KB")
        worst = max([nb["peak_memory_mb"] for nb in manifest["notebooks"]]
                    + [manifest["runner_peak_memory_mb"]]) / 1024
        print(f"peak memory of the run: {worst:.2f} GB (largest single process: {peak:.2f} GB)")


if __name__ == "__main__":
    main()
