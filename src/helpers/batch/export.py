"""An executed notebook exported to one offline HTML page (no code, no traceback, nothing from the
internet), and the failed cell's message when it did not run through."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from helpers.present.pages import PageFrame, frame_report, move_glance

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def export_html(
    notebook: Path, html_path: Path, footer: str = "", frame: PageFrame | None = None
) -> tuple[int, list[str]]:
    """Export an executed notebook as an offline HTML page with code hidden, in the report frame;
    return its size and its "At a glance" lines."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = move_glance(nb.cells)
    for cell in nb.cells:  # warnings and logs are for researchers, not stakeholders
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    nb.metadata["workbook_footer"] = footer
    exporter = HTMLExporter(
        template_name="workbook",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    headline: list[str] = []
    if frame is not None:
        body, headline = frame_report(body, frame)
    html_path.write_text(strip_css_comments(body), encoding="utf-8")
    return html_path.stat().st_size, headline


_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def strip_css_comments(page: str) -> str:
    """Drop comments from inline style sheets (the lab theme's credit links to web pages)."""
    return _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3), page)


def failed_cell(notebook: Path) -> str:
    """Where an executed notebook stopped: the failed cell's number, error and message."""
    import nbformat

    with contextlib.suppress(Exception):
        nb = nbformat.read(str(notebook), as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    return f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
    return "see the executed notebook"
