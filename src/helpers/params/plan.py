"""What a run can say: the inputs each report section needs, and which of them this run has.

A notebook cell that needs something names it on its first line, ``%%needs orders amount``; the
cell runs only when the run has all of it, and otherwise shows one sentence saying what it needs.
`workbook check` reads the same lines to print the plan (which sections each report will show
and which it will leave out, and why) before anything runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from IPython import get_ipython
from IPython.display import Markdown, display

from helpers.core import formats
from helpers.core.errors import ConfigError
from helpers.params.config import Params
from helpers.params.inputs import DIMENSIONS
from helpers.params.schema import has_churn

# what each need means, in the words a reader of a report understands, and the key that gives it
NEEDS: dict[str, str] = {
    "customers": "a customer or account file (survey answers, CRM fields; `data.customers`)",
    "events": "a usage log (`data.events`)",
    "trial": "trial and paid event types in the usage log (`events.trial`, `events.paid`)",
    "contacts": "the contacts inside each account (`data.contacts`)",
    "activity": "orders or a usage log (`data.orders` or `data.events`)",
    "orders": "an orders file (`data.orders`)",
    "amount": "order amounts (`orders.amount`)",
    "linked": "a customer file and an orders file together",
    "status": "a status column (`columns.status`)",
    "churn": "to know which status values mean churned and which still active "
    "(`columns.status.churned` and `columns.status.customer`)",
    "attitudes": "attitude items on an answer scale (`columns.psychographic`)",
    "nps": "a likelihood-to-recommend question (`columns.nps`)",
    "weights": "survey weights (`columns.weight`)",
    "channel": "an acquisition channel (`columns.acquisition.channel`)",
    "promotion": "a promotion code (`columns.acquisition.promotion`)",
    "cost": "an acquisition cost (`columns.acquisition.cost`)",
    "acquisition": "how customers were won: a channel, promotion or cost (`columns.acquisition`)",
    "acquisition_date": "each customer's first order date (`columns.acquisition.date`)",
    "open_text": "an open question (`columns.open_text`)",
    "order_flags": "full-price or prepaid flags on orders (`orders.full_price`, `orders.prepaid`)",
    "products": "what each order holds: a product or a category (`orders.product`, `orders.category` "
    "or `data.products`)",
    "categories": "product categories (`orders.category` or `data.products`)",
    "returns": "returns or cancellations: order lines, or an order status or refund column "
    "(`orders.quantity`, `orders.status`, `orders.refunded_amount`)",
    "order_channel": "the channel of each order (`orders.channel`)",
    "return_reasons": "a return reason (`orders.return_reason`)",
    "purchase_model": "customers who may buy at any time, not subscriptions (`value.model`)",
    "subscriptions": "subscriptions that renew or cancel each period (`value.model: sbg`)",
    "rules": "cohort rules (`cohorts.rules`)",
    "filters": "named filters (`filters`)",
    "previous": "a previous run to compare with (`previous.period`)",
    **{dim: f"{dim} variables (`columns.{dim}`)" for dim in DIMENSIONS},
}


def available(params: Params) -> set[str]:
    """Everything this run's parameters provide, in the vocabulary of NEEDS."""
    have: set[str] = set()
    cols = params.columns
    if params.has_customer_rows and cols is not None:
        have.add("customers")
        if params.data.events is not None:
            have |= {"events", "activity"}
            if params.events and params.events.trial and params.events.paid:
                have.add("trial")
        if params.data.contacts is not None:
            have.add("contacts")
        acq = cols.acquisition
        for need, present in [
            ("status", cols.status),
            ("churn", has_churn(params)),
            ("attitudes", cols.psychographic),
            ("nps", cols.nps),
            ("weights", cols.weight),
            ("channel", acq.channel),
            ("promotion", acq.promotion),
            ("cost", acq.cost),
            ("acquisition", acq.channel or acq.promotion or acq.cost),
            ("acquisition_date", acq.date),
            ("open_text", cols.open_text),
            ("filters", params.filters),
        ]:
            if present:
                have.add(need)
        for dim in DIMENSIONS:
            if params.profile_columns(dim) or any(mr.dimension == dim for mr in cols.multi_response.values()):
                have.add(dim)
    if params.data.orders is not None and params.orders is not None:
        have |= {"orders", "activity"}
        if params.orders.money:
            have.add("amount")
        have.add("subscriptions" if params.value.model == "sbg" else "purchase_model")
        if params.orders.full_price or params.orders.prepaid:
            have.add("order_flags")
        oc = params.orders
        for need, present in [
            ("products", oc.product or oc.category),
            ("categories", oc.category or params.data.products is not None),
            ("returns", oc.has_returns and oc.refunds == "exclude"),
            ("order_channel", oc.channel),
            ("return_reasons", oc.return_reason),
        ]:
            if present:
                have.add(need)
        if "customers" in have:
            have.add("linked")
    if params.cohorts.rules and "activity" in have:
        have.add("rules")
    if params.previous.period:
        have.add("previous")
    return have


def missing(needs: list[str], params: Params) -> list[str]:
    """The needs this run lacks."""
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        raise ConfigError(
            f"a notebook names an unknown need {unknown[0]!r} (`%%needs` or "
            f"`workbook.requires`); known: {', '.join(sorted(NEEDS))}"
        )
    have = available(params)
    return [n for n in needs if n not in have]


def words(need: str) -> str:
    """A need in a reader's words, without the parameter key (stakeholders never see keys)."""
    return re.sub(r"\s*\(`[^)]*\)|;\s*`[^`]*`", "", NEEDS[need])


# needs that are a choice of model, not missing data: a section for the other choice is left out
# of the page without a note (a shop's page does not list the subscription model it does not use)
CHOICES = {"purchase_model", "subscriptions"}
NOT_CHOSEN = "Not the model chosen for this run:"
SKIPPED = "Not shown for this run:"


def sentence(lacking: list[str]) -> str:
    """The one sentence shown in place of a section this run cannot show."""
    chosen = [n for n in lacking if n in CHOICES]
    if chosen:  # for the other model: what else it lacks does not matter
        return f"*{NOT_CHOSEN} this part is for {words(chosen[0])}.*"
    parts = [words(n) for n in lacking]
    needs = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"*{SKIPPED} this part needs {needs}.*"


def use(params: Params) -> None:
    """This run's context for the notebook: its currency, and the ``%%needs`` cell magic (call
    once per notebook)."""
    formats.use_currency(params.currency)
    shell = get_ipython()
    if shell is None:  # not in a notebook: nothing to register
        return

    def needs(line: str, cell: str) -> None:
        lacking = missing(line.split(), params)
        if lacking:
            display(Markdown(sentence(lacking)))
            return
        # stored in history, so that a trailing ";" silences the last value as in any cell
        result = shell.run_cell(cell, store_history=True)
        result.raise_error()

    shell.register_magic_function(needs, magic_kind="cell", magic_name="needs")


# --- the plan, read from the notebooks --------------------------------------------------------

_NEEDS_LINE = re.compile(r"^%%needs\s+(.*)$")


@dataclass
class Section:
    """One section of a report and what it lacks this run (empty: it will be shown)."""

    report: str
    title: str
    lacking: list[str]


def sections(notebook: Path, params: Params) -> list[Section]:
    """The sections of a notebook (its `##` headings) and, for each, the needs it lacks."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out: list[Section] = []
    current: Section | None = None
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown":
            heading = next((ln[3:].strip() for ln in source.splitlines() if ln.startswith("## ")), None)
            if heading:
                current = Section(notebook.stem, heading, [])
                out.append(current)
        elif current is not None and (m := _NEEDS_LINE.match(source.splitlines()[0] if source else "")):
            for need in missing(m.group(1).split(), params):
                if need not in current.lacking:
                    current.lacking.append(need)
    return out


def report_lacks(requires: list[str], params: Params) -> list[str]:
    """What a whole report needs (its notebook's `workbook.requires`) that the run lacks."""
    return missing(requires, params)


def describe(notebooks: list[Path], params: Params) -> list[str]:
    """The plan as lines for the terminal: each report, then the sections it leaves out."""
    lines = []
    for nb in notebooks:
        meta = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {})
        lacks = report_lacks(meta.get("workbook", {}).get("requires", []), params)
        if lacks:
            lines.append(f"  {nb.stem}: skipped — needs {'; '.join(NEEDS[n] for n in lacks)}")
            continue
        secs = sections(nb, params)
        left_out = [s for s in secs if s.lacking]
        lines.append(
            f"  {nb.stem}: all {len(secs)} sections"
            if not left_out
            else f"  {nb.stem}: {len(secs) - len(left_out)} of {len(secs)} sections in full"
        )
        for s in left_out:
            lines.append(
                f"      leaves out parts of “{s.title}”: needs " + "; ".join(NEEDS[n] for n in s.lacking)
            )
    return lines
