"""Verification of Merkle proofs (RFC 9162 sections 2.1.3.2 and 2.1.4.2): pure, no I/O.

Everything a client needs to check the log without trusting it lives here and in the pure
modules it imports, so that an auditor can verify offline, with no network and no database.
Proof checks follow the RFC's algorithms step by step; they are tested against the
Certificate Transparency reference vectors and by properties over generated trees.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

from wenyuan.core.errors import InvalidInput

__all__ = ["ProofError", "root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]

_HASH_SIZE = 32


class ProofError(InvalidInput):
    """A Merkle proof does not verify: the log showed something it cannot prove.

    Keep the evidence (``context`` holds the sizes, hashes and proof) and report it: a proof
    from an honest log never fails.
    """

    title = "Proof does not verify"
    type_slug = "proof-error"


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(name: str, hashes: Sequence[bytes]) -> None:
    for position, value in enumerate(hashes):
        if len(value) != _HASH_SIZE:
            raise ProofError(
                f"{name}[{position}] has {len(value)} bytes, a SHA-256 hash has {_HASH_SIZE}"
            )


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The tree head that ``proof`` leads to from ``leaf_hash`` at ``index`` in ``size``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes("leaf_hash", [leaf_hash])
    _check_hashes("proof", proof)
    fn, sn = index, size - 1
    result = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"the proof has {len(proof)} hashes, more than size {size} needs")
        if fn & 1 or fn == sn:
            result = _node(sibling, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = _node(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof has {len(proof)} hashes, fewer than size {size} needs")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` in the tree with ``root``."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise ProofError(
            f"the inclusion proof of leaf {index} leads to a root other than the tree head of "
            f"size {size}",
            **_evidence(index=index, size=size, proof=proof, root=root, computed=computed),
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree ``root2`` extends ``root1``."""
    _check_hashes("proof", proof)
    if not 0 < size1 <= size2:
        raise ProofError(f"sizes {size1} and {size2} are not 0 < old <= new (RFC 9162 2.1.4)")
    if size1 == size2:
        if proof:
            raise ProofError("a consistency proof between equal sizes is empty")
        if root1 != root2:
            raise ProofError(
                f"two different tree heads for size {size1}: a split view",
                **_evidence(size1=size1, size2=size2, proof=proof, root1=root1, root2=root2),
            )
        return
    _check_hashes("root", [root1, root2])
    if not proof:
        raise ProofError(f"an empty consistency proof cannot link size {size1} to {size2}")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of two: the old head is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old = new = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError(f"the consistency proof has more hashes than {size1}→{size2} needs")
        if fn & 1 or fn == sn:
            old = _node(sibling, old)
            new = _node(sibling, new)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            new = _node(new, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the consistency proof has fewer hashes than {size1}→{size2} needs")
    if old != root1 or new != root2:
        raise ProofError(
            f"the tree head of size {size2} does not extend the tree head of size {size1}",
            **_evidence(size1=size1, size2=size2, proof=proof, root1=root1, root2=root2),
        )


def _evidence(**values: Any) -> dict[str, Any]:
    """Context for an error: hashes as base64, so the evidence can be published as JSON."""

    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if isinstance(value, list | tuple):
            return [encode(item) for item in value]
        return value

    return {key: encode(value) for key, value in values.items()}
