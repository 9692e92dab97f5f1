"""The Ed25519 policy: published edge cases, every small-order point, honest signatures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from wenyuan.core.keys import (
    GROUP_ORDER,
    SMALL_ORDER,
    UnsafeKey,
    check_public_key,
    public_key_problem,
    signature_problem,
    verify_signature,
)

SPECCHECK = json.loads((Path(__file__).parent / "data" / "ed25519_speccheck.json").read_text())
P = 2**255 - 19


def _with_y(y: int, sign: int) -> bytes:
    return (y | sign << 255).to_bytes(32, "little")


def _y(encoded: bytes) -> int:
    return int.from_bytes(encoded, "little") & ((1 << 255) - 1)


# Every 32-byte string that decodes to a small-order point under a lax decoder: the eight
# canonical encodings, plus y + p where that still fits in 255 bits (y = 0 and y = 1), plus
# the sign bit set on x = 0 (y = 1 and y = p − 1).
NON_CANONICAL_SMALL_ORDER = [
    _with_y(1, 1),  # identity, "negative zero" x
    _with_y(P - 1, 1),  # order 2, "negative zero" x
    _with_y(P + 0, 0),  # order 4 (y = 0), y written as p
    _with_y(P + 0, 1),
    _with_y(P + 1, 0),  # identity (y = 1), y written as p + 1
    _with_y(P + 1, 1),
]
HONEST = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
HONEST_PUBLIC = HONEST.public_key().public_bytes_raw()


def _case_id(case: dict[str, Any]) -> str:
    return f"case{case['case']}"


@pytest.mark.parametrize("case", SPECCHECK["cases"], ids=_case_id)
def test_published_edge_cases_get_the_policy_verdict(case: dict[str, Any]) -> None:
    """Of the twelve edge-case vectors of "Taming the many EdDSAs", only the one valid under
    every rule (mixed-order A and R, passing the cofactorless equation) verifies."""
    verdict = verify_signature(
        bytes.fromhex(case["public_key"]),
        bytes.fromhex(case["signature"]),
        bytes.fromhex(case["message"]),
    )
    assert verdict is case["accept"], case["about"]


def test_the_eight_small_order_points_are_distinct_and_canonical() -> None:
    """SMALL_ORDER holds eight different canonical encodings, each refused as a key."""
    assert len(SMALL_ORDER) == 8
    for encoded in SMALL_ORDER:
        assert _y(encoded) < P
        assert "small order" in str(public_key_problem(encoded))


@pytest.mark.parametrize(
    "encoded", sorted(SMALL_ORDER) + NON_CANONICAL_SMALL_ORDER, ids=lambda b: b.hex()[:8]
)
def test_small_order_points_are_refused_as_key_and_as_r(encoded: bytes) -> None:
    """Every encoding of a small-order point is refused, as the public key and as R: the
    forgery with R = identity and S = 0 no longer verifies any message."""
    assert public_key_problem(encoded) is not None
    with pytest.raises(UnsafeKey):
        check_public_key(encoded, what="issuer key")
    forged = encoded + bytes(32)
    for message in (b"", b"register", bytes(range(256))):
        assert not verify_signature(encoded, forged, message)
    assert signature_problem(HONEST_PUBLIC, encoded + (1).to_bytes(32, "little")) is not None


def test_the_forgery_of_the_probe_verifies_under_openssl_alone() -> None:
    """The identity key with R = identity and S = 0 passes OpenSSL's check, which is why the
    policy's own checks are needed; the policy refuses it."""
    identity = bytes([1]) + bytes(31)
    signature = identity + bytes(32)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(identity).verify(signature, b"any message at all")
    assert not verify_signature(identity, signature, b"any message at all")


def test_non_canonical_keys_and_points_off_the_curve_are_refused() -> None:
    """y ≥ p, the sign bit on x = 0 and a y with no x on the curve are each refused."""
    honest_y = _y(HONEST_PUBLIC)
    assert public_key_problem(_with_y(2**255 - 1, 0)) is not None  # y ≥ p
    assert public_key_problem(_with_y(2, 0)) is not None  # y = 2 is on no point
    assert public_key_problem(HONEST_PUBLIC) is None
    flipped = _with_y(honest_y, 1 - (HONEST_PUBLIC[31] >> 7))  # −A: a valid other key
    assert public_key_problem(flipped) is None
    assert public_key_problem(HONEST_PUBLIC[:31]) == "is 31 bytes, not 32"


def test_an_unreduced_s_is_refused_even_where_the_equation_holds() -> None:
    """S + L satisfies the same equation as S, and is refused (S ≥ L)."""
    signature = HONEST.sign(b"message")
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + GROUP_ORDER).to_bytes(32, "little")
    assert verify_signature(HONEST_PUBLIC, signature, b"message")
    assert not verify_signature(HONEST_PUBLIC, malleated, b"message")
    assert "S ≥ L" in str(signature_problem(HONEST_PUBLIC, malleated))


def _add_torsion(public: bytes, torsion: bytes) -> bytes:
    """The encoding of A + T, for a small-order point T (affine Edwards addition)."""
    from wenyuan.core.keys import _decode_point

    a = _decode_point(public)
    t = _decode_point(torsion)
    assert a is not None
    assert t is not None
    (x1, y1), (x2, y2) = a, t
    d = (-121665 * pow(121666, P - 2, P)) % P
    k = d * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + k, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - k, P - 2, P) % P
    return _with_y(y3, x3 & 1)


@pytest.mark.parametrize("torsion", sorted(SMALL_ORDER - {bytes([1]) + bytes(31)}))
def test_mixed_order_keys_are_points_the_equation_decides(torsion: bytes) -> None:
    """A key with a torsion component (A + T) is a valid point the policy accepts (the
    equation then decides each signature), while an honest signature made for A never
    verifies under the small-order part T alone."""
    mixed = _add_torsion(HONEST_PUBLIC, torsion)
    assert mixed != HONEST_PUBLIC
    assert public_key_problem(mixed) is None
    signature = HONEST.sign(b"m")
    assert verify_signature(HONEST_PUBLIC, signature, b"m")
    assert not verify_signature(torsion, signature, b"m")


@given(st.binary(min_size=32, max_size=32), st.binary(max_size=64))
def test_honest_signatures_verify_and_altered_ones_fail(seed: bytes, message: bytes) -> None:
    """Any key a real generator makes passes the policy; its signatures verify, and
    flipping any one bit of the signature or the message makes them fail."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    signature = key.sign(message)
    assert public_key_problem(public) is None
    assert verify_signature(public, signature, message)
    for position in (0, 31, 32, 63):
        altered = bytearray(signature)
        altered[position] ^= 1
        assert not verify_signature(public, bytes(altered), message)
    assert not verify_signature(public, signature, message + b"\x00")
