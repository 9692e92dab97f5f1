"""The ingest pipeline: source adapter → validate → batch upsert by content hash → change feed.

Streaming: records are taken from the adapter one batch at a time, so memory does not grow
with the collection. Each batch is one transaction. A record that fails validation, or that
the database refuses, is written to the run's report (source, file, position, reason) and
skipped; the rest of its batch lands. Re-ingesting unchanged data writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from wenyuan.core.errors import StorageError
from wenyuan.resources.model import LABEL_KEYS, RECORD_TYPES, Record
from wenyuan.resources.repository import RecordStore, RunCounts
from wenyuan.resources.sources._base import Item, Rejected, SourceAdapter

__all__ = ["IngestResult", "ingest", "validate_record"]

Progress = Callable[[RunCounts], None]

_MAX_ID = 512


@dataclass(frozen=True, slots=True)
class IngestResult:
    run_id: int
    source: str
    counts: RunCounts
    report_path: Path | None


def validate_record(record: Record) -> str | None:
    """Why ``record`` cannot be stored, or None when it can."""
    if not record.source_id or len(record.source_id) > _MAX_ID:
        return f"source id must be 1 to {_MAX_ID} characters"
    if record.type not in RECORD_TYPES:
        return f"unknown record type {record.type!r}"
    described = (
        any(record.labels.get(k) for k in LABEL_KEYS)
        or record.body
        or record.creators
        or record.description
        or record.extra
    )
    if not described:
        return "record has no label, text, creator, description or other field"
    unknown = set(record.labels) - set(LABEL_KEYS)
    if unknown:
        return f"unknown label language(s): {', '.join(sorted(unknown))}"
    span = record.time
    if span and span.earliest is not None and span.latest is not None:
        if span.earliest > span.latest:
            return f"time span ends ({span.latest}) before it starts ({span.earliest})"
        if span.earliest == 0 or span.latest == 0:
            return "there is no year 0 (1 BCE is -1)"
    return None


class _Report:
    """The run's rejection report: JSON lines, opened on the first rejection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def write(self, rejected: Rejected) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")
        line = {
            "source": rejected.source,
            "file": rejected.file,
            "position": rejected.position,
            "reason": rejected.reason,
        }
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> Path | None:
        if self._handle is None:
            return None
        self._handle.close()
        return self.path


def _duplicate(record: Record, first_seen: dict[str, str]) -> Rejected | None:
    earlier = first_seen.get(record.id)
    if earlier is None:
        first_seen[record.id] = f"{record.provenance.file}#{record.provenance.position}"
        return None
    return Rejected(
        record.source,
        record.provenance.file,
        record.provenance.position,
        f"duplicate of source id {record.source_id!r} already read at {earlier}",
    )


def _batches(
    items: Iterator[Item], size: int, counts: RunCounts, report: _Report
) -> Iterator[list[Record]]:
    batch: list[Record] = []
    # The first record with a source id wins; a publisher's second copy is reported. The map
    # holds one short entry per record of the run (about 40 MB for 500,000 records).
    first_seen: dict[str, str] = {}
    for item in items:
        counts.read += 1
        if isinstance(item, Rejected):
            counts.rejected += 1
            report.write(item)
            continue
        duplicate = _duplicate(item, first_seen)
        if duplicate:
            counts.rejected += 1
            report.write(duplicate)
            continue
        reason = validate_record(item)
        if reason:
            counts.rejected += 1
            report.write(
                Rejected(item.source, item.provenance.file, item.provenance.position, reason)
            )
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest(
    adapter: SourceAdapter,
    path: Path,
    store: RecordStore,
    *,
    reports_dir: Path,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> IngestResult:
    """Load everything ``adapter`` reads from ``path`` into ``store``.

    Returns the run's counts and the path of its rejection report (None when nothing was
    rejected). A ``SourceError`` for an unreadable source propagates after the run is
    marked failed; batches already written stay written (each is complete in itself).
    """
    run_id = store.start_run(adapter.name, str(path))
    counts = RunCounts()
    report = _Report(reports_dir / f"ingest-{run_id}-{adapter.name.replace(':', '-')}.jsonl")
    status = "failed"
    try:
        for batch in _batches(adapter.read(path), batch_size, counts, report):
            _write_batch(store, batch, run_id, counts, report)
            if progress:
                progress(counts)
        status = "done"
    finally:
        report_path = report.close()
        store.finish_run(run_id, counts, status, str(report_path) if report_path else None)
    return IngestResult(run_id, adapter.name, counts, report_path)


def _write_batch(
    store: RecordStore, batch: list[Record], run_id: int, counts: RunCounts, report: _Report
) -> None:
    try:
        result = store.upsert_batch(batch, run_id)
    except StorageError:
        # Find the record the database refused: write one by one, reject the failures.
        for record in batch:
            try:
                one = store.upsert_batch([record], run_id)
            except StorageError as exc:
                counts.rejected += 1
                report.write(
                    Rejected(
                        record.source,
                        record.provenance.file,
                        record.provenance.position,
                        f"database refused: {exc}",
                    )
                )
                continue
            counts.created += one.created
            counts.updated += one.updated
            counts.unchanged += one.unchanged
        return
    counts.created += result.created
    counts.updated += result.updated
    counts.unchanged += result.unchanged
