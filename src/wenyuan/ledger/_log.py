"""The durable, append-only log: entries in the database, group commit, a Merkle tree in memory.

An append is acknowledged only once the transaction that holds it is committed with
``synchronous=FULL`` (SQLite) or the server's own commit (PostgreSQL): after a crash, even
``kill -9`` in the middle of a batch, the log reopens with every acknowledged entry and with
no entry of a batch that did not commit. Appends from any number of threads queue up for one
writer thread, which commits whatever has queued as one transaction (group commit): sixteen
clients appending one entry each pay for about one disk flush, not sixteen.

On open, the log reads its entries in order, rebuilds the tree and checks it against the
newest checkpoint it signed; a log that no longer matches its own signature refuses to open.

Hazards: one process writes a log at a time. The writer holds a lock (an exclusive file lock
beside an SQLite database, an advisory lock on PostgreSQL) for as long as the log is open for
writing; a second writer gets ``LogBusy``. Readers (``writable=False``) need no lock and
``refresh()`` to see entries written since they opened.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.db import driver_sql
from wenyuan.core.errors import Conflict, InvalidInput, NotFound, StorageError
from wenyuan.ledger import _tables as tables
from wenyuan.ledger._merkle import MerkleTree
from wenyuan.ledger._note import Checkpoint, NoteVerifier, open_note

__all__ = [
    "MAX_LEAF_BYTES",
    "BatchHook",
    "Log",
    "LogBusy",
    "LogCorrupted",
    "LogKeyMismatch",
    "Pending",
    "entry_count",
]

MAX_LEAF_BYTES = 65_535
"""A tlog-tiles entries bundle gives each entry a 16-bit length; no leaf may be longer."""

_INSERT = "INSERT INTO ledger_entries (pos, leaf) VALUES (?, ?)"
_STOP = object()
log = structlog.get_logger(__name__)


class LogBusy(Conflict):
    """Another process has this log open for writing; send entries to that process instead
    (for the CLI: ``--server URL``), or stop it first."""

    title = "Log is open elsewhere"
    type_slug = "log-busy"


class LogKeyMismatch(Conflict):
    """The key given for a log is not the key the log was created with: restore the log's
    key file (or rotate the log with the old key, ``wenyuan ledger rotate``)."""

    title = "Wrong key for this log"
    type_slug = "log-key-mismatch"


class LogCorrupted(StorageError):
    """The stored entries no longer produce the tree head the log signed: restore the
    database from a backup, and publish the evidence (``context``)."""

    title = "Log does not match its checkpoint"
    type_slug = "log-corrupted"


@dataclass(slots=True)
class Pending:
    """Leaves waiting for the writer; ``start`` is set when they get their indexes."""

    leaves: Sequence[bytes]
    meta: Any = None
    future: Future[range] = field(default_factory=Future)
    start: int = -1


BatchHook = Callable[[Connection, int, Sequence[Pending]], None]
"""Called inside each batch's transaction, after the entries are inserted: the registry
writes its view of the new entries there, so both commit or neither does."""


class Log:
    """One Merkle log, identified by its origin line, stored in the platform's database."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        *,
        vkey: str = "",
        writable: bool = True,
        max_batch: int = 16_384,
        hook: BatchHook | None = None,
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.writable = writable
        self._max_batch = max_batch
        self._hook = hook
        self._tree = MerkleTree()
        self._grown = threading.Condition()
        self._reading = threading.Lock()  # one refresh at a time extends the tree
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._lock_file: IO[bytes] | None = None
        self._conn: Connection | None = None
        self._closed = False
        self._failed: str | None = None
        self.vkey = vkey
        self.log_id = self._log_row(vkey)
        if writable:
            self._take_writer_lock()
        try:
            self.refresh()
            self.check_against_checkpoint()
        except BaseException:
            self._release_writer_lock()
            raise
        if writable:
            self._writer = threading.Thread(target=self._run, name=f"ledger-writer:{origin}")
            self._writer.daemon = True
            self._writer.start()

    # -- reading ------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many entries are durable (and in the tree)."""
        return self._tree.size

    @property
    def tree(self) -> MerkleTree:
        return self._tree

    def root(self, size: int | None = None) -> bytes:
        return self._tree.root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries.

        Raise ``NotFound`` for an entry or a tree size the log does not have (yet), and
        ``InvalidInput`` for an entry outside a smaller tree the log has.
        """
        size = self.size if size is None else size
        self.check_entry(index)
        self._check_tree_size(size)
        return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof between the trees of ``old_size`` and ``new_size``.

        Raise ``NotFound`` for a tree size the log does not have (yet), and ``InvalidInput``
        unless 0 < ``old_size`` <= ``new_size``.
        """
        new_size = self.size if new_size is None else new_size
        self._check_tree_size(old_size)
        self._check_tree_size(new_size)
        return self._tree.consistency_proof(old_size, new_size)

    def check_entry(self, index: int) -> None:
        """Raise ``NotFound`` unless entry ``index`` (0 or more) is in the log: the one
        answer for an entry, its receipt and its proofs past the end of the log."""
        if index >= self.size:
            raise NotFound(
                f"no entry {index}: the log has {self.size} entries", index=index, size=self.size
            )

    def _check_tree_size(self, size: int) -> None:
        if size > self.size:
            raise NotFound(
                f"no tree of {size} entries: the log has {self.size} entries",
                tree_size=size,
                size=self.size,
            )

    def leaves(self, start: int, end: int) -> list[bytes]:
        """The leaf bytes of entries ``start`` to ``end`` (exclusive)."""
        if not 0 <= start <= end <= self.size:
            raise InvalidInput(f"entries {start}..{end} are not in a log of size {self.size}")
        sql = "SELECT leaf FROM ledger_entries WHERE pos >= ? AND pos < ? ORDER BY pos"
        base = self.log_id * tables.LOG_SPAN
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql(driver_sql(conn, sql), (base + start, base + end))
                return [bytes(row[0]) for row in rows]
        except SQLAlchemyError as exc:
            raise StorageError(f"reading ledger entries failed: {exc}") from exc

    def leaf(self, index: int) -> bytes:
        """The leaf bytes of entry ``index``; ``NotFound`` if the log has no such entry."""
        if index < 0:
            raise InvalidInput(f"an entry index is 0 or more, not {index}")
        self.check_entry(index)
        return self.leaves(index, index + 1)[0]

    def refresh(self) -> int:
        """Read entries written since the last read (by this or another process).

        A log open for writing MUST NOT be refreshed once its writer runs: the writer extends
        the tree itself, and a refresh between its commit and that could add entries twice.
        """
        with self._reading:
            return self._refresh()

    def _refresh(self) -> int:
        start = self._tree.size
        base = self.log_id * tables.LOG_SPAN
        sql = "SELECT pos, leaf FROM ledger_entries WHERE pos >= ? AND pos < ? ORDER BY pos"
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=20_000)
                rows = result.exec_driver_sql(
                    driver_sql(conn, sql), (base + start, base + tables.LOG_SPAN)
                )
                expected = start
                sha256 = hashlib.sha256
                while chunk := rows.fetchmany(20_000):
                    last = int(chunk[-1][0]) - base
                    if last != expected + len(chunk) - 1:
                        present = {int(pos) - base for pos, _ in chunk}
                        missing = next(i for i in range(expected, last) if i not in present)
                        raise LogCorrupted(f"log {self.origin!r} has no entry {missing}")
                    self._tree.extend([sha256(b"\x00" + bytes(leaf)).digest() for _, leaf in chunk])
                    expected += len(chunk)
        except SQLAlchemyError as exc:
            raise StorageError(f"reading ledger entries failed: {exc}") from exc
        if self._tree.size != start:
            with self._grown:
                self._grown.notify_all()
        return self._tree.size - start

    def check_against_checkpoint(self) -> int | None:
        """Check the tree against the newest stored checkpoint; returns its size, if any.

        Where the log's key is known, the size and root are taken from the checkpoint's
        signed note (verified with that key), not from the columns beside it, which anyone
        with write access to the database could change along with an entry.
        """
        sql = (
            "SELECT size, root, note FROM ledger_checkpoints WHERE log_id = ? "
            "ORDER BY size DESC LIMIT 1"
        )
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(driver_sql(conn, sql), (self.log_id,)).first()
        if row is None:
            return None
        size, root = int(row[0]), bytes(row[1])
        if self.vkey:
            try:
                opened = open_note(str(row[2]), [NoteVerifier.from_vkey(self.vkey)])
                signed = Checkpoint.parse(opened.text)
            except InvalidInput as exc:
                raise LogCorrupted(
                    f"the newest checkpoint stored for log {self.origin!r} is not signed by its "
                    f"key: {exc}",
                    checkpoint_size=size,
                ) from exc
            if (signed.size, signed.root_hash) != (size, root):
                raise LogCorrupted(
                    f"the stored size or root of log {self.origin!r}'s checkpoint differs from "
                    "the signed note",
                    checkpoint_size=size,
                )
        if size > self.size:
            raise LogCorrupted(
                f"log {self.origin!r} signed a checkpoint of size {size} but holds {self.size} "
                "entries",
                checkpoint_size=size,
                size=self.size,
            )
        if self._tree.root(size) != root:
            raise LogCorrupted(
                f"the entries of log {self.origin!r} do not produce the tree head it signed at "
                f"size {size}",
                checkpoint_size=size,
                signed_root=root.hex(),
                computed_root=self._tree.root(size).hex(),
            )
        return size

    def wait_for_size(self, size: int, timeout: float | None = None) -> bool:
        """Block until the log holds at least ``size`` entries (or ``timeout`` seconds pass)."""
        with self._grown:
            return self._grown.wait_for(lambda: self._tree.size >= size, timeout)

    # -- appending ----------------------------------------------------------------------------

    def submit(self, leaves: Sequence[bytes], meta: Any = None) -> Future[range]:
        """Queue ``leaves`` for the writer; the future gives their indexes once durable.

        The leaves of one call land together, in order, in one transaction.
        """
        if not self.writable or self._closed:
            raise StorageError(f"log {self.origin!r} is not open for writing")
        if self._failed:
            raise StorageError(self._failed)
        if not leaves:
            raise InvalidInput("nothing to append")
        for position, leaf in enumerate(leaves):
            if not isinstance(leaf, bytes | bytearray):
                raise InvalidInput(f"leaf {position} is {type(leaf).__name__}, not bytes")
            if len(leaf) > MAX_LEAF_BYTES:
                raise InvalidInput(
                    f"leaf {position} has {len(leaf):,} bytes; the most a log entry may hold "
                    f"is {MAX_LEAF_BYTES:,}"
                )
        pending = Pending(leaves=leaves, meta=meta)
        self._queue.put(pending)
        return pending.future

    def append(self, leaf: bytes, meta: Any = None, timeout: float | None = None) -> int:
        """Append one entry; returns its index once it is durable."""
        return self.submit([leaf], meta).result(timeout).start

    def append_many(self, leaves: Sequence[bytes], timeout: float | None = None) -> range:
        """Append entries in one transaction; returns their indexes once durable."""
        return self.submit(leaves).result(timeout)

    def close(self) -> None:
        """Finish what is queued, stop the writer and release the lock."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
        self._release_writer_lock()

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer ---------------------------------------------------------------------------

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            assert isinstance(item, Pending)
            batch = [item]
            count = len(item.leaves)
            while count < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                    break
                assert isinstance(more, Pending)
                batch.append(more)
                count += len(more.leaves)
            self._commit(conn, batch)

    def _commit(self, conn: Connection, batch: list[Pending]) -> None:
        if self._failed:
            for item in batch:
                item.future.set_exception(StorageError(self._failed))
            return
        start = next_index = self._tree.size
        base = self.log_id * tables.LOG_SPAN
        rows: list[tuple[int, bytes]] = []
        for item in batch:
            item.start = next_index
            positions = range(base + next_index, base + next_index + len(item.leaves))
            rows.extend(zip(positions, item.leaves, strict=True))
            next_index += len(item.leaves)
        try:
            with conn.begin():
                conn.exec_driver_sql(driver_sql(conn, _INSERT), rows)
                if self._hook is not None:
                    self._hook(conn, start, batch)
        except Exception as exc:  # every waiter must hear of the failure
            error = (
                exc
                if isinstance(exc, InvalidInput | Conflict | StorageError)
                else StorageError(f"appending {len(rows)} ledger entries failed: {exc}")
            )
            log.error("ledger.append_failed", origin=self.origin, entries=len(rows), error=str(exc))
            if conn.invalidated:
                # The session that held the writer lock (and synchronous=FULL) is gone: a
                # reconnect would have neither, so this log takes no more appends.
                self._failed = (
                    f"log {self.origin!r} lost its database connection and with it the writer "
                    "lock; restart the server"
                )
            for item in batch:
                item.future.set_exception(error)
            return
        sha256 = hashlib.sha256
        self._tree.extend([sha256(b"\x00" + leaf).digest() for _, leaf in rows])
        with self._grown:
            self._grown.notify_all()
        for item in batch:
            item.future.set_result(range(item.start, item.start + len(item.leaves)))

    # -- set-up -------------------------------------------------------------------------------

    def _log_row(self, vkey: str) -> int:
        columns = sa.select(tables.logs.c.id, tables.logs.c.vkey)
        select = columns.where(tables.logs.c.origin == self.origin)
        try:
            with self.engine.begin() as conn:
                found = conn.execute(select).first()
                if found is not None:
                    stored = str(found[1] or "")
                    if vkey and stored and vkey != stored:
                        raise LogKeyMismatch(
                            f"log {self.origin!r} is signed by {stored}, not by the key given "
                            f"({vkey}); restore the log's key file from a backup (a new key "
                            "needs `wenyuan ledger rotate`, which the old key signs)",
                            stored_vkey=stored,
                            given_vkey=vkey,
                        )
                    self.vkey = stored or vkey
                    return int(found[0])
                if not self.writable:
                    raise InvalidInput(f"there is no log with origin {self.origin!r}")
                conn.execute(
                    tables.logs.insert().values(
                        origin=self.origin, vkey=vkey, created_at=datetime.now(UTC)
                    )
                )
                self.vkey = vkey
                return int(conn.execute(select).one()[0])
        except SQLAlchemyError as exc:
            raise StorageError(f"opening log {self.origin!r} failed: {exc}") from exc

    def _take_writer_lock(self) -> None:
        conn = self.engine.connect()
        try:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                database = self.engine.url.database
                if database and database != ":memory:":
                    path = Path(f"{database}.ledger-{self.log_id}.lock")
                    handle = path.open("wb")
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError as exc:
                        handle.close()
                        raise LogBusy(
                            f"log {self.origin!r} is open for writing in another process (a "
                            "running server?); send statements to that server instead "
                            "(wenyuan ledger … --server URL)",
                            lock=str(path),
                        ) from exc
                    handle.write(str(os.getpid()).encode())
                    handle.flush()
                    self._lock_file = handle
            else:
                key = int.from_bytes(hashlib.sha256(self.origin.encode()).digest()[:8], "big")
                key -= 1 << 63  # a signed 64-bit advisory lock key
                taken = conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar()
                if not taken:
                    raise LogBusy(
                        f"log {self.origin!r} is open for writing in another process (a "
                        "running server?); send statements to that server instead "
                        "(wenyuan ledger … --server URL)"
                    )
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _release_writer_lock(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                if self._conn.dialect.name == "postgresql":
                    self._conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
                    self._conn.commit()
                self._conn.close()
            self._conn = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def entry_count(conn: Connection, log_id: int) -> int:
    """How many entries the log with id ``log_id`` holds, from the last position of its key
    range in ``ledger_entries`` (a log's entries are contiguous from index 0)."""
    base = int(log_id) * tables.LOG_SPAN
    pos = tables.entries.c.pos
    last = conn.execute(
        sa.select(sa.func.max(pos)).where(pos >= base, pos < base + tables.LOG_SPAN)
    ).scalar()
    return 0 if last is None else int(last) - base + 1
