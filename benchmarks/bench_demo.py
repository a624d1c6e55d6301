"""Benchmark: build the demo data at several sizes and print wall time, rows and peak memory.

.venv/bin/python benchmarks/bench_demo.py [N ...]      (default: 20000 200000 1000000)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time

from helpers.setup.demo import make_demo, write_demo


def main(sizes: list[int]) -> None:
    print(f"{'customers':>10} {'orders':>11} {'build s':>8} {'write s':>8} {'peak RSS GB':>12}")
    for n in sizes:
        t = time.perf_counter()
        tables = make_demo(customers=n, seed=7)
        build = time.perf_counter() - t
        orders = len(tables["orders"])
        del tables
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            write_demo(tmp, customers=n, seed=7)
            write = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"{n:>10,} {orders:>11,} {build:>8.1f} {write:>8.1f} {peak:>12.2f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 200_000, 1_000_000])
