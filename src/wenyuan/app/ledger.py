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

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine, migrate
from wenyuan.core.errors import InvalidInput
from wenyuan.ledger import MIGRATIONS as LEDGER_MIGRATIONS
from wenyuan.ledger import (
    Ledger,
    LedgerState,
    Log,
    NoteSigner,
    generate_key,
    load_cosignature_verifier,
    load_signer,
)
from wenyuan.ledger.registry import check_replay, log_chain, vkey_public_key
from wenyuan.ledger.witness_http import HTTPWitness
from wenyuan.resources import MIGRATIONS as RESOURCES_MIGRATIONS

__all__ = ["active_signer", "ledger_signer", "open_ledger", "replay_ledger", "rotate_ledger"]


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


def open_ledger(settings: Settings, engine: Engine, *, background: bool = True) -> Ledger:
    """The ledger for writing (one process at a time: ``LogBusy`` otherwise)."""
    witnesses = []
    for configured in settings.ledger_witnesses:
        verifier = load_cosignature_verifier(configured.vkey)
        witnesses.append(HTTPWitness(verifier.name, configured.url, verifier=verifier))
    return Ledger(
        engine,
        ledger_signer(settings, _active_origin(settings, engine)),
        witnesses=witnesses,
        quorum=settings.ledger_quorum,
        interval=settings.ledger_checkpoint_interval,
        background=background,
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
