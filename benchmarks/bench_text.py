"""Benchmark: themes in the open answers of a large demo, English and Chinese (fit on a sample of
20,000 answers with the choice of the number of themes, then every answer assigned).

.venv/bin/python benchmarks/bench_text.py [--customers 1000000] [--language zh] [--unique]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from helpers.data.text import ThemeModel
from helpers.setup.demo import write_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--language", choices=["en", "zh"], default="en")
    ap.add_argument(
        "--unique", action="store_true", help="make every answer different (real answers rarely repeat)"
    )
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as work:
        t = time.perf_counter()
        write_demo(work, customers=args.customers, language=args.language)
        print(f"demo data: {time.perf_counter() - t:.1f} s")
        answers = pd.read_parquet(Path(work) / "customers.parquet", columns=["open_answer"])["open_answer"]
    if args.unique:  # a word of its own per answer: every text differs, as real answers do
        answers = answers.where(answers.isna(), answers + " w" + pd.Series(range(len(answers))).astype(str))
    t = time.perf_counter()
    model = ThemeModel(min_people=10).fit(answers)
    fitted = time.perf_counter() - t
    t = time.perf_counter()
    themes = model.predict(answers)
    assigned = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"{args.language}: {answers.notna().sum():,} answers; fit (choosing k = {model.n_themes_}) "
        f"{fitted:.1f} s; every answer assigned {assigned:.1f} s; peak memory {peak:.2f} GB"
    )
    print(themes.value_counts().head(8).to_string())


if __name__ == "__main__":
    main()
