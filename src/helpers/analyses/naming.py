"""One name per segment: the persona's first name with the segment's number, the same in every
report, table and chart of a run ("2. Drew"), and a short description of what sets it apart."""

from __future__ import annotations

import hashlib

import pandas as pd

from helpers.params.config import Params
from helpers.params.schema import data_keys, value_keys

# first names by gender and age band (deterministic choice per segment); "any" is used where
# the data does not say (no gender column, or no age column): a name never implies a trait the
# data does not have
NAMES = {
    "female": {
        "18-29": ["Maya", "Chloe", "Zara", "Isla"],
        "30-44": ["Sarah", "Priya", "Laura", "Emma"],
        "45-59": ["Karen", "Helen", "Fiona", "Anita"],
        "60+": ["Margaret", "Judith", "Brenda", "Ruth"],
        "any": ["Anna", "Nadia", "Elena", "Grace", "Lena", "Mira"],
    },
    "male": {
        "18-29": ["Liam", "Noah", "Kai", "Leo"],
        "30-44": ["Daniel", "Arjun", "Tom", "Omar"],
        "45-59": ["Mark", "Paul", "Rajesh", "Steven"],
        "60+": ["Geoffrey", "Peter", "Alan", "Derek"],
        "any": ["Adam", "Felix", "Hugo", "Ivan", "Jonas", "Ravi"],
    },
    "any": {
        "18-29": ["Alex", "Sam", "Kit", "Rowan"],
        "30-44": ["Jordan", "Robin", "Casey", "Avery"],
        "45-59": ["Charlie", "Morgan", "Drew", "Quinn"],
        "60+": ["Riley", "Jamie", "Lou", "Frankie"],
        "any": [
            "Alex",
            "Sam",
            "Jordan",
            "Robin",
            "Charlie",
            "Morgan",
            "Riley",
            "Jamie",
            "Casey",
            "Avery",
            "Quinn",
            "Rowan",
            "Drew",
            "Kit",
            "Lou",
            "Frankie",
        ],
    },
}
AGE_BANDS = [(0, 29, "18-29"), (30, 44, "30-44"), (45, 59, "45-59"), (60, 200, "60+")]


def age_band(age: float) -> str:
    """The age band of an age ("any" when it is not known)."""
    for lo, hi, band in AGE_BANDS:
        if lo <= age <= hi:
            return band
    return "any"


def pick_name(gender: str, band: str, key: str, taken: set[str]) -> str:
    """A first name for the gender and age band, chosen by a hash (the same every run), unique
    within the run (other pools of the same gender, then a number, when one runs out)."""
    pools = NAMES.get(gender, NAMES["any"])
    candidates = list(pools.get(band, pools["any"])) + [n for b, ns in pools.items() if b != band for n in ns]
    start = int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(pools.get(band, pools["any"]))
    order = candidates[start:] + candidates[:start]
    for name in order:
        if name not in taken:
            return name
    n = 2
    while f"{order[0]} {n}" in taken:
        n += 1
    return f"{order[0]} {n}"


def gender_of(values: pd.Series, params: Params) -> pd.Series:
    """female / male / missing, from the declared gender column and values."""
    spec = params.personas.gender
    keys = data_keys(values)
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    if spec is not None:
        out[keys.isin(value_keys(spec.female, spec.column, params)).to_numpy(bool)] = "female"
        out[keys.isin(value_keys(spec.male, spec.column, params)).to_numpy(bool)] = "male"
    return out


def persona_of(frame: pd.DataFrame, mask: pd.Series, params: Params) -> tuple[str, str]:
    """The gender ("any" without a clear majority of 60%) and age band of a segment's people."""
    gender, band = "any", "any"
    spec = params.personas.gender
    if spec is not None and spec.column in frame:
        g = gender_of(frame.loc[mask, spec.column], params).dropna()
        if len(g):
            top = g.value_counts(normalize=True)
            if top.iloc[0] >= 0.6:
                gender = str(top.index[0])
    age_col = params.personas.age
    if age_col and age_col in frame:
        ages = pd.to_numeric(frame.loc[mask, age_col], errors="coerce").dropna()
        if len(ages):
            band = age_band(float(ages.median()))
    return gender, band


def segment_names(
    frame: pd.DataFrame, segments: pd.Series, descriptions: dict[int, str], params: Params
) -> dict[int, str]:
    """Each segment's one name: its persona's first name (or the name the parameter file gives
    in `segment.names`), unique within the run."""
    given = {int(k): str(v) for k, v in params.segment.names.items()}
    names: dict[int, str] = {}
    for s in sorted(pd.unique(segments.dropna())):
        s = int(s)
        if s in given:
            names[s] = given[s]
            continue
        if params.unit == "account":  # a company type has no first name, age or gender
            names[s] = account_type_name(descriptions.get(s, ""), s, set(names.values()))
            continue
        gender, band = persona_of(frame, segments == s, params)
        names[s] = pick_name(gender, band, f"{s}-{descriptions.get(s)}", taken=set(names.values()))
    return names


def account_type_name(description: str, segment: int, taken: set[str]) -> str:
    """A company persona's name from what sets its segment apart ("Finance accounts"), or
    "Account type A" when nothing does; unique within the run."""
    first = description.split(" & ")[0].strip() if description and description != "everyone" else ""
    if first.startswith(("many ", "few ")):  # an amount: "Accounts with many days active"
        name = f"Accounts with {first}"
    else:
        name = f"{first[:1].upper()}{first[1:]} accounts" if first else f"Account type {chr(64 + segment)}"
    while name in taken:
        name = f"{name} ({segment})"
    return name


def label(segment: int, names: dict[int, str]) -> str:
    """A segment as every report shows it: its number and its name ("2. Drew")."""
    name = names.get(segment, "")
    return f"{segment}. {name}" if name else f"Segment {segment}"
