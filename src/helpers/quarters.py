"""Step 6, every quarter: compare this quarter's segments and personas with the previous run.

Last quarter's fitted model (kept with that run's private artifacts) is applied to this
quarter's customers, so customers can be followed between segments (a migration matrix), and
each current segment is matched to last quarter's segment it overlaps most (Jaccard).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.config import Params
from helpers.crosstab import adjust, proportion_z
from helpers.naming import label
from helpers.segment import ASSIGNMENTS, jaccard, load_bundle

FACTS = "persona_facts.parquet"


def previous_folder(private_dir: str | Path | None, params: Params) -> Path | None:
    """The private folder of the previous run named by the parameters (latest version)."""
    prev = params.previous
    if not private_dir or prev.period is None:
        return None
    root = Path(private_dir).parent.parent  # private/<.build-…>/<notebook> → private/
    folder = root / prev.period
    versions = sorted(int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit())
    if prev.version is not None:
        versions = [v for v in versions if v == prev.version]
    for v in reversed(versions):
        if (folder / f"v{v}" / "03_segment" / "segment_model.joblib").exists():
            return folder / f"v{v}"
    return None


def save_facts(facts: pd.DataFrame, private_dir: str | Path | None) -> None:
    """Keep this quarter's persona facts for next quarter's comparison."""
    if private_dir:
        Path(private_dir).mkdir(parents=True, exist_ok=True)
        facts.to_parquet(Path(private_dir) / FACTS)


@dataclass
class Comparison:
    """What changed since the previous run."""

    changes: pd.DataFrame  # one row per current segment
    migration: pd.DataFrame  # previous segment (rows) → current segment (columns), % of rows
    appeared: list[str]
    vanished: list[str]
    previous: str

    def table(self) -> pd.DataFrame:
        """The changes for display: yes/no flags as words."""
        out = self.changes.copy()
        for col in ("size change beyond noise", "drifted"):
            out[col] = np.where(out[col], "yes", "")
        return out

    def summary(self) -> list[str]:
        """Plain sentences for stakeholders."""
        out = []
        for name, row in self.changes.iterrows():
            if row["size change beyond noise"]:
                word = "grew" if row["share now %"] > row["share before %"] else "shrank"
                out.append(
                    f"**{name}** {word} from {row['share before %']:.0f}% to "
                    f"{row['share now %']:.0f}% of customers (beyond noise)."
                )
            if row["drifted"]:
                out.append(f"**{name}** drifted in what they think: {row['drift']}.")
        out += [f"New this quarter: **{a}**." for a in self.appeared]
        out += [f"No longer found: **{v}**." for v in self.vanished]
        return out or [f"No change beyond noise since {self.previous}."]


def compare(
    frame: pd.DataFrame,
    segments: pd.Series,
    index: pd.DataFrame,
    names: dict[int, str],
    params: Params,
    folder: Path,
    facts_now: pd.DataFrame,
) -> Comparison:
    """Sizes, retention, value and NPS against last quarter; migration; appeared/vanished/drift."""
    bundle = load_bundle(folder / "03_segment" / "segment_model.joblib")
    prev_names = bundle["names"]
    applied = pd.Series(bundle["model"].predict_segment(frame), index=frame.index)
    ids = frame[params.columns.id].astype(str).to_numpy()
    prev_assign = pd.read_parquet(folder / "03_segment" / ASSIGNMENTS).set_index("customer_id")
    before = prev_assign["segment"].reindex(ids)
    both = before.notna().to_numpy()
    migration = (
        pd.crosstab(before.to_numpy()[both].astype(int), segments.to_numpy()[both], normalize="index") * 100
    )
    # match each current segment to last quarter's model segment it overlaps most
    match, best = {}, {}
    for s in sorted(segments.unique()):
        scores = {
            p: jaccard((segments == s).to_numpy(), (applied == p).to_numpy())
            for p in sorted(applied.unique())
        }
        p = max(scores, key=scores.get)
        match[s], best[s] = p, scores[p]
    # this quarter's segments in the order of the last quarter's they match: people who stayed in
    # the same segment sit on the diagonal, whatever number each quarter gave it
    order = sorted(migration.columns, key=lambda c: (match.get(c, 10**6), c))
    migration = migration[order]
    migration.index = [f"was {label(int(i), prev_names)}" for i in migration.index]
    migration.columns = [label(int(c), names) for c in migration.columns]
    threshold = params.previous.match_threshold
    appeared = [label(s, names) for s in match if best[s] < threshold]
    matched_prev = {match[s] for s in match if best[s] >= threshold}
    vanished = [label(p, prev_names) for p in sorted(prev_names) if p not in matched_prev]

    prev_sizes = prev_assign["segment"].value_counts()
    n_prev, n_now = int(prev_sizes.sum()), len(segments)
    facts_prev = (
        pd.read_parquet(folder / "05_personas" / FACTS) if (folder / "05_personas" / FACTS).exists() else None
    )
    shares_now = index.attrs["shares"]
    shares_prev = bundle["index"].attrs["shares"] if bundle.get("index") is not None else None
    rows, pvals = [], []
    for s in sorted(match):
        p = match[s]
        now_share = float((segments == s).mean())
        prev_share = float(prev_sizes.get(p, 0) / n_prev)
        pvals.append(float(proportion_z(now_share, n_now, prev_share, n_prev)[1]))
        row = {
            "segment": label(s, names),
            "was": label(p, prev_names),
            "overlap (Jaccard)": best[s],
            "share before %": 100 * prev_share,
            "share now %": 100 * now_share,
        }
        if facts_prev is not None and p in facts_prev.index and s in facts_now.index:
            for key in ("average customer value", "retention (ordered in last 12 months)", "NPS"):
                if key in facts_prev and key in facts_now:
                    row[f"{key}: before"] = facts_prev.loc[p, key]
                    row[f"{key}: now"] = facts_now.loc[s, key]
        row["drift"], row["drifted"] = _drift(shares_now, shares_prev, s, p, params.previous.drift_threshold)
        rows.append(row)
    changes = pd.DataFrame(rows).set_index("segment")
    changes["size change beyond noise"] = adjust(np.array(pvals), "holm") < 0.05
    changes["drifted"] = changes["drifted"].astype(bool)
    return Comparison(changes, migration, appeared, vanished, params.previous.period or "")


def _drift(
    now: pd.DataFrame, before: pd.DataFrame | None, s: int, p: int, threshold: float
) -> tuple[str, bool]:
    """Attitude items whose agree share moved by more than the threshold."""
    if before is None or s not in now or p not in before:
        return "", False
    rows = [k for k in now.index if k[1] == "agree" and k in before.index]
    diff = (now.loc[rows, s] - before.loc[rows, p]).dropna()
    moved = diff[diff.abs() >= threshold].sort_values(key=abs, ascending=False)
    text = "; ".join(
        f"“{k[0]}” {100 * before.loc[k, p]:.0f}% → {100 * now.loc[k, s]:.0f}% agree" for k in moved.index[:3]
    )
    return text, bool(len(moved))
