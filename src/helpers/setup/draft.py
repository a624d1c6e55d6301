"""`workbook init`, second half: the commented parameter file written from the guesses.

`helpers.setup.infer` guesses each column's role; this module writes those guesses as YAML with a
comment on each (why, how sure), picks the sections' defaults it can justify from the data
(banners, filters, features, holdout), and checks the result with the loader a run uses.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.core.errors import WorkbookError
from helpers.data.dataset import load_dataset
from helpers.data.readers import read_frame
from helpers.params.inputs import GLOB_CHARACTERS, Source
from helpers.params.loading import parse_params, read_yaml
from helpers.params.schema import population
from helpers.params.settings import singular_of
from helpers.setup.draft_sections import orders_sections, sections_block
from helpers.setup.facts import (
    Input,
    as_dates,
    currency_in,
    currency_of_country,
    numeric_date_format,
    read_input,
)
from helpers.setup.from_orders import customer_fields, customers_block, field_groups, order_thresholds
from helpers.setup.infer import (
    OrdersGuess,
    guess_customers,
    guess_orders,
    guess_population,
    is_transaction_log,
)
from helpers.setup.roles import GUESS, LIKELY, SURE, CustomerGuess, ScaleGuess, common_prefix
from helpers.setup.words import GENERIC_STEMS, pretty
from helpers.setup.yaml_lines import as_yaml, commented, flow_list


@dataclass
class Draft:
    """The guessed parameter file, its text, and what the user should look at."""

    text: str
    undecided: list[str]
    dropped: list[str]
    summary: list[str]
    kind: str


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return str(path.resolve())


def default_period(data: Path) -> str:
    """A period name from the file name (its folder's name for a generic one, customers.csv, or
    for a glob, exports/*.csv)."""
    stem = Path(data.name.removesuffix(".gz")).stem if data.is_file() else data.name
    if (stem.lower() in GENERIC_STEMS or GLOB_CHARACTERS.search(stem)) and data.parent.name:
        stem = data.parent.resolve().name
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._") or "period"
    return clean[:64]


def _source_block(key: str, inp: Input, folder: Path) -> list[str]:
    lines = [f"  {key}:", f"    path: {as_yaml(_relative(inp.path, folder))}"]
    for k, v in inp.entry.items():
        if k == "names":
            lines.append(f"    names: {flow_list(v, 11)}")
        else:
            lines.append(f"    {k}: {as_yaml(v)}")
    for note in inp.notes:
        lines.append(f"    # {note}")
    return lines


@dataclass
class _Inputs:
    """The files `init` was given, as read: a customer file, its orders, or a transaction log."""

    customers: Input | None
    orders: Input | None
    kind: str
    log_why: str


def _inputs(data: Path, orders: Path | None, sheet: str | None) -> _Inputs:
    """The data file read, and the orders file; a transaction log alone is read as orders."""
    main = read_input(data, sheet)
    log, log_why = is_transaction_log(main.frame, main.entry.get("header") is False)
    customers_in: Input | None = main
    orders_in: Input | None = None
    if orders is not None:
        orders_in = read_input(orders)
    elif log:
        customers_in, orders_in = None, main
    kind = (
        f"a transaction log: {log_why}"
        if customers_in is None
        else "a customer file and its orders"
        if orders_in is not None
        else "a customer, survey or CRM file: one row per person"
    )
    return _Inputs(customers_in, orders_in, kind, log_why)


def _guessed_orders(orders_in: Input) -> OrdersGuess:
    """The orders' columns guessed: a file without a header has its columns named by their role,
    and dates the reader may have sniffed are read again from the text to find how they are written."""
    headerless = orders_in.entry.get("header") is False
    og = guess_orders(orders_in.frame, headerless)
    if headerless:  # name the columns by their role
        names = list(orders_in.entry["names"])
        rename = {og.columns.get("customer_id"): "customer_id", og.columns.get("timestamp"): "date"}
        rename[og.columns.get("amount")] = "amount"
        new = [rename.get(n, n) for n in names]
        orders_in.entry["names"] = new
        orders_in.frame.columns = new
        og = guess_orders(orders_in.frame, True)
    if Source(path=orders_in.path, **orders_in.entry).kind == "csv" and not og.timestamp_format:
        # the reader may have sniffed dates such as 14/04/2024 from their first rows: the text says
        stamp = og.columns["timestamp"]
        written = read_frame(Source(path=orders_in.path, **orders_in.entry), as_text=[stamp])[stamp]
        fmt, fmt_why = numeric_date_format(written)
        if fmt:
            og.timestamp_format, og.why[stamp] = fmt, f"dates written {fmt_why}"
        elif fmt_why:
            og.notes.append(f"orders.timestamp_format: {stamp} holds {fmt_why}; write %d/%m/%Y or %m/%d/%Y")
    return og


def _as_of(
    as_of: dt.date | None, og: OrdersGuess | None, cg: CustomerGuess | None, customers_in: Input | None
) -> tuple[dt.date, str]:
    """The run's as_of date and why: as given, else the last order (or customer date), not after today."""
    if as_of is not None:
        return as_of, "given with --as-of"
    dates: list[dt.date] = []
    if og and og.last_date:
        dates.append(og.last_date)
    elif cg and customers_in:
        for c, g in cg.roles.items():
            if cg.facts[c].kind == "date" and g.role != "personal":
                parsed = as_dates(customers_in.frame[c], cg.facts[c].date_format).dropna()
                if len(parsed):
                    dates.append(parsed.max().date())
    if not dates:
        return dt.date.today(), "today: the data has no dates"
    return min(max(dates), dt.date.today()), "the last date in the data"


def _head_lines(
    data: Path,
    orders: Path | None,
    period: str,
    as_of: tuple[dt.date, str],
    who: tuple[str, str],
    money: tuple,
) -> list[str]:
    """The file's first lines: where it came from, the period, as_of, title, population, currency."""
    (day, day_why), (people, people_why), (symbol, money_why) = as_of, who, money
    return [
        f"# Parameter file written by `workbook init` on {dt.date.today()} from {data.name}"
        + (f" and {orders.name}" if orders else "")
        + ".",
        "# Every guess says why and how sure (sure / likely / guess). Check the guesses, fix what is",
        "# wrong, then: workbook check <this file>, and workbook run <this file>.",
        f"period: {as_yaml(period)}",
        commented(f"as_of: {day.isoformat()}", day_why),
        f"title: {as_yaml(pretty(period) + ' — ' + (singular_of(people) or people) + ' profiles')}",
        commented(f"population: {as_yaml(people)}", f"how sentences name them: {people_why}"),
        commented(
            f"currency: {as_yaml(symbol)}",
            money_why
            if symbol
            else "how money is shown: a symbol (£, $, €) or a code (EUR); the data writes none",
        ),
    ]


def _orders_block(og: OrdersGuess, undecided: list[str], dropped: list[str]) -> list[str]:
    """The `orders:` section: each column's role, the decimal mark and the date format."""
    lines = ["", "orders:"]
    for key in (
        "customer_id",
        "timestamp",
        "amount",
        "order_id",
        "quantity",
        "unit_price",
        "product",
        "category",
        "channel",
        "status",
        "cancelled_at",
        "refunded_amount",
        "return_reason",
        "full_price",
        "prepaid",
    ):
        if key in og.columns:
            col = og.columns[key]
            sure = LIKELY if key != "customer_id" else SURE
            lines.append(commented(f"  {key}: {as_yaml(col)}", og.why[col], sure))
    if og.guests:
        why = f"{og.guests:,} rows have no customer id (guest checkouts): in product totals, not per customer"
        lines.append(commented("  without_customer: leave_out", why))
    if og.decimal == ",":
        lines.append(
            commented('  decimal: ","', "amounts written like 1.234,50: the comma is the decimal mark")
        )
    if og.timestamp_format:
        lines.append(
            commented(f"  timestamp_format: {as_yaml(og.timestamp_format)}", "how the dates are written")
        )
    undecided += og.notes
    if "amount" not in og.columns and "unit_price" not in og.columns:
        undecided.append("orders.amount: no column looks like the order value; name it if there is one")
    for col, what in og.unused.items():
        lines.append(f"  # not used: {col} ({what})")
        dropped.append(f"{col} (orders file: {what})")
    return lines


def _orders_summary(og: OrdersGuess) -> str:
    dates = f"; {og.first_date} … {og.last_date}" if og.first_date else ""
    return "orders: " + ", ".join(f"{k} = {v}" for k, v in og.columns.items()) + dates


def draft_parameters(
    data: Path,
    orders: Path | None,
    out: Path,
    period: str | None = None,
    as_of: dt.date | None = None,
    sheet: str | None = None,
) -> Draft:
    """Guess the parameter file for a data file (and an orders file) and write its text."""
    given = _inputs(data, orders, sheet)
    customers_in, orders_in = given.customers, given.orders
    undecided: list[str] = []
    dropped: list[str] = []
    summary: list[str] = []
    period = period or default_period(data)
    og = _guessed_orders(orders_in) if orders_in else None
    cg = guess_customers(customers_in.frame, customers_in.labels) if customers_in else None
    frames = [f.frame for f in (customers_in, orders_in) if f is not None]
    symbol, column = currency_in(frames)
    money = (symbol, f"written in the column {column}") if symbol else currency_of_country(frames)
    who = guess_population(cg, og is not None)
    lines = _head_lines(data, orders, period, _as_of(as_of, og, cg, customers_in), who, money)
    lines += ["", "data:"]
    if customers_in:
        lines += _source_block("customers", customers_in, out.parent)
    if orders_in:
        lines += _source_block("orders", orders_in, out.parent)
    if customers_in is None:
        lines.append(f"  # a transaction log: {given.log_why}; the customers are built from it")
    if cg:
        lines += [""] + _columns_block(cg, undecided, dropped)
        summary += _summary_roles(cg)
    if og:
        fields = customer_fields(orders_in.frame, og) if orders_in and customers_in is None else {}
        og.unused = {c: w for c, w in og.unused.items() if c not in fields}
        lines += _orders_block(og, undecided, dropped)
        if fields:
            lines.append(
                commented(f"  customer_fields: {as_yaml(list(fields))}", "the same for each customer")
            )
        summary.append(_orders_summary(og))
    if og and orders_in and customers_in is None:
        groups = {c: field_groups(orders_in.frame, og, c) for c in fields}
        heavy = order_thresholds(orders_in.frame, og)
        lines += customers_block(og, fields, heavy, {c: g for c, g in groups.items() if g})
        summary.append(
            "customers: built from the orders (" + ", ".join(["orders, spend, recency", *fields]) + ")"
        )
    if cg and customers_in:
        lines += _labels_block(cg) + _scales_block(cg) + sections_block(cg, customers_in.frame, og, undecided)
    if og:
        lines += orders_sections(og, cg)
    lines += [
        "",
        "privacy:",
        "  min_cell: 10                  # hide any figure based on fewer people than this",
    ]
    if og and og.pseudonymise:
        why = "the customers are known by e-mail: each address is replaced by a keyed pseudonym at load"
        lines.append(commented(f"  pseudonymise: {as_yaml([og.columns['customer_id']])}", why))
    return Draft("\n".join(lines) + "\n", undecided, dropped, summary, given.kind)


ROLE_KEYS = ["demographic", "geographic", "psychographic", "behavioural"]


def _columns_block(cg: CustomerGuess, undecided: list[str], dropped: list[str]) -> list[str]:
    roles = cg.roles
    out = ["columns:"]
    id_col = cg.columns_of("id")[0]
    out.append(commented(f"  id: {as_yaml(id_col)}", roles[id_col].why, roles[id_col].sure))
    status = cg.columns_of("status")
    if status:
        out.append(commented("  status:", cg.status_why + "; confirm what each value means", LIKELY))
        out.append(f"    column: {as_yaml(status[0])}")
        for group, values in cg.status.items():
            out.append(f"    {group}: {as_yaml(list(values))}")
        undecided.append(
            f"columns.status: {status[0]} read as "
            + "; ".join(f"{g} = {', '.join(map(str, v))}" for g, v in cg.status.items())
            + " (confirm)"
        )
    for role in ("nps", "weight"):
        for c in cg.columns_of(role):
            out.append(commented(f"  {role}: {as_yaml(c)}", roles[c].why, roles[c].sure))
    for role in ROLE_KEYS:
        cols = cg.columns_of(role)
        if not cols:
            continue
        out.append(f"  {role}:")
        for c in cols:
            g = roles[c]
            out.append(commented(f"    - {as_yaml(c)}", g.why + ("; money" if g.money else ""), g.sure, 38))
    if cg.multi:
        out.append("  multi_response:")
        for key, spec in cg.multi.items():
            out.append(f"    {as_yaml(key)}:")
            cols = spec.get("columns") or [spec["column"]]
            out.append(commented(f"      dimension: {spec['dimension']}", roles[cols[0]].why, LIKELY, 40))
            if "column" in spec:
                out.append(f"      column: {as_yaml(spec['column'])}")
                out.append(f"      separator: {as_yaml(spec['separator'])}")
            else:
                out.append(f"      columns: {flow_list(spec['columns'], 15)}")
            out.append(f"      label: {as_yaml(spec['label'])}")
    undecided += cg.notes
    for key in cg.unnamed_sets:
        undecided.append(
            f"columns.multi_response.{key}: name the question these 0/1 columns answer, and its label"
        )
    acq = {g.role.split(".", 1)[1]: c for c, g in roles.items() if g.role.startswith("acquisition.")}
    if acq:
        out.append("  acquisition:")
        for key, c in acq.items():
            out.append(commented(f"    {key}: {as_yaml(c)}", roles[c].why, roles[c].sure))
    for role in ("open_text", "personal", "hidden"):
        cols = cg.columns_of(role)
        if not cols:
            continue
        heading = commented(
            f"  {role}:",
            {
                "open_text": "answers in the people's own words",
                "personal": "dropped at load, never analysed, never in a report",
                "hidden": "in the file, never used",
            }[role],
        )
        out.append(heading)
        for c in cols:
            out.append(commented(f"    - {as_yaml(c)}", roles[c].why, roles[c].sure, 38))
    for c, g in roles.items():
        if g.role == "":
            out.append(f"  # no role (dropped at load): {c}: {g.why}")
            dropped.append(f"{c} ({g.why})")
    unhinted = [c for c, g in roles.items() if g.sure == GUESS and g.role in ROLE_KEYS]
    if unhinted:
        shown = ", ".join(map(str, unhinted[:6])) + (
            f" and {len(unhinted) - 6} more" if len(unhinted) > 6 else ""
        )
        undecided.append(
            f"columns.behavioural: {shown} placed there for want of a name hint; move any that says "
            "who people are (demographic) or where (geographic)"
        )
    return out


def _labels_block(cg: CustomerGuess) -> list[str]:
    out = ["", "# Readable names in the reports: edit them into the words a reader knows."]
    if cg.file_labels:
        out.append("# (the names the file gives its questions are used where it has them)")
    shown = [c for c, g in cg.roles.items() if g.role in ROLE_KEYS + ["status", "nps"]]
    grid_prefix = {}
    for s in cg.scales:
        prefix = common_prefix(s.items) if len(s.items) > 1 else ""
        if "_" in prefix:  # att_price_sensitive, att_deal_hunter: the words after att_
            prefix = prefix[: prefix.rindex("_") + 1]
            grid_prefix.update({i: len(prefix) for i in s.items})
    out.append("labels:" if shown or cg.placeholders else "labels: {}")
    for c in shown:
        label = cg.file_labels.get(str(c)) or pretty(str(c)[grid_prefix.get(c, 0) :])
        if cg.roles[c].role == "nps" and str(c) not in cg.file_labels:
            label = "Likelihood to recommend (NPS)"
        out.append(f"  {as_yaml(c)}: {as_yaml(label)}")
    if cg.placeholders:
        out.append(
            "  values:                         # codes with no labels in the file: write what each one means"
        )
        for c, codes in cg.placeholders.items():
            out.append(f"    {as_yaml(c)}: {as_yaml(codes)}")
    return out


def merged_scales(scales: list[ScaleGuess]) -> list[ScaleGuess]:
    """Grids answered on the same points, as one scale (bfi's A, C, E, N and O items: 1–6)."""
    merged: dict[tuple, list[ScaleGuess]] = {}
    for s in scales:
        merged.setdefault((tuple(map(str, s.points)), s.low, s.high), []).append(s)
    out = []
    for group in merged.values():
        first = group[0]
        items = [i for s in group for i in s.items]
        why = (
            first.why
            if len(group) == 1
            else f"{len(items)} items in {len(group)} grids answered {first.points[0]}–{first.points[-1]}"
        )
        out.append(
            ScaleGuess(
                first.name,
                items,
                first.points,
                first.low,
                first.high,
                dict(first.labels),
                why,
                [i for s in group for i in s.reversed_items],
            )
        )
    return out


def _scale_lines(s: ScaleGuess, indent: str) -> list[str]:
    out = []
    if any(isinstance(p, str) for p in s.points):
        out.append(f"{indent}points: {as_yaml(s.points)}")
    else:
        out += [f"{indent}min: {s.points[0]}", f"{indent}max: {s.points[-1]}"]
    if s.labels:
        out.append(f"{indent}labels: {as_yaml(s.labels)}")
    out.append(commented(f"{indent}low: {as_yaml(s.low)}", "the words for the two ends, in sentences"))
    out.append(f"{indent}high: {as_yaml(s.high)}")
    if s.reversed_items:
        out.append(
            f"{indent}# {', '.join(s.reversed_items)}: answers run against the rest of their grid "
            "(reverse-keyed statements?)"
        )
    return out


def _scales_block(cg: CustomerGuess) -> list[str]:
    if not cg.scales:
        return []
    scales = merged_scales(cg.scales)
    numeric = [s for s in scales if not any(isinstance(p, str) for p in s.points)]
    # the numeric scale with the most items is `likert`; every other one is named under `scales`
    main = max(numeric, key=lambda s: len(s.items)) if numeric else None
    out: list[str] = []
    if main:
        shown = ", ".join(main.items[:3]) + (" …" if len(main.items) > 3 else "")
        out += ["", commented("likert:", f"{main.why} ({shown})")]
        out += _scale_lines(main, "  ")
    others = [s for s in scales if s is not main]
    if others:
        out += ["", "scales:"]
        used: set[str] = set()
        for s in others:
            name = s.name if s.name not in used else f"{s.name}_{len(used) + 1}"
            used.add(name)
            out.append(commented(f"  {as_yaml(name)}:", s.why))
            out += _scale_lines(s, "    ")
            out.append(f"    items: {flow_list(s.items, 11)}")
    return out


def _summary_roles(cg: CustomerGuess) -> list[str]:
    lines = []
    order = ["id", "status", "weight", "nps", *ROLE_KEYS, "open_text", "personal", "hidden"]
    for role in order:
        cols = cg.columns_of(role)
        if cols:
            shown = ", ".join(map(str, cols[:8])) + (f" and {len(cols) - 8} more" if len(cols) > 8 else "")
            lines.append(f"{role}: {shown}")
    multi = {g.role.split(":", 1)[1] for g in cg.roles.values() if g.role.startswith("multi_response:")}
    if multi:
        lines.append(f"multiple-response sets: {', '.join(sorted(multi))}")
    acq = [
        f"{g.role.split('.', 1)[1]} = {c}" for c, g in cg.roles.items() if g.role.startswith("acquisition.")
    ]
    if acq:
        lines.append("acquisition: " + ", ".join(acq))
    if cg.scales:
        lines.append(
            "scales: "
            + "; ".join(f"{s.name} ({len(s.items)} items, {s.points[0]}…{s.points[-1]})" for s in cg.scales)
        )
    return lines


@dataclass
class InitResult:
    """What `workbook init` wrote and found."""

    path: Path
    draft: Draft
    check_error: str | None
    rows: str


def write_parameters(
    data: Path,
    out: Path,
    orders: Path | None = None,
    period: str | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    sheet: str | None = None,
) -> InitResult:
    """Guess, write and check a parameter file; never replaces a file unless `force`."""
    if out.exists() and not force:
        raise WorkbookError(
            f"{out}: already exists; choose another file with -o, or add --force to replace it"
        )
    draft = draft_parameters(data, orders, out, period, as_of, sheet)
    out.parent.mkdir(parents=True, exist_ok=True)
    parse_params(
        read_yaml(draft.text), str(out), out.parent.resolve()
    )  # a draft that does not parse is our bug
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(draft.text, encoding="utf-8")
    tmp.replace(out)
    check_error = None
    rows = ""
    try:
        params = parse_params(read_yaml(draft.text), str(out), out.parent.resolve())
        ds = load_dataset(params)
        parts = []
        if ds.customers is not None:
            parts.append(f"{len(ds.customers):,} {population(params).plural}")
        if ds.orders is not None:
            parts.append(f"{int(ds.engine.execute(ds.orders.count())):,} orders")
        rows = ", ".join(parts)
        ds.engine.close()
    except WorkbookError as exc:
        check_error = str(exc)
    except Exception as exc:  # noqa: BLE001 - the file is written; say what the check met
        check_error = f"{out}: the check stopped on {type(exc).__name__}: {exc}"
    return InitResult(out, draft, check_error, rows)
