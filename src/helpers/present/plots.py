"""Charts and tables as stakeholders see them: readable static seaborn charts, styled tables."""

from __future__ import annotations

import base64
import contextlib
import html as html_text
import math
import pickle
import re
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

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
from IPython.display import HTML, Markdown
from pandas.io.formats.style import Styler

from helpers.core import formats
from helpers.data.dataset import NO_PROFILE

PALETTE = "#3b6ea5"


LIKERT_COLOURS = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"]


def setup() -> None:
    """Report-wide look: one theme, readable fonts, PNG charts, no warnings in the output."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "figure.autolayout": False,
        }
    )
    cjk = cjk_font()
    if cjk:  # Chinese labels: glyphs the default font lacks come from this one (fallback is
        # per glyph across font.family; Latin text keeps the default font)
        plt.rcParams["font.family"] = ["sans-serif", cjk]
    warnings.filterwarnings("ignore")
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
        shell = get_ipython()
    except ImportError:  # outside IPython
        shell = None
    if shell is not None:  # every chart carries its own title as its description (alt text)
        png = shell.display_formatter.formatters["image/png"]
        draw = png.lookup_by_type(plt.Figure)
        png.for_type(plt.Figure, lambda fig: _with_metadata(fig, draw(fig), draw))


READABLE_PX = 9.0  # no label of a chart is shown smaller than this, at any screen width


def smallest_font_px(fig: plt.Figure) -> float | None:
    """The size of the smallest text the chart draws, in pixels of its PNG (None: no text)."""
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())
    ]
    return min(sizes) * fig.dpi / 72 if sizes else None


def _png_width(data: str | bytes) -> int:
    """The width in pixels of a PNG (as bytes or base64 text), from its header."""
    head = base64.b64decode(data[:64]) if isinstance(data, str) else data[:24]
    return int.from_bytes(head[16:20], "big")


PHONE_INCHES = 3.6  # a phone's text column: 360 px at the charts' 100 dpi


def _labels_collide(fig: plt.Figure, ax: plt.Axes) -> bool:
    """Whether two labels of the x axis overlap as the figure is laid out now."""
    fig.draw_without_rendering()
    boxes = sorted(
        (t.get_window_extent() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()),
        key=lambda b: b.x0,
    )
    return any(a.x1 > b.x0 - 2 for a, b in zip(boxes, boxes[1:], strict=False))


def _with_metadata(
    fig: plt.Figure, data: str | bytes, draw: Callable[[plt.Figure], str | bytes] | None = None
) -> tuple[str | bytes, dict[str, object]]:
    """A chart's PNG with its description, its smallest font (px), the narrowest width it can be
    shown at with every label at least READABLE_PX tall (the page scrolls it below that), and a
    rendering laid out for a phone where the chart allows one."""
    meta: dict[str, object] = {"alt": alt_text(fig)}
    font = smallest_font_px(fig)
    width = _png_width(data)
    if font and width:
        meta["font_px"] = round(font, 2)
        meta["min_px"] = math.ceil(READABLE_PX * width / font)
        phone = _phone_png(fig, draw) if draw is not None else None
        if phone is not None:
            meta["phone_png"] = phone
            meta["phone_min_px"] = math.ceil(READABLE_PX * _png_width(phone) / font)
    return data, meta


def _phone_png(fig: plt.Figure, draw: Callable[[plt.Figure], str | bytes]) -> str | bytes | None:
    """The chart drawn again PHONE_INCHES wide (on a copy), same fonts, titles wrapped; None for a
    chart that would not read that narrow (a heatmap, several panels, long labels)."""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    if len(axes) != 1 or axes[0].images or fig.get_size_inches()[0] <= PHONE_INCHES * 1.3:
        return None
    if any(isinstance(c, matplotlib.collections.QuadMesh) for c in axes[0].collections):
        return None
    try:
        copy: plt.Figure = pickle.loads(pickle.dumps(fig))
        plt.close(copy)  # never shown by the notebook itself
        ax = next(a for a in copy.axes if a.get_visible())
        copy.set_size_inches(PHONE_INCHES, fig.get_size_inches()[1])
        for t in (ax.title, ax._left_title, ax.xaxis.label, copy._suptitle):
            if t is not None:
                per_line = max(12, int(PHONE_INCHES * 72 / (t.get_fontsize() * 0.58)))
                t.set_text("\n".join(textwrap.fill(line, per_line) for line in t.get_text().split("\n")))
        legend = ax.get_legend()
        if legend is not None and getattr(legend, "_ncols", 1) > 2:  # the same legend, two columns
            ax.legend(
                legend.legend_handles,
                [t.get_text() for t in legend.texts],
                ncols=2,
                loc=legend._loc,
                bbox_to_anchor=legend._bbox_to_anchor._bbox.bounds,  # in the axes' coordinates
                frameon=legend.get_frame_on(),
                fontsize=legend.texts[0].get_fontsize(),
            )
        copy.tight_layout()
        legend_clear_of_axis_title(copy, ax)
        if ax.get_position().width < 0.5:  # long labels would leave the plot a sliver
            return None
        locator = ax.xaxis.get_major_locator()
        for bins in (6, 4, 3):  # labels of the x axis that now run into each other: fewer of them
            if not _labels_collide(copy, ax):
                break
            if isinstance(locator, matplotlib.dates.DateLocator):
                fewer = matplotlib.dates.AutoDateLocator(minticks=2, maxticks=bins)
                ax.xaxis.set_major_locator(fewer)
                ax.xaxis.set_major_formatter(matplotlib.dates.AutoDateFormatter(fewer))
            else:
                categorical = isinstance(locator, matplotlib.category.StrCategoryLocator)
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(bins, integer=categorical))
        phone = draw(copy)
        return phone if _png_width(phone) <= PHONE_INCHES * copy.dpi * 1.15 else None
    except Exception:  # noqa: BLE001 - the wide chart alone is still a chart
        return None


def legend_clear_of_axis_title(fig: plt.Figure, ax: plt.Axes) -> None:
    """Hang a legend that sits below the plot a fixed distance under the x-axis title and tick
    labels, so that it covers neither (a short chart, or one drawn narrow, has little room there)."""
    legend = ax.get_legend()
    if legend is None or not ax.xaxis.label.get_text() and not ax.get_xticklabels():
        return
    anchor = legend.get_bbox_to_anchor()
    if ax.transAxes.inverted().transform((anchor.x0, anchor.y0))[1] > 0:
        return  # anchored inside or above the plot: not hung below it
    fig.draw_without_rendering()
    box = legend.get_window_extent()
    under = [ax.xaxis.label.get_window_extent()] if ax.xaxis.label.get_text() else []
    under += [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()]
    if not under or box.y1 > ax.bbox.y0 + 1 or not any(box.overlaps(b) for b in under):
        return  # a legend beside or inside the plot, or one already clear
    gap = (ax.bbox.y0 - min(b.y0 for b in under)) * 72 / fig.dpi + 4  # in points
    below = matplotlib.transforms.offset_copy(ax.transAxes, fig=fig, y=-gap, units="points")
    legend.set_bbox_to_anchor((0.5, 0.0), transform=below)
    fig.tight_layout()


def alt_text(fig: plt.Figure) -> str:
    """A chart's description for readers who cannot see it: its titles and axis titles."""
    parts = [fig.get_suptitle()] if fig.get_suptitle() else []
    for ax in fig.axes:
        title = ax.get_title() or ax.get_title("left")
        axes = " against ".join(t for t in (ax.get_ylabel(), ax.get_xlabel()) if t)
        if title and title not in parts:
            parts.append(title + (f" ({axes})" if axes and len(fig.axes) <= 2 else ""))
        elif axes and not title and len(parts) < 1:
            parts.append(axes)
    return "; ".join(p for p in parts if p).replace("\n", " ").strip()


def glance(lines: list[str]) -> HTML:
    """The report's "At a glance": its main findings in a few lines (the published page shows it
    under the title, and the version page leads with it)."""
    items = "".join(f"<li>{_bold(html_text.escape(line, quote=False))}</li>" for line in lines if line)
    return HTML(f'<div class="wb-glance"><h2>At a glance</h2><ul>{items}</ul></div>')


def _bold(text: str) -> str:
    """The emphasis of the computed sentences (**bold**, *italic*) as HTML."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<i>\1</i>", text)


# fonts with Chinese glyphs, in order of preference (Debian's fonts-noto-cjk, then the usual
# fonts of macOS, Windows and other Linux systems)
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "PingFang SC", "Heiti SC",
    "Microsoft YaHei", "SimHei", "Noto Sans SC",
)  # fmt: skip


_CJK_TEXT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


_CJK_FILES = re.compile(r"cjk|wqy|wenquanyi|droidsansfallback|sourcehansans|pingfang|msyh|simhei", re.I)


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None. A font installed after
    matplotlib built its font cache is found on disk and added."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found is None and not getattr(cjk_font, "_scanned", False):
        cjk_font._scanned = True  # type: ignore[attr-defined]
        for path in font_manager.findSystemFonts():
            if _CJK_FILES.search(Path(path).name):
                with contextlib.suppress(Exception):  # a font file matplotlib cannot read
                    font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in CJK_FONTS if name in installed), None)
    return found


def drawable(label: str) -> str:
    """A label as a chart can draw it: Chinese words elided (…) when no font has them."""
    if _CJK_TEXT.search(label) and not cjk_font():
        return re.sub(r"[\u3400-\u9fff\uf900-\ufaff]+", "…", label)
    return label


def chart_labels(labels: list[str], kind: str = "Theme") -> tuple[list[str], str]:
    """Labels a chart can draw: Chinese labels as they are when a font has the glyphs; without
    one, numbered ("Theme 1") with a note, never boxes."""
    if not any(_CJK_TEXT.search(str(label)) for label in labels) or cjk_font():
        return [str(label) for label in labels], ""
    note = (
        "No font with Chinese characters is installed on the machine that made this report, so the "
        f"chart numbers them ({kind} 1 … {len(labels)}); the table beside it has their words. "
        "Install one (e.g. Debian's fonts-noto-cjk) to see them in charts."
    )
    return [f"{kind} {i + 1}" for i in range(len(labels))], note


def md(text: str) -> Markdown:
    """Markdown computed from the data, for the report's narrative; any markup inside the text
    (which may come from data values) is shown as text, never rendered."""
    return Markdown(escape_markup(text))


def escape_markup(text: str) -> str:
    """HTML special characters escaped outside `code spans` (Markdown emphasis is kept)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else html_text.escape(p, quote=False) for p in parts)


def bullets(lines: list[str], empty: str = "_Nothing to note._") -> Markdown:
    """A bullet list of computed sentences (markup in them shown as text)."""
    return Markdown("\n".join(f"- {escape_markup(line)}" for line in lines) if lines else empty)


def styled(
    table: pd.DataFrame | None,
    caption: str = "",
    pct: list[str] | None = None,
    decimals: int = 1,
    bar: str | None = None,
    missing: str = NO_PROFILE,
) -> Styler | Markdown:
    """A readable table: thousands separators, percentages with one decimal, optional data bar.

    A table that this run cannot make (``None``) shows the ``missing`` note instead.
    """
    if table is None:
        return Markdown(f"_{missing}_" if missing else "")
    if not len(table.index):  # no rows: a header alone tells a reader nothing
        return Markdown("")
    pct = [
        c
        for c in (pct if pct is not None else [c for c in table.columns if formats.is_share(c)])
        if c in table.columns
    ]
    table = table.copy()
    fmt = {}
    text_cols = []
    share_places = min(decimals, 1)
    for col in table.columns:
        if pd.api.types.is_bool_dtype(table[col]) or table[col].map(lambda v: isinstance(v, bool)).all():
            table[col] = table[col].map(formats.yes_no).astype(object)  # yes/no in words, never True
        values = pd.to_numeric(pd.Series(table[col].to_numpy(object)), errors="coerce").astype(float)
        whole = values.notna().any() and bool((values.dropna() % 1 == 0).all())
        if col in pct:  # a share reads with one decimal at most (never 100.000%)
            fmt[col] = _fmt(lambda v: f"{formats.number(v, share_places)}%")
        elif formats.is_p_value(col) and values.notna().any():
            fmt[col] = _fmt(formats.p_value)
        elif formats.is_money(col) and values.notna().any():
            fmt[col] = _fmt(formats.money)
        elif pd.api.types.is_integer_dtype(table[col]) or (whole and values.notna().any()):
            fmt[col] = _fmt(lambda v: formats.number(v, 0))
        elif values.notna().any():
            fmt[col] = _fmt(lambda v, d=decimals: formats.number(v, d))
        else:
            fmt[col] = _fmt(str)
            text_cols.append(col)
    # values and labels are escaped: a hidden cell's "<10" marker, and any text from data, show as
    # text and never as markup
    sty = (
        table.style.format(fmt, na_rep="–", escape="html")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
    )
    if isinstance(table.index, pd.RangeIndex) and table.index.name is None:
        sty = sty.hide(axis="index")
    if text_cols:
        sty = sty.set_properties(subset=text_cols, **{"text-align": "left"})
    if caption:
        sty = sty.set_caption(html_text.escape(caption))
    if bar and bar in table.columns and pd.api.types.is_numeric_dtype(table[bar]):
        sty = sty.bar(subset=[bar], color="#c6d9ee", vmin=0)
    return sty.set_table_styles(
        [
            {
                "selector": "caption",
                "props": "caption-side: top; font-weight: bold; text-align: left;"
                " font-size: 14px; padding: 4px 0;",
            },
            {"selector": "th", "props": "text-align: left;"},
        ]
    )


def _fmt(show: Callable[[float], str]):
    def f(v: object) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return "–"
        try:
            # a formatted number is escaped here (Styler escapes only the values it is given)
            return html_text.escape(show(float(v)) if show is not str else str(v), quote=False)
        except (ValueError, TypeError):
            return str(v)

    return f


def bar_grid(
    tables: dict[str, pd.DataFrame],
    value: str = "weighted %",
    ncols: int = 3,
    title: str = "",
    height_per_bar: float = 0.28,
) -> plt.Figure | None:
    """Small multiples: one horizontal bar chart per variable, shares in %; nothing when there
    is no variable to show."""

    def column(t: pd.DataFrame) -> str:  # tables of a run without weights hold one share
        return value if value in t else "share %"

    names = [n for n, t in tables.items() if pd.to_numeric(t[column(t)], errors="coerce").notna().any()]
    if not names:
        return None
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    bars = max((len(t) for t in tables.values()), default=1)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.6 * ncols, max(2.0, bars * height_per_bar + 1.0) * nrows), squeeze=False
    )
    for ax, name in zip(axes.flat, names, strict=False):
        t = tables[name]
        t = t[pd.to_numeric(t[column(t)], errors="coerce").notna()]
        vals = t[column(t)].astype(float)
        ax.barh([short(i) for i in t.index.astype(str)], vals, color=PALETTE)
        ax.invert_yaxis()
        ax.set_title(name)
        ax.set_xlabel(with_unit(column(t)))
        ax.set_xlim(0, max(5.0, vals.max() * 1.18 if len(vals) else 5.0))
        for y, v in enumerate(vals):
            ax.text(v, y, f" {v:.0f}%" if v >= 0.5 or v == 0 else " <1%", va="center", fontsize=9)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontweight="bold", fontsize=14)
    fig.tight_layout()
    return fig


def wrap(label: str, width: int = 28) -> str:
    """A long label on several lines, never cut."""
    return "\n".join(textwrap.wrap(label, width)) or label


def short(label: str, width: int = 24) -> str:
    """A label wrapped onto up to three lines of ``width`` characters (cut only beyond that)."""
    return textwrap.fill(label, width=width, max_lines=3, placeholder=" …") if len(label) > width else label


def with_unit(name: str) -> str:
    """An axis title with its unit: money names the run's currency ("average value (£)")."""
    code = formats.currency()
    return f"{name} ({code})" if code and formats.is_money(name) else name


def histograms(
    frame: pd.DataFrame, columns: dict[str, str], ncols: int = 3, clip: float = 0.99, min_cell: int = 0
) -> plt.Figure | None:
    """Histograms of numeric fields (long tails clipped at a percentile for readability; a bar of
    fewer people than ``min_cell`` is not drawn, and the chart says so); fields with no values
    are left out, and nothing is drawn when none has any."""
    names = [c for c in columns if c in frame and pd.to_numeric(frame[c], errors="coerce").notna().any()]
    if not names:
        return None
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.0 * nrows + 0.3), squeeze=False)
    hidden = False
    for ax, col in zip(axes.flat, names, strict=False):
        x = pd.to_numeric(frame[col], errors="coerce").dropna().astype(float)
        if len(x):
            x = x[x <= x.quantile(clip)]
            whole = bool((x % 1 == 0).all()) and x.max() - x.min() <= 120
            if whole:
                centers, counts = np.unique(x.to_numpy(), return_counts=True)
                width = 0.9
            else:
                counts, edges = np.histogram(x.to_numpy(), bins=30)
                centers, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
            shown = counts >= min_cell
            hidden = hidden or bool((~shown & (counts > 0)).any())
            ax.bar(centers[shown], counts[shown], width=width, color=PALETTE)
        ax.set_title(columns[col])
        ax.set_xlabel(formats.currency() if formats.is_money(columns[col]) else "")
        ax.set_ylabel("people")
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    note = f"The top {100 * (1 - clip):.0f}% of values is left out for readability."
    if hidden:
        note += f" Bars of fewer than {min_cell} people are not drawn (privacy)."
    fig.tight_layout(rect=(0, 0.06 if nrows == 1 else 0.03, 1, 1))
    fig.text(0.01, 0.005, note, fontsize=9, color="#555", ha="left", va="bottom")
    return fig


def html(markup: str) -> HTML:
    """Pre-rendered HTML (e.g. styled tables) for the report."""
    return HTML(markup)


def hbar(series: pd.Series, title: str, xlabel: str, fmt: str = "{:.1f}") -> plt.Figure:
    """A horizontal bar chart of one value per label."""
    s = series.dropna()
    labels, _ = chart_labels([str(i) for i in s.index])
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(s) + 1.3))
    ax.barh([short(label, 30) for label in labels], s.to_numpy(float), color=PALETTE)
    ax.invert_yaxis()
    for y, v in enumerate(s.to_numpy(float)):
        ax.text(v, y, " " + fmt.format(v), va="center", fontsize=9)
    ax.set_xlabel(with_unit(xlabel))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def show(fig: plt.Figure | Markdown) -> None:
    """Show a chart (or the note that replaces it) now, and free the chart."""
    from IPython.display import display

    display(fig)
    if isinstance(fig, plt.Figure):
        plt.close(fig)
