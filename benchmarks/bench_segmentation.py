"""Character n-grams against word segmentation (jieba) for classical Chinese poetry.

The evidence behind docs/adr/0002-cjk-ngrams.md. It reads the Tang and Song shi of
``../shared/data/chinese-poetry.tar.xz`` (``全唐诗/poet.tang.*.json`` and ``poet.song.*.json``,
traditional characters): the first ``--poems`` of them, half Tang and half Song, each half in
file-number order (deterministic). Bodies are folded with ``wenyuan.core.text.fold`` (as the
platform indexes them) and indexed, body only, into three small tantivy indexes in a
temporary folder:

- **ngram**: the design our backend was built on (``wenyuan.search._tantivy_backend``, which
  has since added a clause mark at punctuation and ranks by phrase tiers: ADR 0002's
  update), measured under the same query as jieba: a unigram field
  (regex tokenizer ``\\p{Han}|[\\p{L}\\p{N}&&[^\\p{Han}]]+``, with positions) and a bigram field
  (ngram 2..2); query = OR of the query's bigrams (boost 1) + phrase of its unigrams (boost 2).
- **jieba**: ``jieba.lcut`` words, space-joined, whitespace tokenizer with positions; query =
  the query segmented the same way, OR of its words (boost 1) + phrase of its words (boost 2).
- **jieba-search**: the same with ``jieba.lcut_for_search`` (words plus the shorter words
  inside them) for the index and the query.

Measured on each index, in the same run, with the same seeded queries:

1. Known items: random poems, a random 5- or 7-character line of each (split at ，。？！；);
   a hit is the poem's own record in the top 1/3/10.
2. 4-character fragments cut at a random offset inside such lines; top 1/3/10.
3. 2-character words (a random bigram of a line): precision@10 (share of the top-10 hits
   whose folded text holds the bigram contiguously) and, on at most 200 of them, recall (share
   of the poems holding the bigram that the query matches at all).
4. Build time (segmentation in Python included; folding excluded, it is the same for all),
   index size on disk, query latency p50/p95 (query analysis + search + top-10 ids), one
   writer thread.
5. Where jieba cuts a fragment differently from the indexed line that contains it (so the
   phrase cannot match): the share of such fragments and examples.

"Ambiguous" queries are those that occur more than once in the sample: for them top-1 may be
another poem with the same words (the ceiling, equal for all indexes).

Run (from the repository root; about 2–3 minutes at 50,000 poems on 2 cores):
``.venv/bin/python benchmarks/bench_segmentation.py [--poems 50000] [--queries 1000]
[--seed 2024] [--examples 5]``. Needs ``jieba`` (``.venv/bin/pip install jieba``); not a
dependency of the platform. Output: stdout, ending with a markdown block for
docs/benchmarks.md, also written to ``benchmarks/results/segmentation-<date>.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tantivy

from _common import POETRY_ARCHIVE, machine_line, ms, pct, percentile, write_result
from wenyuan.core.text import cjk_bigrams, fold, is_cjk

try:
    import jieba
except ImportError:  # pragma: no cover - a benchmark-only dependency
    sys.exit("this benchmark needs jieba: .venv/bin/pip install jieba")

_SHI_FILE = re.compile(r"全唐诗/poet\.(tang|song)\.(\d+)\.json$")
#: Clause ends, full-width as written and ASCII as ``fold`` may leave them.
_CLAUSE = re.compile(r"[，。？！；,?!;]")
_SEPARATORS = re.compile(r"[\W_]+")
_WORDLIKE = re.compile(r"\w")
_Occur = tantivy.Occur
_Q = tantivy.Query
_PHRASE_BOOST = 2.0
_WRITER_HEAP = 128 * 1024 * 1024


@dataclass(slots=True)
class Poem:
    text: str  # folded body, punctuation kept
    lines: list[str]  # folded 5- and 7-character clauses, Han only


# -- data --------------------------------------------------------------------------------------


def load_poems(archive: Path, count: int) -> list[Poem]:
    """The first ``count`` shi, half Tang and half Song, each in file-number order."""
    wanted = {"tang": count - count // 2, "song": count // 2}
    # Files hold 1,000 poems each; read a few more in case some hold fewer.
    limit = {d: (math.ceil(n / 1000) + 3) * 1000 for d, n in wanted.items()}
    files: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            match = _SHI_FILE.search(member.name)
            if not match or not member.isfile():
                continue
            dynasty, number = match.group(1), int(match.group(2))
            if number >= limit[dynasty]:
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                files[(dynasty, number)] = json.loads(handle.read())
    poems: list[Poem] = []
    for dynasty in ("tang", "song"):
        taken = 0
        for key in sorted(k for k in files if k[0] == dynasty):
            for raw in files[key]:
                if taken == wanted[dynasty]:
                    break
                text = fold("".join(raw.get("paragraphs") or []))
                lines = [
                    c
                    for c in _CLAUSE.split(text)
                    if len(c) in (5, 7) and all(is_cjk(ch) for ch in c)
                ]
                poems.append(Poem(text, lines))
                taken += 1
        if taken < wanted[dynasty]:
            sys.exit(f"only {taken} {dynasty} poems found in {archive}")
    return poems


# -- the indexes -------------------------------------------------------------------------------


def _words(cut: Callable[[str], list[str]], text: str) -> list[str]:
    return [w for w in (w.strip() for w in cut(text)) if w and _WORDLIKE.search(w)]


@dataclass
class Variant:
    name: str
    build_doc: Callable[[str], dict[str, str]]
    build_query: Callable[[str], Any]
    schema: Any
    index: Any = None
    searcher: Any = None
    build_seconds: float = 0.0
    size_bytes: int = 0
    by_address: dict[tuple[int, int], int] = field(default_factory=dict)


def ngram_variant() -> Variant:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("n", stored=True)
    sb.add_text_field("body_u", tokenizer_name="bench_unigram", index_option="position")
    sb.add_text_field("body_b", tokenizer_name="bench_bigram", index_option="freq")
    schema = sb.build()

    def build_doc(text: str) -> dict[str, str]:
        spaced = _SEPARATORS.sub(" ", text)
        return {"body_u": spaced, "body_b": spaced}

    def build_query(query: str) -> Any:
        should: list[tuple[Any, Any]] = [
            (_Occur.Should, _Q.term_query(schema, "body_b", b))
            for b in dict.fromkeys(cjk_bigrams(query))
        ]
        phrase = _Q.phrase_query(schema, "body_u", list(query))
        should.append((_Occur.Should, _Q.boost_query(phrase, _PHRASE_BOOST)))
        return _Q.boolean_query(should)

    return Variant("ngram", build_doc, build_query, schema)


def word_variant(name: str, cut: Callable[[str], list[str]]) -> Variant:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("n", stored=True)
    sb.add_text_field("body_w", tokenizer_name="whitespace", index_option="position")
    schema = sb.build()

    def build_doc(text: str) -> dict[str, str]:
        return {"body_w": " ".join(_words(cut, text))}

    def build_query(query: str) -> Any:
        words = _words(cut, query)
        should: list[tuple[Any, Any]] = [
            (_Occur.Should, _Q.term_query(schema, "body_w", w)) for w in dict.fromkeys(words)
        ]
        if len(words) > 1:
            phrase = _Q.phrase_query(schema, "body_w", words)
            should.append((_Occur.Should, _Q.boost_query(phrase, _PHRASE_BOOST)))
        return _Q.boolean_query(should)

    return Variant(name, build_doc, build_query, schema)


def build(variant: Variant, poems: list[Poem], folder: Path) -> None:
    folder.mkdir(parents=True)
    index = tantivy.Index(variant.schema, path=str(folder))
    index.register_tokenizer(
        "bench_unigram",
        tantivy.TextAnalyzerBuilder(
            tantivy.Tokenizer.regex(r"\p{Han}|[\p{L}\p{N}&&[^\p{Han}]]+")
        ).build(),
    )
    index.register_tokenizer(
        "bench_bigram", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(2, 2, False)).build()
    )
    started = time.perf_counter()
    writer = index.writer(_WRITER_HEAP, 1)
    for n, poem in enumerate(poems):
        writer.add_document(tantivy.Document(n=n, **variant.build_doc(poem.text)))
    writer.commit()
    writer.wait_merging_threads()
    variant.build_seconds = time.perf_counter() - started
    variant.size_bytes = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    index.reload()
    variant.index = index
    variant.searcher = index.searcher()
    everything = variant.searcher.search(_Q.all_query(), limit=len(poems))
    for _score, addr in everything.hits:
        n = variant.searcher.doc(addr)["n"][0]
        variant.by_address[(addr.segment_ord, addr.doc)] = n


def top_ids(variant: Variant, query: str, k: int = 10) -> list[int]:
    searcher = variant.searcher
    found = searcher.search(variant.build_query(query), limit=k)
    return [searcher.doc(addr)["n"][0] for _score, addr in found.hits]


def matched_ids(variant: Variant, query: str) -> set[int]:
    searcher = variant.searcher
    built = variant.build_query(query)
    total = searcher.search(built, limit=1).count
    if not total:
        return set()
    found = searcher.search(built, limit=total)
    return {variant.by_address[(a.segment_ord, a.doc)] for _s, a in found.hits}


# -- queries -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Sample:
    poem: int
    line: str
    fragment: str  # 4 characters at a random offset of line
    bigram: str  # 2 characters at a random offset of line


def draw(poems: list[Poem], count: int, rng: random.Random) -> list[Sample]:
    candidates = [i for i, p in enumerate(poems) if p.lines]
    samples = []
    for i in rng.sample(candidates, min(count, len(candidates))):
        line = rng.choice(poems[i].lines)
        at4 = rng.randrange(len(line) - 3)
        at2 = rng.randrange(len(line) - 1)
        samples.append(Sample(i, line, line[at4 : at4 + 4], line[at2 : at2 + 2]))
    return samples


def contiguous(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@dataclass
class Figures:
    ranks: dict[str, list[int | None]] = field(default_factory=dict)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)


def measure(variant: Variant, samples: list[Sample], poems: list[Poem], recall_n: int) -> Figures:
    figures = Figures()
    for _ in range(20):  # warm-up
        top_ids(variant, samples[0].line)
    for kind in ("line", "fragment"):
        ranks: list[int | None] = []
        for s in samples:
            query = getattr(s, kind)
            started = time.perf_counter()
            ids = top_ids(variant, query)
            figures.latency.append(time.perf_counter() - started)
            ranks.append(ids.index(s.poem) + 1 if s.poem in ids else None)
        figures.ranks[kind] = ranks
    for s in samples:
        started = time.perf_counter()
        ids = top_ids(variant, s.bigram)
        figures.latency.append(time.perf_counter() - started)
        if ids:
            figures.precision.append(sum(s.bigram in poems[i].text for i in ids) / len(ids))
        else:
            figures.precision.append(0.0)
    for s in samples[:recall_n]:
        holding = {i for i, p in enumerate(poems) if s.bigram in p.text}
        figures.recall.append(len(holding & matched_ids(variant, s.bigram)) / len(holding))
    return figures


def top(ranks: list[int | None], k: int) -> str:
    return pct(sum(1 for r in ranks if r is not None and r <= k), len(ranks))


def size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--poems", type=int, default=50000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--examples", type=int, default=5)
    parser.add_argument("--archive", type=Path, default=POETRY_ARCHIVE)
    args = parser.parse_args()

    jieba.setLogLevel(60)
    jieba.initialize()
    jieba_version = getattr(jieba, "__version__", "?")

    started = time.perf_counter()
    poems = load_poems(args.archive, args.poems)
    chars = sum(len(p.text) for p in poems)
    print(
        f"{len(poems)} poems ({chars:,} characters) read and folded in "
        f"{time.perf_counter() - started:.1f} s"
    )

    rng = random.Random(args.seed)
    samples = draw(poems, args.queries, rng)
    corpus = "\n".join(p.text for p in poems)
    ambiguous = {
        kind: sum(corpus.count(getattr(s, kind)) > 1 for s in samples)
        for kind in ("line", "fragment")
    }

    variants = [
        ngram_variant(),
        word_variant("jieba", jieba.lcut),
        word_variant("jieba-search", jieba.lcut_for_search),
    ]
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="wenyuan-seg-") as tmp:
        for variant in variants:
            build(variant, poems, Path(tmp) / variant.name)
            print(
                f"{variant.name}: built in {variant.build_seconds:.1f} s, "
                f"{size(variant.size_bytes)}"
            )
            results[variant.name] = measure(variant, samples, poems, min(200, len(samples)))
            variant.searcher = variant.index = None

    # Where jieba cuts a query differently from the line it was cut from.
    split_fragments = []
    split_bigrams = 0
    for s in samples:
        line_words = _words(jieba.lcut, s.line)
        if not contiguous(_words(jieba.lcut, s.fragment), line_words):
            split_fragments.append((s.fragment, s.line, line_words))
        bigram_words = _words(jieba.lcut, s.bigram)
        if not contiguous(bigram_words, line_words):
            split_bigrams += 1

    n = len(samples)
    out: list[str] = []
    out.append(f"### Character n-grams against jieba {jieba_version} (bench_segmentation.py)\n")
    out.append(f"{machine_line()} · tantivy-py, 1 writer thread\n")
    out.append(
        f"{len(poems):,} shi ({len(poems) - len(poems) // 2:,} Tang, {len(poems) // 2:,} Song, "
        f"{chars:,} characters, folded), body only; {n} seeded queries of each kind "
        f"(seed {args.seed}); recall on {min(200, n)} bigrams.\n"
    )
    header = "| | " + " | ".join(v.name for v in variants) + " |"
    out.append(header)
    out.append("|---" * (len(variants) + 1) + "|")

    def row(label: str, cell: Callable[[Variant, Figures], str]) -> None:
        out.append(f"| {label} | " + " | ".join(cell(v, results[v.name]) for v in variants) + " |")

    for kind, label in (("line", "5/7-char line"), ("fragment", "4-char fragment")):
        for k in (1, 3, 10):
            row(f"{label}: top-{k}", lambda v, f, kind=kind, k=k: top(f.ranks[kind], k))
    row("2-char word: precision@10", lambda v, f: f"{sum(f.precision) / n:.1%}")
    row("2-char word: recall", lambda v, f: f"{sum(f.recall) / len(f.recall):.1%}")
    row("build time", lambda v, f: f"{v.build_seconds:.1f} s")
    row("index size", lambda v, f: size(v.size_bytes))
    row("latency p50", lambda v, f: ms(percentile(f.latency, 50)))
    row("latency p95", lambda v, f: ms(percentile(f.latency, 95)))
    out.append("")
    out.append(
        f"Ceiling: {pct(ambiguous['line'], n)} of the lines and {pct(ambiguous['fragment'], n)} "
        "of the fragments occur more than once in the sample, so another poem can rightly rank "
        "first. Latency is query analysis + search + top-10 ids over all "
        f"{3 * n} queries."
    )
    out.append(
        f"jieba cuts {pct(len(split_fragments), n)} of the 4-char fragments and "
        f"{pct(split_bigrams, n)} of the 2-char words differently from the line they come from "
        "(the query's words are not a run of the line's words), for example:"
    )
    out.append("")
    for fragment, line, line_words in split_fragments[: args.examples]:
        out.append(
            f"- {fragment} → {' / '.join(_words(jieba.lcut, fragment))}; "
            f"in the line {line} → {' / '.join(line_words)}"
        )
    text = "\n".join(out) + "\n"
    print()
    print(text)
    print(f"written to {write_result('segmentation', text)}")


if __name__ == "__main__":
    main()
