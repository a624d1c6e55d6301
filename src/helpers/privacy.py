"""Privacy rules: personal columns never pass the loader; small cells are hidden in exported tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

SUPPRESSED = "<n"  # marker shown in place of a hidden cell

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w(+])[+(]?\d[\d\s().-]{6,}\d(?!\w)")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def scrub_text(text: pd.Series) -> pd.Series:
    """Replace e-mail addresses, phone numbers and web addresses in free text."""
    out = text.astype("string")
    # the full patterns only on answers that could hold a match (an @, a web address, 7+
    # digits); a cheap vectorised test first keeps this fast on a million answers
    maybe = (out.str.contains("@", regex=False) | out.str.contains(r"(?i)https?://|www\.")
             | out.str.count(r"\d").ge(7)).fillna(False).to_numpy(bool)
    if not maybe.any():
        return out
    part = out[maybe]
    part = part.str.replace(_EMAIL, "[email]", regex=True)
    part = part.str.replace(_URL, "[link]", regex=True)
    out[maybe] = part.str.replace(_PHONE, "[phone]", regex=True)
    return out


def suppress_small(table: pd.DataFrame, counts: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Blank every cell of ``table`` whose respondent count in ``counts`` is below ``min_cell``."""
    counts = counts.reindex(index=table.index, columns=table.columns)
    small = counts.notna() & (counts < min_cell)
    out = table.astype(object).copy()
    out[small.to_numpy()] = SUPPRESSED
    return out


def suppress_rows(table: pd.DataFrame, count_col: str, min_cell: int,
                  keep: list[str] | None = None) -> pd.DataFrame:
    """Blank every value in the rows whose ``count_col`` is below ``min_cell`` (except ``keep``)."""
    small = table[count_col].fillna(0).to_numpy() < min_cell
    if not small.any():
        return table
    out = table.astype(object).copy()
    cols = [c for c in out.columns if c not in (keep or [])]
    out.loc[small, cols] = SUPPRESSED
    return out


def is_suppressed(value: object) -> bool:
    """Whether a cell was hidden by a privacy rule."""
    return isinstance(value, str) and value == SUPPRESSED


def small_share(counts: pd.Series | np.ndarray, min_cell: int) -> float:
    """Share of cells hidden by the rule, for a footnote."""
    arr = np.asarray(counts, dtype=float)
    return float((arr < min_cell).mean()) if arr.size else 0.0
