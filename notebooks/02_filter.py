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
# questions down the side, groups across the top, and a letter wherever two groups really differ.
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
from helpers.analyses import crosstab, filters
from helpers.data import text
from helpers.data.dataset import load_dataset, weights
from helpers.params import plan
from helpers.params.loading import load_params
from helpers.present import plots
from helpers.present.tables import save_table

plots.setup()
# %%
params = load_params(params_path)
plan.use(params)  # cells marked %%needs run only when this run's data has what they need
data = text.with_themes(load_dataset(params))  # open answers in themes: a multiple-response set
params = data.params

# %%
frame = filters.profile_frame(data)
w = weights(frame, params)
masks = filters.filter_masks(frame, params)

# %% [markdown]
# ## Who is in each filter
#
# How many people each filter selects (people, and their share of everyone in the file; weighted
# where the data has survey weights), with who is in it in plain words.

# %%
# %%needs filters
sizes = filters.sizes_table(masks, w, params)
save_table(sizes, "filter_sizes", tables_dir)
plots.styled(sizes, "Filters", bar="share %")

# %%
# %%needs filters
plots.bullets(filters.empty_filter_notes(sizes), empty="Every filter selects enough people to show.")

# %% [markdown]
# **Overlap.** Filters can share people: read a row to see what share of that filter's people are
# also in each column's filter.

# %%
# %%needs filters
overlap = filters.overlap_table(masks, params)
save_table(overlap, "filter_overlap_pct", tables_dir)
plots.overlap_heatmap(overlap);

# %% [markdown]
# ## The biggest differences
#
# The largest significant differences between each group and everyone else, computed from the
# tables below (answers given by at least 5% of either side; for attitude items, the top box of
# each item's own scale).

# %%
base = filters.evaluate(params.filters[params.crosstab.base], frame) if params.crosstab.base else None
columns = crosstab.banner_columns(frame, params, base)
tables = crosstab.build_tables(frame, params, w, columns, base=base)
for name, table in crosstab.exports(tables).items():
    save_table(table, name, tables_dir)
plots.bullets(crosstab.biggest_differences(tables, params.crosstab.summary_top))

# %% tags=["glance"]
plots.glance(crosstab.glance_lines(tables, len(params.filters)))

# %% [markdown]
# ## Banner tables
#
# How to read them:

# %%
plots.md(crosstab.legend(params))

# %%
plots.html(crosstab.tables_html(tables, params.crosstab))
