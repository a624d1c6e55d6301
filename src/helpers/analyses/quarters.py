"""Step 6, every quarter: follow the same people from last quarter's segments to this quarter's.

The people who are customers in both quarters are the thread: their segment last quarter (kept
with that run's private artifacts) against their segment now gives the migration counts, and each
current segment is matched one to one (:func:`match`) to the previous segment whose members it
shares most, by the true Jaccard overlap of the two member sets among these people. A matched
segment keeps last quarter's number and persona name (:func:`follow_previous`, called by
03_segment where it names its segments, so 03, 04 and 05 show the same names); a segment below
the match threshold is new, and a previous segment left without a match is gone.

A change in a segment's size is split into people reclassified between segments (among people in
both quarters) and new or departed customers, so that a reclassification is never told as
growth; every measure of the persona facts is compared with a two-sample test (Holm-corrected
across the segments of one measure).

This module sits below :mod:`helpers.analyses.segment` (which calls :func:`follow_previous`), so it reads
the previous run's files itself and never imports the segmentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from helpers.analyses.metrics import Metric, effective_base, outcome_metric, registry
from helpers.analyses.naming import account_type_name, label, persona_of, pick_name
from helpers.analyses.profiles import SegmentProfile
from helpers.analyses.saved_model import SegmentModel
from helpers.analyses.saved_model import load as load_model
from helpers.analyses.significance import adjust, proportion_z, welch_t
from helpers.core.artifacts import ASSIGNMENTS, PERSONA_BASES, PERSONA_FACTS, SEGMENT_MODEL, Artifact
from helpers.data.dataset import weights as weights_of
from helpers.params.config import Params
from helpers.params.outcomes import outcome_of
from helpers.params.schema import population

UP, DOWN = "▲", "▼"


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
        if SEGMENT_MODEL.in_run(folder / f"v{v}").exists():
            return folder / f"v{v}"
    return None


def save_facts(facts: pd.DataFrame, private_dir: str | Path | None, kept: Artifact = PERSONA_FACTS) -> None:
    """Keep this quarter's persona facts (or their bases) for next quarter's comparison."""
    if private_dir:
        Path(private_dir).mkdir(parents=True, exist_ok=True)
        facts.to_parquet(Path(private_dir) / kept.name)


def previous_run(folder: Path) -> tuple[pd.Series, dict[int, str], SegmentModel]:
    """Last quarter's segment of each customer (by id), its names, and its saved model."""
    table = pd.read_parquet(ASSIGNMENTS.in_run(folder))
    before = pd.Series(
        table["segment"].astype(int).to_numpy(), index=table["customer_id"].astype(str).to_numpy()
    )
    model = load_model(SEGMENT_MODEL.in_run(folder))
    names = {int(k): str(v) for k, v in model.names.items()}
    return before, names, model


# --- matching on the people in both quarters ----------------------------------------------------


@dataclass
class Match:
    """Last quarter's segments against this quarter's, on the people in both quarters."""

    counts: pd.DataFrame  # previous segment (rows) × current segment (columns): people
    jaccard: pd.DataFrame  # the same cells: |both| / |either| of the two member sets
    pairs: dict[int, int]  # current segment → the previous segment it continues
    appeared: list[int]  # current segments without a match (new)
    vanished: list[int]  # previous segments without a match (gone)

    def overlap(self, current: int) -> float:
        """The Jaccard overlap of a current segment with the previous one it continues."""
        p = self.pairs.get(current)
        return float(self.jaccard.loc[p, current]) if p is not None else np.nan


def match(before: pd.Series, now: pd.Series, threshold: float) -> Match:
    """Match current to previous segments one to one, maximising the summed Jaccard overlap of
    their members among the people in both quarters (a pair below `threshold` is no match).

    Jaccard rather than counts: counts would let a large segment win every pair it touches, and
    a Jaccard is on the same 0–1 scale as the threshold and as 03's stability check.
    """
    ids = before.index.intersection(now.index)
    counts = pd.crosstab(
        pd.Series(before.loc[ids].to_numpy(), name="before"), pd.Series(now.loc[ids].to_numpy(), name="now")
    )
    counts = counts.reindex(
        index=sorted(set(before.dropna().astype(int))),
        columns=sorted(set(now.dropna().astype(int))),
        fill_value=0,
    )
    c = counts.to_numpy(float)
    union = c.sum(axis=1, keepdims=True) + c.sum(axis=0, keepdims=True) - c
    jac = pd.DataFrame(
        np.divide(c, union, out=np.zeros_like(c), where=union > 0), counts.index, counts.columns
    )
    rows, cols = linear_sum_assignment(-jac.to_numpy()) if c.size else ([], [])
    pairs = {
        int(counts.columns[j]): int(counts.index[i])
        for i, j in zip(rows, cols, strict=True)
        if jac.iat[i, j] >= threshold
    }
    appeared = [int(s) for s in counts.columns if s not in pairs]
    vanished = [int(p) for p in counts.index if p not in set(pairs.values())]
    return Match(counts, jac, pairs, appeared, vanished)


def follow_previous(
    frame: pd.DataFrame,
    segments: pd.Series,
    names: dict[int, str],
    descriptions: dict[int, str],
    params: Params,
    folder: Path | None,
) -> tuple[dict[int, int], dict[int, str]]:
    """This quarter's number and name of each segment: a segment matched to last quarter's (on the
    people in both quarters) keeps that segment's number and persona name; a new one gets a
    number and a name last quarter did not use. Returns {current number: new number} and the
    names by new number (unchanged when there is no previous run)."""
    if folder is None or params.columns is None:
        return {int(s): int(s) for s in names}, dict(names)
    before, prev_names, _ = previous_run(folder)
    now = pd.Series(segments.to_numpy(), index=frame[params.columns.id].astype(str).to_numpy())
    m = match(before, now, params.previous.match_threshold)
    mapping = {s: m.pairs[s] for s in m.pairs}
    used = set(prev_names) | set(m.counts.index)
    next_number = max(used | set(mapping.values()), default=0) + 1
    for s in m.appeared:
        mapping[s], next_number = next_number, next_number + 1
    given = {int(k): str(v) for k, v in params.segment.names.items()}
    out = {mapping[s]: prev_names.get(p, names.get(s, "")) for s, p in m.pairs.items()}
    taken = (
        set(prev_names.values()) | set(out.values()) | {v for k, v in given.items() if k in mapping.values()}
    )
    for s in m.appeared:
        name = names.get(s, "")
        if not name or name in taken:  # a name last quarter used belongs to its people
            if params.unit == "account":
                name = account_type_name(descriptions.get(s, ""), mapping[s], taken)
            else:
                gender, band = persona_of(frame, segments == s, params)
                name = pick_name(gender, band, f"{mapping[s]}-{descriptions.get(s)}", taken)
        out[mapping[s]] = name
        taken.add(name)
    out.update({k: v for k, v in given.items() if k in out})
    return mapping, dict(sorted(out.items()))


# --- what each persona figure rests on ----------------------------------------------------------


def measures(params: Params) -> dict[str, Metric]:
    """The measures the persona facts hold, by key (their titles are the facts' columns)."""
    out = registry(params)
    if (outcome := outcome_of(params)) is not None:
        out["outcome"] = outcome_metric(outcome.name, outcome.base)
    return out


def kpi_bases(
    frame: pd.DataFrame, segments: pd.Series, params: Params, clv: pd.Series | None = None
) -> pd.DataFrame:
    """For each segment and measure of the persona facts: the (effective) number of people the
    figure rests on (`n:<key>`) and, for means, their standard deviation (`sd:<key>`), on the
    bases personas use, so that next quarter can test a change against noise."""
    cols = params.columns
    w = weights_of(frame, params).astype(float)
    outcome = outcome_of(params)
    flags = outcome.flags(frame, params) if outcome is not None else None
    first = pd.to_datetime(frame[cols.acquisition.date]) if cols.acquisition.date else None
    rows = {}
    for s in sorted(pd.unique(segments.dropna())):
        mask = segments == s
        row: dict[str, float] = {"n:size": float(mask.sum())}
        if "orders" in frame:
            row["n:bought_12m"] = effective_base(w[mask & (frame["orders"] > 0)])
        if flags is not None:
            row["n:outcome"] = effective_base(w[flags[mask].dropna().index])
        if clv is not None:
            values = clv.reindex(frame.loc[mask, cols.id].astype(str).to_numpy()).dropna()
            row["n:value"], row["sd:value"] = float(len(values)), float(values.std(ddof=1))
        if "converted" in frame and "trial" in frame:
            row["n:converted"] = float((mask & (frame["trial"] == 1) & frame["converted"].notna()).sum())
        if cols.nps:
            nps = frame.loc[mask, cols.nps].astype(float).dropna()
            score = 100.0 * ((nps >= 9).astype(float) - (nps <= 6).astype(float))
            row["n:nps"], row["sd:nps"] = float(len(score)), float(score.std(ddof=1))
        if first is not None:
            row["n:new_12m"] = effective_base(w[mask & first.notna()])
        rows[int(s)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("segment")


def _p_value(metric: Metric, before: float, now: float, nb: float, nn: float, sb: float, sn: float) -> float:
    """A two-sample test of one figure: two proportions for shares, Welch's t for means."""
    if not (nb >= 2 and nn >= 2) or np.isnan(before) or np.isnan(now):
        return np.nan
    if metric.unit == "share":
        return float(proportion_z(now, nn, before, nb)[1])
    if np.isnan(sb) or np.isnan(sn):
        return np.nan
    return welch_t(now, sn**2, nn, before, sb**2, nb)[1]


# --- the comparison -----------------------------------------------------------------------------


@dataclass
class Comparison:
    """What changed since the previous run."""

    changes: pd.DataFrame  # one row per current segment: size, its split, overlap, drift
    migration: pd.DataFrame  # previous segment (rows) → current segment (columns), % of the row
    appeared: list[str]
    vanished: list[str]
    previous: str
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per segment and measure
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)  # the migration in people
    who: str = "customers"  # the run's people, plural (`schema.population`)
    weighted: bool = False  # the run has survey weights (the size columns count people unweighted)

    def table(self) -> pd.DataFrame:
        """The changes for display: yes/no flags as words, the people's own word, and the size
        columns said to count people unweighted where the run has weights (the weighted share
        is the first measure of :meth:`kpi_table`)."""
        out = self.changes.drop(columns=["moves"], errors="ignore").copy()
        for col in ("size change beyond noise", "drifted"):
            out[col] = np.where(out[col], "yes", "")
        names = {"from new or departed customers (points)": f"from new or departed {self.who} (points)"}
        if self.weighted:
            names |= {
                "share before %": "share before % (people, unweighted)",
                "share now %": "share now % (people, unweighted)",
            }
        return out.rename(columns=names)

    def kpi_table(self) -> pd.DataFrame:
        """Every measure of every continued persona, before and now (shares in %, changes in
        points), with ▲/▼ where the change is beyond noise."""
        if self.kpis.empty:
            return self.kpis
        out = self.kpis.copy()
        share = out["unit"] == "share"
        for col in ("before", "now", "change"):
            out[col] = out[col].where(~share, 100 * out[col])
        plain = ~share | out["measure"].str.endswith("%")  # "Status: churned %" says it already
        out["measure"] = out["measure"].where(plain, out["measure"] + " (%)")
        out["relative change %"] = 100 * out.pop("relative")
        out["beyond noise"] = np.where(out["beyond noise"], out["arrow"], "")
        return out.drop(columns=["unit", "better", "p", "arrow"]).set_index(["segment", "measure"])

    def summary(self) -> list[str]:
        """Plain sentences for stakeholders: the largest changes beyond noise in each measure
        first, then sizes (reclassified people told apart from new ones), drift, new and gone."""
        out = self._kpi_lines() + self._size_lines()
        for name, row in self.changes.iterrows():
            if row["drifted"]:
                out.append(f"**{name}** drifted in what they think: {row['drift']}.")
        out += [
            f"New this quarter: **{a}** (no segment of last quarter holds most of its people)."
            for a in self.appeared
        ]
        out += [f"Gone: **{v}** (its people are now spread over other segments)." for v in self.vanished]
        return out or [f"No change beyond noise since {self.previous}."]

    def _of(self) -> str:
        """Who a size share is of, as a sentence says it."""
        return f"{self.who} (counted without weights)" if self.weighted else self.who

    def _kpi_lines(self) -> list[str]:
        """One sentence per measure with a change beyond noise, the largest relative change first."""
        if self.kpis.empty:
            return []
        sig = self.kpis[self.kpis["beyond noise"]]
        lines = []
        for measure, rows in sig.groupby("measure", sort=False):
            rows = rows.reindex(rows["relative"].abs().sort_values(ascending=False).index)
            tested = int(self.kpis.loc[self.kpis["measure"] == measure, "p"].notna().sum())
            top = rows.iloc[0]
            arrow, verb = (UP, "rose") if top["change"] > 0 else (DOWN, "fell")
            same = bool((np.sign(rows["change"]) == np.sign(top["change"])).all())
            if len(rows) == tested and same and tested > 1:
                most = f"**{top['segment']}**, {_fig(top, 'before')} → {_fig(top, 'now')}"
                where = f"in all {tested} segments (most in {most})"
            else:
                where = "; ".join(
                    f"**{r['segment']}** {_fig(r, 'before')} → {_fig(r, 'now')}"
                    + (f" ({100 * r['relative']:+.0f}%)" if r["unit"] != "share" else "")
                    for _, r in rows.head(3).iterrows()
                )
                where = f"for {where}"
            lines.append((abs(top["relative"]), f"{arrow} **{measure}** {verb} {where}."))
        return [line for _, line in sorted(lines, key=lambda t: -t[0])]

    def _size_lines(self) -> list[str]:
        """A size change beyond noise, split: people reclassified between segments (one move told
        once, from the side that grew) and new or departed customers."""
        out, told = [], set()
        rows = self.changes[self.changes["size change beyond noise"]]
        rows = rows.reindex(rows["change in points"].abs().sort_values(ascending=False).index)
        for name, row in rows.iterrows():
            if name in told:
                continue
            grew = row["change in points"] > 0
            partner, pts = _main_move(row["moves"], grew)
            both = partner in rows.index and partner not in told and abs(pts) >= 0.5
            if both and not grew:  # one move: tell it from the side that grew
                prow = rows.loc[partner]
                if prow["change in points"] > 0 and _main_move(prow["moves"], True)[0] == name:
                    name, row, grew = partner, prow, True
                    partner, pts = _main_move(row["moves"], True)
            told.add(name)
            head = (
                f"{UP if grew else DOWN} **{name}** {'grew' if grew else 'shrank'} from {_shares(row)} "
                f"of {self._of()}"
            )
            other = _turnover(row["from new or departed customers (points)"], self.who)
            if not partner or abs(pts) < 0.5:
                out.append(
                    f"{head}: {other}; people reclassified between segments moved it by "
                    f"{row['reclassified (points)']:+.0f} points."
                )
                continue
            if partner in rows.index and partner not in told:
                prow = rows.loc[partner]
                back = _main_move(prow["moves"], not grew)[0] == name
                if back and (prow["change in points"] > 0) != grew:
                    told.add(partner)
                    head += (
                        f" and {UP if not grew else DOWN} **{partner}** "
                        f"{'grew' if not grew else 'shrank'} from {_shares(prow)}: one move, not "
                        + ("growth" if grew else "a loss")
                    )
            moved = (
                f"{abs(pts):.0f} points are people who were in **{partner}** last quarter"
                if grew
                else f"{abs(pts):.0f} points are people now in **{partner}**"
            )
            out.append(f"{head}: {moved} (reclassified, among people in both quarters); {other}.")
        return out


def _turnover(points: float, who: str = "customers") -> str:
    """What new and departed people did to a segment's share, in words."""
    if points >= 0.5:
        return f"new {who} added {points:.0f} points"
    if points <= -0.5:
        return f"departed {who} took {-points:.0f} points"
    return f"new and departed {who} changed it by less than 1 point"


def _shares(row: pd.Series) -> str:
    """ "18% to 24%": a segment's share of customers before and now."""
    return f"{row['share before %']:.0f}% to {row['share now %']:.0f}%"


def _fig(row: pd.Series, which: str) -> str:
    """A figure as the cards show it: shares in %, money and scores with one decimal."""
    value = row[which]
    return f"{100 * value:.0f}%" if row["unit"] == "share" else f"{value:,.1f}"


def _main_move(moves: dict[str, float], grew: bool) -> tuple[str, float]:
    """The other segment that gave (or took) most of a segment's people, net, in points."""
    if not moves:
        return "", 0.0
    name = max(moves, key=moves.get) if grew else min(moves, key=moves.get)
    pts = moves[name]
    return (name, pts) if (pts > 0) == grew else ("", 0.0)


def _migration(
    counts: pd.DataFrame, names: dict[int, str], prev_names: dict[int, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where last quarter's members of each segment are now (% of the row), and the same in people,
    both labelled with the two quarters' names."""
    migration = 100 * counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
    migration.index = [f"was {label(int(i), prev_names)}" for i in migration.index]
    migration.columns = [label(int(c), names) for c in migration.columns]
    shown = counts.copy()
    shown.index, shown.columns = migration.index, migration.columns
    return migration, shown


def _moves(
    s: int, p: int | None, m: Match, counts: pd.DataFrame, names: dict[int, str], prev_names: dict[int, str]
) -> dict[str, float]:
    """Segment ``s``'s net exchange of people with every other segment (points of the people in
    both quarters; ``p``: the previous segment it continues)."""
    n_both = float(counts.to_numpy().sum())
    moves: dict[str, float] = {}
    for q in counts.index:
        if q == p:
            continue
        back = [c for c, r in m.pairs.items() if r == q]
        net = float(counts.loc[q, s]) - (float(counts.loc[p, back[0]]) if back and p is not None else 0.0)
        moves[label(back[0], names) if back else f"{label(q, prev_names)} (gone)"] = (
            100 * net / max(n_both, 1)
        )
    for c in m.appeared:
        if c != s and p is not None:
            moves[f"{label(c, names)} (new)"] = -100 * float(counts.loc[p, c]) / max(n_both, 1)
    return moves


def compare(
    frame: pd.DataFrame,
    segments: pd.Series,
    found: SegmentProfile,
    names: dict[int, str],
    params: Params,
    folder: Path,
    facts_now: pd.DataFrame,
    bases_now: pd.DataFrame | None = None,
) -> Comparison:
    """Sizes (split into reclassified and new or departed people), every persona measure with a
    two-sample test, migration on the people in both quarters, new, gone and drifted segments."""
    before, prev_names, prev_model = previous_run(folder)
    ids = frame[params.columns.id].astype(str).to_numpy()
    now = pd.Series(segments.to_numpy(), index=ids)
    m = match(before, now, params.previous.match_threshold)
    counts = m.counts
    # this quarter's segments in the order of the previous ones they continue: people who stayed
    # in the same segment sit on the diagonal, whatever number each quarter gave it
    order = [s for p in counts.index for s, q in m.pairs.items() if q == p] + m.appeared
    counts = counts[order]
    migration, shown = _migration(counts, names, prev_names)

    n_both = float(counts.to_numpy().sum())
    n_prev, n_now = len(before), len(now)
    prev_sizes, now_sizes = before.value_counts(), now.value_counts()
    facts_prev = _read(PERSONA_FACTS.in_run(folder))
    bases_prev = _read(PERSONA_BASES.in_run(folder))
    if bases_now is None:
        bases_now = kpi_bases(frame, segments, params)
    shares_now = found.shares
    shares_prev = prev_model.profile.shares if prev_model.profile is not None else None
    rows, pvals = [], []
    for s in order:
        p = m.pairs.get(s)
        now_share = float(now_sizes.get(s, 0) / n_now)
        prev_share = float(prev_sizes.get(p, 0) / n_prev) if p is not None else 0.0
        inflow = counts[s].drop(index=p, errors="ignore")  # people in both: from other segments
        outflow = counts.loc[p].drop(labels=s) if p is not None else pd.Series(dtype=float)
        reclass = 100 * float(inflow.sum() - outflow.sum()) / max(n_both, 1)
        change = 100 * (now_share - prev_share)
        moves = _moves(s, p, m, counts, names, prev_names)
        pvals.append(float(proportion_z(now_share, n_now, prev_share, n_prev)[1]) if p is not None else 1.0)
        row = {
            "segment": label(s, names),
            "was": label(p, prev_names) if p is not None else "new",
            "overlap (Jaccard, people in both quarters)": m.overlap(s),
            "share before %": 100 * prev_share,
            "share now %": 100 * now_share,
            "change in points": change,
            "reclassified (points)": reclass,
            "from new or departed customers (points)": change - reclass,
            "moves": moves,
        }
        row["drift"], row["drifted"] = (
            _drift(shares_now, shares_prev, s, p, params.previous.drift_threshold)
            if p is not None
            else ("", False)
        )
        rows.append(row)
    changes = pd.DataFrame(rows).set_index("segment")
    changes["size change beyond noise"] = (adjust(np.array(pvals), "holm") < 0.05) & changes["was"].ne("new")
    changes["drifted"] = changes["drifted"].astype(bool)
    kpis = _kpis(m, names, prev_names, params, facts_prev, facts_now, bases_prev, bases_now)
    return Comparison(
        changes,
        migration,
        [label(s, names) for s in m.appeared],
        [label(p, prev_names) for p in m.vanished],
        params.previous.period or "",
        kpis,
        shown,
        population(params).plural,
        bool(params.columns and params.columns.weight),
    )


def _read(path: Path) -> pd.DataFrame | None:
    """A saved table, or None when that run did not save it."""
    return pd.read_parquet(path) if path.exists() else None


def _kpis(
    m: Match,
    names: dict[int, str],
    prev_names: dict[int, str],
    params: Params,
    facts_prev: pd.DataFrame | None,
    facts_now: pd.DataFrame,
    bases_prev: pd.DataFrame | None,
    bases_now: pd.DataFrame,
) -> pd.DataFrame:
    """Each measure of each continued persona, before and now, tested (Holm within a measure)."""
    if facts_prev is None:
        return pd.DataFrame()
    rows = []
    for key, metric in measures(params).items():
        if key == "size" or metric.name not in facts_prev or metric.name not in facts_now:
            continue
        for s, p in m.pairs.items():
            if p not in facts_prev.index or s not in facts_now.index:
                continue
            b, n = float(facts_prev.loc[p, metric.name]), float(facts_now.loc[s, metric.name])

            def base(t: pd.DataFrame | None, seg: int, what: str, key: str = key) -> float:
                col = f"{what}:{key}"
                return float(t.loc[seg, col]) if t is not None and col in t and seg in t.index else np.nan

            pv = _p_value(metric, b, n, base(bases_prev, p, "n"), base(bases_now, s, "n"),
                          base(bases_prev, p, "sd"), base(bases_now, s, "sd"))  # fmt: skip
            rows.append(
                {
                    "segment": label(s, names),
                    "measure": metric.name,
                    "before": b,
                    "now": n,
                    "change": n - b,
                    "relative": (n - b) / abs(b) if b else np.nan,
                    "p": pv,
                    "unit": metric.unit,
                    "better": metric.better,
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["beyond noise"] = False
    for _, idx in out.groupby("measure").groups.items():
        tested = out.loc[idx, "p"].dropna()
        if len(tested):
            out.loc[tested.index, "beyond noise"] = adjust(tested.to_numpy(), "holm") < 0.05
    out["arrow"] = np.where(out["change"] > 0, UP, DOWN)
    return out


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
