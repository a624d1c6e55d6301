"""Named filters: safe expressions, clear errors before the run, derived behaviour fields."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import kept_orders

from helpers.analyses import filters
from helpers.core.errors import ConfigError
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["North", "South", None, "North"],
            "orders_12m": [7, 1, 0, 3],
            "age": [25.0, np.nan, 40.0, 61.0],
            "gender": ["female", "male", "female", "female"],
        }
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("orders_12m >= 6", [True, False, False, False]),
        ('region == "North" and gender == "female"', [True, False, False, True]),
        ('region in ["North", "South"]', [True, True, False, True]),
        ('region not in ["North"]', [False, True, True, False]),
        ("not orders_12m > 2", [False, True, True, False]),
        ("age >= 30 or orders_12m == 1", [False, True, True, True]),
        ("1 <= orders_12m <= 3", [False, True, False, True]),
        ("age > 30", [False, False, True, True]),  # a missing age never matches
    ],
)
def test_expressions(frame, expression, expected):
    assert filters.evaluate(expression, frame).tolist() == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "region.upper() == 'NORTH'",
        "orders_12m[0] > 1",
        "lambda: 1",
        "orders_12m >= ",
        "open('x')",
    ],
)
def test_code_is_rejected(expression):
    with pytest.raises(filters.FilterSyntaxError):
        filters.parse_filter(expression)


def test_a_malformed_filter_is_a_parameter_error(make_params):
    with pytest.raises(ConfigError) as err:
        load_params(make_params({"filters.broken": "orders_12m >>= 6"}))
    assert "`filters.broken`" in str(err.value) and "cannot read" in str(err.value)


def test_unknown_and_personal_columns_stop_before_the_run(make_params):
    params = load_params(make_params({"filters.typo": "order_12m >= 6", "filters.pii": 'email == "x"'}))
    with pytest.raises(ConfigError) as err:
        load_dataset(params)
    msg = str(err.value)
    assert "`filters.typo`: 'order_12m' is not a column; did you mean 'orders_12m'?" in msg
    assert "`filters.pii`: 'email' is personal data" in msg
    assert msg.startswith(str(params.source_file))


def test_banner_names_must_be_filters_and_rows_columns(make_params):
    with pytest.raises(ConfigError, match=r"`crosstab.banners\[0\].filters`: 'heavy' is not a filter"):
        load_params(make_params({"crosstab.banners": [{"name": "B", "filters": ["heavy"]}]}))
    params = load_params(make_params({"crosstab.rows": ["att_price_sensitiv"]}))
    with pytest.raises(ConfigError, match=r"`crosstab.rows\[0\]`.*did you mean 'att_price_sensitive'"):
        load_dataset(params)


def test_empty_filter_is_a_warning_not_a_crash(make_params):
    params = load_params(make_params({"filters.nobody": "orders_12m > 1000"}))
    data = load_dataset(params)
    frame = filters.profile_frame(data)
    masks = filters.filter_masks(frame, params)
    sizes = filters.filter_sizes(masks, pd.Series(1.0, index=frame.index), 10)
    assert sizes.loc["nobody", "people"] == 0
    notes = filters.empty_filter_notes(sizes)
    assert any("**nobody** selects no one" in n for n in notes)


def test_derived_fields_for_buyers_and_non_buyers(make_params, demo_dir):
    data = load_dataset(load_params(make_params()))
    frame = filters.profile_frame(data)
    orders = pd.read_parquet(demo_dir / "orders.parquet").drop_duplicates()
    orders = kept_orders(orders)  # returns and guests out
    counts = orders.groupby("customer_id").size()
    got = frame.set_index("customer_id")["orders"]
    assert (got[counts.index] == counts).all()
    prospects = frame["status"] == "prospect"
    assert (frame.loc[prospects, "orders"] == 0).all()
    assert frame.loc[prospects, "days_since_last"].isna().all()
    assert set(filters.DERIVED_FIELDS) <= set(frame.columns)


def test_overlap_matrix():
    masks = pd.DataFrame({"a": [True, True, False, False], "b": [True, False, True, False]})
    o = filters.overlap_matrix(masks)
    assert o.loc["a", "b"] == 50 and o.loc["a", "a"] == 100
    assert filters.overlap_counts(masks).loc["a", "b"] == 1
