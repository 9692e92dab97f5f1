"""What goes into the index and what comes out: documents, queries, hits, facets.

These types are the ``Index`` protocol's vocabulary; the embedded tantivy backend and any
later server backend (OpenSearch) take and give exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "FACETS",
    "FacetCount",
    "Hit",
    "Index",
    "IndexDocument",
    "SearchQuery",
    "SearchResult",
]

#: Fields a search can be faceted and filtered by.
FACETS = ("type", "dynasty", "creator", "source")


@dataclass(slots=True)
class IndexDocument:
    """One record as the index sees it. Text fields hold text as the source wrote it; the
    index folds and tokenizes it."""

    id: str
    type: str
    source: str
    titles: list[str]
    creators: list[str] = field(default_factory=list)
    body: str = ""
    english: str = ""
    dynasty: str | None = None
    earliest: int | None = None
    latest: int | None = None
    popular: bool = False
    subjects: list[str] = field(default_factory=list)
    #: Toneless pinyin readings of the title and names (``li bai``), as the record has them.
    pinyin: list[str] = field(default_factory=list)
    #: The title's own reading, for whole-title pinyin matches (``jing ye si``).
    title_pinyin: str = ""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: free text plus filters. ``filters`` maps a facet name to the values wanted.

    ``facets`` names the facets to count, and ``facet_limit`` is how many values of each
    come back at most, the most frequent first (ask one more than you show to learn whether
    there are more). The caller bounds it; a backend takes it as given.
    """

    text: str
    limit: int = 20
    offset: int = 0
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    facets: tuple[str, ...] = FACETS
    facet_limit: int = 20


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]


class Index(Protocol):
    """A full-text index of records. Writes are visible to searches after ``commit``."""

    def add(self, documents: list[IndexDocument], *, replace: bool = True) -> None:
        """Add documents; with ``replace`` an earlier document of the same id is dropped.

        ``replace=False`` is for building an index known not to hold these ids yet.
        """
        ...

    def delete(self, ids: list[str]) -> None: ...

    def commit(self) -> None:
        """Make every write so far durable and searchable."""
        ...

    def clear(self) -> None:
        """Remove every document (for a rebuild)."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def refresh(self) -> None:
        """See every commit made so far, also by other processes, in the next search."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...
