"""Privacy helpers: scrubbing free text and hiding small cells."""

import pandas as pd

from helpers.core.privacy import is_suppressed, scrub_text, suppress_rows, suppress_small


def test_scrub_text_removes_contact_details_and_keeps_words():
    text = pd.Series(
        [
            "Mail me: jane.doe+x@mail.example.org today",
            "Call +44 7700 900123 or (020) 7946-0958",
            "See www.example.com/page",
            None,
            "Price is 12 pounds for 3 items",
        ]
    )
    out = scrub_text(text)
    assert out[0] == "Mail me: [email] today"
    assert out[1] == "Call [phone] or [phone]"
    assert out[2] == "See [link]"
    assert pd.isna(out[3])
    assert out[4] == "Price is 12 pounds for 3 items"  # short numbers are not phones


def test_suppress_small_hides_cells_below_the_minimum():
    table = pd.DataFrame({"a": [50.0, 20.0], "b": [30.0, 70.0]}, index=["x", "y"])
    counts = pd.DataFrame({"a": [100, 9], "b": [10, 140]}, index=["x", "y"])
    out = suppress_small(table, counts, min_cell=10)
    assert out.loc["y", "a"] == "<10" and is_suppressed("<10") and not is_suppressed("<ten")
    assert out.loc["x", "b"] == 30.0 and out.loc["x", "a"] == 50.0


def test_suppress_rows_hides_whole_rows_but_keeps_labels():
    table = pd.DataFrame({"label": ["p", "q"], "respondents": [3, 40], "share %": [7.0, 93.0]})
    out = suppress_rows(table, "respondents", 10, keep=["label"])
    assert list(out.loc[0]) == ["p", "<10", "<10"]
    assert list(out.loc[1]) == ["q", 40, 93.0]


def test_groups_of_fewer_people_than_the_minimum_are_folded():
    import pandas as pd

    from helpers.core.privacy import SMALL_GROUPS, fold_small

    values = pd.Series(["North"] * 12 + ["Isle"] + ["Rock"] * 2 + [None])
    out = fold_small(values, 10)
    assert out.value_counts().to_dict() == {"North": 12, SMALL_GROUPS: 3}
    assert out.isna().sum() == 1
    assert fold_small(values, 1).equals(values)


def test_a_cell_of_no_one_can_stay():
    table = pd.DataFrame({"a": [50.0, 0.0, 1.0]})
    counts = pd.DataFrame({"a": [50, 0, 3]})
    assert suppress_small(table, counts, 10)["a"].tolist() == [50.0, "<10", "<10"]
    assert suppress_small(table, counts, 10, keep_zero=True)["a"].tolist() == [50.0, 0.0, "<10"]


def test_one_rule_for_a_figure_of_few_people_its_count_or_its_base():
    import numpy as np

    from helpers.core.privacy import too_few

    counts = pd.Series([0, 3, 12, 12, np.nan])
    base = pd.Series([40, 40, 40, 8, 5])
    assert too_few(counts, 10).tolist() == [True, True, False, False, False]
    assert too_few(counts, 10, base, keep_zero=True).tolist() == [False, True, False, True, False]
    table = pd.DataFrame({"month 1 %": [4.3, 50.0], "month 2 %": [8.7, np.nan]}, index=["small", "big"])
    active = pd.DataFrame({"month 1 %": [1, 20], "month 2 %": [2, np.nan]}, index=["small", "big"])
    sizes = pd.Series({"small": 23, "big": 40})
    out = suppress_small(table, active, 10, keep_zero=True, base=sizes)
    assert out.loc["small"].tolist() == ["<10", "<10"] and out.loc["big", "month 1 %"] == 50.0
    assert pd.isna(out.loc["big", "month 2 %"])  # no figure: nothing to hide
    gaps = suppress_small(table, active, 10, base=sizes, blank=True)
    assert gaps.loc["small"].isna().all() and gaps.loc["big", "month 1 %"] == 50.0
