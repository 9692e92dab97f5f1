"""Full-text search: the ``Index`` protocol, its vocabulary and the embedded tantivy backend.

``search`` imports ``core`` alone; the application maps records to ``IndexDocument``.
"""

from __future__ import annotations

from wenyuan.search._analysis import analyze_query
from wenyuan.search._tantivy_backend import TantivyIndex
from wenyuan.search._types import (
    FACETS,
    FacetCount,
    Hit,
    Index,
    IndexDocument,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "FACETS",
    "FacetCount",
    "Hit",
    "Index",
    "IndexDocument",
    "SearchQuery",
    "SearchResult",
    "TantivyIndex",
    "analyze_query",
]
