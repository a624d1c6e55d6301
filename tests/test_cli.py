"""The `workbook` command's exit codes and messages (fast paths, no notebook run)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

CLI = [sys.executable, "-m", "helpers.cli"]


def run(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_check_passes_on_good_inputs(make_params):
    result = run("check", str(make_params()))
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout and "2,500 customers" in result.stdout
    assert "exact duplicate rows" in result.stdout


def test_check_bad_parameters_exit_2_without_traceback(make_params):
    result = run("check", str(make_params({"likert.max": "five"})))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "`likert.max`" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_missing_parameter_file(tmp_path):
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "parameter file not found" in result.stderr


def test_demo_data_command_is_deterministic(tmp_path):
    a = run("demo-data", "--customers", "300", "--seed", "4", "--out", str(tmp_path / "a"))
    b = run("demo-data", "--customers", "300", "--seed", "4", "--out", str(tmp_path / "b"))
    assert a.returncode == 0 and b.returncode == 0, a.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "orders.parquet"), pd.read_parquet(tmp_path / "b" / "orders.parquet")
    )
    again = run("demo-data", "--out", str(tmp_path / "a"), "--if-missing")
    assert "already" in again.stdout


def test_demo_data_bad_date(tmp_path):
    result = run("demo-data", "--as-of", "soon", "--out", str(tmp_path))
    assert result.returncode == 2 and "--as-of 'soon' is not a date" in result.stderr


def test_assign_uses_the_latest_version_with_a_model(tmp_path):
    from helpers.batch.publish import latest_private

    for v in (1, 2, 3):
        (tmp_path / "q" / f"v{v}").mkdir(parents=True)
    (tmp_path / "q" / "v2" / "03_segment").mkdir()
    (tmp_path / "q" / "v2" / "03_segment" / "segment_model.joblib").write_text("model")
    assert latest_private(tmp_path, "q").name == "v3"
    assert latest_private(tmp_path, "q", having="03_segment/segment_model.joblib").name == "v2"
