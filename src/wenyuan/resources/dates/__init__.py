"""Dates as cultural records write them: dynasties, reign eras, centuries, museum phrasings.

``parse_date`` reads a free-text date ("清乾隆五十年", "Ming dynasty (1368–1644)",
"c. second half of the 19th century") into a ``DateSpan`` of historical years (206 BCE is
-206, no year 0); ``try_parse_date`` is the forgiving form source adapters call per record.
``dynasty_span`` and ``dynasty_of_year`` look the dynasty tables up directly.

The tables are data files in ``data/`` written by us from public reference works, with their
sources cited in each file; the parser is hand-written because no maintained library reads
Chinese reign eras and museum date phrasings (see ``_parser`` for the conventions).
"""

from __future__ import annotations

from wenyuan.resources.dates._parser import (
    MAX_LENGTH,
    DateSpan,
    dynasty_of_year,
    dynasty_span,
    parse_date,
    try_parse_date,
)
from wenyuan.resources.dates._tables import dynasty_names

__all__ = [
    "MAX_LENGTH",
    "DateSpan",
    "dynasty_names",
    "dynasty_of_year",
    "dynasty_span",
    "parse_date",
    "try_parse_date",
]
