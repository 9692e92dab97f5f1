"""Opening the platform's ledger from its settings: the log key, the witnesses, the quorum.

The log key is created on first use (mode 0600, under the data folder unless
``WENYUAN_LEDGER_KEY_FILE`` says otherwise); its name must be the configured origin, since a
checkpoint's origin line names the key that signs it. Witnesses are reached over HTTP
(C2SP tlog-witness).
"""

from __future__ import annotations

import base64

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
from wenyuan.ledger.registry import check_replay
from wenyuan.ledger.witness_http import HTTPWitness
from wenyuan.resources import MIGRATIONS as RESOURCES_MIGRATIONS

__all__ = ["ledger_signer", "open_ledger", "replay_ledger"]


def ledger_signer(settings: Settings) -> NoteSigner:
    """The log's signing key, created at the configured path if it does not exist yet."""
    path = settings.resolved_ledger_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_key(path, settings.ledger_origin)
    signer = load_signer(path)
    if signer.name != settings.ledger_origin:
        raise InvalidInput(
            f"the ledger key {path} is named {signer.name!r} but WENYUAN_LEDGER_ORIGIN is "
            f"{settings.ledger_origin!r}; the origin line must name the key that signs it"
        )
    return signer


def open_ledger(settings: Settings, engine: Engine, *, background: bool = True) -> Ledger:
    """The ledger for writing (one process at a time: ``LogBusy`` otherwise)."""
    witnesses = []
    for configured in settings.ledger_witnesses:
        verifier = load_cosignature_verifier(configured.vkey)
        witnesses.append(HTTPWitness(verifier.name, configured.url))
    return Ledger(
        engine,
        ledger_signer(settings),
        witnesses=witnesses,
        quorum=settings.ledger_quorum,
        interval=settings.ledger_checkpoint_interval,
        background=background,
    )


def replay_ledger(settings: Settings) -> LedgerState:
    """Recompute every asset state from the log alone and compare with the registry's view.

    Only reads: it runs beside a server that holds the log for writing.
    """
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine, [RESOURCES_MIGRATIONS, LEDGER_MIGRATIONS])
        log_key = base64.b64encode(ledger_signer(settings).public_key).decode()
        with Log(engine, settings.ledger_origin, writable=False) as log:
            return check_replay(log, log_key=log_key)
    finally:
        engine.dispose()
