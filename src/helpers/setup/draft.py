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
from typing import Any

import pandas as pd
import yaml

from helpers.core.errors import WorkbookError
from helpers.data.dataset import load_dataset
from helpers.data.readers import read_frame
from helpers.params.inputs import Source
from helpers.params.loading import parse_params, read_yaml
from helpers.params.schema import population
from helpers.params.settings import singular_of
from helpers.setup.facts import Input, as_dates, currency_in, numeric_date_format, read_input
from helpers.setup.infer import (
    OrdersGuess,
    SectionsGuess,
    guess_customers,
    guess_orders,
    guess_population,
    guess_sections,
    is_transaction_log,
)
from helpers.setup.roles import GUESS, LIKELY, SURE, CustomerGuess, ScaleGuess, common_prefix
from helpers.setup.words import GENERIC_STEMS, pretty


def _plain(value: Any) -> Any:
    """Numpy and pandas scalars as Python ones, inside lists and mappings too."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _y(value: Any) -> str:
    """A value as one line of YAML that the parameter reader reads back as written."""
    value = _plain(value)
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False)
    text = text.strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _flow_list(values: list[Any], indent: int, width: int = 100) -> str:
    """A list in flow style, wrapped to the width."""
    parts = [_y(v) for v in values]
    lines, line = [], "["
    for i, p in enumerate(parts):
        piece = p + (", " if i < len(parts) - 1 else "]")
        if len(line) + len(piece) + indent > width and line != "[":
            lines.append(line.rstrip())
            line = " " * (indent + 1)
        line += piece
    lines.append(line if parts else "[]")
    return "\n".join(lines)


def _comment(line: str, why: str, sure: str | None = None, column: int = 34) -> str:
    note = f"{sure}: {why}" if sure else why
    return f"{line.ljust(column)} # {note}" if note else line


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
    """A period name from the file name (its folder's name for a generic one: customers.csv)."""
    stem = data.stem if data.is_file() else data.name
    if stem.lower() in GENERIC_STEMS and data.parent.name:
        stem = data.parent.resolve().name
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._") or "period"
    return clean[:64]


def _source_block(key: str, inp: Input, folder: Path) -> list[str]:
    lines = [f"  {key}:", f"    path: {_y(_relative(inp.path, folder))}"]
    for k, v in inp.entry.items():
        if k == "names":
            lines.append(f"    names: {_flow_list(v, 11)}")
        else:
            lines.append(f"    {k}: {_y(v)}")
    for note in inp.notes:
        lines.append(f"    # {note}")
    return lines


def draft_parameters(
    data: Path,
    orders: Path | None,
    out: Path,
    period: str | None = None,
    as_of: dt.date | None = None,
    sheet: str | None = None,
) -> Draft:
    """Guess the parameter file for a data file (and an orders file) and write its text."""
    main = read_input(data, sheet)
    headerless = main.entry.get("header") is False
    undecided: list[str] = []
    dropped: list[str] = []
    summary: list[str] = []
    folder = out.parent
    orders_in: Input | None = None
    customers_in: Input | None = main
    log, log_why = is_transaction_log(main.frame, headerless)
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
    period = period or default_period(data)

    og = guess_orders(orders_in.frame, orders_in.entry.get("header") is False) if orders_in else None
    if og and orders_in and orders_in.entry.get("header") is False:  # name the columns by their role
        names = list(orders_in.entry["names"])
        rename = {og.columns.get("customer_id"): "customer_id", og.columns.get("timestamp"): "date"}
        rename[og.columns.get("amount")] = "amount"
        new = [rename.get(n, n) for n in names]
        orders_in.entry["names"] = new
        orders_in.frame.columns = new
        og = guess_orders(orders_in.frame, True)
    if (
        og
        and orders_in
        and orders_in.path.suffix.lower() in (".csv", ".txt", ".tsv")
        and not og.timestamp_format
    ):
        # the reader may have sniffed dates such as 14/04/2024 from their first rows: the text says
        stamp = og.columns["timestamp"]
        written = read_frame(Source(path=orders_in.path, **orders_in.entry), as_text=[stamp])[stamp]
        fmt, fmt_why = numeric_date_format(written)
        if fmt:
            og.timestamp_format, og.why[stamp] = fmt, f"dates written {fmt_why}"
        elif fmt_why:
            og.notes.append(f"orders.timestamp_format: {stamp} holds {fmt_why}; write %d/%m/%Y or %m/%d/%Y")
    cg = guess_customers(customers_in.frame) if customers_in else None

    if as_of is None:
        dates: list[dt.date] = []
        if og and og.last_date:
            dates.append(og.last_date)
        elif cg:
            for c, g in cg.roles.items():
                if cg.facts[c].kind == "date" and g.role != "personal":
                    parsed = as_dates(customers_in.frame[c], cg.facts[c].date_format).dropna()  # type: ignore[union-attr]
                    if len(parsed):
                        dates.append(parsed.max().date())
        as_of = min(max(dates), dt.date.today()) if dates else dt.date.today()
        as_of_why = "the last date in the data" if dates else "today: the data has no dates"
    else:
        as_of_why = "given with --as-of"

    money, money_column = currency_in([f.frame for f in (customers_in, orders_in) if f is not None])
    who, who_why = guess_population(cg, og is not None)
    lines: list[str] = [
        f"# Parameter file written by `workbook init` on {dt.date.today()} from {data.name}"
        + (f" and {orders.name}" if orders else "")
        + ".",
        "# Every guess says why and how sure (sure / likely / guess). Check the guesses, fix what is",
        "# wrong, then: workbook check <this file>, and workbook run <this file>.",
        f"period: {_y(period)}",
        _comment(f"as_of: {as_of.isoformat()}", as_of_why),
        f"title: {_y(pretty(period) + ' — ' + (singular_of(who) or who) + ' profiles')}",
        _comment(f"population: {_y(who)}", f"how sentences name them: {who_why}"),
        _comment(
            f"currency: {_y(money)}",
            f"written in the column {money_column}"
            if money
            else "how money is shown: a symbol (£, $, €) or a code (EUR); the data writes none",
        ),
        "",
        "data:",
    ]
    if customers_in:
        lines += _source_block("customers", customers_in, folder)
    if orders_in:
        lines += _source_block("orders", orders_in, folder)
    if customers_in is None:
        lines.append(
            f"  # a transaction log: {log_why}; no customer file, so the reports that need one are left out"
        )

    if cg:
        lines += [""] + _columns_block(cg, undecided, dropped)
        summary += _summary_roles(cg)
    if og:
        lines += ["", "orders:"]
        for key in ("customer_id", "timestamp", "amount", "order_id", "full_price", "prepaid"):
            if key in og.columns:
                col = og.columns[key]
                lines.append(
                    _comment(f"  {key}: {_y(col)}", og.why[col], LIKELY if key != "customer_id" else SURE)
                )
        if og.decimal == ",":
            why = "amounts written like 1.234,50: the comma is the decimal mark"
            lines.append(_comment('  decimal: ","', why))
        if og.timestamp_format:
            lines.append(
                _comment(f"  timestamp_format: {_y(og.timestamp_format)}", "how the dates are written")
            )
        undecided += og.notes
        if "amount" not in og.columns:
            undecided.append("orders.amount: no column looks like the order value; name it if there is one")
        for col, what in og.unused.items():
            lines.append(f"  # not used: {col} ({what})")
            dropped.append(f"{col} (orders file: {what})")
        summary.append(
            "orders: "
            + ", ".join(f"{k} = {v}" for k, v in og.columns.items())
            + (f"; {og.first_date} … {og.last_date}" if og.first_date else "")
        )

    if cg:
        lines += _labels_block(cg)
        lines += _scales_block(cg)
        lines += _sections_block(cg, customers_in.frame, og, undecided)  # type: ignore[union-attr]
    if og:
        lines += _orders_sections(og, cg)
    lines += [
        "",
        "privacy:",
        "  min_cell: 10                  # hide any figure based on fewer people than this",
    ]
    return Draft("\n".join(lines) + "\n", undecided, dropped, summary, kind)


ROLE_KEYS = ["demographic", "geographic", "psychographic", "behavioural"]


def _columns_block(cg: CustomerGuess, undecided: list[str], dropped: list[str]) -> list[str]:
    roles = cg.roles
    out = ["columns:"]
    id_col = cg.columns_of("id")[0]
    out.append(_comment(f"  id: {_y(id_col)}", roles[id_col].why, roles[id_col].sure))
    status = cg.columns_of("status")
    if status:
        out.append(_comment("  status:", cg.status_why + "; confirm what each value means", LIKELY))
        out.append(f"    column: {_y(status[0])}")
        for group, values in cg.status.items():
            out.append(f"    {group}: {_y(list(values))}")
        undecided.append(
            f"columns.status: {status[0]} read as "
            + "; ".join(f"{g} = {', '.join(map(str, v))}" for g, v in cg.status.items())
            + " (confirm)"
        )
    for role in ("nps", "weight"):
        for c in cg.columns_of(role):
            out.append(_comment(f"  {role}: {_y(c)}", roles[c].why, roles[c].sure))
    for role in ROLE_KEYS:
        cols = cg.columns_of(role)
        if not cols:
            continue
        out.append(f"  {role}:")
        for c in cols:
            g = roles[c]
            out.append(_comment(f"    - {_y(c)}", g.why + ("; money" if g.money else ""), g.sure, 38))
    if cg.multi:
        out.append("  multi_response:")
        for key, spec in cg.multi.items():
            out.append(f"    {_y(key)}:")
            cols = spec.get("columns") or [spec["column"]]
            out.append(_comment(f"      dimension: {spec['dimension']}", roles[cols[0]].why, LIKELY, 40))
            if "column" in spec:
                out.append(f"      column: {_y(spec['column'])}")
                out.append(f"      separator: {_y(spec['separator'])}")
            else:
                out.append(f"      columns: {_flow_list(spec['columns'], 15)}")
            out.append(f"      label: {_y(spec['label'])}")
    undecided += cg.notes
    for key in cg.unnamed_sets:
        undecided.append(
            f"columns.multi_response.{key}: name the question these 0/1 columns answer, and its label"
        )
    acq = {g.role.split(".", 1)[1]: c for c, g in roles.items() if g.role.startswith("acquisition.")}
    if acq:
        out.append("  acquisition:")
        for key, c in acq.items():
            out.append(_comment(f"    {key}: {_y(c)}", roles[c].why, roles[c].sure))
    for role in ("open_text", "personal", "hidden"):
        cols = cg.columns_of(role)
        if not cols:
            continue
        heading = _comment(
            f"  {role}:",
            {
                "open_text": "answers in the people's own words",
                "personal": "dropped at load, never analysed, never in a report",
                "hidden": "in the file, never used",
            }[role],
        )
        out.append(heading)
        for c in cols:
            out.append(_comment(f"    - {_y(c)}", roles[c].why, roles[c].sure, 38))
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
        out.append(f"  {_y(c)}: {_y(label)}")
    if cg.placeholders:
        out.append(
            "  values:                         # codes with no labels in the file: write what each one means"
        )
        for c, codes in cg.placeholders.items():
            out.append(f"    {_y(c)}: {_y(codes)}")
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
        out.append(f"{indent}points: {_y(s.points)}")
    else:
        out += [f"{indent}min: {s.points[0]}", f"{indent}max: {s.points[-1]}"]
    if s.labels:
        out.append(f"{indent}labels: {_y(s.labels)}")
    out.append(_comment(f"{indent}low: {_y(s.low)}", "the words for the two ends, in sentences"))
    out.append(f"{indent}high: {_y(s.high)}")
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
        out += ["", _comment("likert:", f"{main.why} ({shown})")]
        out += _scale_lines(main, "  ")
    others = [s for s in scales if s is not main]
    if others:
        out += ["", "scales:"]
        used: set[str] = set()
        for s in others:
            name = s.name if s.name not in used else f"{s.name}_{len(used) + 1}"
            used.add(name)
            out.append(_comment(f"  {_y(name)}:", s.why))
            out += _scale_lines(s, "    ")
            out.append(f"    items: {_flow_list(s.items, 11)}")
    return out


def _filters_block(sections: SectionsGuess) -> list[str]:
    if not sections.filters:
        return []
    out = [
        "",
        "# Named filters: readable rules over columns (and, with orders, derived fields such as",
        "# orders_12m or spend_12m). Used by the banners below and in the 02 report.",
        "filters:",
    ]
    return out + [_comment(f"  {name}: {_y(rule)}", why) for name, (rule, why) in sections.filters.items()]


def _crosstab_block(sections: SectionsGuess, undecided: list[str]) -> list[str]:
    out = ["", "# Banner tables (02): questions down the side, these groups across the top.", "crosstab:"]
    if sections.banners:
        out.append("  banners:")
        out += [f"    - {_y(banner)}" for banner in sections.banners]
    else:
        out.append("  banners: []                    # no column with 2–8 groups to compare; add one")
        undecided.append("crosstab.banners: no column with 2–8 groups was found to compare by")
    if sections.compare:
        out.append(f"  compare_with_rest: {_y(sections.compare)}")
    return out


def _segment_block(cg: CustomerGuess, rows: int, undecided: list[str]) -> list[str]:
    features = cg.columns_of("psychographic") + cg.columns_of("behavioural") + list(cg.multi)
    out = [
        "",
        "# Segmentation (03): the features default to the psychographic and behavioural columns.",
        "segment:",
    ]
    if len(features) > 30:
        chosen = cg.columns_of("psychographic")[:25]
        answered = [c for c in cg.columns_of("behavioural") if cg.facts[c].answered >= 0.8 * rows]
        chosen += answered[: 30 - len(chosen)]
        why = f"{len(features)} candidates: the first 30 (scales first); choose the ones that matter"
        out.append(_comment(f"  features: {_flow_list(chosen, 12)}", why))
        undecided.append(
            f"segment.features: {len(features)} candidate columns, the first 30 kept; "
            "choose the ones that matter"
        )
    elif not features:
        who = cg.columns_of("demographic") + cg.columns_of("geographic")
        if who:
            why = "no attitude or behaviour columns: segments on who they are"
            out.append(_comment(f"  features: {_flow_list(who[:12], 12)}", why))
    status = cg.columns_of("status")
    if status:
        out.append(_comment(f"  strata: {_y(status[0])}", "the fitting sample keeps the status mix"))
    out.append(_comment("  k_max: 6", "at most 6 segments, each at least 5% of the file"))
    out.append(
        _comment("  bootstrap: 5", "5 refits for the stability check: quick; use 10–20 for the final run")
    )
    return out


def _personas_block(
    sections: SectionsGuess, cg: CustomerGuess, has_orders: bool, undecided: list[str]
) -> list[str]:
    out = ["", "# Personas (05).", "personas:"]
    if sections.age:
        out.append(_comment(f"  age: {_y(sections.age)}", "the age column, for the age line and the face"))
    gender = sections.gender
    if gender and sections.female and sections.male:
        out.append(f"  gender: {_y({'column': gender, 'female': sections.female, 'male': sections.male})}")
    elif gender:
        out.append(f"  # gender: {{column: {gender}, female: [?], male: [?]}}   # which code means what?")
        shown = ", ".join(map(str, cg.facts[gender].values[:4]))
        undecided.append(f"personas.gender: which values of {gender} ({shown}) mean female and male")
    out.append(_comment(f"  goal: {sections.goal}", sections.goal_why))
    if not has_orders:
        has_churn = bool(cg.status.get("churned"))
        out.append(
            _comment(
                "  rubric: " + _y({"size": 1, **({"retention": 2} if has_churn else {})}),
                "what the data can score: size" + (" and retention" if has_churn else ""),
            )
        )
    return out


def _sections_block(
    cg: CustomerGuess, frame: pd.DataFrame, og: OrdersGuess | None, undecided: list[str]
) -> list[str]:
    """The analysis sections of a drafted file: filters, banners, segments and personas."""
    sections = guess_sections(cg, frame, og is not None)
    return (
        _filters_block(sections)
        + _crosstab_block(sections, undecided)
        + _segment_block(cg, len(frame), undecided)
        + _personas_block(sections, cg, og is not None, undecided)
    )


def _orders_sections(og: OrdersGuess, cg: CustomerGuess | None) -> list[str]:
    out = [
        "",
        "# Cohorts and retention (04), customer value (04).",
        "cohorts:",
        "  period: month",
        "  definition: on",
    ]
    if og.first_date and og.last_date:
        months = (og.last_date.year - og.first_date.year) * 12 + og.last_date.month - og.first_date.month + 1
        out.append(
            _comment(f"  max_periods: {max(2, min(24, months - 1))}", f"the data spans {months} months")
        )
        weeks = (og.last_date - og.first_date).days // 7
        holdout = max(4, min(26, weeks // 3))
    else:
        holdout = 26
    splits = []
    if cg:
        splits = [
            c for c, g in cg.roles.items() if g.role in ("acquisition.channel", "acquisition.promotion")
        ]
    if splits:
        out.append(f"  splits: {_y(splits)}")
    out.append(_comment("  margin: 1.0", "gross margin (share of revenue kept); set yours, e.g. 0.35"))
    out += ["", "value:", "  model: bgnbd", "  unit: weeks"]
    out.append(
        _comment(f"  holdout: {holdout}", "the last third of the data (at most 26 weeks) checks the model")
    )
    out.append("  horizon: 52")
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
