"""Which personas to focus on and which not, each with its reasons from the data: the rubric's score,
the glance lines, the most at risk, and the marketing and offer facts of a card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from helpers.analyses import acquisition, products
from helpers.analyses.acquisition import PromotionEffect
from helpers.analyses.metrics import (
    EVERYONE,
    Ledger,
    Metric,
    population_word,
    weighting_efficiency,
)
from helpers.analyses.naming import label
from helpers.analyses.personas import (
    CRITERIA,
    DEFAULT_OUTCOME_WEIGHT,
    GOAL_METRIC,
    OUTCOMES,
    Fact,
    Persona,
    measures,
    pct,
)
from helpers.core import formats
from helpers.params.config import Params
from helpers.params.outcomes import outcome_of
from helpers.params.schema import (
    is_business,
)


def _usable_measures(
    chosen: dict[str, str | None], rubric: dict[str, float], table: pd.DataFrame
) -> tuple[dict[str, str], dict[str, str]]:
    """The rubric's criteria that can rank these personas (criterion → measure), and why each
    other weighted criterion is left out."""
    spread = table.max() - table.min()
    usable: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for criterion, key in chosen.items():
        if rubric[criterion] <= 0:
            continue
        if key is None or table[key].isna().any():
            left_out[criterion] = "not measured in this data"
        elif spread[key] == 0:
            left_out[criterion] = "the same for every persona"
        elif key in usable.values():  # one measure counted once
            other = next(c for c, k in usable.items() if k == key)
            left_out[criterion] = f"the same measure as {other}"
        else:
            usable[criterion] = key
    return usable, left_out


def _verdict(
    p: Persona,
    rank: int,
    n: int,
    counts: tuple[int, int],
    has_outcome: bool,
    contributions: pd.Series,
    scaled: pd.Series,
    usable: dict[str, str],
    params: Params,
) -> tuple[str, list[str]]:
    """A persona's place (focus, maintain, not a focus) and its reasons, from its rank of ``n``
    (``counts``: how many to focus on and to avoid)."""
    names = measures(params)
    n_focus, n_avoid = counts
    strong = [c for c in contributions.sort_values(ascending=False).index if scaled[usable[c]] > 0.5]
    weak = [c for c in contributions.sort_values().index if scaled[usable[c]] < 0.5]
    if n < 2:  # one group: nothing to rank it against
        return "the only group", [
            f"the {population_word(params)} form one group, so there is nothing to rank"
        ]
    if not has_outcome:
        return NO_RECOMMENDATION, [_reason(names["size"], p, params)]
    if rank < n_focus:
        return "focus", [_reason(names[usable[c]], p, params) for c in strong[:2]] or [
            f"ranked {rank + 1} of {n} overall"
        ]
    if rank >= n - n_avoid:
        return "not a focus", [_reason(names[usable[c]], p, params) for c in weak[:2]] or [
            f"ranked {rank + 1} of {n} overall"
        ]
    return "maintain", ["middle of the ranking"] + [
        _reason(names[usable[c]], p, params) for c in (strong[:1] + weak[:1])
    ]


@dataclass
class Ranking:
    """The personas ranked by the rubric (``table``, as published), the measures it ranked on
    (criterion -> the measure's name; empty when the data has no outcome), and the criteria left
    out with why."""

    table: pd.DataFrame
    used: dict[str, str]
    left_out: dict[str, str]


def focus(personas: list[Persona], params: Params) -> Ranking:
    """Score personas with the rubric on the outcomes the data has (the direction of each taken
    from the registry: a high bad-payer rate is bad); mark the ones to focus on and not to, with
    reasons against everyone. With no outcome at all, no persona is recommended."""
    pp = params.personas
    names = measures(params)
    rubric = dict(pp.rubric)
    if "outcome" not in rubric and any("outcome" in p.numbers for p in personas):
        rubric["outcome"] = DEFAULT_OUTCOME_WEIGHT  # the outcome the data holds drives the focus
    chosen: dict[str, str | None] = {}
    for criterion in sorted(rubric, key=lambda c: -rubric[c]):
        wanted = [GOAL_METRIC.get(pp.goal, "")] if criterion == "goal" else CRITERIA[criterion]
        chosen[criterion] = next((k for k in wanted if any(k in p.numbers for p in personas)), None)
    shown = list(dict.fromkeys([k for k in chosen.values() if k] + ["size"]))
    table = pd.DataFrame(
        {p.segment: {k: p.numbers.get(k, np.nan) for k in shown} for p in personas}
    ).T.astype(float)
    spread = table.max() - table.min()
    usable, left_out = _usable_measures(chosen, rubric, table)
    has_outcome = any(k in OUTCOMES for k in usable.values())
    if not usable:
        usable = {"size": "size"}
    scaled = (table - table.min()) / spread.replace(0, 1)
    for key in usable.values():
        if names[key].better == "lower":
            scaled[key] = 1 - scaled[key]
    weights_ = pd.Series({c: rubric[c] for c in usable})
    contributions = pd.DataFrame({c: scaled[k] * weights_[c] for c, k in usable.items()})
    table["score"] = contributions.sum(axis=1) / weights_.sum()
    if not has_outcome:  # nothing to rank on but size: no recommendation
        table["score"] = table["size"]
    order = table["score"].sort_values(ascending=False, kind="stable").index
    n_avoid = min(pp.avoid_count, max(len(order) - 1, 0))
    n_focus = min(pp.focus_count, len(order) - n_avoid)
    for rank, s in enumerate(order):
        p = next(q for q in personas if q.segment == s)
        p.focus, p.reasons = _verdict(
            p,
            rank,
            len(order),
            (n_focus, n_avoid),
            has_outcome,
            contributions.loc[s],
            scaled.loc[s],
            usable,
            params,
        )
    if has_outcome:
        _no_better_than_an_avoided(personas, scaled, usable, names, params)
    table["focus"] = [next(q.focus for q in personas if q.segment == s) for s in table.index]
    table["why"] = ["; ".join(next(q.reasons for q in personas if q.segment == s)) for s in table.index]
    table.index = [label(s, {q.segment: q.name for q in personas}) for s in table.index]
    table.index.name = "segment"
    table = table.sort_values("score", ascending=False, kind="stable")
    if not has_outcome:
        table = table.drop(columns="score")
    used = {c: names[k].name for c, k in usable.items()} if has_outcome else {}
    return Ranking(_readable(table, names), used, left_out)


def _no_better_than_an_avoided(
    personas: list[Persona],
    scaled: pd.DataFrame,
    usable: dict[str, str],
    names: dict[str, Metric],
    params: Params,
) -> None:
    """A persona kept only by its size, though no better than a "not a focus" one on any outcome
    and worse on one, is not a focus either: size alone is no reason to focus."""
    keys = [k for k in usable.values() if k in OUTCOMES]
    avoided = [q for q in personas if q.focus == "not a focus"]
    for p in personas:
        if p.focus != "maintain":
            continue
        for q in avoided:
            mine, theirs = scaled.loc[p.segment, keys], scaled.loc[q.segment, keys]
            if (mine <= theirs).all() and (mine < theirs).any():
                p.focus = "not a focus"
                worse = [_reason(names[k], p, params) for k in keys]
                p.reasons = [
                    f"no better than {label(q.segment, {q.segment: q.name})} on any outcome",
                    *worse[:2],
                ]
                break


NO_RECOMMENDATION = "no recommendation"


def value_title(params: Params) -> str:
    """What the value figure is, with its horizon: "predicted margin per buyer, next 12 months"."""
    return measures(params)["value"].name


def _readable(table: pd.DataFrame, names: dict[str, Metric]) -> pd.DataFrame:
    """The ranking as a report shows it: each column named by its measure, shares in %."""
    out = table.copy()
    renamed = {"score": "score (0 to 1)"}
    if "score" in out:
        out["score"] = out["score"].round(3)
    for key in [c for c in out.columns if c in names]:
        metric = names[key]
        if metric.unit == "share":
            out[key] = 100 * out[key]
        renamed[key] = (
            metric.name if metric.name.endswith("%") or metric.unit != "share" else f"{metric.name} %"
        )
    return out.rename(columns=renamed)


def glance_lines(
    personas: list[Persona], changes: list[str] | None = None, params: Params | None = None
) -> list[str]:
    """Who to focus on and who not, with the reasons, for the top of the report; with
    ``params``, the group whose status outcome is clearly the worst is named as the one where
    keeping people matters most (a group not to build on is not a group to ignore)."""
    if len(personas) < 2:
        return ["The people in this data form one group: there is no segment to focus on or to set aside."]
    if all(p.focus == NO_RECOMMENDATION for p in personas):
        return [
            "This data holds no outcome to rank the personas on (no status that says who left, no "
            "orders, value, conversion or NPS): beyond size there is nothing to choose a focus by, "
            "so none is recommended."
        ] + list(changes or [])[:3]
    named = {p.segment: p.name for p in personas}
    out = []
    for focus, words in (("focus", "Focus on"), ("not a focus", "Not a focus")):
        chosen = [p for p in personas if p.focus == focus]
        if chosen:
            out.append(
                f"{words}: "
                + "; ".join(f"**{label(p.segment, named)}** ({'; '.join(p.reasons)})" for p in chosen)
                + "."
            )
    if params is not None:
        out += _risk_line(personas, params)
    return list(changes or [])[:3] + out if changes else out


RISK_RATIO = 1.5  # a group whose outcome rate is this many times everyone's is called out


def _risk_line(personas: list[Persona], params: Params) -> list[str]:
    """The group with the clearly worst status outcome, as the one where keeping people matters
    most ("" when no group's rate is RISK_RATIO times everyone's)."""
    rated = [p for p in personas if p.numbers.get("outcome", np.nan) == p.numbers.get("outcome", np.nan)]
    if not rated:
        return []
    worst = max(rated, key=lambda p: p.numbers["outcome"])
    everyone = worst.everyone.get("outcome", np.nan)
    if not (everyone == everyone and everyone > 0 and worst.numbers["outcome"] >= RISK_RATIO * everyone):
        return []
    metric = measures(params)["outcome"]
    who = population_word(params)
    return [
        f"**Most at risk: {label(worst.segment, {worst.segment: worst.name})}** "
        f"({_reason(metric, worst, params)}): where keeping {who} matters most. A group that is not a "
        "focus is not one to build on, not one to ignore."
    ]


def rubric_notes(ranking: Ranking, params: Params) -> str:
    """The rubric in words: the goal, the weights used, what was left out and why, and the
    definition and base of every measure in the table."""
    left_out, used = ranking.left_out, ranking.used
    if not used:
        text = (
            "**No focus is recommended:** this data holds no outcome to rank on (no status that "
            "says who left, no orders, value, conversion or NPS), so the personas are listed by size."
        )
    else:
        weights_ = ", ".join(
            f"{what} {params.personas.rubric.get(c, DEFAULT_OUTCOME_WEIGHT):g}" for c, what in used.items()
        )
        text = f"**Business goal:** {params.personas.goal}. **Ranked on** (weight): {weights_}."
        if left_out:
            text += (
                " Left out of the score: " + "; ".join(f"{k} ({why})" for k, why in left_out.items()) + "."
            )
    names = measures(params)
    defined = [m for m in names.values() if any(c.startswith(m.name) for c in ranking.table.columns)]
    if defined:
        text += "\n\n" + "\n".join(
            f"- *{m.name}*: {m.definition}" + ("" if m.base in m.definition else f" (base: {m.base})") + "."
            for m in defined
        )
    return text


def _reason(metric: Metric, p: Persona, params: Params) -> str:
    """Why a persona is (or is not) a focus, against everyone: "Churn: yes 9% (everyone 14%)"."""
    value, overall = p.numbers.get(metric.key, np.nan), p.everyone.get(metric.key, np.nan)
    if metric.key == "size":
        return f"{_shown(metric, value)} of {population_word(params)}"
    if metric.key == "revenue_share":  # everyone brings all the revenue: set it against size
        size = p.numbers.get("size", np.nan)
        return f"{_shown(metric, value)} of revenue from {_shown(metric, size)} of {population_word(params)}"
    name = metric.name.removesuffix(" %")
    sep = " " if ": " in name else ": "  # "Churn: yes 9%", "bought in the last 12 months: 56%"
    return f"{name}{sep}{_shown(metric, value)} (everyone {_shown(metric, overall)})"


def _shown(metric: Metric, value: float) -> str:
    """A figure as the pages write it."""
    if value != value:
        return "–"
    if metric.unit == "share":
        return "<1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"
    if metric.unit == "money":
        return formats.money(value)
    if metric.unit == "score":
        return f"{value:+.0f}"
    return formats.number(value)


CAME_THROUGH = "Came to us through "


def marketing(
    persona: Persona, offers: list[Fact] | None = None, economics: pd.DataFrame | None = None
) -> list[Fact]:
    """Channels, messages, offers and the customer journey the data points to; a channel that
    04's channel economics ranks first or last for value against cost says so."""
    out = []
    reach = persona.facts.get("Where to reach them", [])
    if reach:
        texts = [f.text.lower() for f in reach]
        sources = [f.source for f in reach]
        for i, f in enumerate(reach):
            if f.text.startswith(CAME_THROUGH) and (
                note := _channel_verdict(f.text[len(CAME_THROUGH) :], economics)
            ):
                texts[i] += f" — {note[0]}"
                sources[i] += f"; {note[1]}"
        out.append(Fact("Channels: " + "; ".join(texts), " / ".join(sources)))
    goals = persona.facts.get("Goals and motivations", [])
    if goals:
        out.append(
            Fact(
                "Message: speak to what they value — "
                + "; ".join(f.text.split(" ", 1)[1].rstrip(".") for f in goals[:2]),
                " / ".join(f.source for f in goals[:2]),
            )
        )
    out += offers or []
    behaviour = persona.facts.get("How they behave", [])
    if behaviour:
        out.append(
            Fact(
                "Recognise them by: " + "; ".join(f.text for f in behaviour[:2]),
                " / ".join(f.source for f in behaviour[:2]),
            )
        )
    return out


def _channel_verdict(channel: str, economics: pd.DataFrame | None) -> tuple[str, str] | None:
    """What 04 says of a channel when it brings the most or the least value for its cost: the
    words for the card and the figures for its footnote (None in between, or without figures)."""
    if economics is None or "value / CAC" not in economics:
        return None
    ratio = pd.to_numeric(economics["value / CAC"], errors="coerce").dropna()
    if len(ratio) < 2 or channel not in ratio.index:
        return None
    figures = (
        f"04: value / acquisition cost {ratio[channel]:.1f}× "
        f"({len(ratio)} channels, {ratio.min():.1f}–{ratio.max():.1f}×)"
    )
    if ratio[channel] == ratio.min():
        return "where they came from, but 04 finds it the channel with the least value for its cost", figures
    if ratio[channel] == ratio.max():
        return "04 finds it the channel with the most value for its cost", figures
    return None


def offer_facts(seg: pd.DataFrame, params: Params, data: Any, overall: dict[str, pd.DataFrame]) -> list[Fact]:
    """Offer advice from the same comparison 04 reports (a promotion's customers against others
    acquired while it ran, active in the periods after it ended), within the segment; advice only
    where the difference is beyond chance, and a note where all customers (04) go the other way."""
    if data is None or getattr(data, "activity", None) is None:
        return []
    out = []
    for code, effect in acquisition.promotions(data, seg, params).items():
        mine = _after_shares(effect, code)
        if mine is None:
            continue
        (a, n_a), (b, n_b) = mine
        if min(n_a, n_b) < params.privacy.min_cell:
            continue
        _, p_value = proportions_ztest([round(a * n_a), round(b * n_b)], [n_a, n_b])
        if not p_value < 0.05:
            continue
        stays_less = a < b
        advice = (
            f"Offers: avoid {code}-style discounts — its customers stay less"
            if stays_less
            else f"Offers: {code} brings customers who stay — use offers like it"
        )
        source = (
            f"active in the periods after {code} ended: {pct(a)} of the segment's {n_a:,} {code} "
            f"customers against {pct(b)} of its {n_b:,} others acquired meanwhile "
            f"(p {formats.p_value(p_value)}; "
            "the comparison of the cohort report's promotion section, within this segment)"
        )
        everyone = _after_shares(overall[code], code) if code in overall else None
        if everyone is not None and (everyone[0][0] < everyone[1][0]) != stays_less:
            source += (
                f"; all customers go the other way ({pct(everyone[0][0])} against "
                f"{pct(everyone[1][0])}): this segment differs"
            )
        out.append(Fact(advice, source))
    return out


def _after_shares(effect: PromotionEffect, code: str) -> tuple[tuple[float, int], tuple[float, int]] | None:
    """(share active after the promotion, customers) for its customers and for the others."""
    summary = acquisition.promotion_summary(effect)
    after = acquisition.after_column(effect.unit)
    rows = [f"with {code}", f"without {code}"]
    if after not in summary or not all(r in summary.index for r in rows):
        return None
    shares = [summary.loc[r, after] / 100 for r in rows]
    if any(s != s for s in shares):
        return None
    return (shares[0], int(summary.loc[rows[0], "customers"])), (
        shares[1],
        int(summary.loc[rows[1], "customers"]),
    )


def add_marketing(
    cards: list[Persona], frame: pd.DataFrame, segments: pd.Series, params: Params, data: Any = None
) -> None:
    """Fill the marketing section of the focus personas (offer advice needs the run's orders);
    none where the people are not a business's customers or accounts."""
    if not is_business(params):
        return
    chosen = [p for p in cards if p.focus == "focus"]
    overall = acquisition.promotions(data, frame, params) if chosen and data is not None else {}
    economics = acquisition.economics(data, frame, params) if chosen and data is not None else None
    for p in chosen:
        offers = offer_facts(frame[segments == p.segment], params, data, overall) if overall else []
        p.marketing = marketing(p, offers, economics)


def add_buying(
    cards: list[Persona], frame: pd.DataFrame, segments: pd.Series, params: Params, data: Any
) -> None:
    """Add what each persona buys, splurges and saves on, from the order lines, in place of the
    interests a survey gave where the lines say something (a run without products leaves the
    cards as they are)."""
    lines = getattr(data, "lines", None)
    items = products.items_of(lines, data.engine) if products.item_kind(lines) else None
    if items is None or params.columns is None:
        return
    labels = products.labels_by_id(segments, frame[params.columns.id])
    everyone = products.group_items(lines, items, data.engine)
    mix = products.spend_mix(
        products.group_items(lines, items, data.engine, labels), everyone, params.privacy.min_cell
    )
    for p in cards:  # what they bought outweighs what they said interests them: it replaces it
        for title, said in products.buying_facts(mix, str(p.segment)).items():
            if said:
                p.facts[title] = [Fact(text, source) for text, source in said]


def record_figures(ledger: Ledger, cards: list[Persona], params: Params, frame: pd.DataFrame) -> None:
    """Note every figure the cards and the ranking state about a persona, and the same measures
    for everyone (the run's key figures, with their effective bases), for the batch's check that
    every page gives one figure one value and for the headline panel of the index."""
    names = measures(params)
    for p in cards:
        group = label(p.segment, {p.segment: p.name})
        for key, value in p.numbers.items():
            if key in names:
                ledger.record(names[key], group, value, decimals=2 if names[key].unit == "money" else 0)
    if not cards:
        return
    bases = _bases(frame, params)
    for key, value in cards[0].everyone.items():
        if key in names and key not in ("size", "revenue_share"):
            decimals = 2 if names[key].unit == "money" else 1
            ledger.record(names[key], EVERYONE, value, decimals=decimals, n=bases.get(key, 0.0))


def _bases(frame: pd.DataFrame, params: Params) -> dict[str, float]:
    """How many people each measure for everyone rests on, times the weighting efficiency."""
    efficiency = weighting_efficiency(frame, params)
    cols = params.columns
    known = {}
    if "orders" in frame:
        known["bought_12m"] = int((frame["orders"] > 0).sum())
    if (outcome := outcome_of(params)) is not None:
        known["outcome"] = int(outcome.flags(frame, params).notna().sum())
    if cols.acquisition.date:
        known["new_12m"] = int(pd.to_datetime(frame[cols.acquisition.date]).notna().sum())
    if "converted" in frame and "trial" in frame:
        known["converted"] = int(((frame["trial"] == 1) & frame["converted"].notna()).sum())
    return {k: v * efficiency for k, v in known.items()}
