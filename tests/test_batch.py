"""The quarterly batch end to end: publish, version, stay offline, leak nothing, fail safely."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import nbformat
import pandas as pd
import pytest
from conftest import CANARIES, ROOT, SINGLETONS, tree_digest, workbook

from helpers.params.loading import read_yaml

pytestmark = pytest.mark.slow

EXTERNAL = re.compile(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|src=[\"']//|url\((?!data:)", re.I)


def test_first_run_publishes_v1_with_every_part(site):
    v1 = site["reports"] / "demo" / "v1"
    for part in (
        "01_explore.html",
        "index.html",
        "manifest.json",
        "notebooks/01_explore.ipynb",
        "tables/01_explore/status.csv",
        "02_filter.html",
        "04_cohorts.html",
        "tables/04_cohorts/channel_economics.csv",
        "03_segment.html",
        "tables/03_segment/segments.csv",
        "05_personas.html",
        "personas.html",
        "tables/05_personas/persona_facts.csv",
    ):
        assert (v1 / part).exists(), part
    assert list((v1 / "tables" / "02_filter").glob("banner_Buyers*.csv"))
    assert "Report index:" in site["first"].stdout and "Published v1" in site["first"].stdout
    out = site["first"].stdout
    names = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    for i, name in enumerate(names, start=1):
        assert f"[{i}/{len(names)}] {name}" in out


def test_manifest_records_how_the_version_was_made(site):
    m = json.loads((site["reports"] / "demo" / "v1" / "manifest.json").read_text())
    assert m["period"] == "demo" and m["version"] == 1 and m["status"] == "published"
    assert m["parameters"]["columns"]["id"] == "customer_id"
    roles = {i["role"] for i in m["inputs"]}
    assert roles == {"parameters", "customers", "orders"}
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    assert m["packages"]["pandas"] and m["packages"]["python"].startswith("3.1")
    assert m["lock_sha256"] == hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()
    assert m["notebooks_side_by_side"] in (1, 2)
    nb = m["notebooks"][0]
    assert nb["name"] == "01_explore" and nb["status"] == "ok" and nb["duration_s"] > 0
    assert m["started"] < m["finished"]
    assert "git_commit" in m


def test_second_run_is_v2_and_leaves_v1_byte_identical(site):
    assert "Published v2" in site["second"].stdout
    assert tree_digest(site["reports"] / "demo" / "v1") == site["v1"]
    index = (site["reports"] / "index.html").read_text()
    assert index.index("demo/v2/index.html") < index.index("demo/v1/index.html")  # newest first


def test_reports_are_offline(site):
    pages = list(site["reports"].rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        hit = EXTERNAL.search(text)
        assert hit is None, f"{page} points at the network: {text[max(0, hit.start() - 60) : hit.end() + 60]}"
        assert "<script src" not in text


def test_report_hides_code_and_shows_no_errors(site):
    html = (site["reports"] / "demo" / "v1" / "01_explore.html").read_text()
    assert "load_dataset(" not in html and "import " not in html
    assert "Traceback" not in html and "Warning" not in html
    assert html.count("data:image/png;base64") >= 8  # the charts are there, inline


def test_no_personal_data_in_any_published_file(site):
    for path in site["reports"].rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="ignore")
            for canary in CANARIES:
                assert canary not in text, f"{canary} leaked into {path}"


def test_a_group_of_one_is_never_shown(site):
    for path in (site["reports"] / "demo" / "v1").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".ipynb"):
            text = path.read_text(encoding="utf-8", errors="ignore")
            for value in SINGLETONS.values():
                assert value not in text, f"{value} (one person) appears in {path.name}"


def test_text_from_data_is_shown_as_text_never_run(site):
    v1 = site["reports"] / "demo" / "v1"
    shown = 0
    for page in v1.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<img src=x" not in text, f"markup from data rendered in {page.name}"
        assert 'http-equiv="Content-Security-Policy"' in text and "default-src 'none'" in text
        shown += text.count("&lt;img src=x")
    assert shown > 0  # the value is there, as text
    banner = next((v1 / "tables" / "02_filter").glob("banner_Buyers*.csv")).read_text()
    assert "'=HYPERLINK" in banner and ",=HYPERLINK" not in banner


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium); the static checks above still run",
)
def test_no_payload_fires_in_a_browser(site, tmp_path):
    v1 = site["reports"] / "demo" / "v1"
    for page in sorted(v1.glob("*.html")):
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / page.stem}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        assert "<body" in dom, page.name
        assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0], page.name


def test_identical_runs_give_byte_identical_tables(site):
    v1, v2 = site["reports"] / "demo" / "v1" / "tables", site["reports"] / "demo" / "v2" / "tables"
    first = {p.relative_to(v1): p.read_bytes() for p in v1.rglob("*.csv")}
    second = {p.relative_to(v2): p.read_bytes() for p in v2.rglob("*.csv")}
    assert first.keys() == second.keys() and len(first) > 20
    differ = [str(k) for k in first if first[k] != second[k]]
    assert not differ, differ


def test_exported_tables_hide_small_cells(site):
    tables = site["reports"] / "demo" / "v1" / "tables" / "01_explore"
    for path in tables.glob("*.csv"):
        t = pd.read_csv(path)
        if "respondents" in t.columns:
            n = pd.to_numeric(t["respondents"], errors="coerce")
            assert not ((n > 0) & (n < 10)).any(), path.name


def test_the_segment_model_stays_private(site):
    assert not list(site["reports"].rglob("*.joblib"))
    assert (site["work"] / "private" / "demo" / "v1" / "03_segment" / "segment_model.joblib").exists()


def test_published_notebooks_have_outputs_and_injected_parameters(site):
    nb = nbformat.read(site["reports"] / "demo" / "v1" / "notebooks" / "01_explore.ipynb", 4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert ["injected-parameters"] in tags
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_a_failed_notebook_publishes_nothing(site, tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    boom = nbformat.v4.new_notebook()
    boom.cells = [
        nbformat.v4.new_code_cell(
            'params_path = ""\ntables_dir = ""\nprivate_dir = ""', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"),
    ]
    nbformat.write(boom, notebooks / "02_boom.ipynb")
    before = tree_digest(site["reports"])
    result = workbook("run", "params.yaml", "--notebooks", str(notebooks), cwd=site["work"])
    assert result.returncode == 1
    assert "02_boom failed" in result.stderr and "planted failure" in result.stderr
    assert "Traceback" not in result.stderr
    after = tree_digest(site["reports"])
    published = {k: v for k, v in after.items() if not k.startswith(("_failed", ".lock"))}
    assert published == {k: v for k, v in before.items() if not k.startswith(("_failed", ".lock"))}
    assert not (site["reports"] / "demo" / "v3").exists()
    failed = [p for p in (site["reports"] / "_failed").iterdir() if p.is_dir()]
    assert len(failed) == 1 and (failed[0] / "notebooks" / "02_boom.ipynb").exists()
    assert not list(site["reports"].glob(".build-*"))


def test_bad_data_stops_before_any_notebook(site, tmp_path):
    import yaml

    raw = read_yaml((site["work"] / "params.yaml").read_text())
    raw["columns"]["demographic"].append("shoe_size")
    (site["work"] / "bad.yaml").write_text(yaml.safe_dump(raw))
    before = tree_digest(site["reports"])
    result = workbook("run", "bad.yaml", cwd=site["work"])
    assert result.returncode == 2
    assert "column 'shoe_size': declared in the parameters but not in the file" in result.stderr
    assert "Traceback" not in result.stderr
    assert "01_explore" not in result.stdout
    assert tree_digest(site["reports"]) == before


def test_only_selects_notebooks_and_rejects_unknown_ones(site):
    result = workbook("run", "params.yaml", "--only", "99_nothing", cwd=site["work"])
    assert result.returncode == 2 and "--only 99_nothing: no such notebook" in result.stderr


CDNOW = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"


@pytest.mark.skipif(not CDNOW.exists(), reason="../shared/data/cdnow not present")
def test_the_whole_workbook_on_cdnow_orders_only(tmp_path):
    import yaml

    params = {
        "period": "cdnow",
        "as_of": "1998-06-30",
        "title": "CDNOW",
        "data": {"orders": {"path": str(CDNOW), "delimiter": "whitespace"}},
        "orders": {
            "customer_id": "customer_id",
            "timestamp": "date",
            "timestamp_format": "%Y%m%d",
            "amount": "dollar_value",
        },
        "value": {"holdout": 39, "churn_drivers": False},
    }
    (tmp_path / "cdnow.yaml").write_text(yaml.safe_dump(params))
    result = workbook("run", "cdnow.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    v1 = tmp_path / "reports" / "cdnow" / "v1"
    manifest = json.loads((v1 / "manifest.json").read_text())
    status = {nb["name"]: nb["status"] for nb in manifest["notebooks"]}
    assert status["01_explore"] == "ok" and status["02_filter"] == "skipped"
    assert status["03_segment"] == "skipped" and status["05_personas"] == "skipped"
    assert status["04_cohorts"] == "ok"
    skipped = (v1 / "02_filter.html").read_text()
    assert "needs a customer or account file" in skipped
    report = (v1 / "04_cohorts.html").read_text()
    for part in (
        "Retention by acquisition cohort",
        "Stick point",
        "Model check",
        "RFM groups",
        "Not available for this run",
    ):
        assert part in report, part
    assert "Traceback" not in report
    retention = pd.read_csv(v1 / "tables" / "04_cohorts" / "retention_customers.csv", index_col=0)
    assert list(retention.index) == ["1997-01", "1997-02", "1997-03"]
