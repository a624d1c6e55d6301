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
#     requires:
#     - products
# ---

# %% [markdown]
# # What they buy, and what comes back
#
# What the order lines say: what sells, what each segment spends most on against everyone, what
# it **splurges on** (where its buyers spend far more per head than other buyers do) and **saves
# on** (where it pays less than the usual price), how many customers came back after each kind of
# first purchase, and what is returned or cancelled, by product, segment, channel and cohort.
# Items are the product categories where the data has them, else the products with the most
# revenue. Figures resting on fewer customers than the privacy minimum are hidden.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import products, returns, segmentation
from helpers.present import plots

# %%
wb = workbook.open(params_path, tables_dir, private_dir, themes=False)  # open answers are not used here
params, data = wb.params, wb.data
lines, engine = data.lines, data.engine  # every order line up to as_of, guests and returns included
items = products.items_of(lines, engine)  # the categories, or the products with the most revenue
segments = segmentation.load_assignments(private_dir)  # from 03_segment in the same run, if it ran

# %% [markdown]
# ## What sells
#
# Revenue per item, returned and cancelled lines left out. Guest checkouts count here: a total by
# product needs no customer.

# %%
totals = products.item_totals(lines, items, engine, wb.min_cell)
top_share = totals["share of revenue %"].head(15)
plots.show(plots.hbar(top_share, f"Share of revenue by {items.word}", "% of revenue"))

# %%
wb.table(totals, f"revenue_by_{items.word}", f"Revenue by {items.word}", bar="share of revenue %")

# %%
plots.md(returns.guest_sentence(returns.guest_totals(lines, engine)))

# %% [markdown]
# ## What each segment buys
#
# Each segment's share of spend on an item against everyone's (index 100 = the same share), its
# buyers' spend per head against other buyers of the item, and the price index (what it paid
# against the item's usual price, the average all buyers paid per unit: below 100 is a saving).
# A segment *splurges* on an item when its buyers spend at least 1.5 times what other buyers do
# there, well above its usual ratio; it *saves* on an item when it pays at least 5% under the
# usual price. The price index needs a product and a quantity on each line.

# %%
everyone = products.group_items(lines, items, engine)
by_segment = products.group_items(lines, items, engine, segments) if segments is not None else None
mix = products.spend_mix(by_segment, everyone, wb.min_cell) if by_segment is not None else None
plots.bullets(products.group_bullets(mix), empty="Segments are shown when 03_segment ran in the same batch.")

# %%
shown = products.spend_table(mix, "Segment", items.word) if mix is not None else None
wb.table(shown, "spend_by_segment", f"Each segment's largest {items.plural} against everyone",
         bar="index", missing="Segments are shown when 03_segment ran in the same batch.")

# %% [markdown]
# ## The first purchase and coming back
#
# Customers grouped by what their first order was mostly (its largest line): how many ordered
# again, and how many did within 90 days (among those whose first order is at least 90 days old).

# %%
first = returns.first_purchase_retention(lines, data.orders, items, engine, params.as_of, wb.min_cell)
plots.md(returns.retention_sentence(first, items.word))

# %%
wb.table(first.set_index(items.word), "came_back_by_first_item", f"Came back, by first {items.word}",
         bar="came back %")

# %% [markdown]
# ## What comes back
#
# The return rate is the value returned or cancelled against the value bought. By item and channel
# it counts every line, guests' included; by segment and cohort it counts customers' lines.

# %%
# %%needs returns
overall = returns.overall_rate(lines, engine)
by_item = returns.hidden_small(returns.by_item(lines, items, engine), wb.min_cell)
plots.md(f"Overall, **{overall:.1f}%** of the value bought was returned or cancelled.")
plots.bullets(returns.rate_sentences(by_item, items.word, overall), empty="No item stands out.")

# %%
# %%needs returns
wb.table(by_item.set_index(items.word), f"returns_by_{items.word}", f"Returns by {items.word}",
         bar="return rate %")

# %%
# %%needs returns
by_seg = returns.hidden_small(returns.by_group(lines, segments, "segment", engine), wb.min_cell)
plots.bullets(returns.rate_sentences(by_seg, "segment", overall), empty="")
wb.table(by_seg.set_index("segment") if by_seg is not None else None, "returns_by_segment",
         "Returns by segment", bar="return rate %", missing="Segments are shown when 03_segment ran in the same batch.")

# %%
# %%needs returns order_channel
by_channel = returns.hidden_small(returns.by_channel(lines, engine), wb.min_cell)
plots.bullets(returns.rate_sentences(by_channel, "channel", overall), empty="")
wb.table(by_channel.set_index("channel"), "returns_by_channel", "Returns by order channel", bar="return rate %")

# %%
# %%needs returns
by_cohort = returns.hidden_small(returns.by_cohort(lines, data.orders, engine, params.cohorts.period), wb.min_cell)
wb.table(by_cohort.set_index("cohort"), "returns_by_cohort", "Returns by acquisition cohort", bar="return rate %")

# %%
# %%needs returns return_reasons
why = returns.reasons(lines, engine)
wb.table(why.set_index("reason"), "return_reasons", "Why they came back", bar="share of value returned %")
