"""Privacy rules: personal columns never pass the loader; figures of few people are hidden everywhere."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

SMALL_GROUPS = "Other (small groups)"  # where groups of fewer people than the minimum are folded

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w(+])[+(]?\d[\d\s().-]{6,}\d(?!\w)")
# a Chinese mobile number, also right after a Chinese word (手机13812345678: no space between)
_CN_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_CARD = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")  # a Chinese resident identity card
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def scrub_text(text: pd.Series) -> pd.Series:
    """Replace e-mail addresses, phone numbers and web addresses in free text."""
    out = text.astype("string")
    # the full patterns only on answers that could hold a match (an @, a web address, 7+
    # digits); a cheap vectorised test first keeps this fast on a million answers
    maybe = (
        (
            out.str.contains("@", regex=False)
            | out.str.contains(r"(?i)https?://|www\.")
            | out.str.count(r"\d").ge(7)
        )
        .fillna(False)
        .to_numpy(bool)
    )
    if not maybe.any():
        return out
    part = out[maybe]
    part = part.str.replace(_EMAIL, "[email]", regex=True)
    part = part.str.replace(_URL, "[link]", regex=True)
    part = part.str.replace(_ID_CARD, "[id]", regex=True)
    part = part.str.replace(_CN_MOBILE, "[phone]", regex=True)
    out[maybe] = part.str.replace(_PHONE, "[phone]", regex=True)
    return out


# the pages need no script at all: none runs, whatever text the data holds (images are inline)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'


def small_groups(values: pd.Series, min_cell: int) -> list:
    """The values (groups) that fewer than ``min_cell`` people hold."""
    counts = values.value_counts()
    return list(counts.index[counts < min_cell])


def fold_small(values: pd.Series, min_cell: int) -> pd.Series:
    """The one small-group rule: values held by fewer than ``min_cell`` people become one
    "Other (small groups)" value, so that no group of a few people is shown on its own (the
    group as a whole is then hidden like any figure when it is still too small)."""
    small = small_groups(values, min_cell)
    if not small:
        return values
    return values.astype("string").where(~values.isin(small), SMALL_GROUPS)


def marker(min_cell: int) -> str:
    """The mark shown in place of a hidden figure: "<10" where the minimum is 10 people."""
    return f"<{min_cell}"


_MARKER = re.compile(r"^<\d+$")


def too_few(
    counts: pd.DataFrame | pd.Series | np.ndarray,
    min_cell: int,
    base: pd.DataFrame | pd.Series | np.ndarray | None = None,
    keep_zero: bool = False,
) -> pd.DataFrame | pd.Series | np.ndarray:
    """The one small-number rule: where a figure rests on fewer than ``min_cell`` people, its own
    count (``counts``; a count of no one stays with ``keep_zero``) or the people its share is of
    (``base``, where the figure exists) below the minimum."""
    small = pd.notna(counts) & (counts < min_cell)
    if keep_zero:
        small = small & (counts != 0)
    if base is not None:
        small = small | (pd.notna(counts) & pd.notna(base) & (base < min_cell))
    return small


def suppress_small(
    table: pd.DataFrame,
    counts: pd.DataFrame,
    min_cell: int,
    keep_zero: bool = False,
    base: pd.DataFrame | pd.Series | None = None,
    blank: bool = False,
) -> pd.DataFrame:
    """Hide every cell of ``table`` that rests on fewer than ``min_cell`` people (:func:`too_few`
    of its count in ``counts``, or of ``base``, the people its share is of: a frame, or a series
    per row): the marker, or NaN with ``blank`` (a gap in a chart)."""
    counts = counts.reindex(index=table.index, columns=table.columns)
    if isinstance(base, pd.Series):
        base = pd.DataFrame({c: base.reindex(table.index) for c in table.columns}, index=table.index)
    elif base is not None:
        base = base.reindex(index=table.index, columns=table.columns)
    small = too_few(counts, min_cell, base, keep_zero)
    if blank:
        return table.mask(small.to_numpy())
    out = table.astype(object).copy()
    out[small.to_numpy()] = marker(min_cell)
    return out


def suppress_rows(
    table: pd.DataFrame, count_col: str, min_cell: int, keep: list[str] | None = None
) -> pd.DataFrame:
    """Blank every value in the rows whose ``count_col`` is below ``min_cell`` (except ``keep``)."""
    small = np.asarray(too_few(pd.to_numeric(table[count_col], errors="coerce").fillna(0), min_cell))
    if not small.any():
        return table
    out = table.astype(object).copy()
    cols = [c for c in out.columns if c not in (keep or [])]
    out.loc[small, cols] = marker(min_cell)
    return out


def is_suppressed(value: object) -> bool:
    """Whether a cell was hidden by a privacy rule."""
    return isinstance(value, str) and bool(_MARKER.match(value))


# what personal data looks like in a value (not in a column's name: names lie)
PERSONAL_PATTERNS = {
    "e-mail addresses": re.compile(r"^\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*$"),
    # a Chinese mobile number, or a number with separators that is not a date (2025-03-09,
    # 05/03/2024) and not a plain number (12345.67)
    "phone numbers": re.compile(
        r"^\s*(?:1[3-9]\d{9}|(?=(?:\D*\d){9})(?!\d+\s*-\s*\d+\s*$)"
        r"(?!\d{4}-\d{1,2}-\d{1,2}\b)"
        r"(?!\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*$)(?!-?\d+(?:\.\d+)?\s*$)"
        r"[+(]?\d[\d\s().-]{6,}\d)\s*$"
    ),
    # Anna Smith, Anna de Vries' parts, Smith, Anna; 张伟 (matched on title-cased values too, so
    # that ANNA SMITH and anna smith count)
    "person names": re.compile(
        r"^\s*(?:[A-ZÀ-Þ][a-zß-ÿ'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-ZÀ-Þ][a-zß-ÿ'’-]+){1,2}"
        r"|[A-ZÀ-Þ][a-zß-ÿ'’-]+,\s*[A-ZÀ-Þ][a-zß-ÿ'’-]+"
        r"|[\u4e00-\u9fff]{2,4})\s*$"
    ),
}


def personal_share(values: pd.Series, sample: int = 2000) -> tuple[str, float] | None:
    """The kind of personal data most common among a text column's values, and its share of
    the distinct answered values; None when the column is not text. Names count only in a
    column of many distinct values (a category such as "New York" repeats, a name does not)."""
    text = values.dropna()
    if text.empty:
        return None
    if pd.api.types.is_integer_dtype(text):  # phone numbers read as numbers: Chinese mobiles
        digits = pd.Series(text.unique()[:sample]).astype(str)
        share = float(digits.str.fullmatch(r"1[3-9]\d{9}").mean())
        return ("phone numbers", share) if share else None
    if not (pd.api.types.is_string_dtype(text) or text.dtype == object):
        return None
    text = text.astype(str)
    distinct = pd.Series(text.unique())
    if len(distinct) > sample:
        distinct = distinct.sample(sample, random_state=0)
    best = None
    for kind, pattern in PERSONAL_PATTERNS.items():
        if kind == "person names" and text.nunique() < 0.5 * len(text):
            continue
        matched = distinct.str.match(pattern)
        if kind == "person names":
            matched |= distinct.str.title().str.match(pattern)
        share = float(matched.mean())
        if best is None or share > best[1]:
            best = (kind, share)
    return best


PSEUDONYM_LENGTH = 20  # hex digits kept of the keyed hash: 80 bits, no collision in practice


def pseudonym_key(path: Path) -> str:
    """The secret key of the pseudonyms, read from its file, or made (256 random bits, readable
    by its owner only) on first use: the same key gives the same pseudonyms every quarter."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def pseudonym_text(value: str, key: str) -> str:
    """A value's pseudonym: SHA-256 of the key and SHA-256 of the key and the value (trimmed, lower
    case), as the engine computes it (`helpers.data.engine.pseudonym`)."""
    inner = hashlib.sha256((key + value.strip().lower()).encode()).hexdigest()
    return hashlib.sha256((key + inner).encode()).hexdigest()[:PSEUDONYM_LENGTH]


def pseudonyms(values: pd.Series, key: str) -> pd.Series:
    """Every value of an id column replaced by its pseudonym (missing stays missing)."""
    text = values.astype("string")
    codes, distinct = pd.factorize(text, use_na_sentinel=True)
    mapped = np.array([pseudonym_text(str(v), key) for v in distinct], dtype=object)
    out = pd.Series(
        mapped[np.where(codes >= 0, codes, 0)] if len(mapped) else None, index=values.index, dtype="string"
    )
    out[codes < 0] = pd.NA
    return out
