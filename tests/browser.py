"""Open published pages in headless Chromium as a stakeholder would, and list what a reader would
stumble on: console errors, requests outside the version, content wider than the screen, images
without a description, chart labels shrunk below 9 px, running text that runs off the screen,
hidden-cell markers lost, links that lead nowhere.

Used by tests/test_browser.py; also a command for looking at a published version by hand:

    .venv/bin/python tests/browser.py reports/demo/v1 [--shots DIR]
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

WIDTHS = (1280, 390)
NO_ALT = "No description has been provided for this image"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# elements wider than the window that are not inside a box that scrolls sideways and fits
_WIDE = """() => {
  const W = document.documentElement.clientWidth, out = [];
  const fits = (el) => el.getBoundingClientRect().right <= W + 1 && el.getBoundingClientRect().left >= -1;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.right <= W + 1 && r.left >= -1)) continue;
    let p = el.parentElement, boxed = false;
    while (p) {
      const x = getComputedStyle(p).overflowX;
      if ((x === 'auto' || x === 'scroll' || x === 'hidden') && fits(p)) { boxed = true; break; }
      p = p.parentElement;
    }
    const what = el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '');
    if (!boxed) out.push(`${what} (${Math.round(r.width)} px): `
      + (el.innerText || el.getAttribute('alt') || '').slice(0, 50));
  }
  return out;
}"""

_IMAGES = """() => Array.from(document.images).map(i => ({alt: i.getAttribute('alt') || '',
  width: i.getBoundingClientRect().width, natural: i.naturalWidth, src: i.getAttribute('src') || '',
  font: parseFloat(i.dataset.fontPx || 'NaN')}))"""

READABLE_PX = 9.0  # the smallest label a reader is shown, at any width (plots.READABLE_PX)

# running text (a table's "why" cell, a list item) that starts or ends outside the window: read only
# by scrolling sideways line after line (headings are labels: a sticky first column or a scroll away)
_RUNNING_OFF = """(limit) => {
  const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('td, li, p, dd')) {
    const text = (el.innerText || '').trim();
    if (text.length <= limit || el.querySelector('td, th, li, p, dd')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > W + 1 || r.left < -1)) out.push(text.slice(0, 50));
  }
  return out;
}"""

_ANCHORS = """() => Array.from(document.querySelectorAll('a[href^="#"]')).map(a => a.getAttribute('href'))
  .filter(h => h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1))))"""

# what a reader must never see: Python objects, tracebacks, the machine's private paths
INTERNALS = re.compile(
    r"PosixPath\(|WindowsPath\(|Traceback \(most recent call last\)|<[\w.]+ object at 0x|"
    r"/tmp/\S+|\.build-[\w-]+|\bdtype: \w+"
)
_LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))
  .filter(h => !h.startsWith('#'))"""


@dataclass
class PageReport:
    """What one page shows at one width."""

    page: str
    width: int
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    labels: list[tuple[str, float]] = field(default_factory=list)  # chart, smallest label (px)


def _local_target(page: Path, href: str) -> Path | None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
        return None
    return (page.parent / href.split("#", 1)[0]).resolve()


def check_page(browser, page_path: Path, root: Path, width: int, shots: Path | None) -> PageReport:  # noqa: ANN001
    """Open one page at one width and list its problems."""
    report = PageReport(str(page_path.relative_to(root)), width)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    allowed = root.resolve().as_uri()

    def on_request(request) -> None:  # noqa: ANN001
        url = request.url
        if not (url.startswith("data:") or url.startswith(allowed)):
            outside.append(url[:120])

    page.on("request", on_request)
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    report.problems += [f"console error: {e[:160]}" for e in errors]
    report.problems += [f"request outside the version: {u}" for u in outside]
    report.problems += [f"wider than the screen: {w}" for w in page.evaluate(_WIDE)[:10]]
    images = page.evaluate(_IMAGES)
    sources = [img["src"] for img in images if img["src"].startswith("data:image/png")]
    if len(set(sources)) < len(sources):
        report.problems.append(f"a chart shown twice ({len(sources) - len(set(sources))} repeats)")
    for img in images:
        if not img["alt"].strip() or img["alt"].startswith(NO_ALT):
            report.problems.append("an image without a description (alt text)")
        if img["natural"] == 0:
            report.problems.append("an image that does not load")
        elif img["src"].startswith("data:image/png"):  # a chart: its smallest label as shown
            if img["font"] != img["font"]:  # NaN: plots.setup did not record it
                report.problems.append(f"a chart without its smallest font size: {img['alt'][:60]}")
                continue
            shown = img["font"] * img["width"] / img["natural"]
            report.labels.append((img["alt"], shown))
            if shown < READABLE_PX:
                report.problems.append(
                    f"chart labels of {shown:.1f} px (under {READABLE_PX:g}): {img['alt'][:60]}"
                )
    report.problems += [f"running text off the screen: {t}" for t in page.evaluate(_RUNNING_OFF, 60)]
    report.problems += [f"a link to a missing anchor: {h}" for h in page.evaluate(_ANCHORS)]
    for href in page.evaluate(_LINKS):
        target = _local_target(page_path, href)
        if target is not None and not target.exists():
            report.problems.append(f"a link to a missing file: {href}")
    source = page_path.read_text(encoding="utf-8")
    shown = page.evaluate("() => document.body.innerText")
    for leak in sorted(set(INTERNALS.findall(shown))):
        report.problems.append(f"internals shown to a reader: {leak!r}")
    for marker in sorted(set(re.findall(r"&lt;(\d+|n)\b", source))):
        written = source.count(f"&lt;{marker}")
        visible = len(re.findall(rf"<{marker}\b", shown))
        if visible < written:
            report.problems.append(f"hidden-cell marker <{marker}: {written} in the page, {visible} visible")
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        name = report.page.replace("/", "_").removesuffix(".html")
        report.screenshot = shots / f"{name}-{width}.png"
        page.screenshot(path=str(report.screenshot), full_page=True)
    context.close()
    return report


def check_version(
    folder: Path, shots: Path | None = None, widths: tuple[int, ...] = WIDTHS
) -> list[PageReport]:
    """Every page of a published version (and the reports index above it) at every width."""
    from playwright.sync_api import sync_playwright

    folder = Path(folder).resolve()
    root = folder.parents[1]  # reports/<period>/v<N>: the index of all reports is two up
    pages = sorted(folder.glob("*.html")) + [root / "index.html"]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for page_path in pages:
                for width in widths:
                    out.append(check_page(browser, page_path, root, width, shots))
        finally:
            browser.close()
    return out


def main(argv: list[str]) -> int:
    """Print every page's problems; exit 1 when there are any."""
    folder = Path(argv[0])
    shots = Path(argv[argv.index("--shots") + 1]) if "--shots" in argv else None
    reports = check_version(folder, shots)
    bad = 0
    for r in reports:
        print(f"{r.page} at {r.width} px: {'ok' if not r.problems else ''}")
        if r.labels:
            alt, px = min(r.labels, key=lambda a: a[1])
            print(f"  smallest chart label {px:.1f} px ({alt[:50]})")
        for problem in r.problems:
            print(f"  - {problem}")
        bad += len(r.problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
