"""Themes in open answers: tokenising English and Chinese, the planted themes of the demo found in
both languages (with their uneven spread by segment), privacy of quotes and words, and the fonts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import demo_params_at

from helpers import crosstab, plots, text
from helpers.config import Banner
from helpers.data import load_dataset
from helpers.demo import THEME_MIX, THEMES, write_demo

# the word that names each planted theme in each language
KEY_WORDS = {
    "shipping cost": ("shipping", "运费"),
    "quality": ("quality", "质量"),
    "discount codes": ("discount", "优惠"),
    "sustainable packaging": ("packaging", "包装"),
    "new products in the app": ("product", "新品"),
}


def test_tokens_leave_out_stop_words_and_fold_plurals():
    assert text.tokens("Shipping costs put me off small orders, please!") == [
        "shipping",
        "cost",
        "small",
        "order",
    ]
    assert text.tokens("运费太贵了，小订单不划算") == ["运费", "太贵", "订单", "划算", "不划算"]
    mixed = text.tokens("The app 很好用 but shipping 太贵")
    assert "app" in mixed and "shipping" in mixed and "太贵" in mixed


def test_language_is_told_by_the_share_of_chinese_characters():
    assert text.detect_language(pd.Series(["运费太贵了", "质量很好", None])) == "zh"
    assert text.detect_language(pd.Series(["Great quality", "运费"])) == "en"


@pytest.fixture(scope="module", params=["en", "zh"])
def demo_in(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"demo_{request.param}")
    write_demo(folder, customers=4000, seed=5, language=request.param)
    params = demo_params_at(folder, folder)
    data = text.with_themes(load_dataset(params))
    truth = pd.read_parquet(folder / "_truth.parquet")
    return request.param, data, truth


def _matching(found: text.Themes, language: str) -> dict[str, str]:
    """Each planted theme's found theme: the one whose top three terms hold its key word."""
    key = 0 if language == "en" else 1
    out = {}
    for planted, words in KEY_WORDS.items():
        hits = [
            name
            for name, terms in zip(found.names, found.terms, strict=True)
            if any(words[key] in t for t in terms[:3])
        ]
        assert len(hits) == 1, (planted, found.names)
        out[planted] = hits[0]
    return out


def test_the_planted_themes_are_found_one_to_one_with_accurate_assignments(demo_in):
    language, data, truth = demo_in
    found = text.themes_of(data)["open_answer"]
    assert found.language == language and len(found.names) == len(THEMES)
    match = _matching(found, language)
    assert len(set(match.values())) == len(THEMES)
    planted = truth["themes"].dropna().str.split("|").map(frozenset)
    assigned = found.assigned.reindex(planted.index).str.split("|").map(frozenset)
    back = {v: k for k, v in match.items()}
    assigned = assigned.map(lambda names: frozenset(back.get(n, n) for n in names))
    exact = float((planted == assigned).mean())
    recall = {
        t: float(assigned[planted.map(lambda p, t=t: t in p)].map(lambda a, t=t: t in a).mean())
        for t in THEMES
    }
    print(f"{language}: {exact:.1%} of answers get exactly their planted themes; recall by theme", recall)
    assert exact >= 0.9 and min(recall.values()) >= 0.9


def test_the_uneven_spread_by_segment_shows_in_the_banner_letters(demo_in):
    _language, data, truth = demo_in
    frame = data.customers.assign(true_segment=truth["segment"].map(lambda s: f"S{s}").to_numpy())
    params = data.params.model_copy(
        update={
            "crosstab": data.params.crosstab.model_copy(
                update={"banners": [Banner(name="Segment", column="true_segment")]}
            )
        }
    )
    columns = crosstab.banner_columns(frame, params)
    found = text.themes_of(data)["open_answer"]
    q = crosstab.make_question(frame, params, text.theme_set(params, "open_answer"))
    table = crosstab.build_table(q, columns, pd.Series(1.0, index=frame.index), params.crosstab, 10)
    cells = table.cells
    match = _matching(found, _language)
    for t, planted in enumerate(THEMES):
        top = int(np.argmax(THEME_MIX[:, t]))
        cell = cells[(cells["row"] == match[planted]) & (cells["column"].astype(str).str.contains(f"S{top}"))]
        letters = cell["letters"].iloc[0]
        # the segment that talks most about a theme is significantly above at least three others
        assert sum(ch.isalpha() for ch in letters) >= 3, (planted, letters)


def test_quotes_and_words_keep_the_privacy_minimum():
    answers = pd.Series(
        ["Shipping costs are too high for small orders"] * 40 + ["I adore the zebra pattern"] * 3
    )
    params = _params_for_text()
    found = text.find_themes(answers, params, "open")
    assert not any("zebra" in t for terms in found.terms for t in terms)  # 3 people: never shown
    assert all(q == "" or "zebra" not in q for q in found.quotes)


def _params_for_text():
    from helpers.config import Params

    return Params.model_validate(
        {
            "period": "t",
            "as_of": "2024-01-01",
            "data": {"customers": {"path": "x.csv"}},
            "columns": {"id": "id"},
        }
    )


def test_chinese_labels_are_drawn_with_a_cjk_font_or_numbered():
    labels, note = plots.chart_labels(["运费 · 订单", "质量"])
    if plots.cjk_font():
        assert labels == ["运费 · 订单", "质量"] and note == ""
    else:
        assert labels == ["Theme 1", "Theme 2"] and "fonts-noto-cjk" in note
    assert plots.chart_labels(["shipping", "quality"]) == (["shipping", "quality"], "")
