"""The stakeholder layer: one number format, the frame around a report, one name per segment."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from conftest import demo_params_at

from helpers.analyses import metrics
from helpers.analyses.naming import label
from helpers.core import formats
from helpers.present import charts, pages, plots


@pytest.fixture
def pounds():
    formats.use_currency("£")
    yield
    formats.use_currency("")


def test_money_takes_the_run_currency(pounds):
    assert formats.money(1234.5) == "£1,234"
    assert formats.money(14.256) == "£14.26"
    assert formats.money(-0.001) == "£0.00"
    formats.use_currency("EUR")
    assert formats.money(1234.5) == "1,234 EUR"


def test_numbers_read_as_readers_expect():
    assert formats.p_value(3.6e-120) == "< 0.001" and formats.p_value(0.0427) == "0.043"
    assert formats.number(-0.04, 1) == "0.0" and formats.number(-1234.56, 1) == "-1,234.6"
    assert formats.yes_no(True) == "yes" and formats.yes_no(np.bool_(False)) == "no"
    assert formats.is_money("CAC") and formats.is_money("value per customer, first 12 months")
    assert formats.is_money("value at risk") and not formats.is_money("at risk %")
    assert not formats.is_money("value / CAC") and not formats.is_money("share of revenue %")
    assert formats.is_p_value("p-value") and not formats.is_p_value("people")


def test_a_styled_table_formats_every_kind(pounds):
    table = pd.DataFrame(
        {
            "people": [12.0, 3400.0],
            "share %": [100.0, 12.3456],
            "active % in the last period": [61.23, 8.8],
            "CAC": [6.1, 120.0],
            "p-value": [1e-9, 0.2],
            "passes": [True, False],
            "lift": [-0.0004, 1.25],
        }
    )
    page = plots.styled(table, "t", decimals=3).to_html()
    for shown in (
        "3,400",
        "100.0%",
        "12.3%",
        "61.2%",
        "£6.10",
        "£120",
        "&lt; 0.001",
        "0.200",
        "yes",
        "no",
        "0.000",
    ):
        assert shown in page, shown
    assert "True" not in page and "-0.000" not in page and "100.000%" not in page


REPORT = """<html><head><title>t</title></head><body><main>
<div class="jp-Cell"><h1 id="T">Report title</h1><p>Intro with BIC and NPS.</p></div>
<div class="jp-Cell"><div class="wb-glance"><h2>At a glance</h2><ul><li><b>5 segments</b>.</li>
<li>Retention 9%.</li></ul></div></div>
<div class="jp-Cell"><h2 id="First">First<a class="anchor-link" href="#First">¶</a></h2></div>
<div class="jp-Cell"><h2>Second part</h2></div>
<div class="wb-footer">footer</div></main></body></html>"""


def test_the_frame_gives_navigation_contents_and_a_glossary():
    frame = pages.PageFrame("Brand <x>", "2026Q3", "2026-09-30", min_cell=10)
    page, headline = pages.frame_report(REPORT, frame)
    assert headline == ["5 segments.", "Retention 9%."]
    assert 'href="index.html"' in page and 'href="../../index.html"' in page
    assert "Brand &lt;x&gt; · period 2026Q3" in page and "hidden (shown as &lt;10)" in page
    toc = page[page.index('id="contents"') : page.index("</nav>", page.index('id="contents"'))]
    assert toc.index("#First") < toc.index("#Second-part") < toc.index("#glossary")
    assert "At a glance" not in toc and "¶" not in page
    glossary = page[page.index('id="glossary"') :]
    assert "<dt>BIC</dt>" in glossary and "<dt>NPS</dt>" in glossary and "<dt>CAC</dt>" not in glossary
    assert glossary.index("<dt>BIC</dt>") < glossary.index("<dt>NPS</dt>")
    assert page.index('id="contents"') > page.index("wb-glance")  # contents after the glance


def test_the_glossary_defines_the_runs_measures_a_page_names(tmp_path, demo_dir):
    params = demo_params_at(demo_dir, tmp_path)
    frame = pages.PageFrame("B", "p", "2026-09-30", min_cell=10, measures=metrics.glossary(params))
    page = REPORT.replace("Retention 9%.", "Status: churned 62% of those with a known status.")
    glossary = pages.frame_report(page, frame)[0].split('id="glossary"')[1]
    assert "<dt>Status: churned</dt>" in glossary and "prospects left out" in glossary
    assert "bought in the last 12 months" not in glossary  # a measure the page does not name


def test_the_glance_cell_moves_under_the_introduction():
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("glance", metadata={"tags": ["glance"]}),
    ]
    moved = pages.move_glance(cells)
    assert [c.source for c in moved] == ["# T", "glance", "x = 1"]


def test_glance_lines_are_escaped_and_bold():
    out = plots.glance(["**Drew** <b>x</b> to answer *5* to *Calls*", "", "2 * 3 = 6"]).data
    assert "<b>Drew</b>" in out and "&lt;b&gt;x&lt;/b&gt;" in out and out.count("<li>") == 2
    assert "<i>5</i> to <i>Calls</i>" in out and "2 * 3 = 6" in out


def test_a_segment_reads_the_same_everywhere():
    assert label(2, {2: "Drew"}) == "2. Drew" and label(3, {}) == "Segment 3"


def test_only_clear_churn_drivers_reach_the_page():
    from helpers.analyses.value import clear_drivers

    drivers = pd.DataFrame(
        {
            "odds ratio": [2.0, 1.1, 0.5, 1.0],
            "low 95%": [1.5, 0.9, 0.3, 0.0],
            "high 95%": [3, 1.3, 0.8, np.inf],
        },
        index=["a", "b", "c", "collinear"],
    )  # fmt: skip
    assert list(clear_drivers(drivers).index) == ["a", "c"]


def test_a_promotion_period_of_few_active_people_is_hidden():
    from helpers.analyses.acquisition import PromotionEffect, promotion_table

    effect = pd.DataFrame(
        {"group": ["with X", "with X"], "period": [1, 2], "after end": [0, 1], "size": [500, 500],
         "active": [3, 50], "active %": [0.6, 10.0], "revenue": [87.7, 900.0],
         "revenue per customer": [0.2, 1.8]}
    )  # fmt: skip
    shown = promotion_table(PromotionEffect("X", effect), 10).table
    assert (shown.loc[0, ["active", "active %", "revenue"]] == "<10").all()
    assert shown.loc[1, "active"] == 50 and shown.loc[0, "size"] == 500


def test_a_csv_keeps_its_key_column_even_when_it_counts_from_one(tmp_path):
    from helpers.present.tables import save_table

    keyed = pd.DataFrame({"k": [1, 2, 3], "BIC": [3.5, 2.5, 2.75]}).set_index("k")  # a RangeIndex
    assert save_table(keyed, "k_selection", tmp_path).read_text().splitlines()[0] == "k,BIC"
    plain = pd.DataFrame({"x": [1, 2]})
    assert save_table(plain, "plain", tmp_path).read_text().splitlines()[0] == "x"


def test_a_not_shown_note_is_said_once_per_section():
    note = "<p><em>Not shown for this run: this part needs an orders file.</em></p>"
    page = (
        "<html><head></head><body><main><h1>R</h1><h2>One</h2>" + note * 3 + "<h2>Two</h2>" + note
        + "</main></body></html>"
    )  # fmt: skip
    framed, _ = pages.frame_report(page, pages.PageFrame("B", "p", "2026-01-01", min_cell=10))
    assert framed.count("Not shown for this run") == 2  # once under each heading


def _cell(inner: str, output: bool = False) -> str:
    area = f'<div class="jp-OutputArea"><div class="jp-OutputArea-output">{inner}</div></div>'
    return f'<div class="jp-Cell">{area if output else inner}</div>'


def test_a_section_this_data_cannot_show_at_all_leaves_the_page_with_a_closing_note():
    note = "<p><em>Not shown for this run: this part needs an orders file.</em></p>"
    page = (
        "<html><head></head><body><main>" + _cell("<h1>R</h1>")
        + _cell('<h2>Revenue<a class="anchor-link" href="#Revenue">¶</a></h2>')
        + _cell("<p>Each group's share of revenue.</p>") + _cell(note, True)
        + _cell("", True) + _cell("<h2>Partly</h2>") + _cell(note, True) + _cell("<table></table>", True)
        + _cell("<h2>Tables</h2>") + _cell("<p>a figure</p>", True) + "</main></body></html>"
    )  # fmt: skip
    framed, _ = pages.frame_report(page, pages.PageFrame("B", "p", "2026-01-01", min_cell=10))
    assert "<h2" in framed and "share of revenue" not in framed  # the whole section is gone
    assert 'href="#Revenue"' not in framed and 'href="#Partly"' in framed  # and from the contents
    assert "Left out, as this run's data cannot show them: Revenue (needs an orders file)." in framed
    assert framed.count("Not shown for this run") == 1  # a section that shows something keeps its note


def test_a_section_for_the_model_not_chosen_leaves_without_a_note():
    other = "<p><em>Not the model chosen for this run: this part is for subscriptions.</em></p>"
    page = (
        "<html><head></head><body><main>" + _cell("<h1>R</h1>") + _cell("<h2>Subscribers</h2>")
        + _cell(other, True) + _cell("<h2>Tables</h2>") + _cell("<p>a figure</p>", True)
        + "</main></body></html>"
    )  # fmt: skip
    framed, _ = pages.frame_report(page, pages.PageFrame("B", "p", "2026-01-01", min_cell=10))
    assert "Subscribers" not in framed and "Left out" not in framed and "a figure" in framed


def _legend_clashes(fig) -> bool:
    """Whether the legend of a one-panel chart covers its x-axis title or tick labels."""
    fig.draw_without_rendering()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    under = [ax.xaxis.label.get_window_extent()] + [t.get_window_extent() for t in ax.get_xticklabels()]
    return any(box.overlaps(b) for b in under)


@pytest.mark.parametrize("items", [1, 2, 6])
def test_an_attitude_chart_keeps_its_legend_off_the_axis_title_wide_and_on_a_phone(items):
    levels = ["Low", "Medium", "High", "Very high"]
    summary = pd.DataFrame([[10, 30, 40, 20]] * items, columns=levels, index=[f"q{i}" for i in range(items)])
    fig = charts.likert_chart(summary, {f"q{i}": f"Item {i}" for i in range(items)}, levels)
    assert not _legend_clashes(fig)
    phones = []

    def draw(copy):
        phones.append(copy)
        buffer = io.BytesIO()
        copy.savefig(buffer, format="png", dpi=copy.dpi)
        return buffer.getvalue()

    assert plots._phone_png(fig, draw) is not None
    assert not _legend_clashes(phones[0])
