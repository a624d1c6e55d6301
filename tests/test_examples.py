"""Every example parameter file over the shared real data passes `check` and publishes every
report its data can make (the examples are how a new user starts with their own file)."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from conftest import ROOT, SHARED
from typer.testing import CliRunner

from helpers.analyses import crosstab, explore, file_summary
from helpers.batch.notebooks import list_notebooks
from helpers.batch.run import run_batch
from helpers.cli import app
from helpers.data.dataset import load_dataset, weights
from helpers.params import plan, schema, wording
from helpers.params.loading import load_params, read_yaml

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


# --- sentences in the data's own words (issue #28) ----------------------------------------------


def _sentences(params):
    """Every crosstab headline and explore highlight a run of these parameters writes."""
    data = load_dataset(params)
    frame = data.customers
    tables = crosstab.build_tables(
        frame, params, weights(frame, params), crosstab.banner_columns(frame, params)
    )
    lines = crosstab.biggest_differences(tables, 500) + crosstab.glance_lines(tables, len(params.filters))
    lines += file_summary.highlights(
        data, explore.missing_summary(frame, params), explore.likert_summary(frame, params)
    )
    return lines, tables


@needs_shared
@pytest.mark.parametrize("name", ["ess9_gb", "ces11", "attrition"])
def test_real_surveys_never_say_agree_on_a_scale_that_is_not_agreement(name):
    params = load_params(ROOT / "parameters" / "examples" / f"{name}.yaml")
    scales = schema.scales_in_use(params)
    assert scales and not any(s.agreement for s in scales.values())
    lines, _ = _sentences(params)
    labels = [schema.label_of(item, params) for item in scales]
    about_scales = [s for s in lines if any(f"“{label}”" in s for label in labels)]
    assert about_scales  # real findings about attitude items are checked, not an empty list
    assert not [s for s in lines if "agree" in s.lower()]
    who = schema.population(params).plural
    assert who == ("employees" if name == "attrition" else "respondents")
    assert not [s for s in lines if "customer" in s.lower()]
    if name == "ess9_gb":  # 0–10: the numbers, since the middle points have no words
        assert any("9–10 on a 0–10 scale" in s for s in about_scales)
    else:  # scales in words: the words
        assert all("say “" in s for s in about_scales if "top-box" not in s)


@needs_shared
def test_codes_without_labels_never_reach_a_sentence_as_a_bare_number(tmp_path):
    """caravan without its code book: "code 8", never "Customer main type: 8"; check warns."""
    source = ROOT / "parameters" / "examples" / "caravan.yaml"
    raw = read_yaml(source.read_text())
    for column in ("MOSHOOFD", "MGEMLEEF"):
        del raw["labels"]["values"][column]
    raw["data"]["customers"]["path"] = str((source.parent / raw["data"]["customers"]["path"]).resolve())
    raw["filters"]["families_with_grown_ups"] = "MOSHOOFD == 8"
    path = tmp_path / "caravan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    params = load_params(path)
    lines, tables = _sentences(params)
    lines.append(wording.describe(params.filters["families_with_grown_ups"], params))
    titles = [c.title for c in tables[0].columns]
    profile = explore.profile_dimension(load_dataset(params).customers, params, "demographic").tables
    rows = set(profile["Customer main type"].index) | set(profile["Age band"].index)
    assert "Customer main type: code 8" in titles
    assert rows and all(str(r).startswith("code ") or r == "Other (small groups)" for r in rows)
    assert lines[-1] == "Customer main type is code 8"
    bare = re.compile(r"(Customer main type|Age band)\*?:? (is )?\*?\d")
    assert not [s for s in lines + titles if bare.search(s)]
    out = CliRunner().invoke(app, ["check", str(path)])
    assert out.exit_code == 0, out.output
    warnings = [line for line in out.output.splitlines() if line.strip().startswith("warning:")]
    assert any("MOSHOOFD" in w and "`labels.values.MOSHOOFD`" in w for w in warnings)
    assert any("MGEMLEEF" in w for w in warnings) and not any("MOSTYPE" in w for w in warnings)
