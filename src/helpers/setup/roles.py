"""A column's role guessed from its facts: the guesses' types, the tests a column is put to (personal
data, a status, a scale, a set of picks) and the naming rules tried in order."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers.core.names import name_tokens
from helpers.core.privacy import PERSONAL_PATTERNS, personal_share
from helpers.data.checks import PERSONAL_SHARE
from helpers.setup.facts import Facts
from helpers.setup.words import (
    ACQ_DATE,
    ACTIVE_WORDS,
    CHANNEL_WORDS,
    CHURN_WORDS,
    DEMOGRAPHIC_PREFIXES,
    DEMOGRAPHIC_WORDS,
    FIRST_CONTACT,
    GEOGRAPHIC_PREFIXES,
    GEOGRAPHIC_WORDS,
    ID_WORDS,
    MONEY_WORDS,
    NO,
    NPS_WORDS,
    PERSONAL_NAME_SETS,
    PERSONAL_WORDS,
    PHONE_HINTS,
    PROMO_WORDS,
    PSYCHOGRAPHIC_PREFIXES,
    PSYCHOGRAPHIC_WORDS,
    STATUS_VALUES,
    WEIGHT_WORDS,
    WORD_SCALES,
    YES,
    has_word,
    norm_word,
    pretty,
)

# how sure a guess is
SURE = "sure"


LIKELY = "likely"


GUESS = "guess"


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


def personal_guess(facts: Facts, values: pd.Series) -> Guess | None:
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
        open_answers = is_long_text(facts) and facts.distinct >= 100
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
        for kind, pattern in OTHER_PERSONAL.items():
            if sample.str.contains(pattern).mean() >= 0.5:
                return Guess("personal", f"its values are {kind}", SURE)
    if facts.kind == "text" and facts.distinct >= 20 and names_share(facts) >= 0.5:
        # names that repeat (a few hundred people, or names in capitals) escape the loader's rule,
        # which needs mostly different values; here any column mostly of names is personal
        return Guess("personal", "its values read like person names", SURE)
    tokens = facts.tokens
    # by name only where the values could be someone's: many different ones (a yes/no
    # `voice_mail_plan` or an `email_opt_in` flag is no address), or dates (a birth date)
    varied = facts.distinct >= 20 or (facts.kind == "text" and names_share(facts) >= 0.5)
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


OTHER_PERSONAL = {
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


def names_share(facts: Facts) -> float:
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


def is_long_text(facts: Facts) -> bool:
    """Answers in sentences: four words or more, and long (25 characters, or five words: a
    Chinese answer is short in characters)."""
    return (
        facts.kind == "text" and facts.mean_words >= 4 and (facts.mean_length >= 25 or facts.mean_words >= 5)
    )


def status_mapping(facts: Facts) -> tuple[dict[str, list[Any]], str] | None:
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


def word_scale_of(facts: Facts) -> tuple[str, list[Any]] | None:
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


def separator_of(values: pd.Series, facts: Facts) -> str | None:
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


def is_demographic(tokens: list[str]) -> bool:
    return has_word(tokens, DEMOGRAPHIC_WORDS, DEMOGRAPHIC_PREFIXES)


def is_geographic(tokens: list[str]) -> bool:
    return has_word(tokens, GEOGRAPHIC_WORDS, GEOGRAPHIC_PREFIXES)


def is_psychographic(tokens: list[str]) -> bool:
    return has_word(tokens, PSYCHOGRAPHIC_WORDS, PSYCHOGRAPHIC_PREFIXES)


def dimension_of(tokens: list[str], default: str = "behavioural") -> tuple[str, str]:
    if is_demographic(tokens):
        return "demographic", "named like a demographic"
    if is_geographic(tokens):
        return "geographic", "named like a place"
    if default == "psychographic" or is_psychographic(tokens):
        return "psychographic", "named like an attitude or interest"
    return default, "no name hint"


def stem_of(name: str) -> str:
    tokens = name_tokens(name)
    if len(tokens) > 1 and re.search(r"[^A-Za-z0-9]", name):
        return tokens[0]
    letters = re.match(r"^([A-Za-z]+)\d", name)
    return letters.group(1).lower() if letters else tokens[0] if len(tokens) > 1 else name.lower()


def common_prefix(names: list[str]) -> str:
    """The start the names share, lower case."""
    return os.path.commonprefix([n.lower() for n in names])


TYPICAL_SCALES = {(1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 9), (1, 10), (0, 10)}


def numeric_scales(candidates: list[Facts]) -> list[tuple[list[Facts], str]]:
    """Answer grids: neighbouring whole-number items on the same typical range that share a
    name stem (A1 … A5, att_price …, imbgeco/imueclt), and single items named like an attitude."""
    groups: list[tuple[list[Facts], str]] = []
    run: list[Facts] = []

    def close() -> None:
        if len(run) >= 2:
            prefix = common_prefix([f.name for f in run])
            stems = {stem_of(f.name) for f in run}
            if len(stems) == 1 or len(prefix) >= 2:
                groups.append((list(run), f"{len(run)} neighbouring items answered {run[0].span()}"))
                run.clear()
                return
        for f in run:
            if is_psychographic(f.tokens) or (f.low, f.high) == (0, 10):
                groups.append(([f], f"answered {f.span()}, named like a rating"))
        run.clear()

    previous: Facts | None = None
    for f in candidates:
        same = (
            previous is not None
            and (f.low, f.high) == (previous.low, previous.high)
            and (
                stem_of(f.name) == stem_of(previous.name) or len(common_prefix([f.name, previous.name])) >= 2
            )
        )
        if not same:
            close()
        run.append(f)
        previous = f
    close()
    return groups


def reversed_items_of(frame: pd.DataFrame, items: list[str]) -> list[str]:
    """Items that run against the others of their grid (reverse-keyed: 'I waste my time')."""
    out = []
    stems: dict[str, list[str]] = {}
    for item in items:
        stems.setdefault(stem_of(item), []).append(item)
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


def weight_like(values: pd.Series, tokens: list[str]) -> bool:
    """A survey weight averages about 1, or counts the people each answer stands for (435 to
    43,515: a wide spread); a body weight (40–150 kg) does neither."""
    if values.empty or values.min() <= 0 or has_word(tokens, {"body", "kg", "kgs", "lb", "lbs", "pounds"}):
        return False
    return bool(0.2 <= values.mean() <= 5 or values.max() / values.min() >= 10)


def _money_as_text(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    if f.decimal:
        return Guess(
            "hidden",
            f"money written as text (e.g. {f.values[0]}); a customer file needs plain numbers: "
            "export it without currency signs to use it",
            SURE,
            money=True,
        )
    return None


def _date_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    if f.kind != "date":
        return None
    if any(s <= set(f.tokens) for s in FIRST_CONTACT):
        return Guess("acquisition.first_contact", "a date named like a first contact", LIKELY)
    if any(s <= set(f.tokens) for s in ACQ_DATE):
        return Guess("acquisition.date", "a date named like the start as a customer", LIKELY)
    return Guess("hidden", "a date with no role the reports use", LIKELY)


def _status_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    """The first column whose values map to customer, churned, … and that is named like a status."""
    mapping = status_mapping(f)
    if (
        mapping
        and not guess.status
        and (
            has_word(f.tokens, CHURN_WORDS | ACTIVE_WORDS | {"status", "state", "stage", "lifecycle"})
            or mapping[1].startswith("its values")
        )
        and not has_word(f.tokens, {"marital", "civil"})
    ):
        guess.status, guess.status_why = mapping
        return Guess("status", mapping[1], LIKELY)
    return None


def _weight_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    if (
        has_word(f.tokens, WEIGHT_WORDS)
        and f.kind in ("int", "float")
        and (f.low or 0) > 0
        and weight_like(pd.to_numeric(values, errors="coerce").dropna(), f.tokens)
    ):
        return Guess("weight", "positive numbers named like a weight", SURE)
    return None


def _nps_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    if has_word(f.tokens, NPS_WORDS) and f.kind == "int" and f.low is not None and f.low >= 0:
        if 9 <= (f.high or 0) <= 10:
            return Guess("nps", "answers 0–10, named like a likelihood to recommend", SURE)
    return None


def _weight_note(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    """A float that looks like a survey weight is only said: a wrong weight would silently change
    every figure."""
    if f.kind == "float" and not any(g.role == "weight" for g in guess.roles.values()):
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        if (
            numbers.min() > 0
            and 0.9 <= numbers.mean() <= 1.1
            and numbers.std() > 0.05
            and not has_word(f.tokens, MONEY_WORDS)
        ):
            guess.notes.append(
                f"columns.weight: {values.name} is positive with mean {numbers.mean():.2f}, like a survey "
                "weight; if it is one, write `weight: " + str(values.name) + "` under `columns`"
            )
    return None


def _acquisition_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    """The promotion, channel or cost of acquiring them, by name."""
    tokens = f.tokens
    if (
        f.kind == "text"
        and has_word(tokens, PROMO_WORDS)
        and not has_word(tokens, {"preference", "preferred"})
    ):
        return Guess("acquisition.promotion", "named like a promotion or coupon code", LIKELY)
    if (
        f.kind == "text"
        and has_word(tokens, CHANNEL_WORDS)
        and not has_word(tokens, {"preference", "preferred", "favourite", "favorite"})
    ):
        return Guess("acquisition.channel", "named like the channel that brought them", LIKELY)
    if f.kind in ("int", "float") and (
        has_word(tokens, {"cac"})
        or (has_word(tokens, {"cost"}) and has_word(tokens, {"acquisition", "acq", "marketing"}))
    ):
        return Guess("acquisition.cost", "named like the cost of acquiring them", LIKELY, money=True)
    return None


def _open_text_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    if is_long_text(f) and (f.distinct >= 0.5 * f.answered or f.distinct >= 100):
        return Guess(
            "open_text", f"answers in words (about {f.mean_words:.0f} words each, mostly different)", SURE
        )
    return None


def _multi_response_role(guess: CustomerGuess, values: pd.Series, f: Facts) -> Guess | None:
    sep = separator_of(values, f)
    if not sep:
        return None
    dim, why = dimension_of(f.tokens)
    c = values.name
    guess.multi[str(c)] = {"dimension": dim, "column": c, "separator": sep, "label": pretty(c)}
    return Guess(f"multi_response:{c}", f"several picks per answer, joined by '{sep}'; {why}", LIKELY)


# the roles a column's name and values give it, tried in this order; the first that answers wins
NAMING_RULES = (
    _money_as_text,
    _date_role,
    _status_role,
    _weight_role,
    _nps_role,
    _weight_note,
    _acquisition_role,
    _open_text_role,
    _multi_response_role,
)
