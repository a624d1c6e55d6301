"""Quarter over quarter: the planted changes are found, an unchanged re-run reports none."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import demo, personas, quarters, segment
from helpers.config import load_params
from helpers.data import load_dataset, weights
from helpers.filters import profile_frame


def _run(tmp_path, name: str, data_dir, previous: str | None, period: str, private):
    """Segment a quarter and keep its model and persona facts like a batch run would."""
    import yaml
    from conftest import demo_params_raw

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
    result = segment.run(frame, params, w)
    folder = private / period / "v1"
    from helpers.leads import bundle, train_typing_tool

    tool = train_typing_tool(frame, result.segments.to_numpy(), params, params.typing.questions)
    segment.save_bundle(bundle(result, tool, [], frame, params), folder / "03_segment")
    segment.save_assignments(result, frame, params, folder / "03_segment")
    cards = personas.build_personas(frame, result.segments, result.index, result.names, params)
    facts = personas.facts_table(cards)
    quarters.save_facts(facts, folder / "05_personas")
    return params, frame, result, facts


@pytest.fixture(scope="module")
def quarters_pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qoq")
    demo.write_demo(tmp / "prev", customers=6000, seed=3, previous_quarter=True)
    demo.write_demo(tmp / "now", customers=6000, seed=3)
    private = tmp / "private"
    _run(tmp, "prev", tmp / "prev", None, "q-prev", private)
    now = _run(tmp, "now", tmp / "now", "q-prev", "q-now", private)
    return tmp, private, now


def test_planted_changes_are_detected(quarters_pair):
    tmp, private, (params, frame, result, facts) = quarters_pair
    folder = quarters.previous_folder(private / ".build-x" / "05_personas", params)
    assert folder == private / "q-prev" / "v1"
    change = quarters.compare(frame, result.segments, result.index, result.names, params, folder, facts)
    truth = pd.read_parquet(tmp / "now" / "_truth.parquet")["segment_name"].to_numpy()
    majority = pd.crosstab(result.segments.to_numpy(), truth).idxmax(axis=1)
    rows = change.changes.assign(
        planted=[majority[int(i.split(".")[0])] for i in change.changes.index]
    ).set_index("planted")
    grows, shrinks, drifts = rows.loc[demo.GROWS], rows.loc[demo.SHRINKS], rows.loc[demo.DRIFTS]
    assert grows["size change beyond noise"] and grows["share now %"] > grows["share before %"]
    assert shrinks["size change beyond noise"] and shrinks["share now %"] < shrinks["share before %"]
    assert drifts["drifted"] and "social media" in drifts["drift"]
    stable = rows.drop(index=[demo.GROWS, demo.SHRINKS])
    assert not stable["size change beyond noise"].any()
    assert change.migration.shape[0] == 5
    text = " ".join(change.summary())
    assert "grew" in text and "shrank" in text and "drifted" in text


def test_an_unchanged_rerun_reports_no_change(quarters_pair):
    tmp, private, (params, frame, result, facts) = quarters_pair
    same = params.model_copy(update={"previous": params.previous.model_copy(update={"period": "q-now"})})
    folder = quarters.previous_folder(private / ".build-y" / "05_personas", same)
    change = quarters.compare(frame, result.segments, result.index, result.names, same, folder, facts)
    assert not change.changes["size change beyond noise"].any()
    assert not change.changes["drifted"].any()
    assert not change.appeared and not change.vanished
    assert change.summary() == ["No change beyond noise since q-now."]
