"""One figure, one value on every page: the registry names it, the ledger proves it."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import numpy as np
import pytest
import yaml
from conftest import ROOT, SHARED, demo_params_at, demo_params_raw

from helpers.analyses import metrics
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params


def test_the_registry_names_each_measure_once(tmp_path, demo_dir):
    params = demo_params_at(demo_dir, tmp_path)
    found = metrics.registry(params)
    names = [m.name for m in found.values()]
    assert len(names) == len(set(names))  # two measures never share a name
    assert "retention" not in " ".join(names)  # "retention" is 04's cohort measure alone
    assert found["size"].base == "all customers (weighted)"  # the demo has survey weights
    assert "next 12 months" in found["value"].name
    assert found["new_12m"].better == "higher" and found["size"].better == ""
    assert metrics.outcome_metric("Churn: yes", "x").better == "lower"


def test_a_conflict_between_pages_is_caught(tmp_path, demo_dir):
    params = demo_params_at(demo_dir, tmp_path)
    size = metrics.registry(params)["size"]
    one, two = metrics.Ledger("03_segment", params), metrics.Ledger("05_personas", params)
    one.record(size, "2. Charlie", 0.2006, decimals=0)
    two.record(size, "2. Charlie", 0.2049, decimals=0)  # 20% on both pages: no conflict
    one.save(tmp_path / "build" / "03_segment")
    two.save(tmp_path / "build" / "05_personas")
    assert metrics.conflicts(metrics.read_ledgers(tmp_path / "build")) == []
    two.record(size, "3. Sam", 0.22, decimals=0)
    one.record(size, "3. Sam", 0.20, decimals=0)  # 22% on one page, 20% on the other
    one.save(tmp_path / "build" / "03_segment")
    two.save(tmp_path / "build" / "05_personas")
    found = metrics.conflicts(metrics.read_ledgers(tmp_path / "build"))
    assert len(found) == 1 and "3. Sam" in found[0] and "03_segment: 20" in found[0]


@pytest.mark.slow
def test_the_batch_refuses_to_publish_pages_that_disagree(tmp_path, demo_dir):
    """Two pages that state one figure with two values: the run fails and publishes nothing."""
    raw = demo_params_raw()
    raw["data"]["customers"]["path"] = str(demo_dir / "customers.parquet")
    raw["data"]["orders"]["path"] = str(demo_dir / "orders.parquet")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, share in (("01_one", 0.20), ("02_two", 0.31)):
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(
                'params_path = ""\ntables_dir = ""\nprivate_dir = ""', metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell(
                "from helpers.analyses import metrics\nfrom helpers.params.loading import load_params\n"
                "params = load_params(params_path)\n"
                f"ledger = metrics.Ledger({name!r}, params)\n"
                f"ledger.record(metrics.registry(params)['size'], '1. Casey', {share}, decimals=0)\n"
                "ledger.save(private_dir)"
            ),
        ]
        nbformat.write(nb, notebooks / f"{name}.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "run", "params.yaml", "--notebooks", str(notebooks)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stderr
    assert "two values" in run.stderr and "1. Casey" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "reports" / "demo").exists()


def test_the_index_leads_with_key_figures_and_their_change():
    """The headline panel: each key figure now, its change since the previous published period,
    an arrow only where a share moved beyond noise, in the right direction of better."""
    from helpers.batch.index import headline_panel

    def version(period, as_of, churned, bought, n):
        figures = [
            {"metric": "Status: churned %", "value": churned, "unit": "share", "better": "lower", "n": n},
            {
                "metric": "bought in the last 12 months",
                "value": bought,
                "unit": "share",
                "better": "higher",
                "n": n,
            },
        ]
        return {"period": period, "as_of": as_of, "finished": as_of, "title": "T", "key_figures": figures}

    now = version("2026Q3", "2026-09-30", 30.0, 50.5, 5000)
    before = version("2026Q2", "2026-06-30", 20.0, 50.0, 5000)
    page = headline_panel([now, before])
    assert "Change since 2026Q2" in page and "▲ +10.0 points" in page and "worse" in page
    assert "+0.5 points" in page and "within noise" in page  # 50% vs 50.5% on 5,000: noise
    year = version("2025Q3", "2025-09-30", 30.0, 50.5, 5000)
    assert "a year before" in headline_panel([now, before, year])
    assert "No earlier period" in headline_panel([now])
    assert metrics.change(now["key_figures"][0], before["key_figures"][0]) == (10.0, True)


def test_everyones_outcome_is_the_weighted_share_among_people_whose_status_is_known(tmp_path, demo_dir):
    params = demo_params_at(demo_dir, tmp_path)
    c = load_dataset(params).customers
    ledger = metrics.Ledger("01_explore", params)
    words = metrics.outcome_sentence(c, params, ledger)
    known = c[c["status"] != "prospect"]
    expected = 100 * np.average(known["status"] == "churned", weights=known["weight"])
    assert ledger.figures[0].value == pytest.approx(expected) and ledger.figures[0].group == metrics.EVERYONE
    assert f"{expected:.1f}%" in words and f"{len(known):,} customers whose status is known" in words
    assert "(prospects and unknown statuses left out, weighted)" in words


@pytest.mark.skipif(not (SHARED / "crm" / "attrition.csv").exists(), reason="../shared/data/crm not present")
def test_everyones_outcome_on_a_real_hr_file_is_in_its_own_words():
    params = load_params(ROOT / "parameters" / "examples" / "attrition.yaml")
    c = load_dataset(params).customers
    words = metrics.outcome_sentence(c, params)
    share = 100 * (c["Attrition"] == "Yes").mean()  # no prospects, no weights: a plain share
    assert words.startswith(f"**Left the company: Yes — {share:.1f}%** of all {len(c):,} employees;")
