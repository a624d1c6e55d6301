"""Persona cards as a reader sees them: the face or company mark, the card's HTML, the printable
page of all cards and the fact sheet table."""

from __future__ import annotations

import html

import pandas as pd

from helpers.analyses.naming import label
from helpers.analyses.personas import Fact, Persona
from helpers.core import formats
from helpers.core.privacy import CSP_META
from helpers.params.config import Params

QUOTE_NOTE = "A real answer from this segment, the one closest to its typical answer; contact details removed"


CARD_CSS = """
.persona{border:1px solid #d5dbe3;border-radius:10px;padding:18px 22px;margin:18px 0;
font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#222;
page-break-after:always;break-after:page;background:#fff;max-width:960px}
.persona .top{display:flex;gap:18px;align-items:center}
.persona h2{margin:0;font-size:22px;border:none}.persona .top>div{min-width:0}
.persona h2,.persona .seg,.persona .headline,.persona li{overflow-wrap:anywhere}
.persona .seg{color:#666;font-size:13px}
.persona .headline{font-size:16px;margin-top:4px}
.persona .tag{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;color:#fff}
.persona .focus{background:#4d9221}.persona .not{background:#b2182b}.persona .maintain{background:#777}
.persona .grid{display:grid;grid-template-columns:1fr 1fr;gap:6px 26px;margin-top:10px}
.persona h3{font-size:14px;margin:10px 0 4px;color:#3b6ea5}
.persona ul{margin:0;padding-left:18px;font-size:13.5px;line-height:1.45}
.persona sup{color:#3b6ea5;cursor:help}
.persona .quote{font-style:italic;margin:10px 0;padding:8px 12px;background:#f4f7fb;
border-left:4px solid #3b6ea5}
.persona table.nums{border-collapse:collapse;font-size:13px;margin-top:6px}
.persona table.nums td{padding:2px 10px;border-bottom:1px solid #eee}
.persona .notes{font-size:11.5px;color:#555;margin:10px 0 0;padding-left:22px}
.persona sup a{text-decoration:none;color:#3b6ea5}.persona .notes li:target{background:#fff3c4}
@media (max-width:600px){.persona{padding:12px}.persona .grid{grid-template-columns:1fr}
.persona .top{flex-direction:column;align-items:flex-start}}
@media print{body>h1,body>p{display:none}.persona{border:none;margin:0;padding:0;font-size:12px;
break-inside:avoid}.persona:last-of-type{break-after:auto;page-break-after:auto}
.persona ul{font-size:12px;line-height:1.3}.persona .notes{font-size:9.5px}
.persona svg{width:72px;height:72px}}
"""


def card_html(p: Persona) -> str:
    """One persona card; every statement has a numbered footnote with its figure."""
    notes: list[str] = []

    def cite(f: Fact) -> str:
        notes.append(f.source)
        n = len(notes)  # a link to the note (a tap on a phone), and a tooltip (a mouse)
        return (
            f'{html.escape(f.text)}<sup><a href="#note-{p.segment}-{n}" '
            f'title="{html.escape(f.source)}">[{n}]</a></sup>'
        )

    tag = {"focus": "focus", "not a focus": "not", "maintain": "maintain"}.get(p.focus, "maintain")
    sections = "".join(
        f"<div><h3>{html.escape(title)}</h3><ul>{''.join(f'<li>{cite(f)}</li>' for f in facts)}</ul></div>"
        for title, facts in p.facts.items()
        if facts
    )
    nums = "".join(
        f"<tr><td>{html.escape(p.titles.get(k, k))}</td><td>{_num(k, v)}"
        + (
            f' <span class="ev">(everyone {_num(k, p.everyone[k])})</span>'
            if k in p.everyone and k != "size"
            else ""
        )
        + "</td></tr>"
        for k, v in p.numbers.items()
    )
    quote = (
        (
            f'<div class="quote">“{html.escape(p.quote)}”<sup><a href="#note-{p.segment}-q" '
            f'title="{QUOTE_NOTE}">[q]</a></sup></div>'
        )
        if p.quote
        else ""
    )
    market = (
        ("<h3>Marketing use</h3><ul>" + "".join(f"<li>{cite(f)}</li>" for f in p.marketing) + "</ul>")
        if p.marketing
        else ""
    )
    reasons = "; ".join(p.reasons)
    return (
        f'<section class="persona"><div class="top">{p.avatar}<div>'
        f'<h2>{html.escape(label(p.segment, {p.segment: p.name}))}</h2><div class="seg">'
        f"{html.escape(p.segment_name) + ' · ' if p.segment_name else ''}"
        f'<span class="tag {tag}">{html.escape(p.focus)}'
        f'</span> {html.escape(reasons)}</div><div class="headline">'
        f"{html.escape(p.headline)}</div></div></div>{quote}"
        f'<div class="grid">{sections}<div><h3>The numbers</h3><table class="nums">{nums}'
        f"</table></div></div>{market}"
        + '<ol class="notes">'
        + "".join(f'<li id="note-{p.segment}-{i}">{html.escape(n)}</li>' for i, n in enumerate(notes, 1))
        + "</ol>"
        + (f'<p class="notes" id="note-{p.segment}-q">[q] {QUOTE_NOTE}</p>' if p.quote else "")
        + "</section>"
    )


def _num(key: str, value: float) -> str:
    if value != value:
        return "–"
    if key == "nps":
        return f"{value:+.0f}"
    if key == "value":
        return formats.money(value)
    return "<1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"


def cards_html(personas: list[Persona]) -> str:
    """Every card with the card style sheet, for the report."""
    return f"<style>{CARD_CSS}</style>" + "".join(card_html(p) for p in personas)


def standalone_page(personas: list[Persona], params: Params) -> str:
    """A self-contained, offline `personas.html` for sales and support teams."""
    title = f"Personas — {params.title}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{CSP_META}'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
        f"{html.escape(title)}</title><style>body{{margin:0 auto;max-width:1000px;padding:20px}}"
        f'{CARD_CSS}</style></head><body><h1 style="font-family:system-ui">'
        f'{html.escape(title)}</h1><p style="font-family:system-ui;color:#555">Period '
        f"{html.escape(params.period)}, data as of {params.as_of}. Tap or hover a footnote number to "
        f'see the figure behind a statement; printing gives one card per page. <a href="index.html">'
        f"All reports of this quarter</a>.</p>{''.join(card_html(p) for p in personas)}"
        f"</body></html>"
    )


def facts_table(personas: list[Persona]) -> pd.DataFrame:
    """Key facts of every persona, for CSV."""
    rows = []
    for p in personas:
        row = {"segment": p.segment, "name": p.name, "what sets it apart": p.segment_name}
        if p.age_band != "any":
            row["age band"] = p.age_band
        if p.gender != "any":
            row["gender"] = p.gender
        row.update({"headline": p.headline, "focus": p.focus, "why": "; ".join(p.reasons)})
        row.update({p.titles.get(k, k): round(v, 4) for k, v in p.numbers.items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("segment")
