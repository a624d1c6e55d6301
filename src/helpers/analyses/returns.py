"""What comes back and who comes back: return rates by item, group, channel and cohort, the
reasons given, and how many customers ordered again after each first purchase.

A return rate is the value returned (negative lines such as the retailer's cancellation
invoices, and the lines of orders refunded or cancelled) against the value bought (every line
with a positive quantity and amount, kept or later refunded). Rates by item and channel count
guests' lines too (they need no customer); rates by group and cohort count customers only.
Rates resting on fewer buyers than the privacy minimum are hidden.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.analyses.products import Items, _item, _with_labels
from helpers.core import formats
from helpers.data.engine import Engine, end_of, largest

SHOWN = {"bought": "value bought", "returned": "value returned", "returned_lines": "returned lines"}
HIGH_RATE = 1.5  # a return rate this many times everyone's is called out
CAME_BACK_DAYS = 90


def _bought(lines: ir.Table) -> ir.BooleanValue:
    """A line that sold something: a positive amount (and quantity, where there is one)."""
    sold = lines.amount > 0
    if "quantity" in lines.columns:
        sold = sold & (lines.quantity > 0)
    return sold.fill_null(False)


def _rates(ln: ir.Table, key: ir.Value, name: str, engine: Engine) -> pd.DataFrame:
    """Per key: buyers, value bought, value returned and the return rate (%)."""
    ln = ln.mutate(_key=key)
    table = engine.execute(
        ln.group_by("_key").aggregate(
            buyers=ln.customer_id.nunique(where=_bought(ln)),
            bought=ln.amount.sum(where=_bought(ln)),
            returned=ln.amount.abs().sum(where=ln.returned),
            returned_lines=ln.count(where=ln.returned),
        )
    )
    table = table.fillna({"bought": 0.0, "returned": 0.0})
    table["return rate %"] = 100 * table["returned"] / table["bought"].replace(0, np.nan)
    table = table.sort_values("bought", ascending=False).reset_index(drop=True)
    return table.rename(columns={"_key": name, **SHOWN})


def by_item(lines: ir.Table, items: Items, engine: Engine) -> pd.DataFrame:
    """Return rates per category (or top product), guests' lines included."""
    return _rates(lines, _item(lines, items), items.word, engine)


def by_channel(lines: ir.Table, engine: Engine) -> pd.DataFrame | None:
    """Return rates per order channel; None without a channel."""
    if "channel" not in lines.columns:
        return None
    return _rates(lines, lines.channel.fill_null("(not given)"), "channel", engine)


def by_group(lines: ir.Table, labels: pd.Series | None, name: str, engine: Engine) -> pd.DataFrame | None:
    """Return rates per group of customers (a segment, a persona); None without labels."""
    if labels is None:
        return None
    ln = _with_labels(lines, labels, engine)
    return _rates(ln, ln.group, name, engine)


def by_cohort(lines: ir.Table, orders: ir.Table, engine: Engine, period: str = "month") -> pd.DataFrame:
    """Return rates per acquisition cohort (the period of each customer's first kept order)."""
    unit = {"month": "M", "quarter": "Q", "year": "Y", "week": "W"}.get(period, "M")
    first = orders.group_by("customer_id").aggregate(_first=orders.order_ts.min())
    ln = lines.filter(lines.customer_id.notnull()).join(first, "customer_id")
    table = _rates(ln, ln._first.truncate(unit).date().cast("string"), "cohort", engine)
    return table.sort_values("cohort").reset_index(drop=True)


def reasons(lines: ir.Table, engine: Engine) -> pd.DataFrame | None:
    """The reasons given for returns: returned lines, value and share of the value returned;
    None when the file gives no reason."""
    if "reason" not in lines.columns:
        return None
    ln = lines.filter(lines.returned)
    table = engine.execute(
        ln.group_by(reason=ln.reason.fill_null("(no reason given)")).aggregate(
            lines=ln.count(), value=ln.amount.abs().sum()
        )
    )
    table["share of value returned %"] = 100 * table["value"] / table["value"].sum()
    return table.sort_values("value", ascending=False).reset_index(drop=True)


def hidden_small(table: pd.DataFrame | None, min_cell: int) -> pd.DataFrame | None:
    """The rates of rows with fewer buyers than `min_cell` hidden (the row stays, its figures go)."""
    if table is None:
        return None
    out = table.copy()
    small = out["buyers"] < min_cell
    out.loc[small, [*SHOWN.values(), "return rate %"]] = np.nan
    return out


def overall_rate(lines: ir.Table, engine: Engine) -> float:
    """Everyone's return rate (%), guests included."""
    row = engine.execute(
        lines.aggregate(
            bought=lines.amount.sum(where=_bought(lines)),
            returned=lines.amount.abs().sum(where=lines.returned),
        )
    ).iloc[0]
    return float(100 * (row["returned"] or 0) / row["bought"]) if row["bought"] else float("nan")


def rate_sentences(table: pd.DataFrame | None, name: str, overall: float, top: int = 3) -> list[str]:
    """The rows whose return rate is far above everyone's, in sentences."""
    if table is None or not np.isfinite(overall) or overall <= 0:
        return []
    rows = table.dropna(subset=["return rate %"])
    high = rows[rows["return rate %"] >= HIGH_RATE * overall].sort_values("return rate %", ascending=False)
    return [
        f"{name.capitalize()} {r[name]}: {r['return rate %']:.1f}% of the value bought came back, "
        f"{r['return rate %'] / overall:.1f}× the {overall:.1f}% of everyone"
        for r in high.head(top).to_dict("records")
    ]


def first_purchase_retention(
    lines: ir.Table, orders: ir.Table, items: Items, engine: Engine, as_of: dt.date, min_cell: int
) -> pd.DataFrame:
    """Per item of the first order (its largest line): customers, the share who ordered again, and
    the share who did within CAME_BACK_DAYS among those whose first order is that long ago."""
    firsts = orders.group_by("customer_id").aggregate(_first=orders.order_ts.min())
    again = orders.join(firsts, "customer_id").filter(lambda t: t.order_ts > t._first)
    second = again.group_by("customer_id").aggregate(_second=again.order_ts.min())
    ln = lines.filter(lines.customer_id.notnull() & ~lines.returned).join(firsts, "customer_id")
    ln = ln.filter(ln.order_ts == ln._first)
    ln = ln.mutate(item=_item(ln, items))
    per_item = ln.group_by(["customer_id", "item"]).aggregate(v=ln.amount.sum(), _first=ln._first.min())
    top = largest(per_item, "item", "v", "item").join(
        per_item.group_by("customer_id").aggregate(_first=per_item._first.min()), "customer_id"
    )
    top = top.left_join(second, "customer_id").drop("customer_id_right")
    old_enough = top._first < ibis.literal(end_of(as_of - dt.timedelta(days=CAME_BACK_DAYS)))
    soon = (
        top._second.notnull() & (top._second < top._first + ibis.interval(days=CAME_BACK_DAYS))
    ).fill_null(False)
    table = engine.execute(
        top.group_by("item").aggregate(
            customers=top.count(),
            came_back=top.count(where=top._second.notnull()),
            old_enough=top.count(where=old_enough),
            soon=top.count(where=old_enough & soon),
        )
    ).rename(columns={"item": items.word})
    table["came back %"] = 100 * table["came_back"] / table["customers"]
    table[f"within {CAME_BACK_DAYS} days %"] = 100 * table["soon"] / table["old_enough"].replace(0, np.nan)
    table.loc[table["customers"] < min_cell, ["came back %", f"within {CAME_BACK_DAYS} days %"]] = np.nan
    table.loc[table["old_enough"] < min_cell, f"within {CAME_BACK_DAYS} days %"] = np.nan
    out = table.drop(columns=["came_back", "soon", "old_enough"])
    return out.sort_values("customers", ascending=False).reset_index(drop=True)


def retention_sentence(table: pd.DataFrame, word: str) -> str:
    """Which first purchase brings customers back most and least, in one sentence."""
    rows = table.dropna(subset=["came back %"])
    if len(rows) < 2:
        return f"*Too few customers per first {word} to compare how many came back.*"
    best = rows.loc[rows["came back %"].idxmax()]
    worst = rows.loc[rows["came back %"].idxmin()]
    return (
        f"Of the customers whose first order was mostly **{best[word]}**, {best['came back %']:.0f}% "
        f"ordered again; after **{worst[word]}**, {worst['came back %']:.0f}%."
    )


def guest_totals(lines: ir.Table, engine: Engine) -> dict[str, float]:
    """Guest checkouts' lines and revenue against everyone's (kept lines)."""
    kept = lines.filter(~lines.returned)
    guest = kept.customer_id.isnull()
    row = engine.execute(
        kept.aggregate(
            lines=kept.count(),
            guest_lines=kept.count(where=guest),
            revenue=kept.amount.sum(),
            guest_revenue=kept.amount.sum(where=guest),
        )
    ).iloc[0]
    return {k: float(v or 0) for k, v in row.items()}


def guest_sentence(totals: dict[str, float]) -> str:
    """What the guest checkouts bring, and where they are counted."""
    if not totals.get("guest_lines"):
        return ""
    share = 100 * totals["guest_revenue"] / totals["revenue"] if totals["revenue"] else float("nan")
    return (
        f"Guest checkouts (no customer id): {totals['guest_lines']:,.0f} lines and "
        f"{formats.money(totals['guest_revenue'])} ({share:.0f}% of revenue). They are in the totals "
        "by product and by month, and not in any figure per customer, segment or cohort."
    )
