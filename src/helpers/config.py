"""Parameter files: load one YAML file per run and validate it before anything runs."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from helpers.errors import ConfigError
from helpers.expressions import FilterSyntaxError, parse_filter

DIMENSIONS = ("demographic", "geographic", "psychographic", "behavioural", "firmographic")
UNITS = ("customer", "account")
FORMATS = ("csv", "parquet", "excel", "spss")


# names a period may not take: the index and the failed-runs folder of the reports root, and
# device names Windows reserves (reports are often copied to a shared drive)
RESERVED_NAMES = {
    "index",
    "failed",
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _path_or_url(value: Any) -> Any:
    """Keep a URL (s3a://, hdfs://, abfss://, file://) as written; anything else is a local path."""
    if isinstance(value, str) and URL.match(value):
        return value
    return Path(value) if isinstance(value, str) else value


class Source(_Strict):
    """One input file (or folder of Parquet files); relative paths start at the parameter file's
    folder. A URL such as `s3a://bucket/orders/` is read by Spark (`engine: spark`)."""

    path: Annotated[Path | str, BeforeValidator(_path_or_url)]
    format: Literal["csv", "parquet", "excel", "spss"] | None = None
    encoding: str | None = None
    delimiter: str | None = Field(None, description="a character, or `whitespace`")
    header: bool = True
    names: list[str] | None = Field(None, description="column names for a file without a header")
    sheet: str | int | None = None

    @property
    def kind(self) -> str:
        """The file format, given or inferred from the file suffix."""
        if self.format:
            return self.format
        if not self.remote and self.path.is_dir():
            return "parquet"  # a folder of Parquet files (as Spark and most lakes write them)
        suffix = Path(str(self.path).rstrip("/")).suffix.lower()
        return {
            ".csv": "csv",
            ".txt": "csv",
            ".tsv": "csv",
            ".parquet": "parquet",
            ".pq": "parquet",
            ".xlsx": "excel",
            ".xls": "excel",
            ".sav": "spss",
            ".zsav": "spss",
        }.get(suffix, "")

    @property
    def remote(self) -> bool:
        """Whether the path is a URL that only Spark reads (not a local file)."""
        return isinstance(self.path, str)

    @property
    def name(self) -> str:
        """The file or folder name, for messages."""
        return str(self.path).rstrip("/").rsplit("/", 1)[-1]


class DataSources(_Strict):
    customers: Source | None = Field(None, description="one row per person (survey answers, CRM fields)")
    accounts: Source | None = Field(None, description="with `unit: account`: one row per company")
    contacts: Source | None = Field(None, description="the people inside the accounts (`contacts:`)")
    events: Source | None = Field(None, description="a usage log: who, when, what (`events:`)")
    orders: Source | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSources:
        if self.customers is None and self.accounts is None and self.orders is None:
            raise ValueError("name at least one input: `customers`, `accounts` or `orders`")
        if self.customers is not None and self.accounts is not None:
            raise ValueError(
                "give `accounts` (companies) or `customers` (people), not both; the people "
                "inside accounts go under `data.contacts`"
            )
        return self

    @property
    def units(self) -> Source | None:
        """The file with one row per unit of analysis: the accounts or the customers."""
        return self.accounts if self.accounts is not None else self.customers

    @property
    def units_key(self) -> str:
        """The parameter key of that file, for messages."""
        return "data.accounts" if self.accounts is not None else "data.customers"

    def named(self) -> dict[str, Source]:
        """Every input given, by its key under `data`."""
        return {
            k: s
            for k in ("customers", "accounts", "contacts", "events", "orders")
            if (s := getattr(self, k)) is not None
        }


class MultiResponse(_Strict):
    """A question where a respondent can pick several answers."""

    dimension: Literal["demographic", "geographic", "psychographic", "behavioural", "firmographic"]
    column: str | None = Field(None, description="one column holding the picks joined by `separator`")
    separator: str = ";"
    columns: list[str] | None = Field(None, description="or one 0/1 column per answer")
    label: str | None = None
    from_text: str | None = Field(
        None, exclude=True, description="set by the workbook: the open-answer column whose themes these are"
    )

    @model_validator(mode="after")
    def _column_or_columns(self) -> MultiResponse:
        if (self.column is None) == (self.columns is None):
            raise ValueError("give exactly one of `column` (a delimited column) or `columns` (0/1 columns)")
        return self

    @property
    def source_columns(self) -> list[str]:
        """The data columns this set is read from."""
        return [self.column] if self.column else list(self.columns or [])


class Acquisition(_Strict):
    date: str | None = None
    first_contact: str | None = None
    channel: str | None = None
    promotion: str | None = None
    cost: str | None = None


Value = str | bool | int | float
STATUS_GROUPS = ("customer", "churned", "lapsed", "prospect")


class StatusColumn(_Strict):
    """The status column and which of its values mean customer, churned, lapsed or prospect.

    Written as `status: churn` (a column shown as it is, with no meaning attached) or as
    `status: {column: churn, churned: ["Yes"], customer: ["No"]}`; values are matched as text,
    case-insensitive, so `Yes`, `yes` and YAML `true` match what the file has."""

    column: str
    customer: list[Value] = []
    churned: list[Value] = []
    lapsed: list[Value] = []
    prospect: list[Value] = []

    @property
    def mapped(self) -> bool:
        """Whether any value has a meaning (customer, churned, lapsed or prospect)."""
        return any(getattr(self, g) for g in STATUS_GROUPS)

    @model_validator(mode="after")
    def _each_value_once(self) -> StatusColumn:
        seen: dict[str, str] = {}
        for group in STATUS_GROUPS:
            for value in getattr(self, group):
                key = value_key(value)
                if key in seen and seen[key] != group:
                    raise ValueError(
                        f"status value '{value}' is listed as both {seen[key]} and "
                        f"{group}; give each value one meaning"
                    )
                seen[key] = group
        return self


def value_key(value: object) -> str:
    """A value as matched against data: text, lower case; 1.0 and 1 alike; true/false as words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _status(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


class Columns(_Strict):
    """Each customer column's role."""

    id: str
    status: Annotated[StatusColumn | None, BeforeValidator(_status)] = None
    demographic: list[str] = []
    geographic: list[str] = []
    psychographic: list[str] = Field([], description="Likert attitude items")
    behavioural: list[str] = []
    firmographic: list[str] = Field([], description="company traits: industry, size, revenue (accounts)")
    multi_response: dict[str, MultiResponse] = {}
    acquisition: Acquisition = Acquisition()
    nps: str | None = None
    weight: str | None = None
    open_text: list[str] = []
    personal: list[str] = Field([], description="personal data: dropped at load, never reported")
    hidden: list[str] = Field([], description="columns that exist in the file but are never used")

    def role_of(self) -> dict[str, str]:
        """Map every declared column to its role."""
        roles: dict[str, str] = {self.id: "id"}
        if self.status:
            roles[self.status.column] = "status"
        for name in ("nps", "weight"):
            if getattr(self, name):
                roles[getattr(self, name)] = name
        for dim in DIMENSIONS:
            for col in getattr(self, dim):
                roles[col] = dim
        for set_name, mr in self.multi_response.items():
            for col in mr.source_columns:
                roles[col] = f"multi_response:{set_name}"
        for field, col in self.acquisition.model_dump().items():
            if col:
                roles[col] = f"acquisition_{field}"
        for col in self.open_text:
            roles[col] = "open_text"
        for col in self.personal:
            roles[col] = "personal"
        for col in self.hidden:
            roles[col] = "hidden"
        return roles

    @model_validator(mode="after")
    def _no_column_twice(self) -> Columns:
        seen: dict[str, str] = {}
        lists: list[tuple[str, list[str]]] = [("id", [self.id])]
        lists += [("status", [self.status.column])] if self.status else []
        lists += [(k, [v]) for k in ("nps", "weight") if (v := getattr(self, k))]
        lists += [(dim, getattr(self, dim)) for dim in DIMENSIONS]
        lists += [(f"multi_response.{k}", mr.source_columns) for k, mr in self.multi_response.items()]
        lists += [(f"acquisition.{k}", [v]) for k, v in self.acquisition.model_dump().items() if v]
        lists += [("open_text", self.open_text), ("personal", self.personal), ("hidden", self.hidden)]
        for role, cols in lists:
            for col in cols:
                if col in seen:
                    raise ValueError(
                        f"column '{col}' is given two roles ({seen[col]} and {role}); "
                        "a column has exactly one role"
                    )
                seen[col] = role
        return self


class OrderColumns(_Strict):
    """Column names in the orders file."""

    customer_id: str
    timestamp: str
    amount: str | None = Field(
        None, description="order value; without it the parts that need spend are left out"
    )
    order_id: str | None = None
    full_price: str | None = None
    prepaid: str | None = None
    timestamp_format: str | None = Field(None, description="strptime format, e.g. %Y%m%d")
    decimal: Literal[".", ","] = Field(
        ".",
        description="the decimal mark of amounts written as text ($1,234.50: '.'; 1.234,50 €: ','); "
        "currency signs and digit grouping are dropped",
    )
    refunds: Literal["exclude", "keep"] = Field(
        "exclude",
        description="orders with a negative amount (refunds, returns): left out of "
        "every figure (exclude, said in the data-quality table) or kept",
    )
    duplicates: Literal["drop", "keep"] = Field(
        "drop",
        description="rows identical in every column (without an order id: same customer, "
        "time and amount): keep one copy (drop) or keep them all",
    )


class ContactColumns(_Strict):
    """Column names in the contacts file: the people inside each account."""

    id: str = Field(description="the contact's id (events may name it instead of the account)")
    account: str = Field(description="the account the contact belongs to (the accounts file's id)")
    role: str | None = Field(None, description="buying role or job function, e.g. Finance, IT")
    seniority: str | None = None
    seniority_order: list[str] = Field(
        [], description="seniority values from junior to senior, for the most senior contact's role"
    )
    personal: list[str] = Field([], description="personal data: dropped at load, never reported")


class EventColumns(_Strict):
    """Column names in the usage log and which event types mean what."""

    who: str = Field(description="the account id (or, with `data.contacts`, the contact id) of each event")
    timestamp: str
    type: str = Field(description="the event type column (signed_up, logged_in, upgraded …)")
    properties: list[str] = Field([], description="other columns kept with each event (plan, feature …)")
    timestamp_format: str | None = Field(None, description="strptime format, e.g. %Y-%m-%d %H:%M")
    start: list[str] = Field(
        [], description="event types that start an account's life (its cohort); empty: its first event"
    )
    active: list[str] = Field([], description="event types that count as being active; empty: every type")
    trial: list[str] = Field([], description="event types that start a trial")
    paid: list[str] = Field([], description="event types that mean the account pays (trial converted)")
    conversion_days: int = Field(
        30, ge=1, description="a trial converted when a paid event follows within this many days"
    )

    def named_types(self) -> list[tuple[str, str]]:
        """Every event type the parameters name, with its key."""
        return [
            (f"events.{k}[{i}]", t)
            for k in ("start", "active", "trial", "paid")
            for i, t in enumerate(getattr(self, k))
        ]


class Likert(_Strict):
    """An answer scale: its points from low to high, their labels, and the boxes.

    Points are numbers (`min`/`max` for whole steps, or `points: [-1, 0, 1]`) or words in order
    (`points: [Low, Medium, High, Very_High]`). The top and bottom boxes never overlap: by default
    1 point each on scales of 2–3 points, 2 on 4–7, and on 8 or more the top 2 against the bottom
    half (0–4 on a 0–10 scale). `low`/`high` are the words for the two ends in sentences; by
    default the end labels' own words (a sentence says "agree" only when the labels do)."""

    min: int = 1
    max: int = 5
    points: list[int | float | str] | None = Field(
        None, description="the points in order, low to high (numbers or words); default min..max"
    )
    labels: dict[int | float | str, str] = {}
    top_box: int | None = Field(None, ge=1, description="points in the top box (default by length)")
    bottom_box: int | None = Field(None, ge=1, description="points in the bottom box")
    low: str | None = Field(
        None, description="what the low end means, for sentences; default: the lowest label's words"
    )
    high: str | None = Field(
        None, description="what the high end means, for sentences; default: the highest label's words"
    )

    @model_validator(mode="after")
    def _order(self) -> Likert:
        points = self.points
        if points is None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if points is not None:
            if len(points) < 2 or len(points) > 11:
                raise ValueError(f"a scale has 2 to 11 points; `points` lists {len(points)}")
            if len({value_key(p) for p in points}) != len(points):
                raise ValueError("`points` lists a value twice")
            if not all(isinstance(p, str) for p in points) and any(isinstance(p, str) for p in points):
                raise ValueError("`points` are all numbers or all words, not a mix")
            if not any(isinstance(p, str) for p in points) and list(points) != sorted(points):
                raise ValueError("numeric `points` go from low to high")
        n = len(points) if points is not None else self.max - self.min + 1
        top, bottom = self.box_sizes(n)
        if top + bottom > n:
            raise ValueError(f"top box ({top}) and bottom box ({bottom}) overlap on a {n}-point scale")
        return self

    def box_sizes(self, n: int) -> tuple[int, int]:
        """Points in the top and bottom box for a scale of n points."""
        default = (1, 1) if n <= 3 else (2, 2) if n <= 7 else (2, n // 2)
        return (self.top_box or default[0], self.bottom_box or default[1])


class Scale(Likert):
    """A named scale and the attitude items that use it (the others use `likert`)."""

    items: list[str] = Field(description="psychographic items answered on this scale")


# plurals whose singular is not the plural without its s
IRREGULAR_SINGULAR = {
    "people": "person",
    "persons": "person",
    "staff": "staff member",
    "personnel": "staff member",
    "children": "child",
    "men": "man",
    "women": "woman",
    "alumni": "alumnus",
    "series": "series",
}
POPULATION_WORD = re.compile(r"^[^\W\d_][\w' -]{0,39}$")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def singular_of(plural: str) -> str | None:
    """The singular of a plural noun phrase (respondents: respondent); None when it is no plural."""
    words = plural.split(" ")
    last = words[-1]
    if CJK.search(plural):
        return plural  # Chinese nouns have no plural form
    if last.lower() in IRREGULAR_SINGULAR:
        one = IRREGULAR_SINGULAR[last.lower()]
    elif last.lower().endswith("ies") and len(last) > 4:
        one = last[:-3] + "y"  # companies: company
    elif last.lower().endswith(("sses", "ches", "shes", "xes")):
        one = last[:-2]  # businesses: business
    elif last.lower().endswith("s") and not last.lower().endswith("ss"):
        one = last[:-1]
    else:
        return None
    return " ".join([*words[:-1], one])


def _population(value: Any) -> Any:
    if isinstance(value, str):
        text = " ".join(value.split())
        one = singular_of(text) if POPULATION_WORD.match(text) else None
        if one is None:
            raise ValueError(
                f"'{value}' is not a plural word for the people of this run; write the plural "
                "(customers, respondents, voters, employees, members, patients), or give both "
                "forms: {plural: staff, singular: staff member}"
            )
        return {"plural": text, "singular": one}
    return value


class Population(_Strict):
    """What the rows of this run are called in sentences, in the plural and the singular."""

    plural: str = Field(min_length=1, max_length=40)
    singular: str = Field(min_length=1, max_length=40)

    @field_validator("plural", "singular")
    @classmethod
    def _a_word(cls, value: str) -> str:
        text = " ".join(value.split())
        if not POPULATION_WORD.match(text):
            raise ValueError(f"'{value}' is not a word for people (letters, spaces, hyphens only)")
        return text


class Privacy(_Strict):
    min_cell: int = Field(10, ge=1, description="hide table cells based on fewer respondents")
    not_personal: list[str] = Field(
        [],
        description="columns whose values look like e-mails, phones or names but are not "
        "(a false alarm of the personal-data scan)",
    )


class Validation(_Strict):
    min_rows: int = Field(50, ge=1)
    ranges: dict[str, tuple[float, float]] = {}
    out_of_range: Literal["error", "set_missing"] = "error"

    @field_validator("ranges")
    @classmethod
    def _ranges_ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for col, (lo, hi) in value.items():
            if lo > hi:
                raise ValueError(f"range for '{col}' is [{lo}, {hi}]: the low end is above the high end")
        return value


class ExploreParams(_Strict):
    max_categories: int = Field(12, ge=2, description="show at most this many categories per chart")
    outlier_iqr: float = Field(3.0, gt=0, description="a value beyond this many IQRs is odd")


def _check_filter(expression: str) -> str:
    try:
        parse_filter(expression)
    except FilterSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return expression


FilterExpression = Annotated[str, AfterValidator(_check_filter)]


class Banner(_Strict):
    """A group of banner columns: named filters, or every value of one column."""

    name: str
    filters: list[str] = []
    column: str | None = None

    @model_validator(mode="after")
    def _filters_or_column(self) -> Banner:
        if bool(self.filters) == bool(self.column):
            raise ValueError("give exactly one of `filters` (a list of filter names) or `column`")
        return self


class CrosstabParams(_Strict):
    """Banner tables: questions down the side, groups across the top, significance letters."""

    banners: list[Banner] = []
    rows: list[str] = Field([], description="questions: columns, multiple-response sets or derived fields")
    compare_with_rest: list[str] = Field([], description="filters compared with everyone else")
    base: str | None = Field(None, description="a filter that restricts the whole section")
    levels: tuple[float, float] = (0.95, 0.99)
    correction: Literal["holm", "bonferroni", "fdr_bh", "none"] = "holm"
    min_base: int = Field(30, ge=2)
    index_high: float = Field(120, gt=100)
    index_low: float = Field(80, gt=0, lt=100)
    summary_top: int = Field(8, ge=1)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: tuple[float, float]) -> tuple[float, float]:
        loose, strict = value
        if not 0.5 < loose < strict < 1:
            raise ValueError("levels must be two confidence levels, looser first, e.g. [0.95, 0.99]")
        return value


class StickPointParams(_Strict):
    """How the stick point is searched for."""

    action: Literal["orders", "active_days", "spend", "events"] = Field(
        "orders",
        description="what is counted early on; `events`: each event type of the usage log "
        "(or those in `events`), searched for the one that predicts staying active",
    )
    events: list[str] = Field([], description="with `action: events`: event types to search; empty: all")
    window_days: int = Field(60, ge=1)
    outcome_days: tuple[int, int] = (180, 365)
    max_level: int = Field(8, ge=2)
    spend_step: float = Field(50.0, gt=0)
    min_share: float = Field(0.05, gt=0, lt=1, description="a threshold must keep this share above it")

    @model_validator(mode="after")
    def _windows(self) -> StickPointParams:
        lo, hi = self.outcome_days
        if not self.window_days <= lo < hi:
            raise ValueError("outcome_days must start at or after window_days and end after it starts")
        return self


class CohortParams(_Strict):
    """Cohorts and retention (notebook 04_cohorts)."""

    period: Literal["week", "month", "quarter"] = "month"
    definition: Literal["on", "on_or_after"] = "on"
    max_periods: int = Field(24, ge=1)
    splits: list[str] = Field([], description="columns, filter names or nps_group")
    rules: dict[str, FilterExpression] = {}
    promotions: list[str] = Field([], description="promotion codes to study; empty: every code")
    economics_periods: list[int] = [3, 6, 12]
    margin: float = Field(1.0, gt=0, le=1, description="share of revenue kept as gross margin")
    stick_point: StickPointParams = StickPointParams()


class ValueParams(_Strict):
    """Customer value and churn risk (notebook 04_cohorts)."""

    model: Literal["bgnbd", "pareto_nbd"] = "bgnbd"
    unit: Literal["days", "weeks", "months"] = "weeks"
    holdout: float = Field(26, ge=0, description="length of the holdout check, in units (0: none)")
    horizon: float = Field(52, gt=0, description="how far ahead customer value looks, in units")
    steps: int = Field(12, ge=1, description="discounting steps over the horizon")
    discount_rate: float = Field(0.01, ge=0, lt=1, description="discount rate per step")
    at_risk_threshold: float = Field(0.5, gt=0, lt=1)
    churn_drivers: bool = True
    sample_size: int = Field(
        50_000,
        ge=1000,
        description="buyers the value models are fitted on, "
        "stratified by first-purchase month; everyone is scored",
    )
    churn_sample_size: int = Field(
        30_000,
        ge=1000,
        description="buyers the churn-driver model is fitted on, stratified by churned or not",
    )


class SegmentParams(_Strict):
    """Segmentation (notebook 03_segment)."""

    method: Literal["latent_class", "kmeans"] = "latent_class"
    features: list[str] = Field([], description="default: psychographic and behavioural roles")
    weights: dict[str, float] = Field({}, description="feature weights (k-means method)")
    k: int | None = Field(None, ge=1, description="fix the number of segments (overrides the rule)")
    k_max: int = Field(8, ge=2, le=15)
    min_share: float = Field(0.05, gt=0, lt=0.5)
    min_entropy: float = Field(0.6, ge=0, le=1)
    bic_tolerance: float = Field(0.002, ge=0, lt=0.1)
    min_silhouette: float = Field(0.1, ge=0, lt=1)
    sample_size: int = Field(5000, ge=100, description="customers the models are fitted on")
    strata: str | None = Field(None, description="column to stratify the fitting sample by")
    bootstrap: int = Field(10, ge=2, le=200)
    seeds: int = Field(3, ge=1, le=20)
    random_starts: int = Field(
        20,
        ge=1,
        le=500,
        description="latent class: random starts run for a few iterations each (Mplus STARTS, first number)",
    )
    n_init: int = Field(
        4,
        ge=1,
        le=50,
        description="latent class: the best starts continued to "
        "convergence (Mplus STARTS, second number); k-means: restarts",
    )
    seed: int = 1
    names: dict[int, str] = Field({}, description="rename segments: {1: 'Bargain hunters'}")


class TypingParams(_Strict):
    """The typing tool that assigns newcomers (new leads, new respondents) to a segment."""

    questions: list[str] = Field([], description="golden questions; empty: the best five")
    propose: int = Field(5, ge=1, le=20)
    min_probability: float = Field(0.5, gt=0, lt=1)
    folds: int = Field(5, ge=2, le=10)
    sample_size: int = Field(
        20_000, ge=500, description="customers the typing tool is fitted on, stratified by segment"
    )


class IcpCriterion(_Strict):
    name: str
    rule: FilterExpression
    points: float = Field(gt=0)


class IcpParams(_Strict):
    """The ideal-customer-profile fit scorecard."""

    criteria: list[IcpCriterion] = Field([], description="empty: derived from the best segments")
    tiers: tuple[float, float] = (1 / 3, 2 / 3)
    value_field: str | None = Field(
        None,
        description="what 'highest value' means for the default "
        "criteria: a numeric column or derived field; none: spend in "
        "the last 12 months with orders, else staying a customer "
        "(with a status mapping)",
    )
    engaged_days: int = Field(90, ge=1, description="engaged: ordered within this many days")

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] < value[1] < 1:
            raise ValueError("tiers are two cut-offs between 0 and 1, lower first, e.g. [0.34, 0.67]")
        return value


class PersonaGender(_Strict):
    """The column that says a person's gender, and which of its values mean what (for the
    persona's name and face only; without it personas get gender-neutral names)."""

    column: str
    female: list[Value] = []
    male: list[Value] = []


class PersonaParams(_Strict):
    """Personas and focus choices (notebook 05_personas)."""

    age: str | None = Field(
        None,
        description="a numeric age column, for the age line, the name and the face; none: no age is stated",
    )
    gender: PersonaGender | None = Field(
        None, description="gender column and values; none: no gender is stated or implied"
    )

    goal: Literal[
        "grow repeat revenue",
        "raise customer value",
        "acquire new customers",
        "improve loyalty",
        "understand who they are",
    ] = Field(
        "grow repeat revenue",  # in a parameter file `Params` chooses it from what the data holds
        description="default: grow repeat revenue with orders, improve loyalty with a churn "
        "status, else (a survey) understand who they are",
    )
    # "outcome": the status outcome (the share who churned, or its own words such as bad payers),
    # lower is better; weighted 2 when the data has one and the rubric does not name it
    rubric: dict[Literal["size", "value", "growth", "retention", "outcome", "goal"], float] = {
        "size": 1.0,
        "value": 2.0,
        "growth": 1.0,
        "retention": 1.0,
        "goal": 1.5,
    }
    focus_count: int = Field(2, ge=1)
    avoid_count: int = Field(1, ge=0)


class TextParams(_Strict):
    """Themes in open answers (see `helpers.text`)."""

    themes: int | None = Field(
        None, ge=1, le=20, description="fix the number of themes; none: the stability rule"
    )
    max_themes: int = Field(8, ge=2, le=20, description="the stability rule looks at 2 to this many themes")
    language: Literal["auto", "en", "zh"] = Field(
        "auto", description="auto: Chinese when a third of the letters are Chinese characters"
    )
    share: float = Field(
        0.2, gt=0, le=1, description="an answer belongs to each theme with at least this share of its weight"
    )
    names: dict[int, str] = Field({}, description="rename themes: {1: Shipping costs}")


class PreviousRun(_Strict):
    """The run to compare with (quarter over quarter)."""

    period: str | None = Field(None, description="the previous period's name; none: no comparison")
    version: int | None = Field(None, ge=1, description="none: its latest published version")
    match_threshold: float = Field(0.3, gt=0, lt=1, description="overlap to count as the same segment")
    drift_threshold: float = Field(
        0.15, gt=0, lt=1, description="change in an agree share that counts as drift"
    )


class SparkSettings(_Strict):
    """Spark settings, used when `engine: spark` (install with `pip install -e ".[spark]"`)."""

    master: str = Field(
        "local[*]",
        description="`local[*]` on one machine; a cluster URL such as "
        "`spark://host:7077` or `yarn` otherwise",
    )
    driver_memory: str = Field(
        "4g", pattern=r"^[0-9]+[kmgt]$", description="memory of the driver (Spark's default 1g is too small)"
    )
    shuffle_partitions: int = Field(
        8, ge=1, description="partitions after a group-by; raise it on a cluster (e.g. 2-3 per core)"
    )
    conf: dict[str, str | int | float | bool] = Field(
        {}, description="any other Spark setting, e.g. `spark.executor.memory: 8g`"
    )


class Params(_Strict):
    """A validated parameter file."""

    period: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=64,
        description="a folder name: letters, digits, _ . -, at most 64",
    )
    as_of: dt.date
    title: str = "Customer profiles"
    currency: str = Field(
        "", max_length=8, description="how money is shown: a symbol (£, $, €) or a code (EUR, CNY)"
    )
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="where heavy work over orders runs: duckdb (embedded) or spark"
    )
    spark: SparkSettings = SparkSettings()
    unit: Literal["customer", "account"] = Field(
        "customer", description="what a row of the analyses is: a customer (person) or an account (company)"
    )
    population: Annotated[Population | None, BeforeValidator(_population)] = Field(
        None,
        description="what the people are called in sentences (respondents, voters, employees, "
        "members, patients …); default: accounts with `unit: account`, respondents for a survey "
        "(no orders, no status outcome), else customers",
    )
    data: DataSources
    columns: Columns | None = None
    orders: OrderColumns | None = None
    contacts: ContactColumns | None = None
    events: EventColumns | None = None
    labels: dict[str, str] = Field({}, description="readable names of columns in the reports")
    value_labels: dict[str, dict[str, str]] = Field(
        {}, description="readable names of coded values, per column (written `labels.values`)"
    )
    numeric: list[str] = Field(
        [],
        description="columns shown as numbers (mean, median) even with few distinct values, e.g. 0–10 scores",
    )
    filters: dict[str, FilterExpression] = {}
    crosstab: CrosstabParams = CrosstabParams()
    segment: SegmentParams = SegmentParams()
    typing: TypingParams = TypingParams()
    icp: IcpParams = IcpParams()
    cohorts: CohortParams = CohortParams()
    value: ValueParams = ValueParams()
    personas: PersonaParams = PersonaParams()
    text: TextParams = TextParams()
    previous: PreviousRun = PreviousRun()
    likert: Likert = Likert()
    scales: dict[str, Scale] = Field({}, description="other answer scales, each with its items")
    privacy: Privacy = Privacy()
    validation: Validation = Validation()
    explore: ExploreParams = ExploreParams()

    # where the file was read from; set by load_params, not by the YAML
    source: Path | None = Field(None, exclude=True)
    source_file: str | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _value_labels(cls, raw: Any) -> Any:
        """`labels.values: {column: {code: label}}` is where value labels are written."""
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("labels"), dict)
            and isinstance(raw["labels"].get("values"), dict)
        ):
            labels = dict(raw["labels"])
            values = labels.pop("values")
            bad = [k for k, v in values.items() if not isinstance(v, dict)]
            if bad:
                raise ValueError(
                    f"`labels.values.{bad[0]}` must map each code to its label, "
                    "e.g. {1: Successful hedonists, 2: Driven growers}"
                )
            raw = {
                **raw,
                "labels": labels,
                "value_labels": {
                    str(col): {value_key(k): str(v) for k, v in codes.items()}
                    for col, codes in values.items()
                },
            }
        return cls._answer_scales(raw)

    @staticmethod
    def _answer_scales(raw: Any) -> Any:
        """Value labels of an attitude item without a named scale are its answer scale: the
        codes in order, each with its words (`nataid: {1: Too little, 2: About right, 3: Too
        much}`), never the default agreement scale."""
        if not isinstance(raw, dict) or not isinstance(raw.get("value_labels"), dict):
            return raw
        columns = raw.get("columns") if isinstance(raw.get("columns"), dict) else {}
        items = columns.get("psychographic") or []
        scales = raw.get("scales") if isinstance(raw.get("scales"), dict) else {}
        named = {i for s in scales.values() if isinstance(s, dict) for i in s.get("items") or []}
        moved: dict[tuple, list[str]] = {}
        for col, codes in raw["value_labels"].items():
            if col in items and col not in named and isinstance(codes, dict) and len(codes) >= 2:
                moved.setdefault(tuple(codes.items()), []).append(col)
        if not moved:
            return raw
        new_scales = dict(scales)
        for pairs, cols in moved.items():
            keys = [k for k, _ in pairs]
            try:
                numbers = [float(k) for k in keys]
            except ValueError:
                numbers = []
            if numbers:
                order = sorted(range(len(keys)), key=lambda i: numbers[i])
                points = [int(numbers[i]) if numbers[i].is_integer() else numbers[i] for i in order]
            else:
                order, points = list(range(len(keys))), keys  # codes written as words: as given
            words = [pairs[i][1] for i in order]
            labels = dict(zip(points, words, strict=True))
            name = f"{cols[0]}_answers"
            while name in new_scales:
                name += "_"
            new_scales[name] = {"points": points, "labels": labels, "items": cols}
        done = {c for cols in moved.values() for c in cols}
        return {
            **raw,
            "scales": new_scales,
            "value_labels": {k: v for k, v in raw["value_labels"].items() if k not in done},
        }

    @model_validator(mode="before")
    @classmethod
    def _default_goal(cls, raw: Any) -> Any:
        """The personas' goal, when the file names none, from what the data can speak to:
        repeat revenue with orders, loyalty with a churn status, else who the people are."""
        if not isinstance(raw, dict):
            return raw
        personas = raw.get("personas") if isinstance(raw.get("personas"), dict) else {}
        if personas.get("goal") is not None or not isinstance(raw.get("personas", {}), dict):
            return raw
        data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
        columns = raw.get("columns") if isinstance(raw.get("columns"), dict) else {}
        status = columns.get("status")
        churn = isinstance(status, dict) and bool(status.get("churned"))
        goal = (
            "grow repeat revenue"
            if data.get("orders") is not None
            else "improve loyalty"
            if churn
            else "understand who they are"
        )
        return {**raw, "personas": {**personas, "goal": goal}}

    @field_validator("period")
    @classmethod
    def _safe_period(cls, value: str) -> str:
        """A period is a folder beside the index: none of the names publishing itself uses,
        and none a file system treats specially."""
        lowered = value.lower()
        reserved = (
            lowered.split(".")[0] in RESERVED_NAMES
            or lowered.endswith((".html", ".htm", ".tmp", ".json", ".csv", ".lock"))
            or lowered.startswith(("_", "."))
            or lowered.endswith(".")
        )
        if reserved:
            raise ValueError(
                f"'{value}' is a name the reports folder uses or a system reserves; "
                "name the period like 2026Q3 or demo-q3"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        if self.as_of > dt.date.today():
            raise ValueError(f"as_of {self.as_of} is in the future; use the last day of the period")
        if self.data.units is not None and self.columns is None:
            raise ValueError(f"`{self.data.units_key}` is set, so `columns` must say each column's role")
        if self.data.orders is not None and self.orders is None:
            raise ValueError("`data.orders` is set, so `orders` must name its columns")
        if self.unit == "account" and self.data.customers is not None:
            raise ValueError(
                "`unit: account` reads companies from `data.accounts`; rename `data.customers` to "
                "`data.accounts` (people inside the accounts go under `data.contacts`)"
            )
        if self.unit == "customer" and self.data.accounts is not None:
            raise ValueError("`data.accounts` is set: add `unit: account` so the analyses count accounts")
        if self.data.contacts is not None and self.contacts is None:
            raise ValueError("`data.contacts` is set, so `contacts` must name its columns")
        if self.data.contacts is not None and self.data.accounts is None:
            raise ValueError("`data.contacts` needs `data.accounts`: contacts are the people inside accounts")
        if self.data.events is not None and self.events is None:
            raise ValueError("`data.events` is set, so `events` must name its columns")
        if self.data.events is not None and self.data.units is None:
            who = "accounts" if self.unit == "account" else "customers"
            raise ValueError(f"`data.events` needs the file of who the events belong to: `data.{who}`")
        if self.cohorts.stick_point.action == "events" and self.data.events is None:
            raise ValueError("`cohorts.stick_point.action: events` needs a usage log (`data.events`)")
        roles = self.columns.role_of() if self.columns else {}
        for key, col in (
            ("personas.age", self.personas.age),
            ("personas.gender.column", self.personas.gender and self.personas.gender.column),
        ):
            if col and roles.get(col) in (None, "personal", "hidden", "open_text", "id"):
                raise ValueError(
                    f"`{key}`: '{col}' is not analysed (role: "
                    f"{roles.get(col, 'none')}); declare it under "
                    "`columns.demographic`"
                )
        scale_items = set(self.columns.psychographic) if self.columns else set()
        for col in self.value_labels:
            role = roles.get(col, "")
            if (
                role
                in (
                    "id",
                    "weight",
                    "nps",
                    "acquisition_cost",
                    "acquisition_date",
                    "acquisition_first_contact",
                )
                or col in scale_items
            ):
                fix = (
                    "it is on a named scale: give its answer labels there, under `scales.<name>.labels`"
                    if col in scale_items
                    else "a number keeps its values"
                )
                raise ValueError(
                    f"`labels.values.{col}`: '{col}' is a {role or 'scale item'}, not a category; {fix}"
                )
        psychographic = set(self.columns.psychographic) if self.columns else set()
        seen: dict[str, str] = {}
        for name, scale in self.scales.items():
            for item in scale.items:
                if item not in psychographic:
                    raise ValueError(
                        f"`scales.{name}.items`: '{item}' is not a psychographic item; "
                        "add it to `columns.psychographic` (answer scales are for "
                        "attitude items)"
                    )
                if item in seen:
                    raise ValueError(
                        f"`scales.{name}.items`: '{item}' is also on scale "
                        f"'{seen[item]}'; an item has one scale"
                    )
                seen[item] = name
        ct = self.crosstab
        named = [(f"crosstab.banners[{i}].filters", f) for i, b in enumerate(ct.banners) for f in b.filters]
        named += [("crosstab.compare_with_rest", f) for f in ct.compare_with_rest]
        named += [("crosstab.base", ct.base)] if ct.base else []
        for key, name in named:
            if name not in self.filters:
                known = ", ".join(self.filters) or "none defined"
                raise ValueError(f"`{key}`: '{name}' is not a filter name (filters: {known})")
        return self

    def profile_columns(self, dimension: str) -> list[str]:
        """Single columns of one profile dimension (multiple-response sets are separate)."""
        out = list(getattr(self.columns, dimension)) if self.columns else []
        if dimension == "firmographic" and self.contacts is not None:  # rolled up from contacts
            out.append("contacts")
            if self.contacts.role:
                out.append("buyer_role")
            if self.contacts.seniority and self.contacts.seniority_order:
                out.append("top_seniority")
        return out

    def to_json(self) -> str:
        """The parameters as JSON, for the run manifest."""
        return self.model_dump_json(indent=2)


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a model accepts at a location, to suggest a fix for an unknown key."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        current = None
        for candidate in getattr(ann, "__args__", (ann,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                current = candidate
            elif getattr(candidate, "__args__", None):  # dict[str, Model]
                for inner in candidate.__args__:
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        current = inner
    return list(getattr(current, "model_fields", {}))


def _explain(err: dict[str, Any]) -> str:
    key = _key(tuple(err["loc"]))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Params, tuple(err["loc"]))
        hint = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        fix = f"did you mean `{hint[0]}`?" if hint else f"allowed here: {', '.join(allowed)}"
        return f"`{key}`: unknown key; {fix}"
    if kind == "missing":
        return f"`{key}`: required key is missing; add it"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    if len(shown) > 100 or kind == "value_error" and "filter" in key:  # the message quotes it
        shown = "" if kind == "value_error" else shown[:96] + "…)"
    if not err["loc"]:  # a rule across several keys: the message names them
        return msg
    return f"`{key}`: {msg}{shown}"


def _resolve(params: Params, base: Path, where: str) -> Params:
    data = params.data
    update = {}
    for name, src in data.named().items():
        if not src.remote and not src.path.is_absolute():
            update[name] = src.model_copy(update={"path": (base / src.path).resolve()})
    return params.model_copy(
        update={"data": data.model_copy(update=update), "source": base, "source_file": where}
    )


def parse_params(raw: Any, where: str, base: Path) -> Params:
    """Validate a parsed parameter mapping; `where` names the file in messages."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the file must be a YAML mapping of keys to values")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors()]
        raise ConfigError(f"{where}: bad parameters\n  - " + "\n  - ".join(lines)) from None
    params = _resolve(params, base, where)
    if params.engine == "spark":
        _check_spark(where)
    for name, src in params.data.named().items():
        if src.remote and (params.engine != "spark" or src.kind not in ("", "parquet")):
            raise ConfigError(
                f"{where}: `data.{name}.path`: '{src.path}' is a URL; only Spark reads those, "
                "and only Parquet: set `engine: spark` and `format: parquet`, or copy the "
                "file to a local path"
            )
        if not src.kind:
            raise ConfigError(
                f"{where}: `data.{name}.path`: cannot tell the format of '{src.name}'; "
                f"add `format:` (one of {', '.join(FORMATS)})"
            )
        if src.remote:
            continue
        if not src.path.exists():
            raise ConfigError(
                f"{where}: `data.{name}.path`: file not found: {src.path}; "
                "fix the path (relative paths start at the parameter file's folder)"
                + ("; for the demo data run `workbook demo-data`" if "demo" in str(src.path) else "")
            )
    return params


def _check_spark(where: str) -> None:
    """Stop early, with what to install, when Spark was chosen but cannot start here."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        raise ConfigError(
            f"{where}: `engine: spark`: PySpark is not installed; install the Spark extra with "
            '`.venv/bin/pip install -e ".[spark]"`, or use `engine: duckdb`'
        )
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError(
            f"{where}: `engine: spark`: Spark needs Java (17 or 21) and none was found; install a "
            "JDK and put `java` on the PATH (or set JAVA_HOME), or use `engine: duckdb`"
        )


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text until pydantic checks them; a key twice
    in one mapping is an error (PyYAML keeps the last silently: `{6: 1,000–4,999, 7: 5,000–9,999}`
    reads as keys 6, 000–4, 999, 7, 000–9 and 999 again)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                twice = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if twice:
                fix = (
                    'inside { }, a value with a comma must be quoted, as in "1,000–4,999"'
                    if node.flow_style
                    else "keep one of them"
                )
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice in one mapping (the second would replace the "
                    f"first); {fix}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


# and YAML 1.2 booleans: only true/false, so `definition: on` stays the word "on"
_Loader.yaml_implicit_resolvers = {
    key: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str) -> Any:
    """Parse YAML as parameter files are parsed (dates as text, only true/false as booleans)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def load_params(path: str | Path) -> Params:
    """Read and validate a parameter file; raise ConfigError with one clear message."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: parameter file not found")
    if path.is_dir():
        raise ConfigError(
            f"{path}: is a folder; give the parameter file inside it, e.g. {path / 'demo.yaml'}"
        )
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "binary")
        raw = read_yaml(text)
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path}: not a UTF-8 text file (saved in another encoding, or not "
            "text at all); save it as UTF-8 from your editor"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}); check the path and its permissions"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_params(raw, str(path), path.parent.resolve())


def params_as_dict(params: Params) -> dict[str, Any]:
    """The parameters as plain JSON-able data."""
    return json.loads(params.to_json())
