"""Parameter validation: every mistake is one clear message naming the file and the key."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import DELETE, ROOT

from helpers.core.errors import ConfigError
from helpers.params.loading import load_params, read_yaml


def test_the_shipped_parameter_files_are_valid(demo_dir, make_params):
    params = load_params(make_params())
    assert params.period == "demo" and params.as_of == dt.date(2026, 9, 30)
    assert params.columns.personal == ["name", "email", "phone"]
    assert params.data.customers.path.is_absolute()


def test_relative_paths_start_at_the_parameter_file(tmp_path, demo_dir, make_params):
    path = make_params(
        {"data.customers.path": "data/customers.parquet", "data.orders.path": "data/orders.parquet"}
    )
    (tmp_path / "data").mkdir()
    for name in ("customers", "orders"):
        (tmp_path / "data" / f"{name}.parquet").write_bytes((demo_dir / f"{name}.parquet").read_bytes())
    params = load_params(path)
    assert params.data.customers.path == (tmp_path / "data" / "customers.parquet").resolve()


BAD = [
    # (change, words that must appear in the message)
    ({"colums": {"id": "x"}}, ["`colums`", "unknown key", "did you mean `columns`"]),
    ({"period": DELETE}, ["`period`", "required key is missing"]),
    ({"as_of": "last tuesday"}, ["`as_of`", "date", "last tuesday"]),
    ({"as_of": str(dt.date.today() + dt.timedelta(days=30))}, ["as_of", "in the future"]),
    ({"likert.min": 5, "likert.max": 1}, ["`likert`", "min (5) must be below max (1)"]),
    ({"privacy.min_cell": 0}, ["`privacy.min_cell`", "greater than or equal to 1"]),
    ({"period": "2026/Q3"}, ["`period`", "2026/Q3"]),
    ({"columns.hidden": ["age"]}, ["column 'age' is given two roles", "demographic", "hidden"]),
    (
        {"data.customers.path": "nowhere/customers.parquet"},
        ["`data.customers.path`", "file not found", "nowhere"],
    ),
    (
        {"data.customers.path": str(ROOT / "README.md")},
        ["`data.customers.path`", "cannot tell the format", "add `format:`"],
    ),
    (
        {"columns.multi_response.interests.columns": ["a", "b"]},
        ["multi_response.interests", "exactly one of `column`"],
    ),
    ({"validation.ranges": {"age": [100, 16]}}, ["validation.ranges", "low end is above"]),
    ({"engine": "oracle"}, ["`engine`", "duckdb", "spark"]),
    ({"data.orders.path": "s3a://lake/orders/"}, ["`data.orders.path`", "URL", "engine: spark"]),
    ({"spark.driver_memory": "lots"}, ["`spark.driver_memory`", "lots"]),
    ({"columns.psychographic": "att_price_sensitive"}, ["`columns.psychographic`", "list"]),
    ({"explore.max_categories": "many"}, ["`explore.max_categories`", "integer", "many"]),
    ({"orders": DELETE}, ["`data.orders` is set", "`orders` must name its columns"]),
    ({"data": {}}, ["`data`", "at least one input"]),
]


@pytest.mark.parametrize(("change", "words"), BAD, ids=[next(iter(c)) for c, _ in BAD])
def test_bad_parameters_give_one_clear_message(make_params, change, words):
    path = make_params(change)
    with pytest.raises(ConfigError) as err:
        load_params(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    assert "Traceback" not in message and "pydantic" not in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("period: demo\ncolumns: [a, b\nas_of: 2026-01-01\n")
    with pytest.raises(ConfigError, match=r"broken.yaml: not valid YAML at line \d+"):
        load_params(path)


def test_a_key_twice_is_an_error_not_a_silent_replacement(tmp_path):
    """A comma inside { } splits a value: `6: 1,000–4,999` is keys 6, 000–4 and 999."""
    path = tmp_path / "labels.yaml"
    path.write_text("labels:\n  values:\n    spend: {6: 1,000–4,999, 7: 5,000–9,999}\n")
    with pytest.raises(ConfigError, match=r"line 3, column \d+: the key 999 appears twice.*quoted"):
        load_params(path)
    path.write_text("period: q1\nperiod: q2\n")
    with pytest.raises(ConfigError, match=r"line 2, column 1: the key 'period' appears twice.*keep"):
        load_params(path)
    merged = read_yaml("base: &b {x: 1}\nmore:\n  <<: *b\n  x: 2\n")
    assert merged["more"] == {"x": 2}  # a merge key may be overridden


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="parameter file not found"):
        load_params(tmp_path / "none.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_params(path)


def test_the_example_quarter_file_is_valid_apart_from_its_data():
    with pytest.raises(ConfigError) as err:
        load_params(ROOT / "parameters" / "2026Q3.yaml")
    assert "file not found" in str(err.value)  # the example points at a company's own files


def test_an_impossible_date_is_a_message_not_a_crash(make_params):
    path = make_params()
    path.write_text(
        path.read_text()
        .replace("as_of: '2026-09-30'", "as_of: 2026-13-01")
        .replace("as_of: 2026-09-30", "as_of: 2026-13-01")
    )
    with pytest.raises(ConfigError, match=r"`as_of`: .*2026-13-01"):
        load_params(path)


def test_spark_settings_and_remote_parquet(make_params):
    params = load_params(
        make_params(
            {
                "engine": "spark",
                "spark.master": "spark://head:7077",
                "data.orders.path": "s3a://lake/orders/",
                "data.orders.format": "parquet",
            }
        )
    )
    assert params.engine == "spark" and params.spark.master == "spark://head:7077"
    assert params.data.orders.path == "s3a://lake/orders/" and params.data.orders.remote
    assert params.spark.driver_memory == "4g"  # more than Spark's 1g default


def test_choosing_spark_without_pyspark_says_what_to_install(make_params, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    path = make_params({"engine": "spark"})
    with pytest.raises(ConfigError) as err:
        load_params(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "`engine: spark`" in message
    assert 'pip install -e ".[spark]"' in message and "engine: duckdb" in message


def test_a_folder_of_parquet_files_is_read_as_one_table(make_params, demo_dir, tmp_path):
    import pandas as pd

    from helpers.data.dataset import load_dataset

    folder = tmp_path / "orders"
    folder.mkdir()
    orders = pd.read_parquet(demo_dir / "orders.parquet")
    half = len(orders) // 2
    orders.iloc[:half].to_parquet(folder / "part-0.parquet")
    orders.iloc[half:].to_parquet(folder / "part-1.parquet")
    params = load_params(make_params({"data.orders.path": str(folder)}))
    assert params.data.orders.kind == "parquet"
    data = load_dataset(params)
    kept = orders[(orders["amount"] > 0) & orders["customer_id"].notna()]  # no returns, no guests
    assert data.engine.execute(data.orders.count()) == len(kept.drop_duplicates())
