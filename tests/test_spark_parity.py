"""Engine parity: the same demo and CDNOW computations on DuckDB and on Spark (local mode) give the
same tables, exact for counts and within 1e-9 (relative) for money.

Marked `spark`: skip them locally with `pytest -m "not spark"`. They need the Spark extra
(`pip install -e ".[spark]"`) and Java; without those they skip, unless WORKBOOK_REQUIRE_SPARK=1
(set by CI), where a missing Spark is a failure.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED, demo_params_at

from helpers.analyses import acquisition, cohorts, explore, filters, stick_point, usage, value
from helpers.data.dataset import Dataset, load_dataset
from helpers.data.engine import order_crosstab
from helpers.params.loading import load_params

pytestmark = pytest.mark.spark
CDNOW = SHARED / "cdnow" / "CDNOW_master.txt"


@pytest.fixture(scope="module", autouse=True)
def _spark_available():
    if importlib.util.find_spec("pyspark") is None:
        if os.environ.get("WORKBOOK_REQUIRE_SPARK") == "1":
            pytest.fail('WORKBOOK_REQUIRE_SPARK=1 but PySpark is missing: pip install -e ".[spark]"')
        pytest.skip('PySpark not installed (pip install -e ".[spark]")')


# Predictions of a fitted model: the maximum-likelihood fit stops at its own tolerance, so inputs
# that differ in the last bit (sums added in another order) move them by ~1e-9; 1e-7 is still far
# below anything a report shows.
MODEL_RTOL = 1e-7


MODEL_WORDS = (
    "clv",
    "alive",
    "value",
    "predicted",
    "expected",
    "estimate",
    "odds",
    "95%",
    "p-value",
    "log_likelihood",
)


def rtol_of(column: object) -> float:
    return MODEL_RTOL if any(w in str(column).lower() for w in MODEL_WORDS) else 1e-9


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame, what: str) -> None:
    """Same shape, labels and types; integers exact, floats within 1e-9 relative."""
    assert list(duck.columns) == list(spark.columns), what
    assert duck.shape == spark.shape, what
    pd.testing.assert_index_equal(duck.index, spark.index, exact=False, obj=what)
    for col in duck.columns:
        a, b = duck[col], spark[col]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            np.testing.assert_allclose(
                a.to_numpy(float),
                b.to_numpy(float),
                rtol=rtol_of(col),
                atol=0,
                equal_nan=True,
                err_msg=f"{what}: {col}",
            )
        else:  # counts, labels, dates; numbers in mixed columns (hidden cells) within 1e-9
            assert a.dtype == b.dtype, f"{what}: {col}: {a.dtype} vs {b.dtype}"
            for x, y in zip(a.tolist(), b.tolist(), strict=True):
                if isinstance(x, float) and isinstance(y, float):
                    assert x == pytest.approx(y, rel=1e-9, nan_ok=True), f"{what}: {col}"
                else:
                    assert x == y or (pd.isna(x) and pd.isna(y)), f"{what}: {col}: {x!r} vs {y!r}"


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def demo_tables(data: Dataset) -> dict[str, pd.DataFrame]:
    """Every engine computation the notebooks make over the demo's orders."""
    params, cohort_rules = data.params, data.params.cohorts
    frame = filters.profile_frame(data)
    out: dict[str, pd.DataFrame] = {
        "quality": pd.DataFrame([vars(q) for q in data.quality]),
        "behaviour": sorted_rows(explore.buyer_behaviour(data), ["customer_id"]),
        "monthly orders": explore.monthly_orders(data),
        "order flags": explore.order_flags(data),
        "revenue by channel (crosstab counts)": explore.revenue_by(data),
        "filter masks": filters.filter_masks(frame, params),
    }
    people = data.engine.register(frame[["customer_id", "region", "acquisition_channel"]], "_parity_people")
    out["order crosstab"] = data.engine.execute(
        order_crosstab(data.orders, people, "region", "acquisition_channel")
    )
    for definition in ("on", "on_or_after"):
        ret = cohorts.retention(
            data.engine,
            data.orders,
            params.as_of,
            cohort_rules.period,
            definition,
            max_periods=cohort_rules.max_periods,
        )
        out[f"retention {definition}"] = ret.matrix()
        out[f"revenue retention {definition}"] = ret.matrix("revenue_retention")
        out[f"cohort sizes {definition}"] = ret.sizes().to_frame()
    for name, split in cohorts.split_retention(data, frame, params).items():
        out[f"retention by {name}"] = split.at(cohort_rules.economics_periods)
    out["channel economics"] = acquisition.economics(data, frame, params)
    for code, effect in acquisition.promotions(data, frame, params).items():
        out[f"promotion {code}"] = effect.table
    stick = stick_point.find(data, params)
    out["stick point counts"] = pd.concat(stick.levels, names=["action"])
    result = value.fit_value(data.engine, data.orders, params.as_of, params.value, cohort_rules.margin)
    out["rfm summary"] = sorted_rows(result.customers.reset_index(), ["customer_id"])[
        ["customer_id", "frequency", "recency", "T", "monetary"]
    ]
    out["cohort rules"] = acquisition.rules(data, frame, params, result.customers["clv"])
    return out


def on_both(
    load: Callable[[str], Dataset], compute: Callable[[Dataset], dict[str, pd.DataFrame]]
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    duck, spark = load("duckdb"), load("spark")
    assert duck.engine.name == "duckdb" and spark.engine.name == "spark"
    return compute(duck), compute(spark)


def test_demo_computations_are_identical_on_duckdb_and_spark(demo_dir, tmp_path):
    params = demo_params_at(demo_dir, tmp_path)
    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), demo_tables)
    assert duck.keys() == spark.keys()
    for name in duck:
        assert_same(duck[name], spark[name], name)
    # the comparison is not vacuous: the demo has orders in every table compared
    assert duck["order crosstab"]["orders"].sum() == duck["behaviour"]["orders"].sum() > 1000


@pytest.mark.skipif(not CDNOW.exists(), reason="../shared/data/cdnow not present")
def test_cdnow_cohorts_and_rfm_are_identical_on_duckdb_and_spark():
    params = load_params(ROOT / "parameters" / "examples" / "cdnow.yaml")

    def compute(data: Dataset) -> dict[str, pd.DataFrame]:
        ret = cohorts.retention(data.engine, data.orders, params.as_of, "month", "on")
        summary = data.engine.execute(value.rfm_summary(data.orders, params.as_of, "weeks"))
        return {
            "retention": ret.matrix(),
            "revenue": ret.matrix("revenue"),
            "sizes": ret.sizes().to_frame(),
            "rfm": sorted_rows(summary, ["customer_id"]),
            "monthly": explore.monthly_orders(data),
        }

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), compute)
    for name in duck:
        assert_same(duck[name], spark[name], f"CDNOW {name}")
    assert len(duck["rfm"]) == 23_570


@pytest.mark.slow
def test_the_cohort_report_runs_on_spark_with_the_same_tables_and_no_spark_noise(demo_dir, tmp_path):
    """`engine: spark` through the batch: the report is made, its tables equal DuckDB's."""
    import subprocess
    import sys

    import yaml
    from conftest import demo_params_raw

    tables = {}
    for engine in ("duckdb", "spark"):
        raw = demo_params_raw()
        raw["engine"] = engine
        raw["data"]["customers"]["path"] = str(demo_dir / "customers.parquet")
        raw["data"]["orders"]["path"] = str(demo_dir / "orders.parquet")
        folder = tmp_path / engine
        folder.mkdir()
        (folder / "params.yaml").write_text(yaml.safe_dump(raw))
        done = subprocess.run(
            [sys.executable, "-m", "helpers.cli", "run", "params.yaml", "--only", "04_cohorts"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        v1 = folder / "reports" / "demo" / "v1"
        html = re.sub(r"base64,[A-Za-z0-9+/=]+", "", (v1 / "04_cohorts.html").read_text())
        for noise in ("WARN", "log4j", "SparkSession", "py4j", "Traceback", "Stage "):
            assert noise not in html, noise
        tables[engine] = {
            p.name: pd.read_csv(p, index_col=0) for p in sorted((v1 / "tables" / "04_cohorts").glob("*.csv"))
        }
    assert tables["duckdb"].keys() == tables["spark"].keys() and len(tables["duckdb"]) > 5
    for name, duck in tables["duckdb"].items():
        assert_same(duck, tables["spark"][name], name)


def test_the_saas_quarter_is_identical_on_duckdb_and_spark(tmp_path):
    """Accounts, contacts, a usage log (times written with offsets, in a CSV) and invoices: the
    usage fields, retention on activity, conversion, the action search and the rules agree."""
    from test_events import saas_raw, write_params

    from helpers.setup.demo_saas import write_saas

    data_dir = tmp_path / "saas"
    write_saas(data_dir, accounts=800)
    ev = pd.read_parquet(data_dir / "events.parquet")
    ev["event_time"] = (ev["event_time"] + pd.Timedelta(hours=1)).dt.strftime("%Y-%m-%d %H:%M:%S") + "+01:00"
    ev.to_csv(data_dir / "events.csv", index=False)
    raw = saas_raw(data_dir)
    raw["data"]["events"]["path"] = str(data_dir / "events.csv")
    params = load_params(write_params(tmp_path, raw))

    def compute(data: Dataset) -> dict[str, pd.DataFrame]:
        frame = filters.profile_frame(data)
        out = {
            "quality": pd.DataFrame([vars(q) for q in data.quality]),
            "usage": sorted_rows(data.usage(), ["customer_id"]),
            "event types": explore.event_type_table(data),
            "usage by month": explore.monthly_usage(data),
        }
        for definition in ("on", "on_or_after"):
            ret = cohorts.retention(data.engine, data.activity, params.as_of, "month", definition)
            out[f"retention {definition}"] = ret.matrix()
            out[f"revenue {definition}"] = ret.matrix("revenue")
        conv = usage.conversions(data, params.events.conversion_days)
        out["conversion"] = usage.conversion_by(conv, usage.group_values(frame, params, "industry"))
        search = stick_point.find(data, params)
        out["actions"] = search.per_action
        out["levels"] = pd.concat(search.levels, names=["event type"])
        out["rules"] = acquisition.rules(data, frame, params)
        out["economics"] = acquisition.economics(data, frame, params)
        return out

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), compute)
    for name in duck:
        assert_same(duck[name], spark[name], f"SaaS {name}")
    assert duck["usage"]["count_logged_in"].sum() > 10_000


def test_amounts_written_as_text_read_the_same_on_duckdb_and_spark(tmp_path):
    rows = [("c1", "2025-01-03", "1.234,50 €"), ("c1", "2025-02-03", "12,00 €")]
    rows += [("c2", "2025-01-09", "-7,25 €")]
    (tmp_path / "sales.csv").write_text("client;date;paid\n" + "\n".join(";".join(r) for r in rows) + "\n")
    (tmp_path / "p.yaml").write_text(
        'period: money\nas_of: 2025-03-31\ndata: {orders: {path: sales.csv, delimiter: ";"}}\n'
        'orders: {customer_id: client, timestamp: date, amount: paid, decimal: ",", refunds: keep}\n'
        "validation: {min_rows: 1}\n"
    )
    params = load_params(tmp_path / "p.yaml")

    def amounts(data: Dataset) -> dict[str, pd.DataFrame]:
        table = data.engine.execute(data.orders.select("customer_id", "amount"))
        return {"amounts": sorted_rows(table, ["customer_id", "amount"])}

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), amounts)
    assert_same(duck["amounts"], spark["amounts"], "amounts as text")
    assert sorted(duck["amounts"]["amount"]) == [-7.25, 12.0, 1234.5]


def test_e_mail_pseudonyms_are_identical_on_duckdb_spark_and_python(tmp_path):
    from helpers.core.privacy import pseudonym_key, pseudonym_text

    rows = [("Ann@Example.com", "2025-01-03", "10"), (" ann@example.com", "2025-02-03", "12")]
    rows += [("bob@shop.co.uk", "2025-01-09", "7")]
    (tmp_path / "sales.csv").write_text("email,date,paid\n" + "\n".join(",".join(r) for r in rows) + "\n")
    (tmp_path / "p.yaml").write_text(
        "period: keyed\nas_of: 2025-03-31\ndata: {orders: {path: sales.csv}}\n"
        "orders: {customer_id: email, timestamp: date, amount: paid}\n"
        "validation: {min_rows: 1}\nprivacy: {pseudonymise: [email], key_file: key.txt}\n"
    )
    params = load_params(tmp_path / "p.yaml")

    def ids(data: Dataset) -> dict[str, pd.DataFrame]:
        return {
            "ids": sorted_rows(data.engine.execute(data.orders.select("customer_id", "amount")), ["amount"])
        }

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), ids)
    assert_same(duck["ids"], spark["ids"], "pseudonyms")
    key = pseudonym_key(tmp_path / "key.txt")
    assert duck["ids"]["customer_id"].tolist() == [
        pseudonym_text("bob@shop.co.uk", key),
        pseudonym_text("ann@example.com", key),
        pseudonym_text("ann@example.com", key),
    ]


def test_order_lines_are_identical_on_duckdb_and_spark(tmp_path):
    """The retailer's invoice lines summed into orders, with guests and cancelled lines left out."""
    from test_order_lines import RETAIL
    from test_order_lines import _params as retail_params

    if not RETAIL.is_dir():
        pytest.skip("../shared/data/retail not present")
    folder = tmp_path / "by-day"  # four weeks of the daily files as they come keep Spark quick
    folder.mkdir()
    for day in sorted(RETAIL.glob("*.csv"))[:19]:
        shutil.copy(day, folder / day.name)
    day = sorted(RETAIL.glob("*.csv"))[19]
    with gzip.open(folder / f"{day.name}.gz", "wb") as handle:  # and one compressed
        handle.write(day.read_bytes())
    columns = {"id": "CustomerID", "geographic": ["Country"], "behavioural": ["orders", "spend"]}
    params = retail_params(
        tmp_path, folder, {"columns": columns}, without_customer="leave_out", customer_fields=["Country"]
    )

    def compute(data: Dataset) -> dict[str, pd.DataFrame]:
        orders = data.engine.execute(data.orders.select("order_id", "customer_id", "order_ts", "amount"))
        ret = cohorts.retention(data.engine, data.orders, params.as_of, "week", "on")
        return {
            "orders": sorted_rows(orders, ["order_id"]),
            "customers": sorted_rows(data.customers, ["CustomerID"]),  # built from the lines
            "retention": ret.matrix().reset_index(),
            "quality": data.quality_table(),
        }

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), compute)
    assert len(duck["orders"]) > 1000
    for name in duck:
        assert_same(duck[name], spark[name], f"order lines {name}")


def test_products_returns_and_shop_shape_are_identical_on_duckdb_and_spark(tmp_path):
    """Spend mix, splurge and price index, return rates, first-purchase retention and guests on
    planted lines; and Shopify's first-line-only order fields with a status and a refund."""
    from test_products import _params as lines_params
    from test_products import planted_lines

    from helpers.analyses import products, returns

    frame = planted_lines()
    groups = frame.dropna(subset=["customer"]).drop_duplicates("customer").set_index("customer")["group"]
    params = lines_params(tmp_path, frame)

    def compute(data: Dataset) -> dict[str, pd.DataFrame]:
        items = products.items_of(data.lines, data.engine)
        everyone = products.group_items(data.lines, items, data.engine)
        by_group = products.group_items(data.lines, items, data.engine, groups)
        lines, orders = data.lines, data.orders
        first = returns.first_purchase_retention(lines, orders, items, data.engine, params.as_of, 10)
        return {
            "mix": sorted_rows(products.spend_mix(by_group, everyone, 10), ["group", "item"]),
            "totals": products.item_totals(data.lines, items, data.engine, 10).reset_index(),
            "by_item": sorted_rows(returns.by_item(data.lines, items, data.engine), ["category"]),
            "by_cohort": returns.by_cohort(data.lines, data.orders, data.engine),
            "first": sorted_rows(first, ["category"]),
            "behaviour": sorted_rows(data.behaviour(), ["customer_id"]),
            "guests": pd.DataFrame([returns.guest_totals(data.lines, data.engine)]),
        }

    duck, spark = on_both(lambda e: load_dataset(params.model_copy(update={"engine": e})), compute)
    assert len(duck["mix"]) == 8
    for name in duck:
        assert_same(duck[name], spark[name], f"products {name}")
