"""`workbook init`: the guesses, the round trip on the demo, every shared real file, canaries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED, demo_params_raw

from helpers.batch.notebooks import list_notebooks
from helpers.batch.run import run_batch
from helpers.core.errors import WorkbookError
from helpers.core.names import name_tokens
from helpers.data.dataset import load_dataset
from helpers.params import plan, schema
from helpers.params.loading import load_params, parse_params, read_yaml
from helpers.setup import draft, infer, yaml_lines
from helpers.setup.facts import facts_of
from helpers.setup.roles import status_mapping
from helpers.setup.words import pretty

CLI = [sys.executable, "-m", "helpers.cli"]
INIT_EXAMPLES = ROOT / "parameters" / "examples" / "init"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
SHARED_FILES = [
    "survey/bfi.csv",
    "survey/ces11.csv",
    "survey/ess9_gb.csv",
    "survey/stackoverflow_2017.csv",
    "crm/attrition.csv",
    "crm/caravan.csv",
    "crm/mlc_churn.csv",
    "cdnow/CDNOW_master.txt",
    "cdnow/CDNOW_sample.txt",
]


def init(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "init", *args], capture_output=True, text=True, timeout=300)


def roles_of(params) -> dict[str, str]:
    roles = params.columns.role_of() if params.columns else {}
    if params.orders:
        for key, col in params.orders.model_dump().items():
            if isinstance(col, str) and key not in ("refunds", "duplicates", "timestamp_format"):
                roles[f"orders:{col}"] = f"orders.{key}"
    return roles


# --- names and values ----------------------------------------------------------------------------


def test_name_tokens_split_camel_case_and_separators():
    assert name_tokens("MonthlyIncome") == ["monthly", "income"]
    assert name_tokens("att_price_sensitive") == ["att", "price", "sensitive"]
    assert name_tokens("CustomerID") == ["customer", "id"]
    assert pretty("YearsAtCompany") == "Years at company"


def test_facts_tell_dates_written_as_numbers_and_text():
    assert facts_of("d", pd.Series([19970101, 19970315, 19980630])).date_format == "%Y%m%d"
    assert facts_of("d", pd.Series(["2024-01-05", "2024-02-10", None])).kind == "date"
    assert facts_of("n", pd.Series([19970101, 5, 7])).kind == "int"


def _people(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "Respondent": np.arange(1, n + 1),
            "Q1_1": rng.integers(1, 8, n),
            "Q1_2": rng.integers(1, 8, n),
            "Q1_3": rng.integers(1, 8, n),
            "Satisfaction": rng.choice(["Low", "Medium", "High", "Very High"], n),
            "Exited": rng.choice([0, 1], n),
            "uses_web": rng.choice([0, 1], n),
            "uses_app": rng.choice([0, 1], n),
            "uses_shop": rng.choice([0, 1], n),
            "Sex": rng.choice(["F", "M"], n),
            "Province": rng.choice(["ON", "QC", "BC"], n),
            "Segment code": rng.choice([1, 2, 3, 4], n),
            "visits": rng.poisson(3, n),
        }
    )


def test_roles_come_from_values_and_names():
    guess = infer.guess_customers(_people())
    roles = {c: g.role for c, g in guess.roles.items()}
    assert roles["Respondent"] == "id"
    assert roles["Exited"] == "status" and guess.status == {"churned": [1], "customer": [0]}
    assert [roles[f"Q1_{i}"] for i in (1, 2, 3)] == ["psychographic"] * 3
    assert roles["Satisfaction"] == "psychographic"
    assert {roles[c] for c in ("uses_web", "uses_app", "uses_shop")} == {"multi_response:uses"}
    assert roles["Sex"] == "demographic" and roles["Province"] == "geographic"
    assert roles["Segment code"] == "behavioural" and guess.placeholders["Segment code"] == {
        1: "1",
        2: "2",
        3: "3",
        4: "4",
    }
    assert roles["visits"] == "behavioural" and "visits" not in guess.placeholders
    scales = {s.name: s for s in guess.scales}
    assert scales["level"].points == ["Low", "Medium", "High", "Very High"]
    assert scales["q1"].points == list(range(1, 8)) and scales["q1"].low == "disagree"


def test_status_values_in_words_and_active_flags():
    words = facts_of("Stage", pd.Series(["Active", "Churned", "Prospect", "Active"]))
    assert status_mapping(words)[0] == {
        "customer": ["Active"],
        "churned": ["Churned"],
        "prospect": ["Prospect"],
    }
    active = facts_of("is_active", pd.Series(["Yes", "No", "Yes"]))
    assert status_mapping(active)[0] == {"customer": ["Yes"], "churned": ["No"]}
    marital = facts_of("MaritalStatus", pd.Series(["Single", "Married"]))
    assert status_mapping(marital) is None


def test_a_number_that_another_fixes_is_hidden():
    frame = _people()
    frame["minutes"] = np.random.default_rng(1).uniform(0, 300, len(frame))
    frame["charge"] = frame["minutes"] * 0.17
    guess = infer.guess_customers(frame)
    assert guess.roles["charge"].role == "hidden" and "minutes" in guess.roles["charge"].why


def test_a_file_without_an_id_is_refused_with_the_fix():
    frame = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"]})
    with pytest.raises(WorkbookError, match="no column is different on every row"):
        infer.guess_customers(frame)


# --- privacy canaries -------------------------------------------------------------------------------


def test_canary_personal_data_in_innocent_columns_is_personal(tmp_path):
    frame = _people(300)
    rng = np.random.default_rng(3)
    frame["notes"] = [f"Call back on +44 7700 900{i:03d}" if i % 2 else "no answer" for i in range(300)]
    frame["contact"] = [f"user{i}@mail.example.org" for i in range(300)]
    frame["remark"] = [
        f"{a} {b}"
        for a, b in zip(
            rng.choice(["Anna", "Ben", "Chen", "Dana"], 300),
            [f"Smithson{i}" for i in range(300)],
            strict=True,
        )
    ]
    frame["comment"] = ["The delivery was quick and the box was fine, thanks " + str(i) for i in range(300)]
    frame.loc[::50, "comment"] = "Please write to me at jo@example.com about the refund I asked for"
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "p.yaml"
    result = init(str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    params = load_params(out)
    assert {"notes", "contact"} <= set(params.columns.personal)
    assert params.columns.open_text == ["comment"]  # an answer with an address now and then: scrubbed, kept
    text = out.read_text()
    assert "jo@example.com" not in text and "7700" not in text  # no value of a personal column is quoted


def test_personal_columns_named_as_such_are_personal_but_flags_are_not():
    frame = _people(200)
    frame["email_opt_in"] = ["Yes", "No"] * 100
    frame["birth_date"] = pd.date_range("1960-01-01", periods=200, freq="37D").strftime("%Y-%m-%d")
    frame["first_name"] = [f"N{i % 40}" for i in range(200)]
    roles = {c: g.role for c, g in infer.guess_customers(frame).roles.items()}
    assert roles["birth_date"] == roles["first_name"] == "personal"
    assert roles["email_opt_in"] != "personal"


# --- the round trip on the demo ------------------------------------------------------------------------


def test_round_trip_on_the_demo_matches_its_hand_written_roles(tmp_path, demo_dir):
    out = tmp_path / "demo.yaml"
    result = init(
        str(demo_dir / "customers.parquet"), "--orders", str(demo_dir / "orders.parquet"), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "Checked:" in result.stdout and f"workbook run {out}" in result.stdout
    guessed = roles_of(load_params(out))
    raw = demo_params_raw()
    raw["data"] = {
        "customers": {"path": str(demo_dir / "customers.parquet")},
        "orders": {"path": str(demo_dir / "orders.parquet")},
    }
    truth = roles_of(parse_params(raw, "demo.yaml", ROOT / "parameters"))
    same = [c for c in truth if guessed.get(c) == truth[c]]
    share = len(same) / len(truth)
    print(f"round trip: {len(same)} of {len(truth)} columns ({share:.0%}) have the demo's role")
    assert share >= 0.9, {c: (truth[c], guessed.get(c)) for c in truth if guessed.get(c) != truth[c]}
    assert {c for c, r in truth.items() if r == "personal"} <= {
        c for c, r in guessed.items() if r == "personal"
    }


def test_orders_alone_make_an_orders_only_file(tmp_path, demo_dir):
    out = tmp_path / "orders.yaml"
    result = init(str(demo_dir / "orders.parquet"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "a transaction log" in result.stdout
    params = load_params(out)
    assert params.data.customers is None and params.orders.customer_id == "customer_id"
    assert params.orders.timestamp == "order_ts" and params.orders.amount == "amount"


def test_init_never_overwrites_without_force(tmp_path, demo_dir):
    out = tmp_path / "p.yaml"
    out.write_text("mine")
    result = init(str(demo_dir / "orders.parquet"), "-o", str(out))
    assert result.returncode == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "mine" and "Traceback" not in result.stderr
    assert init(str(demo_dir / "orders.parquet"), "-o", str(out), "--force").returncode == 0
    assert out.read_text().startswith("# Parameter file written by `workbook init`")


def test_init_on_a_missing_or_unknown_file_says_so(tmp_path):
    missing = init(str(tmp_path / "nope.csv"), "-o", str(tmp_path / "p.yaml"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    odd = tmp_path / "data.json"
    odd.write_text("{}")
    unknown = init(str(odd), "-o", str(tmp_path / "p.yaml"))
    assert unknown.returncode == 2 and "cannot tell the format" in unknown.stderr


def test_spss_value_and_question_labels_are_used(tmp_path):
    import pyreadstat

    frame = _people(200)[["Respondent", "Sex", "Q1_1", "Q1_2", "Q1_3"]]
    frame["Sex"] = frame["Sex"].map({"F": 2, "M": 1})
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=["Respondent", "Gender", "I like the brand", "I trust the brand", "I would buy again"],
        variable_value_labels={"Sex": {1: "Male", 2: "Female"}},
    )
    out = tmp_path / "p.yaml"
    result = init(str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    params = load_params(out)
    assert params.labels["Q1_2"] == "I trust the brand"
    assert params.personas.gender.female == ["Female"]


# --- every shared real file ------------------------------------------------------------------------------


def _comparable(text: str) -> list[str]:
    """A parameter file's lines without the day it was written and the data paths."""
    return [line for line in text.splitlines()[1:] if not line.strip().startswith("path:")]


@needs_shared
@pytest.mark.parametrize("name", SHARED_FILES, ids=lambda n: Path(n).stem)
def test_init_on_each_shared_file_passes_check_and_is_kept_as_an_example(name, tmp_path):
    fresh = tmp_path / f"{Path(name).stem.lower()}.yaml"
    kept = INIT_EXAMPLES / fresh.name
    assert kept.exists(), f"{kept} is missing: run `make init-examples`"
    as_of = str(read_yaml(kept.read_text())["as_of"])  # the day the example was made for
    result = init(str(SHARED / name), "-o", str(fresh), "--as-of", as_of)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checked:" in result.stdout
    params = load_params(fresh)
    load_dataset(params)
    assert plan.describe(list_notebooks(ROOT / "notebooks"), params)
    # the generated files are kept as examples (parameters/examples/init), and stay what init writes
    assert _comparable(fresh.read_text()) == _comparable(kept.read_text()), (
        f"{kept} is not what `workbook init` writes now: run `make init-examples`"
    )


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(INIT_EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_init_example_publishes_every_report_its_data_supports(path, tmp_path):
    params = load_params(path)
    result = run_batch(path, tmp_path / "reports", tmp_path / "private", progress=lambda _: None)
    assert result.ok, [(r.name, r.error) for r in result.notebooks if r.error]
    status = {
        n["name"]: n["status"] for n in json.loads((result.folder / "manifest.json").read_text())["notebooks"]
    }
    for nb in list_notebooks(ROOT / "notebooks"):
        meta = json.loads(nb.read_text())["metadata"]["workbook"]
        applicable = not plan.report_lacks(meta["requires"], params)
        assert status[nb.stem] == ("ok" if applicable else "skipped"), nb.stem


def test_the_draft_reads_back_as_written():
    assert read_yaml(yaml_lines.as_yaml(["Yes", "No", "on", "2024-01-01", "1", 3])) == [
        "Yes",
        "No",
        "on",
        "2024-01-01",
        "1",
        3,
    ]


@pytest.mark.parametrize(
    ("written", "decimal"),
    [(["$1,234.50", "$12.00", "$7.25"], "."), (["1.234,50 €", "12,00 €", "7,25 €"], ",")],
    ids=["dollars", "euros"],
)
def test_money_written_as_text_is_read_as_amounts(tmp_path, written, decimal):
    rows = 60
    frame = pd.DataFrame(
        {
            "order_no": [f"A{i:04d}" for i in range(rows)],
            "client_id": [f"{i % 20:05d}" for i in range(rows)],
            "order_date": pd.date_range("2025-01-01", periods=rows, freq="5D").strftime("%Y-%m-%d"),
            "total_paid": [written[i % 3] for i in range(rows)],
        }
    )
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False, sep=";" if decimal == "," else ",")
    out = tmp_path / "p.yaml"
    result = init(str(path), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    params = load_params(out)
    assert params.orders.amount == "total_paid" and params.orders.decimal == decimal
    assert params.orders.order_id == "order_no" and params.orders.customer_id == "client_id"
    ds = load_dataset(params)
    total = float(ds.engine.execute(ds.orders.amount.sum()))
    assert total == pytest.approx(20 * (1234.5 + 12 + 7.25))


# --- files as exports come (found by a review: every one of these once failed) -------------------


def _crm(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    first = rng.choice(["Anna", "Ben", "Chen", "Dana", "Emil", "Fatima", "Gita", "Hugo", "Ines", "Jonas"], n)
    last = rng.choice(["Smith", "Tanaka", "Okafor", "Mueller", "Brown", "Nguyen", "Rossi", "Khan"], n)
    return pd.DataFrame(
        {
            "Customer ID": [f"C{i:05d}" for i in range(n)],
            "Full Name": [f"{a} {b}" for a, b in zip(first, last, strict=True)],
            "contact": [f"{a.lower()} {b.lower()}" for a, b in zip(first, last, strict=True)],
            "holder": [f"{b.upper()}, {a}" for a, b in zip(first, last, strict=True)],
            "reach_at": rng.integers(7_000_000_000, 7_999_999_999, n),
            "handle": [f"@{a.lower()}{i}" for i, a in enumerate(first)],
            "addr": [f"{i + 1} Main Street, York" for i in range(n)],
            "Notes": rng.choice(["call back", "no answer", "ok", "call back on 07700 900123"], n),
            "Account manager": rng.choice(["Sarah Connor", "Peter Parker", "Tony Stark"], n),
            "Churn?": rng.choice(["Yes", "No"], n),
            "Region: code": rng.choice(["N", "S", "E", "W"], n),
            "Weight": rng.normal(75, 12, n).round(1),
            "Would recommend": rng.integers(1, 6, n),
            "Satisfaction (1-5)": rng.integers(1, 6, n),
        }
    )


def test_personal_data_in_any_case_and_form_is_found_and_odd_names_still_check(tmp_path):
    path = tmp_path / "crm.csv"
    _crm().to_csv(path, index=False)
    out = tmp_path / "crm.yaml"
    result = init(str(path), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    params = load_params(out)
    personal = set(params.columns.personal)
    assert {"Full Name", "contact", "holder", "reach_at", "handle", "addr", "Notes"} <= personal
    assert "Account manager" in result.stdout and "columns.personal" in result.stdout  # asked, not decided
    assert params.columns.status.column == "Churn?" and params.columns.weight is None  # 75 kg is no weight
    assert params.columns.nps is None  # answered 1–5: not a 0–10 recommendation
    assert params.filters["churned"] == '`Churn?` in ["Yes"]'
    assert {"name": "Churn?", "column": "Churn?"} in [
        b.model_dump(exclude_defaults=True) for b in params.crosstab.banners
    ] or any(b.column == "Churn?" for b in params.crosstab.banners)


def test_a_chinese_export_in_gb18030_gets_its_roles(tmp_path):
    rng = np.random.default_rng(2)
    n = 200
    frame = pd.DataFrame(
        {
            "客户编号": [f"{i:06d}" for i in range(n)],
            "姓名": rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"], n),
            "性别": rng.choice(["男", "女"], n),
            "年龄": rng.integers(18, 80, n),
            "城市": rng.choice(["北京", "上海", "广州", "深圳"], n),
            "满意度": rng.integers(1, 6, n),
            "是否流失": rng.choice(["是", "否"], n),
        }
    )
    path = tmp_path / "客户.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    out = tmp_path / "zh.yaml"
    result = init(str(path), "-o", str(out), "--period", "zh")
    assert result.returncode == 0, result.stdout + result.stderr
    params = load_params(out)
    cols = params.columns
    assert cols.id == "客户编号" and cols.personal == ["姓名"]
    assert cols.status.column == "是否流失" and cols.status.churned == ["是"]
    assert "性别" in cols.demographic and "城市" in cols.geographic and cols.psychographic == ["满意度"]
    assert params.personas.gender.female == ["女"] and params.personas.age == "年龄"


def test_orders_with_day_first_dates_get_their_format(tmp_path):
    days = pd.date_range("2024-01-01", periods=300, freq="D")
    frame = pd.DataFrame(
        {
            "order_id": range(300),
            "customer_id": [i % 40 for i in range(300)],
            "order_date": days.strftime("%d/%m/%Y"),
            "amount": np.round(np.linspace(5, 300, 300), 2),
        }
    )
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "o.yaml"
    result = init(str(path), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    params = load_params(out)
    assert params.orders.timestamp_format == "%d/%m/%Y" and str(params.as_of) == "2024-10-26"


def test_excel_with_year_headers_and_parquet_with_time_zones(tmp_path):
    wide = pd.DataFrame({"customer_id": range(1, 101), 2019: range(100), 2020: range(100, 200)})
    wide.to_excel(tmp_path / "wide.xlsx", index=False)
    result = init(str(tmp_path / "wide.xlsx"), "-o", str(tmp_path / "w.yaml"), "--as-of", "2021-01-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(load_dataset(load_params(tmp_path / "w.yaml")).customers) == 100
    tz = _people(200)
    tz["signup_ts"] = pd.date_range("2024-01-01", periods=200, freq="h", tz="Europe/Berlin")
    tz.to_parquet(tmp_path / "tz.parquet")
    result = init(str(tmp_path / "tz.parquet"), "-o", str(tmp_path / "tz.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert load_params(tmp_path / "tz.yaml").columns.acquisition.date == "signup_ts"


def test_open_answers_with_some_contact_details_stay_open_answers_and_categories_are_no_names():
    rng = np.random.default_rng(8)
    n = 600
    first = [f"Shipping costs put me off order number {i} of the week" for i in range(12)]
    second = [f"The quality is worth paying for the {i} items I buy" for i in range(12)]
    answers = [f"{rng.choice(first)}. {rng.choice(second)}." for _ in range(n)]
    answers = [a + (f" Email me at p{i}@example.com." if i % 10 == 0 else "") for i, a in enumerate(answers)]
    frame = pd.DataFrame(
        {
            "id": range(n),
            "why": answers,
            "channel": rng.choice(["in store", "social media", "online"], n),
            "rep": rng.choice(["ANNA SMITH", "chen tanaka", "Omar Ali"], n),
        }
    )
    guess = infer.guess_customers(frame)
    assert guess.roles["why"].role == "open_text"  # unique contact answers do not make it personal
    assert guess.roles["channel"].role != "personal" and not any("channel" in n for n in guess.notes)
    assert any(n.startswith("columns: rep holds person names") for n in guess.notes)


@needs_shared
@pytest.mark.parametrize(
    ("name", "plural", "goal"),
    [
        ("survey/ess9_gb.csv", "respondents", "understand who they are"),  # a survey: no outcome
        ("survey/ces11.csv", "respondents", "understand who they are"),
        ("crm/mlc_churn.csv", "customers", "improve loyalty"),  # a churn CRM
        ("crm/attrition.csv", "employees", "improve loyalty"),  # an HR file with attrition
    ],
)
def test_init_names_the_people_and_a_goal_that_fits(name, plural, goal, tmp_path):
    out = tmp_path / "p.yaml"
    text = draft.draft_parameters(SHARED / name, None, out, None, None, None).text
    assert any(line.startswith(f"population: {plural}") and "#" in line for line in text.splitlines())
    params = parse_params(read_yaml(text), str(out), tmp_path)
    assert schema.population(params).plural == plural and params.personas.goal == goal
    assert "customer profiles" not in text or plural == "customers"
    assert schema.newcomers(params) == ("new leads" if plural == "customers" else f"new {plural}")
