"""The analysis sections of a drafted parameter file, written from `helpers.setup.infer`'s guesses:
filters, banners, segments, personas, and for orders the cohorts and value sections."""

from __future__ import annotations

import pandas as pd

from helpers.setup.infer import OrdersGuess
from helpers.setup.roles import CustomerGuess
from helpers.setup.sections import SectionsGuess, guess_sections
from helpers.setup.yaml_lines import as_yaml, commented, flow_list


def _filters_block(sections: SectionsGuess) -> list[str]:
    if not sections.filters:
        return []
    out = [
        "",
        "# Named filters: readable rules over columns (and, with orders, derived fields such as",
        "# orders_12m or spend_12m). Used by the banners below and in the 02 report.",
        "filters:",
    ]
    return out + [
        commented(f"  {name}: {as_yaml(rule)}", why) for name, (rule, why) in sections.filters.items()
    ]


def _crosstab_block(sections: SectionsGuess, undecided: list[str]) -> list[str]:
    out = ["", "# Banner tables (02): questions down the side, these groups across the top.", "crosstab:"]
    if sections.banners:
        out.append("  banners:")
        out += [f"    - {as_yaml(banner)}" for banner in sections.banners]
    else:
        out.append("  banners: []                    # no column with 2–8 groups to compare; add one")
        undecided.append("crosstab.banners: no column with 2–8 groups was found to compare by")
    if sections.compare:
        out.append(f"  compare_with_rest: {as_yaml(sections.compare)}")
    return out


def _segment_block(cg: CustomerGuess, rows: int, undecided: list[str]) -> list[str]:
    features = cg.columns_of("psychographic") + cg.columns_of("behavioural") + list(cg.multi)
    out = [
        "",
        "# Segmentation (03): the features default to the psychographic and behavioural columns.",
        "segment:",
    ]
    if len(features) > 30:
        chosen = cg.columns_of("psychographic")[:25]
        answered = [c for c in cg.columns_of("behavioural") if cg.facts[c].answered >= 0.8 * rows]
        chosen += answered[: 30 - len(chosen)]
        why = f"{len(features)} candidates: the first 30 (scales first); choose the ones that matter"
        out.append(commented(f"  features: {flow_list(chosen, 12)}", why))
        undecided.append(
            f"segment.features: {len(features)} candidate columns, the first 30 kept; "
            "choose the ones that matter"
        )
    elif not features:
        who = cg.columns_of("demographic") + cg.columns_of("geographic")
        if who:
            why = "no attitude or behaviour columns: segments on who they are"
            out.append(commented(f"  features: {flow_list(who[:12], 12)}", why))
    status = cg.columns_of("status")
    if status:
        out.append(commented(f"  strata: {as_yaml(status[0])}", "the fitting sample keeps the status mix"))
    out.append(commented("  k_max: 6", "at most 6 segments, each at least 5% of the file"))
    out.append(
        commented("  bootstrap: 5", "5 refits for the stability check: quick; use 10–20 for the final run")
    )
    return out


def _personas_block(
    sections: SectionsGuess, cg: CustomerGuess, has_orders: bool, undecided: list[str]
) -> list[str]:
    out = ["", "# Personas (05).", "personas:"]
    if sections.age:
        out.append(
            commented(f"  age: {as_yaml(sections.age)}", "the age column, for the age line and the face")
        )
    gender = sections.gender
    if gender and sections.female and sections.male:
        out.append(
            f"  gender: {as_yaml({'column': gender, 'female': sections.female, 'male': sections.male})}"
        )
    elif gender:
        out.append(f"  # gender: {{column: {gender}, female: [?], male: [?]}}   # which code means what?")
        shown = ", ".join(map(str, cg.facts[gender].values[:4]))
        undecided.append(f"personas.gender: which values of {gender} ({shown}) mean female and male")
    out.append(commented(f"  goal: {sections.goal}", sections.goal_why))
    if not has_orders:
        has_churn = bool(cg.status.get("churned"))
        out.append(
            commented(
                "  rubric: " + as_yaml({"size": 1, **({"retention": 2} if has_churn else {})}),
                "what the data can score: size" + (" and retention" if has_churn else ""),
            )
        )
    return out


def sections_block(
    cg: CustomerGuess, frame: pd.DataFrame, og: OrdersGuess | None, undecided: list[str]
) -> list[str]:
    """The analysis sections of a drafted file: filters, banners, segments and personas."""
    sections = guess_sections(cg, frame, og is not None)
    return (
        _filters_block(sections)
        + _crosstab_block(sections, undecided)
        + _segment_block(cg, len(frame), undecided)
        + _personas_block(sections, cg, og is not None, undecided)
    )


def orders_sections(og: OrdersGuess, cg: CustomerGuess | None) -> list[str]:
    out = [
        "",
        "# Cohorts and retention (04), customer value (04).",
        "cohorts:",
        "  period: month",
        "  definition: on",
    ]
    if og.first_date and og.last_date:
        months = (og.last_date.year - og.first_date.year) * 12 + og.last_date.month - og.first_date.month + 1
        out.append(
            commented(f"  max_periods: {max(2, min(24, months - 1))}", f"the data spans {months} months")
        )
        weeks = (og.last_date - og.first_date).days // 7
        holdout = max(4, min(26, weeks // 3))
    else:
        holdout = 26
    splits = []
    if cg:
        splits = [
            c for c, g in cg.roles.items() if g.role in ("acquisition.channel", "acquisition.promotion")
        ]
    if splits:
        out.append(f"  splits: {as_yaml(splits)}")
    out.append(commented("  margin: 1.0", "gross margin (share of revenue kept); set yours, e.g. 0.35"))
    out += ["", "value:", "  model: bgnbd", "  unit: weeks"]
    out.append(
        commented(f"  holdout: {holdout}", "the last third of the data (at most 26 weeks) checks the model")
    )
    out.append("  horizon: 52")
    return out
