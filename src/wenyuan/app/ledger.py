"""Opening the platform's ledger from its settings: the log key, the witnesses, the quorum.

The log key is created on first use (mode 0600, under the data folder unless
``WENYUAN_LEDGER_KEY_FILE`` says otherwise); its name must be the configured origin, since a
checkpoint's origin line names the key that signs it. Witnesses are reached over HTTP
(C2SP tlog-witness).

Rotation: ``rotate_ledger`` ends the open log with a hand-over statement signed by its key
and naming a new log with a new key (kept beside the first, ``keys/<origin>.key``). The
configured origin stays the name of the chain: the platform follows the hand-overs to the
log that is open for statements.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine, migrate
from wenyuan.core.errors import InvalidInput, WenyuanError
from wenyuan.ledger import MIGRATIONS as LEDGER_MIGRATIONS
from wenyuan.ledger import (
    Ledger,
    LedgerState,
    Log,
    NoteSigner,
    asset_id_for,
    encode_leaf,
    generate_key,
    load_cosignature_verifier,
    load_signer,
    make_grant_licence,
    make_register,
    make_transfer,
    tables,
)
from wenyuan.ledger.checkpoints import Checkpointer, latest_checkpoint
from wenyuan.ledger.mirror import write_mirror
from wenyuan.ledger.registry import check_replay, log_chain, vkey_public_key
from wenyuan.ledger.witness_http import HTTPWitness
from wenyuan.resources import MIGRATIONS as RESOURCES_MIGRATIONS
from wenyuan.resources import Record

__all__ = [
    "active_signer",
    "ledger_party_key",
    "ledger_signer",
    "ledger_status",
    "load_ledger_sample",
    "mirror_ledger",
    "open_ledger",
    "replay_ledger",
    "rotate_ledger",
]

log_event = structlog.get_logger(__name__)


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


def _active_origin(settings: Settings, engine: Engine) -> str:
    chain = log_chain(engine, settings.ledger_origin)
    return chain[-1][0] if chain else settings.ledger_origin


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine, [RESOURCES_MIGRATIONS, LEDGER_MIGRATIONS])
        yield engine
    finally:
        engine.dispose()


def active_signer(settings: Settings) -> NoteSigner:
    """The key of the log open for statements (after any hand-overs)."""
    with _engine(settings) as engine:
        return ledger_signer(settings, _active_origin(settings, engine))


def _witnesses(settings: Settings) -> list[HTTPWitness]:
    witnesses = []
    for configured in settings.ledger_witnesses:
        verifier = load_cosignature_verifier(configured.vkey)
        witnesses.append(HTTPWitness(verifier.name, configured.url, verifier=verifier))
    return witnesses


def _finish_predecessors(settings: Settings, engine: Engine) -> None:
    """A log handed over publishes nothing more; if its final checkpoint still lacks the
    witnesses' quorum (they were down at the hand-over), ask them again now, with the old
    log's key, so that its last entries, the hand-over first of all, get their receipts."""
    chain = log_chain(engine, settings.ledger_origin)
    quorum = settings.resolved_ledger_quorum
    for origin, vkey in chain[:-1]:
        if not vkey or not _key_path(settings, origin).exists():
            continue  # nothing to sign with: the old key is not kept here
        if _finished(engine, origin, quorum):
            continue  # the usual case, answered by two small queries, not by reading the log
        with Log(engine, origin, writable=False) as log:
            witnesses = _witnesses(settings)
            checkpointer = Checkpointer(
                log,
                ledger_signer(settings, origin),
                witnesses=witnesses,
                quorum=quorum,
            )
            try:
                trusted = checkpointer.latest(trusted=True)
                short = log.size and (trusted is None or trusted.size < log.size)
                if short and checkpointer.publish() is None:
                    checkpointer.complete()
            except WenyuanError as exc:
                log_event.warning("ledger.predecessor_unfinished", origin=origin, error=exc.detail)
            finally:
                checkpointer.close()


def _finished(engine: Engine, origin: str, quorum: int) -> bool:
    """Whether the log's newest checkpoint with the quorum covers all its entries."""
    logs, entries, checkpoints = tables.logs, tables.entries, tables.checkpoints
    with engine.connect() as conn:
        log_id = conn.execute(sa.select(logs.c.id).where(logs.c.origin == origin)).scalar()
        if log_id is None:
            return True
        base = int(log_id) * tables.LOG_SPAN
        last = conn.execute(
            sa.select(sa.func.max(entries.c.pos)).where(
                entries.c.pos >= base, entries.c.pos < base + tables.LOG_SPAN
            )
        ).scalar()
        trusted = conn.execute(
            sa.select(sa.func.max(checkpoints.c.size)).where(
                checkpoints.c.log_id == log_id, checkpoints.c.cosignatures >= quorum
            )
        ).scalar()
    size = 0 if last is None else int(last) - base + 1
    return size == 0 or (trusted is not None and int(trusted) >= size)


def open_ledger(settings: Settings, engine: Engine, *, background: bool = True) -> Ledger:
    """The ledger for writing (one process at a time: ``LogBusy`` otherwise)."""
    _finish_predecessors(settings, engine)
    witnesses = _witnesses(settings)
    return Ledger(
        engine,
        ledger_signer(settings, _active_origin(settings, engine)),
        witnesses=witnesses,
        quorum=settings.resolved_ledger_quorum,
        interval=settings.ledger_checkpoint_interval,
        background=background,
        max_future=timedelta(seconds=settings.ledger_max_future),
    )


def rotate_ledger(settings: Settings, ledger: Ledger, new_origin: str) -> dict[str, Any]:
    """Hand ``ledger`` over to a new log named ``new_origin`` with a new key; returns the
    receipt of the hand-over statement. The caller closes ``ledger`` and opens the next."""
    if new_origin in {origin for origin, _ in log_chain(ledger.log.engine, ledger.origin)}:
        raise InvalidInput(f"a log named {new_origin!r} already exists in this chain")
    successor = ledger_signer(settings, new_origin)
    return ledger.hand_over(successor, wait=settings.ledger_receipt_wait)


def replay_ledger(settings: Settings) -> LedgerState:
    """Recompute every asset state from the logs alone (the whole hand-over chain) and
    compare with the registry's view. Only reads: it runs beside a server."""
    with _engine(settings) as engine:
        logs: list[tuple[Log, str]] = []
        try:
            for origin, vkey in log_chain(engine, settings.ledger_origin):
                if not vkey:
                    continue
                logs.append((Log(engine, origin, writable=False), vkey_public_key(vkey)))
            return check_replay(logs)
        finally:
            for log, _ in logs:
                log.close()


_DEMO_MUSEUM = "demo.museum.wenyuan.example"
_DEMO_COLLECTOR = "demo.collector.wenyuan.example"


def load_ledger_sample(settings: Settings, ledger: Ledger, records: Sequence[Record]) -> int:
    """Register the catalogue records of a few sample artworks in the ledger, as a demo
    museum would, then transfer one and license another, so the ledger pages have something
    to show and verify. The two demo parties' keys are kept under ``keys/`` in the data
    folder. Does nothing if the first asset is already registered; returns how many
    statements it appended."""
    if not records:
        return 0
    keys = settings.data_dir / "keys"
    museum = ledger_party_key(keys / "demo-museum.key", _DEMO_MUSEUM)
    collector = ledger_party_key(keys / "demo-collector.key", _DEMO_COLLECTOR)
    contents = [msgspec.json.encode(record) for record in records]
    first_id = asset_id_for(hashlib.sha256(contents[0]).hexdigest())
    if ledger.registry.asset(first_id, missing_ok=True) is not None:
        return 0
    states = []
    for record, content in zip(records, contents, strict=True):
        title = record.labels.get("zh-Hans") or next(iter(record.labels.values()), record.source_id)
        signed = make_register(
            museum,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="application/json",
            title=title[:500],
            creators=[c.name[:200] for c in record.creators[:50]],
            description=f"Catalogue record {record.source}:{record.source_id}",
        )
        states.append(ledger.append(encode_leaf(signed))[1])
    appended = len(states)
    first = states[0]
    ledger.append(
        encode_leaf(
            make_transfer(museum, asset=first.asset_id, prev=first.head, to=collector.public_key())
        )
    )
    appended += 1
    if len(states) > 1:
        second = states[1]
        ledger.append(
            encode_leaf(
                make_grant_licence(
                    museum,
                    asset=second.asset_id,
                    prev=second.head,
                    licensee=collector.public_key(),
                    terms="https://creativecommons.org/licenses/by/4.0/",
                )
            )
        )
        appended += 1
    return appended


def ledger_party_key(path: Path, name: str) -> Ed25519PrivateKey:
    """A party's statement key at ``path``, created (0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_key(path, name)
    return load_signer(path).ed25519_private_key()


def mirror_ledger(settings: Settings, directory: Path) -> tuple[int, list[str]]:
    """Write the open log's newest trusted checkpoint and its tiles under ``directory``, for
    any static web server to serve at ``…/ledger/`` (C2SP tlog-tiles). Only reads the
    database; returns the tree size and the paths written."""
    with _engine(settings) as engine:
        origin = _active_origin(settings, engine)
        with Log(engine, origin, writable=False) as log:
            quorum = settings.resolved_ledger_quorum
            checkpoint = latest_checkpoint(log, quorum=quorum)
            if checkpoint is None:
                raise InvalidInput(f"log {origin!r} has not published a checkpoint yet")
            written = write_mirror(
                directory, log.tree, log.leaves, checkpoint.size, checkpoint.note
            )
            return checkpoint.size, written


def ledger_status(settings: Settings) -> dict[str, Any]:
    """The open log's origin, key, size, newest trusted checkpoint, witnesses and quorum,
    read without taking the writer lock (beside a running server)."""
    quorum = settings.resolved_ledger_quorum
    with _engine(settings) as engine:
        origin = _active_origin(settings, engine)
        with Log(engine, origin, writable=False) as log:
            checkpoint = latest_checkpoint(log, quorum=quorum)
            return {
                "origin": origin,
                "vkey": log.vkey,
                "size": log.size,
                "quorum": quorum,
                "witnesses": [w.vkey.split("+", 1)[0] for w in settings.ledger_witnesses],
                "checkpoint": None
                if checkpoint is None
                else {
                    "size": checkpoint.size,
                    "cosignatures": checkpoint.cosignatures,
                    "created_at": checkpoint.created_at.isoformat(),
                },
            }
