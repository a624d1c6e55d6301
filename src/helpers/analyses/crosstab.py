"""Step 2, compare: banner crosstabs with weights, effective bases and significance letters.

No maintained Python library builds market-research banner tables (quantipy is dead), so the
table logic is ours; the statistics follow R's expss and Q's documented conventions and are tested
against scipy and statsmodels:

* percentages are weighted; tests use the **effective base** ``(Σw)² / Σw²`` of each column;
* column proportions: two-proportion z-test (pooled, no continuity correction) between every pair
  of columns of a banner group; means: Welch's t-test with weights rescaled to the effective base;
* each table row is one family for the multiple-comparison correction (Holm by default);
* the letter of the lower column goes on the higher cell: upper case at the stricter level,
  lower case at the looser one; ▲/▼ mark a column that differs from everyone else in the base;
* columns with fewer than ``min_base`` respondents are flagged and not tested; cells resting on
  fewer than the privacy minimum of respondents are hidden (``<10`` for a minimum of 10).

Multiple-response questions use respondents who answered the question as the base, so their
percentages can add up to more than 100; each answer is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analyses.banners import Column, banner_columns, ordered_values
from helpers.analyses.filters import DERIVED_FIELDS, evaluate
from helpers.analyses.significance import adjust, proportion_z, weighted_mean_var, weighted_median, welch_t
from helpers.core.privacy import SMALL_GROUPS, small_groups
from helpers.data.dataset import is_numeric_column
from helpers.data.fields import multi_response
from helpers.params.config import Params
from helpers.params.schema import Scale, label_of, scale_of, value_words
from helpers.params.settings import CrosstabParams

TOP_BOX, BOTTOM_BOX = "Top box", "Bottom box"

Kind = Literal["single", "multi", "likert", "numeric"]


TOTAL = "Total"


@dataclass
class Question:
    """A question down the side: indicator columns (one per answer) or a numeric variable."""

    name: str
    label: str
    kind: Kind
    indicators: pd.DataFrame | None = None  # float 0/1, NaN where not answered
    values: pd.Series | None = None  # numeric questions and Likert means
    scale: Scale | None = None  # attitude items: their answer scale
    cache: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)


@dataclass
class Table:
    """A computed banner table for one question."""

    question: Question
    cells: pd.DataFrame  # one row per (row label, column)
    bases: pd.DataFrame  # per column: unweighted base, effective base, low-base flag
    chi2: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)
    min_cell: int = 0  # the privacy minimum the table was built with


def make_question(frame: pd.DataFrame, params: Params, name: str) -> Question:
    """Classify a question (single, multiple-response, Likert, numeric) and build its indicators."""
    label = label_of(name, params)
    cols = params.columns
    if cols is not None and name in cols.multi_response:
        picks = multi_response(frame, params, name)
        return Question(name, label, "multi", indicators=picks.astype("Float64").astype(float))
    if cols is not None and name in cols.psychographic:
        scale = scale_of(name, params)
        values = scale.numbers(frame[name])
        ind = {lab: (values == v).astype(float) for v, lab in zip(scale.points, scale.labels, strict=True)}
        ind[TOP_BOX] = scale.in_top(frame[name])  # from the answers as the file writes them
        ind[BOTTOM_BOX] = scale.in_bottom(frame[name])
        ind = pd.DataFrame(ind).where(values.notna())
        # a mean of a two-point answer (yes/no) says nothing the shares do not: none is shown
        return Question(
            name, label, "likert", indicators=ind, values=values if scale.size > 2 else None, scale=scale
        )
    series = frame[name]
    if name in DERIVED_FIELDS or name in params.numeric or is_numeric_column(series):
        return Question(name, label, "numeric", values=pd.to_numeric(series, errors="coerce").astype(float))
    answered = series.notna()
    small = small_groups(series, params.privacy.min_cell)  # folded into one row
    levels = [v for v in ordered_values(series) if v not in small]
    ind = {value_words(name, v, params): (series == v).astype(float) for v in levels}
    if small:
        ind[SMALL_GROUPS] = series.isin(small).astype(float)
    ind = pd.DataFrame(ind, index=frame.index).where(answered)
    return Question(name, label, "single", indicators=ind)


def _selections(q: Question) -> tuple[np.ndarray, np.ndarray]:
    """A question's answers as 0/1 (0 where not answered) and who answered, computed once."""
    if q.cache is None:
        assert q.indicators is not None
        ind = q.indicators.to_numpy(float)
        q.cache = (np.nan_to_num(ind), ~np.isnan(ind[:, 0]))
    return q.cache


def _indicator_sums(q: Question, mask: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray | float]:
    """The additive pieces of a column's answer shares: Σw·answer, Σw, Σw², counts."""
    sel, has = _selections(q)
    # weights of the column's respondents, zero elsewhere: sums are dot products over
    # everyone, with no copy of the answers per column (a banner has dozens of columns)
    answered = mask & has
    wa = np.where(answered, w, 0.0)
    return {
        "wx": wa @ sel,
        "w": float(wa.sum()),
        "w2": float(wa @ wa),
        "n": answered.astype(float) @ sel,
        "base": float(answered.sum()),
    }


@dataclass
class ColumnStats:
    """Per-row statistics of one banner column (or the total, or the rest of a banner)."""

    value: np.ndarray  # the share (0–1) or the mean or median
    n: np.ndarray  # respondents in the cell
    base: np.ndarray  # respondents who answered
    eff: np.ndarray  # effective base under the weights (Kish)
    var: np.ndarray  # the variance of one answer (NaN for medians)
    kind: np.ndarray  # pct, mean or median, per row


def _column_stats(
    q: Question, mask: np.ndarray, w: np.ndarray, sums: dict[str, np.ndarray | float] | None = None
) -> ColumnStats:
    """Per-row statistics of one column: value, respondents in the cell, base, effective base.

    ``sums`` may give the column's indicator sums already (the rest of the base is the total's
    sums minus a column's, so it needs no pass over the respondents)."""
    out: dict[str, np.ndarray] = {}
    if q.indicators is not None:
        t = sums if sums is not None else _indicator_sums(q, mask, w)
        k = len(t["wx"])
        with np.errstate(invalid="ignore", divide="ignore"):
            out["value"] = t["wx"] / t["w"] if t["w"] > 0 else np.full(k, np.nan)
        out["n"] = np.asarray(t["n"], dtype=float)
        out["base"] = np.full(k, t["base"], dtype=float)
        out["eff"] = np.full(k, t["w"] ** 2 / t["w2"] if t["w2"] > 0 else 0.0)
        out["var"] = out["value"] * (1 - out["value"])
        out["kind"] = np.array(["pct"] * k)
    if q.values is not None:
        x = q.values.to_numpy(float)
        ok = mask & ~np.isnan(x)
        mean, var, n_eff = weighted_mean_var(x[mask], w[mask])
        rows = {"Mean": mean}
        if q.kind == "numeric":
            rows["Median"] = weighted_median(x[mask], w[mask])
        for key, val in rows.items():
            out.setdefault("value", np.array([]))
            out["value"] = np.append(out["value"], val)
            out["n"] = np.append(out.get("n", np.array([])), ok.sum())
            out["base"] = np.append(out.get("base", np.array([])), ok.sum())
            out["eff"] = np.append(out.get("eff", np.array([])), n_eff)
            out["var"] = np.append(out.get("var", np.array([])), var if key == "Mean" else np.nan)
            out["kind"] = np.append(out.get("kind", np.array([])), "mean" if key == "Mean" else "median")
    return ColumnStats(**out)


def _row_labels(q: Question) -> list[str]:
    labels = list(q.indicators.columns) if q.indicators is not None else []
    if q.values is not None:
        labels += ["Mean"] + (["Median"] if q.kind == "numeric" else [])
    return labels


def _pair_p(kind: str, s1: ColumnStats, s2: ColumnStats, r: int) -> float:
    """The p-value of row ``r`` between two columns (medians are shown, not tested)."""
    if kind == "pct":
        return float(proportion_z(s1.value[r], s1.eff[r], s2.value[r], s2.eff[r])[1])
    if kind == "mean":
        return welch_t(s1.value[r], s1.var[r], s1.eff[r], s2.value[r], s2.var[r], s2.eff[r])[1]
    return np.nan


def _banner_unions(columns: list[Column], everyone: np.ndarray) -> dict[str, np.ndarray]:
    """Per banner, the people in any of its columns (within the base).

    ▲/▼ compare a column with the rest of its banner: the people in the banner's other columns
    (for a filter against the rest, or a column every respondent has a value in, that is everyone
    else; people in none of the columns, such as prospects without a channel, are left out, so
    they cannot push every column below the total)."""
    union: dict[str, np.ndarray] = {}
    for c in columns:
        union[c.group] = union.get(c.group, np.zeros(len(everyone), bool)) | (c.mask & everyone)
    return union


def _all_stats(
    q: Question, columns: list[Column], everyone: np.ndarray, union: dict[str, np.ndarray], w: np.ndarray
) -> tuple[ColumnStats, list[ColumnStats], list[ColumnStats]]:
    """The total's, each column's and each column's rest-of-banner statistics."""
    if q.indicators is not None:  # one pass per column and banner; the rest = banner minus column
        total_sums = _indicator_sums(q, everyone, w)
        union_sums = {
            g: total_sums if m.sum() == everyone.sum() else _indicator_sums(q, m, w) for g, m in union.items()
        }
        sums = [_indicator_sums(q, c.mask & everyone, w) for c in columns]
        rest_sums = [
            {key: union_sums[c.group][key] - s[key] for key in s} for c, s in zip(columns, sums, strict=True)
        ]
    else:
        total_sums, sums, rest_sums = None, [None] * len(columns), [None] * len(columns)
    total = _column_stats(q, everyone, w, total_sums)
    col_stats = [_column_stats(q, c.mask, w, s) for c, s in zip(columns, sums, strict=True)]
    rest_stats = [
        _column_stats(q, union[c.group] & ~c.mask, w, s) for c, s in zip(columns, rest_sums, strict=True)
    ]
    return total, col_stats, rest_stats


def _row_letters(
    r: int, columns: list[Column], col_stats: list[ColumnStats], low: list[bool], banner_rules: CrosstabParams
) -> dict[int, str]:
    """Row ``r``'s letters per column: the columns of its banner it is significantly above
    (capital at the strict level, small at the loose one), p-values corrected within the banner."""
    loose, strict = 1 - banner_rules.levels[0], 1 - banner_rules.levels[1]
    kind = col_stats[0].kind[r] if col_stats else "pct"
    letters = {i: "" for i in range(len(columns))}
    banners: dict[str, list[int]] = {}
    for i, c in enumerate(columns):
        banners.setdefault(c.group, []).append(i)
    for idx in banners.values():
        pairs = [(i, j) for a, i in enumerate(idx) for j in idx[a + 1 :] if not low[i] and not low[j]]
        pv = np.array([_pair_p(kind, col_stats[i], col_stats[j], r) for i, j in pairs])
        tested = ~np.isnan(pv)
        adj = np.full(len(pv), np.nan)
        adj[tested] = adjust(pv[tested], banner_rules.correction)
        for (i, j), p in zip(pairs, adj, strict=True):
            if np.isnan(p) or p >= loose:
                continue
            hi, lo = (i, j) if col_stats[i].value[r] > col_stats[j].value[r] else (j, i)
            letters[hi] += columns[lo].letter.upper() if p < strict else columns[lo].letter.lower()
    return letters


def _row_vs_rest(
    r: int,
    col_stats: list[ColumnStats],
    rest_stats: list[ColumnStats],
    low: list[bool],
    banner_rules: CrosstabParams,
) -> np.ndarray:
    """Row ``r``'s corrected p-value of each column against the rest of its banner."""
    kind = col_stats[0].kind[r] if col_stats else "pct"
    vs_rest = np.array(
        [np.nan if low[i] else _pair_p(kind, col_stats[i], rest_stats[i], r) for i in range(len(col_stats))]
    )
    tested = ~np.isnan(vs_rest)
    adj_rest = np.full(len(col_stats), np.nan)
    adj_rest[tested] = adjust(vs_rest[tested], banner_rules.correction)
    return adj_rest


def _total_record(label: str, r: int, total: ColumnStats) -> dict[str, object]:
    """The Total column's cell of row ``r``."""
    kind = total.kind[r]
    return {
        "row": label,
        "column": TOTAL,
        "group": TOTAL,
        "letter": "",
        "kind": kind,
        "value": total.value[r],
        "n": total.n[r],
        "base": total.base[r],
        "eff_base": total.eff[r],
        "letters": "",
        "vs_rest": 0,
        "p_vs_rest": np.nan,
        "rest_value": np.nan,
        "rest_n": np.nan,
        "rest_everyone": True,
        "index": 100.0 if kind == "pct" else np.nan,
        "low_base": False,
    }


def build_table(
    q: Question,
    columns: list[Column],
    weights: pd.Series,
    banner_rules: CrosstabParams,
    min_cell: int,
    base: np.ndarray | None = None,
) -> Table:
    """Compute one banner table: values, letters, vs-rest arrows, index, bases and chi-square."""
    w = weights.to_numpy(float)
    everyone = np.ones(len(w), bool) if base is None else base
    loose = 1 - banner_rules.levels[0]
    union = _banner_unions(columns, everyone)
    total, col_stats, rest_stats = _all_stats(q, columns, everyone, union, w)
    low = [bool(s.base.max(initial=0) < banner_rules.min_base) for s in col_stats]
    records = []
    for r, label in enumerate(_row_labels(q)):
        letters, adj_rest = (
            _row_letters(r, columns, col_stats, low, banner_rules),
            _row_vs_rest(r, col_stats, rest_stats, low, banner_rules),
        )
        tv = total.value[r]
        for i, c in enumerate(columns):
            s, rest, value = col_stats[i], rest_stats[i], col_stats[i].value[r]
            direction = 0
            if not np.isnan(adj_rest[i]) and adj_rest[i] < loose:
                direction = 1 if value > rest.value[r] else -1
            records.append(
                {
                    "row": label,
                    "column": c.label,
                    "group": c.group,
                    "letter": c.letter,
                    "kind": total.kind[r],
                    "value": value,
                    "n": s.n[r],
                    "base": s.base[r],
                    "eff_base": s.eff[r],
                    "letters": "".join(sorted(letters[i], key=str.upper)),
                    "vs_rest": direction,
                    "p_vs_rest": adj_rest[i],
                    "rest_value": rest.value[r],
                    "rest_n": rest.n[r],
                    "rest_everyone": bool(union[c.group].sum() == everyone.sum()),
                    "index": 100 * value / tv
                    if tv and not np.isnan(tv) and total.kind[r] == "pct"
                    else np.nan,
                    "low_base": low[i],
                }
            )
        records.append(_total_record(label, r, total))
    cells = pd.DataFrame(records)
    cells["hidden"] = _hidden(cells, min_cell)
    bases = _bases(columns, col_stats, total, low)
    return Table(q, cells, bases, _chi2(q, columns, col_stats), columns, min_cell)


def _hidden(cells: pd.DataFrame, min_cell: int) -> pd.Series:
    """Privacy: hide a cell resting on fewer respondents than the minimum."""
    small_n = (cells["kind"] == "pct") & (cells["n"] > 0) & (cells["n"] < min_cell)
    small_base = cells["base"] < min_cell
    return small_n | small_base


def _bases(
    columns: list[Column], col_stats: list[ColumnStats], total: ColumnStats, low: list[bool]
) -> pd.DataFrame:
    """Each column's base and effective base (the largest over the rows), the Total's first."""
    rows = [
        {
            "column": TOTAL,
            "group": TOTAL,
            "letter": "",
            "base": total.base.max(initial=0),
            "eff_base": total.eff.max(initial=0),
            "low_base": False,
        }
    ]
    for c, s, lo in zip(columns, col_stats, low, strict=True):
        rows.append(
            {
                "column": c.label,
                "group": c.group,
                "letter": c.letter,
                "base": s.base.max(initial=0),
                "eff_base": s.eff.max(initial=0),
                "low_base": lo,
            }
        )
    return pd.DataFrame(rows)


def _chi2(
    q: Question, columns: list[Column], col_stats: list[ColumnStats]
) -> dict[str, tuple[float, int, float]]:
    """Overall chi-square per banner group, for single-choice questions over exclusive columns."""
    out: dict[str, tuple[float, int, float]] = {}
    if q.kind not in ("single", "likert") or q.indicators is None:
        return out
    k = q.indicators.shape[1] - (2 if q.kind == "likert" else 0)  # not the box rows
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(columns):
        groups.setdefault(c.group, []).append(i)
    for group, idx in groups.items():
        masks = np.array([columns[i].mask for i in idx])
        if len(idx) < 2 or (masks.sum(axis=0) > 1).any():
            continue  # overlapping columns: no overall test
        table = np.array([col_stats[i].value[:k] * col_stats[i].eff[0] for i in idx]).T
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if table.shape[0] < 2 or table.shape[1] < 2:
            continue
        res = stats.chi2_contingency(table, correction=False)
        out[group] = (float(res.statistic), int(res.dof), float(res.pvalue))
    return out


def groups(tables: list[Table]) -> list[str]:
    """The banner groups, in banner order."""
    return list(dict.fromkeys(c.group for c in tables[0].columns)) if tables else []


def default_rows(params: Params) -> list[str]:
    """Questions down the side when the parameters name none: attitudes, sets, behaviour and
    NPS; a file with none of those (a CRM export) compares its demographic and geographic
    columns instead."""
    cols = params.columns
    if cols is None:
        return []
    rows = (
        cols.psychographic + list(cols.multi_response) + cols.behavioural + ([cols.nps] if cols.nps else [])
    )
    return rows or cols.demographic + cols.geographic


def build_tables(
    frame: pd.DataFrame,
    params: Params,
    weights: pd.Series,
    columns: list[Column],
    rows: list[str] | None = None,
    base: pd.Series | None = None,
) -> list[Table]:
    """Every configured banner table."""
    if not (rows or params.crosstab.rows):
        rows = default_rows(params)
        if not params.crosstab.banners:  # default banners come from the same columns: never
            used = set().union(*(c.uses for c in columns)) if columns else set()  # cross one
            rows = [r for r in rows if r not in used]  # with itself
    rows = rows or params.crosstab.rows
    base_arr = None if base is None else base.to_numpy(bool)
    return [
        build_table(
            make_question(frame, params, r),
            columns,
            weights,
            params.crosstab,
            params.privacy.min_cell,
            base_arr,
        )
        for r in rows
    ]


def significant_cells(tables: list[Table]) -> pd.DataFrame:
    """Cells with at least one significance letter, for counting and for tests."""
    cells = pd.concat([t.cells.assign(question=t.question.label) for t in tables])
    return cells[cells["letters"] != ""]


def glance_lines(tables: list[Table], filters: int, top: int = 3) -> list[str]:
    """The comparisons' main findings, for the top of the report."""
    found = biggest_differences(tables, top)
    return [
        f"**{len(tables)} questions** compared across the banner groups"
        + (f"; **{filters} named filters** pick out the groups compared." if filters else "."),
        *(found or ["No group differs clearly from the rest on any question."]),
    ]


def biggest_differences(tables: list[Table], top: int = 8, min_share: float = 0.05) -> list[str]:
    """Plain sentences for the largest significant differences of a group against the rest.

    Only answers that at least ``min_share`` of either side give, top-2-box rather than single
    scale points, and never the question that defines the group (heavy buyers buy more).
    """
    found = []
    for t in tables:
        q = t.question
        by_key = {(c.group, c.label): c for c in t.columns}
        group_size = t.cells.groupby("group")["column"].nunique()
        c = t.cells
        c = c[(c["column"] != TOTAL) & (c["vs_rest"] != 0) & ~c["hidden"] & ~c["low_base"]]
        for r in c.itertuples():
            col = by_key[(r.group, r.column)]
            if col.complement or q.name in col.uses or r.row == "Median":
                continue
            # the rest's figure must rest on enough people too (privacy), and a two-column
            # group says each finding once (from the side that is higher), not as a mirror pair
            if r.kind == "pct" and r.rest_n < t.min_cell:
                continue
            if group_size.get(r.group, 0) == 2 and r.value < r.rest_value:
                continue
            others = [
                o.label for o in t.columns if o.group == r.group and o.label != r.column and not o.complement
            ]
            rest = (
                "everyone else"
                if r.rest_everyone
                else f"*{others[0]}*"  # one other column: named, as it may not be everyone else
                if len(others) == 1
                else f"the other *{r.group}* groups"
            )
            if q.kind == "likert" and r.row not in (TOP_BOX, "Mean"):
                continue
            if r.kind == "pct":
                if max(r.value, r.rest_value) < min_share or not r.rest_value > 0 or r.value <= 0:
                    continue
                ratio = r.value / r.rest_value
                likely = (
                    f"{ratio:.1f}× as likely as"
                    if ratio >= 1.15
                    else "more likely than"  # "1.0× as likely" reads as no difference
                    if ratio >= 1
                    else f"{100 * (1 - ratio):.0f}% less likely than"
                )
                text = (
                    f"**{col.title}** are {likely} {rest} to {_answer_phrase(q, r.row)} "
                    f"({100 * r.value:.0f}% vs {100 * r.rest_value:.0f}%)."
                )
            else:
                if q.kind == "likert" or not r.rest_value or r.value <= 0 or r.rest_value <= 0:
                    continue
                ratio = r.value / r.rest_value
                word = "higher" if ratio > 1 else "lower"
                text = (
                    f"**{col.title}** have a {word} average *{q.label}* than {rest} "
                    f"({r.value:,.1f} vs {r.rest_value:,.1f})."
                )
            found.append((abs(np.log(ratio)), text))
    found.sort(key=lambda x: -x[0])
    return list(dict.fromkeys(text for _, text in found))[:top]


def _answer_phrase(q: Question, row: str) -> str:
    if q.kind == "likert" and q.scale is not None:
        if row == TOP_BOX:
            return q.scale.agree_phrase(q.label)
        if row == BOTTOM_BOX:
            return q.scale.disagree_phrase(q.label)
        return f"answer “{row}” to “{q.label}”"
    if q.kind == "multi":
        return f"pick *{row}* ({q.label.lower()})"
    return f"answer *{row}* to *{q.label}*"


def banner_book(frame: pd.DataFrame, params: Params, weights: pd.Series) -> list[Table]:
    """Every question against the banner columns, among the people of the base filter (everyone
    when the parameters name no ``crosstab.base``)."""
    base = evaluate(params.filters[params.crosstab.base], frame) if params.crosstab.base else None
    return build_tables(frame, params, weights, banner_columns(frame, params, base), base=base)
