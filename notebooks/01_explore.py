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
#     after: []
#     requires: []
# ---

# %% [markdown]
# # Who is in the data, and can we trust it?
#
# This is the first report of the quarter. It checks the data before anything else is built on it,
# then describes every variable along the four profile dimensions: **demographic** (who they are),
# **geographic** (where they live), **psychographic** (what they think and care about) and
# **behavioural** (how they find us, shop and buy), as far as this run's data has them. When the
# rows are companies (accounts), **firmographics** (industry, size, revenue, and the people inside
# each account) take the place of demographics, and a usage log shows what the accounts do.
#
# All figures are computed from this period's data. Where the data has survey weights, shares are
# weighted; counts are of people. To protect privacy, any figure based on fewer people than the
# privacy minimum is hidden, and the title block shows its mark; columns marked as personal data (names, e-mail
# addresses, phone numbers) never enter the analysis. A part of the report that needs something this
# run's data does not have says so in one sentence.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import cohorts, explore, file_summary, metrics  # noqa: F401 (some in %%needs cells)
from helpers.data import text  # noqa: F401 (in %%needs cells)
from helpers.present import charts, plots  # noqa: F401 (charts in %%needs cells)

# %%
wb = workbook.open(params_path, tables_dir, private_dir)  # parameters, data, %%needs and folders
params, data, customers = wb.params, wb.data, wb.customers

# %% tags=["glance"]
missing = explore.missing_summary(customers, params)
likert = explore.likert_summary(customers, params)
behaviour = explore.buyer_behaviour(data)
monthly = explore.monthly_orders(data)
intake = cohorts.sample_intake(data, params)  # None unless new buyers stop arriving early
intake_words = cohorts.intake_sentence(intake) if intake else None
figures = metrics.Ledger("01_explore", params)  # the figures this page states, for the batch's check
outcome_words = metrics.outcome_sentence(customers, params, figures)
figures.save(private_dir)
plots.glance(file_summary.highlights(data, missing, likert, behaviour, monthly, intake_words, outcome_words))

# %% [markdown]
# ## Who is in the file
#
# Everyone in the file by status, as the file writes it, and what each value counts as in these
# reports (customer: still with us; churned: left; lapsed; prospect: never had the chance).

# %%
# %%needs status
status = explore.status_counts(customers, params)
wb.table(status, "status", "People by status", bar="share %")

# %% [markdown]
# ## Data quality
#
# Before this report was built, the workbook checked that the files are complete and accurate: every
# declared column is present, ids are unique, dates can be read and none lies in the future, amounts
# and scores are numbers, attitude answers are points of their scale, status values and value labels
# match the data, and there are enough rows. A failure of any of these stops the run. The table lists
# what was found and cleaned on the way.

# %%
quality = data.quality_table()
wb.save(quality, "data_quality")  # saved even when empty: a quarter without findings says so
plots.styled(quality, "Findings and what was done") if len(quality) else plots.md("No problems.")

# %% [markdown]
# **Gaps.** How many people left each question unanswered. Shares in the rest of this report are
# among those who answered.

# %%
# %%needs customers
wb.save(missing, "missing_answers")
plots.show(charts.missing_chart(missing))
plots.styled(explore.largest_gaps(missing), "The variables with the most missing answers", missing="")

# %% [markdown]
# **Odd values.** Numbers far outside their usual range (more than the configured number of
# inter-quartile ranges beyond the middle half) are counted here. They are kept, because unusual is
# not the same as wrong, but worth a look.

# %%
# %%needs customers
odd = explore.odd_values(customers, params)
wb.save(odd, "odd_values")
plots.styled(odd.drop(columns="column"), "Odd values by numeric variable")

# %% [markdown]
# ## Demographic profile
#
# Who they are.

# %%
# %%needs demographic
demographic = explore.profile_dimension(customers, params, "demographic")
wb.save(demographic.long_table(), "demographic")
plots.bar_grid(demographic.tables, title=f"Demographic profile ({explore.share_words(params)})");

# %%
# %%needs demographic
plots.styled(explore.numeric_profiles(customers, params, demographic.numeric), "Numeric demographics")

# %%
# %%needs demographic
plots.histograms(
    customers, {c: explore.label_of(c, params) for c in demographic.numeric}, min_cell=wb.min_cell
);

# %% [markdown]
# ## Geographic profile
#
# Where they live.

# %%
# %%needs geographic
geographic = explore.profile_dimension(customers, params, "geographic")
wb.save(geographic.long_table(), "geographic")
plots.bar_grid(geographic.tables, title=f"Geographic profile ({explore.share_words(params)})");

# %%
# %%needs geographic
plots.styled(geographic.long_table(), "Geographic profile")

# %%
# %%needs geographic
plots.styled(explore.numeric_profiles(customers, params, geographic.numeric), "Numeric geographic variables")

# %% [markdown]
# ## Firmographic profile
#
# What kind of company each account is, and who we know inside it (from the contacts file: how
# many contacts, and the role and seniority of the most senior one).

# %%
# %%needs firmographic
firmographic = explore.profile_dimension(customers, params, "firmographic")
wb.save(firmographic.long_table(), "firmographic")
plots.bar_grid(firmographic.tables, title=f"Firmographic profile ({explore.share_words(params)})");

# %%
# %%needs firmographic
plots.styled(explore.numeric_profiles(customers, params, firmographic.numeric), "Numeric firmographic variables")

# %% [markdown]
# ## Psychographic profile
#
# What they think: the answers to each attitude item on its own scale, sorted by how many answer at
# the top of the scale (the **top box**; the bottom box is the other end, and on a scale with a
# middle point the middle belongs to neither), and their interests.

# %%
# %%needs attitudes
wb.save(likert, "attitudes")
for scale_name, table in explore.likert_tables(customers, params).items():
    plots.show(charts.likert_chart(table, explore.item_labels(table, params),
                                  explore.answer_levels(table), f"Answers: {scale_name}"))
    display(plots.styled(explore.with_labels(table, params), "Attitude items", bar="top box %"))

# %%
# %%needs psychographic
psychographic = explore.profile_dimension(customers, params, "psychographic")
wb.save(psychographic.long_table(), "psychographic")
plots.bar_grid(psychographic.tables, title=f"Interests ({explore.share_words(params)}; several answers allowed)");

# %% [markdown]
# ## Behavioural profile
#
# How they find us and like to shop, from the file, then what they actually do, from the
# orders.

# %%
# %%needs behavioural
behavioural = explore.profile_dimension(customers, params, "behavioural")
wb.save(behavioural.long_table(), "behavioural")
plots.bar_grid(behavioural.tables, title=f"Behavioural profile ({explore.share_words(params)})");

# %%
# %%needs behavioural
plots.styled(explore.numeric_profiles(customers, params, behavioural.numeric), "Numeric behavioural variables")

# %%
# %%needs behavioural
plots.histograms(
    customers, {c: explore.label_of(c, params) for c in behavioural.numeric}, min_cell=wb.min_cell
);

# %% [markdown]
# **Usage.** From the usage log: events and active accounts (or customers) per month, and each
# event type with how many did it at least once and what it counts as in this run.

# %%
# %%needs events
usage_by_month = explore.monthly_usage(data)
wb.save(usage_by_month, "usage_by_month")
charts.monthly_chart(usage_by_month, what="events", who=explore.unit_word(params), title="Usage per month");

# %%
# %%needs events
event_table = explore.event_type_table(data)
wb.table(event_table, "event_types", "Event types in the usage log", decimals=1)

# %% [markdown]
# **Buying behaviour.** From every order up to the end of the period, per buyer: number of orders,
# total spend, orders and spend in the last 12 months, average order value, days since the last order
# and days since the first.

# %%
# %%needs orders
behaviour_table = explore.behaviour_summary(behaviour)
wb.table(behaviour_table, "buyer_behaviour", "Buyers' behaviour from orders")

# %%
# %%needs orders
plots.histograms(behaviour, {"orders": "Orders per buyer", "spend": "Total spend per buyer",
                             "days_since_last": "Days since last order"}, min_cell=wb.min_cell);

# %%
# %%needs orders
wb.save(monthly, "orders_by_month")
charts.monthly_chart(monthly);

# %%
# %%needs orders
plots.md(intake_words or "")

# %%
# %%needs orders
plots.styled(explore.order_flags(data), "Orders and revenue")

# %%
# %%needs linked channel amount
by_channel = explore.revenue_by(data)  # counted by the engine, over every order
wb.save(by_channel, "revenue_by_quarter_and_channel")
plots.styled(by_channel, "Revenue per quarter by acquisition channel", decimals=0,
             missing="Needs a customer file with an acquisition channel.")

# %% [markdown]
# ## Acquisition and loyalty
#
# How customers were won (channel, promotion, cost) and how likely they are to recommend us
# (Net Promoter Score: % promoters, 9–10, minus % detractors, 0–6).

# %%
# %%needs acquisition
acquisition = explore.profile_dimension(customers, params, "acquisition",
                                        extra=explore.acquisition_columns(params))
wb.save(acquisition.long_table(), "acquisition")
plots.bar_grid(acquisition.tables, title=f"Acquisition ({explore.share_words(params)})");

# %%
# %%needs cost
plots.styled(explore.numeric_profiles(customers, params, acquisition.numeric), "Acquisition cost")

# %%
# %%needs nps
nps = explore.nps_summary(customers, params)
wb.save(nps, "nps")
metrics.record_everyone(figures, params, "nps", explore.nps_score(nps))  # checked against 05
figures.save(private_dir)
plots.styled(nps, "Net Promoter Score", missing="")

# %% [markdown]
# ## In their own words
#
# What people wrote in the open question, in themes: answers that use the same words belong to the
# same theme. Names, e-mail addresses, phone numbers and links are removed before anything is
# counted, words fewer people used than the privacy minimum are left out, and a quote is shown only
# for a theme that enough people share.

# %%
# %%needs open_text
open_column = params.columns.open_text[0]
themes = text.theme_table(data, open_column)
wb.save(themes, "open_answer_themes")
plots.md(text.method_text(data, open_column))

# %%
# %%needs open_text
if themes is not None:
    chart, note = charts.theme_chart(themes, "Themes in the open answers (% of answers)")
    plots.show(chart)
    if note:
        display(plots.md(note))
    display(plots.styled(themes, "Themes in the open answers", bar="share of answers %"))

# %% [markdown]
# ## How to read this report
#
# - **Weighted %** corrects the sample towards the population with the survey weights (where the
#   data has them); **share %** is the plain share of respondents.
# - A figure marked **<** and the minimum (for example <10) is hidden because fewer people than the
#   privacy minimum stand behind it.
# - How each figure is computed, with this run's exact parameters and input files, is listed for
#   researchers on this quarter's page ("For researchers: how this version was made").
