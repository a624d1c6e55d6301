"""The banner tables as a reader gets them: each group's wide table with its significance letters and
colours, the tab book page with its legend, and the CSV exports (displayed text, small cells hidden)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from helpers.analyses.crosstab import TOTAL, Table, groups
from helpers.core.privacy import SMALL_GROUPS, marker
from helpers.params.config import Params
from helpers.params.settings import CrosstabParams


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


def _colours(
    tables: list[Table], group: str, banner_rules: CrosstabParams, shown: pd.DataFrame
) -> pd.DataFrame:
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
            high, low = (
                r.index >= banner_rules.index_high and r.vs_rest > 0,
                r.index <= banner_rules.index_low and r.vs_rest < 0,
            )
            colour = "#d9f0d3" if high else "#f9d6d5" if low else ""
            if colour:
                css.iat[css.index.get_loc((label, r.row)), order.index((r.group, r.column))] = (
                    f"background-color: {colour};"
                )
    return css


def style_group(tables: list[Table], group: str, banner_rules: CrosstabParams):
    """A styled tab book page for one banner group: one header row (the column and its letter)
    that stays in view while the table scrolls in its box."""
    shown = stacked(tables, group)
    css = _colours(tables, group, banner_rules, shown)
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


def exports(tables: list[Table]) -> dict[str, pd.DataFrame]:
    """One table per banner group for CSV export (displayed text, small cells hidden), by name."""
    return {f"banner_{group}": export(tables, group) for group in groups(tables)}


def tables_html(tables: list[Table], banner_rules: CrosstabParams) -> str:
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
            f"{style_group(tables, g, banner_rules).to_html()}</div>"
        )
    return "\n".join(parts)


def legend(params: Params) -> str:
    """How to read a banner table, with this run's settings."""
    banner_rules = params.crosstab
    lo, hi = (f"{100 * level:.0f}%" for level in banner_rules.levels)
    method = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini–Hochberg", "none": "no"}[
        banner_rules.correction
    ]
    return (
        f"- Each column group has letters (A, B, …). A letter on a cell means the cell is "
        f"significantly **higher** than the column with that letter: **upper case** at {hi} "
        f"confidence, lower case at {lo} ({method} correction across the pairs in each row).\n"
        f"- ▲ / ▼: the column is significantly above / below the rest of its banner: the people in "
        f"its other columns, or everyone else for a group compared with the rest ({lo}).\n"
        f"- Green cells over-index (≥ {banner_rules.index_high:.0f}: the share is at least "
        f"{banner_rules.index_high / 100:.1f}× the total's), red cells under-index "
        f"(≤ {banner_rules.index_low:.0f}); "
        f"only cells that are also significantly above or below everyone else are coloured.\n"
        + (
            "- Percentages are weighted; tests use the **effective base** (shown under the base). "
            if params.columns and params.columns.weight
            else "- "
        )
        + f"Columns with fewer than {banner_rules.min_base} respondents are marked * and not tested.\n"
        f"- Attitude items: the **top box** and **bottom box** are the two ends of each item's "
        f"own answer scale.\n"
        f"- `{marker(params.privacy.min_cell)}`: hidden because fewer than "
        f"{params.privacy.min_cell} respondents stand "
        f"behind it. *{SMALL_GROUPS}*: answers or groups that fewer than "
        f"{params.privacy.min_cell} people each hold, put together so none is shown on its own.\n"
        f"- Multiple-response questions: several answers allowed, the base is everyone who "
        f"answered, so percentages can add up to more than 100%."
    )
