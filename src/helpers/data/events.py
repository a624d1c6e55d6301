"""Usage events: read, check and summarise a usage log through the engine.

A usage log has one row per event: who (an account or contact id), when, and what (the event
type), with optional properties (plan, feature …). Everything here is an Ibis expression run by
the engine (DuckDB by default, Spark unchanged), so a log of tens of millions of rows never
comes into pandas; only per-unit summaries (one row per account) and per-type counts do.

Per unit the workbook derives, for every event type ``t`` (named by its :func:`slug`):

* ``count_<t>``: events of that type up to ``as_of``;
* ``days_to_<t>``: days from the unit's start (its first start event) to its first such event
  (missing when it never happened), so rules read ``days_to_invited_colleague < 7`` or
  ``days_to_used_demo < days_to_subscribed``;

and ``active_days`` (days with an active event), ``days_since_active``, ``trial`` and
``converted`` (1 when a paid event followed the trial start).
"""

from __future__ import annotations

import datetime as dtm
import difflib
import re
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from helpers.core.errors import ConfigError, DataError
from helpers.core.expressions import filter_columns
from helpers.data.engine import Engine, end_of
from helpers.data.fields import all_expressions
from helpers.params.config import Params

MAX_TYPES = 40  # per-type fields for the most frequent types only (a log may have hundreds)
# a time-zone designator after a time of day (so the `-05` of a date such as 2024-03-05 is none)
OFFSET = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
EVENT_FIELD = re.compile(r"^(count|days_to)_(.+)$")


def slug(event_type: str) -> str:
    """An event type as a field-name part: `Used Feature X` → `used_feature_x`, `登录` → `登录`."""
    return re.sub(r"\W+", "_", str(event_type).lower()).strip("_") or "event"


@dataclass
class EventLog:
    """A checked usage log: the engine table (unit id, time, type, properties) and its types."""

    table: ir.Table  # customer_id (the unit's id), event_ts (UTC), event_type, properties…
    types: pd.Series  # events per type, most frequent first
    before_start: int = 0  # events before their unit's first start event (left out of activity)

    @property
    def fields(self) -> dict[str, str]:
        """The per-type field-name part of each type that gets fields (the most frequent)."""
        return {slug(t): t for t in self.types.index[:MAX_TYPES]}


def ordered(types: pd.Series) -> pd.Series:
    """Event-type counts, most frequent first and ties by name (the same order on every engine)."""
    return types.sort_index().sort_values(ascending=False, kind="stable")


def _fail(path: object, column: str, problem: str, fix: str) -> DataError:
    return DataError(f"{path}: column '{column}': {problem}; {fix}")


def _columns_present(raw: ir.Table, params: Params) -> None:
    cols = params.events
    src = params.data.events
    assert cols is not None and src is not None
    present = list(raw.columns)
    keys = [("who", cols.who), ("timestamp", cols.timestamp), ("type", cols.type)]
    keys += [(f"properties[{i}]", c) for i, c in enumerate(cols.properties)]
    for key, col in keys:
        if col not in present:
            hint = difflib.get_close_matches(col, present, n=1)
            fix = (
                f"did you mean '{hint[0]}'? fix `events.{key}`"
                if hint
                else (f"the file has {', '.join(present[:12])}; fix `events.{key}`")
            )
            raise _fail(src.path, col, f"not in the file (`events.{key}`)", fix)


def _timestamps(raw: ir.Table, params: Params, engine: Engine) -> ir.Value:
    """The event times as UTC timestamps without a zone; mixed zones are an error."""
    cols, src = params.events, params.data.events
    assert cols is not None and src is not None
    ts = raw[cols.timestamp]
    if ts.type().is_timestamp():
        zone = ts.type().timezone
        return _utc(ts) if zone else ts
    if ts.type().is_date():
        return ts.cast("timestamp")
    text = ts.cast("string").strip()
    counts = engine.execute(
        raw.aggregate(
            zoned=text.re_search(OFFSET).sum(),
            written=text.notnull().sum(),
        )
    )
    zoned, written = int(counts["zoned"].iloc[0] or 0), int(counts["written"].iloc[0] or 0)
    if 0 < zoned < written:
        example = engine.execute(raw.filter(text.re_search(OFFSET)).select(v=text).limit(1))["v"].iloc[0]
        plain = engine.execute(raw.filter(~text.re_search(OFFSET)).select(v=text).limit(1))["v"].iloc[0]
        raise _fail(
            src.path,
            cols.timestamp,
            f"mixed time zones: {zoned:,} of {written:,} times carry a zone (e.g. {example!r}) and the "
            f"others do not (e.g. {plain!r}), so their order cannot be known",
            "write every time in UTC, or every time with its offset (+01:00 or Z)",
        )
    if zoned:  # every time has its offset: read them as instants, kept in UTC
        return _utc(text.try_cast(dt.Timestamp(timezone="UTC")))
    if cols.timestamp_format:
        if engine.name == "duckdb":  # a time the format cannot read is missing (reported), not a crash
            return _try_strptime(text, cols.timestamp_format)
        return text.as_timestamp(cols.timestamp_format).cast("timestamp")  # Spark: NULL already
    return text.try_cast("timestamp")


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(text: str, fmt: str) -> dt.timestamp:  # type: ignore[valid-type]
    """DuckDB's try_strptime: NULL where the text does not match the format."""


def _utc(instant: ir.TimestampValue) -> ir.TimestampValue:
    """An instant as a UTC time without a zone (through epoch seconds, so the engine's session
    time zone plays no part)."""
    return instant.epoch_seconds().as_timestamp("s")


def read_events(
    params: Params,
    engine: Engine,
    unit_ids: pd.Series,
    contacts: pd.DataFrame | None,
    quality: list,
    item: type,
) -> EventLog:
    """Read, check and type the usage log; raise DataError naming the file, column and fix.

    ``unit_ids`` are the accounts' (or customers') ids; ``contacts`` maps contact ids to them
    (columns ``contact_id``, ``customer_id``). ``quality`` collects findings as ``item`` rows.
    """
    cols, src = params.events, params.data.events
    assert cols is not None and src is not None
    text = {cols.who: "VARCHAR", cols.type: "VARCHAR", cols.timestamp: "VARCHAR"}
    raw = engine.read(src, types=text)
    _columns_present(raw, params)
    who = raw[cols.who]
    if who.type().is_floating():
        who = who.cast("int64")
    props = {p: raw[p].cast("string") for p in cols.properties}
    std = raw.select(
        who=who.cast("string").strip(),
        event_ts=_timestamps(raw, params, engine),
        event_type=raw[cols.type].cast("string").strip(),
        raw_ts=raw[cols.timestamp].cast("string"),
        **props,
    )
    units = _unit_links(unit_ids, contacts, params)
    link = engine.register(units, "_event_links")
    linked = std.left_join(link, "who")
    linked = linked.drop([c for c in linked.columns if c.endswith("_right")])
    _check_times_and_links(linked, units, contacts, params, engine, quality, item)
    timed, found = linked.event_ts.notnull(), linked.unit.notnull()
    std = linked.filter(timed & found & (linked.event_ts < end_of(params.as_of)))
    std = engine.reuse(
        std.select("unit", "event_ts", "event_type", *cols.properties).rename(customer_id="unit")
    )
    counts = engine.execute(std.group_by("event_type").aggregate(events=std.count()))
    types = ordered(counts.set_index("event_type")["events"])
    check_types(params, types)
    _check_field_names(types, src.path, cols.type)
    log = EventLog(std, types)
    _note_starts(log, params, engine, quality, item)
    return log


def _unit_links(unit_ids: pd.Series, contacts: pd.DataFrame | None, params: Params) -> pd.DataFrame:
    """Each id an event may name (a unit's own, or a contact's) with the unit it belongs to; stops
    when a contact id is also an account id."""
    cols = params.events
    assert cols is not None
    # who → unit: a contact's account, or the unit's own id
    units = pd.DataFrame({"who": unit_ids.astype(str).to_numpy(), "unit": unit_ids.astype(str).to_numpy()})
    if contacts is not None:
        by_contact = contacts.rename(columns={"contact_id": "who", "customer_id": "unit"})[["who", "unit"]]
        both = sorted(set(units["who"]) & set(by_contact["who"].astype(str)))
        if both:  # an event's id could name a contact or an account: never guess which
            assert params.contacts is not None and params.data.contacts is not None
            raise _fail(
                params.data.contacts.path,
                params.contacts.id,
                f"{len(both):,} contact ids are also account ids (e.g. {both[:3]}), so an event's "
                f"'{cols.who}' could name either",
                "write contact and account ids so they differ (e.g. with a prefix)",
            )
        units = pd.concat([units, by_contact.astype(str)], ignore_index=True)
    return units


def _check_times_and_links(
    linked: ir.Table,
    units: pd.DataFrame,
    contacts: pd.DataFrame | None,
    params: Params,
    engine: Engine,
    quality: list,
    item: type,
) -> None:
    """In one pass over the log: times that cannot be read, events naming no known unit, events
    after ``as_of``; most of the log unreadable or unlinked stops the run."""
    cols, src = params.events, params.data.events
    assert cols is not None and src is not None
    # every count the checks need in one pass over the log
    bad_ts = linked.event_ts.isnull() & linked.raw_ts.notnull()
    timed = linked.event_ts.notnull()
    found = linked.unit.notnull()
    n = engine.execute(
        linked.aggregate(
            total=linked.count(),
            bad=linked.count(where=bad_ts),
            missing=linked.count(where=linked.raw_ts.isnull()),
            unlinked=linked.count(where=timed & ~found),
            late=linked.count(where=timed & found & (linked.event_ts >= end_of(params.as_of))),
        )
    ).iloc[0]
    total, n_bad, missing_ts, n_unlinked, late = (
        int(n[k]) for k in ("total", "bad", "missing", "unlinked", "late")
    )
    if total == 0:
        raise _fail(src.path, cols.timestamp, "the usage log has no rows", "give a log with events")
    if n_bad > total / 2:
        examples = engine.execute(linked.filter(bad_ts).select("raw_ts").limit(3))["raw_ts"].tolist()
        raise _fail(
            src.path,
            cols.timestamp,
            f"{n_bad:,} of {total:,} times cannot be read as dates and times (e.g. {examples})",
            'add `events.timestamp_format` (e.g. "%d/%m/%Y %H:%M") or fix `events.timestamp`',
        )
    if n_bad:
        quality.append(item("events", "time not readable", cols.timestamp, n_bad, "left out"))
    if missing_ts:
        quality.append(item("events", "no time", cols.timestamp, missing_ts, "left out"))
    counted = total - n_bad - missing_ts
    unit = "an account" if params.unit == "account" else "a customer"
    whose = "an account or contact" if contacts is not None else unit
    target = params.data.units
    if counted and n_unlinked > counted / 2:
        theirs = engine.execute(linked.filter(timed & ~found).select("who").limit(3))["who"].tolist()
        ours = units["who"].head(3).tolist()
        raise _fail(
            src.path,
            cols.who,
            f"only {counted - n_unlinked:,} of {counted:,} events name {whose} of "
            f"{target.name if target else 'the unit file'} (the log has {theirs}; the ids are "
            f"like {ours})",
            "write the ids the same way in both files, or point `events.who` at the id column",
        )
    if n_unlinked:
        quality.append(
            item("events", "id not in the account or contact files", cols.who, n_unlinked, "left out")
        )
    if late:
        quality.append(item("events", "after as_of", cols.timestamp, late, "left out"))


def _note_starts(log: EventLog, params: Params, engine: Engine, quality: list, item: type) -> None:
    """Units without a start event, and events before a unit's start, noted in ``quality``."""
    cols, std = params.events, log.table
    assert cols is not None
    starts = start_times(log, params)
    early = std.join(starts, "customer_id").filter(lambda t: t.event_ts < t.start_ts)
    log.before_start = int(engine.execute(early.count()))
    if cols.start:
        has = std.group_by("customer_id").aggregate(n=std.count(where=std.event_type.isin(cols.start)))
        no_start = int(engine.execute(has.filter(has.n == 0).count()))
        if no_start:
            quality.append(
                item(
                    "events",
                    f"{'accounts' if params.unit == 'account' else 'customers'} without a start event",
                    cols.type,
                    no_start,
                    "their first event is their start",
                )
            )
    if log.before_start:
        quality.append(
            item(
                "events",
                "before the account's start" if params.unit == "account" else "before the customer's start",
                cols.timestamp,
                log.before_start,
                "left out of activity and retention",
            )
        )


def _check_field_names(types: pd.Series, path: object, column: str) -> None:
    """Two event types that would share one field name (`Sign Up` and `sign-up`) stop the run:
    their counts would be mixed up."""
    top = [str(t) for t in types.index[:MAX_TYPES]]
    by: dict[str, list[str]] = {}
    for t in top:
        by.setdefault(slug(t), []).append(t)
    clash = [names for names in by.values() if len(names) > 1]
    if clash:
        shown = "; ".join(" and ".join(repr(n) for n in names) for names in clash[:3])
        raise _fail(
            path,
            column,
            f"event types that differ only in case or punctuation would share one field: {shown}",
            "write each event type one way in the log",
        )


def check_types(params: Params, types: pd.Series) -> None:
    """Every event type the parameters name occurs in the log; raise ConfigError with a
    did-you-mean for each one that does not."""
    cols = params.events
    assert cols is not None
    where = params.source_file or "parameters"
    seen = [str(t) for t in types.index]
    by_slug = {slug(t): t for t in seen}
    named = list(cols.named_types())
    named += [
        (f"cohorts.stick_point.events[{i}]", t) for i, t in enumerate(params.cohorts.stick_point.events)
    ]
    problems = []
    for key, t in named:
        if t not in seen:
            hint = difflib.get_close_matches(t, seen, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else f"the log has {', '.join(seen[:10])}"
            problems.append(f"`{key}`: event type '{t}' never occurs in {params.data.events.name}; {fix}")
    for key, expression in all_expressions(params):
        for col in sorted(filter_columns(expression)):
            m = EVENT_FIELD.match(col)
            if m and m.group(2) not in by_slug and not _declared(col, params):
                hint = difflib.get_close_matches(m.group(2), list(by_slug), n=1)
                fix = (
                    f"did you mean '{m.group(1)}_{hint[0]}'?"
                    if hint
                    else f"event types: {', '.join(by_slug)}"
                )
                problems.append(
                    f"`{key}`: '{col}' counts the event type '{m.group(2)}', which never occurs in "
                    f"{params.data.events.name}; {fix}"
                )
    if problems:
        raise ConfigError(
            f"{where}: event types that are not in the usage log\n  - " + "\n  - ".join(problems)
        )


def _declared(column: str, params: Params) -> bool:
    return params.columns is not None and column in params.columns.role_of()


def start_times(log: EventLog, params: Params) -> ir.Table:
    """Each unit's start: its first event of a start type (a unit without one: its first event;
    counted in the data-quality table)."""
    cols = params.events
    assert cols is not None
    t = log.table
    if not cols.start:
        return t.group_by("customer_id").aggregate(start_ts=t.event_ts.min())
    first = t.event_ts.min(where=t.event_type.isin(cols.start))
    return t.group_by("customer_id").aggregate(start_ts=first.coalesce(t.event_ts.min()))


def summary(log: EventLog, params: Params) -> ir.Table:
    """One row per unit: its start, activity and, per event type, a count and days to the first."""
    cols = params.events
    assert cols is not None
    t = log.table.join(start_times(log, params), "customer_id")
    t = t.filter(t.event_ts >= t.start_ts)
    t = t.mutate(since=t.event_ts.date().delta(t.start_ts.date(), unit="day"))
    active = t.event_type.isin(cols.active) if cols.active else ibis.literal(True)
    metrics: dict[str, ir.Value] = {
        "start": t.start_ts.min().date(),
        "active_days": t.event_ts.date().nunique(where=active),
        "last_active": t.event_ts.max(where=active).date(),
    }
    for name, kind in log.fields.items():
        metrics[f"count_{name}"] = t.count(where=t.event_type == kind)
        metrics[f"days_to_{name}"] = t.since.min(where=t.event_type == kind)
    if cols.trial:
        metrics["trial_ts"] = t.event_ts.min(where=t.event_type.isin(cols.trial))
    if cols.paid:
        metrics["paid_ts"] = t.event_ts.min(where=t.event_type.isin(cols.paid))
    g = t.group_by("customer_id").aggregate(**metrics)
    g = g.mutate(days_since_active=ibis.literal(params.as_of).delta(g.last_active, unit="day"))
    if cols.trial:
        g = g.mutate(trial=g.trial_ts.notnull().cast("int64"))
        if cols.paid:  # as 04 counts it: paid within the window; missing while too young to judge
            window = ibis.interval(days=cols.conversion_days)
            within = g.paid_ts.notnull() & (g.paid_ts >= g.trial_ts) & (g.paid_ts <= g.trial_ts + window)
            judged = g.trial_ts < end_of(params.as_of - dtm.timedelta(days=cols.conversion_days))
            converted = ibis.cases((within, 1), (judged, 0), else_=ibis.null()).cast("int64")
            g = g.mutate(converted=converted)
    return g


def field_names(log: EventLog, params: Params) -> list[str]:
    """The per-unit fields the usage log gives filters and rules."""
    cols = params.events
    assert cols is not None
    out = ["active_days", "days_since_active"]
    out += [f"{p}_{name}" for name in log.fields for p in ("count", "days_to")]
    if cols.trial:
        out.append("trial")
        if cols.paid:
            out.append("converted")
    return out


def activity_stream(log: EventLog, params: Params, orders: ir.Table | None) -> ir.Table:
    """Rows of being active (active events from each unit's start on) and, with orders, rows of
    revenue that do not count as active: the input of retention and cohort tables."""
    cols = params.events
    assert cols is not None
    t = log.table.join(start_times(log, params), "customer_id")
    keep = t.event_ts >= t.start_ts
    if cols.active:  # the start itself is active (period 0); a later start event is not
        keep &= t.event_type.isin(cols.active) | (t.event_ts == t.start_ts)
    t = t.filter(keep)
    rows = t.select(
        "customer_id", order_ts=t.event_ts, amount=ibis.literal(0.0), active=ibis.literal(1).cast("int64")
    )
    if orders is not None:
        paid = orders.select(
            "customer_id",
            "order_ts",
            amount=orders.amount.cast("float64"),
            active=ibis.literal(0).cast("int64"),
        )
        rows = rows.union(paid)
    return rows
