"""Crash-proof publishing: a run killed at any publishing step leaves the published versions
intact and the index listing exactly the complete ones; concurrent runs get distinct versions.

The runs use one tiny notebook so that the publishing steps, not the analyses, are under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import demo_params_raw

from helpers.batch.publish import FAULT_ENV

pytestmark = pytest.mark.slow

WORKBOOK = [sys.executable, "-m", "helpers.cli"]


@pytest.fixture
def tiny(tmp_path, demo_dir):
    """A parameter file over the small demo and a notebooks folder with one quick notebook."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["workbook"] = {"requires": []}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny report"),
        nbformat.v4.new_code_cell(
            'params_path: str = ""\ntables_dir: str = ""\nprivate_dir: str = ""',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell("print('ok')"),
    ]
    nbformat.write(nb, notebooks / "01_tiny.ipynb")
    raw = demo_params_raw()
    raw["data"]["customers"]["path"] = str(demo_dir / "customers.parquet")
    raw["data"]["orders"]["path"] = str(demo_dir / "orders.parquet")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    return tmp_path


def _run(
    work: Path, *extra: str, fault: str | None = None, reports: str = "reports", private: str = "private"
) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run(
        [
            *WORKBOOK,
            "run",
            "params.yaml",
            "--notebooks",
            "notebooks",
            "--reports",
            reports,
            "--private",
            private,
            *extra,
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _listed(reports: Path) -> set[int]:
    index = (reports / "index.html").read_text()
    return {int(v) for v in __import__("re").findall(r"demo/v(\d+)/index\.html", index)}


def _complete(reports: Path) -> set[int]:
    return {int(p.name[1:]) for p in (reports / "demo").glob("v*") if (p / "manifest.json").exists()}


@pytest.mark.parametrize("step", ["before_move", "after_move", "before_index"])
def test_a_run_killed_at_any_publishing_step_damages_nothing(tiny, step):
    first = _run(tiny)
    assert first.returncode == 0, first.stderr
    v1 = _digest(tiny / "reports" / "demo" / "v1")
    killed = _run(tiny, fault=step)
    assert killed.returncode == -9  # killed, as by a power cut
    after = _run(tiny)
    assert after.returncode == 0, after.stderr
    reports, private = tiny / "reports", tiny / "private"
    assert _digest(reports / "demo" / "v1") == v1  # earlier versions byte-identical
    assert _listed(reports) == _complete(reports)  # listed exactly when complete
    for root in (reports, private):
        assert not list(root.glob(".build-*")) and not list(root.glob("*.tmp"))
    if step == "before_move":  # the killed run published nothing
        assert _complete(reports) == {1, 2}
    else:  # it had published its version whole: it stays, and the next run takes the next
        assert _complete(reports) == {1, 2, 3}


def test_concurrent_runs_on_one_reports_root_get_distinct_versions(tiny):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: _run(tiny), range(4)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    versions = sorted(
        json.loads((p / "manifest.json").read_text())["version"]
        for p in (tiny / "reports" / "demo").glob("v*")
    )
    assert versions == [1, 2, 3, 4]
    assert _listed(tiny / "reports") == {1, 2, 3, 4}


def test_two_reports_roots_sharing_one_private_root(tiny):
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda r: _run(tiny, reports=r), ["reports-a", "reports-b"]))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    a = _complete(tiny / "reports-a")
    b = _complete(tiny / "reports-b")
    assert len(a) == len(b) == 1 and a != b  # one version number each, never the same
    assert {p.name for p in (tiny / "private" / "demo").glob("v*")} == {f"v{v}" for v in a | b}


def test_ctrl_c_with_two_notebooks_running_stops_both_and_publishes_nothing(tiny):
    """Ctrl-C reaches only the batch (as from another terminal): the kernels beside it stop too."""
    import signal
    import time
    import uuid

    import psutil

    for name in ("01_slow", "02_slow"):
        nb = nbformat.read(tiny / "notebooks" / "01_tiny.ipynb", as_version=4)
        nb.metadata["workbook"]["after"] = []
        nb.cells[-1].source = "import time\ntime.sleep(120)"
        nbformat.write(nb, tiny / "notebooks" / f"{name}.ipynb")
    (tiny / "notebooks" / "01_tiny.ipynb").unlink()
    mark = uuid.uuid4().hex
    env = dict(os.environ, WORKBOOK_TEST_MARK=mark)
    env.pop(FAULT_ENV, None)

    def kernels() -> list[psutil.Process]:
        found = []
        for p in psutil.process_iter():
            try:
                if p.environ().get("WORKBOOK_TEST_MARK") == mark and "ipykernel" in " ".join(p.cmdline()):
                    found.append(p)
            except psutil.Error:
                continue
        return found

    batch = subprocess.Popen(
        [
            *WORKBOOK,
            "run",
            "params.yaml",
            "--notebooks",
            "notebooks",
            "--reports",
            "reports",
            "--private",
            "private",
            "--jobs",
            "2",
        ],
        cwd=tiny,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(kernels()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(kernels()) == 2, "two kernels side by side"
    time.sleep(2)  # both are inside their cell
    batch.send_signal(signal.SIGINT)
    out, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, err
    assert "interrupted: nothing was published" in err and "Traceback" not in err
    assert not list((tiny / "reports").glob("demo/v*"))
    assert not list((tiny / "reports").glob(".build-*"))
    time.sleep(1)
    assert kernels() == []


def test_a_kernel_that_dies_at_start_is_started_once_more(tiny, monkeypatch):
    """Kernels starting at the same moment can pick the same port and one dies at once: the
    notebook gets a second start instead of failing the quarter; a second death fails it."""
    from helpers.batch import run as batch_run

    real, calls = batch_run.execute_notebook, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_run, "execute_notebook", flaky)
    result = batch_run.run_batch(
        tiny / "params.yaml", tiny / "reports", tiny / "private", tiny / "notebooks", progress=lambda _: None
    )
    assert result.ok and len(calls) == 2

    def dead(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(batch_run, "execute_notebook", dead)
    again = batch_run.run_batch(
        tiny / "params.yaml", tiny / "reports", tiny / "private", tiny / "notebooks", progress=lambda _: None
    )
    assert not again.ok and "Kernel died" in again.notebooks[0].error
