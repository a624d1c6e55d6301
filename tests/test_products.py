"""What customers buy and return: spend mix by segment (share, index, splurge, save), first
purchase and coming back, return rates, guest checkouts kept in product totals; on planted
lines, and against an independent pandas computation on the shared retailer's invoice lines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import SHARED

from helpers.analyses import products, returns
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params

AS_OF = dt.date(2024, 6, 30)
RETAIL = SHARED / "retail" / "by-day"


def planted_lines(seed: int = 3) -> pd.DataFrame:
    """Two groups of 60 buyers over four categories, with planted truths: group A splurges on
    Outdoor (three times the spend per buyer), group B buys Kids at 20% under its usual price,
    Shoes come back four times as often as anything else, and guests buy Books."""
    rng = np.random.default_rng(seed)
    rows = []
    order = 0
    for group, people in (("A", range(60)), ("B", range(60, 120))):
        for person in people:
            for category, price in (("Outdoor", 50.0), ("Kids", 20.0), ("Shoes", 40.0), ("Books", 10.0)):
                order += 1
                qty = int(rng.integers(1, 4))
                paid = price
                if group == "A" and category == "Outdoor":
                    qty *= 3
                if group == "B" and category == "Kids":
                    paid = price * 0.8
                day = dt.datetime(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 150)), seconds=order)
                rows.append((f"O{order}", f"C{person}", group, day, f"{category}-1", category, qty, paid))
                returned = rng.random() < (0.4 if category == "Shoes" else 0.1)
                if returned:
                    rows.append((f"R{order}", f"C{person}", group, day, f"{category}-1", category, -1, paid))
    for guest in range(30):
        day = dt.datetime(2024, 2, 1) + dt.timedelta(days=guest)
        rows.append((f"G{guest}", None, None, day, "Books-1", "Books", 2, 10.0))
    cols = ["order", "customer", "group", "day", "sku", "category", "qty", "price"]
    return pd.DataFrame(rows, columns=cols)


def _params(tmp_path, frame: pd.DataFrame, **orders):
    csv = tmp_path / "lines.csv"
    frame.drop(columns=["group"], errors="ignore").to_csv(csv, index=False)
    text = {
        "period": "q2",
        "as_of": str(AS_OF),
        "data": {"orders": {"path": str(csv)}},
        "orders": {
            "customer_id": "customer",
            "timestamp": "day",
            "order_id": "order",
            "quantity": "qty",
            "unit_price": "price",
            "product": "sku",
            "category": "category",
            "without_customer": "leave_out",
            **orders,
        },
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(text))
    return load_params(path)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    frame = planted_lines()
    data = load_dataset(_params(tmp_path_factory.mktemp("planted"), frame))
    groups = frame.dropna(subset=["customer"]).drop_duplicates("customer").set_index("customer")["group"]
    return frame, data, groups


def test_the_planted_splurge_saving_and_favourite_are_found(planted):
    frame, data, groups = planted
    items = products.items_of(data.lines, data.engine)
    assert items.column == "category"
    everyone = products.group_items(data.lines, items, data.engine)
    mix = products.spend_mix(products.group_items(data.lines, items, data.engine, groups), everyone, 10)
    assert products.splurges(mix, "A")["item"].tolist() == ["Outdoor"]
    assert products.splurges(mix, "B").empty
    saved = products.savings(mix, "B")
    kids = frame[(frame.sku == "Kids-1") & (frame.qty > 0)]  # half the lines at 80% of the price
    usual = (kids.qty * kids.price).sum() / kids.qty.sum()
    assert saved["item"].tolist() == ["Kids"] and saved["price index"].iloc[0] == pytest.approx(
        1600 / usual, abs=1
    )
    assert products.savings(mix, "A").empty
    assert products.favourites(mix, "A")["item"].iloc[0] == "Outdoor"
    facts = products.buying_facts(mix, "A")
    assert facts["Splurges on / saves on"][0][0] == "Splurges on Outdoor"


def test_shares_and_indexes_match_pandas(planted):
    frame, data, groups = planted
    items = products.items_of(data.lines, data.engine)
    everyone = products.group_items(data.lines, items, data.engine)
    mix = products.spend_mix(products.group_items(data.lines, items, data.engine, groups), everyone, 10)
    kept = frame[(frame["qty"] > 0) & frame["customer"].notna()].assign(v=lambda f: f.qty * f.price)
    share = kept.groupby(["group", "category"]).v.sum() / kept.groupby("group").v.sum()
    overall = kept.groupby("category").v.sum() / kept.v.sum()
    row = mix.set_index(["group", "item"]).loc[("A", "Shoes")]
    assert row["share of spend %"] == pytest.approx(100 * share[("A", "Shoes")])
    assert row["index"] == pytest.approx(100 * share[("A", "Shoes")] / overall["Shoes"])


def test_small_groups_are_hidden(planted):
    _, data, groups = planted
    items = products.items_of(data.lines, data.engine)
    few = groups.copy()
    few.iloc[:5] = "tiny"  # five buyers
    everyone = products.group_items(data.lines, items, data.engine)
    mix = products.spend_mix(products.group_items(data.lines, items, data.engine, few), everyone, 10)
    tiny = mix[mix["group"] == "tiny"]
    assert tiny["share of spend %"].isna().all() and tiny["spend per buyer"].isna().all()
    assert products.buying_lines(mix, "tiny") == []


def test_the_high_return_category_and_the_guests(planted):
    frame, data, _ = planted
    items = products.items_of(data.lines, data.engine)
    overall = returns.overall_rate(data.lines, data.engine)
    table = returns.by_item(data.lines, items, data.engine)
    said = returns.rate_sentences(table, "category", overall)
    assert len(said) == 1 and said[0].startswith("Category Shoes:")
    sold = frame[frame.qty > 0].assign(v=lambda f: f.qty * f.price)
    back = frame[frame.qty < 0].assign(v=lambda f: -f.qty * f.price)
    shoes = table.set_index("category").loc["Shoes"]
    expected = 100 * back[back.category == "Shoes"].v.sum() / sold[sold.category == "Shoes"].v.sum()
    assert shoes["return rate %"] == pytest.approx(expected)
    guests = returns.guest_totals(data.lines, data.engine)
    assert guests["guest_lines"] == 30 and guests["guest_revenue"] == pytest.approx(600.0)
    totals = products.item_totals(data.lines, items, data.engine, 10)
    assert totals.loc["Books", "revenue"] == pytest.approx(sold[sold.category == "Books"].v.sum())
    assert data.orders.customer_id.isnull().sum().execute() == 0  # guests are in no per-customer figure


def test_return_rate_and_main_category_per_customer(planted):
    frame, data, _ = planted
    behaviour = data.behaviour().set_index("customer_id")
    one = frame[frame.customer == "C7"].assign(v=lambda f: f.qty.abs() * f.price)
    expected = one[one.qty < 0].v.sum() / one[one.qty > 0].v.sum()
    assert behaviour.loc["C7", "return_rate"] == pytest.approx(expected)
    kept = one[one.qty > 0]
    assert behaviour.loc["C7", "main_category"] == kept.groupby("category").v.sum().idxmax()
    assert behaviour.loc["C7", "categories_bought"] == 4


def test_first_purchase_retention_matches_pandas(planted):
    frame, data, _ = planted
    items = products.items_of(data.lines, data.engine)
    table = returns.first_purchase_retention(data.lines, data.orders, items, data.engine, AS_OF, 10)
    kept = frame[(frame.qty > 0) & frame.customer.notna()].assign(v=lambda f: f.qty * f.price)
    kept["day"] = pd.to_datetime(kept["day"])
    first_day = kept.groupby("customer").day.transform("min")
    first = kept[kept.day == first_day].sort_values("v").groupby("customer").tail(1).set_index("customer")
    orders = kept.groupby("customer").order.nunique()
    came = (orders > 1).groupby(first["category"]).mean()
    got = table.set_index("category")["came back %"]
    for category, share in came.items():
        if (first["category"] == category).sum() >= 10:
            assert got[category] == pytest.approx(100 * share)


def test_a_product_file_gives_the_categories(tmp_path):
    frame = planted_lines().drop(columns=["category"])
    catalogue = pd.DataFrame(
        {
            "SKU": ["Outdoor-1", "Kids-1", "Shoes-1"],
            "Line": ["Outdoor", "Kids", "Shoes"],
            "Name": ["Tent", "Toy", "Boot"],
        }
    )
    catalogue.to_csv(tmp_path / "products.csv", index=False)
    params = _params(tmp_path, frame)
    raw = params.model_dump(mode="json", exclude_none=True)
    raw["orders"].pop("category")
    raw["data"]["products"] = {"path": str(tmp_path / "products.csv")}
    raw["products"] = {"sku": "SKU", "category": "Line", "name": "Name"}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    data = load_dataset(load_params(tmp_path / "p.yaml"))
    quality = data.quality_table().set_index("check")["rows"]
    assert quality["products not in the product file"] == (frame.sku == "Books-1").sum()
    cats = set(data.engine.execute(data.lines.select("category", "product").distinct())["category"])
    assert cats == {"Outdoor", "Kids", "Shoes", "(not in the product file)"}
    assert {"Tent", "Toy", "Boot"} <= set(data.engine.execute(data.lines.select("product"))["product"])


def test_first_line_only_order_fields_status_and_refunds(tmp_path):
    """Shopify's shape: the order's e-mail, status and refund on its first line only; a refunded
    order is left out, a partial refund lowers the order's revenue."""
    rows = [
        ("#1", "a@x.com", "paid", "2024-01-05", 2, 10.0, 0.0),
        ("#1", None, None, "2024-01-05", 1, 5.0, None),
        ("#2", "b@x.com", "refunded", "2024-01-06", 1, 30.0, 30.0),
        ("#3", "a@x.com", "partially_refunded", "2024-02-01", 4, 10.0, 15.0),
        ("#3", None, None, "2024-02-01", 1, 20.0, None),
    ] + [(f"#{i}", f"c{i}@x.com", "paid", "2024-03-01", 1, 12.0, 0.0) for i in range(10, 60)]
    frame = pd.DataFrame(
        rows, columns=["Name", "Email", "Financial Status", "Created at", "qty", "price", "Refunded"]
    )
    csv = tmp_path / "shop.csv"
    frame.to_csv(csv, index=False)
    text = {
        "period": "q",
        "as_of": str(AS_OF),
        "data": {"orders": {"path": str(csv)}},
        "orders": {
            "customer_id": "Email",
            "timestamp": "Created at",
            "order_id": "Name",
            "quantity": "qty",
            "unit_price": "price",
            "status": "Financial Status",
            "refunded_amount": "Refunded",
        },
        "privacy": {"pseudonymise": ["Email"], "key_file": str(tmp_path / "key")},
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(text))
    data = load_dataset(load_params(tmp_path / "p.yaml"))
    orders = data.engine.execute(data.orders).set_index("order_id")
    assert set(orders.index) == {"#1", "#3", *(f"#{i}" for i in range(10, 60))}  # #2 refunded
    assert orders.loc["#1", "amount"] == pytest.approx(25.0)
    assert orders.loc["#3", "amount"] == pytest.approx(60.0 - 15.0)
    assert orders.loc["#1", "customer_id"] == orders.loc["#3", "customer_id"]  # one customer
    assert "@" not in "".join(orders["customer_id"])
    quality = data.quality_table().set_index("check")["rows"]
    assert quality["returned, refunded or cancelled lines"] == 1


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    if not RETAIL.is_dir():
        pytest.skip("../shared/data/retail not present")
    lines = pd.concat(
        [pd.read_csv(p, dtype={"InvoiceNo": str, "StockCode": str}) for p in sorted(RETAIL.glob("*.csv"))],
        ignore_index=True,
    )
    from test_order_lines import _params as retail_params

    folder = tmp_path_factory.mktemp("retail_products")
    params = retail_params(folder, RETAIL, product="Description", without_customer="leave_out")
    return lines, load_dataset(params)


def test_retail_products_returns_and_guests_match_pandas(retail):
    lines, data = retail
    lines = lines.assign(v=lines.Quantity * lines.UnitPrice)
    sold = lines[(lines.Quantity > 0) & (lines.UnitPrice >= 0)]
    items = products.items_of(data.lines, data.engine)
    assert items.column == "product" and len(items.top) == products.TOP_ITEMS
    totals = products.item_totals(data.lines, items, data.engine, 0)
    assert totals["revenue"].sum() == pytest.approx(sold.v.sum())  # guests' lines included
    top = items.top[0]
    assert totals.loc[top, "revenue"] == pytest.approx(sold[sold.Description == top].v.sum())
    guests = returns.guest_totals(data.lines, data.engine)
    assert guests["guest_revenue"] == pytest.approx(sold[sold.CustomerID.isna()].v.sum())
    negative = lines[lines.Quantity < 0]
    assert returns.overall_rate(data.lines, data.engine) == pytest.approx(
        100 * negative.v.abs().sum() / sold.v.sum()
    )
    rates = returns.by_cohort(data.lines, data.orders, data.engine)
    customers = lines[lines.CustomerID.notna()]
    kept = customers[customers.Quantity > 0]
    first = pd.to_datetime(kept.groupby("CustomerID").InvoiceDate.min()).dt.to_period("M")
    december = first[first == pd.Period("2010-12")].index
    mine = customers[customers.CustomerID.isin(december)]
    expected = 100 * mine[mine.Quantity < 0].v.abs().sum() / mine[mine.Quantity > 0].v.sum()
    assert rates.set_index("cohort").loc["2010-12-01", "return rate %"] == pytest.approx(expected)


def test_the_demo_brands_planted_truths_are_found(demo_dir_full, tmp_path):
    """Premium loyalists splurge on Home; Footwear comes back far more than anything else; the
    Premium loyalists bring a far larger share of revenue than of buyers; guests are kept apart."""
    from conftest import demo_params_at

    from helpers.analyses import revenue

    data = load_dataset(demo_params_at(demo_dir_full, tmp_path))
    truth = pd.read_parquet(demo_dir_full / "_truth.parquet").set_index("customer_id")["segment_name"]
    items = products.items_of(data.lines, data.engine)
    everyone = products.group_items(data.lines, items, data.engine)
    mix = products.spend_mix(products.group_items(data.lines, items, data.engine, truth), everyone, 10)
    assert products.splurges(mix, "Premium loyalists")["item"].iloc[0] == "Home"
    assert products.favourites(mix, "Premium loyalists")["item"].iloc[0] == "Home"
    overall = returns.overall_rate(data.lines, data.engine)
    said = returns.rate_sentences(returns.by_item(data.lines, items, data.engine), "category", overall)
    assert len(said) == 1 and said[0].startswith("Category Footwear:")
    spend = data.behaviour().set_index("customer_id")["spend"]
    by_segment = revenue.revenue_by_labels(spend, truth, "Segment", 10)
    premium = by_segment.loc[by_segment.index.get_level_values(-1) == "Premium loyalists"].iloc[0]
    assert premium["share of revenue %"] > 1.5 * premium["share of buyers %"]
    guests = returns.guest_totals(data.lines, data.engine)
    assert 0.02 < guests["guest_lines"] / guests["lines"] < 0.04
    assert data.quality_table().set_index("check").loc["orders without a customer id", "rows"] > 0
