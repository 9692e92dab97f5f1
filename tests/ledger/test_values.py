"""The ledger's typed answers: their JSON forms, byte for byte, and reading a receipt back."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger import (
    RECEIPT_FORMAT,
    ChainLink,
    LedgerStatus,
    LedgerSummary,
    NoteSigner,
    PendingReceipt,
    Receipt,
    StoredCheckpoint,
    VerificationError,
    receipt_path,
    verify_receipt,
)

RECEIPT = Receipt(
    origin="values.test/ledger",
    leaf_index=3,
    tree_size=5,
    leaf=b'{"key":"k"}',
    inclusion_proof=(bytes(32), bytes([1]) * 32),
    checkpoint="values.test/ledger\n5\nroot\n\n— values.test/ledger sig\n",
    statement={"kind": "register", "title": "千里江山图"},
    signature=b"\x01\x02",
    issuer="aXNzdWVy",
)
CHECKPOINT = StoredCheckpoint(
    size=5,
    root=bytes(32),
    note="note\n",
    cosignatures=1,
    created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
)


def test_a_receipts_json_is_the_documented_bundle() -> None:
    """The bundle has the format's keys in their order, binary values in padded base64."""
    bundle = RECEIPT.to_json()

    assert list(bundle) == [
        "format",
        "origin",
        "leaf_index",
        "tree_size",
        "leaf",
        "inclusion_proof",
        "checkpoint",
        "statement",
        "signature",
        "issuer",
    ]
    assert bundle["format"] == RECEIPT_FORMAT == "wenyuan-receipt/v1"
    assert bundle["leaf"] == base64.b64encode(RECEIPT.leaf).decode()
    assert bundle["inclusion_proof"] == [
        base64.b64encode(h).decode() for h in RECEIPT.inclusion_proof
    ]
    assert bundle["signature"] == "AQI="
    assert Receipt.from_json(json.loads(json.dumps(bundle))) == RECEIPT


def _without(name: str) -> dict[str, Any]:
    return {k: v for k, v in RECEIPT.to_json().items() if k != name}


@pytest.mark.parametrize(
    "bundle",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({**RECEIPT.to_json(), "format": "pending"}, id="other-format"),
        pytest.param(_without("leaf"), id="no-leaf"),
        pytest.param({**RECEIPT.to_json(), "leaf": "not base64!"}, id="bad-base64"),
        pytest.param({**RECEIPT.to_json(), "leaf_index": True}, id="bool-index"),
        pytest.param({**RECEIPT.to_json(), "inclusion_proof": [1]}, id="proof-not-text"),
        pytest.param({**RECEIPT.to_json(), "statement": "register"}, id="statement-text"),
    ],
)
def test_what_is_not_a_receipt_is_refused_when_read_back(bundle: Any) -> None:
    """Reading a bundle back refuses anything but the format, as ``InvalidInput``."""
    with pytest.raises(InvalidInput):
        Receipt.from_json(bundle)


def test_a_receipt_value_is_verified_as_its_json_is() -> None:
    """``verify_receipt`` takes a ``Receipt`` and reads it as it reads any bundle: this one,
    made up, fails at step 2 (its checkpoint is not signed by the key given)."""
    with pytest.raises(VerificationError) as caught:
        verify_receipt(RECEIPT, NoteSigner.generate("values.test/ledger").vkey())
    assert caught.value.step == 2


def test_a_pending_receipt_reads_back_and_refuses_other_shapes() -> None:
    pending = PendingReceipt(7, receipt_path(7))

    assert pending.to_json() == {"leaf_index": 7, "receipt": "/api/ledger/entries/7/receipt"}
    assert PendingReceipt.from_json(pending.to_json()) == pending
    for shape in ([], {"leaf_index": "7", "receipt": "/x"}, {"leaf_index": 7}):
        with pytest.raises(InvalidInput):
            PendingReceipt.from_json(shape)  # type: ignore[arg-type]


@given(index=st.integers(0, 2**53), log=st.none() | st.text(min_size=1, max_size=40))
def test_a_receipt_path_names_the_earlier_log_it_asks_for(index: int, log: str | None) -> None:
    """The receipt address holds the index, and ``log=`` reads back as the origin given,
    whatever characters it holds."""
    url = urlsplit(receipt_path(index, log))

    assert url.path == f"/api/ledger/entries/{index}/receipt"
    assert parse_qs(url.query, keep_blank_values=True) == ({} if log is None else {"log": [log]})


def test_summaries_and_statuses_give_the_apis_and_the_clis_keys() -> None:
    """The summary's JSON is what GET /api/ledger serves, the status's what `wenyuan ledger
    status --json` prints: the same keys as ever, checkpoints in their JSON form."""
    summary = LedgerSummary(
        origin="o",
        vkey="o+1+k",
        size=5,
        assets=2,
        quorum=1,
        witnesses=("w",),
        chain=(ChainLink("o", "o+1+k"),),
        checkpoint=CHECKPOINT,
        latest_checkpoint=None,
        growth=(CHECKPOINT,),
    )
    assert summary.to_json() == {
        "origin": "o",
        "vkey": "o+1+k",
        "size": 5,
        "assets": 2,
        "quorum": 1,
        "witnesses": ["w"],
        "chain": [{"origin": "o", "vkey": "o+1+k"}],
        "checkpoint": {
            "size": 5,
            "root": base64.b64encode(bytes(32)).decode(),
            "note": "note\n",
            "cosignatures": 1,
            "created_at": "2024-05-01T12:00:00+00:00",
        },
        "latest_checkpoint": None,
        "growth": [{"size": 5, "at": "2024-05-01T12:00:00+00:00"}],
    }
    status = LedgerStatus("o", "o+1+k", 5, 1, ("w",), CHECKPOINT)
    assert status.to_json() == {
        "origin": "o",
        "vkey": "o+1+k",
        "size": 5,
        "quorum": 1,
        "witnesses": ["w"],
        "checkpoint": {"size": 5, "cosignatures": 1, "created_at": "2024-05-01T12:00:00+00:00"},
    }
    assert LedgerStatus("o", "o+1+k", 0, 0, (), None).to_json()["checkpoint"] is None
