"""`workbook init`'s guesses for the analysis sections, from the column roles `helpers.setup.infer`
found: named filters (region, income, heavy vs occasional buyers), banners, the persona's age and
gender columns and the default goal. `helpers.setup.draft_sections` writes them as YAML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.core.expressions import quote
from helpers.core.names import name_tokens
from helpers.setup.roles import CustomerGuess, is_binary
from helpers.setup.words import has_word, norm_word, pretty


def literal(value: Any) -> str:
    """A value as a filter expression writes it: text in double quotes, numbers as they are."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value.item() if hasattr(value, "item") else value)


def filter_name(text: str) -> str:
    """A filter's name from words: lower case, letters, digits and _ only."""
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")[:40].strip("_")
    return name if name and not name[0].isdigit() else f"f_{name}"


def categorical_main(cg: CustomerGuess, role: str, frame: pd.DataFrame) -> str | None:
    """The column of a dimension that makes the best banner: 2–8 groups, few gaps."""
    best = None
    for c in cg.columns_of(role):
        f = cg.facts[c]
        if 2 <= f.distinct <= 8 and f.kind in ("text", "bool", "int"):
            if role == "demographic" and f.kind == "int" and not cg.roles[c].coded:
                continue
            score = (f.answered / max(f.rows, 1), -abs(f.distinct - 3))
            if has_word(f.tokens, (), ("gender", "sex")):
                score = (2.0, 0)
            if best is None or score > best[0]:
                best = (score, c)
    return best[1] if best else None


@dataclass
class SectionsGuess:
    """What `workbook init` proposes for the analysis sections: named filters, the banners,
    the column to compare with the rest, the personas' age and gender columns and their goal."""

    filters: dict[str, tuple[str, str]]  # name: (rule, why)
    banners: list[dict[str, Any]]
    compare: list[str]
    age: str | None
    gender: str | None
    female: list[Any]
    male: list[Any]
    goal: str
    goal_why: str


def _age_column(cg: CustomerGuess) -> str | None:
    return next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, {"age", "agea", "ages"}) and cg.facts[c].kind in ("int", "float")
        ),
        None,
    )


def _income_column(cg: CustomerGuess) -> str | None:
    return next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, (), ("income", "salar", "earning", "wage"))
            and cg.facts[c].kind in ("int", "float")
            and cg.facts[c].distinct > 12
        ),
        None,
    )


def guess_filters(cg: CustomerGuess, frame: pd.DataFrame, has_orders: bool) -> dict[str, tuple[str, str]]:
    """Named filters a file suggests: churned, the youngest and oldest quarter, high income, the top
    box of the first scale item, the largest region, heavy and occasional buyers."""
    filters: dict[str, tuple[str, str]] = {}
    status = cg.columns_of("status")
    if status and cg.status.get("churned"):
        rule = f"{quote(status[0])} in {literal(list(cg.status['churned']))}"
        filters["churned"] = (rule, "the status values that mean churned")
    age = _age_column(cg)
    if age:
        ages = pd.to_numeric(frame[age], errors="coerce").dropna()
        young, old = (int(5 * round(ages.quantile(q) / 5)) for q in (0.25, 0.75))
        if young < old:
            filters[f"under_{young}"] = (f"{quote(age)} < {young}", "about the youngest quarter (to 5 years)")
            filters[f"age_{old}_plus"] = (f"{quote(age)} >= {old}", "about the oldest quarter (to 5 years)")
    income = _income_column(cg)
    if income:
        q = float(pd.to_numeric(frame[income], errors="coerce").quantile(0.75))
        filters["high_income"] = (f"{quote(income)} >= {q:.6g}", "the top quarter by income")
    top = next((s for s in cg.scales if s.items), None)
    if top:
        item = top.items[0]
        points = top.points[-2:] if len(top.points) >= 4 else top.points[-1:]
        rule = (
            f"{quote(item)} in {literal(list(points))}"
            if isinstance(points[0], str)
            else f"{quote(item)} >= {points[0]}"
        )
        filters[filter_name("high_" + "_".join(name_tokens(item)))] = (
            rule,
            "the top box of the first scale item",
        )
    geo = categorical_main(cg, "geographic", frame)
    if geo and cg.facts[geo].kind == "text":
        biggest = cg.facts[geo].values[0]
        geo_key = re.sub(r"[^a-z0-9_]", "_", str(geo).lower())
        value_key = re.sub(r"[^a-z0-9_]+", "_", str(biggest).lower()).strip("_")
        key = (value_key if value_key.startswith(geo_key) else f"{geo_key}_{value_key}")[:40].strip("_")
        filters[filter_name(key)] = (
            f"{quote(geo)} == {literal(str(biggest))}",
            f"the largest {pretty(geo).lower()}",
        )
    if has_orders:
        filters["heavy_buyers"] = ("orders_12m >= 6", "six or more orders in the last 12 months")
        filters["occasional_buyers"] = (
            "orders_12m >= 1 and orders_12m <= 2",
            "one or two orders in the last 12 months",
        )
    return filters


def _gender_codes(cg: CustomerGuess, gender: str) -> tuple[list[Any], list[Any]]:
    """The values of a gender column that mean female and male, where the values or name say."""
    f = cg.facts[gender]
    female = [
        v for v in f.values if norm_word(v) in ("female", "f", "woman", "women", "w", "frau", "femme", "女")
    ]
    male = [v for v in f.values if norm_word(v) in ("male", "m", "man", "men", "mann", "homme", "男")]
    if not female and is_binary(f) and has_word(f.tokens, {"female"}):
        female, male = [1], [0]
    elif not female and is_binary(f) and has_word(f.tokens, {"male"}):
        female, male = [0], [1]
    return female, male


def guess_sections(cg: CustomerGuess, frame: pd.DataFrame, has_orders: bool) -> SectionsGuess:
    """The analysis sections `workbook init` proposes for a file (see SectionsGuess)."""
    filters = guess_filters(cg, frame, has_orders)
    status = cg.columns_of("status")
    age = _age_column(cg)
    age_groups = [
        n for n in filters if n.startswith("under_") or (n.startswith("age_") and n.endswith("_plus"))
    ]
    banners: list[dict[str, Any]] = [{"name": pretty(status[0]), "column": status[0]}] if status else []
    demo_col = categorical_main(cg, "demographic", frame)
    if demo_col:
        banners.append({"name": pretty(demo_col), "column": demo_col})
    if age and age_groups:
        banners.append({"name": "Age", "filters": age_groups})
    geo = categorical_main(cg, "geographic", frame)
    if geo:
        banners.append({"name": pretty(geo), "column": geo})
    if "heavy_buyers" in filters:
        banners.append({"name": "Buyers", "filters": ["heavy_buyers", "occasional_buyers"]})
    compare = [n for n in filters if n in ("high_income", "churned")][:1] or [
        n for n in filters if n.startswith("high_")
    ][:1]
    gender = next(
        (
            c
            for c in cg.columns_of("demographic")
            if has_word(cg.facts[c].tokens, (), ("gender", "sex", "female", "male"))
        ),
        None,
    )
    female, male = _gender_codes(cg, gender) if gender else ([], [])
    has_churn = bool(cg.status.get("churned"))
    goal, goal_why = (
        ("grow repeat revenue", "with orders, repeat buying matters")
        if has_orders
        else ("improve loyalty", "with a churn flag, keeping people matters")
        if has_churn
        else ("understand who they are", "no orders and no status: there is no outcome to grow")
    )
    return SectionsGuess(filters, banners, compare, age, gender, female, male, goal, goal_why)
