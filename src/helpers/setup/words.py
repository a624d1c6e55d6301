"""The words a column's name is read by: what ids, personal data, statuses, weights, money, the four
profile dimensions, acquisition and answer scales are usually called (in several languages)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from helpers.core.names import name_tokens


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


GENERIC_STEMS = {
    "customers",
    "customer",
    "data",
    "export",
    "exports",
    "orders",
    "transactions",
    "file",
    "survey",
    "by-day",
    "daily",
    "monthly",
}


def norm_word(value: object) -> str:
    """An answer as compared with the scale words: lower case, `_` and `-` as spaces."""
    return re.sub(r"[\s_-]+", " ", str(value).strip().lower())


# names that say a file is about a workforce (an HR export), a patient list or members
HR_WORDS = {"attrition", "employee", "employees", "staff", "department", "overtime", "hire", "hired"}
HR_WORDS |= {"payroll", "worklife", "salary"}


HR_SURE = {"attrition", "employee", "employees", "payroll"}  # one of these is enough


PATIENT_WORDS = {"patient", "patients", "diagnosis", "admission", "admitted", "discharge", "ward"}


MEMBER_WORDS = {"member", "members", "membership"}


# the currency of the country most rows name, for a file whose amounts carry no sign (a guess)
COUNTRY_CURRENCY = {
    "united kingdom": "£",
    "uk": "£",
    "great britain": "£",
    "england": "£",
    "united states": "$",
    "usa": "$",
    "us": "$",
    "canada": "CA$",
    "australia": "A$",
    "germany": "€",
    "france": "€",
    "spain": "€",
    "italy": "€",
    "netherlands": "€",
    "ireland": "€",
    "belgium": "€",
    "austria": "€",
    "portugal": "€",
    "finland": "€",
    "japan": "¥",
    "china": "CN¥",
    "india": "₹",
    "switzerland": "CHF",
    "sweden": "SEK",
    "norway": "NOK",
    "denmark": "DKK",
}
COUNTRY_WORDS = {"country", "nation", "land", "pays", "billing", "shipping"}
