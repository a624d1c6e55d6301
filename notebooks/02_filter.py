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
#     requires:
#     - customers
# ---

# %% [markdown]
# # Where groups overlap and where they differ
#
# The second step of the practice: use **filters** to pick out groups (heavy against occasional
# buyers, a region, people who gave a certain answer) and **compare** them in banner tables:
# questions or customer traits down the side, groups across the top, and a letter wherever two
# groups really differ.
#
# Filters are defined by name in the parameter file, as readable expressions over the file's
# columns and, where the run has orders, over behaviour derived from them (orders and spend in the
# last 12 months, days since the last order, tenure). Where the data has survey weights, every
# figure is weighted and the tests allow for the weights. Without banners in the parameter file,
# the tables compare the status and the first geographic and demographic groups.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import banners, crosstab, filters, revenue  # noqa: F401 (some in %%needs cells)
from helpers.present import charts, plots, tab_book  # noqa: F401 (charts in %%needs cells)

# %%
wb = workbook.open(params_path, tables_dir, private_dir)  # parameters, data, %%needs and folders
params, frame, w = wb.params, wb.frame, wb.weights
masks = filters.filter_masks(frame, params)

# %% [markdown]
# ## Who is in each filter
#
# How many people each filter selects (people, and their share of everyone in the file; weighted
# where the data has survey weights), with who is in it in plain words.

# %%
# %%needs filters
sizes = filters.sizes_table(masks, w, params)
wb.table(sizes, "filter_sizes", "Filters", bar="share %")

# %%
# %%needs filters
plots.bullets(filters.empty_filter_notes(sizes), empty="Every filter selects enough people to show.")

# %% [markdown]
# **Overlap.** Filters can share people: read a row to see what share of that filter's people are
# also in each column's filter.

# %%
# %%needs filters
overlap = filters.overlap_table(masks, params)
wb.save(overlap, "filter_overlap_pct")
charts.overlap_heatmap(overlap);

# %% [markdown]
# ## The biggest differences
#
# The largest significant differences between each group and everyone else, computed from the
# tables below (a category held by at least 5% of either side; for a rating scale, the top box of
# its own scale; for a number, the mean).

# %%
tables = crosstab.banner_book(frame, params, w)  # within the base filter, if the parameters name one
wb.save_all(tab_book.exports(tables))
plots.bullets(crosstab.biggest_differences(tables, params.crosstab.summary_top))

# %% tags=["glance"]
plots.glance(crosstab.glance_lines(tables, len(params.filters)))

# %% [markdown]
# ## Share of buyers against share of revenue
#
# Each banner group's share of the buyers next to its share of the revenue: a revenue index above
# 100 means the group brings more revenue than its number of buyers would.

# %%
# %%needs linked amount
by_group = revenue.revenue_by_group(frame["spend"], banners.banner_columns(frame, params), wb.min_cell)
wb.table(by_group, "revenue_by_group", "Share of buyers and of revenue by banner group", bar="revenue index",
         missing="No banner groups to compare (`crosstab.banners`).")

# %%
# %%needs linked amount
plots.bullets(revenue.revenue_sentences(by_group, top=5), empty="No group brings clearly more than its share.")

# %% [markdown]
# ## Banner tables
#
# How to read them:

# %%
plots.md(tab_book.legend(params))

# %%
plots.html(tab_book.tables_html(tables, params.crosstab))
