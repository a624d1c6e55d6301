"""Benchmark: build demo data of a given size and run the whole quarter through `workbook run`.

Prints the wall time and peak memory of the whole run and the duration of each notebook.

    .venv/bin/python benchmarks/bench_quarter.py [--customers N]
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

import yaml

from helpers.config import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "helpers.cli", "demo-data", "--customers",
                        str(args.customers), "--out", str(work / "data")], check=True)
        print(f"demo data: {time.perf_counter() - t:.1f} s")
        raw = read_yaml((ROOT / "parameters" / "demo.yaml").read_text())
        raw["data"]["customers"]["path"] = str(work / "data" / "customers.parquet")
        raw["data"]["orders"]["path"] = str(work / "data" / "orders.parquet")
        (work / "params.yaml").write_text(yaml.safe_dump(raw))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "helpers.cli", "run", "params.yaml"], cwd=work,
                       check=True)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        manifest = json.loads(next((work / "reports").glob("demo/v1/manifest.json")).read_text())
        print(f"\n{args.customers:,} customers: whole run {wall:.1f} s, "
              f"peak memory of the largest process {peak:.2f} GB")
        for nb in manifest["notebooks"]:
            print(f"  {nb['name']}: {nb['duration_s']:.1f} s, HTML {nb['html_bytes'] / 1024:.0f} KB")


if __name__ == "__main__":
    main()
