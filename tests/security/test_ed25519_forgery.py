"""Forged statements under small-order keys: refused at the door, caught in the log.

The probe that found the forgery: a ``register`` whose issuer is the Ed25519 identity point,
signed with R = identity and S = 0, verified for any message under OpenSSL and was accepted;
a ``transfer`` then moved the asset, and ``wenyuan verify`` passed its receipt. Each test
here runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from wenyuan.app.ledger import ledger_signer
from wenyuan.core.config import Settings
from wenyuan.core.db import create_engine, migrate
from wenyuan.core.keys import SMALL_ORDER
from wenyuan.ledger import (
    MIGRATIONS,
    Ledger,
    Log,
    NoteSigner,
    Receipt,
    ReplayFlagged,
    VerificationError,
    asset_id_for,
    encode_leaf,
    make_register,
    verify_receipt,
)
from wenyuan.ledger._statements import format_time, new_statement

IDENTITY = bytes([1]) + bytes(31)
P = 2**255 - 19
# The small-order points in the encodings a lax decoder also reads: y + p, and x = 0 with
# the sign bit set.
SMALL_ORDER_ENCODINGS = [
    *sorted(SMALL_ORDER),
    ((1 << 255) | 1).to_bytes(32, "little"),
    ((1 << 255) | (P - 1)).to_bytes(32, "little"),
    P.to_bytes(32, "little"),
    (P + 1).to_bytes(32, "little"),
]
JSON = {"content-type": "application/json"}
WENYUAN = str(Path(sys.executable).with_name("wenyuan"))  # the installed command


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _envelope(statement: dict[str, Any], key: bytes, signature: bytes) -> bytes:
    """A leaf as a ledger_client would send it, built by hand so that no local check stops it."""
    return rfc8785.dumps({"key": _b64(key), "sig": _b64(signature), "statement": statement})


def _forged(kind: str, key: bytes = IDENTITY, **fields: Any) -> bytes:
    """A statement "signed" by a small-order key with R = identity and S = 0."""
    statement = new_statement(kind, _b64(key), **fields)
    return _envelope(statement, key, IDENTITY + bytes(32))


def _signed(key: Ed25519PrivateKey, kind: str, **fields: Any) -> bytes:
    """A statement really signed by ``key``, with whatever fields it is given."""
    public = key.public_key().public_bytes_raw()
    statement = new_statement(kind, _b64(public), **fields)
    return _envelope(statement, public, key.sign(rfc8785.dumps(statement)))


def _register_fields(content: bytes) -> dict[str, Any]:
    return {
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "media_type": "image/tiff",
        "title": "富春山居图",
        "creators": ["黄公望"],
    }


def _size(ledger_client: TestClient) -> int:
    return int(ledger_client.get("/api/ledger").json()["size"])


def test_the_probes_forged_register_is_refused_naming_the_key(ledger_client: TestClient) -> None:
    """The identity-key register of the probe answers 422, names the issuer and its key,
    and appends nothing."""
    response = ledger_client.post(
        "/api/ledger/statements",
        content=_forged("register", **_register_fields(b"x")),
        headers=JSON,
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/ed25519-policy")
    assert problem["field"] == "issuer"
    assert _b64(IDENTITY) in problem["detail"]
    assert "small order" in problem["detail"]
    assert _size(ledger_client) == 0


@pytest.mark.parametrize("key", SMALL_ORDER_ENCODINGS, ids=lambda b: b.hex()[:8] + b.hex()[-2:])
def test_every_small_order_issuer_is_refused(ledger_client: TestClient, key: bytes) -> None:
    """Each of the eight small-order points, in canonical and non-canonical encodings, is
    refused as an issuer."""
    leaf = _forged("register", key, **_register_fields(key))
    response = ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["field"] in {"issuer", "key"}
    assert _size(ledger_client) == 0


@pytest.mark.parametrize(
    ("kind", "field"), [("transfer", "to"), ("grant-licence", "licensee")], ids=["to", "licensee"]
)
def test_an_asset_cannot_be_handed_to_a_small_order_key(
    ledger_client: TestClient, kind: str, field: str
) -> None:
    """A real owner's transfer or licence to a small-order key (which anyone could then
    sign for) is refused naming the field; the asset stays as it was."""
    owner = Ed25519PrivateKey.generate()
    registered = ledger_client.post(
        "/api/ledger/statements",
        content=_signed(owner, "register", **_register_fields(b"scroll")),
        headers=JSON,
    )
    assert registered.status_code == 201, registered.text
    asset = asset_id_for(hashlib.sha256(b"scroll").hexdigest())
    before = ledger_client.get(f"/api/ledger/assets/{asset}").json()["state"]
    extra = {"terms": "展览用"} if kind == "grant-licence" else {}
    leaf = _signed(
        owner, kind, asset=asset, prev=before["head"], **{field: _b64(IDENTITY)}, **extra
    )
    response = ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert ledger_client.get(f"/api/ledger/assets/{asset}").json()["state"] == before
    assert _size(ledger_client) == 1


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("title", "富春山居图\x00", "title"),
        ("title", "tab\tand\nnewline are fine, carriage return\r is not", "title"),
        ("title", "\u202egnp.exe", "title"),
        ("creators", ["黄公望", "\u2066王蒙\u2069"], "creators[1]"),
        ("description", "\x1b[31m red", "description"),
    ],
    ids=["nul", "cr", "rlo", "isolate", "escape"],
)
def test_control_and_bidi_characters_are_not_admitted(
    ledger_client: TestClient, field: str, value: Any, named: str
) -> None:
    """Text with control characters (other than tab and newline) or bidirectional
    overrides is refused with 422, naming the field; nothing is appended."""
    fields = {**_register_fields(str(value).encode()), field: value}
    leaf = encode_leaf(make_register(Ed25519PrivateKey.generate(), **fields))
    response = ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/statement-not-admitted")
    assert response.json()["field"] == named
    assert _size(ledger_client) == 0


def test_issued_at_far_in_the_future_is_not_admitted(ledger_client: TestClient) -> None:
    """A statement dated a day ahead is refused; one a minute ahead (clock skew) is taken."""
    key = Ed25519PrivateKey.generate()
    ahead = datetime.now(UTC) + timedelta(days=1)
    leaf = encode_leaf(make_register(key, issued_at=ahead, **_register_fields(b"later")))
    response = ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "issued_at"
    assert format_time(ahead) in response.json()["detail"]
    assert _size(ledger_client) == 0
    soon = datetime.now(UTC) + timedelta(minutes=1)
    leaf = encode_leaf(make_register(key, issued_at=soon, **_register_fields(b"soon")))
    assert (
        ledger_client.post("/api/ledger/statements", content=leaf, headers=JSON).status_code == 201
    )


# -- entries appended before the policy --------------------------------------------------------


@pytest.fixture
def forged_log(settings: Settings) -> tuple[Settings, NoteSigner]:
    """A data folder whose log holds, as a log run before the Ed25519 policy could: 0 a
    forged register under the identity key, 1 an honest register, 2 a forged transfer of
    the first asset; then a checkpoint over all three."""
    settings = settings.model_copy(update={"ledger_origin": "forged.example/ledger"})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    migrate(engine, [MIGRATIONS])
    signer = ledger_signer(settings, settings.ledger_origin)
    forged = _forged("register", **_register_fields(b"forged"))
    honest = encode_leaf(make_register(Ed25519PrivateKey.generate(), **_register_fields(b"real")))
    stolen = _forged(
        "transfer",
        asset=asset_id_for(hashlib.sha256(b"forged").hexdigest()),
        prev=hashlib.sha256(forged).hexdigest(),
        to=_b64(Ed25519PrivateKey.generate().public_key().public_bytes_raw()),
    )
    raw = Log(engine, signer.name, vkey=signer.vkey())
    raw.append_many([forged, honest, stolen], timeout=30)
    raw.close()
    ledger = Ledger(engine, signer, background=False)
    ledger.checkpointer.publish()
    ledger.close()
    engine.dispose()
    return settings, signer


def test_replay_flags_the_entries_the_policy_refuses(
    forged_log: tuple[Settings, NoteSigner],
) -> None:
    """Replaying a log that holds forged entries names each one (index, hash, reason) and
    replays the honest entry between them."""
    settings, signer = forged_log
    engine = create_engine(settings.resolved_database_url)
    ledger = Ledger(engine, signer, background=False)
    try:
        with pytest.raises(ReplayFlagged) as caught:
            ledger.registry.check_replay()
    finally:
        ledger.close()
        engine.dispose()
    entries = caught.value.entries
    assert [e.index for e in entries] == [0, 2]
    assert "small order" in entries[0].reason
    assert len(caught.value.state) == 1  # the honest register
    assert caught.value.state.size == 3


def test_wenyuan_verify_fails_a_forged_entrys_receipt(
    forged_log: tuple[Settings, NoteSigner], tmp_path: Path
) -> None:
    """The receipt of a forged entry is refused at step 5 (the issuer's signature), by the
    library and by ``wenyuan verify``; the honest entry's receipt passes."""
    settings, signer = forged_log
    engine = create_engine(settings.resolved_database_url)
    ledger = Ledger(engine, signer, background=False)
    try:
        forged, honest = ledger.receipt(2), ledger.receipt(1)
    finally:
        ledger.close()
        engine.dispose()
    assert isinstance(forged, Receipt)
    assert isinstance(honest, Receipt)
    with pytest.raises(VerificationError) as caught:
        verify_receipt(forged, signer.vkey())
    assert caught.value.step == 5
    assert verify_receipt(honest, signer.vkey()).statement["kind"] == "register"
    receipt = tmp_path / "forged.json"
    receipt.write_text(json.dumps(forged.to_json()))
    result = subprocess.run(
        [WENYUAN, "verify", str(receipt), "--log-key", signer.vkey()],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "✗ 5." in result.stdout
    assert "small order" in result.stdout


def test_ledger_replay_command_lists_flagged_entries(
    forged_log: tuple[Settings, NoteSigner],
) -> None:
    """``wenyuan ledger replay`` prints one line per flagged entry and exits 1."""
    settings, _ = forged_log
    env = {
        "WENYUAN_DATA_DIR": str(settings.data_dir),
        "WENYUAN_DATABASE_URL": settings.resolved_database_url,
        "WENYUAN_LEDGER_ORIGIN": settings.ledger_origin,
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [WENYUAN, "ledger", "replay"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "flagged: leaf 0" in result.stderr
    assert "flagged: leaf 2" in result.stderr
    assert "flagged: leaf 1" not in result.stderr
