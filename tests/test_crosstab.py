"""Banner crosstabs checked against scipy, statsmodels, hand computations and real surveys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, demo_params_at
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from helpers.analyses import banners, crosstab, significance
from helpers.analyses.filters import profile_frame
from helpers.core.privacy import marker
from helpers.data.dataset import load_dataset, weights
from helpers.params.loading import parse_params
from helpers.params.settings import Banner
from helpers.present import tab_book


def params_for(tmp_path, frame: pd.DataFrame, columns: dict, **extra):
    """Validated parameters for a synthetic frame written as Parquet."""
    path = tmp_path / "survey.parquet"
    frame.to_parquet(path)
    raw = {
        "period": "t",
        "as_of": "2026-01-01",
        "data": {"customers": {"path": str(path)}},
        "columns": columns,
        "validation": {"min_rows": 1},
        **extra,
    }
    return parse_params(raw, "test.yaml", tmp_path)


def banner(frame, params, column="grp"):
    """Banner columns from every value of one column."""
    from helpers.analyses.banners import Column

    cols = [Column(str(v), "G", (frame[column] == v).to_numpy()) for v in sorted(frame[column].unique())]
    return banners.lettered(cols, None)


@pytest.fixture
def two_groups(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    grp = np.where(np.arange(n) < 200, "a", "b")
    answer = np.where(
        grp == "a",
        rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]),
        rng.choice(["x", "y", "z"], n, p=[0.3, 0.4, 0.3]),
    )
    score = rng.normal(np.where(grp == "a", 5.0, 5.6), 1.5)
    w = rng.lognormal(0, 0.5, n)
    frame = pd.DataFrame(
        {"id": [f"r{i}" for i in range(n)], "grp": grp, "answer": answer, "score": score, "w": w}
    )
    params = params_for(
        tmp_path, frame, {"id": "id", "demographic": ["grp", "answer", "score"], "weight": "w"}
    )
    return frame, params


def _table(frame, params, question, weighted=False, **banner_rules):
    params = params.model_copy(update={"crosstab": params.crosstab.model_copy(update=banner_rules)})
    w = frame["w"] if weighted else pd.Series(1.0, index=frame.index)
    q = crosstab.make_question(frame, params, question)
    return crosstab.build_table(q, banner(frame, params), w, params.crosstab, 10)


def _cell(table, row, column):
    c = table.cells
    return c[(c["row"] == row) & (c["column"] == column)].iloc[0]


def test_unweighted_percentages_tests_and_chi2_match_scipy_and_statsmodels(two_groups):
    frame, params = two_groups
    t = _table(frame, params, "answer", correction="none")
    ref = pd.crosstab(frame["answer"], frame["grp"])
    for ans in ["x", "y", "z"]:
        a, b = _cell(t, ans, "a"), _cell(t, ans, "b")
        assert a["value"] == pytest.approx(ref.loc[ans, "a"] / ref["a"].sum())
        assert a["n"] == ref.loc[ans, "a"] and a["base"] == 200 and a["eff_base"] == pytest.approx(200)
        z, p = proportions_ztest([ref.loc[ans, "a"], ref.loc[ans, "b"]], [200, 200])
        ours = crosstab.proportion_z(a["value"], 200, b["value"], 200)
        assert ours[0] == pytest.approx(z) and ours[1] == pytest.approx(p)
        has_letter = bool(a["letters"] or b["letters"])
        assert has_letter == (p < 0.05)
    chi = stats.chi2_contingency(ref.to_numpy(), correction=False)
    assert t.chi2["G"][0] == pytest.approx(chi.statistic)
    assert t.chi2["G"][1] == chi.dof and t.chi2["G"][2] == pytest.approx(chi.pvalue)


def test_letters_go_on_the_higher_cell_upper_case_at_the_stricter_level(tmp_path):
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(400)],
            "grp": ["a"] * 200 + ["b"] * 200,
            "answer": ["x"] * 120 + ["y"] * 80 + ["x"] * 60 + ["y"] * 140,
        }
    )
    params = params_for(tmp_path, frame, {"id": "id", "demographic": ["grp", "answer"]})
    frame["w"] = 1.0
    t = _table(frame, params, "answer")
    assert _cell(t, "x", "a")["letters"] == "B"  # 60% vs 30%: p ≈ 1e-9, upper case
    assert _cell(t, "y", "b")["letters"] == "A"
    assert _cell(t, "x", "b")["letters"] == ""
    # a difference significant at 95% but not at 99%: lower case
    frame2 = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(400)],
            "grp": ["a"] * 200 + ["b"] * 200,
            "answer": ["x"] * 110 + ["y"] * 90 + ["x"] * 88 + ["y"] * 112,
            "w": 1.0,
        }
    )
    p = proportions_ztest([110, 88], [200, 200])[1]
    assert 0.01 < p < 0.05
    t2 = _table(frame2, params, "answer")
    assert _cell(t2, "x", "a")["letters"] == "b"


def test_weighted_case_uses_the_effective_base(two_groups):
    frame, params = two_groups
    t = _table(frame, params, "answer", weighted=True, correction="none")
    a_mask = frame["grp"] == "a"
    wa = frame.loc[a_mask, "w"]
    n_eff = wa.sum() ** 2 / (wa**2).sum()
    a = _cell(t, "x", "a")
    assert a["eff_base"] == pytest.approx(n_eff)
    assert a["value"] == pytest.approx(wa[frame.loc[a_mask, "answer"] == "x"].sum() / wa.sum())
    b = _cell(t, "x", "b")
    z, p = proportions_ztest(
        [a["value"] * a["eff_base"], b["value"] * b["eff_base"]], [a["eff_base"], b["eff_base"]]
    )
    assert crosstab.proportion_z(a["value"], a["eff_base"], b["value"], b["eff_base"])[1] == pytest.approx(p)
    assert significance.effective_base(np.array([1.0, 1.0, 4.0])) == pytest.approx(36 / 18)


def test_means_use_welch_unweighted_and_weighted(two_groups):
    frame, params = two_groups
    t = _table(frame, params, "score", correction="none")
    a, b = _cell(t, "Mean", "a"), _cell(t, "Mean", "b")
    xa, xb = frame.loc[frame.grp == "a", "score"], frame.loc[frame.grp == "b", "score"]
    ref = stats.ttest_ind(xa, xb, equal_var=False)
    ours = crosstab.welch_t(
        a["value"], a["n"] and np.var(xa, ddof=1), 200, b["value"], np.var(xb, ddof=1), 200
    )
    assert ours[0] == pytest.approx(ref.statistic) and ours[1] == pytest.approx(ref.pvalue)
    assert ("A" in b["letters"]) == (ref.pvalue < 0.01)
    assert _cell(t, "Median", "a")["value"] == pytest.approx(np.median(xa), abs=0.05)
    # weighted: the same as statsmodels with weights rescaled to each column's effective base
    wt = _table(frame, params, "score", weighted=True, correction="none")
    wa, wb = frame.loc[frame.grp == "a", "w"], frame.loc[frame.grp == "b", "w"]
    ma, va, na = crosstab.weighted_mean_var(xa.to_numpy(), wa.to_numpy())
    mb, vb, nb = crosstab.weighted_mean_var(xb.to_numpy(), wb.to_numpy())
    cm = CompareMeans(
        DescrStatsW(xa, weights=wa * na / wa.sum()), DescrStatsW(xb, weights=wb * nb / wb.sum())
    )
    tstat, pval, _ = cm.ttest_ind(usevar="unequal")
    assert crosstab.welch_t(ma, va, na, mb, vb, nb)[1] == pytest.approx(pval)
    assert _cell(wt, "Mean", "a")["value"] == pytest.approx(np.average(xa, weights=wa))


def test_corrections_match_statsmodels():
    rng = np.random.default_rng(3)
    for method in ("holm", "bonferroni", "fdr_bh"):
        for _ in range(30):
            p = rng.random(rng.integers(1, 25)) ** 2
            np.testing.assert_allclose(crosstab.adjust(p, method), multipletests(p, method=method)[1])


def test_multiple_response_base_is_respondents_and_tests_each_answer(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    grp = np.where(np.arange(n) < 150, "a", "b")
    picks = []
    for g in grp:
        chosen = [
            o
            for o, pa, pb in (("tv", 0.7, 0.4), ("web", 0.6, 0.6), ("radio", 0.2, 0.5))
            if rng.random() < (pa if g == "a" else pb)
        ]
        picks.append(";".join(chosen) if chosen else None)
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "grp": grp, "media": picks, "w": 1.0})
    params = params_for(
        tmp_path,
        frame,
        {
            "id": "id",
            "demographic": ["grp"],
            "multi_response": {"media": {"dimension": "behavioural", "column": "media"}},
        },
    )
    t = _table(frame, params, "media", correction="none")
    answered = frame["media"].notna()
    base_a = int((answered & (frame.grp == "a")).sum())
    tv_a = _cell(t, "tv", "a")
    assert tv_a["base"] == base_a
    assert t.cells[(t.cells.column == "a")]["value"].sum() > 1  # several answers each
    count_a = frame.loc[frame.grp == "a", "media"].fillna("").str.contains("tv").sum()
    count_b = frame.loc[frame.grp == "b", "media"].fillna("").str.contains("tv").sum()
    base_b = int((answered & (frame.grp == "b")).sum())
    assert tv_a["value"] == pytest.approx(count_a / base_a)
    p = proportions_ztest([count_a, count_b], [base_a, base_b])[1]
    assert (tv_a["letters"] == "B") == (p < 0.01)
    assert t.chi2 == {}  # no overall chi-square for multiple response


def test_low_bases_are_flagged_and_not_tested_small_cells_hidden(tmp_path):
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(230)],
            "grp": ["a"] * 200 + ["b"] * 20 + ["c"] * 10,
            "answer": (["x"] * 150 + ["y"] * 50) + ["y"] * 18 + ["x"] * 2 + ["x"] * 10,
            "w": 1.0,
        }
    )
    params = params_for(tmp_path, frame, {"id": "id", "demographic": ["grp", "answer"]})
    t = _table(frame, params, "answer")
    b = t.bases.set_index("column")
    assert bool(b.loc["b", "low_base"]) and not bool(b.loc["a", "low_base"])
    assert _cell(t, "y", "b")["letters"] == "" and _cell(t, "x", "a")["letters"] == ""
    shown = tab_book.wide(t, "G")
    assert shown.loc["Base (respondents)", ("G", "b (B)")] == "20 *"
    assert shown.loc["x", ("G", "b (B)")] == marker(params.privacy.min_cell) == "<10"  # 2 respondents
    assert shown.loc["y", ("G", "c (C)")] == "0%"  # zero is not disclosive... but base 10 is fine
    export = tab_book.export([t], "G").set_index(["answer", "column"])
    assert export.loc[("x", "b"), "value"] == "<10" and export.loc[("x", "b"), "too few to test"]
    assert export.loc[("x", "a"), "value"] == pytest.approx(75.0)  # 150 of 200, a number
    assert export.loc[("x", "a"), "figure"] == "%" and export.loc[("x", "a"), "respondents"] == 200


@pytest.fixture(scope="module")
def demo_frame(demo_dir, tmp_path_factory):
    params = demo_params_at(demo_dir, tmp_path_factory.mktemp("p"))
    data = load_dataset(params)
    frame = profile_frame(data)
    return frame, params


def test_planted_differences_are_significant(demo_frame):
    frame, params = demo_frame
    cols = crosstab.banner_columns(frame, params)
    tables = crosstab.build_tables(
        frame, params, weights(frame, params), cols, rows=["att_price_sensitive", "att_quality_first"]
    )
    price = tables[0].cells
    email = price[(price.column == "email") & (price.row == "Top box")].iloc[0]
    paid = price[(price.column == "paid search") & (price.row == "Top box")].iloc[0]
    assert paid["value"] > email["value"] and email["letter"] in paid["letters"].upper()
    quality = tables[1].cells
    heavy = quality[(quality.column == "Heavy buyers") & (quality.row == "Mean")].iloc[0]
    assert heavy["vs_rest"] == 1  # premium loyalists buy most and value quality
    sentences = crosstab.biggest_differences(tables)
    assert sentences and all("everyone else" in s or "the other *" in s for s in sentences)
    # a channel is compared with the other channels (customers without one are not the rest)
    assert all("the other *Acquisition channel* groups" in s for s in sentences if "Acquisition" in s)


def test_a_random_split_shows_no_more_significance_than_chance(demo_frame):
    frame, params = demo_frame
    rng = np.random.default_rng(42)
    half = rng.random(len(frame)) < 0.5
    cols = banners.lettered(
        [crosstab.Column("one", "Split", half), crosstab.Column("two", "Split", ~half)], None
    )
    raw_ct = params.crosstab.model_copy(update={"correction": "none"})
    rows = crosstab.default_rows(params)
    w = weights(frame, params)
    tables = [
        crosstab.build_table(crosstab.make_question(frame, params, r), cols, w, raw_ct, 10) for r in rows
    ]
    cells = pd.concat([t.cells for t in tables])
    tested = cells[(cells.column == "one") & cells.kind.isin(["pct", "mean"])]
    significant = (tested["p_vs_rest"] < 0.05).sum()
    # at most what a 5% error rate allows (binomial 99.9% upper bound)
    assert significant <= stats.binom.ppf(0.999, len(tested), 0.05), (significant, len(tested))
    lettered = crosstab.significant_cells(tables)
    assert len(lettered) <= stats.binom.ppf(0.999, len(tested), 0.05)


so_file = SHARED / "survey" / "stackoverflow_2017.csv"


@pytest.mark.skipif(not so_file.exists(), reason="../shared/data/survey not present")
def test_developer_survey_career_satisfaction_by_remote_work(tmp_path):
    roles = ["Data_scientist", "Database_administrator", "DevOps", "Mobile_developer", "Web_developer"]
    raw = {
        "period": "so",
        "as_of": "2017-12-31",
        "data": {"customers": {"path": str(so_file)}},
        "columns": {
            "id": "respondent_id",
            "demographic": ["Remote", "CareerSatisfaction"],
            "geographic": ["Country"],
            "multi_response": {"roles": {"dimension": "demographic", "columns": roles}},
        },
        "numeric": ["CareerSatisfaction"],
        "filters": {"remote": 'Remote == "Remote"'},
        "crosstab": {"banners": [{"name": "Work", "column": "Remote"}]},
    }
    params = parse_params(raw, "so.yaml", tmp_path)
    data = load_dataset(params)
    frame = data.customers
    so = pd.read_csv(so_file)
    cols = crosstab.banner_columns(frame, params)
    w = weights(frame, params)
    t = crosstab.build_table(
        crosstab.make_question(frame, params, "CareerSatisfaction"),
        cols,
        w,
        params.crosstab.model_copy(update={"correction": "none"}),
        10,
    )
    remote, office = (
        so.loc[so.Remote == "Remote", "CareerSatisfaction"],
        so.loc[so.Remote == "Not remote", "CareerSatisfaction"],
    )
    ref = stats.ttest_ind(remote, office, equal_var=False)
    r = _cell(t, "Mean", "Remote")
    assert r["value"] == pytest.approx(remote.mean())
    rest = t.cells[(t.cells.column == "Remote") & (t.cells.row == "Mean")]["p_vs_rest"].iloc[0]
    assert rest == pytest.approx(ref.pvalue)
    roles_t = crosstab.build_table(
        crosstab.make_question(frame, params, "roles"), cols, w, params.crosstab, 10
    )
    web = _cell(roles_t, "Web_developer", "Remote")
    answered = so[roles].notna().any(axis=1)
    assert web["base"] == (answered & (so.Remote == "Remote")).sum()
    assert web["value"] == pytest.approx(so.loc[so.Remote == "Remote", "Web_developer"].mean())


bfi_file = SHARED / "survey" / "bfi.csv"


@pytest.mark.skipif(not bfi_file.exists(), reason="../shared/data/survey not present")
def test_six_point_likert_with_missing_answers_by_gender(tmp_path):
    raw = {
        "period": "bfi",
        "as_of": "2020-01-01",
        "data": {"customers": {"path": str(bfi_file)}},
        "columns": {
            "id": "respondent_id",
            "demographic": ["gender", "age", "education"],
            "psychographic": ["A1", "C1", "N1"],
        },
        "likert": {"min": 1, "max": 6},
        "crosstab": {"banners": [{"name": "Gender", "column": "gender"}]},
    }
    params = parse_params(raw, "bfi.yaml", tmp_path)
    data = load_dataset(params)
    frame = data.customers
    cols = crosstab.banner_columns(frame, params)
    t = crosstab.build_table(
        crosstab.make_question(frame, params, "N1"), cols, weights(frame, params), params.crosstab, 10
    )
    bfi = pd.read_csv(bfi_file)
    women = bfi.loc[bfi.gender == 2, "N1"].dropna()
    cell = _cell(t, "Top box", "code 2")  # no value labels: a code, never a bare "2"
    assert cell["base"] == len(women)
    assert cell["value"] == pytest.approx((women >= 5).mean())
    assert _cell(t, "Mean", "code 2")["value"] == pytest.approx(women.mean())
    men = bfi.loc[bfi.gender == 1, "N1"].dropna()
    ref = stats.ttest_ind(women, men, equal_var=False)
    letters = _cell(t, "Mean", "code 2")["letters"]
    assert (letters == "A") == (ref.pvalue < 0.01)  # women report more neuroticism in this sample


def test_only_significant_differences_are_coloured(tmp_path):
    frame = pd.DataFrame(
        {
            "id": range(440),
            "grp": ["a"] * 200 + ["b"] * 200 + ["c"] * 40,
            "answer": ["x"] * 150 + ["y"] * 50 + ["x"] * 50 + ["y"] * 150 + ["x"] * 15 + ["y"] * 25,
            "w": 1.0,
        }
    )
    params = params_for(tmp_path, frame, {"id": "id", "demographic": ["grp", "answer"]})
    t = _table(frame, params, "answer")
    c = _cell(t, "x", "c")  # 37.5% against 48.9% overall: under-indexes, but on 40 people
    assert c["index"] <= params.crosstab.index_low and c["vs_rest"] == 0
    shown = tab_book.stacked([t], "G")
    css = tab_book._colours([t], "G", params.crosstab, shown)
    label = t.question.label
    assert css.loc[(label, "x"), ("G", "c (C)")] == ""  # not significant: not coloured
    assert "background-color" in css.loc[(label, "x"), ("G", "a (A)")]  # 75% against 50%: coloured


def test_arrows_compare_a_column_with_the_rest_of_its_banner(tmp_path):
    """People in none of the banner's columns (prospects without a channel) do not count as the
    rest: two channels that answer alike get no arrow, however the outsiders answer."""
    frame = pd.DataFrame(
        {
            "id": range(600),
            "grp": ["a"] * 200 + ["b"] * 200 + [None] * 200,
            "answer": (["x"] * 100 + ["y"] * 100) * 2 + ["y"] * 200,
            "w": 1.0,
        }
    )
    params = params_for(tmp_path, frame, {"id": "id", "demographic": ["grp", "answer"]})
    cols = [crosstab.Column(v, "G", (frame["grp"] == v).to_numpy()) for v in ("a", "b")]
    q = crosstab.make_question(frame, params, "answer")
    t = crosstab.build_table(q, banners.lettered(cols, None), frame["w"], params.crosstab, 10)
    assert (t.cells.loc[t.cells["column"] != crosstab.TOTAL, "vs_rest"] == 0).all()
    assert _cell(t, "x", "a")["rest_value"] == pytest.approx(0.5)  # the other column, not everyone


@pytest.mark.parametrize("too_little_on_top", [True, False])
def test_a_planted_too_much_too_little_scale_reads_in_its_own_words(tmp_path, too_little_on_top):
    """A scale of Too much / About right / Too little (given only as `labels.values`): the
    headline states the answer words, never "agree", whichever end "Too little" is."""
    rng = np.random.default_rng(3)
    n = 900
    party = rng.choice([1, 2, 3], n)
    # Democrats (1) say "Too little" to foreign aid far more often than the others
    little = np.where(party == 1, rng.random(n) < 0.6, rng.random(n) < 0.12)
    codes = {"Too much": 1, "About right": 2, "Too little": 3}
    if not too_little_on_top:
        codes = {"Too much": 3, "About right": 2, "Too little": 1}
    other = rng.choice([codes["Too much"], codes["About right"]], n)
    frame = pd.DataFrame(
        {
            "id": range(n),
            "partyid": party,
            "race": rng.choice([1, 2, 3], n),
            "nataid": np.where(little, codes["Too little"], other),
        }
    )
    labels = {"nataid": "Foreign aid", "partyid": "Party", "race": "Race (1 white, 2 black, 3 other)"}
    labels["values"] = {  # type: ignore[assignment]
        "nataid": {code: word for word, code in codes.items()},
        "partyid": {1: "Democrats", 2: "Independents", 3: "Republicans"},
    }
    params = params_for(
        tmp_path,
        frame,
        {"id": "id", "demographic": ["partyid", "race"], "psychographic": ["nataid"]},
        labels=labels,
        crosstab={"banners": [{"name": "Party", "column": "partyid"}, {"name": "Race", "column": "race"}]},
    )
    data = load_dataset(params)
    cols = crosstab.banner_columns(data.customers, params)
    tables = crosstab.build_tables(data.customers, params, weights(data.customers, params), cols)
    found = crosstab.biggest_differences(tables, 20)
    top = "Too little" if too_little_on_top else "Too much"  # the top box: the highest code
    assert any(
        s.startswith("**Party: Democrats** are") and f"to say “{top}” to “Foreign aid”" in s for s in found
    )
    assert not [s for s in found if "agree" in s]
    assert "Race: code 2" in [c.title for c in cols]  # no labels: codes, never a bare 2


def test_a_group_of_two_filters_names_the_other_one_not_everyone_else(demo_frame):
    """Heavy against lapsed buyers leaves the occasional ones out: a finding names *Lapsed buyers*."""
    frame, params = demo_frame
    two = params.crosstab.model_copy(
        update={
            "banners": [Banner(name="Buyers", filters=["heavy_buyers", "lapsed_buyers"])],
            "compare_with_rest": [],
        }
    )
    params = params.model_copy(update={"crosstab": two})
    tables = crosstab.build_tables(
        frame,
        params,
        weights(frame, params),
        crosstab.banner_columns(frame, params),
        rows=["att_quality_first"],
    )
    found = crosstab.biggest_differences(tables)
    assert found and all("the other *Buyers* groups" not in s for s in found)
    labels = {c.label for c in tables[0].columns if c.group == "Buyers"}
    assert all(any(f" as *{label}* to " in s for label in labels) for s in found), found


@pytest.mark.parametrize(
    ("name", "expression", "banner", "heading"),
    [
        ("country_united_kingdom", 'Country == "United Kingdom"', "Country", "United Kingdom"),
        ("country_elsewhere", 'Country not in ["United Kingdom", "France"]', "Country", "Elsewhere"),
        ("region_north", '`Region name` == "North"', "Region", "North"),
        ("heavy_buyers", "orders >= 4", "Buyers", "Heavy buyers"),
        ("north_or_south", 'region == "N" or region == "S"', "Region", "North or south"),
        ("one_order", "orders == 1", "Buyers", "One order"),
    ],
)
def test_a_filter_heading_under_its_banner_reads_as_the_value_it_picks(name, expression, banner, heading):
    assert banners.filter_heading(name, expression, banner) == heading
