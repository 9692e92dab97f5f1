"""Offline verification: Merkle proofs (RFC 9162 2.1.3.2 and 2.1.4.2) and receipts. Pure, no I/O.

Everything a client needs to check the log without trusting it lives here and in the pure
modules it imports, so that an auditor can verify offline, with no network and no database.
Proof checks follow the RFC's algorithms step by step; they are tested against the
Certificate Transparency reference vectors and by properties over generated trees.

A receipt bundle (``verify_receipt``) is checked in numbered steps (``STEPS``): the log's
signature on the checkpoint, the witnesses' cosignatures against a quorum, the issuer's
signature on the statement, and the inclusion of the exact leaf bytes in the signed tree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger._note import (
    Checkpoint,
    CosignatureVerifier,
    NoteVerifier,
    cosignature_timestamp,
    open_note,
    witness_verifier,
)
from wenyuan.ledger._statements import decode_leaf
from wenyuan.ledger._values import RECEIPT_FORMAT, Receipt

__all__ = [
    "STEPS",
    "ProofError",
    "VerificationError",
    "VerifiedReceipt",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_handover",
    "verify_inclusion",
    "verify_receipt",
]

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


# -- receipts -------------------------------------------------------------------------------

STEPS = (
    "read the bundle",
    "check the log's signature on the checkpoint",
    "read the checkpoint",
    "count the witness cosignatures",
    "decode the leaf and check the issuer's signature",
    "compare the readable statement with the leaf",
    "check the inclusion proof against the checkpoint",
)
"""The numbered steps of receipt verification; a failure names its step (1-based)."""


class VerificationError(InvalidInput):
    """A receipt does not verify; ``step`` (1-based, see ``STEPS``) says which check failed.

    Do not rely on the statement: either the bundle was altered, or the log or a witness
    misbehaved. Keep the bundle as evidence.
    """

    title = "Receipt does not verify"
    type_slug = "verification-failed"

    def __init__(self, step: int, reason: str) -> None:
        super().__init__(f"step {step} ({STEPS[step - 1]}): {reason}", step=step, reason=reason)
        self.step = step
        self.reason = reason


@dataclass(frozen=True, slots=True)
class VerifiedReceipt:
    """What a receipt proves: this statement is entry ``leaf_index`` of the log ``origin``,
    whose tree of ``tree_size`` entries the log signed and ``witnesses`` cosigned."""

    origin: str
    leaf_index: int
    tree_size: int
    root: bytes
    statement: dict[str, Any]
    issuer: str
    witnesses: tuple[str, ...]
    steps: tuple[str, ...] = STEPS
    cosigned_at: int | None = None
    """The earliest signed time (Unix seconds) among the counted witnesses' cosignatures:
    the log's own time, by which the entry was in the log. ``issued_at`` in the statement
    is only the issuer's claim."""


def verify_receipt(
    bundle: Receipt | Mapping[str, Any] | str | bytes,
    log_key: str,
    *,
    witness_keys: Sequence[str] = (),
    quorum: int = 0,
) -> VerifiedReceipt:
    """Verify a receipt bundle offline, step by step (``STEPS``); raise ``VerificationError``.

    ``bundle`` is its JSON (text or parsed) or a ``Receipt``.

    ``log_key`` is the log's verifier key (C2SP vkey text); ``witness_keys`` the cosignature
    vkeys of the witnesses the caller trusts, of which ``quorum`` must have cosigned.
    """
    data = _read_bundle(bundle)
    try:
        log_verifier = NoteVerifier.from_vkey(log_key)
        witnesses: list[CosignatureVerifier] = []
        for key in witness_keys:
            verifier = witness_verifier(key)
            # One key counts once, whatever names it is given (a cosignature does not
            # commit to the witness's name).
            if all(verifier.public_key != w.public_key for w in witnesses):
                witnesses.append(verifier)
    except InvalidInput as exc:
        raise VerificationError(2, f"a key given to the verifier is malformed: {exc}") from exc
    if quorum > len(witnesses):
        raise VerificationError(4, f"a quorum of {quorum} needs {quorum} witness keys")

    try:
        opened = open_note(data["checkpoint"], [log_verifier, *witnesses])
    except InvalidInput as exc:
        raise VerificationError(2, str(exc)) from exc
    if opened.signed_by(log_verifier) is None:
        raise VerificationError(2, f"the checkpoint is not signed by {log_verifier.name}")

    try:
        checkpoint = Checkpoint.parse(opened.text)
    except InvalidInput as exc:
        raise VerificationError(3, str(exc)) from exc
    if checkpoint.size != data["tree_size"]:
        raise VerificationError(
            3, f"the checkpoint is of size {checkpoint.size}, the bundle says {data['tree_size']}"
        )
    if "origin" in data and data["origin"] != checkpoint.origin:
        raise VerificationError(3, f"the checkpoint's origin is {checkpoint.origin!r}")

    cosigned = tuple(w.name for w in witnesses if opened.signed_by(w) is not None)
    times = []
    for w in witnesses:
        line = opened.signed_by(w)
        if line is not None:
            times.append(cosignature_timestamp(line))
    if len(cosigned) < quorum:
        raise VerificationError(
            4, f"{len(cosigned)} of the trusted witnesses cosigned; the quorum is {quorum}"
        )

    leaf = data["leaf"]
    try:
        signed = decode_leaf(leaf)
    except InvalidInput as exc:
        raise VerificationError(5, str(exc)) from exc

    if "statement" in data and _canonical(data["statement"]) != _canonical(signed.statement):
        raise VerificationError(6, "the readable statement differs from the one in the leaf")
    if "signature" in data and data["signature"] != base64.b64encode(signed.signature).decode():
        raise VerificationError(6, "the readable signature differs from the one in the leaf")
    if "issuer" in data and data["issuer"] != signed.issuer:
        raise VerificationError(6, "the readable issuer differs from the one in the leaf")

    try:
        verify_inclusion(
            hashlib.sha256(b"\x00" + leaf).digest(),
            data["leaf_index"],
            data["tree_size"],
            data["inclusion_proof"],
            checkpoint.root_hash,
        )
    except ProofError as exc:
        raise VerificationError(7, exc.detail) from exc
    return VerifiedReceipt(
        checkpoint.origin,
        data["leaf_index"],
        checkpoint.size,
        checkpoint.root_hash,
        signed.statement,
        signed.issuer,
        cosigned,
        cosigned_at=min(times) if times else None,
    )


def verify_handover(
    bundle: Receipt | Mapping[str, Any] | str | bytes,
    log_key: str,
    *,
    witness_keys: Sequence[str] = (),
    quorum: int = 0,
) -> str:
    """Verify the receipt of a log's hand-over with the OLD log's key; return the new log's
    vkey, which the client may trust from then on.

    Beyond ``verify_receipt``: the statement must be a ``log-handover`` issued by the log's
    own key, and the last entry of the tree it is proven in (step 6). ``final_size`` counts
    the entries of the whole chain of logs so far (positions continue across hand-overs).
    """
    receipt = verify_receipt(bundle, log_key, witness_keys=witness_keys, quorum=quorum)
    statement = receipt.statement
    if statement.get("kind") != "log-handover":
        raise VerificationError(6, f"the statement is a {statement.get('kind')!r}, not a hand-over")
    own = base64.b64encode(NoteVerifier.from_vkey(log_key).public_key).decode()
    if receipt.issuer != own:
        raise VerificationError(6, "the hand-over is not signed by the log's own key")
    if receipt.tree_size != receipt.leaf_index + 1:
        raise VerificationError(6, "the hand-over is not the last entry of the signed tree")
    return str(statement["new_vkey"])


def _read_bundle(bundle: Receipt | Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """Step 1: the bundle as typed values (base64 decoded), or ``VerificationError(1)``."""
    if isinstance(bundle, Receipt):
        bundle = bundle.to_json()  # read as any bundle is: a Receipt may be built by hand
    if isinstance(bundle, str | bytes):
        try:
            bundle = json.loads(bundle)
        except (ValueError, UnicodeDecodeError) as exc:
            raise VerificationError(1, f"the bundle is not JSON: {exc}") from exc
    if not isinstance(bundle, Mapping):
        raise VerificationError(1, "the bundle is not a JSON object")
    if bundle.get("format", RECEIPT_FORMAT) != RECEIPT_FORMAT:
        raise VerificationError(1, f"unknown bundle format {bundle.get('format')!r}")
    out: dict[str, Any] = dict(bundle)
    for name, kind in (("leaf_index", int), ("tree_size", int), ("checkpoint", str)):
        value = bundle.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise VerificationError(1, f"{name!r} is missing or not a {kind.__name__}")
    try:
        out["leaf"] = base64.b64decode(_text(bundle, "leaf"), validate=True)
        proof = bundle.get("inclusion_proof")
        if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
            raise VerificationError(1, "'inclusion_proof' is missing or not a list of strings")
        out["inclusion_proof"] = [base64.b64decode(p, validate=True) for p in proof]
    except (ValueError, binascii.Error) as exc:
        raise VerificationError(1, f"bad base64: {exc}") from exc
    return out


def _canonical(value: Any) -> bytes | None:
    """RFC 8785 bytes of a JSON value (so that ``true`` and ``1`` differ), None if not JSON."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


def _text(bundle: Mapping[str, Any], name: str) -> str:
    value = bundle.get(name)
    if not isinstance(value, str):
        raise VerificationError(1, f"{name!r} is missing or not a string")
    return value
