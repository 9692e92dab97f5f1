"""The ingest pipeline: source adapter → validate → batch upsert by content hash → change feed.

Streaming: records are taken from the adapter one batch at a time, so memory does not grow
with the collection. Each batch is one transaction. A record that fails validation, or that
the database refuses, is written to the run's report (source, file, position, reason) and
skipped; the rest of its batch lands. Re-ingesting unchanged data writes nothing, and input
whose fingerprint matches an earlier complete run is not even parsed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import structlog

from wenyuan.core.errors import StorageError
from wenyuan.resources._model import LABEL_KEYS, RECORD_TYPES, Record
from wenyuan.resources._repository import RecordStore, RunCounts
from wenyuan.resources.sources import Item, Rejected, SourceAdapter

__all__ = ["IngestResult", "code_fingerprint", "fingerprint", "ingest", "validate_record"]

Progress = Callable[[RunCounts], None]
log = structlog.get_logger(__name__)

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
    skip_unchanged: bool = True,
    extra: bytes = b"",
) -> IngestResult:
    """Load everything ``adapter`` reads from ``path`` into ``store``.

    With ``skip_unchanged`` (the default), input whose fingerprint (its bytes, ``extra`` such
    as a mapping file, and the ingest code) equals that of an earlier complete run, whose
    records are all still stored, is not parsed again: the run reports them unchanged.

    The run is recorded as owned by this process; after each batch its counts so far and a
    heartbeat are stored, so that a run killed mid-way can be told from a live one (see
    ``RecordStore.mark_interrupted_runs``). Ctrl-C ends it as ``interrupted``.

    Returns the run's counts and the path of its rejection report (None when nothing was
    rejected). A ``SourceError`` for an unreadable source propagates after the run is
    marked failed; batches already written stay written (each is complete in itself).
    """
    print_ = fingerprint(path, extra=extra) if skip_unchanged else None
    earlier = store.last_complete_run(adapter.name, print_) if print_ else None
    run_id = store.start_run(adapter.name, str(path), print_)
    if earlier is not None:
        # The same bytes, mapping and code as a run whose records are all still stored:
        # nothing can have changed, so nothing is parsed.
        before, earlier_report = earlier
        counts = RunCounts(read=before.read, unchanged=before.stored, rejected=before.rejected)
        store.finish_run(run_id, counts, "done", earlier_report)
        if progress:
            progress(counts)
        log.info("ingest.unchanged_input", source=adapter.name, path=str(path), run_id=run_id)
        kept = Path(earlier_report) if earlier_report else None
        return IngestResult(run_id, adapter.name, counts, kept)
    counts = RunCounts()
    report = _Report(reports_dir / f"ingest-{run_id}-{adapter.name.replace(':', '-')}.jsonl")
    status = "failed"
    try:
        for batch in _batches(adapter.read(path), batch_size, counts, report):
            _write_batch(store, batch, run_id, counts, report)
            store.heartbeat_run(run_id, counts)
            if progress:
                progress(counts)
        status = "done"
    except (KeyboardInterrupt, SystemExit):
        status = "interrupted"
        raise
    finally:
        report_path = report.close()
        store.finish_run(run_id, counts, status, str(report_path) if report_path else None)
    return IngestResult(run_id, adapter.name, counts, report_path)


def fingerprint(path: Path, *, extra: bytes = b"") -> str | None:
    """SHA-256 over the input at ``path`` (a file, or every file under a folder with its
    name), ``extra``, and the code that maps input to records (``code_fingerprint``); None
    when the input cannot be read (the adapter then says why)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(hashlib.sha256(extra).digest())
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
            with file.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    except OSError:
        return None
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the code and tables that turn source files into records (this package and
    the text and id functions of ``core``): after any change to them, input is parsed again."""
    package = Path(__file__).parent
    core = package.parent / "core"
    files = sorted(
        p for p in package.rglob("*") if p.is_file() and p.suffix in {".py", ".toml", ".json"}
    )
    files += [core / "text.py", core / "ids.py"]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


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
