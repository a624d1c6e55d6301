"""The role and value model: what each column is, how its values read, what they mean.

One place that every layer above the parameters reads: readable names of columns and of coded
values, the answer scale of each attitude item (its points, labels, boxes and the words for its
ends), and which status values mean customer, churned, lapsed or prospect. Nothing here knows the
demo: no column name, status word or scale length is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.config import STATUS_GROUPS, Likert, Params, value_key

NO_VALUE = "(not known)"

# readable names of the fields the workbook derives for every customer (see `helpers.fields`)
FIELD_LABELS = {
    "orders": "Orders",
    "spend": "Total spend",
    "orders_12m": "Orders in the last 12 months",
    "spend_12m": "Spend in the last 12 months",
    "avg_order_value": "Average order value",
    "days_since_last": "Days since the last order",
    "tenure_days": "Days since the first order",
    "first_order_amount": "First order amount",
    "first_order_full_price": "First order at full price",
    "first_order_prepaid": "First order prepaid",
    "basket_growth": "Later orders against the first (×)",
    "days_to_convert": "Days from first contact to first order",
    "nps_group": "NPS group",
    # from the contacts file (accounts)
    "contacts": "Contacts in the account",
    "buyer_role": "Role of the most senior contact",
    "top_seniority": "Seniority of the most senior contact",
    # from a usage log
    "active_days": "Days active",
    "days_since_active": "Days since last active",
    "trial": "Started a trial",
    "converted": "Trial converted to paid",
    "start_date": "Start date",
}
EVENT_FIELD = re.compile(r"^(count|days_to)_(.+)$")
FLAG_FIELDS = ("first_order_full_price", "first_order_prepaid")  # 1 or 0: read as yes or no


def label_of(column: str, params: Params) -> str:
    """A readable name for a column or a multiple-response set."""
    if column in params.labels:
        return params.labels[column]
    if params.columns and column in params.columns.multi_response:
        mr = params.columns.multi_response[column]
        return mr.label or column.replace("_", " ").capitalize()
    if params.columns and column == params.columns.nps:
        return "NPS (likelihood to recommend, 0–10)"
    if column == "buyer_role" and params.contacts is not None and not params.contacts.seniority_order:
        return "Most common contact role"  # without a seniority order no one is "most senior"
    if column in FIELD_LABELS:
        return FIELD_LABELS[column]
    if params.events is not None and (m := EVENT_FIELD.match(column)):  # per event type
        what = label_of(m.group(2), params)
        return f"{what} (times)" if m.group(1) == "count" else f"Days to the first “{what.lower()}”"
    return column.replace("_", " ").capitalize()


def format_point(value: float) -> str:
    """A scale point as written: 3, -1, 2.5."""
    return f"{value:g}"


@dataclass(frozen=True)
class Scale:
    """An attitude item's answer scale, as the data holds it after loading (numbers)."""

    points: tuple[float, ...]
    labels: tuple[str, ...]
    top: tuple[float, ...]
    bottom: tuple[float, ...]
    low: str
    high: str
    words: tuple[str, ...] = ()  # the file's words for each point, for scales written in words

    @classmethod
    def from_spec(cls, spec: Likert) -> Scale:
        """The scale a `likert`/`scales` entry describes."""
        raw = spec.points if spec.points is not None else list(range(spec.min, spec.max + 1))
        words: tuple[str, ...] = ()
        if any(isinstance(p, str) for p in raw):
            words = tuple(str(p) for p in raw)
            points = tuple(float(i) for i in range(1, len(raw) + 1))
        else:
            points = tuple(float(p) for p in raw)
        given = {value_key(k): v for k, v in spec.labels.items()}
        labels = tuple(
            given.get(value_key(r), given.get(format_point(p), _word(r)))
            for r, p in zip(raw, points, strict=True)
        )
        top_n, bottom_n = spec.box_sizes(len(points))
        return cls(points, labels, points[-top_n:], points[:bottom_n], spec.low, spec.high, words)

    @property
    def size(self) -> int:
        """Number of points."""
        return len(self.points)

    def label(self, value: float) -> str:
        """The label of one point."""
        return self.labels[self.points.index(float(value))]

    def numbers(self, values: pd.Series) -> pd.Series:
        """The answers as numbers: the points themselves, or for a scale written in words each
        word's position 1…k (the data keeps its words; only the arithmetic uses numbers)."""
        if self.words:
            lookup = {w.strip().lower(): p for w, p in zip(self.words, self.points, strict=True)}
            text = values.astype("string").str.strip().str.lower()
            return text.map(lookup).astype(float)
        return pd.to_numeric(values, errors="coerce").astype(float)

    def positions(self, values: pd.Series) -> np.ndarray:
        """Each answer's position on the scale, 0 (lowest) … size-1; NaN where missing."""
        codes, uniques = pd.factorize(self.numbers(values))  # missing: code -1
        lookup = {p: i for i, p in enumerate(self.points)}
        positions = np.array([lookup.get(v, np.nan) for v in uniques] + [np.nan], dtype=float)
        return positions[codes]  # one lookup per distinct answer, not per person

    def in_top(self, values: pd.Series) -> pd.Series:
        """1 for a top-box answer, 0 for any other answer, missing where not answered."""
        x = self.numbers(values)
        return x.isin(self.top).astype(float).where(x.notna())

    def in_bottom(self, values: pd.Series) -> pd.Series:
        """1 for a bottom-box answer, 0 for any other answer, missing where not answered."""
        x = self.numbers(values)
        return x.isin(self.bottom).astype(float).where(x.notna())

    def canonical(self, values: pd.Series) -> pd.Series:
        """Answers of a scale in words written as the scale writes them (case and spaces
        evened out); anything else missing."""
        lookup = {w.strip().lower(): w for w in self.words}
        return values.astype("string").str.strip().str.lower().map(lookup).astype("string")

    def box_text(self, top: bool = True) -> str:
        """Which points a box holds, e.g. 'top box: 4–5' or 'bottom box: Low'."""
        pts = self.top if top else self.bottom
        names = [self.label(p) if self.words else format_point(p) for p in pts]
        span = names[0] if len(names) == 1 else f"{names[0]}–{names[-1]}"
        return f"{'top' if top else 'bottom'} box: {span}"

    def agree_phrase(self, statement: str) -> str:
        """How a top-box answer reads in a sentence, in the scale's own words."""
        if self.high.lower() == "agree":
            return f"agree that “{statement}”"
        return f"rate “{statement}” at the {self.high} end ({self.box_text()})"

    def disagree_phrase(self, statement: str) -> str:
        """How a bottom-box answer reads in a sentence."""
        if self.low.lower() == "disagree":
            return f"disagree that “{statement}”"
        return f"rate “{statement}” at the {self.low} end ({self.box_text(top=False)})"


def _word(raw: object) -> str:
    text = str(raw)
    return text.replace("_", " ") if isinstance(raw, str) else format_point(float(raw))  # type: ignore[arg-type]


def scale_of(column: str, params: Params) -> Scale:
    """The answer scale of an attitude item (its named scale, else `likert`)."""
    for spec in params.scales.values():
        if column in spec.items:
            return Scale.from_spec(spec)
    return Scale.from_spec(params.likert)


def scales_in_use(params: Params) -> dict[str, Scale]:
    """Every attitude item's scale."""
    items = params.columns.psychographic if params.columns else []
    return {item: scale_of(item, params) for item in items}


# --- status -------------------------------------------------------------------------------------


def status_column(params: Params) -> str | None:
    """The status column's name, if the file has one."""
    return params.columns.status.column if params.columns and params.columns.status else None


def value_keys(values: list, column: str, params: Params) -> set[str]:
    """How values named in the parameters match the loaded data: as written, and, for a column
    with value labels, the label of a code (so `female: [2]` matches the label "Female")."""
    labels = params.value_labels.get(column, {})
    keys = {value_key(v) for v in values}
    return keys | {value_key(labels[k]) for k in keys if k in labels}


def data_keys(values: pd.Series) -> pd.Series:
    """The data's values as matching keys (see `value_key`)."""
    return values.map(lambda v: value_key(v.item() if hasattr(v, "item") else v) if pd.notna(v) else None)


def status_groups(values: pd.Series, params: Params) -> pd.Series:
    """Each row's status meaning (customer, churned, lapsed, prospect); missing where unmapped."""
    spec = params.columns.status if params.columns else None
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    if spec is None:
        return out
    keys = data_keys(values)
    for group in STATUS_GROUPS:
        wanted = value_keys(getattr(spec, group), spec.column, params)
        out[keys.isin(wanted).to_numpy(bool)] = group
    return out


def still_customer(values: pd.Series, params: Params) -> pd.Series:
    """1 where the status means still a customer (customer or lapsed), 0 where churned or a
    prospect, missing where the status has no meaning."""
    group = status_groups(values, params)
    return group.isin(["customer", "lapsed"]).astype(float).where(group.notna())


def has_churn(params: Params) -> bool:
    """Whether the parameters say which status values mean churned (and which still active)."""
    spec = params.columns.status if params.columns else None
    return bool(spec and spec.churned and (spec.customer or spec.lapsed))


# --- coded values ---------------------------------------------------------------------------------


def apply_value_labels(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Codes replaced by their labels (codes without a label kept as written)."""

    def one(v: object) -> object:
        if pd.isna(v):
            return pd.NA
        key = value_key(v.item() if hasattr(v, "item") else v)
        return labels.get(key, key)

    return values.map(one).astype("string")


def display_value(value: object) -> str:
    """A category value as a reader sees it: booleans as yes/no, whole floats without '.0'."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def display_values(values: pd.Series) -> pd.Series:
    """:func:`display_value` over a column (each distinct value once), missing kept missing."""
    lookup = {v: display_value(v) for v in values.dropna().unique()}
    return values.map(lookup).astype("string")


def observed_values(values: pd.Series, limit: int = 12) -> list[str]:
    """The distinct values a column takes, most common first, as a user would write them."""
    return [display_value(v) for v in values.dropna().value_counts().index[:limit]]
