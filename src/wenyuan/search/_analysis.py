"""Analysis shared by indexing and querying, so both see text the same way.

Chinese text is folded (``wenyuan.core.text.fold``) and cut into character unigrams (kept in
order, for phrase matching) and bigrams (for ranking); see docs/adr/0002-cjk-ngrams.md for
why n-grams and not a word segmenter. Names and titles also get toneless pinyin, both
syllable by syllable (``li bai``) and run together (``libai``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wenyuan.core.text import fold, has_cjk, is_cjk, pinyin, split_runs, tokens

__all__ = ["AnalyzedQuery", "analyze_query", "pinyin_tokens", "text_tokens"]


def text_tokens(text: str) -> tuple[str, str]:
    """(unigram string, bigram string), space-separated, for the whitespace tokenizer."""
    unigrams, bigrams = tokens(fold(text))
    return " ".join(unigrams), " ".join(bigrams)


def pinyin_tokens(names: list[str]) -> str:
    """Pinyin syllables and run-together forms of each CJK name or title."""
    out: list[str] = []
    for name in names:
        if not name or not has_cjk(name):
            continue
        spaced = pinyin(name)
        if spaced:
            out.append(spaced)
            out.append(spaced.replace(" ", ""))
    return " ".join(out)


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
