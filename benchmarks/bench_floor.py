"""Benchmark: the demo quarter against the Papermill floor, measured in the same run.

The floor is what five notebooks that do nothing cost through the same path as the batch: the
same kernel, Papermill execution, and the HTML export. Then the demo quarter runs through
`workbook run`, and the ratio of the two is printed (issue #14's goal: at most 2.5).

    .venv/bin/python benchmarks/bench_floor.py [--customers 20000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from demo_setup import build_demo, demo_params

from helpers.batch.export import export_html
from helpers.batch.kernels import execute_notebook, kernel_of_this_python

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01_explore", "02_compare", "03_segment", "04_cohorts", "05_personas"]


def empty_notebook(path: Path) -> None:
    """A notebook with a parameters cell, a title and one trivial cell."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('params_path: str = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Empty"), params, nbformat.v4.new_code_cell("1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


def floor(work: Path) -> float:
    """Seconds to execute and export five empty notebooks with the batch's kernel."""
    (work / "empty").mkdir()
    t = time.perf_counter()
    with kernel_of_this_python() as kernel:
        for name in NOTEBOOKS:
            source = work / "empty" / f"{name}.ipynb"
            empty_notebook(source)
            executed = work / "empty" / "out" / f"{name}.ipynb"
            execute_notebook(source, executed, {"params_path": "x"}, kernel, cwd=work)
            export_html(executed, work / "empty" / f"{name}.html")
    return time.perf_counter() - t


def quarter(work: Path, data: Path) -> float:
    """Seconds for `workbook run` on the demo parameters pointed at `data`."""
    demo_params(data, work / "params.yaml")
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.cli",
            "run",
            "params.yaml",
            "--reports",
            "reports",
            "--private",
            "private",
        ],
        cwd=work,
        check=True,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_demo(work / "data", args.customers)
        empty = floor(work)
        print(f"Papermill floor (five empty notebooks, executed and exported): {empty:.1f} s")
        demo = quarter(work, work / "data")
        print(f"demo quarter ({args.customers:,} customers): {demo:.1f} s")
        print(f"ratio: {demo / empty:.2f} (goal: at most 2.5)")


if __name__ == "__main__":
    main()
