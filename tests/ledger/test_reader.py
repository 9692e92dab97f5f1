"""Reading the ledger without the writer lock: a reader beside the writer, on one engine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger import (
    ChainLink,
    Ledger,
    LedgerReader,
    LocalWitness,
    MemoryWitnessState,
    NoteSigner,
    PendingReceipt,
    Receipt,
    RegistryView,
    TileReader,
    Witness,
    encode_leaf,
    finish_log,
    make_register,
    make_transfer,
    verify_handover,
    verify_receipt,
)
from wenyuan.ledger._log import entry_count
from wenyuan.ledger._mirror import mirror_fetcher

ORIGIN = "reader.test.wenyuan.example"


def _register(owner: Ed25519PrivateKey, content: bytes) -> bytes:
    return encode_leaf(
        make_register(
            owner,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="text/plain",
            title=content.decode(),
        )
    )


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def writer(engine: Engine, signer: NoteSigner) -> Iterator[Ledger]:
    """The writing process's ledger, publishing no checkpoint unless asked."""
    ledger = Ledger(engine, signer, background=False)
    yield ledger
    ledger.close()


def test_a_reader_beside_the_writer_sees_its_entries_after_refresh(
    engine: Engine, writer: Ledger, signer: NoteSigner, tmp_path: Path
) -> None:
    """A reader opened beside the writer answers from the stored log: pending until a
    trusted checkpoint covers an entry, then the writer's own receipt; new entries after
    ``refresh``."""
    owner = Ed25519PrivateKey.generate()
    writer.append(_register(owner, b"first"))
    reader = LedgerReader.open(engine, ORIGIN, quorum=0, witnesses=["w.example"])
    try:
        assert (reader.origin, reader.vkey, reader.quorum) == (ORIGIN, signer.vkey(), 0)
        assert reader.receipt(0) == PendingReceipt(0, "/api/ledger/entries/0/receipt")
        with pytest.raises(NotFound):
            reader.checkpoint_note()
        with pytest.raises(InvalidInput, match="not published a checkpoint"):
            reader.mirror(tmp_path / "mirror")
        writer.append(_register(owner, b"second"))
        writer.checkpointer.publish()
        with pytest.raises(NotFound):
            reader.receipt(1)  # appended since the reader read the log
        reader.refresh()
        receipt = reader.receipt(1)
        assert isinstance(receipt, Receipt)
        assert receipt == writer.receipt(1)
        assert verify_receipt(receipt, signer.vkey()).tree_size == 2
        assert reader.entry(1) == writer.entry(1)
        assert reader.entry(1).statement["title"] == "second"
        assert reader.inclusion_proof(0, 2) == writer.inclusion_proof(0, 2)
        assert reader.consistency_proof(1, 2) == writer.consistency_proof(1, 2)
        assert reader.checkpoint_note() == writer.checkpoint_note()
        assert reader.tile("tile/entries/000.p/2") == writer.tile("tile/entries/000.p/2")
        status = reader.status()
        assert (status.size, status.witnesses) == (2, ("w.example",))
        assert status.checkpoint is not None
        assert status.checkpoint.size == 2
        summary = reader.summary()
        assert (summary.size, summary.assets, summary.chain) == (
            2,
            2,
            (ChainLink(ORIGIN, signer.vkey()),),
        )
        assert [c.size for c in summary.growth] == [2]
        mirrored = reader.mirror(tmp_path / "mirror")
        assert mirrored.size == 2
        assert "checkpoint" in mirrored.written
        tiles = TileReader(mirror_fetcher(tmp_path / "mirror"), 2)
        assert tiles.leaf(1) == receipt.leaf
    finally:
        reader.close()


def test_a_reader_needs_an_existing_log(engine: Engine) -> None:
    """Reading a log nobody has opened for writing yet is refused, naming the origin."""
    with pytest.raises(InvalidInput, match="no log with origin"):
        LedgerReader.open(engine, "nobody.example/log", quorum=0)


def test_receipts_of_an_earlier_log_after_a_hand_over(engine: Engine, signer: NoteSigner) -> None:
    """After a hand-over, the new log's reader gives the earlier log's receipts on that log's
    own checkpoint, and a pending answer pointing at ``?log=`` while it lacks one."""
    owner = Ed25519PrivateKey.generate()
    first = Ledger(engine, signer, background=False)
    successor = NoteSigner.generate(ORIGIN + "/2")
    try:
        first.append(_register(owner, b"bowl"))
        handover = first.hand_over(successor, wait=1)
        assert isinstance(handover, Receipt)
    finally:
        first.close()
    second = Ledger(engine, successor, background=False)
    second.close()  # the successor log exists from its first opening
    reader = LedgerReader.open(engine, ORIGIN + "/2", quorum=0)
    try:
        assert reader.chain() == (
            ChainLink(ORIGIN, signer.vkey()),
            ChainLink(ORIGIN + "/2", successor.vkey()),
        )
        earlier = reader.receipt(1, log=ORIGIN)
        assert earlier == handover
        assert verify_handover(earlier, signer.vkey()) == successor.vkey()
        with pytest.raises(NotFound):
            reader.receipt(2, log=ORIGIN)
        with pytest.raises(NotFound):
            reader.receipt(0, log="nobody.example/log")
    finally:
        reader.close()
    with engine.begin() as conn:  # as if the final checkpoint had never been cosigned
        conn.execute(sa.text("DELETE FROM ledger_checkpoints WHERE size = 2"))
    reader = LedgerReader.open(engine, ORIGIN + "/2", quorum=0)
    try:
        assert reader.receipt(1, log=ORIGIN) == PendingReceipt(
            1, "/api/ledger/entries/1/receipt?log=reader.test.wenyuan.example"
        )
    finally:
        reader.close()


def test_finish_log_signs_a_missing_final_checkpoint_once(
    engine: Engine, signer: NoteSigner
) -> None:
    """A log handed over whose final checkpoint lacks the quorum gets it signed by its key
    and cosigned; a finished log is answered without making the witness clients."""
    witness_signer = NoteSigner.generate("witness.test.wenyuan.example")
    witness = Witness(witness_signer, MemoryWitnessState(), {ORIGIN: signer.verifier()})
    first = Ledger(engine, signer, background=False)
    try:
        first.append(_register(Ed25519PrivateKey.generate(), b"cup"))
        first.hand_over(NoteSigner.generate(ORIGIN + "/2"), wait=1)
    finally:
        first.close()
    made: list[int] = []

    def witnesses() -> list[LocalWitness]:
        made.append(1)
        return [LocalWitness(witness)]

    finish_log(engine, signer, witnesses=witnesses, quorum=1)  # short of the quorum of one
    assert made == [1]
    reader = LedgerReader.open(engine, ORIGIN, quorum=1)
    try:
        receipt = reader.receipt(1)
        assert isinstance(receipt, Receipt)
        witness_key = witness_signer.cosignature_verifier().vkey()
        assert verify_receipt(receipt, signer.vkey(), witness_keys=[witness_key], quorum=1)
    finally:
        reader.close()
    finish_log(engine, signer, witnesses=witnesses, quorum=1)  # finished: nothing to ask
    assert made == [1]


def test_the_registry_view_reads_states_histories_and_counts(
    engine: Engine, writer: Ledger
) -> None:
    """The stored view answers without the writer: states, histories oldest first, pages in
    id order, the count; an unknown asset is not found."""
    owner, buyer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    _, state = writer.append(_register(owner, b"lamp"))
    writer.append(_register(owner, b"vase"))
    transfer = make_transfer(owner, asset=state.asset_id, prev=state.head, to=buyer.public_key())
    _, moved = writer.append(encode_leaf(transfer))
    view = RegistryView(engine)
    assert view.state(state.asset_id) == moved
    history = view.history(state.asset_id)
    assert history.state == moved
    assert [(e.log, e.index, e.kind) for e in history.entries] == [
        (ORIGIN, 0, "register"),
        (ORIGIN, 2, "transfer"),
    ]
    assert history.entries[1].statement["to"] == moved.owner
    assert view.count() == writer.registry.count() == 2
    ids = sorted(a.asset_id for a in view.assets(limit=10))
    assert [a.asset_id for a in view.assets(limit=1, after=ids[0])] == ids[1:]
    assert view.asset("sha256:" + "0" * 64, missing_ok=True) is None
    with pytest.raises(NotFound):
        view.history("sha256:" + "0" * 64)
    with engine.connect() as conn:
        log_id = conn.execute(sa.text("SELECT id FROM ledger_logs")).scalar_one()
        assert entry_count(conn, log_id) == 3
        assert entry_count(conn, log_id + 1) == 0
