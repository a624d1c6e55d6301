"""Benchmark: a SaaS quarter at scale — accounts, contacts, a usage log and invoices.

Builds the data with DuckDB (no pandas copy of the log), then runs `workbook check` and the whole
quarter through `workbook run` on the SaaS parameters, and prints the wall time and peak memory
of each step. The issue's target: 1,000,000 accounts and 50,000,000 events on one machine, with
memory well under the machine's.

    .venv/bin/python benchmarks/bench_events.py --accounts 1000000 --events 50000000
    .venv/bin/python benchmarks/bench_events.py --data /tmp/bench-saas --keep /tmp/bench-saas-run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml
from demo_setup import print_run

from helpers.batch.kernels import PeakMemory
from helpers.params.loading import read_yaml

ROOT = Path(__file__).resolve().parents[1]
USAGE = {  # event type: share of the usage events
    "logged_in": 0.58,
    "created_report": 0.24,
    "opened_email": 0.12,
    "connected_integration": 0.03,
    "invited_colleague": 0.03,
}


def build(out: Path, accounts: int, events: int, threads: int = 2) -> None:
    """Write accounts, contacts, events and invoices as Parquet, generated inside DuckDB."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads={threads}; SELECT setseed(0.42)")
    con.execute("CREATE MACRO pick(xs, s) AS xs[1 + (hash(s) % len(xs))::BIGINT]")
    con.execute("CREATE MACRO upto(n, s) AS (hash(s) % n)::BIGINT")
    con.execute(f"""
        CREATE TABLE acc AS SELECT
          i,
          'A' || lpad(i::VARCHAR, 8, '0') AS account_id,
          'Company ' || i AS company_name,
          pick(['Software','Retail','Healthcare','Finance','Manufacturing','Education'], i) AS industry,
          pick(['1–10','11–50','51–200','201–1000','1000+'], i * 7) AS company_size,
          10 + upto(2000, i * 3) AS employees,
          round(100 + upto(50000, i * 5), -1)::DOUBLE AS annual_revenue_k,
          pick(['North America','Europe','APAC','Latin America'], i * 11) AS region,
          pick(['Organic search','Paid search','Partner','Outbound sales','Events'], i * 13) AS channel,
          round(50 + upto(1500, i * 17), 2)::DOUBLE AS acquisition_cost,
          DATE '2024-01-01' + upto(990, i * 19)::INT AS signup_date,
          1 + upto(3, i * 23) AS n_contacts,
          upto(100, i * 29) < 30 AS pays,
          pick(['Starter','Team','Business'], i * 31) AS plan_if_paid,
          10 + upto(600, i * 37) AS life_days
        FROM range({accounts}) t(i)
    """)
    con.execute(f"""
        COPY (SELECT account_id, company_name, industry, company_size, employees, annual_revenue_k,
                     region, channel, acquisition_cost, signup_date::TIMESTAMP AS signup_date,
                     CASE WHEN pays THEN plan_if_paid END AS plan,
                     CASE WHEN pays AND life_days < 200 THEN 'churned' WHEN pays THEN 'paying'
                          WHEN life_days < 120 THEN 'inactive' ELSE 'free' END AS status
              FROM acc) TO '{out / "accounts.parquet"}' (FORMAT parquet)
    """)
    con.execute("""
        CREATE TABLE con AS
        SELECT a.i, a.account_id, 'P' || lpad((a.i * 3 + k)::VARCHAR, 9, '0') AS contact_id, k
        FROM acc a, range(3) r(k) WHERE k < a.n_contacts
    """)
    con.execute(f"""
        COPY (SELECT contact_id, account_id, 'Person ' || contact_id AS name,
                     lower(contact_id) || '@example.com' AS email,
                     pick(['Finance','IT','Operations','Marketing','Executive'], contact_id) AS role,
                     pick(['Individual contributor','Manager','Director','VP','C-level'], contact_id || 's')
                       AS seniority
              FROM con) TO '{out / "contacts.parquet"}' (FORMAT parquet)
    """)
    fixed = 2 * accounts + int(0.3 * accounts)
    usage = max(events - fixed, 0)
    cases = " ".join(
        f"WHEN u < {sum(list(USAGE.values())[: j + 1]):.4f} THEN '{name}'" for j, name in enumerate(USAGE)
    )
    end = "TIMESTAMP '2026-10-01'"
    con.execute(f"""
        COPY (
          WITH starts AS (
            SELECT a.i, a.signup_date::TIMESTAMP AS t0, a.pays, a.life_days, a.n_contacts, c.contact_id
            FROM acc a JOIN con c ON c.i = a.i AND c.k = 0
          ),
          usage AS (
            SELECT upto({accounts}, j) AS i, random() AS u, random() AS v, upto(3, j * 7) AS k
            FROM range({usage}) t(j)
          )
          SELECT contact_id, t0 AS event_time, 'signed_up' AS event, NULL::VARCHAR AS plan FROM starts
          UNION ALL SELECT contact_id, t0 + INTERVAL 10 MINUTE, 'trial_started', NULL FROM starts
          UNION ALL SELECT contact_id, t0 + INTERVAL 10 DAY, 'subscribed', 'Team' FROM starts WHERE pays
          UNION ALL
          SELECT c.contact_id,
                 s.t0 + to_seconds((u.v * s.life_days * 86400)::BIGINT),
                 CASE {cases} ELSE 'logged_in' END, NULL
          FROM usage u JOIN starts s ON s.i = u.i
          JOIN con c ON c.i = u.i AND c.k = u.k % s.n_contacts
        ) TO '{out / "events.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    con.execute(f"""
        COPY (SELECT 'I' || row_number() OVER () AS invoice_id, account_id,
                     signup_date::TIMESTAMP + to_days((10 + 30 * m)::INT) AS invoice_date,
                     CASE plan_if_paid WHEN 'Starter' THEN 49.0 WHEN 'Team' THEN 199.0 ELSE 599.0 END
                       AS amount
              FROM acc, range(24) r(m)
              WHERE pays AND 10 + 30 * m < life_days
                AND signup_date::TIMESTAMP + to_days((10 + 30 * m)::INT) < {end})
        TO '{out / "invoices.parquet"}' (FORMAT parquet)
    """)
    con.close()


def params_for(data: Path, target: Path, engine: str) -> None:
    """demo-saas.yaml pointing at the built files."""
    raw = read_yaml((ROOT / "parameters" / "demo-saas.yaml").read_text())
    for key, name in (
        ("accounts", "accounts"),
        ("contacts", "contacts"),
        ("events", "events"),
        ("orders", "invoices"),
    ):
        raw["data"][key]["path"] = str(data / f"{name}.parquet")
    raw["engine"] = engine
    raw["period"] = "bench-saas"
    target.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--data", type=Path, help="a built data folder (built there when missing)")
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    ap.add_argument("--keep", type=Path, help="run in this folder and keep the reports")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = args.data or work / "data"
        if not (data / "events.parquet").exists():
            t = time.perf_counter()
            build(data, args.accounts, args.events)
            print(f"data built in {time.perf_counter() - t:.1f} s")
        con = duckdb.connect()
        n_acc = con.execute(f"SELECT count(*) FROM '{data / 'accounts.parquet'}'").fetchone()[0]
        n_ev = con.execute(f"SELECT count(*) FROM '{data / 'events.parquet'}'").fetchone()[0]
        con.close()
        size = f"{n_acc:,} accounts, {n_ev:,} events"
        params_for(data, work / "params.yaml", args.engine)
        cli = [sys.executable, "-m", "helpers.cli"]
        t = time.perf_counter()
        with PeakMemory() as check:
            subprocess.run([*cli, "check", "params.yaml"], cwd=work, check=True, capture_output=True)
        print(
            f"{size}: `workbook check` {time.perf_counter() - t:.1f} s, "
            f"peak {check.peak_bytes / 1024**3:.2f} GB"
        )
        t = time.perf_counter()
        with PeakMemory() as whole:
            subprocess.run([*cli, "run", "params.yaml"], cwd=work, check=True)
        wall = time.perf_counter() - t
        print_run(work, "bench-saas", size, args.engine, wall, whole.peak_bytes)


if __name__ == "__main__":
    main()
