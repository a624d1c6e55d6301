"""Parameter files: load one YAML file per run and validate it before anything runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from helpers.params.inputs import (
    DERIVED_FIELDS,
    DERIVED_LABELS,
    Columns,
    ContactColumns,
    DataSources,
    EventColumns,
    OrderColumns,
    ProductColumns,
    Strict,
    value_key,
)
from helpers.params.settings import (
    CohortParams,
    CrosstabParams,
    ExploreParams,
    FilterExpression,
    IcpParams,
    Likert,
    PersonaParams,
    Population,
    PreviousRun,
    Privacy,
    Scale,
    SegmentParams,
    SparkSettings,
    TextParams,
    TypingParams,
    Validation,
    ValueParams,
    read_population,
)

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


class Params(Strict):
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
    population: Annotated[Population | None, BeforeValidator(read_population)] = Field(
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
    products: ProductColumns | None = None
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
        """The rules between sections, each a function of CONSISTENCY_RULES (below)."""
        for rule in CONSISTENCY_RULES:
            rule(self)
        return self

    @property
    def customers_from_orders(self) -> bool:
        """Whether the customers are built from the orders: `columns:` given, no customer file."""
        return self.data.units is None and self.data.orders is not None and self.columns is not None

    @property
    def has_customer_rows(self) -> bool:
        """Whether the run has one row per customer: a customer file, or customers built from orders."""
        return self.columns is not None and (self.data.units is not None or self.customers_from_orders)

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


def as_of_not_in_future(p: Params) -> None:
    """The data's date is a day that has come."""
    if p.as_of > dt.date.today():
        raise ValueError(f"as_of {p.as_of} is in the future; use the last day of the period")


def sources_have_columns(p: Params) -> None:
    """Every data file given has its section naming its columns."""
    if p.data.units is not None and p.columns is None:
        raise ValueError(f"`{p.data.units_key}` is set, so `columns` must say each column's role")
    for key, section in (
        ("orders", p.orders),
        ("contacts", p.contacts),
        ("events", p.events),
        ("products", p.products),
    ):
        if getattr(p.data, key) is not None and section is None:
            raise ValueError(f"`data.{key}` is set, so `{key}` must name its columns")


def customers_built_from_orders(p: Params) -> None:
    """Customers built from their orders have only what the orders give: the customer id, the
    customer fields, and the fields derived from orders."""
    if not p.customers_from_orders or p.orders is None or p.columns is None:
        return
    if p.columns.id != p.orders.customer_id:
        raise ValueError(
            f"`columns.id`: customers built from the orders are known by `orders.customer_id`; "
            f"write `id: {p.orders.customer_id}`"
        )
    given = {p.columns.id, *p.orders.customer_fields, *DERIVED_FIELDS, *DERIVED_LABELS}
    unknown = [c for c in p.columns.role_of() if c not in given]
    if unknown:
        raise ValueError(
            f"`columns`: there is no customer file, so '{unknown[0]}' must be one of "
            "`orders.customer_fields` or a field derived from orders "
            f"({', '.join(f for f in DERIVED_FIELDS if f != 'days_to_convert')}); "
            "add it to `orders.customer_fields`, or give the customer file as `data.customers`"
        )


def pseudonymised_ids_are_ids(p: Params) -> None:
    """Only id columns are pseudonymised: the customers' id and the orders' customer id."""
    ids = {p.columns.id if p.columns else None, p.orders.customer_id if p.orders else None} - {None}
    other = [c for c in p.privacy.pseudonymise if c not in ids]
    if other:
        raise ValueError(
            f"`privacy.pseudonymise`: '{other[0]}' is not an id column; list `columns.id` or "
            "`orders.customer_id` (other personal columns go under `columns.personal`)"
        )
    if (
        p.columns
        and p.orders
        and p.data.units is not None
        and ((p.columns.id in p.privacy.pseudonymise) != (p.orders.customer_id in p.privacy.pseudonymise))
    ):
        raise ValueError(
            "`privacy.pseudonymise`: list both `columns.id` and `orders.customer_id`, so that the "
            "customers and their orders still link"
        )


def unit_matches_sources(p: Params) -> None:
    """Accounts are read from `data.accounts` and customers from `data.customers`, and contacts
    and events need the file of who they belong to."""
    if p.unit == "account" and p.data.customers is not None:
        raise ValueError(
            "`unit: account` reads companies from `data.accounts`; rename `data.customers` to "
            "`data.accounts` (people inside the accounts go under `data.contacts`)"
        )
    if p.unit == "customer" and p.data.accounts is not None:
        raise ValueError("`data.accounts` is set: add `unit: account` so the analyses count accounts")
    if p.data.contacts is not None and p.data.accounts is None:
        raise ValueError("`data.contacts` needs `data.accounts`: contacts are the people inside accounts")
    if p.data.events is not None and p.data.units is None:
        who = "accounts" if p.unit == "account" else "customers"
        raise ValueError(f"`data.events` needs the file of who the events belong to: `data.{who}`")


def products_join_the_orders(p: Params) -> None:
    """A product file is joined to the orders by their product column."""
    if p.data.products is None:
        return
    if p.data.orders is None or p.orders is None or not p.orders.product:
        raise ValueError(
            "`data.products` is joined to the orders by SKU: give `data.orders` with "
            "`orders.product` naming the orders' SKU column"
        )
    if p.orders.category:
        raise ValueError(
            "the category comes from `data.products` (`products.category`) or from the orders "
            "(`orders.category`), not both; remove one"
        )


def stick_point_has_its_log(p: Params) -> None:
    """A stick point over events needs a usage log."""
    if p.cohorts.stick_point.action == "events" and p.data.events is None:
        raise ValueError("`cohorts.stick_point.action: events` needs a usage log (`data.events`)")


def persona_columns_analysed(p: Params) -> None:
    """The personas' age and gender come from analysed demographic columns."""
    roles = p.columns.role_of() if p.columns else {}
    for key, col in (
        ("personas.age", p.personas.age),
        ("personas.gender.column", p.personas.gender and p.personas.gender.column),
    ):
        if col and roles.get(col) in (None, "personal", "hidden", "open_text", "id"):
            raise ValueError(
                f"`{key}`: '{col}' is not analysed (role: {roles.get(col, 'none')}); declare it under "
                "`columns.demographic`"
            )


NOT_CATEGORIES = ("id", "weight", "nps", "acquisition_cost", "acquisition_date", "acquisition_first_contact")


def value_labels_on_categories(p: Params) -> None:
    """Value labels name a category's codes; a number or a scale item keeps its values."""
    roles = p.columns.role_of() if p.columns else {}
    scale_items = set(p.columns.psychographic) if p.columns else set()
    for col in p.value_labels:
        role = roles.get(col, "")
        if role in NOT_CATEGORIES or col in scale_items:
            fix = (
                "it is on a named scale: give its answer labels there, under `scales.<name>.labels`"
                if col in scale_items
                else "a number keeps its values"
            )
            raise ValueError(
                f"`labels.values.{col}`: '{col}' is a {role or 'scale item'}, not a category; {fix}"
            )


def scales_hold_attitude_items_once(p: Params) -> None:
    """A named scale's items are psychographic items, each on one scale only."""
    psychographic = set(p.columns.psychographic) if p.columns else set()
    seen: dict[str, str] = {}
    for name, scale in p.scales.items():
        for item in scale.items:
            if item not in psychographic:
                raise ValueError(
                    f"`scales.{name}.items`: '{item}' is not a psychographic item; add it to "
                    "`columns.psychographic` (answer scales are for attitude items)"
                )
            if item in seen:
                raise ValueError(
                    f"`scales.{name}.items`: '{item}' is also on scale '{seen[item]}'; an item has one scale"
                )
            seen[item] = name


def crosstab_filters_defined(p: Params) -> None:
    """The banners, the comparisons with the rest and the base name defined filters."""
    crosstab = p.crosstab
    named = [(f"crosstab.banners[{i}].filters", f) for i, b in enumerate(crosstab.banners) for f in b.filters]
    named += [("crosstab.compare_with_rest", f) for f in crosstab.compare_with_rest]
    named += [("crosstab.base", crosstab.base)] if crosstab.base else []
    for key, name in named:
        if name not in p.filters:
            known = ", ".join(p.filters) or "none defined"
            raise ValueError(f"`{key}`: '{name}' is not a filter name (filters: {known})")


# in this order: the first broken rule is the one a user is told about
CONSISTENCY_RULES = (
    as_of_not_in_future,
    customers_built_from_orders,
    pseudonymised_ids_are_ids,
    sources_have_columns,
    unit_matches_sources,
    products_join_the_orders,
    stick_point_has_its_log,
    persona_columns_analysed,
    value_labels_on_categories,
    scales_hold_attitude_items_once,
    crosstab_filters_defined,
)
