"""Checkpoints: the log signs its tree head, witnesses cosign it, receipts wait for it.

A ``Checkpointer`` publishes a checkpoint whenever the log has grown (checked every
``interval`` seconds, 0.5 by default, and at once when someone waits): it signs the C2SP
checkpoint body with the log's key, asks every configured witness to cosign it (sending the
consistency proof from the size that witness last cosigned, per tlog-witness), and stores the
note with the cosignatures it got. A checkpoint is *trusted* once it carries ``quorum``
cosignatures; receipts are built only on trusted checkpoints.

A witness that refuses (split view, unreachable, a bad proof) is logged and left out of this
round; the checkpoint is still stored, and it becomes trusted only if the others make the
quorum.

Hazard: runs a background thread (``start``/``close``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.errors import InvalidInput, StorageError, WenyuanError
from wenyuan.ledger import _tables as tables
from wenyuan.ledger._log import Log, entry_count
from wenyuan.ledger._note import Checkpoint, NoteSigner, sign_note
from wenyuan.ledger._values import StoredCheckpoint

__all__ = [
    "CheckpointSource",
    "Checkpointer",
    "StoredCheckpoints",
    "WitnessClient",
    "finish_log",
    "latest_checkpoint",
    "stored_checkpoints",
]

log = structlog.get_logger(__name__)


class WitnessClient(Protocol):
    """A witness as the log sees it (in process, or over HTTP)."""

    @property
    def name(self) -> str: ...

    def add_checkpoint(
        self, old_size: int, consistency_proof: list[bytes], checkpoint_note: str
    ) -> str:
        """The cosignature line(s) for the note; raise ``SizeMismatch`` (with ``.size``) when
        the witness's last cosigned size is not ``old_size``."""
        ...


class CheckpointSource(Protocol):
    """Where a reader of the log finds its checkpoints: the ``Checkpointer`` of the process
    that writes it, or ``StoredCheckpoints`` (the database) anywhere else."""

    @property
    def quorum(self) -> int: ...

    def latest(self, *, trusted: bool = True) -> StoredCheckpoint | None:
        """The newest checkpoint (with ``trusted``: the newest with the quorum)."""
        ...

    def history(self, limit: int = 50) -> list[StoredCheckpoint]:
        """The newest ``limit`` checkpoints, newest first."""
        ...


class Checkpointer:
    """Signs, cosigns and stores the log's checkpoints."""

    def __init__(
        self,
        log: Log,
        signer: NoteSigner,
        *,
        witnesses: Sequence[WitnessClient] = (),
        quorum: int | None = None,
        interval: float = 0.5,
    ) -> None:
        self.log = log
        self.signer = signer
        self.witnesses = list(witnesses)
        self.quorum = len(self.witnesses) if quorum is None else quorum
        if not 0 <= self.quorum <= len(self.witnesses):
            raise InvalidInput(
                f"a quorum of {self.quorum} cosignatures needs at least that many witnesses "
                f"({len(self.witnesses)} configured)"
            )
        self.interval = interval
        self._witness_sizes: dict[str, int] = {}
        self._publish_lock = threading.Lock()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._latest = self._load_latest(trusted_only=False)
        self._trusted = self._load_latest(trusted_only=True)

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ledger-checkpointer")
            self._thread.daemon = True
            self._thread.start()

    def stop(self) -> None:
        """Stop publishing in the background (``publish`` still works)."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        """Stop, and close the witnesses' connections."""
        self.stop()
        for witness in self.witnesses:
            closer = getattr(witness, "close", None)  # an HTTP witness holds a connection
            if callable(closer):
                closer()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.publish() is None:
                    self.complete()  # a checkpoint still short of the quorum: ask again
            except WenyuanError as exc:
                log.error("ledger.checkpoint_failed", error=exc.detail)
            except Exception:  # the thread must outlive any one failure, or receipts stop
                log.exception("ledger.checkpoint_crashed")
            self._stop.wait(self.interval)

    # -- publishing ---------------------------------------------------------------------------

    def latest(self, *, trusted: bool = True) -> StoredCheckpoint | None:
        """The newest checkpoint (with ``trusted``: the newest with the quorum's cosignatures)."""
        return self._trusted if trusted else self._latest

    def publish(self) -> StoredCheckpoint | None:
        """Sign and store a checkpoint of the current size if the log has grown."""
        with self._publish_lock:
            size = self.log.size
            if size == 0 or (self._latest is not None and self._latest.size >= size):
                return None
            root = self.log.root(size)
            body = Checkpoint(self.log.origin, size, root).body()
            note = sign_note(body, [self.signer])
            lines = [line for w in self.witnesses if (line := self._cosign(w, size, note))]
            if lines:
                note = note + "".join(
                    line if line.endswith("\n") else line + "\n" for line in lines
                )
            stored = StoredCheckpoint(size, root, note, len(lines), datetime.now(UTC))
            self._store(stored)
            with self._changed:
                self._latest = stored
                if len(lines) >= self.quorum:
                    self._trusted = stored
                self._changed.notify_all()
            return stored

    def wait_for(self, index: int, timeout: float = 10.0) -> StoredCheckpoint | None:
        """The first trusted checkpoint that covers leaf ``index``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            trusted = self._trusted
            if trusted is not None and trusted.size > index:
                return trusted
            if self._thread is None:  # nobody publishes in the background: do it now
                if self.publish() is None:
                    self.complete()
                continue_waiting = self._trusted is None or self._trusted.size <= index
                if not continue_waiting:
                    return self._trusted
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with self._changed:
                self._changed.wait(min(remaining, self.interval, 0.1))

    def complete(self) -> StoredCheckpoint | None:
        """Ask the witnesses again to cosign the newest checkpoint if it is still short of
        the quorum (a witness was down when it was published), adding the cosignatures to
        the stored note. Returns it once trusted."""
        with self._publish_lock:
            latest = self._latest
            if latest is None or latest.cosignatures >= self.quorum:
                return latest
            missing = [w for w in self.witnesses if f"\n— {w.name} " not in latest.note]
            lines = [line for w in missing if (line := self._cosign(w, latest.size, latest.note))]
            if not lines:
                return None
            note = latest.note + "".join(x if x.endswith("\n") else x + "\n" for x in lines)
            stored = StoredCheckpoint(
                latest.size,
                latest.root,
                note,
                latest.cosignatures + len(lines),
                latest.created_at,
            )
            try:
                with self.log.engine.begin() as conn:
                    conn.execute(
                        tables.checkpoints.update()
                        .where(
                            tables.checkpoints.c.log_id == self.log.log_id,
                            tables.checkpoints.c.size == latest.size,
                        )
                        .values(note=stored.note, cosignatures=stored.cosignatures)
                    )
            except SQLAlchemyError as exc:
                raise StorageError(f"updating the checkpoint of size {latest.size} failed") from exc
            with self._changed:
                self._latest = stored
                if stored.cosignatures >= self.quorum:
                    self._trusted = stored
                self._changed.notify_all()
            return stored if stored.cosignatures >= self.quorum else None

    def _cosign(self, witness: WitnessClient, size: int, note: str) -> str | None:
        old = self._witness_sizes.get(witness.name, 0)
        for _ in range(2):  # once more after learning the witness's own size (HTTP 409)
            proof = self.log.consistency_proof(old, size) if 0 < old < size else []
            try:
                line = witness.add_checkpoint(old, proof, note)
            except WenyuanError as exc:
                known = getattr(exc, "size", None)
                if isinstance(known, int) and known != old and 0 <= known <= size:
                    old = known
                    continue
                log.warning("ledger.witness_refused", witness=witness.name, error=exc.detail)
                return None
            except OSError as exc:
                log.warning("ledger.witness_unreachable", witness=witness.name, error=str(exc))
                return None
            self._witness_sizes[witness.name] = size
            return line
        return None

    # -- storage ------------------------------------------------------------------------------

    def _store(self, checkpoint: StoredCheckpoint) -> None:
        try:
            with self.log.engine.begin() as conn:
                conn.execute(
                    tables.checkpoints.insert().values(
                        log_id=self.log.log_id,
                        size=checkpoint.size,
                        root=checkpoint.root,
                        note=checkpoint.note,
                        cosignatures=checkpoint.cosignatures,
                        created_at=checkpoint.created_at,
                    )
                )
        except SQLAlchemyError as exc:
            raise StorageError(f"storing the checkpoint of size {checkpoint.size} failed") from exc

    def _query(
        self, limit: int, *, size: int | None = None, trusted: bool = False
    ) -> list[StoredCheckpoint]:
        return stored_checkpoints(
            self.log, limit, size=size, quorum=self.quorum if trusted else None
        )

    def _load_latest(self, *, trusted_only: bool) -> StoredCheckpoint | None:
        found = self._query(1, trusted=trusted_only)
        return found[0] if found else None

    def history(self, limit: int = 50) -> list[StoredCheckpoint]:
        """The newest ``limit`` checkpoints, newest first."""
        return self._query(limit)

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint the log signed at ``size``, if it signed one."""
        found = self._query(1, size=size)
        return found[0] if found else None


def stored_checkpoints(
    log: Log, limit: int, *, size: int | None = None, quorum: int | None = None
) -> list[StoredCheckpoint]:
    """The newest ``limit`` stored checkpoints of ``log`` (of ``size`` only, if given; with at
    least ``quorum`` cosignatures, if given), newest first."""
    table = tables.checkpoints
    columns = (table.c.size, table.c.root, table.c.note, table.c.cosignatures, table.c.created_at)
    query = sa.select(*columns).where(table.c.log_id == log.log_id)
    if size is not None:
        query = query.where(table.c.size == size)
    if quorum is not None:
        query = query.where(table.c.cosignatures >= quorum)
    query = query.order_by(table.c.size.desc()).limit(limit)
    try:
        with log.engine.connect() as conn:
            return [
                StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), int(r[3]), r[4])
                for r in conn.execute(query)
            ]
    except SQLAlchemyError as exc:
        raise StorageError(f"reading checkpoints failed: {exc}") from exc


def latest_checkpoint(log: Log, *, quorum: int = 0) -> StoredCheckpoint | None:
    """The newest stored checkpoint of ``log`` with at least ``quorum`` cosignatures."""
    found = stored_checkpoints(log, 1, quorum=quorum)
    return found[0] if found else None


class StoredCheckpoints:
    """The checkpoints of ``log`` as stored, read from the database at each call: a
    ``CheckpointSource`` for a process that does not write the log (no lock, no thread)."""

    def __init__(self, log: Log, quorum: int) -> None:
        self.log = log
        self.quorum = quorum

    def latest(self, *, trusted: bool = True) -> StoredCheckpoint | None:
        return latest_checkpoint(self.log, quorum=self.quorum if trusted else 0)

    def history(self, limit: int = 50) -> list[StoredCheckpoint]:
        return stored_checkpoints(self.log, limit)


def finish_log(
    engine: Engine,
    signer: NoteSigner,
    *,
    witnesses: Callable[[], Sequence[WitnessClient]] = tuple,
    quorum: int = 0,
) -> None:
    """Give a log that was handed over its final trusted checkpoint, if it still lacks one.

    A log handed over publishes nothing more; if its newest checkpoint with the ``quorum``
    does not cover all its entries (the witnesses were down at the hand-over), sign one with
    the log's key (``signer``, whose name is its origin) and ask the witnesses again, so that
    its last entries, the hand-over first of all, get their receipts. The usual case, a
    finished log, is answered by two small queries, without reading the log or calling
    ``witnesses``, which makes the witness clients only when they are needed (they are closed
    when done). A witness that still refuses is logged; the next call asks again.
    """
    if _is_finished(engine, signer.name, quorum):
        return
    with Log(engine, signer.name, writable=False) as reader:
        checkpointer = Checkpointer(reader, signer, witnesses=witnesses(), quorum=quorum)
        try:
            trusted = checkpointer.latest(trusted=True)
            short = reader.size and (trusted is None or trusted.size < reader.size)
            if short and checkpointer.publish() is None:
                checkpointer.complete()
        except WenyuanError as exc:
            log.warning("ledger.predecessor_unfinished", origin=reader.origin, error=exc.detail)
        finally:
            checkpointer.close()


def _is_finished(engine: Engine, origin: str, quorum: int) -> bool:
    """Whether the log's newest checkpoint with the quorum covers all its entries."""
    logs, checkpoints = tables.logs, tables.checkpoints
    try:
        with engine.connect() as conn:
            log_id = conn.execute(sa.select(logs.c.id).where(logs.c.origin == origin)).scalar()
            if log_id is None:
                return True
            size = entry_count(conn, int(log_id))
            trusted = conn.execute(
                sa.select(sa.func.max(checkpoints.c.size)).where(
                    checkpoints.c.log_id == log_id, checkpoints.c.cosignatures >= quorum
                )
            ).scalar()
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the checkpoints of log {origin!r} failed: {exc}") from exc
    return size == 0 or (trusted is not None and int(trusted) >= size)
