"""Loading and validating input data: one reader for every format, checks before any analysis.

Personal-data columns (and any column the parameter file does not declare) are dropped here,
so nothing downstream can show them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.core.errors import DataError
from helpers.data.checks import (
    Problems,
    QualityItem,
    example_values,
    missing_columns,
    validate_customers,
)
from helpers.data.engine import Engine, basket_summary, customer_summary
from helpers.data.events import EventLog, activity_stream, field_names, ordered, read_events, summary
from helpers.data.fields import (
    _ZERO_FOR_NON_BUYERS,
    DERIVED_FIELDS,
    available_columns,
    check_references,
    check_values,
    nps_group,
)
from helpers.data.order_checks import CheckedOrders, validate_orders
from helpers.data.readers import id_text, read_frame
from helpers.params.config import Params
from helpers.params.inputs import DERIVED_LABELS
from helpers.params.loading import params_as_dict

NO_PROFILE = (
    "Not available for this run: it has orders but no customer file, and this part "
    "needs customer fields (acquisition channel, promotion, survey answers)."
)


@dataclass
class Dataset:
    """Validated inputs of a run: customers (pandas, personal data dropped) and orders (engine)."""

    params: Params
    customers: pd.DataFrame | None
    orders: ir.Table | None
    engine: Engine
    quality: list[QualityItem] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    _behaviour: pd.DataFrame | None = field(default=None, repr=False)
    themes: dict[str, Any] = field(default_factory=dict, repr=False)  # see helpers.data.text
    events: EventLog | None = None  # the checked usage log, when the run has one
    _usage: pd.DataFrame | None = field(default=None, repr=False)
    contacts: pd.DataFrame | None = None  # contact_id, customer_id (the account), role, seniority
    lines: ir.Table | None = None  # what was bought and returned, guests included (see CheckedOrders)

    @property
    def activity(self) -> ir.Table | None:
        """What retention counts as being active: usage events (with the orders' revenue
        beside them) when the run has a usage log, else the orders."""
        if self.events is not None:
            return activity_stream(self.events, self.params, self.orders)
        return self.orders

    def usage(self) -> pd.DataFrame:
        """One row per unit from the usage log: start, activity, counts and days to each event
        type, trial and conversion (computed by the engine once)."""
        if self._usage is None:
            assert self.events is not None
            self._usage = self.engine.execute(summary(self.events, self.params))
        return self._usage.copy()

    def behaviour(self) -> pd.DataFrame:
        """One row per buyer: orders, spend, recency, tenure (computed by the engine once)."""
        if self._behaviour is None:
            assert self.orders is not None
            self._behaviour = buyer_behaviour(self.orders, self.lines, self.params, self.engine)
        return self._behaviour.copy()

    def quality_table(self) -> pd.DataFrame:
        """The data-quality findings as a table."""
        cols = ["table", "check", "column", "rows", "action", "examples"]
        return pd.DataFrame([vars(q) for q in self.quality], columns=cols)


def buyer_behaviour(
    orders: ir.Table, lines: ir.Table | None, params: Params, engine: Engine, fields: list[str] | None = None
) -> pd.DataFrame:
    """One row per buyer: the behaviour from their orders (with `fields`, the customer fields
    too) and, where there are lines, return rate, categories and main channel."""
    frame = without_money(engine.execute(customer_summary(orders, params.as_of, fields or [])), params)
    if lines is not None:
        basket = engine.execute(basket_summary(lines, orders))
        frame = frame.merge(basket, on="customer_id", how="left")
    return frame


MONEY_FIELDS = ("spend", "spend_12m", "avg_order_value", "first_order_amount", "basket_growth")


def without_money(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Orders without amounts have no money figures: they are missing, never 0."""
    if params.orders is not None and not params.orders.money:
        frame = frame.assign(**{c: np.nan for c in MONEY_FIELDS if c in frame})
    return frame


CHECKED_ENV = "WORKBOOK_CHECKED_DATA"


def fingerprint(params: Params) -> str:
    """What the checked data depends on: the parameters and each input's size and time."""

    parts: list[Any] = [params_as_dict(params)]
    for src in params.data.named().values():
        for file in src.files:  # every file of a folder or glob: one added or changed counts
            st = file.stat()
            parts.append([str(file), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def save_checked(data: Dataset, folder: str | Path) -> Path:
    """Write a run's checked data once (customers without personal data; orders typed, without
    duplicates, up to as_of) so that every notebook of the run reads it instead of re-checking.

    On a Spark cluster the orders stay where they are (a local folder is not shared with the
    executors): only the customers and the findings are kept.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if data.customers is not None:
        data.customers.to_parquet(folder / "customers.parquet", index=False)
    if data.orders is not None:
        if data.engine.is_local:
            data.engine.save_parquet(data.orders, folder / "orders.parquet")
            if data.lines is not None:
                data.engine.save_parquet(data.lines, folder / "lines.parquet")
        data.behaviour().to_parquet(folder / "behaviour.parquet", index=False)
    if data.events is not None:
        if data.engine.is_local:
            data.engine.save_parquet(data.events.table, folder / "events.parquet")
        data.usage().to_parquet(folder / "usage.parquet", index=False)
    if data.contacts is not None:
        data.contacts.to_parquet(folder / "contacts.parquet", index=False)
    meta = {
        "fingerprint": fingerprint(data.params),
        "dropped_columns": data.dropped_columns,
        "quality": [vars(q) for q in data.quality],
        "orders_saved": data.orders is not None and data.engine.is_local,
        "events_saved": data.events is not None and data.engine.is_local,
        "event_types": data.events.types.to_dict() if data.events is not None else {},
        "before_start": data.events.before_start if data.events is not None else 0,
    }
    (folder / "checked.json").write_text(json.dumps(meta, indent=1, default=str))
    return folder


def _load_checked(params: Params, engine: Engine) -> Dataset | None:
    """The run's checked data, when this run saved it for these exact parameters and inputs."""
    folder = os.environ.get(CHECKED_ENV)
    if not folder or not (Path(folder) / "checked.json").exists():
        return None
    meta = json.loads((Path(folder) / "checked.json").read_text())
    if meta["fingerprint"] != fingerprint(params):
        return None
    customers = (
        pd.read_parquet(Path(folder) / "customers.parquet")
        if (Path(folder) / "customers.parquet").exists()
        else None
    )
    orders = lines = None
    if params.data.orders is not None:
        if meta["orders_saved"]:
            orders = engine.con.read_parquet(str(Path(folder) / "orders.parquet"))
            saved_lines = Path(folder) / "lines.parquet"
            lines = engine.con.read_parquet(str(saved_lines)) if saved_lines.exists() else None
        else:
            checked = _load_orders(params, engine, [])
            orders, lines = checked.orders, checked.lines
    quality = [QualityItem(**q) for q in meta["quality"]]
    behaviour = (
        pd.read_parquet(Path(folder) / "behaviour.parquet")
        if (Path(folder) / "behaviour.parquet").exists()
        else None
    )
    events = None
    if params.data.events is not None:
        if not meta.get("events_saved"):
            return None  # a cluster run reads its log again (it is not kept locally)
        table = engine.con.read_parquet(str(Path(folder) / "events.parquet"))
        types = ordered(pd.Series(meta["event_types"], dtype="int64"))
        events = EventLog(table, types, meta["before_start"])
    usage = (
        pd.read_parquet(Path(folder) / "usage.parquet") if (Path(folder) / "usage.parquet").exists() else None
    )
    people = Path(folder) / "contacts.parquet"
    contacts = pd.read_parquet(people) if people.exists() else None
    return Dataset(
        params,
        customers,
        orders,
        engine,
        quality,
        meta["dropped_columns"],
        behaviour,
        events=events,
        _usage=usage,
        contacts=contacts,
        lines=lines,
    )


def _load_orders(params: Params, engine: Engine, quality: list[QualityItem]) -> CheckedOrders:
    """The orders file, read by the engine, checked and typed."""
    src, cols = params.data.orders, params.orders
    assert src is not None and cols is not None
    # with a date format given, the dates are read as text and parsed with it (never sniffed)
    text = {cols.customer_id: "VARCHAR"} | ({cols.timestamp: "VARCHAR"} if cols.timestamp_format else {})
    raw = engine.read(src, types=text)
    try:
        return validate_orders(raw, params, src.path, engine, quality)
    except duckdb.ConversionException as exc:  # the sniffer's guess of a type broke further down
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "convert" in line.lower()), first[0] if first else "")
        raise DataError(
            f"{src.path}: cannot read a column the way its first rows suggested ({detail.strip()}); "
            'if it holds dates such as 14/04/2024, add `orders.timestamp_format: "%d/%m/%Y"` '
            "(or the format they are written in)"
        ) from None


def customers_from_orders(
    checked: CheckedOrders, params: Params, engine: Engine
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per customer built from the orders alone: the id, the customer fields (each from
    the latest order that gives it) and the fields derived from orders that `columns` names;
    and the buyers' behaviour itself (`Dataset.behaviour`), from the same one pass."""
    assert params.columns is not None and params.orders is not None
    fields = list(params.orders.customer_fields)
    summary = buyer_behaviour(checked.orders, checked.lines, params, engine, fields).sort_values(
        "customer_id", kind="stable"
    )
    derived = [
        c
        for c in params.columns.role_of()
        if (c in DERIVED_FIELDS or c in DERIVED_LABELS) and c in summary.columns
    ]
    frame = summary[["customer_id", *fields, *derived]].rename(columns={"customer_id": params.columns.id})
    return frame.reset_index(drop=True), summary.drop(columns=fields).reset_index(drop=True)


def load_dataset(params: Params, engine: Engine | None = None) -> Dataset:
    """Read and validate every input of a run; raise DataError naming file, column and fix.

    Inside a batch run, the data checked before the first notebook is read back instead."""
    engine = engine or Engine.for_params(params)
    if (checked := _load_checked(params, engine)) is not None:
        return checked
    quality: list[QualityItem] = []
    customers = None
    dropped: list[str] = []
    contacts = None
    orders = None
    lines = None
    behaviour = None  # the buyers' behaviour, when building the customers computed it already
    if params.customers_from_orders:  # no customer file: one row per customer from the orders
        assert params.data.orders is not None and params.columns is not None
        checked = _load_orders(params, engine, quality)
        orders, lines = checked.orders, checked.lines
        built, behaviour = customers_from_orders(checked, params, engine)
        customers = validate_customers(built, params, params.data.orders.path, quality)
    elif params.data.units is not None and params.columns is not None:
        src = params.data.units
        frame = (
            engine.execute(engine.read(src))
            if src.remote  # a Parquet file only Spark reaches
            else read_frame(src, as_text=[params.columns.id])
        )
        customers = validate_customers(frame, params, src.path, quality)
    if customers is not None:
        customers, dropped = _without_unanalysed(customers, params, quality)
        if params.data.contacts is not None:
            contacts = _load_contacts(params, customers, quality)
            customers = customers.join(contact_rollup(contacts, params), on=params.columns.id)
            customers["contacts"] = customers["contacts"].fillna(0).astype("int64")
    if orders is None and params.data.orders is not None:
        checked = _load_orders(params, engine, quality)
        orders, lines = checked.orders, checked.lines
    if customers is not None and orders is not None and not params.customers_from_orders:
        _check_links(customers, orders, params, engine, quality)
    events = None
    if params.data.events is not None and customers is not None:
        assert params.columns is not None
        links = contacts[["contact_id", "customer_id"]] if contacts is not None else None
        events = read_events(params, engine, customers[params.columns.id], links, quality, QualityItem)
        clash = sorted({*field_names(events, params), "start_date"} & set(customers.columns))
        if clash:
            raise DataError(
                f"{params.data.units.path}: column '{clash[0]}': the usage log gives every "
                f"{params.unit} a field of this name ({', '.join(clash)}); rename the column in "
                f"the file, or leave it out of `columns`"
            )
    if customers is not None:
        extra = field_names(events, params) if events is not None else []
        check_references(
            params, available_columns(params, list(customers.columns), orders is not None) + extra
        )
        check_values(params, customers)
    return Dataset(
        params,
        customers,
        orders,
        engine,
        quality,
        dropped,
        behaviour,
        events=events,
        contacts=contacts,
        lines=lines,
    )


def _without_unanalysed(
    customers: pd.DataFrame, params: Params, quality: list[QualityItem]
) -> tuple[pd.DataFrame, list[str]]:
    """The customers without personal, hidden and undeclared columns (those noted), names
    scrubbed from open answers; and the columns dropped."""
    assert params.columns is not None
    roles = params.columns.role_of()
    dropped = [c for c in customers.columns if roles.get(c) in (None, "personal", "hidden")]
    undeclared = [c for c in dropped if c not in roles]
    if undeclared:
        more = f" and {len(undeclared) - 8} more" if len(undeclared) > 8 else ""
        action = "left out (declare a role to use them)"
        quality.append(
            QualityItem(
                "customers",
                "columns without a role",
                ", ".join(undeclared[:8]) + more,
                len(customers),
                action,
            )
        )
    _scrub_names(customers, params)
    return customers.drop(columns=dropped).reset_index(drop=True), dropped


def _load_contacts(params: Params, accounts: pd.DataFrame, quality: list[QualityItem]) -> pd.DataFrame:
    """The contacts file, checked: columns present, ids linking to accounts, personal data
    dropped. Returns contact_id, customer_id (the account) and role/seniority when given."""
    src, cols = params.data.contacts, params.contacts
    assert src is not None and cols is not None and params.columns is not None
    frame = read_frame(src, as_text=[cols.id, cols.account])
    problems = Problems(src.path)
    wanted = {"id": cols.id, "account": cols.account, "role": cols.role, "seniority": cols.seniority}
    missing_columns(
        problems, [c for c in wanted.values() if c] + cols.personal, list(frame.columns), "contacts"
    )
    problems.raise_if_any()
    out = pd.DataFrame({"contact_id": id_text(frame[cols.id]), "customer_id": id_text(frame[cols.account])})
    for key in ("role", "seniority"):
        if wanted[key]:
            out[key] = frame[wanted[key]].astype("string").str.strip()
    twice = out["contact_id"].duplicated(keep=False)
    if twice.any():
        raise DataError(
            f"{src.path}: column '{cols.id}': {int(out.loc[twice, 'contact_id'].nunique())} contact ids "
            f"appear more than once (e.g. {example_values(out.loc[twice, 'contact_id'])}); ids must be "
            "unique: remove the duplicate rows, or fix `contacts.id`"
        )
    known = set(accounts[params.columns.id].astype(str))
    linked = out["customer_id"].isin(known)
    if len(out) and linked.sum() < len(out) / 2:
        raise DataError(
            f"{src.path}: column '{cols.account}': only {int(linked.sum()):,} of {len(out):,} contacts "
            f"name an account in {params.data.units.name} (contacts have "
            f"{example_values(out.loc[~linked, 'customer_id'])}; accounts have "
            f"{example_values(accounts[params.columns.id])}); write the ids the same way in both "
            "files, or fix `contacts.account`"
        )
    if (~linked).any():
        quality.append(
            QualityItem(
                "contacts", "account not in the accounts file", cols.account, int((~linked).sum()), "left out"
            )
        )
    if cols.seniority and cols.seniority_order:
        unknown = sorted(set(out["seniority"].dropna()) - set(cols.seniority_order))
        if unknown:
            raise DataError(
                f"{src.path}: column '{cols.seniority}': {', '.join(map(repr, unknown[:5]))} "
                "not in `contacts.seniority_order`; add them to that list (junior to senior)"
            )
    return out[linked].reset_index(drop=True)


def contact_rollup(contacts: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per account: how many contacts, and the role and seniority of the most senior one (the
    first in file order among equals; without a seniority order, the most common role)."""
    cols = params.contacts
    assert cols is not None
    g = contacts.groupby("customer_id", sort=False)
    out = pd.DataFrame({"contacts": g.size()})
    if "seniority" in contacts and cols.seniority_order:
        rank = contacts["seniority"].map({v: i for i, v in enumerate(cols.seniority_order)})
        top = contacts.assign(_rank=rank).sort_values("_rank", ascending=False, kind="stable")
        first = top.drop_duplicates("customer_id").set_index("customer_id")
        out["top_seniority"] = first["seniority"]
        if "role" in contacts:
            out["buyer_role"] = first["role"]
    elif "role" in contacts:
        out["buyer_role"] = g["role"].agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
    out.index.name = None
    return out


def _scrub_names(customers: pd.DataFrame, params: Params) -> None:
    """Remove the words of the personal-data columns (names) from open answers."""
    cols = params.columns
    assert cols is not None
    if not cols.open_text or not cols.personal:
        return
    tokens: set[str] = set()
    for col in cols.personal:
        words = customers[col].dropna().astype(str).str.findall(r"[A-Za-zÀ-ÿ'-]{3,}")
        tokens |= {w for ws in words for w in ws if "@" not in w}
    tokens = {t for t in tokens if t[:1].isupper()}  # names, not common words
    if not tokens or len(tokens) > 50_000:
        return
    pattern = r"\b(?:" + "|".join(sorted(map(re.escape, tokens), key=len, reverse=True)) + r")\b"
    for col in cols.open_text:
        customers[col] = customers[col].str.replace(pattern, "[name]", regex=True)


def _check_links(
    customers: pd.DataFrame, orders: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]
) -> None:
    assert params.columns is not None
    known = engine.register(
        customers[[params.columns.id]].rename(columns={params.columns.id: "customer_id"}), "_known_ids"
    )
    orphans = int(engine.execute(orders.anti_join(known, "customer_id").count()))
    total = int(engine.execute(orders.count()))
    if total and orphans > total / 2:  # most orders belong to no one: the ids do not match
        theirs = engine.execute(orders.anti_join(known, "customer_id").select("customer_id").limit(3))[
            "customer_id"
        ].tolist()
        ours = customers[params.columns.id].head(3).tolist()
        raise DataError(
            f"{params.data.orders.path}: only {total - orphans:,} of {total:,} orders link to a "
            f"customer in {params.data.customers.name}: the ids do not match (orders have "
            f"{', '.join(map(repr, theirs))}; customers have {', '.join(map(repr, ours))}); "
            "write the ids the same way in both files, or fix `orders.customer_id`"
        )
    if orphans:
        quality.append(
            QualityItem(
                "orders",
                "customer not in the customer file",
                "customer_id",
                int(orphans),
                "kept for order-level figures",
            )
        )


def profile_frame(data: Dataset) -> pd.DataFrame | None:
    """Customers with the behavioural fields derived from their orders (engine-computed);
    None for a run without a customer file."""
    if data.customers is None or data.params.columns is None:
        return None
    frame = data.customers.copy()
    if data.events is not None:
        usage = data.usage().set_index("customer_id")
        joined = usage.reindex(frame[data.params.columns.id].astype(str).to_numpy())
        for col in field_names(data.events, data.params):
            values = joined[col].to_numpy(dtype=float)
            frame[col] = (
                np.nan_to_num(values, nan=0.0) if col.startswith(("count_", "active_days")) else values
            )
        if "trial" in joined:
            frame["trial"] = np.nan_to_num(joined["trial"].to_numpy(dtype=float))
        frame["start_date"] = pd.to_datetime(joined["start"].to_numpy())
    if data.orders is None:
        if data.params.columns.nps:
            frame["nps_group"] = nps_group(frame[data.params.columns.nps])
        return frame
    behaviour = data.behaviour().set_index("customer_id")
    joined = behaviour.reindex(frame[data.params.columns.id].astype(str).to_numpy())
    for col in DERIVED_LABELS:
        if col in joined.columns:
            frame[col] = joined[col].to_numpy(dtype=object)
    for col in DERIVED_FIELDS:
        if col not in joined.columns:
            continue
        values = joined[col].to_numpy(dtype=float)
        if col in _ZERO_FOR_NON_BUYERS and not (
            col in MONEY_FIELDS and not (data.params.orders and data.params.orders.money)
        ):
            values = np.nan_to_num(values, nan=0.0)
        frame[col] = values
    if data.params.columns.nps:
        frame["nps_group"] = nps_group(frame[data.params.columns.nps])
    acq = data.params.columns.acquisition
    if acq.first_contact and acq.date:
        frame["days_to_convert"] = (
            pd.to_datetime(frame[acq.date]) - pd.to_datetime(frame[acq.first_contact])
        ).dt.days
    return frame


def stratified_index(strata: pd.Series, size: int, seed: int) -> pd.Index:
    """Index labels of a proportional stratified sample of about ``size`` rows (all if fewer),
    for fitting a model on a large base; every stratum keeps at least one row."""
    if len(strata) <= size:
        return strata.index
    share = size / len(strata)
    keys = strata.astype("string").fillna("?")
    picked = [
        g.sample(max(1, round(len(g) * share)), random_state=seed).index
        for _, g in keys.groupby(keys, sort=True)
    ]
    return picked[0].append(picked[1:]).sort_values() if picked else strata.index[:0]


def is_numeric_column(series: pd.Series, max_levels: int = 12) -> bool:
    """Whether a profile column is best shown as a number (many distinct numeric values)."""
    return bool(pd.api.types.is_numeric_dtype(series) and series.nunique() > max_levels)


def weights(customers: pd.DataFrame, params: Params) -> pd.Series:
    """The survey weight of each respondent (1 when the file has none)."""
    assert params.columns is not None
    if params.columns.weight:
        return customers[params.columns.weight].astype(float)
    return pd.Series(np.ones(len(customers)), index=customers.index)
