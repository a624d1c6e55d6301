"""Step 5, personas: a name, a face, a story and a fact sheet per segment, and where to focus.

Every statement on a card is filled from the segment's figures (templates, never invented facts)
and carries the figure behind it as a footnote and a tooltip.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from helpers.analyses import cohorts
from helpers.analyses.metrics import (
    EVERYONE,
    Ledger,
    Metric,
    outcome_metric,
    population_word,
    registry,
    weighting_efficiency,
)
from helpers.analyses.naming import age_band, gender_of, label
from helpers.analyses.segment import too_few
from helpers.core import formats
from helpers.core.privacy import CSP_META
from helpers.data.dataset import weights
from helpers.data.events import slug
from helpers.data.fields import multi_response
from helpers.data.text import OTHER as THEME_OTHER
from helpers.data.text import theme_set as text_theme_set
from helpers.data.text import typical_quote, vocabulary_of
from helpers.params.config import Params
from helpers.params.outcomes import outcome_of
from helpers.params.schema import (
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


def _pct(x: float) -> str:
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
            else f"{TENDENCY} — {variable}: {answer} ({_pct(mine)} against {_pct(everyone)})"
        )
        out.append(
            Fact(
                said,
                f"{_pct(shares.loc[(variable, answer), s])} of the segment, against "
                f"{_pct(shares.loc[(variable, answer), 'Total'])} of everyone "
                f"(index {idx:.0f})",
            )
        )
        if len(out) >= limit:
            break
    return out


def build_personas(
    frame: pd.DataFrame,
    segments: pd.Series,
    index: pd.DataFrame,
    names: dict[int, str],
    params: Params,
    clv: pd.Series | None = None,
    descriptions: dict[int, str] | None = None,
) -> list[Persona]:
    """One persona per segment, every statement from the segment's data; a card line only for
    what the data has (no age, gender or attitude is stated or implied without its column)."""
    cols = params.columns
    assert cols is not None
    shares = index.attrs["shares"]
    few = too_few(index, params.privacy.min_cell)
    personas = []
    spend = frame["spend_12m"] if "spend_12m" in frame and frame["spend_12m"].notna().any() else None
    by_label = {label_of(c, params): c for c in cols.psychographic}
    # the words many people used, once for every card: a quote is made only of those
    vocabulary = (
        vocabulary_of(frame[cols.open_text[0]], params.privacy.min_cell) if cols.open_text else frozenset()
    )
    age_col, gender_spec = params.personas.age, params.personas.gender
    gender_all = gender_of(frame[gender_spec.column], params) if gender_spec else None
    measured = measures(params)
    everyone = _numbers(frame, pd.Series(True, index=frame.index), spend, clv, params)
    for s in sorted(segments.unique()):
        mask = segments == s
        seg = frame[mask]
        who: list[Fact] = []
        gender, band = "any", "any"
        if gender_all is not None:
            g = gender_all[mask].dropna()
            if len(g):
                top = g.value_counts(normalize=True)
                if top.iloc[0] >= 0.6:  # a clear majority; otherwise the persona stays neutral
                    gender = str(top.index[0])
                who.append(
                    Fact(
                        f"{_pct(top.get('female', 0.0))} women, {_pct(top.get('male', 0.0))} men",
                        f"{label_of(gender_spec.column, params)} of the segment's "
                        f"{len(g):,} people who answered",
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
        name = names.get(s) or f"Segment {s}"  # the name 03_segment gave it (naming.segment_names)
        p = Persona(int(s), (descriptions or {}).get(s, ""), name, gender, band, "")
        skip = [c for c in (age_col, gender_spec and gender_spec.column) if c]
        profile = cols.demographic + cols.geographic + params.profile_columns("firmographic")
        who += _traits(index, shares, s, [c for c in profile if c not in skip], params, 4)
        p.facts["Who"] = who
        agree = index[s][index.index.get_level_values("answer") == "agree"].sort_values(ascending=False)
        agree = agree[~few[s].reindex(agree.index, fill_value=False)]  # no claim from a few people
        top_items = [(v, idx) for (v, _), idx in agree.items() if idx >= 115][:3]
        low_items = [(v, idx) for (v, _), idx in agree.sort_values().items() if idx <= 85][:2]

        def agree_fact(variable: str, idx: float, s: int = s, name: str = name) -> Fact:
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
                f"{_pct(sh)} of the segment {scale.agree_phrase(variable)}, "
                f"against {_pct(tot)} of everyone (index {idx:.0f})",
            )

        more, less = _view_titles(params)
        p.facts[more] = [agree_fact(v, i) for v, i in top_items]
        p.facts[less] = [
            Fact(
                f"Less often {scale_of(by_label.get(v, ''), params).agree_phrase(v)}.",
                f"only {_pct(shares.loc[(v, 'agree'), s])} "
                f"{scale_of(by_label.get(v, ''), params).agree_phrase(v)}, against "
                f"{_pct(shares.loc[(v, 'agree'), 'Total'])} of everyone (index {i:.0f})",
            )
            for v, i in low_items
        ]
        p.facts["Splurges on / saves on"] = _interest_facts(seg, frame, params)
        p.facts["Where to reach them"] = _channel_facts(seg, frame, params)
        p.facts["How they behave"] = _traits(index, shares, s, cols.behavioural, params, 3)
        p.facts["How they behave"] += _usage_facts(mask, frame, params)
        if top_items and (said := _statement(top_items[0][0])):
            p.headline = said[:1].upper() + said[1:]
        else:
            described = p.facts["Who"] + p.facts["How they behave"]
            majority = [f.text for f in described if not f.text.startswith(TENDENCY)]
            first = next(iter(majority or [f.text for f in described]), "")
            p.headline = first or p.segment_name
        if cols.open_text:
            said, p.quote = _what_they_say(frame, segments, s, params, vocabulary)
            if said:
                p.facts["What they say"] = said
        p.numbers = _numbers(frame, mask, spend, clv, params)
        p.everyone = everyone
        p.titles = {k: m.name for k, m in measured.items()}
        p.avatar = company_mark(p) if params.unit == "account" else avatar_svg(p, seg, params)
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
            f"{_pct(share_seg[t])} of the segment's answers, against {_pct(share_all[t])} of everyone's "
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
                    f"{_pct(picks[hi])} interested vs {_pct(picks_all[hi])} overall (index {idx[hi]:.0f})",
                )
            )
            out.append(
                Fact(
                    f"Saves on {lo}",
                    f"{_pct(picks[lo])} interested vs {_pct(picks_all[lo])} overall (index {idx[lo]:.0f})",
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
                    f"{_pct(share)} of the segment, against {_pct(overall)} of everyone",
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
                    "; ".join(f"{t}: {_pct(picks[t])}" for t in top),
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
                f"{_pct(fp)} paid full price for their first order, against {_pct(everyone)} of everyone",
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


# --- focus choices --------------------------------------------------------------------------------

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
        what = label_of(col, params)
        if what.endswith(" (times)"):
            what = f"“{what.removesuffix(' (times)')}” events"
        side = "well above" if mine > everyone else "well below"
        out.append(
            Fact(
                f"{what}: {side} the usual", f"median {mine:g} per account, against {everyone:g} for everyone"
            )
        )
    return out[:limit]


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
                row["accounts they lead: trials converted %"] = (
                    100 * frame.loc[trials, "converted"].mean() if trials.sum() >= min_cell else np.nan
                )
            if still is not None:
                row["accounts they lead: still customers %"] = 100 * still[led].mean()
            if "spend_12m" in frame and frame["spend_12m"].notna().any():
                row["accounts they lead: spend, last 12 months (mean)"] = frame.loc[led, "spend_12m"].mean()
        rows.append(row)
    if not rows:
        return None
    out = pd.DataFrame(rows).set_index("role").sort_values("contacts", ascending=False, kind="stable")
    overall = {}
    if "converted" in frame and "trial" in frame:
        overall["trials converted %"] = 100 * frame.loc[frame["trial"] == 1, "converted"].mean()
    if still is not None:
        overall["still customers %"] = 100 * still.mean()
    out.attrs["overall"] = overall
    return out


def buyer_lines(table: pd.DataFrame | None) -> list[str]:
    """One line per buyer role: who they are and how the accounts they lead do against all."""
    if table is None:
        return []
    overall = table.attrs.get("overall", {})
    lines = []
    for role, r in table.iterrows():
        senior = r["most senior in accounts %"]
        who = f"{r['contacts %']:.0f}% of contacts" + (
            f"; the most senior contact in {senior:.0f}% of accounts" if senior == senior else ""
        )
        if isinstance(r.get("usual seniority"), str):
            who += f", usually {_lower_first(r['usual seniority'])}"
        parts = []
        for col, what in (
            ("accounts they lead: trials converted %", "trials converted"),
            ("accounts they lead: still customers %", "still customers"),
        ):
            key = col.removeprefix("accounts they lead: ")
            if col in r and r[col] == r[col] and key in overall:
                parts.append(f"{r[col]:.0f}% {what} (all accounts: {overall[key]:.0f}%)")
        lead = f". Accounts they lead: {'; '.join(parts)}" if parts else ""
        lines.append(f"**{role}** buyer ({who}){lead}.")
    return lines


def focus(personas: list[Persona], params: Params) -> pd.DataFrame:
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
        strong = [
            c
            for c in contributions.loc[s].sort_values(ascending=False).index
            if scaled.loc[s, usable[c]] > 0.5
        ]
        weak = [c for c in contributions.loc[s].sort_values().index if scaled.loc[s, usable[c]] < 0.5]
        if len(order) < 2:  # one group: nothing to rank it against
            p.focus = "the only group"
            p.reasons = [f"the {population_word(params)} form one group, so there is nothing to rank"]
        elif not has_outcome:
            p.focus = NO_RECOMMENDATION
            p.reasons = [_reason(names["size"], p, params)]
        elif rank < n_focus:
            p.focus = "focus"
            p.reasons = [_reason(names[usable[c]], p, params) for c in strong[:2]] or [
                f"ranked {rank + 1} of {len(order)} overall"
            ]
        elif rank >= len(order) - n_avoid:
            p.focus = "not a focus"
            p.reasons = [_reason(names[usable[c]], p, params) for c in weak[:2]] or [
                f"ranked {rank + 1} of {len(order)} overall"
            ]
        else:
            p.focus = "maintain"
            p.reasons = ["middle of the ranking"] + [
                _reason(names[usable[c]], p, params) for c in (strong[:1] + weak[:1])
            ]
    if has_outcome:
        _no_better_than_an_avoided(personas, scaled, usable, names, params)
    table["focus"] = [next(q.focus for q in personas if q.segment == s) for s in table.index]
    table["why"] = ["; ".join(next(q.reasons for q in personas if q.segment == s)) for s in table.index]
    table.index = [label(s, {q.segment: q.name for q in personas}) for s in table.index]
    table.index.name = "segment"
    table = table.sort_values("score", ascending=False, kind="stable")
    if not has_outcome:
        table = table.drop(columns="score")
    out = _readable(table, names)
    out.attrs["left_out"] = left_out
    out.attrs["used"] = {c: names[k].name for c, k in usable.items()} if has_outcome else {}
    return out


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


def rubric_notes(ranking: pd.DataFrame, params: Params) -> str:
    """The rubric in words: the goal, the weights used, what was left out and why, and the
    definition and base of every measure in the table."""
    left_out = ranking.attrs.get("left_out", {})
    used = ranking.attrs.get("used", {})
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
    defined = [m for m in names.values() if any(c.startswith(m.name) for c in ranking.columns)]
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
    for code, effect in cohorts.promotions(data, seg, params).items():
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
            f"active in the periods after {code} ended: {_pct(a)} of the segment's {n_a:,} {code} "
            f"customers against {_pct(b)} of its {n_b:,} others acquired meanwhile "
            f"(p {formats.p_value(p_value)}; "
            "the comparison of the cohort report's promotion section, within this segment)"
        )
        everyone = _after_shares(overall[code], code) if code in overall else None
        if everyone is not None and (everyone[0][0] < everyone[1][0]) != stays_less:
            source += (
                f"; all customers go the other way ({_pct(everyone[0][0])} against "
                f"{_pct(everyone[1][0])}): this segment differs"
            )
        out.append(Fact(advice, source))
    return out


def _after_shares(effect: pd.DataFrame, code: str) -> tuple[tuple[float, int], tuple[float, int]] | None:
    """(share active after the promotion, customers) for its customers and for the others."""
    summary = cohorts.promotion_summary(effect)
    after = next((c for c in summary.columns if c.startswith("active % in the") and "after" in c), None)
    rows = [f"with {code}", f"without {code}"]
    if after is None or not all(r in summary.index for r in rows):
        return None
    shares = [summary.loc[r, after] / 100 for r in rows]
    if any(s != s for s in shares):
        return None
    return (shares[0], int(summary.loc[rows[0], "customers"])), (
        shares[1],
        int(summary.loc[rows[1], "customers"]),
    )


# --- presentation ---------------------------------------------------------------------------------

PALETTE = ["#3b6ea5", "#e08214", "#4d9221", "#c51b7d", "#8073ac", "#35978f", "#b35806", "#666"]
QUOTE_NOTE = "A real answer from this segment, the one closest to its typical answer; contact details removed"
CARD_CSS = """
.persona{border:1px solid #d5dbe3;border-radius:10px;padding:18px 22px;margin:18px 0;
font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#222;
page-break-after:always;break-after:page;background:#fff;max-width:960px}
.persona .top{display:flex;gap:18px;align-items:center}
.persona h2{margin:0;font-size:22px;border:none}.persona .top>div{min-width:0}
.persona h2,.persona .seg,.persona .headline,.persona li{overflow-wrap:anywhere}
.persona .seg{color:#666;font-size:13px}
.persona .headline{font-size:16px;margin-top:4px}
.persona .tag{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;color:#fff}
.persona .focus{background:#4d9221}.persona .not{background:#b2182b}.persona .maintain{background:#777}
.persona .grid{display:grid;grid-template-columns:1fr 1fr;gap:6px 26px;margin-top:10px}
.persona h3{font-size:14px;margin:10px 0 4px;color:#3b6ea5}
.persona ul{margin:0;padding-left:18px;font-size:13.5px;line-height:1.45}
.persona sup{color:#3b6ea5;cursor:help}
.persona .quote{font-style:italic;margin:10px 0;padding:8px 12px;background:#f4f7fb;
border-left:4px solid #3b6ea5}
.persona table.nums{border-collapse:collapse;font-size:13px;margin-top:6px}
.persona table.nums td{padding:2px 10px;border-bottom:1px solid #eee}
.persona .notes{font-size:11.5px;color:#555;margin:10px 0 0;padding-left:22px}
.persona sup a{text-decoration:none;color:#3b6ea5}.persona .notes li:target{background:#fff3c4}
@media (max-width:600px){.persona{padding:12px}.persona .grid{grid-template-columns:1fr}
.persona .top{flex-direction:column;align-items:flex-start}}
@media print{body>h1,body>p{display:none}.persona{border:none;margin:0;padding:0;font-size:12px;
break-inside:avoid}.persona:last-of-type{break-after:auto;page-break-after:auto}
.persona ul{font-size:12px;line-height:1.3}.persona .notes{font-size:9.5px}
.persona svg{width:72px;height:72px}}
"""


def company_mark(p: Persona) -> str:
    """A plain building mark for a company persona: no face is invented for a company."""
    return (
        '<svg width="96" height="96" viewBox="0 0 96 96" role="img" '
        f'aria-label="company type: {html.escape(p.name)}">'
        '<rect width="96" height="96" rx="14" fill="#e8eef6"/>'
        '<rect x="26" y="22" width="44" height="56" rx="3" fill="#3b6ea5"/>'
        + "".join(
            f'<rect x="{x}" y="{y}" width="8" height="8" fill="#e8eef6"/>'
            for y in (30, 44, 58)
            for x in (34, 54)
        )
        + '<rect x="43" y="66" width="10" height="12" fill="#e8eef6"/></svg>'
    )


def avatar_svg(p: Persona, seg: pd.DataFrame, params: Params) -> str:
    """A simple face drawn from the segment's traits (age → hair, style → colours)."""
    colour = PALETTE[(p.segment - 1) % len(PALETTE)]
    hair = {"18-29": "#3b2a1a", "30-44": "#5a3d24", "45-59": "#7a6a5a", "60+": "#c9c9c9"}.get(
        p.age_band, "#5a3d24"
    )
    long_hair = p.gender == "female"
    glasses = p.age_band in ("45-59", "60+")
    # inline SVG in HTML needs no namespace attribute, so the page names no address at all
    parts = [
        f'<svg width="96" height="96" viewBox="0 0 96 96" role="img" '
        f'aria-label="avatar of {html.escape(p.name)}">',
        f'<circle cx="48" cy="48" r="47" fill="{colour}" opacity="0.18"/>',
        f'<path d="M18 92 Q48 58 78 92 Z" fill="{colour}"/>',
    ]
    if long_hair:
        parts.append(f'<ellipse cx="48" cy="44" rx="22" ry="26" fill="{hair}"/>')
    parts += [
        '<circle cx="48" cy="40" r="17" fill="#f1c9a5"/>',
        f'<path d="M31 36 Q48 16 65 36 Q60 26 48 25 Q36 26 31 36 Z" fill="{hair}"/>',
        '<circle cx="42" cy="40" r="1.8" fill="#333"/><circle cx="54" cy="40" r="1.8" fill="#333"/>',
        '<path d="M42 47 Q48 51 54 47" stroke="#333" stroke-width="1.5" fill="none"/>',
    ]
    if glasses:
        parts.append(
            '<g stroke="#333" stroke-width="1.2" fill="none"><circle cx="42" cy="40" '
            'r="4.5"/><circle cx="54" cy="40" r="4.5"/><path d="M46.5 40 H49.5"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def card_html(p: Persona) -> str:
    """One persona card; every statement has a numbered footnote with its figure."""
    notes: list[str] = []

    def cite(f: Fact) -> str:
        notes.append(f.source)
        n = len(notes)  # a link to the note (a tap on a phone), and a tooltip (a mouse)
        return (
            f'{html.escape(f.text)}<sup><a href="#note-{p.segment}-{n}" '
            f'title="{html.escape(f.source)}">[{n}]</a></sup>'
        )

    tag = {"focus": "focus", "not a focus": "not", "maintain": "maintain"}.get(p.focus, "maintain")
    sections = "".join(
        f"<div><h3>{html.escape(title)}</h3><ul>{''.join(f'<li>{cite(f)}</li>' for f in facts)}</ul></div>"
        for title, facts in p.facts.items()
        if facts
    )
    nums = "".join(
        f"<tr><td>{html.escape(p.titles.get(k, k))}</td><td>{_num(k, v)}"
        + (
            f' <span class="ev">(everyone {_num(k, p.everyone[k])})</span>'
            if k in p.everyone and k != "size"
            else ""
        )
        + "</td></tr>"
        for k, v in p.numbers.items()
    )
    quote = (
        (
            f'<div class="quote">“{html.escape(p.quote)}”<sup><a href="#note-{p.segment}-q" '
            f'title="{QUOTE_NOTE}">[q]</a></sup></div>'
        )
        if p.quote
        else ""
    )
    market = (
        ("<h3>Marketing use</h3><ul>" + "".join(f"<li>{cite(f)}</li>" for f in p.marketing) + "</ul>")
        if p.marketing
        else ""
    )
    reasons = "; ".join(p.reasons)
    return (
        f'<section class="persona"><div class="top">{p.avatar}<div>'
        f'<h2>{html.escape(label(p.segment, {p.segment: p.name}))}</h2><div class="seg">'
        f"{html.escape(p.segment_name) + ' · ' if p.segment_name else ''}"
        f'<span class="tag {tag}">{html.escape(p.focus)}'
        f'</span> {html.escape(reasons)}</div><div class="headline">'
        f"{html.escape(p.headline)}</div></div></div>{quote}"
        f'<div class="grid">{sections}<div><h3>The numbers</h3><table class="nums">{nums}'
        f"</table></div></div>{market}"
        + '<ol class="notes">'
        + "".join(f'<li id="note-{p.segment}-{i}">{html.escape(n)}</li>' for i, n in enumerate(notes, 1))
        + "</ol>"
        + (f'<p class="notes" id="note-{p.segment}-q">[q] {QUOTE_NOTE}</p>' if p.quote else "")
        + "</section>"
    )


def _num(key: str, value: float) -> str:
    if value != value:
        return "–"
    if key == "nps":
        return f"{value:+.0f}"
    if key == "value":
        return formats.money(value)
    return "<1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"


def cards_html(personas: list[Persona]) -> str:
    """Every card with the card style sheet, for the report."""
    return f"<style>{CARD_CSS}</style>" + "".join(card_html(p) for p in personas)


def standalone_page(personas: list[Persona], params: Params) -> str:
    """A self-contained, offline `personas.html` for sales and support teams."""
    title = f"Personas — {params.title}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{CSP_META}'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
        f"{html.escape(title)}</title><style>body{{margin:0 auto;max-width:1000px;padding:20px}}"
        f'{CARD_CSS}</style></head><body><h1 style="font-family:system-ui">'
        f'{html.escape(title)}</h1><p style="font-family:system-ui;color:#555">Period '
        f"{html.escape(params.period)}, data as of {params.as_of}. Tap or hover a footnote number to "
        f'see the figure behind a statement; printing gives one card per page. <a href="index.html">'
        f"All reports of this quarter</a>.</p>{''.join(card_html(p) for p in personas)}"
        f"</body></html>"
    )


def facts_table(personas: list[Persona]) -> pd.DataFrame:
    """Key facts of every persona, for CSV."""
    rows = []
    for p in personas:
        row = {"segment": p.segment, "name": p.name, "what sets it apart": p.segment_name}
        if p.age_band != "any":
            row["age band"] = p.age_band
        if p.gender != "any":
            row["gender"] = p.gender
        row.update({"headline": p.headline, "focus": p.focus, "why": "; ".join(p.reasons)})
        row.update({p.titles.get(k, k): round(v, 4) for k, v in p.numbers.items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("segment")


def _view_titles(params: Params) -> tuple[str, str]:
    """The card sections of attitudes held more and less often than everyone: goals and pain
    points for a business's customers, views for respondents, employees and other people."""
    if is_business(params):
        return "Goals and motivations", "Pain points and frustrations"
    return "Views held more often than others", "Views held less often than others"


def add_marketing(
    cards: list[Persona], frame: pd.DataFrame, segments: pd.Series, params: Params, data: Any = None
) -> None:
    """Fill the marketing section of the focus personas (offer advice needs the run's orders);
    none where the people are not a business's customers or accounts."""
    if not is_business(params):
        return
    chosen = [p for p in cards if p.focus == "focus"]
    overall = cohorts.promotions(data, frame, params) if chosen and data is not None else {}
    economics = cohorts.economics(data, frame, params) if chosen and data is not None else None
    for p in chosen:
        offers = offer_facts(frame[segments == p.segment], params, data, overall) if overall else []
        p.marketing = marketing(p, offers, economics)


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
