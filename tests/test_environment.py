"""What gets installed: pyproject.toml's ranges, requirements.lock's exact set for Python 3.11 to
3.13, environment.yml's conda pins, and wheels for every supported Python."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from conftest import ROOT
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

CONDA_NAMES = {"ibis-framework-duckdb": "ibis-framework", "python-duckdb": "duckdb"}
PYTHONS = ["3.11", "3.12", "3.13"]
LOCK = ROOT / "requirements.lock"


def _direct() -> list[Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in reqs]


def _environment(python: str) -> dict[str, str]:
    full = f"{python}.5"
    return {
        "python_version": python,
        "python_full_version": full,
        "sys_platform": "linux",
        "os_name": "posix",
        "platform_system": "Linux",
        "implementation_name": "cpython",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
    }


def _lock(python: str | None) -> dict[str, str]:
    """The lock's pins that apply on Linux with this Python (None: the running interpreter)."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, _, marker = line.partition(";")
        where = _environment(python) if python else None
        if marker and not Marker(marker.strip()).evaluate(where):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s]+)", spec.strip())
        assert m, f"requirements.lock: '{line}' is not an exact pin (name==version)"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def test_pyproject_allows_python_3_11_to_3_13():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11,<3.14"


@pytest.mark.parametrize("python", PYTHONS)
def test_the_lock_pins_every_direct_dependency_within_its_range(python):
    pins = _lock(python)
    for req in _direct():
        name = canonicalize_name(req.name)
        assert name in pins, f"requirements.lock has no {req.name}: run `make lock`"
        assert Version(pins[name]) in req.specifier, (
            f"requirements.lock pins {req.name}=={pins[name]}, outside pyproject.toml's "
            f"'{req.specifier}': run `make lock`"
        )


def test_the_machine_runs_what_the_lock_pins():
    from importlib.metadata import distributions

    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    pins = _lock(None)
    wrong = {n: (v, installed.get(n)) for n, v in pins.items() if n in installed and installed[n] != v}
    assert not wrong, f"installed versions differ from requirements.lock (make install): {wrong}"


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip section: packages conda-forge does not carry
            for req in dep["pip"]:
                if "==" in req:
                    name, version = req.split("==")
                    pins[canonicalize_name(name.strip())] = version.split()[0].strip()
            continue
        name = re.split(r"[=<>]", dep, maxsplit=1)[0]
        if name in ("python", "pip"):
            continue
        name, version = dep.split("#")[0].split("=", 1)
        pins[canonicalize_name(CONDA_NAMES.get(name, name))] = version.strip()
    return pins


def test_conda_pins_the_locked_version_of_every_direct_dependency():
    direct = {canonicalize_name(r.name) for r in _direct()}
    lock = _lock("3.11")
    assert _conda_pins() == {n: lock[n] for n in direct}


def test_conda_installs_the_project_itself_on_a_supported_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    assert "python>=3.11,<3.14" in env["dependencies"]


def _pypi_reachable() -> bool:
    import urllib.request

    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10)
        return True
    except OSError:
        return False


SOURCE_ONLY = {"pyspark", "jieba"}  # pure Python, published as source only


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.12", "3.13"])
def test_every_locked_package_has_a_wheel_for_python(python, tmp_path):
    """The machines here only have 3.11: pip resolves the lock for another Python, binary only.

    PySpark and jieba are left out: they are published as source packages only (pure Python,
    they build on any Python); PySpark is the optional `spark` extra.
    """
    if not _pypi_reachable():
        if os.environ.get("WORKBOOK_REQUIRE_NETWORK"):
            pytest.fail("PyPI is not reachable, and CI needs it for this check")
        pytest.skip("PyPI is not reachable (CI sets WORKBOOK_REQUIRE_NETWORK=1 to require it)")
    # the markers are evaluated here: pip evaluates python_full_version for the Python it runs on
    pins = {n: v for n, v in _lock(python).items() if n not in SOURCE_ONLY}
    requirements = tmp_path / "lock.txt"
    requirements.write_text("\n".join(f"{n}=={v}" for n, v in pins.items()))
    platforms = [
        a
        for p in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
        for a in ("--platform", p)
    ]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--only-binary=:all:",
            "--python-version",
            python,
            "--implementation",
            "cp",
            *platforms,
            "--target",
            str(tmp_path / "target"),
            "--report",
            str(report),
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    chosen = {
        canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
        for i in json.loads(report.read_text())["install"]
    }
    # every pin has a wheel for that Python (pip may add a package whose marker it evaluated
    # for the Python it runs on, such as overrides for < 3.12: one wheel more, never one less)
    assert {n: chosen.get(n) for n in pins} == pins
