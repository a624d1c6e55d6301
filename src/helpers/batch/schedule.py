"""The schedule: how many notebooks run side by side, whether memory allows one more, and the run
in dependency order with progress lines in notebook order."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from helpers.batch.index import published_versions
from helpers.batch.kernels import stop_kernels
from helpers.batch.notebooks import notebook_after


def default_jobs() -> int:
    """Notebooks run side by side by default: two where this process may use two cores or more
    (the cores it is allowed, as a container or taskset limits them)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cores or 1) >= 2 else 1


def memory_rule(
    reports_root: Path, names: list[str], budget_mb: float | None = None, period: str | None = None
) -> Callable[[int, list[int]], bool]:
    """Whether notebook i may start beside the running ones: their peaks in the newest published
    run that measured them (of this period first: the same data, most likely), added up, stay
    within the budget (70% of the memory available now). A notebook never measured may start:
    its first run measures it."""
    peaks: dict[str, float] = {}
    versions = published_versions(reports_root)
    for manifest in sorted(versions, key=lambda m: m.get("period") != period):  # stable: newest
        for page in manifest.get("notebooks", []):
            if page.get("peak_memory_mb") and page["name"] not in peaks:
                peaks[page["name"]] = float(page["peak_memory_mb"])
    budget = budget_mb if budget_mb is not None else (0.7 * psutil.virtual_memory().available / 2**20)

    def fits(i: int, running: list[int]) -> bool:
        return sum(peaks.get(names[j], 0.0) for j in [*running, i]) <= budget

    return fits


@dataclass
class _Order:
    """The notebooks of a run: which waits on which, what has started and finished, and their
    progress lines, printed in notebook order as a run one by one prints them."""

    names: list[str]
    after: dict[int, list[int]]  # notebook → the notebooks it reads
    progress: Callable[[str], None]
    started: set[int] = field(default_factory=set)
    finished: dict[int, tuple[Any, list[str]]] = field(default_factory=dict)
    shown: int = 0
    announced: int = 0

    def waiting_on(self, i: int) -> int:
        """How many notebooks wait, directly or not, on notebook ``i``."""
        direct = [j for j in self.after if i in self.after[j]]
        return len(direct) + sum(self.waiting_on(j) for j in direct)

    def priority(self, slots: int) -> list[int]:
        """The order to start them: with one slot the notebook order, exactly as always; with
        more, the notebook most others wait on first."""
        return sorted(range(len(self.names)), key=lambda i: (-self.waiting_on(i) if slots > 1 else 0, i))

    def can_start(self, i: int, beside: list[int], fits: Callable[[int, list[int]], bool] | None) -> bool:
        """Whether notebook ``i`` may start now beside the running ones."""
        return (
            i not in self.started
            and all(d in self.finished for d in self.after[i])
            and (not beside or fits is None or fits(i, beside))
        )

    def show(self) -> None:
        """The next notebooks in order: their start line, then their outcome."""
        while self.shown < len(self.names) and self.shown in self.started:
            if self.announced == self.shown:
                self.progress(f"  [{self.shown + 1}/{len(self.names)}] {self.names[self.shown]} …")
                self.announced += 1
            if self.shown not in self.finished:
                return
            for line in self.finished[self.shown][1]:
                self.progress(line)
            self.shown += 1

    def show_rest(self) -> None:
        """Notebooks after one that never started (after a failure): their lines, in order."""
        for i in sorted(set(self.finished) - set(range(self.shown))):
            self.progress(f"  [{i + 1}/{len(self.names)}] {self.names[i]} …")
            for line in self.finished[i][1]:
                self.progress(line)


def run_in_order(
    notebooks: list[Path],
    one: Callable[[int, int], tuple[Any, list[str]]],
    slots: int,
    progress: Callable[[str], None],
    fits: Callable[[int, list[int]], bool] | None = None,
) -> dict[int, tuple[Any, list[str]]]:
    """Run `one(i, slot)` for each notebook, up to `slots` at once, each after the notebooks it
    reads; progress lines come out in notebook order, as a run one by one prints them.

    With more than one slot, the notebook with most others waiting on it starts first (03 before
    01: 04 and 05 wait for it), and a notebook starts beside others only where `fits(i, running)`
    says the memory allows. After a failure no further notebook starts; those running finish.
    """
    names = [nb.stem for nb in notebooks]
    order = _Order(
        names,
        {i: [names.index(d) for d in notebook_after(nb, names)] for i, nb in enumerate(notebooks)},
        progress,
    )
    priority = order.priority(slots)
    failed: set[int] = set()
    free = list(range(slots))[::-1]
    stopping = threading.Event()

    def guarded(i: int, slot: int) -> tuple[Any, list[str]]:
        if stopping.is_set():  # Ctrl-C came while this one waited for a thread
            raise KeyboardInterrupt
        return one(i, slot)

    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="notebook")
    running: dict[Future, tuple[int, int]] = {}
    try:
        while True:
            for i in priority:
                if failed or not free:
                    break
                if order.can_start(i, [j for j, _ in running.values()], fits):
                    slot = free.pop()
                    order.started.add(i)
                    running[pool.submit(guarded, i, slot)] = (i, slot)
            order.show()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, slot = running.pop(future)
                free.append(slot)
                order.finished[i] = future.result()
                if order.finished[i][0] is None:
                    failed.add(i)
        order.show()
        order.show_rest()
    except BaseException:  # Ctrl-C or an error: stop this run's kernels, so the others end too
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        while any(not f.done() for f in running):  # a kernel may still be starting: sweep again
            stop_kernels()
            wait(running, timeout=1)
        raise
    pool.shutdown(wait=True)
    return order.finished
