"""The ledger's application service: typed answers, explicit opening, reading beside a writer."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import wenyuan.core.db
from wenyuan.app import AssetPage, LedgerKeys, LedgerService, Platform, Rotation
from wenyuan.core.config import Settings, WitnessSetting
from wenyuan.core.errors import NotFound, StorageError
from wenyuan.ledger import (
    AssetHistory,
    ConsistencyProof,
    Entry,
    InclusionProof,
    LedgerStatus,
    LedgerSummary,
    LogBusy,
    Mirrored,
    NoteSigner,
    PendingReceipt,
    Receipt,
    encode_leaf,
    make_register,
    make_transfer,
    verify_receipt,
)


def _register(owner: Ed25519PrivateKey, content: bytes, title: str = "富春山居图") -> bytes:
    return encode_leaf(
        make_register(
            owner,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="image/tiff",
            title=title,
            creators=["黄公望"],
        )
    )


def _asset_id(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Settings of a fresh data folder whose ledger checkpoints every 50 ms."""
    return settings.model_copy(update={"ledger_checkpoint_interval": 0.05})


@pytest.fixture
def platform(fast_settings: Settings) -> Iterator[Platform]:
    """A fresh platform; its ledger is not opened."""
    platform = Platform(fast_settings)
    yield platform
    platform.close()


@pytest.fixture
def unwitnessed(sqlite_settings: Settings) -> Iterator[Platform]:
    """A platform whose one witness never answers (port 9 refuses) while its quorum is one:
    no checkpoint is ever trusted, so no receipt is ever ready."""
    witness = NoteSigner.generate("witness.test/unreachable")
    settings = sqlite_settings.model_copy(
        update={
            "ledger_checkpoint_interval": 0.05,
            "ledger_quorum": 1,
            "ledger_witnesses": [
                WitnessSetting(url="http://127.0.0.1:9", vkey=witness.cosignature_verifier().vkey())
            ],
        }
    )
    platform = Platform(settings)
    yield platform
    platform.close()


def test_building_the_platform_opens_no_ledger(platform: Platform, fast_settings: Settings) -> None:
    """The service is built on the platform's own engine and takes no lock: another platform
    on the same data opens the ledger for writing while this one reads beside it."""
    assert platform.ledger.engine is platform.engine
    assert not platform.ledger.is_open
    other = Platform(fast_settings)
    try:
        other.ledger.open()  # no LogBusy: the first platform holds nothing
        other.ledger.append(_register(Ed25519PrivateKey.generate(), b"scroll"), wait=5)
        assert platform.ledger.status().size == 1
        assert not platform.ledger.is_open
    finally:
        other.close()


def test_reading_beside_an_open_writer_on_the_same_engine(platform: Platform) -> None:
    """A second service on the platform's engine, never opened, reads what the writer
    appends (status, receipts, entries, proofs, history) and cannot take the log."""
    writer = platform.ledger
    writer.open()
    reader = LedgerService(platform.settings, platform.engine)
    try:
        owner = Ed25519PrivateKey.generate()
        first = writer.append(_register(owner, b"one"), wait=5)
        assert isinstance(first, Receipt)
        assert reader.status().size == 1
        assert reader.receipt(0) == first
        second = writer.append(_register(owner, b"two"), wait=5)
        assert isinstance(second, Receipt)
        status = reader.status()  # brought up to date with the writer's appends
        assert (status.size, status.origin) == (2, first.origin)
        assert status.checkpoint is not None
        assert status.checkpoint.size == second.tree_size
        assert reader.receipt(1) == second
        assert reader.entry(1) == writer.entry(1)
        assert reader.inclusion_proof(0, 2) == writer.inclusion_proof(0, 2)
        assert reader.consistency_proof(1, 2) == writer.consistency_proof(1, 2)
        assert reader.history(_asset_id(b"two")) == writer.history(_asset_id(b"two"))
        assert reader.summary().size == writer.summary().size == 2
        assert reader.checkpoint_note() == writer.checkpoint_note()
        with pytest.raises(LogBusy):
            reader.open()
        assert not reader.is_open
        assert reader.status().size == 2  # still reading, beside the writer
    finally:
        reader.close()


def test_no_engine_is_made_and_nothing_migrated_per_call(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Status, summary, receipts, mirror, replay and the public key run on the platform's
    engine: no call makes an engine or runs the migrations again."""
    platform.ledger.open()
    platform.ledger.append(_register(Ed25519PrivateKey.generate(), b"seal"), wait=5)
    platform.ledger.close()
    made: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: object, **kwargs: object) -> None:
            made.append(name)
            raise AssertionError(f"{name} called")

        return call

    monkeypatch.setattr(sqlalchemy, "create_engine", refuse("sqlalchemy.create_engine"))
    monkeypatch.setattr(wenyuan.core.db, "create_engine", refuse("create_engine"))
    monkeypatch.setattr(wenyuan.core.db, "migrate", refuse("migrate"))
    ledger = platform.ledger

    assert ledger.status().size == 1
    assert ledger.summary().assets == 1
    assert isinstance(ledger.receipt(0), Receipt)
    assert ledger.mirror(tmp_path / "mirror").size == 1
    assert len(ledger.replay()) == 1
    assert ledger.public_key() == ledger.status().vkey
    assert ledger.assets().items[0].asset_id == _asset_id(b"seal")
    assert made == []


def test_every_answer_is_a_frozen_dataclass(platform: Platform, tmp_path: Path) -> None:
    """Each use case answers with a frozen dataclass of its own type, never a dict."""
    ledger = platform.ledger
    ledger.open()
    owner, buyer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    registered = ledger.append(_register(owner, b"ding"), wait=5)
    state = ledger.asset(_asset_id(b"ding"))
    transfer = make_transfer(owner, asset=state.asset_id, prev=state.head, to=buyer.public_key())
    ledger.append(encode_leaf(transfer), wait=5)
    answers: list[tuple[object, type]] = [
        (registered, Receipt),
        (ledger.receipt(1), Receipt),
        (ledger.entry(0), Entry),
        (ledger.inclusion_proof(0, 2), InclusionProof),
        (ledger.consistency_proof(1, 2), ConsistencyProof),
        (ledger.history(state.asset_id), AssetHistory),
        (ledger.assets(limit=1), AssetPage),
        (ledger.summary(), LedgerSummary),
        (ledger.status(), LedgerStatus),
        (ledger.keys(), LedgerKeys),
        (ledger.mirror(tmp_path / "mirror"), Mirrored),
        (ledger.rotate("service.test.wenyuan.example/2"), Rotation),
    ]
    for answer, kind in answers:
        assert type(answer) is kind
        assert dataclasses.is_dataclass(answer)
        field = dataclasses.fields(answer)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(answer, field, None)
    assert ledger.assets(limit=1).next_cursor == state.asset_id
    assert ledger.assets(limit=2).next_cursor is None
    assert [e.kind for e in ledger.history(state.asset_id).entries] == ["register", "transfer"]


def test_writing_needs_the_ledger_opened(platform: Platform) -> None:
    """Appending, rotating or loading the sample before ``open`` is refused, and nothing is
    written; after ``open`` the same statement is appended."""
    ledger = platform.ledger
    leaf = _register(Ed25519PrivateKey.generate(), b"bell")
    for attempt in (
        lambda: ledger.append(leaf),
        lambda: ledger.submit(leaf),
        lambda: ledger.rotate("service.test.wenyuan.example/2"),
    ):
        with pytest.raises(StorageError, match="not open for writing"):
            attempt()
    assert not ledger.is_open
    assert ledger.assets().items == ()
    ledger.open()
    assert isinstance(ledger.append(leaf, wait=5), Receipt)
    ledger.close()
    assert not ledger.is_open
    with pytest.raises(StorageError, match="not open for writing"):
        ledger.append(_register(Ed25519PrivateKey.generate(), b"drum"))


def test_a_service_asked_to_open_takes_the_log_once_it_is_free(
    platform: Platform, fast_settings: Settings
) -> None:
    """Opened while another process writes the log (``LogBusy``), the service reads beside
    it, and takes the log at its first use once the other lets go (a server started while
    a command ran)."""
    holder = Platform(fast_settings)
    try:
        holder.ledger.open()
        holder.ledger.append(_register(Ed25519PrivateKey.generate(), b"first"), wait=5)
        with pytest.raises(LogBusy):
            platform.ledger.open()
        assert platform.ledger.status().size == 1  # read beside the holder
        assert not platform.ledger.is_open
    finally:
        holder.close()
    result = platform.ledger.append(_register(Ed25519PrivateKey.generate(), b"second"), wait=5)
    assert isinstance(result, Receipt)
    assert result.leaf_index == 1
    assert platform.ledger.is_open


def test_a_receipt_no_trusted_checkpoint_covers_is_pending(unwitnessed: Platform) -> None:
    """With the witnesses' quorum out of reach, an appended statement's receipt is pending,
    saying where to ask again; an entry past the end of the log is still not found."""
    ledger = unwitnessed.ledger
    ledger.open()
    pending = ledger.append(_register(Ed25519PrivateKey.generate(), b"gong"), wait=0.2)
    assert pending == PendingReceipt(0, "/api/ledger/entries/0/receipt")
    assert ledger.receipt(0) == pending
    assert ledger.status().checkpoint is None  # published, but never trusted
    assert ledger.summary().latest_checkpoint is not None
    with pytest.raises(NotFound):
        ledger.receipt(1)
    ledger.close()
    assert ledger.receipt(0) == pending  # the same answer read from the database


@pytest.mark.parametrize(
    ("interval", "seconds"),
    [pytest.param(0.05, 1, id="fast"), pytest.param(0.5, 1, id="default"), (2.5, 3)],
)
def test_retry_after_is_the_checkpoint_interval_in_whole_seconds(
    sqlite_settings: Settings, interval: float, seconds: int
) -> None:
    """A pending receipt is worth asking for again after the next checkpoint: the interval,
    rounded up to whole seconds, at least one."""
    settings = sqlite_settings.model_copy(update={"ledger_checkpoint_interval": interval})
    platform = Platform(settings)
    try:
        assert platform.ledger.retry_after == seconds
    finally:
        platform.close()


def test_receipts_from_the_service_verify_with_its_public_key(platform: Platform) -> None:
    """The key ``public_key`` prints is the key receipts verify with, and the keys the
    asset page hands the browser name the open log with it."""
    ledger = platform.ledger
    ledger.open()
    receipt = ledger.append(_register(Ed25519PrivateKey.generate(), b"jade"), wait=5)
    assert isinstance(receipt, Receipt)
    assert verify_receipt(receipt, ledger.public_key()).leaf_index == 0
    keys = ledger.keys()
    assert (keys.origin, keys.vkey) == (receipt.origin, ledger.public_key())
    assert [(link.origin, link.vkey) for link in keys.chain] == [(keys.origin, keys.vkey)]
