"""Notebooks side by side: each after the ones it reads, progress printed in notebook order."""

from __future__ import annotations

import json
import threading
import time

import pytest
from conftest import ROOT

from helpers.batch.notebooks import list_notebooks, notebook_after
from helpers.batch.schedule import memory_rule, run_in_order

DAG = {
    "01_explore": [],
    "02_filter": [],
    "03_segment": [],
    "04_cohorts": ["03_segment"],
    "05_personas": ["03_segment", "04_cohorts"],
}


def notebooks_at(folder, after: dict[str, list[str] | None]):
    paths = []
    for name, deps in after.items():
        meta = {"workbook": {"requires": []} | ({} if deps is None else {"after": deps})}
        path = folder / f"{name}.ipynb"
        path.write_text(json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))
        paths.append(path)
    return paths


class Recorder:
    """A fake notebook runner: sleeps, records start and end, fails where told."""

    def __init__(self, notebooks, seconds: dict[str, float], fail: set[str] = frozenset()):
        self.names = [p.stem for p in notebooks]
        self.seconds, self.fail = seconds, fail
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.slots_in_use: set[int] = set()
        self.most_at_once = 0

    def __call__(self, i: int, slot: int):
        name = self.names[i]
        with self.lock:
            assert slot not in self.slots_in_use
            self.slots_in_use.add(slot)
            self.most_at_once = max(self.most_at_once, len(self.slots_in_use))
            self.events.append(("start", name))
        time.sleep(self.seconds.get(name, 0.01))
        with self.lock:
            self.events.append(("end", name))
            self.slots_in_use.discard(slot)
        return (None if name in self.fail else {"name": name}), [f"        {name} done"]


def test_the_shipped_notebooks_declare_what_they_read():
    notebooks = list_notebooks(ROOT / "notebooks")
    names = [p.stem for p in notebooks]
    assert {p.stem: notebook_after(p, names) for p in notebooks} == DAG | {
        "06_products": ["03_segment"],
        "07_churn_risk": ["03_segment", "04_cohorts"],
    }


def test_a_notebook_that_says_nothing_waits_for_every_earlier_one(tmp_path):
    paths = notebooks_at(tmp_path, {"01_a": [], "02_b": None, "03_c": ["01_a"]})
    names = [p.stem for p in paths]
    assert notebook_after(paths[1], names) == ["01_a"]
    assert notebook_after(paths[2], names) == ["01_a"]
    assert notebook_after(paths[0], names) == []


def test_side_by_side_in_dependency_order_with_progress_in_notebook_order(tmp_path):
    paths = notebooks_at(tmp_path, DAG)
    # 03 is slow and 01 fast: 03 starts first (two wait on it), 01 and 02 finish beside it
    runner = Recorder(paths, {"03_segment": 0.6, "01_explore": 0.1, "02_filter": 0.1, "04_cohorts": 0.2})
    lines: list[str] = []
    results = run_in_order(paths, runner, 2, lines.append)
    assert sorted(results) == [0, 1, 2, 3, 4]
    order = [e for e in runner.events]
    # 03 and 01 start first (two wait on 03; 01 is the first of the rest), not 01 and 02
    assert {n for _, n in order[:2]} == {"03_segment", "01_explore"}
    assert order.index(("start", "04_cohorts")) > order.index(("end", "03_segment"))
    assert order.index(("start", "05_personas")) > order.index(("end", "04_cohorts"))
    assert order.index(("end", "02_filter")) < order.index(("end", "03_segment"))
    assert runner.most_at_once == 2
    assert lines == [
        line for i, name in enumerate(DAG) for line in (f"  [{i + 1}/5] {name} …", f"        {name} done")
    ]


def test_one_slot_runs_one_by_one_in_order(tmp_path):
    paths = notebooks_at(tmp_path, DAG)
    runner = Recorder(paths, {})
    run_in_order(paths, runner, 1, lambda _: None)
    assert [n for e, n in runner.events if e == "start"] == list(DAG)
    assert runner.most_at_once == 1


def test_after_a_failure_nothing_new_starts(tmp_path):
    paths = notebooks_at(tmp_path, DAG)
    runner = Recorder(paths, {"03_segment": 0.3, "01_explore": 0.05}, fail={"01_explore"})
    lines: list[str] = []
    results = run_in_order(paths, runner, 2, lines.append)
    started = {n for e, n in runner.events if e == "start"}
    assert started == {"03_segment", "01_explore"}  # 03 finishes; 02, 04, 05 never start
    assert results[0][0] is None and set(results) == {0, 2}
    # 03 ran beside the failure: its lines come after, though 02 never started
    assert lines == [
        "  [1/5] 01_explore …",
        "        01_explore done",
        "  [3/5] 03_segment …",
        "        03_segment done",
    ]


def test_a_failure_ahead_of_a_notebook_that_never_started_is_still_shown(tmp_path):
    paths = notebooks_at(tmp_path, DAG)
    runner = Recorder(paths, {"03_segment": 0.05, "01_explore": 0.3}, fail={"03_segment"})
    lines: list[str] = []
    run_in_order(paths, runner, 2, lines.append)
    assert lines == [
        "  [1/5] 01_explore …",
        "        01_explore done",
        "  [3/5] 03_segment …",
        "        03_segment done",
    ]


@pytest.mark.parametrize("slots", [1, 2])
def test_an_error_in_the_runner_stops_the_run(tmp_path, slots):
    paths = notebooks_at(tmp_path, DAG)

    def broken(i, slot):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_in_order(paths, broken, slots, lambda _: None)


def test_a_notebook_starts_beside_others_only_where_the_memory_allows(tmp_path):
    paths = notebooks_at(tmp_path, DAG)
    # peaks of the last run: 03 and 01 fit together in 5 GB, 04 fits beside nothing heavy
    peaks = {
        "01_explore": 2000,
        "02_filter": 3600,
        "03_segment": 1700,
        "04_cohorts": 4400,
        "05_personas": 1800,
    }
    version = tmp_path / "reports" / "2026-Q3" / "v1"
    version.mkdir(parents=True)
    (version / "manifest.json").write_text(
        json.dumps(
            {
                "finished": "2026-10-01T00:00:00",
                "version": 1,
                "notebooks": [{"name": n, "peak_memory_mb": m} for n, m in peaks.items()],
            }
        )
    )
    fits = memory_rule(tmp_path / "reports", list(DAG), budget_mb=5000)
    assert fits(0, [2]) and not fits(1, [3]) and not fits(3, [1])
    runner = Recorder(paths, {"03_segment": 0.3, "01_explore": 0.1, "02_filter": 0.2, "04_cohorts": 0.3})
    run_in_order(paths, runner, 2, lambda _: None, fits)
    running: set[str] = set()
    for event, name in runner.events:
        if event == "start":
            together = sum(peaks[n] for n in running | {name})
            assert together <= 5000, (name, running)
            running.add(name)
        else:
            running.discard(name)
    assert runner.most_at_once == 2  # 03 and 01 still side by side


def test_without_a_measured_run_notebooks_may_start_side_by_side(tmp_path):
    fits = memory_rule(tmp_path / "reports", list(DAG), budget_mb=1)
    assert fits(3, [1])


def test_stopping_kills_this_runs_kernels_and_nothing_else():
    import os
    import subprocess

    from helpers.batch.kernels import SLOT_ENV, stop_kernels

    other = subprocess.Popen(["sleep", "30"])  # a JVM or a server this process started
    kernel = subprocess.Popen(["sleep", "30"], env={**os.environ, SLOT_ENV: "1"})
    try:
        time.sleep(0.2)
        stop_kernels()
        assert kernel.wait(timeout=5) != 0
        assert other.poll() is None
    finally:
        other.kill()
        kernel.kill()
