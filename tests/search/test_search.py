"""Search over the built-in sample: scripts, pinyin, English, facets, years, bad input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenyuan.app import Platform
from wenyuan.core.errors import InvalidInput
from wenyuan.core.text import to_simplified
from wenyuan.search import IndexDocument, SearchQuery, TantivyIndex


def top_titles(platform: Platform, query: str, n: int = 3, **kwargs: object) -> list[str]:
    page = platform.search(query, limit=n, **kwargs)  # type: ignore[arg-type]
    return [hit.record.labels.get("zh-Hans", "") for hit in page.hits]


@pytest.mark.parametrize(
    "query",
    ["床前明月光", "牀前明月光", "静夜思", "靜夜思", "举头望明月", "舉頭望明月"],
    ids=["line", "variant-char", "title", "title-traditional", "line2", "line2-traditional"],
)
def test_jingyesi_is_first_for_its_lines_and_title(sample_platform: Platform, query: str) -> None:
    """静夜思 ranks first for its title and lines, in either script and with 牀 for 床."""
    assert top_titles(sample_platform, query, 1) == ["静夜思"]


@pytest.mark.parametrize("query", ["li bai", "libai", "Li Bai", "LIBAI"])
def test_pinyin_finds_li_bai(sample_platform: Platform, query: str) -> None:
    """Toneless pinyin, spaced or run together, in any case, finds 李白 first, then his poems."""
    page = sample_platform.search(query, limit=10)
    assert page.hits[0].record.labels.get("zh-Hans") == "李白"
    assert page.hits[0].record.type == "person"
    assert any(h.record.creators and h.record.creators[0].name == "李白" for h in page.hits[1:])


def test_pinyin_title_finds_the_poem(sample_platform: Platform) -> None:
    """A title typed in pinyin finds the poem with that title."""
    assert top_titles(sample_platform, "jing ye si", 1) == ["静夜思"]


def test_english_query_searches_english_fields(sample_platform: Platform) -> None:
    """An English query finds records through their English titles and descriptions."""
    page = sample_platform.search("Forbidden City", limit=5)
    assert any("Forbidden City" in (h.record.labels.get("en") or "") for h in page.hits)


def test_facets_count_and_filter(sample_platform: Platform) -> None:
    """Facet counts add up to the total, and a type filter keeps exactly the hits of that
    type that its facet counted."""
    page = sample_platform.search("月", limit=50, facets=("type", "dynasty"))
    assert set(page.facets) == {"type", "dynasty"}
    types = {f.value: f.count for f in page.facets["type"]}
    assert sum(types.values()) == page.total
    assert types["poem"] > 0
    assert 0 < types["ci"] < page.total
    only_ci = sample_platform.search("月", limit=50, filters={"type": ["ci"]})
    assert only_ci.total == types["ci"]
    assert len(only_ci.hits) == only_ci.total
    assert all(h.record.type == "ci" for h in only_ci.hits)


def test_no_facets_are_counted_unless_asked(sample_platform: Platform) -> None:
    """A plain search finds hits but counts no facets; counting is opt-in per search."""
    page = sample_platform.search("月", limit=5)
    assert page.total > 0
    assert page.facets == {}


def test_facets_list_20_values_unless_asked_for_more(sample_platform: Platform) -> None:
    """By default a facet lists its 20 most frequent values; ``facet_limit`` lists more."""
    default = sample_platform.search("", limit=1, facets=("creator",))
    wide = sample_platform.search("", limit=1, facets=("creator",), facet_limit=1000)

    assert len(default.facets["creator"]) == 20
    assert len(wide.facets["creator"]) == 103  # every creator in the sample collection


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 120))
def test_facet_limit_bounds_every_facet_most_frequent_first(
    sample_platform: Platform, n: int
) -> None:
    """Each facet lists min(n, its distinct values) values, in falling order of count."""
    facets = ("creator", "dynasty", "type")
    every = sample_platform.search("", limit=1, facets=facets, facet_limit=1000).facets
    page = sample_platform.search("", limit=1, facets=facets, facet_limit=n)

    for name in facets:
        assert every[name], name
        counts = [f.count for f in page.facets[name]]
        assert len(counts) == min(n, len(every[name]))
        assert counts == sorted(counts, reverse=True)


def test_the_index_takes_the_facet_limit_from_the_query(sample_platform: Platform) -> None:
    """``SearchQuery.facet_limit`` reaches the backend's facet count."""
    query = SearchQuery(text="月", limit=1, facets=("creator",), facet_limit=3)

    assert len(sample_platform.index.search(query).facets["creator"]) == 3


def test_year_range_keeps_overlapping_spans(sample_platform: Platform) -> None:
    """A year range keeps records whose span overlaps it and drops the others."""
    page = sample_platform.search("", limit=100, year_from=1100, year_to=1200)
    assert 0 < page.total < sample_platform.search("", limit=1).total
    assert len(page.hits) == page.total
    for hit in page.hits:
        span = hit.record.time
        assert span is not None
        assert span.earliest is not None
        assert span.latest is not None
        assert span.earliest <= 1200
        assert span.latest >= 1100


def test_filter_by_dynasty_and_creator(sample_platform: Platform) -> None:
    """Dynasty and creator filters narrow to records with those values."""
    page = sample_platform.search("", limit=100, filters={"creator": ["苏轼"]})
    assert page.total > 0
    assert len(page.hits) == page.total
    assert all(any(c.name == "苏轼" for c in h.record.creators) for h in page.hits)
    tang = sample_platform.search("月", limit=100, filters={"dynasty": ["唐"]})
    assert 0 < tang.total < sample_platform.search("月", limit=1).total
    assert len(tang.hits) == tang.total
    assert all(h.record.dynasty == "唐" for h in tang.hits)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"year_from": 1500, "year_to": 1400}, "year_from"),
        ({"filters": {"colour": ["red"]}}, "unknown filter"),
        ({"facets": ("creator",), "facet_limit": 0}, "facet_limit"),
        ({"facets": ("creator",), "facet_limit": 1001}, "facet_limit"),
    ],
    ids=[
        "zero-limit",
        "huge-limit",
        "negative-offset",
        "reversed-years",
        "unknown-filter",
        "zero-facet-limit",
        "huge-facet-limit",
    ],
)
def test_bad_search_arguments_are_invalid_input(
    sample_platform: Platform, kwargs: dict[str, object], message: str
) -> None:
    """Out-of-range arguments raise InvalidInput naming the argument."""
    with pytest.raises(InvalidInput, match=message):
        sample_platform.search("月", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND OR NOT",
        "title:(",
        "*",
        "月" * 500,
        "\x00",
        "🙂",
        "<script>",
        "'; DROP TABLE records",
    ],
    ids=["quote", "operators", "field-syntax", "star", "long", "nul", "emoji", "html", "sql"],
)
def test_hostile_queries_never_fail(sample_platform: Platform, query: str) -> None:
    """Query syntax, control characters and odd scripts are searched as text, never an error:
    the total counts exactly the hits there are, and the text around the syntax still finds
    what it names."""
    page = sample_platform.search(query, limit=5)
    everything = sample_platform.search(query, limit=100)
    assert len(page.hits) == min(5, page.total)
    assert page.total == everything.total
    if page.total <= 100:
        assert len(everything.hits) == page.total
    # The hostile text beside a real line does not stop the line from being found.
    wrapped = sample_platform.search(f"{query[:400]} 床前明月光", limit=5)
    assert any("静夜思" in h.record.labels.get("zh-Hans", "") for h in wrapped.hits)


def test_empty_query_browses_everything(sample_platform: Platform) -> None:
    """An empty query with no filter matches every record."""
    assert sample_platform.search("", limit=1).total == sample_platform.store.count() > 0


def test_phrases_stop_at_punctuation(sample_platform: Platform) -> None:
    """Two characters either side of a comma are not a phrase: 光疑 does not find 静夜思,
    though each character alone does, and so does a pair within one clause (疑是)."""
    assert "静夜思" not in top_titles(sample_platform, "光疑", 20)
    assert top_titles(sample_platform, "光 疑", 1) == ["静夜思"]
    assert top_titles(sample_platform, "疑是", 1) == ["静夜思"]


def test_author_name_ranks_their_own_work_first(sample_platform: Platform) -> None:
    """An author's name finds the person and their works before works that only mention them."""
    page = sample_platform.search("杜甫", limit=5)
    assert page.hits[0].record.type == "person"
    assert page.hits[0].record.labels["zh-Hans"] == "杜甫"
    by_him = [h for h in page.hits if any(c.name == "杜甫" for c in h.record.creators)]
    assert len(by_him) >= 3


@pytest.fixture(scope="module")
def scratch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TantivyIndex]:
    """An empty tantivy index of its own."""
    index = TantivyIndex(tmp_path_factory.mktemp("scratch-index"), writer_memory_mb=32)
    yield index
    index.close()


_clause = st.text(
    alphabet=st.sampled_from("天地玄黄宇宙洪荒日月盈昃辰宿列張寒來暑往"), min_size=2, max_size=9
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(clauses=st.lists(_clause, min_size=1, max_size=4), data=st.data())
def test_any_piece_of_an_indexed_clause_finds_its_document(
    scratch_index: TantivyIndex, clauses: list[str], data: st.DataObject
) -> None:
    """Index and query analysis agree: any 2+ character piece of a clause, in traditional or
    simplified characters, finds the document whose body holds the clause."""
    doc_id = f"r-{uuid.uuid4().hex[:20]}"
    scratch_index.add(
        [
            IndexDocument(
                id=doc_id, type="poem", source="test", titles=["题"], body="，".join(clauses) + "。"
            )
        ]
    )
    scratch_index.commit()
    clause = data.draw(st.sampled_from(clauses))
    start = data.draw(st.integers(0, len(clause) - 2))
    end = data.draw(st.integers(start + 2, len(clause)))
    piece = to_simplified(clause[start:end])
    found = scratch_index.search(SearchQuery(text=piece, limit=1000, facets=()))
    assert doc_id in {hit.id for hit in found.hits}
