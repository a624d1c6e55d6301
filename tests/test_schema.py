"""The role and value model: scales of any length and direction, status mappings, Yes/No words,
value labels, and filters that are checked against the values a column takes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import fields, plan, schema
from helpers.config import Likert, parse_params
from helpers.errors import ConfigError
from helpers.readers import read_frame


def _params(tmp_path, **extra):
    raw = {
        "period": "t",
        "as_of": "2024-01-31",
        "data": {"customers": {"path": "c.csv"}},
        "columns": {"id": "id", "psychographic": ["q1", "q2", "q3"]},
    }
    (tmp_path / "c.csv").write_text("id\n1\n")
    for key, value in extra.items():
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return parse_params(raw, "p.yaml", tmp_path)


@pytest.mark.parametrize(
    ("spec", "top", "bottom"),
    [
        ({"points": [-1, 0, 1]}, (1.0,), (-1.0,)),
        ({"min": 1, "max": 5}, (4.0, 5.0), (1.0, 2.0)),
        ({"min": 1, "max": 4}, (3.0, 4.0), (1.0, 2.0)),
        ({"min": 0, "max": 10}, (9.0, 10.0), (0.0, 1.0, 2.0, 3.0, 4.0)),
        ({"min": 1, "max": 2}, (2.0,), (1.0,)),
        ({"points": ["Low", "Medium", "High", "Very_High"]}, (3.0, 4.0), (1.0, 2.0)),
    ],
)
def test_boxes_never_overlap_and_leave_the_middle_out(spec, top, bottom):
    scale = schema.Scale.from_spec(Likert(**spec))
    assert scale.top == top and scale.bottom == bottom
    assert not set(scale.top) & set(scale.bottom)


def test_overlapping_boxes_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        Likert(min=1, max=5, top_box=3, bottom_box=3)


def test_words_are_counted_by_position_and_keep_their_labels():
    scale = schema.Scale.from_spec(
        Likert(points=["not", "notvery", "somewhat", "very"], labels={"very": "Very important"})
    )
    answers = pd.Series(["very", "NOT", None, "somewhat"])
    assert scale.numbers(answers).tolist()[:2] == [4.0, 1.0]
    assert scale.in_top(answers).tolist()[0] == 1.0 and scale.in_top(answers).isna()[2]
    assert scale.labels == ("not", "notvery", "somewhat", "Very important")
    assert scale.canonical(answers).tolist()[1] == "not"


def test_sentences_use_the_scales_own_words():
    agree = schema.Scale.from_spec(Likert())
    assert agree.agree_phrase("Price matters") == "agree that “Price matters”"
    eleven = schema.Scale.from_spec(Likert(min=0, max=10, low="bad", high="good"))
    assert eleven.agree_phrase("Immigration") == "rate “Immigration” at the good end (top box: 9–10)"
    assert "bad end (bottom box: 0–4)" in eleven.disagree_phrase("Immigration")


def test_items_take_their_named_scale(tmp_path):
    params = _params(tmp_path, scales={"three": {"points": [-1, 0, 1], "items": ["q2"]}})
    assert schema.scale_of("q2", params).points == (-1.0, 0.0, 1.0)
    assert schema.scale_of("q1", params).points == (1.0, 2.0, 3.0, 4.0, 5.0)


def test_a_scale_item_must_be_psychographic_and_on_one_scale(tmp_path):
    with pytest.raises(ConfigError, match="not a psychographic item"):
        _params(tmp_path, scales={"s": {"min": 0, "max": 10, "items": ["age"]}})
    with pytest.raises(ConfigError, match="also on scale"):
        _params(
            tmp_path,
            scales={"a": {"min": 0, "max": 10, "items": ["q1"]}, "b": {"min": 1, "max": 3, "items": ["q1"]}},
        )


def test_status_mapping_in_the_files_own_words(tmp_path):
    params = _params(
        tmp_path, **{"columns.status": {"column": "churn", "churned": ["Yes"], "customer": ["no"]}}
    )
    groups = schema.status_groups(pd.Series(["yes", "No", None, "maybe"]), params)
    assert groups.tolist()[:2] == ["churned", "customer"]
    assert groups.isna().tolist()[2:] == [True, True]
    assert schema.has_churn(params)


def test_a_status_value_with_two_meanings_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="both customer and churned"):
        _params(tmp_path, **{"columns.status": {"column": "s", "customer": ["x"], "churned": ["X"]}})


def test_a_plain_status_column_has_no_meaning(tmp_path):
    params = _params(tmp_path, **{"columns.status": "lifecycle"})
    assert params.columns.status.column == "lifecycle" and not schema.has_churn(params)
    assert "churn" not in plan.available(params) and "status" in plan.available(params)


def test_value_labels_are_written_under_labels_values(tmp_path):
    params = _params(tmp_path, labels={"region": "Region", "values": {"region": {1: "North", 2.0: "South"}}})
    assert params.labels == {"region": "Region"}
    out = schema.apply_value_labels(pd.Series([1, 2.0, 3, None]), params.value_labels["region"])
    assert out.tolist()[:3] == ["North", "South", "3"] and out.isna()[3]
    # a status or gender given as a code matches its label
    assert schema.value_keys([1], "region", params) == {"1", "north"}


def test_yes_no_columns_keep_their_words(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("id,churn,plan,flag\n1,Yes,no,true\n2,No,yes,false\n")
    frame = read_frame(__import__("helpers.config", fromlist=["Source"]).Source(path=path))
    assert frame["churn"].tolist() == ["Yes", "No"]
    assert frame["plan"].tolist() == ["no", "yes"]
    assert frame["flag"].tolist() == ["true", "false"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('churn == "Yes"', "'churn' never holds 'Yes'; it holds 'yes', 'no'"),
        ("churn == true", "holds the words 'yes', 'no', not true/false"),
        ('calls >= "four"', "'calls' holds numbers"),
        ('importance >= "somewhat"', "holds words in the order not, notvery, somewhat, very"),
    ],
)
def test_filters_are_checked_against_the_values(tmp_path, expression, message):
    params = _params(
        tmp_path,
        filters={"f": expression},
        columns={"id": "id", "psychographic": ["importance"]},
        scales={"r": {"points": ["not", "notvery", "somewhat", "very"], "items": ["importance"]}},
    )
    frame = pd.DataFrame(
        {
            "churn": ["yes", "no", "yes"],
            "region": ["North", "South", "East"],
            "calls": [1, 2, 3],
            "importance": ["not", "very", "somewhat"],
        }
    )
    with pytest.raises(ConfigError, match="filters that cannot select") as err:
        fields.check_values(params, frame)
    assert message in str(err.value)


def test_good_filters_pass(tmp_path):
    params = _params(
        tmp_path,
        filters={"a": 'churn == "yes"', "b": 'region in ["North"]', "c": "calls >= 2", "d": "paid == true"},
    )
    frame = pd.DataFrame(
        {"churn": ["yes", "no"], "region": ["North", "South"], "calls": [1, 2], "paid": [True, False]}
    )
    fields.check_values(params, frame)


def test_long_or_deep_filters_are_refused_with_a_message(tmp_path):
    with pytest.raises(ConfigError, match="at most 2,000"):
        _params(tmp_path, filters={"f": "not " * 5000 + "x == 1"})
    with pytest.raises(ConfigError, match="nested too deeply|too many nested parentheses"):
        _params(tmp_path, filters={"f": "(" * 400 + "x == 1" + ")" * 400})


@pytest.mark.parametrize("expression", ['region in "North"', "region in gender"])
def test_in_needs_a_list(tmp_path, expression):
    with pytest.raises(ConfigError, match="`in` needs a list of values"):
        _params(tmp_path, filters={"f": expression})


def test_derived_numbers_are_compared_with_numbers(tmp_path):
    params = _params(tmp_path, filters={"f": "orders_12m >= 'six'"})
    with pytest.raises(ConfigError, match="'orders_12m' is a number derived from orders"):
        fields.check_values(params, pd.DataFrame({"region": ["North"]}))


def test_columns_with_spaces_are_written_in_backticks(tmp_path):
    from helpers.expressions import quote
    from helpers.filters import evaluate, filter_columns

    frame = pd.DataFrame({"Job Role": ["Manager", "Clerk"], "n": [1, 2]})
    assert evaluate('`Job Role` == "Manager" and n >= 1', frame).tolist() == [True, False]
    assert filter_columns("`Job Role` == 'x'") == {"Job Role"}
    assert quote("Job Role") == "`Job Role`" and quote("region") == "region"
    params = _params(tmp_path, filters={"f": '`Job Role` == "Manager"'})
    fields.check_values(params, frame)
