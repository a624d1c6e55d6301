"""Step 5, personas: a name, a face, a story and a fact sheet per segment, and where to focus.

Every statement on a card is filled from the segment's figures (templates, never invented facts)
and carries the figure behind it as a footnote and a tooltip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analyses.faces import avatar_svg, company_mark
from helpers.analyses.metrics import (
    Metric,
    outcome_metric,
    registry,
)
from helpers.analyses.naming import age_band, gender_of
from helpers.analyses.profiles import SegmentProfile, too_few
from helpers.data.dataset import weights
from helpers.data.events import slug
from helpers.data.fields import multi_response
from helpers.data.text import OTHER as THEME_OTHER
from helpers.data.text import theme_set as text_theme_set
from helpers.data.text import typical_quote, vocabulary_of
from helpers.params.config import Params
from helpers.params.outcomes import outcome_of
from helpers.params.schema import (
    counted_event,
    has_churn,
    is_business,
    label_of,
    scale_of,
    status_column,
    still_customer,
)


@dataclass
class Fact:
    """A statement on a card and the figure behind it."""

    text: str
    source: str


@dataclass
class Persona:
    """One persona card's content."""

    segment: int
    segment_name: str
    name: str
    gender: str
    age_band: str
    headline: str
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    quote: str = ""
    avatar: str = ""
    focus: str = ""
    reasons: list[str] = field(default_factory=list)
    marketing: list[Fact] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # measure key -> its name on the card
    everyone: dict[str, float] = field(default_factory=dict)  # the same measures for everyone


def _mode(series: pd.Series) -> tuple[str, float]:
    counts = series.dropna().astype(str).value_counts(normalize=True)
    return (counts.index[0], float(counts.iloc[0])) if len(counts) else ("", 0.0)


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "I " else text


def _statement(label: str) -> str:
    """`I trust customer reviews` → `trusts customer reviews` (third person)."""
    s = label.strip()
    if not s.startswith("I "):  # not a first-person statement: callers use the scale's words
        return ""
    verb, _, tail = s[2:].partition(" ")
    if verb in ("am",):
        return "is " + tail
    if verb.endswith(("s", "sh", "ch")):
        verb += "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb} {_third_person(tail)}".strip()


def _third_person(text: str) -> str:
    """`brands I know` → `brands they know`."""
    text = re.sub(r"\bI\b", "they", text)
    text = re.sub(r"\bmy\b", "their", text)
    return re.sub(r"\bme\b", "them", text)


TENDENCY = "More often than others"


def _traits(
    index: pd.DataFrame, shares: pd.DataFrame, s: int, columns: list[str], params: Params, limit: int
) -> list[Fact]:
    """The answers of these columns the segment over-indexes on most (given by at least 20% of
    it), each with its figure."""
    labels = {label_of(c, params) for c in columns}
    rows = [
        (k, idx)
        for k, idx in index[s].items()
        if k[0] in labels and k[1] not in ("agree", "mean") and idx == idx and shares.loc[k, s] >= 0.25
    ]
    rows.sort(key=lambda r: -r[1])
    out, used = [], set()
    for (variable, answer), idx in rows:
        if variable in used or idx < 115:
            continue
        used.add(variable)
        mine, everyone = shares.loc[(variable, answer), s], shares.loc[(variable, answer), "Total"]
        # a trait is the segment's only when most of it has it; otherwise it is a tendency
        said = (
            f"{variable}: {answer}"
            if mine > 0.5
            else f"{TENDENCY} — {variable}: {answer} ({pct(mine)} against {pct(everyone)})"
        )
        out.append(
            Fact(
                said,
                f"{pct(shares.loc[(variable, answer), s])} of the segment, against "
                f"{pct(shares.loc[(variable, answer), 'Total'])} of everyone "
                f"(index {idx:.0f})",
            )
        )
        if len(out) >= limit:
            break
    return out


def _who_facts(
    seg: pd.DataFrame, gender_all: pd.Series | None, mask: pd.Series, params: Params
) -> tuple[list[Fact], str, str]:
    """The segment's age and gender facts, and the gender and age band its face shows ("any"
    without a clear majority or without the column)."""
    age_col, gender_spec = params.personas.age, params.personas.gender
    who: list[Fact] = []
    gender, band = "any", "any"
    if gender_all is not None and gender_spec is not None:
        g = gender_all[mask].dropna()
        if len(g):
            top = g.value_counts(normalize=True)
            if top.iloc[0] >= 0.6:  # a clear majority; otherwise the persona stays neutral
                gender = str(top.index[0])
            who.append(
                Fact(
                    f"{pct(top.get('female', 0.0))} women, {pct(top.get('male', 0.0))} men",
                    f"{label_of(gender_spec.column, params)} of the segment's {len(g):,} people who answered",
                )
            )
    if age_col:
        ages = pd.to_numeric(seg[age_col], errors="coerce").dropna()
        if len(ages):
            band = age_band(float(ages.median()))
            who.insert(
                0,
                Fact(
                    f"{band} years old" if band != "any" else "age varies",
                    f"median age {ages.median():.0f} ({label_of(age_col, params).lower()})",
                ),
            )
    return who, gender, band


def _agree_fact(variable: str, idx: float, s: int, name: str, shares: pd.DataFrame, params: Params) -> Fact:
    """An attitude the segment holds more often than everyone, as the persona would say it."""
    by_label = {label_of(c, params): c for c in params.columns.psychographic} if params.columns else {}
    scale = scale_of(by_label.get(variable, ""), params)
    sh, tot = shares.loc[(variable, "agree"), s], shares.loc[(variable, "agree"), "Total"]
    said = _statement(variable)
    text = (
        f"{name} {said}."
        if said and scale.high.lower() == "agree"
        else f"More often {scale.agree_phrase(variable)}."
    )
    return Fact(
        text,
        f"{pct(sh)} of the segment {scale.agree_phrase(variable)}, "
        f"against {pct(tot)} of everyone (index {idx:.0f})",
    )


def _disagree_fact(variable: str, idx: float, s: int, shares: pd.DataFrame, params: Params) -> Fact:
    """An attitude the segment holds less often than everyone."""
    by_label = {label_of(c, params): c for c in params.columns.psychographic} if params.columns else {}
    phrase = scale_of(by_label.get(variable, ""), params).agree_phrase(variable)
    return Fact(
        f"Less often {phrase}.",
        f"only {pct(shares.loc[(variable, 'agree'), s])} {phrase}, against "
        f"{pct(shares.loc[(variable, 'agree'), 'Total'])} of everyone (index {idx:.0f})",
    )


def _views(
    index: pd.DataFrame, few: pd.DataFrame, s: int
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The attitudes the segment agrees with most above everyone (index ≥ 115, at most three) and
    least (index ≤ 85, at most two), none resting on fewer people than the privacy minimum."""
    agree = index[s][index.index.get_level_values("answer") == "agree"].sort_values(ascending=False)
    agree = agree[~few[s].reindex(agree.index, fill_value=False)]  # no claim from a few people
    top_items = [(v, idx) for (v, _), idx in agree.items() if idx >= 115][:3]
    low_items = [(v, idx) for (v, _), idx in agree.sort_values().items() if idx <= 85][:2]
    return top_items, low_items


def _headline(p: Persona, top_items: list[tuple[str, float]]) -> str:
    """The card's headline: the strongest attitude as a statement, else its first majority fact."""
    if top_items and (said := _statement(top_items[0][0])):
        return said[:1].upper() + said[1:]
    described = p.facts["Who"] + p.facts["How they behave"]
    majority = [f.text for f in described if not f.text.startswith(TENDENCY)]
    first = next(iter(majority or [f.text for f in described]), "")
    return first or p.segment_name


def build_personas(
    frame: pd.DataFrame,
    segments: pd.Series,
    found: SegmentProfile,
    names: dict[int, str],
    params: Params,
    clv: pd.Series | None = None,
    descriptions: dict[int, str] | None = None,
) -> list[Persona]:
    """One persona per segment, every statement from the segment's data; a card line only for
    what the data has (no age, gender or attitude is stated or implied without its column)."""
    cols = params.columns
    assert cols is not None
    index, shares, few = found.index, found.shares, too_few(found, params.privacy.min_cell)
    spend = frame["spend_12m"] if "spend_12m" in frame and frame["spend_12m"].notna().any() else None
    # the words many people used, once for every card: a quote is made only of those
    vocabulary = (
        vocabulary_of(frame[cols.open_text[0]], params.privacy.min_cell) if cols.open_text else frozenset()
    )
    gender_spec = params.personas.gender
    gender_all = gender_of(frame[gender_spec.column], params) if gender_spec else None
    skip = [c for c in (params.personas.age, gender_spec and gender_spec.column) if c]
    profile = [
        c
        for c in cols.demographic + cols.geographic + params.profile_columns("firmographic")
        if c not in skip
    ]
    titles = {k: m.name for k, m in measures(params).items()}
    everyone = _numbers(frame, pd.Series(True, index=frame.index), spend, clv, params)
    more, less = _view_titles(params)
    personas = []
    for s in sorted(segments.unique()):
        mask = segments == s
        seg = frame[mask]
        who, gender, band = _who_facts(seg, gender_all, mask, params)
        name = names.get(s) or f"Segment {s}"  # the name 03_segment gave it (naming.segment_names)
        p = Persona(int(s), (descriptions or {}).get(s, ""), name, gender, band, "")
        p.facts["Who"] = who + _traits(index, shares, s, profile, params, 4)
        top_items, low_items = _views(index, few, s)
        p.facts[more] = [_agree_fact(v, i, s, name, shares, params) for v, i in top_items]
        p.facts[less] = [_disagree_fact(v, i, s, shares, params) for v, i in low_items]
        p.facts["Splurges on / saves on"] = _interest_facts(seg, frame, params)
        p.facts["Where to reach them"] = _channel_facts(seg, frame, params)
        p.facts["How they behave"] = _traits(index, shares, s, cols.behavioural, params, 3)
        p.facts["How they behave"] += _usage_facts(mask, frame, params)
        p.headline = _headline(p, top_items)
        if cols.open_text:
            said, p.quote = _what_they_say(frame, segments, s, params, vocabulary)
            if said:
                p.facts["What they say"] = said
        p.numbers, p.everyone, p.titles = _numbers(frame, mask, spend, clv, params), everyone, titles
        p.avatar = (
            company_mark(p.name) if params.unit == "account" else avatar_svg(p.name, p.segment, band, gender)
        )
        personas.append(p)
    return personas


def _what_they_say(
    frame: pd.DataFrame, segments: pd.Series, s: int, params: Params, vocabulary: frozenset[str]
) -> tuple[list[Fact], str]:
    """The themes the segment talks about more than everyone (weighted shares), and a quote from
    its own answers about the first of them (only an answer made of words many people used);
    without themes, the quotable answer nearest the segment's centre."""
    cols = params.columns
    column = cols.open_text[0]
    answers = frame[column]
    in_segment = (segments == s).to_numpy()
    theme_set = text_theme_set(params, column)
    if theme_set is None:
        return [], typical_quote(answers[in_segment], vocabulary)
    picks = multi_response(frame, params, theme_set).drop(columns=[THEME_OTHER], errors="ignore")
    answered = picks.notna().any(axis=1).to_numpy()
    w = weights(frame, params).to_numpy()
    x = picks.fillna(False).astype(bool).to_numpy()
    share_all = pd.Series((x[answered] * w[answered, None]).sum(0) / w[answered].sum(), index=picks.columns)
    mine = answered & in_segment
    if not mine.any():
        return [], ""
    share_seg = pd.Series((x[mine] * w[mine, None]).sum(0) / w[mine].sum(), index=picks.columns)
    counts = pd.Series(x[mine].sum(0), index=picks.columns)
    index = (100 * share_seg / share_all.replace(0, np.nan)).dropna()
    ranked = [t for t in index.sort_values(ascending=False).index if counts[t] >= params.privacy.min_cell]
    facts = [
        Fact(
            f"Talks about {t}",
            f"{pct(share_seg[t])} of the segment's answers, against {pct(share_all[t])} of everyone's "
            f"(index {index[t]:.0f})",
        )
        for t in ranked[:2]
        if index[t] >= 110
    ]
    if not ranked:
        return facts, ""
    about = x[:, list(picks.columns).index(ranked[0])] & (x.sum(axis=1) == 1) & in_segment
    return facts, typical_quote(answers[about], vocabulary)


def _interest_facts(seg: pd.DataFrame, frame: pd.DataFrame, params: Params) -> list[Fact]:
    cols = params.columns
    out = []
    sets = [
        n for n, mr in cols.multi_response.items() if mr.dimension == "psychographic" and not mr.from_text
    ]
    for name in sets[:1]:
        picks_all = multi_response(frame, params, name).astype("Float64").mean()
        picks = multi_response(seg, params, name).astype("Float64").mean()
        idx = (100 * picks / picks_all).dropna().sort_values()
        if len(idx) >= 2:
            hi, lo = idx.index[-1], idx.index[0]
            out.append(
                Fact(
                    f"Splurges on {hi}",
                    f"{pct(picks[hi])} interested vs {pct(picks_all[hi])} overall (index {idx[hi]:.0f})",
                )
            )
            out.append(
                Fact(
                    f"Saves on {lo}",
                    f"{pct(picks[lo])} interested vs {pct(picks_all[lo])} overall (index {idx[lo]:.0f})",
                )
            )
    return out


def _channel_facts(seg: pd.DataFrame, frame: pd.DataFrame, params: Params) -> list[Fact]:
    cols = params.columns
    out = []
    channel = cols.acquisition.channel
    if channel and channel in seg:
        value, share = _mode(seg[channel])
        if value:
            overall = float((frame[channel].astype(str) == value).mean())
            out.append(
                Fact(
                    f"Came to us through {value}",
                    f"{pct(share)} of the segment, against {pct(overall)} of everyone",
                )
            )
    platforms = [n for n, mr in cols.multi_response.items() if mr.dimension == "behavioural"]
    for name in platforms[:1]:
        picks = multi_response(seg, params, name).astype("Float64").mean().sort_values()
        top = list(picks.index[-2:][::-1])
        if top:
            out.append(
                Fact(
                    f"{label_of(name, params)}: " + " and ".join(top),
                    "; ".join(f"{t}: {pct(picks[t])}" for t in top),
                )
            )
    if "first_order_full_price" in seg and seg["first_order_full_price"].notna().any():
        fp, everyone = seg["first_order_full_price"].mean(), frame["first_order_full_price"].mean()
        if fp >= everyone:  # a trait only in the direction it differs from everyone
            text = "Pays full price" if fp >= 0.5 else "Pays full price more often than others"
        else:
            text = "Waits for a discount" if fp < 0.5 else "Pays full price less often than others"
        out.append(
            Fact(
                text,
                f"{pct(fp)} paid full price for their first order, against {pct(everyone)} of everyone",
            )
        )
    return out


def _numbers(
    frame: pd.DataFrame, mask: pd.Series, spend: pd.Series | None, clv: pd.Series | None, params: Params
) -> dict[str, float]:
    """The segment's figures, keyed by measure (:func:`measures`), each on the base the registry
    names: shares of people weighted, value per buyer, NPS of those who answered; a figure that
    rests on fewer people than the privacy minimum is left out."""
    cols = params.columns
    few = params.privacy.min_cell
    w = weights(frame, params)  # one rule in every report: shares of people are weighted
    n = {"size": float(w[mask].sum() / max(w.sum(), 1e-12))}
    if spend is not None:
        n["revenue_share"] = float(spend[mask].sum() / max(spend.sum(), 1e-9))
    buyers = frame["orders"] > 0 if "orders" in frame else pd.Series(False, index=frame.index)
    if buyers.any():
        b = mask & buyers
        if b.sum() >= few:
            n["bought_12m"] = _weighted_share(frame.loc[b, "orders_12m"] > 0, w[b])
    outcome = outcome_of(params)
    if outcome is not None:
        rate, base = outcome.rate(frame, mask, params, w)
        if base >= few:
            n["outcome"] = rate
    if clv is not None:
        values = clv.reindex(frame.loc[mask, cols.id].astype(str).to_numpy())
        if values.notna().sum() >= few:
            n["value"] = float(np.nanmean(values))
    if "converted" in frame and "trial" in frame:
        trials = mask & (frame["trial"] == 1) & frame["converted"].notna()
        if trials.sum() >= few:
            n["converted"] = float(frame.loc[trials, "converted"].mean())
    if cols.nps:  # weighted, as 01's Net Promoter Score
        nps = frame.loc[mask, cols.nps].astype(float).dropna()
        if len(nps) >= few:
            score = (nps >= 9).astype(float) - (nps <= 6).astype(float)
            n["nps"] = float(100 * _weighted_share(score, w[nps.index]))
    if cols.acquisition.date:
        first = pd.to_datetime(frame[cols.acquisition.date])
        known = mask & first.notna()
        if known.sum() >= few:
            recent = first[known] >= pd.Timestamp(params.as_of) - pd.Timedelta(days=365)
            n["new_12m"] = _weighted_share(recent, w[known])
    return n


def _weighted_share(flags: pd.Series, w: pd.Series) -> float:
    return float((flags.astype(float) * w).sum() / max(float(w.sum()), 1e-12))


# which measure each rubric criterion reads, in order of preference (the first the run has)
CRITERIA = {
    "size": ["size"],
    "value": ["value", "revenue_share"],
    "growth": ["new_12m"],
    "retention": ["bought_12m", "converted"],
    "outcome": ["outcome"],
}


GOAL_METRIC = {
    "grow repeat revenue": "bought_12m",
    "raise customer value": "value",
    "acquire new customers": "new_12m",
    "improve loyalty": "nps",
}


# the measures a focus can rest on: what a group brings or costs, not how big it is or how new
OUTCOMES = {"value", "revenue_share", "bought_12m", "converted", "outcome", "nps"}


DEFAULT_OUTCOME_WEIGHT = 2.0  # the status outcome's weight when the rubric does not name it


SAME_THING = 0.95  # two criteria whose segment figures correlate this closely measure one thing


def measures(params: Params) -> dict[str, Metric]:
    """The measures personas are described and ranked by, named from the run's settings."""
    out = registry(params)
    out["revenue_share"] = Metric(
        "revenue_share",
        "share of revenue, last 12 months",
        "the segment's share of all spend in the 12 months before the reporting date",
        "all spend",
        "share",
        "higher",
    )
    if (outcome := outcome_of(params)) is not None:
        out["outcome"] = outcome_metric(outcome.name, outcome.base)
    return out


def _usage_facts(mask: pd.Series, frame: pd.DataFrame, params: Params, limit: int = 3) -> list[Fact]:
    """How much a company type uses the product against everyone: days active and each active
    event type, where its median is at least half again or at most two thirds of everyone's."""
    if params.events is None:
        return []
    kinds = params.events.active or [c.removeprefix("count_") for c in frame if c.startswith("count_")]
    fields = ["active_days"] + [f"count_{slug(k)}" for k in kinds]
    out = []
    for col in [c for c in dict.fromkeys(fields) if c in frame]:
        mine, everyone = float(frame.loc[mask, col].median()), float(frame[col].median())
        if mask.sum() < params.privacy.min_cell or everyone <= 0 or 0.67 < mine / everyone < 1.5:
            continue
        event = counted_event(col, params)
        what = f"“{event}” events" if event else label_of(col, params)
        side = "well above" if mine > everyone else "well below"
        out.append(
            Fact(
                f"{what}: {side} the usual", f"median {mine:g} per account, against {everyone:g} for everyone"
            )
        )
    return out[:limit]


LED = "accounts they lead: "  # the buyer roles' columns of how the accounts they lead do


def buyer_roles(contacts: pd.DataFrame | None, frame: pd.DataFrame, params: Params) -> pd.DataFrame | None:
    """Buyer personas: per contact role, how many contacts hold it, in how many accounts it is
    the most senior contact, its usual seniority, and how the accounts it leads do (trial
    conversion, still a customer, spend); a role held by fewer contacts than the privacy minimum
    is left out. None without contact roles."""
    if contacts is None or "role" not in contacts or params.columns is None:
        return None
    c = contacts.dropna(subset=["role"])
    min_cell = params.privacy.min_cell
    rows = []
    lead = frame["buyer_role"] if "buyer_role" in frame else pd.Series(np.nan, index=frame.index)
    still = still_customer(frame[status_column(params)], params) if has_churn(params) else None
    for role, part in c.groupby("role"):
        if len(part) < min_cell:
            continue
        led = (lead == role).fillna(False).astype(bool)  # accounts without a role count as not led
        row = {
            "role": role,
            "contacts": len(part),
            "contacts %": 100 * len(part) / len(c),
            "most senior in accounts %": 100 * led.mean() if led.sum() >= min_cell else np.nan,
        }
        if "seniority" in part and part["seniority"].notna().any():
            row["usual seniority"] = part["seniority"].mode().iloc[0]
        if led.sum() >= min_cell:
            if "converted" in frame and "trial" in frame:
                trials = led & (frame["trial"] == 1)
                row[LED + "trials converted %"] = (
                    100 * frame.loc[trials, "converted"].mean() if trials.sum() >= min_cell else np.nan
                )
            if still is not None:
                row[LED + "still customers %"] = 100 * still[led].mean()
            if "spend_12m" in frame and frame["spend_12m"].notna().any():
                row[LED + "spend, last 12 months (mean)"] = frame.loc[led, "spend_12m"].mean()
        rows.append(row)
    if not rows:
        return None
    return pd.DataFrame(rows).set_index("role").sort_values("contacts", ascending=False, kind="stable")


def all_accounts(frame: pd.DataFrame, params: Params) -> dict[str, float]:
    """What the buyer roles are held against: the share of all trials that converted, and of all
    accounts still customers (where the data says)."""
    overall = {}
    if "converted" in frame and "trial" in frame:
        overall["trials converted %"] = 100 * frame.loc[frame["trial"] == 1, "converted"].mean()
    if has_churn(params):
        overall["still customers %"] = 100 * still_customer(frame[status_column(params)], params).mean()
    return overall


def buyer_lines(table: pd.DataFrame | None, frame: pd.DataFrame, params: Params) -> list[str]:
    """One line per buyer role: who they are and how the accounts they lead do against all."""
    if table is None:
        return []
    overall = all_accounts(frame, params)
    lines = []
    for role, r in table.iterrows():
        senior = r["most senior in accounts %"]
        who = f"{r['contacts %']:.0f}% of contacts" + (
            f"; the most senior contact in {senior:.0f}% of accounts" if senior == senior else ""
        )
        if isinstance(r.get("usual seniority"), str):
            who += f", usually {_lower_first(r['usual seniority'])}"
        parts = []
        for key, what in (
            ("trials converted %", "trials converted"),
            ("still customers %", "still customers"),
        ):
            col = LED + key
            if col in r and r[col] == r[col] and key in overall:
                parts.append(f"{r[col]:.0f}% {what} (all accounts: {overall[key]:.0f}%)")
        lead = f". Accounts they lead: {'; '.join(parts)}" if parts else ""
        lines.append(f"**{role}** buyer ({who}){lead}.")
    return lines


def _view_titles(params: Params) -> tuple[str, str]:
    """The card sections of attitudes held more and less often than everyone: goals and pain
    points for a business's customers, views for respondents, employees and other people."""
    if is_business(params):
        return "Goals and motivations", "Pain points and frustrations"
    return "Views held more often than others", "Views held less often than others"
