"""`workbook init`: guess a commented parameter file from a data file.

Reads the file(s) with the project's own readers, guesses each column's role from its values
first and its name second, and writes a parameter file in which every guess carries a comment
saying why and how sure. Nothing here is certain: the file is a first draft that runs, for the
user to confirm. No rule knows the demo: roles come from what values look like (e-mails, dates,
repeated ids, answer grids, ordered words, 0/1 picks) and from common names in several
languages of export (`cust_id`, `CustomerID`, `agea`, `cntry`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers.core.errors import WorkbookError
from helpers.core.names import name_tokens
from helpers.core.privacy import personal_share
from helpers.setup.facts import Facts, as_dates, facts_of, numeric_date_format
from helpers.setup.roles import (
    GUESS,
    LIKELY,
    NAMING_RULES,
    SURE,
    TYPICAL_SCALES,
    CustomerGuess,
    Guess,
    ScaleGuess,
    common_prefix,
    dimension_of,
    is_binary,
    is_demographic,
    is_geographic,
    names_share,
    numeric_scales,
    personal_guess,
    reversed_items_of,
    stem_of,
    word_scale_of,
)
from helpers.setup.words import (
    AGREEMENT_5,
    AGREEMENT_7,
    CHANNEL_WORDS,
    COUNT_WORDS,
    HR_SURE,
    HR_WORDS,
    ID_WORDS,
    MEMBER_WORDS,
    MONEY_WORDS,
    ORDER_WORDS,
    ORDERED_DEMOGRAPHICS,
    PATIENT_WORDS,
    PROMO_WORDS,
    WHO_WORDS,
    WORD_SCALES,
    has_word,
    pretty,
)


def _binary_sets(guess: CustomerGuess, binaries: list[Facts], order: list[str]) -> None:
    """0/1 columns that belong together (a shared prefix, or three or more side by side) form a
    multiple-response set; a lone 0/1 column is a yes/no category."""
    position = {c: i for i, c in enumerate(order)}
    runs: list[list[Facts]] = []
    for f in binaries:
        if runs and position[f.name] == position[runs[-1][-1].name] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    by_prefix: dict[str, list[Facts]] = {}
    for f in binaries:
        tokens = f.tokens
        if len(tokens) > 1:
            by_prefix.setdefault(tokens[0], []).append(f)
    used: set[str] = set()
    sets: list[tuple[str, list[Facts], str]] = []
    for prefix, members in by_prefix.items():
        if len(members) >= 3:
            sets.append((prefix, members, f"{len(members)} 0/1 columns named {prefix}_…"))
            used |= {m.name for m in members}
    for run in runs:
        run = [f for f in run if f.name not in used]
        if len(run) >= 3:
            name = common_prefix([f.name for f in run]).strip("_-") or f"picks_{len(sets) + 1}"
            sets.append((name, run, f"{len(run)} neighbouring 0/1 columns ({run[0].name} … {run[-1].name})"))
    for name, members, why in sets:
        key = re.sub(r"[^A-Za-z0-9_]", "_", name)
        dim, dim_why = dimension_of([t for m in members for t in m.tokens])
        if key.startswith("picks_"):
            guess.unnamed_sets.append(key)
        guess.multi[key] = {
            "dimension": dim,
            "columns": [m.name for m in members],
            "label": pretty(name)
            if not name.startswith("picks_")
            else f"Picks ({members[0].name} … {members[-1].name})",
        }
        for m in members:
            guess.roles[m.name] = Guess(
                f"multi_response:{key}", f"{why}: one multiple-response question", LIKELY
            )


def _hide_duplicates(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """A number that another one fixes exactly (charges = minutes × rate) adds nothing: hidden."""
    numeric = [
        c
        for c, g in guess.roles.items()
        if g.role in ("demographic", "geographic", "behavioural")
        and guess.facts[c].kind in ("int", "float")
        and guess.facts[c].distinct > 12
    ]
    if len(numeric) < 2:
        return
    data = frame[numeric].apply(pd.to_numeric, errors="coerce")
    if len(data) > 20000:
        data = data.sample(20000, random_state=0)
    corr = data.corr().abs()
    kept: list[str] = []
    for c in numeric:
        twin = next((k for k in kept if corr.loc[c, k] >= 0.995), None)
        if twin is None:
            kept.append(c)
        else:
            guess.roles[c] = Guess(
                "hidden", f"the same information as {twin} (r = {corr.loc[c, twin]:.3f})", SURE
            )


def _obvious_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """Personal data, and columns with no values or one value on every row."""
    for c, f in guess.facts.items():
        found = personal_guess(f, frame[c])
        if found:
            guess.roles[c] = found
        elif f.kind == "text" and names_share(f) >= 0.5:
            shown = ", ".join(map(str, f.values[:2]))
            guess.notes.append(
                f"columns: {c} holds person names ({shown}, …) that repeat (staff? agents?); "
                "if they are people, move it to `columns.personal`"
            )
        elif f.kind == "empty":
            guess.roles[c] = Guess("hidden", "no values at all", SURE)
        elif f.constant:
            guess.roles[c] = Guess("hidden", f"the same value on every row ({f.values[0]})", SURE)


def _the_id(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """The id: unique on every row, named like an id (else the first such column)."""
    facts, roles = guess.facts, guess.roles
    ids = [c for c, f in facts.items() if c not in roles and f.unique and f.kind in ("int", "text")]
    named = [c for c in ids if has_word(facts[c].tokens, ID_WORDS) or str(c).lower().endswith("id")]
    chosen = (named or ids[:1] or [None])[0]
    if chosen is None:
        raise WorkbookError(
            "no column is different on every row, so none can be the id; add one (a row number will "
            "do) and run `workbook init` again"
        )
    roles[chosen] = Guess(
        "id", "different on every row" + (", named like an id" if named else ""), SURE if named else LIKELY
    )


def _named_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """Each column not yet placed, through the naming rules in order."""
    for c, f in guess.facts.items():
        if c in guess.roles:
            continue
        for rule in NAMING_RULES:
            found = rule(guess, frame[c], f)
            if found is not None:
                guess.roles[c] = found
                break


def _word_scale_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """Answer scales in words: columns sharing one ordered set of words."""
    word_scales: dict[tuple[str, tuple], list[str]] = {}
    for c, f in guess.facts.items():
        if c in guess.roles:
            continue
        found = word_scale_of(f)
        if found and not has_word(f.tokens, ORDERED_DEMOGRAPHICS, ("income", "salar", "educ")):
            word_scales.setdefault((found[0], tuple(found[1])), []).append(c)
    for (kind, points), items in word_scales.items():
        _levels, low, high = WORD_SCALES[kind]
        labels = {p: str(p).replace("_", " ").capitalize() for p in points if "_" in str(p)}
        name = kind if not any(s.name == kind for s in guess.scales) else f"{kind}_{len(guess.scales) + 1}"
        why = "ordered words: " + " < ".join(str(p) for p in points)
        guess.scales.append(ScaleGuess(name, items, list(points), low, high, labels, why))
        for c in items:
            guess.roles[c] = Guess(
                "psychographic", f"answers on an ordered scale ({' < '.join(map(str, points))})", LIKELY
            )


def _scale_words(tokens: list[str], low: int, high: int) -> tuple[str, str]:
    """The words at a numeric scale's two ends, from its items' names."""
    if has_word(tokens, {"sat", "csat"}, ("satisf",)):
        return "dissatisfied", "satisfied"
    if has_word(tokens, (), ("likel", "recommend")):
        return "unlikely", "likely"
    if has_word(tokens, (), ("import",)):
        return "unimportant", "important"
    return ("disagree", "agree") if (low, high) in ((1, 5), (1, 7)) else ("low", "high")


def _numeric_scale_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """Answer grids in numbers: runs of whole-number items on a typical scale."""
    candidates = [
        f
        for c, f in guess.facts.items()
        if c not in guess.roles
        and f.kind == "int"
        and (f.low, f.high) in TYPICAL_SCALES
        and f.distinct >= 3
        and not is_demographic(f.tokens)
        and not is_geographic(f.tokens)
        and not has_word(f.tokens, COUNT_WORDS)
    ]
    for items, why in numeric_scales(candidates):
        names = [f.name for f in items]
        low, high = int(items[0].low or 0), int(items[0].high or 0)
        words = _scale_words([t for f in items for t in f.tokens], low, high)
        if words == ("disagree", "agree") and (low, high) == (1, 5):
            labels: dict[Any, str] = dict(zip(range(1, 6), AGREEMENT_5, strict=True))
        elif words == ("disagree", "agree") and (low, high) == (1, 7):
            labels = dict(zip(range(1, 8), AGREEMENT_7, strict=True))
        else:
            labels = {low: f"{low} ({words[0]})", high: f"{high} ({words[1]})"}
        stem = common_prefix(names).strip("_-") if len(names) > 1 else stem_of(names[0])
        name = re.sub(r"[^a-z0-9_]", "_", stem.lower()) or "scale"
        points = list(range(low, high + 1))
        reversed_items = reversed_items_of(frame, names)
        guess.scales.append(ScaleGuess(name, names, points, words[0], words[1], labels, why, reversed_items))
        for f in items:
            guess.roles[f.name] = Guess("psychographic", why, LIKELY)


def _binary_set_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    """0/1 picks as multiple-response sets."""
    binaries = [f for c, f in guess.facts.items() if c not in guess.roles and is_binary(f)]
    _binary_sets(guess, binaries, list(guess.facts))


def _remaining_role(guess: CustomerGuess, f: Facts) -> Guess:
    """A category or a number, in the dimension its name suggests (or none at all)."""
    tokens = f.tokens
    if f.kind == "text" and f.distinct == f.answered and f.answered > 50:
        return Guess("", "a different text on every row: neither a category nor an answer in words", SURE)
    if f.kind == "text" and f.distinct > 200 and f.distinct > 0.5 * f.answered:
        return Guess("", f"{f.distinct:,} different short texts: too many for a category", LIKELY)
    dim, why = dimension_of(tokens)
    if dim == "psychographic":  # attitude items are answers on a scale; this one is not
        dim, why = "behavioural", "named like an attitude, but not answered on a scale"
    coded = (
        f.kind == "int"
        and (f.low or 0) >= 1
        and f.distinct <= 12
        and (f.high or 0) - (f.low or 0) + 1 <= 2 * f.distinct
        and not has_word(tokens, COUNT_WORDS)
    ) or is_binary(f)
    if coded and f.kind == "int":
        why = f"{f.distinct} whole-number codes ({f.span()}); " + why
        codes = sorted(int(v) for v in f.values)
        guess.placeholders[str(f.name)] = {0: "No", 1: "Yes"} if is_binary(f) else {v: str(v) for v in codes}
    elif f.kind in ("int", "float"):
        why = f"numbers {f.span()}; " + why
    elif f.kind in ("text", "bool"):
        why = f"{f.distinct} categories; " + why
    sure = GUESS if why.endswith("are") or "no name hint" in why else LIKELY
    money = has_word(tokens, MONEY_WORDS) and f.kind in ("int", "float")
    return Guess(dim, why, sure, coded=coded and f.kind == "int", money=money)


def _remaining_roles(guess: CustomerGuess, frame: pd.DataFrame) -> None:
    for c, f in guess.facts.items():
        if c not in guess.roles:
            guess.roles[c] = _remaining_role(guess, f)


# the steps of a guess, in order: each places the columns the earlier ones left
CUSTOMER_STEPS = (
    _obvious_roles,
    _the_id,
    _named_roles,
    _word_scale_roles,
    _numeric_scale_roles,
    _binary_set_roles,
    _remaining_roles,
    _hide_duplicates,
)


def guess_customers(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> CustomerGuess:
    """Each column's role in a customer, survey or CRM file (``labels``: the questions' names the
    file gives, such as SPSS variable labels)."""
    facts = {c: facts_of(str(c), frame[c]) for c in frame.columns}
    guess = CustomerGuess(roles={}, facts=facts, file_labels=dict(labels or {}))
    for step in CUSTOMER_STEPS:
        step(guess, frame)
    return guess


def guess_population(cg: CustomerGuess | None, has_orders: bool) -> tuple[str, str]:
    """What the people of a file are called (plural) and why: employees in an HR export,
    respondents in a survey (attitude answers or a weight, no orders, no status), else customers."""
    if cg is None:
        return "customers", "a transaction log: the people who ordered"
    tokens = {t for f in cg.facts.values() for t in f.tokens} | {
        t for c in cg.facts for t in name_tokens(str(c).replace("_", ""))
    }
    hr = tokens & HR_WORDS
    if (hr & HR_SURE or len(hr) >= 2) and (cg.status or "attrition" in hr):
        return "employees", "an HR file (columns named " + ", ".join(sorted(hr)[:3]) + ")"
    if tokens & PATIENT_WORDS:
        return "patients", "named like patient records"
    if has_orders:
        return "customers", "people with orders"
    if cg.status:
        return "customers", "a status column says who left or stayed"
    if cg.scales or cg.columns_of("weight"):
        return "respondents", "a survey: answers on scales, no orders and no status"
    if tokens & MEMBER_WORDS:
        return "members", "named like a membership file"
    return "customers", "one row per customer (no survey answers)"


@dataclass
class OrdersGuess:
    """The columns of a transaction log."""

    columns: dict[str, str]  # OrderColumns key -> column
    why: dict[str, str]
    timestamp_format: str | None
    decimal: str | None = None
    unused: dict[str, str] = field(default_factory=dict)  # column -> what it looked like
    last_date: dt.date | None = None
    first_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)
    guests: int = 0  # rows with no customer id (guest checkouts)
    pseudonymise: bool = False  # the customer id is personal data (e-mail addresses)


def _email_key(facts: dict[str, Facts]) -> str | None:
    """A column of e-mail addresses that repeat: the customer key of a shop export (Shopify,
    WooCommerce) that knows its customers only by e-mail."""
    for f in facts.values():
        if f.kind != "text" or f.unique or f.distinct < 10 or f.rows / max(f.distinct, 1) < 1.2:
            continue
        share = personal_share(pd.Series(f.values, dtype="string"))
        if share and share[0] == "e-mail addresses" and share[1] >= 0.8:
            return f.name
    return None


def _repeating_id(facts: dict[str, Facts], headerless: bool) -> str | None:
    """The column naming who placed each row, when ids repeat (a transaction log)."""
    for f in facts.values():
        if f.kind not in ("int", "text") or f.unique or f.distinct < 2:
            continue
        named = has_word(f.tokens, ID_WORDS | WHO_WORDS) or f.name.lower().endswith("id")
        if has_word(f.tokens, ORDER_WORDS) and not has_word(f.tokens, WHO_WORDS):
            continue
        if (named or headerless) and f.rows / max(f.distinct, 1) >= 1.2 and f.distinct >= 10:
            return f.name
    return None


def is_transaction_log(frame: pd.DataFrame, headerless: bool = False) -> tuple[bool, str]:
    """Whether a file is a transaction log (ids that repeat, with a date), and why."""
    facts = {str(c): facts_of(str(c), frame[c]) for c in frame.columns}
    who = _repeating_id(facts, headerless) or _email_key(facts)
    dates = [c for c, f in facts.items() if f.kind == "date"]
    if who and dates:
        per = len(frame) / max(facts[who].distinct, 1)
        return True, f"'{who}' repeats (about {per:.1f} rows per id) and '{dates[0]}' holds dates"
    return False, ""


STAMP_WORDS = {"date", "time", "ts", "timestamp", "at", "datetime", "created", "ordered"}
# the order's value: amount or total before subtotal, net or gross
AMOUNT_RANK = ["amount", "total", "value", "revenue", "sales", "paid", "price", "net", "gross", "subtotal"]


def _order_stamp(facts: dict[str, Facts]) -> Facts:
    """The column of order dates: the first named like a date or time, else the first of dates."""
    dates = [f for f in facts.values() if f.kind == "date"]
    if not dates:
        raise WorkbookError("the orders file has no column of dates or times; orders need a timestamp")
    named = [f for f in dates if has_word(f.tokens, STAMP_WORDS)]
    return (named or dates)[0]


def _order_id(facts: dict[str, Facts], who: str) -> Facts | None:
    """A column different on every (answered) row and named like an order id."""
    order_ids = [
        f
        for f in facts.values()
        if f.kind in ("int", "text")
        and f.name != who
        and f.distinct >= 0.99 * f.rows
        and f.answered == f.rows
    ]
    named_ids = [f for f in order_ids if has_word(f.tokens, ORDER_WORDS | ID_WORDS)]
    return named_ids[0] if named_ids else None


QUANTITY_WORDS = {"quantity", "qty", "quantities", "units", "qnt"}
PRICE_WORDS = {"price", "unitprice", "rate", "cost"}


def _order_lines(facts: dict[str, Facts], who: str) -> dict[str, Facts] | None:
    """Order lines: an order id that repeats (several rows per order), a quantity and a unit
    price; None when the file is not shaped so."""
    ids = [
        f
        for f in facts.values()
        if f.kind in ("int", "text")
        and f.name != who
        and f.answered == f.rows
        and (has_word(f.tokens, ORDER_WORDS) or _order_number(f))
        and "status" not in f.tokens
        and f.distinct >= f.rows / 100
        and f.rows / max(f.distinct, 1) >= 1.2
    ]
    numbers = [f for f in facts.values() if f.kind in ("int", "float")]
    quantity = next((f for f in numbers if has_word(f.tokens, QUANTITY_WORDS)), None)
    price = next((f for f in numbers if has_word(f.tokens, PRICE_WORDS) and f is not quantity), None)
    if not (ids and quantity and price):
        return None
    return {"order_id": ids[0], "quantity": quantity, "unit_price": price}


def _order_number(f: Facts) -> bool:
    """Shopify's order column: `Name`, holding order numbers such as #1001."""
    written = [str(v) for v in f.values]
    return f.name.strip().lower() == "name" and bool(written) and all(v.startswith("#") for v in written)


PRODUCT_WORDS = {"product", "lineitem", "item", "article", "stock", "sku", "description"}
PRODUCT_NAME_WORDS = {"name", "description", "title"}
CATEGORY_WORDS = {"category", "categories", "department", "collection"}
REFUND_WORDS = {"refunded", "refund", "refunds"}
CANCEL_WORDS = {"cancelled", "canceled", "cancellation", "cancelled_at"}
STATUS_VALUES = {"paid", "refunded", "partially_refunded", "pending", "completed", "cancelled", "voided"}


def _order_extras(facts: dict[str, Facts], taken: set[str]) -> dict[str, tuple[Facts, str]]:
    """What an order line holds besides its money: the product, its category, the order's channel,
    its status, its cancellation date, the amount refunded and a return reason; each with why."""
    free = [f for f in facts.values() if f.name not in taken and f.kind != "empty"]
    found: dict[str, tuple[Facts, str]] = {}

    def first(key: str, why: str, test: Any) -> None:
        hit = next((f for f in free if test(f) and all(f is not g for g, _ in found.values())), None)
        if hit is not None:
            found[key] = (hit, why)

    texts = [f for f in free if f.kind == "text"]
    named = [f for f in texts if has_word(f.tokens, PRODUCT_WORDS) and has_word(f.tokens, PRODUCT_NAME_WORDS)]
    named += [f for f in texts if f.tokens == ["description"]]
    if named:
        found["product"] = (named[0], f"the product on each line ({named[0].distinct:,} products)")
    else:
        first(
            "product",
            "the product's code on each line",
            lambda f: f.kind == "text" and has_word(f.tokens, PRODUCT_WORDS),
        )
    first(
        "category",
        "the product's category",
        lambda f: (
            f.kind == "text" and (has_word(f.tokens, CATEGORY_WORDS) or {"product", "type"} <= set(f.tokens))
        ),
    )
    first(
        "channel",
        "the order's channel",
        lambda f: f.kind == "text" and has_word(f.tokens, CHANNEL_WORDS) and f.distinct <= 50,
    )
    first(
        "status",
        "the order's status (refunded and cancelled orders are left out of revenue)",
        lambda f: "status" in f.tokens and bool({str(v).lower() for v in f.values} & STATUS_VALUES),
    )
    first("cancelled_at", "set when the order was cancelled", lambda f: has_word(f.tokens, CANCEL_WORDS))
    first(
        "refunded_amount",
        "the amount refunded on the order",
        lambda f: has_word(f.tokens, REFUND_WORDS) and f.kind in ("int", "float", "text"),
    )
    first("return_reason", "why a line was returned", lambda f: "reason" in f.tokens)
    return found


def _order_amount(facts: dict[str, Facts], taken: set[str]) -> tuple[Facts | None, bool]:
    """The order's value: a number named like money (amount and total first), else numbers with
    cents; and whether it was named like money."""
    numbers = [f for f in facts.values() if f.kind in ("int", "float") and f.name not in taken]
    money = [f for f in numbers if has_word(f.tokens, MONEY_WORDS | set(AMOUNT_RANK))]
    money.sort(
        key=lambda f: min([AMOUNT_RANK.index(t) for t in f.tokens if t in AMOUNT_RANK] or [len(AMOUNT_RANK)])
    )
    floats = [f for f in numbers if f.kind == "float" and not has_word(f.tokens, COUNT_WORDS | ID_WORDS)]
    return (money or floats or [None])[0], bool(money)


def _order_flags(facts: dict[str, Facts], cols: dict[str, str], why: dict[str, str]) -> None:
    """Yes/no columns named full price or prepaid, added to the guessed columns."""
    for key, words in (("full_price", {"full", "price"}), ("prepaid", {"prepaid"})):
        for f in facts.values():
            if f.name not in cols.values() and words <= set(f.tokens) and (f.kind == "bool" or is_binary(f)):
                cols[key] = f.name
                why[f.name] = f"yes/no, named {key.replace('_', ' ')}"


def _unused_order_columns(facts: dict[str, Facts], used: set[str]) -> dict[str, str]:
    """The orders' other columns and what each looked like."""
    unused = {}
    for f in facts.values():
        if f.name in used:
            continue
        if has_word(f.tokens, CHANNEL_WORDS):
            unused[f.name] = "a channel per order"
        elif has_word(f.tokens, PROMO_WORDS):
            unused[f.name] = "a promotion per order"
        else:
            unused[f.name] = f"{f.kind}, {f.distinct:,} values"
    return unused


def guess_orders(frame: pd.DataFrame, headerless: bool = False) -> OrdersGuess:
    """The customer id, timestamp, amount and order id of a transaction log."""
    facts = {str(c): facts_of(str(c), frame[c]) for c in frame.columns}
    email = _email_key(facts)
    who = _repeating_id(facts, headerless) or email
    if who is None:
        raise WorkbookError(
            "cannot tell which column says who placed each order: no id-like column repeats; "
            "name it customer_id (or give the customer file with --orders)"
        )
    cols = {"customer_id": who}
    why = {who: f"ids that repeat ({facts[who].distinct:,} people over {len(frame):,} rows)"}
    if who == email:
        why[who] = f"e-mail addresses that repeat ({facts[who].distinct:,} people): pseudonymised at load"
    stamp = _order_stamp(facts)
    cols["timestamp"] = stamp.name
    why[stamp.name] = "dates" + (f" written as {stamp.date_format}" if stamp.date_format else "")
    lines = _order_lines(facts, who)
    order_id = lines["order_id"] if lines else _order_id(facts, who)
    if order_id is not None:
        cols["order_id"] = order_id.name
        why[order_id.name] = (
            f"an order id that repeats ({order_id.distinct:,} orders over {len(frame):,} lines)"
            if lines
            else "different on every row, named like an order id"
        )
    amount, named_money = (None, False) if lines else _order_amount(facts, set(cols.values()))
    for key, f in (lines or {}).items():
        if key != "order_id":
            cols[key] = f.name
            why[f.name] = "each line's " + ("quantity" if key == "quantity" else "price of one unit")
    if amount is not None:
        cols["amount"] = amount.name
        why[amount.name] = "named like money" if named_money else "numbers with cents"
        if amount.decimal:
            why[amount.name] = f"money written as text (e.g. {amount.values[0]})"
    if lines:
        for key, (f, reason) in _order_extras(facts, set(cols.values())).items():
            cols[key], why[f.name] = f.name, reason
    _order_flags(facts, cols, why)
    unused = _unused_order_columns(facts, set(cols.values()))
    notes: list[str] = []
    if stamp.date_format is None and not pd.api.types.is_datetime64_any_dtype(frame[stamp.name]):
        fmt, fmt_why = numeric_date_format(frame[stamp.name])
        if fmt:
            stamp.date_format = fmt
            why[stamp.name] = f"dates written {fmt_why}"
        elif fmt_why:
            notes.append(f"orders.timestamp_format: {stamp.name} holds {fmt_why}; write %d/%m/%Y or %m/%d/%Y")
    stamps = as_dates(frame[stamp.name], stamp.date_format).dropna()
    decimal = amount.decimal if amount else (lines["unit_price"].decimal if lines else None)
    out = OrdersGuess(cols, why, stamp.date_format, decimal, unused, notes=notes)
    out.guests = facts[who].rows - facts[who].answered
    if lines and out.guests:  # an export that names the customer on an order's first line only
        order_col = lines["order_id"].name
        known = frame[who].notna().groupby(frame[order_col]).transform("any")
        out.guests = int((~known).sum())
    out.pseudonymise = who == email
    if len(stamps):
        out.first_date, out.last_date = stamps.min().date(), stamps.max().date()
    return out
