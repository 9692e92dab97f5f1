"""A server's search index following the change feed, so writes by any process show up.

Each app node keeps its own index. ``IndexFollower`` runs one thread that applies the
change feed to it (``Platform.sync_index``) at start, whenever PostgreSQL notifies that
changes were committed (``ChangeListener``), and at least every
``Settings.index_follow_interval`` seconds (the fallback: SQLite, a lost listening
connection, a notification missed). Changes committed by any process (another node, a CLI
ingest) are therefore searchable here within about a second.

Hazards: the follower never waits for the index's sync lock: when another process (a CLI
ingest's indexer on the same data folder) is updating the index, this round is skipped
and the other process's commits become visible through the reader. ``stop`` ends a
catch-up between chunks, after committing what was applied, and joins the thread.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import structlog

from wenyuan.app._replica import IndexBusy
from wenyuan.core.errors import StorageError
from wenyuan.resources import ChangeListener

if TYPE_CHECKING:
    from wenyuan.app.platform import Platform

__all__ = ["IndexFollower"]

log = structlog.get_logger(__name__)

#: The longest the thread blocks in one wait for a notification, so that ``stop`` is prompt
#: (a shorter slice costs CPU while idle: see docs/benchmarks.md).
_SLICE = 0.5
#: Seconds between attempts to listen again after the listening connection failed.
_RELISTEN_AFTER = 5.0


class IndexFollower:
    """Keeps ``platform``'s search index up with the change feed, in a thread of its own."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._settings = platform.settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: ChangeListener | None = None
        self._listen_failed_at: float | None = None
        #: Rounds that applied changes, and changes applied, since start (for operators).
        self.rounds = 0
        self.applied = 0

    @property
    def listening(self) -> bool:
        """Whether a LISTEN connection currently wakes the follower."""
        return self._listener is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop following: end any catch-up after its current chunk and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("index.follower_still_running", timeout=timeout)
            self._thread = None

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._sync_once()
                self._wait_for_changes()
        finally:
            self._close_listener()

    def _sync_once(self) -> None:
        platform = self._platform
        try:
            if platform.index_lag() <= 0:
                platform.index_caught_up = True
                return
            applied = platform.sync_index(wait=0, stop=self._stop.is_set)
        except IndexBusy:
            return  # another process is applying the feed to this folder
        except StorageError as exc:
            log.warning("index.follow_failed", detail=exc.detail)
            return
        except Exception:
            log.exception("index.follow_failed")
            return
        if applied:
            self.rounds += 1
            self.applied += applied
            log.debug("index.followed", applied=applied)

    def _wait_for_changes(self) -> None:
        """Return when changes may have been committed, the poll interval ran out, or stop."""
        deadline = time.monotonic() + self._settings.index_follow_interval
        self._ensure_listener()
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            listener = self._listener
            if listener is None:
                self._stop.wait(min(left, _SLICE))
                continue
            try:
                if listener.wait(min(left, _SLICE)):
                    return
            except StorageError as exc:
                log.warning("index.listen_lost", detail=exc.detail)
                self._close_listener()
                self._listen_failed_at = time.monotonic()
                return

    def _ensure_listener(self) -> None:
        if self._listener is not None or not self._settings.index_listen:
            return
        failed = self._listen_failed_at
        if failed is not None and time.monotonic() - failed < _RELISTEN_AFTER:
            return
        try:
            self._listener = ChangeListener.open(self._platform.engine)
        except StorageError as exc:
            log.warning("index.listen_failed", detail=exc.detail)
            self._listen_failed_at = time.monotonic()
            return
        if self._listener is None:
            # SQLite: nothing to listen to, polling it is. Never try again.
            self._listen_failed_at = float("inf")
        else:
            self._listen_failed_at = None

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
