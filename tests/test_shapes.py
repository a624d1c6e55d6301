"""Conformance: every shape of data publishes every report that can say something, no section
fails, and nothing claims what the data lacks.

Each shape is derived from the small demo data by dropping roles and columns, turning statuses
into Yes/No words in a CSV, recoding attitude scales to 3 points (-1/0/1), 11 points (0–10) and
ordered words, coding a column as numbers with value labels, and dropping order amounts or order
ids. The whole batch runs on each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.batch.run import run_batch

pytestmark = pytest.mark.slow

ITEMS = [
    "att_price_sensitive",
    "att_deal_hunter",
    "att_quality_first",
    "att_brand_loyal",
    "att_tries_new",
    "att_social_influence",
]
FAST_SEGMENTS = {"k_max": 4, "bootstrap": 2, "seeds": 1, "n_init": 2, "sample_size": 1500}
REPORTS = ["01_explore", "02_filter", "03_segment", "04_cohorts", "05_personas"]


def _customers(demo_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(demo_dir / "customers.parquet")


def _orders(demo_dir: Path) -> pd.DataFrame:
    """The demo's orders as a plain export: one row per order, no guests, returns or products."""
    orders = pd.read_parquet(demo_dir / "orders.parquet")
    orders = orders[(orders["amount"] > 0) & orders["customer_id"].notna()]
    return orders.drop(columns=["category", "channel"]).reset_index(drop=True)


def _survey_only(demo_dir: Path, work: Path) -> dict[str, Any]:
    """A survey: attitudes on three kinds of scale, a coded column with labels, weights, NPS."""
    c = _customers(demo_dir)
    rng = np.random.default_rng(3)
    # 3 points, -1/0/1: 1–2 → -1, 3 → 0, 4–5 → 1
    for col in ITEMS[:2]:
        c[col] = c[col].map({1: -1, 2: -1, 3: 0, 4: 1, 5: 1}).astype("Int64")
    # 11 points, 0–10
    for col in ITEMS[2:4]:
        c[col] = (c[col].astype(float) * 2 + rng.integers(-1, 1, len(c))).clip(0, 10).astype("Int64")
    # ordered words, in no alphabetical order
    words = {1: "never", 2: "rarely", 3: "sometimes", 4: "often", 5: "always"}
    for col in ITEMS[4:]:
        c[col] = c[col].map(words)
    codes = {"North": 1, "South": 2, "East": 3, "West": 4, "Central": 5}
    c["region_code"] = c["region"].map(codes)
    c = c.rename(columns={"weight": "survey_wt", "nps": "recommend"})
    c.to_csv(work / "survey.csv", index=False)
    return {
        "period": "survey",
        "as_of": "2026-09-30",
        "title": "Survey only",
        "data": {"customers": {"path": "survey.csv"}},
        "columns": {
            "id": "customer_id",
            "demographic": ["age", "income_band"],
            "geographic": ["region_code", "city_tier"],
            "psychographic": ITEMS,
            "multi_response": {"interests": {"dimension": "psychographic", "column": "interests"}},
            "nps": "recommend",
            "weight": "survey_wt",
            "open_text": ["open_answer"],
            "personal": ["name", "email", "phone"],
        },
        "labels": {"region_code": "Region", "values": {"region_code": {v: k for k, v in codes.items()}}},
        "scales": {
            "three": {
                "points": [-1, 0, 1],
                "labels": {-1: "Disagree", 0: "Neutral", 1: "Agree"},
                "items": ITEMS[:2],
            },
            "eleven": {"min": 0, "max": 10, "low": "unlikely", "high": "likely", "items": ITEMS[2:4]},
            "words": {"points": list(words.values()), "low": "never", "high": "always", "items": ITEMS[4:]},
        },
        "filters": {"north": 'region_code == "North"', "always_new": 'att_tries_new == "always"'},
        "crosstab": {
            "banners": [
                {"name": "Region", "column": "region_code"},
                {"name": "Try new", "filters": ["always_new"]},
            ]
        },
        "segment": FAST_SEGMENTS,
    }


def _crm_only(demo_dir: Path, work: Path) -> dict[str, Any]:
    """A CRM export: Yes/No churn flag in a CSV, no attitudes, no orders."""
    c = _customers(demo_dir)
    c["Churn"] = np.where(c["status"] == "churned", "Yes", "No")
    c["Plan"] = np.where(c["channel_preference"] == "online", "Yes", "No")
    keep = [
        "customer_id",
        "Churn",
        "gender",
        "income_band",
        "region",
        "city_tier",
        "Plan",
        "referrals_made",
        "reviews_left",
        "acquisition_cost",
    ]
    c[keep].to_csv(work / "crm.csv", index=False)
    return {
        "period": "crm",
        "as_of": "2026-09-30",
        "title": "CRM only",
        "data": {"customers": {"path": "crm.csv"}},
        "columns": {
            "id": "customer_id",
            "status": {"column": "Churn", "churned": ["Yes"], "customer": ["No"]},
            "demographic": ["gender", "income_band"],
            "geographic": ["region", "city_tier"],
            "behavioural": ["Plan", "referrals_made", "reviews_left", "acquisition_cost"],
        },
        "filters": {"churned": 'Churn == "Yes"', "on_plan": 'Plan == "Yes"'},
        "crosstab": {"banners": [{"name": "Churn", "column": "Churn"}]},
        "segment": FAST_SEGMENTS,
    }


def _orders_only(
    demo_dir: Path, work: Path, amount: bool = True, order_id: bool = True, duplicates: int = 0
) -> dict[str, Any]:
    o = _orders(demo_dir)
    if not amount:
        o = o.drop(columns=["amount"])
    if not order_id:
        o = o.drop(columns=["order_id"])
    if duplicates:
        o = pd.concat([o, o.sample(duplicates, random_state=1)], ignore_index=True)
    o.to_csv(work / "orders.csv", index=False)
    cols = {"customer_id": "customer_id", "timestamp": "order_ts"}
    if amount:
        cols["amount"] = "amount"
    if order_id:
        cols["order_id"] = "order_id"
    return {
        "period": "orders",
        "as_of": "2026-09-30",
        "title": "Orders only",
        "data": {"orders": {"path": "orders.csv"}},
        "orders": cols,
        "value": {"holdout": 26},
    }


def _customers_and_orders_no_amount(demo_dir: Path, work: Path) -> dict[str, Any]:
    """The demo's people with orders that have no amounts and no ids."""
    raw = _survey_only(demo_dir, work)
    o = _orders(demo_dir).drop(columns=["amount", "order_id"])
    o.to_parquet(work / "orders.parquet")
    raw.update({"period": "people-and-counts", "title": "Customers and orders without amounts"})
    raw["data"]["orders"] = {"path": "orders.parquet"}
    raw["orders"] = {"customer_id": "customer_id", "timestamp": "order_ts"}
    raw["filters"]["heavy"] = "orders_12m >= 4"
    return raw


SHAPES = {
    "survey_only": (_survey_only, ["01_explore", "02_filter", "03_segment", "05_personas"]),
    "crm_only": (_crm_only, ["01_explore", "02_filter", "03_segment", "05_personas"]),
    "orders_only": (_orders_only, ["01_explore", "04_cohorts"]),
    "orders_without_amounts": (lambda d, w: _orders_only(d, w, amount=False), ["01_explore", "04_cohorts"]),
    "orders_without_ids": (
        lambda d, w: _orders_only(d, w, order_id=False, duplicates=40),
        ["01_explore", "04_cohorts"],
    ),
    "customers_and_orders_without_amounts": (_customers_and_orders_no_amount, REPORTS),
}


@pytest.fixture(scope="module", params=list(SHAPES))
def published(request, demo_dir, tmp_path_factory):
    name = request.param
    build, expected = SHAPES[name]
    work = tmp_path_factory.mktemp(name)
    raw = build(demo_dir, work)
    (work / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    result = run_batch(work / "params.yaml", work / "reports", work / "private", progress=lambda _: None)
    return name, expected, result, raw


def _page_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S))


def test_every_applicable_report_publishes(published):
    name, expected, result, _ = published
    assert result.ok, f"{name}: {[(r.name, r.error) for r in result.notebooks if r.error]}"
    status = {r.name: r.status for r in result.notebooks}
    assert [r for r in REPORTS if status[r] == "ok"] == expected
    assert all(status[r] == "skipped" for r in REPORTS if r not in expected)


def test_no_section_fails_and_nothing_is_made_up(published):
    name, expected, result, raw = published
    for report in expected:
        text = _page_text((result.folder / f"{report}.html").read_text(encoding="utf-8"))
        for bad in ("Traceback", "Error", "nan%", "NaN", "True", "False", "Top-2-box"):
            assert bad not in text, f"{name}/{report}: {bad!r} in the page"
        if "weight" not in str(raw.get("columns", {})):
            assert "Survey weights are in use" not in text
        if "personas" not in raw:  # no age or gender declared: none stated or implied
            assert "years old" not in text and "median age" not in text
        if "orders" not in raw["data"]:
            assert "buyers placed orders" not in text


def test_quality_table_with_orders_lists_duplicates_without_ids(published):
    name, _, result, raw = published
    if "orders" not in raw["data"]:
        pytest.skip("no orders in this shape")
    quality = pd.read_csv(result.folder / "tables" / "01_explore" / "data_quality.csv")
    if name == "orders_without_ids":
        dup = quality[quality["check"].str.startswith("duplicate rows")]
        orders = pd.read_csv(result.folder.parents[2] / "orders.csv")
        planted = len(orders) - len(orders.drop_duplicates())  # 40 planted, and the demo's own
        assert planted >= 40 and dup["rows"].tolist() == [planted]


def test_boxes_never_overlap_and_follow_each_scale(published):
    name, _, result, _ = published
    if name != "survey_only":
        pytest.skip("scales are recoded in the survey shape")
    table = pd.read_csv(result.folder / "tables" / "01_explore" / "attitudes.csv").set_index("item")
    assert (table["top box %"] + table["bottom box %"] <= 100 + 1e-9).all()
    three = table.loc["att_price_sensitive"]
    assert three["top box %"] == pytest.approx(three["Agree"], abs=0.01)  # the top box is 1 alone
    assert three["bottom box %"] == pytest.approx(three["Disagree"], abs=0.01)
    words = table.loc["att_tries_new"]
    assert words["top box %"] == pytest.approx(words["often"] + words["always"], abs=0.01)


def test_words_and_labels_are_kept(published):
    name, _, result, _ = published
    tables = result.folder / "tables"
    if name == "survey_only":
        geo = pd.read_csv(tables / "01_explore" / "geographic.csv")
        assert {"North", "South"} <= set(geo["answer"])
        assert not {"1", "2", "1.0"} & set(geo["answer"].astype(str))
    if name == "crm_only":
        text = "\n".join(p.read_text() for p in (tables / "02_filter").glob("*.csv"))
        assert "Yes" in text and "True" not in text and "False" not in text


def test_persona_names_are_unique(published):
    name, expected, result, _ = published
    if "05_personas" not in expected:
        pytest.skip("no personas in this shape")
    facts = pd.read_csv(result.folder / "tables" / "05_personas" / "persona_facts.csv")
    assert facts["name"].is_unique and facts["what sets it apart"].is_unique
    assert "age band" not in facts.columns and "gender" not in facts.columns


def test_check_prints_the_plan(published):
    _, _, result, _ = published
    manifest = json.loads((result.folder / "manifest.json").read_text())
    skipped = [n for n in manifest["notebooks"] if n["status"] == "skipped"]
    for page in skipped:
        text = (result.folder / page["html"]).read_text(encoding="utf-8")
        assert "This report was not made for this run: it needs" in text
        assert "complete" not in text
