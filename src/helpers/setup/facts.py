"""What a column's values say before any guess: its kind, range, distinct values, name tokens, dates
and money written as text; and a new file read as `workbook init` reads it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import WorkbookError
from helpers.core.names import name_tokens
from helpers.data.readers import WHITESPACE, column_labels, open_binary, read_frame
from helpers.params.inputs import Source
from helpers.setup.words import COUNTRY_CURRENCY, COUNTRY_WORDS


@dataclass
class Facts:
    """What a column's values look like."""

    name: str
    kind: str  # empty, bool, int, float, date, text
    rows: int
    answered: int
    distinct: int
    values: list[Any]  # distinct answered values, most common first (at most 50)
    low: float | None = None
    high: float | None = None
    date_format: str | None = None
    decimal: str | None = None  # money written as text ($1,234.50): its decimal mark
    mean_length: float = 0.0
    mean_words: float = 0.0

    @property
    def unique(self) -> bool:
        """Different on every row, with no gap."""
        return self.answered == self.rows and self.distinct == self.rows

    @property
    def constant(self) -> bool:
        """One value (or none) on every row."""
        return self.distinct <= 1

    @property
    def tokens(self) -> list[str]:
        """The name's words."""
        return name_tokens(self.name)

    def span(self) -> str:
        """The values' range as written in a comment."""
        if self.low is None or self.high is None:
            return ""
        return f"{self.low:g}–{self.high:g}"


_YYYYMMDD = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")


_DATE_TEXT = re.compile(
    r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$"
)


_CURRENCY = r"(?:[A-Z]{3}|[$€£¥₹₩]|R\$|kr|zł|CHF|Fr\.?)"


_MONEY_TEXT = re.compile(
    rf"^\s*{_CURRENCY}?\s*-?\s*{_CURRENCY}?\s*"
    rf"\d{{1,3}}(?:[.,\s ]?\d{{3}})*(?:[.,]\d{{1,2}})?\s*{_CURRENCY}?\s*$"
)


def money_text_decimal(values: pd.Series) -> str | None:
    """The decimal mark of money written as text (`$1,234.50` '.', `1.234,50 €` ','); None when
    the values are not money text (plain numbers as text are numbers, not money text)."""
    text = values.dropna().astype(str)
    if text.empty or not text.str.match(_MONEY_TEXT).all():
        return None
    if not text.str.contains(rf"{_CURRENCY}|\d[.,\s]\d{{3}}\b").any():
        return None
    comma = text.str.contains(r",\d{1,2}\s*\D*$").sum()
    point = text.str.contains(r"\.\d{1,2}\s*\D*$").sum()
    return "," if comma > point else "."


_CURRENCY_MARK = re.compile(rf"^\s*(?P<a>{_CURRENCY})\s*-?\s*\d|\d\s*(?P<b>{_CURRENCY})\s*$")


def currency_in(frames: list[pd.DataFrame], sample: int = 2000) -> tuple[str, str]:
    """The currency that money written as text carries (`£12.50`, `12,50 EUR`) and the column it
    was seen in; ("", "") when no column writes one."""
    for frame in frames:
        for column in frame.columns:
            values = frame[column]
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            text = values.dropna().astype(str).head(sample)
            if text.empty or money_text_decimal(text) is None:
                continue
            marks = text.str.extract(_CURRENCY_MARK)
            found = marks["a"].fillna(marks["b"]).dropna()
            if len(found) > len(text) / 2:
                return str(found.value_counts().index[0]), str(column)
    return "", ""


def currency_of_country(frames: list[pd.DataFrame]) -> tuple[str, str]:
    """The currency of the country most rows name (a column named like a country, one value in
    most rows), and why; ("", "") when no column says."""
    for frame in frames:
        for column in frame.columns:
            if not set(name_tokens(str(column))) & COUNTRY_WORDS:
                continue
            shares = frame[column].dropna().astype(str).str.strip().value_counts(normalize=True)
            if shares.empty or shares.iloc[0] < 0.6:
                continue
            country = str(shares.index[0])
            symbol = COUNTRY_CURRENCY.get(country.lower(), "")
            if symbol:
                return symbol, f"{shares.iloc[0]:.0%} of rows name {country} in {column}: check it"
    return "", ""


def facts_of(name: str, values: pd.Series) -> Facts:
    """The facts of one column."""
    answered = values.dropna()
    if pd.api.types.is_string_dtype(answered) or answered.dtype == object:
        answered = answered[answered.astype(str).str.strip() != ""]
    rows, n = len(values), len(answered)
    counts = answered.value_counts()
    counts = counts[counts > 0]  # a categorical column's unused categories are not values
    base = dict(name=name, rows=rows, answered=n, distinct=len(counts), values=list(counts.index[:50]))
    if n == 0:
        return Facts(kind="empty", **base)
    if pd.api.types.is_bool_dtype(answered):
        return Facts(kind="bool", **base)
    if pd.api.types.is_datetime64_any_dtype(answered):
        return Facts(kind="date", **base)
    if pd.api.types.is_numeric_dtype(answered):
        num = answered.astype(float)
        whole = bool(np.all(np.mod(num.to_numpy(), 1) == 0))
        facts = Facts(kind="int" if whole else "float", low=float(num.min()), high=float(num.max()), **base)
        if whole and num.min() >= 19000101 and num.max() <= 21001231:
            sample = counts.index[:200].astype("int64").astype(str)
            if all(_YYYYMMDD.match(s) for s in sample):
                facts.kind, facts.date_format = "date", "%Y%m%d"
        return facts
    text = answered.astype(str)
    sample = pd.Series(counts.index[:500]).astype(str)
    if (sample.str.match(_DATE_TEXT) & sample.str.contains(r"\d{4}")).mean() >= 0.95 or (
        sample.str.len().between(8, 30).all()
        and pd.to_datetime(sample, errors="coerce", format="ISO8601").notna().mean() >= 0.95
    ):
        return Facts(kind="date", **base)
    if sample.str.match(_YYYYMMDD).all() and len(sample) > 1:
        return Facts(kind="date", date_format="%Y%m%d", **base)
    decimal = money_text_decimal(sample)
    if decimal:
        return Facts(kind="float", decimal=decimal, **base)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():  # numbers stored as text
        whole = bool(np.all(np.mod(numbers.to_numpy(float), 1) == 0))
        return Facts(
            kind="int" if whole else "float", low=float(numbers.min()), high=float(numbers.max()), **base
        )
    lengths = text.str.len()
    return Facts(
        kind="text",
        mean_length=float(lengths.mean()),
        # Chinese has no spaces: about two characters a word
        mean_words=float(np.maximum(text.str.count(r"\S+"), text.str.count(r"[\u3400-\u9fff]") / 2).mean()),
        **base,
    )


@dataclass
class Input:
    """A file as read, and the `data:` entry that reads it the same way."""

    path: Path
    frame: pd.DataFrame
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # the questions' names the file gives


def looks_like_values(names: list[str]) -> bool:
    """Column names that are data: numbers or dates in the first line (a file with no header)."""

    def value_like(name: str) -> bool:
        text = str(name).strip()
        return bool(re.fullmatch(r"[-+]?\d+([.,]\d+)?", text) or _DATE_TEXT.match(text))

    return bool(names) and all(value_like(n) for n in names)


def read_input(path: Path, sheet: str | None = None) -> Input:
    """Read a data file (or a folder or glob of them) as `workbook run` will, finding the
    delimiter and header it needs."""
    source = Source(path=path, **({"sheet": sheet} if sheet else {}))
    if not source.files and not path.is_dir():
        raise WorkbookError(
            f"{path}: "
            + ("no file matches" if source.is_pattern else "file not found")
            + "; give the path of a CSV, Parquet, Excel or SPSS file, or a folder of them"
        )
    if not source.kind:
        raise WorkbookError(
            f"{path}: cannot tell the format from the name '{path.name}'; rename it to end in "
            ".csv, .txt, .parquet, .xlsx or .sav"
        )
    entry: dict[str, Any] = {"format": "parquet"} if source.kind == "parquet" and path.is_dir() else {}
    first_file = source.files[0] if source.files else path
    notes: list[str] = []
    frame = read_frame(source)
    if source.kind == "csv" and frame.shape[1] == 1:
        with _text_lines(first_file) as handle:
            first = [handle.readline() for _ in range(5)]
        if first and all(len(line.split()) >= 2 for line in first if line.strip()):
            entry["delimiter"] = WHITESPACE
            notes.append("columns are separated by runs of spaces")
            frame = read_frame(Source(path=path, delimiter=WHITESPACE))
    if source.kind == "csv" and "delimiter" not in entry and frame.shape[1] > 1:
        # written out, so that Spark (which does not sniff) reads the file the same way
        with _text_lines(first_file) as handle:
            first = handle.readline()
        counts = {d: first.count(d) for d in (";", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best] >= frame.shape[1] - 1 and counts[best] > first.count(","):
            entry["delimiter"] = best
    if source.kind == "csv" and looks_like_values([str(c) for c in frame.columns]):
        entry["header"] = False
        names = [f"column_{i + 1}" for i in range(frame.shape[1])]
        entry["names"] = names
        notes.append("the first line holds data, not column names")
        frame = read_frame(Source(path=path, **entry))
    if sheet:
        entry["sheet"] = sheet
    return Input(path=path, frame=frame, entry=entry, notes=notes, labels=column_labels(source))


def _text_lines(path: Path) -> Any:
    """A file opened as UTF-8 text for a look at its first lines (gzip or not)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace")


def as_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    """A column of dates as timestamps (missing where unreadable)."""
    if fmt:
        return pd.to_datetime(
            values.astype("Int64").astype(str) if pd.api.types.is_numeric_dtype(values) else values,
            format=fmt,
            errors="coerce",
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values)
    return pd.to_datetime(values.astype(str), errors="coerce", format="mixed")


_DMY = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}:\d{2})(:\d{2})?)?\s*$")


def numeric_date_format(values: pd.Series) -> tuple[str | None, str]:
    """The strptime format of dates written 05/03/2024 (day or month first, told by a part above
    12), and why; None with the reason when the column does not say which comes first."""
    parts = values.dropna().astype(str).str.extract(_DMY)
    if parts[0].isna().any() or parts.empty:
        return None, ""
    first, second = parts[0].astype(int), parts[2].astype(int)
    sep = parts[1].iloc[0]
    time = (" %H:%M" + (":%S" if parts[5].notna().any() else "")) if parts[4].notna().any() else ""
    if (first > 12).any() and not (second > 12).any():
        return f"%d{sep}%m{sep}%Y{time}", "day first (a day above 12 comes first)"
    if (second > 12).any() and not (first > 12).any():
        return f"%m{sep}%d{sep}%Y{time}", "month first (a day above 12 comes second)"
    return None, "dates such as 05/03/2024 that could be day-first or month-first"
