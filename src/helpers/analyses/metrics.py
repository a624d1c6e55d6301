"""One name, one definition and one base per figure, and the ledger that proves every page agrees.

The registry (:func:`registry`) names each measure the run states about a group: its name on every
page, card, chart legend and CSV header, a definition sentence built from the run's own settings,
its base (who the share or mean is of) and whether higher or lower is better. Two different
measures never share a name: "bought in the last 12 months" (a share of buyers, from orders) is not
"still a customer (status)" and neither is 04's "active in month 12" (retention of a cohort).

Each notebook records the figures it states (:class:`Ledger`), keyed by (measure, group, base,
period), in its private folder. Before a version is published the batch reads every notebook's
ledger (:func:`conflicts`): one key with two values on two pages stops the run.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from helpers.analyses.value_models import UNIT_DAYS
from helpers.core.artifacts import FIGURES
from helpers.data.dataset import weights
from helpers.params.config import Params
from helpers.params.outcomes import outcome_of
from helpers.params.schema import population


@dataclass(frozen=True)
class Metric:
    """One measure: its name on every page, what it means, who it is of, its unit."""

    key: str
    name: str
    definition: str
    base: str
    unit: str  # "share" (0–1, shown in %), "money", "score", "number"
    better: str = ""  # "higher", "lower" or "" (neither: size)


def population_word(params: Params) -> str:
    """How the run names its people, in the plural (`schema.population`)."""
    return population(params).plural


def registry(params: Params) -> dict[str, Metric]:
    """The run's measures, by key, named and defined from its settings."""
    population = population_word(params)
    weighted = " (weighted)" if params.columns and params.columns.weight else ""
    days = params.value.horizon * UNIT_DAYS[params.value.unit]
    months = round(days / UNIT_DAYS["months"])
    horizon = f"next {months} months" if months >= 2 else f"next {round(days)} days"
    metrics = [
        Metric(
            "size",
            f"share of {population}",
            f"the segment's share of all {population} in the file{weighted}",
            f"all {population}{weighted}",
            "share",
        ),
        Metric(
            "bought_12m",
            "bought in the last 12 months",
            "the share of the segment's buyers (anyone with an order) who ordered in the 12 months "
            "before the reporting date",
            "buyers",
            "share",
            "higher",
        ),
        Metric(
            "value",
            f"predicted margin per buyer, {horizon}",
            f"the customer-value model's predicted margin over the {horizon}, averaged over the "
            "segment's buyers",
            "buyers",
            "money",
            "higher",
        ),
        Metric(
            "new_12m",
            "new in the last 12 months",
            "the share of the segment whose first order or acquisition date falls in the 12 months "
            "before the reporting date (how fast it is being joined, whatever its size)",
            f"{population} with an acquisition date",
            "share",
            "higher",
        ),
        Metric(
            "still_customer",
            "still a customer (status)",
            "the share whose status means customer or lapsed, among those whose status is known "
            "(prospects left out)",
            "people whose status is known",
            "share",
            "higher",
        ),
        Metric(
            "nps",
            "NPS",
            "promoters (9–10) minus detractors (0–6), in points, among those who answered",
            "those who answered the likelihood to recommend",
            "score",
            "higher",
        ),
        Metric(
            "converted",
            "trials converted to paid",
            "the share of trials old enough to judge that became paid",
            "trials",
            "share",
            "higher",
        ),
    ]
    return {m.key: m for m in metrics}


def glossary(params: Params) -> dict[str, str]:
    """The run's measures for the reports' glossary: name -> definition and base."""
    found = list(registry(params).values())
    if (outcome := outcome_of(params)) is not None:
        found.append(outcome_metric(outcome.name, outcome.base))
    return {
        m.name.removesuffix(" %"): f"{m.definition[:1].upper()}{m.definition[1:]} (base: {m.base})."
        for m in found
    }


def outcome_metric(name: str, base: str) -> Metric:
    """The status outcome as a measure: the share with the bad result (lower is better)."""
    return Metric(
        "outcome",
        f"{name} %",
        f"the share whose status is {name.split(': ', 1)[-1]}, among {base}",
        base,
        "share",
        "lower",
    )


@dataclass(frozen=True)
class Figure:
    """One figure a page states about a group."""

    metric: str
    group: str
    base: str
    period: str
    value: float
    page: str
    decimals: int = 1  # compared at the precision the page shows
    unit: str = ""  # as the measure's: "share" figures are noted in %
    better: str = ""
    n: float = 0.0  # the (effective) number of people it rests on, for a test of change


class Ledger:
    """The figures one page states, kept in its private folder for the batch's check."""

    def __init__(self, page: str, params: Params) -> None:
        self.page, self.period, self.figures = page, params.period, []  # type: ignore[var-annotated]

    def record(self, metric: Metric, group: str, value: float, decimals: int = 1, n: float = 0.0) -> float:
        """Note a figure (a share is noted in %) and give it back, so a page states what it noted."""
        shown = 100 * value if metric.unit == "share" else value
        if value == value and value is not None:
            self.figures.append(
                Figure(
                    metric.name,
                    str(group),
                    metric.base,
                    self.period,
                    float(shown),
                    self.page,
                    decimals,
                    metric.unit,
                    metric.better,
                    float(n),
                )
            )
        return value

    def save(self, private_dir: str | Path | None) -> Path | None:
        """Write the ledger beside the page's private artifacts (none without a private folder)."""
        if not private_dir:
            return None
        path = Path(private_dir) / FIGURES
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(f) for f in self.figures], ensure_ascii=False, indent=0))
        return path


def record_column(ledger: Ledger, table: pd.DataFrame | None, column: str, metric: Metric) -> None:
    """Note one column of a by-group table (a segment's mean value in 04) as ``metric`` for each
    group whose figure is shown (hidden and missing cells are not figures)."""
    if table is None or column not in table:
        return
    for group, value in pd.to_numeric(table[column], errors="coerce").dropna().items():
        ledger.record(metric, str(group), float(value), decimals=2 if metric.unit == "money" else 1)


def record_everyone(ledger: Ledger, params: Params, key: str, value: float, decimals: int = 0) -> None:
    """Note a figure about everyone that a page states (01's Net Promoter Score) under the
    registry's measure ``key``, so the batch checks it against the personas' figure."""
    if value == value:
        ledger.record(registry(params)[key], EVERYONE, float(value), decimals=decimals)


def read_ledgers(private_build: str | Path) -> list[Figure]:
    """Every figure recorded by the notebooks of one run."""
    out = []
    for path in sorted(Path(private_build).glob(f"*/{FIGURES}")):
        out += [Figure(**row) for row in json.loads(path.read_text())]
    return out


def conflicts(figures: list[Figure]) -> list[str]:
    """One sentence per key (measure, group, base, period) that has two values on the pages."""
    seen: dict[tuple[str, str, str, str], list[Figure]] = {}
    for f in figures:
        seen.setdefault((f.metric, f.group, f.base, f.period), []).append(f)
    out = []
    for (metric, group, base, _), found in seen.items():
        shown = {round(f.value, min(f.decimals for f in found)) for f in found if not math.isnan(f.value)}
        if len(shown) > 1:
            where = "; ".join(f"{f.page}: {f.value:.{f.decimals}f}" for f in found)
            out.append(f"'{metric}' of {group} ({base}) differs between pages: {where}")
    return out


EVERYONE = "everyone"  # the group of a run's key figures


def key_figures(figures: list[Figure]) -> list[dict[str, object]]:
    """The run's figures about everyone (one per measure), for the version's manifest and the
    headline panel of the reports index."""
    seen: dict[str, Figure] = {}
    for f in figures:
        if f.group == EVERYONE:
            seen.setdefault(f.metric, f)
    return [asdict(f) for f in seen.values()]


def change(now: dict, before: dict) -> tuple[float, bool | None]:
    """A key figure's change and whether it is beyond noise (a two-proportion z-test at 5% on the
    effective bases, for shares; None where no test applies)."""
    diff = float(now["value"]) - float(before["value"])
    if now.get("unit") != "share" or not now.get("n") or not before.get("n"):
        return diff, None
    p1, p2, n1, n2 = now["value"] / 100, before["value"] / 100, float(now["n"]), float(before["n"])
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(max(pooled * (1 - pooled) * (1 / n1 + 1 / n2), 1e-18))
    return diff, abs(p1 - p2) / se > 1.959964


def effective_base(w: pd.Series) -> float:
    """The effective number of weighted rows, (Σw)² / Σw² (0 without rows)."""
    return float(w.sum() ** 2 / max(float((w**2).sum()), 1e-12)) if len(w) else 0.0


def weighting_efficiency(frame: pd.DataFrame, params: Params) -> float:
    """The effective sample size per person under the survey weights (1 without weights)."""
    w = weights(frame, params).astype(float)
    return effective_base(w) / max(len(w), 1)


def outcome_sentence(frame: pd.DataFrame | None, params: Params, ledger: Ledger | None = None) -> str:
    """The status outcome of everyone, on the base every page uses (`outcomes.Outcome`), noted
    in ``ledger``; "" without an outcome or with fewer known than the privacy minimum."""
    outcome = outcome_of(params)
    if outcome is None or frame is None:
        return ""
    everyone = pd.Series(True, index=frame.index)
    rate, known = outcome.rate(frame, everyone, params, weights(frame, params))
    if known < params.privacy.min_cell or rate != rate:
        return ""
    if ledger is not None:
        metric = outcome_metric(outcome.name, outcome.base)
        ledger.record(metric, EVERYONE, rate, decimals=1, n=known * weighting_efficiency(frame, params))
    notes = ["prospects and unknown statuses left out"] if known < len(frame) else []
    notes += ["weighted"] if params.columns and params.columns.weight else []
    said = f" ({', '.join(notes)})" if notes else ""
    who = population(params).plural
    of = f"the {known:,} {who} whose status is known" if known < len(frame) else f"all {known:,} {who}"
    return (
        f"**{outcome.name} — {100 * rate:.1f}%** of {of}{said}; every report gives this share on this base."
    )
