"""The data checked before any notebook starts: every problem of a file collected into one message
that names the file, the column, the problem and the fix; personal data found and refused; dates,
scales, value labels and statuses read as the parameters declare them."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from helpers.core.errors import DataError
from helpers.core.privacy import personal_share, scrub_text
from helpers.data.engine import Engine, end_of, standard_orders
from helpers.data.readers import id_text
from helpers.params.config import Params
from helpers.params.inputs import STATUS_GROUPS
from helpers.params.schema import (
    Scale,
    apply_value_labels,
    data_keys,
    format_point,
    observed_values,
    scales_in_use,
    status_groups,
    value_keys,
)


@dataclass
class QualityItem:
    """One data-quality finding and what was done about it."""

    table: str
    check: str
    column: str
    rows: int
    action: str
    examples: str = ""


def example_values(values: pd.Series, k: int = 3) -> str:
    """A few distinct offending values, as the user wrote them."""
    out = []
    for v in pd.unique(values.dropna())[:k]:
        v = v.item() if hasattr(v, "item") else v
        out.append(str(int(v)) if isinstance(v, float) and v.is_integer() else repr(v))
    return ", ".join(out)


class Problems:
    """Collects every problem in a file so the user sees them all in one message."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, column: str | None, problem: str, fix: str) -> None:
        where = f"column '{column}': " if column else ""
        self.lines.append(f"{where}{problem}; {fix}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise DataError(f"{self.path}: bad data\n  - " + "\n  - ".join(self.lines))


def missing_columns(problems: Problems, wanted: list[str], present: list[str], key: str) -> None:
    for col in wanted:
        if col not in present:
            hint = difflib.get_close_matches(col, present, n=1)
            fix = (
                f"did you mean '{hint[0]}'? fix `{key}` in the parameter file"
                if hint
                else f"the file has: {', '.join(present[:12])}{' …' if len(present) > 12 else ''}"
            )
            problems.add(col, "declared in the parameters but not in the file", fix)


def _numeric(frame: pd.DataFrame, col: str, problems: Problems, what: str) -> pd.Series:
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        problems.add(
            col,
            f"{int(bad.sum())} rows are not numbers (e.g. {example_values(raw[bad])})",
            f"{what} must be numeric; fix those rows",
        )
    return values


def _out_of_range(
    frame: pd.DataFrame,
    col: str,
    lo: float,
    hi: float,
    params: Params,
    problems: Problems,
    quality: list[QualityItem],
    table: str,
) -> None:
    values = frame[col]
    bad = values.notna() & ((values < lo) | (values > hi))
    if not bad.any():
        return
    examples = example_values(values[bad])
    if params.validation.out_of_range == "set_missing":
        frame.loc[bad, col] = pd.NA
        quality.append(
            QualityItem(table, f"outside {lo:g}–{hi:g}", col, int(bad.sum()), "set to missing", examples)
        )
    else:
        problems.add(
            col,
            f"{int(bad.sum())} rows are outside {lo:g}–{hi:g} (e.g. {examples})",
            "fix the data, or set `validation.out_of_range: set_missing` to blank them",
        )


def validate_customers(
    frame: pd.DataFrame, params: Params, path: Path | str, quality: list[QualityItem]
) -> pd.DataFrame:
    """The customer table checked and read into its types: every problem in one message, what was
    cleaned noted in ``quality`` (the frame's columns are replaced by their read values)."""
    cols = params.columns
    assert cols is not None
    problems = Problems(path)
    roles = cols.role_of()
    missing_columns(problems, list(roles), list(frame.columns), "columns")
    problems.raise_if_any()
    _scan_personal(frame, params, roles, problems)
    _check_rows_and_ids(frame, params, problems)
    _read_customer_dates(frame, params, problems)
    scales = scales_in_use(params)
    _read_numbers_and_scales(frame, params, scales, problems)
    problems.raise_if_any()
    _check_scale_points(frame, params, scales, problems, quality)
    _check_ranges_and_signs(frame, params, problems, quality)
    _apply_value_labels(frame, params, problems, quality)
    _check_status(frame, params, problems, quality)
    problems.raise_if_any()
    for col in [c for c, s in scales.items() if not s.words] + ([cols.nps] if cols.nps else []):
        frame[col] = frame[col].astype("Float64")
    for col in cols.open_text:
        frame[col] = scrub_text(frame[col])
    return frame


def _check_rows_and_ids(frame: pd.DataFrame, params: Params, problems: Problems) -> None:
    """Enough rows, and one unique id per row (ids read as text)."""
    cols = params.columns
    assert cols is not None
    if len(frame) < params.validation.min_rows:
        problems.add(
            None,
            f"only {len(frame)} rows; at least {params.validation.min_rows} needed",
            "use a larger extract or lower `validation.min_rows`",
        )
    ids = frame[cols.id]
    if ids.isna().any():
        problems.add(cols.id, f"{int(ids.isna().sum())} rows have no id", "every row needs an id")
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        problems.add(
            cols.id,
            f"{int(ids[dup].nunique())} ids appear more than once (e.g. {example_values(ids[dup])})",
            "ids must be unique: remove duplicate rows",
        )
    frame[cols.id] = id_text(ids)


def _read_customer_dates(frame: pd.DataFrame, params: Params, problems: Problems) -> None:
    """The acquisition and first-contact dates read as dates, none unreadable or in the future."""
    cols = params.columns
    assert cols is not None
    today = dt.date.today()
    for col in [c for c in (cols.acquisition.date, cols.acquisition.first_contact) if c]:
        raw = frame[col]
        said = len(problems.lines)
        parsed = _dates(raw, col, problems)
        if len(problems.lines) > said:  # dates that could be read two ways: said already
            continue
        bad = parsed.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if bad.any():
            problems.add(
                col,
                f"{int(bad.sum())} rows are not dates (e.g. {example_values(raw[bad])})",
                "write dates as YYYY-MM-DD",
            )
        future = parsed > pd.Timestamp(today) + pd.Timedelta(days=1)
        if future.any():
            problems.add(
                col,
                f"{int(future.sum())} dates are in the future (e.g. {example_values(raw[future])})",
                "fix those dates",
            )
        frame[col] = parsed.dt.normalize()


def _read_numbers_and_scales(
    frame: pd.DataFrame, params: Params, scales: dict[str, Scale], problems: Problems
) -> None:
    """Answers on a scale written in words coded as positions; weights, NPS, costs, numeric scale
    answers and columns with a range read as numbers."""
    cols = params.columns
    assert cols is not None
    numeric_roles = [
        (cols.weight, "a weight"),
        (cols.nps, "NPS"),
        (cols.acquisition.cost, "acquisition cost"),
    ]
    for col, scale in scales.items():
        if scale.words:  # a scale written in words keeps its words; arithmetic uses positions
            text = frame[col].astype("string").str.strip()
            coded = scale.canonical(frame[col])
            bad = coded.isna() & text.notna() & (text != "")
            if bad.any():
                problems.add(
                    col,
                    f"{int(bad.sum())} answers are not points of its scale "
                    f"(e.g. {example_values(frame[col][bad])}; the scale is "
                    f"{', '.join(scale.words)})",
                    "add the missing words to the scale's `points`, in order, or correct the answers",
                )
            frame[col] = coded
        else:
            numeric_roles.append((col, "an answer on a numeric scale"))
    for col, what in numeric_roles:
        if col:
            frame[col] = _numeric(frame, col, problems, what)
    for col in params.validation.ranges:
        if col not in frame.columns:
            problems.add(
                col, "has a range in `validation.ranges` but is not in the file", "fix the column name"
            )
        elif not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = _numeric(frame, col, problems, "a column with a range")


def _check_scale_points(
    frame: pd.DataFrame,
    params: Params,
    scales: dict[str, Scale],
    problems: Problems,
    quality: list[QualityItem],
) -> None:
    """Every numeric scale answer a point of its scale (or blanked, as the parameters say)."""
    for col, scale in scales.items():
        if scale.words:
            continue
        values = frame[col].astype("Float64")
        off = values.notna() & ~values.isin(scale.points)
        if not off.any():
            continue
        where = ", ".join(format_point(p) for p in scale.points)
        if params.validation.out_of_range == "set_missing":
            frame.loc[off, col] = pd.NA
            quality.append(
                QualityItem(
                    "customers",
                    f"not a point of the scale ({where})",
                    col,
                    int(off.sum()),
                    "set to missing",
                    example_values(values[off]),
                )
            )
        else:
            problems.add(
                col,
                f"{int(off.sum())} answers are not points of its scale {where} "
                f"(e.g. {example_values(values[off])})",
                "declare the item's scale under "
                "`likert` or `scales` (points, or min and max), or set "
                "`validation.out_of_range: set_missing` to blank them",
            )


def _check_ranges_and_signs(
    frame: pd.DataFrame, params: Params, problems: Problems, quality: list[QualityItem]
) -> None:
    """NPS within 0–10 and the declared ranges, weights above 0, costs not negative, multiple-response
    picks coded 0/1."""
    cols = params.columns
    assert cols is not None
    if cols.nps:
        _out_of_range(frame, cols.nps, 0, 10, params, problems, quality, "customers")
    for col, (lo, hi) in params.validation.ranges.items():
        _out_of_range(frame, col, lo, hi, params, problems, quality, "customers")
    if cols.weight:
        w = frame[cols.weight]
        bad = w.isna() | (w <= 0)
        if bad.any():
            problems.add(
                cols.weight,
                f"{int(bad.sum())} weights are missing or not above 0 (e.g. {example_values(w[bad])})",
                "every respondent needs a positive weight",
            )
    if cols.acquisition.cost:
        neg = frame[cols.acquisition.cost] < 0
        if neg.any():
            problems.add(
                cols.acquisition.cost,
                f"{int(neg.sum())} costs are negative",
                "acquisition costs are 0 or more",
            )
    for name, mr in cols.multi_response.items():
        for col in mr.columns or []:
            values = frame[col]
            ok = values.isna() | values.isin([0, 1, True, False, "0", "1"])
            if not ok.all():
                problems.add(
                    col,
                    f"{int((~ok).sum())} rows of multiple-response set '{name}' are "
                    f"not 0/1 (e.g. {example_values(values[~ok])})",
                    "code picks as 1, else 0",
                )


PERSONAL_SHARE = 0.3  # a column where this share of the values look personal is refused


NOT_SCANNED = ("id", "personal", "hidden", "open_text")  # open answers are scrubbed instead


def _scan_personal(frame: pd.DataFrame, params: Params, roles: dict[str, str], problems: Problems) -> None:
    """Personal data is found by its values, whatever role it was given: a column analysed as a
    category or number whose values are mostly e-mails, phones or names is refused."""
    for col, role in roles.items():
        if role in NOT_SCANNED or col in params.privacy.not_personal or col not in frame:
            continue
        found = personal_share(frame[col], sample=2000)
        if found and found[1] >= PERSONAL_SHARE:
            problems.add(
                col,
                f"declared {role.replace('_', ' ')}, but {100 * found[1]:.0f}% of "
                f"its values look like {found[0]}",
                "declare it under `columns.personal` so that no report shows it (or, "
                "if they are not personal, list it under `privacy.not_personal`)",
            )
    problems.raise_if_any()


_NUMERIC_DATE = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)


def _dates(raw: pd.Series, col: str, problems: Problems) -> pd.Series:
    """Dates as plain timestamps: see `_read_dates`; a time zone is dropped (the local date and
    time it names are kept), so that dates compare with each other and with today."""
    stamps = _read_dates(raw, col, problems)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_localize(None)
    if stamps.dtype == object:  # offsets that differ from row to row
        return pd.to_datetime(stamps, utc=True, errors="coerce").dt.tz_localize(None)
    return stamps


def _read_dates(raw: pd.Series, col: str, problems: Problems) -> pd.Series:
    """Dates read without guessing: ISO dates as they are; dates like 05/03/2024 only when the
    column shows which part is the day (a value above 12 on one side, never on both)."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.to_datetime(raw)
    text = raw.astype("string")
    parts = text.str.extract(_NUMERIC_DATE).astype("Float64")
    numeric = parts[0].notna()
    parsed = pd.to_datetime(text.where(~numeric), errors="coerce", format="mixed")
    # a value with both parts above 12 is no date at all: it stays missing (reported as such)
    numeric = numeric & ~((parts[0] > 12) & (parts[1] > 12)).fillna(False)
    if not numeric.any():
        return parsed
    day_first, month_first = bool((parts[0] > 12).any()), bool((parts[1] > 12).any())
    examples = example_values(raw[numeric])
    if day_first and month_first:
        problems.add(
            col,
            f"mixes day-first and month-first dates (e.g. "
            f"{example_values(raw[numeric & (parts[0] > 12)], 2)} and "
            f"{example_values(raw[numeric & (parts[1] > 12)], 2)}), so some would be read with "
            "day and month swapped",
            "write every date as YYYY-MM-DD",
        )
        return parsed
    if not (day_first or month_first):
        problems.add(
            col,
            f"{int(numeric.sum())} dates could be day-first or month-first (e.g. {examples})",
            "write dates as YYYY-MM-DD",
        )
        return parsed
    fmt_parsed = pd.to_datetime(text.where(numeric), errors="coerce", dayfirst=day_first, format="mixed")
    return parsed.where(~numeric, fmt_parsed)


def _check_status(
    frame: pd.DataFrame, params: Params, problems: Problems, quality: list[QualityItem]
) -> None:
    """Every status value the parameters give a meaning occurs in the data; say which don't."""
    spec = params.columns.status if params.columns else None
    if spec is None or not spec.mapped:
        return
    values = frame[spec.column]
    present = set(data_keys(values).dropna())
    for group in STATUS_GROUPS:
        absent = [v for v in getattr(spec, group) if not value_keys([v], spec.column, params) & present]
        if absent:
            problems.add(
                spec.column,
                f"`columns.status.{group}` lists {', '.join(map(repr, absent))}, "
                f"which the column never holds (it holds {', '.join(observed_values(values))})",
                "list values exactly as the file writes them",
            )
    groups = status_groups(values, params)
    unmapped = values.notna() & groups.isna()
    if unmapped.any():
        quality.append(
            QualityItem(
                "customers",
                "status values without a meaning",
                spec.column,
                int(unmapped.sum()),
                "shown as they are; not used as customer, churned, lapsed or prospect",
            )
        )


def _apply_value_labels(
    frame: pd.DataFrame, params: Params, problems: Problems, quality: list[QualityItem]
) -> None:
    """Coded columns shown with their labels (`labels.values`) from here on."""
    for col, labels in params.value_labels.items():
        if col not in frame.columns:
            problems.add(
                col, "has value labels (`labels.values`) but is not in the file", "fix the column name"
            )
            continue
        values = frame[col]
        keys = data_keys(values).dropna()
        unlabelled = ~keys.isin(list(labels))
        if unlabelled.any():
            quality.append(
                QualityItem(
                    "customers",
                    "codes without a value label",
                    col,
                    int(unlabelled.sum()),
                    "shown as the code",
                    example_values(values.dropna()[unlabelled]),
                )
            )
        frame[col] = apply_value_labels(values, labels)


def validate_orders(
    orders: ir.Table, params: Params, path: Path | str, engine: Engine, quality: list[QualityItem]
) -> ir.Table:
    """The orders checked and read into their types, refunds and duplicates handled as the
    parameters say and orders after ``as_of`` left out; every problem in one message."""
    cols = params.orders
    assert cols is not None
    problems = Problems(path)
    wanted = [
        c
        for c in (cols.customer_id, cols.timestamp, cols.amount, cols.order_id, cols.full_price, cols.prepaid)
        if c
    ]
    missing_columns(problems, wanted, list(orders.columns), "orders")
    problems.raise_if_any()
    chk = standard_orders(orders, cols, keep_raw=True)
    stats = _order_counts(chk, params, engine)
    _order_problems(chk, stats, params, engine, problems)
    problems.raise_if_any()
    std, refunds = _without_refunds(chk.drop("raw_ts", "raw_amount"), params, engine, quality)
    std = _without_duplicates(std, stats, refunds, params, engine, problems, quality)
    if stats["after_as_of"]:
        quality.append(
            QualityItem(
                "orders",
                f"dated after as_of {params.as_of}",
                cols.timestamp,
                int(stats["after_as_of"]),
                "left out of this period",
            )
        )
    return std.filter(std.order_ts < end_of(params.as_of))


def _order_counts(chk: ir.Table, params: Params, engine: Engine) -> pd.Series:
    """In one pass: rows, unreadable, missing and future dates, unreadable amounts, orders without
    a customer and orders after ``as_of``."""
    raw_ts, raw_amount = chk.raw_ts, chk.raw_amount
    now = end_of(dt.date.today())
    return engine.execute(
        chk.aggregate(
            rows=chk.count(),
            bad_ts=chk.count(where=chk.order_ts.isnull() & raw_ts.notnull()),
            no_ts=chk.count(where=raw_ts.isnull()),
            future=chk.count(where=chk.order_ts >= now),
            bad_amount=chk.count(where=chk.amount.isnull() & raw_amount.notnull()),
            no_customer=chk.count(where=chk.customer_id.isnull()),
            after_as_of=chk.count(where=chk.order_ts >= end_of(params.as_of)),
        )
    ).iloc[0]


def _order_problems(
    chk: ir.Table, stats: pd.Series, params: Params, engine: Engine, problems: Problems
) -> None:
    """Too few rows, dates that cannot be read or lie in the future, amounts that are not numbers,
    orders without a customer: each with examples from the file."""
    cols = params.orders
    assert cols is not None
    raw_ts, raw_amount = chk.raw_ts, chk.raw_amount
    now = end_of(dt.date.today())

    def example_values(cond: ir.BooleanValue, col: ir.Value) -> str:
        vals = engine.execute(chk.filter(cond).select(v=col.cast("string")).limit(3))["v"]
        return ", ".join(repr(v) for v in vals)

    if stats["rows"] < params.validation.min_rows:
        problems.add(
            None,
            f"only {stats['rows']} rows; at least {params.validation.min_rows} needed",
            "use a larger extract or lower `validation.min_rows`",
        )
    if stats["bad_ts"] or stats["no_ts"]:
        problems.add(
            cols.timestamp,
            f"{stats['bad_ts'] + stats['no_ts']} rows have no readable "
            f"date (e.g. {example_values(chk.order_ts.isnull(), raw_ts)})",
            "write timestamps as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
        )
    if stats["future"]:
        problems.add(
            cols.timestamp,
            f"{stats['future']} orders are dated in the future "
            f"(e.g. {example_values(chk.order_ts >= now, raw_ts)})",
            "fix those dates",
        )
    if stats["bad_amount"]:
        problems.add(
            cols.amount,
            f"{stats['bad_amount']} amounts are not numbers (e.g. "
            f"{example_values(chk.amount.isnull() & raw_amount.notnull(), raw_amount)})",
            "amounts must be numbers (currency signs and digit grouping are fine); for amounts "
            'written like 12,50 set `orders.decimal: ","`',
        )
    if stats["no_customer"]:
        problems.add(
            cols.customer_id,
            f"{stats['no_customer']} orders have no customer id",
            "every order needs its customer's id",
        )


def _without_refunds(
    std: ir.Table, params: Params, engine: Engine, quality: list[QualityItem]
) -> tuple[ir.Table, int]:
    """The orders without refunds (negative amounts) where the parameters exclude them, and how
    many were left out."""
    cols = params.orders
    assert cols is not None
    refunds = 0
    if cols.amount and cols.refunds == "exclude":
        refunds = int(engine.execute(std.count(where=std.amount < 0)))
        if refunds:
            quality.append(
                QualityItem(
                    "orders", "refunds (negative amounts)", cols.amount, refunds, "left out of every figure"
                )
            )
            std = std.filter(std.amount.isnull() | (std.amount >= 0))
    return std, refunds


def _without_duplicates(
    std: ir.Table,
    stats: pd.Series,
    refunds: int,
    params: Params,
    engine: Engine,
    problems: Problems,
    quality: list[QualityItem],
) -> ir.Table:
    """Order ids unique; exact duplicate rows dropped (or kept, as the parameters ask) and noted."""
    cols = params.orders
    assert cols is not None
    if cols.order_id:
        distinct = engine.reuse(std.distinct())  # computed once: checked here, then analysed
        dup = engine.execute(distinct.aggregate(rows=distinct.count(), ids=distinct.order_id.nunique())).iloc[
            0
        ]
        if dup["rows"] != dup["ids"]:
            clash = distinct.group_by("order_id").aggregate(k=distinct.count()).filter(lambda t: t.k > 1)
            ex = ", ".join(repr(v) for v in engine.execute(clash.limit(3))["order_id"])
            problems.add(
                cols.order_id,
                f"{int(dup['rows'] - dup['ids'])} order ids have different rows (e.g. {ex})",
                "order ids must be unique",
            )
            problems.raise_if_any()
        what, column = "exact duplicate rows", cols.order_id
    else:  # no order id: a row repeating the same customer, time and amount is a duplicate
        distinct = engine.reuse(std.distinct())
        dup = engine.execute(distinct.aggregate(rows=distinct.count())).iloc[0]
        what = "duplicate rows (same customer, time" + (" and amount)" if cols.amount else ")")
        column = cols.customer_id
    exact = int(stats["rows"] - refunds - dup["rows"])
    if exact and cols.duplicates == "drop":
        quality.append(QualityItem("orders", what, column, exact, "kept one copy of each"))
        std = distinct
    elif exact:
        quality.append(QualityItem("orders", what, column, exact, "kept, as the parameters ask"))
    return std
