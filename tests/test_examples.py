"""Every example parameter file over the shared real data passes `check` and publishes every
report its data can make (the examples are how a new user starts with their own file)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, SHARED

from helpers import plan
from helpers.config import load_params
from helpers.data import load_dataset
from helpers.report import list_notebooks, run_batch

EXAMPLES = sorted((ROOT / "parameters" / "examples").glob("*.yaml"))
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")


def test_there_is_an_example_for_each_real_data_set():
    assert {p.stem for p in EXAMPLES} >= {
        "cdnow",
        "ess9_gb",
        "ces11",
        "mlc_churn",
        "attrition",
        "caravan",
        "bfi",
        "stackoverflow",
    }


@needs_shared
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_passes_check(path):
    params = load_params(path)
    load_dataset(params)
    assert plan.describe(list_notebooks(ROOT / "notebooks"), params)


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_publishes_every_applicable_report(path, tmp_path):
    params = load_params(path)
    notebooks = list_notebooks(ROOT / "notebooks")
    result = run_batch(path, tmp_path / "reports", tmp_path / "private", progress=lambda _: None)
    assert result.ok, [(r.name, r.error) for r in result.notebooks if r.error]
    manifest = json.loads((result.folder / "manifest.json").read_text())
    status = {n["name"]: n["status"] for n in manifest["notebooks"]}
    for nb in notebooks:
        meta = json.loads(nb.read_text())["metadata"]["workbook"]
        applicable = not plan.report_lacks(meta["requires"], params)
        assert status[nb.stem] == ("ok" if applicable else "skipped"), nb.stem
