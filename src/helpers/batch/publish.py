"""Publishing without loss: the lock over the report and private folders, leftovers of killed runs
cleaned, version numbers taken once, and the newest private results of a period."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import signal
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from helpers.batch.index import write_index
from helpers.core.errors import ConfigError

FAILED_DIR = "_failed"


@contextlib.contextmanager
def _lock(reports_root: Path) -> Iterator[None]:
    with (Path(reports_root) / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


OWNER = ".owner"  # the process id of the run that builds a folder
FAULT_ENV = "WORKBOOK_FAULT"  # tests only: kill the run at a named publishing step


def fault_point(step: str) -> None:
    """A named step where the fault-injection tests kill the run (as a power cut would)."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def clean_stale(root: Path) -> list[Path]:
    """Remove what killed runs left in a root: build folders whose process is gone, and a
    half-written index. Folders of runs still going are left alone."""
    removed = []
    for build in root.glob(".build-*"):
        owner = build / OWNER
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            pid = None
        if pid is None or not psutil.pid_exists(pid) or pid == os.getpid():
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build)
    for tmp in root.glob("*.tmp"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


@contextlib.contextmanager
def locked(*roots: Path) -> Iterator[None]:
    """Every root locked, each once, always in the same order (no two runs wait on each other)."""
    with contextlib.ExitStack() as stack:
        for root in sorted({Path(r).resolve() for r in roots}):
            stack.enter_context(_lock(root))
        yield


def latest_private(private_root: str | Path, period: str, having: str | None = None) -> Path:
    """The private artifacts folder of a period's latest published version (the latest that
    holds the file ``having``, e.g. the segmentation model, when given)."""
    folder = Path(private_root) / period
    versions = sorted((int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit()), reverse=True)
    if not versions:
        raise ConfigError(f"{folder}: no published run of period {period} yet; run it first")
    for v in versions:
        if having is None or (folder / f"v{v}" / having).exists():
            return folder / f"v{v}"
    raise ConfigError(
        f"{folder}: no published run of period {period} has {having}; run a "
        "version that includes 03_segment first"
    )


def next_version(period_dir: Path) -> int:
    """The next free version number of a period."""
    numbers = [int(p.name[1:]) for p in period_dir.glob("v*") if p.name[1:].isdigit()]
    return max(numbers, default=0) + 1


@dataclass
class Build:
    """A run's two hidden folders beside the published versions, its reports and its private
    results, moved into place together only when every notebook succeeded."""

    period: str
    reports_root: Path
    private_root: Path
    reports: Path
    private: Path

    @classmethod
    def start(cls, period: str, reports_root: Path, private_root: Path) -> Build:
        """Make the hidden folders, after removing what killed runs left behind."""
        for option, root in (("--reports", reports_root), ("--private", private_root)):
            if root.exists() and not root.is_dir():
                raise ConfigError(
                    f"{root}: {option} names a file; give a folder (it is created when missing)"
                )
        tag = f".build-{period}-{uuid.uuid4().hex[:8]}"
        build = cls(period, reports_root, private_root, reports_root / tag, private_root / tag)
        reports_root.mkdir(parents=True, exist_ok=True)
        private_root.mkdir(parents=True, exist_ok=True)
        with locked(reports_root, private_root):
            clean_stale(reports_root)
            clean_stale(private_root)
            build.reports.mkdir()
            build.private.mkdir(parents=True)
            for folder in (build.reports, build.private):
                (folder / OWNER).write_text(str(os.getpid()))
        return build

    def discard(self, started: dt.datetime) -> Path:
        """A failed run: its reports kept under _failed/ to look into, its private results gone."""
        failed = (
            self.reports_root / FAILED_DIR / f"{self.period}-{started:%Y%m%dT%H%M%S}-{self.reports.name[-8:]}"
        )
        if self.reports.exists():
            failed.parent.mkdir(parents=True, exist_ok=True)
            self.reports.rename(failed)
        shutil.rmtree(self.private, ignore_errors=True)
        return failed

    def remove(self) -> None:
        """An interrupted run (Ctrl-C): nothing kept."""
        shutil.rmtree(self.reports, ignore_errors=True)
        shutil.rmtree(self.private, ignore_errors=True)

    def publish(self, finish: Callable[[int], None]) -> tuple[int, Path, Path]:
        """Take the next version number of both roots, let `finish(version)` write the version's
        own files, move both folders into place and rewrite the index: the version, its folder
        and the index."""
        with locked(self.reports_root, self.private_root):
            for folder in (self.reports, self.private):  # inside the lock: never taken for a leftover
                (folder / OWNER).unlink(missing_ok=True)
            period_dir = self.reports_root / self.period
            period_dir.mkdir(exist_ok=True)
            # one number for both roots: a version already in the private root is taken too
            version = max(next_version(period_dir), next_version(self.private_root / self.period))
            finish(version)
            final = period_dir / f"v{version}"
            fault_point("before_move")
            self.reports.rename(final)  # the version appears whole, or not at all
            fault_point("after_move")
            private_final = self.private_root / self.period / f"v{version}"
            private_final.parent.mkdir(parents=True, exist_ok=True)
            self.private.rename(private_final)
            fault_point("before_index")
            index = write_index(self.reports_root)  # from the manifests on disk: never orphans a version
        return version, final, index
