"""Step 1, explore: data overview, data quality and every variable profiled by dimension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core import formats
from helpers.core.privacy import SMALL_GROUPS, fold_small, suppress_rows, suppress_small
from helpers.data.dataset import Dataset, is_numeric_column, weights
from helpers.data.engine import order_crosstab, orders_by_month
from helpers.data.fields import multi_response
from helpers.params.config import Params
from helpers.params.inputs import DIMENSIONS
from helpers.params.schema import (
    display_values,
    label_of,
    population,
    scale_of,
    status_column,
    status_groups,
    value_words,
)

__all__ = ["label_of"]  # notebooks name columns through explore.label_of

NO_ANSWER = "(no answer)"
NO_PROMOTION = "no promotion code"  # what a blank promotion code means (01 and 04 alike)
OTHER = "(other answers)"


def dimension_variables(params: Params) -> dict[str, list[str]]:
    """Profile variables per dimension: single columns, then multiple-response set names."""
    assert params.columns is not None
    out = {dim: params.profile_columns(dim) for dim in DIMENSIONS}
    for name, mr in params.columns.multi_response.items():
        if not mr.from_text:  # themes of open answers have their own section
            out[mr.dimension].append(name)
    return out


def promotion_or_none(values: pd.Series) -> pd.Series:
    """Promotion codes as reports show them: a blank code is "no promotion code", not unknown."""
    return values.astype("string").fillna(NO_PROMOTION)


def acquisition_columns(params: Params) -> list[str]:
    """The acquisition channel, promotion and cost columns that the parameters declare."""
    if params.columns is None:
        return []
    acq = params.columns.acquisition
    return [c for c in (acq.channel, acq.promotion, acq.cost) if c]


def with_labels(table: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The table with its index (column names) replaced by readable labels."""
    return table.rename(index={c: label_of(str(c), params) for c in table.index})


def weighted_share(values: pd.Series, w: pd.Series) -> pd.Series:
    """Weighted share of each value among the answered (in %)."""
    answered = values.notna()
    totals = w[answered].groupby(values[answered], observed=True).sum()
    return 100 * totals / totals.sum() if totals.sum() else totals


def status_counts(customers: pd.DataFrame, params: Params) -> pd.DataFrame:
    """People by status (as the file writes it, with its meaning where the parameters give one):
    count and share; statuses held by fewer people than the privacy minimum are hidden."""
    column = status_column(params)
    assert column is not None
    values = customers[column]
    status = display_values(values).fillna(NO_ANSWER)
    status = fold_small(status, params.privacy.min_cell)
    out = pd.DataFrame({"people": status.value_counts()})
    meaning = pd.Series(status_groups(values, params).to_numpy(), index=status.to_numpy())
    meaning = meaning[~meaning.index.duplicated()]
    if meaning.notna().any():
        meaning = meaning.reindex(out.index)
        meaning[meaning.index == SMALL_GROUPS] = pd.NA  # several statuses: no one meaning
        out.insert(0, "meaning", meaning.fillna("—").to_numpy())
    out["share %"] = 100 * out["people"] / out["people"].sum()
    out.index.name = label_of(column, params)
    out = suppress_rows(out, "people", params.privacy.min_cell, keep=["meaning"])
    return out.rename(columns={"people": "accounts"}) if params.unit == "account" else out


def largest_gaps(missing: pd.DataFrame | None, top: int = 10) -> pd.DataFrame | None:
    """The ``top`` variables with the most missing answers, for the page (None when none is missing)."""
    if missing is None:
        return None
    gaps = missing[missing["missing"] > 0].head(top).drop(columns="column")
    return gaps if len(gaps) else None


def missing_summary(customers: pd.DataFrame | None, params: Params) -> pd.DataFrame | None:
    """Missing answers of every profile variable, most missing first (None without customers)."""
    if customers is None:
        return None
    rows = []
    cols = params.columns
    # beside the four dimensions: the likelihood to recommend and how customers were won (a
    # blank promotion code means no promotion, so it is not a gap)
    extra = {"NPS": [cols.nps] if cols and cols.nps else []}
    if cols:
        extra["acquisition"] = [c for c in (cols.acquisition.channel, cols.acquisition.cost) if c]
    for dim, variables in {**dimension_variables(params), **extra}.items():
        for var in variables:
            if var not in customers:
                continue
            if params.columns and var in params.columns.multi_response:
                answered = multi_response(customers, params, var).notna().any(axis=1)
                missing = int((~answered).sum())
            else:
                missing = int(customers[var].isna().sum())
            rows.append(
                {
                    "variable": label_of(var, params),
                    "column": var,
                    "dimension": dim,
                    "missing": missing,
                    "missing %": 100 * missing / max(len(customers), 1),
                }
            )
    out = pd.DataFrame(rows, columns=["variable", "column", "dimension", "missing", "missing %"])
    return out.sort_values(["missing", "variable"], ascending=[False, True], ignore_index=True)


def odd_values(customers: pd.DataFrame, params: Params, columns: list[str] | None = None) -> pd.DataFrame:
    """Numeric values far outside the usual range (beyond k IQRs of the quartiles), per column."""
    k = params.explore.outlier_iqr
    if columns is None:
        columns = [c for c in customers.columns if is_numeric_column(customers[c])]
    rows = []
    for col in columns:
        x = pd.to_numeric(customers[col], errors="coerce").dropna().astype(float)
        if x.empty:
            continue
        q1, q3 = np.percentile(x, [25, 75])
        lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        n_odd = int(((x < lo) | (x > hi)).sum())
        places = 0 if bool((x % 1 == 0).all()) else 1
        low, high = (formats.number(v, places) for v in (max(lo, x.min()), min(hi, x.max())))
        rows.append(
            {
                "variable": label_of(col, params),
                "column": col,
                "usual range": f"{low} – {high}",
                "odd values": n_odd,
                "odd %": 100 * n_odd / len(x),
                "action": "kept; shown here",
            }
        )
    return pd.DataFrame(rows, columns=["variable", "column", "usual range", "odd values", "odd %", "action"])


def profile_categorical(
    values: pd.Series, w: pd.Series, max_categories: int = 12, min_cell: int = 0
) -> pd.DataFrame:
    """Counts, unweighted and weighted shares of one categorical variable (missing shown apart;
    answers of fewer people than ``min_cell`` folded into one "Other (small groups)" row)."""
    answered = fold_small(display_values(values.dropna()).astype(str), min_cell)
    counts = answered.value_counts()
    share = weighted_share(answered, w.loc[answered.index])
    out = pd.DataFrame(
        {
            "respondents": counts,
            "share %": 100 * counts / max(counts.sum(), 1),
            "weighted %": share.reindex(counts.index),
        }
    )
    if _is_ordered(out.index):
        out = out.sort_index(key=_order_key)
    if len(out) > max_categories:
        head, tail = out.iloc[: max_categories - 1], out.iloc[max_categories - 1 :]
        out = pd.concat([head, tail.sum().to_frame(OTHER).T])
    missing = int(values.isna().sum())
    if missing:
        out.loc[NO_ANSWER] = [missing, np.nan, np.nan]
    out["respondents"] = out["respondents"].astype(int)
    out.index.name = "answer"
    return out


def _is_ordered(index: pd.Index) -> bool:
    return all(str(v)[:1].isdigit() or str(v).lower().startswith(("under", "<", "code ")) for v in index)


def _order_key(index: pd.Index) -> pd.Index:
    def first_number(v: object) -> float:
        s = str(v).lower()
        if s.startswith(("under", "<")):
            return -1.0
        digits = "".join(ch for ch in s.split("-")[0] if ch.isdigit() or ch == ".")
        return float(digits) if digits else np.inf

    return pd.Index([first_number(v) for v in index])


def profile_numeric(values: pd.Series, w: pd.Series) -> pd.DataFrame:
    """Summary of a numeric variable: count, missing, weighted mean, median and spread."""
    x = pd.to_numeric(values, errors="coerce").astype(float)
    ok = x.notna()
    xs, ws = x[ok].to_numpy(), w[ok].to_numpy()
    if not len(xs):
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "respondents": [int(ok.sum())],
            "missing": [int((~ok).sum())],
            "mean": [xs.mean()],
            "weighted mean": [np.average(xs, weights=ws)],
            "median": [np.median(xs)],
            "10th pct": [np.percentile(xs, 10)],
            "90th pct": [np.percentile(xs, 90)],
        },
        index=[values.name],
    )


def likert_summary(
    customers: pd.DataFrame | None, params: Params, items: list[str] | None = None
) -> pd.DataFrame:
    """Attitude items: weighted % per answer, mean, top box and bottom box (each item on its own
    scale; the boxes never overlap), sorted by the top box. Items on scales with other labels
    share the columns of their position, so one table holds scales of one length best: see
    `likert_tables` for several."""
    items = items if items is not None else params.profile_columns("psychographic")
    rows = {}
    if customers is None:
        items = []
    else:
        w = weights(customers, params)
    for item in items:
        scale = scale_of(item, params)
        x = scale.numbers(customers[item])
        ok = x.notna()
        share = weighted_share(x[ok], w[ok]).reindex(list(scale.points), fill_value=0.0)
        row = {label: share[p] for p, label in zip(scale.points, scale.labels, strict=True)}
        row["mean"] = (
            np.average(x[ok], weights=w[ok]) if ok.any() and scale.size > 2 else np.nan
        )  # a two-point answer has shares, not a mean
        row["top box %"] = share[list(scale.top)].sum()
        row["bottom box %"] = share[list(scale.bottom)].sum()
        row["respondents"] = int(ok.sum())
        rows[item] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    if out.empty:
        return pd.DataFrame(columns=["mean", "top box %", "bottom box %", "respondents"])
    out.index.name = "item"
    return out.sort_values("top box %", ascending=False)


def likert_tables(customers: pd.DataFrame, params: Params) -> dict[str, pd.DataFrame]:
    """One attitude summary per answer scale in use (items grouped by their scale's labels),
    keyed by a description of the scale for the chart title."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for item in params.profile_columns("psychographic"):
        groups.setdefault(scale_of(item, params).labels, []).append(item)
    out = {}
    for labels, items in groups.items():
        scale = scale_of(items[0], params)
        name = f"{labels[0]} … {labels[-1]}; {scale.box_text()}, {scale.box_text(top=False)}"
        out[name] = likert_summary(customers, params, items)
    return out


def multi_response_summary(customers: pd.DataFrame, params: Params, name: str) -> pd.DataFrame:
    """How many respondents pick each answer of a multiple-response set, their share of those who
    answered the set, and the weighted share."""
    picks = multi_response(customers, params, name)
    answered = picks.notna().any(axis=1)
    w = weights(customers, params)[answered]
    p = picks[answered].fillna(False).astype(bool)
    out = pd.DataFrame(
        {
            "respondents": p.sum(),
            "share %": 100 * p.sum() / max(int(answered.sum()), 1),
            "weighted %": 100 * p.mul(w, axis=0).sum() / w.sum() if len(w) else np.nan,
        }
    )
    out.index.name = "answer"
    return out.sort_values("weighted %", ascending=False)


def buyer_behaviour(data: Dataset) -> pd.DataFrame | None:
    """One row per buyer: orders, spend, recency and tenure, computed by the engine (None for a
    run without orders)."""
    return data.behaviour() if data.orders is not None else None


def monthly_orders(data: Dataset) -> pd.DataFrame | None:
    """Orders, buyers and revenue per calendar month (None for a run without orders)."""
    if data.orders is None:
        return None
    return data.engine.execute(orders_by_month(data.orders, data.params.as_of))


def share_words(params: Params) -> str:
    """How shares are computed, for chart titles: weighted only where the data has weights."""
    has_weights = params.columns is not None and params.columns.weight
    return "weighted % of those who answered" if has_weights else "% of those who answered"


def item_labels(table: pd.DataFrame, params: Params) -> dict[str, str]:
    """Readable names of the items (the index) of an attitude table."""
    return {str(c): label_of(str(c), params) for c in table.index}


def answer_levels(table: pd.DataFrame) -> list[str]:
    """The answer columns of an attitude table, low to high (those before its mean)."""
    return list(table.columns[: list(table.columns).index("mean")])


def revenue_by(data: Dataset, column: str | None = None, period: str = "quarter") -> pd.DataFrame | None:
    """Revenue per period by a customer attribute (default: the acquisition channel), counted by
    the engine; cells with fewer buyers than the privacy minimum are hidden."""
    params = data.params
    column = column or (params.columns.acquisition.channel if params.columns else None)
    if data.orders is None or data.customers is None or not column:
        return None
    assert params.columns is not None
    who = data.customers[[params.columns.id, column]].rename(columns={params.columns.id: "customer_id"})
    who[column] = fold_small(who[column], params.privacy.min_cell)
    people = data.engine.register(who, "_wb_revenue_by")
    long = data.engine.execute(order_crosstab(data.orders, people, period, column))
    long[period] = pd.PeriodIndex(pd.to_datetime(long[period]), freq=period[0].upper()).astype(str)
    wide = long.pivot(index=period, columns=column, values="revenue").fillna(0.0)
    buyers = long.pivot(index=period, columns=column, values="buyers").fillna(0)
    wide.columns.name = buyers.columns.name = label_of(column, params)
    wide.index.name = buyers.index.name = period.capitalize()
    return suppress_small(wide, buyers, params.privacy.min_cell)


def order_flags(data: Dataset) -> pd.DataFrame:
    """Orders, revenue, and the share of orders at full price and prepaid (where flagged)."""
    assert data.orders is not None
    o = data.orders
    metrics = {"orders": o.count()}
    if data.params.orders is not None and data.params.orders.money:
        metrics["revenue"] = o.amount.sum()
    labels = {"full_price": "at full price %", "prepaid": "prepaid %"}
    for flag, label in labels.items():
        if flag in o.columns:
            metrics[label] = o[flag].cast("int64").mean() * 100
    return data.engine.execute(o.aggregate(**metrics))


def behaviour_summary(behaviour: pd.DataFrame) -> pd.DataFrame:
    """Median and spread of the per-buyer behaviour fields."""
    cols = ["orders", "spend", "orders_12m", "spend_12m", "avg_order_value", "days_since_last", "tenure_days"]
    desc = behaviour[cols].astype(float).describe(percentiles=[0.1, 0.5, 0.9]).T
    desc = desc[desc["count"] > 0]  # spend rows drop out when orders have no amounts
    desc = desc[["count", "mean", "10%", "50%", "90%"]].rename(
        columns={"count": "buyers", "50%": "median", "10%": "10th pct", "90%": "90th pct"}
    )
    return desc.rename(index=BEHAVIOUR_LABELS).rename_axis("measure")


BEHAVIOUR_LABELS = {
    "orders": "Orders",
    "spend": "Total spend",
    "orders_12m": "Orders, last 12 months",
    "spend_12m": "Spend, last 12 months",
    "avg_order_value": "Average order value",
    "days_since_last": "Days since last order",
    "tenure_days": "Days since first order",
}


def unit_word(params: Params, plural: bool = True) -> str:
    """What a row is, in words: the run's population (customers, accounts, respondents,
    employees …; see `schema.population`)."""
    who = population(params)
    return who.plural if plural else who.singular


def monthly_usage(data: Dataset) -> pd.DataFrame:
    """Events and active units (accounts or customers with an active event) per calendar month."""
    assert data.events is not None and data.params.events is not None
    kinds = data.params.events.active
    t = data.events.table
    t = t.mutate(month=t.event_ts.truncate("M").date())
    active = t.event_type.isin(kinds) if kinds else t.event_type.notnull()
    per = data.engine.execute(
        t.group_by("month").aggregate(events=t.count(), units=t.customer_id.nunique(where=active))
    )
    per = per.sort_values("month", ignore_index=True)
    per["units"] = per["units"].where(per["units"] >= data.params.privacy.min_cell)  # privacy: a gap
    return per.rename(columns={"units": unit_word(data.params)})


def event_type_table(data: Dataset) -> pd.DataFrame:
    """Each event type: events, units that did it at least once, and its role in this run."""
    assert data.events is not None and data.params.events is not None
    cols = data.params.events
    t = data.events.table
    per = data.engine.execute(
        t.group_by("event_type").aggregate(events=t.count(), units=t.customer_id.nunique())
    ).set_index("event_type")
    total = len(data.customers) if data.customers is not None else np.nan
    word = unit_word(data.params)
    per[f"{word} %"] = 100 * per["units"] / total
    roles = []
    for kind in per.index:
        role = [name for name in ("start", "trial", "paid") if kind in getattr(cols, name)]
        if not cols.active or kind in cols.active:
            role.append("active")
        roles.append(", ".join(role) or "not counted as activity")
    per["counts as"] = roles
    per = per.sort_index().sort_values("events", ascending=False, kind="stable")  # ties by name
    per.index = pd.Index([label_of(k, data.params) for k in per.index], name="event type")
    return suppress_rows(per.rename(columns={"units": word}), word, data.params.privacy.min_cell)


def as_of_label(day: dt.date) -> str:
    """A date as stakeholders read it."""
    return f"{day:%d %B %Y}".lstrip("0")


@dataclass
class DimensionProfile:
    """One profile dimension: a table per categorical or multiple-response variable, and the
    numeric variables (shown as histograms)."""

    dimension: str
    tables: dict[str, pd.DataFrame]
    numeric: list[str]

    def long_table(self) -> pd.DataFrame:
        """All the dimension's tables stacked, for display and CSV export."""
        if not self.tables:
            return pd.DataFrame()
        out = pd.concat(self.tables, names=["variable", "answer"])
        return out[[c for c in ("respondents", "share %", "weighted %") if c in out]]


def profile_dimension(
    customers: pd.DataFrame, params: Params, dimension: str, extra: list[str] | None = None
) -> DimensionProfile:
    """Profile every variable of a dimension; categories below the privacy minimum are hidden."""
    w = weights(customers, params)
    min_cell = params.privacy.min_cell
    tables: dict[str, pd.DataFrame] = {}
    numeric: list[str] = []
    variables = dimension_variables(params).get(dimension, []) + list(extra or [])
    if dimension == "psychographic":  # Likert items have their own chart
        variables = [v for v in variables if v not in params.profile_columns("psychographic")]
    for var in variables:
        label = label_of(var, params)
        if params.columns and var in params.columns.multi_response:
            t = multi_response_summary(customers, params, var)
        elif var in params.numeric or is_numeric_column(customers[var]):
            numeric.append(var)
            continue
        else:
            values = in_words(customers[var], var, params)
            if params.columns and var == params.columns.acquisition.promotion:
                values = promotion_or_none(values)
            t = profile_categorical(values, w, params.explore.max_categories, min_cell)
        if not (params.columns and params.columns.weight):  # no weights: one share, said plainly
            if "share %" in t:
                t = t.drop(columns="weighted %", errors="ignore")
            else:
                t = t.rename(columns={"weighted %": "share %"})
        tables[label] = suppress_rows(t, "respondents", min_cell)
    return DimensionProfile(dimension, tables, numeric)


def in_words(values: pd.Series, column: str, params: Params) -> pd.Series:
    """A category column as reports show it (`schema.value_words`: labels, yes/no, "code 2"),
    each distinct value once; missing kept missing."""
    lookup = {v: value_words(column, v, params) for v in values.dropna().unique()}
    return values.map(lookup).astype("string")


def numeric_profiles(customers: pd.DataFrame, params: Params, columns: list[str]) -> pd.DataFrame:
    """Summaries of numeric variables, one row each."""
    w = weights(customers, params)
    frames = [profile_numeric(customers[c], w) for c in columns]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames)
    out.index = [label_of(str(c), params) for c in out.index]
    if not (params.columns and params.columns.weight):  # the same as the mean without weights
        out = out.drop(columns="weighted mean")
    return out


def nps_summary(customers: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Promoters (9–10), passives (7–8), detractors (0–6), weighted, and the Net Promoter Score."""
    assert params.columns is not None and params.columns.nps
    score = customers[params.columns.nps].astype(float)
    group = pd.cut(score, [-0.5, 6.5, 8.5, 10.5], labels=["detractors", "passives", "promoters"])
    w = weights(customers, params)
    share = weighted_share(group.astype("string"), w)
    out = pd.DataFrame({"respondents": group.value_counts(), "weighted %": share}).reindex(
        ["promoters", "passives", "detractors"]
    )
    nps = out.loc["promoters", "weighted %"] - out.loc["detractors", "weighted %"]
    out["score (−100 to 100)"] = np.nan
    out.loc["Net Promoter Score"] = [int(score.notna().sum()), np.nan, round(nps, 1)]  # a score, not a share
    out["respondents"] = out["respondents"].astype(int)
    if not (params.columns and params.columns.weight):
        out = out.rename(columns={"weighted %": "share %"})
    out.index.name = "group"
    return suppress_rows(out, "respondents", params.privacy.min_cell)


def nps_score(table: pd.DataFrame) -> float:
    """The Net Promoter Score of an :func:`nps_summary` table (NaN where it is hidden)."""
    if "Net Promoter Score" not in table.index:
        return float("nan")
    return float(
        pd.to_numeric(pd.Series([table.loc["Net Promoter Score", "score (−100 to 100)"]]), errors="coerce")[0]
    )
