"""One chart per analysis step, drawn the same way everywhere (the workbook's palette and fonts from
:mod:`helpers.present.plots`): answers on a scale, months, overlaps, retention, the stick point,
conversion, value, segments and their changes."""

from __future__ import annotations

import html as html_text
import math
import textwrap

import matplotlib
import matplotlib.category
import matplotlib.collections
import matplotlib.colors
import matplotlib.dates
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.text
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from helpers.analyses.acquisition import PromotionEffect
from helpers.analyses.cohorts import Retention
from helpers.analyses.explore import unit_word
from helpers.analyses.revenue import Concentration
from helpers.core.privacy import marker
from helpers.data.dataset import NO_PROFILE
from helpers.params.config import Params
from helpers.present.plots import (
    LIKERT_COLOURS,
    PALETTE,
    chart_labels,
    hbar,
    legend_clear_of_axis_title,
    md,
    short,
    with_unit,
    wrap,
)


def likert_chart(
    summary: pd.DataFrame, labels: dict[str, str], level_names: list[str], title: str = ""
) -> plt.Figure:
    """A stacked 100% bar per attitude item, from disagree (red) to agree (blue)."""
    data = summary[level_names].astype(float)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(data) + 1.6))
    left = np.zeros(len(data))
    colours = _likert_colours(len(level_names))
    ylabels = [short(labels.get(str(i), str(i)), 44) for i in data.index]
    for level, colour in zip(level_names, colours, strict=True):
        ax.barh(ylabels, data[level], left=left, color=colour, label=level)
        left += data[level].to_numpy()
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of respondents")
    ax.legend(
        ncols=len(level_names),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.2 / len(data)),
        frameon=False,
        fontsize=9,
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    legend_clear_of_axis_title(fig, ax)
    return fig


def _likert_colours(k: int) -> list[str]:
    if k == 5:
        return LIKERT_COLOURS
    return [matplotlib.colors.to_hex(c) for c in sns.color_palette("RdBu", k)]


def monthly_chart(
    monthly: pd.DataFrame,
    what: str = "orders",
    who: str = "buyers",
    title: str = "Orders and buyers per month",
) -> plt.Figure:
    """Orders (or events) and active buyers (or accounts) per month."""
    fig, ax = plt.subplots(figsize=(10, 3.4))
    months = pd.to_datetime(monthly["month"])
    ax.plot(months, monthly[what], color=PALETTE, marker="o", ms=3, label=what)
    ax.plot(months, monthly[who], color="#e08214", marker="o", ms=3, label=f"active {who}")
    ax.set_ylabel("per month")
    ax.set_title(title)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def missing_chart(missing: pd.DataFrame, top: int = 15) -> plt.Figure | Markdown:
    """The variables with the most missing answers (a sentence when none has any)."""
    data = missing[missing["missing"] > 0].head(top)
    if data.empty:
        return Markdown("_Every variable is answered by everyone: no gaps._")
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
    sns.heatmap(
        overlap,
        annot=True,
        fmt=".0f",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar=False,
        ax=ax,
        xticklabels=labels,
        yticklabels=labels,
        linewidths=0.5,
    )
    ax.set_title(title + " (% of the row's people also in the column)")
    ax.set_xlabel("")
    ax.set_ylabel("")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    return fig


def retention_heatmap(
    matrix: pd.DataFrame,
    sizes: pd.Series,
    title: str,
    max_cols: int = 13,
    fmt: str = "pct",
    period: str = "period",
    since: str = "the first order",
    who: str = "customers",
    hidden: pd.DataFrame | None = None,
    hidden_mark: str = "",
) -> plt.Figure:
    """Cohorts down the side (with their size), periods across; blank where too young, and
    ``hidden_mark`` (the privacy marker, "<10") on a hatched cell where ``hidden`` is true."""
    data = matrix.iloc[:, :max_cols]
    rows = len(data)
    fig, ax = plt.subplots(figsize=(min(1.0 + 0.75 * data.shape[1], 12.5), 0.32 * rows + 1.5))
    annot = rows <= 40
    values = data * 100 if fmt == "pct" else data
    sns.heatmap(
        values,
        ax=ax,
        cmap="Blues",
        annot=annot,
        fmt=".0f",
        cbar=False,
        annot_kws={"fontsize": 9},
        vmin=0,
        vmax=float(np.nanpercentile(values.iloc[:, 1:] if values.shape[1] > 1 else values, 98)),
    )
    if hidden is not None and hidden_mark:
        mask = hidden.reindex(index=data.index, columns=data.columns).fillna(False).astype(bool)
        for i, j in zip(*np.nonzero(mask.to_numpy()), strict=True):
            ax.add_patch(
                matplotlib.patches.Rectangle((j, i), 1, 1, fill=False, hatch="///", edgecolor="#c8c8c8", lw=0)
            )
            if annot:
                ax.text(j + 0.5, i + 0.5, hidden_mark, ha="center", va="center", fontsize=9, color="#555555")
    ax.set_yticklabels([f"{c} ({int(sizes.get(c, 0)):,})" for c in data.index], fontsize=9, rotation=0)
    ax.set_xlabel(f"{period}s since {since} (0: the {period} of {since})")
    ax.set_ylabel(f"cohort ({who})")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def cohort_heatmap(ret: Retention, title: str, params: Params, value: str = "retention") -> plt.Figure:
    """A cohort table as a heatmap under the run's privacy minimum: cohorts below it left out,
    cells resting on fewer people hatched and marked ("<10")."""
    few = params.privacy.min_cell
    return retention_heatmap(
        ret.matrix(value, min_cell=few),
        ret.sizes(min_cell=few),
        title,
        period=ret.period,
        since=ret.since,
        who=unit_word(params),
        hidden=ret.hidden(value, min_cell=few),
        hidden_mark=marker(few),
    )


def curves(
    curve: pd.DataFrame,
    value: str = "retention",
    title: str = "",
    max_n: int = 24,
    ylabel: str = "% of cohort active",
    period: str = "period",
    min_cell: int = 0,
    since: str = "the first order",
) -> plt.Figure:
    """One line per group across period offsets (pooled over cohorts old enough); the legend
    sits beside the plot, never over the lines."""
    fig, ax = plt.subplots(figsize=(10, 3.8))
    c = curve[(curve["n"] >= 1) & (curve["n"] <= max_n)]
    for group, part in c.groupby("group"):
        scale = 100 if value == "retention" else 1
        y = part[value] * scale
        if "active" in part:  # a point of a few active customers is a gap in the line (privacy)
            y = y.mask((part["active"] > 0) & (part["active"] < min_cell))
        ax.plot(part["n"], y, marker="o", ms=3, label=str(group))
    ax.set_xlabel(f"{period}s since {since}")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _legend_below(ax)
    fig.tight_layout()
    return fig


def survival_chart(projections: dict[str, pd.DataFrame], period: str, title: str) -> plt.Figure | Markdown:
    """Per group, the share still subscribed: observed (dots) and the model's projection past the
    data (a line, its 90% range shaded)."""
    if not projections:
        return Markdown("")
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for (group, p), colour in zip(
        projections.items(), sns.color_palette("colorblind", len(projections)), strict=True
    ):
        ax.fill_between(p.index, 100 * p["low"], 100 * p["high"], color=colour, alpha=0.15, linewidth=0)
        ax.plot(p.index, 100 * p["projected"], color=colour, linewidth=1.8, label=str(group))
        ax.plot(p.index, 100 * p["observed"], "o", color=colour, ms=3)
    seen = max(int(p["observed"].last_valid_index() or 0) for p in projections.values())
    ax.axvline(seen, color="#999", linewidth=1, linestyle="--")
    ax.annotate(" data ends; the model projects", (seen, 96), fontsize=9, color="#555", va="top")
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"{period}s since the first payment")
    ax.set_ylabel("% still subscribed")
    ax.set_title(title)
    _legend_below(ax)
    fig.tight_layout()
    return fig


def _legend_below(ax: plt.Axes) -> None:
    """The legend under the plot, below the axis title (long group names wrapped), so it covers
    no data and stays in view on a narrow screen."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            [textwrap.fill(label, 28) for label in labels],
            frameon=False,
            fontsize=9,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncols=min(len(handles), 4),
        )


def promotion_chart(effect: PromotionEffect) -> plt.Figure:
    """Share of each group active per period, with the promotion's end marked."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for group, part in effect.table.groupby("group"):  # a hidden (small) figure is a gap in its line
        ax.plot(
            part["period"],
            pd.to_numeric(part["active %"], errors="coerce"),
            marker="o",
            ms=3,
            label=str(group),
        )
    end = effect.end
    if end is not None:
        ax.axvline(end, color="#b2182b", linestyle="--", linewidth=1)
        ax.text(end, ax.get_ylim()[1] * 0.95, " promotion ends", color="#b2182b", fontsize=9)
    ax.set_ylabel("% of group active")
    ax.set_title(f"Customers acquired during {effect.code}: activity before and after it ended")
    _legend_below(ax)
    fig.tight_layout()
    return fig


def stick_chart(levels: pd.DataFrame, best: object, action: str, window: int) -> plt.Figure:
    """Retention by how far customers got in their first days; the stick point highlighted."""
    fig, ax = plt.subplots(figsize=(9, 3.4))
    labels = [str(i) for i in levels.index]
    best_pos = [str(i) for i in levels.index].index(str(best)) if str(best) in labels else -1
    colours = [PALETTE if i >= best_pos >= 0 else "#9bb3cf" for i in range(len(labels))]
    ax.bar(labels, levels["retention"] * 100, color=colours)
    for i, v in enumerate(levels["retention"] * 100):
        ax.text(i, v, f"{v:.0f}%", ha="center", va="bottom", fontsize=9)
    ax.set_xlabel(f"{action.replace('_', ' ')} in the first {window} days")
    ax.set_ylabel("% retained")
    ax.set_title("Retention by early activity (darker: at or past the stick point)")
    fig.tight_layout()
    return fig


def conversion_chart(by: pd.DataFrame, title: str) -> plt.Figure | Markdown:
    """Conversion % per trial month with its 95% interval (hidden months left out)."""
    rate = pd.to_numeric(by["conversion %"], errors="coerce")
    shown = by[rate.notna()]
    if shown.empty:
        return Markdown("_Too few trials old enough to judge their conversion._")
    fig, ax = plt.subplots(figsize=(9, 3.4))
    x = np.arange(len(shown))
    y = pd.to_numeric(shown["conversion %"]).to_numpy(float)
    lo = y - pd.to_numeric(shown["95% CI low"]).to_numpy(float)
    hi = pd.to_numeric(shown["95% CI high"]).to_numpy(float) - y
    ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", color=PALETTE, ecolor="#9bb3cf", capsize=2, lw=1.5)
    step = max(1, -(-len(x) // 8))  # at most 8 labels: months written in full never overlap
    ax.set_xticks(x[::step], [str(i) for i in shown.index][::step], rotation=0)
    ax.set_ylabel("% of trials converted")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def calibration_chart(check: pd.DataFrame | None) -> plt.Figure | Markdown:
    """Predicted vs actual purchases in the holdout, by purchases in the calibration period."""
    if check is None:
        return Markdown("_No holdout check was asked for._")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(len(check))
    ax.bar(x - 0.2, check["actual"], width=0.4, label="actual", color=PALETTE)
    ax.bar(x + 0.2, check["predicted"], width=0.4, label="model", color="#e08214")
    ax.set_xticks(x, [str(i) if i < check.index.max() else f"{i}+" for i in check.index])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in holdout")
    ax.set_title("Model check: predicted vs actual purchases in the holdout period")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def lorenz_chart(c: Concentration | None, who: str = "buyers") -> plt.Figure | Markdown:
    """The Lorenz curve of spend: the share of revenue from the fewest-spending share of buyers,
    against the line of everyone spending the same."""
    if c is None:
        return Markdown("")
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    ax.plot([0, 100], [0, 100], color="#999", linewidth=1, linestyle="--", label="everyone spending the same")
    ax.plot(
        100 * c.lorenz["share of buyers"],
        100 * c.lorenz["share of revenue"],
        color=PALETTE,
        linewidth=2.2,
        label=f"{who} (Gini {c.gini:.2f})",
    )
    ax.fill_between(
        100 * c.lorenz["share of buyers"],
        100 * c.lorenz["share of revenue"],
        100 * c.lorenz["share of buyers"],
        color=PALETTE,
        alpha=0.12,
    )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"share of {who}, fewest-spending first (%)")
    ax.set_ylabel("share of revenue (%)")
    ax.set_title("How revenue spreads over the buyers")
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def odds_chart(drivers: pd.DataFrame | None, top: int = 15) -> plt.Figure | Markdown:
    """Odds ratios with 95% intervals (log scale); right of 1 = more likely to churn."""
    if drivers is None:
        return Markdown(f"_{NO_PROFILE}_")
    if drivers.empty:
        return Markdown("_No trait makes churning clearly more or less likely._")
    d = drivers.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(d) + 1.4))
    y = np.arange(len(d))
    ax.errorbar(
        d["odds ratio"],
        y,
        xerr=[d["odds ratio"] - d["low 95%"], d["high 95%"] - d["odds ratio"]],
        fmt="o",
        color=PALETTE,
        ecolor="#9bb3cf",
        capsize=3,
    )
    ax.axvline(1, color="#777", linewidth=1)
    ax.set_xscale("log")
    ticks = [
        t
        for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)
        if d["low 95%"].min() / 1.5 <= t <= d["high 95%"].max() * 1.5
    ]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(y, [wrap(str(i), 40) for i in d.index], fontsize=9)
    ax.set_xlabel("odds ratio of churning (log scale; right of 1: more likely to churn)")
    ax.set_title("What the churned have in common")
    fig.tight_layout()
    return fig


def theme_chart(themes: pd.DataFrame, title: str) -> tuple[plt.Figure | Markdown, str]:
    """The share of answers in each theme (hidden themes left out, numbered as in the table), and
    a note when the machine has no font for the themes' Chinese words."""
    numbered = themes[themes["#"].astype(str) != ""]
    shown = numbered[pd.to_numeric(numbered["share of answers %"], errors="coerce").notna()]
    if shown.empty:
        return md("Every theme has fewer answers than the privacy minimum."), ""
    labels, note = chart_labels(shown["theme"].astype(str).tolist())
    if note:  # the numbers of the table, not of the bars (a hidden theme keeps its number)
        labels = [f"Theme {n}" for n in shown["#"]]
    share = pd.Series(pd.to_numeric(shown["share of answers %"]).to_numpy(), index=labels)
    return hbar(share, title, "% of answers"), note


def k_chart(table: pd.DataFrame, chosen: int) -> plt.Figure:
    """The criteria used to choose the number of segments, the chosen k marked."""
    crit = [c for c in ("BIC", "entropy", "silhouette") if c in table and table[c].notna().any()]
    fig, axes = plt.subplots(1, len(crit) + 1, figsize=(4.2 * (len(crit) + 1), 3.2), squeeze=False)
    for ax, c in zip(axes.flat, crit + ["smallest segment %"], strict=True):
        ax.plot(table.index, table[c], marker="o", color=PALETTE)
        ax.axvline(chosen, color="#b2182b", linestyle="--", linewidth=1)
        ax.set_title(c)
        ax.set_xlabel("number of segments (k)")
    fig.tight_layout()
    return fig


def index_heatmap(rows: pd.DataFrame, title: str = "Index against the total (100 = average)") -> Styler:
    """Segments across, distinctive traits down, as a table coloured like a heatmap (green
    over-indexes, red under-indexes, blank: too few people), so every segment reads on a phone."""
    cmap = matplotlib.colormaps["RdYlGn"]

    def colour(v: object) -> str:
        if not isinstance(v, int | float) or math.isnan(v):
            return ""
        # seaborn's centred scale: 100 in the middle of the colours, 0 and 250 the ends shown
        r, g, b, _ = cmap((min(max(float(v), 0.0), 250.0) + 50.0) / 300.0)
        ink = "#fff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "#111"
        return f"background-color: {matplotlib.colors.to_hex((r, g, b))}; color: {ink}"

    values = rows.apply(pd.to_numeric, errors="coerce")
    return (
        values.style.format("{:.0f}", na_rep="")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
        .map(colour)
        .set_caption(html_text.escape(title))
        .set_table_styles(
            [
                {
                    "selector": "caption",
                    "props": "caption-side: top; font-weight: bold; text-align: left;"
                    " font-size: 14px; padding: 4px 0;",
                },
                {"selector": "th", "props": "text-align: left;"},
                {"selector": "td", "props": "text-align: center; min-width: 3.2em;"},
            ]
        )
    )


def confusion_chart(confusion: pd.DataFrame) -> plt.Figure:
    """Cross-validated confusion matrix of the typing tool (% of each true segment; a hidden
    share is a blank cell)."""
    labels = [textwrap.fill(str(s), 16) for s in confusion.index]
    values = confusion.apply(pd.to_numeric, errors="coerce")
    # a hidden share is "–" (a "<10" in a grid of percentages would read as under 10%)
    annot = confusion.map(lambda v: "–" if isinstance(v, str) else f"{v:.0f}")
    hidden = sorted({v for v in confusion.to_numpy().ravel() if isinstance(v, str)})
    fig, ax = plt.subplots(figsize=(1.4 * len(labels) + 3.5, 1.0 * len(labels) + 1.6))
    sns.heatmap(
        values.fillna(0),
        annot=annot.to_numpy(),
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar=False,
        ax=ax,
        xticklabels=labels,
        yticklabels=labels,
    )
    plt.setp(ax.get_xticklabels(), rotation=0)
    plt.setp(ax.get_yticklabels(), rotation=0)
    ax.set_xlabel("segment the typing tool assigns")
    ax.set_ylabel("true segment")
    ax.set_title(
        "Typing tool: % of each segment assigned to each segment (cross-validated)"
        + (f"\n– : fewer than {hidden[0].lstrip('<')} people, hidden" if hidden else "")
    )
    fig.tight_layout()
    return fig


TRADEOFF_Y = ["value", "revenue_share", "outcome", "nps", "bought_12m", "converted"]  # measure keys


TRADEOFF_SIZE = ["bought_12m", "converted"]


def tradeoff_chart(facts: pd.DataFrame, measures: dict) -> plt.Figure | Markdown:
    """A measure of worth against size per persona (bubble: retention, where known), coloured
    by the focus choice; the measure is the first the data has (value, revenue, outcome, NPS),
    each named as the registry names it (``measures``: key -> :class:`helpers.analyses.metrics.Metric`)."""
    if len(facts) < 2:
        return Markdown("")  # one group: nothing to set against anything

    def column(key: str) -> str | None:
        m = measures.get(key)
        return m.name if m is not None and m.name in facts and facts[m.name].notna().any() else None

    y_key = next((k for k in TRADEOFF_Y if column(k)), None)
    if y_key is None:
        return Markdown(
            "_No outcome in this data (value, status, orders or NPS) to set against size: "
            "the personas are listed by size alone._"
        )
    y_metric, x_metric = measures[y_key], measures["size"]
    size_key = next((k for k in TRADEOFF_SIZE if k != y_key and column(k)), None)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))  # narrow: readable on a phone without scrolling
    colours = {"focus": "#4d9221", "maintain": "#888", "not a focus": "#b2182b"}
    share = y_metric.unit == "share"
    y = facts[y_metric.name].astype(float) * (100 if share else 1)
    x = 100 * facts[x_metric.name].astype(float)
    size = 1200 * (facts[measures[size_key].name].astype(float) if size_key else pd.Series(0.3, facts.index))
    for i, row in facts.iterrows():
        ax.scatter(
            x[i], y[i], s=size[i], alpha=0.55, color=colours.get(row["focus"], "#888"), edgecolor="white"
        )
        ax.annotate(
            f"{i}. {row['name']}", (x[i], y[i]), textcoords="offset points", xytext=(8, 6), fontsize=10
        )
    ax.set_xlabel(f"{x_metric.name} (%)")
    y_name = y_metric.name.removesuffix(" %")
    ax.set_ylabel(f"{y_name} (%)" if share else with_unit(y_name))
    bubble = f"bubble: {measures[size_key].name}; " if size_key else ""
    better = " (lower is better)" if y_metric.better == "lower" else ""
    ax.set_title(
        wrap(
            f"{y_name[:1].upper()}{y_name[1:]}{better} against size ({bubble}green focus, red not a focus)",
            52,
        ),
        fontsize=10,
    )
    ax.tick_params(labelsize=10)
    ax.xaxis.label.set_size(10)
    ax.yaxis.label.set_size(10)
    ax.margins(0.25)
    fig.tight_layout()
    return fig


def migration_chart(migration: pd.DataFrame) -> plt.Figure:
    """Where last quarter's segments went (% of each previous segment)."""
    fig, ax = plt.subplots(figsize=(1.7 * migration.shape[1] + 4, 0.6 * len(migration) + 1.8))
    sns.heatmap(
        migration, annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=100, cbar=False, ax=ax, linewidths=0.5
    )
    ax.set_yticklabels([short(str(t), 40) for t in migration.index], rotation=0, fontsize=9)
    ax.set_xticklabels([short(str(t), 24) for t in migration.columns], rotation=20, ha="right", fontsize=9)
    ax.set_ylabel("last quarter")
    ax.set_xlabel("this quarter")
    ax.set_title("Customers in both quarters: from last quarter's segment to this quarter's (%)")
    fig.tight_layout()
    return fig
