"""Step 5, a persona's face: a drawn portrait for people (age band, gender, a colour of its own) or a
company mark for accounts, as inline SVG so that a page needs nothing from the internet."""

from __future__ import annotations

import html

PALETTE = ["#3b6ea5", "#e08214", "#4d9221", "#c51b7d", "#8073ac", "#35978f", "#b35806", "#666"]


def company_mark(name: str) -> str:
    """A plain building mark for a company persona: no face is invented for a company."""
    return (
        '<svg width="96" height="96" viewBox="0 0 96 96" role="img" '
        f'aria-label="company type: {html.escape(name)}">'
        '<rect width="96" height="96" rx="14" fill="#e8eef6"/>'
        '<rect x="26" y="22" width="44" height="56" rx="3" fill="#3b6ea5"/>'
        + "".join(
            f'<rect x="{x}" y="{y}" width="8" height="8" fill="#e8eef6"/>'
            for y in (30, 44, 58)
            for x in (34, 54)
        )
        + '<rect x="43" y="66" width="10" height="12" fill="#e8eef6"/></svg>'
    )


def avatar_svg(name: str, segment: int, age_band: str, gender: str) -> str:
    """A simple face: the segment's colour, hair by age band, long hair for a female majority."""
    colour = PALETTE[(segment - 1) % len(PALETTE)]
    hair = {"18-29": "#3b2a1a", "30-44": "#5a3d24", "45-59": "#7a6a5a", "60+": "#c9c9c9"}.get(
        age_band, "#5a3d24"
    )
    long_hair = gender == "female"
    glasses = age_band in ("45-59", "60+")
    # inline SVG in HTML needs no namespace attribute, so the page names no address at all
    parts = [
        f'<svg width="96" height="96" viewBox="0 0 96 96" role="img" '
        f'aria-label="avatar of {html.escape(name)}">',
        f'<circle cx="48" cy="48" r="47" fill="{colour}" opacity="0.18"/>',
        f'<path d="M18 92 Q48 58 78 92 Z" fill="{colour}"/>',
    ]
    if long_hair:
        parts.append(f'<ellipse cx="48" cy="44" rx="22" ry="26" fill="{hair}"/>')
    parts += [
        '<circle cx="48" cy="40" r="17" fill="#f1c9a5"/>',
        f'<path d="M31 36 Q48 16 65 36 Q60 26 48 25 Q36 26 31 36 Z" fill="{hair}"/>',
        '<circle cx="42" cy="40" r="1.8" fill="#333"/><circle cx="54" cy="40" r="1.8" fill="#333"/>',
        '<path d="M42 47 Q48 51 54 47" stroke="#333" stroke-width="1.5" fill="none"/>',
    ]
    if glasses:
        parts.append(
            '<g stroke="#333" stroke-width="1.2" fill="none"><circle cx="42" cy="40" '
            'r="4.5"/><circle cx="54" cy="40" r="4.5"/><path d="M46.5 40 H49.5"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
