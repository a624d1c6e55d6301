"""Orders given line by line (an order id that repeats, a quantity and a unit price): each order
is the sum of its lines, returned and cancelled lines and guest checkouts are left out and counted,
checked against an independent pandas computation on the shared online retailer's invoice lines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED
from test_cohorts import pandas_retention

from helpers.analyses import cohorts
from helpers.core.errors import DataError
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params

RETAIL = SHARED / "retail" / "by-day"
AS_OF = dt.date(2011, 4, 30)


def _params(tmp_path, csv, top=None, **orders):
    text = (top or {}) | {
        "period": "retail",
        "as_of": str(AS_OF),
        "currency": "£",
        "data": {"orders": {"path": str(csv)}},
        "orders": {
            "customer_id": "CustomerID",
            "timestamp": "InvoiceDate",
            "order_id": "InvoiceNo",
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            **orders,
        },
        "cohorts": {"period": "month", "definition": "on"},
    }
    path = tmp_path / "retail.yaml"
    path.write_text(yaml.safe_dump(text, allow_unicode=True))
    return load_params(path)


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    """The 116 daily files as they come (the folder itself is the input), and an independent
    pandas reading of them for the reference figures."""
    if not RETAIL.is_dir():
        pytest.skip("../shared/data/retail not present")
    folder = tmp_path_factory.mktemp("retail")
    lines = pd.concat(
        [pd.read_csv(p, dtype={"InvoiceNo": str, "StockCode": str}) for p in sorted(RETAIL.glob("*.csv"))],
        ignore_index=True,
    )
    return folder, RETAIL, lines


@pytest.fixture(scope="module")
def retail_data(retail):
    folder, source, _ = retail
    return load_dataset(_params(folder, source, without_customer="leave_out"))


def test_guest_lines_stop_the_run_unless_left_out(retail):
    folder, csv, _ = retail
    with pytest.raises(DataError, match="51854 order lines have no customer id.*without_customer: leave_out"):
        load_dataset(_params(folder, csv))


def test_order_lines_give_the_retailers_published_figures(retail, retail_data):
    lines, data = retail[2], retail_data
    orders = data.engine.execute(data.orders)
    assert len(lines) == 171_999
    assert len(orders) == 5_855 and orders["order_id"].is_unique  # invoices
    assert orders["customer_id"].nunique() == 2_434 and "17850" in set(orders["customer_id"])
    assert orders["amount"].sum() == pytest.approx(2_653_997.40, abs=0.005)
    quality = data.quality_table().set_index("check")["rows"]
    assert quality["order lines without a customer id"] == 51_854
    assert quality["returned, refunded or cancelled lines"] == 3_004
    assert not any("duplicate" in c for c in quality.index)  # one product twice is two lines


def test_every_cell_of_the_monthly_retention_matches_pandas(retail, retail_data):
    lines, data = retail[2], retail_data
    kept = lines[lines["CustomerID"].notna() & (lines["Quantity"] >= 0)]
    ref_orders = pd.DataFrame(
        {
            "customer_id": kept["CustomerID"].astype("int64").astype(str),
            "order_ts": pd.to_datetime(kept["InvoiceDate"]),
        }
    )
    ours = cohorts.retention(data.engine, data.orders, AS_OF, "month", "on")
    ref = pandas_retention(ref_orders, AS_OF, "on")
    matrix = ours.matrix()
    np.testing.assert_allclose(matrix.to_numpy(), ref.reindex(columns=matrix.columns).to_numpy(), rtol=1e-12)
    assert ours.sizes().iloc[0] == 885 and matrix.iloc[0, 1] == pytest.approx(324 / 885)  # 36.6%


def test_lines_need_an_order_id(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("CustomerID,InvoiceDate,Quantity,UnitPrice\n1,2011-01-01,1,2.0\n")
    with pytest.raises(Exception, match="need `orders.order_id`"):
        _params(tmp_path, csv, order_id=None)


def test_init_reads_a_line_level_log_and_its_file_checks_with_no_edit(retail):
    from helpers.setup.draft import write_parameters

    folder, source, lines = retail
    result = write_parameters(source, folder / "init.yaml", as_of=AS_OF, force=True)  # the folder
    assert result.check_error is None and result.rows == "2,434 customers, 5,855 orders"
    params = load_params(folder / "init.yaml")
    cols = params.orders
    assert (cols.order_id, cols.quantity, cols.unit_price) == ("InvoiceNo", "Quantity", "UnitPrice")
    assert cols.amount is None and cols.without_customer == "leave_out"  # 51,854 guest lines
    # no customer file: the customers are built from the log, with the country each one has
    assert params.customers_from_orders and cols.customer_fields == ["Country"]
    assert params.columns.geographic == ["Country"] and params.segment.method == "kmeans"
    assert {"heavy_buyers", "one_time_buyers", "country_united_kingdom"} <= set(params.filters)
    assert params.currency == "£"  # 92% of the lines name the United Kingdom


def test_customers_built_from_the_log_match_pandas(retail):
    folder, source, lines = retail
    behaviour = ["orders", "spend", "days_since_last"]
    top = {"columns": {"id": "CustomerID", "geographic": ["Country"], "behavioural": behaviour}}
    data = load_dataset(
        _params(folder, source, top, without_customer="leave_out", customer_fields=["Country"])
    )
    ours = data.customers.set_index("CustomerID")
    kept = lines[lines["CustomerID"].notna() & (lines["Quantity"] >= 0)].copy()
    kept["who"] = kept["CustomerID"].astype("int64").astype(str)
    kept["ts"] = pd.to_datetime(kept["InvoiceDate"])
    ref = kept.groupby("who").agg(orders=("InvoiceNo", "nunique"), last=("ts", "max"))
    ref["spend"] = (kept["Quantity"] * kept["UnitPrice"]).groupby(kept["who"]).sum()
    # the country of each customer's latest line (the retailer writes one per customer, nearly)
    ref["Country"] = kept.sort_values("ts", kind="stable").groupby("who")["Country"].last()
    assert len(ours) == 2_434 and set(ours.index) == set(ref.index)
    ref = ref.reindex(ours.index)
    assert (ours["orders"] == ref["orders"]).all()
    np.testing.assert_allclose(ours["spend"], ref["spend"], rtol=1e-9)
    assert (ours["days_since_last"] == [(AS_OF - d.date()).days for d in ref["last"]]).all()
    agree = (ours["Country"] == ref["Country"]).mean()
    assert agree > 0.998  # a customer with two countries on one last day may take either
    assert ours["Country"].value_counts().index[0] == "United Kingdom"
