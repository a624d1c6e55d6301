"""Loading and validating data: every reader, every check, and personal data dropped at load."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import DataError
from helpers.data.dataset import load_dataset
from helpers.data.fields import multi_response
from helpers.data.readers import column_labels, detect_encoding, read_frame
from helpers.params.inputs import Source
from helpers.params.loading import load_params


@pytest.fixture
def customers(demo_dir) -> pd.DataFrame:
    return pd.read_parquet(demo_dir / "customers.parquet")


@pytest.fixture
def orders(demo_dir) -> pd.DataFrame:
    return pd.read_parquet(demo_dir / "orders.parquet")


def _with(make_params, tmp_path, customers=None, orders=None, changes=None):
    """A parameter file whose customers and/or orders are the given frames."""
    changes = dict(changes or {})
    if customers is not None:
        path = tmp_path / "customers.parquet"
        customers.to_parquet(path)
        changes["data.customers.path"] = str(path)
    if orders is not None:
        path = tmp_path / "orders.parquet"
        orders.to_parquet(path)
        changes["data.orders.path"] = str(path)
    return load_params(make_params(changes))


def _data_error(params) -> str:
    with pytest.raises(DataError) as err:
        load_dataset(params)
    message = str(err.value)
    assert "Traceback" not in message
    return message


def test_the_demo_loads_with_personal_data_dropped(make_params):
    data = load_dataset(load_params(make_params()))
    assert data.customers is not None and len(data.customers) == 2500
    for col in ("name", "email", "phone"):
        assert col not in data.customers.columns
    assert set(data.dropped_columns) == {"name", "email", "phone"}
    assert not data.customers["open_answer"].dropna().str.contains("@example.com").any()
    q = data.quality_table()
    assert (q["check"] == "exact duplicate rows").sum() == 1


def test_a_missing_column_is_named_with_a_suggestion(make_params, tmp_path, customers):
    msg = _data_error(_with(make_params, tmp_path, customers.rename(columns={"region": "regoin"})))
    assert "customers.parquet" in msg and "column 'region'" in msg and "did you mean 'regoin'" in msg


def test_duplicate_ids(make_params, tmp_path, customers):
    bad = pd.concat([customers, customers.head(3)])
    msg = _data_error(_with(make_params, tmp_path, bad))
    assert "column 'customer_id': 3 ids appear more than once" in msg
    assert "C0000001" in msg


def test_dates_that_do_not_parse_or_lie_in_the_future(make_params, tmp_path, customers):
    bad = customers.copy()
    bad["first_order_date"] = bad["first_order_date"].astype("string")
    bad.loc[0, "first_order_date"] = "31/31/2025"
    bad.loc[1, "first_order_date"] = str(dt.date.today() + dt.timedelta(days=40))
    msg = _data_error(_with(make_params, tmp_path, bad))
    assert "column 'first_order_date': 1 rows are not dates (e.g. '31/31/2025')" in msg
    assert "1 dates are in the future" in msg


def test_likert_out_of_range_stops_or_is_blanked_by_choice(make_params, tmp_path, customers):
    bad = customers.copy()
    bad["att_tries_new"] = bad["att_tries_new"].astype("Float64")
    bad.loc[:4, "att_tries_new"] = [0, 7, 9, 6, 6]
    msg = _data_error(_with(make_params, tmp_path, bad))
    assert "column 'att_tries_new': 5 answers are not points of its scale 1, 2, 3, 4, 5 (e.g. 0, 7, 9)" in msg
    assert "validation.out_of_range: set_missing" in msg
    data = load_dataset(_with(make_params, tmp_path, bad, changes={"validation.out_of_range": "set_missing"}))
    assert data.customers["att_tries_new"].max() <= 5
    q = data.quality_table().set_index("column")
    assert q.loc["att_tries_new", "rows"] == 5 and q.loc["att_tries_new", "action"] == "set to missing"


def test_the_checks_return_what_they_find_and_leave_the_frame_as_it_was(make_params, tmp_path, customers):
    from helpers.data.checks import _check_scale_points, validate_customers
    from helpers.params.schema import scales_in_use

    bad = customers.copy()
    bad["att_tries_new"] = bad["att_tries_new"].astype("Float64")
    bad.loc[:2, "att_tries_new"] = [0, 7, 9]
    params = _with(make_params, tmp_path, bad, changes={"validation.out_of_range": "set_missing"})
    before = bad.copy()
    found = _check_scale_points(bad, params, scales_in_use(params))
    assert [q.column for q in found.quality] == ["att_tries_new"] and found.quality[0].rows == 3
    assert found.columns["att_tries_new"][:3].isna().all() and not found.problems
    quality: list = []
    checked = validate_customers(bad, params, "customers.parquet", quality)
    pd.testing.assert_frame_equal(bad, before)  # the frame given is left as it was
    assert checked["att_tries_new"][:3].isna().all() and checked["customer_id"].dtype == "string"
    assert any(q.column == "att_tries_new" and q.rows == 3 for q in quality)


def test_non_numeric_answers_weights_and_amounts(make_params, tmp_path, customers, orders):
    bad = customers.copy()
    bad["weight"] = bad["weight"].astype(str)
    bad.loc[2, "weight"] = "heavy"
    msg = _data_error(_with(make_params, tmp_path, bad))
    assert "column 'weight': 1 rows are not numbers (e.g. 'heavy')" in msg
    bad_orders = orders.copy()
    bad_orders["amount"] = bad_orders["amount"].astype(str)
    bad_orders.loc[5, "amount"] = "€12,50"
    msg = _data_error(_with(make_params, tmp_path, orders=bad_orders))
    assert "orders.parquet" in msg and "column 'amount': 1 amounts are not numbers (e.g. '€12,50')" in msg


def test_negative_or_missing_weights(make_params, tmp_path, customers):
    bad = customers.copy()
    bad.loc[3, "weight"] = -1.0
    msg = _data_error(_with(make_params, tmp_path, bad))
    assert "column 'weight': 1 weights are missing or not above 0" in msg


def test_order_dates_unreadable_or_in_the_future(make_params, tmp_path, orders):
    bad = orders.copy()
    bad["order_ts"] = bad["order_ts"].astype(str)
    bad.loc[0, "order_ts"] = "yesterday"
    bad.loc[1, "order_ts"] = f"{dt.date.today() + dt.timedelta(days=3)} 10:00:00"
    msg = _data_error(_with(make_params, tmp_path, orders=bad))
    assert "column 'order_ts': 1 rows have no readable date (e.g. 'yesterday')" in msg
    assert "1 orders are dated in the future" in msg


def test_conflicting_order_ids_stop_exact_duplicates_are_dropped(make_params, tmp_path, orders):
    bad = orders.copy()
    bad.loc[1, "order_id"] = bad.loc[0, "order_id"]
    msg = _data_error(_with(make_params, tmp_path, orders=bad))
    assert "column 'order_id': 1 order ids have different rows" in msg
    clean = orders.drop_duplicates()
    data = load_dataset(_with(make_params, tmp_path, orders=pd.concat([clean, clean.head(4)])))
    q = data.quality_table()
    assert q.loc[q["check"] == "exact duplicate rows", "rows"].item() == 4
    kept = clean[(clean["amount"] > 0) & clean["customer_id"].notna()]  # no returns, no guests
    assert data.engine.execute(data.orders.count()) == len(kept)


def test_too_few_rows(make_params, tmp_path, customers):
    msg = _data_error(_with(make_params, tmp_path, customers.head(20)))
    assert "only 20 rows; at least 100 needed" in msg


def test_undeclared_columns_never_pass(make_params, tmp_path, customers):
    extra = customers.assign(passport_no="X123")
    data = load_dataset(_with(make_params, tmp_path, extra))
    assert "passport_no" not in data.customers.columns
    assert "passport_no" in data.quality_table()["column"].str.cat()


def test_csv_with_detected_encoding_and_delimiter(tmp_path):
    frame = pd.DataFrame(
        {"id": ["001", "002", "003"], "city": ["Zürich", "Málaga", "Łódź"], "score": [1, 2, 3]}
    )
    utf = tmp_path / "utf.csv"
    frame.to_csv(utf, sep=";", index=False, encoding="utf-8")
    cp = tmp_path / "cp.csv"
    frame.iloc[:2].to_csv(cp, sep="\t", index=False, encoding="cp1252")
    assert detect_encoding(utf) == "utf-8" and detect_encoding(cp) == "cp1252"
    got = read_frame(Source(path=utf), as_text=["id"])
    assert list(got["city"]) == ["Zürich", "Málaga", "Łódź"] and list(got["id"]) == ["001", "002", "003"]
    got = read_frame(Source(path=cp))
    assert list(got["city"]) == ["Zürich", "Málaga"] and got["score"].tolist() == [1, 2]
    given = read_frame(Source(path=utf, delimiter=";", encoding="utf-8"))
    assert given.shape == (3, 3)


def test_excel_and_spss_with_value_labels(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"id": [1.0, 2.0, 3.0], "gender": [1.0, 2.0, 1.0]})
    xlsx = tmp_path / "f.xlsx"
    frame.to_excel(xlsx, index=False)
    assert read_frame(Source(path=xlsx)).shape == (3, 2)
    sav = tmp_path / "f.sav"
    pyreadstat.write_sav(
        frame,
        str(sav),
        variable_value_labels={"gender": {1.0: "male", 2.0: "female"}},
        column_labels=["Respondent", "Gender"],
    )
    got = read_frame(Source(path=sav))
    assert list(got["gender"]) == ["male", "female", "male"]
    assert column_labels(Source(path=sav))["gender"] == "Gender"


def test_unreadable_file_is_a_data_error(tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataError, match="broken.parquet: cannot read the file as parquet"):
        read_frame(Source(path=bad))


def test_multi_response_from_delimited_and_from_dummy_columns(make_params, customers):
    params = load_params(make_params())
    picks = multi_response(customers, params, "social_platforms")
    answered = customers["social_platforms"].notna()
    assert picks[answered.to_numpy()].notna().all().all()
    assert picks[~answered.to_numpy()].isna().all().all()
    first = customers.loc[answered, "social_platforms"].iloc[0].split(";")
    row = picks[answered.to_numpy()].iloc[0]
    assert sorted(row[row].index) == sorted(first)
    # the same set as 0/1 columns
    dummies = picks.astype("Float64").add_prefix("sp_")
    wide = pd.concat([customers, dummies], axis=1)
    raw = yaml_like(params)
    raw["columns"]["multi_response"]["social_platforms"] = {
        "dimension": "behavioural",
        "columns": list(dummies.columns),
    }
    from helpers.params.loading import parse_params

    p2 = parse_params(raw, "test", params.source)
    again = multi_response(wide, p2, "social_platforms")
    assert (again.fillna(False).to_numpy() == picks.fillna(False).to_numpy()).all()
    assert np.array_equal(again.isna().all(axis=1), picks.isna().all(axis=1))


def yaml_like(params) -> dict:
    from helpers.params.loading import params_as_dict

    return params_as_dict(params)


def test_checked_data_is_read_back_only_for_the_same_parameters_and_inputs(
    make_params, tmp_path, monkeypatch
):
    from helpers.data.dataset import CHECKED_ENV, save_checked

    params = load_params(make_params())
    first = load_dataset(params)
    folder = save_checked(first, tmp_path / "checked")
    monkeypatch.setenv(CHECKED_ENV, str(folder))
    again = load_dataset(params)
    # (Parquet keeps dates to the millisecond: same values, a finer unit)
    pd.testing.assert_frame_equal(again.customers.astype(first.customers.dtypes.to_dict()), first.customers)
    assert again.quality_table().equals(first.quality_table())
    assert again.dropped_columns == first.dropped_columns
    n = first.engine.execute(first.orders.count())
    assert again.engine.execute(again.orders.count()) == n
    pd.testing.assert_frame_equal(again.behaviour(), first.behaviour())
    # the checked orders are a file of their own, without the duplicate rows
    assert len(pd.read_parquet(folder / "orders.parquet")) == n
    # a different parameter file does not use them: its data is read and checked afresh
    first.customers.assign(marker=1).to_parquet(folder / "customers.parquet", index=False)
    assert "marker" in load_dataset(params).customers
    other = load_params(make_params({"privacy.min_cell": 11}, name="other.yaml"))
    assert "marker" not in load_dataset(other).customers
