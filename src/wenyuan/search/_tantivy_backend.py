"""The embedded search backend: a tantivy index on disk behind the ``Index`` protocol.

Text is analysed in Python (``_analysis``) and handed to tantivy pre-split on spaces, so the
index and the query see exactly the same tokens: character unigrams with positions (phrase
matches), bigrams (ranking), pinyin, and English with stemming. Facets are tantivy terms
aggregations on raw fast fields; years are integer fast fields.

Hazards: tantivy allows one writer per index across processes; the writer is opened for a
batch of writes and released at ``commit``, so a running server and a CLI ingest can take
turns. Readers reload at most once a second to see commits made by another process.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import structlog
import tantivy

from wenyuan.core.errors import InvalidInput, StorageError
from wenyuan.core.text import cjk_bigrams
from wenyuan.search._analysis import analyze_query, index_texts, pinyin_tokens
from wenyuan.search._types import (
    FACETS,
    FacetCount,
    Hit,
    IndexDocument,
    SearchQuery,
    SearchResult,
)

__all__ = ["TantivyIndex"]

log = structlog.get_logger(__name__)

_SCHEMA_VERSION = "6"
_Occur = tantivy.Occur
_Q = tantivy.Query

# Ranking. Readers type a whole line, a fragment, a title or a name, so a whole-phrase match
# is what counts: it gets a fixed score per character (no length normalisation, so a long
# poem holding the line is not pushed below a short one that merely shares a bigram), and
# bigrams (BM25) only order records within the same tier. An exact author name outranks
# the same name inside a title (李白 → his poems before 《夢李白》); poems in the classic
# anthologies and school lists (a popularity signal) get a constant lift, which is how the
# popular wording 床前明月光 finds 李白's 牀前看月光. Tuned on benchmarks/bench_search.py.
_PER_CHAR_BODY_PHRASE = 10.0
_PER_CHAR_TITLE_PHRASE = 12.0
_PER_CHAR_CREATOR_EXACT = 15.0
_PER_CHAR_TITLE_EXACT = 20.0
_PER_SYLLABLE_TITLE_PINYIN = 20.0  # a syllable is about three letters
_BOOST_TITLE = 3.0  # single-character queries only
_BOOST_CREATOR = 3.0  # single-character queries only
_BOOST_PINYIN = 3.0
_BOOST_POPULAR = 15.0

# Tokenizers run inside tantivy (in its indexing threads, off the Python thread), on text
# that Python has folded and whose punctuation it has turned into spaces:
# - unigrams: each Han character, or a run of other letters and digits, with positions, and
#   the clause mark U+E000 that Python puts where punctuation was, so that a phrase never
#   matches across a clause boundary (风花 does not match 春风，花落);
# - bigrams: every two adjacent characters. Pairs that contain a space never match a query
#   bigram (queries are cut into bigrams inside runs of Han characters only).
_UNIGRAMS = "wenyuan_unigram"
_BIGRAMS = "wenyuan_bigram"


def _register_tokenizers(index: tantivy.Index) -> None:
    unigram = tantivy.TextAnalyzerBuilder(
        tantivy.Tokenizer.regex(r"\p{Han}|[\p{L}\p{N}&&[^\p{Han}]]+|\x{E000}")
    ).build()
    bigram = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2, False)).build()
    index.register_tokenizer(_UNIGRAMS, unigram)
    index.register_tokenizer(_BIGRAMS, bigram)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in FACETS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("title_u", "creator_u", "body_u"):
        sb.add_text_field(name, tokenizer_name=_UNIGRAMS, index_option="position")
    for name in ("title_b", "creator_b", "body_b"):
        sb.add_text_field(name, tokenizer_name=_BIGRAMS, index_option="freq")
    sb.add_text_field("title_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title_pinyin", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("pinyin", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("en", tokenizer_name="en_stem", index_option="position")
    sb.add_integer_field("earliest", indexed=True, fast=True)
    sb.add_integer_field("latest", indexed=True, fast=True)
    sb.add_integer_field("popular", indexed=True, fast=True)
    return sb.build()


class TantivyIndex:
    """A tantivy index in ``path`` (created if absent)."""

    def __init__(self, path: Path, *, writer_memory_mb: int = 256, threads: int = 2) -> None:
        self.path = path
        self._schema = _schema()
        self._writer_memory = writer_memory_mb * 1024 * 1024
        self._threads = threads
        self._writer: Any = None
        self._lock = threading.Lock()
        self._reloaded = 0.0
        marker = path / "wenyuan-schema"
        try:
            path.mkdir(parents=True, exist_ok=True)
            if marker.exists() and marker.read_text().strip() != _SCHEMA_VERSION:
                # Built by another version: the index is derived data, so start it afresh;
                # the platform sees an empty index and rebuilds it from the records.
                log.warning("search.index_rebuilt", path=str(path), reason="schema changed")
                shutil.rmtree(path)
                path.mkdir(parents=True)
            self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
            _register_tokenizers(self._index)
            marker.write_text(_SCHEMA_VERSION)
        except (ValueError, OSError) as exc:
            raise StorageError(f"cannot open the search index at {path}: {exc}") from exc

    # -- writing ----------------------------------------------------------------------------

    def _get_writer(self) -> Any:
        if self._writer is None:
            try:
                self._writer = self._index.writer(self._writer_memory, self._threads)
            except ValueError as exc:
                raise StorageError(
                    f"the search index at {self.path} is locked by another process: {exc}"
                ) from exc
        return self._writer

    def add(self, documents: list[IndexDocument], *, replace: bool = True) -> None:
        with self._lock:
            writer = self._get_writer()
            for doc in documents:
                if replace:
                    writer.delete_documents_by_term("id", doc.id)
                writer.add_document(self._to_tantivy(doc))

    def delete(self, ids: list[str]) -> None:
        with self._lock:
            writer = self._get_writer()
            for record_id in ids:
                writer.delete_documents_by_term("id", record_id)

    def clear(self) -> None:
        with self._lock:
            self._get_writer().delete_all_documents()

    def commit(self) -> None:
        with self._lock:
            if self._writer is None:
                return
            try:
                self._writer.commit()
                self._writer.wait_merging_threads()
            except ValueError as exc:
                raise StorageError(f"search index commit failed: {exc}") from exc
            finally:
                self._writer = None
            self._index.reload()
            self._reloaded = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.rollback()
                self._writer = None

    @staticmethod
    def _to_tantivy(doc: IndexDocument) -> tantivy.Document:
        title, creator, body, exact = index_texts(doc.titles, doc.creators, doc.body)
        fields: dict[str, Any] = {
            "id": doc.id,
            "type": doc.type,
            "source": doc.source,
            "title_exact": exact,
            "title_pinyin": "".join(doc.title_pinyin.lower().split()),
            "title_u": title,
            "title_b": title,
            "creator_u": creator,
            "creator_b": creator,
            "body_u": body,
            "body_b": body,
            "pinyin": pinyin_tokens(doc.pinyin),
            "en": doc.english,
            "popular": 1 if doc.popular else 0,
        }
        if doc.dynasty:
            fields["dynasty"] = doc.dynasty
        if doc.creators:
            fields["creator"] = list(dict.fromkeys(doc.creators))
        if doc.earliest is not None:
            fields["earliest"] = doc.earliest
        if doc.latest is not None:
            fields["latest"] = doc.latest
        return tantivy.Document(**fields)

    # -- reading ----------------------------------------------------------------------------

    def _searcher(self) -> Any:
        now = time.monotonic()
        if now - self._reloaded > 1.0:
            self._index.reload()
            self._reloaded = now
        return self._index.searcher()

    def refresh(self) -> None:
        self._index.reload()
        self._reloaded = time.monotonic()

    def count(self) -> int:
        return int(self._searcher().num_docs)

    def search(self, query: SearchQuery) -> SearchResult:
        for name in query.filters:
            if name not in FACETS:
                raise InvalidInput(f"unknown filter {name!r}; use one of {', '.join(FACETS)}")
        built = self._build(query)
        searcher = self._searcher()
        try:
            found = searcher.search(built, limit=query.limit, offset=query.offset)
            hits = [Hit(searcher.doc(addr)["id"][0], float(score)) for score, addr in found.hits]
            facets = (
                self._facets(searcher, built, query.facets, query.facet_limit)
                if query.facets
                else {}
            )
        except ValueError as exc:
            raise StorageError(f"search failed: {exc}") from exc
        return SearchResult(total=int(found.count), hits=hits, facets=facets)

    def _facets(
        self, searcher: Any, built: Any, names: tuple[str, ...], size: int
    ) -> dict[str, list[FacetCount]]:
        spec = {name: {"terms": {"field": name, "size": size}} for name in names}
        result = searcher.aggregate(built, spec)
        return {
            name: [FacetCount(str(b["key"]), int(b["doc_count"])) for b in result[name]["buckets"]]
            for name in names
        }

    def _build(self, query: SearchQuery) -> Any:
        schema = self._schema
        text = self._text_query(query.text)
        must: list[tuple[Any, Any]] = []
        if text is None:
            must.append((_Occur.Must, _Q.all_query()))
        else:
            must.append((_Occur.Must, text))
            popular = _Q.const_score_query(_Q.term_query(schema, "popular", 1), _BOOST_POPULAR)
            must.append((_Occur.Should, popular))
        for name, values in query.filters.items():
            values = [v for v in values if v]
            if values:
                options = [(_Occur.Should, _Q.term_query(schema, name, v)) for v in values]
                must.append((_Occur.Must, _Q.const_score_query(_Q.boolean_query(options), 0.0)))
        if query.year_to is not None:
            rng = _Q.range_query(schema, "earliest", tantivy.FieldType.Integer, None, query.year_to)
            must.append((_Occur.Must, _Q.const_score_query(rng, 0.0)))
        if query.year_from is not None:
            rng = _Q.range_query(schema, "latest", tantivy.FieldType.Integer, query.year_from, None)
            must.append((_Occur.Must, _Q.const_score_query(rng, 0.0)))
        return _Q.boolean_query(must)

    def _text_query(self, text: str) -> Any | None:
        analyzed = analyze_query(text)
        if analyzed.empty:
            return None
        schema = self._schema
        should: list[tuple[Any, Any]] = []

        def add(q: Any, boost: float = 1.0) -> None:
            should.append((_Occur.Should, _Q.boost_query(q, boost) if boost != 1.0 else q))

        for run in analyzed.cjk_runs:
            if len(run) == 1:
                add(_Q.term_query(schema, "title_u", run), _BOOST_TITLE)
                add(_Q.term_query(schema, "creator_u", run), _BOOST_CREATOR)
                add(_Q.term_query(schema, "body_u", run))
                continue
            for bigram in dict.fromkeys(cjk_bigrams(run)):
                add(_Q.term_query(schema, "body_b", bigram))
                add(_Q.term_query(schema, "title_b", bigram))
                add(_Q.term_query(schema, "creator_b", bigram))
            fixed = _Q.const_score_query
            if len(run) == 2:
                # A two-character phrase is exactly its bigram (bigrams, like phrases, stop at
                # punctuation), and one posting list is far cheaper than checking positions.
                body_phrase = _Q.term_query(schema, "body_b", run)
                title_phrase = _Q.term_query(schema, "title_b", run)
            else:
                chars: list[str | tuple[int, str]] = list(run)
                body_phrase = _Q.phrase_query(schema, "body_u", chars)
                title_phrase = _Q.phrase_query(schema, "title_u", chars)
            add(fixed(body_phrase, _PER_CHAR_BODY_PHRASE * len(run)))
            add(fixed(title_phrase, _PER_CHAR_TITLE_PHRASE * len(run)))
            add(fixed(_Q.term_query(schema, "creator", run), _PER_CHAR_CREATOR_EXACT * len(run)))
            add(fixed(_Q.term_query(schema, "title_exact", run), _PER_CHAR_TITLE_EXACT * len(run)))
        if analyzed.words:
            for word in analyzed.words:
                add(_Q.term_query(schema, "title_u", word), _BOOST_TITLE)
                add(_Q.term_query(schema, "creator_u", word), _BOOST_CREATOR)
            # Pinyin readings are indexed syllable by syllable and run together (li bai libai),
            # so "li bai" and "libai" both match the run-together form: one posting list,
            # instead of the long lists of common syllables such as "li".
            joined = "".join(analyzed.words)
            add(_Q.term_query(schema, "pinyin", joined), _BOOST_PINYIN * len(analyzed.words))
            # The whole title read in pinyin (libai → the person 李白, jingyesi → 《静夜思》).
            title_reading = _Q.term_query(schema, "title_pinyin", joined)
            add(_Q.const_score_query(title_reading, _PER_SYLLABLE_TITLE_PINYIN * len(joined) / 3))
            english = self._index.parse_query_lenient(" ".join(analyzed.words), ["en"])[0]
            add(english)
        return _Q.boolean_query(should)
