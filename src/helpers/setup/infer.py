"""`workbook init`: guess a commented parameter file from a data file.

Reads the file(s) with the project's own readers, guesses each column's role from its values
first and its name second, and writes a parameter file in which every guess carries a comment
saying why and how sure. Nothing here is certain: the file is a first draft that runs, for the
user to confirm. No rule knows the demo: roles come from what values look like (e-mails, dates,
repeated ids, answer grids, ordered words, 0/1 picks) and from common names in several
languages of export (`cust_id`, `CustomerID`, `agea`, `cntry`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import WorkbookError
from helpers.core.names import name_tokens
from helpers.core.privacy import PERSONAL_PATTERNS, personal_share
from helpers.data.dataset import PERSONAL_SHARE
from helpers.data.readers import WHITESPACE, read_frame
from helpers.params.inputs import Source

SURE, LIKELY, GUESS = "sure", "likely", "guess"

# --- names ------------------------------------------------------------------------------------


def pretty(name: str) -> str:
    """A readable label from a column name: `MonthlyIncome` -> Monthly income; CDNOW stays."""
    caps = {w.lower() for w in re.findall(r"\b[A-Z]{2,}\b", re.sub(r"[_\W]+", " ", str(name)))}
    words = [w.upper() if w in caps else w for w in name_tokens(name)]
    if not words:
        return str(name)
    text = " ".join(words)
    return text[0].upper() + text[1:]


def has_word(tokens: list[str], words: Iterable[str], prefixes: Iterable[str] = ()) -> bool:
    """Whether a name has one of the words, or a word starting with one of the prefixes."""
    words, prefixes = set(words), tuple(prefixes)
    return any(t in words or (prefixes and t.startswith(prefixes)) for t in tokens)


ID_WORDS = {"id", "idno", "uuid", "guid", "key", "respondent", "respid", "responseid", "record", "rowid"}
WHO_WORDS = {"customer", "cust", "client", "user", "account", "member", "buyer", "person", "contact"}
ORDER_WORDS = {"order", "transaction", "invoice", "receipt", "purchase", "txn", "basket", "sale"}
PERSONAL_NAME_SETS = [
    {"name"},
    {"full", "name"},
    {"first", "name"},
    {"last", "name"},
    {"given", "name"},
    {"family", "name"},
    {"customer", "name"},
    {"contact", "name"},
]
PHONE_HINTS = {"number", "reach", "call", "contact", "whatsapp", "sms", "fax"}
PERSONAL_WORDS = set(
    "fullname firstname lastname surname forename email mail phone mobile telephone tel cell addr "
    "address street ssn passport iban ip dob birthdate birthday".split()
)
CHURN_WORDS = {"churn", "churned", "attrition", "exited", "left", "cancelled", "canceled", "lost", "lapsed"}
ACTIVE_WORDS = {"active", "retained", "stayed", "current", "subscribed"}
STATUS_VALUES = {
    "customer": {"customer", "active", "current", "member", "subscriber", "retained", "stayed", "existing"},
    "churned": {"churned", "churn", "cancelled", "canceled", "lost", "former", "left", "exited", "closed"},
    "lapsed": {"lapsed", "dormant", "inactive"},
    "prospect": {"prospect", "lead", "trial", "trialist", "prospective"},
}
YES = {"yes", "y", "true", "1", "t", "是", "ja", "oui", "si", "sí"}
NO = {"no", "n", "false", "0", "f", "否", "nein", "non"}
WEIGHT_WORDS = {"weight", "weights", "wt", "wgt", "pspwght", "dweight", "pweight", "anweight"}
NPS_WORDS = {"nps", "recommend", "recommendation"}
MONEY_WORDS = set(
    "amount revenue spend spent price cost sales payment paid charge fee salary income dollar "
    "dollars usd eur gbp monetary".split()
)
DEMOGRAPHIC_WORDS = {
    "age", "agea", "ages", "gender", "sex", "female", "male", "income", "salary", "earnings", "wage",
    "wages", "education", "edu", "eduyrs", "degree", "occupation", "job", "profession", "employment",
    "employed", "unemployed", "household", "hh", "marital", "married", "children", "kids", "family",
    "ethnicity", "race", "religion", "born", "birth", "nationality", "citizenship", "generation",
    "language",
}  # fmt: skip
ORDERED_DEMOGRAPHICS = {"age", "income", "salary", "education", "edu", "household", "hh", "generation"}
DEMOGRAPHIC_PREFIXES = (
    "income", "salar", "educ", "occup", "employ", "unempl", "househ", "marit", "ethnic", "relig",
    "national", "citizen", "hinc", "gender",
)  # fmt: skip
GEOGRAPHIC_WORDS = {
    "region", "state", "province", "country", "cntry", "county", "city", "town", "postcode",
    "postal", "zip", "zipcode", "district", "area", "location", "geo", "urban", "rural", "metro",
    "latitude", "longitude", "lat", "lon", "territory", "municipality", "continent", "nuts", "place",
}  # fmt: skip
GEOGRAPHIC_PREFIXES = ("region", "province", "countr", "postcode", "municipal", "territor")
PSYCHOGRAPHIC_WORDS = set("att agree opinion rating interest interests belief trust feel".split())
PSYCHOGRAPHIC_PREFIXES = tuple("attitud satisf agree import likel motiv happ sentiment scale".split())
COUNT_WORDS = set(
    "age count number num n times years year months days qty quantity total made calls visits "
    "orders minutes messages length size tenure yrs".split()
)
ACQ_DATE = [{"first", "order"}, {"first", "purchase"}, {"signup"}, {"sign", "up"}, {"joined"}]
ACQ_DATE += [{"registered"}, {"registration"}, {"acquired"}, {"acquisition", "date"}, {"since"}]
ACQ_DATE += [{"created"}, {"start"}, {"onboarded"}]
FIRST_CONTACT = [{"first", "contact"}, {"first", "seen"}, {"lead", "date"}, {"first", "visit"}]
CHANNEL_WORDS = {"channel", "source", "medium", "utm", "referrer"}
PROMO_WORDS = {"promo", "promotion", "coupon", "voucher", "campaign", "offer", "discount"}

# ordered answer words, low to high: a column whose every answer is one of these is a scale
WORD_SCALES: dict[str, tuple[list[list[str]], str, str]] = {
    "agreement": (
        [
            ["strongly disagree"],
            ["disagree", "somewhat disagree"],
            ["neither", "neutral", "neither agree nor disagree"],
            ["agree", "somewhat agree"],
            ["strongly agree"],
        ],
        "disagree",
        "agree",
    ),
    "satisfaction": (
        [
            ["very dissatisfied"],
            ["dissatisfied"],
            ["neutral", "neither"],
            ["satisfied"],
            ["very satisfied"],
        ],
        "dissatisfied",
        "satisfied",
    ),
    "likelihood": (
        [["very unlikely"], ["unlikely"], ["neutral", "neither"], ["likely"], ["very likely"]],
        "unlikely",
        "likely",
    ),
    "level": ([["very low"], ["low"], ["medium", "moderate"], ["high"], ["very high"]], "low", "high"),
    "quality": (
        [["very poor"], ["bad", "poor"], ["fair", "average"], ["good"], ["better", "very good"]]
        + [["best", "excellent"]],
        "poor",
        "good",
    ),
    "frequency": (
        [["never"], ["rarely", "seldom"], ["sometimes", "occasionally"], ["often"], ["always"]],
        "rarely",
        "often",
    ),
    "importance": (
        [["not", "not at all", "not important"], ["notvery", "not very", "not very important"]]
        + [["somewhat", "somewhat important"], ["very", "very important"], ["extremely"]],
        "unimportant",
        "important",
    ),
    "amount": ([["none"], ["a little", "little"], ["some"], ["a lot", "much"]], "little", "much"),
}
AGREEMENT_5 = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
AGREEMENT_7 = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither", "Somewhat agree"]
AGREEMENT_7 += ["Agree", "Strongly agree"]
GENERIC_STEMS = {"customers", "customer", "data", "export", "orders", "transactions", "file", "survey"}


def norm_word(value: object) -> str:
    """An answer as compared with the scale words: lower case, `_` and `-` as spaces."""
    return re.sub(r"[\s_-]+", " ", str(value).strip().lower())


# --- the facts about one column ---------------------------------------------------------------


@dataclass
class Facts:
    """What a column's values look like."""

    name: str
    kind: str  # empty, bool, int, float, date, text
    rows: int
    answered: int
    distinct: int
    values: list[Any]  # distinct answered values, most common first (at most 50)
    low: float | None = None
    high: float | None = None
    date_format: str | None = None
    decimal: str | None = None  # money written as text ($1,234.50): its decimal mark
    mean_length: float = 0.0
    mean_words: float = 0.0

    @property
    def unique(self) -> bool:
        """Different on every row, with no gap."""
        return self.answered == self.rows and self.distinct == self.rows

    @property
    def constant(self) -> bool:
        """One value (or none) on every row."""
        return self.distinct <= 1

    @property
    def tokens(self) -> list[str]:
        """The name's words."""
        return name_tokens(self.name)

    def span(self) -> str:
        """The values' range as written in a comment."""
        if self.low is None or self.high is None:
            return ""
        return f"{self.low:g}–{self.high:g}"


_YYYYMMDD = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_DATE_TEXT = re.compile(
    r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$"
)


_CURRENCY = r"(?:[A-Z]{3}|[$€£¥₹₩]|R\$|kr|zł|CHF|Fr\.?)"
_MONEY_TEXT = re.compile(
    rf"^\s*{_CURRENCY}?\s*-?\s*{_CURRENCY}?\s*"
    rf"\d{{1,3}}(?:[.,\s ]?\d{{3}})*(?:[.,]\d{{1,2}})?\s*{_CURRENCY}?\s*$"
)


def money_text_decimal(values: pd.Series) -> str | None:
    """The decimal mark of money written as text (`$1,234.50` '.', `1.234,50 €` ','); None when
    the values are not money text (plain numbers as text are numbers, not money text)."""
    text = values.dropna().astype(str)
    if text.empty or not text.str.match(_MONEY_TEXT).all():
        return None
    if not text.str.contains(rf"{_CURRENCY}|\d[.,\s]\d{{3}}\b").any():
        return None
    comma = text.str.contains(r",\d{1,2}\s*\D*$").sum()
    point = text.str.contains(r"\.\d{1,2}\s*\D*$").sum()
    return "," if comma > point else "."


_CURRENCY_MARK = re.compile(rf"^\s*(?P<a>{_CURRENCY})\s*-?\s*\d|\d\s*(?P<b>{_CURRENCY})\s*$")


def currency_in(frames: list[pd.DataFrame], sample: int = 2000) -> tuple[str, str]:
    """The currency that money written as text carries (`£12.50`, `12,50 EUR`) and the column it
    was seen in; ("", "") when no column writes one."""
    for frame in frames:
        for column in frame.columns:
            values = frame[column]
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            text = values.dropna().astype(str).head(sample)
            if text.empty or money_text_decimal(text) is None:
                continue
            marks = text.str.extract(_CURRENCY_MARK)
            found = marks["a"].fillna(marks["b"]).dropna()
            if len(found) > len(text) / 2:
                return str(found.value_counts().index[0]), str(column)
    return "", ""


def facts_of(name: str, values: pd.Series) -> Facts:
    """The facts of one column."""
    answered = values.dropna()
    if pd.api.types.is_string_dtype(answered) or answered.dtype == object:
        answered = answered[answered.astype(str).str.strip() != ""]
    rows, n = len(values), len(answered)
    counts = answered.value_counts()
    counts = counts[counts > 0]  # a categorical column's unused categories are not values
    base = dict(name=name, rows=rows, answered=n, distinct=len(counts), values=list(counts.index[:50]))
    if n == 0:
        return Facts(kind="empty", **base)
    if pd.api.types.is_bool_dtype(answered):
        return Facts(kind="bool", **base)
    if pd.api.types.is_datetime64_any_dtype(answered):
        return Facts(kind="date", **base)
    if pd.api.types.is_numeric_dtype(answered):
        num = answered.astype(float)
        whole = bool(np.all(np.mod(num.to_numpy(), 1) == 0))
        facts = Facts(kind="int" if whole else "float", low=float(num.min()), high=float(num.max()), **base)
        if whole and num.min() >= 19000101 and num.max() <= 21001231:
            sample = counts.index[:200].astype("int64").astype(str)
            if all(_YYYYMMDD.match(s) for s in sample):
                facts.kind, facts.date_format = "date", "%Y%m%d"
        return facts
    text = answered.astype(str)
    sample = pd.Series(counts.index[:500]).astype(str)
    if (sample.str.match(_DATE_TEXT) & sample.str.contains(r"\d{4}")).mean() >= 0.95 or (
        sample.str.len().between(8, 30).all()
        and pd.to_datetime(sample, errors="coerce", format="ISO8601").notna().mean() >= 0.95
    ):
        return Facts(kind="date", **base)
    if sample.str.match(_YYYYMMDD).all() and len(sample) > 1:
        return Facts(kind="date", date_format="%Y%m%d", **base)
    decimal = money_text_decimal(sample)
    if decimal:
        return Facts(kind="float", decimal=decimal, **base)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():  # numbers stored as text
        whole = bool(np.all(np.mod(numbers.to_numpy(float), 1) == 0))
        return Facts(
            kind="int" if whole else "float", low=float(numbers.min()), high=float(numbers.max()), **base
        )
    lengths = text.str.len()
    return Facts(
        kind="text",
        mean_length=float(lengths.mean()),
        # Chinese has no spaces: about two characters a word
        mean_words=float(np.maximum(text.str.count(r"\S+"), text.str.count(r"[\u3400-\u9fff]") / 2).mean()),
        **base,
    )


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Input:
    """A file as read, and the `data:` entry that reads it the same way."""

    path: Path
    frame: pd.DataFrame
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _looks_like_values(names: list[str]) -> bool:
    """Column names that are data: numbers or dates in the first line (a file with no header)."""

    def value_like(name: str) -> bool:
        text = str(name).strip()
        return bool(re.fullmatch(r"[-+]?\d+([.,]\d+)?", text) or _DATE_TEXT.match(text))

    return bool(names) and all(value_like(n) for n in names)


def read_input(path: Path, sheet: str | None = None) -> Input:
    """Read a data file as `workbook run` will, finding the delimiter and header it needs."""
    if not path.exists():
        raise WorkbookError(f"{path}: file not found; give the path of a CSV, Parquet, Excel or SPSS file")
    if path.is_dir():
        entry: dict[str, Any] = {"format": "parquet"}
    else:
        entry = {}
    source = Source(path=path, **entry, **({"sheet": sheet} if sheet else {}))
    if not source.kind:
        raise WorkbookError(
            f"{path}: cannot tell the format from the name '{path.name}'; rename it to end in "
            ".csv, .txt, .parquet, .xlsx or .sav"
        )
    notes: list[str] = []
    frame = read_frame(source)
    if source.kind == "csv" and frame.shape[1] == 1:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            first = [handle.readline() for _ in range(5)]
        if first and all(len(line.split()) >= 2 for line in first if line.strip()):
            entry["delimiter"] = WHITESPACE
            notes.append("columns are separated by runs of spaces")
            frame = read_frame(Source(path=path, delimiter=WHITESPACE))
    if source.kind == "csv" and "delimiter" not in entry and frame.shape[1] > 1:
        # written out, so that Spark (which does not sniff) reads the file the same way
        first = path.open("r", encoding="utf-8", errors="replace").readline()
        counts = {d: first.count(d) for d in (";", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best] >= frame.shape[1] - 1 and counts[best] > first.count(","):
            entry["delimiter"] = best
    if source.kind == "csv" and _looks_like_values([str(c) for c in frame.columns]):
        entry["header"] = False
        names = [f"column_{i + 1}" for i in range(frame.shape[1])]
        entry["names"] = names
        notes.append("the first line holds data, not column names")
        frame = read_frame(Source(path=path, **entry))
    if sheet:
        entry["sheet"] = sheet
    return Input(path=path, frame=frame, entry=entry, notes=notes)


# --- guesses ------------------------------------------------------------------------------------


@dataclass
class Guess:
    """One column's role, why, and how sure."""

    role: str  # a `columns` key (demographic, personal, …), acquisition.<field>, or "" (no role)
    why: str
    sure: str = LIKELY
    coded: bool = False  # few whole numbers that need value labels
    money: bool = False


@dataclass
class ScaleGuess:
    """An answer scale and its items."""

    name: str
    items: list[str]
    points: list[Any]  # numbers (low..high) or the file's words in order
    low: str
    high: str
    labels: dict[Any, str] = field(default_factory=dict)
    why: str = ""
    reversed_items: list[str] = field(default_factory=list)


@dataclass
class CustomerGuess:
    """Every guess about a customer (or survey, or CRM) file."""

    roles: dict[str, Guess]
    status: dict[str, list[Any]] = field(default_factory=dict)
    status_why: str = ""
    scales: list[ScaleGuess] = field(default_factory=list)
    multi: dict[str, dict[str, Any]] = field(default_factory=dict)
    placeholders: dict[str, dict[Any, str]] = field(default_factory=dict)
    unnamed_sets: list[str] = field(default_factory=list)
    file_labels: dict[str, str] = field(default_factory=dict)  # SPSS variable labels
    notes: list[str] = field(default_factory=list)  # what the user should decide, with its key
    facts: dict[str, Facts] = field(default_factory=dict)

    def columns_of(self, role: str) -> list[str]:
        """The columns given a role, in file order."""
        return [c for c, g in self.roles.items() if g.role == role]


def _personal(facts: Facts, values: pd.Series) -> Guess | None:
    """Personal data, by values first (names lie), then by name."""
    found = personal_share(values, sample=2000)
    if found and found[1] >= PERSONAL_SHARE:
        return Guess("personal", f"{100 * found[1]:.0f}% of the values are {found[0]}", SURE)
    if facts.kind == "int" and not (has_word(facts.tokens, ID_WORDS) or facts.name.lower().endswith("id")):
        # phone numbers read as numbers (the leading 0 or + lost): 9 to 13 digits, nearly all different
        digits = values.dropna().astype("int64", errors="ignore")
        if facts.distinct >= 0.9 * facts.answered and facts.answered >= 20:
            long = digits.abs().astype(float).between(1e8, 1e13).mean()
            if long >= 0.9 and has_word(facts.tokens, PHONE_HINTS | PERSONAL_WORDS):
                return Guess("personal", "9 to 13-digit numbers, nearly all different: phone numbers", SURE)
    if facts.kind == "text":
        text = values.dropna().astype(str)
        distinct = pd.Series(text.unique())
        distinct = distinct.sample(min(len(distinct), 5000), random_state=0)
        inside = distinct.str.contains(CONTACT)
        open_answers = _long_text(facts) and facts.distinct >= 100
        example = "an e-mail address or phone number"
        if open_answers:  # scrubbed at load, unless most answers are contact details
            rows = text.sample(min(len(text), 5000), random_state=0)
            share = float(rows.str.contains(CONTACT).mean()) if len(rows) else 0.0
            if share >= 0.5:
                return Guess("personal", f"{100 * share:.0f}% of the answers hold {example}", SURE)
        elif inside.any():  # any other text that holds a contact is one
            return Guess("personal", f"{inside.sum():,} of its values hold {example}", SURE)
    if facts.kind == "text" and facts.distinct >= 20:
        sample = pd.Series(facts.values).astype(str)
        for kind, pattern in _OTHER_PERSONAL.items():
            if sample.str.contains(pattern).mean() >= 0.5:
                return Guess("personal", f"its values are {kind}", SURE)
    if facts.kind == "text" and facts.distinct >= 20 and _names_share(facts) >= 0.5:
        # names that repeat (a few hundred people, or names in capitals) escape the loader's rule,
        # which needs mostly different values; here any column mostly of names is personal
        return Guess("personal", "its values read like person names", SURE)
    tokens = facts.tokens
    # by name only where the values could be someone's: many different ones (a yes/no
    # `voice_mail_plan` or an `email_opt_in` flag is no address), or dates (a birth date)
    varied = facts.distinct >= 20 or (facts.kind == "text" and _names_share(facts) >= 0.5)
    if any(s == set(tokens) for s in PERSONAL_NAME_SETS) and facts.kind == "text":
        # a `Name` of order numbers (#1001) is no person's name
        lettered = pd.Series(facts.values).astype(str).str.match(r"^[^\d#]*[^\W\d_]").mean()
        varied = varied and lettered >= 0.8
    if (facts.kind == "date" or (varied and facts.kind in ("text", "int"))) and (
        has_word(tokens, PERSONAL_WORDS)
        or any(s == set(tokens) for s in PERSONAL_NAME_SETS)
        or (facts.kind == "date" and has_word(tokens, {"birth", "born"}))
    ):
        return Guess(
            "personal", "named like personal data (name, e-mail, phone, address, birth date)", LIKELY
        )
    return None


_OTHER_PERSONAL = {
    "social-media handles": re.compile(r"^\s*@[\w.]{2,}\s*$"),
    "street addresses": re.compile(
        r"\b\d+[a-z]?\s+(?:\w+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|"
        r"boulevard|blvd|close|court|place|straße|strasse|weg|rue|calle|via)\b|"
        r"\b(?:straße|strasse|weg|rue|calle|via)\s+\w+\s+\d+",
        re.IGNORECASE,
    ),
}


# common given names of many countries: a value in capitals or in lower case counts as a name only
# when it starts with one (in Title Case the shape alone says so, as the loader's rule has it)
GIVEN_NAMES = frozenset(
    "james john robert michael william david richard joseph thomas charles mary patricia jennifer "
    "linda elizabeth barbara susan jessica sarah karen anna ben chen dana emil emma olivia sofia "
    "grace amelia chloe isla maya lucy hannah zara ruth oliver jack noah liam arjun omar peter mohammed "
    "muhammad ahmed ali fatima aisha hugo ines jonas lena lea luca marco giulia maria jose juan carlos "
    "ana lucia pedro pablo diego sofia wei li ming hui yan jun hao xin lin mei hiroshi yuki kenji "
    "sakura priya rahul amit anita sunita raj ivan olga dmitri natalia pia gita tom tim sam max alex "
    "daniel paul mark anne claire julie sophie louise pierre jean marie michel hans klaus anja petra "
    "eva jan piotr katarzyna ahmet mehmet ayse kim park lee nguyen tran".split()
)


def _names_share(facts: Facts) -> float:
    """The share of a text column's distinct values that read like person names: by their shape
    in Title Case (Anna Smith, Smith, Anna), or, in capitals or lower case, starting with a given
    name (ANNA SMITH, chen tanaka, TANAKA, Chen)."""
    values = pd.Series(facts.values[:50]).astype(str).str.strip()
    if values.empty:
        return 0.0
    pattern = PERSONAL_PATTERNS["person names"]
    titled = values.str.match(pattern)
    words = values.str.lower().str.replace(",", " ").str.split()
    known = words.map(lambda w: bool(w) and (w[0] in GIVEN_NAMES or w[-1] in GIVEN_NAMES))
    return float((titled | (values.str.title().str.match(pattern) & known)).mean())


CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|(?<![\d-])(?:\+?\(?\d[\d ().-]{7,}\d|1[3-9]\d{9})(?![\d-])")


def _long_text(facts: Facts) -> bool:
    """Answers in sentences: four words or more, and long (25 characters, or five words: a
    Chinese answer is short in characters)."""
    return (
        facts.kind == "text" and facts.mean_words >= 4 and (facts.mean_length >= 25 or facts.mean_words >= 5)
    )


def _status_mapping(facts: Facts) -> tuple[dict[str, list[Any]], str] | None:
    """Which values of a status-like column mean customer, churned, lapsed or prospect."""
    if not 2 <= facts.distinct <= 6 or facts.kind not in ("text", "int", "bool"):
        return None
    tokens = facts.tokens
    keys = {v: norm_word(v) for v in facts.values}
    if facts.kind == "bool":
        keys = {v: "true" if v else "false" for v in facts.values}
    churn_name, active_name = has_word(tokens, CHURN_WORDS), has_word(tokens, ACTIVE_WORDS)
    if (churn_name or active_name) and facts.distinct == 2 and set(keys.values()) <= (YES | NO):
        yes = [v for v, k in keys.items() if k in YES]
        no = [v for v, k in keys.items() if k in NO]
        if yes and no:
            if churn_name:
                return {"churned": yes, "customer": no}, f"named like churn; {yes[0]} = churned"
            return {"customer": yes, "churned": no}, f"named like active; {no[0]} = churned"
    mapping: dict[str, list[Any]] = {}
    for value, key in keys.items():
        group = next((g for g, words in STATUS_VALUES.items() if key in words), None)
        if group is None:
            return None
        mapping.setdefault(group, []).append(value)
    if len(mapping) >= 2:
        return mapping, "its values are status words"
    return None


def _word_scale(facts: Facts) -> tuple[str, list[Any]] | None:
    """An ordered word scale every answer of the column is on (at least 3 points used)."""
    if facts.kind != "text" or not 3 <= facts.distinct <= 11:
        return None
    for name, (levels, _low, _high) in WORD_SCALES.items():
        rank = {w: i for i, words in enumerate(levels) for w in words}
        ranks = {v: rank.get(norm_word(v)) for v in facts.values}
        if all(r is not None for r in ranks.values()) and len(set(ranks.values())) == len(ranks):
            return name, sorted(facts.values, key=lambda v: ranks[v])
    return None


def is_binary(facts: Facts) -> bool:
    """A 0/1 (or true/false) column."""
    return (
        facts.kind in ("int", "bool")
        and facts.distinct == 2
        and {facts.low, facts.high} <= {0.0, 1.0} | {None}
    )


def _delimited(values: pd.Series, facts: Facts) -> str | None:
    """The separator of a column that holds several picks per answer (`fashion;tech`)."""
    if facts.kind != "text":
        return None
    text = values.dropna().astype(str)
    text = text.sample(min(len(text), 3000), random_state=0)
    for sep in (";", "|", ","):
        has = text.str.contains(sep, regex=False)
        if has.mean() < 0.2:
            continue
        picks = text.str.split(sep, regex=False).explode().str.strip()
        picks = picks[picks != ""]
        if picks.nunique() <= 60 and picks.str.len().mean() <= 30 and picks.nunique() < facts.distinct:
            return sep
    return None


def _demographic(tokens: list[str]) -> bool:
    return has_word(tokens, DEMOGRAPHIC_WORDS, DEMOGRAPHIC_PREFIXES)


def _geographic(tokens: list[str]) -> bool:
    return has_word(tokens, GEOGRAPHIC_WORDS, GEOGRAPHIC_PREFIXES)


def _psychographic(tokens: list[str]) -> bool:
    return has_word(tokens, PSYCHOGRAPHIC_WORDS, PSYCHOGRAPHIC_PREFIXES)


def _dimension(tokens: list[str], default: str = "behavioural") -> tuple[str, str]:
    if _demographic(tokens):
        return "demographic", "named like a demographic"
    if _geographic(tokens):
        return "geographic", "named like a place"
    if default == "psychographic" or _psychographic(tokens):
        return "psychographic", "named like an attitude or interest"
    return default, "no name hint"


def _stem(name: str) -> str:
    tokens = name_tokens(name)
    if len(tokens) > 1 and re.search(r"[^A-Za-z0-9]", name):
        return tokens[0]
    letters = re.match(r"^([A-Za-z]+)\d", name)
    return letters.group(1).lower() if letters else tokens[0] if len(tokens) > 1 else name.lower()


def common_prefix(names: list[str]) -> str:
    """The start the names share, lower case."""
    return os.path.commonprefix([n.lower() for n in names])


TYPICAL_SCALES = {(1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 9), (1, 10), (0, 10)}


def _numeric_scales(candidates: list[Facts]) -> list[tuple[list[Facts], str]]:
    """Answer grids: neighbouring whole-number items on the same typical range that share a
    name stem (A1 … A5, att_price …, imbgeco/imueclt), and single items named like an attitude."""
    groups: list[tuple[list[Facts], str]] = []
    run: list[Facts] = []

    def close() -> None:
        if len(run) >= 2:
            prefix = common_prefix([f.name for f in run])
            stems = {_stem(f.name) for f in run}
            if len(stems) == 1 or len(prefix) >= 2:
                groups.append((list(run), f"{len(run)} neighbouring items answered {run[0].span()}"))
                run.clear()
                return
        for f in run:
            if _psychographic(f.tokens) or (f.low, f.high) == (0, 10):
                groups.append(([f], f"answered {f.span()}, named like a rating"))
        run.clear()

    previous: Facts | None = None
    for f in candidates:
        same = (
            previous is not None
            and (f.low, f.high) == (previous.low, previous.high)
            and (_stem(f.name) == _stem(previous.name) or len(common_prefix([f.name, previous.name])) >= 2)
        )
        if not same:
            close()
        run.append(f)
        previous = f
    close()
    return groups


def _reversed(frame: pd.DataFrame, items: list[str]) -> list[str]:
    """Items that run against the others of their grid (reverse-keyed: 'I waste my time')."""
    out = []
    stems: dict[str, list[str]] = {}
    for item in items:
        stems.setdefault(_stem(item), []).append(item)
    for group in stems.values():
        if len(group) < 3:
            continue
        if len(group) > 10:  # a long list of statements is no single construct to run against
            continue
        data = frame[group].apply(pd.to_numeric, errors="coerce")
        against = []
        for item in group:
            rest = data.drop(columns=item).mean(axis=1)
            r = data[item].corr(rest)
            if pd.notna(r) and r < -0.1:
                against.append(item)
        if len(against) < len(group) / 2:  # the minority runs against the majority
            out += against
    return out


def _weight_like(values: pd.Series, tokens: list[str]) -> bool:
    """A survey weight averages about 1, or counts the people each answer stands for (435 to
    43,515: a wide spread); a body weight (40–150 kg) does neither."""
    if values.empty or values.min() <= 0 or has_word(tokens, {"body", "kg", "kgs", "lb", "lbs", "pounds"}):
        return False
    return bool(0.2 <= values.mean() <= 5 or values.max() / values.min() >= 10)


def guess_customers(frame: pd.DataFrame) -> CustomerGuess:
    """Each column's role in a customer, survey or CRM file."""
    facts = {c: facts_of(str(c), frame[c]) for c in frame.columns}
    roles: dict[str, Guess] = {}
    labels = {str(k): str(v) for k, v in (frame.attrs.get("labels") or {}).items() if v}
    guess = CustomerGuess(roles=roles, facts=facts, file_labels=labels)
    for c, f in facts.items():
        found = _personal(f, frame[c])
        if found:
            roles[c] = found
        elif f.kind == "text" and _names_share(f) >= 0.5:
            shown = ", ".join(map(str, f.values[:2]))
            guess.notes.append(
                f"columns: {c} holds person names ({shown}, …) that repeat (staff? agents?); "
                "if they are people, move it to `columns.personal`"
            )
        elif f.kind == "empty":
            roles[c] = Guess("hidden", "no values at all", SURE)
        elif f.constant:
            roles[c] = Guess("hidden", f"the same value on every row ({f.values[0]})", SURE)

    # the id: unique on every row, named like an id (else the first such column)
    ids = [c for c, f in facts.items() if c not in roles and f.unique and f.kind in ("int", "text")]
    named = [c for c in ids if has_word(facts[c].tokens, ID_WORDS) or str(c).lower().endswith("id")]
    chosen = (named or ids[:1] or [None])[0]
    if chosen is None:
        raise WorkbookError(
            "no column is different on every row, so none can be the id; add one (a row number will "
            "do) and run `workbook init` again"
        )
    roles[chosen] = Guess(
        "id", "different on every row" + (", named like an id" if named else ""), SURE if named else LIKELY
    )

    for c, f in facts.items():
        if c in roles:
            continue
        tokens = f.tokens
        if f.decimal:
            roles[c] = Guess(
                "hidden",
                f"money written as text (e.g. {f.values[0]}); a customer file needs plain numbers: "
                "export it without currency signs to use it",
                SURE,
                money=True,
            )
            continue
        if f.kind == "date":
            if any(s <= set(tokens) for s in FIRST_CONTACT):
                roles[c] = Guess("acquisition.first_contact", "a date named like a first contact", LIKELY)
            elif any(s <= set(tokens) for s in ACQ_DATE):
                roles[c] = Guess("acquisition.date", "a date named like the start as a customer", LIKELY)
            else:
                roles[c] = Guess("hidden", "a date with no role the reports use", LIKELY)
            continue
        mapping = _status_mapping(f)
        if (
            mapping
            and not guess.status
            and (
                has_word(tokens, CHURN_WORDS | ACTIVE_WORDS | {"status", "state", "stage", "lifecycle"})
                or mapping[1].startswith("its values")
            )
            and not has_word(tokens, {"marital", "civil"})
        ):
            roles[c] = Guess("status", mapping[1], LIKELY)
            guess.status, guess.status_why = mapping
            continue
        if (
            has_word(tokens, WEIGHT_WORDS)
            and f.kind in ("int", "float")
            and (f.low or 0) > 0
            and _weight_like(pd.to_numeric(frame[c], errors="coerce").dropna(), tokens)
        ):
            roles[c] = Guess("weight", "positive numbers named like a weight", SURE)
            continue
        if (
            has_word(tokens, NPS_WORDS)
            and f.kind == "int"
            and f.low is not None
            and f.low >= 0
            and 9 <= (f.high or 0) <= 10
        ):
            roles[c] = Guess("nps", "answers 0–10, named like a likelihood to recommend", SURE)
            continue
        if f.kind == "float" and not any(g.role == "weight" for g in roles.values()):
            values = pd.to_numeric(frame[c], errors="coerce").dropna()
            if (
                values.min() > 0
                and 0.9 <= values.mean() <= 1.1
                and values.std() > 0.05
                and not has_word(tokens, MONEY_WORDS)
            ):  # only said: a wrong weight would silently change every figure
                guess.notes.append(
                    f"columns.weight: {c} is positive with mean {values.mean():.2f}, like a survey "
                    "weight; if it is one, write `weight: " + str(c) + "` under `columns`"
                )
        if f.kind == "text" and (
            has_word(tokens, PROMO_WORDS) and not has_word(tokens, {"preference", "preferred"})
        ):
            roles[c] = Guess("acquisition.promotion", "named like a promotion or coupon code", LIKELY)
            continue
        if (
            f.kind == "text"
            and has_word(tokens, CHANNEL_WORDS)
            and not has_word(tokens, {"preference", "preferred", "favourite", "favorite"})
        ):
            roles[c] = Guess("acquisition.channel", "named like the channel that brought them", LIKELY)
            continue
        if f.kind in ("int", "float") and (
            has_word(tokens, {"cac"})
            or (has_word(tokens, {"cost"}) and has_word(tokens, {"acquisition", "acq", "marketing"}))
        ):
            roles[c] = Guess("acquisition.cost", "named like the cost of acquiring them", LIKELY, money=True)
            continue
        if _long_text(f) and (f.distinct >= 0.5 * f.answered or f.distinct >= 100):
            roles[c] = Guess(
                "open_text", f"answers in words (about {f.mean_words:.0f} words each, mostly different)", SURE
            )
            continue
        sep = _delimited(frame[c], f)
        if sep:
            dim, why = _dimension(tokens)
            guess.multi[str(c)] = {"dimension": dim, "column": c, "separator": sep, "label": pretty(c)}
            roles[c] = Guess(
                f"multi_response:{c}", f"several picks per answer, joined by '{sep}'; {why}", LIKELY
            )
            continue

    # answer scales in words
    word_scales: dict[tuple[str, tuple], list[str]] = {}
    for c, f in facts.items():
        if c in roles:
            continue
        found = _word_scale(f)
        if found and not has_word(f.tokens, ORDERED_DEMOGRAPHICS, ("income", "salar", "educ")):
            word_scales.setdefault((found[0], tuple(found[1])), []).append(c)
    for (kind, points), items in word_scales.items():
        _levels, low, high = WORD_SCALES[kind]
        labels = {p: str(p).replace("_", " ").capitalize() for p in points if "_" in str(p)}
        name = kind if not any(s.name == kind for s in guess.scales) else f"{kind}_{len(guess.scales) + 1}"
        why = "ordered words: " + " < ".join(str(p) for p in points)
        guess.scales.append(ScaleGuess(name, items, list(points), low, high, labels, why))
        for c in items:
            roles[c] = Guess(
                "psychographic", f"answers on an ordered scale ({' < '.join(map(str, points))})", LIKELY
            )

    # answer grids in numbers, and 0/1 picks as multiple-response sets
    pending = [f for c, f in facts.items() if c not in roles]
    candidates = [
        f
        for f in pending
        if f.kind == "int"
        and (f.low, f.high) in TYPICAL_SCALES
        and f.distinct >= 3
        and not _demographic(f.tokens)
        and not _geographic(f.tokens)
        and not has_word(f.tokens, COUNT_WORDS)
    ]
    for items, why in _numeric_scales(candidates):
        names = [f.name for f in items]
        low, high = int(items[0].low or 0), int(items[0].high or 0)
        tokens = [t for f in items for t in f.tokens]
        words = (
            ("dissatisfied", "satisfied")
            if has_word(tokens, {"sat", "csat"}, ("satisf",))
            else (
                ("unlikely", "likely")
                if has_word(tokens, (), ("likel", "recommend"))
                else ("unimportant", "important")
                if has_word(tokens, (), ("import",))
                else ("disagree", "agree")
                if (low, high) in ((1, 5), (1, 7))
                else ("low", "high")
            )
        )
        labels: dict[Any, str] = {}
        if words == ("disagree", "agree") and (low, high) == (1, 5):
            labels = dict(zip(range(1, 6), AGREEMENT_5, strict=True))
        elif words == ("disagree", "agree") and (low, high) == (1, 7):
            labels = dict(zip(range(1, 8), AGREEMENT_7, strict=True))
        else:
            labels = {low: f"{low} ({words[0]})", high: f"{high} ({words[1]})"}
        stem = common_prefix(names).strip("_-") if len(names) > 1 else _stem(names[0])
        guess.scales.append(
            ScaleGuess(
                re.sub(r"[^a-z0-9_]", "_", stem.lower()) or "scale",
                names,
                list(range(low, high + 1)),
                words[0],
                words[1],
                labels,
                why,
                _reversed(frame, names),
            )
        )
        for f in items:
            roles[f.name] = Guess("psychographic", why + ("" if len(items) > 1 else ""), LIKELY)

    binaries = [f for c, f in facts.items() if c not in roles and is_binary(f)]
    _binary_sets(guess, binaries, list(facts))

    # everything else: a category or a number, in the dimension its name suggests
    for c, f in facts.items():
        if c in roles:
            continue
        tokens = f.tokens
        money = has_word(tokens, MONEY_WORDS) and f.kind in ("int", "float")
        if f.kind == "text" and f.distinct == f.answered and f.answered > 50:
            roles[c] = Guess(
                "", "a different text on every row: neither a category nor an answer in words", SURE
            )
            continue
        if f.kind == "text" and f.distinct > 200 and f.distinct > 0.5 * f.answered:
            roles[c] = Guess("", f"{f.distinct:,} different short texts: too many for a category", LIKELY)
            continue
        dim, why = _dimension(tokens)
        if dim == "psychographic":  # attitude items are answers on a scale; this one is not
            dim, why = "behavioural", "named like an attitude, but not answered on a scale"
        coded = (
            f.kind == "int"
            and (f.low or 0) >= 1
            and f.distinct <= 12
            and (f.high or 0) - (f.low or 0) + 1 <= 2 * f.distinct
            and not has_word(tokens, COUNT_WORDS)
        ) or is_binary(f)
        if coded and f.kind == "int":
            why = f"{f.distinct} whole-number codes ({f.span()}); " + why
        elif f.kind in ("int", "float"):
            why = f"numbers {f.span()}; " + why
        elif f.kind in ("text", "bool"):
            why = f"{f.distinct} categories; " + why
        sure = GUESS if why.endswith("are") or "no name hint" in why else LIKELY
        roles[c] = Guess(dim, why, sure, coded=coded and f.kind == "int", money=money)
        if coded and f.kind == "int":
            codes = sorted(int(v) for v in f.values)
            if is_binary(f):
                guess.placeholders[str(c)] = {0: "No", 1: "Yes"}
            else:
                guess.placeholders[str(c)] = {v: str(v) for v in codes}

    _hide_duplicates(guess, frame)
    return guess


# names that say a file is about a workforce (an HR export), a patient list or members
HR_WORDS = {"attrition", "employee", "employees", "staff", "department", "overtime", "hire", "hired"}
HR_WORDS |= {"payroll", "worklife", "salary"}
HR_SURE = {"attrition", "employee", "employees", "payroll"}  # one of these is enough
PATIENT_WORDS = {"patient", "patients", "diagnosis", "admission", "admitted", "discharge", "ward"}
MEMBER_WORDS = {"member", "members", "membership"}


def guess_population(cg: CustomerGuess | None, has_orders: bool) -> tuple[str, str]:
    """What the people of a file are called (plural) and why: employees in an HR export,
    respondents in a survey (attitude answers or a weight, no orders, no status), else customers."""
    if cg is None:
        return "customers", "a transaction log: the people who ordered"
    tokens = {t for f in cg.facts.values() for t in f.tokens} | {
        t for c in cg.facts for t in name_tokens(str(c).replace("_", ""))
    }
    hr = tokens & HR_WORDS
    if (hr & HR_SURE or len(hr) >= 2) and (cg.status or "attrition" in hr):
        return "employees", "an HR file (columns named " + ", ".join(sorted(hr)[:3]) + ")"
    if tokens & PATIENT_WORDS:
        return "patients", "named like patient records"
    if has_orders:
        return "customers", "people with orders"
    if cg.status:
        return "customers", "a status column says who left or stayed"
    if cg.scales or cg.columns_of("weight"):
        return "respondents", "a survey: answers on scales, no orders and no status"
    if tokens & MEMBER_WORDS:
        return "members", "named like a membership file"
    return "customers", "one row per customer (no survey answers)"


def _binary_sets(guess: CustomerGuess, binaries: list[Facts], order: list[str]) -> None:
    """0/1 columns that belong together (a shared prefix, or three or more side by side) form a
    multiple-response set; a lone 0/1 column is a yes/no category."""
    position = {c: i for i, c in enumerate(order)}
    runs: list[list[Facts]] = []
    for f in binaries:
        if runs and position[f.name] == position[runs[-1][-1].name] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    by_prefix: dict[str, list[Facts]] = {}
    for f in binaries:
        tokens = f.tokens
        if len(tokens) > 1:
            by_prefix.setdefault(tokens[0], []).append(f)
    used: set[str] = set()
    sets: list[tuple[str, list[Facts], str]] = []
    for prefix, members in by_prefix.items():
        if len(members) >= 3:
            sets.append((prefix, members, f"{len(members)} 0/1 columns named {prefix}_…"))
            used |= {m.name for m in members}
    for run in runs:
        run = [f for f in run if f.name not in used]
        if len(run) >= 3:
            name = common_prefix([f.name for f in run]).strip("_-") or f"picks_{len(sets) + 1}"
            sets.append((name, run, f"{len(run)} neighbouring 0/1 columns ({run[0].name} … {run[-1].name})"))
    for name, members, why in sets:
        key = re.sub(r"[^A-Za-z0-9_]", "_", name)
        dim, dim_why = _dimension([t for m in members for t in m.tokens])
        if key.startswith("picks_"):
            guess.unnamed_sets.append(key)
        guess.multi[key] = {
            "dimension": dim,
            "columns": [m.name for m in members],
            "label": pretty(name)
            if not name.startswith("picks_")
            else f"Picks ({members[0].name} … {members[-1].name})",
        }
        for m in members:
            guess.roles[m.name] = Guess(
                f"multi_response:{key}", f"{why}: one multiple-response question", LIKELY
            )


def _hide_duplicates(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """A number that another one fixes exactly (charges = minutes × rate) adds nothing: hidden."""
    numeric = [
        c
        for c, g in guess.roles.items()
        if g.role in ("demographic", "geographic", "behavioural")
        and guess.facts[c].kind in ("int", "float")
        and guess.facts[c].distinct > 12
    ]
    if len(numeric) < 2:
        return
    data = frame[numeric].apply(pd.to_numeric, errors="coerce")
    if len(data) > 20000:
        data = data.sample(20000, random_state=0)
    corr = data.corr().abs()
    kept: list[str] = []
    for c in numeric:
        twin = next((k for k in kept if corr.loc[c, k] >= 0.995), None)
        if twin is None:
            kept.append(c)
        else:
            guess.roles[c] = Guess(
                "hidden", f"the same information as {twin} (r = {corr.loc[c, twin]:.3f})", SURE
            )


# --- orders -----------------------------------------------------------------------------------------


@dataclass
class OrdersGuess:
    """The columns of a transaction log."""

    columns: dict[str, str]  # OrderColumns key -> column
    why: dict[str, str]
    timestamp_format: str | None
    decimal: str | None = None
    unused: dict[str, str] = field(default_factory=dict)  # column -> what it looked like
    last_date: dt.date | None = None
    first_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)


def _repeating_id(facts: dict[str, Facts], headerless: bool) -> str | None:
    """The column naming who placed each row, when ids repeat (a transaction log)."""
    for f in facts.values():
        if f.kind not in ("int", "text") or f.unique or f.distinct < 2:
            continue
        named = has_word(f.tokens, ID_WORDS | WHO_WORDS) or f.name.lower().endswith("id")
        if has_word(f.tokens, ORDER_WORDS) and not has_word(f.tokens, WHO_WORDS):
            continue
        if (named or headerless) and f.rows / max(f.distinct, 1) >= 1.2 and f.distinct >= 10:
            return f.name
    return None


def is_transaction_log(frame: pd.DataFrame, headerless: bool = False) -> tuple[bool, str]:
    """Whether a file is a transaction log (ids that repeat, with a date), and why."""
    facts = {str(c): facts_of(str(c), frame[c]) for c in frame.columns}
    who = _repeating_id(facts, headerless)
    dates = [c for c, f in facts.items() if f.kind == "date"]
    if who and dates:
        per = len(frame) / max(facts[who].distinct, 1)
        return True, f"'{who}' repeats (about {per:.1f} rows per id) and '{dates[0]}' holds dates"
    return False, ""


def as_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    """A column of dates as timestamps (missing where unreadable)."""
    if fmt:
        return pd.to_datetime(
            values.astype("Int64").astype(str) if pd.api.types.is_numeric_dtype(values) else values,
            format=fmt,
            errors="coerce",
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values)
    return pd.to_datetime(values.astype(str), errors="coerce", format="mixed")


_DMY = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}:\d{2})(:\d{2})?)?\s*$")


def numeric_date_format(values: pd.Series) -> tuple[str | None, str]:
    """The strptime format of dates written 05/03/2024 (day or month first, told by a part above
    12), and why; None with the reason when the column does not say which comes first."""
    parts = values.dropna().astype(str).str.extract(_DMY)
    if parts[0].isna().any() or parts.empty:
        return None, ""
    first, second = parts[0].astype(int), parts[2].astype(int)
    sep = parts[1].iloc[0]
    time = (" %H:%M" + (":%S" if parts[5].notna().any() else "")) if parts[4].notna().any() else ""
    if (first > 12).any() and not (second > 12).any():
        return f"%d{sep}%m{sep}%Y{time}", "day first (a day above 12 comes first)"
    if (second > 12).any() and not (first > 12).any():
        return f"%m{sep}%d{sep}%Y{time}", "month first (a day above 12 comes second)"
    return None, "dates such as 05/03/2024 that could be day-first or month-first"


def guess_orders(frame: pd.DataFrame, headerless: bool = False) -> OrdersGuess:
    """The customer id, timestamp, amount and order id of a transaction log."""
    facts = {str(c): facts_of(str(c), frame[c]) for c in frame.columns}
    cols: dict[str, str] = {}
    why: dict[str, str] = {}
    who = _repeating_id(facts, headerless)
    if who is None:
        raise WorkbookError(
            "cannot tell which column says who placed each order: no id-like column repeats; "
            "name it customer_id (or give the customer file with --orders)"
        )
    cols["customer_id"] = who
    why[who] = f"ids that repeat ({facts[who].distinct:,} people over {len(frame):,} rows)"
    dates = [f for f in facts.values() if f.kind == "date"]
    if not dates:
        raise WorkbookError("the orders file has no column of dates or times; orders need a timestamp")
    named = [
        f
        for f in dates
        if has_word(f.tokens, {"date", "time", "ts", "timestamp", "at", "datetime", "created", "ordered"})
    ]
    stamp = (named or dates)[0]
    cols["timestamp"] = stamp.name
    why[stamp.name] = "dates" + (f" written as {stamp.date_format}" if stamp.date_format else "")
    order_ids = [
        f
        for f in facts.values()
        if f.kind in ("int", "text")
        and f.name != who
        and f.distinct >= 0.99 * f.rows
        and f.answered == f.rows
    ]
    named_ids = [f for f in order_ids if has_word(f.tokens, ORDER_WORDS | ID_WORDS)]
    if named_ids:
        cols["order_id"] = named_ids[0].name
        why[named_ids[0].name] = "different on every row, named like an order id"
    numbers = [f for f in facts.values() if f.kind in ("int", "float") and f.name not in cols.values()]
    # the order's value: amount or total before subtotal, net or gross
    rank = ["amount", "total", "value", "revenue", "sales", "paid", "price", "net", "gross", "subtotal"]
    money = [f for f in numbers if has_word(f.tokens, MONEY_WORDS | set(rank))]
    money.sort(key=lambda f: min([rank.index(t) for t in f.tokens if t in rank] or [len(rank)]))
    floats = [f for f in numbers if f.kind == "float" and not has_word(f.tokens, COUNT_WORDS | ID_WORDS)]
    amount = (money or floats or [None])[0]
    if amount is not None:
        cols["amount"] = amount.name
        why[amount.name] = "named like money" if money else "numbers with cents"
        if amount.decimal:
            why[amount.name] = f"money written as text (e.g. {amount.values[0]})"
    for key, words in (("full_price", {"full", "price"}), ("prepaid", {"prepaid"})):
        for f in facts.values():
            if (
                f.name not in cols.values()
                and set(words) <= set(f.tokens)
                and (f.kind == "bool" or is_binary(f))
            ):
                cols[key] = f.name
                why[f.name] = f"yes/no, named {key.replace('_', ' ')}"
    unused = {}
    for f in facts.values():
        if f.name in cols.values():
            continue
        if has_word(f.tokens, CHANNEL_WORDS):
            unused[f.name] = "a channel per order"
        elif has_word(f.tokens, PROMO_WORDS):
            unused[f.name] = "a promotion per order"
        else:
            unused[f.name] = f"{f.kind}, {f.distinct:,} values"
    notes: list[str] = []
    if stamp.date_format is None and not pd.api.types.is_datetime64_any_dtype(frame[stamp.name]):
        fmt, fmt_why = numeric_date_format(frame[stamp.name])
        if fmt:
            stamp.date_format = fmt
            why[stamp.name] = f"dates written {fmt_why}"
        elif fmt_why:
            notes.append(f"orders.timestamp_format: {stamp.name} holds {fmt_why}; write %d/%m/%Y or %m/%d/%Y")
    stamps = as_dates(frame[stamp.name], stamp.date_format).dropna()
    out = OrdersGuess(cols, why, stamp.date_format, amount.decimal if amount else None, unused)
    out.notes = notes
    if len(stamps):
        out.first_date, out.last_date = stamps.min().date(), stamps.max().date()
    return out
