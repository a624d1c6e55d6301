"""`make lab`: JupyterLab starts on the notebooks with the project's kernel, and answers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_notebooks_with_the_customer_workbook_kernel(tmp_path):
    port, token, log = _free_port(), "workbook-test", tmp_path / "lab.log"
    opts = (
        f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
        "--ServerApp.port_retries=0"
    )
    lab = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_OPTS={opts}"],
        cwd=ROOT,
        stdout=log.open("w"),  # a file: a pipe nobody reads would block a talkative server
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def get(path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=5) as answer:
            return json.loads(answer.read())

    try:
        deadline, specs = time.monotonic() + 180, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                specs = get("/api/kernelspecs")
                break
            except OSError:
                time.sleep(0.5)
        assert specs is not None, log.read_text()
        assert specs["kernelspecs"]["customer-workbook"]["spec"]["display_name"] == "Customer workbook"
        names = {item["name"] for item in get("/api/contents")["content"]}
        assert {"01_explore.ipynb", "01_explore.py"} <= names  # the lab opens on notebooks/
        assert (ROOT / "data" / "demo" / "customers.parquet").exists()  # demo data built
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
