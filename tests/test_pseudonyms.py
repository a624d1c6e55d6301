"""Customers known by e-mail: each address replaced at load by a keyed pseudonym (the same in
every quarter, the key kept with the private files), and no address in any published file."""

from __future__ import annotations

import stat

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.batch.run import run_batch
from helpers.core.errors import ConfigError, DataError
from helpers.core.privacy import pseudonym_key, pseudonym_text, pseudonyms
from helpers.data.dataset import load_dataset
from helpers.data.engine import Engine, pseudonym
from helpers.params.loading import load_params

KEY = "0f" * 32


def test_the_engine_and_python_give_the_same_pseudonyms():
    written = ["Ann@Example.com", " ann@example.com ", "bob@shop.co.uk", None]
    engine = Engine()
    table = ibis.memtable(pd.DataFrame({"email": written}))
    ours = engine.execute(table.select(p=pseudonym(table.email, KEY)))["p"].tolist()
    python = pseudonyms(pd.Series(written), KEY).tolist()
    assert ours[:3] == python[:3] and pd.isna(ours[3]) and pd.isna(python[3])
    assert ours[0] == ours[1] != ours[2]  # the same address however it is written
    assert len(ours[0]) == 20 and "@" not in ours[0]
    assert pseudonym_text("bob@shop.co.uk", "another key") != python[2]


def test_the_key_is_made_once_for_its_owner_and_kept(tmp_path):
    path = tmp_path / "private" / "pseudonym.key"
    key = pseudonym_key(path)
    assert len(key) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pseudonym_key(path) == key


def _log(folder, n_customers=240, seed=8):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_customers):
        email, country = f"Customer.{i}@Example.org", ["GB", "DE", "FR"][i % 3]
        for j in range(int(rng.integers(1, 6))):
            day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
            rows.append(
                {
                    "Name": f"#{i}-{j}",
                    "Email": email,
                    "Created at": day,
                    "Total": round(float(rng.lognormal(3, 0.6)), 2),
                    "Billing Country": country,
                }
            )
    path = folder / "orders_export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _params(folder, path, **top):
    text = {
        "period": "2025Q4",
        "as_of": "2025-12-31",
        "data": {"orders": {"path": str(path)}},
        "orders": {"customer_id": "Email", "timestamp": "Created at", "amount": "Total", "order_id": "Name"},
    } | top
    file = folder / "shop.yaml"
    file.write_text(yaml.safe_dump(text))
    return load_params(file)


def test_e_mail_ids_stop_the_check_until_pseudonymised(tmp_path):
    path = _log(tmp_path)
    with pytest.raises(DataError, match=r"column 'Email'.*e-mail.*privacy.pseudonymise: \[Email\]"):
        load_dataset(_params(tmp_path, path))
    params = _params(tmp_path, path, privacy={"pseudonymise": ["Email"]})
    assert params.privacy.key_file == (tmp_path.parent / "private" / "pseudonym.key").resolve()
    data = load_dataset(params)
    ids = data.engine.execute(data.orders.select("customer_id"))["customer_id"]
    assert ids.nunique() == 240 and not ids.str.contains("@").any()
    key = pseudonym_key(params.privacy.key_file)
    assert pseudonym_text("customer.7@example.org", key) in set(ids)  # the same id next quarter


def test_only_id_columns_are_pseudonymised(tmp_path):
    path = _log(tmp_path)
    with pytest.raises(ConfigError, match="'Total' is not an id column"):
        _params(tmp_path, path, privacy={"pseudonymise": ["Total"]})


def test_no_e_mail_reaches_any_published_file(tmp_path):
    path = _log(tmp_path)
    columns = {"id": "Email", "geographic": ["Billing Country"], "behavioural": ["orders", "spend"]}
    orders = {
        "customer_id": "Email",
        "timestamp": "Created at",
        "amount": "Total",
        "order_id": "Name",
        "customer_fields": ["Billing Country"],
    }
    _params(tmp_path, path, privacy={"pseudonymise": ["Email"]}, columns=columns, orders=orders)
    result = run_batch(
        tmp_path / "shop.yaml", tmp_path / "reports", tmp_path / "private", progress=lambda _: None
    )
    assert result.ok, [(r.name, r.error) for r in result.notebooks if r.error]
    published = [f for f in (tmp_path / "reports").rglob("*") if f.is_file()]
    assert any(f.suffix == ".csv" for f in published) and any(f.suffix == ".html" for f in published)
    for file in published:
        text = file.read_text(encoding="utf-8", errors="ignore").lower()
        assert "example.org" not in text and "customer.7@" not in text, file
    for file in (tmp_path / "private").rglob("*.parquet"):  # nor the private files
        frame = pd.read_parquet(file)
        for col in frame.columns:
            if frame[col].dtype == object:
                assert not frame[col].astype(str).str.contains("@example.org", regex=False).any(), file


def test_init_knows_a_log_keyed_by_e_mail_and_its_file_checks_with_no_edit(tmp_path):
    from helpers.setup.draft import write_parameters

    path = _log(tmp_path)
    result = write_parameters(path, tmp_path / "init.yaml", force=True)
    assert result.check_error is None, result.check_error
    params = load_params(tmp_path / "init.yaml")
    assert params.orders.customer_id == "Email" and params.privacy.pseudonymise == ["Email"]
    assert params.customers_from_orders and "Billing Country" in params.orders.customer_fields
    assert "@" not in (tmp_path / "init.yaml").read_text()  # no address copied into the draft
