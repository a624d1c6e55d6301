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

from helpers.core.names import name_tokens
from helpers.params.config import Params
from helpers.params.inputs import STATUS_GROUPS, value_key
from helpers.params.settings import Likert, Population

NO_VALUE = "(not known)"

# readable names of the fields the workbook derives for every customer (see `helpers.data.fields`)
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


def counted_event(column: str, params: Params) -> str | None:
    """The event type a per-event count field counts, in its readable name ("Invited colleague"
    for count_invited_colleague); None for any other column, or one the parameters name."""
    if column in params.labels or column in FIELD_LABELS or params.events is None:
        return None
    m = EVENT_FIELD.match(column)
    return label_of(m.group(2), params) if m and m.group(1) == "count" else None


def format_point(value: float) -> str:
    """A scale point as written: 3, -1, 2.5."""
    return f"{value:g}"


AGREE = re.compile(r"(?<![^\W\d_])agree|同意", re.IGNORECASE)  # agree, Strongly agree; not disagree
DISAGREE = re.compile(r"disagree|不同意", re.IGNORECASE)
LETTERS = re.compile(r"[^\W\d_]")


def agrees(label: str) -> bool:
    """Whether an answer label is an agree word (Agree, Strongly agree, 同意), not a disagree one."""
    return bool(AGREE.search(label)) and not DISAGREE.search(label)


def disagrees(label: str) -> bool:
    """Whether an answer label is a disagree word (Disagree, Strongly disagree, 不同意)."""
    return bool(DISAGREE.search(label))


def has_words(label: str, point: float) -> bool:
    """Whether a point's label says something in words, not just its number ("9" does not)."""
    return label.strip() != format_point(point) and bool(LETTERS.search(label))


def _end_word(label: str, point: float, fallback: str) -> str:
    """The words of an end label for sentences: "10 (positive)" -> positive, "Too little" -> too little."""
    if not has_words(label, point):
        return fallback
    text = re.sub(r"^\s*-?\d+(\.\d+)?\s*", "", label).strip(" ()=:-–")
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def quoted_or(words: list[str]) -> str:
    """Answer words as a sentence lists them: “Agree” or “Strongly agree”."""
    quoted = [f"“{w}”" for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


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
    agreement: bool = False  # the top box's labels are agree words: sentences may say "agree"

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
        top, bottom = points[-top_n:], points[:bottom_n]
        by_point = dict(zip(points, labels, strict=True))
        worded = any(has_words(by_point[p], p) for p in top)
        agreement = (
            all(agrees(by_point[p]) for p in top)
            if worded
            else (spec.high or "").strip().lower() == "agree"  # said so, with no labels to contradict it
        )
        low = spec.low or ("disagree" if agreement else _end_word(labels[0], points[0], "low"))
        high = spec.high or ("agree" if agreement else _end_word(labels[-1], points[-1], "high"))
        return cls(points, labels, top, bottom, low, high, words, agreement)

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

    def box_words(self, top: bool = True) -> list[str] | None:
        """The answer words of a box (["Too little"]); None when a point of it has no words (9)."""
        pts = self.top if top else self.bottom
        labels = [self.label(p) for p in pts]
        if all(has_words(lab, p) for lab, p in zip(labels, pts, strict=True)):
            return labels
        return None

    def range_text(self) -> str:
        """The scale's span as written: 0–10, or Low … Very high."""
        if self.words:
            return f"{self.labels[0]} … {self.labels[-1]}"
        return f"{format_point(self.points[0])}–{format_point(self.points[-1])}"

    def box_phrase(self, statement: str | None = None, top: bool = True) -> str:
        """How a box's answer reads after "77% …": "agree (that “S”)" only on an agreement
        scale, else the answer words ("say “Too little” (to “S”)") or, for points without
        words, the numbers ("rate it 9–10 on a 0–10 scale"); never a direction the labels do
        not state."""
        pts = self.top if top else self.bottom
        labels = [self.label(p) for p in pts]
        verb = None
        unworded = not any(has_words(lab, p) for lab, p in zip(labels, pts, strict=True))
        if self.agreement and (unworded or all(agrees(lab) for lab in labels) if top else False):
            verb = "agree"
        elif self.agreement and not top and (unworded or all(disagrees(lab) for lab in labels)):
            verb = "disagree"
        if verb:
            return f"{verb} that “{statement}”" if statement else verb
        words = self.box_words(top)
        if words:
            said = f"say {quoted_or(words)}"
            return f"{said} to “{statement}”" if statement else said
        names = [format_point(p) for p in pts]
        span = names[0] if len(names) == 1 else f"{names[0]}–{names[-1]}"
        what = f"“{statement}”" if statement else "it"
        return f"rate {what} {span} on a {self.range_text()} scale"

    def agree_phrase(self, statement: str | None = None) -> str:
        """How a top-box answer reads in a sentence, in the scale's own words (see `box_phrase`)."""
        return self.box_phrase(statement, top=True)

    def disagree_phrase(self, statement: str | None = None) -> str:
        """How a bottom-box answer reads in a sentence, in the scale's own words."""
        return self.box_phrase(statement, top=False)


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


# names such as these hold numbers that mean themselves (counts, levels, years), not codes
NOT_CODE_WORDS = {
    "age", "count", "number", "num", "n", "times", "years", "year", "months", "days", "qty",
    "quantity", "total", "calls", "visits", "orders", "minutes", "messages", "length", "size",
    "tenure", "yrs", "level", "decile", "quintile", "score", "grade", "zip", "postcode", "code",
    "rank", "floor", "hours", "children", "kids", "members", "people", "cars", "rooms",
}  # fmt: skip
CODE_WORDS = {"band", "group", "bracket", "class", "type", "category", "segment", "cluster"}
CATEGORY_ROLES = ("demographic", "geographic", "behavioural", "firmographic", "status")


def is_code(column: str, value: object, params: Params) -> bool:
    """Whether a value is a numeric code of a category (2 in a `race` column), which a reader
    cannot read without its label; counts, levels and numbers shown as numbers are not codes."""
    raw = value.item() if hasattr(value, "item") else value
    if isinstance(raw, bool) or column in params.numeric or column in FIELD_LABELS:
        return False
    if isinstance(raw, str):
        if not re.fullmatch(r"-?\d+", raw.strip()):
            return False
    elif isinstance(raw, int | float):
        if not float(raw).is_integer():
            return False
    else:
        return False
    if column in params.value_labels:
        return True  # a code the labels forgot
    roles = params.columns.role_of() if params.columns else {}
    if roles.get(column) not in CATEGORY_ROLES and not roles.get(column, "").startswith("acquisition_"):
        return False
    tokens = name_tokens(column) + name_tokens(params.labels.get(column, ""))
    if any(t.rstrip("s") in CODE_WORDS for t in tokens):
        return True  # an age band, an income group: codes, whatever they count
    if roles.get(column) == "behavioural":
        return False  # what people do is counted (referrals made: 3), not coded
    return not any(t in NOT_CODE_WORDS or t.rstrip("s") in NOT_CODE_WORDS for t in tokens)


def value_words(column: str, value: object, params: Params) -> str:
    """A value of a column as a sentence or a table label shows it: its value label, yes/no for
    booleans and flags, "code 2" for a code without a label (never a bare code as a word),
    whole numbers plain."""
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):  # type: ignore[arg-type]
        return NO_VALUE
    raw = value.item() if hasattr(value, "item") else value
    key = value_key(raw)
    labels = params.value_labels.get(column, {})
    if column in FLAG_FIELDS and key in ("0", "1"):
        return "yes" if key == "1" else "no"
    if key in labels:
        return labels[key]
    if is_code(column, raw, params):
        return f"code {display_value(int(float(raw)))}"  # type: ignore[arg-type]
    return display_value(raw)


def unlabelled_codes(frame: pd.DataFrame, params: Params) -> dict[str, list[str]]:
    """Category columns that hold numeric codes without value labels, each with its codes in
    order (shown as "code 2" in every report until `labels.values.<column>` says what they mean)."""
    if params.columns is None:
        return {}
    out: dict[str, list[str]] = {}
    for column, role in params.columns.role_of().items():
        if role not in CATEGORY_ROLES or column not in frame or column in params.value_labels:
            continue
        values = frame[column].dropna()
        if values.empty or not pd.api.types.is_numeric_dtype(values) or values.nunique() > 12:
            continue  # more than 12 values: shown as a number, where "code" would not be said
        distinct = sorted(values.unique())
        if all(is_code(column, v, params) for v in distinct):
            out[column] = [display_value(v) for v in distinct]
    return out


def label_warnings(frame: pd.DataFrame | None, params: Params) -> list[str]:
    """What `workbook check` warns about the words of the reports: coded columns without value
    labels, each with the column, an example and the fix."""
    if frame is None:
        return []
    out = []
    for column, codes in unlabelled_codes(frame, params).items():
        shown = ", ".join(codes[:6]) + (" …" if len(codes) > 6 else "")
        example = "{" + ", ".join(f"{c}: …" for c in codes[:3]) + (", …}" if len(codes) > 3 else "}")
        out.append(
            f"{column}: {len(codes)} numeric codes ({shown}) without value labels; the reports "
            f"show them as “code {codes[-1]}”. Say what each code means under `labels.values.{column}`, "
            f"e.g. {column}: {example}"
        )
    return out


# --- who the people are ---------------------------------------------------------------------------

BUSINESS_POPULATIONS = ("customers", "accounts", "clients", "buyers", "users", "subscribers")


def is_survey(params: Params) -> bool:
    """Whether the run is a survey: answers to attitude questions (or a survey weight), with no
    orders, no usage log and no status that says who left or stayed."""
    cols = params.columns
    if cols is None or params.data.orders is not None or params.data.events is not None:
        return False
    if cols.status is not None and cols.status.mapped:
        return False
    return bool(cols.psychographic or cols.weight)


def population(params: Params) -> Population:
    """What the people of this run are called (plural, singular): `population` in the parameter
    file, else accounts (`unit: account`), respondents (a survey) or customers."""
    if params.population is not None:
        return params.population
    if params.unit == "account":
        return Population(plural="accounts", singular="account")
    if is_survey(params):
        return Population(plural="respondents", singular="respondent")
    return Population(plural="customers", singular="customer")


def is_business(params: Params) -> bool:
    """Whether the people are a business's customers or accounts (so that leads, loyalty and
    acquisition are the right words)."""
    return population(params).plural.lower() in BUSINESS_POPULATIONS


def newcomers(params: Params) -> str:
    """What the people a typing tool assigns are called: new leads (customers, accounts), else
    new respondents, new employees …"""
    return "new leads" if is_business(params) else f"new {population(params).plural}"
