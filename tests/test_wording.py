"""Plain words for readers: rules from the parameter file, model names, notes, CSVs as tables."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analyses import filters, leads, profiles, value
from helpers.core import formats
from helpers.params.loading import load_params
from helpers.params.wording import describe
from helpers.setup.facts import currency_in


@pytest.fixture
def params(make_params):
    return load_params(
        make_params({"value_labels": {"region": {"1": "North", "2": "South"}}, "labels.region": "Region"})
    )


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("orders_12m >= 6", "Orders in the last 12 months at least 6"),
        ("orders_12m >= 1 and orders_12m <= 2", "Orders in the last 12 months between 1 and 2"),
        ("2 >= orders_12m", "Orders in the last 12 months at most 2"),
        ('city_tier == "urban" and gender == "female"', "Type of place is urban and gender is female"),
        ('income_band in ["75k-100k", "100k+"]', "Income band is 75k-100k or 100k+"),
        ('promotion_code not in ["A", "B"]', "Promotion code is neither A nor B"),
        ("att_trusts_reviews >= 4", "“I trust customer reviews”: Agree or Strongly agree"),
        ("first_order_full_price == 1", "First order at full price: yes"),
        ("region == 2", "Region is South"),
        ("not (orders >= 2) or spend > 100", "Not orders at least 2 or total spend above 100"),
    ],
)
def test_rules_read_as_sentences(params, expression, words):
    assert describe(expression, params) == words


def test_no_rule_or_key_reaches_the_filter_table(params):
    frame = pd.DataFrame({"orders_12m": [0] * 50 + [7] * 5 + [1] * 45, "city_tier": "urban"})
    params = params.model_copy(
        update={"filters": {"heavy_buyers": "orders_12m >= 6", "light": "orders_12m == 1"}}
    )
    masks = filters.filter_masks(frame, params)
    table = filters.sizes_table(masks, pd.Series(1.0, index=frame.index), params)
    assert list(table.index) == ["Heavy buyers", "Light"]
    assert table.loc["Light", "who is in it"] == "Orders in the last 12 months is 1"
    assert (table.loc["Heavy buyers", ["people", "share %"]] == "<10").all()  # 5 people: hidden
    overlap = filters.overlap_table(masks, params)
    assert overlap.loc["Heavy buyers"].isna().all() and overlap.loc["Light", "Light"] == 100


def test_csv_numbers_are_rounded_and_booleans_are_words():
    table = pd.DataFrame(
        {"share %": [12.3456, "<10"], "CLV": [3.14159, 2.0], "p": [1.234567e-5, 0.5], "ok": [True, False]}
    )
    out = formats.for_csv(table)
    assert out["share %"].tolist() == [12.35, "<10"] and out["CLV"].tolist() == [3.14, 2.0]
    assert out["p"].tolist() == [1.234567e-5, 0.5]  # p-values keep their precision
    assert out["ok"].tolist() == ["yes", "no"]


def test_model_names_are_words_not_classes():
    assert set(value.MODEL_NAMES.values()) >= {"purchases (BG/NBD)", "spend per purchase (Gamma-Gamma)"}
    assert all("Model" not in name for name in value.MODEL_NAMES.values())


def test_rfm_names_that_disagree_with_the_model_are_explained():
    rfm = pd.DataFrame(
        {
            "mean P(alive)": [0.7, 0.12, 0.64],
            "bought only once %": [0.0, 0.0, 61.0],
            "mean days since the last purchase": [59.0, 313.0, 500.0],
        },
        index=["Champions", "Loyal", "Hibernating"],
    )
    note = value.rfm_note(rfm)
    assert "*Hibernating* (61% bought only once)" in note and "above *Loyal* (0.12)" in note
    agree = rfm.assign(**{"mean P(alive)": [0.7, 0.5, 0.1]})
    assert value.rfm_note(agree) == ""


def test_at_risk_shares_that_barely_differ_are_called_so():
    by = pd.DataFrame({"customers": [100, 300], "at risk %": [48.0, 52.0]}, index=["email", "paid"])
    note = value.risk_note(by, "acquisition channel", 0.5)
    assert "51% of all the buyers shown" in note and "says little about who is at risk" in note
    by.loc["paid", "at risk %"] = 70.0
    assert "from 48% (*email*) to 70% (*paid*)" in value.risk_note(by, "channel", 0.5, lead=False)


def test_typing_confusion_hides_cells_of_few_people():
    counts = pd.DataFrame([[95, 5], [0, 100]], index=[1, 2], columns=[1, 2])
    tool = leads.TypingTool(
        [], None, [1, 2], 0.5, 0.97, 100 * counts.div(counts.sum(axis=1), axis=0), {}, counts
    )
    table = leads.confusion_table(tool, {1: "Avery", 2: "Drew"}, 10)
    assert list(table.index) == ["1. Avery", "2. Drew"]
    assert (
        table.loc["1. Avery", "2. Drew"] == "<10" and table.loc["2. Drew", "1. Avery"] == 0
    )  # zero is no one


def test_currency_is_found_in_money_written_as_text():
    frame = pd.DataFrame({"id": [1, 2, 3], "amount": ["£12.50", "£1,204.00", "£3.99"]})
    assert currency_in([frame]) == ("£", "amount")
    assert currency_in([pd.DataFrame({"amount": [12.5, 3.0]})]) == ("", "")


def test_histogram_bars_of_few_people_are_not_drawn():
    from helpers.present import plots

    values = pd.DataFrame({"age": [30] * 50 + [31] * 40 + [90] * 3})
    fig = plots.histograms(values, {"age": "Age"}, clip=1.0, min_cell=10)
    bars = fig.axes[0].patches
    assert sorted(round(b.get_height()) for b in bars) == [40, 50]  # the 3 people aged 90: no bar
    assert "not drawn" in " ".join(t.get_text() for t in fig.texts)


def test_segment_index_cells_of_few_people_are_blank():

    index = pd.DataFrame(
        {1: [150.0, 20.0], 2: [50.0, 180.0]},
        index=pd.MultiIndex.from_tuples(
            [("Region", "North"), ("Region", "South")], names=["variable", "answer"]
        ),
    )
    counts = pd.DataFrame({1: [300, 4], 2: [100, 0]}, index=index.index)
    few = profiles.too_few(profiles.SegmentProfile(index, index / 100, counts), 10)
    assert few.loc[("Region", "South"), 1] and not few.loc[("Region", "South"), 2]  # zero: no one


def test_retention_shares_of_few_active_customers_are_hidden():
    from helpers.analyses.cohorts import Retention

    cells = pd.DataFrame(
        {"group": ["A"] * 3, "cohort": [1] * 3, "n": [0, 1, 2], "active": [500, 60, 3], "size": [500] * 3,
         "revenue": [1.0] * 3, "retention": [1.0, 0.12, 0.006], "revenue_retention": [1.0] * 3}
    )  # fmt: skip
    table = Retention(cells, "month", "on").table_at([1, 2], min_cell=10)
    assert table.loc["A", "active in month 1 %"] == pytest.approx(12.0)
    assert table.loc["A", "active in month 2 %"] == "<10" and table.loc["A", "customers"] == 500


def test_the_value_caveat_travels_to_other_reports(tmp_path):
    check = tmp_path / "04_cohorts"
    check.mkdir()
    assert value.caveat_for(str(tmp_path / "05_personas")) == ""  # 04 did not run
    (check / "value_check.json").write_text('{"predicted": 12723, "actual": 10857}')
    caveat = value.caveat_for(str(tmp_path / "05_personas"))
    assert "over-forecast the holdout period by 17%" in caveat
    (check / "value_check.json").write_text('{"predicted": 105, "actual": 100}')
    assert value.caveat_for(str(tmp_path / "05_personas")) == ""  # within 10%: no caveat


def test_one_field_against_another_reads_as_words(tmp_path):
    from conftest import ROOT

    from helpers.params.loading import parse_params, read_yaml

    raw = read_yaml((ROOT / "parameters" / "demo-saas.yaml").read_text())
    for key in raw["data"]:  # the wording needs no data: empty stand-ins for the files
        raw["data"][key]["path"] = str(tmp_path / f"{key}.parquet")
        (tmp_path / f"{key}.parquet").touch()
    params = parse_params(raw, "demo-saas.yaml", tmp_path)
    text = describe("days_to_connected_integration < days_to_subscribed", params)
    assert text == "Days to the first “connected integration” below days to the first “subscribed”"
    assert describe("days_to_invited_colleague < 7", params) == "Days to the first colleague invited below 7"
