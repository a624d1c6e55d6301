"""Open answers in themes: what customers say in their own words, in English and Chinese.

Each open-answer column is turned into a handful of themes with TF-IDF over the scrubbed answers
(words and word pairs; stop words of the language left out; words fewer than `privacy.min_cell`
people used dropped) and non-negative matrix factorisation (NMF), as automatic persona generation
(Jansen & Salminen's APG) builds personas from topics. The number of themes is the largest whose
themes come back on resamples (Greene, O'Callaghan & Cunningham 2014: topic stability) and stay
distinct from each other, or fixed with `text.themes`. Each answer belongs to its dominant themes,
so the themes form a multiple-response set that every crosstab, profile and persona feature reads
like any other.

Chinese answers are cut into words with jieba (its dictionary ships in the package: no network);
an answer is tokenised as Chinese when it holds Chinese characters, so mixed columns work.
scikit-learn does the TF-IDF and the NMF; what is written here is what no library does: the
tokeniser for two languages, the choice of the number of themes, and the assignment and quotes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from helpers.core.privacy import marker, suppress_small
from helpers.data.dataset import CHECKED_ENV, Dataset, fingerprint
from helpers.data.fields import multi_response
from helpers.data.tokens import analyzer, detect_language, is_non_answer, tokens, words_of
from helpers.params.config import Params
from helpers.params.inputs import MultiResponse
from helpers.params.schema import label_of

OTHER = "Other answers"  # answers with no word any theme is made of
THEME_SEPARATOR = "|"
_CONTACT = re.compile(r"@|https?://|www\.|\d[\d ().-]{6,}\d")


def _matched_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """How far two sets of themes agree: mean cosine of their terms, best one-to-one match."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    sim = a @ b.T
    rows, cols = linear_sum_assignment(-sim)
    return float(sim[rows, cols].mean())


@dataclass
class ThemeModel:
    """Themes in open answers, with scikit-learn's fit / transform / predict.

    `n_themes` fixes the number; None chooses it: the largest k in [min_themes, max_themes] whose
    themes are stable (they come back on `seeds` resamples of 80% of the answers: mean best-match
    cosine of their terms at least `stable`) and distinct (no two share their terms beyond
    `max_overlap`, which is what one theme split in two looks like); failing that the stable k
    with the least overlap, or the most stable k."""

    n_themes: int | None = None
    min_themes: int = 2
    max_themes: int = 8
    min_people: int = 10
    seeds: int = 3
    stable: float = 0.9
    max_overlap: float = 0.1  # two themes whose terms have a cosine above this are one theme split
    share: float = 0.2  # an answer belongs to every theme with at least this share of its weight
    min_weight: float = 0.1  # ... and at least this weight (1 = a typical answer about the theme)
    random_state: int = 1
    sample_size: int = 20_000
    choice_size: int = 5_000  # answers the choice of the number of themes is made on
    stability_: dict[int, float] = field(default_factory=dict)
    overlap_: dict[int, float] = field(default_factory=dict)

    def fit(self, answers: pd.Series) -> ThemeModel:
        """Learn the vocabulary and the themes from the answers (scrubbed beforehand); on a
        sample of `sample_size` answers when there are more (every answer is then assigned)."""
        text = answers.dropna().astype(str)
        if len(text) > self.sample_size:
            text = text.sample(self.sample_size, random_state=self.random_state)
        self.vectorizer_ = TfidfVectorizer(
            analyzer=analyzer, min_df=max(self.min_people, 2), sublinear_tf=True, dtype=np.float64
        )
        try:
            x = self.vectorizer_.fit_transform(text)
        except ValueError:  # no word used by enough people
            raise ValueError(
                f"no word is used by {self.min_people} or more people: too few answers for themes"
            ) from None
        n_terms = x.shape[1]
        upper = max(1, min(self.max_themes, n_terms - 1, len(text) // max(self.min_people, 1)))
        if self.n_themes:  # as many as asked, no more than the answers can hold
            k = max(1, min(self.n_themes, n_terms - 1, len(text) // max(self.min_people, 1)))
        else:
            k = self._choose_k(x, max(1, min(self.min_themes, upper)), upper)
        while True:  # a theme that is the main theme of too few answers is no theme: one fewer
            self.nmf_ = NMF(n_components=k, init="nndsvda", random_state=self.random_state, max_iter=600)
            weights = self.nmf_.fit_transform(x)
            top = weights.argmax(axis=1)
            held = sum((top == t).sum() >= max(self.min_people, 1) for t in range(k))
            if held >= k or k == 1:
                break
            k = max(1, held)
        # each theme's weights on its own scale (a theme said in two words weighs less than one
        # said in six): the 90th percentile among the answers it leads, so shares compare like
        # with like and a small theme is not inflated
        self.scale_ = np.array(
            [
                max(float(np.quantile(weights[top == t, t], 0.9)) if (top == t).any() else 0.0, 1e-9)
                for t in range(weights.shape[1])
            ]
        )
        self.forms_: dict[str, dict[str, int]] = {}
        for answer in text:
            words_of(answer, self.forms_)
        self.terms_ = np.asarray(self.vectorizer_.get_feature_names_out())
        self.n_themes_ = self.nmf_.components_.shape[0]
        return self

    def _choose_k(self, x, low: int, high: int) -> int:
        """The largest number of themes that comes back on resamples of the answers: each k is
        fitted on all answers and on `seeds` random 80% samples, and scored by the mean matched
        cosine of their terms (Greene et al. 2014)."""
        rng = np.random.default_rng(self.random_state)
        if x.shape[0] > self.choice_size:  # the choice needs no more answers than this
            x = x[rng.choice(x.shape[0], self.choice_size, replace=False)]
        samples = [rng.choice(x.shape[0], int(0.8 * x.shape[0]), replace=False) for _ in range(self.seeds)]
        for k in range(low, high + 1):
            if k - 2 in self.overlap_ and min(self.overlap_[k - 1], self.overlap_[k - 2]) > self.max_overlap:
                break  # two numbers in a row split themes: more only splits further
            reference = NMF(n_components=k, init="nndsvda", max_iter=400).fit(x).components_
            scores = [
                _matched_similarity(
                    reference, NMF(n_components=k, init="nndsvda", max_iter=400).fit(x[rows]).components_
                )
                for rows in samples
            ]
            self.stability_[k] = float(np.mean(scores))
            unit = reference / np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-12)
            sim = unit @ unit.T
            np.fill_diagonal(sim, 0)
            self.overlap_[k] = float(sim.max()) if k > 1 else 0.0
        stable = [k for k, v in self.stability_.items() if v >= self.stable]
        distinct = [k for k in stable if self.overlap_[k] <= self.max_overlap]
        if distinct:  # one theme split in two shares its words with its twin: overlap jumps
            return max(distinct)
        if stable:
            return min(stable, key=lambda k: self.overlap_[k])
        return max(self.stability_, key=lambda k: self.stability_[k])

    def transform(self, answers: pd.Series) -> np.ndarray:
        """Each answer's weight on each theme, on the theme's own scale (zeros for an answer with
        no theme word, or none)."""
        # each distinct answer once: answers repeat (a million hold far fewer distinct texts)
        codes, distinct = pd.factorize(answers.fillna("").astype(str))
        weights = self.nmf_.transform(self.vectorizer_.transform(distinct)) / self.scale_
        return weights[codes]

    def predict(self, answers: pd.Series) -> pd.Series:
        """Each answer's themes (numbers 1…k, joined by `|`); `Other answers` when it has no theme
        word; missing where there is no answer."""
        weights = self.transform(answers)
        total = weights.sum(axis=1, keepdims=True)
        share = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
        strongest = weights == weights.max(axis=1, keepdims=True)
        # a theme carries a fair share of the answer (the strongest always does) and real weight:
        # an answer about something else has tiny weights everywhere and stays "Other"
        picked = ((share >= self.share) | strongest) & (weights >= self.min_weight)
        out = [
            THEME_SEPARATOR.join(str(t + 1) for t in np.flatnonzero(row)) if row.any() else OTHER
            for row in picked
        ]
        return pd.Series(out, index=answers.index, dtype="string").where(answers.notna())

    def top_terms(self, n: int = 6) -> list[list[str]]:
        """The terms that make each theme, strongest first (only terms that weigh in it), each
        written as most answers wrote it."""
        out = []
        for row in self.nmf_.components_:
            order = [i for i in np.argsort(row)[::-1][:n] if row[i] > 0.01 * row.max()]
            out.append([self._written(self.terms_[i]) for i in order])
        return out

    def _written(self, key: str) -> str:
        forms = getattr(self, "forms_", {}).get(key)
        return max(forms, key=lambda f: forms[f]) if forms else key


def default_name(terms: list[str]) -> str:
    """A theme's name from its top terms: the first three that do not repeat each other (rename
    themes in the parameter file: `text.names`)."""
    chosen: list[str] = []
    for term in terms:
        if not any(term in c or c in term for c in chosen):
            chosen.append(term)
        if len(chosen) == 3:
            break
    return " · ".join(chosen)


def _unique_names(names: list[str]) -> list[str]:
    """Names a multiple-response set can hold: no separator, not "Other answers", none twice."""
    out: list[str] = []
    for name in names:
        name = name.replace(THEME_SEPARATOR, "/").strip() or "theme"
        name = f"{name} (theme)" if name == OTHER else name
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


@dataclass
class Themes:
    """The themes of one open-answer column (or why it has none: `error`)."""

    column: str
    language: str
    names: list[str]
    terms: list[list[str]]
    answers: list[int]  # answers in each theme
    quotes: list[str]  # a representative scrubbed answer per theme ("" where too few answered)
    stability: dict[int, float]
    assigned: pd.Series  # each person's themes by name, joined by `|`
    other: int = 0  # answers in no theme
    error: str = ""
    set_name: str = ""  # the multiple-response set, and the column that holds it
    source: str = ""
    unused_names: list[int] = field(default_factory=list)  # `text.names` keys with no theme

    def table(self, answered: int) -> pd.DataFrame:
        """One row per theme (numbered as in the charts), then the answers in no theme: what it is
        made of, answers, share of answers and a quote."""
        out = pd.DataFrame(
            {
                "#": range(1, len(self.names) + 1),
                "theme": self.names,
                "made of": [", ".join(t[:6]) for t in self.terms],
                "answers": self.answers,
                "share of answers %": [round(100 * a / max(answered, 1), 1) for a in self.answers],
                "an answer in this theme": self.quotes,
            }
        )
        other = {"#": "", "theme": OTHER, "made of": "none of the themes' words", "answers": self.other}
        other |= {"share of answers %": round(100 * self.other / max(answered, 1), 1)}
        other |= {"an answer in this theme": ""}
        return pd.concat([out, pd.DataFrame([other])], ignore_index=True)


MAX_QUOTE = 200  # characters: a longer answer is never quoted


def quotable(answers: pd.Series, vocabulary: set[str] | frozenset[str]) -> pd.Series:
    """Answers a report may quote: scrubbed of nothing (no [email], [phone], … in them), short,
    and made only of words that at least the privacy minimum of people used (so a name, an
    address or a detail of one person's life is never in one)."""
    text = answers.fillna("").astype(str)
    ok = text.str.len().between(1, MAX_QUOTE) & ~text.str.contains(r"\[[a-z]+\]", regex=True)
    ok &= ~text.str.contains(_CONTACT)  # one that scrubbing missed is still never quoted
    return ok & text.map(lambda a: all(w in vocabulary for w in tokens(a)) if a else False)


def typical_quote(answers: pd.Series, vocabulary: set[str] | frozenset[str]) -> str:
    """The quotable answer nearest the centre of some answers (TF-IDF cosine), "" for none."""
    candidates = answers[quotable(answers, vocabulary)].dropna().astype(str)
    if candidates.empty:
        return ""
    sample = candidates.sample(min(len(candidates), 3000), random_state=0)
    try:
        matrix = TfidfVectorizer(analyzer=analyzer, min_df=1).fit_transform(sample)
    except ValueError:
        return str(sample.iloc[0])
    centre = np.asarray(matrix.mean(axis=0))
    return str(sample.iloc[int(np.argmax(np.asarray(matrix @ centre.T).ravel()))])


def vocabulary_of(answers: pd.Series, min_people: int, sample: int = 20_000) -> frozenset[str]:
    """The words at least `min_people` people used (counted on a sample of the answers: a word
    that many used in the sample, more used in all)."""
    text = answers.dropna().astype(str)
    if len(text) > sample:
        text = text.sample(sample, random_state=0)
    counts: dict[str, int] = {}
    for answer in text:
        for word in set(tokens(answer)):
            counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in counts.items() if n >= min_people)


def find_themes(answers: pd.Series, params: Params, column: str) -> Themes:
    """Fit the themes of one open-answer column and assign every answer."""
    spec = params.text
    answers = answers.where(~answers.fillna("").astype(str).map(is_non_answer))  # "n/a", "无"
    language = spec.language if spec.language != "auto" else detect_language(answers)
    min_cell = params.privacy.min_cell
    model = ThemeModel(
        n_themes=spec.themes,
        max_themes=spec.max_themes,
        min_people=min_cell,
        share=spec.share,
        random_state=params.segment.seed,
    ).fit(answers)
    terms = model.top_terms(8)
    k = model.n_themes_
    names = _unique_names([spec.names.get(i + 1) or default_name(t) for i, t in enumerate(terms)])
    numbers = model.predict(answers)
    picked = numbers.fillna("").str.split(THEME_SEPARATOR)
    counts = [int(picked.map(lambda p, t=t: str(t + 1) in p).sum()) for t in range(k)]
    vocabulary = frozenset(w for w in model.vectorizer_.vocabulary_ if " " not in w)
    quotes = []
    for t in range(k):
        only = picked.map(lambda p, t=t: p == [str(t + 1)])  # answers about this theme alone
        quotes.append(typical_quote(answers[only], vocabulary) if counts[t] >= min_cell else "")
    lookup = {str(i + 1): n for i, n in enumerate(names)}
    assigned = numbers.map(
        lambda v: v if pd.isna(v) or v == OTHER else THEME_SEPARATOR.join(lookup[p] for p in v.split("|")),
        na_action="ignore",
    ).astype("string")
    return Themes(
        column,
        language,
        names,
        terms,
        counts,
        quotes,
        dict(model.stability_),
        assigned,
        other=int((numbers == OTHER).sum()),
        unused_names=sorted(i for i in spec.names if not 1 <= i <= k),
    )


THEMES_FILE = "themes.json"


def with_themes(data: Dataset) -> Dataset:
    """The dataset with each open-answer column's themes as a multiple-response set (fitted once
    per run: inside a batch the themes found before the first notebook are read back)."""
    params = data.params
    cols = params.columns
    if data.customers is None or cols is None or not cols.open_text or data.themes:
        return data
    themes = _load_saved(params, len(data.customers))
    if themes is None:
        themes = {c: _fit_or_note(data.customers[c], params, c) for c in cols.open_text}
    return apply_themes(data, themes)


def _fit_or_note(answers: pd.Series, params: Params, column: str) -> Themes:
    try:
        return find_themes(answers, params, column)
    except ValueError as exc:  # too few answers: the report says so where the themes would be
        empty = pd.Series(pd.NA, index=answers.index, dtype="string")
        return Themes(column, "en", [], [], [], [], {}, empty, error=str(exc))


def apply_themes(data: Dataset, themes: dict[str, Themes]) -> Dataset:
    """Add the themes to the customers and their sets to the parameters (names that collide
    with the file's own columns or sets get a number)."""
    if not themes:
        return data
    params = data.params
    assert params.columns is not None and data.customers is not None
    customers = data.customers.copy()
    sets = dict(params.columns.multi_response)
    for column, th in themes.items():
        if th.error:
            continue
        base = "themes_" + re.sub(r"[^0-9A-Za-z_]+", "_", column).strip("_")
        th.set_name, n = base, 2
        while th.set_name in sets:
            th.set_name, n = f"{base}_{n}", n + 1
        th.source, n = f"{column} (themes)", 2
        while th.source in customers:
            th.source, n = f"{column} (themes {n})", n + 1
        customers[th.source] = th.assigned.reindex(customers.index)
        sets[th.set_name] = MultiResponse(
            dimension="psychographic",
            column=th.source,
            separator=THEME_SEPARATOR,
            label=f"What they say: {label_of(column, params)}",
            from_text=column,
        )
    new_columns = params.columns.model_copy(update={"multi_response": sets})
    new_params = params.model_copy(update={"columns": new_columns})
    # everything else (orders, usage log, contacts, computed summaries) carries over
    return dataclasses.replace(data, params=new_params, customers=customers, themes=dict(themes))


def themes_of(data: Dataset) -> dict[str, Themes]:
    """The themes a dataset carries (none before `with_themes`)."""
    return {c: t for c, t in data.themes.items() if not t.error}


def without_themes(params: Params) -> Params:
    """The parameters as the file wrote them: the theme sets `with_themes` added taken out."""
    if params.columns is None:
        return params
    sets = {n: mr for n, mr in params.columns.multi_response.items() if not mr.from_text}
    return params.model_copy(update={"columns": params.columns.model_copy(update={"multi_response": sets})})


def save_themes(data: Dataset, folder: str | Path) -> None:
    """Keep a run's themes beside its checked data, so that every notebook reads the same ones."""
    fields = ("language", "names", "terms", "answers", "quotes", "other", "error", "unused_names")
    payload = {
        "fingerprint": fingerprint(without_themes(data.params)),
        "themes": {
            c: {f: getattr(t, f) for f in fields}
            | {
                "stability": {str(k): v for k, v in t.stability.items()},
                "assigned": [None if pd.isna(v) else str(v) for v in t.assigned],
            }
            for c, t in data.themes.items()
        },
    }
    Path(folder, THEMES_FILE).write_text(json.dumps(payload, ensure_ascii=False, default=str))


def _load_saved(params: Params, rows: int) -> dict[str, Themes] | None:
    folder = os.environ.get(CHECKED_ENV)
    path = Path(folder, THEMES_FILE) if folder else None
    if path is None or not path.exists():
        return None
    payload = json.loads(path.read_text())
    if payload["fingerprint"] != fingerprint(params):
        return None
    out = {}
    for c, t in payload["themes"].items():
        if len(t["assigned"]) != rows:
            return None
        stability = {int(k): v for k, v in t.pop("stability").items()}
        assigned = pd.Series(t.pop("assigned"), dtype="string")
        out[c] = Themes(c, t.pop("language"), t.pop("names"), t.pop("terms"), t.pop("answers"),
                        t.pop("quotes"), stability, assigned, **t)  # fmt: skip
    return out


def theme_set(params: Params, column: str) -> str | None:
    """The multiple-response set of an open-answer column's themes (None before `with_themes`)."""
    if params.columns is None:
        return None
    return next((n for n, mr in params.columns.multi_response.items() if mr.from_text == column), None)


def theme_table(data: Dataset, column: str) -> pd.DataFrame | None:
    """The themes of a column: name, words, answers, share of answers and a quote; themes with
    fewer answers than the privacy minimum are hidden (their figures and quote)."""
    th = themes_of(data).get(column)
    if th is None or data.customers is None:
        return None
    answered = int(data.customers[th.source].notna().sum()) if th.source else 0
    table = th.table(answered)
    small = pd.to_numeric(table["answers"], errors="coerce") < data.params.privacy.min_cell
    table = table.astype({"answers": object, "share of answers %": object})
    table.loc[small, ["answers", "share of answers %", "an answer in this theme"]] = marker(
        data.params.privacy.min_cell
    )
    return table


def method_text(data: Dataset, column: str) -> str:
    """How the themes of a column were found, in a sentence or three, for the report."""
    th = data.themes.get(column)
    if th is None or th.error:
        why = th.error if th is not None else "no themes were looked for"
        return f"No themes in {label_of(column, data.params)}: {why}."
    spec = data.params.text
    language = {"en": "English", "zh": "Chinese"}[th.language]
    rule = (
        f"fixed at {spec.themes} in the parameter file"
        if spec.themes
        else "the largest number whose themes come back when the answers are resampled and stay "
        "distinct from each other"
    )
    unused = (
        f" The parameter file names themes {', '.join(map(str, th.unused_names))}, which this run does not "
        "have: theme numbers change when the answers change, so check the names against the words."
        if th.unused_names
        else ""
    )
    return (
        f"{len(th.names)} themes in {label_of(column, data.params)} ({language}; {rule}). An answer "
        f"belongs to its strongest theme and to any other that carries at least {spec.share:.0%} "
        f"of it; answers about none of them count as “{OTHER}”, and answers that say nothing "
        f"(“n/a”, “nothing”) as not answered. Words fewer than {data.params.privacy.min_cell} "
        "people used are left out, and a quote is an answer made only of words that many people "
        "used (never one with a contact detail in it)." + unused
    )


def theme_shares(
    frame: pd.DataFrame,
    groups: pd.Series,
    params: Params,
    set_name: str,
    weights: pd.Series | None = None,
    names: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Share of each group's answers in each theme (weighted when weights are given), in %, the
    groups in their order (numbered groups named by `names`); a cell from fewer answers than the
    privacy minimum is hidden."""
    picks = multi_response(frame, params, set_name)
    order = [c for c in picks.columns if c != OTHER] + [c for c in picks.columns if c == OTHER]
    picks = picks[order]
    answered = picks.notna().any(axis=1)
    w = (weights if weights is not None else pd.Series(1.0, index=frame.index))[answered]
    x = picks[answered].fillna(False).astype(float)
    g = groups[answered]
    share = (x.mul(w, axis=0).groupby(g).sum().div(w.groupby(g).sum(), axis=0).T * 100).reindex(order)
    share["Total"] = x.mul(w, axis=0).sum() / w.sum() * 100
    counts = x.groupby(g).sum().T.reindex(order)
    counts["Total"] = x.sum()
    out = suppress_small(share.round(1), counts, params.privacy.min_cell)
    if names:
        out = out.rename(columns=lambda g: f"{g}. {names.get(g, '')}".strip(". ") if g != "Total" else g)
    return out.rename_axis("theme")
