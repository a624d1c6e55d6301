"""The data a run reads: its files or tables (`data:`) and what each column is for (`columns:`,
`orders:`, `contacts:`, `events:`), as the parameter file declares them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

DIMENSIONS = ("demographic", "geographic", "psychographic", "behavioural", "firmographic")


FORMATS = ("csv", "parquet", "excel", "spss")

# behavioural fields the workbook derives from orders for every customer (0 / missing for none)
DERIVED_FIELDS = {
    "orders": "orders up to as_of",
    "spend": "total spend up to as_of",
    "orders_12m": "orders in the 12 months up to as_of",
    "spend_12m": "spend in the 12 months up to as_of",
    "avg_order_value": "average order value",
    "days_since_last": "days since the last order (missing for non-buyers)",
    "tenure_days": "days since the first order (missing for non-buyers)",
    "first_order_amount": "amount of the first order",
    "first_order_full_price": "1 when the first order was at full price",
    "first_order_prepaid": "1 when the first order was prepaid",
    "basket_growth": "mean later order amount ÷ first order amount (missing: no later order)",
    "days_to_convert": "days from first contact to first order (needs acquisition.first_contact)",
    "return_rate": "share of the value bought that was returned or cancelled (needs order lines or a status)",
    "categories_bought": "how many product categories bought (needs orders.category or data.products)",
}

# fields derived from order lines that are words, not numbers (the customer's main category)
DERIVED_LABELS = {
    "main_category": "the category of the customer's largest spend (needs orders.category or data.products)",
    "main_channel": "the channel of most of the customer's orders (needs orders.channel)",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _path_or_url(value: Any) -> Any:
    """Keep a URL (s3a://, hdfs://, abfss://, file://) as written; anything else is a local path."""
    if isinstance(value, str) and URL.match(value):
        return value
    return Path(value) if isinstance(value, str) else value


SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xls": "excel",
    ".sav": "spss",
    ".zsav": "spss",
}
GLOB_CHARACTERS = re.compile(r"[*?\[]")
ALL_SHEETS = "*"


def format_of(name: str) -> str:
    """A file format from a file name (`orders.csv.gz` is CSV); empty when the name does not say."""
    suffixes = [s.lower() for s in Path(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return SUFFIX_FORMATS.get(suffixes[-1], "") if suffixes else ""


class Source(Strict):
    """One input: a file, a folder of files or a glob (`exports/*.csv`) of files with the same
    columns; relative paths start at the parameter file's folder. A URL such as
    `s3a://bucket/orders/` is read by Spark (`engine: spark`)."""

    path: Annotated[Path | str, BeforeValidator(_path_or_url)]
    format: Literal["csv", "parquet", "excel", "spss"] | None = None
    encoding: str | None = None
    delimiter: str | None = Field(None, description="a character, or `whitespace`")
    header: bool = True
    names: list[str] | None = Field(None, description="column names for a file without a header")
    sheet: str | int | None = Field(
        None, description="an Excel sheet's name or number, or `*` for every sheet"
    )

    @property
    def kind(self) -> str:
        """The file format, given or inferred from the file suffix (a folder: from its files)."""
        if self.format:
            return self.format
        if not self.remote and self.path.is_dir():
            kinds = {format_of(f.name) for f in self.path.iterdir() if f.is_file()} - {""}
            if "parquet" in kinds or not kinds:  # as Spark and most lakes write them (or partitioned)
                return "parquet"
            return kinds.pop() if len(kinds) == 1 else ""  # several formats: `format:` says which
        return format_of(str(self.path).rstrip("/"))

    @property
    def remote(self) -> bool:
        """Whether the path is a URL that only Spark reads (not a local file)."""
        return isinstance(self.path, str)

    @property
    def is_pattern(self) -> bool:
        """Whether the path is a glob (`exports/*.csv`) rather than one file or folder."""
        return not self.remote and bool(GLOB_CHARACTERS.search(self.path.name))

    @property
    def files(self) -> list[Path]:
        """The local files the input reads, in name order: one file, a glob's matches, or a
        folder's files of the input's format (a folder of Parquet is read as one dataset)."""
        if self.remote:
            return []
        if self.is_pattern:
            return sorted(p for p in self.path.parent.glob(self.path.name) if p.is_file())
        if self.path.is_dir():
            if self.kind == "parquet":
                return sorted(self.path.rglob("*.parquet"))
            return sorted(f for f in self.path.iterdir() if f.is_file() and format_of(f.name) == self.kind)
        return [self.path] if self.path.exists() else []

    @property
    def name(self) -> str:
        """The file or folder name, for messages."""
        return str(self.path).rstrip("/").rsplit("/", 1)[-1]


class DataSources(Strict):
    customers: Source | None = Field(None, description="one row per person (survey answers, CRM fields)")
    accounts: Source | None = Field(None, description="with `unit: account`: one row per company")
    contacts: Source | None = Field(None, description="the people inside the accounts (`contacts:`)")
    events: Source | None = Field(None, description="a usage log: who, when, what (`events:`)")
    orders: Source | None = None
    products: Source | None = Field(
        None,
        description="one row per product: its SKU and category, joined to the orders by `orders.product`",
    )

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
            for k in ("customers", "accounts", "contacts", "events", "orders", "products")
            if (s := getattr(self, k)) is not None
        }


class MultiResponse(Strict):
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


class Acquisition(Strict):
    date: str | None = None
    first_contact: str | None = None
    channel: str | None = None
    promotion: str | None = None
    cost: str | None = None


Value = str | bool | int | float

STATUS_GROUPS = ("customer", "churned", "lapsed", "prospect")


class StatusColumn(Strict):
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


def read_status(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


class Columns(Strict):
    """Each customer column's role."""

    id: str
    status: Annotated[StatusColumn | None, BeforeValidator(read_status)] = None
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


# the names of an order's fields once read (a customer field may not take one)
ORDER_FIELDS = (
    "customer_id",
    "order_ts",
    "amount",
    "quantity",
    "order_id",
    "full_price",
    "prepaid",
    "product",
    "category",
    "channel",
    "status",
    "reason",
    "refunded",
    "cancelled",
    "returned",
)
# the financial or fulfilment statuses that mean an order was not kept (Shopify, WooCommerce)
RETURNED_STATUSES = ["refunded", "voided", "cancelled", "canceled", "failed"]


class OrderColumns(Strict):
    """Column names in the orders file."""

    customer_id: str
    timestamp: str
    amount: str | None = Field(
        None, description="order value; without it the parts that need spend are left out"
    )
    order_id: str | None = None
    quantity: str | None = Field(
        None,
        description="order lines: the quantity of each line; with `unit_price` (or `line_amount`) "
        "and an `order_id` that repeats, an order's amount is the sum of its lines",
    )
    unit_price: str | None = Field(None, description="order lines: the price of one unit")
    line_amount: str | None = Field(
        None, description="order lines: the line's total (instead of a unit price)"
    )
    without_customer: Literal["stop", "leave_out"] = Field(
        "stop",
        description="rows with no customer id (guest checkouts): stop the run (stop) or leave them "
        "out of every figure, counted in the data-quality table (leave_out)",
    )
    customer_fields: list[str] = Field(
        [],
        description="columns that describe the customer, not the order (a country, a region): "
        "without a customer file, each customer takes the value of their latest order that gives one",
    )
    product: str | None = Field(
        None,
        description="the product's name or SKU on each line (with `data.products`: the SKU it is joined on)",
    )
    category: str | None = Field(None, description="the product's category (product line, department)")
    channel: str | None = Field(None, description="the order's channel (web, store, app, marketplace)")
    status: str | None = Field(
        None, description="the order's financial or fulfilment status (Shopify's `Financial Status`)"
    )
    returned_status: list[str] = Field(
        RETURNED_STATUSES,
        description="status values that mean the order was refunded or cancelled (case ignored)",
    )
    cancelled_at: str | None = Field(None, description="a date column set when the order was cancelled")
    refunded_amount: str | None = Field(
        None, description="the amount refunded on the order; a partial refund lowers its revenue"
    )
    return_reason: str | None = Field(None, description="why a line or order was returned")
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
        "time and amount): keep one copy (drop) or keep them all; order lines are never "
        "duplicates (one product twice in an order is two lines)",
    )

    @property
    def money(self) -> str | None:
        """The column the orders' money is read from: the amount, or each line's total or unit price."""
        return self.amount or self.line_amount or self.unit_price

    def basket_fields(self, catalogue: bool = False) -> list[str]:
        """The per-customer fields the order lines give: return rate, categories, main channel
        (with `catalogue`, the categories come from a product file)."""
        fields = ["return_rate"] if self.has_returns else []
        if self.category or catalogue:
            fields += ["categories_bought", "main_category"]
        return fields + (["main_channel"] if self.channel else [])

    @property
    def has_returns(self) -> bool:
        """Whether returns can be told: order lines (negative ones), a status or a refund column,
        or orders of products with amounts (negative ones)."""
        sold = bool(self.amount and (self.product or self.category))  # a negative amount: a return
        return bool(self.lines or self.status or self.cancelled_at or self.refunded_amount or sold)

    @property
    def lines(self) -> bool:
        """Whether the file holds order lines (several rows per order), not one row per order."""
        return bool(self.quantity or self.unit_price or self.line_amount)

    @model_validator(mode="after")
    def _lines_need_an_order(self) -> OrderColumns:
        if self.lines and not self.order_id:
            raise ValueError("order lines (`quantity`, `unit_price`, `line_amount`) need `orders.order_id`")
        if self.lines and self.amount:
            raise ValueError("give either `amount` (one row per order) or order lines, not both")
        taken = set(ORDER_FIELDS) & set(self.customer_fields)
        if taken:
            raise ValueError(
                f"`orders.customer_fields`: '{taken.pop()}' is a name the workbook gives an order's "
                "own field; rename the column in the file"
            )
        if self.quantity and not (self.unit_price or self.line_amount):
            raise ValueError(
                "`orders.quantity` needs `unit_price` or `line_amount` to give each line's amount"
            )
        return self


class ProductColumns(Strict):
    """Column names in the product file (`data.products`)."""

    sku: str = Field(description="the product's SKU or id, as `orders.product` writes it")
    category: str = Field(description="the product's category (product line, department)")
    name: str | None = Field(None, description="the product's name, shown instead of the SKU")


class ContactColumns(Strict):
    """Column names in the contacts file: the people inside each account."""

    id: str = Field(description="the contact's id (events may name it instead of the account)")
    account: str = Field(description="the account the contact belongs to (the accounts file's id)")
    role: str | None = Field(None, description="buying role or job function, e.g. Finance, IT")
    seniority: str | None = None
    seniority_order: list[str] = Field(
        [], description="seniority values from junior to senior, for the most senior contact's role"
    )
    personal: list[str] = Field([], description="personal data: dropped at load, never reported")


class EventColumns(Strict):
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
