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

import html
import string
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analyses.filters import DERIVED_FIELDS, evaluate, filter_columns
from helpers.core.privacy import SMALL_GROUPS, marker, small_groups
from helpers.data.dataset import is_numeric_column
from helpers.data.fields import multi_response
from helpers.params.config import Params
from helpers.params.schema import Scale, label_of, scale_of, status_column, value_words
from helpers.params.settings import Banner, CrosstabParams

TOP_BOX, BOTTOM_BOX = "Top box", "Bottom box"

Kind = Literal["single", "multi", "likert", "numeric"]
TOTAL = "Total"


@dataclass
class Column:
    """One banner column: who is in it."""

    label: str
    group: str
    mask: np.ndarray
    letter: str = ""
    title: str = ""  # how a sentence names the column's people
    uses: frozenset[str] = frozenset()  # the columns that define it
    complement: bool = False  # "everyone else": its differences mirror its partner's


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


# --- building the pieces ---------------------------------------------------------------------


def banners_in_use(frame: pd.DataFrame, params: Params) -> list[Banner]:
    """The banners of the parameters; without any, the status column and the first geographic
    and demographic categories (up to 12 values each), so that every survey gets a comparison."""
    if params.crosstab.banners:
        return list(params.crosstab.banners)
    cols = params.columns
    if cols is None:
        return []
    out = []
    candidates = [status_column(params)] + cols.geographic[:3] + cols.demographic[:6]
    for col in [c for c in candidates if c]:
        values = frame[col]
        if 2 <= values.nunique() <= 12 and not is_numeric_column(values):
            out.append(Banner(name=label_of(col, params), column=col))
        if len(out) == 3:
            break
    return out


def banner_columns(frame: pd.DataFrame, params: Params, base: pd.Series | None = None) -> list[Column]:
    """The banner columns (letters A, B, … within each group); the values of a column held by
    fewer people than the privacy minimum are folded into one "Other (small groups)" column."""
    cols: list[Column] = []
    min_cell = params.privacy.min_cell
    for banner in banners_in_use(frame, params):
        group: list[Column] = []
        if banner.column:
            values = frame[banner.column]
            small = small_groups(values, min_cell)
            for value in _ordered_values(values):
                if value in small:
                    continue
                shown = value_words(banner.column, value, params)  # "code 2" without a label
                group.append(
                    Column(
                        shown,
                        banner.name,
                        (values == value).fillna(False).to_numpy(bool),
                        title=f"{banner.name}: {shown}",
                        uses=frozenset([banner.column]),
                    )
                )
            if small:
                mask = values.isin(small).fillna(False).to_numpy(bool)
                group.append(
                    Column(
                        SMALL_GROUPS,
                        banner.name,
                        mask,
                        title=f"{banner.name}: {SMALL_GROUPS.lower()} "
                        f"({len(small)} values held by fewer than {min_cell} "
                        "people each)",
                        uses=frozenset([banner.column]),
                    )
                )
        for name in banner.filters:
            group.append(
                Column(
                    _pretty(name),
                    banner.name,
                    evaluate(params.filters[name], frame).to_numpy(bool),
                    title=_pretty(name),
                    uses=frozenset(filter_columns(params.filters[name])),
                )
            )
        cols += _lettered(group, base)
    for name in params.crosstab.compare_with_rest:
        mask = evaluate(params.filters[name], frame).to_numpy(bool)
        group_name = f"{_pretty(name)} vs the rest"
        uses = frozenset(filter_columns(params.filters[name]))
        cols += _lettered(
            [
                Column(_pretty(name), group_name, mask, title=_pretty(name), uses=uses),
                Column("Everyone else", group_name, ~mask, uses=uses, complement=True),
            ],
            base,
        )
    return cols


def _lettered(group: list[Column], base: pd.Series | None) -> list[Column]:
    for i, col in enumerate(group):
        col.letter = _letter(i)
        if base is not None:
            col.mask = col.mask & base.to_numpy(bool)
    return group


def _letter(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _ordered_values(values: pd.Series) -> list:
    counts = values.dropna().value_counts()
    if len(counts) > 12:
        return list(counts.index[:12])
    numbers = pd.to_numeric(pd.Series(counts.index), errors="coerce")
    if numbers.notna().all():  # codes and scores in their numeric order, not as text
        return [counts.index[i] for i in np.argsort(numbers.to_numpy(), kind="stable")]
    return sorted(counts.index, key=str)


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
    levels = [v for v in _ordered_values(series) if v not in small]
    ind = {value_words(name, v, params): (series == v).astype(float) for v in levels}
    if small:
        ind[SMALL_GROUPS] = series.isin(small).astype(float)
    ind = pd.DataFrame(ind, index=frame.index).where(answered)
    return Question(name, label, "single", indicators=ind)


# --- statistics --------------------------------------------------------------------------------


def effective_base(w: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²."""
    s2 = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def proportion_z(
    p1: np.ndarray, n1: np.ndarray, p2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test (no continuity correction): z and two-sided p-values."""
    p1, n1, p2, n2 = (np.asarray(a, dtype=float) for a in (p1, n1, p2, n2))
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p2) / se, 0.0)
    return z, 2 * stats.norm.sf(np.abs(z))


def welch_t(m1: float, v1: float, n1: float, m2: float, v2: float, n2: float) -> tuple[float, float]:
    """Welch's unequal-variance t-test from means, variances and (effective) bases."""
    a, b = v1 / n1, v2 / n2
    se = np.sqrt(a + b)
    if not se > 0 or n1 < 2 or n2 < 2:
        return 0.0, 1.0
    t = (m1 - m2) / se
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    return float(t), float(2 * stats.t.sf(abs(t), df))


def weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, variance (weights rescaled to the effective base) and effective base."""
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if not len(x) or w.sum() <= 0:
        return np.nan, np.nan, 0.0
    n_eff = effective_base(w)
    mean = float(np.average(x, weights=w))
    scaled = w * n_eff / w.sum()
    var = float(np.sum(scaled * (x - mean) ** 2) / (n_eff - 1)) if n_eff > 1 else np.nan
    return mean, var, n_eff


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The value below which half the weight lies."""
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if not len(x):
        return np.nan
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def adjust(pvalues: np.ndarray, method: str) -> np.ndarray:
    """Multiple-comparison correction of one family of p-values (Holm, Bonferroni or BH)."""
    # Written out rather than calling statsmodels' multipletests, which runs a full garbage
    # collection on every call (~90 ms); a banner report corrects thousands of small families.
    # tests/test_crosstab.py checks these against multipletests.
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if method == "none" or m == 0:
        return p
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method == "fdr_bh":
        return stats.false_discovery_control(p, method="bh")
    order = np.argsort(p)  # holm: step-down, monotone
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


# --- the table ---------------------------------------------------------------------------------


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


def _column_stats(
    q: Question, mask: np.ndarray, w: np.ndarray, sums: dict[str, np.ndarray | float] | None = None
) -> dict[str, np.ndarray]:
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
    return out


def _row_labels(q: Question) -> list[str]:
    labels = list(q.indicators.columns) if q.indicators is not None else []
    if q.values is not None:
        labels += ["Mean"] + (["Median"] if q.kind == "numeric" else [])
    return labels


def _pair_p(kind: str, s1: dict, s2: dict, r: int) -> float:
    if kind == "pct":
        return float(proportion_z(s1["value"][r], s1["eff"][r], s2["value"][r], s2["eff"][r])[1])
    if kind == "mean":
        return welch_t(
            s1["value"][r], s1["var"][r], s1["eff"][r], s2["value"][r], s2["var"][r], s2["eff"][r]
        )[1]
    return np.nan  # medians are shown, not tested


def build_table(
    q: Question,
    columns: list[Column],
    weights: pd.Series,
    ct: CrosstabParams,
    min_cell: int,
    base: np.ndarray | None = None,
) -> Table:
    """Compute one banner table: values, letters, vs-rest arrows, index, bases and chi-square."""
    w = weights.to_numpy(float)
    everyone = np.ones(len(w), bool) if base is None else base
    loose, strict = 1 - ct.levels[0], 1 - ct.levels[1]
    labels = _row_labels(q)
    # ▲/▼ compare a column with the rest of its banner: the people in the banner's other columns
    # (for a filter against the rest, or a column every respondent has a value in, that is
    # everyone else; people in none of the columns, such as prospects without a channel, are
    # left out, so they cannot push every column below the total)
    union = {}
    for c in columns:
        union[c.group] = union.get(c.group, np.zeros(len(w), bool)) | (c.mask & everyone)
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
    low = [bool(s["base"].max(initial=0) < ct.min_base) for s in col_stats]
    records = []
    letters = {(r, i): "" for r in range(len(labels)) for i in range(len(columns))}
    for r, _label in enumerate(labels):
        kind = total["kind"][r]
        groups: dict[str, list[int]] = {}
        for i, c in enumerate(columns):
            groups.setdefault(c.group, []).append(i)
        for idx in groups.values():
            pairs = [(i, j) for a, i in enumerate(idx) for j in idx[a + 1 :] if not low[i] and not low[j]]
            pv = np.array([_pair_p(kind, col_stats[i], col_stats[j], r) for i, j in pairs])
            tested = ~np.isnan(pv)
            adj = np.full(len(pv), np.nan)
            adj[tested] = adjust(pv[tested], ct.correction)
            for (i, j), p in zip(pairs, adj, strict=True):
                if np.isnan(p) or p >= loose:
                    continue
                hi, lo = (i, j) if col_stats[i]["value"][r] > col_stats[j]["value"][r] else (j, i)
                mark = columns[lo].letter.upper() if p < strict else columns[lo].letter.lower()
                letters[(r, hi)] += mark
        vs_rest = np.array(
            [np.nan if low[i] else _pair_p(kind, col_stats[i], rest_stats[i], r) for i in range(len(columns))]
        )
        tested = ~np.isnan(vs_rest)
        adj_rest = np.full(len(columns), np.nan)
        adj_rest[tested] = adjust(vs_rest[tested], ct.correction)
        for i, c in enumerate(columns):
            s, rest = col_stats[i], rest_stats[i]
            value = s["value"][r]
            direction = 0
            if not np.isnan(adj_rest[i]) and adj_rest[i] < loose:
                direction = 1 if value > rest["value"][r] else -1
            tv = total["value"][r]
            records.append(
                {
                    "row": labels[r],
                    "column": c.label,
                    "group": c.group,
                    "letter": c.letter,
                    "kind": kind,
                    "value": value,
                    "n": s["n"][r],
                    "base": s["base"][r],
                    "eff_base": s["eff"][r],
                    "letters": "".join(sorted(letters[(r, i)], key=str.upper)),
                    "vs_rest": direction,
                    "p_vs_rest": adj_rest[i],
                    "rest_value": rest["value"][r],
                    "rest_n": rest["n"][r],
                    "rest_everyone": bool(union[c.group].sum() == everyone.sum()),
                    "index": 100 * value / tv if tv and not np.isnan(tv) and kind == "pct" else np.nan,
                    "low_base": low[i],
                }
            )
        records.append(
            {
                "row": labels[r],
                "column": TOTAL,
                "group": TOTAL,
                "letter": "",
                "kind": kind,
                "value": total["value"][r],
                "n": total["n"][r],
                "base": total["base"][r],
                "eff_base": total["eff"][r],
                "letters": "",
                "vs_rest": 0,
                "p_vs_rest": np.nan,
                "rest_value": np.nan,
                "rest_n": np.nan,
                "rest_everyone": True,
                "index": 100.0 if kind == "pct" else np.nan,
                "low_base": False,
            }
        )
    cells = pd.DataFrame(records)
    cells["hidden"] = _hidden(cells, min_cell)
    bases = _bases(q, columns, col_stats, total, low)
    return Table(q, cells, bases, _chi2(q, columns, col_stats), columns, min_cell)


def _hidden(cells: pd.DataFrame, min_cell: int) -> pd.Series:
    """Privacy: hide a cell resting on fewer respondents than the minimum."""
    small_n = (cells["kind"] == "pct") & (cells["n"] > 0) & (cells["n"] < min_cell)
    small_base = cells["base"] < min_cell
    return small_n | small_base


def _bases(
    q: Question, columns: list[Column], col_stats: list[dict], total: dict, low: list[bool]
) -> pd.DataFrame:
    rows = [
        {
            "column": TOTAL,
            "group": TOTAL,
            "letter": "",
            "base": total["base"].max(initial=0),
            "eff_base": total["eff"].max(initial=0),
            "low_base": False,
        }
    ]
    for c, s, lo in zip(columns, col_stats, low, strict=True):
        rows.append(
            {
                "column": c.label,
                "group": c.group,
                "letter": c.letter,
                "base": s["base"].max(initial=0),
                "eff_base": s["eff"].max(initial=0),
                "low_base": lo,
            }
        )
    return pd.DataFrame(rows)


def _chi2(q: Question, columns: list[Column], col_stats: list[dict]) -> dict[str, tuple[float, int, float]]:
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
        table = np.array([col_stats[i]["value"][:k] * col_stats[i]["eff"][0] for i in idx]).T
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if table.shape[0] < 2 or table.shape[1] < 2:
            continue
        res = stats.chi2_contingency(table, correction=False)
        out[group] = (float(res.statistic), int(res.dof), float(res.pvalue))
    return out


# --- presentation ------------------------------------------------------------------------------


def groups(tables: list[Table]) -> list[str]:
    """The banner groups, in banner order."""
    return list(dict.fromkeys(c.group for c in tables[0].columns)) if tables else []


def wide(table: Table, group: str | None = None, hide: bool = True, decimals: int = 0) -> pd.DataFrame:
    """One question as text: base rows, then answers; Total and one group's columns (or all)."""
    cells = table.cells
    bases = table.bases
    if group is not None:
        cells = cells[cells["group"].isin([TOTAL, group])]
        bases = bases[bases["group"].isin([TOTAL, group])]
    cells = cells.assign(
        text=[_cell_text(r, hide, decimals, table.min_cell) for r in cells.itertuples()],
        key=list(zip(cells["group"], cells["column"], strict=True)),
    )
    header = bases.assign(key=list(zip(bases["group"], bases["column"], strict=True))).set_index("key")
    out = cells.pivot(index="row", columns="key", values="text")
    out = out.reindex(index=list(dict.fromkeys(cells["row"])), columns=header.index)
    base_row = [
        f"{int(b):,}" + (" *" if lo else "") for b, lo in zip(header["base"], header["low_base"], strict=True)
    ]
    eff_row = [f"{e:,.0f}" for e in header["eff_base"]]
    top = pd.DataFrame([base_row, eff_row], columns=header.index, index=BASE_ROWS)
    if (header["eff_base"] - header["base"]).abs().max() < 0.5:  # no weights: the same as the base
        top = top.drop(index=BASE_ROWS[1])
    out = pd.concat([top, out])
    chi = table.chi2.get(group) if group else None
    if chi:
        out.loc["Overall test"] = [f"χ² p {_p_text(chi[2])}"] + [""] * (out.shape[1] - 1)
    out.columns = pd.MultiIndex.from_tuples(
        [
            (g, f"{c} ({letter})" if letter else c)
            for g, c, letter in zip(header["group"], header["column"], header["letter"], strict=True)
        ]
    )
    return out


BASE_ROWS = ["Base (respondents)", "Effective base"]


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _cell_text(r: object, hide: bool, decimals: int, min_cell: int) -> str:
    if hide and r.hidden:
        return marker(min_cell)
    if np.isnan(r.value):
        return "–"
    if r.kind == "pct":
        text = f"{100 * r.value:.{decimals}f}%"
    else:
        text = f"{r.value:,.1f}" if abs(r.value) < 1000 else f"{r.value:,.0f}"
    if r.letters:
        text += f" {r.letters}"
    if r.vs_rest:
        text += " ▲" if r.vs_rest > 0 else " ▼"
    return text


def stacked(tables: list[Table], group: str, hide: bool = True) -> pd.DataFrame:
    """A tab book page: every question stacked under one banner group's columns."""
    parts = {
        t.question.label + (" (several answers)" if t.question.kind == "multi" else ""): wide(t, group, hide)
        for t in tables
    }
    return pd.concat(parts, names=["question", "answer"])


def _colours(tables: list[Table], group: str, ct: CrosstabParams, shown: pd.DataFrame) -> pd.DataFrame:
    """CSS per cell: green where a column over-indexes, red where it under-indexes."""
    css = pd.DataFrame("", index=shown.index, columns=shown.columns)
    for t in tables:
        label = t.question.label + (" (several answers)" if t.question.kind == "multi" else "")
        cells = t.cells[t.cells["group"].isin([TOTAL, group])]
        order = list(dict.fromkeys(zip(t.bases["group"], t.bases["column"], strict=True)))
        order = [k for k in order if k[0] in (TOTAL, group)]
        for r in cells.itertuples():
            if r.hidden or r.low_base or np.isnan(r.index) or not r.vs_rest:
                continue  # colour only where the column really differs from everyone else
            high, low = r.index >= ct.index_high and r.vs_rest > 0, r.index <= ct.index_low and r.vs_rest < 0
            colour = "#d9f0d3" if high else "#f9d6d5" if low else ""
            if colour:
                css.iat[css.index.get_loc((label, r.row)), order.index((r.group, r.column))] = (
                    f"background-color: {colour};"
                )
    return css


def style_group(tables: list[Table], group: str, ct: CrosstabParams):  # noqa: ANN201 - Styler
    """A styled tab book page for one banner group: one header row (the column and its letter)
    that stays in view while the table scrolls in its box."""
    shown = stacked(tables, group)
    css = _colours(tables, group, ct, shown)
    shown.columns = css.columns = pd.Index([c for _, c in shown.columns])
    base_rows = shown.index.get_level_values(1).isin(BASE_ROWS + ["Overall test"])
    sty = (
        shown.style.format(escape="html")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)  # the "<10" marker and data text stay text
        .apply(lambda _: css, axis=None)
        .hide(axis="index", names=True)
    )
    grey = np.repeat(
        np.where(base_rows, "color: #777; font-size: 11px;", "")[:, None], shown.shape[1], axis=1
    )
    sty = sty.apply(lambda _: pd.DataFrame(grey, index=shown.index, columns=shown.columns), axis=None)
    return sty.set_table_styles(
        [
            {
                "selector": "thead th",
                "props": "position: sticky; top: 0; z-index: 1; background: #fff; "
                "box-shadow: inset 0 -1px 0 #999;",
            },
            {"selector": "th.col_heading", "props": "text-align: center; max-width: 110px;"},
            {"selector": "th.row_heading.level0", "props": "max-width: 170px; vertical-align: top;"},
            {"selector": "td", "props": "text-align: right; white-space: nowrap;"},
        ]
    )


def export(tables: list[Table], group: str) -> pd.DataFrame:
    """A tab book page for CSV, tidy: one row per question, answer and column, the figure as a
    number and the significance in columns of its own (a hidden figure shows the marker)."""
    frames = []
    for t in tables:
        cells = t.cells[t.cells["group"].isin([TOTAL, group])]
        question = t.question.label + (" (several answers)" if t.question.kind == "multi" else "")
        pct = cells["kind"] == "pct"
        value = np.where(pct, 100 * cells["value"], cells["value"]).astype(float).round(2)
        shown = pd.Series(value, index=cells.index, dtype=object)
        shown[cells["hidden"].to_numpy(bool)] = marker(t.min_cell)
        frames.append(
            pd.DataFrame(
                {
                    "question": question,
                    "answer": cells["row"],
                    "column": cells["column"],
                    "letter": cells["letter"],
                    "figure": np.where(pct, "%", "mean"),
                    "value": shown,
                    "respondents": cells["base"].round().astype(int),
                    "effective base": cells["eff_base"].round(1),
                    "significantly higher than": cells["letters"],
                    "against everyone else": cells["vs_rest"].map({1: "higher", -1: "lower", 0: ""}),
                    "too few to test": cells["low_base"].astype(bool),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --- all tables and the summary -----------------------------------------------------------------


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


def exports(tables: list[Table]) -> dict[str, pd.DataFrame]:
    """One table per banner group for CSV export (displayed text, small cells hidden), by name."""
    return {f"banner_{group}": export(tables, group) for group in groups(tables)}


def tables_html(tables: list[Table], ct: CrosstabParams) -> str:
    """Every banner group's tab book page as one HTML block: a heading, the key to its column
    letters, and the table in a box of its own whose header row stays in view."""
    parts = []
    for g in groups(tables):
        letters = dict.fromkeys(
            (c.letter.upper(), c.label) for t in tables[:1] for c in t.columns if c.group == g
        )
        key = "; ".join(f"<b>{html.escape(letter)}</b> = {html.escape(label)}" for letter, label in letters)
        parts.append(
            f'<h3 class="wb-banner-title">By {html.escape(g)}</h3>'
            f'<p class="wb-banner-key">Columns: {key}</p>'
            f'<div class="wb-banner" style="max-height: 80vh; overflow: auto;">'
            f"{style_group(tables, g, ct).to_html()}</div>"
        )
    return "\n".join(parts)


def legend(params: Params) -> str:
    """How to read a banner table, with this run's settings."""
    ct = params.crosstab
    lo, hi = (f"{100 * level:.0f}%" for level in ct.levels)
    method = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini–Hochberg", "none": "no"}[
        ct.correction
    ]
    return (
        f"- Each column group has letters (A, B, …). A letter on a cell means the cell is "
        f"significantly **higher** than the column with that letter: **upper case** at {hi} "
        f"confidence, lower case at {lo} ({method} correction across the pairs in each row).\n"
        f"- ▲ / ▼: the column is significantly above / below the rest of its banner: the people in "
        f"its other columns, or everyone else for a group compared with the rest ({lo}).\n"
        f"- Green cells over-index (≥ {ct.index_high:.0f}: the share is at least "
        f"{ct.index_high / 100:.1f}× the total's), red cells under-index (≤ {ct.index_low:.0f}); "
        f"only cells that are also significantly above or below everyone else are coloured.\n"
        + (
            "- Percentages are weighted; tests use the **effective base** (shown under the base). "
            if params.columns and params.columns.weight
            else "- "
        )
        + f"Columns with fewer than {ct.min_base} respondents are marked * and not tested.\n"
        f"- Attitude items: the **top box** and **bottom box** are the two ends of each item's "
        f"own answer scale.\n"
        f"- `{marker(params.privacy.min_cell)}`: hidden because fewer than "
        f"{params.privacy.min_cell} respondents stand "
        f"behind it. *{SMALL_GROUPS}*: answers or groups that fewer than "
        f"{params.privacy.min_cell} people each hold, put together so none is shown on its own.\n"
        f"- Multiple-response questions: several answers allowed, the base is everyone who "
        f"answered, so percentages can add up to more than 100%."
    )
