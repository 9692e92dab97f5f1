"""The trust ledger's application service: every use case the API, the web pages and the CLI
have for the ledger, behind one object.

``LedgerService`` is reached as ``platform.ledger``. It is built from the platform's engine
and settings (it makes no engine and runs no migrations of its own) and opens nothing when
built. Interfaces call its methods and get frozen dataclasses back (``Receipt``,
``PendingReceipt``, ``LedgerSummary``, ``AssetHistory``, …) or an error of the
``WenyuanError`` tree; they never reach the log, the registry or the checkpointer, and they
render a value with its ``to_json()``.

Reading takes no lock. Receipts of covered entries, entries, proofs, tiles, assets, the
summary, ``status``, ``mirror``, ``replay`` and ``public_key`` are answered from the database
beside whichever process writes the log (``wenyuan ledger status`` beside a server); while
this service is open for writing they are answered from the writer's own state.

Writing is opened explicitly: ``open()`` takes the log's writer lock (one process at a time,
``LogBusy`` otherwise), gives a log handed over earlier its final checkpoint if it lacks one,
and starts publishing checkpoints. The server opens it at start-up; each command that
writes opens it first. A service asked to open keeps wanting the log: if another process held
it, each later use tries again, so a server started beside a command takes the log once the
command is done.

The log key is created on first use (mode 0600, under the data folder unless
``WENYUAN_LEDGER_KEY_FILE`` says otherwise); its name must be the configured origin, since a
checkpoint's origin line names the key that signs it. Witnesses are reached over HTTP
(C2SP tlog-witness). ``rotate`` ends the open log with a hand-over statement signed by its
key, naming a new log with a new key (kept beside the first, ``keys/<origin>.key``); the
configured origin stays the name of the chain, and the service follows the hand-overs to the
log that is open for statements.

Hazard: an open service runs threads (the log's writer, the checkpointer) and holds the
writer lock until ``close``.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from wenyuan.core.config import Settings
from wenyuan.core.errors import InvalidInput, StorageError
from wenyuan.ledger import (
    Accepted,
    AssetHistory,
    AssetState,
    ChainLink,
    ConsistencyProof,
    Entry,
    HTTPWitness,
    InclusionProof,
    Ledger,
    LedgerReader,
    LedgerState,
    LedgerStatus,
    LedgerSummary,
    LogBusy,
    Mirrored,
    NoteSigner,
    PendingReceipt,
    Receipt,
    RegistryView,
    active_origin,
    asset_id_for,
    encode_leaf,
    finish_log,
    generate_key,
    load_cosignature_verifier,
    load_signer,
    log_chain,
    make_grant_licence,
    make_register,
    make_transfer,
    replay_chain,
)
from wenyuan.resources import Record

__all__ = [
    "AssetPage",
    "LedgerKeys",
    "LedgerService",
    "Rotation",
    "ledger_party_key",
    "ledger_signer",
]


@dataclass(frozen=True, slots=True)
class AssetPage:
    """Registered assets in id order; ``next_cursor`` (the last id) asks for the next page,
    None at the end."""

    items: tuple[AssetState, ...]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"items": [a.to_json() for a in self.items], "next_cursor": self.next_cursor}


@dataclass(frozen=True, slots=True)
class LedgerKeys:
    """What a receipt of this ledger is checked with: the open log's origin and verifier key,
    every log of the hand-over chain with its key (oldest first), and the configured
    witnesses' cosignature keys, of which ``quorum`` must have cosigned a checkpoint."""

    origin: str
    vkey: str
    quorum: int
    chain: tuple[ChainLink, ...]
    witness_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rotation:
    """A log key rotation: the log ``origin`` was handed over to ``new_origin``, signed by
    the new key ``vkey``; ``receipt`` is the hand-over's (pending if the witnesses' quorum
    was late: the hand-over is durable all the same)."""

    origin: str
    new_origin: str
    vkey: str
    receipt: Receipt | PendingReceipt


def _key_path(settings: Settings, origin: str) -> Path:
    configured = settings.resolved_ledger_key_file
    if origin == settings.ledger_origin:
        return configured
    return configured.parent / (re.sub(r"[^A-Za-z0-9._-]+", "_", origin) + ".key")


def ledger_signer(settings: Settings, origin: str | None = None) -> NoteSigner:
    """The signing key of the log ``origin`` (default: the configured one), created at its
    path if it does not exist yet."""
    origin = origin or settings.ledger_origin
    path = _key_path(settings, origin)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_key(path, origin)
    signer = load_signer(path)
    if signer.name != origin:
        raise InvalidInput(
            f"the ledger key {path} is named {signer.name!r} but the log's origin is "
            f"{origin!r}; the origin line must name the key that signs it"
        )
    return signer


def ledger_party_key(path: Path, name: str) -> Ed25519PrivateKey:
    """A party's statement key at ``path``, created (0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_key(path, name)
    return load_signer(path).ed25519_private_key()


def _witnesses(settings: Settings) -> list[HTTPWitness]:
    witnesses = []
    for configured in settings.ledger_witnesses:
        verifier = load_cosignature_verifier(configured.vkey)
        witnesses.append(HTTPWitness(verifier.name, configured.url, verifier=verifier))
    return witnesses


class LedgerService:
    """The trust ledger's use cases over ``engine`` (the platform's), configured by
    ``settings``. Open it for writing with ``open``; ``close`` it at the end."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._view = RegistryView(engine)
        self._lock = threading.RLock()
        self._writer: Ledger | None = None
        self._reader: LedgerReader | None = None
        self._wanted = False

    # -- opening ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether this service holds the log for writing now."""
        return self._writer is not None

    def open(self) -> None:
        """Open the ledger for writing: take the log's writer lock, finish a predecessor
        log's last checkpoint if the witnesses were down at its hand-over, and start
        publishing checkpoints. Does nothing if already open.

        Raises ``LogBusy`` if another process writes the log (send statements to it, or stop
        it); the service then still wants the log, and each later use tries again.
        """
        with self._lock:
            self._wanted = True
            if self._writer is None:
                self._writer = self._open_writer()
                self._drop_reader()

    def close(self) -> None:
        """Stop writing (leaving a signed checkpoint of everything appended) and release
        the writer lock; reading goes on from the database."""
        with self._lock:
            self._wanted = False
            writer, self._writer = self._writer, None
            try:
                if writer is not None:
                    writer.close()
            finally:
                self._drop_reader()

    def _open_writer(self) -> Ledger:
        settings, engine = self.settings, self.engine
        quorum = settings.resolved_ledger_quorum
        chain = log_chain(engine, settings.ledger_origin)
        for origin, vkey in chain[:-1]:
            if vkey and _key_path(settings, origin).exists():  # else nothing to sign with
                finish_log(
                    engine,
                    ledger_signer(settings, origin),
                    witnesses=lambda: _witnesses(settings),
                    quorum=quorum,
                )
        signer = ledger_signer(settings, active_origin(engine, settings.ledger_origin))
        witnesses = _witnesses(settings)
        try:
            return Ledger(
                engine,
                signer,
                witnesses=witnesses,
                quorum=quorum,
                interval=settings.ledger_checkpoint_interval,
                max_future=timedelta(seconds=settings.ledger_max_future),
            )
        except BaseException:
            for witness in witnesses:
                witness.close()
            raise

    def _drop_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def _writing(self) -> Ledger:
        """The open writer, reopened if the service wants it; ``StorageError`` if the
        service was never opened."""
        writer = self._writer
        if writer is not None:
            return writer
        with self._lock:
            if not self._wanted:
                raise StorageError(
                    "the ledger is not open for writing: open it first (LedgerService.open)"
                )
            self.open()
            assert self._writer is not None
            return self._writer

    def _reading(self) -> LedgerReader:
        """The writer if open (or reopened), else a reader of the open log, brought up to
        date with what the writing process appended."""
        writer = self._writer
        if writer is not None:
            return writer
        with self._lock:
            if self._wanted:
                try:
                    return self._writing()
                except LogBusy:
                    pass  # another process writes: read beside it
            origin = active_origin(self.engine, self.settings.ledger_origin)
            if self._reader is not None and self._reader.origin == origin:
                self._reader.refresh()
                return self._reader
            self._drop_reader()
            self._reader = LedgerReader.open(
                self.engine,
                origin,
                quorum=self.settings.resolved_ledger_quorum,
                witnesses=self._witness_names(),
            )
            return self._reader

    def _witness_names(self) -> tuple[str, ...]:
        return tuple(w.vkey.split("+", 1)[0] for w in self.settings.ledger_witnesses)

    # -- writing ------------------------------------------------------------------------------

    def submit(self, leaf: bytes) -> Accepted:
        """Check a signed statement's leaf (signature, the ledger's state) and queue it for
        the log; ``Accepted.future`` gives its index once it is durable. Needs ``open``."""
        return self._writing().submit(leaf)

    def append(self, leaf: bytes, *, wait: float | None = None) -> Receipt | PendingReceipt:
        """Check and append a signed statement's leaf, and return its receipt once a trusted
        checkpoint covers it, waiting up to ``wait`` seconds (default
        ``WENYUAN_LEDGER_RECEIPT_WAIT``; pending after that). Needs ``open``."""
        writer = self._writing()
        index, _ = writer.append(leaf)
        seconds = self.settings.ledger_receipt_wait if wait is None else wait
        return writer.receipt(index, wait=seconds)

    def rotate(self, new_origin: str) -> Rotation:
        """End the open log with a hand-over signed by its key, naming a new log
        ``new_origin`` with a new key, and open the new log for writing. Needs ``open``; if
        the hand-over fails, the next use opens the old log again.

        The old log must have the witnesses' quorum on its current checkpoint (``Conflict``
        otherwise); a name the chain already used is ``InvalidInput``.
        """
        with self._lock:
            writer = self._writing()
            if new_origin in {origin for origin, _ in log_chain(self.engine, writer.origin)}:
                raise InvalidInput(f"a log named {new_origin!r} already exists in this chain")
            successor = ledger_signer(self.settings, new_origin)
            try:
                receipt = writer.hand_over(successor, wait=self.settings.ledger_receipt_wait)
            finally:
                self._writer = None
                writer.close()
            self.open()  # the new log exists from now on, its key in the chain
            return Rotation(writer.origin, new_origin, successor.vkey(), receipt)

    def load_sample(self, records: Sequence[Record]) -> int:
        """Register the catalogue records of a few sample artworks, as a demo museum would,
        then transfer one and license another, so the ledger pages have something to show
        and verify. The two demo parties' keys are kept under ``keys/`` in the data folder.
        Does nothing if the first asset is already registered; returns how many statements
        it appended. Needs ``open``."""
        if not records:
            return 0
        writer = self._writing()
        keys = self.settings.data_dir / "keys"
        museum = ledger_party_key(keys / "demo-museum.key", _DEMO_MUSEUM)
        collector = ledger_party_key(keys / "demo-collector.key", _DEMO_COLLECTOR)
        contents = [msgspec.json.encode(record) for record in records]
        first_id = asset_id_for(hashlib.sha256(contents[0]).hexdigest())
        if self._view.asset(first_id, missing_ok=True) is not None:
            return 0
        states: list[AssetState] = []
        for record, content in zip(records, contents, strict=True):
            labels = record.labels
            title = labels.get("zh-Hans") or next(iter(labels.values()), record.source_id)
            signed = make_register(
                museum,
                content_sha256=hashlib.sha256(content).hexdigest(),
                media_type="application/json",
                title=title[:500],
                creators=[c.name[:200] for c in record.creators[:50]],
                description=f"Catalogue record {record.source}:{record.source_id}",
            )
            _, effect = writer.append(encode_leaf(signed))
            assert isinstance(effect, AssetState)
            states.append(effect)
        first = states[0]
        transfer = make_transfer(
            museum, asset=first.asset_id, prev=first.head, to=collector.public_key()
        )
        writer.append(encode_leaf(transfer))
        if len(states) > 1:
            second = states[1]
            grant = make_grant_licence(
                museum,
                asset=second.asset_id,
                prev=second.head,
                licensee=collector.public_key(),
                terms="https://creativecommons.org/licenses/by/4.0/",
            )
            writer.append(encode_leaf(grant))
        return len(states) + (2 if len(states) > 1 else 1)

    # -- receipts, entries, proofs ------------------------------------------------------------

    @property
    def retry_after(self) -> int:
        """Seconds after which to ask again for a pending receipt: the checkpoint interval,
        at least one second (HTTP ``Retry-After`` counts whole seconds)."""
        return max(1, math.ceil(self.settings.ledger_checkpoint_interval))

    def receipt(
        self, index: int, *, log: str | None = None, wait: float = 0.0
    ) -> Receipt | PendingReceipt:
        """The receipt of entry ``index`` on the newest trusted checkpoint, or a
        ``PendingReceipt`` if none covers it yet; ``NotFound`` past the end of the log.
        ``log`` names an earlier log of the hand-over chain. ``wait`` (seconds) waits for
        the checkpoint, in the process that writes the log only."""
        reader = self._reading()
        if isinstance(reader, Ledger):
            return reader.receipt(index, log=log, wait=wait)
        return reader.receipt(index, log=log)

    def entry(self, index: int) -> Entry:
        """Entry ``index``: its exact leaf bytes and the statement they hold."""
        return self._reading().entry(index)

    def inclusion_proof(self, index: int, size: int) -> InclusionProof:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries
        (``NotFound`` for a tree the log does not have, ``InvalidInput`` for an index
        outside it)."""
        return self._reading().inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """RFC 9162 consistency proof between the trees of ``old_size`` and ``new_size``."""
        return self._reading().consistency_proof(old_size, new_size)

    # -- the published tree -------------------------------------------------------------------

    def checkpoint_note(self) -> str:
        """The newest trusted checkpoint note, with its cosignatures (C2SP tlog-checkpoint)."""
        return self._reading().checkpoint_note()

    def tile(self, path: str) -> bytes:
        """A tile or entry bundle (``tile/…``, C2SP tlog-tiles) of the published tree."""
        return self._reading().tile(path)

    def mirror(self, directory: Path) -> Mirrored:
        """Write the newest trusted checkpoint and its tiles under ``directory``, for any
        static web server to serve at ``…/ledger/`` (C2SP tlog-tiles)."""
        return self._reading().mirror(directory)

    # -- assets -------------------------------------------------------------------------------

    def asset(self, asset_id: str) -> AssetState:
        """An asset's current state; ``NotFound`` if none is registered with this id."""
        return self._view.state(asset_id)

    def history(self, asset_id: str) -> AssetHistory:
        """An asset's state and every statement about it, oldest first, across the chain."""
        return self._view.history(asset_id)

    def assets(self, *, limit: int = 50, after: str | None = None) -> AssetPage:
        """Registered assets in id order, ``limit`` after the cursor ``after``."""
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", limit=limit)
        items = tuple(self._view.assets(limit=limit, after=after))
        return AssetPage(items, items[-1].asset_id if len(items) == limit else None)

    # -- the ledger as a whole ----------------------------------------------------------------

    def summary(self) -> LedgerSummary:
        """Size, checkpoints, witnesses, chain and asset count (the ledger page and API)."""
        return self._reading().summary()

    def status(self) -> LedgerStatus:
        """The open log's origin, key, size, newest trusted checkpoint, witnesses and quorum."""
        return self._reading().status()

    def keys(self) -> LedgerKeys:
        """The keys a receipt of this ledger is checked with (the asset page's verifier)."""
        reader = self._reading()
        return LedgerKeys(
            origin=reader.origin,
            vkey=reader.vkey,
            quorum=reader.quorum,
            chain=reader.chain(),
            witness_keys=tuple(w.vkey for w in self.settings.ledger_witnesses),
        )

    def public_key(self) -> str:
        """The verifier key (C2SP note vkey) of the log open for statements, after any
        hand-overs; its key file is created if it does not exist yet."""
        origin = active_origin(self.engine, self.settings.ledger_origin)
        return ledger_signer(self.settings, origin).vkey()

    def replay(self) -> LedgerState:
        """Recompute every asset state from the logs alone (the whole hand-over chain) and
        compare with the registry's view: ``ReplayMismatch`` or ``ReplayFlagged`` if they
        differ. Only reads."""
        return replay_chain(self.engine, self.settings.ledger_origin)


_DEMO_MUSEUM = "demo.museum.wenyuan.example"
_DEMO_COLLECTOR = "demo.collector.wenyuan.example"
