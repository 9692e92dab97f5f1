"""A search indexer in a second process, following the change feed while an ingest writes.

Ingest is two kinds of CPU work, reading and storing records, and analysing and indexing
them; in one Python process they take turns on one core. Here the indexing runs in a child
process that follows the change feed (the same ``Platform.sync_index`` the server uses to
catch up), so the two run side by side on two cores. The child is started only once an
ingest is big enough to pay for its start-up (about a second of imports).

Hazards: the child holds the tantivy writer while it runs; nothing in the parent may write
to the index until ``__exit__`` has joined it. If the child dies, nothing is lost: the
parent's own ``sync_index`` afterwards applies whatever the child did not.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from types import TracebackType

import structlog

from wenyuan.core.config import Settings

__all__ = ["BackgroundIndexer"]

log = structlog.get_logger(__name__)

#: Records written (created or updated) before the second process is worth starting: a
#: re-ingest of unchanged data never starts it.
START_AFTER = 20_000


def _follow_feed(settings_json: str, done: Event, applied: Synchronized[int]) -> None:
    from wenyuan.app.platform import Platform

    platform = Platform(Settings.model_validate_json(settings_json))
    try:

        def report(n: int) -> None:
            applied.value = n

        platform.sync_index(progress=report, follow=lambda: not done.is_set())
    finally:
        platform.close()


class BackgroundIndexer:
    """Context manager: ``start_when(records_read)`` during the ingest, join on exit."""

    def __init__(self, settings: Settings, progress: Callable[[int], None] | None) -> None:
        self._settings = settings
        self._progress = progress
        self._context = multiprocessing.get_context("spawn")
        self._done = self._context.Event()
        self._applied: Synchronized[int] = self._context.Value("q", 0)
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def applied(self) -> int:
        """Changes the child applied and committed (0 if it never ran or failed)."""
        if self._process is None or self._process.exitcode != 0:
            return 0
        return int(self._applied.value)

    def start_when(self, records_written: int) -> None:
        if self._process is None and records_written >= START_AFTER:
            self._process = self._context.Process(
                target=_follow_feed,
                args=(self._settings.model_dump_json(), self._done, self._applied),
                name="wenyuan-indexer",
                daemon=True,
            )
            self._process.start()
        if self._process is not None and self._progress:
            self._progress(int(self._applied.value))

    def __enter__(self) -> BackgroundIndexer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        self._done.set()
        self._process.join()
        if self._process.exitcode != 0:
            log.warning("indexer.failed", exitcode=self._process.exitcode)
