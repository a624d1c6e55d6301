"""Loading and validating input data: one reader for every format, checks before any analysis.

Personal-data columns (and any column the parameter file does not declare) are dropped here,
so nothing downstream can show them.
"""

from __future__ import annotations

import datetime as dt
import difflib
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

from helpers.params.inputs import STATUS_GROUPS
from helpers.params.config import Params
from helpers.params.loading import params_as_dict
from helpers.data.engine import Engine, customer_summary, end_of, standard_orders
from helpers.core.errors import DataError
from helpers.data.events import EventLog, activity_stream, field_names, ordered, read_events, summary
from helpers.data.fields import (
    _ZERO_FOR_NON_BUYERS,
    DERIVED_FIELDS,
    available_columns,
    check_references,
    check_values,
    nps_group,
)
from helpers.core.privacy import personal_share, scrub_text
from helpers.data.readers import id_text, read_frame
from helpers.params.schema import (
    apply_value_labels,
    data_keys,
    format_point,
    observed_values,
    scales_in_use,
    status_groups,
    value_keys,
)

NO_PROFILE = (
    "Not available for this run: it has orders but no customer file, and this part "
    "needs customer fields (acquisition channel, promotion, survey answers)."
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
            self._behaviour = without_money(
                self.engine.execute(customer_summary(self.orders, self.params.as_of)), self.params
            )
        return self._behaviour.copy()

    def quality_table(self) -> pd.DataFrame:
        """The data-quality findings as a table."""
        cols = ["table", "check", "column", "rows", "action", "examples"]
        return pd.DataFrame([vars(q) for q in self.quality], columns=cols)


MONEY_FIELDS = ("spend", "spend_12m", "avg_order_value", "first_order_amount", "basket_growth")


def without_money(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Orders without amounts have no money figures: they are missing, never 0."""
    if params.orders is not None and not params.orders.amount:
        frame = frame.assign(**{c: np.nan for c in MONEY_FIELDS if c in frame})
    return frame


def _examples(values: pd.Series, k: int = 3) -> str:
    """A few distinct offending values, as the user wrote them."""
    out = []
    for v in pd.unique(values.dropna())[:k]:
        v = v.item() if hasattr(v, "item") else v
        out.append(str(int(v)) if isinstance(v, float) and v.is_integer() else repr(v))
    return ", ".join(out)


class _Problems:
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


def _missing_columns(problems: _Problems, wanted: list[str], present: list[str], key: str) -> None:
    for col in wanted:
        if col not in present:
            hint = difflib.get_close_matches(col, present, n=1)
            fix = (
                f"did you mean '{hint[0]}'? fix `{key}` in the parameter file"
                if hint
                else f"the file has: {', '.join(present[:12])}{' …' if len(present) > 12 else ''}"
            )
            problems.add(col, "declared in the parameters but not in the file", fix)


def _numeric(frame: pd.DataFrame, col: str, problems: _Problems, what: str) -> pd.Series:
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        problems.add(
            col,
            f"{int(bad.sum())} rows are not numbers (e.g. {_examples(raw[bad])})",
            f"{what} must be numeric; fix those rows",
        )
    return values


def _out_of_range(
    frame: pd.DataFrame,
    col: str,
    lo: float,
    hi: float,
    params: Params,
    problems: _Problems,
    quality: list[QualityItem],
    table: str,
) -> None:
    values = frame[col]
    bad = values.notna() & ((values < lo) | (values > hi))
    if not bad.any():
        return
    examples = _examples(values[bad])
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


def _validate_customers(
    frame: pd.DataFrame, params: Params, path: Path | str, quality: list[QualityItem]
) -> pd.DataFrame:
    cols = params.columns
    assert cols is not None
    problems = _Problems(path)
    roles = cols.role_of()
    _missing_columns(problems, list(roles), list(frame.columns), "columns")
    problems.raise_if_any()
    _scan_personal(frame, params, roles, problems)
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
            f"{int(ids[dup].nunique())} ids appear more than once (e.g. {_examples(ids[dup])})",
            "ids must be unique: remove duplicate rows",
        )
    frame[cols.id] = id_text(ids)
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
                f"{int(bad.sum())} rows are not dates (e.g. {_examples(raw[bad])})",
                "write dates as YYYY-MM-DD",
            )
        future = parsed > pd.Timestamp(today) + pd.Timedelta(days=1)
        if future.any():
            problems.add(
                col,
                f"{int(future.sum())} dates are in the future (e.g. {_examples(raw[future])})",
                "fix those dates",
            )
        frame[col] = parsed.dt.normalize()
    numeric_roles = [
        (cols.weight, "a weight"),
        (cols.nps, "NPS"),
        (cols.acquisition.cost, "acquisition cost"),
    ]
    scales = scales_in_use(params)
    for col, scale in scales.items():
        if scale.words:  # a scale written in words keeps its words; arithmetic uses positions
            text = frame[col].astype("string").str.strip()
            coded = scale.canonical(frame[col])
            bad = coded.isna() & text.notna() & (text != "")
            if bad.any():
                problems.add(
                    col,
                    f"{int(bad.sum())} answers are not points of its scale "
                    f"(e.g. {_examples(frame[col][bad])}; the scale is "
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
    problems.raise_if_any()
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
                    _examples(values[off]),
                )
            )
        else:
            problems.add(
                col,
                f"{int(off.sum())} answers are not points of its scale {where} "
                f"(e.g. {_examples(values[off])})",
                "declare the item's scale under "
                "`likert` or `scales` (points, or min and max), or set "
                "`validation.out_of_range: set_missing` to blank them",
            )
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
                f"{int(bad.sum())} weights are missing or not above 0 (e.g. {_examples(w[bad])})",
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
                    f"not 0/1 (e.g. {_examples(values[~ok])})",
                    "code picks as 1, else 0",
                )
    _apply_value_labels(frame, params, problems, quality)
    _check_status(frame, params, problems, quality)
    problems.raise_if_any()
    for col in [c for c, s in scales.items() if not s.words] + ([cols.nps] if cols.nps else []):
        frame[col] = frame[col].astype("Float64")
    for col in cols.open_text:
        frame[col] = scrub_text(frame[col])
    return frame


PERSONAL_SHARE = 0.3  # a column where this share of the values look personal is refused
NOT_SCANNED = ("id", "personal", "hidden", "open_text")  # open answers are scrubbed instead


def _scan_personal(frame: pd.DataFrame, params: Params, roles: dict[str, str], problems: _Problems) -> None:
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


def _dates(raw: pd.Series, col: str, problems: _Problems) -> pd.Series:
    """Dates as plain timestamps: see `_read_dates`; a time zone is dropped (the local date and
    time it names are kept), so that dates compare with each other and with today."""
    stamps = _read_dates(raw, col, problems)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_localize(None)
    if stamps.dtype == object:  # offsets that differ from row to row
        return pd.to_datetime(stamps, utc=True, errors="coerce").dt.tz_localize(None)
    return stamps


def _read_dates(raw: pd.Series, col: str, problems: _Problems) -> pd.Series:
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
    examples = _examples(raw[numeric])
    if day_first and month_first:
        problems.add(
            col,
            f"mixes day-first and month-first dates (e.g. "
            f"{_examples(raw[numeric & (parts[0] > 12)], 2)} and "
            f"{_examples(raw[numeric & (parts[1] > 12)], 2)}), so some would be read with "
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
    frame: pd.DataFrame, params: Params, problems: _Problems, quality: list[QualityItem]
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
    frame: pd.DataFrame, params: Params, problems: _Problems, quality: list[QualityItem]
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
                    _examples(values.dropna()[unlabelled]),
                )
            )
        frame[col] = apply_value_labels(values, labels)


def _validate_orders(
    orders: ir.Table, params: Params, path: Path | str, engine: Engine, quality: list[QualityItem]
) -> ir.Table:
    cols = params.orders
    assert cols is not None
    problems = _Problems(path)
    wanted = [
        c
        for c in (cols.customer_id, cols.timestamp, cols.amount, cols.order_id, cols.full_price, cols.prepaid)
        if c
    ]
    _missing_columns(problems, wanted, list(orders.columns), "orders")
    problems.raise_if_any()
    chk = standard_orders(orders, cols, keep_raw=True)
    raw_ts, raw_amount = chk.raw_ts, chk.raw_amount
    now = end_of(dt.date.today())
    stats = engine.execute(
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
    std = chk.drop("raw_ts", "raw_amount")

    def examples(cond: ir.BooleanValue, col: ir.Value) -> str:
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
            f"date (e.g. {examples(chk.order_ts.isnull(), raw_ts)})",
            "write timestamps as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
        )
    if stats["future"]:
        problems.add(
            cols.timestamp,
            f"{stats['future']} orders are dated in the future "
            f"(e.g. {examples(chk.order_ts >= now, raw_ts)})",
            "fix those dates",
        )
    if stats["bad_amount"]:
        problems.add(
            cols.amount,
            f"{stats['bad_amount']} amounts are not numbers (e.g. "
            f"{examples(chk.amount.isnull() & raw_amount.notnull(), raw_amount)})",
            "amounts must be numbers (currency signs and digit grouping are fine); for amounts "
            'written like 12,50 set `orders.decimal: ","`',
        )
    if stats["no_customer"]:
        problems.add(
            cols.customer_id,
            f"{stats['no_customer']} orders have no customer id",
            "every order needs its customer's id",
        )
    problems.raise_if_any()
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


CHECKED_ENV = "WORKBOOK_CHECKED_DATA"


def fingerprint(params: Params) -> str:
    """What the checked data depends on: the parameters and each input's size and time."""

    parts: list[Any] = [params_as_dict(params)]
    for src in params.data.named().values():
        if not src.remote:
            st = Path(src.path).stat()
            parts.append([str(src.path), st.st_size, st.st_mtime_ns])
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
    orders = None
    if params.data.orders is not None:
        orders = (
            engine.con.read_parquet(str(Path(folder) / "orders.parquet"))
            if meta["orders_saved"]
            else _load_orders(params, engine, [])
        )
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
    )


def _load_orders(params: Params, engine: Engine, quality: list[QualityItem]) -> ir.Table:
    """The orders file, read by the engine, checked and typed."""
    src, cols = params.data.orders, params.orders
    assert src is not None and cols is not None
    # with a date format given, the dates are read as text and parsed with it (never sniffed)
    text = {cols.customer_id: "VARCHAR"} | ({cols.timestamp: "VARCHAR"} if cols.timestamp_format else {})
    raw = engine.read(src, types=text)
    try:
        return _validate_orders(raw, params, src.path, engine, quality)
    except duckdb.ConversionException as exc:  # the sniffer's guess of a type broke further down
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "convert" in line.lower()), first[0] if first else "")
        raise DataError(
            f"{src.path}: cannot read a column the way its first rows suggested ({detail.strip()}); "
            'if it holds dates such as 14/04/2024, add `orders.timestamp_format: "%d/%m/%Y"` '
            "(or the format they are written in)"
        ) from None


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
    if params.data.units is not None and params.columns is not None:
        src = params.data.units
        frame = (
            engine.execute(engine.read(src))
            if src.remote  # a Parquet file only Spark reaches
            else read_frame(src, as_text=[params.columns.id])
        )
        roles = params.columns.role_of()
        customers = _validate_customers(frame, params, src.path, quality)
        dropped = [c for c in customers.columns if roles.get(c) in (None, "personal", "hidden")]
        undeclared = [c for c in dropped if c not in roles]
        if undeclared:
            shown = ", ".join(undeclared[:8]) + (
                f" and {len(undeclared) - 8} more" if len(undeclared) > 8 else ""
            )
            quality.append(
                QualityItem(
                    "customers",
                    "columns without a role",
                    shown,
                    len(customers),
                    "left out (declare a role to use them)",
                )
            )
        _scrub_names(customers, params)
        customers = customers.drop(columns=dropped).reset_index(drop=True)
        if params.data.contacts is not None:
            contacts = _load_contacts(params, customers, quality)
            customers = customers.join(contact_rollup(contacts, params), on=params.columns.id)
            customers["contacts"] = customers["contacts"].fillna(0).astype("int64")
    orders = _load_orders(params, engine, quality) if params.data.orders is not None else None
    if customers is not None and orders is not None:
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
    return Dataset(params, customers, orders, engine, quality, dropped, events=events, contacts=contacts)


CONTACT_FIELDS = {
    "contacts": "people in the account (from the contacts file)",
    "buyer_role": "the role of the account's most senior contact",
    "top_seniority": "the seniority of the account's most senior contact",
}


def _load_contacts(params: Params, accounts: pd.DataFrame, quality: list[QualityItem]) -> pd.DataFrame:
    """The contacts file, checked: columns present, ids linking to accounts, personal data
    dropped. Returns contact_id, customer_id (the account) and role/seniority when given."""
    src, cols = params.data.contacts, params.contacts
    assert src is not None and cols is not None and params.columns is not None
    frame = read_frame(src, as_text=[cols.id, cols.account])
    problems = _Problems(src.path)
    wanted = {"id": cols.id, "account": cols.account, "role": cols.role, "seniority": cols.seniority}
    _missing_columns(
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
            f"appear more than once (e.g. {_examples(out.loc[twice, 'contact_id'])}); ids must be "
            "unique: remove the duplicate rows, or fix `contacts.id`"
        )
    known = set(accounts[params.columns.id].astype(str))
    linked = out["customer_id"].isin(known)
    if len(out) and linked.sum() < len(out) / 2:
        raise DataError(
            f"{src.path}: column '{cols.account}': only {int(linked.sum()):,} of {len(out):,} contacts "
            f"name an account in {params.data.units.name} (contacts have "
            f"{_examples(out.loc[~linked, 'customer_id'])}; accounts have "
            f"{_examples(accounts[params.columns.id])}); write the ids the same way in both "
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
    for col in DERIVED_FIELDS:
        if col not in joined.columns:
            continue
        values = joined[col].to_numpy(dtype=float)
        if col in _ZERO_FOR_NON_BUYERS and not (
            col in MONEY_FIELDS and not (data.params.orders and data.params.orders.amount)
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


def multi_response(customers: pd.DataFrame, params: Params, name: str) -> pd.DataFrame:
    """A multiple-response set as one boolean column per answer (missing where not answered)."""
    assert params.columns is not None
    mr = params.columns.multi_response[name]
    if mr.column:
        text = customers[mr.column].astype("string")
        # a million answers hold only a few hundred distinct pick lists: split those, then
        # spread them to every row by their codes
        codes, distinct = pd.factorize(text, use_na_sentinel=True)
        sep = re.escape(mr.separator)
        tidy = (
            pd.Series(distinct, dtype="string")
            .str.strip()
            .str.replace(rf"\s*{sep}\s*", mr.separator, regex=True)
        )
        dummies = tidy.str.get_dummies(sep=mr.separator)
        table = dummies.to_numpy(bool)
        rows = table[np.where(codes >= 0, codes, 0)] if len(table) else np.zeros((len(codes), 0))
        picks = pd.DataFrame(rows, index=customers.index, columns=dummies.columns).astype("boolean")
        picks[codes < 0] = pd.NA
        return picks
    frame = customers[mr.columns or []].apply(pd.to_numeric, errors="coerce")
    answered = frame.notna().any(axis=1)
    out = frame.fillna(0).astype(bool).astype("boolean")
    out[~answered.to_numpy()] = pd.NA
    return out


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
