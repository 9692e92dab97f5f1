"""The registry: signed statements checked against the current asset states, then appended.

A statement is decoded and its signature verified, then checked against the state of the
asset it touches (``state.apply``) and queued for the log, all under one lock: two statements
made from the same head (two concurrent transfers, a replay) cannot both pass, because the
first one to take the lock moves the head before the second is checked. The new state of the
asset is written to ``ledger_assets`` in the same transaction as the entry
(``Log``'s batch hook), so the registry's view and the log never disagree after a crash.

Between the check and the commit, accepted states wait in ``_pending`` so that the next
statement about the same asset sees them. If a batch fails to commit (the database is gone),
everything pending is dropped and the next statement is checked against what is durable.

The view is a cache of a pure function of the log: ``replay`` recomputes it from the entries
alone and ``check_replay`` compares the two.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine

from wenyuan.core.db import driver_sql
from wenyuan.core.errors import Conflict, InvalidInput, StorageError
from wenyuan.ledger import _tables as tables
from wenyuan.ledger._log import Log, Pending, entry_count
from wenyuan.ledger._note import NoteVerifier
from wenyuan.ledger._state import AssetState, Handover, LedgerState, apply, replay
from wenyuan.ledger._statements import check_admission, decode_leaf
from wenyuan.ledger._view import RegistryView

__all__ = [
    "Accepted",
    "LogFrozen",
    "Registry",
    "ReplayMismatch",
    "active_origin",
    "check_replay",
    "log_chain",
    "replay_chain",
    "replay_log",
    "vkey_public_key",
]

_UPSERT_ASSET = (
    "INSERT INTO ledger_assets (asset_id, log_id, head_index, state) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (asset_id) DO UPDATE SET log_id = excluded.log_id, "
    "head_index = excluded.head_index, state = excluded.state"
)
_INSERT_EVENT = "INSERT INTO ledger_asset_events (asset_id, log_id, idx, kind) VALUES (?, ?, ?, ?)"


log = structlog.get_logger(__name__)


class LogFrozen(Conflict):
    """This log was handed over to a successor and takes no more statements: send them to
    the successor log named in ``successor``."""

    title = "Log is frozen"
    type_slug = "log-frozen"


class ReplayMismatch(StorageError):
    """The states recomputed from the log differ from the registry's stored view; the view
    must be rebuilt from the log (``context`` names the assets that differ)."""

    title = "Replay differs from the registry"
    type_slug = "replay-mismatch"


class ReplayFlagged(ReplayMismatch):
    """The log holds entries the Ed25519 policy refuses (appended before it existed), so
    the states they produced cannot be trusted. ``entries`` lists each flagged entry with
    its index, leaf hash and reason: publish them, and ask the parties concerned to sign
    again with real keys; ``differ`` names the assets whose stored state they changed."""

    title = "Entries refused by the Ed25519 policy"
    type_slug = "replay-flagged"

    def __init__(self, state: LedgerState, differ: Sequence[str]) -> None:
        flagged = state.flagged
        super().__init__(
            f"{len(flagged)} entr{'y' if len(flagged) == 1 else 'ies'} of the log "
            f"{'is' if len(flagged) == 1 else 'are'} refused by the Ed25519 policy "
            f"(first: leaf {flagged[0].index}: {flagged[0].reason})",
            count=len(flagged),
        )
        self.state = state
        self.entries = flagged
        self.differ = list(differ)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A statement the registry accepted; ``index`` resolves once its entry is durable."""

    leaf: bytes
    effect: AssetState | Handover
    predicted_index: int
    future: Future[range]

    def index(self, timeout: float | None = None) -> int:
        return self.future.result(timeout).start


class _View(Mapping[str, AssetState]):
    """The states ``apply`` checks against: accepted-but-pending first, then the database."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __getitem__(self, asset_id: str) -> AssetState:
        found = self._registry._pending.get(asset_id)
        if found is not None:
            return found
        stored = self._registry.asset(asset_id, missing_ok=True)
        if stored is None:
            raise KeyError(asset_id)
        return stored

    def __iter__(self) -> Iterator[str]:
        raise NotImplementedError("the registry view is looked up, never listed")

    def __len__(self) -> int:
        raise NotImplementedError("the registry view is looked up, never counted")


class Registry:
    """Signed statements about assets, checked and appended to one log."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        *,
        vkey: str = "",
        log_key: str,
        max_future: timedelta = timedelta(minutes=5),
    ) -> None:
        """``log_key`` is the log's own Ed25519 public key (base64): only it may hand over.
        A statement issued more than ``max_future`` ahead of this machine's clock is refused
        (``check_admission``)."""
        self.engine = engine
        self.view = RegistryView(engine)
        self.log_key = log_key
        self.max_future = max_future
        self._lock = threading.Lock()
        self._pending: dict[str, AssetState] = {}
        self._pending_count: dict[str, int] = {}
        self.log = Log(engine, origin, vkey=vkey, hook=self._write_view)
        self._next_index = self.log.size
        self._frozen = self._successor()
        self._broken: str | None = None
        self._asset_count: int | None = None
        self.offset = self._chain_offset()

    def close(self) -> None:
        self.log.close()

    @property
    def next_position(self) -> int:
        """The ledger position the next accepted statement will get (pending ones counted).

        Positions count entries across the hand-over chain: a log's entry ``i`` is at
        ``offset + i``, where ``offset`` is how many entries its predecessors hold. Asset
        states record positions, so their order survives a key rotation.
        """
        with self._lock:
            return self.offset + self._next_index

    # -- writing ------------------------------------------------------------------------------

    def submit(self, leaf: bytes) -> Accepted:
        """Check a signed statement's leaf and queue it; raises if the statement is refused."""
        if not isinstance(leaf, bytes):
            raise InvalidInput("a statement leaf is bytes")
        signed = decode_leaf(leaf)
        check_admission(signed.statement, now=datetime.now(UTC), max_future=self.max_future)
        with self._lock:
            if self._broken:
                raise StorageError(self._broken)
            if self._frozen:
                raise LogFrozen(
                    f"log {self.log.origin!r} was handed over to {self._frozen!r}",
                    successor=self._frozen,
                )
            index = self._next_index
            effect = apply(_View(self), signed, leaf, self.offset + index, log_key=self.log_key)
            future = self.log.submit([leaf], meta=(index, effect, signed.kind))
            self._next_index += 1
            if isinstance(effect, AssetState):
                self._pending[effect.asset_id] = effect
                self._pending_count[effect.asset_id] = (
                    self._pending_count.get(effect.asset_id, 0) + 1
                )
            else:
                self._frozen = effect.new_origin
        future.add_done_callback(lambda done: self._settle(effect, done))
        return Accepted(leaf, effect, index, future)

    def append(
        self, leaf: bytes, timeout: float | None = None
    ) -> tuple[int, AssetState | Handover]:
        accepted = self.submit(leaf)
        return accepted.index(timeout), accepted.effect

    def _settle(self, effect: AssetState | Handover, done: Future[range]) -> None:
        try:
            self._settle_locked(effect, done)
        except Exception:  # a future's callback must not fail silently: recheck everything
            log.exception("ledger.settle_failed")
            with self._lock:
                self._pending.clear()
                self._pending_count.clear()
                self._next_index = self.log.size
                self._broken = (
                    "the registry could not re-read its state after a failed commit; "
                    "reopen the ledger (restart the server)"
                )

    def _settle_locked(self, effect: AssetState | Handover, done: Future[range]) -> None:
        with self._lock:
            if done.exception() is not None:
                # The batch did not commit: nothing pending can be trusted any more.
                self._pending.clear()
                self._pending_count.clear()
                self._next_index = self.log.size
                self._frozen = self._successor()
                self._asset_count = None  # counted again from the database when asked
                return
            if isinstance(effect, AssetState):
                if effect.registered_at == effect.head_index and self._asset_count is not None:
                    self._asset_count += 1  # a registration, now durable
                left = self._pending_count.get(effect.asset_id, 0) - 1
                if left <= 0:
                    self._pending.pop(effect.asset_id, None)
                    self._pending_count.pop(effect.asset_id, None)
                else:
                    self._pending_count[effect.asset_id] = left

    def _write_view(self, conn: Connection, start: int, batch: Sequence[Pending]) -> None:
        """The log's batch hook: the registry's rows, in the entries' own transaction."""
        assets: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        log_id = self.log.log_id
        for offset, item in enumerate(batch):
            predicted, effect, kind = item.meta
            if predicted != start + offset:
                raise StorageError(
                    f"a statement checked for index {predicted} would land at {start + offset} "
                    "after an earlier batch failed; submit it again"
                )
            if isinstance(effect, Handover):
                conn.execute(
                    tables.logs.update()
                    .where(tables.logs.c.id == log_id)
                    .values(frozen_at=datetime.now(UTC), successor=effect.new_origin)
                )
                continue
            state = json.dumps(effect.to_json(), ensure_ascii=False, separators=(",", ":"))
            assets.append((effect.asset_id, log_id, effect.head_index, state))
            events.append((effect.asset_id, log_id, predicted, kind))
        if assets:
            conn.exec_driver_sql(driver_sql(conn, _UPSERT_ASSET), assets)
            conn.exec_driver_sql(driver_sql(conn, _INSERT_EVENT), events)

    # -- reading ------------------------------------------------------------------------------

    def asset(self, asset_id: str, *, missing_ok: bool = False) -> AssetState | None:
        """The durable state of an asset (``NotFound`` unless ``missing_ok``)."""
        return self.view.asset(asset_id, missing_ok=missing_ok)

    def assets(self, *, limit: int = 50, after: str | None = None) -> list[AssetState]:
        """Assets in id order, ``limit`` at a time after ``after`` (a cursor)."""
        return self.view.assets(limit=limit, after=after)

    def count(self) -> int:
        """How many assets are registered (counted once at open, then kept up to date)."""
        with self._lock:
            if self._asset_count is None:
                self._asset_count = self.view.count()
            return self._asset_count

    def check_replay(self) -> LedgerState:
        """Replay the log (after its predecessors) and compare with the stored view."""
        return replay_chain(self.engine, self.log.origin, open_log=self.log)

    def _chain_offset(self) -> int:
        """How many entries the logs before this one in its hand-over chain hold."""
        before = [o for o, _ in log_chain(self.engine, self.log.origin)]
        before = before[: before.index(self.log.origin)] if self.log.origin in before else []
        if not before:
            return 0
        ids = sa.select(tables.logs.c.id).where(tables.logs.c.origin.in_(before))
        with self.engine.connect() as conn:
            return sum(entry_count(conn, int(log_id)) for (log_id,) in conn.execute(ids).all())

    def _successor(self) -> str | None:
        query = sa.select(tables.logs.c.successor).where(tables.logs.c.id == self.log.log_id)
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return str(value) if value else None


def active_origin(engine: Engine, origin: str) -> str:
    """The origin of the log open for statements in ``origin``'s hand-over chain (``origin``
    itself before any hand-over, or before the log exists)."""
    chain = log_chain(engine, origin)
    return chain[-1][0] if chain else origin


def replay_chain(engine: Engine, origin: str, *, open_log: Log | None = None) -> LedgerState:
    """Replay every log of ``origin``'s hand-over chain from its entries alone and compare
    with the registry's stored view (``check_replay``).

    The logs are read without the writer lock, so this runs beside the process that writes;
    ``open_log`` is that process's own log of the chain, used instead of reading it again.
    """
    logs: list[tuple[Log, str]] = []
    try:
        for link, vkey in log_chain(engine, origin):
            if not vkey:
                continue
            if open_log is not None and link == open_log.origin:
                logs.append((open_log, vkey_public_key(vkey)))
            else:
                logs.append((Log(engine, link, writable=False), vkey_public_key(vkey)))
        return check_replay(logs)
    finally:
        for reader, _ in logs:
            if reader is not open_log:
                reader.close()


def log_chain(engine: Engine, origin: str) -> list[tuple[str, str]]:
    """The (origin, vkey) of every log in ``origin``'s hand-over chain, oldest first.

    A log handed over names its successor (``ledger_logs.successor``); the chain runs from
    the first log to the one open for statements, which has an empty vkey if it was named
    by a hand-over but never opened yet.
    """
    with engine.connect() as conn:
        rows = {
            str(o): (str(v), str(s) if s else None)
            for o, v, s in conn.execute(
                sa.select(tables.logs.c.origin, tables.logs.c.vkey, tables.logs.c.successor)
            )
        }
    if origin not in rows:
        return []
    predecessor = {succ: o for o, (_, succ) in rows.items() if succ}
    first = origin
    seen = {first}
    while first in predecessor and predecessor[first] not in seen:
        first = predecessor[first]
        seen.add(first)
    chain: list[tuple[str, str]] = []
    current: str | None = first
    while current is not None and current not in {o for o, _ in chain}:
        if current not in rows:  # handed over to, not opened yet: no entries, key unknown
            chain.append((current, ""))
            break
        chain.append((current, rows[current][0]))
        current = rows[current][1]
    return chain


def check_replay(logs: Sequence[tuple[Log, str]]) -> LedgerState:
    """Replay a chain of logs (each with its log key, base64) from their entries alone and
    compare with the registry's stored view.

    Each log is replayed from the state its predecessor ended in; a log that hands over must
    name the next log's key. Works on read-only ``Log``s too (beside a running server).
    Raises ``ReplayError`` on an entry that should not be there and ``ReplayMismatch``
    naming the assets whose stored states differ.
    """
    state: LedgerState | None = None
    for position, (log, log_key) in enumerate(logs):
        state = replay_log(log, log_key=log_key, start=state)
        if position + 1 < len(logs):
            successor = logs[position + 1][0]
            handover = state.handovers[-1] if state.handovers else None
            if handover is None or handover.new_origin != successor.origin:
                raise ReplayMismatch(
                    f"log {log.origin!r} does not hand over to {successor.origin!r}",
                    log=log.origin,
                )
            if handover.new_vkey != successor.vkey:
                raise ReplayMismatch(
                    f"log {log.origin!r} handed over to the key {handover.new_vkey}, but "
                    f"{successor.origin!r} is signed by {successor.vkey}",
                    log=successor.origin,
                )
    if state is None:
        return LedgerState()
    stored: dict[str, Any] = {}
    ids = [log.log_id for log, _ in logs]
    query = sa.select(tables.assets.c.asset_id, tables.assets.c.state).where(
        tables.assets.c.log_id.in_(ids)
    )
    with logs[-1][0].engine.connect() as conn:
        for asset_id, text in conn.execute(query):
            stored[asset_id] = json.loads(text)
    differ = sorted(
        (set(stored) ^ set(state))
        | {a for a in stored if a in state and state[a].to_json() != stored[a]}
    )
    if state.flagged:
        raise ReplayFlagged(state, differ)
    if differ:
        raise ReplayMismatch(
            f"{len(differ)} asset states differ between the log and the registry",
            assets=differ[:20],
        )
    return state


def replay_log(
    log: Log,
    *,
    log_key: str | None = None,
    start: LedgerState | None = None,
    chunk: int = 10_000,
) -> LedgerState:
    """All asset states recomputed from ``log``'s entries (read ``chunk`` at a time),
    starting from ``start``, the state its predecessor log ended in: entry ``i`` is at ledger
    position ``offset + i``, where ``offset`` is the final size its hand-over named."""

    offset = start.handovers[-1].final_size if start is not None and start.handovers else 0

    def leaves() -> Iterator[tuple[int, bytes]]:
        for first in range(0, log.size, chunk):
            end = min(first + chunk, log.size)
            positions = range(offset + first, offset + end)
            yield from zip(positions, log.leaves(first, end), strict=True)

    return replay(leaves(), log_key=log_key, start=start, first_index=offset)


def vkey_public_key(vkey: str) -> str:
    """The base64 Ed25519 public key inside a C2SP vkey (how statements name keys)."""
    return base64.b64encode(NoteVerifier.from_vkey(vkey).public_key).decode()
