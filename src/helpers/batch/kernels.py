"""Notebook kernels: a kernelspec of this interpreter (one per slot), Papermill's execution in it, the
peak memory of what it starts, and stopping them."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

KERNEL_NAME = "workbook-python"
SLOT_ENV = "WORKBOOK_SLOT"
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def kernel_of_this_python(slots: int = 1) -> Iterator[str]:
    """A kernelspec that runs this interpreter, so notebooks use the project's environment.

    With several slots (notebooks run side by side) it yields the first name and makes one spec
    per slot, `<name>-<slot>`, whose kernels carry `WORKBOOK_SLOT` so their memory is told apart.
    """
    with tempfile.TemporaryDirectory(prefix="workbook-kernel-") as tmp:
        for slot in range(slots):
            spec = Path(tmp) / "kernels" / (KERNEL_NAME if slot == 0 else f"{KERNEL_NAME}-{slot}")
            spec.mkdir(parents=True)
            (spec / "kernel.json").write_text(
                json.dumps(
                    {
                        # CRITICAL: a Ctrl-C reaches the kernel too, and its log line is no user's business
                        "argv": [
                            sys.executable,
                            "-m",
                            "ipykernel_launcher",
                            "-f",
                            "{connection_file}",
                            "--log-level=CRITICAL",
                        ],
                        "display_name": "Customer workbook",
                        "language": "python",
                        "env": {
                            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                            SLOT_ENV: str(slot),
                            # kernels side by side share the cores: one BLAS thread each, or
                            # OpenBLAS threads spin against the other notebook (03 took 20 s, not 9)
                            **({v: "1" for v in BLAS_THREADS} if slots > 1 else {}),
                        },
                    }
                )
            )
        old = os.environ.get("JUPYTER_PATH")
        with environment({"JUPYTER_PATH": tmp + (os.pathsep + old if old else "")}):
            yield KERNEL_NAME


@contextlib.contextmanager
def environment(changes: dict[str, str]) -> Iterator[None]:
    """This process's environment (which the kernels inherit) with some variables set, restored
    afterwards as it was."""
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def slot_kernel(kernel: str, slot: int) -> str:
    """The kernelspec name of a slot (see :func:`kernel_of_this_python`)."""
    return kernel if slot == 0 else f"{kernel}-{slot}"


def execute_notebook(
    source: Path, output: Path, parameters: dict[str, Any], kernel: str, cwd: Path, timeout: int | None = None
) -> None:
    """Run one notebook with Papermill (raises PapermillExecutionError on a failed cell)."""
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    # the kernel starts in cwd; papermill's own cwd= changes this whole process's directory,
    # which is not safe while another notebook runs beside this one
    pm.execute_notebook(
        str(source),
        str(output),
        parameters=parameters,
        kernel_name=kernel,
        language="python",
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
    )


def kernel_never_started(exc: BaseException) -> bool:
    """Whether a kernel died before it ran anything: jupyter_client picks free ports for a new
    kernel by opening and closing them, so kernels starting at the same moment (runs side by
    side, or several batches) can pick the same port, and one of them dies at once."""
    return isinstance(exc, RuntimeError) and any(
        words in str(exc)
        for words in ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
    )


def own_peak_mb() -> float:
    """Peak resident memory of the batch process itself (it checks the data before the run)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory:
    """The peak resident memory of this process's children (the notebook kernel and the processes
    it starts: joblib workers, a Spark JVM), sampled a few times a second."""

    def __init__(self, interval: float = 0.2, slot: int | None = None) -> None:
        self.interval = interval
        self.slot = slot  # only the kernel of this slot and its children; None: every child
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        me = psutil.Process()
        if self.slot is None:
            return me.children(recursive=True)
        out = []
        for child in me.children():
            with contextlib.suppress(psutil.Error):
                if child.environ().get(SLOT_ENV) == str(self.slot):
                    out += [child, *child.children(recursive=True)]
        return out

    def _watch(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in self._processes():
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stop_kernels() -> None:
    """Kill this process's notebook kernels (they carry WORKBOOK_SLOT) and what they started;
    nothing else this process started (a Spark JVM, a Jupyter server) is touched."""
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if SLOT_ENV in child.environ():
                for process in [*child.children(recursive=True), child]:
                    with contextlib.suppress(psutil.Error):
                        process.kill()
