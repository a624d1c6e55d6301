# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     notebook_metadata_filter: workbook
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Customer workbook
#     language: python
#     name: customer-workbook
#   workbook:
#     after:
#     - 03_segment
#     - 04_cohorts
#     requires:
#     - customers
# ---

# %% [markdown]
# # Personas: who they are, and who to focus on
#
# A name, a face, a story and a fact sheet for every segment found in this quarter's data: the
# segments to focus on and the ones not to, each with the reasons drawn from the data. Every
# statement on a card comes from the segment's figures; hover (or read) the footnote numbers to see
# the figure behind it. The cards are also published on their own page,
# [the persona cards](personas.html), for sales and support teams, and print one card per page.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none
report_dir: str = ""  # folder of the published version, for personas.html; empty: not saved

# %%
from helpers import workbook
from helpers.analyses import metrics, personas, priorities, quarters, segmentation, value
from helpers.core import artifacts
from helpers.data import text  # noqa: F401 (in %%needs cells)
from helpers.present import card_pages, charts, plots

# %%
wb = workbook.open(params_path, tables_dir, private_dir, report_dir)  # parameters, data, %%needs and folders
params, data, frame, w = wb.params, wb.data, wb.frame, wb.weights

# %%
seg = segmentation.segments_for(frame, params, w, private_dir)
clv = value.customer_value_for(data, private_dir)  # from 04_cohorts of this run, if it ran
cards = personas.build_personas(frame, seg.segments, seg.profile, seg.names, params, clv, seg.descriptions)
ranking = priorities.focus(cards, params)

# %% [markdown]
# ## Where to focus
#
# Each persona is scored with the rubric in the parameter file (weights on size, value, growth,
# retention, the outcome the data holds, such as the share who churned, and fit with the business
# goal), each in the direction that is good for the business. The top personas are the ones to focus
# on; the bottom ones are not, for the reasons given, each against everyone. Without any outcome in
# the data, no persona is recommended: size alone is no reason to focus.

# %%
plots.md(priorities.rubric_notes(ranking, params))

# %%
wb.table(ranking.table, "persona_ranking", "Personas ranked by the rubric", decimals=3)

# %%
plots.md(value.caveat_for(private_dir))  # the value figures' holdout check, from 04_cohorts

# %%
plots.show(charts.tradeoff_chart(card_pages.facts_table(cards), personas.measures(params)))

# %% [markdown]
# ## The personas
#
# Each card gives the persona's name and face (matched to the segment's typical age band and gender
# where the data has them, and neutral where it does not; a company type gets a plain building mark,
# as no face, age or gender is invented for a company), a headline and, where the data has open
# answers, a representative quote (the real answer closest to the segment's typical answer, with
# contact details and names removed), then who they are, what drives them, what puts them off,
# where to reach them, how they behave and, where the orders say what was bought, what they buy,
# splurge on and save on. Each card shows only what the data has. The small numbers
# are footnotes: the figure behind each statement, listed at the bottom of the card.

# %%
priorities.add_marketing(cards, frame, seg.segments, params, data)
priorities.add_buying(cards, frame, seg.segments, params, data)  # what they buy, from the order lines
plots.html(card_pages.cards_html(cards))

# %% [markdown]
# ## Buyer personas: the people inside the accounts
#
# For companies, the people who buy matter as much as the company type. Each contact role from the
# contacts file: how many contacts hold it, in how many accounts it is the most senior contact, its
# usual seniority, and how the accounts it leads do against all accounts.

# %%
# %%needs contacts
buyers = personas.buyer_roles(data.contacts, frame, params)
wb.save(buyers, "buyer_roles")
plots.bullets(personas.buyer_lines(buyers, frame, params), empty="_The contacts file has no roles._")

# %%
# %%needs contacts
plots.styled(buyers, "Buyer roles", decimals=1, missing="The contacts file has no roles.")

# %% [markdown]
# ## For sales and support teams
#
# The same cards are published on their own page, [the persona cards](personas.html), which opens
# offline and prints one card per page; the key facts of every persona are also a CSV table.

# %%
facts = card_pages.facts_table(cards)
wb.save(facts, "persona_facts")
quarters.save_facts(facts, private_dir)
figures = metrics.Ledger("05_personas", params)  # the figures this page states, for the batch's check
priorities.record_figures(figures, cards, params, frame)
figures.save(private_dir)
page = wb.page(card_pages.standalone_page(cards, params), "personas.html")

# %% [markdown]
# ## What changed since last quarter
#
# We follow the people who are in the data in both quarters. Each of this quarter's segments is
# matched to the one segment of last quarter that shares most of its people (the overlap is the
# Jaccard similarity of the two groups among these people: 1 = exactly the same people). A matched
# persona keeps its name and number; a segment without a match is new, and a segment of last
# quarter left without one is gone. A change in size is split into people who moved between
# segments (reclassified, not newcomers) and people who joined or left; these size columns count
# people, without survey weights, so that the moves add up. Every figure on the cards (the weighted
# share among them) is compared with last quarter's and tested against noise (▲ rose, ▼ fell).

# %%
previous = quarters.previous_folder(private_dir, params)
bases = quarters.kpi_bases(frame, seg.segments, params, clv)  # who each figure rests on
quarters.save_facts(bases, private_dir, artifacts.PERSONA_BASES)  # for next quarter's tests
change = (
    quarters.compare(frame, seg.segments, seg.profile, seg.names, params, previous, facts, bases)
    if previous
    else None
)
plots.bullets(change.summary() if change else [], empty="No previous run to compare with.")

# %%
shown = change.table() if change else None
wb.table(shown, "quarter_over_quarter", "Personas against last quarter", decimals=2, missing="")

# %%
measures = change.kpi_table() if change else None
wb.table(measures, "measures_over_quarters", "Every figure against last quarter", decimals=1, missing="")

# %%
wb.save(change.counts if change else None, "migration_people")
wb.save(change.migration if change else None, "migration")
plots.show(charts.migration_chart(change.migration) if change else plots.md(""))

# %% tags=["glance"]
plots.glance(priorities.glance_lines(cards, change.summary() if change else None, params))
