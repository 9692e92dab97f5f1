"""Stable identifiers.

A record's id is derived from its source and the source's own id, so that re-ingesting the
same file finds the same record. The id is short, URL-safe and the same on every machine.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

__all__ = ["record_id"]


@lru_cache(maxsize=1 << 14)  # an ingest asks for each id ~3 times within one batch
def record_id(source: str, source_id: str) -> str:
    """The stable id of the record that ``source`` calls ``source_id``.

    >>> record_id("sample", "poem/jingyesi")
    'r-2bbb6af27d75bac77d6e'
    """
    digest = hashlib.sha256(f"{source}\x1f{source_id}".encode()).hexdigest()
    return f"r-{digest[:20]}"
