"""Signed statements: JCS known answers, signing, the strict leaf encoding and validation."""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger import NoteSigner
from wenyuan.ledger import _statements as stm
from wenyuan.ledger._statements import (
    KINDS,
    MAX_LEAF_BYTES,
    KindSpec,
    SignedStatement,
    StatementError,
    check_statement,
    decode_leaf,
    encode_leaf,
    encode_public_key,
    format_time,
    make_grant_licence,
    make_log_handover,
    make_register,
    make_revoke,
    make_transfer,
    new_statement,
    parse_time,
    register_kind,
    sign_statement,
    statement_hash,
)

# RFC 8032 §7.1, TEST 1: a published Ed25519 secret key and its public key.
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SECRET))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CONTENT = "ab" * 32
ASSET = "sha256:" + CONTENT


def register(**overrides: Any) -> SignedStatement:
    fields: dict[str, Any] = {
        "content_sha256": CONTENT,
        "media_type": "image/jpeg",
        "title": "清明上河图",
        "creators": ["张择端"],
        "issued_at": WHEN,
        "nonce": bytes(16),
    }
    return make_register(KEY, **(fields | overrides))


def base_statement(**changes: Any) -> dict[str, Any]:
    """A valid register statement dict, with fields replaced (or removed when ``...``)."""
    statement = dict(register().statement)
    for name, value in changes.items():
        if value is ...:
            statement.pop(name, None)
        else:
            statement[name] = value
    return statement


# -- RFC 8785 known answers -----------------------------------------------------------------

# RFC 8785 §3.2.2 (the sample input and its canonical output) and §3.2.3 (property sorting).
JCS_CASES = [
    pytest.param(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}',
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
        id="rfc8785-3.2.2",
    ),
    pytest.param(
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet'
        ' With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080":'
        ' "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
        # Python escapes for the non-ASCII keys, so no editor can normalise them away.
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O'
        ' With Diaeresis","\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":'
        '"Hebrew Letter Dalet With Dagesh"}',
        id="rfc8785-3.2.3",
    ),
]


@pytest.mark.parametrize(("source", "expected"), JCS_CASES)
def test_jcs_matches_rfc8785_examples(source: str, expected: str) -> None:
    """The canonicaliser turns the RFC's sample inputs into the RFC's outputs, byte for byte."""
    assert rfc8785.dumps(json.loads(source)) == expected.encode("utf-8")


# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical number text.
@pytest.mark.parametrize(
    ("bits", "text"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ],
)
def test_jcs_numbers_match_rfc8785_appendix_b(bits: str, text: str) -> None:
    """Numbers serialise as RFC 8785 Appendix B says."""
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert rfc8785.dumps(value) == text.encode("ascii")


# -- the leaf -------------------------------------------------------------------------------

# Built once with the RFC 8032 key above (Ed25519 signatures are deterministic) and pinned:
# if this changes, every published leaf hash would change with it.
GOLDEN_LEAF_HASH = "2b6a38f6ed9abf159f9d80eedd7602ac2b2bd4bf221985ef53fe5a72fcd29f17"


def test_golden_leaf_is_pinned() -> None:
    """A fixed register statement encodes to the documented envelope and a pinned hash."""
    assert encode_public_key(KEY) == base64.b64encode(bytes.fromhex(RFC8032_PUBLIC)).decode()
    leaf = encode_leaf(register())
    text = leaf.decode("utf-8")
    assert text.startswith('{"key":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","sig":"')
    assert '"title":"清明上河图"' in text  # UTF-8, not \\u escapes
    assert statement_hash(leaf) == GOLDEN_LEAF_HASH


def test_signature_is_over_the_canonical_statement() -> None:
    """The ``sig`` of a leaf verifies over ``rfc8785.dumps(statement)`` alone."""
    signed = register()
    envelope = json.loads(encode_leaf(signed))
    signature = base64.b64decode(envelope["sig"])
    KEY.public_key().verify(signature, rfc8785.dumps(envelope["statement"]))
    assert signature == signed.signature


titles = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=500).filter(
    lambda t: t.strip() != ""
)
names = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=200).filter(
    lambda t: t.strip() != ""
)


@given(
    title=titles | st.sampled_from(["中文标题", "《红楼梦》抄本", "敦煌遗书 S.2659"]),
    creators=st.lists(names, max_size=5),
    content=st.binary(min_size=32, max_size=32).map(bytes.hex),
    iscc=st.none() | st.just("ISCC:KACYPXW445FTYNJ3CYSXHAFJMA2HUWULUNRFE3BLHRSCXYH2M5AEGQY"),
)
@settings(max_examples=50)
def test_leaf_round_trips(title: str, creators: list[str], content: str, iscc: str | None) -> None:
    """decode_leaf(encode_leaf(s)) gives back s, and the leaf is canonical."""
    signed = make_register(
        KEY,
        content_sha256=content,
        media_type="text/plain",
        title=title,
        creators=creators,
        iscc=iscc,
    )
    leaf = encode_leaf(signed)
    decoded = decode_leaf(leaf)
    assert decoded == signed
    assert encode_leaf(decoded) == leaf
    assert rfc8785.dumps(json.loads(leaf)) == leaf


@given(data=st.data())
@settings(max_examples=200)
def test_any_altered_byte_fails_to_decode(data: st.DataObject) -> None:
    """Changing any one byte of a leaf makes decode_leaf refuse it."""
    leaf = bytearray(encode_leaf(register(title="中文 title")))
    position = data.draw(st.integers(0, len(leaf) - 1), label="position")
    delta = data.draw(st.integers(1, 255), label="delta")
    leaf[position] = (leaf[position] + delta) % 256
    with pytest.raises(StatementError):
        decode_leaf(bytes(leaf))


def _envelope(**changes: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads(encode_leaf(register()))
    envelope.update(changes)
    return envelope


def _resigned_with_other_key() -> bytes:
    statement = base_statement()
    signature = OTHER.sign(rfc8785.dumps(statement))
    envelope = _envelope(sig=base64.b64encode(signature).decode())
    return rfc8785.dumps(envelope)


@pytest.mark.parametrize(
    ("leaf", "field"),
    [
        pytest.param(json.dumps(_envelope()).encode(), "leaf", id="not-canonical-whitespace"),
        pytest.param(
            json.dumps(
                _envelope(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
            ).encode(),
            "leaf",
            id="ascii-escaped",
        ),
        pytest.param(rfc8785.dumps(_envelope(extra=1)), "leaf", id="extra-envelope-key"),
        pytest.param(
            rfc8785.dumps(_envelope(key=encode_public_key(OTHER))), "key", id="key-not-issuer"
        ),
        pytest.param(_resigned_with_other_key(), "sig", id="signed-by-another-key"),
        pytest.param(b'{"key":1,"key":2}', "leaf", id="duplicate-key"),
        pytest.param(b'{"key":NaN}', "leaf", id="nan"),
        pytest.param(b"\xff\xfe{}", "leaf", id="not-utf8"),
        pytest.param(b"[1,2]", "leaf", id="not-an-object"),
        pytest.param(b'{"key":' + b"9" * 5000 + b"}", "leaf", id="huge-integer"),
        pytest.param(b"[" * 100_000, "leaf", id="deep-nesting"),
        pytest.param(b" " * (MAX_LEAF_BYTES + 1), "leaf", id="too-large"),
        pytest.param(
            rfc8785.dumps(_envelope(sig=base64.b64encode(bytes(63)).decode())),
            "sig",
            id="short-sig",
        ),
    ],
)
def test_decode_leaf_refuses(leaf: bytes, field: str) -> None:
    """decode_leaf refuses anything but the exact canonical, verifying leaf, naming the part."""
    with pytest.raises(StatementError) as caught:
        decode_leaf(leaf)
    assert caught.value.field == field


def test_encode_leaf_refuses_a_statement_changed_after_signing() -> None:
    """A statement edited after it was signed never becomes a leaf."""
    signed = register()
    signed.statement["title"] = "改过的标题"
    with pytest.raises(StatementError, match="signature"):
        encode_leaf(signed)


def test_sign_statement_refuses_a_key_that_is_not_the_issuer() -> None:
    """Only the issuer's own key may sign a statement."""
    with pytest.raises(StatementError) as caught:
        sign_statement(base_statement(), OTHER)
    assert caught.value.field == "issuer"


# -- validation -----------------------------------------------------------------------------

SURROGATE = "\ud800"
WIDE = "\U00020000"  # 𠀀, four bytes in UTF-8


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"v": 2}, "v", id="v-2"),
        pytest.param({"v": True}, "v", id="v-bool"),
        pytest.param({"v": ...}, "v", id="v-missing"),
        pytest.param({"kind": "sell"}, "kind", id="kind-unknown"),
        pytest.param({"colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"title": ...}, "title", id="title-missing"),
        pytest.param({"title": ""}, "title", id="title-empty"),
        pytest.param({"title": "   "}, "title", id="title-blank"),
        pytest.param({"title": "字" * 501}, "title", id="title-501"),
        pytest.param({"title": 5}, "title", id="title-number"),
        pytest.param({"title": SURROGATE}, "title", id="title-lone-surrogate"),
        pytest.param({"creators": "李白"}, "creators", id="creators-string"),
        pytest.param({"creators": ["李白"] * 51}, "creators", id="creators-51"),
        pytest.param({"creators": ["x" * 201]}, "creators[0]", id="creator-201"),
        pytest.param({"creators": ["李白", ""]}, "creators[1]", id="creator-empty"),
        pytest.param({"content_sha256": "AB" * 32}, "content_sha256", id="sha-uppercase"),
        pytest.param({"content_sha256": "ab" * 31}, "content_sha256", id="sha-short"),
        pytest.param({"media_type": "image"}, "media_type", id="media-no-subtype"),
        pytest.param({"media_type": "Image/JPEG"}, "media_type", id="media-uppercase"),
        pytest.param({"media_type": "text/plain; charset=utf-8"}, "media_type", id="media-params"),
        pytest.param({"iscc": "ISCC:kacy"}, "iscc", id="iscc-lowercase"),
        pytest.param({"iscc": "KACYPXW445FTYNJ3"}, "iscc", id="iscc-no-prefix"),
        pytest.param({"description": ""}, "description", id="description-empty"),
        pytest.param({"issuer": "not base64!"}, "issuer", id="issuer-not-base64"),
        pytest.param(
            {"issuer": base64.b64encode(bytes(31)).decode()}, "issuer", id="issuer-31-bytes"
        ),
        pytest.param(
            {"issuer": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp="},
            "issuer",
            id="issuer-non-canonical-base64",
        ),
        pytest.param({"nonce": base64.b64encode(bytes(15)).decode()}, "nonce", id="nonce-15"),
        pytest.param({"issued_at": "2024-05-01T12:00:00+08:00"}, "issued_at", id="time-offset"),
        pytest.param({"issued_at": "2024-05-01 12:00:00Z"}, "issued_at", id="time-space"),
        pytest.param({"issued_at": "2024-02-30T12:00:00Z"}, "issued_at", id="time-feb-30"),
        pytest.param(
            {"issued_at": "٢٠٢٤-05-01T12:00:00Z"}, "issued_at", id="time-non-ascii-digits"
        ),
        pytest.param(
            {"description": WIDE * 10_000, "creators": [WIDE * 200] * 50, "title": WIDE * 500},
            "statement",
            id="leaf-over-64KiB",
        ),
    ],
)
def test_check_statement_refuses(changes: dict[str, Any], field: str) -> None:
    """check_statement raises StatementError (InvalidInput) naming the offending field."""
    with pytest.raises(StatementError) as caught:
        check_statement(base_statement(**changes))
    assert caught.value.field == field
    assert field in caught.value.detail
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.status == 422


def _follow_up(kind: str, **fields: Any) -> dict[str, Any]:
    statement = new_statement(kind, encode_public_key(KEY), issued_at=WHEN, **fields)
    return statement


@pytest.mark.parametrize(
    ("statement", "field"),
    [
        pytest.param(
            _follow_up("transfer", asset=CONTENT, prev=CONTENT, to=encode_public_key(OTHER)),
            "asset",
            id="transfer-asset-without-prefix",
        ),
        pytest.param(
            _follow_up("transfer", asset=ASSET, to=encode_public_key(OTHER)),
            "prev",
            id="transfer-prev-missing",
        ),
        pytest.param(
            _follow_up("grant-licence", asset=ASSET, prev=CONTENT, licensee="x", terms="CC0-1.0"),
            "licensee",
            id="licensee-not-a-key",
        ),
        pytest.param(
            _follow_up(
                "grant-licence",
                asset=ASSET,
                prev=CONTENT,
                licensee=encode_public_key(OTHER),
                terms="x" * 2001,
            ),
            "terms",
            id="terms-2001",
        ),
        pytest.param(
            _follow_up(
                "grant-licence",
                asset=ASSET,
                prev=CONTENT,
                licensee=encode_public_key(OTHER),
                terms="CC-BY-4.0",
                expires="2024-04-01T00:00:00Z",
            ),
            "expires",
            id="expires-before-issue",
        ),
        pytest.param(
            _follow_up("revoke", asset=ASSET, prev=CONTENT, licence="nope"),
            "licence",
            id="revoke-licence-not-a-hash",
        ),
        pytest.param(
            _follow_up("log-handover", new_origin="log.example/b", new_vkey="k", final_size=3),
            "new_vkey",
            id="handover-bad-vkey",
        ),
        pytest.param(
            _follow_up(
                "log-handover",
                new_origin="log.example/b",
                new_vkey=NoteSigner("log.example/b", OTHER).vkey(),
                final_size=-1,
            ),
            "final_size",
            id="handover-negative-size",
        ),
    ],
)
def test_check_statement_refuses_other_kinds(statement: dict[str, Any], field: str) -> None:
    """Each kind's own fields are checked and the failing one named."""
    with pytest.raises(StatementError) as caught:
        check_statement(statement)
    assert caught.value.field == field


def test_every_kind_has_a_helper_that_makes_a_valid_statement() -> None:
    """Each make_* helper fills v, kind, issuer, issued_at and nonce and signs a valid leaf."""
    other = encode_public_key(OTHER)
    made = [
        register(),
        make_transfer(KEY, asset=ASSET, prev=CONTENT, to=OTHER.public_key()),
        make_grant_licence(
            KEY,
            asset=ASSET,
            prev=CONTENT,
            licensee=other,
            terms="CC-BY-4.0",
            expires=datetime.now(UTC) + timedelta(days=30),
        ),
        make_revoke(KEY, asset=ASSET, prev=CONTENT, licence=CONTENT),
        make_log_handover(
            KEY,
            new_origin="ledger.example.org/2",
            new_vkey=NoteSigner("ledger.example.org/2", OTHER).vkey(),
            final_size=10,
        ),
    ]
    assert sorted(s.kind for s in made) == sorted(KINDS)
    for signed in made:
        assert signed.statement["v"] == 1
        assert signed.issuer == encode_public_key(KEY)
        assert decode_leaf(encode_leaf(signed)) == signed


def test_new_statement_draws_a_fresh_nonce_each_time() -> None:
    """Two statements made alike differ in their nonce, so their leaves differ."""
    first = new_statement("transfer", "k", asset=ASSET)
    second = new_statement("transfer", "k", asset=ASSET)
    assert first["nonce"] != second["nonce"]
    assert len(base64.b64decode(first["nonce"])) == 16


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(1000, 1, 1)))
def test_time_round_trips(moment: datetime) -> None:
    """parse_time(format_time(t)) == t for any aware UTC time."""
    assert parse_time(format_time(moment)) == moment


def test_a_new_kind_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind added to the registry validates without changes to the others."""
    monkeypatch.setattr(stm, "KINDS", dict(KINDS))
    register_kind(KindSpec("complaint", required={"asset": stm._asset, "text": stm._text(1, 99)}))
    statement = _follow_up("complaint", asset=ASSET, text="侵权")
    check_statement(statement)
    with pytest.raises(StatementError):
        check_statement(_follow_up("complaint", asset=ASSET, text=""))
    with pytest.raises(ValueError, match="already registered"):
        register_kind(KindSpec("register", required={}))
    with pytest.raises(ValueError, match="redefines"):
        register_kind(KindSpec("ruling", required={"issuer": stm._asset}))


def test_leaf_limit_is_the_logs() -> None:
    """A statement small enough to sign is small enough for the log to store."""
    from wenyuan.ledger import _log as log

    assert MAX_LEAF_BYTES == log.MAX_LEAF_BYTES == 2**16 - 1


def test_leaf_limit_is_exact() -> None:
    """A leaf of exactly MAX_LEAF_BYTES is made; one byte more is refused before signing."""
    creators = [WIDE * 200] * 50
    small = encode_leaf(register(creators=creators, description="x"))
    room = MAX_LEAF_BYTES - len(small)
    description = "x" + WIDE * (room // 4) + "x" * (room % 4)
    leaf = encode_leaf(register(creators=creators, description=description))
    assert len(leaf) == MAX_LEAF_BYTES
    assert decode_leaf(leaf).statement["description"] == description
    with pytest.raises(StatementError, match="65536 bytes"):
        register(creators=creators, description=description + "x")
