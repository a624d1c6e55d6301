"""What the benchmarks share: demo data of a given size, and the demo parameters pointed at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from helpers.params.loading import read_yaml

ROOT = Path(__file__).resolve().parents[1]


def build_demo(out: Path, customers: int, order_rate: float = 1.0) -> None:
    """Demo data through `workbook demo-data`, as a user builds it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.cli",
            "demo-data",
            "--customers",
            str(customers),
            "--order-rate",
            str(order_rate),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )


def demo_params(data: Path, path: Path, **changes: Any) -> Path:
    """parameters/demo.yaml with its data paths at `data` (and top-level `changes`), at `path`."""
    raw = read_yaml((ROOT / "parameters" / "demo.yaml").read_text())
    raw["data"]["customers"]["path"] = str(Path(data) / "customers.parquet")
    raw["data"]["orders"]["path"] = str(Path(data) / "orders.parquet")
    raw.update(changes)
    path.write_text(yaml.safe_dump(raw))
    return path


def print_run(work: Path, period: str, size: str, engine: str, wall: float, peak_bytes: int) -> None:
    """The figures of a published run: wall time, and each notebook's time, memory and HTML size."""
    latest = max((work / "reports" / period).glob("v*"), key=lambda p: int(p.name[1:]))
    manifest = json.loads((latest / "manifest.json").read_text())
    print(
        f"\n{size} on {engine}: whole run {wall:.1f} s "
        f"(checking the data first: {manifest['runner_peak_memory_mb'] / 1024:.2f} GB)"
    )
    for nb in manifest["notebooks"]:
        if "peak_memory_mb" not in nb:  # skipped: the data lacks what it needs
            print(f"  {nb['name']:<12} {nb.get('status', 'skipped')}")
            continue
        print(
            f"  {nb['name']:<12} {nb['duration_s']:6.1f} s, peak memory "
            f"{nb['peak_memory_mb'] / 1024:5.2f} GB, HTML {nb['html_bytes'] / 1024:5.0f} KB"
        )
    print(f"peak memory of the run (all its processes at once): {peak_bytes / 1024**3:.2f} GB")
