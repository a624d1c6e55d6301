"""Shop exports written from the retailer's invoice lines (`../shared/data/retail/by-day`), so
that the same purchases can be read in the shapes other shops export them.

The Shopify shape follows its orders export: one row per line item; the order number in `Name`
(#536365); the customer known only by `Email`; the order's own fields (e-mail, financial status,
billing country, refunded amount, cancellation date) on the order's first line only; a
cancellation invoice (the retailer's C… numbers) as an order whose financial status is
`refunded`, its quantities written positive. Guest checkouts have no e-mail.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SHOPIFY_COLUMNS = [
    "Name",
    "Email",
    "Financial Status",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Billing Country",
    "Refunded Amount",
    "Cancelled at",
]


def retail_lines(folder: Path) -> pd.DataFrame:
    """Every invoice line of the retail folder, as the files write them."""
    files = sorted(folder.glob("*.csv"))
    return pd.concat([pd.read_csv(f, dtype={"CustomerID": "string", "InvoiceNo": "string"}) for f in files])


def email_of(customer_id: str) -> str:
    """The e-mail address a customer of the fixture is known by."""
    return f"Customer.{customer_id.removesuffix('.0')}@Example.com"


def shopify_export(folder: Path, out: Path) -> Path:
    """The retail lines written as a Shopify orders export (CSV) at `out`."""
    lines = retail_lines(folder).reset_index(drop=True)
    cancelled = lines["InvoiceNo"].str.startswith("C")
    first = ~lines["InvoiceNo"].duplicated()
    created = pd.to_datetime(lines["InvoiceDate"])
    frame = pd.DataFrame(
        {
            "Name": "#" + lines["InvoiceNo"],
            "Email": lines["CustomerID"].map(lambda c: email_of(c) if isinstance(c, str) else None),
            "Financial Status": cancelled.map({True: "refunded", False: "paid"}),
            "Created at": created.dt.strftime("%Y-%m-%d %H:%M:%S +0000"),
            "Lineitem quantity": lines["Quantity"].abs(),
            "Lineitem name": lines["Description"],
            "Lineitem price": lines["UnitPrice"],
            "Lineitem sku": lines["StockCode"],
            "Billing Country": lines["Country"],
            "Refunded Amount": 0.0,
            "Cancelled at": None,
        }
    )
    order_only = ["Email", "Financial Status", "Billing Country", "Refunded Amount", "Cancelled at"]
    frame.loc[~first, order_only] = None  # Shopify writes an order's own fields on its first line
    out.parent.mkdir(parents=True, exist_ok=True)
    frame[SHOPIFY_COLUMNS].to_csv(out, index=False)
    return out


WOOCOMMERCE_COLUMNS = [
    "Order Number",
    "Order Date",
    "Order Status",
    "Billing Email Address",
    "Billing Country",
    "Item Name",
    "SKU",
    "Quantity",
    "Item Cost",
]


def woocommerce_export(folder: Path, out: Path) -> Path:
    """The retail lines written as a WooCommerce order export (one row per item, every order
    field on every row; a cancellation invoice as a refunded order)."""
    lines = retail_lines(folder).reset_index(drop=True)
    cancelled = lines["InvoiceNo"].str.startswith("C")
    frame = pd.DataFrame(
        {
            "Order Number": lines["InvoiceNo"],
            "Order Date": pd.to_datetime(lines["InvoiceDate"]).dt.strftime("%Y-%m-%d %H:%M"),
            "Order Status": cancelled.map({True: "refunded", False: "completed"}),
            "Billing Email Address": lines["CustomerID"].map(
                lambda c: email_of(c) if isinstance(c, str) else None
            ),
            "Billing Country": lines["Country"],
            "Item Name": lines["Description"],
            "SKU": lines["StockCode"],
            "Quantity": lines["Quantity"].abs(),
            "Item Cost": lines["UnitPrice"],
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    frame[WOOCOMMERCE_COLUMNS].to_csv(out, index=False)
    return out
