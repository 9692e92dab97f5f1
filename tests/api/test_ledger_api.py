"""The ledger over HTTP: statements in, receipts out, the C2SP paths, problem+json on refusal."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import Settings, WitnessSetting
from wenyuan.ledger import (
    NoteSigner,
    TileReader,
    encode_leaf,
    make_register,
    make_transfer,
    verify_receipt,
)

JSON = {"content-type": "application/json"}


def _leaf(key: Ed25519PrivateKey, content: bytes) -> bytes:
    return encode_leaf(
        make_register(
            key,
            content_sha256=hashlib.sha256(content).hexdigest(),
            media_type="text/plain",
            title="兰亭集序",
            creators=["王羲之"],
        )
    )


def test_a_statement_gets_a_receipt_that_verifies(ledger_client: TestClient) -> None:
    vkey = ledger_client.get("/api/ledger").json()["vkey"]
    owner = Ed25519PrivateKey.generate()
    response = ledger_client.post(
        "/api/ledger/statements",
        content=_leaf(owner, b"preface"),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    bundle = response.json()
    verified = verify_receipt(bundle, vkey)
    assert verified.statement["title"] == "兰亭集序"
    asset = verified.statement["content_sha256"]

    page = ledger_client.get(f"/api/ledger/assets/sha256:{asset}").json()
    assert page["state"]["title"] == "兰亭集序"
    assert [h["kind"] for h in page["history"]] == ["register"]
    assert ledger_client.get("/api/ledger/entries/0/receipt").json()["leaf"] == bundle["leaf"]

    checkpoint = ledger_client.get("/ledger/checkpoint")
    assert checkpoint.headers["content-type"].startswith("text/plain")
    assert checkpoint.headers["cache-control"] == "no-cache"
    first = ledger_client.get("/ledger/tile/entries/000.p/1")
    again = ledger_client.get(
        "/ledger/tile/entries/000.p/1", headers={"if-none-match": first.headers["etag"]}
    )
    assert (first.status_code, again.status_code) == (200, 304)
    assert checkpoint.text == bundle["checkpoint"]
    reader = TileReader(lambda path: ledger_client.get(f"/ledger/{path}").content, 1)
    assert reader.leaf(0) == base64.b64decode(bundle["leaf"])


def test_refusals_are_problems_and_append_nothing(ledger_client: TestClient) -> None:
    owner, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    leaf = _leaf(owner, b"scroll")
    assert (
        ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON).status_code == 201
    )
    state = ledger_client.get("/api/ledger/assets").json()["items"][0]

    cases = [
        (leaf, 409),  # the same asset again
        (b"{not json", 422),
        (leaf.replace(b"text/plain", b"text/html"), 422),  # the signature no longer holds
        (b"x" * 70_000, 413),
        (
            encode_leaf(
                make_transfer(
                    stranger, asset=state["asset_id"], prev=state["head"], to=owner.public_key()
                )
            ),
            409,
        ),
    ]
    for body, status in cases:
        response = ledger_client.post("/api/ledger/statements", content=body, headers=JSON)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    assert ledger_client.get("/api/ledger").json()["size"] == 1
    missing = ledger_client.get("/api/ledger/entries/5/receipt")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert ledger_client.get("/ledger/tile/0/x001/000").status_code == 404
    assert ledger_client.get("/ledger/tile/0/0001").status_code == 404  # not a canonical tile path


def test_proofs_over_http(ledger_client: TestClient) -> None:
    owner = Ed25519PrivateKey.generate()
    for n in range(6):
        leaf = _leaf(owner, b"%d" % n)
        assert (
            ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON).status_code
            == 201
        )
    inclusion = ledger_client.get(
        "/api/ledger/proofs/inclusion", params={"index": 2, "size": 6}
    ).json()
    assert len(inclusion["proof"]) == 3
    consistency = ledger_client.get(
        "/api/ledger/proofs/consistency", params={"old": 3, "new": 6}
    ).json()
    assert consistency["proof"]


def test_past_the_end_of_the_log_is_404_everywhere(ledger_client: TestClient) -> None:
    """An entry or tree size past the end of the log is a 404 problem on every path that
    takes one, naming the log's size; a request that contradicts itself is a 422."""
    owner = Ed25519PrivateKey.generate()
    for n in range(3):
        leaf = _leaf(owner, b"%d" % n)
        posted = ledger_client.post(
            "/api/ledger/statements", content=leaf, headers={"content-type": "application/json"}
        )
        assert posted.is_success, posted.text
    missing = [
        ("/api/ledger/entries/3", None),
        ("/api/ledger/entries/9007199254740992", None),
        ("/api/ledger/entries/3/receipt", None),
        ("/api/ledger/proofs/inclusion", {"index": 3, "size": 3}),
        ("/api/ledger/proofs/inclusion", {"index": 0, "size": 4}),
        ("/api/ledger/proofs/consistency", {"old": 1, "new": 4}),
        ("/api/ledger/proofs/consistency", {"old": 4, "new": 5}),
    ]
    for path, params in missing:
        response = ledger_client.get(path, params=params)
        assert response.status_code == 404, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "the log has 3 entries" in response.json()["detail"]
    contradictions = [
        ("/api/ledger/proofs/inclusion", {"index": 2, "size": 2}),
        ("/api/ledger/proofs/consistency", {"old": 3, "new": 2}),
    ]
    for path, params in contradictions:
        response = ledger_client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert ledger_client.get("/api/ledger/entries/2").json()["leaf_index"] == 2


@pytest.fixture
def unwitnessed_client(settings: Settings) -> Iterator[TestClient]:
    """A client of the app over a fresh platform whose one witness never answers (port 9
    refuses) while its quorum is one: no checkpoint is ever trusted."""
    witness = NoteSigner.generate("witness.test/unreachable")
    platform = Platform(
        settings.model_copy(
            update={
                "ledger_checkpoint_interval": 0.05,
                "ledger_quorum": 1,
                "ledger_witnesses": [
                    WitnessSetting(
                        url="http://127.0.0.1:9", vkey=witness.cosignature_verifier().vkey()
                    )
                ],
            }
        )
    )
    try:
        with TestClient(create_app(platform.settings, platform=platform)) as client:
            yield client
    finally:
        platform.close()


def test_a_receipt_not_ready_yet_is_202_with_retry_after(unwitnessed_client: TestClient) -> None:
    """Before a trusted checkpoint covers an entry, its receipt is 202 Accepted (not a 404)
    with Retry-After and the same pending body as the statement POST; an entry past the end
    of the log is still a 404."""
    leaf = _leaf(Ed25519PrivateKey.generate(), b"bell")
    posted = unwitnessed_client.post(
        "/api/ledger/statements", params={"wait": 0.2}, content=leaf, headers=JSON
    )
    assert posted.status_code == 202, posted.text
    assert posted.headers["retry-after"] == "1"
    assert posted.json() == {"leaf_index": 0, "receipt": "/api/ledger/entries/0/receipt"}

    pending = unwitnessed_client.get(posted.json()["receipt"])
    assert pending.status_code == 202, pending.text
    assert pending.headers["content-type"] == "application/json"
    assert pending.headers["retry-after"] == "1"
    assert pending.json() == posted.json()

    missing = unwitnessed_client.get("/api/ledger/entries/1/receipt")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "the log has 1 entries" in missing.json()["detail"]
    assert unwitnessed_client.get("/api/ledger/entries/0").json()["leaf_index"] == 0
    assert unwitnessed_client.get("/ledger/checkpoint").status_code == 404  # none trusted
