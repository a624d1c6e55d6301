"""What customers buy: the categories (or, without categories, the products) each group spends
most on against everyone, what a group splurges on and saves on, and how many came back after
each first purchase.

The heavy work runs in the engine over the order lines (`Dataset.lines`): each customer's group
label is registered as a small table and joined there, so what comes back to pandas is one row per
group and item. "Splurge" and "save" are the practitioner's words for two plain ratios:

- a group *splurges* on an item when its buyers of that item spend far more on it per head than
  the other buyers of it do (`SPLURGE` times or more);
- a group *saves* on an item when it pays less than the item's usual price: the value paid
  against the quantity bought at each product's average unit price over all buyers (the price
  index; 100 is the usual price, `SAVE` or below is a saving).

Figures resting on fewer buyers than the privacy minimum are hidden.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from helpers.core import formats
from helpers.data.engine import Engine

TOP_ITEMS = 30  # without categories, the products with the most revenue (the rest: "other products")
OTHER = "Other products"
SPLURGE = 1.5  # spend per buyer at least this many times the other buyers'
SAVE = 95.0  # a price index at or below this (5% under the usual price)
MIN_SHARE = 2.0  # an item below this share (%) of a group's spend says little about the group
EVERYONE = "everyone's share %"
OTHERS = "others' spend per buyer"
RATIO = "ratio to others"  # spend per buyer against the other buyers'


@dataclass
class Items:
    """What the lines say was bought: by category, or by product where there are no categories."""

    column: str  # "category" or "product"
    word: str  # "category" or "product", for sentences
    top: list[str]  # the products shown by name (without categories), else every category

    @property
    def plural(self) -> str:
        """The word for several: categories, products."""
        return "categories" if self.word == "category" else "products"


def item_kind(lines: ir.Table | None) -> str | None:
    """Which column names what was bought: the category, else the product; None without either."""
    if lines is None:
        return None
    if "category" in lines.columns:
        return "category"
    return "product" if "product" in lines.columns else None


def items_of(lines: ir.Table, engine: Engine, top: int = TOP_ITEMS) -> Items | None:
    """The items the analyses group by: every category, or the top products by revenue."""
    kind = item_kind(lines)
    if kind is None:
        return None
    kept = lines.filter(~lines.returned & lines[kind].notnull())
    ranked = kept.group_by(kind).aggregate(v=kept.amount.sum()).order_by(ibis.desc("v"))
    names = engine.execute(ranked.limit(top if kind == "product" else 500))[kind].astype(str).tolist()
    return Items(kind, kind, names)


def _item(lines: ir.Table, items: Items) -> ir.Value:
    """Each line's item: its category, or its product when among the top ones ("other products")."""
    value = lines[items.column]
    if items.column == "category":
        return value
    return value.isin(items.top).ifelse(value, ibis.literal(OTHER))


def _with_labels(lines: ir.Table, labels: pd.Series | None, engine: Engine) -> ir.Table:
    """The lines of customers, each with its group label (everyone when no labels are given)."""
    ln = lines.filter(lines.customer_id.notnull())
    if labels is None:
        return ln.mutate(group=ibis.literal("Everyone"))
    table = pd.DataFrame({"customer_id": labels.index.astype(str), "group": labels.astype(str).to_numpy()})
    table = table[labels.notna().to_numpy()]
    registered = engine.register(table, f"_wb_labels_{uuid.uuid4().hex}")
    return ln.join(registered, "customer_id")


def group_items(
    lines: ir.Table, items: Items, engine: Engine, labels: pd.Series | None = None
) -> pd.DataFrame:
    """Per group and item: buyers, spend, quantity, the value at the usual price and the value
    returned (guests' lines left out); one small table computed by the engine."""
    ln = _with_labels(lines, labels, engine)
    usual = _usual_prices(lines) if "quantity" in ln.columns and "product" in ln.columns else None
    if usual is not None:
        ln = ln.left_join(usual, "product").drop("product_right")
    ln = ln.mutate(item=_item(ln, items))
    kept = ~ln.returned
    metrics = {
        "buyers": ln.customer_id.nunique(where=kept),
        "spend": ln.amount.sum(where=kept),
        "returned_value": ln.amount.abs().sum(where=ln.returned),
    }
    if usual is not None:
        metrics["usual_value"] = (ln.quantity * ln.usual_price).sum(where=kept & ln.usual_price.notnull())
        metrics["priced_spend"] = ln.amount.sum(where=kept & ln.usual_price.notnull())
    out = engine.execute(ln.group_by(["group", "item"]).aggregate(**metrics))
    return out.fillna({"spend": 0.0, "returned_value": 0.0})


def _usual_prices(lines: ir.Table) -> ir.Table:
    """Each product's usual unit price: what all its buyers paid per unit on average (revenue
    over units; exact, and the same on every engine, unlike an approximate median)."""
    kept = lines.filter(~lines.returned & (lines.quantity > 0) & (lines.amount > 0))
    return kept.group_by("product").aggregate(usual_price=kept.amount.sum() / kept.quantity.sum())


def spend_mix(table: pd.DataFrame, everyone: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Per group and item: share of the group's spend against everyone's (index 100 = the same),
    spend per buyer against the other buyers', and the price index; cells resting on fewer
    buyers than `min_cell` hidden."""
    total = everyone.set_index("item")
    group_total = table.groupby("group")["spend"].transform("sum")
    out = table.copy()
    out["share of spend %"] = 100 * out["spend"] / group_total.replace(0, np.nan)
    all_share = 100 * total["spend"] / total["spend"].sum()
    out[EVERYONE] = out["item"].map(all_share)
    out["index"] = 100 * out["share of spend %"] / out[EVERYONE].replace(0, np.nan)
    out["spend per buyer"] = out["spend"] / out["buyers"].replace(0, np.nan)
    other_spend = out["item"].map(total["spend"]) - out["spend"]
    other_buyers = out["item"].map(total["buyers"]) - out["buyers"]
    out[OTHERS] = other_spend / other_buyers.where(other_buyers >= min_cell)
    out[RATIO] = out["spend per buyer"] / out[OTHERS]
    if "usual_value" in out:
        out["price index"] = 100 * out["priced_spend"] / out["usual_value"].replace(0, np.nan)
    small = out["buyers"] < min_cell
    shown = [c for c in out.columns if c not in ("group", "item", "buyers")]
    out.loc[small, shown] = np.nan
    return out


def _named(mix: pd.DataFrame, group: str) -> pd.DataFrame:
    """A group's rows for named items that are a real part of its spend (not "other products")."""
    return mix[(mix["group"] == group) & (mix["item"] != OTHER) & (mix["share of spend %"] >= MIN_SHARE)]


def splurges(mix: pd.DataFrame, group: str) -> pd.DataFrame:
    """The items a group splurges on: spend per buyer at least SPLURGE times the other buyers',
    and well above the group's usual ratio over all its items (so that a group of big spenders
    does not "splurge" on everything it buys); largest ratio first."""
    rows = _named(mix, group)
    ratio = rows[RATIO]
    usual = mix.loc[mix["group"] == group, RATIO].median()
    hit = (ratio >= SPLURGE) & (ratio >= SPLURGE * max(usual, 1.0) / 1.2)
    return rows[hit].sort_values(RATIO, ascending=False)


def savings(mix: pd.DataFrame, group: str) -> pd.DataFrame:
    """The items a group saves on: bought at a price index of SAVE or below; lowest first."""
    if "price index" not in mix:
        return mix.iloc[0:0]
    rows = _named(mix, group)
    return rows[rows["price index"] <= SAVE].sort_values("price index")


def favourites(mix: pd.DataFrame, group: str, top: int = 3) -> pd.DataFrame:
    """The items a group spends most on compared with everyone (index of 110 or more), largest first."""
    rows = _named(mix, group)
    return rows[rows["index"] >= 110].sort_values("index", ascending=False).head(top)


def buying_lines(mix: pd.DataFrame, group: str) -> list[str]:
    """What a group buys, in sentences drawn from the mix: where it spends more than everyone,
    what it splurges on and what it saves on."""
    lines = []
    fav = favourites(mix, group).to_dict("records")
    if fav:
        parts = [
            f"{r['item']} ({r['share of spend %']:.0f}% of their spend, {r[EVERYONE]:.0f}% for everyone)"
            for r in fav
        ]
        lines.append("Spends more than others on " + "; ".join(parts))
    for r in splurges(mix, group).head(2).to_dict("records"):
        lines.append(
            f"Splurges on {r['item']}: {formats.money(r['spend per buyer'])} per buyer, against "
            f"{formats.money(r[OTHERS])} for other buyers of it ({r[RATIO]:.1f}×)"
        )
    for r in savings(mix, group).head(2).to_dict("records"):
        lines.append(f"Saves on {r['item']}: pays {100 - r['price index']:.0f}% below its usual price")
    return lines


def item_totals(lines: ir.Table, items: Items, engine: Engine, min_cell: int) -> pd.DataFrame:
    """Revenue, units and buyers per item, guests' lines included (a total that needs no
    customer; each guest order counts as a buyer), named items by revenue and "other products"
    last; the figures of an item with fewer buyers than `min_cell` hidden."""
    kept = lines.filter(~lines.returned)
    kept = kept.mutate(item=_item(kept, items))
    metrics = {
        "revenue": kept.amount.sum(),
        "buyers": kept.customer_id.nunique() + kept.order_id.nunique(where=kept.customer_id.isnull())
        if "order_id" in kept.columns
        else kept.customer_id.nunique() + kept.count(where=kept.customer_id.isnull()),
        "lines": kept.count(),
    }
    if "quantity" in kept.columns:
        metrics["units"] = kept.quantity.sum()
    table = engine.execute(kept.group_by("item").aggregate(**metrics))
    table["share of revenue %"] = 100 * table["revenue"] / table["revenue"].sum()
    table["_other"] = table["item"] == OTHER
    table = table.sort_values(["_other", "revenue"], ascending=[True, False]).drop(columns="_other")
    small = table["buyers"] < min_cell
    table.loc[small, [c for c in table.columns if c not in ("item", "buyers")]] = np.nan
    return table.rename(columns={"item": items.word}).set_index(items.word)


def spend_table(mix: pd.DataFrame, group_name: str, item_name: str = "item", top: int = 6) -> pd.DataFrame:
    """Each group's largest items by share of its spend, against everyone, as a report table."""
    rows = mix[mix["item"] != OTHER].dropna(subset=["share of spend %"])
    rows = rows.sort_values(["group", "share of spend %"], ascending=[True, False]).groupby("group").head(top)
    shown = ["share of spend %", EVERYONE, "index", "spend per buyer", OTHERS]
    shown += ["price index"] if "price index" in rows else []
    out = rows.rename(columns={"group": group_name, "item": item_name})[
        [group_name, item_name, "buyers", *shown]
    ]
    return out.set_index([group_name, item_name])


def group_bullets(mix: pd.DataFrame | None) -> list[str]:
    """What each group buys, one bullet per group that has something to say."""
    if mix is None:
        return []
    out = []
    for group in sorted(mix["group"].unique()):
        said = buying_lines(mix, group)
        if said:
            out.append(f"**{group}**: " + "; ".join(s[0].lower() + s[1:] for s in said) + ".")
    return out


def buying_facts(mix: pd.DataFrame, group: str) -> dict[str, list[tuple[str, str]]]:
    """A persona card's statements about what its group buys, each with the figure behind it:
    what they buy more than everyone, and what they splurge and save on."""
    facts: dict[str, list[tuple[str, str]]] = {"What they buy": [], "Splurges on / saves on": []}
    for r in favourites(mix, group, top=2).to_dict("records"):
        facts["What they buy"].append(
            (
                f"Buys more {r['item']} than others",
                f"{r['share of spend %']:.0f}% of their spend against {r[EVERYONE]:.0f}% for everyone "
                f"(index {r['index']:.0f})",
            )
        )
    for r in splurges(mix, group).head(1).to_dict("records"):
        facts["Splurges on / saves on"].append(
            (
                f"Splurges on {r['item']}",
                f"{formats.money(r['spend per buyer'])} per buyer against {formats.money(r[OTHERS])} "
                f"for other buyers ({r[RATIO]:.1f}×)",
            )
        )
    for r in savings(mix, group).head(1).to_dict("records"):
        facts["Splurges on / saves on"].append(
            (f"Saves on {r['item']}", f"pays {100 - r['price index']:.0f}% below its usual price")
        )
    return facts


def labels_by_id(segments: pd.Series, ids: pd.Series) -> pd.Series:
    """Segment numbers (aligned to the frame) as labels by customer id, for the engine."""
    return pd.Series(segments.astype("Int64").astype(str).to_numpy(), index=ids.astype(str).to_numpy())
