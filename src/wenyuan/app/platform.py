"""The composition root and the application's use cases.

``Platform`` builds the engine (and runs migrations), the record store and the search index
from one ``Settings``, and offers what the API, the web pages and the CLI need: ingest,
search, records, reindex, health. Interfaces call these methods and nothing below them. The
trust ledger's use cases are one service on the same engine, ``platform.ledger``
(``LedgerService``), opened for writing only when asked (``platform.ledger.open()``).

Opening a platform marks ingest runs whose process is gone as interrupted. Its search
index folder is one replica of the change feed with a watermark of its own
(``IndexReplica``); a server keeps it current with ``IndexFollower``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import structlog

from wenyuan.app._indexer import BackgroundIndexer
from wenyuan.app._indexing import to_index_document
from wenyuan.app._replica import IndexBusy, IndexReplica
from wenyuan.app.ledger import LedgerService
from wenyuan.app.limits import (
    MAX_FACET_LIMIT,
    MAX_INGEST_RUNS,
    MAX_OFFSET,
    MAX_RECORDS_LIMIT,
    MAX_SEARCH_QUERY,
)
from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine, migrate
from wenyuan.core.errors import InvalidInput, StorageError
from wenyuan.ledger import MIGRATIONS as LEDGER_MIGRATIONS
from wenyuan.resources import (
    MIGRATIONS,
    IngestRun,
    Record,
    RecordPage,
    RecordStore,
    RunCounts,
    ingest,
    make_adapter,
)
from wenyuan.search import FacetCount, Index, SearchQuery, TantivyIndex

__all__ = ["IngestReport", "Platform", "Readiness", "SearchHit", "SearchPage"]

log = structlog.get_logger(__name__)

#: The change-feed consumer of indexes made before each index folder had a name of its own
#: (``IndexReplica.consumer``): such an index starts from that watermark once.
SEARCH_CONSUMER = "search"
_SYNC_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class IngestReport:
    source: str
    path: str
    run_id: int
    counts: RunCounts
    indexed: int
    report_path: Path | None
    seconds: float
    #: Changes the index still lacks at the end (another process was updating it and does
    #: the rest), normally 0.
    index_lag: int = 0

    def as_dict(self) -> dict[str, object]:
        c = self.counts
        return {
            "source": self.source,
            "path": self.path,
            "run_id": self.run_id,
            "read": c.read,
            "created": c.created,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "rejected": c.rejected,
            "indexed": self.indexed,
            "index_lag": self.index_lag,
            "report": str(self.report_path) if self.report_path else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether this node can serve: the database answers, the index opens and is current.

    ``index_lag`` is how many changes the search index has not applied yet (None when the
    database does not answer).
    """

    checks: dict[str, bool]
    index_lag: int | None

    @property
    def ok(self) -> bool:
        return all(self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ok else "not ready",
            "checks": self.checks,
            "index_lag": self.index_lag,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    record: Record
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    total: int
    offset: int
    limit: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]


def _read_mapping(mapping: Path | None) -> bytes:
    """The mapping file's bytes, part of what an ingest's input is (b"" without one)."""
    if mapping is None:
        return b""
    try:
        return mapping.read_bytes()
    except OSError:
        return b""  # the adapter has already said what is wrong with it


class Platform:
    """Everything a running Wenyuan holds. Open one per process; ``close`` it at the end."""

    def __init__(self, settings: Settings, *, index: Index | None = None) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(settings.resolved_database_url)
        migrate(self.engine, [MIGRATIONS, LEDGER_MIGRATIONS])
        #: The trust ledger's use cases; ``open()`` it to write (a server, a command that writes).
        self.ledger = LedgerService(settings, self.engine)
        self.store = RecordStore(self.engine)
        self.index: Index = index or TantivyIndex(
            settings.index_dir, writer_memory_mb=settings.index_writer_memory_mb
        )
        self.replica = IndexReplica(settings.index_dir)
        #: This index folder's watermark into the change feed (each node has its own).
        self.search_consumer = self.replica.consumer
        #: Whether a catch-up has reached the end of the feed since this platform opened.
        self.index_caught_up = False
        if self.replica.created and self.index.count() > 0:
            # An index from before folders had names: it trusted the shared watermark.
            legacy = self.store.watermark(SEARCH_CONSUMER)
            self.store.set_watermark(self.search_consumer, legacy)
        if self.index.count() == 0 and self.store.watermark(self.search_consumer) > 0:
            # The index was lost or rebuilt empty: replay the whole change feed into it.
            self.store.set_watermark(self.search_consumer, 0)
        #: Ingest runs found interrupted (owner gone, heartbeat stale) when this opened.
        self.interrupted_runs = self.store.mark_interrupted_runs(settings.ingest_stale_after)
        if self.interrupted_runs:
            log.warning("ingest.runs_interrupted", runs=self.interrupted_runs)

    def index_lag(self) -> int:
        """How many changes the search index has not applied yet."""
        return self.store.last_seq() - self.store.watermark(self.search_consumer)

    def ingest_runs(self, limit: int = 20) -> list[IngestRun]:
        """The newest ingest runs, newest first, after marking those found interrupted."""
        if not 1 <= limit <= MAX_INGEST_RUNS:
            raise InvalidInput(f"limit must be between 1 and {MAX_INGEST_RUNS}", limit=limit)
        self.store.mark_interrupted_runs(self.settings.ingest_stale_after)
        return self.store.runs(limit)

    def close(self) -> None:
        self.ledger.close()
        self.index.close()
        self.engine.dispose()

    # -- ingest and indexing --------------------------------------------------------------

    def ingest(
        self,
        source: str,
        path: Path,
        *,
        mapping: Path | None = None,
        progress: Callable[[RunCounts], None] | None = None,
        index_progress: Callable[[int], None] | None = None,
        reparse: bool = False,
    ) -> IngestReport:
        """Load a collection, then bring the search index up to date with it.

        Input unchanged since a complete earlier run (same bytes, mapping and code) is not
        parsed again unless ``reparse`` says so.
        """
        adapter = make_adapter(source, mapping=mapping)
        started = time.perf_counter()
        mark = self.store.watermark(self.search_consumer)
        with BackgroundIndexer(self.settings) as indexer:

            def on_batch(counts: RunCounts) -> None:
                indexer.start_when(counts.created + counts.updated)
                if progress:
                    progress(counts)

            result = ingest(
                adapter,
                path,
                self.store,
                reports_dir=self.settings.reports_dir,
                batch_size=self.settings.ingest_batch_size,
                progress=on_batch,
                skip_unchanged=not reparse,
                extra=_read_mapping(mapping),
            )
        by_child = self.store.count_changes(mark, self.store.watermark(self.search_consumer))
        indexed = by_child
        try:
            indexed += self.sync_index(
                progress=(lambda n: index_progress(by_child + n)) if index_progress else None
            )
        except IndexBusy as exc:
            # The records are stored; the process holding the index (a server on the same
            # folder) applies them. The ingest does not fail for that.
            log.warning("ingest.index_left_to_other_process", detail=exc.detail)
        self.index.refresh()
        seconds = time.perf_counter() - started
        report = IngestReport(
            source,
            str(path),
            result.run_id,
            result.counts,
            indexed,
            result.report_path,
            seconds,
            self.index_lag(),
        )
        log.info("ingest.done", **report.as_dict())
        return report

    def load_sample(self) -> IngestReport:
        from wenyuan.resources.sources.sample import sample_path

        return self.ingest("sample", sample_path())

    def load_ledger_sample(self, count: int = 8) -> int:
        """Register a few sample artworks in the ledger (the demo), which must be open for
        writing; returns statements added (``LedgerService.load_sample``)."""
        records = self.list_records(type="artwork", source="sample", limit=count).records
        return self.ledger.load_sample(records)

    def sync_index(
        self,
        progress: Callable[[int], None] | None = None,
        *,
        follow: Callable[[], bool] | None = None,
        wait: float | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Apply the change feed to the search index from its watermark; returns changes applied.

        The watermark moves only after the index commit, so a crash repeats work, never
        loses it; repeated changes replace the document they describe. With ``follow``, the
        feed is followed while ``follow()`` is true (an ingest is still writing), waiting
        for new changes instead of stopping at the end of the feed. ``stop()`` true ends the
        work early, after committing what was applied (a server shutting down).

        The index folder's sync lock is held throughout: another process or thread
        updating the same folder is waited for up to ``wait`` seconds (default
        ``Settings.index_lock_wait``; 0 tries once), then ``IndexBusy`` is raised.
        """
        wait = self.settings.index_lock_wait if wait is None else wait
        with self.replica.lock(wait):
            return self._apply_feed(progress, follow, stop)

    def _apply_feed(
        self,
        progress: Callable[[int], None] | None,
        follow: Callable[[], bool] | None,
        stop: Callable[[], bool] | None,
    ) -> int:
        mark = self.store.watermark(self.search_consumer)
        fresh = mark == 0 and self.index.count() == 0
        seen: set[str] = set()
        applied = 0
        reached_end = False
        while True:
            if stop is not None and stop():
                break
            batch = self.store.changes_since(mark, _SYNC_CHUNK)
            if not batch:
                if follow is not None and follow():
                    time.sleep(0.2)
                    continue
                reached_end = True
                break
            upserts: dict[str, Record] = {}
            deletes: list[str] = []
            for change in batch:
                if change.record is None:
                    upserts.pop(change.record_id, None)
                    deletes.append(change.record_id)
                else:
                    upserts[change.record_id] = change.record
            if deletes:
                self.index.delete(deletes)
            documents = [to_index_document(r) for r in upserts.values()]
            if fresh:
                repeat = [d for d in documents if d.id in seen]
                new = [d for d in documents if d.id not in seen]
                seen.update(d.id for d in new)
                self.index.add(new, replace=False)
                if repeat:
                    self.index.add(repeat)
            else:
                self.index.add(documents)
            applied += len(batch)
            mark = batch[-1].seq
            if progress:
                progress(applied)
            if applied % 200_000 < _SYNC_CHUNK:
                self.index.commit()
                self.store.set_watermark(self.search_consumer, mark)
        if applied:
            self.index.commit()
            self.store.set_watermark(self.search_consumer, mark)
        if reached_end:
            self.index_caught_up = True
        return applied

    def catch_up(self, max_lag: int, *, wait: float = 0.5) -> int:
        """Apply pending changes to the index if there are at most ``max_lag`` of them and no
        other process is updating it (waiting up to ``wait`` seconds); returns the lag left."""
        lag = self.index_lag()
        if 0 < lag <= max_lag:
            try:
                self.sync_index(wait=wait)
            except IndexBusy:
                log.info("search.index_busy", lag=lag)
            self.index.refresh()
            lag = self.index_lag()
        return lag

    def reindex(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index from the records alone (holding the index's sync lock)."""
        with self.replica.lock(self.settings.index_lock_wait):
            return self._rebuild(progress)

    def _rebuild(self, progress: Callable[[int], None] | None) -> int:
        self.index.clear()
        self.index.commit()
        last = self.store.last_seq()
        done = 0
        for chunk in self.store.iter_all(_SYNC_CHUNK):
            self.index.add([to_index_document(r) for _, r in chunk], replace=False)
            done += len(chunk)
            if progress:
                progress(done)
        self.index.commit()
        self.store.set_watermark(self.search_consumer, last)
        return done

    # -- reading --------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        filters: dict[str, list[str]] | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        facets: tuple[str, ...] = (),
        facet_limit: int = 20,
    ) -> SearchPage:
        """Ranked hits with their records; ``facets`` names the facets to count.

        Counting facets visits every matching record (several milliseconds for a single
        character over 400,000 poems), so it is done only for the facets asked for.
        ``facet_limit`` is how many values of each facet come back at most, the most frequent
        first; the count costs the same whatever the limit. The bounds of ``limit``
        (``Settings.max_search_limit``), ``offset``, ``facet_limit`` and the text's length are
        those of ``wenyuan.app.limits``; outside them, ``InvalidInput`` names the argument.
        """
        if not 1 <= limit <= self.settings.max_search_limit:
            raise InvalidInput(
                f"limit must be between 1 and {self.settings.max_search_limit}", limit=limit
            )
        if not 0 <= offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}", offset=offset)
        if len(text) > MAX_SEARCH_QUERY:
            raise InvalidInput(
                f"the query is longer than {MAX_SEARCH_QUERY} characters", length=len(text)
            )
        if year_from is not None and year_to is not None and year_from > year_to:
            raise InvalidInput("year_from is after year_to", year_from=year_from, year_to=year_to)
        if not 1 <= facet_limit <= MAX_FACET_LIMIT:
            raise InvalidInput(
                f"facet_limit must be between 1 and {MAX_FACET_LIMIT}", facet_limit=facet_limit
            )
        result = self.index.search(
            SearchQuery(
                text=text,
                limit=limit,
                offset=offset,
                filters=filters or {},
                year_from=year_from,
                year_to=year_to,
                facets=facets,
                facet_limit=facet_limit,
            )
        )
        found = self.store.get_many([h.id for h in result.hits])
        hits = [SearchHit(found[h.id], h.score) for h in result.hits if h.id in found]
        return SearchPage(text, result.total, offset, limit, hits, result.facets)

    def get_record(self, record_id: str) -> Record:
        return self.store.get(record_id)

    def list_records(
        self,
        *,
        cursor: str | None = None,
        limit: int = 50,
        type: str | None = None,
        source: str | None = None,
    ) -> RecordPage:
        if not 1 <= limit <= MAX_RECORDS_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_RECORDS_LIMIT}", limit=limit)
        return self.store.page(cursor=cursor, limit=limit, type=type, source=source)

    # -- operations -----------------------------------------------------------------------

    def ready(self) -> Readiness:
        """Whether the database answers, the index opens, and the index is current.

        Current means: no change pending until a catch-up has reached the end of the feed
        since this platform opened (start-up after a crash, a lost index), then at most
        ``Settings.ready_max_index_lag`` pending (a follower a moment behind other nodes'
        writes is still serving).
        """
        checks = {"database": False, "index": False, "index_current": False}
        lag: int | None = None
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            checks["database"] = True
            lag = self.index_lag()
        except (sa.exc.SQLAlchemyError, StorageError):
            log.warning("ready.database_unavailable")
        try:
            self.index.count()
            checks["index"] = True
        except Exception:
            log.warning("ready.index_unavailable")
        if lag is not None:
            tolerance = self.settings.ready_max_index_lag if self.index_caught_up else 0
            checks["index_current"] = lag <= tolerance
        return Readiness(checks, lag)

    def stats(self) -> dict[str, object]:
        return {
            "records": self.store.count(),
            "by_source": self.store.counts_by_source(),
            "indexed": self.index.count(),
            "index_lag": self.index_lag(),
        }
