"""The trust ledger: a verifiable transparency log and a registry of cultural asset claims.

An append-only Merkle log (RFC 9162) with C2SP checkpoints, tiles and witness cosignatures;
signed statements about cultural assets (register, transfer, grant and revoke licences) checked
against the state the log implies; receipts that verify offline (``wenyuan.ledger.verify``).
It imports nothing of Wenyuan but ``core``.
"""

from __future__ import annotations

from pathlib import Path

from wenyuan.ledger.log import MAX_LEAF_BYTES, Log, LogBusy, LogCorrupted
from wenyuan.ledger.merkle import EMPTY_ROOT, HASH_SIZE, MerkleTree, leaf_hash, node_hash
from wenyuan.ledger.verify import (
    ProofError,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_LEAF_BYTES",
    "MIGRATIONS",
    "Log",
    "LogBusy",
    "LogCorrupted",
    "MerkleTree",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

MIGRATIONS = Path(__file__).with_name("migrations")
