"""A search indexer in a second process, following the change feed while an ingest writes.

Ingest is two kinds of CPU work, reading and storing records, and analysing and indexing
them; in one Python process they take turns on one core. Here the indexing runs in a child
process that follows the change feed (the same ``Platform.sync_index`` the server uses to
catch up), so the two run side by side on two cores. The child is started only once an
ingest has written enough records to pay for its start-up (about a second of imports).

The child is ``python -m wenyuan.app._indexer_main``, not a ``multiprocessing`` process: spawning
through ``multiprocessing`` re-imports the parent's main script, which breaks any program
that calls ``Platform.ingest`` without an ``if __name__ == "__main__"`` guard. The parent
sends the settings as one JSON line on the child's stdin, then ``done`` when it has finished
writing; the child then applies what is left and exits.

Hazards: the child holds the index folder's sync lock (and so the tantivy writer) while it
runs; nothing in the parent may write to the index until ``__exit__`` has waited for it. A
server following the feed on the same data folder skips its rounds meanwhile, and the child
waits for a round of the server's already under way (``Settings.index_lock_wait``). If the
child fails, nothing is lost: the parent's own ``sync_index`` afterwards applies whatever
the child did not.
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType

import structlog

from wenyuan.core.config import Settings

__all__ = ["BackgroundIndexer"]

log = structlog.get_logger(__name__)

#: Records written (created or updated) before the second process is worth starting: a
#: re-ingest of unchanged data never starts it.
START_AFTER = 20_000


class BackgroundIndexer:
    """Context manager: ``start_when(records_written)`` during the ingest, wait on exit."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._process: subprocess.Popen[str] | None = None

    @property
    def started(self) -> bool:
        return self._process is not None

    def start_when(self, records_written: int) -> None:
        if self._process is not None or records_written < START_AFTER:
            return
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "wenyuan.app._indexer_main"],
                stdin=subprocess.PIPE,
                text=True,
            )
            assert self._process.stdin is not None
            self._process.stdin.write(self._settings.model_dump_json() + "\n")
            self._process.stdin.flush()
        except OSError as exc:
            log.warning("indexer.not_started", error=str(exc))
            self._process = None

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
        try:
            assert self._process.stdin is not None
            self._process.stdin.write("done\n")
            self._process.stdin.close()
        except OSError:
            pass  # the child is gone already; its exit code says how
        if self._process.wait() != 0:
            log.warning("indexer.failed", exitcode=self._process.returncode)
