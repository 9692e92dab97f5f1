"""Hypothesis strategies shared by the tests: validly signed ledger statements.

``asset_histories()`` draws the life of one cultural asset as the leaves a client would send,
in order: its registration, then transfers to new owners, licences granted and revoked, each
signed by the key that owns the asset at that point, with ``prev`` the head the ledger will
hold by then. Keys are real Ed25519 keys from drawn seeds; texts are printable (Chinese
among them), statements are issued now, so every leaf is one the ledger accepts.

Hazard: each drawn asset's content ends with a counter, so no two draws in a process
register the same asset (a second registration would be refused, rightly, with a 409).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from wenyuan.ledger import (
    SignedStatement,
    asset_id_for,
    encode_leaf,
    encode_public_key,
    make_grant_licence,
    make_register,
    make_revoke,
    make_transfer,
    statement_hash,
)

__all__ = ["asset_histories", "printable_texts", "signing_keys"]

_unique = itertools.count()

# Letters, digits, punctuation, symbols and spaces of any script: no control characters,
# no format characters (bidi overrides among them), no line or paragraph separators.
_PRINTABLE = st.characters(categories=("L", "N", "P", "S", "Zs"), codec="utf-8")
_CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)

MEDIA_TYPES = ("image/tiff", "image/jpeg", "text/plain", "application/json", "audio/flac")

signing_keys = st.binary(min_size=32, max_size=32).map(Ed25519PrivateKey.from_private_bytes)
"""Ed25519 private keys from drawn 32-byte seeds (their public keys are never small-order)."""


def printable_texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Text a person would write in a title or licence terms: printable, not blank, often
    Chinese."""
    return st.text(st.one_of(_CHINESE, _PRINTABLE), min_size=min_size, max_size=max_size).filter(
        str.strip
    )


def _other_than(owner: Ed25519PrivateKey, key: Ed25519PrivateKey) -> bool:
    return encode_public_key(key) != encode_public_key(owner)


@st.composite
def asset_histories(draw: st.DrawFn, max_steps: int = 4) -> list[bytes]:
    """The leaves of one asset's life, in the order the ledger must receive them."""
    owner = draw(signing_keys)
    content = draw(st.binary(max_size=64)) + b"#%d" % next(_unique)
    content_sha256 = hashlib.sha256(content).hexdigest()
    register = make_register(
        owner,
        content_sha256=content_sha256,
        media_type=draw(st.sampled_from(MEDIA_TYPES)),
        title=draw(printable_texts(1, 60)),
        creators=draw(st.lists(printable_texts(1, 30), max_size=3)),
        description=draw(st.none() | printable_texts(1, 200)),
    )
    leaves = [encode_leaf(register)]
    asset = asset_id_for(content_sha256)
    licences: list[str] = []  # granted and not yet revoked
    kinds = st.sampled_from(("transfer", "grant-licence", "revoke"))
    for kind in draw(st.lists(kinds, max_size=max_steps)):
        head = statement_hash(leaves[-1])
        signed: SignedStatement
        if kind == "transfer":
            new_owner = draw(signing_keys.filter(functools.partial(_other_than, owner)))
            signed = make_transfer(owner, asset=asset, prev=head, to=new_owner.public_key())
            owner = new_owner
        elif kind == "grant-licence" or not licences:
            licensee = draw(signing_keys)
            lasts = draw(st.none() | st.timedeltas(timedelta(days=1), timedelta(days=3650)))
            signed = make_grant_licence(
                owner,
                asset=asset,
                prev=head,
                licensee=licensee.public_key(),
                terms=draw(printable_texts(1, 120)),
                expires=None if lasts is None else datetime.now(UTC) + lasts,
            )
        else:
            licence = draw(st.sampled_from(licences))
            licences.remove(licence)
            signed = make_revoke(owner, asset=asset, prev=head, licence=licence)
        leaves.append(encode_leaf(signed))
        if signed.kind == "grant-licence":
            licences.append(statement_hash(leaves[-1]))
    return leaves
