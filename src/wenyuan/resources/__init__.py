"""The resources domain: records, their sources, dates, ingest and the change feed."""

from __future__ import annotations

from pathlib import Path

from wenyuan.resources._ingest import IngestResult, ingest, validate_record
from wenyuan.resources._listener import ChangeListener
from wenyuan.resources._model import (
    LABEL_KEYS,
    RECORD_TYPES,
    Creator,
    Image,
    Provenance,
    Record,
    TimeSpan,
)
from wenyuan.resources._repository import Change, IngestRun, RecordPage, RecordStore, RunCounts
from wenyuan.resources._tables import CHANGES_CHANNEL
from wenyuan.resources.sources import SOURCE_NAMES, Rejected, make_adapter

__all__ = [
    "CHANGES_CHANNEL",
    "LABEL_KEYS",
    "MIGRATIONS",
    "RECORD_TYPES",
    "SOURCE_NAMES",
    "Change",
    "ChangeListener",
    "Creator",
    "Image",
    "IngestResult",
    "IngestRun",
    "Provenance",
    "Record",
    "RecordPage",
    "RecordStore",
    "Rejected",
    "RunCounts",
    "TimeSpan",
    "ingest",
    "make_adapter",
    "validate_record",
]

#: The folder of this domain's Alembic migrations.
MIGRATIONS = Path(__file__).with_name("migrations")
