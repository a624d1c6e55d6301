"""The data checked before any notebook starts: every problem of a file collected into one message
that names the file, the column, the problem and the fix; personal data found and refused; dates,
scales, value labels and statuses read as the parameters declare them.

Each check reads the frame and returns its `Findings` (problems, what was cleaned, the columns as
read); none changes the frame it is given. `validate_customers` applies them in order to a copy.
The orders' checks are in `helpers.data.order_checks`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core.errors import DataError
from helpers.core.privacy import personal_share, pseudonym_key, pseudonyms, scrub_text
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
    counted: str = ""  # what each of `rows` is when the check names it ("order lines"); not in the table


def example_values(values: pd.Series, k: int = 3) -> str:
    """A few distinct offending values, as the user wrote them."""
    out = []
    for v in pd.unique(values.dropna())[:k]:
        v = v.item() if hasattr(v, "item") else v
        out.append(str(int(v)) if isinstance(v, float) and v.is_integer() else repr(v))
    return ", ".join(out)


def problem_line(column: str | None, problem: str, fix: str) -> str:
    """One line of the error message: the column, the problem and how to fix it."""
    where = f"column '{column}': " if column else ""
    return f"{where}{problem}; {fix}"


@dataclass
class Findings:
    """What one check found: problems the user must fix, what was cleaned (for the data-quality
    table), and the columns as read (replacing the file's)."""

    problems: list[str] = field(default_factory=list)
    quality: list[QualityItem] = field(default_factory=list)
    columns: dict[str, pd.Series] = field(default_factory=dict)

    def add(self, column: str | None, problem: str, fix: str) -> None:
        self.problems.append(problem_line(column, problem, fix))

    def current(self, frame: pd.DataFrame, column: str) -> pd.Series:
        """A column as this check has read it so far (else as the frame holds it)."""
        return self.columns[column] if column in self.columns else frame[column]


class Problems:
    """Collects every problem in a file so the user sees them all in one message."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, column: str | None, problem: str, fix: str) -> None:
        self.lines.append(problem_line(column, problem, fix))

    def take(self, found: Findings, quality: list[QualityItem] | None = None) -> None:
        """A check's problems added to these (and what it cleaned to ``quality``)."""
        self.lines += found.problems
        if quality is not None:
            quality += found.quality

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


def _applied(
    frame: pd.DataFrame, found: Findings, problems: Problems, quality: list[QualityItem]
) -> pd.DataFrame:
    """A check's findings taken: its problems and cleaning noted, its columns in a new frame."""
    problems.take(found, quality)
    if not found.columns:
        return frame
    out = frame.copy(deep=False)
    for col, values in found.columns.items():
        out[col] = values
    return out


def _numeric(raw: pd.Series, col: str, found: Findings, what: str) -> pd.Series:
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        found.add(
            col,
            f"{int(bad.sum())} rows are not numbers (e.g. {example_values(raw[bad])})",
            f"{what} must be numeric; fix those rows",
        )
    return values


def _out_of_range(values: pd.Series, col: str, lo: float, hi: float, params: Params, found: Findings) -> None:
    """Values outside lo–hi blanked (noted) or refused, as `validation.out_of_range` says."""
    bad = values.notna() & ((values < lo) | (values > hi))
    if not bad.any():
        return
    examples = example_values(values[bad])
    if params.validation.out_of_range == "set_missing":
        cleaned = values.copy()
        cleaned.loc[bad] = pd.NA
        found.columns[col] = cleaned
        found.quality.append(
            QualityItem(
                "customers", f"outside {lo:g}–{hi:g}", col, int(bad.sum()), "set to missing", examples
            )
        )
    else:
        found.add(
            col,
            f"{int(bad.sum())} rows are outside {lo:g}–{hi:g} (e.g. {examples})",
            "fix the data, or set `validation.out_of_range: set_missing` to blank them",
        )


def validate_customers(
    frame: pd.DataFrame, params: Params, path: Path | str, quality: list[QualityItem]
) -> pd.DataFrame:
    """The customer table checked and read into its types (a new frame; the one given is left as
    it is): every problem in one message, what was cleaned noted in ``quality``."""
    cols = params.columns
    assert cols is not None
    problems = Problems(path)
    roles = cols.role_of()
    missing_columns(problems, list(roles), list(frame.columns), "columns")
    problems.raise_if_any()
    problems.take(_scan_personal(frame, params, roles))
    problems.raise_if_any()
    frame = _applied(frame, _check_rows_and_ids(frame, params), problems, quality)
    frame = _applied(frame, _read_customer_dates(frame, params), problems, quality)
    scales = scales_in_use(params)
    frame = _applied(frame, _read_numbers_and_scales(frame, params, scales), problems, quality)
    problems.raise_if_any()
    frame = _applied(frame, _check_scale_points(frame, params, scales), problems, quality)
    frame = _applied(frame, _check_ranges_and_signs(frame, params), problems, quality)
    frame = _applied(frame, _apply_value_labels(frame, params), problems, quality)
    frame = _applied(frame, _check_status(frame, params), problems, quality)
    problems.raise_if_any()
    return _applied(frame, _final_types(frame, params, scales), problems, quality)


def _final_types(frame: pd.DataFrame, params: Params, scales: dict[str, Scale]) -> Findings:
    """Numeric scale answers and NPS as nullable floats; open answers scrubbed of contact details."""
    cols = params.columns
    assert cols is not None
    found = Findings()
    for col in [c for c, s in scales.items() if not s.words] + ([cols.nps] if cols.nps else []):
        found.columns[col] = frame[col].astype("Float64")
    for col in cols.open_text:
        found.columns[col] = scrub_text(frame[col])
    return found


def _check_rows_and_ids(frame: pd.DataFrame, params: Params) -> Findings:
    """Enough rows, and one unique id per row (ids read as text)."""
    cols = params.columns
    assert cols is not None
    found = Findings()
    if len(frame) < params.validation.min_rows and not params.customers_from_orders:  # orders: checked there
        found.add(
            None,
            f"only {len(frame)} rows; at least {params.validation.min_rows} needed",
            "use a larger extract or lower `validation.min_rows`",
        )
    ids = frame[cols.id]
    if ids.isna().any():
        found.add(cols.id, f"{int(ids.isna().sum())} rows have no id", "every row needs an id")
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        found.add(
            cols.id,
            f"{int(ids[dup].nunique())} ids appear more than once (e.g. {example_values(ids[dup])})",
            "ids must be unique: remove duplicate rows",
        )
    # customers built from the orders carry the orders' ids, pseudonymised there already
    key = None if params.customers_from_orders else key_for(params, cols.id)
    if key is None:
        found.problems += personal_ids(ids, cols.id).problems
    found.columns[cols.id] = id_text(ids) if key is None else pseudonyms(id_text(ids), key)
    return found


def _read_customer_dates(frame: pd.DataFrame, params: Params) -> Findings:
    """The acquisition and first-contact dates read as dates, none unreadable or in the future."""
    cols = params.columns
    assert cols is not None
    found = Findings()
    today = dt.date.today()
    for col in [c for c in (cols.acquisition.date, cols.acquisition.first_contact) if c]:
        raw = frame[col]
        said = len(found.problems)
        parsed = _dates(raw, col, found)
        if len(found.problems) > said:  # dates that could be read two ways: said already
            continue
        bad = parsed.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if bad.any():
            found.add(
                col,
                f"{int(bad.sum())} rows are not dates (e.g. {example_values(raw[bad])})",
                "write dates as YYYY-MM-DD",
            )
        future = parsed > pd.Timestamp(today) + pd.Timedelta(days=1)
        if future.any():
            found.add(
                col,
                f"{int(future.sum())} dates are in the future (e.g. {example_values(raw[future])})",
                "fix those dates",
            )
        found.columns[col] = parsed.dt.normalize()
    return found


def _read_numbers_and_scales(frame: pd.DataFrame, params: Params, scales: dict[str, Scale]) -> Findings:
    """Answers on a scale written in words coded as positions; weights, NPS, costs, numeric scale
    answers and columns with a range read as numbers."""
    cols = params.columns
    assert cols is not None
    found = Findings()
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
                found.add(
                    col,
                    f"{int(bad.sum())} answers are not points of its scale "
                    f"(e.g. {example_values(frame[col][bad])}; the scale is "
                    f"{', '.join(scale.words)})",
                    "add the missing words to the scale's `points`, in order, or correct the answers",
                )
            found.columns[col] = coded
        else:
            numeric_roles.append((col, "an answer on a numeric scale"))
    for col, what in numeric_roles:
        if col:
            found.columns[col] = _numeric(found.current(frame, col), col, found, what)
    for col in params.validation.ranges:
        if col not in frame.columns:
            found.add(col, "has a range in `validation.ranges` but is not in the file", "fix the column name")
        elif not pd.api.types.is_numeric_dtype(found.current(frame, col)):
            found.columns[col] = _numeric(found.current(frame, col), col, found, "a column with a range")
    return found


def _check_scale_points(frame: pd.DataFrame, params: Params, scales: dict[str, Scale]) -> Findings:
    """Every numeric scale answer a point of its scale (or blanked, as the parameters say)."""
    found = Findings()
    for col, scale in scales.items():
        if scale.words:
            continue
        values = frame[col].astype("Float64")
        off = values.notna() & ~values.isin(scale.points)
        if not off.any():
            continue
        where = ", ".join(format_point(p) for p in scale.points)
        if params.validation.out_of_range == "set_missing":
            cleaned = frame[col].copy()
            cleaned.loc[off] = pd.NA
            found.columns[col] = cleaned
            found.quality.append(
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
            found.add(
                col,
                f"{int(off.sum())} answers are not points of its scale {where} "
                f"(e.g. {example_values(values[off])})",
                "declare the item's scale under "
                "`likert` or `scales` (points, or min and max), or set "
                "`validation.out_of_range: set_missing` to blank them",
            )
    return found


def _check_ranges_and_signs(frame: pd.DataFrame, params: Params) -> Findings:
    """NPS within 0–10 and the declared ranges, weights above 0, costs not negative, multiple-response
    picks coded 0/1."""
    cols = params.columns
    assert cols is not None
    found = Findings()
    if cols.nps:
        _out_of_range(found.current(frame, cols.nps), cols.nps, 0, 10, params, found)
    for col, (lo, hi) in params.validation.ranges.items():
        _out_of_range(found.current(frame, col), col, lo, hi, params, found)
    if cols.weight:
        w = found.current(frame, cols.weight)
        bad = w.isna() | (w <= 0)
        if bad.any():
            found.add(
                cols.weight,
                f"{int(bad.sum())} weights are missing or not above 0 (e.g. {example_values(w[bad])})",
                "every respondent needs a positive weight",
            )
    if cols.acquisition.cost:
        neg = found.current(frame, cols.acquisition.cost) < 0
        if neg.any():
            found.add(
                cols.acquisition.cost,
                f"{int(neg.sum())} costs are negative",
                "acquisition costs are 0 or more",
            )
    for name, mr in cols.multi_response.items():
        for col in mr.columns or []:
            values = frame[col]
            ok = values.isna() | values.isin([0, 1, True, False, "0", "1"])
            if not ok.all():
                found.add(
                    col,
                    f"{int((~ok).sum())} rows of multiple-response set '{name}' are "
                    f"not 0/1 (e.g. {example_values(values[~ok])})",
                    "code picks as 1, else 0",
                )
    return found


PERSONAL_SHARE = 0.3  # a column where this share of the values look personal is refused


NOT_SCANNED = ("id", "personal", "hidden", "open_text")  # open answers are scrubbed instead


def key_for(params: Params, column: str) -> str | None:
    """The pseudonym key when an id column is to be pseudonymised (`privacy.pseudonymise`)."""
    return pseudonym_key(params.privacy.key_file) if column in params.privacy.pseudonymise else None


def personal_ids(ids: pd.Series, column: str) -> Findings:
    """An id column whose values are personal data (e-mail addresses, phone numbers) and that is
    not pseudonymised is refused: the ids reach saved tables and the private files."""
    found = Findings()
    share = personal_share(ids.dropna().astype(str).drop_duplicates(), sample=2000)
    if share and share[1] >= PERSONAL_SHARE and share[0] != "person names":
        found.add(
            column,
            f"the ids are personal data: {100 * share[1]:.0f}% of them look like {share[0]}",
            f"add it to `privacy.pseudonymise: [{column}]`: each id is then replaced at load by "
            "a keyed pseudonym (the same every quarter) and the value itself is dropped",
        )
    return found


def _scan_personal(frame: pd.DataFrame, params: Params, roles: dict[str, str]) -> Findings:
    """Personal data is found by its values, whatever role it was given: a column analysed as a
    category or number whose values are mostly e-mails, phones or names is refused."""
    found = Findings()
    for col, role in roles.items():
        if role in NOT_SCANNED or col in params.privacy.not_personal or col not in frame:
            continue
        share = personal_share(frame[col], sample=2000)
        if share and share[1] >= PERSONAL_SHARE:
            found.add(
                col,
                f"declared {role.replace('_', ' ')}, but {100 * share[1]:.0f}% of "
                f"its values look like {share[0]}",
                "declare it under `columns.personal` so that no report shows it (or, "
                "if they are not personal, list it under `privacy.not_personal`)",
            )
    return found


_NUMERIC_DATE = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)


def _dates(raw: pd.Series, col: str, found: Findings) -> pd.Series:
    """Dates as plain timestamps: see `_read_dates`; a time zone is dropped (the local date and
    time it names are kept), so that dates compare with each other and with today."""
    stamps = _read_dates(raw, col, found)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_localize(None)
    if stamps.dtype == object:  # offsets that differ from row to row
        return pd.to_datetime(stamps, utc=True, errors="coerce").dt.tz_localize(None)
    return stamps


def _read_dates(raw: pd.Series, col: str, found: Findings) -> pd.Series:
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
        found.add(
            col,
            f"mixes day-first and month-first dates (e.g. "
            f"{example_values(raw[numeric & (parts[0] > 12)], 2)} and "
            f"{example_values(raw[numeric & (parts[1] > 12)], 2)}), so some would be read with "
            "day and month swapped",
            "write every date as YYYY-MM-DD",
        )
        return parsed
    if not (day_first or month_first):
        found.add(
            col,
            f"{int(numeric.sum())} dates could be day-first or month-first (e.g. {examples})",
            "write dates as YYYY-MM-DD",
        )
        return parsed
    fmt_parsed = pd.to_datetime(text.where(numeric), errors="coerce", dayfirst=day_first, format="mixed")
    return parsed.where(~numeric, fmt_parsed)


def _check_status(frame: pd.DataFrame, params: Params) -> Findings:
    """Every status value the parameters give a meaning occurs in the data; say which don't."""
    found = Findings()
    spec = params.columns.status if params.columns else None
    if spec is None or not spec.mapped:
        return found
    values = frame[spec.column]
    present = set(data_keys(values).dropna())
    for group in STATUS_GROUPS:
        absent = [v for v in getattr(spec, group) if not value_keys([v], spec.column, params) & present]
        if absent:
            found.add(
                spec.column,
                f"`columns.status.{group}` lists {', '.join(map(repr, absent))}, "
                f"which the column never holds (it holds {', '.join(observed_values(values))})",
                "list values exactly as the file writes them",
            )
    groups = status_groups(values, params)
    unmapped = values.notna() & groups.isna()
    if unmapped.any():
        found.quality.append(
            QualityItem(
                "customers",
                "status values without a meaning",
                spec.column,
                int(unmapped.sum()),
                "shown as they are; not used as customer, churned, lapsed or prospect",
            )
        )
    return found


def _apply_value_labels(frame: pd.DataFrame, params: Params) -> Findings:
    """Coded columns shown with their labels (`labels.values`) from here on."""
    found = Findings()
    for col, labels in params.value_labels.items():
        if col not in frame.columns:
            found.add(col, "has value labels (`labels.values`) but is not in the file", "fix the column name")
            continue
        values = frame[col]
        keys = data_keys(values).dropna()
        unlabelled = ~keys.isin(list(labels))
        if unlabelled.any():
            found.quality.append(
                QualityItem(
                    "customers",
                    "codes without a value label",
                    col,
                    int(unlabelled.sum()),
                    "shown as the code",
                    example_values(values.dropna()[unlabelled]),
                )
            )
        found.columns[col] = apply_value_labels(values, labels)
    return found
