"""Analysis shared by indexing and querying, so both see text the same way.

Chinese text is folded (``wenyuan.core.text.fold``) and cut into character unigrams (kept in
order, for phrase matching) and bigrams (for ranking); see docs/adr/0002-cjk-ngrams.md for
why n-grams and not a word segmenter. Names and titles also get toneless pinyin, both
syllable by syllable (``li bai``) and run together (``libai``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wenyuan.core.text import fold, is_cjk, split_runs

__all__ = [
    "CLAUSE_MARK",
    "AnalyzedQuery",
    "analyze_query",
    "exact_titles",
    "index_texts",
    "pinyin_tokens",
]


_SEPARATORS = re.compile(r"[\W_]+")
#: Put where punctuation or space was: the unigram tokenizer turns it into a token of its own
#: (a private-use character nobody types), so phrases stop at clause boundaries.
CLAUSE_MARK = " \ue000 "


def index_texts(titles: list[str], creators: list[str], body: str) -> tuple[str, str, str]:
    """Titles, names and body folded, with punctuation turned into spaces, for tantivy's
    unigram and bigram tokenizers. One fold call for all three: OpenCC's per-call cost is
    most of the work for short texts."""
    folded = fold("\x1f".join((" / ".join(titles), " / ".join(creators), body)))
    title, creator, text = (_SEPARATORS.sub(CLAUSE_MARK, part) for part in folded.split("\x1f", 2))
    return title, creator, text


def exact_titles(titles: list[str]) -> list[str]:
    """Each title folded and stripped of punctuation and spaces, for whole-title matches."""
    return list(dict.fromkeys(t for t in (_SEPARATORS.sub("", fold(x)) for x in titles) if t))


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
