"""Analysis shared by indexing and querying, so both see text the same way.

Chinese text is folded (``wenyuan.core.text.fold``) and cut into character unigrams (kept in
order, for phrase matching) and bigrams (for ranking); see docs/adr/0002-cjk-ngrams.md for
why n-grams and not a word segmenter. Names and titles also get toneless pinyin, both
syllable by syllable (``li bai``) and run together (``libai``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from wenyuan.core.text import fold, is_cjk, split_runs

__all__ = [
    "CLAUSE_MARK",
    "AnalyzedQuery",
    "IndexTexts",
    "analyze_query",
    "index_texts",
    "pinyin_tokens",
]


_SEPARATORS = re.compile(r"[\W_]+")
#: Put where punctuation or space was: the unigram tokenizer turns it into a token of its own
#: (a private-use character nobody types), so phrases stop at clause boundaries. No spaces
#: around it: each boundary then adds two never-matching bigrams to the index, not four.
CLAUSE_MARK = "\ue000"


class IndexTexts(NamedTuple):
    """A document's text as the index takes it: folded, punctuation turned into clause marks."""

    title: str
    creator: str
    body: str
    #: Each title folded with punctuation and spaces removed, for whole-title matches.
    exact_titles: list[str]


def index_texts(titles: list[str], creators: list[str], body: str) -> IndexTexts:
    """Titles, names and body folded in one call (OpenCC's per-call cost is most of the work
    for short texts), for tantivy's unigram and bigram tokenizers."""
    folded = fold("\x1f".join(("\x1e".join(titles), " / ".join(creators), body)))
    title, creator, text = folded.split("\x1f", 2)
    exact = (_SEPARATORS.sub("", t) for t in title.split("\x1e"))
    return IndexTexts(
        _SEPARATORS.sub(CLAUSE_MARK, title),
        _SEPARATORS.sub(CLAUSE_MARK, creator),
        _SEPARATORS.sub(CLAUSE_MARK, text),
        list(dict.fromkeys(t for t in exact if t)),
    )


def pinyin_tokens(readings: list[str]) -> str:
    """Index form of pinyin readings (``li bai``): the syllables and the run-together form.

    A run-together reading is kept so ``libai`` finds what ``li bai`` finds. Readings
    are joined with a separator token so a phrase never spans two names.
    """
    out: list[str] = []
    for reading in readings:
        spaced = " ".join(reading.lower().split())
        if spaced:
            out.append(f"{spaced} {spaced.replace(' ', '')}")
    return " | ".join(out)


@dataclass(slots=True)
class AnalyzedQuery:
    """A query string taken apart: CJK runs (folded) and words of other scripts."""

    cjk_runs: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.cjk_runs and not self.words


def analyze_query(text: str) -> AnalyzedQuery:
    query = AnalyzedQuery()
    for run in split_runs(fold(text[:500])):
        if is_cjk(run[0]):
            query.cjk_runs.append(run)
        else:
            query.words.append(run)
    return query
