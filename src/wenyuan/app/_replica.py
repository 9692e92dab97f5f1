"""One search index folder as a replica of the change feed: its own name and its own lock.

Several processes can use one index folder (a server and a CLI ingest beside it), and
several folders can follow one database (app nodes on one PostgreSQL, each with its own
index). So:

- each folder carries a replica id (the file ``wenyuan-replica``, written once, atomically),
  and its watermark into the change feed is stored under a consumer name of its own
  (``search:<id>``): one node applying a change says nothing about another node's index.
  A folder that is deleted takes its id with it; the next index there starts from zero.
- whoever applies the feed to a folder holds its sync lock (``wenyuan-sync.lock``, a POSIX
  ``flock``, plus a thread lock within the process) from reading the watermark to storing
  the new one. Tantivy allows one writer per folder; holding the lock around the whole
  read-apply-commit step also keeps two appliers from writing stale content over newer.

Hazards: ``flock`` locks are released by the kernel when their process dies, so a crashed
holder never blocks anyone; they are advisory, so every writer of the folder must take
this lock (``Platform.sync_index`` and ``Platform.reindex`` do).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wenyuan.core.errors import Conflict

__all__ = ["IndexBusy", "IndexReplica"]

_ID_FILE = "wenyuan-replica"
_LOCK_FILE = "wenyuan-sync.lock"
_RETRY = 0.05


class IndexBusy(Conflict):
    """Another process (or thread) is updating this search index. It brings the index up to
    date itself; retry later if you need to write to it."""

    title = "Search index busy"
    type_slug = "index-busy"


class IndexReplica:
    """The identity and the sync lock of the index folder ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._thread_lock = threading.Lock()
        self.id, self.created = self._read_or_create_id()

    @property
    def consumer(self) -> str:
        """The change-feed consumer name of this index folder."""
        return f"search:{self.id}"

    def _read_or_create_id(self) -> tuple[str, bool]:
        target = self.path / _ID_FILE
        if not target.exists():
            # Write a temporary file in full, then link it into place: the link fails if
            # another process got there first, and nobody ever reads a half-written id.
            temp = self.path / f".{_ID_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            temp.write_text(uuid.uuid4().hex, encoding="ascii")
            try:
                os.link(temp, target)
                created = True
            except FileExistsError:
                created = False
            finally:
                temp.unlink(missing_ok=True)
            return target.read_text(encoding="ascii").strip(), created
        return target.read_text(encoding="ascii").strip(), False

    @contextmanager
    def lock(self, wait: float) -> Iterator[None]:
        """Hold the folder's sync lock, waiting up to ``wait`` seconds for it (0: try once).

        Raises ``IndexBusy`` when another thread or process still holds it after ``wait``.
        """
        deadline = time.monotonic() + max(wait, 0.0)
        if not self._thread_lock.acquire(timeout=max(wait, 0.0)):
            raise IndexBusy(f"the search index at {self.path} is being updated in this process")
        try:
            fd = os.open(self.path / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise IndexBusy(
                                f"the search index at {self.path} is being updated by another "
                                "process (a running server or ingest), which brings it up to date",
                                index=str(self.path),
                            ) from None
                        time.sleep(_RETRY)
                yield
            finally:
                os.close(fd)  # closing releases the flock
        finally:
            self._thread_lock.release()
