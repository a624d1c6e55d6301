"""Charts and tables as stakeholders see them: readable static seaborn charts, styled tables."""

from __future__ import annotations

import math
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown
from pandas.io.formats.style import Styler

PALETTE = "#3b6ea5"
LIKERT_COLOURS = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"]


def setup() -> None:
    """Report-wide look: one theme, readable fonts, PNG charts, no warnings in the output."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold",
                         "axes.titlesize": 12, "figure.autolayout": False})
    warnings.filterwarnings("ignore")
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # outside IPython
        pass


def md(text: str) -> Markdown:
    """Markdown computed from the data, for the report's narrative."""
    return Markdown(text)


def bullets(lines: list[str], empty: str = "_Nothing to note._") -> Markdown:
    """A bullet list of computed sentences."""
    return Markdown("\n".join(f"- {line}" for line in lines) if lines else empty)


def styled(table: pd.DataFrame, caption: str = "", pct: list[str] | None = None,
           decimals: int = 1, bar: str | None = None) -> Styler:
    """A readable table: thousands separators, percentages with one decimal, optional data bar."""
    pct = [c for c in (pct or [c for c in table.columns if str(c).endswith("%")])
           if c in table.columns]
    fmt = {}
    text_cols = []
    for col in table.columns:
        values = pd.to_numeric(table[col], errors="coerce")
        whole = values.notna().any() and bool((values.dropna() % 1 == 0).all())
        if col in pct:
            fmt[col] = _fmt(f"{{:.{decimals}f}}%")
        elif pd.api.types.is_integer_dtype(table[col]) or (whole and values.notna().any()):
            fmt[col] = _fmt("{:,.0f}")
        elif values.notna().any():
            fmt[col] = _fmt(f"{{:,.{decimals}f}}")
        else:
            fmt[col] = _fmt("{}")
            text_cols.append(col)
    sty = table.style.format(fmt, na_rep="–")
    if isinstance(table.index, pd.RangeIndex):
        sty = sty.hide(axis="index")
    if text_cols:
        sty = sty.set_properties(subset=text_cols, **{"text-align": "left"})
    if caption:
        sty = sty.set_caption(caption)
    if bar and bar in table.columns and pd.api.types.is_numeric_dtype(table[bar]):
        sty = sty.bar(subset=[bar], color="#c6d9ee", vmin=0)
    return sty.set_table_styles([
        {"selector": "caption", "props": "caption-side: top; font-weight: bold; text-align: left;"
                                         " font-size: 14px; padding: 4px 0;"},
        {"selector": "th", "props": "text-align: left;"},
    ])


def _fmt(pattern: str):  # noqa: ANN202 - a formatter for Styler.format
    def f(v: object) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return "–"
        try:
            return pattern.format(v)
        except (ValueError, TypeError):
            return str(v)
    return f


def bar_grid(tables: dict[str, pd.DataFrame], value: str = "weighted %", ncols: int = 3,
             title: str = "", height_per_bar: float = 0.28) -> plt.Figure:
    """Small multiples: one horizontal bar chart per variable, shares in %."""
    names = list(tables)
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    bars = max((len(t) for t in tables.values()), default=1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, max(2.0, bars * height_per_bar
                                                                      + 1.0) * nrows),
                             squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        t = tables[name]
        t = t[pd.to_numeric(t[value], errors="coerce").notna()]
        vals = t[value].astype(float)
        ax.barh([_short(i) for i in t.index.astype(str)], vals, color=PALETTE)
        ax.invert_yaxis()
        ax.set_title(name)
        ax.set_xlabel(value)
        ax.set_xlim(0, max(5.0, vals.max() * 1.18 if len(vals) else 5.0))
        for y, v in enumerate(vals):
            ax.text(v, y, f" {v:.0f}%", va="center", fontsize=9)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontweight="bold", fontsize=14)
    fig.tight_layout()
    return fig


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def likert_chart(summary: pd.DataFrame, labels: dict[str, str], level_names: list[str],
                 title: str = "") -> plt.Figure:
    """A stacked 100% bar per attitude item, from disagree (red) to agree (blue)."""
    data = summary[level_names].astype(float)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(data) + 1.6))
    left = np.zeros(len(data))
    colours = _likert_colours(len(level_names))
    ylabels = [_short(labels.get(str(i), str(i)), 44) for i in data.index]
    for level, colour in zip(level_names, colours, strict=True):
        ax.barh(ylabels, data[level], left=left, color=colour, label=level)
        left += data[level].to_numpy()
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of respondents (weighted)")
    ax.legend(ncols=len(level_names), loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.2 / len(
        data)), frameon=False, fontsize=9)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _likert_colours(k: int) -> list[str]:
    if k == 5:
        return LIKERT_COLOURS
    return [matplotlib.colors.to_hex(c) for c in sns.color_palette("RdBu", k)]


def histograms(frame: pd.DataFrame, columns: dict[str, str], ncols: int = 3, clip: float = 0.99
               ) -> plt.Figure:
    """Histograms of numeric fields (long tails clipped at a percentile for readability)."""
    names = list(columns)
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.0 * nrows), squeeze=False)
    for ax, col in zip(axes.flat, names, strict=False):
        x = pd.to_numeric(frame[col], errors="coerce").dropna().astype(float)
        if len(x):
            x = x[x <= x.quantile(clip)]
            whole = bool((x % 1 == 0).all()) and x.max() - x.min() <= 120
            sns.histplot(x, ax=ax, color=PALETTE, **({"discrete": True} if whole else {"bins": 30}))
        ax.set_title(columns[col])
        ax.set_xlabel("")
        ax.set_ylabel("people")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def monthly_chart(monthly: pd.DataFrame) -> plt.Figure:
    """Orders and active buyers per month."""
    fig, ax = plt.subplots(figsize=(10, 3.4))
    months = pd.to_datetime(monthly["month"])
    ax.plot(months, monthly["orders"], color=PALETTE, marker="o", ms=3, label="orders")
    ax.plot(months, monthly["buyers"], color="#e08214", marker="o", ms=3, label="buyers")
    ax.set_ylabel("per month")
    ax.set_title("Orders and buyers per month")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def missing_chart(missing: pd.DataFrame, top: int = 15) -> plt.Figure:
    """The variables with the most missing answers."""
    data = missing[missing["missing"] > 0].head(top)
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(data), 1) + 1.2))
    ax.barh(data["variable"], data["missing %"], color="#d08700")
    ax.invert_yaxis()
    ax.set_xlabel("% missing")
    ax.set_title("Missing answers by variable")
    fig.tight_layout()
    return fig


def overlap_heatmap(overlap: pd.DataFrame, title: str = "Overlap between filters") -> plt.Figure:
    """Share of each row filter's people who are also in the column filter."""
    labels = [str(c).replace("_", " ") for c in overlap.columns]
    fig, ax = plt.subplots(figsize=(1.0 * len(labels) + 3, 0.6 * len(labels) + 1.6))
    sns.heatmap(overlap, annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=100, cbar=False, ax=ax,
                xticklabels=labels, yticklabels=labels, linewidths=0.5)
    ax.set_title(title + " (% of the row's people also in the column)")
    ax.set_xlabel("")
    ax.set_ylabel("")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    return fig


def html(markup: str) -> HTML:
    """Pre-rendered HTML (e.g. styled tables) for the report."""
    return HTML(markup)
