"""environment.yml (the conda route) and pyproject.toml must pin the same dependencies."""

import re
import tomllib

import yaml
from conftest import ROOT

CONDA_NAMES = {"ibis-framework-duckdb": "ibis-framework", "python-duckdb": "duckdb"}


def _pyproject_pins() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    reqs = meta["dependencies"] + extras["test"] + extras["spark"]
    pins = {}
    for req in reqs:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^;\s]+)", req.strip())
        assert m, f"pyproject.toml: '{req}' is not pinned exactly (name==version)"
        pins[m.group(1).lower()] = m.group(3)
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip section: packages conda-forge does not carry
            for req in dep["pip"]:
                if "==" in req:
                    name, version = req.split("==")
                    pins[name.strip().lower()] = version.strip()
            continue
        if dep.split("=")[0] in ("python", "pip"):
            continue
        name, version = dep.split("=", 1)
        pins[CONDA_NAMES.get(name, name).lower()] = version
    return pins


def test_conda_and_pip_pin_the_same_packages():
    assert _conda_pins() == _pyproject_pins()


def test_conda_installs_the_project_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    assert "python=3.11" in env["dependencies"]
