"""Files as they come: a folder or a glob of daily exports, gzip, a workbook of same-shaped sheets;
and a transaction log alone, from which the customers are built."""

from __future__ import annotations

import datetime as dt
import gzip

import pandas as pd
import pytest
import yaml

from helpers.batch.manifest import input_checksums
from helpers.core.errors import ConfigError, DataError
from helpers.data.dataset import load_dataset
from helpers.data.engine import Engine
from helpers.data.readers import read_frame
from helpers.params.inputs import Source, format_of
from helpers.params.loading import load_params

DAYS = [
    "order,customer,ts,amount,country\nA1,c1,2024-01-02,10.5,France\nA2,c2,2024-01-02,20,Spain\n",
    # the next day's export writes its columns in another order
    "customer,order,amount,ts,country\nc1,A3,5,2024-01-03,France\nc3,A4,7.25,2024-01-03,\n",
    "order,customer,ts,amount,country\nA5,c2,2024-02-01,1,Portugal\nA6,c3,2024-02-05,2,Spain\n",
]


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for i, text in enumerate(DAYS[:2]):
        (folder / f"2024-01-0{i + 2}.csv").write_text(text)
    with gzip.open(folder / "2024-02.csv.gz", "wt") as handle:  # a compressed month
        handle.write(DAYS[2])
    (folder / "README.md").write_text("not data")
    return folder


def test_format_of_reads_compressed_names():
    assert format_of("orders.csv.gz") == "csv" and format_of("a.parquet") == "parquet"
    assert format_of("notes.md") == "" and format_of("x.xlsx") == "excel"


def test_a_folder_a_glob_and_gzip_read_as_one_table(exports):
    folder = Source(path=exports)
    assert folder.kind == "csv" and [f.name for f in folder.files] == [
        "2024-01-02.csv",
        "2024-01-03.csv",
        "2024-02.csv.gz",
    ]
    frame = read_frame(folder, as_text=["customer"])
    assert len(frame) == 6
    # columns matched by name, not by place
    assert frame.set_index("order").loc["A3", "customer"] == "c1"
    assert frame["amount"].sum() == pytest.approx(45.75)
    glob = Source(path=exports / "2024-01-*.csv")
    assert glob.is_pattern and len(read_frame(glob)) == 4
    engine = Engine()
    assert engine.execute(engine.read(folder, types={"customer": "VARCHAR"}).count()) == 6


def test_an_excel_workbook_of_same_shaped_sheets(tmp_path):
    book = tmp_path / "orders.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"id": [1, 2], "v": [1.0, 2.0]}).to_excel(writer, sheet_name="January", index=False)
        pd.DataFrame({"id": [3], "v": [3.0]}).to_excel(writer, sheet_name="February", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)  # empty: skipped
    assert read_frame(Source(path=book, sheet="*"))["id"].tolist() == [1, 2, 3]
    assert len(read_frame(Source(path=book))) == 2  # the first sheet, as before
    with pd.ExcelWriter(book, mode="a") as writer:
        pd.DataFrame({"other": [1]}).to_excel(writer, sheet_name="Totals", index=False)
    expected = r"sheet 'Totals' does not have the columns of .*'January' \(it lacks 'id', 'v'; adds 'other'\)"
    with pytest.raises(DataError, match=expected):
        read_frame(Source(path=book, sheet="*"))


def _params(tmp_path, path, **top):
    text = {
        "period": "p",
        "as_of": "2024-02-29",
        "data": {"orders": {"path": str(path)}},
        "orders": {"customer_id": "customer", "timestamp": "ts", "amount": "amount", "order_id": "order"},
        "validation": {"min_rows": 1},
    } | top
    file = tmp_path / "p.yaml"
    file.write_text(yaml.safe_dump(text))
    return load_params(file)


def test_a_glob_that_matches_nothing_stops_before_the_run(tmp_path, exports):
    with pytest.raises(ConfigError, match=r"`data.orders.path`: no file matches .*\*.parquet"):
        _params(tmp_path, exports / "*.parquet")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("not data")
    with pytest.raises(ConfigError, match="the folder .*empty holds no parquet file"):
        _params(tmp_path, empty)


def test_the_manifest_fingerprints_every_file_of_a_folder(tmp_path, exports):
    params = _params(tmp_path, exports)
    (tmp_path / "p.yaml").touch()
    first = input_checksums(params, tmp_path / "p.yaml")[1]
    assert first["files"] == 3 and len(first["sha256"]) == 64
    assert first["bytes"] == sum(f.stat().st_size for f in Source(path=exports).files)
    (exports / "2024-01-03.csv").write_text(DAYS[1] + "c1,A9,1,2024-01-03,France\n")
    assert input_checksums(params, tmp_path / "p.yaml")[1]["sha256"] != first["sha256"]


def test_customers_are_built_from_a_log_alone(tmp_path, exports):
    columns = {"id": "customer", "geographic": ["country"], "behavioural": ["orders", "spend"]}
    params = _params(
        tmp_path,
        exports,
        columns=columns,
        orders={
            "customer_id": "customer",
            "timestamp": "ts",
            "amount": "amount",
            "order_id": "order",
            "customer_fields": ["country"],
        },
    )
    assert params.customers_from_orders and params.has_customer_rows
    data = load_dataset(params)
    people = data.customers.set_index("customer")
    assert people["orders"].to_dict() == {"c1": 2, "c2": 2, "c3": 2}
    assert people["spend"].to_dict() == pytest.approx({"c1": 15.5, "c2": 21.0, "c3": 9.25})
    # each customer's field from their latest order that gives one: c2 moved to Portugal, c3's
    # first order gives no country
    assert people["country"].to_dict() == {"c1": "France", "c2": "Portugal", "c3": "Spain"}
    assert data.params.as_of == dt.date(2024, 2, 29)


def test_customers_from_a_log_name_only_what_the_log_gives(tmp_path, exports):
    orders = {"customer_id": "customer", "timestamp": "ts", "amount": "amount", "order_id": "order"}
    with pytest.raises(ConfigError, match="'age' must be one of `orders.customer_fields`"):
        _params(tmp_path, exports, columns={"id": "customer", "demographic": ["age"]}, orders=orders)
    with pytest.raises(ConfigError, match="write `id: customer`"):
        _params(tmp_path, exports, columns={"id": "client"}, orders=orders)
    with pytest.raises(ConfigError, match="'amount' is a name the workbook gives"):
        _params(tmp_path, exports, orders=orders | {"customer_fields": ["amount"]})
