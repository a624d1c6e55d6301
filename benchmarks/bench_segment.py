"""Benchmark: segment a large customer base (fit on a stratified sample, assign everyone).

.venv/bin/python benchmarks/bench_segment.py [--customers 1000000]
.venv/bin/python benchmarks/bench_segment.py --data /tmp/big/data   # reuse built data
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path

from demo_setup import demo_params

from helpers.analyses.filters import profile_frame
from helpers.analyses.segmentation import run
from helpers.data.dataset import load_dataset, weights
from helpers.params.loading import load_params
from helpers.setup.demo import write_demo

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, help="an existing demo data folder (skips building)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as work:
        tmp = str(args.data or work)
        if args.data is None:
            t = time.perf_counter()
            write_demo(tmp, customers=args.customers)
            print(f"demo data: {time.perf_counter() - t:.1f} s")
        params = load_params(demo_params(Path(tmp), Path(work) / "p.yaml"))
        t = time.perf_counter()
        frame = profile_frame(load_dataset(params))
        print(f"load and derive: {time.perf_counter() - t:.1f} s ({len(frame):,} customers)")
        t = time.perf_counter()
        result = run(frame, params, weights(frame, params))
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(
            f"segmentation (k search, stability, assign everyone, profile): {seconds:.1f} s, "
            f"k = {result.k}, peak memory {peak:.2f} GB"
        )
        import pandas as pd
        from sklearn.metrics import adjusted_rand_score

        truth = pd.read_parquet(f"{tmp}/_truth.parquet")["segment"]
        print(
            f"adjusted Rand index against the planted segments: "
            f"{adjusted_rand_score(truth, result.segments):.3f}"
        )
        if result.stability is not None:
            print(
                "stability: "
                + ", ".join(
                    f"{s + 1} {v} ({j:.3f})"
                    for s, (v, j) in enumerate(
                        zip(result.stability.verdict, result.stability.jaccard, strict=True)
                    )
                )
            )


if __name__ == "__main__":
    main()
