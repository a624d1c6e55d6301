"""The frame around every published report: navigation, a title block, "At a glance", a table of
contents and a glossary of the terms the page uses. Works on the exported HTML, so a notebook
only writes its narrative."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from helpers.params.plan import NOT_CHOSEN, SKIPPED  # how a part left out says so

GLANCE_TAG = "glance"  # the notebook cell whose output is the report's "At a glance"
GLANCE_CLASS = "wb-glance"

# plain definitions of the terms a report may use (a report lists those its text holds)
GLOSSARY: dict[str, str] = {
    "Banner": "A set of columns (groups of people) that every question is broken down by.",
    "BIC": "Bayesian information criterion: a score of how well a model fits the data, with a penalty "
    "for complexity. Lower is better; used to choose the number of segments.",
    "Base": "The number of people a percentage is computed on.",
    "CAC": "Customer acquisition cost: what it cost, on average, to win one customer in a channel.",
    "Churn": "Customers who stopped buying or cancelled.",
    "Cohort": "Customers who started in the same period (or share another starting trait), followed "
    "over time.",
    "Confidence interval": "The range in which the true figure lies with 95% certainty, given the sample.",
    "Crosstab": "A table that shows how the answers to a question differ between groups.",
    "Customer value": "The gross margin a customer is expected to bring in over the coming period "
    "(each figure names its horizon, 12 months unless the parameter file says otherwise), "
    "discounted, from the purchase and spend models.",
    "Entropy": "How cleanly people fall into one segment (1 = perfectly, 0 = not at all).",
    "ICP": "Ideal customer profile: the kind of customer the business wants most.",
    "Index": "A group's figure against everyone's: 100 = the same, 150 = one and a half times as "
    "common, 50 = half as common.",
    "Jaccard": "The overlap between a segment and its best match when the model is fitted again on "
    "resampled data (1 = identical).",
    "Lift": "How much more likely an outcome is in a group than on average.",
    "NPS": "Net Promoter Score: the share of promoters (9–10 on 'would you recommend us') minus the "
    "share of detractors (0–6), a score from -100 to +100.",
    "Odds ratio": "How much a trait multiplies the odds of an outcome (1 = no effect, 2 = twice the "
    "odds, 0.5 = half).",
    "P(alive)": "The probability, from the purchase model, that a customer is still buying from us.",
    "p-value": "How likely a difference this large would be by chance alone; below 0.05 is called "
    "significant.",
    "Persona": "A segment described as one typical person (or account): a name, a face, a story and facts.",
    "Rand index": "Agreement between two groupings of the same people (1 = identical).",
    "Relative entropy": "How cleanly people fall into one segment (1 = perfectly, 0 = not at all).",
    "Retention": "The share of a cohort still buying in a later period. Each chart and table says "
    "which definition it uses.",
    "RFM": "Recency, frequency, monetary value: a simple grouping of buyers by how recently, how "
    "often and how much they bought.",
    "Segment": "A group of people (or accounts) alike in the traits that matter, unlike the other groups.",
    "Significant": "A difference larger than chance would plausibly give (p below 0.05).",
    "Silhouette": "How much closer people are to their own segment than to the next one (-1 to 1; "
    "higher is better).",
    "Stability": "Whether a segment comes back when the model is fitted again on resampled data.",
    "Stick point": "The number of purchases (or other actions) after which most buyers stay.",
    "Top box": "The share of people who chose the top of a scale (e.g. 4 or 5 on a 5-point scale).",
    "Typing tool": "A short set of questions that assigns a new lead to a segment.",
    "Weighted": "Counted with survey weights, so that the sample matches the population it stands for.",
}


@dataclass
class PageFrame:
    """What the frame shows around a report: where it belongs and how to get back."""

    title: str
    period: str
    as_of: str
    min_cell: int = 0
    version_page: str = "index.html"
    all_reports: str = "../../index.html"
    measures: dict[str, str] = field(default_factory=dict)  # the run's measures: name -> definition


FRAME_CSS = """
.wb-nav,.wb-toc,.wb-glossary,.wb-meta,.wb-unshown
{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.wb-nav{font-size:13px;margin:10px 0 2px;display:flex;flex-wrap:wrap;gap:4px 14px}
.wb-nav a,.wb-toc a,.wb-top{color:#2a5d9f;text-decoration:none}
.wb-meta{color:#555;font-size:14px;margin:0 0 10px}
.wb-glance{background:#f4f7fb;border-left:4px solid #3b6ea5;padding:4px 14px;margin:10px 0}
.wb-glance h2{border:0;margin:8px 0 4px;font-size:18px}
.wb-unshown{font-size:13px;color:#555;font-style:italic}
.wb-toc{font-size:14px;margin:8px 0 18px}.wb-toc h2{font-size:16px;margin:6px 0}
.wb-toc ol{margin:0;padding-left:22px;columns:2 280px}
.wb-top{font-size:12px;font-weight:normal;margin-left:10px;white-space:nowrap}
.wb-glossary dt{font-weight:600;margin-top:6px}.wb-glossary dd{margin:0 0 4px 16px}
.jp-RenderedHTMLCommon h1,.jp-RenderedHTMLCommon h2{overflow-wrap:anywhere}
@media (max-width:600px){body.jp-Notebook{padding:4px 10px 30px}.jp-RenderedHTMLCommon h1{font-size:24px}
.jp-RenderedHTMLCommon h2{font-size:19px}.wb-toc ol{columns:1}}
.wb-table{overflow-x:auto;max-width:100%}
.wb-table .wb-first{position:sticky;left:0;z-index:1;background:inherit;box-shadow:inset -1px 0 0 #ddd}
.wb-table thead .wb-first{background:var(--jp-layout-color0,#fff)}
@media (max-width:600px){.wb-table .wb-first{max-width:42vw;overflow-wrap:break-word}
.wb-table td,.wb-table th{padding:3px 5px}
.wb-stack table,.wb-stack caption,.wb-stack tbody,.wb-stack tr,.wb-stack td,.wb-stack tbody th{
display:block;width:auto}
.wb-stack thead{display:none}.wb-stack tr{padding:6px 0;border-top:1px solid #ccc}
.wb-stack .wb-first{position:static;max-width:none;box-shadow:none;text-align:left}
.wb-stack td{text-align:left!important;padding:1px 8px}
.wb-stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#555}}
@media print{.wb-table{overflow:visible}.wb-table .wb-first{position:static;box-shadow:none}}
"""

LONG_TEXT = 60  # characters: a table with cells of running text is read row by row on a phone


def glossary_of(text: str, measures: dict[str, str] | None = None) -> dict[str, str]:
    """The glossary entries for the terms a text uses, with the run's measures (each with its
    definition and base) among them."""
    found = {}
    for term, meaning in {**GLOSSARY, **(measures or {})}.items():
        flags = 0 if term.isupper() or "(" in term else re.IGNORECASE
        if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, flags):
            found[term] = meaning
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _drop_repeated_notes(main: Tag) -> None:
    """A "not shown" note once per section: the same note again before the next heading (four
    parts that all need orders) says nothing new."""
    last = None
    for node in main.find_all(["h2", "em"]):
        if node.name == "h2":
            last = None
            continue
        text = " ".join(node.get_text().split())
        if not text.startswith(SKIPPED):
            continue
        if text == last:
            (node.find_parent("p") or node).decompose()
        last = text


def _top_cells(main: Tag) -> list[Tag]:
    """The page's notebook cells in order (not cells nested in an output)."""
    return [c for c in main.find_all("div", class_="jp-Cell") if c.find_parent(class_="jp-Cell") is None]


def _only_unshown(cells: list[Tag]) -> str | None:
    """The "not shown" note of a section whose every output is that note (or says the section
    is for a model this run does not use: then ""), or None."""
    notes, other = [], False
    for cell in cells:
        for area in cell.find_all(class_="jp-OutputArea-output"):
            text = " ".join(area.get_text().split())
            if text.startswith((SKIPPED, NOT_CHOSEN)):
                notes.append("" if text.startswith(NOT_CHOSEN) else text)
            elif text or area.find(["img", "svg", "table"]):
                other = True
    return None if other or not notes else next((n for n in notes if n), "")


def _fold_unshown_sections(main: Tag) -> list[str]:
    """Sections this data cannot show at all, taken off the page (a survey's page has no use for a
    revenue heading over one "not shown" line); their titles and what each needs, for a closing note."""
    sections: list[tuple[Tag, list[Tag]]] = []
    for cell in _top_cells(main):
        h2 = cell.find("h2")
        if h2 is not None and not h2.find_parent(class_=GLANCE_CLASS):
            sections.append((h2, [cell]))
        elif sections:
            sections[-1][1].append(cell)
    folded = []
    for h2, cells in sections:
        note = _only_unshown(cells[1:])
        if note is None:
            continue
        for a in h2.find_all("a", class_="anchor-link"):  # nbconvert's ¶ is not part of the title
            a.decompose()
        title = " ".join(h2.get_text().split())
        need = note.removeprefix(SKIPPED).strip().removeprefix("this part needs").strip().rstrip(".")
        if note:
            folded.append(f"{title} (needs {need})")
        for cell in cells:
            cell.decompose()
    return folded


def _first_column(table: Tag) -> list[Tag]:
    """The cells of a table's first column, row spans counted."""
    first, covered = [], 0  # rows still covered by a first-column cell spanning down
    for tr in table.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        if covered:
            covered -= 1
            continue
        if cells:
            first.append(cells[0])
            covered = max(int(str(cells[0].get("rowspan", 1)) or 1), 1) - 1
    return first


def _stackable(table: Tag) -> list[str] | None:
    """The column titles of a table of running text that reads better as one block per row on
    a phone (no cell spans rows or columns), or None."""
    cells = table.find_all(["td", "th"])
    if any(int(str(c.get(a, 1)) or 1) > 1 for c in cells for a in ("rowspan", "colspan")):
        return None
    if not any(len(td.get_text(" ", strip=True)) > LONG_TEXT for td in table.find_all("td")):
        return None
    head = table.find("thead")
    row = head.find("tr") if head else None
    if row is None:
        return None
    return [" ".join(c.get_text(" ").split()) for c in row.find_all(["td", "th"], recursive=False)]


def _fit_tables(soup: BeautifulSoup, main: Tag) -> None:
    """Every table (but a persona card's) in a box that scrolls sideways, its first column kept
    in view; a table of running text is read one block per row on a phone."""
    for table in main.find_all("table"):
        if table.find_parent(class_="persona") or table.find_parent(class_="wb-table"):
            continue
        box = soup.new_tag("div", attrs={"class": "wb-table"})
        table.wrap(box)
        for cell in _first_column(table):
            cell["class"] = [*cell.get("class", []), "wb-first"]
        titles = _stackable(table)
        if titles is None:
            continue
        box["class"] = ["wb-table", "wb-stack"]
        body = table.find("tbody") or table
        for tr in body.find_all("tr"):
            for title, cell in zip(titles, tr.find_all(["td", "th"], recursive=False), strict=False):
                if cell.name == "td" and title:
                    cell["data-label"] = title


def _swipe_rules(main: Tag) -> str:
    """Style rules that show a chart's "swipe sideways" hint only where the text column is
    narrower than the chart at a readable size (on a phone: the chart laid out for a phone)."""
    rules = []
    for hint in main.select(".wb-swipe[data-min-px]"):
        wide = int(hint["data-min-px"])
        phone = int(hint.get("data-phone-min-px") or wide)
        show = f'{{.wb-swipe[data-min-px="{wide}"][data-phone-min-px="{phone}"]{{display:block}}}}'
        if not hint.get("data-phone-min-px"):
            show = show.replace(f'[data-phone-min-px="{phone}"]', ":not([data-phone-min-px])")
        # the text column: the window less 30 px on a phone; less 66 px and 1090 px at most above
        rules.append(f"@media (max-width:{min(phone + 29, 600)}px){show}")
        if wide > 1090:
            rules.append(f"@media (min-width:601px){show}")
        elif wide + 65 > 600:
            rules.append(f"@media (min-width:601px) and (max-width:{wide + 65}px){show}")
    return "".join(dict.fromkeys(rules))


def frame_report(page: str, frame: PageFrame) -> tuple[str, list[str]]:
    """The exported report with its frame; and its "At a glance" lines, for the version page."""
    soup = BeautifulSoup(page, "html.parser")
    main = soup.find("main") or soup.body
    _fit_tables(soup, main)
    style = soup.new_tag("style")
    style.string = FRAME_CSS + _swipe_rules(main)
    soup.head.append(style)
    h1 = main.find("h1")
    nav = BeautifulSoup(
        f'<nav class="wb-nav" aria-label="reports"><a href="{html.escape(frame.version_page)}">'
        f'← This quarter\'s reports</a><a href="{html.escape(frame.all_reports)}">All reports</a>'
        '<a href="#contents">Contents</a></nav>',
        "html.parser",
    )
    main.insert(0, nav)
    meta = soup.new_tag("p", attrs={"class": "wb-meta"})
    meta.string = f"{frame.title} · period {frame.period} · data as of {frame.as_of}" + (
        f" · figures from fewer than {frame.min_cell} people are hidden (shown as <{frame.min_cell})"
        if frame.min_cell
        else ""
    )
    if h1 is not None:
        h1.insert_after(meta)
    folded = _fold_unshown_sections(main)
    _drop_repeated_notes(main)
    glance = main.find(class_=GLANCE_CLASS)
    headline = [" ".join(li.get_text().split()) for li in glance.find_all("li")] if glance else []
    taken = {t["id"] for t in soup.find_all(id=True)}
    sections = []
    for h2 in main.find_all("h2"):
        if h2.find_parent(class_=GLANCE_CLASS):
            continue
        if not h2.get("id"):
            h2["id"] = _slug(h2.get_text(strip=True), taken)
        for a in h2.find_all("a", class_="anchor-link"):
            a.decompose()
        sections.append((h2["id"], h2.get_text(" ", strip=True)))
        top = soup.new_tag("a", href="#contents", attrs={"class": "wb-top"})
        top.string = "↑ contents"
        h2.append(top)
    terms = glossary_of(main.get_text(" "), frame.measures)
    if terms:
        sections.append(("glossary", "Glossary"))
    toc = BeautifulSoup(
        '<nav class="wb-toc" id="contents" aria-label="contents"><h2>Contents</h2><ol>'
        + "".join(f'<li><a href="#{html.escape(i)}">{html.escape(t)}</a></li>' for i, t in sections)
        + "</ol></nav>",
        "html.parser",
    )
    anchor = glance.find_parent(class_="jp-Cell") if glance else None
    if anchor is None and h1 is not None:
        anchor = h1.find_parent(class_="jp-Cell")
    if anchor is not None:
        anchor.insert_after(toc)
    else:
        main.insert(1, toc)
    if folded:
        left = soup.new_tag("p", attrs={"class": "wb-unshown"})
        left.string = "Left out, as this run's data cannot show them: " + "; ".join(folded) + "."
        footer = main.find(class_="wb-footer")
        if footer is not None:
            footer.insert_before(left)
        else:
            main.append(left)
    if terms:
        gloss = BeautifulSoup(
            '<section class="wb-glossary jp-RenderedHTMLCommon"><h2 id="glossary">Glossary</h2><dl>'
            + "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(m)}</dd>" for t, m in terms.items())
            + '</dl><a class="wb-top" href="#contents">↑ contents</a></section>',
            "html.parser",
        )
        footer = main.find(class_="wb-footer")
        if footer is not None:
            footer.insert_before(gloss)
        else:
            main.append(gloss)
    return str(soup), headline


def move_glance(cells: list) -> list:
    """The cells with the "At a glance" cell moved up, right after the report's introduction."""
    at = next((i for i, c in enumerate(cells) if GLANCE_TAG in c.metadata.get("tags", [])), None)
    first_md = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    if at is None or first_md is None or at < first_md:
        return cells
    cells = list(cells)
    glance = cells.pop(at)
    cells.insert(first_md + 1, glance)
    return cells
