"""The settings of each analysis step as the parameter file gives them: answer scales, the population's
name, privacy, validation, banners, stick point, cohorts, value, segments, typing tool, ICP, personas,
text, the previous run and Spark."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from helpers.core.expressions import FilterSyntaxError, parse_filter
from helpers.params.inputs import Strict, Value, value_key


class Likert(Strict):
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


def read_population(value: Any) -> Any:
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


class Population(Strict):
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


class Privacy(Strict):
    min_cell: int = Field(10, ge=1, description="hide table cells based on fewer respondents")
    not_personal: list[str] = Field(
        [],
        description="columns whose values look like e-mails, phones or names but are not "
        "(a false alarm of the personal-data scan)",
    )
    pseudonymise: list[str] = Field(
        [],
        description="id columns that hold personal data (a customer known by e-mail): each value "
        "is replaced at load by a keyed pseudonym, the same in every quarter; the value is dropped",
    )
    key_file: Path = Field(
        Path("../private/pseudonym.key"),
        description="the secret key of the pseudonyms (made on first use; relative to the "
        "parameter file's folder); keep it with the private files, never publish it",
    )


class Validation(Strict):
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


class ExploreParams(Strict):
    max_categories: int = Field(12, ge=2, description="show at most this many categories per chart")
    outlier_iqr: float = Field(3.0, gt=0, description="a value beyond this many IQRs is odd")


def _check_filter(expression: str) -> str:
    try:
        parse_filter(expression)
    except FilterSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return expression


FilterExpression = Annotated[str, AfterValidator(_check_filter)]


class Banner(Strict):
    """A group of banner columns: named filters, or every value of one column."""

    name: str
    filters: list[str] = []
    column: str | None = None

    @model_validator(mode="after")
    def _filters_or_column(self) -> Banner:
        if bool(self.filters) == bool(self.column):
            raise ValueError("give exactly one of `filters` (a list of filter names) or `column`")
        return self


class CrosstabParams(Strict):
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


class StickPointParams(Strict):
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


class CohortParams(Strict):
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


class ValueParams(Strict):
    """Customer value and churn risk (notebook 04_cohorts)."""

    model: Literal["bgnbd", "pareto_nbd", "sbg"] = Field(
        "bgnbd",
        description="bgnbd or pareto_nbd: customers who may buy at any time; sbg: subscriptions "
        "that renew or cancel each period (the cohorts' period)",
    )
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


class SegmentParams(Strict):
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


class TypingParams(Strict):
    """The typing tool that assigns newcomers (new leads, new respondents) to a segment."""

    questions: list[str] = Field([], description="golden questions; empty: the best five")
    propose: int = Field(5, ge=1, le=20)
    min_probability: float = Field(0.5, gt=0, lt=1)
    folds: int = Field(5, ge=2, le=10)
    sample_size: int = Field(
        20_000, ge=500, description="customers the typing tool is fitted on, stratified by segment"
    )


class IcpCriterion(Strict):
    name: str
    rule: FilterExpression
    points: float = Field(gt=0)


class IcpParams(Strict):
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


class PersonaGender(Strict):
    """The column that says a person's gender, and which of its values mean what (for the
    persona's name and face only; without it personas get gender-neutral names)."""

    column: str
    female: list[Value] = []
    male: list[Value] = []


class PersonaParams(Strict):
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


class TextParams(Strict):
    """Themes in open answers (see `helpers.data.text`)."""

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


class PreviousRun(Strict):
    """The run to compare with (quarter over quarter)."""

    period: str | None = Field(None, description="the previous period's name; none: no comparison")
    version: int | None = Field(None, ge=1, description="none: its latest published version")
    match_threshold: float = Field(0.3, gt=0, lt=1, description="overlap to count as the same segment")
    drift_threshold: float = Field(
        0.15, gt=0, lt=1, description="change in an agree share that counts as drift"
    )


class SparkSettings(Strict):
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
