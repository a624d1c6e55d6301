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

import functools
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from helpers.config import MultiResponse, Params
from helpers.data import CHECKED_ENV, Dataset, fingerprint, multi_response
from helpers.privacy import SUPPRESSED, scrub_text, suppress_small
from helpers.schema import label_of

OTHER = "Other answers"  # answers with no word any theme is made of
THEME_SEPARATOR = "|"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z][a-z']+")
_PLACEHOLDER = re.compile(r"\[(?:email|phone|link|name|id)\]")
# words that carry no theme in customer answers, beyond scikit-learn's English list
EN_STOP = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "please would like really just also get got thing things lot lots make makes made one use "
    "want wanted know think need needs good great nice ok okay bit way time times every always "
    "don't i'm it's can't i've you're they're dont im ive thank thanks".split()
)
# function words of Chinese (simplified and traditional forms) that carry no theme
ZH_STOP = frozenset(
    "的 了 是 我 你 他 她 它 我们 你们 他们 在 和 与 及 也 都 很 就 不 没 没有 有 这 那 这个 那个 "
    "一个 一些 什么 怎么 因为 所以 但是 但 而且 还 还是 或者 如果 就是 可以 会 要 能 把 被 让 给 "
    "对 从 到 为 为了 吧 吗 呢 啊 呀 哦 嗯 很多 非常 比较 真的 希望 觉得 一直 已经 每次 每个 时候 "
    "這 這個 們 們的 個 對 會 還 讓 為 說 覺得 請 请 谢谢 謝謝 我會 我会 的話 的话 一直 為了 回來 回来 原因 "
    "時候 東西 东西 感覺 感觉 可能 應該 应该 需要 自己 現在 现在 其實 其实".split()
)


def cjk_share(texts: pd.Series) -> float:
    """The share of Chinese characters among the letters of some answers (0 for none)."""
    text = "".join(texts.dropna().astype(str).head(2000))
    letters = sum(ch.isalpha() for ch in text)
    return len(_CJK.findall(text)) / letters if letters else 0.0


def detect_language(texts: pd.Series) -> str:
    """`zh` when at least a third of the letters are Chinese characters, else `en`."""
    return "zh" if cjk_share(texts) >= 1 / 3 else "en"


def _jieba():
    import jieba  # noqa: PLC0415 - loads its dictionary (about 1 s): only for Chinese answers

    jieba.setLogLevel(logging.WARNING)
    return jieba


@functools.cache
def _converter():  # noqa: ANN202 - an OpenCC converter
    from opencc import OpenCC  # noqa: PLC0415 - its tables load on first use: Chinese answers only

    return OpenCC("t2s")


def _simplified(text: str) -> str:
    """Chinese text in Simplified characters (Traditional converted with OpenCC's tables)."""
    return _converter().convert(text)


def _fold(word: str) -> str:
    """English plurals folded into the singular (costs -> cost), the little stemming themes need."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The words of one answer that can carry a theme: Chinese words (jieba) and English words
    (plurals folded), stop words of both languages left out."""
    out: list[str] = []
    text = _PLACEHOLDER.sub(" ", text)  # what scrubbing put in place of a contact is no word
    if _CJK.search(text):
        # search mode: a compound and its parts (塑料包装 -> 塑料, 包装, 塑料包装), so that answers
        # that say 包装 in different compounds share it; without HMM word discovery, words the
        # dictionary lacks fall apart into single characters (left out), not odd words like 码是
        # Traditional characters are read through their Simplified forms (jieba's dictionary is
        # Simplified), and each word is kept as the answer wrote it (the conversion keeps lengths)
        simple = _simplified(text)
        same = len(simple) == len(text)
        for found, start, end in _jieba().tokenize(simple, mode="search", HMM=False):
            word = (text[start:end] if same else found).strip().lower()
            if _CJK.search(word):
                if len(word) >= 2 and found not in ZH_STOP and word not in ZH_STOP:
                    out.append(word)
            elif _WORD.fullmatch(word) and word not in EN_STOP and len(word) > 2:
                out.append(_fold(word))
        return out
    for word in _WORD.findall(text.lower()):
        if word not in EN_STOP and len(word) > 2:
            out.append(_fold(word))
    return out


def _analyzer(text: str) -> list[str]:
    """Words and neighbouring word pairs ("shipping cost") of one answer; Chinese words come with
    their compounds already (search mode), so a Chinese answer gets no pairs."""
    words = tokens(text)
    if _CJK.search(text):
        return words
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


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
            analyzer=_analyzer, min_df=max(self.min_people, 2), sublinear_tf=True, dtype=np.float64
        )
        try:
            x = self.vectorizer_.fit_transform(text)
        except ValueError:  # no word used by enough people
            raise ValueError(
                f"no word is used by {self.min_people} or more people: too few answers for themes"
            ) from None
        n_terms = x.shape[1]
        upper = max(1, min(self.max_themes, n_terms - 1, len(text) // max(self.min_people, 1)))
        if self.n_themes:
            k = min(self.n_themes, max(n_terms, 1))
        else:
            k = self._choose_k(x, max(1, min(self.min_themes, upper)), upper)
        self.nmf_ = NMF(n_components=k, init="nndsvda", random_state=self.random_state, max_iter=600)
        weights = self.nmf_.fit_transform(x)
        # each theme's weights on its own scale (a theme said in two words weighs less than one
        # said in six): the 90th percentile of its weights, so that shares compare like with like
        self.scale_ = np.maximum(np.quantile(weights, 0.9, axis=0), 1e-12)
        self.terms_ = np.asarray(self.vectorizer_.get_feature_names_out())
        self.n_themes_ = k
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
        picked = share >= self.share
        out = [
            THEME_SEPARATOR.join(str(t + 1) for t in np.flatnonzero(row)) if row.any() else OTHER
            for row in picked
        ]
        return pd.Series(out, index=answers.index, dtype="string").where(answers.notna())

    def top_terms(self, n: int = 6) -> list[list[str]]:
        """The terms that make each theme, strongest first."""
        return [list(self.terms_[np.argsort(row)[::-1][:n]]) for row in self.nmf_.components_]


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


@dataclass
class Themes:
    """The themes of one open-answer column."""

    column: str
    language: str
    names: list[str]
    terms: list[list[str]]
    answers: list[int]  # answers in each theme
    quotes: list[str]  # a representative scrubbed answer per theme ("" where too few answered)
    stability: dict[int, float]
    assigned: pd.Series  # each person's themes by name, joined by `|`

    @property
    def set_name(self) -> str:
        """The multiple-response set the themes form."""
        return f"themes_{re.sub(r'[^0-9A-Za-z_]+', '_', self.column)}"

    def table(self, answered: int) -> pd.DataFrame:
        """One row per theme: name, what it is made of, answers and share of answers."""
        return pd.DataFrame(
            {
                "theme": self.names,
                "made of": [", ".join(t[:6]) for t in self.terms],
                "answers": self.answers,
                "share of answers %": [round(100 * a / max(answered, 1), 1) for a in self.answers],
                "an answer in this theme": self.quotes,
            }
        )


def find_themes(answers: pd.Series, params: Params, column: str) -> Themes:
    """Fit the themes of one open-answer column and assign every answer."""
    spec = params.text
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
    names = [spec.names.get(i + 1) or default_name(t) for i, t in enumerate(terms)]
    numbers = model.predict(answers)
    weights = model.transform(answers)
    picked = numbers.fillna("").str.split(THEME_SEPARATOR)
    counts = [int(picked.map(lambda p, t=t: str(t + 1) in p).sum()) for t in range(model.n_themes_)]
    quotes = []
    total = weights.sum(axis=1)
    for t in range(model.n_themes_):
        if counts[t] < min_cell:
            quotes.append("")
            continue
        # the answer most purely about the theme; the shorter one of equals
        purity = np.divide(weights[:, t], total, out=np.zeros_like(total), where=total > 0)
        order = np.lexsort((answers.fillna("").str.len().to_numpy(), -np.round(purity * weights[:, t], 6)))
        quotes.append(str(answers.iloc[order[0]]))
    lookup = {str(i + 1): n for i, n in enumerate(names)}
    assigned = numbers.map(
        lambda v: v if pd.isna(v) or v == OTHER else THEME_SEPARATOR.join(lookup[p] for p in v.split("|")),
        na_action="ignore",
    ).astype("string")
    return Themes(column, language, names, terms, counts, quotes, dict(model.stability_), assigned)


@dataclass
class TextResult:
    """The themes of every open-answer column, as saved once per run."""

    themes: dict[str, Themes]


THEMES_FILE = "themes.json"


def with_themes(data: Dataset) -> Dataset:
    """The dataset with each open-answer column's themes as a multiple-response set (fitted once
    per run: inside a batch the themes found before the first notebook are read back)."""
    params = data.params
    cols = params.columns
    if data.customers is None or cols is None or not cols.open_text or data.themes:
        return data
    themes = _load_saved(params) or {c: _fit_or_none(data.customers[c], params, c) for c in cols.open_text}
    return apply_themes(data, {c: t for c, t in themes.items() if t is not None})


def _fit_or_none(answers: pd.Series, params: Params, column: str) -> Themes | None:
    try:
        return find_themes(answers, params, column)
    except ValueError:  # too few answers: the report says so where the themes would be
        return None


def apply_themes(data: Dataset, themes: dict[str, Themes]) -> Dataset:
    """Add the themes to the customers and their sets to the parameters."""
    if not themes:
        return data
    params = data.params
    assert params.columns is not None and data.customers is not None
    customers = data.customers.copy()
    sets = dict(params.columns.multi_response)
    for column, th in themes.items():
        source = f"{column} (themes)"
        customers[source] = th.assigned.reindex(customers.index)
        sets[th.set_name] = MultiResponse(
            dimension="psychographic",
            column=source,
            separator=THEME_SEPARATOR,
            label=f"What they say: {label_of(column, params)}",
            from_text=column,
        )
    new_columns = params.columns.model_copy(update={"multi_response": sets})
    new_params = params.model_copy(update={"columns": new_columns})
    out = Dataset(new_params, customers, data.orders, data.engine, data.quality, data.dropped_columns)
    out._behaviour = data._behaviour
    out.themes = dict(themes)
    return out


def themes_of(data: Dataset) -> dict[str, Themes]:
    """The themes a dataset carries (none before `with_themes`)."""
    return dict(data.themes)


def without_themes(params: Params) -> Params:
    """The parameters as the file wrote them: the theme sets `with_themes` added taken out."""
    if params.columns is None:
        return params
    sets = {n: mr for n, mr in params.columns.multi_response.items() if not mr.from_text}
    return params.model_copy(update={"columns": params.columns.model_copy(update={"multi_response": sets})})


def save_themes(data: Dataset, folder: str | Path) -> None:
    """Keep a run's themes beside its checked data, so that every notebook reads the same ones."""
    payload = {
        "fingerprint": fingerprint(without_themes(data.params)),
        "themes": {
            c: {
                "language": t.language,
                "names": t.names,
                "terms": t.terms,
                "answers": t.answers,
                "quotes": t.quotes,
                "stability": {str(k): v for k, v in t.stability.items()},
                "assigned": [None if pd.isna(v) else str(v) for v in t.assigned],
            }
            for c, t in themes_of(data).items()
        },
    }
    Path(folder, THEMES_FILE).write_text(json.dumps(payload, ensure_ascii=False, default=str))


def _load_saved(params: Params) -> dict[str, Themes] | None:
    folder = os.environ.get(CHECKED_ENV)
    path = Path(folder, THEMES_FILE) if folder else None
    if path is None or not path.exists():
        return None
    payload = json.loads(path.read_text())
    if payload["fingerprint"] != fingerprint(params):
        return None
    return {
        c: Themes(
            c,
            t["language"],
            t["names"],
            t["terms"],
            t["answers"],
            t["quotes"],
            {int(k): v for k, v in t["stability"].items()},
            pd.Series(t["assigned"], dtype="string"),
        )
        for c, t in payload["themes"].items()
    }


def scrubbed_quote(text: str) -> str:
    """A quote as a report shows it: e-mails, phones and links replaced."""
    return str(scrub_text(pd.Series([text])).iloc[0])


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
    answered = int(data.customers[column].notna().sum())
    table = th.table(answered)
    small = table["answers"] < data.params.privacy.min_cell
    table = table.astype({"answers": object, "share of answers %": object})
    table.loc[small, ["answers", "share of answers %", "an answer in this theme"]] = SUPPRESSED
    return table


def method_text(data: Dataset, column: str) -> str:
    """How the themes of a column were found, in a sentence or three, for the report."""
    th = themes_of(data).get(column)
    if th is None:
        return (
            f"Too few answers to find themes in {label_of(column, data.params)}: no word is used by "
            f"{data.params.privacy.min_cell} people or more."
        )
    spec = data.params.text
    language = {"en": "English", "zh": "Chinese"}[th.language]
    rule = (
        f"fixed at {spec.themes} in the parameter file"
        if spec.themes
        else "the largest number whose themes come back when the answers are resampled and stay "
        "distinct from each other"
    )
    return (
        f"{len(th.names)} themes in {label_of(column, data.params)} ({language}; {rule}). An answer "
        f"belongs to each theme that carries at least {spec.share:.0%} of it, so an answer can have "
        f"two themes; answers with none of the themes' words count as “{OTHER}”. Words fewer than "
        f"{data.params.privacy.min_cell} people used are left out, and so are e-mail addresses, "
        "phone numbers, links and names."
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
    answered = picks.notna().any(axis=1)
    w = (weights if weights is not None else pd.Series(1.0, index=frame.index))[answered]
    x = picks[answered].fillna(False).astype(float)
    g = groups[answered]
    share = x.mul(w, axis=0).groupby(g).sum().div(w.groupby(g).sum(), axis=0).T * 100
    share["Total"] = x.mul(w, axis=0).sum() / w.sum() * 100
    counts = x.groupby(g).sum().T
    counts["Total"] = x.sum()
    out = suppress_small(share.round(1), counts, params.privacy.min_cell)
    if names:
        out = out.rename(columns=lambda g: f"{g}. {names.get(g, '')}".strip(". ") if g != "Total" else g)
    return out.rename_axis("theme")
