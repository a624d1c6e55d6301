"""`workbook init`, second half: the commented parameter file written from the guesses.

`helpers.setup.infer` guesses each column's role; this module writes those guesses as YAML with a
comment on each (why, how sure), picks the sections' defaults it can justify from the data
(banners, filters, features, holdout), and checks the result with the loader a run uses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers.core.errors import WorkbookError
from helpers.core.expressions import quote
from helpers.data.dataset import load_dataset
from helpers.data.readers import read_frame
from helpers.params.inputs import Source
from helpers.params.loading import parse_params, read_yaml
from helpers.params.schema import population
from helpers.params.settings import singular_of
from helpers.setup.infer import (
    GENERIC_STEMS,
    GUESS,
    LIKELY,
    SURE,
    CustomerGuess,
    Input,
    OrdersGuess,
    ScaleGuess,
    as_dates,
    common_prefix,
    currency_in,
    guess_customers,
    guess_orders,
    guess_population,
    has_word,
    is_binary,
    is_transaction_log,
    name_tokens,
    norm_word,
    numeric_date_format,
    pretty,
    read_input,
)


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


def _literal(value: Any) -> str:
    """A value as a filter expression writes it: text in double quotes, numbers as they are."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value.item() if hasattr(value, "item") else value)


def _filter_name(text: str) -> str:
    """A filter's name from words: lower case, letters, digits and _ only."""
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")[:40].strip("_")
    return name if name and not name[0].isdigit() else f"f_{name}"


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


def _categorical_main(cg: CustomerGuess, role: str, frame: pd.DataFrame) -> str | None:
    """The column of a dimension that makes the best banner: 2–8 groups, few gaps."""
    best = None
    for c in cg.columns_of(role):
        f = cg.facts[c]
        if 2 <= f.distinct <= 8 and f.kind in ("text", "bool", "int"):
            if role == "demographic" and f.kind == "int" and not cg.roles[c].coded:
                continue
            score = (f.answered / max(f.rows, 1), -abs(f.distinct - 3))
            if has_word(f.tokens, (), ("gender", "sex")):
                score = (2.0, 0)
            if best is None or score > best[0]:
                best = (score, c)
    return best[1] if best else None


def _sections_block(
    cg: CustomerGuess, frame: pd.DataFrame, og: OrdersGuess | None, undecided: list[str]
) -> list[str]:
    out: list[str] = []
    filters: dict[str, tuple[str, str]] = {}
    status = cg.columns_of("status")
    if status and cg.status.get("churned"):
        values = cg.status["churned"]
        filters["churned"] = (
            f"{quote(status[0])} in {_literal(list(values))}",
            "the status values that mean churned",
        )
    age = next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, {"age", "agea", "ages"}) and cg.facts[c].kind in ("int", "float")
        ),
        None,
    )
    age_groups: list[str] = []
    if age:
        ages = pd.to_numeric(frame[age], errors="coerce").dropna()
        young, old = (int(5 * round(ages.quantile(q) / 5)) for q in (0.25, 0.75))
        if young < old:
            age_groups = [f"under_{young}", f"age_{old}_plus"]
            filters[age_groups[0]] = (f"{quote(age)} < {young}", "about the youngest quarter (to 5 years)")
            filters[age_groups[1]] = (f"{quote(age)} >= {old}", "about the oldest quarter (to 5 years)")
    income = next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, (), ("income", "salar", "earning", "wage"))
            and cg.facts[c].kind in ("int", "float")
            and cg.facts[c].distinct > 12
        ),
        None,
    )
    if income:
        q = float(pd.to_numeric(frame[income], errors="coerce").quantile(0.75))
        filters["high_income"] = (f"{quote(income)} >= {q:.6g}", "the top quarter by income")
    top = next((s for s in cg.scales if s.items), None)
    if top:
        item = top.items[0]
        points = top.points[-2:] if len(top.points) >= 4 else top.points[-1:]
        rule = (
            f"{quote(item)} in {_literal(list(points))}"
            if isinstance(points[0], str)
            else f"{quote(item)} >= {points[0]}"
        )
        filters[_filter_name("high_" + "_".join(name_tokens(item)))] = (
            rule,
            "the top box of the first scale item",
        )
    geo = _categorical_main(cg, "geographic", frame)
    if geo and cg.facts[geo].kind == "text":
        biggest = cg.facts[geo].values[0]
        geo_key = re.sub(r"[^a-z0-9_]", "_", str(geo).lower())
        value_key = re.sub(r"[^a-z0-9_]+", "_", str(biggest).lower()).strip("_")
        key = (value_key if value_key.startswith(geo_key) else f"{geo_key}_{value_key}")[:40].strip("_")
        filters[_filter_name(key)] = (
            f"{quote(geo)} == {_literal(str(biggest))}",
            f"the largest {pretty(geo).lower()}",
        )
    if og and cg is not None:
        filters["heavy_buyers"] = ("orders_12m >= 6", "six or more orders in the last 12 months")
        filters["occasional_buyers"] = (
            "orders_12m >= 1 and orders_12m <= 2",
            "one or two orders in the last 12 months",
        )
    if filters:
        out += [
            "",
            "# Named filters: readable rules over columns (and, with orders, derived fields such as",
            "# orders_12m or spend_12m). Used by the banners below and in the 02 report.",
        ]
        out.append("filters:")
        for name, (rule, why) in filters.items():
            out.append(_comment(f"  {name}: {_y(rule)}", why))

    banners: list[str] = []
    if status:
        banners.append(f"    - {_y({'name': pretty(status[0]), 'column': status[0]})}")
    demo_col = _categorical_main(cg, "demographic", frame)
    if demo_col:
        banners.append(f"    - {_y({'name': pretty(demo_col), 'column': demo_col})}")
    if age_groups:
        banners.append(f"    - {_y({'name': 'Age', 'filters': age_groups})}")
    if geo:
        banners.append(f"    - {_y({'name': pretty(geo), 'column': geo})}")
    if "heavy_buyers" in filters:
        banners.append("    - {name: Buyers, filters: [heavy_buyers, occasional_buyers]}")
    compare = [n for n in filters if n in ("high_income", "churned")][:1] or [
        n for n in filters if n.startswith("high_")
    ][:1]
    out += ["", "# Banner tables (02): questions down the side, these groups across the top.", "crosstab:"]
    if banners:
        out.append("  banners:")
        out += banners
    else:
        out.append("  banners: []                    # no column with 2–8 groups to compare; add one")
        undecided.append("crosstab.banners: no column with 2–8 groups was found to compare by")
    if compare:
        out.append(f"  compare_with_rest: {_y(compare)}")

    features = cg.columns_of("psychographic") + cg.columns_of("behavioural")
    features += list(cg.multi)
    rows = len(frame)
    out += [
        "",
        "# Segmentation (03): the features default to the psychographic and behavioural columns.",
        "segment:",
    ]
    if len(features) > 30:
        chosen = cg.columns_of("psychographic")[:25]
        chosen += [c for c in cg.columns_of("behavioural") if cg.facts[c].answered >= 0.8 * rows][
            : 30 - len(chosen)
        ]
        out.append(
            _comment(
                f"  features: {_flow_list(chosen, 12)}",
                f"{len(features)} candidates: the first 30 (scales first); choose the ones that matter",
            )
        )
        undecided.append(
            f"segment.features: {len(features)} candidate columns, the first 30 kept; "
            "choose the ones that matter"
        )
    elif not features:
        demo = [c for c in cg.columns_of("demographic") + cg.columns_of("geographic")]
        if demo:
            out.append(
                _comment(
                    f"  features: {_flow_list(demo[:12], 12)}",
                    "no attitude or behaviour columns: segments on who they are",
                )
            )
    if status:
        out.append(_comment(f"  strata: {_y(status[0])}", "the fitting sample keeps the status mix"))
    out.append(_comment("  k_max: 6", "at most 6 segments, each at least 5% of the file"))
    out.append(
        _comment("  bootstrap: 5", "5 refits for the stability check: quick; use 10–20 for the final run")
    )

    personas = ["", "# Personas (05).", "personas:"]
    if age:
        personas.append(_comment(f"  age: {_y(age)}", "the age column, for the age line and the face"))
    gender = next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, (), ("gender", "sex", "female", "male"))
        ),
        None,
    )
    if gender:
        f = cg.facts[gender]
        female = [
            v
            for v in f.values
            if norm_word(v) in ("female", "f", "woman", "women", "w", "frau", "femme", "女")
        ]
        male = [v for v in f.values if norm_word(v) in ("male", "m", "man", "men", "mann", "homme", "男")]
        if not female and is_binary(f) and has_word(f.tokens, {"female"}):
            female, male = [1], [0]
        elif not female and is_binary(f) and has_word(f.tokens, {"male"}):
            female, male = [0], [1]
        if female and male:
            personas.append(f"  gender: {_y({'column': gender, 'female': female, 'male': male})}")
        else:
            personas.append(
                f"  # gender: {{column: {gender}, female: [?], male: [?]}}   # which code means what?"
            )
            undecided.append(
                f"personas.gender: which values of {gender} ({', '.join(map(str, f.values[:4]))}) "
                "mean female and male"
            )
    has_churn = bool(cg.status.get("churned"))
    goal, goal_why = (
        ("grow repeat revenue", "with orders, repeat buying matters")
        if og
        else ("improve loyalty", "with a churn flag, keeping people matters")
        if has_churn
        else ("understand who they are", "no orders and no status: there is no outcome to grow")
    )
    personas.append(_comment(f"  goal: {goal}", goal_why))
    if not og:
        personas.append(
            _comment(
                "  rubric: " + _y({"size": 1, **({"retention": 2} if has_churn else {})}),
                "what the data can score: size" + (" and retention" if has_churn else ""),
            )
        )
    out += personas
    return out


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
