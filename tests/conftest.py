"""Shared fixtures: a small demo data set and parameter files pointing at it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.config import read_yaml
from helpers.demo import write_demo

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SMALL = 2500  # people in the test demo


def demo_params_raw() -> dict[str, Any]:
    """The demo parameter file as a dict."""
    return read_yaml((ROOT / "parameters" / "demo.yaml").read_text())


def demo_params_at(data_dir: Path, folder: Path, segment: dict[str, Any] | None = None):
    """Validated demo parameters whose data paths point at a demo data folder."""
    from helpers.config import load_params

    raw = demo_params_raw()
    raw["data"]["customers"]["path"] = str(data_dir / "customers.parquet")
    raw["data"]["orders"]["path"] = str(data_dir / "orders.parquet")
    raw["segment"].update(segment or {})
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_params(path)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, customers=SMALL, seed=11)
    return out


@pytest.fixture(scope="session")
def demo_dir_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo at its default size, for tests of the planted truth."""
    out = tmp_path_factory.mktemp("demo_full")
    write_demo(out)
    return out


@pytest.fixture
def make_params(tmp_path: Path, demo_dir: Path):
    """Write a parameter file based on demo.yaml; `changes` are applied with dotted keys."""

    def make(
        changes: dict[str, Any] | None = None, raw: dict[str, Any] | None = None, name: str = "params.yaml"
    ) -> Path:
        doc = copy.deepcopy(raw if raw is not None else demo_params_raw())
        doc["data"]["customers"]["path"] = str(demo_dir / "customers.parquet")
        doc["data"]["orders"]["path"] = str(demo_dir / "orders.parquet")
        for key, value in (changes or {}).items():
            node = doc
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            if value is DELETE:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    return make


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()
