"""The bounds of the reading use cases' input, each stated once.

``Platform`` refuses a search or a listing outside them with ``InvalidInput``; the API builds
its parameters from them, so that its OpenAPI document states the bounds the platform
applies, and the web pages and the CLI keep what readers type inside them. The largest
search page is a setting, ``Settings.max_search_limit`` (``WENYUAN_MAX_SEARCH_LIMIT``); the
other bounds are fixed here.
"""

from __future__ import annotations

__all__ = [
    "MAX_FACET_LIMIT",
    "MAX_FACET_VALUES",
    "MAX_INGEST_RUNS",
    "MAX_OFFSET",
    "MAX_RECORDS_LIMIT",
    "MAX_SEARCH_QUERY",
    "MAX_YEAR",
]

MAX_SEARCH_QUERY = 500
"""Characters of a search query."""
MAX_OFFSET = 10_000
"""Hits a search may skip: how deep paging goes."""
MAX_FACET_LIMIT = 1000
"""Values of one facet a search may list."""
MAX_RECORDS_LIMIT = 500
"""Records one page of the record listing may hold."""
MAX_INGEST_RUNS = 1000
"""Ingest runs one listing may show."""
MAX_FACET_VALUES = 20
"""Values one facet filter of the API and the search page may name (``type=poem&type=ci``
names two)."""
MAX_YEAR = 10_000
"""The API and the search page take years from ``-MAX_YEAR`` to ``MAX_YEAR`` (BCE < 0)."""
