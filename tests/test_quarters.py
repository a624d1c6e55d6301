"""Quarter over quarter: the same people keep their persona's name and number, the overlap is a
true Jaccard, a reclassification is never told as growth, and an unchanged re-run reports none."""

from __future__ import annotations

import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import demo_params_raw

from helpers.analyses import personas, quarters, saved_model, segmentation
from helpers.analyses.filters import profile_frame
from helpers.analyses.leads import train_typing_tool
from helpers.core import artifacts
from helpers.data.dataset import load_dataset, weights
from helpers.params.loading import load_params
from helpers.present import card_pages
from helpers.setup import demo


def _run(tmp_path, name: str, data_dir, previous: str | None, period: str, private):
    """Segment a quarter and keep its model, assignments and persona facts like a batch run."""
    raw = demo_params_raw()
    raw["period"] = period
    raw["data"]["customers"]["path"] = str(data_dir / "customers.parquet")
    raw["data"]["orders"]["path"] = str(data_dir / "orders.parquet")
    raw["previous"]["period"] = previous
    raw["segment"].update({"bootstrap": 2, "seeds": 1, "k": 5})
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    params = load_params(path)
    frame = profile_frame(load_dataset(params))
    w = weights(frame, params)
    folder = private / period / "v1"
    # as the batch runs 03: in a build folder next to the published periods' folders
    result = segmentation.run(frame, params, w, private / f".build-{period}" / "03_segment")
    tool = train_typing_tool(frame, result.segments.to_numpy(), params, params.typing.questions)
    saved_model.save(saved_model.build(result, tool, [], frame, params), folder / "03_segment")
    segmentation.save_assignments(result, frame, params, folder / "03_segment")
    cards = personas.build_personas(frame, result.segments, result.profile, result.names, params)
    facts = card_pages.facts_table(cards)
    quarters.save_facts(facts, folder / "05_personas")
    bases = quarters.kpi_bases(frame, result.segments, params)
    quarters.save_facts(bases, folder / "05_personas", artifacts.PERSONA_BASES)
    return params, frame, result, facts


@pytest.fixture(scope="module")
def quarters_pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qoq")
    demo.write_demo(tmp / "prev", customers=6000, seed=3, previous_quarter=True)
    demo.write_demo(tmp / "now", customers=6000, seed=3)
    private = tmp / "private"
    prev = _run(tmp, "prev", tmp / "prev", None, "q-prev", private)
    now = _run(tmp, "now", tmp / "now", "q-prev", "q-now", private)
    return tmp, private, now, prev


def _planted(result: segmentation.Segmentation, truth_path) -> pd.Series:
    """The planted demo segment most of each found segment's people come from."""
    truth = pd.read_parquet(truth_path)["segment_name"].to_numpy()
    return pd.crosstab(result.segments.to_numpy(), truth).idxmax(axis=1)


def _compare(quarters_pair) -> quarters.Comparison:
    tmp, private, (params, frame, result, facts), _ = quarters_pair
    folder = quarters.previous_folder(private / ".build-x" / "05_personas", params)
    assert folder == private / "q-prev" / "v1"
    return quarters.compare(frame, result.segments, result.profile, result.names, params, folder, facts)


def _by_planted(quarters_pair, change: quarters.Comparison) -> pd.DataFrame:
    tmp, _, (_, _, result, _), _ = quarters_pair
    majority = _planted(result, tmp / "now" / "_truth.parquet")
    return change.changes.assign(
        planted=[majority[int(i.split(".")[0])] for i in change.changes.index]
    ).set_index("planted")


def test_planted_changes_are_detected(quarters_pair):
    change = _compare(quarters_pair)
    rows = _by_planted(quarters_pair, change)
    grows, shrinks, drifts = rows.loc[demo.GROWS], rows.loc[demo.SHRINKS], rows.loc[demo.DRIFTS]
    assert grows["size change beyond noise"] and grows["share now %"] > grows["share before %"]
    assert shrinks["size change beyond noise"] and shrinks["share now %"] < shrinks["share before %"]
    assert drifts["drifted"] and "social media" in drifts["drift"]
    stable = rows.drop(index=[demo.GROWS, demo.SHRINKS])
    assert not stable["size change beyond noise"].any()
    assert change.migration.shape == (5, 5) and not change.appeared and not change.vanished
    text = " ".join(change.summary())
    assert "grew" in text and "shrank" in text and "drifted" in text


def test_matched_personas_keep_their_names_and_numbers(quarters_pair):
    tmp, private, (_, _, now, _), (_, _, prev, _) = quarters_pair
    before = _planted(prev, tmp / "prev" / "_truth.parquet")
    after = _planted(now, tmp / "now" / "_truth.parquet")
    # the same planted people are under the same number and persona name in both quarters
    number_before = {t: s for s, t in before.items()}
    number_after = {t: s for s, t in after.items()}
    assert set(number_before) == set(number_after) == set(demo.SEGMENTS)
    for planted in demo.SEGMENTS:
        assert number_after[planted] == number_before[planted], planted
        assert now.names[number_after[planted]] == prev.names[number_before[planted]], planted
    # 04 and 05 read the same names from what 03 saved
    saved = pd.read_parquet(artifacts.ASSIGNMENTS.in_run(private / "q-now" / "v1"))
    labels = dict(zip(saved["segment"], saved["segment_name"], strict=False))
    assert labels == {s: f"{s}. {n}" for s, n in now.names.items()}
    assert saved_model.load(artifacts.SEGMENT_MODEL.in_run(private / "q-now" / "v1")).names == now.names


def test_a_rerun_of_the_previous_quarter_keeps_every_name_and_number(quarters_pair):
    tmp, private, _, (_, frame, prev, _) = quarters_pair
    _, frame2, again, _ = _run(tmp, "again", tmp / "prev", "q-prev", "q-prev-again", private)
    assert again.names == prev.names
    assert (again.segments.to_numpy() == prev.segments.to_numpy()).all()
    # the model predicts under the kept numbers too (the typing tool and `workbook assign`)
    assert (again.model.predict_segment(frame2) == again.segments.to_numpy()).all()


def test_the_overlap_is_a_true_jaccard(quarters_pair):
    tmp, private, (params, frame, result, _), _ = quarters_pair
    change = _compare(quarters_pair)
    col = "overlap (Jaccard, people in both quarters)"
    assert col in change.changes
    ratio = change.changes[["share before %", "share now %"]]
    bound = ratio.min(axis=1) / ratio.max(axis=1)  # every id is in both demo quarters
    assert (change.changes[col] <= bound + 1e-9).all()
    # the value itself, from the member sets
    before = pd.read_parquet(artifacts.ASSIGNMENTS.in_run(private / "q-prev" / "v1"))
    prev_sets = before.groupby("segment")["customer_id"].apply(set)
    ids = frame[params.columns.id].astype(str)
    for label, row in change.changes.iterrows():
        s = int(label.split(".")[0])
        now_set, prev_set = set(ids[result.segments == s]), prev_sets[int(row["was"].split(".")[0])]
        assert row[col] == pytest.approx(len(now_set & prev_set) / len(now_set | prev_set))


def test_reclassification_is_not_told_as_growth(quarters_pair):
    change = _compare(quarters_pair)
    rows = _by_planted(quarters_pair, change)
    grows, shrinks = rows.loc[demo.GROWS], rows.loc[demo.SHRINKS]
    # planted: 8% of customers moved from the shrinking segment to the growing one, nobody new
    assert 5 < grows["reclassified (points)"] < 11
    assert abs(grows["from new or departed customers (points)"]) < 1
    assert grows["change in points"] == pytest.approx(
        grows["reclassified (points)"] + grows["from new or departed customers (points)"]
    )
    assert shrinks["reclassified (points)"] == pytest.approx(-grows["reclassified (points)"], abs=2)
    line = next(s for s in change.summary() if "grew" in s)
    grows_name = change.changes.index[change.changes["reclassified (points)"].argmax()]
    shrinks_name = change.changes.index[change.changes["reclassified (points)"].argmin()]
    assert f"**{grows_name}** grew" in line and f"**{shrinks_name}** shrank" in line
    assert "one move, not growth" in line and f"were in **{shrinks_name}** last quarter" in line
    assert "less than 1 point" in line  # the new and departed customers
    assert sum("grew" in s for s in change.summary()) == 1  # one event, told once


def test_new_customers_are_told_apart_from_reclassified_ones(quarters_pair, tmp_path):
    tmp, private, (params, frame, result, facts), _ = quarters_pair
    # last quarter without a third of the growing segment's people: they are new customers now
    grows = int(change_row(quarters_pair).split(".")[0])
    folder = tmp_path / "private" / "q-fewer" / "v1"
    shutil.copytree(private / "q-prev" / "v1", folder)
    table = pd.read_parquet(artifacts.ASSIGNMENTS.in_run(folder))
    ids = frame[params.columns.id].astype(str)
    stayers = set(ids[result.segments == grows]) & set(table.loc[table["segment"] == grows, "customer_id"])
    drop = set(sorted(stayers)[: len(stayers) // 3])
    table[~table["customer_id"].isin(drop)].to_parquet(artifacts.ASSIGNMENTS.in_run(folder))
    change = quarters.compare(frame, result.segments, result.profile, result.names, params, folder, facts)
    row = change.changes.loc[[i for i in change.changes.index if i.startswith(f"{grows}.")][0]]
    assert row["from new or departed customers (points)"] > 2
    assert 5 < row["reclassified (points)"] < 11
    line = next(s for s in change.summary() if "grew" in s)
    assert "new customers added" in line


def change_row(quarters_pair) -> str:
    """The label of the segment the planted migration grows."""
    rows = _compare(quarters_pair).changes
    return rows.index[rows["reclassified (points)"].argmax()]


def test_at_a_glance_leads_with_measures_beyond_noise(quarters_pair):
    change = _compare(quarters_pair)
    kpis = change.kpis
    assert {"bought in the last 12 months", "NPS"} <= set(kpis["measure"])
    assert kpis["p"].notna().all()  # every figure tested: bases kept with both quarters
    lines = change.summary()
    moved = kpis[kpis["beyond noise"]]
    assert len(moved), "the demo's previous quarter differs in more than sizes"
    first = lines[0]
    assert first[0] in (quarters.UP, quarters.DOWN) and "grew" not in first
    assert any(f"**{m}**" in first for m in moved["measure"])
    # a measure moved beyond noise is never left out of the summary
    assert all(any(f"**{m}**" in s for s in lines) for m in moved["measure"].unique())


def test_an_unchanged_rerun_reports_no_change(quarters_pair):
    tmp, private, (params, frame, result, facts), _ = quarters_pair
    same = params.model_copy(update={"previous": params.previous.model_copy(update={"period": "q-now"})})
    folder = quarters.previous_folder(private / ".build-y" / "05_personas", same)
    change = quarters.compare(frame, result.segments, result.profile, result.names, same, folder, facts)
    assert not change.changes["size change beyond noise"].any()
    assert not change.changes["drifted"].any()
    assert not change.kpis["beyond noise"].any()
    assert (change.changes["overlap (Jaccard, people in both quarters)"] == 1).all()
    assert not change.appeared and not change.vanished
    assert change.summary() == ["No change beyond noise since q-now."]


def test_matching_is_one_to_one_and_a_weak_pair_is_no_match():
    ids = [f"C{i}" for i in range(100)]
    before = pd.Series([1] * 40 + [2] * 40 + [3] * 20, index=ids)
    # segment 1 splits between 5 and 6; 2 continues as 7; 3's people spread thin
    now = pd.Series([5] * 22 + [6] * 18 + [7] * 40 + [5] * 10 + [6] * 10, index=ids)
    m = quarters.match(before, now, threshold=0.3)
    assert m.pairs == {5: 1, 7: 2}  # one to one: 6 may not take 1 too
    assert m.appeared == [6] and m.vanished == [3]
    assert m.jaccard.loc[1, 5] == pytest.approx(22 / (40 + 32 - 22))
    assert int(m.counts.to_numpy().sum()) == 100


def test_a_new_segment_gets_a_number_and_name_not_used_before(tmp_path, demo_dir):
    from conftest import demo_params_at

    params = demo_params_at(demo_dir, tmp_path)  # a clean clone has no data/demo
    folder = tmp_path / "v1"
    (folder / "03_segment").mkdir(parents=True)
    ids = [f"C{i}" for i in range(90)]
    pd.DataFrame({"customer_id": ids, "segment": [1] * 45 + [2] * 45}).to_parquet(
        artifacts.ASSIGNMENTS.in_run(folder)
    )
    joblib.dump({"names": {1: "Morgan", 2: "Drew"}}, artifacts.SEGMENT_MODEL.in_run(folder))  # format 1
    frame = pd.DataFrame({"customer_id": ids, "age": 50, "gender": "x"})
    now = pd.Series([2] * 45 + [1] * 30 + [3] * 15)  # size order put old 2's people first
    mapping, names = quarters.follow_previous(
        frame, now, {1: "Morgan", 2: "Charlie", 3: "Drew"}, {}, params, folder
    )
    assert mapping == {2: 1, 1: 2, 3: 3}
    assert names[1] == "Morgan" and names[2] == "Drew"
    assert names[3] not in {"Morgan", "Drew"} and names[3]
    assert np.array_equal(now.map(mapping).to_numpy()[:45], np.ones(45))
