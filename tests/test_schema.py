"""The role and value model: scales of any length and direction, status mappings, Yes/No words,
value labels, and filters that are checked against the values a column takes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.core.errors import ConfigError
from helpers.data import fields
from helpers.data.readers import read_frame
from helpers.params import plan, schema
from helpers.params.loading import parse_params
from helpers.params.settings import Likert


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
    agree = schema.Scale.from_spec(
        Likert(labels={1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"})
    )
    assert agree.agreement and agree.agree_phrase("Price matters") == "agree that “Price matters”"
    assert agree.disagree_phrase("Price matters") == "disagree that “Price matters”"
    eleven = schema.Scale.from_spec(Likert(min=0, max=10, labels={0: "0 (bad)", 10: "10 (good)"}))
    assert eleven.agree_phrase("Immigration") == "rate “Immigration” 9–10 on a 0–10 scale"
    assert eleven.disagree_phrase() == "rate it 0–4 on a 0–10 scale"
    assert (eleven.low, eleven.high) == ("bad", "good")  # the end labels' words
    # a scale with no labels is no agreement scale unless the file says so
    plain = schema.Scale.from_spec(Likert())
    assert not plain.agreement and plain.agree_phrase() == "rate it 4–5 on a 1–5 scale"
    assert schema.Scale.from_spec(Likert(high="agree", low="disagree")).agree_phrase() == "agree"


@pytest.mark.parametrize("too_little_on_top", [True, False])
def test_a_scale_that_is_not_agreement_says_its_answer_words(too_little_on_top):
    words = ["Too much", "About right", "Too little"]
    words = words if too_little_on_top else words[::-1]
    scale = schema.Scale.from_spec(Likert(min=1, max=3, labels=dict(zip([1, 2, 3], words, strict=True))))
    top, bottom = words[-1], words[0]
    assert not scale.agreement and "agree" not in scale.high
    assert scale.agree_phrase("Foreign aid") == f"say “{top}” to “Foreign aid”"
    assert scale.disagree_phrase() == f"say “{bottom}”"
    words4 = schema.Scale.from_spec(Likert(points=["Low", "Medium", "High", "Very_High"]))
    assert words4.agree_phrase() == "say “High” or “Very High”"  # the words as the file writes them


def test_value_labels_of_an_attitude_item_are_its_answer_scale(tmp_path):
    """`labels.values` on an item without a named scale: its codes and words, never agreement."""
    params = _params(
        tmp_path,
        labels={"values": {"q1": {1: "Too much", 2: "About right", 3: "Too little"}}},
    )
    scale = schema.scale_of("q1", params)
    assert scale.points == (1.0, 2.0, 3.0) and scale.labels == ("Too much", "About right", "Too little")
    assert scale.agree_phrase("Foreign aid") == "say “Too little” to “Foreign aid”"
    assert "q1" not in params.value_labels  # the codes stay numbers: the scale reads them
    assert schema.scale_of("q2", params).points == (1.0, 2.0, 3.0, 4.0, 5.0)  # others: `likert`
    with pytest.raises(ConfigError, match="on a named scale"):
        _params(
            tmp_path,
            labels={"values": {"q1": {1: "A", 2: "B"}}},
            scales={"s": {"min": 1, "max": 2, "items": ["q1"]}},
        )


def test_a_code_without_a_label_never_reads_as_a_word(tmp_path):
    params = _params(
        tmp_path,
        **{
            "columns.demographic": ["race", "gender", "age", "children"],
            "columns.behavioural": ["calls", "referrals_made"],
        },
        labels={"race": "Race (1 white, 2 black, 3 other)", "values": {"gender": {1: "Male", 2: "Female"}}},
    )
    assert schema.value_words("race", 2, params) == "code 2"
    assert schema.value_words("race", 2.0, params) == "code 2"
    assert schema.value_words("gender", 2, params) == "Female"
    assert schema.value_words("gender", "3", params) == "code 3"  # a code the labels forgot
    assert schema.value_words("gender", "Female", params) == "Female"  # already its label
    assert schema.value_words("age", 34, params) == "34"  # numbers that mean themselves
    assert schema.value_words("calls", 4, params) == "4"
    assert schema.value_words("referrals_made", 3, params) == "3"  # behaviour is counted, not coded
    assert schema.value_words("race", True, params) == "yes"
    frame = pd.DataFrame({"race": [1, 2, 3, 2], "gender": [1, 2, 1, 2], "age": [30, 31, 32, 33]})
    (warning,) = schema.label_warnings(frame, params)
    assert warning.startswith("race:") and "`labels.values.race`" in warning and "code 3" in warning


@pytest.mark.parametrize(
    ("extra", "plural", "singular", "newcomers"),
    [
        ({}, "respondents", "respondent", "new respondents"),  # attitude items, no orders or status
        (
            {"columns.status": {"column": "s", "churned": ["y"], "customer": ["n"]}},
            "customers",
            "customer",
            "new leads",
        ),
        ({"population": "voters"}, "voters", "voter", "new voters"),
        ({"population": "companies"}, "companies", "company", "new companies"),
        ({"population": "people"}, "people", "person", "new people"),
        (
            {"population": {"plural": "staff", "singular": "staff member"}},
            "staff",
            "staff member",
            "new staff",
        ),
    ],
)
def test_the_people_are_named_as_the_run_declares(tmp_path, extra, plural, singular, newcomers):
    params = _params(tmp_path, **extra)
    who = schema.population(params)
    assert (who.plural, who.singular) == (plural, singular)
    assert schema.newcomers(params) == newcomers


def test_a_population_must_be_a_plural_word(tmp_path):
    for bad in ("customer", "42 people", ""):
        with pytest.raises(ConfigError, match="population"):
            _params(tmp_path, population=bad)


def test_the_default_goal_fits_the_data(tmp_path):
    assert _params(tmp_path).personas.goal == "understand who they are"  # a survey
    churn = {"columns.status": {"column": "s", "churned": ["y"], "customer": ["n"]}}
    assert _params(tmp_path, **churn).personas.goal == "improve loyalty"
    given = _params(tmp_path, **{"personas.goal": "acquire new customers"})
    assert given.personas.goal == "acquire new customers"


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
    frame = read_frame(__import__("helpers.params.inputs", fromlist=["Source"]).Source(path=path))
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
    from helpers.analyses.filters import evaluate, filter_columns
    from helpers.core.expressions import quote

    frame = pd.DataFrame({"Job Role": ["Manager", "Clerk"], "n": [1, 2]})
    assert evaluate('`Job Role` == "Manager" and n >= 1', frame).tolist() == [True, False]
    assert filter_columns("`Job Role` == 'x'") == {"Job Role"}
    assert quote("Job Role") == "`Job Role`" and quote("region") == "region"
    params = _params(tmp_path, filters={"f": '`Job Role` == "Manager"'})
    fields.check_values(params, frame)
