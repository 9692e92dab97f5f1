"""The trust ledger: a verifiable transparency log and a registry of cultural asset claims.

An append-only Merkle log (RFC 9162) with C2SP checkpoints, tiles and witness cosignatures;
signed statements about cultural assets (register, transfer, grant and revoke licences) checked
against the state the log implies; receipts that verify offline (``wenyuan.ledger.verify``).
It imports nothing of Wenyuan but ``core``.
"""

from __future__ import annotations

from pathlib import Path

from wenyuan.ledger.checkpoints import Checkpointer, StoredCheckpoint, WitnessClient
from wenyuan.ledger.keys import (
    InsecureKeyFile,
    KeyFileExists,
    generate_key,
    load_cosignature_verifier,
    load_signer,
    load_verifier,
)
from wenyuan.ledger.log import MAX_LEAF_BYTES, Log, LogBusy, LogCorrupted, LogKeyMismatch
from wenyuan.ledger.merkle import EMPTY_ROOT, HASH_SIZE, MerkleTree, leaf_hash, node_hash
from wenyuan.ledger.note import (
    Checkpoint,
    CosignatureVerifier,
    NoteError,
    NoteSigner,
    NoteVerifier,
    SignatureError,
    open_note,
    parse_vkey,
    sign_note,
)
from wenyuan.ledger.registry import (
    Accepted,
    LogFrozen,
    Registry,
    ReplayFlagged,
    ReplayMismatch,
)
from wenyuan.ledger.service import Ledger, ReceiptPending
from wenyuan.ledger.state import (
    AssetState,
    FlaggedEntry,
    Handover,
    LedgerState,
    Licence,
    Refused,
    ReplayError,
    UnknownAsset,
)
from wenyuan.ledger.statements import (
    Inadmissible,
    PolicyRefused,
    SignedStatement,
    StatementError,
    asset_id_for,
    check_admission,
    decode_leaf,
    encode_leaf,
    encode_public_key,
    make_grant_licence,
    make_log_handover,
    make_register,
    make_revoke,
    make_transfer,
    read_leaf,
    statement_hash,
)
from wenyuan.ledger.tiles import TileError, TilePathError, TileReader, parse_tile_path
from wenyuan.ledger.verify import (
    RECEIPT_FORMAT,
    STEPS,
    ProofError,
    VerificationError,
    VerifiedReceipt,
    root_from_inclusion_proof,
    verify_consistency,
    verify_handover,
    verify_inclusion,
    verify_receipt,
)
from wenyuan.ledger.witness import (
    TLOG_SIZE_MEDIA_TYPE,
    FileWitnessState,
    InconsistentCheckpoint,
    LocalWitness,
    MemoryWitnessState,
    SizeMismatch,
    UnknownLog,
    Witness,
    load_witness,
    parse_add_checkpoint_request,
)
from wenyuan.ledger.witness_http import (
    HTTPWitness,
    WitnessProtocolError,
    WitnessRefused,
    WitnessUnavailable,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_LEAF_BYTES",
    "MIGRATIONS",
    "RECEIPT_FORMAT",
    "STEPS",
    "TLOG_SIZE_MEDIA_TYPE",
    "Accepted",
    "AssetState",
    "Checkpoint",
    "Checkpointer",
    "CosignatureVerifier",
    "FileWitnessState",
    "FlaggedEntry",
    "HTTPWitness",
    "Handover",
    "Inadmissible",
    "InconsistentCheckpoint",
    "InsecureKeyFile",
    "KeyFileExists",
    "Ledger",
    "LedgerState",
    "Licence",
    "LocalWitness",
    "Log",
    "LogBusy",
    "LogCorrupted",
    "LogFrozen",
    "LogKeyMismatch",
    "MemoryWitnessState",
    "MerkleTree",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "PolicyRefused",
    "ProofError",
    "ReceiptPending",
    "Refused",
    "Registry",
    "ReplayError",
    "ReplayFlagged",
    "ReplayMismatch",
    "SignatureError",
    "SignedStatement",
    "SizeMismatch",
    "StatementError",
    "StoredCheckpoint",
    "TileError",
    "TilePathError",
    "TileReader",
    "UnknownAsset",
    "UnknownLog",
    "VerificationError",
    "VerifiedReceipt",
    "Witness",
    "WitnessClient",
    "WitnessProtocolError",
    "WitnessRefused",
    "WitnessUnavailable",
    "asset_id_for",
    "check_admission",
    "decode_leaf",
    "encode_leaf",
    "encode_public_key",
    "generate_key",
    "leaf_hash",
    "load_cosignature_verifier",
    "load_signer",
    "load_verifier",
    "load_witness",
    "make_grant_licence",
    "make_log_handover",
    "make_register",
    "make_revoke",
    "make_transfer",
    "node_hash",
    "open_note",
    "parse_add_checkpoint_request",
    "parse_tile_path",
    "parse_vkey",
    "read_leaf",
    "root_from_inclusion_proof",
    "sign_note",
    "statement_hash",
    "verify_consistency",
    "verify_handover",
    "verify_inclusion",
    "verify_receipt",
]

MIGRATIONS = Path(__file__).with_name("migrations")
