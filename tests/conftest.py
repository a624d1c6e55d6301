"""Shared fixtures: a small demo data set and parameter files pointing at it."""

from __future__ import annotations

import copy
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from helpers.params.loading import read_yaml
from helpers.setup.demo import write_demo

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SMALL = 2500  # people in the test demo


def kept_orders(orders: Any) -> Any:
    """The demo's orders as every per-customer figure counts them: returns (negative amounts)
    and guest checkouts (no customer id) left out."""
    return orders[(orders["amount"] > 0) & orders["customer_id"].notna()]


def demo_params_raw() -> dict[str, Any]:
    """The demo parameter file as a dict."""
    return read_yaml((ROOT / "parameters" / "demo.yaml").read_text())


def demo_params_at(data_dir: Path, folder: Path, segment: dict[str, Any] | None = None):
    """Validated demo parameters whose data paths point at a demo data folder."""
    from helpers.params.loading import load_params

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


# --- a published demo site, shared by the batch and browser tests ---------------------------

WORKBOOK = [sys.executable, "-m", "helpers.cli"]
CANARIES = ["Qzxcanary Vwbname", "qzx.canary.mail@example.invalid", "+99 555 0199 7311"]
PAYLOAD = "<img src=x onerror=\"document.body.setAttribute('data-pwned','yes')\">"
FORMULA = '=HYPERLINK("http://x")'
SINGLETONS = {
    "acquisition_channel": "Zeppelindrop",
    "status": "vipqzx",
    "promotion_code": "ONEOFFQZX",
    "region": "Isle of Qzxcanary",
}


def workbook(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*WORKBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def site(tmp_path_factory, demo_dir):
    """Two published versions of a demo quarter whose personal columns hold canary values."""
    import yaml

    work = tmp_path_factory.mktemp("site")
    cust = pd.read_parquet(demo_dir / "customers.parquet")
    cust["name"], cust["email"], cust["phone"] = CANARIES
    cust.loc[cust.index[:50], "open_answer"] = f"Write to {CANARIES[1]} or ring {CANARIES[2]}"
    # one person alone in a channel, a status, a promotion and a region (privacy: never shown)
    one = cust.index[7]
    for col, value in SINGLETONS.items():
        cust.loc[one, col] = value
    # text that outsiders typed: markup and a spreadsheet formula, each held by 40 people
    # in every place a string can come from: category, channel, promotion and status values, a
    # multiple-response option, open answers; and in the parameters: a label, the title, a
    # filter and banner name, a segment (persona) name
    cust.loc[cust.index[100:140], "heard_about"] = PAYLOAD
    cust.loc[cust.index[300:340], "acquisition_channel"] = PAYLOAD
    cust.loc[cust.index[400:440], "promotion_code"] = PAYLOAD
    cust.loc[cust.index[500:540], "status"] = PAYLOAD
    cust.loc[cust.index[600:640], "interests"] = "fashion;" + PAYLOAD
    cust.loc[cust.index[700:740], "open_answer"] = "I love it " + PAYLOAD
    cust.loc[cust.index[200:240], "channel_preference"] = FORMULA
    cust.to_parquet(work / "customers.parquet")
    raw = demo_params_raw()
    raw["data"]["customers"]["path"] = "customers.parquet"
    raw["data"]["orders"]["path"] = str(demo_dir / "orders.parquet")
    raw["title"] = "Northwind " + PAYLOAD
    raw["labels"]["city_tier"] = "Place " + PAYLOAD
    raw["filters"][PAYLOAD] = 'city_tier == "urban"'
    raw["crosstab"]["compare_with_rest"].append(PAYLOAD)
    raw["crosstab"]["banners"][0]["name"] = "Buyers " + PAYLOAD
    raw["segment"]["names"] = {2: "Segment " + PAYLOAD}
    (work / "params.yaml").write_text(yaml.safe_dump(raw))
    first = workbook("run", "params.yaml", cwd=work)
    assert first.returncode == 0, first.stderr
    v1 = tree_digest(work / "reports" / "demo" / "v1")
    second = workbook("run", "params.yaml", cwd=work)
    assert second.returncode == 0, second.stderr
    return {"work": work, "reports": work / "reports", "first": first, "second": second, "v1": v1}
