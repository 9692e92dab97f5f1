"""Rotating the log key: a signed hand-over ends one log, the next continues the same assets."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wenyuan.app import Platform
from wenyuan.app.ledger import replay_ledger
from wenyuan.core.config import Settings
from wenyuan.core.errors import InvalidInput, NotFound, WenyuanError
from wenyuan.ledger import (
    VerificationError,
    encode_leaf,
    make_register,
    make_transfer,
    verify_receipt,
)
from wenyuan.ledger.verify import verify_handover


def test_rotation_hands_over_to_a_new_key_and_keeps_every_asset(settings: Settings) -> None:
    settings = settings.model_copy(update={"ledger_checkpoint_interval": 0.05})
    owner, buyer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    platform = Platform(settings)
    try:
        first = platform.ledger
        old_vkey, old_origin = first.vkey, first.origin
        _, state = first.append(
            encode_leaf(
                make_register(
                    owner,
                    content_sha256=hashlib.sha256(b"bronze ding").hexdigest(),
                    media_type="model/gltf-binary",
                    title="后母戊鼎",
                )
            )
        )
        handover = platform.rotate_ledger("rotated.test.wenyuan.example/ledger/2")
        late = make_register(
            owner,
            content_sha256=hashlib.sha256(b"late").hexdigest(),
            media_type="text/plain",
            title="late",
        )
        with pytest.raises(WenyuanError):  # the old log is closed and frozen
            first.registry.submit(encode_leaf(late))

        # Whoever trusts the old key learns the new one from the hand-over's receipt.
        new_vkey = verify_handover(handover, old_vkey)
        second = platform.ledger
        assert second.origin == "rotated.test.wenyuan.example/ledger/2"
        assert second.vkey == new_vkey != old_vkey
        with pytest.raises(VerificationError):
            verify_handover(handover, new_vkey)  # the new key did not sign the old log

        # The asset registered in the old log is transferred in the new one.
        index, moved = second.append(
            encode_leaf(
                make_transfer(owner, asset=state.asset_id, prev=state.head, to=buyer.public_key())
            )
        )
        receipt = second.receipt(index, wait=5)
        assert verify_receipt(receipt, new_vkey).statement["kind"] == "transfer"
        with pytest.raises(VerificationError):
            verify_receipt(receipt, old_vkey)
        assert second.registry.check_replay()[state.asset_id] == moved

        # The registration, made in the first log, still has a receipt: on that log's own
        # checkpoint, signed by the old key. The history says which log each entry is in.
        history = second.history(state.asset_id)
        assert [(h["log"], h["kind"]) for h in history] == [
            (old_origin, "register"),
            ("rotated.test.wenyuan.example/ledger/2", "transfer"),
        ]
        earlier = second.receipt(history[0]["index"], log=old_origin)
        assert verify_receipt(earlier, old_vkey).statement["title"] == "后母戊鼎"
        assert [c["origin"] for c in second.summary()["chain"]] == [
            old_origin,
            "rotated.test.wenyuan.example/ledger/2",
        ]
        with pytest.raises(NotFound):
            second.receipt(0, log="no.such/log")
        with pytest.raises(InvalidInput):
            platform.rotate_ledger(old_origin)  # a name the chain already used
    finally:
        platform.close()

    # The whole chain replays from the logs alone, beside nothing else.
    replayed = replay_ledger(settings)
    assert replayed[state.asset_id].owner == moved.owner
    assert [h.new_origin for h in replayed.handovers] == ["rotated.test.wenyuan.example/ledger/2"]

    # Reopened, the platform goes on with the successor log.
    again = Platform(settings)
    try:
        assert again.ledger.origin == "rotated.test.wenyuan.example/ledger/2"
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
        old_origin, old_vkey = platform.ledger.origin, platform.ledger.vkey
        platform.ledger.append(
            encode_leaf(
                make_register(
                    owner,
                    content_sha256=hashlib.sha256(b"chime").hexdigest(),
                    media_type="text/plain",
                    title="编钟",
                )
            )
        )
        handover = platform.rotate_ledger("rotated.test.wenyuan.example/ledger/3")
        final = handover["tree_size"]
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
        receipt = again.ledger.receipt(final - 1, log=old_origin)
        assert verify_handover(receipt, old_vkey) == again.ledger.vkey
    finally:
        again.close()
