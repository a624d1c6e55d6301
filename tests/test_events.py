"""Accounts and usage events (#20): the SaaS demo's planted truths are found, the counts equal
plain pandas and hand counts, a shuffled log has no stick point, and bad logs stop with one
message naming the file, the column and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.analyses import acquisition, cohorts, scorecard, stick_point, subscriptions, usage
from helpers.core.errors import ConfigError, DataError
from helpers.data.dataset import load_dataset, profile_frame
from helpers.data.events import slug
from helpers.params.loading import load_params, read_yaml
from helpers.setup.demo_saas import (
    BEST_INDUSTRY,
    CHURNING_PLAN,
    EARLY_DAYS,
    HIGH_CAC_CHANNEL,
    STICK_COUNT,
    STICK_EVENT,
    shuffled_usage,
    write_saas,
)

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = [sys.executable, "-m", "helpers.cli"]


def saas_raw(folder: Path) -> dict:
    """demo-saas.yaml with its data paths pointing at ``folder``."""
    raw = read_yaml((ROOT / "parameters" / "demo-saas.yaml").read_text())
    for key, name in (
        ("accounts", "accounts"),
        ("contacts", "contacts"),
        ("events", "events"),
        ("orders", "invoices"),
    ):
        raw["data"][key]["path"] = str(folder / f"{name}.parquet")
    return raw


def write_params(tmp_path: Path, raw: dict, name: str = "saas.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def saas_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("saas")
    write_saas(out)  # the default size: the planted truths are tested at it
    return out


@pytest.fixture(scope="module")
def saas(saas_dir, tmp_path_factory):
    params = load_params(write_params(tmp_path_factory.mktemp("p"), saas_raw(saas_dir)))
    data = load_dataset(params)
    return params, data, profile_frame(data)


# --- planted truths ---------------------------------------------------------------------------


def test_the_industry_that_converts_best_is_found(saas):
    params, data, frame = saas
    conv = usage.conversions(data, params.events.conversion_days)
    by = usage.conversion_by(conv, usage.group_values(frame, params, "industry"), params.privacy.min_cell)
    assert by.index[0] == BEST_INDUSTRY
    assert usage.conversion_p(by) < 0.001
    # its interval clears every other industry's
    assert by.loc[BEST_INDUSTRY, "95% CI low"] > by.drop(BEST_INDUSTRY)["95% CI high"].max()
    assert "converts best" in usage.conversion_sentence(by, "industry", conv)


def test_the_early_action_that_predicts_staying_is_found(saas):
    params, data, _ = saas
    search = stick_point.find(data, params)
    assert search.found
    assert search.best_action == STICK_EVENT
    assert search.best == STICK_COUNT
    assert search.window_days == EARLY_DAYS
    t = search.per_action.loc[STICK_EVENT]
    assert t["lift low"] > 0.3
    # no other action clears noise: only the planted one is announced
    others = search.per_action.drop(STICK_EVENT)
    assert not (others["lift low"] > 0).any(), others
    assert "Stick point" in search.sentence()


def test_no_stick_point_on_a_log_whose_usage_was_shuffled(saas_dir, tmp_path):
    events = pd.read_parquet(saas_dir / "events.parquet")
    contacts = pd.read_parquet(saas_dir / "contacts.parquet")
    shuffled_usage(events, contacts).to_parquet(tmp_path / "events.parquet")
    raw = saas_raw(saas_dir)
    raw["data"]["events"]["path"] = str(tmp_path / "events.parquet")
    params = load_params(write_params(tmp_path, raw))
    search = stick_point.find(load_dataset(params), params)
    assert search.tried >= 8
    assert not search.found, search.per_action
    assert search.sentence().startswith("**No stick point found:**")


def test_the_expensive_channel_that_keeps_least_is_found(saas):
    params, data, frame = saas
    econ = acquisition.economics(data, frame, params)
    assert econ["CAC"].idxmax() == HIGH_CAC_CHANNEL
    assert econ.index[-1] == HIGH_CAC_CHANNEL  # the lowest value / CAC
    assert econ["active in month 12 %"].idxmin() == HIGH_CAC_CHANNEL


def test_the_plan_that_churns_is_found(saas):
    params, data, frame = saas
    by_plan = cohorts.split_retention(data, frame, params)["plan"]
    at = by_plan.at([6]).drop(index="(not known)", errors="ignore")[6]
    assert at.idxmin() == CHURNING_PLAN
    paying = frame[frame["plan"].notna()]
    churned = paying["status"].eq("churned").groupby(paying["plan"]).mean()
    assert churned.idxmax() == CHURNING_PLAN


def test_subscriptions_find_the_plan_that_churns_and_project_it_with_a_range(saas):
    """The sBG on the invoices: the churning plan keeps the fewest subscribers after 12 months,
    clearly (ranges apart), and its observed survival is what the model draws."""
    params, data, frame = saas
    life = subscriptions.lifetimes(data, frame, params, None)
    plan = life.tables["plan"]
    after = "after 12 months"
    assert plan[f"{after} %"].idxmin() == CHURNING_PLAN
    others = plan.drop(index=CHURNING_PLAN)
    assert plan.loc[CHURNING_PLAN, f"{after} high %"] < others[f"{after} low %"].min()
    assert (
        plan.loc[CHURNING_PLAN, "cancel at the next renewal %"]
        > 2 * others["cancel at the next renewal %"].max()
    )
    assert life.widest() == "plan"
    assert any(f"for **{CHURNING_PLAN}**" in s for s in life.sentences())
    starter = life.projections("plan")[CHURNING_PLAN]
    assert starter["observed"].last_valid_index() + 12 <= starter.index.max()  # drawn past the data
    assert (starter["low"] <= starter["projected"]).all()
    assert (starter["projected"] <= starter["high"]).all()
    seen = starter.dropna(subset=["observed"]).loc[1:12]
    assert np.abs(seen["observed"] - seen["projected"]).max() < 0.03  # the model follows the data
    # every paying account once, lost or not, as the invoices say
    people = subscriptions.subscribers(data.engine, data.orders, params.as_of, "month")
    invoices = pd.read_parquet(params.data.orders.path)
    assert len(people) == invoices["account_id"].nunique()
    months = invoices.groupby("account_id")["invoice_date"].apply(lambda d: d.dt.to_period("M").nunique())
    assert (people["periods"].sort_index() == months.sort_index().to_numpy()).all()


# --- equal to plain computations --------------------------------------------------------------


def _by_hand(saas_dir: Path, as_of, active: list[str], start: str):
    """Each account's start month and active months, from the files with pandas alone."""
    ev = pd.read_parquet(saas_dir / "events.parquet")
    contacts = pd.read_parquet(saas_dir / "contacts.parquet")
    ev = ev.merge(contacts[["contact_id", "account_id"]], on="contact_id")
    ev = ev[ev["event_time"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    first = ev[ev["event"] == start].groupby("account_id")["event_time"].min().rename("start")
    ev = ev.join(first, on="account_id")
    ev = ev[ev["event_time"] >= ev["start"]]
    ev = ev[ev["event"].isin(active + [start])]
    month = ev["event_time"].dt.year * 12 + ev["event_time"].dt.month - 1
    cohort = ev["start"].dt.year * 12 + ev["start"].dt.month - 1
    return pd.DataFrame(
        {"account_id": ev["account_id"], "cohort": cohort, "n": month - cohort}
    ).drop_duplicates()


@pytest.mark.parametrize("definition", ["on", "on_or_after"])
def test_retention_on_events_equals_pandas_on_every_cell(saas, saas_dir, definition):
    params, data, _ = saas
    ret = cohorts.retention(data.engine, data.activity, params.as_of, "month", definition)
    hand = _by_hand(saas_dir, params.as_of, params.events.active, params.events.start[0])
    size = hand[hand["n"] == 0].groupby("cohort")["account_id"].nunique()
    if definition == "on":
        active = hand.groupby(["cohort", "n"])["account_id"].nunique()
    else:
        last = hand.groupby(["account_id", "cohort"])["n"].max().reset_index()
        active = pd.Series(
            {
                (c, n): int(((last["cohort"] == c) & (last["n"] >= n)).sum())
                for c, n in ret.cells[["cohort", "n"]].itertuples(index=False)
            }
        )
    cells = ret.cells.set_index(["cohort", "n"])
    expected = active.reindex(cells.index, fill_value=0)
    assert (cells["size"] == size.reindex(cells.index.get_level_values("cohort")).to_numpy()).all()
    assert (cells["active"].to_numpy() == expected.to_numpy()).all()
    assert np.allclose(cells["retention"], expected.to_numpy() / cells["size"].to_numpy())
    assert len(cells) > 300


def test_trial_to_paid_conversion_equals_a_hand_count(saas, saas_dir):
    params, data, frame = saas
    days = params.events.conversion_days
    ev = pd.read_parquet(saas_dir / "events.parquet")
    contacts = pd.read_parquet(saas_dir / "contacts.parquet")
    ev = ev.merge(contacts[["contact_id", "account_id"]], on="contact_id")
    trial = ev[ev["event"] == "trial_started"].groupby("account_id")["event_time"].min()
    paid = ev[ev["event"] == "subscribed"].groupby("account_id")["event_time"].min()
    end = pd.Timestamp(params.as_of) + pd.Timedelta(days=1)
    ready = trial[trial < end - pd.Timedelta(days=days)]
    gap = paid.reindex(ready.index) - ready
    converted = (gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=days))
    accounts = pd.read_parquet(saas_dir / "accounts.parquet").set_index("account_id")
    hand = converted.groupby(accounts["industry"].reindex(ready.index)).agg(["size", "sum"])
    conv = usage.conversions(data, days)
    by = usage.conversion_by(conv, usage.group_values(frame, params, "industry"))
    assert by["trials"].astype(int).to_dict() == hand["size"].to_dict()
    assert by["converted"].astype(int).to_dict() == hand["sum"].astype(int).to_dict()
    month = usage.conversion_by(conv, None)
    assert int(month["trials"].sum()) == len(ready)
    assert int(month["converted"].sum()) == int(converted.sum())


def test_contacts_roll_up_to_their_account(saas, saas_dir):
    params, data, frame = saas
    contacts = pd.read_parquet(saas_dir / "contacts.parquet")
    counts = contacts.groupby("account_id").size()
    got = frame.set_index("account_id")["contacts"]
    assert (got == counts.reindex(got.index, fill_value=0)).all()
    order = params.contacts.seniority_order
    rank = contacts["seniority"].map(order.index)
    top = contacts.assign(rank=rank).groupby("account_id")["rank"].max().map(lambda i: order[i])
    assert (frame.set_index("account_id")["top_seniority"] == top.reindex(got.index)).all()
    # personal data of contacts and accounts never reaches the analyses
    assert not {"name", "email", "company_name"} & set(frame.columns)


def test_usage_fields_are_named_by_event_type(saas):
    params, data, frame = saas
    assert slug("Used Feature X") == "used_feature_x"
    for kind in ("logged_in", "connected_integration", "subscribed"):
        assert f"count_{kind}" in frame and f"days_to_{kind}" in frame
    assert (frame["count_signed_up"] == 1).all()
    assert (frame["days_to_signed_up"] == 0).all()
    judged = frame["converted"].notna()
    assert frame.loc[judged, "converted"].isin([0, 1]).all()
    # a trial younger than the conversion window is not judged yet (as 04 counts it)
    window = pd.Timedelta(days=params.events.conversion_days)
    young = frame["start_date"] > pd.Timestamp(params.as_of) - window
    assert not judged[young & (frame["converted"] != 1)].any()
    assert judged[~young].all()


def test_cohort_rules_over_events(saas):
    params, data, frame = saas
    table = acquisition.rules(data, frame, params)
    assert table is not None and len(table) == 2
    integrated = table.loc["Integrated before paying"]
    assert integrated["accounts" if "accounts" in table else "customers"] > 0
    # integrating early is the planted reason accounts stay
    month = [c for c in table.columns if c.startswith("active in month") and not c.startswith("rest")][0]
    assert float(integrated[month]) > float(integrated[f"rest: {month}"])


# --- bad input --------------------------------------------------------------------------------


def _check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*WORKBOOK, "check", str(path)], capture_output=True, text=True, timeout=300)


def _one_message(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def small_saas(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("saas_small")
    write_saas(out, accounts=400)
    return out


def test_events_with_unknown_ids_stop_the_run(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    ev.loc[ev.index[: int(len(ev) * 0.7)], "contact_id"] = "X-unknown"
    ev.to_parquet(tmp_path / "events.parquet")
    raw = saas_raw(small_saas)
    raw["data"]["events"]["path"] = str(tmp_path / "events.parquet")
    err = _one_message(_check(write_params(tmp_path, raw)))
    assert "events.parquet" in err and "'contact_id'" in err
    assert "X-unknown" in err and "events.who" in err


def test_a_missing_timestamp_column_is_named(small_saas, tmp_path):
    raw = saas_raw(small_saas)
    raw["events"]["timestamp"] = "event_tme"
    err = _one_message(_check(write_params(tmp_path, raw)))
    assert "events.parquet" in err and "'event_tme'" in err
    assert "did you mean 'event_time'" in err and "events.timestamp" in err


def test_mixed_time_zones_stop_the_run(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    text = ev["event_time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    text[ev.index % 3 == 0] = text[ev.index % 3 == 0] + "+02:00"
    ev.assign(event_time=text).to_csv(tmp_path / "events.csv", index=False)
    raw = saas_raw(small_saas)
    raw["data"]["events"]["path"] = str(tmp_path / "events.csv")
    err = _one_message(_check(write_params(tmp_path, raw)))
    assert "events.csv" in err and "'event_time'" in err
    assert "mixed time zones" in err and "UTC" in err


def test_times_all_with_offsets_are_read_in_utc(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    shifted = (ev["event_time"] + pd.Timedelta(hours=2)).dt.strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
    ev.assign(event_time=shifted).to_csv(tmp_path / "events.csv", index=False)
    raw = saas_raw(small_saas)
    raw["data"]["events"]["path"] = str(tmp_path / "events.csv")
    params = load_params(write_params(tmp_path, raw))
    data = load_dataset(params)
    got = data.engine.execute(data.events.table.select("event_ts"))["event_ts"].sort_values(ignore_index=True)
    assert (got == ev["event_time"].sort_values(ignore_index=True)).all()


def test_an_event_type_in_a_rule_that_never_occurs_is_named(small_saas, tmp_path):
    raw = saas_raw(small_saas)
    raw["cohorts"]["rules"]["invited_in_week_1"] = "days_to_invted_colleague < 7"
    path = write_params(tmp_path, raw)
    err = _one_message(_check(path))
    assert "cohorts.rules.invited_in_week_1" in err and "invted_colleague" in err
    assert "did you mean 'days_to_invited_colleague'" in err
    with pytest.raises(ConfigError):
        load_dataset(load_params(path))


def test_an_unknown_event_type_in_the_parameters_is_named(small_saas, tmp_path):
    raw = saas_raw(small_saas)
    raw["events"]["active"] = ["logged_in", "created_reports"]
    raw["cohorts"]["stick_point"]["events"] = ["Logged_In"]
    err = _one_message(_check(write_params(tmp_path, raw)))
    assert "`events.active[1]`" in err and "did you mean 'created_report'" in err
    assert "`cohorts.stick_point.events[0]`" in err and "did you mean 'logged_in'" in err


def test_contacts_of_unknown_accounts_stop_the_run(small_saas, tmp_path):
    contacts = pd.read_parquet(small_saas / "contacts.parquet")
    contacts["account_id"] = "B" + contacts["account_id"].str[1:]
    contacts.to_parquet(tmp_path / "contacts.parquet")
    raw = saas_raw(small_saas)
    raw["data"]["contacts"]["path"] = str(tmp_path / "contacts.parquet")
    with pytest.raises(DataError, match="contacts.account"):
        load_dataset(load_params(write_params(tmp_path, raw)))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"unit": "customer"}, "add `unit: account`"),
        ({"data.contacts": None, "contacts": None, "data.accounts": None}, "needs the file of who"),
        ({"events": None}, "`events` must name its columns"),
    ],
)
def test_inconsistent_account_parameters(small_saas, tmp_path, change, message):
    raw = saas_raw(small_saas)
    for key, value in change.items():
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node.pop(last) if value is None else node.__setitem__(last, value)
    if "accounts" not in raw["data"]:
        raw.pop("columns")
    with pytest.raises(ConfigError, match=message.replace("`", ".")):
        load_params(write_params(tmp_path, raw))


def test_events_before_the_start_and_after_as_of_are_reported(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    early = ev[ev["event"] == "logged_in"].head(5).assign(event_time=pd.Timestamp("2023-06-01"))
    late = ev[ev["event"] == "logged_in"].head(3).assign(event_time=pd.Timestamp("2027-01-01"))
    pd.concat([ev, early, late]).to_parquet(tmp_path / "events.parquet")
    raw = saas_raw(small_saas)
    raw["data"]["events"]["path"] = str(tmp_path / "events.parquet")
    data = load_dataset(load_params(write_params(tmp_path, raw)))
    found = {q.check: q.rows for q in data.quality}
    assert found["before the account's start"] == 5
    assert found["after as_of"] == 3


# --- the whole SaaS quarter, as a user runs it ------------------------------------------------


@pytest.mark.slow
def test_the_saas_quarter_runs_and_its_reports_find_the_planted_truths(tmp_path):
    data_dir = tmp_path / "data"
    write_saas(data_dir, accounts=1500)
    path = write_params(tmp_path, saas_raw(data_dir))
    run = subprocess.run(
        [*WORKBOOK, "run", str(path), "--reports", "reports", "--private", "private"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    v1 = tmp_path / "reports" / "demo-saas" / "v1"
    pages = {p.stem: p.read_text() for p in v1.glob("*.html")}
    assert {"01_explore", "02_filter", "03_segment", "04_cohorts", "05_personas", "personas"} <= set(pages)
    assert "<i>Connected integration</i> 2 or more times in the first 14 days" in pages["04_cohorts"]
    assert "Finance</strong> converts best" in pages["04_cohorts"]
    assert "No channel converts clearly better" in pages["04_cohorts"]
    assert "Trial-to-paid conversion by industry" in pages["04_cohorts"]
    assert (
        "How long subscribers stay" in pages["04_cohorts"]
        and f"for <strong>{CHURNING_PLAN}</strong>" in pages["04_cohorts"]
    )
    assert 'id="Who-is-at-risk"' not in pages["04_cohorts"]  # P(alive) is not for subscriptions
    assert "Who is likely to leave" in pages["07_churn_risk"]
    assert "The account file holds" in pages["01_explore"] and "Firmographic profile" in pages["01_explore"]
    assert "Checked on the 50% of accounts the criteria were not derived from" in pages["03_segment"]
    assert "Buyer roles" in pages["05_personas"]
    # no face is invented for a company; no contact's or company's name reaches a report
    assert "avatar of" not in pages["05_personas"] + pages["personas"]
    assert "company type:" in pages["personas"]
    accounts = pd.read_parquet(data_dir / "accounts.parquet")
    contacts = pd.read_parquet(data_dir / "contacts.parquet")
    published = "\n".join(pages.values()) + "\n".join(p.read_text() for p in v1.rglob("*.csv"))
    for value in [*accounts["company_name"].head(50), *contacts["email"].head(50), *contacts["name"].head(5)]:
        assert value not in published, value
    # new accounts are scored from what their record holds
    new = accounts.sample(100, random_state=1)[
        ["account_id", "industry", "company_size", "employees", "annual_revenue_k", "region", "channel"]
    ]
    new.rename(columns={"account_id": "lead_id"}).to_csv(tmp_path / "new.csv", index=False)
    assign = subprocess.run(
        [*WORKBOOK, "assign", str(path), "new.csv", "-o", "scored.csv", "--private", "private"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert assign.returncode == 0, assign.stderr
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert len(scored) == 100 and scored["fit tier"].isin(["perfect fit", "workable fit", "not fit"]).all()
    finance = new["industry"].eq("Finance").to_numpy()
    assert (scored.loc[finance, "fit score"] > scored.loc[~finance, "fit score"].mean()).all()


@pytest.mark.slow
def test_cohorts_on_a_usage_log_need_no_orders(small_saas, tmp_path):
    """A product with accounts and a usage log but no invoices still gets retention, conversion
    and the stick point; the value models say what they need instead."""
    raw = saas_raw(small_saas)
    raw["data"].pop("orders")
    raw.pop("orders")
    raw["icp"].pop("value_field")
    path = write_params(tmp_path, raw)
    run = subprocess.run(
        [*WORKBOOK, "run", str(path), "--only", "04_cohorts", "--reports", "r", "--private", "p"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    page = (tmp_path / "r" / "demo-saas" / "v1" / "04_cohorts.html").read_text()
    assert "Trial-to-paid conversion by industry" in page
    assert "Connected integration" in page and "needs an orders file" in page  # said, or left out with a note
    assert "Traceback" not in page


SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "crm" / "mlc_churn.csv").exists(), reason="../shared/data/crm not present")
def test_a_real_crm_export_read_as_accounts(tmp_path):
    """mlc_churn read with `unit: account`: the ICP is derived from the accounts still customers,
    and with no trait that beats chance there is no made-up scorecard."""

    raw = read_yaml((ROOT / "parameters" / "examples" / "mlc_churn.yaml").read_text())
    raw["unit"] = "account"
    raw["data"] = {"accounts": {"path": str(SHARED / "crm" / "mlc_churn.csv")}}
    raw["columns"]["behavioural"].remove("account_length")
    raw["columns"]["firmographic"] = ["account_length"]
    params = load_params(write_params(tmp_path, raw))
    data = load_dataset(params)
    frame = profile_frame(data)
    best, said = scorecard.best_accounts(frame, params)
    assert said == "the accounts still customers (not churned)"
    assert best.sum() == (frame["churn"] == "no").sum() == 4293
    criteria, holdout = scorecard.derived_criteria(frame, params)
    assert 0.45 < holdout.mean() < 0.55
    assert criteria == []  # state, area code and account length do not tell who stays
    assert "No scorecard for this run" in scorecard.scorecard_note(criteria, frame, params)
    assert scorecard.lead_columns(frame, params) == ["account_length", "state", "area_code"]


# --- shapes other than the demo's ---------------------------------------------------------------


def _with_events(small_saas: Path, tmp_path: Path, events: pd.DataFrame, name: str = "events.csv", **changes):
    events.to_csv(tmp_path / name, index=False) if name.endswith(".csv") else events.to_parquet(
        tmp_path / name
    )
    raw = saas_raw(small_saas)
    raw["data"]["events"]["path"] = str(tmp_path / name)
    for key, value in changes.items():
        raw["events"][key] = value
    return load_params(write_params(tmp_path, raw))


def test_contact_ids_that_are_also_account_ids_stop_the_run(small_saas, tmp_path):
    contacts = pd.read_parquet(small_saas / "contacts.parquet")
    contacts.loc[contacts.index[:3], "contact_id"] = ["A000001", "A000002", "A000003"]
    contacts.to_parquet(tmp_path / "contacts.parquet")
    raw = saas_raw(small_saas)
    raw["data"]["contacts"]["path"] = str(tmp_path / "contacts.parquet")
    with pytest.raises(DataError, match="3 contact ids are also account ids"):
        load_dataset(load_params(write_params(tmp_path, raw)))
    contacts = pd.read_parquet(small_saas / "contacts.parquet")
    pd.concat([contacts, contacts.head(2)]).to_parquet(tmp_path / "contacts.parquet")
    with pytest.raises(DataError, match="contact ids appear more than once"):
        load_dataset(load_params(write_params(tmp_path, raw)))


def test_dates_without_times_and_a_format_are_read_and_a_bad_one_is_reported(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    text = ev["event_time"].dt.strftime("%d-%m-%Y")
    text.iloc[5] = "31-02-2025"  # no such day
    params = _with_events(small_saas, tmp_path, ev.assign(event_time=text), timestamp_format="%d-%m-%Y")
    data = load_dataset(params)
    found = {q.check: q.rows for q in data.quality}
    assert found["time not readable"] == 1
    assert data.engine.execute(data.events.table.count()) > len(ev) * 0.9


def test_event_types_that_would_share_a_field_stop_the_run(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    logins = ev.index[ev["event"] == "logged_in"]
    ev.loc[logins, "event"] = "Logged In"
    ev.loc[logins[:300], "event"] = "logged-in"
    params = _with_events(small_saas, tmp_path, ev, name="events.parquet", active=["Logged In"])
    with pytest.raises(DataError, match="would share one field: 'Logged In' and 'logged-in'"):
        load_dataset(params)


def test_an_account_without_a_start_event_starts_at_its_first_event(small_saas, tmp_path):
    ev = pd.read_parquet(small_saas / "events.parquet")
    contacts = pd.read_parquet(small_saas / "contacts.parquet")
    first = contacts[contacts["account_id"] == "A000001"]["contact_id"]
    ev = ev[~(ev["contact_id"].isin(first) & (ev["event"] == "signed_up"))]
    data = load_dataset(_with_events(small_saas, tmp_path, ev, name="events.parquet"))
    found = {q.check: q.rows for q in data.quality}
    assert found["accounts without a start event"] == 1
    u = data.usage().set_index("customer_id")
    assert u.loc["A000001", "count_logged_in"] > 0


def test_the_engine_reads_zoned_times_in_utc_whatever_the_machine_zone():
    from helpers.data.engine import Engine

    engine = Engine("duckdb")
    assert engine.con.raw_sql("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"


def test_no_stick_point_threshold_rests_on_fewer_accounts_than_the_minimum(small_saas, tmp_path):
    raw = saas_raw(small_saas)
    raw["privacy"]["min_cell"] = 60
    params = load_params(write_params(tmp_path, raw))
    search = stick_point.find(load_dataset(params), params)
    assert search.tried > 0
    for table in search.thresholds.values():
        assert (table["customers at or above"] >= 60).all()
        assert ((search.total - table["customers at or above"]) >= 60).all()
