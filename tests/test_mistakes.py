"""A user's mistake is one message and exit 2, and bad data never passes as good: encodings,
ids written two ways, ambiguous dates, refunds, personal data under a wrong role, bad parameter
files. Each case writes its own small file."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyreadstat
import pytest
import yaml

from helpers.core.errors import ConfigError, DataError
from helpers.data.dataset import load_dataset
from helpers.params.loading import load_params

WORKBOOK = [sys.executable, "-m", "helpers.cli"]


def _people(n: int = 120) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": range(1, n + 1), "city": ["上海", "北京", "广州"] * (n // 3), "plan": ["Yes", "No"] * (n // 2)}
    )


def _params(tmp_path, customers: str | None = "c.csv", orders: str | None = None, **extra):
    raw = {"period": "t", "as_of": "2024-12-31", "data": {}, "validation": {"min_rows": 10}}
    if customers:
        raw["data"]["customers"] = {"path": customers}
        raw["columns"] = {"id": "id", "geographic": ["city"], "behavioural": ["plan"]}
    if orders:
        raw["data"]["orders"] = {"path": orders}
        raw["orders"] = {"customer_id": "customer", "timestamp": "ts", "amount": "amount"}
    for key, value in extra.items():
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def _orders(ids: list, n: int = 3) -> pd.DataFrame:
    rows = [
        {"customer": i, "ts": f"2024-0{1 + k % 9}-1{k % 9} 10:00:00", "amount": 10.0 + k}
        for i in ids
        for k in range(n)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_chinese_text_is_read_right_without_an_encoding(tmp_path, encoding):
    (tmp_path / "c.csv").write_bytes(_people().to_csv(index=False).encode(encoding))
    data = load_dataset(load_params(_params(tmp_path)))
    assert set(data.customers["city"]) == {"上海", "北京", "广州"}


def test_big5_text_is_read_right(tmp_path):
    frame = _people().assign(city=["台北", "高雄", "台中"] * 40)
    (tmp_path / "c.csv").write_bytes(frame.to_csv(index=False).encode("big5"))
    data = load_dataset(load_params(_params(tmp_path)))
    assert set(data.customers["city"]) == {"台北", "高雄", "台中"}


def test_spss_numeric_ids_link_to_text_ids_in_orders(tmp_path):
    people = _people().assign(id=lambda f: f["id"].astype(float), city="x")
    pyreadstat.write_sav(people, str(tmp_path / "c.sav"))
    _orders(list(range(1, 121))).to_csv(tmp_path / "o.csv", index=False)
    data = load_dataset(load_params(_params(tmp_path, "c.sav", "o.csv")))
    assert data.customers["id"].iloc[0] == "1"
    assert not [q for q in data.quality if q.check == "customer not in the customer file"]


def test_orders_that_mostly_link_to_no_one_stop_the_run(tmp_path):
    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    _orders([f"C{i}" for i in range(1, 121)]).to_csv(tmp_path / "o.csv", index=False)
    with pytest.raises(DataError, match="only 0 of 360 orders link to a customer"):
        load_dataset(load_params(_params(tmp_path, "c.csv", "o.csv")))


def test_mixed_day_and_month_first_dates_stop_the_run(tmp_path):
    frame = _people().assign(first=["13/02/2024", "02/13/2024", "2024-01-05"] * 40)
    frame.to_csv(tmp_path / "c.csv", index=False)
    path = _params(tmp_path, **{"columns.acquisition": {"date": "first"}})
    with pytest.raises(DataError) as err:
        load_dataset(load_params(path))
    assert "column 'first': mixes day-first and month-first dates" in str(err.value)
    assert "YYYY-MM-DD" in str(err.value)


def test_day_first_dates_are_read_day_first(tmp_path):
    frame = _people().assign(first=["13/02/2024", "05/03/2024", "2024-01-05"] * 40)
    frame.to_csv(tmp_path / "c.csv", index=False)
    data = load_dataset(load_params(_params(tmp_path, **{"columns.acquisition": {"date": "first"}})))
    assert str(data.customers["first"].iloc[1].date()) == "2024-03-05"


@pytest.fixture
def with_refunds(tmp_path) -> pd.DataFrame:
    """A customer file and an orders file whose first five orders are refunds."""
    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    orders = _orders(list(range(1, 121)))
    orders.loc[:4, "amount"] = -25.0
    orders.to_csv(tmp_path / "o.csv", index=False)
    return orders


def test_refunds_are_left_out_and_said(tmp_path, with_refunds):
    orders = with_refunds
    data = load_dataset(load_params(_params(tmp_path, "c.csv", "o.csv")))
    refunds = [q for q in data.quality if q.check.startswith("refunds")]
    assert refunds and refunds[0].rows == 5
    assert int(data.engine.execute(data.orders.count())) == len(orders) - 5
    kept = load_dataset(load_params(_params(tmp_path, "c.csv", "o.csv", **{"orders.refunds": "keep"})))
    assert int(kept.engine.execute(kept.orders.count())) == len(orders)


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        ("contact", [f"p{i}@example.com" for i in range(120)], "e-mail addresses"),
        ("contact", [f"+44 7700 900{i:03d}" for i in range(120)], "phone numbers"),
        ("contact", [f"1381234{i:04d}" for i in range(120)], "phone numbers"),
        (
            "contact",
            [
                f"{a} {b}"
                for a in ["Anna", "Omar", "Liam", "Sara", "Wei", "Ravi"]
                for b in [
                    "Smith",
                    "Jones",
                    "Evans",
                    "Brown",
                    "Clark",
                    "Lewis",
                    "Moore",
                    "Young",
                    "Hall",
                    "Allen",
                    "King",
                    "Scott",
                    "Green",
                    "Baker",
                    "Adams",
                    "Hill",
                    "Wood",
                    "Ward",
                    "Cox",
                    "Gray",
                ]
            ],
            "person names",
        ),
    ],
)
def test_personal_data_under_a_wrong_role_is_refused(tmp_path, column, values, kind):
    _people().assign(contact=values).to_csv(tmp_path / "c.csv", index=False)
    path = _params(tmp_path, **{"columns.demographic": ["contact"]})
    with pytest.raises(DataError) as err:
        load_dataset(load_params(path))
    msg = str(err.value)
    assert f"column 'contact': declared demographic, but 100% of its values look like {kind}" in msg
    assert "`columns.personal`" in msg
    acknowledged = _params(
        tmp_path, **{"columns.demographic": ["contact"], "privacy.not_personal": ["contact"]}
    )
    load_dataset(load_params(acknowledged))


def _cli(*args, cwd):
    return subprocess.run([*WORKBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("folder", "is a folder"),
        ("period: t\ntitle: Caf\xe9 \xe0 la carte\n".encode("cp1252"), "not a UTF-8 text file"),
        ("period: t\n".encode("utf-16"), "not a UTF-8 text file"),
        (b"\x00\x01\x02binary", "not a UTF-8 text file"),
    ],
)
def test_unreadable_parameter_files_are_one_message(tmp_path, content, message):
    target = tmp_path / "p.yaml"
    if content == "folder":
        target.mkdir()
    else:
        target.write_bytes(content)
    result = _cli("check", str(target), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("period", ["index", "index.html", "x.tmp", "CON", "_failed", "a" * 65])
def test_unsafe_period_names_are_refused(tmp_path, period):
    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    path = _params(tmp_path, period=period)
    with pytest.raises(ConfigError, match="`period`"):
        load_params(path)


def test_reports_pointing_at_a_file_is_one_message(tmp_path):
    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    path = _params(tmp_path)
    (tmp_path / "reports").write_text("not a folder")
    result = _cli("run", str(path), "--reports", "reports", cwd=tmp_path)
    assert result.returncode == 2 and "--reports names a file" in result.stderr
    assert "Traceback" not in result.stderr


def test_leftovers_of_killed_runs_are_removed_and_the_index_rebuilt(tmp_path):
    import os

    from helpers.batch.publish import OWNER, clean_stale

    reports = tmp_path / "reports"
    dead = reports / ".build-q-dead"
    alive = reports / ".build-q-alive"
    for folder in (dead, alive):
        folder.mkdir(parents=True)
    (dead / OWNER).write_text("999999999")  # no such process
    (alive / OWNER).write_text(str(os.getppid()))  # a process that is running
    (reports / "index.html.tmp").write_text("half")
    removed = clean_stale(reports)
    assert dead in removed and not dead.exists() and alive.exists()
    assert not (reports / "index.html.tmp").exists()
    result = _cli("index", "--reports", str(reports), cwd=tmp_path)
    assert result.returncode == 0 and (reports / "index.html").exists()
    assert "No reports published yet" in (reports / "index.html").read_text()


def test_an_orders_file_in_a_windows_encoding_is_read(tmp_path):
    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    orders = _orders(list(range(1, 121))).assign(shop=["Zürich", "Malmö", "Café"] * 120)
    (tmp_path / "o.csv").write_bytes(orders.to_csv(index=False).encode("cp1252"))
    data = load_dataset(load_params(_params(tmp_path, "c.csv", "o.csv")))
    assert int(data.engine.execute(data.orders.count())) == len(orders)


def test_orders_without_amounts_have_no_money_figures(tmp_path):
    from helpers.analyses import scorecard
    from helpers.data.dataset import profile_frame

    (tmp_path / "c.csv").write_text(_people().to_csv(index=False))
    _orders(list(range(1, 121))).drop(columns="amount").to_csv(tmp_path / "o.csv", index=False)
    path = _params(tmp_path, "c.csv", "o.csv")
    raw = yaml.safe_load(path.read_text())
    del raw["orders"]["amount"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    data = load_dataset(load_params(path))
    assert data.behaviour()["spend_12m"].isna().all() and data.behaviour()["orders"].gt(0).all()
    frame = profile_frame(data)
    assert frame["spend"].isna().all() and frame["orders"].gt(0).all()
    assert scorecard.value_of(frame, data.params)[0] is None  # no made-up value measure


def test_refunds_are_not_counted_again_as_duplicates(tmp_path, with_refunds):
    data = load_dataset(load_params(_params(tmp_path, "c.csv", "o.csv")))
    assert not [q for q in data.quality if "duplicate" in q.check]


def test_a_status_mapped_by_its_label_or_its_code(tmp_path):
    from helpers.params.schema import status_groups

    _people().assign(s=[1, 2] * 60).to_csv(tmp_path / "c.csv", index=False)
    for churned in (["Churned"], [2]):
        path = _params(
            tmp_path,
            **{
                "columns.status": {"column": "s", "churned": churned, "customer": ["Active"]},
                "labels": {"values": {"s": {1: "Active", 2: "Churned"}}},
            },
        )
        data = load_dataset(load_params(path))
        groups = status_groups(data.customers["s"], data.params)
        assert groups.value_counts().to_dict() == {"customer": 60, "churned": 60}


def test_ambiguous_dates_with_a_time_stop_the_run(tmp_path):
    _people().assign(first="05/03/2024 10:00").to_csv(tmp_path / "c.csv", index=False)
    path = _params(tmp_path, **{"columns.acquisition": {"date": "first"}})
    with pytest.raises(DataError, match="could be day-first or month-first"):
        load_dataset(load_params(path))


def test_value_labels_only_on_categories_and_persona_columns_analysed(tmp_path):
    (tmp_path / "c.csv").write_text(_people().assign(w=1.0, age=30).to_csv(index=False))
    with pytest.raises(ConfigError, match="`labels.values.w`: 'w' is a weight, not a category"):
        load_params(_params(tmp_path, **{"columns.weight": "w", "labels": {"values": {"w": {1: "one"}}}}))
    with pytest.raises(ConfigError, match="`personas.age`: 'age' is not analysed"):
        load_params(_params(tmp_path, **{"columns.personal": ["age"], "personas.age": "age"}))


def test_ranges_and_postcodes_are_not_phone_numbers():
    from helpers.core.privacy import personal_share

    for values in (["1000-2000", "25000-49999"], ["12345-6789", "90210-1234"]):
        kind, share = personal_share(pd.Series(values * 20))
        assert share == 0 or kind != "phone numbers"
