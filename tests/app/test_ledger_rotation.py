"""Rotating the log key: a signed hand-over ends one log, the next continues the same assets."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wenyuan.app import Platform
from wenyuan.app.ledger import ledger_signer
from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine
from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger import (
    Ledger,
    LogFrozen,
    PendingReceipt,
    Receipt,
    VerificationError,
    encode_leaf,
    make_register,
    make_transfer,
    verify_handover,
    verify_receipt,
)


def _receipt(result: Receipt | PendingReceipt) -> Receipt:
    assert isinstance(result, Receipt), result
    return result


def _register(owner: Ed25519PrivateKey, content: bytes, title: str) -> bytes:
    return encode_leaf(
        make_register(
            owner,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="model/gltf-binary",
            title=title,
        )
    )


def test_rotation_hands_over_to_a_new_key_and_keeps_every_asset(settings: Settings) -> None:
    settings = settings.model_copy(update={"ledger_checkpoint_interval": 0.05})
    owner, buyer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    platform = Platform(settings)
    try:
        ledger = platform.ledger
        ledger.open()
        old_vkey, old_origin = ledger.public_key(), ledger.status().origin
        registered = _receipt(ledger.append(_register(owner, b"bronze ding", "后母戊鼎")))
        state = ledger.asset("sha256:" + hashlib.sha256(b"bronze ding").hexdigest())
        rotation = ledger.rotate("rotated.test.wenyuan.example/ledger/2")
        assert (rotation.origin, rotation.new_origin) == (
            old_origin,
            "rotated.test.wenyuan.example/ledger/2",
        )
        handover = _receipt(rotation.receipt)
        assert handover.leaf_index == registered.leaf_index + 1

        # Whoever trusts the old key learns the new one from the hand-over's receipt.
        new_vkey = verify_handover(handover, old_vkey)
        assert rotation.vkey == new_vkey == ledger.public_key() != old_vkey
        with pytest.raises(VerificationError):
            verify_handover(handover, new_vkey)  # the new key did not sign the old log

        # Statements now go to the new log, and the asset registered in the old log is
        # transferred there.
        transfer = make_transfer(
            owner, asset=state.asset_id, prev=state.head, to=buyer.public_key()
        )
        receipt = _receipt(ledger.append(encode_leaf(transfer), wait=5))
        assert receipt.origin == "rotated.test.wenyuan.example/ledger/2"
        assert ledger.status().origin == receipt.origin
        assert verify_receipt(receipt, new_vkey).statement["kind"] == "transfer"
        with pytest.raises(VerificationError):
            verify_receipt(receipt, old_vkey)
        moved = ledger.asset(state.asset_id)
        assert ledger.replay()[state.asset_id] == moved

        # The registration, made in the first log, still has a receipt: on that log's own
        # checkpoint, signed by the old key. The history says which log each entry is in.
        history = ledger.history(state.asset_id)
        assert [(h.log, h.kind) for h in history.entries] == [
            (old_origin, "register"),
            ("rotated.test.wenyuan.example/ledger/2", "transfer"),
        ]
        earlier = _receipt(ledger.receipt(history.entries[0].index, log=old_origin))
        assert verify_receipt(earlier, old_vkey).statement["title"] == "后母戊鼎"
        assert [c.origin for c in ledger.summary().chain] == [
            old_origin,
            "rotated.test.wenyuan.example/ledger/2",
        ]
        with pytest.raises(NotFound):
            ledger.receipt(0, log="no.such/log")
        with pytest.raises(InvalidInput):
            ledger.rotate(old_origin)  # a name the chain already used
    finally:
        platform.close()

    # The old log is frozen: opened again with its own key, it takes no statement.
    engine = create_engine(settings.resolved_database_url)
    old_log = Ledger(engine, ledger_signer(settings, old_origin), background=False)
    try:
        with pytest.raises(LogFrozen):
            old_log.append(_register(owner, b"late", "late"))
    finally:
        old_log.close()
        engine.dispose()

    # The whole chain replays from the logs alone, with no writer open.
    again = Platform(settings)
    try:
        replayed = again.ledger.replay()
        assert replayed[state.asset_id].owner == moved.owner
        assert [h.new_origin for h in replayed.handovers] == [
            "rotated.test.wenyuan.example/ledger/2"
        ]
        assert not again.ledger.is_open
        # Reopened, the platform goes on with the successor log.
        again.ledger.open()
        assert again.ledger.status().origin == "rotated.test.wenyuan.example/ledger/2"
    finally:
        again.close()


def test_a_handed_over_log_gets_its_final_checkpoint_when_the_next_opens(
    settings: Settings,
) -> None:
    """If the old log's last checkpoint is missing or short of the quorum (witnesses down at
    the hand-over), opening the ledger again publishes it with the old log's key."""
    settings = settings.model_copy(update={"ledger_checkpoint_interval": 0.05})
    owner = Ed25519PrivateKey.generate()
    platform = Platform(settings)
    try:
        ledger = platform.ledger
        ledger.open()
        old_origin, old_vkey = ledger.status().origin, ledger.public_key()
        ledger.append(_register(owner, b"chime", "编钟"))
        final = _receipt(ledger.rotate("rotated.test.wenyuan.example/ledger/3").receipt).tree_size
    finally:
        platform.close()
    engine = sa.create_engine(settings.resolved_database_url)
    with engine.begin() as conn:  # as if the final checkpoint had never been cosigned
        conn.execute(
            sa.text(
                "DELETE FROM ledger_checkpoints WHERE size = :size AND log_id = "
                "(SELECT id FROM ledger_logs WHERE origin = :origin)"
            ),
            {"size": final, "origin": old_origin},
        )
    engine.dispose()

    again = Platform(settings)
    try:
        # Read without the writer, the hand-over's receipt is not ready: nothing covers it.
        pending = again.ledger.receipt(final - 1, log=old_origin)
        assert isinstance(pending, PendingReceipt)
        assert pending.receipt.endswith("?log=" + old_origin.replace("/", "%2F"))
        again.ledger.open()
        receipt = _receipt(again.ledger.receipt(final - 1, log=old_origin))
        assert verify_handover(receipt, old_vkey) == again.ledger.public_key()
    finally:
        again.close()
