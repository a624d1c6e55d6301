"""The words of open answers that can carry a theme, in English and Chinese: Chinese cut into
words with jieba (its dictionary ships in the package: no network) and read through Simplified
characters (OpenCC), Latin-script words with plurals folded, stop words of both left out, and
answers that say nothing (n/a, 无) told apart. No library tokenises both languages this way;
`helpers.data.text` builds the themes on these words."""

from __future__ import annotations

import functools
import logging
import re

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
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
def _converter():
    from opencc import OpenCC  # noqa: PLC0415 - its tables load on first use: Chinese answers only

    return OpenCC("t2s")


def _simplified(text: str) -> str:
    """Chinese text in Simplified characters (Traditional converted with OpenCC's tables)."""
    return _converter().convert(text)


_KEEP_S = frozenset(
    "news series species less unless this thus always sometimes perhaps yes bus gas plus "
    "analytics physics economics mathematics ethics".split()
)


def _fold(word: str) -> str:
    """English plurals folded into the singular (costs -> cost), the little stemming themes need."""
    if word in _KEEP_S or word.endswith(("ss", "us", "is", "ous")):
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


_LATIN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # words in any alphabet, with an apostrophe inside
_CLAUSE = re.compile(r"[.!?;:,\n。！？；：，、]+")
_NON_ANSWER = re.compile(r"^[\W_]*$")
# answers that say nothing: not answered, for themes
NON_ANSWERS = frozenset(
    {
        "n/a", "na", "none", "nothing", "no", "nope", "nil", "ok", "okay", "fine", "no comment",
        "no comments", "nothing to add", "don't know", "dont know", "do not know", "idk", "not sure",
        "no idea", "无", "没有", "沒有", "暂无", "暫無", "不知道", "没", "無", "还好", "還好",
    }
)  # fmt: skip


def is_non_answer(text: str) -> bool:
    """An answer that says nothing (n/a, nothing, 无, —)."""
    plain = re.sub(r"[\W_]+", " ", text.lower()).strip()
    return bool(_NON_ANSWER.match(text)) or plain in NON_ANSWERS or text.strip().lower() in NON_ANSWERS


def _latin_words(clause: str) -> list[tuple[int, str]]:
    """The theme-carrying English (or other Latin-script) words of a clause, with their positions."""
    out = []
    for i, raw in enumerate(_LATIN.findall(clause.lower())):
        word = raw[:-2] if raw.endswith("'s") else raw
        if word not in EN_STOP and raw not in EN_STOP and len(word) > 2 and "'" not in word:
            out.append((i, _fold(word)))
    return out


def words_of(text: str, forms: dict[str, dict[str, int]] | None = None) -> list[list[tuple[int, str]]]:
    """An answer's theme-carrying words, clause by clause, with their positions in the clause.
    Chinese words are keyed by their Simplified form (运费 and 運費 are one word); `forms` counts
    how each key was written, for showing it as the answers did."""
    text = _PLACEHOLDER.sub(" ", text.replace("’", "'"))  # a scrubbed contact is no word
    clauses = []
    for clause in _CLAUSE.split(text):
        if not clause.strip():
            continue
        if not _CJK.search(clause):
            clauses.append(_latin_words(clause))
            continue
        # search mode: a compound and its parts (塑料包装 -> 塑料, 包装, 塑料包装); no HMM word
        # discovery: words the dictionary lacks fall apart into single characters (left out);
        # Traditional characters are read through their Simplified forms (jieba's dictionary is
        # Simplified; the conversion keeps lengths, so the written word is at the same place)
        simple = _simplified(clause)
        same = len(simple) == len(clause)
        kept = []
        for i, (found, start, end) in enumerate(_jieba().tokenize(simple, mode="search", HMM=False)):
            key = found.strip().lower()
            if _CJK.search(key):
                if len(key) >= 2 and key not in ZH_STOP:
                    kept.append((i, key))
                    if forms is not None:
                        written = clause[start:end] if same else found
                        forms.setdefault(key, {}).setdefault(written, 0)
                        forms[key][written] += 1
            else:
                kept += [(i, w) for _, w in _latin_words(key)]
        clauses.append(kept)
    return clauses


def tokens(text: str) -> list[str]:
    """The words of one answer that can carry a theme: Chinese words (jieba; keyed by their
    Simplified form) and words in Latin script (plurals folded), stop words of both left out."""
    return [w for clause in words_of(text) for _, w in clause]


def analyzer(text: str) -> list[str]:
    """Words, and pairs of words that stand next to each other in a clause ("shipping cost");
    Chinese words come with their compounds already (search mode), so Chinese gets no pairs."""
    out = []
    for clause in words_of(text):
        out += [w for _, w in clause]
        out += [
            f"{a} {b}"
            for (i, a), (j, b) in zip(clause, clause[1:], strict=False)
            if j == i + 1 and not _CJK.search(a + b)
        ]
    return out
