"""A Shopify orders export (written from the retailer's invoice lines: one row per line item,
the customer known only by e-mail, the order's own fields on its first line only, cancellations
as refunded orders) through `workbook init` and `workbook run` with no edit: the same customers,
orders and revenue as the retailer's own files, and no e-mail address in any published file."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from conftest import SHARED
from shop_exports import email_of, shopify_export, woocommerce_export

from helpers.analyses import products
from helpers.batch.run import run_batch
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params
from helpers.setup.draft import write_parameters

RETAIL = SHARED / "retail" / "by-day"
AS_OF = dt.date(2011, 4, 30)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    if not RETAIL.is_dir():
        pytest.skip("../shared/data/retail not present")
    folder = tmp_path_factory.mktemp("shopify")
    export = shopify_export(RETAIL, folder / "orders_export.csv")
    result = write_parameters(export, folder / "parameters" / "shop.yaml", as_of=AS_OF, force=True)
    return folder, export, result


def test_init_reads_the_shopify_shape_and_checks_with_no_edit(shop):
    folder, _, result = shop
    assert result.check_error is None and result.rows == "2,434 customers, 5,855 orders"
    params = load_params(folder / "parameters" / "shop.yaml")
    cols = params.orders
    assert (cols.customer_id, cols.order_id, cols.quantity, cols.unit_price) == (
        "Email",
        "Name",
        "Lineitem quantity",
        "Lineitem price",
    )
    assert (cols.product, cols.status, cols.refunded_amount) == (
        "Lineitem name",
        "Financial Status",
        "Refunded Amount",
    )
    assert cols.customer_fields == ["Billing Country"] and params.privacy.pseudonymise == ["Email"]
    assert "return_rate" in params.columns.behavioural and params.currency == "£"


def test_the_export_gives_the_retailers_figures(shop):
    folder, _, _ = shop
    data = load_dataset(load_params(folder / "parameters" / "shop.yaml"))
    totals = data.engine.execute(
        data.orders.aggregate(
            n=data.orders.count(), revenue=data.orders.amount.sum(), who=data.orders.customer_id.nunique()
        )
    ).iloc[0]
    assert (totals["n"], totals["who"]) == (5_855, 2_434)
    assert totals["revenue"] == pytest.approx(2_653_997.40, abs=0.01)
    quality = data.quality_table().set_index("check")["rows"]
    assert quality["returned, refunded or cancelled lines"] == 3_004
    assert quality["order lines without a customer id"] == 51_854
    items = products.items_of(data.lines, data.engine)
    assert items.column == "product"


def test_the_run_publishes_and_no_email_reaches_a_report(shop):
    folder, export, _ = shop
    result = run_batch(
        folder / "parameters" / "shop.yaml", folder / "reports", folder / "private", progress=lambda _: None
    )
    assert result.ok, [(r.name, r.error) for r in result.notebooks if r.error]
    published = {p.name for p in result.folder.glob("*.html")}
    assert {"05_personas.html", "06_products.html"} <= published
    addresses = set(pd.read_csv(export, usecols=["Email"])["Email"].dropna().str.lower())
    assert email_of("17850").lower() in addresses
    for path in result.folder.rglob("*"):
        if path.suffix in (".html", ".csv", ".json", ".md"):
            text = path.read_text(errors="ignore").lower()
            found = {m for m in EMAIL.findall(text) if m in addresses}
            assert not found, f"{path.name} shows {sorted(found)[:3]}"
    page = (result.folder / "06_products.html").read_text()
    assert "REGENCY CAKESTAND 3 TIER" in page and "Guest checkouts" in page


def test_a_woocommerce_export_checks_with_no_edit_and_gives_the_same_figures(tmp_path):
    if not RETAIL.is_dir():
        pytest.skip("../shared/data/retail not present")
    export = woocommerce_export(RETAIL, tmp_path / "woo_orders.csv")
    result = write_parameters(export, tmp_path / "parameters" / "woo.yaml", as_of=AS_OF, force=True)
    assert result.check_error is None and result.rows == "2,434 customers, 5,855 orders"
    cols = load_params(tmp_path / "parameters" / "woo.yaml").orders
    assert (cols.customer_id, cols.order_id, cols.status) == (
        "Billing Email Address",
        "Order Number",
        "Order Status",
    )
    assert (cols.quantity, cols.unit_price, cols.product) == ("Quantity", "Item Cost", "Item Name")
