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
# # Segments, the typing tool and the ICP scorecard
#
# The third step of the practice: group the people (or accounts) by the traits that matter, so that each group is
# clearly **different** from the others, **stable** (it comes back when the data is resampled) and
# **large enough** to be worth a marketing team's time. Then the two tools that put the segments to
# work: a **typing tool** that assigns every newcomer (a new lead, a new respondent) to a
# segment from a few questions, and an **ICP fit scorecard** that says how well a newcomer fits the
# profile with the best outcome.

# %% tags=["parameters"]
params_path: str = "../parameters/demo.yaml"  # the run's parameter file
tables_dir: str = ""  # folder for CSV tables; empty: do not save
private_dir: str = ""  # folder for private run artifacts; empty: none

# %%
from helpers import workbook
from helpers.analyses import leads, metrics, saved_model, scorecard, segmentation
from helpers.data import text  # noqa: F401 (in %%needs cells)
from helpers.present import charts, plots

# %%
wb = workbook.open(params_path, tables_dir, private_dir)  # parameters, data, %%needs and folders
params, data, frame, w = wb.params, wb.data, wb.frame, wb.weights

# %%
result = segmentation.run(frame, params, w, private_dir)  # last quarter's names for the same people
plots.md(segmentation.method_text(result, params, len(frame)))

# %% [markdown]
# ## How many segments?
#
# Every number of segments from the range was fitted. The charts show the criteria: **BIC** (lower
# is better, but on large samples it keeps creeping down), **relative entropy** (how cleanly people
# fall into one segment; 1 = perfectly) or the **silhouette** for the k-means method, and the size
# of the smallest segment. Knock-outs remove any k with a segment that is too small, or whose
# segments merely copy one question: **mirrors one question** is how closely the segments match the
# answers to the single question that matches them best (1 = the segments are that question's
# answers, a split anyone could make without a model; such a k is knocked out).

# %%
wb.save(result.choice.table, "k_selection")
charts.k_chart(result.choice.table, result.k);

# %%
plots.md(f"**Chosen:** {result.choice.reason}")

# %%
plots.styled(result.choice.table, "Criteria for each number of segments", decimals=3)

# %% [markdown]
# ## Are the segments stable?
#
# Two checks. The model was fitted again on bootstrap samples of the people: for each segment, the
# mean Jaccard similarity to its best match in the refits says whether it comes back (≥ 0.75
# stable, ≤ 0.5 dissolved). And it was fitted again from other random starts: the adjusted Rand
# index says whether another start finds the same segments.

# %%
plots.bullets(result.stability_notes())

# %%
sizes = result.sizes(w, wb.min_cell)
wb.table(sizes, "segments", "Segments", bar="share %")

# %% [markdown]
# ## What sets each segment apart
#
# The index compares a segment with everyone (100 = the same as the total, 150 = one and a half
# times as common). Attitude items count the share at the top of their own scale (the top box).
# The heatmap shows each segment's most distinctive traits; the names are proposed from the traits
# each segment over-indexes on most, and can be changed in the parameter file. A blank cell rests on
# fewer people than the privacy minimum.

# %%
plots.show(
    charts.index_heatmap(segmentation.heatmap_rows(result, min_cell=wb.min_cell))
    if result.profile is not None
    else plots.md("One segment.")
)

# %%
traits = segmentation.traits_table(result) if result.profile is not None else None
wb.table(traits, "segment_traits", "Each segment's most distinctive traits", missing="One segment only.")

# %% [markdown]
# ## What each segment says
#
# The themes of the open answers (the 01 report shows how they are found), as a share of each
# segment's answers; a cell based on fewer answers than the privacy minimum is hidden.

# %%
# %%needs open_text
said_set = text.theme_set(params, params.columns.open_text[0])
said = (
    text.theme_shares(frame, result.segments, params, said_set, w, names=result.names)
    if said_set
    else None
)
wb.table(said, "segment_themes", "What each segment says (% of its answers)", missing="Too few answers for themes.")

# %% [markdown]
# ## The typing tool for newcomers
#
# A classifier trained on the segments, from the few "golden questions" a new lead can answer. Its
# probabilities are calibrated; a lead whose best probability is below the threshold stays
# *unassigned*. Accuracy is cross-validated (measured on people the tool did not learn from).

# %%
proposed = leads.propose_questions(frame, result.segments.to_numpy(), params)
questions = leads.golden_questions(proposed, params)  # the parameter file's, or the most informative
wb.save(leads.question_table(proposed, params, top=len(proposed)), "question_information")
plots.styled(
    leads.question_table(proposed, params), "Questions ranked by what they tell about the segment", decimals=3
)

# %%
tool = leads.train_typing_tool(frame, result.segments.to_numpy(), params, questions)
plots.md(leads.typing_summary(tool, params, result.k))

# %%
confusion = leads.confusion_table(tool, result.names, wb.min_cell)
wb.save(confusion, "typing_confusion")
plots.show(charts.confusion_chart(confusion) if tool else plots.md(""))

# %% [markdown]
# ## ICP fit scorecard
#
# Points for each trait of the customers we want most: from the parameter file, or by default the
# traits a new record holds that are most over-represented among the customers (or accounts) of
# highest value that did not churn, found on half of them and checked on the other half against
# the outcome the data holds. A trait that goes with the worse outcome (more churn, more bad
# payers) is never proposed. A lead's fit score is its share of the maximum points: **not fit**, **workable fit** or
# **perfect fit**. Fit is who a lead is; engagement (a recent order) is kept apart, as lead-scoring
# practice does.

# %%
criteria, holdout = scorecard.scorecard_criteria(result, frame, params)
plots.md(scorecard.scorecard_note(criteria, frame, params))

# %%
plots.styled(scorecard.criteria_table(criteria, params), "Scorecard", decimals=0, missing="")

# %%
fit = scorecard.fit_scores(frame, criteria, params.icp.tiers)
engaged = scorecard.engagement(frame, params.icp.engaged_days)
mix = scorecard.tier_mix(fit, result.segments, engaged, wb.min_cell, result.names)
wb.table(mix, "fit_tiers_by_segment", "Fit tier by segment (% of the segment)", missing="")

# %%
outcomes = scorecard.fit_outcomes(frame, fit, holdout, params)
wb.save(outcomes, "fit_tier_outcomes")
plots.show(plots.md(scorecard.holdout_sentence(outcomes, params, checked=holdout is not None)))
plots.styled(outcomes, "Fit tier against value and retention", missing="")

# %%
saved = saved_model.save(saved_model.build(result, tool, criteria, frame, params), private_dir)
segmentation.save_assignments(result, frame, params, private_dir);
# the model, the typing tool and the scorecard stay with the run's private files (never
# published), for `workbook assign` and for next quarter's comparison

# %%
figures = metrics.Ledger("03_segment", params)  # the figures this page states, for the batch's check
segmentation.record_sizes(figures, result, w, params)
figures.save(private_dir);

# %% tags=["glance"]
plots.glance(segmentation.glance_lines(result, sizes, params) + [leads.typing_line(tool, result.k, params)])
