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
#     - activity
# ---

# %% [markdown]
# # Who stays, what they are worth, and who is about to leave
#
# Cohort analysis draws the portrait of the customers worth having: customers (or accounts) are
# grouped by when they first bought or, with a usage log, when they signed up (their **acquisition
# cohort**) and followed period by period. This report
# compares cohorts by acquisition channel, promotion and other cohort rules, finds the **stick
# point** after which buyers become regulars, weighs acquisition cost against value, and estimates
# each customer's future value and risk of leaving with the purchase models of the customer-base
# literature (BG/NBD or Pareto/NBD with Gamma-Gamma spend).

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import (  # noqa: F401 (some in %%needs cells)
    acquisition,
    cohorts,
    explore,
    metrics,
    revenue,
    segmentation,
    stick_point,
    usage,
    value,
)

# %%
from helpers.analyses import subscriptions  # subscriptions that renew or cancel (value.model: sbg)
from helpers.present import charts, plots

wb = workbook.open(params_path, tables_dir, private_dir, themes=False)  # open answers are not used here
params, data, frame = wb.params, wb.data, wb.frame
rules = params.cohorts  # how cohorts are formed and retention is counted

# %%
overall = cohorts.retention(
    data.engine, data.activity, params.as_of, rules.period, rules.definition, max_periods=rules.max_periods
)
stick = stick_point.find(data, params)
segments = segmentation.load_assignments(private_dir)  # from 03_segment in the same run, if it ran
by_split = cohorts.split_retention(data, frame, params, segments)
econ = acquisition.economics(data, frame, params)
promos = acquisition.promotions(data, frame, params)
intake = cohorts.sample_intake(data, params)  # None unless new buyers stop arriving early
life = subscriptions.lifetimes(data, frame, params, segments)  # None unless value.model is sbg

# %% tags=["glance"]
after = rules.economics_periods[-1]  # the channels are compared on retention this many periods on
headlines = acquisition.headlines(overall, by_split, econ, stick, promos, wb.min_cell, intake, after)
plots.glance(headlines + (life.glance() if life else []))

# %% [markdown]
# ## Retention by acquisition cohort
#
# Each row is a cohort: the customers whose first order (or, with a usage log, whose sign-up) fell
# in the same period, with their number. Blank cells are periods the cohort has not reached yet;
# hatched cells marked with the privacy marker (such as "<10") are figures hidden because they
# rest on fewer people than the privacy minimum; a cohort smaller than the minimum is not shown.

# %%
plots.md(cohorts.reading_note(overall))

# %%
plots.md(cohorts.intake_sentence(intake) if intake else "")

# %%
plots.md(overall.privacy_note(wb.min_cell))

# %%
wb.save(overall.matrix_table(min_cell=wb.min_cell), "retention_customers")
charts.cohort_heatmap(overall, "Retained (%)", params);

# %%
# %%needs amount
wb.save(overall.matrix_table("revenue_retention", wb.min_cell), "retention_revenue")
title = "Revenue retained (% of the cohort's first-period revenue)"
charts.cohort_heatmap(overall, title, params, "revenue_retention");

# %% [markdown]
# The two lines count a customer as retained in a period when they were active **in that period**,
# or **in it or any later period**. Towards the end of the data there are fewer later periods left
# to be active in, so the second line falls towards the first there: that fall is where the data
# stops, not customers leaving.

# %%
charts.curves(
    cohorts.both_definitions(data, params),
    title="Retention, all cohorts pooled: both definitions",
    period=rules.period,
    min_cell=wb.min_cell,
    since=overall.since,
);

# %% [markdown]
# ## Cohorts split by channel, promotion, loyalty and filters
#
# The same retention curve for each group of a split (pooled over cohorts old enough to have
# reached each period).

# %%
plots.md(cohorts.split_note(by_split))

# %%
for name, split in by_split.items():
    min_cell = wb.min_cell
    wb.save(split.table_at(rules.economics_periods, min_cell), f"retention_by_{name}")
    title = cohorts.split_title(name, params)
    curve = split.curve(min_cell)
    chart = charts.curves(curve, title=title, period=rules.period, min_cell=min_cell, since=split.since)
    plots.show(chart)

# %% [markdown]
# ## Acquisition channels: cost against value
#
# Per channel: customers won, average acquisition cost (CAC), retention, the gross margin a customer
# brings in the first periods, that value divided by CAC, and the period in which the margin pays
# back the acquisition cost.

# %%
# %%needs linked channel cost amount
wb.table(econ, "channel_economics", "Acquisition channel economics", bar="value / CAC")

# %% [markdown]
# ## Do promotion customers stay?
#
# Customers acquired with a promotion against customers acquired in the same weeks without it:
# the share of each group active in each period, before and after the promotion ended.

# %%
plots.show(plots.md(acquisition.promotion_note(promos, frame, params)))
for code, effect in promos.items():
    shown = acquisition.promotion_table(effect, wb.min_cell)
    wb.save(shown.table, f"promotion_{code}")
    plots.show(charts.promotion_chart(shown))
    summary = acquisition.promotion_summary(effect, min_cell=wb.min_cell)
    display(plots.styled(summary, f"{code}: before and after"))

# %% [markdown]
# ## From trial to paid
#
# The share of trials that turned into a paying account within the conversion window, by the
# month the trial started and by how the account was won and what kind of company it is, each with
# its 95% confidence interval. Only trials old enough to have had the whole window are counted.

# %%
# %%needs trial
conv = usage.conversions(data, params.events.conversion_days)
by_month = usage.conversion_by(conv, None, wb.min_cell, "trial month")
wb.save(by_month, "conversion_by_month")
plots.show(charts.conversion_chart(by_month, "Trial-to-paid conversion by the month the trial started"))

# %%
# %%needs trial
for column in usage.conversion_splits(frame, params):
    groups = usage.group_values(frame, params, column)
    by = usage.conversion_by(conv, groups, wb.min_cell, explore.label_of(column, params))
    wb.save(by, f"conversion_by_{column}")
    plots.show(plots.md(usage.conversion_sentence(by, usage.in_words(column, params), conv)))
    display(plots.styled(by, f"Trial-to-paid conversion by {usage.in_words(column, params)}", bar="conversion %"))

# %% [markdown]
# ## The stick point
#
# How far customers (or accounts) got in their first days, and how many were still active months later.
# The stick point is the threshold with the largest lift in retention (among thresholds that keep a
# meaningful share of customers on each side), with an interval corrected for the number of
# thresholds tried (95% over all of them), so that trying many thresholds does not announce noise. A stick point that
# few reach (under 10% of those followed, or fewer than 30) or after which most still leave (under
# half of those at or past it stay) is called **weak**: it describes a few, it is no lever to act on.

# %%
plots.md(stick.sentence())

# %%
# %%needs events
plots.styled(explore.event_type_table(data), "The usage log: each event type", decimals=1)

# %%
wb.save(stick.table(wb.min_cell), "stick_point_thresholds")
charts.stick_chart(stick.chart_levels(wb.min_cell), stick.best, stick.axis, stick.window_days);

# %%
plots.styled(stick.table(wb.min_cell), stick.table_title())

# %% [markdown]
# ## Cohort rules side by side
#
# Each rule from the parameter file (for example *converted within a week of first contact*,
# *bought without a promotion*, *referred two or more friends*) against everyone else: retention
# in a given period after the first (each column names it), revenue per customer, and average
# predicted value.

# %%
# %%needs orders
result = value.fit_value(data.engine, data.orders, params.as_of, params.value, rules.margin)
value.save_private(result, private_dir)

# %%
# %%needs rules
compare = acquisition.rules(data, frame, params, value.customer_value_for(data, private_dir))
wb.table(compare, "cohort_rules", "Cohort rules: meets the rule vs the rest")

# %% [markdown]
# ## How long subscribers stay
#
# Subscribers do not drift away unseen: at each renewal they pay again or cancel. The
# shifted-beta-geometric model (Fader & Hardie 2007) gives every subscriber their own chance of
# cancelling; as those most likely to leave leave first, the renewal rate rises with tenure, which
# one average churn rate misses. Fitted on every subscriber's periods paid (a subscriber counts as
# lost after one and a half periods without a payment), it projects the share still subscribed past
# the data, with a 90% range from 400 draws of the fitted parameters. *Renewals to come* are those a
# new subscriber is expected to make, each discounted per period (the value settings' discount
# rate); a new subscriber's value is that times the average payment per period and the margin.

# %%
# %%needs subscriptions
plots.show(plots.bullets(life.sentences(), empty=""))
shown_split = life.widest() or subscriptions.ALL  # the split whose groups differ most
plots.show(charts.survival_chart(life.projections(shown_split), life.period, life.chart_title(shown_split)))

# %%
# %%needs subscriptions
for name, table in life.tables.items():
    plots.show(wb.table(subscriptions.shown(table), f"subscriber_lifetimes_{name}", life.title(name),
                        bar=f"after {life.ahead[0]} {life.period}s %", decimals=1))

# %% [markdown]
# ## What customers are worth
#
# **RFM** describes each buyer by recency, frequency and monetary value. The purchase model
# (fitted by maximum likelihood on every buyer's history) turns that history into the probability
# the customer is still active and the purchases to expect; the Gamma-Gamma model adds the spend
# per purchase. Value is gross margin over the horizon, discounted.

# %%
# %%needs purchase_model
plots.bullets(result.problem_sentences(), empty="")
plots.styled(result.fitted_table(), result.fitted_title(), decimals=3, missing="")

# %% [markdown]
# **Model check.** The model was also fitted on the history up to the start of a holdout period and
# asked to predict the holdout; the chart compares its predictions with what customers actually did.

# %%
# %%needs purchase_model
plots.show(charts.calibration_chart(result.check))

# %%
# %%needs purchase_model
plots.md(value.check_sentence(result, params.value))

# %%
# %%needs purchase_model
plots.md(value.value_caveat(result))

# %%
# %%needs purchase_model
rfm = value.rfm_table(result)
wb.table(rfm, "rfm_groups", "RFM groups", bar="customers %", decimals=2)

# %%
# %%needs purchase_model
plots.md(value.rfm_note(rfm))

# %%
# %%needs purchase_model
plots.histograms(
    result.customers,
    {"p_alive": "P(alive)", "clv": "Predicted value", "frequency": "Repeat purchases (days with an order)"},
    min_cell=wb.min_cell,
);

# %% [markdown]
# ## Where revenue comes from
#
# How concentrated the revenue is: what share of it the top 1%, 10% and 20% of buyers bring, and
# the Lorenz curve (the further it sags below the diagonal, the more revenue rests on a few
# buyers; the Gini coefficient is the size of that gap, 0 to 1). Then each segment's share of the
# buyers against its share of the revenue: a revenue index above 100 means the segment brings
# more than its number.

# %%
# %%needs orders amount
spend = data.behaviour().set_index("customer_id")["spend"]  # one row per buyer, from the engine
spread = revenue.concentration(spend, wb.min_cell)
plots.show(plots.md(revenue.concentration_sentence(spread)))
wb.table(spread.top if spread else None, "revenue_concentration", "Share of revenue from the top buyers", missing="")

# %%
# %%needs orders amount
plots.show(charts.lorenz_chart(spread))

# %%
# %%needs customers orders amount
by_segment_revenue = revenue.revenue_by_labels(spend, segments, "Segment", wb.min_cell)
wb.table(by_segment_revenue, "revenue_by_segment", "Share of buyers and of revenue by segment",
         bar="revenue index", missing="Segments are shown when 03_segment ran in the same batch.")

# %%
# %%needs customers orders amount
plots.bullets(revenue.revenue_sentences(by_segment_revenue), empty="")

# %% [markdown]
# ## Who is at risk
#
# Repeat buyers whose probability of still being active has fallen below the threshold. *Value at
# risk* is their yearly spend so far. Only counts and sums are shown; the customer list is kept with
# the run's private files for the teams who act on it.

# %%
# %%needs purchase_model
by_cohort = value.value_by(result, value.acquisition_cohort(result.customers), wb.min_cell)
wb.table(by_cohort, "value_by_cohort", "Value and risk by acquisition cohort", bar="at risk %", decimals=2)

# %%
# %%needs purchase_model
plots.md(value.risk_note(by_cohort, "acquisition quarter", params.value.at_risk_threshold))

# %%
# %%needs channel purchase_model
by_channel = value.value_by(result, value.channel_groups(frame, params), wb.min_cell)
wb.table(by_channel, "value_by_channel", "Value and risk by acquisition channel", bar="at risk %", decimals=2)

# %%
# %%needs channel purchase_model
plots.md(value.risk_note(by_channel, "acquisition channel", params.value.at_risk_threshold, lead=False))

# %%
# %%needs customers purchase_model
by_segment = value.value_by(result, segments, wb.min_cell)
wb.save(by_segment, "value_by_segment")
plots.styled(by_segment, "Value and risk by segment", bar="at risk %", decimals=2,
             missing="Segments are shown when 03_segment ran in the same batch.")

# %%
# %%needs customers purchase_model
plots.md(value.risk_note(by_segment, "segment", params.value.at_risk_threshold, lead=False))
figures = metrics.Ledger("04_cohorts", params)  # the figures this page states, for the batch's check
metrics.record_column(figures, by_segment, "mean value", metrics.registry(params)["value"])
figures.save(private_dir);

# %% [markdown]
# ## What the churned have in common
#
# A logistic regression of churn on the profile, among buyers: churned means the status values the
# parameter file calls *churned* (or, where it names none, buyers the purchase model sees at risk).
# An odds ratio above 1 means more likely to have churned, below 1 less likely, other things equal.
# Only the traits whose 95% confidence interval excludes 1 are shown here; the others cannot be told
# apart from no effect (the CSV table lists them all).

# %%
# %%needs linked
drivers = value.churn_model(frame, params, result)
wb.save(drivers, "churn_drivers")  # every driver; the page shows the clear ones
clear = value.clear_drivers(drivers)  # those whose 95% interval excludes 1
plots.show(charts.odds_chart(clear))

# %%
# %%needs linked
plots.styled(clear, "Churn drivers whose effect is clear, strongest first", pct=[], decimals=2)
