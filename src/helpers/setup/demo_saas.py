"""The second demo brand: a B2B software company (accounts, contacts, a usage log, invoices).

Planted truths the reports must find (tests check each one):

* **Finance converts best**: trial-to-paid conversion is :data:`FINANCE_CONVERSION` there and
  :data:`BASE_CONVERSION` elsewhere;
* **the early action**: accounts that connect an integration :data:`STICK_COUNT` or more times in
  their first :data:`EARLY_DAYS` days keep using the product (mean lifetime
  :data:`STICKY_LIFETIME` days after the trial) against :data:`SHORT_LIFETIME` for the others;
  every other early count carries no information (everyone is active through the trial);
* **Outbound sales** costs the most to win (:data:`CHANNEL_CAC`) and its accounts stop using the
  product sooner (lifetime × :data:`OUTBOUND_LIFETIME`);
* **the Starter plan churns**: paying accounts on it cancel after :data:`STARTER_PAID_DAYS` days
  on average, others after :data:`OTHER_PAID_DAYS`.

Usage is written by contacts (the people inside each account), so the log links to accounts
through the contacts file, as a real product's log does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.setup.demo import write_tables

START = dt.date(2024, 1, 1)
DEFAULT_AS_OF = dt.date(2026, 9, 30)
EARLY_DAYS = 14  # the trial: every account is active through it
STICK_EVENT = "connected_integration"
STICK_COUNT = 2
STICKY_SHARE = 0.35
STICKY_LIFETIME = 420.0
SHORT_LIFETIME = 40.0
INDUSTRIES = ["Software", "Retail", "Healthcare", "Finance", "Manufacturing", "Education"]
INDUSTRY_SHARES = [0.24, 0.18, 0.15, 0.15, 0.16, 0.12]
BEST_INDUSTRY = "Finance"
FINANCE_CONVERSION = 0.55
BASE_CONVERSION = 0.25
SIZES = ["1–10", "11–50", "51–200", "201–1000", "1000+"]
SIZE_SHARES = [0.25, 0.30, 0.22, 0.15, 0.08]
SIZE_EMPLOYEES = [(2, 10), (11, 50), (51, 200), (201, 1000), (1001, 8000)]
REGIONS = ["North America", "Europe", "APAC", "Latin America"]
REGION_SHARES = [0.40, 0.32, 0.18, 0.10]
CHANNELS = ["Organic search", "Paid search", "Partner", "Outbound sales", "Events"]
CHANNEL_SHARES = [0.30, 0.25, 0.15, 0.18, 0.12]
CHANNEL_CAC = {
    "Organic search": 60.0,
    "Paid search": 240.0,
    "Partner": 180.0,
    "Outbound sales": 1400.0,
    "Events": 520.0,
}
HIGH_CAC_CHANNEL = "Outbound sales"
OUTBOUND_LIFETIME = 0.35
PLANS = ["Starter", "Team", "Business"]
PLAN_PRICE = {"Starter": 49.0, "Team": 199.0, "Business": 599.0}
CHURNING_PLAN = "Starter"
STARTER_PAID_DAYS = 110.0
OTHER_PAID_DAYS = 900.0
ROLES = ["Finance", "IT", "Operations", "Marketing", "Executive"]
SENIORITY = ["Individual contributor", "Manager", "Director", "VP", "C-level"]
# events per active day, per account (a contact of the account is drawn for each)
RATES = {"logged_in": 0.6, "created_report": 0.25, "invited_colleague": 0.02, "opened_email": 0.15}
LATER_INTEGRATIONS = 0.01
FIRST_NAMES = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin", "Avery"]
LAST_NAMES = ["Smith", "Jones", "Garcia", "Chen", "Müller", "Rossi", "Okafor", "Tanaka", "Silva", "Novak"]
WORDS = ["Blue", "North", "Bright", "Apex", "Cedar", "Harbor", "Quantum", "River", "Summit", "Vertex"]
NOUNS = ["Labs", "Systems", "Foods", "Health", "Capital", "Works", "Logistics", "Retail", "Partners", "Tech"]


def _day(d: dt.date) -> int:
    return (d - START).days


def make_saas(accounts: int = 6000, seed: int = 7, as_of: dt.date = DEFAULT_AS_OF) -> dict[str, pd.DataFrame]:
    """Build the SaaS demo tables: ``accounts``, ``contacts``, ``events``, ``invoices`` and the
    hidden ``truth``."""
    rng = np.random.default_rng(seed)
    n = int(accounts)
    horizon = _day(as_of) + 1
    ids = np.char.add("A", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    industry = rng.choice(INDUSTRIES, size=n, p=INDUSTRY_SHARES)
    size_i = rng.choice(len(SIZES), size=n, p=SIZE_SHARES)
    low = np.array([SIZE_EMPLOYEES[i][0] for i in size_i])
    high = np.array([SIZE_EMPLOYEES[i][1] for i in size_i])
    employees = rng.integers(low, high + 1)
    revenue = np.round(employees * rng.lognormal(np.log(150), 0.5, n), -1)  # $k a year
    region = rng.choice(REGIONS, size=n, p=REGION_SHARES)
    channel = rng.choice(CHANNELS, size=n, p=CHANNEL_SHARES)
    cac = np.round(np.array([CHANNEL_CAC[c] for c in channel]) * rng.lognormal(0, 0.25, n), 2)
    # sign-ups grow over time (a younger product): more recent days are likelier
    days = np.arange(horizon - 1)
    weights = 1 + days / len(days)
    signup = rng.choice(days, size=n, p=weights / weights.sum())
    sticky = rng.random(n) < STICKY_SHARE
    mean_life = np.where(sticky, STICKY_LIFETIME, SHORT_LIFETIME) * np.where(
        channel == HIGH_CAC_CHANNEL, OUTBOUND_LIFETIME, 1.0
    )
    usage_end = signup + EARLY_DAYS + rng.exponential(mean_life)
    converts = rng.random(n) < np.where(industry == BEST_INDUSTRY, FINANCE_CONVERSION, BASE_CONVERSION)
    paid_day = signup + rng.integers(7, EARLY_DAYS + 1, n)
    converts &= paid_day < horizon
    plan = np.where(converts, rng.choice(PLANS, size=n, p=[0.45, 0.35, 0.20]), "")
    paid_life = rng.exponential(np.where(plan == CHURNING_PLAN, STARTER_PAID_DAYS, OTHER_PAID_DAYS))
    cancel_day = np.where(converts, paid_day + paid_life, np.inf)
    # a cancelled account stops using the product; a free account may keep using the free tier
    usage_end = np.minimum(usage_end, cancel_day)
    cancelled = converts & (cancel_day < horizon)
    status = np.select([cancelled, converts, usage_end < horizon], ["churned", "paying", "inactive"], "free")

    acc = pd.DataFrame(
        {
            "account_id": ids,
            "company_name": [f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {i}" for i in range(n)],
            "industry": industry,
            "company_size": [SIZES[i] for i in size_i],
            "employees": employees,
            "annual_revenue_k": revenue,
            "region": region,
            "channel": channel,
            "acquisition_cost": cac,
            "signup_date": pd.to_datetime([START + dt.timedelta(days=int(d)) for d in signup]),
            "plan": pd.Series(plan).replace("", None),
            "status": status,
        }
    )

    # contacts: more people in bigger companies; one of them signed up
    per = np.minimum(1 + rng.poisson(0.6 + 0.5 * size_i), 8)
    owner = np.repeat(np.arange(n), per)
    m = len(owner)
    seniority_p = np.array([0.40, 0.28, 0.16, 0.10, 0.06])
    seniority = rng.choice(len(SENIORITY), size=m, p=seniority_p)
    first = rng.choice(FIRST_NAMES, size=m)
    last = rng.choice(LAST_NAMES, size=m)
    contacts = pd.DataFrame(
        {
            "contact_id": np.char.add("P", np.char.zfill(np.arange(1, m + 1).astype(str), 7)),
            "account_id": ids[owner],
            "name": np.char.add(np.char.add(first, " "), last),
            "email": [
                f"{f.lower()}.{x.lower()}{i}@example.com"
                for i, (f, x) in enumerate(zip(first, last, strict=True))
            ],
            "role": rng.choice(ROLES, size=m, p=[0.18, 0.30, 0.22, 0.18, 0.12]),
            "seniority": [SENIORITY[i] for i in seniority],
        }
    )
    start_of = np.concatenate([[0], np.cumsum(per)[:-1]])

    def who(account: np.ndarray) -> np.ndarray:
        """A contact of each account, drawn at random."""
        return contacts["contact_id"].to_numpy()[start_of[account] + rng.integers(0, per[account])]

    parts = []

    def add(account: np.ndarray, day: np.ndarray, kind: str, **props: object) -> None:
        keep = day < horizon
        account, day = account[keep], day[keep]
        frame = pd.DataFrame({"contact_id": who(account), "day": day, "event": kind})
        for key, value in props.items():
            frame[key] = value[keep] if isinstance(value, np.ndarray) else value
        parts.append(frame)

    everyone = np.arange(n)
    add(everyone, signup.astype(float), "signed_up")
    add(everyone, signup + 0.01, "trial_started")
    payers = np.flatnonzero(converts)
    add(payers, paid_day[payers].astype(float), "subscribed", plan=plan[payers])
    gone = np.flatnonzero(cancelled)
    add(gone, cancel_day[gone], "cancelled", plan=plan[gone])
    # the early action: integrations in the trial, many for the accounts that will stay
    early = np.where(sticky, rng.integers(STICK_COUNT, STICK_COUNT + 3, n), rng.binomial(1, 0.3, n))
    acct = np.repeat(everyone, early)
    add(acct, signup[acct] + rng.uniform(0, EARLY_DAYS, len(acct)), STICK_EVENT)
    # everything else at a steady rate while the account uses the product
    life = np.maximum(np.minimum(usage_end, horizon) - signup, 0)
    for kind, rate in {**RATES, STICK_EVENT: LATER_INTEGRATIONS}.items():
        if kind == STICK_EVENT:  # after the trial only
            span, offset = np.maximum(life - EARLY_DAYS, 0), EARLY_DAYS
        else:
            span, offset = life, 0
        count = rng.poisson(rate * span)
        acct = np.repeat(everyone, count)
        add(acct, signup[acct] + offset + rng.uniform(0, 1, len(acct)) * span[acct], kind)
    ev = pd.concat(parts, ignore_index=True)
    seconds = np.round(ev.pop("day").to_numpy() * 86400).astype("int64")
    ev.insert(1, "event_time", pd.Timestamp(START) + pd.to_timedelta(seconds, unit="s"))
    ev = ev.sort_values("event_time", kind="stable", ignore_index=True)

    # monthly invoices from the first paid day to cancellation (or as_of)
    months = np.where(converts, np.ceil((np.minimum(cancel_day, horizon) - paid_day) / 30.4), 0).astype(int)
    acct = np.repeat(everyone, months)
    k = np.concatenate([np.arange(c) for c in months]) if len(acct) else np.array([], int)
    inv_day = paid_day[acct] + np.round(k * 30.4)
    seats = np.maximum(1, employees[acct] // 25)
    amount = np.array([PLAN_PRICE[p] for p in plan[acct]]) * np.where(
        plan[acct] == "Starter", 1, np.minimum(seats, 40)
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": np.char.add("I", np.char.zfill(np.arange(1, len(acct) + 1).astype(str), 8)),
            "account_id": ids[acct],
            "invoice_date": pd.to_datetime([START + dt.timedelta(days=int(d)) for d in inv_day]),
            "amount": amount,
        }
    ).sort_values("invoice_date", kind="stable", ignore_index=True)
    invoices = invoices[invoices["invoice_date"] <= pd.Timestamp(as_of)].reset_index(drop=True)

    truth = pd.DataFrame(
        {"account_id": ids, "sticky": sticky, "converts": converts, "usage_end_day": usage_end}
    )
    return {"accounts": acc, "contacts": contacts, "events": ev, "invoices": invoices, "truth": truth}


def shuffled_usage(events: pd.DataFrame, contacts: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """The same log with each account's first-weeks usage handed to another account (at the same
    days after that account's sign-up); later usage, sign-ups, trials and payments stay. What an
    account did early then says nothing about whether it stays: no stick point may be found."""
    rng = np.random.default_rng(seed)
    owner = contacts.set_index("contact_id")["account_id"]
    account = events["contact_id"].map(owner)
    start = events[events["event"] == "signed_up"].groupby(account)["event_time"].min()
    offset = events["event_time"] - account.map(start)
    usage = ~events["event"].isin(["signed_up", "trial_started", "subscribed", "cancelled"])
    early = usage & (offset < pd.Timedelta(days=EARLY_DAYS))
    ids = start.index.to_numpy()
    donee = pd.Series(rng.permutation(ids), index=ids)
    first_contact = contacts.drop_duplicates("account_id").set_index("account_id")["contact_id"]
    moved = account[early].map(donee)
    out = events.copy()
    out.loc[early, "contact_id"] = moved.map(first_contact).to_numpy()
    out.loc[early, "event_time"] = (moved.map(start) + offset[early]).to_numpy()
    return out.sort_values("event_time", kind="stable", ignore_index=True)


def write_saas(
    out: str | Path = "data/demo-saas", accounts: int = 6000, seed: int = 7, as_of: dt.date = DEFAULT_AS_OF
) -> dict[str, Path]:
    """Build the SaaS demo and write it as Parquet files into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return write_tables(make_saas(accounts, seed, as_of), out)


def saas_exists(out: str | Path = "data/demo-saas") -> bool:
    """Whether the SaaS demo files are already there."""
    return all((Path(out) / f"{t}.parquet").exists() for t in ("accounts", "contacts", "events", "invoices"))
