"""The ledger's answers as typed values: receipts, entries, proofs, histories, summaries.

Pure, no I/O. Each value is a frozen dataclass holding bytes and numbers as they are (not
base64); ``to_json()`` gives its JSON form, the one the API serves and the CLI prints, with
the keys in a fixed order. A receipt bundle's JSON form is the ``wenyuan-receipt/v1`` format
(docs/ledger.md) and ``Receipt.from_json`` reads it back.

"Not yet" is an answer, not an error: an entry no trusted checkpoint covers yet gets a
``PendingReceipt`` saying where to ask again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger._state import AssetState

__all__ = [
    "RECEIPT_FORMAT",
    "RECEIPT_PATH",
    "AssetHistory",
    "ChainLink",
    "ConsistencyProof",
    "Entry",
    "HistoryEntry",
    "InclusionProof",
    "LedgerStatus",
    "LedgerSummary",
    "Mirrored",
    "PendingReceipt",
    "Receipt",
    "StoredCheckpoint",
    "b64",
    "receipt_path",
]

RECEIPT_FORMAT = "wenyuan-receipt/v1"
"""The ``format`` member of a receipt bundle."""

RECEIPT_PATH = "/api/ledger/entries/{index}/receipt"
"""Where a Wenyuan server serves the receipt of an entry of its open log (the JSON API)."""


def b64(data: bytes) -> str:
    """Standard base64 with padding, as every binary value of the ledger's JSON is written."""
    return base64.b64encode(data).decode()


def receipt_path(index: int, log: str | None = None) -> str:
    """The address of entry ``index``'s receipt on a Wenyuan server; ``log`` names an earlier
    log of the hand-over chain (``?log=``), None the open one."""
    path = RECEIPT_PATH.format(index=index)
    return path if log is None else f"{path}?log={quote(log, safe='')}"


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint the log signed: its tree size and root, the signed note with the witness
    cosignatures gathered for it (``cosignatures`` of them), and when it was signed."""

    size: int
    root: bytes
    note: str
    cosignatures: int
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": b64(self.root),
            "note": self.note,
            "cosignatures": self.cosignatures,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt bundle: entry ``leaf_index`` of the log ``origin`` (its exact ``leaf``
    bytes), its RFC 9162 inclusion proof in the tree of ``tree_size`` entries, and the signed
    ``checkpoint`` note of that tree; ``statement``, ``signature`` and ``issuer`` repeat what
    the leaf holds, for reading. ``verify_receipt`` checks one offline."""

    origin: str
    leaf_index: int
    tree_size: int
    leaf: bytes
    inclusion_proof: tuple[bytes, ...]
    checkpoint: str
    statement: dict[str, Any]
    signature: bytes
    issuer: str

    def to_json(self) -> dict[str, Any]:
        """The ``wenyuan-receipt/v1`` bundle (docs/ledger.md)."""
        return {
            "format": RECEIPT_FORMAT,
            "origin": self.origin,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf": b64(self.leaf),
            "inclusion_proof": [b64(h) for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
            "statement": self.statement,
            "signature": b64(self.signature),
            "issuer": self.issuer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Receipt:
        """Read a bundle back (as a server sent it); ``InvalidInput`` if it is not one.

        Nothing is verified here: that is ``verify_receipt``'s work.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("not a receipt bundle: not a JSON object")
        try:
            if data.get("format") != RECEIPT_FORMAT:
                raise InvalidInput(f"unknown receipt format {data.get('format')!r}")
            statement = data["statement"]
            if not isinstance(statement, dict):
                raise InvalidInput("the receipt's statement is not a JSON object")
            return cls(
                origin=_typed(data, "origin", str),
                leaf_index=_typed(data, "leaf_index", int),
                tree_size=_typed(data, "tree_size", int),
                leaf=base64.b64decode(_typed(data, "leaf", str), validate=True),
                inclusion_proof=tuple(
                    base64.b64decode(_text(h), validate=True) for h in data["inclusion_proof"]
                ),
                checkpoint=_typed(data, "checkpoint", str),
                statement=statement,
                signature=base64.b64decode(_typed(data, "signature", str), validate=True),
                issuer=_typed(data, "issuer", str),
            )
        except (KeyError, TypeError, binascii.Error) as exc:
            raise InvalidInput(f"not a receipt bundle: {exc!r}") from exc


def _typed(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{name!r} is not a {kind.__name__}")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """Entry ``leaf_index`` is in the log, but no checkpoint with the witnesses' quorum covers
    it yet (witnesses slow or unreachable): fetch its receipt at ``receipt`` in a moment."""

    leaf_index: int
    receipt: str

    def to_json(self) -> dict[str, Any]:
        return {"leaf_index": self.leaf_index, "receipt": self.receipt}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingReceipt:
        """Read the pending answer back (as a server sent it); ``InvalidInput`` if not one."""
        if not isinstance(data, Mapping):
            raise InvalidInput("not a pending receipt: not a JSON object")
        try:
            return cls(_typed(data, "leaf_index", int), _typed(data, "receipt", str))
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"not a pending receipt: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry: its exact leaf bytes, their RFC 9162 leaf hash, the statement's id (the
    hex SHA-256 of the leaf) and the signed statement the leaf holds, shown as stored."""

    leaf_index: int
    leaf: bytes
    leaf_hash: bytes
    statement_hash: str
    statement: dict[str, Any]
    signature: bytes
    issuer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "leaf": b64(self.leaf),
            "leaf_hash": b64(self.leaf_hash),
            "statement_hash": self.statement_hash,
            "statement": self.statement,
            "signature": b64(self.signature),
            "issuer": self.issuer,
        }


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """The RFC 9162 inclusion proof of entry ``leaf_index`` in the tree of ``tree_size``."""

    leaf_index: int
    tree_size: int
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "proof": [b64(h) for h in self.proof],
        }


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The RFC 9162 consistency proof between the trees of ``old_size`` and ``new_size``."""

    old_size: int
    new_size: int
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "proof": [b64(h) for h in self.proof],
        }


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One log of a hand-over chain: its origin and the verifier key its checkpoints carry."""

    origin: str
    vkey: str

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "vkey": self.vkey}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One statement about an asset: entry ``index`` of the log ``log`` (an origin of the
    chain, so two entries of different logs may share an index)."""

    log: str
    index: int
    kind: str
    statement: dict[str, Any]
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "index": self.index,
            "kind": self.kind,
            "statement": self.statement,
            "signature": b64(self.signature),
        }


@dataclass(frozen=True, slots=True)
class AssetHistory:
    """What the log says about an asset now, and every statement that made it so, oldest
    first."""

    state: AssetState
    entries: tuple[HistoryEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.to_json(), "history": [e.to_json() for e in self.entries]}


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """The open log (origin, verifier key, size), how many assets are registered, the
    witnesses and quorum, the hand-over ``chain`` (oldest first), the newest trusted and the
    newest checkpoint, and recent checkpoints oldest first (``growth``)."""

    origin: str
    vkey: str
    size: int
    assets: int
    quorum: int
    witnesses: tuple[str, ...]
    chain: tuple[ChainLink, ...]
    checkpoint: StoredCheckpoint | None
    latest_checkpoint: StoredCheckpoint | None
    growth: tuple[StoredCheckpoint, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "vkey": self.vkey,
            "size": self.size,
            "assets": self.assets,
            "quorum": self.quorum,
            "witnesses": list(self.witnesses),
            "chain": [link.to_json() for link in self.chain],
            "checkpoint": None if self.checkpoint is None else self.checkpoint.to_json(),
            "latest_checkpoint": (
                None if self.latest_checkpoint is None else self.latest_checkpoint.to_json()
            ),
            "growth": [{"size": c.size, "at": c.created_at.isoformat()} for c in self.growth],
        }


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    """The open log's origin, verifier key and size, its newest trusted checkpoint, and the
    witnesses and quorum: what an operator checks (``wenyuan ledger status``)."""

    origin: str
    vkey: str
    size: int
    quorum: int
    witnesses: tuple[str, ...]
    checkpoint: StoredCheckpoint | None

    def to_json(self) -> dict[str, Any]:
        checkpoint = self.checkpoint
        return {
            "origin": self.origin,
            "vkey": self.vkey,
            "size": self.size,
            "quorum": self.quorum,
            "witnesses": list(self.witnesses),
            "checkpoint": None
            if checkpoint is None
            else {
                "size": checkpoint.size,
                "cosignatures": checkpoint.cosignatures,
                "created_at": checkpoint.created_at.isoformat(),
            },
        }


@dataclass(frozen=True, slots=True)
class Mirrored:
    """A mirror written: the tree size it publishes and the paths written (full tiles
    already present are not written again)."""

    size: int
    written: tuple[str, ...]
