"""Persona cards come from the data, carry no personal data, and rank by the rubric."""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import demo_params_at

from helpers.analyses import acquisition, personas, priorities, profiles, segmentation
from helpers.analyses.filters import profile_frame
from helpers.data import text as text_themes
from helpers.data.dataset import load_dataset, weights
from helpers.params.loading import load_params
from helpers.present import card_pages


@pytest.fixture(scope="module")
def built(demo_dir, tmp_path_factory):
    params = demo_params_at(demo_dir, tmp_path_factory.mktemp("p"), {"bootstrap": 3})
    frame = profile_frame(load_dataset(params))
    w = weights(frame, params)
    seg = segmentation.segments_for(frame, params, w, None)
    cards = personas.build_personas(frame, seg.segments, seg.profile, seg.names, params)
    return params, frame, seg, cards


def test_one_card_per_segment_with_unique_names(built):
    _, _, seg, cards = built
    assert [c.segment for c in cards] == sorted(seg.segments.unique())
    assert len({c.name for c in cards}) == len(cards)
    assert all(c.avatar.startswith("<svg") and "http" not in c.avatar for c in cards)


def test_numbers_on_a_card_come_from_the_data(built):
    params, frame, seg, cards = built
    card = cards[0]
    mask = seg.segments == card.segment
    w = weights(frame, params)  # shares of people are weighted, as in 03 (one rule)
    assert card.numbers["size"] == pytest.approx(w[mask].sum() / w.sum())
    assert card.numbers["size"] != pytest.approx(mask.mean(), abs=1e-3)
    spend = frame["spend_12m"]
    assert card.numbers["revenue_share"] == pytest.approx(spend[mask].sum() / spend.sum())
    nps = frame.loc[mask, "nps"].astype(float).dropna()
    wn = w[nps.index]  # weighted, as 01's Net Promoter Score
    assert card.numbers["nps"] == pytest.approx(100 * (wn[nps >= 9].sum() - wn[nps <= 6].sum()) / wn.sum())
    who = card.facts["Who"][0]
    assert f"median age {frame.loc[mask, 'age'].median():.0f}" in who.source


def test_change_the_data_and_the_card_changes(built):
    params, frame, seg, cards = built
    first = cards[0]
    changed = frame.copy()
    mask = seg.segments == first.segment
    changed.loc[mask, "age"] = 72
    changed.loc[mask, "city_tier"] = "rural"
    found = profiles.profile(changed, seg.segments, params, weights(changed, params))
    again = personas.build_personas(changed, seg.segments, found, seg.names, params)[0]
    assert again.age_band == "60+" and first.age_band != "60+"
    assert any("rural" in f.text for f in again.facts["Who"])
    assert card_pages.card_html(again) != card_pages.card_html(first)


def test_every_statement_has_its_figure(built):
    _, _, _, cards = built
    page = card_pages.card_html(cards[0])
    statements = sum(len(f) for f in cards[0].facts.values())
    assert page.count('<sup><a href="#note-') >= statements  # a tap opens the note
    for n in re.findall(r'href="#(note-[^"]+)"', page):
        assert f'id="{n}"' in page
    for facts in cards[0].facts.values():
        for f in facts:
            assert f.source and any(ch.isdigit() for ch in f.source)


def test_no_personal_data_or_raw_ids_on_cards(built, demo_dir):
    params, frame, seg, cards = built
    raw = pd.read_parquet(demo_dir / "customers.parquet")
    page = card_pages.standalone_page(cards, params)
    assert not re.search(r"C\d{7}", page)  # no customer ids
    assert not re.search(r"[\w.]+@[\w-]+\.\w", page) and "+44 7700" not in page
    full_names = set(raw["name"])
    assert not any(n in page for n in full_names)
    assert not re.search(r"https?:", page)  # offline: no address anywhere


def test_the_quote_is_scrubbed_and_typical(built):
    params, frame, seg, cards = built
    text = frame["open_answer"].copy()
    s = cards[0].segment
    idx = seg.segments[seg.segments == s].index[:40]
    text.loc[idx] = "Email me at jo.bloggs@example.com or call +44 7700 900123 about the app"
    in_segment = seg.segments == s
    quote = text_themes.typical_quote(text[in_segment], text_themes.vocabulary_of(text, 10))
    assert quote and "@" not in quote and "7700" not in quote
    loaded = frame["open_answer"].dropna()
    assert not loaded.str.contains("@example.com").any()  # scrubbed at load
    assert cards[0].quote in set(frame["open_answer"].dropna())


def test_focus_follows_the_rubric(built):
    params, frame, seg, cards = built
    table = priorities.focus(cards, params).table
    assert (table["focus"] == "focus").sum() == params.personas.focus_count
    assert (table["focus"] == "not a focus").sum() >= params.personas.avoid_count
    assert table["score (0 to 1)"].is_monotonic_decreasing
    shares = table["share of customers %"]  # shares read as % in the report, not as fractions
    assert shares.sum() == pytest.approx(100, abs=0.5) and shares.max() > 1
    size_only = params.model_copy(
        update={"personas": params.personas.model_copy(update={"rubric": {"size": 1.0, "outcome": 0.0}})}
    )
    by_size = priorities.focus(cards, size_only).table
    largest = max(cards, key=lambda c: c.numbers["size"])
    assert by_size.index[0].startswith(f"{largest.segment}.")
    assert all(c.reasons for c in cards)
    assert not any(re.search(r"\(0\.\d+\)", r) for c in cards for r in c.reasons)  # no bare fractions


def test_names_in_open_answers_are_scrubbed_at_load(make_params, tmp_path, demo_dir):
    raw = pd.read_parquet(demo_dir / "customers.parquet")
    person = raw.loc[0, "name"]
    raw.loc[0:5, "open_answer"] = f"Ask {person.split()[0]} {person.split()[1]} in the shop"
    path = tmp_path / "c.parquet"
    raw.to_parquet(path)
    data = load_dataset(load_params(make_params({"data.customers.path": str(path)})))
    answer = data.customers.loc[0, "open_answer"]
    assert person.split()[0] not in answer and "[name]" in answer


def test_offer_advice_agrees_with_the_cohort_report(demo_dir_full, tmp_path):
    """Offer advice comes from 04's promotion comparison, beyond chance, and never contradicts it
    without saying so (the demo's planted segments, at full size, as the groups)."""
    params = demo_params_at(demo_dir_full, tmp_path)
    data = load_dataset(params)
    frame = profile_frame(data)
    truth = pd.read_parquet(demo_dir_full / "_truth.parquet")["segment_name"].to_numpy()
    overall = acquisition.promotions(data, frame, params)
    assert overall  # the demo studies its promotions
    said = 0
    for group in sorted(set(truth)):
        for fact in priorities.offer_facts(frame[truth == group], params, data, overall):
            said += 1
            p = re.search(r"\(p ([<\d.e-]+)", fact.source).group(1)
            assert p.startswith("<") or float(p) < 0.05, fact.source
            code = next(c for c in overall if c in fact.text)
            (a, _), (b, _) = priorities._after_shares(overall[code], code)
            agrees = ("stay less" in fact.text) == (a < b)
            assert agrees or "differs" in fact.source, fact.source
    assert said


def test_one_group_is_not_called_a_focus(built):
    params, _, _, cards = built
    table = priorities.focus(cards[:1], params).table
    assert table["focus"].tolist() == ["the only group"] and "nothing to rank" in table["why"].iloc[0]


def _status_params(params, churned, customer):
    status = params.columns.status.model_copy(update={"churned": churned, "customer": customer, "lapsed": []})
    return params.model_copy(update={"columns": params.columns.model_copy(update={"status": status})})


def test_the_outcome_drives_the_focus_the_right_way(built):
    """A segment where most had the bad result is never a focus, and the ranking shows the rate."""
    params, frame, seg, cards = built
    planted = frame.copy()
    worst = cards[0].segment  # the largest segment: by size alone it would lead
    planted["status"] = np.where(seg.segments == worst, "bad", "good")
    rng = np.random.default_rng(1)
    flip = rng.random(len(planted)) < 0.1
    planted.loc[flip, "status"] = np.where(planted.loc[flip, "status"] == "bad", "good", "bad")
    p = _status_params(params, ["bad"], ["good"])
    p = p.model_copy(update={"personas": p.personas.model_copy(update={"rubric": {"size": 1.0}})})
    again = personas.build_personas(planted, seg.segments, seg.profile, seg.names, p)
    ranking = priorities.focus(again, p)
    table = ranking.table
    column = "Status: bad %"
    assert column in table  # the outcome in the data's own words
    rates = table[column]
    assert rates.idxmax().startswith(f"{worst}.") and rates.max() > 80
    assert table.loc[rates.idxmax(), "focus"] == "not a focus"
    reason = next(c for c in again if c.segment == worst).reasons[0]
    assert "Status: bad" in reason and "everyone" in reason
    assert "Status: bad" in priorities.rubric_notes(ranking, p)  # defined, with its base
    risk = priorities.glance_lines(again, None, p)[-1]  # not a focus, and not to be ignored
    assert risk.startswith(f"**Most at risk: {worst}.") and "where keeping customers matters most" in risk


def test_no_outcome_no_focus(built):
    """With nothing but size to rank on, no persona is recommended, and the page says why."""
    params, frame, seg, cards = built
    cols = params.columns.model_copy(update={"status": None, "nps": None})
    bare = params.model_copy(update={"columns": cols})
    plain = frame.drop(columns=["orders", "orders_12m", "spend_12m"])
    again = personas.build_personas(plain, seg.segments, seg.profile, seg.names, bare)
    ranking = priorities.focus(again, bare)
    table = ranking.table
    assert set(table["focus"]) == {priorities.NO_RECOMMENDATION}
    assert "score (0 to 1)" not in table
    assert "no outcome" in priorities.glance_lines(again)[0]
    assert "No focus is recommended" in priorities.rubric_notes(ranking, bare)


def test_growth_is_not_size_again(built):
    """Growth is the share of a segment that is new, not its share of the newcomers (size again)."""
    params, frame, seg, cards = built
    for card in cards:
        mask = seg.segments == card.segment
        first = pd.to_datetime(frame.loc[mask, "first_order_date"]).dropna()
        recent = first >= pd.Timestamp(params.as_of) - pd.Timedelta(days=365)
        w = weights(frame, params)[first.index]
        assert card.numbers["new_12m"] == pytest.approx((recent * w).sum() / w.sum())


def test_a_trait_of_a_minority_is_a_tendency(built):
    """A "who" line states a trait as the segment's only when most of it has the trait."""
    params, frame, seg, cards = built
    shares = seg.profile.shares
    seen = 0
    for card in cards:
        for fact in card.facts["Who"]:
            if ": " not in fact.text or fact.text.startswith(("age", "%")) or "women" in fact.text:
                continue
            text = fact.text.removeprefix(personas.TENDENCY + " — ")
            variable, answer = text.split(" (")[0].split(": ", 1)
            if (variable, answer) not in shares.index:
                continue
            seen += 1
            mine = shares.loc[(variable, answer), card.segment]
            assert fact.text.startswith(personas.TENDENCY) == (mine <= 0.5), fact.text
    assert seen


def test_size_alone_never_keeps_a_persona_no_better_than_an_avoided_one(built):
    params, _, _, cards = built
    again = copy.deepcopy(cards)
    priorities.focus(again, params)
    avoided = next(c for c in again if c.focus == "not a focus")
    kept = next(c for c in again if c.focus == "maintain")
    names = personas.measures(params)
    for key, value in avoided.numbers.items():  # the avoided one's outcomes, a little worse on one
        if key in personas.OUTCOMES:
            kept.numbers[key] = value
    key = next(k for k in ("outcome", "bought_12m", "value") if k in avoided.numbers)
    worse = 0.01 if names[key].better == "lower" else -0.01
    kept.numbers[key] = avoided.numbers[key] + worse * (1 if names[key].unit == "share" else 100)
    kept.numbers["size"] = max(c.numbers["size"] for c in again) + 0.1  # the largest by far
    table = priorities.focus(again, params).table
    assert kept.focus == "not a focus" and kept.reasons[0].startswith("no better than ")
    assert avoided.name in kept.reasons[0]
    assert (table["focus"] == "not a focus").sum() == params.personas.avoid_count + 1


def test_channel_advice_on_a_card_says_what_04_found_of_that_channel():
    card = personas.Persona(3, "", "Laura", "neutral", "any", "")
    card.facts["Where to reach them"] = [
        personas.Fact("Came to us through paid search", "35% of the segment")
    ]
    econ = pd.DataFrame({"value / CAC": [17.7, 3.0, 1.2]}, index=["organic", "email", "paid search"])
    (channels,) = priorities.marketing(card, [], econ)
    assert "but 04 finds it the channel with the least value for its cost" in channels.text
    assert "1.2×" in channels.source
    card.facts["Where to reach them"] = [personas.Fact("Came to us through email", "40% of the segment")]
    assert priorities.marketing(card, [], econ)[0].text == "Channels: came to us through email"  # in between


def test_a_full_price_trait_is_said_only_in_the_direction_it_differs():
    frame = pd.DataFrame({"first_order_full_price": [1.0] * 66 + [0.0] * 34})
    params = SimpleNamespace(
        columns=SimpleNamespace(acquisition=SimpleNamespace(channel=None), multi_response={})
    )
    below = frame.iloc[25:]  # 59% paid full price, against 66% of everyone
    (fact,) = personas._channel_facts(below, frame, params)
    assert fact.text == "Pays full price less often than others" and "against 66% of everyone" in fact.source
