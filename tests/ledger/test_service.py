"""The ledger as a service: statements checked and appended, receipts that verify offline."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger import (
    Ledger,
    LocalWitness,
    LogCorrupted,
    LogFrozen,
    LogKeyMismatch,
    MemoryWitnessState,
    NoteSigner,
    PendingReceipt,
    Receipt,
    Refused,
    StatementError,
    TileReader,
    VerificationError,
    Witness,
    encode_leaf,
    make_grant_licence,
    make_register,
    make_revoke,
    make_transfer,
    statement_hash,
    verify_receipt,
)

ORIGIN = "ledger.test.wenyuan.example"


@pytest.fixture
def log_signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def witness_signer() -> NoteSigner:
    return NoteSigner.generate("witness.test.wenyuan.example")


@pytest.fixture
def ledger(engine: Engine, log_signer: NoteSigner, witness_signer: NoteSigner) -> Iterator[Ledger]:
    witness = Witness(witness_signer, MemoryWitnessState(), {ORIGIN: log_signer.verifier()})
    ledger = Ledger(engine, log_signer, witnesses=[LocalWitness(witness)], interval=0.05)
    yield ledger
    ledger.close()


def _register(key: Ed25519PrivateKey, content: bytes, title: str = "千里江山图") -> bytes:
    signed = make_register(
        key,
        content_sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/tiff",
        title=title,
        creators=["王希孟"],
    )
    return encode_leaf(signed)


def _receipt(result: Receipt | PendingReceipt) -> Receipt:
    """The receipt a call returned, failing the test if it was pending."""
    assert isinstance(result, Receipt), result
    return result


def _verify(bundle: Any, log_signer: NoteSigner, witness_signer: NoteSigner) -> Any:
    """Verify a receipt as a client would: from its JSON text."""
    if isinstance(bundle, Receipt):
        bundle = bundle.to_json()
    return verify_receipt(
        json.dumps(bundle),
        log_signer.vkey(),
        witness_keys=[witness_signer.cosignature_verifier().vkey()],
        quorum=1,
    )


def test_a_registration_gets_a_receipt_that_verifies_offline(
    ledger: Ledger, log_signer: NoteSigner, witness_signer: NoteSigner
) -> None:
    owner = Ed25519PrivateKey.generate()
    index, state = ledger.append(_register(owner, b"scroll scan"))
    assert index == 0
    assert state.title == "千里江山图"
    receipt = _receipt(ledger.receipt(index, wait=5))
    verified = _verify(receipt, log_signer, witness_signer)
    assert verified.leaf_index == 0
    assert verified.tree_size == receipt.tree_size
    # A Receipt verifies as it is, and its JSON form reads back as the same value.
    assert verify_receipt(receipt, log_signer.vkey()).statement == verified.statement
    assert Receipt.from_json(json.loads(json.dumps(receipt.to_json()))) == receipt
    assert verified.statement["title"] == "千里江山图"
    assert verified.witnesses == (witness_signer.name,)
    assert ledger.asset(state.asset_id).owner == state.owner
    # The log's own time (the witness's signed cosignature time) is reported beside the
    # issuer's claim: both within a minute of now here.
    issued = datetime.fromisoformat(verified.statement["issued_at"]).timestamp()
    assert verified.cosigned_at is not None
    assert abs(verified.cosigned_at - time.time()) < 60
    assert abs(verified.cosigned_at - issued) < 60


def test_every_altered_part_of_a_receipt_fails_at_its_step(
    ledger: Ledger, log_signer: NoteSigner, witness_signer: NoteSigner
) -> None:
    owner = Ed25519PrivateKey.generate()
    for n in range(5):
        ledger.append(_register(owner, b"object %d" % n, title=f"object {n}"))
    bundle = _receipt(ledger.receipt(3, wait=5)).to_json()
    _verify(bundle, log_signer, witness_signer)
    # The checkpoint covering entry 3 may be of size 4 or 5, whichever was published first.
    size_line = f"\n{bundle['tree_size']}\n"
    bigger = f"\n{bundle['tree_size'] + 1}\n"

    def altered(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(bundle)
        change(copied)
        return copied

    def flip_proof(b: dict[str, Any]) -> None:
        raw = bytearray(base64.b64decode(b["inclusion_proof"][0]))
        raw[0] ^= 1
        b["inclusion_proof"][0] = base64.b64encode(raw).decode()

    def other_leaf(b: dict[str, Any]) -> None:
        b["leaf"] = base64.b64encode(ledger.log.leaf(2)).decode()

    cases = [
        (lambda b: b.pop("leaf"), 1),
        (lambda b: b.update(checkpoint=b["checkpoint"].replace(size_line, bigger)), 2),
        (lambda b: b.update(tree_size=b["tree_size"] - 1), 3),
        (lambda b: b.update(statement={**b["statement"], "title": "forged"}), 6),
        (other_leaf, 6),
        (flip_proof, 7),
        (lambda b: b.update(leaf_index=2), 7),
    ]
    for change, step in cases:
        with pytest.raises(VerificationError) as caught:
            _verify(altered(change), log_signer, witness_signer)
        assert caught.value.step == step, caught.value.detail
    # Without the witness's cosignature, a quorum of one is not met.
    without = altered(lambda b: b.update(checkpoint=b["checkpoint"].split("\n— witness")[0] + "\n"))
    with pytest.raises(VerificationError) as caught:
        _verify(without, log_signer, witness_signer)
    assert caught.value.step == 4
    # Another log's key does not verify the checkpoint.
    with pytest.raises(VerificationError) as caught:
        verify_receipt(bundle, NoteSigner.generate(ORIGIN).vkey())
    assert caught.value.step == 2


def test_transfers_licences_and_refusals(ledger: Ledger) -> None:
    owner, buyer, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    assert ledger.registry.count() == 0
    _, state = ledger.append(_register(owner, b"bronze"))
    asset = state.asset_id
    size = ledger.log.size
    assert ledger.registry.count() == 1

    with pytest.raises(Refused, match="already registered"):
        ledger.append(_register(stranger, b"bronze"))
    with pytest.raises(Refused):
        ledger.append(
            encode_leaf(
                make_transfer(stranger, asset=asset, prev=state.head, to=buyer.public_key())
            )
        )
    with pytest.raises(NotFound):
        ledger.append(
            encode_leaf(
                make_transfer(
                    owner, asset="sha256:" + "0" * 64, prev=state.head, to=buyer.public_key()
                )
            )
        )
    assert ledger.log.size == size  # nothing appended for the refusals

    transfer = encode_leaf(
        make_transfer(owner, asset=asset, prev=state.head, to=buyer.public_key())
    )
    _, moved = ledger.append(transfer)
    with pytest.raises(Refused, match="changed since"):
        ledger.append(transfer)  # the same signed statement again: a replay
    grant = encode_leaf(
        make_grant_licence(
            buyer, asset=asset, prev=moved.head, licensee=owner.public_key(), terms="CC-BY-4.0"
        )
    )
    _, licensed = ledger.append(grant)
    licence = statement_hash(grant)
    assert licensed.licences[licence].terms == "CC-BY-4.0"
    _, revoked = ledger.append(
        encode_leaf(make_revoke(buyer, asset=asset, prev=licensed.head, licence=licence))
    )
    assert revoked.licences[licence].revoked_at == revoked.head_index
    assert [e.kind for e in ledger.history(asset).entries] == [
        "register",
        "transfer",
        "grant-licence",
        "revoke",
    ]
    assert ledger.registry.check_replay()[asset] == revoked
    ledger.append(_register(buyer, b"another bronze"))
    assert ledger.registry.count() == 2  # transfers and licences added no asset


def test_two_concurrent_transfers_exactly_one_wins(ledger: Ledger) -> None:
    owner = Ed25519PrivateKey.generate()
    _, state = ledger.append(_register(owner, b"jade"))
    buyers = [Ed25519PrivateKey.generate() for _ in range(8)]
    leaves = [
        encode_leaf(make_transfer(owner, asset=state.asset_id, prev=state.head, to=b.public_key()))
        for b in buyers
    ]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(leaves))

    def send(leaf: bytes) -> None:
        barrier.wait()
        try:
            ledger.append(leaf)
            outcomes.append("accepted")
        except Refused:
            outcomes.append("refused")

    threads = [threading.Thread(target=send, args=(leaf,)) for leaf in leaves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["refused"] * 7
    assert ledger.asset(state.asset_id).owner in {
        base64.b64encode(b.public_key().public_bytes_raw()).decode() for b in buyers
    }
    ledger.registry.check_replay()


def test_bad_input_is_refused_and_nothing_is_appended(ledger: Ledger) -> None:
    owner = Ed25519PrivateKey.generate()
    leaf = _register(owner, b"x")
    bad = [
        b"not json",
        leaf[:-1],
        leaf.replace(b"image/tiff", b"image/png"),  # the signature no longer matches
        b"{" + b" " * 70_000 + b"}",
    ]
    for item in bad:
        with pytest.raises((InvalidInput, StatementError)):
            ledger.append(item)
    assert ledger.log.size == 0
    with pytest.raises(NotFound):
        ledger.receipt(0)
    ledger.checkpointer.stop()  # no background publishing: the entry stays uncovered
    ledger.append(leaf)
    assert ledger.receipt(0) == PendingReceipt(0, "/api/ledger/entries/0/receipt")
    with pytest.raises(NotFound):  # past the end of the log is still not found
        ledger.receipt(1)


def test_state_survives_reopening_and_tiles_rebuild_the_tree(
    engine: Engine, log_signer: NoteSigner
) -> None:
    owner = Ed25519PrivateKey.generate()
    first = Ledger(engine, log_signer, interval=0.05)
    for n in range(300):
        first.submit(_register(owner, b"item %d" % n, title=f"item {n}"))
    index, state = first.append(_register(owner, b"last"))
    assert index == 300
    first.close()

    again = Ledger(engine, log_signer, background=False)
    try:
        assert again.asset(state.asset_id) == state
        assert again.log.size == 301
        assert _receipt(again.receipt(300)).tree_size == 301  # close() signed the last one
        note = again.checkpoint_note()
        reader = TileReader(lambda path: again.tile(path), 301)
        assert reader.root() == again.log.root(301)
        assert reader.leaf(300) == again.log.leaf(300)
        assert "\n301\n" in note
        assert len(again.registry.check_replay()) == 301
    finally:
        again.close()


def test_a_log_refuses_another_key_and_a_forged_checkpoint_row(
    engine: Engine, log_signer: NoteSigner
) -> None:
    owner = Ed25519PrivateKey.generate()
    first = Ledger(engine, log_signer, background=False)
    first.append(_register(owner, b"seal"))
    first.close()  # signs the checkpoint of size 1
    with pytest.raises(LogKeyMismatch, match="restore the log's key file"):
        Ledger(engine, NoteSigner.generate(ORIGIN), background=False)

    # Changing an entry together with the unsigned root column beside the signed note is
    # still caught: the check reads the note, verified with the log's key.
    forged = _register(owner, b"forged seal", title="forged")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_entries SET leaf = :leaf"), {"leaf": forged})
        conn.execute(
            sa.text("UPDATE ledger_checkpoints SET root = :root"),
            {"root": hashlib.sha256(b"\x00" + forged).digest()},
        )
    with pytest.raises(LogCorrupted, match="differs from the signed note"):
        Ledger(engine, log_signer, background=False)


def test_one_witness_key_given_twice_counts_once(
    ledger: Ledger, log_signer: NoteSigner, witness_signer: NoteSigner
) -> None:
    ledger.append(_register(Ed25519PrivateKey.generate(), b"bell"))
    bundle = _receipt(ledger.receipt(0, wait=5))
    key = witness_signer.cosignature_verifier().vkey()
    with pytest.raises(VerificationError) as caught:
        verify_receipt(bundle, log_signer.vkey(), witness_keys=[key, key], quorum=2)
    assert caught.value.step == 4
    # The witness's plain .pub vkey (type 0x01) works as its cosignature key too.
    verified = verify_receipt(
        bundle, log_signer.vkey(), witness_keys=[witness_signer.vkey()], quorum=1
    )
    assert verified.witnesses == (witness_signer.name,)


class _Flaky:
    """A witness that is down until ``up`` is set."""

    def __init__(self, witness: LocalWitness) -> None:
        self.inner = witness
        self.up = False

    @property
    def name(self) -> str:
        return self.inner.name

    def add_checkpoint(self, old_size: int, proof: list[bytes], note: str) -> str:
        if not self.up:
            raise OSError("connection refused")
        return self.inner.add_checkpoint(old_size, proof, note)


def test_a_checkpoint_short_of_the_quorum_is_cosigned_once_the_witness_is_back(
    engine: Engine, log_signer: NoteSigner, witness_signer: NoteSigner
) -> None:
    flaky = _Flaky(
        LocalWitness(Witness(witness_signer, MemoryWitnessState(), {ORIGIN: log_signer.verifier()}))
    )
    ledger = Ledger(engine, log_signer, witnesses=[flaky], background=False)
    try:
        index, _ = ledger.append(_register(Ed25519PrivateKey.generate(), b"drum"))
        pending = ledger.receipt(index, wait=0.3)  # published, but the witness is down
        assert pending == PendingReceipt(index, f"/api/ledger/entries/{index}/receipt")
        assert ledger.latest_checkpoint(trusted=False) is not None
        flaky.up = True  # no new entry: the same checkpoint is asked for again
        bundle = _receipt(ledger.receipt(index, wait=5))
        assert bundle.checkpoint.count("\n— witness.test.wenyuan.example ") == 1
        verify_receipt(
            bundle,
            log_signer.vkey(),
            witness_keys=[witness_signer.cosignature_verifier().vkey()],
            quorum=1,
        )
        assert ledger.checkpointer.complete() is not None  # nothing more to ask
        assert ledger.checkpointer.history(5)[0].cosignatures == 1
    finally:
        ledger.close()


def test_a_handed_over_log_takes_no_more_statements(engine: Engine, log_signer: NoteSigner) -> None:
    ledger = Ledger(engine, log_signer, background=False)
    try:
        owner = Ed25519PrivateKey.generate()
        ledger.append(_register(owner, b"mirror"))
        receipt = _receipt(ledger.hand_over(NoteSigner.generate("ledger.test.wenyuan.example/2")))
        assert receipt.statement["kind"] == "log-handover"
        assert receipt.tree_size == receipt.leaf_index + 1 == 2
        with pytest.raises(LogFrozen, match=r"handed over to 'ledger\.test\.wenyuan\.example/2'"):
            ledger.append(_register(owner, b"late"))
        assert ledger.log.size == 2
    finally:
        ledger.close()
    again = Ledger(engine, log_signer, background=False)
    try:
        late = _register(Ed25519PrivateKey.generate(), b"later")
        with pytest.raises(LogFrozen):  # reopened, the log still knows it was handed over
            again.append(late)
    finally:
        again.close()
