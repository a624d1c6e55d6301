"""The pages around the reports: each version's own page, the page of a report that was not made, and
the index of every published version with the headline figures and their change."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from helpers.analyses import metrics
from helpers.core import formats
from helpers.core.privacy import CSP_META
from helpers.params.config import Params
from helpers.params.plan import words

PAGE_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:960px;
margin:0 auto;padding:24px;color:#222;line-height:1.5}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0 16px}td,th{padding:4px 10px;border-bottom:1px solid #eee;
text-align:left}th{background:#f4f7fb}.muted{color:#666;font-size:13px}a{color:#2a5d9f}
.scroll{overflow-x:auto;max-width:100%}ul.files a{overflow-wrap:anywhere}
details{margin-top:28px;border-top:1px solid #ddd;padding-top:8px}summary{cursor:pointer;color:#2a5d9f}
section ul{margin:4px 0 12px}
@media (max-width:600px){body{padding:10px}td,th{padding:4px 6px}}
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{CSP_META}'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
        f"{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>{body}</body></html>"
    )


def _run_time(nb: dict[str, Any]) -> str:
    if nb["status"] == "skipped":
        return "not made: needs " + " and ".join(words(m) for m in nb.get("missing", []))
    return f"{nb['duration_s']:.1f} s"


def _memory(nb: dict[str, Any]) -> str:
    mb = nb.get("peak_memory_mb")
    return "–" if not mb else f"{mb / 1024:.1f} GB"


EXTRA_PAGES = {"personas.html": "Persona cards (one card per printed page, for sales and support)"}


def version_page(manifest: dict[str, Any]) -> str:
    """A version's page: each report with its main findings first; how it was made, folded."""
    reports = []
    for nb in manifest["notebooks"]:
        link = f'<a href="{html.escape(nb["html"])}">{html.escape(nb["title"])}</a>'
        lines = nb.get("headline") or []
        if nb["status"] == "skipped":
            findings = f'<p class="muted">{html.escape(_run_time(nb))}.</p>'
        elif lines:
            findings = "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
        else:
            findings = ""
        reports.append(f"<section><h2>{link}</h2>{findings}</section>")
    extras = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(EXTRA_PAGES.get(name, name))}</a></li>'
        for name in manifest.get("pages", [])
    )
    rows = "".join(
        f'<tr><td><a href="{html.escape(nb["html"])}">{html.escape(nb["title"])}</a></td>'
        f"<td>{_run_time(nb)}</td><td>{_memory(nb)}</td><td>{nb['html_bytes'] / 1024:.0f} KB</td></tr>"
        for nb in manifest["notebooks"]
    )
    tables = "".join(f'<li><a href="{html.escape(t)}">{html.escape(t)}</a></li>' for t in manifest["tables"])
    body = (
        '<nav class="muted"><a href="../../index.html">All reports</a></nav>'
        f"<h1>{html.escape(manifest['title'])}</h1>"
        f"<p>Period <b>{html.escape(manifest['period'])}</b>, version "
        f"<b>v{manifest['version']}</b>, data as of {html.escape(str(manifest['as_of']))}. "
        f"Published {manifest['finished'][:16].replace('T', ' ')} UTC.</p>"
        + "".join(reports)
        + (f"<h2>Also in this version</h2><ul>{extras}</ul>" if extras else "")
        + "<details><summary>For researchers: how this version was made</summary>"
        f'<div class="scroll"><table><tr><th>Report</th><th>Run time</th><th>Peak memory</th>'
        f"<th>Size</th></tr>{rows}</table></div>"
        f'<h3>Tables (CSV, aggregates only)</h3><ul class="files">{tables or "<li>none</li>"}</ul>'
        f'<p class="muted"><a href="manifest.json">manifest.json</a>: parameters, input fingerprints, '
        f'code version, package versions. The executed notebooks: <a href="notebooks/">notebooks/</a>.</p>'
        "</details>"
    )
    return _page(f"{manifest['title']} · {manifest['period']} v{manifest['version']}", body)


def published_versions(reports_root: Path) -> list[dict[str, Any]]:
    """Manifests of every published version, newest first."""
    out = []
    for path in Path(reports_root).glob("*/v*/manifest.json"):
        if path.parts[-3].startswith((".", "_")):
            continue
        with contextlib.suppress(ValueError, OSError):
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(out, key=lambda m: (m["finished"], m["version"]), reverse=True)


def _figure(f: dict[str, Any]) -> str:
    value = float(f["value"])
    if f.get("unit") == "share":
        return f"{value:.0f}%"
    if f.get("unit") == "money":
        return formats.money(value)
    if f.get("unit") == "score":
        return f"{value:+.0f}"
    return formats.number(value)


def _change_cell(now: dict[str, Any], before: dict[str, Any] | None, when: str) -> str:
    """A key figure's change since an earlier version, with an arrow where it is beyond noise."""
    if before is None:
        return '<td class="muted">–</td>'
    diff, beyond = metrics.change(now, before)
    points = " points" if now.get("unit") in ("share", "score") else ""
    shown = (
        ("+" if diff > 0 else "") + formats.money(diff)
        if now.get("unit") == "money"
        else f"{diff:+.1f}{points}"
    )
    if beyond is None:
        return f'<td>{html.escape(shown)} <span class="muted">(no test)</span></td>'
    if not beyond:
        return f'<td>{html.escape(shown)} <span class="muted">(within noise)</span></td>'
    good = (diff > 0) == (now.get("better") != "lower")
    arrow = "▲" if diff > 0 else "▼"
    word = "better" if good and now.get("better") else "worse" if now.get("better") else "changed"
    return f"<td><b>{arrow} {html.escape(shown)}</b> ({word}, beyond noise since {html.escape(when)})</td>"


def headline_panel(versions: list[dict[str, Any]]) -> str:
    """The newest quarter's key figures, with the change since the previous published period and
    the year before (where published), and whether each change is beyond noise."""
    latest: dict[str, dict[str, Any]] = {}
    for m in versions:  # newest first: the first of each period is its latest version
        latest.setdefault(m["period"], m)
    if not latest:
        return ""
    ordered = sorted(latest.values(), key=lambda m: (str(m["as_of"]), m["finished"]), reverse=True)
    now = ordered[0]
    if not now.get("key_figures"):
        return ""
    as_of = dt.date.fromisoformat(str(now["as_of"]))
    earlier = [m for m in ordered[1:] if dt.date.fromisoformat(str(m["as_of"])) < as_of]
    previous = earlier[0] if earlier else None
    year = next(
        (m for m in earlier if 330 <= (as_of - dt.date.fromisoformat(str(m["as_of"]))).days <= 400), None
    )

    def lookup(m: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {f["metric"]: f for f in (m or {}).get("key_figures", [])}

    before, year_before = lookup(previous), lookup(year)
    formats.use_currency(str((now.get("parameters") or {}).get("currency") or ""))  # the run's money
    rows = "".join(
        f"<tr><td>{html.escape(f['metric'].removesuffix(' %'))}</td><td><b>{html.escape(_figure(f))}</b></td>"
        + _change_cell(f, before.get(f["metric"]), previous["period"] if previous else "")
        + (_change_cell(f, year_before.get(f["metric"]), year["period"]) if year else "")
        + "</tr>"
        for f in now["key_figures"]
    )
    since = f"<th>Change since {html.escape(previous['period'])}</th>" if previous else "<th>Change</th>"
    head = f"<tr><th>Measure</th><th>{html.escape(now['period'])}</th>{since}"
    head += (f"<th>Change since {html.escape(year['period'])} (a year before)</th>" if year else "") + "</tr>"
    note = (
        "Shares are tested with a two-proportion z-test at 5% on their effective bases; ▲/▼ marks a "
        "change beyond noise. Money and scores are shown without a test."
        if previous
        else "No earlier period is published yet: the changes appear from the next quarter on."
    )
    return (
        f"<h2>Key figures: {html.escape(now['title'])}</h2>"
        f'<div class="scroll"><table>{head}{rows}</table></div><p class="muted">{note}</p>'
    )


def write_index(reports_root: Path) -> Path:
    """Rewrite `reports/index.html`: every period and version, newest first."""
    versions = published_versions(reports_root)
    periods: dict[str, list[dict[str, Any]]] = {}
    for m in versions:
        periods.setdefault(m["period"], []).append(m)
    sections = []
    for period, items in periods.items():
        rows = "".join(
            f'<tr><td><a href="{html.escape(m["period"])}/v{m["version"]}/index.html">'
            f"v{m['version']}</a></td><td>{m['as_of']}</td>"
            f"<td>{m['finished'][:16].replace('T', ' ')}</td><td>"
            + " · ".join(
                f'<a href="{html.escape(m["period"])}/v{m["version"]}/'
                f'{html.escape(nb["html"])}">{html.escape(nb["title"])}</a>'
                for nb in m["notebooks"]
            )
            + "</td></tr>"
            for m in items
        )
        sections.append(
            f"<h2>{html.escape(period)} — {html.escape(items[0]['title'])}</h2>"
            f'<div class="scroll"><table><tr><th>Version</th><th>Data as of</th><th>Published (UTC)</th>'
            f"<th>Reports</th></tr>{rows}</table></div>"
        )
    body = (
        '<h1>Customer profile reports</h1><p class="muted">Every published period and '
        "version, newest first. Published versions are never changed; a re-run adds a new "
        "version.</p>" + headline_panel(versions) + ("".join(sections) or "<p>No reports published yet.</p>")
    )
    index = Path(reports_root) / "index.html"
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(_page("Customer profile reports", body), encoding="utf-8")
    tmp.replace(index)
    return index


def skipped_page(title: str, missing: list[str], params: Params) -> str:
    """An offline page that says why a report was not made for this run."""
    needs = " and ".join(words(m) for m in missing)
    body = (
        f'<p class="muted">{html.escape(params.title)} · period {html.escape(params.period)}'
        f"</p><h1>{html.escape(title)}</h1><p>This report was not made for this run: it needs "
        f"{html.escape(needs)}, and this run's data has none.</p>"
        f'<p><a href="index.html">Back to this version\'s reports</a></p>'
    )
    return _page(title, body)
