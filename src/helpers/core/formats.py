"""How every number reads in a report: shares as %, money with the run's currency, counts as whole
numbers, p-values as "< 0.001", yes/no in words. One place, so that every table says it alike."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

_CURRENCY = {"code": ""}  # this run's currency (plan.use sets it from the parameter file)

# words that make a column (or a figure) an amount of money; a ratio of two amounts is not one
MONEY_WORDS = re.compile(
    r"\b(CAC|CLV|spend|spent|revenue|value|cost|amount|price|margin|sales)\b", re.IGNORECASE
)
NOT_MONEY = re.compile(r"/|\bper unit\b|\bratio\b|%|\bindex\b|\bshare\b|\bp\b", re.IGNORECASE)
SHARE_COLUMN = re.compile(r"(^|\s)%(\s|$)")  # "share %", "active % in the last period"
P_VALUE = re.compile(r"^(p|p-value|p value|p \(.*\)|.* p)$", re.IGNORECASE)


def use_currency(code: str) -> None:
    """Set the currency that money is shown in for this run ("" shows plain numbers)."""
    _CURRENCY["code"] = code or ""


def currency() -> str:
    """This run's currency ("" when the parameter file names none)."""
    return _CURRENCY["code"]


def is_money(name: object) -> bool:
    """Whether a column or figure name says it holds money (value, spend, CAC …)."""
    text = str(name)
    return bool(MONEY_WORDS.search(text)) and not NOT_MONEY.search(text)


def is_share(name: object) -> bool:
    """Whether a column holds percentages (its name has a % word)."""
    return bool(SHARE_COLUMN.search(str(name)))


def is_p_value(name: object) -> bool:
    """Whether a column holds p-values."""
    return bool(P_VALUE.match(str(name).strip()))


def money(value: float, decimals: int | None = None) -> str:
    """An amount with this run's currency: £1,234 (whole units from 100 up, else two decimals)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    places = decimals if decimals is not None else (0 if abs(value) >= 100 else 2)
    text, code = number(value, places), currency()
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    if not code:
        return sign + text
    return f"{sign}{code}{text}" if len(code) == 1 else f"{sign}{text} {code}"


def p_value(value: float) -> str:
    """A p-value as readers expect it: "< 0.001", else three decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def number(value: float, decimals: int = 1) -> str:
    """A number with thousands separators, never "-0.0"."""
    text = f"{value:,.{decimals}f}"
    return text.lstrip("-") if float(text.replace(",", "")) == 0 else text


def yes_no(value: object) -> object:
    """True/False in words (yes/no); anything else as it is."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return value


def for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """A table as an exported CSV holds it: shares and money to two decimals, other numbers to
    four (p-values keep their precision), yes/no in words."""
    out = table.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.map(yes_no)
        elif values.dtype == object and values.map(lambda v: isinstance(v, bool | np.bool_)).any():
            out[col] = values.map(yes_no)
        elif not is_p_value(col):
            places = 2 if is_share(col) or is_money(col) else 4
            if pd.api.types.is_float_dtype(values):
                out[col] = values.round(places)
            elif values.dtype == object:
                out[col] = values.map(lambda v, n=places: round(v, n) if isinstance(v, float) else v)
    return out
