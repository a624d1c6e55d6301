"""Tables and pages as a notebook saves them: CSV files safe to open in a spreadsheet (no cell runs as a
formula, numbers to ten significant digits) and finished HTML pages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import formats


def save_table(table: pd.DataFrame | None, name: str, tables_dir: str | Path | None) -> Path | None:
    """Save an aggregate table as CSV for the published report (no-op outside a batch run)."""
    if not tables_dir or table is None:
        return None
    folder = Path(tables_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.csv"
    # 10 significant digits: the same inputs give the same bytes (parallel sums differ in the
    # last bits); text that a spreadsheet would run as a formula is neutralised (OWASP)
    # a named index is a key column (k, segment, threshold), even when it counts 1, 2, 3 …
    keyed = (
        table.index.name is not None or any(table.index.names) or not isinstance(table.index, pd.RangeIndex)
    )
    safe_table(formats.for_csv(table)).to_csv(path, index=keyed, float_format=_ten_digits)
    return path


def _ten_digits(value: float) -> str:
    """A float to 10 significant digits, written out in full (no 1.2e+10 for large money); a
    tiny one (a p-value of 1e-115) in scientific notation, not with a hundred zeros."""
    if value != 0 and abs(value) < 1e-6:
        return np.format_float_scientific(value, precision=3, unique=False, trim="-")
    return np.format_float_positional(value, precision=10, unique=False, fractional=False, trim="-")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe (numbers,
    including negative ones, stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and label neutralised for spreadsheets."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            # a number among hidden-cell markers is written as in a numeric column (10 digits)
            out[col] = out[col].map(
                lambda v: _ten_digits(v) if isinstance(v, float) and v == v else neutralise(v)
            )
    out.columns = out.columns.map(lambda c: neutralise(c) if isinstance(c, str) else c)
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(neutralise(v) for v in t) for t in out.index], names=out.index.names
        )
    else:
        out.index = out.index.map(neutralise)
    return out


def save_page(page: str, name: str, report_dir: str | Path | None) -> Path | None:
    """Publish an extra page (e.g. personas.html) beside the reports (no-op outside a batch)."""
    if not report_dir:
        return None
    path = Path(report_dir) / name
    path.write_text(page, encoding="utf-8")
    return path
