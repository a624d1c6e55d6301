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
#     - churn
# ---

# %% [markdown]
# # Who is likely to leave
#
# A churn score for everyone, learned from the people the status says have churned against those
# still active: how the score was chosen, how good it is on people it never saw, which traits move
# it, and where the risk and the value at risk sit. Each person's score stays with the run's
# private files for the teams who act on it; this page shows only groups.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import churn_risk, segmentation, value
from helpers.present import plots, risk_charts

# %%
wb = workbook.open(params_path, tables_dir, private_dir, themes=False)  # open answers are not used here
params, data, frame = wb.params, wb.data, wb.frame
risk = churn_risk.fit_churn_risk(frame, params)  # None with too few churned or active to learn from
churn_risk.save_scores(risk, private_dir)  # everyone's score: the private folder only
segments = segmentation.load_assignments(private_dir)  # from 03_segment in the same run, if it ran

# %% tags=["glance"]
plots.glance(churn_risk.risk_sentences(risk)[-1:])

# %% [markdown]
# ## How the score was chosen, and how good it is
#
# Two candidates are tuned by 5-fold cross-validation on three quarters of the people:
# regularised logistic regression and gradient boosting. The simpler one is kept unless the other
# ranks clearly better (by more than twice the standard error of the paired fold differences). The
# quarter kept aside then judges the chosen score: the **ROC AUC** is the chance that someone who
# churned scores higher than someone who stayed (0.5 is a coin toss, 1 a perfect ranking), with a
# 95% bootstrap interval; the **Brier score** is the mean squared gap between the risk and what
# happened (lower is better; compare it with always guessing the churn share).

# %%
plots.show(plots.bullets(churn_risk.risk_sentences(risk)))
wb.table(churn_risk.cv_table(risk), "churn_score_models", "The candidates in cross-validation", decimals=3,
         missing="")

# %%
wb.table(churn_risk.quality_table(risk), "churn_score_quality", "How good the score is, on people kept aside",
         decimals=3, missing="")

# %% [markdown]
# **Gains and calibration.** The gains curve shows how many of those who churned a team finds by
# contacting the riskiest first; the calibration curve whether a risk of 30% means that 3 in 10
# churned.

# %%
plots.show(risk_charts.gains_chart(risk))
plots.show(risk_charts.reliability_chart(risk))

# %% [markdown]
# ## What moves the score
#
# How much the ROC AUC on the people kept aside drops when one trait's values are shuffled
# (permutation importance): the traits the score leans on most. Unlike odds ratios, it also counts
# effects that are not straight lines; it says how much a trait matters, not in which direction.

# %%
wb.table(churn_risk.importance_table(risk), "churn_score_traits", "The traits that move the score most",
         bar="AUC lost when shuffled", decimals=3, missing="")

# %% [markdown]
# ## Where the risk sits
#
# Among those still active: how many, their mean churn risk and the number expected to churn
# (the sum of their risks); where the run has orders, the value at risk is each person's risk
# times their predicted value (04's model), summed.

# %%
worth = value.customer_value_for(data, private_dir)  # None without orders
by_segment = churn_risk.at_risk_by(risk, segments, wb.min_cell, worth)
wb.table(by_segment, "churn_risk_by_segment", "Churn risk by segment", bar="mean churn risk %",
         missing="Segments are shown when 03_segment ran in the same batch.")

# %%
# %%needs channel
by_channel = churn_risk.at_risk_by(risk, value.channel_groups(frame, params), wb.min_cell, worth)
wb.table(by_channel, "churn_risk_by_channel", "Churn risk by acquisition channel", bar="mean churn risk %",
         missing="")

# %% [markdown]
# **Beside the purchase model.** Where the run has orders, those still active in five equal groups
# by churn risk, with the purchase model's mean probability of still being active (P(alive)): the
# two should fall as the risk rises.

# %%
# %%needs purchase_model
wb.table(churn_risk.beside_p_alive(risk, private_dir, wb.min_cell), "churn_risk_and_p_alive",
         "Churn risk beside P(alive)", missing="P(alive) is shown when 04_cohorts ran in the same batch.")
