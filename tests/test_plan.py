"""The plan: what each report section needs, what this run has, and what `check` prints."""

from __future__ import annotations

import pytest
from conftest import ROOT

from helpers.batch.notebooks import list_notebooks
from helpers.core.errors import ConfigError
from helpers.params import plan
from helpers.params.loading import load_params

NOTEBOOKS = list_notebooks(ROOT / "notebooks")


def test_the_demo_has_everything_the_reports_need(make_params):
    params = load_params(make_params())
    assert {"customers", "orders", "amount", "linked", "churn", "attitudes", "weights"} <= plan.available(
        params
    )
    lines = plan.describe(NOTEBOOKS, params)
    assert all("skipped" not in line for line in lines)


def test_an_orders_only_run_skips_the_profile_reports(tmp_path):
    path = tmp_path / "p.yaml"
    (tmp_path / "o.csv").write_text("c,t\n1,2024-01-01\n")
    path.write_text(
        "period: o\nas_of: 2024-01-31\ndata: {orders: {path: o.csv}}\n"
        "orders: {customer_id: c, timestamp: t}\n"
    )
    params = load_params(path)
    assert plan.available(params) == {"orders", "activity", "purchase_model"}
    lines = "\n".join(plan.describe(NOTEBOOKS, params))
    for report in ("02_filter", "03_segment", "05_personas"):
        assert f"{report}: skipped — needs a customer or account file" in lines
    assert "01_explore:" in lines and "order amounts (`orders.amount`)" in lines


def test_a_missing_need_is_one_sentence():
    text = plan.sentence(["orders", "amount"])
    assert text.startswith("*Not shown for this run: this part needs an orders file")
    assert "and order amounts" in text


def test_unknown_needs_are_refused(make_params):
    with pytest.raises(ConfigError, match="unknown need"):
        plan.missing(["oders"], load_params(make_params()))


def test_a_part_for_the_model_not_chosen_says_so_whatever_else_it_lacks():
    assert plan.sentence(["subscriptions"]).startswith("*Not the model chosen for this run:")
    assert plan.sentence(["channel", "purchase_model"]).startswith("*Not the model chosen for this run:")
    assert plan.sentence(["channel"]).startswith("*Not shown for this run: this part needs an acquisition")
