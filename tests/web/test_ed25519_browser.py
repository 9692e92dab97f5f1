"""verify.js applies the same Ed25519 policy as Python, vector for vector, in real Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wenyuan.core.keys import GROUP_ORDER, SMALL_ORDER, public_key_problem, verify_signature

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SPECCHECK = Path(__file__).parents[1] / "core" / "data" / "ed25519_speccheck.json"
P = 2**255 - 19


def _vectors() -> list[dict[str, Any]]:
    """Published edge cases, every encoding of a small-order point as key and as R,
    unreduced S, and honest signatures with altered bytes: a verdict for each from Python."""
    cases = [
        (bytes.fromhex(c["public_key"]), bytes.fromhex(c["signature"]), bytes.fromhex(c["message"]))
        for c in json.loads(SPECCHECK.read_text())["cases"]
    ]
    lax = [
        ((1 << 255) | 1).to_bytes(32, "little"),
        ((1 << 255) | (P - 1)).to_bytes(32, "little"),
        P.to_bytes(32, "little"),
        (P + 1).to_bytes(32, "little"),
    ]
    honest = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    public = honest.public_key().public_bytes_raw()
    for point in [*sorted(SMALL_ORDER), *lax]:
        cases.append((point, point + bytes(32), b"forged"))
        cases.append((public, point + honest.sign(b"r")[32:], b"r"))
    for n in range(6):
        key = Ed25519PrivateKey.from_private_bytes(bytes([n + 1]) * 32)
        message = f"登记 {n}".encode()
        signature = key.sign(message)
        raw = key.public_key().public_bytes_raw()
        s = int.from_bytes(signature[32:], "little")
        cases.append((raw, signature, message))
        cases.append((raw, signature[:32] + (s + GROUP_ORDER).to_bytes(32, "little"), message))
        flipped = bytearray(signature)
        flipped[n] ^= 0x40
        cases.append((raw, bytes(flipped), message))
    return [
        {
            "key": k.hex(),
            "sig": sig.hex(),
            "msg": m.hex(),
            "python": verify_signature(k, sig, m),
            "key_ok": public_key_problem(k) is None,
        }
        for k, sig, m in cases
    ]


_RUN = """async (vectors) => {
  const { verifyEd25519, pointProblem } = await import("/static/verify.js");
  const bytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  return vectors.map((v) => ({
    verified: verifyEd25519(bytes(v.sig), bytes(v.msg), bytes(v.key)),
    key_ok: pointProblem(bytes(v.key)) === null,
  }));
}"""


def test_verify_js_gives_pythons_verdict_on_every_vector(page: Page) -> None:
    """For every vector (the paper's twelve, the small-order points in all encodings, S ≥ L,
    honest and altered signatures) the browser's verdict on the signature and on the key is
    the Python policy's."""
    vectors = _vectors()
    assert any(v["python"] for v in vectors)
    assert not all(v["python"] for v in vectors)
    page.goto("/")
    results = page.evaluate(_RUN, vectors)
    mismatches = [
        (i, v["key"][:16], v["python"], r["verified"])
        for i, (v, r) in enumerate(zip(vectors, results, strict=True))
        if (r["verified"], r["key_ok"]) != (v["python"], v["key_ok"])
    ]
    assert mismatches == []
