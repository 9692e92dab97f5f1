"""A transparency log witness: c2sp.org/tlog-witness ``add-checkpoint``, over a small state store.

The witness keeps, per log origin, the latest checkpoint it cosigned. It cosigns a new
checkpoint only if the log's key signed it and a consistency proof links it to that record;
it refuses anything else with the error the spec names (404, 403, 400, 409, 422). A refusal
that shows the log misbehaving (a split view, a proof that fails against what was cosigned)
is saved as evidence, for the operator to publish. ``load_witness`` builds the ``Witness`` a
server runs from its key file, its state folder and the vkeys of the logs it follows; the
HTTP app that serves it is ``wenyuan.api.witness``, and the log's side of the exchange (the
client a checkpointer asks) is ``wenyuan.ledger._witness_http``.

Hazards: the check of the old size and the update of the record MUST be atomic, or two
requests can roll the record back (the race the spec describes); the state store's
``compare_and_swap`` is that atomic step, and a lost race is answered with 409. A cosignature
MUST NOT be returned before the new record is durable. ``FileWitnessState`` writes through
temporary files, fsync and rename, and serialises writers with a lock file (POSIX ``flock``).
``load_witness`` reads a private key; nothing here logs, and no error quotes a key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from wenyuan.core.errors import Conflict, InvalidInput, NotFound, StorageError
from wenyuan.core.files import replace_atomically
from wenyuan.ledger._keys import load_signer, load_verifier
from wenyuan.ledger._merkle import EMPTY_ROOT
from wenyuan.ledger._note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    SignatureError,
    Verifier,
    cosign,
    open_note,
    split_note,
)
from wenyuan.ledger._verify import ProofError, verify_consistency

__all__ = [
    "MAX_PROOF_LINES",
    "TLOG_SIZE_MEDIA_TYPE",
    "BadSignature",
    "Evidence",
    "FileWitnessState",
    "InconsistentCheckpoint",
    "LocalWitness",
    "MalformedRequest",
    "MemoryWitnessState",
    "SizeMismatch",
    "StaleState",
    "UnknownLog",
    "Witness",
    "WitnessState",
    "format_add_checkpoint_request",
    "load_witness",
    "load_witnessed_logs",
    "parse_add_checkpoint_request",
]

MAX_PROOF_LINES = 63
"""Most consistency proof lines an add-checkpoint request may carry."""
TLOG_SIZE_MEDIA_TYPE = "text/x.tlog.size"
"""Content type of a 409 response body: the witness's tree size and a newline."""

_HASH_SIZE = 32
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)", re.ASCII)


# -- errors ---------------------------------------------------------------------------------


class UnknownLog(NotFound):
    """The witness does not follow a log with this origin: check the origin line (404)."""

    title = "Unknown log"
    type_slug = "unknown-log"


class BadSignature(InvalidInput):
    """No trusted key of the log signed the checkpoint, or its signature fails (403).

    Do not retry with the same note; check that the log signs with the key the witness trusts.
    """

    title = "Checkpoint signature not trusted"
    status = 403
    type_slug = "bad-checkpoint-signature"


class MalformedRequest(InvalidInput):
    """The add-checkpoint body breaks the wire format, or old size > checkpoint size (400)."""

    title = "Malformed add-checkpoint request"
    status = 400
    type_slug = "malformed-witness-request"


class SizeMismatch(Conflict):
    """The old size is not the size the witness last cosigned (409).

    ``size`` is the witness's size: answer with it as ``text/x.tlog.size``; the client should
    retry with a proof from that size.
    """

    title = "Old size does not match the witness"
    type_slug = "witness-size-mismatch"

    def __init__(self, detail: str, *, size: int, origin: str) -> None:
        super().__init__(detail, size=size, origin=origin)
        self.size = size
        self.origin = origin


class InconsistentCheckpoint(InvalidInput):
    """The checkpoint does not follow from what the witness cosigned (422); nothing was signed.

    ``evidence`` holds the last cosigned note, the submitted note and the proof; the witness
    has saved it. If it shows a split view or a failing proof from the log itself, publish it.
    """

    title = "Checkpoint inconsistent with the witness's record"
    type_slug = "inconsistent-checkpoint"

    def __init__(self, detail: str, *, evidence: Evidence) -> None:
        super().__init__(detail, origin=evidence.origin, kind=evidence.kind)
        self.evidence = evidence


class StaleState(Conflict):
    """The stored checkpoint changed since it was read (a concurrent request won): re-read."""

    title = "Witness state changed"
    type_slug = "witness-state-changed"


# -- evidence and state ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a refused checkpoint shows: enough for anyone to check the claim offline.

    ``kind`` is ``"split-view"`` (same size, different root), ``"inconsistent-proof"`` (the
    proof fails against the cosigned checkpoint) or ``"bad-empty-root"`` (size 0 with a root
    other than SHA-256 of nothing). ``cosigned_note`` is None when the witness had cosigned
    nothing for the log.
    """

    kind: str
    origin: str
    cosigned_note: str | None
    submitted_note: str
    old_size: int
    proof: tuple[bytes, ...]
    observed_at: int
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        """The evidence as JSON-ready values (hashes in base64)."""
        return {
            "kind": self.kind,
            "origin": self.origin,
            "cosigned_note": self.cosigned_note,
            "submitted_note": self.submitted_note,
            "old_size": self.old_size,
            "proof": [base64.b64encode(item).decode("ascii") for item in self.proof],
            "observed_at": self.observed_at,
            "reason": self.reason,
        }

    def digest(self) -> str:
        """A hex SHA-256 of the claim, the same for the same claim.

        The claim is the pair of log-signed notes: a proof is not signed by anyone, so
        anybody holding one published checkpoint could send endless different bad proofs.
        Keying on the notes alone keeps one file per pair of checkpoints the log itself
        signed (the first proof seen is kept in it).
        """
        unsigned = {"observed_at", "proof", "reason"}
        content = {k: v for k, v in self.as_json().items() if k not in unsigned}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class WitnessState(Protocol):
    """Where a witness keeps its latest cosigned checkpoint per origin, and its evidence."""

    def latest(self, origin: str) -> str | None:
        """The latest cosigned checkpoint note for ``origin``, or None if none."""
        ...

    def compare_and_swap(self, origin: str, expected: str | None, new: str) -> None:
        """Atomically replace the note for ``origin`` if it is still ``expected``.

        MUST raise ``StaleState`` if it changed; MUST be durable before returning.
        """
        ...

    def save_evidence(self, evidence: Evidence) -> str:
        """Keep ``evidence`` durably; return where (an identifier). Idempotent per claim."""
        ...


@dataclass
class MemoryWitnessState:
    """A ``WitnessState`` in memory, for tests and throwaway witnesses: nothing survives."""

    notes: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def latest(self, origin: str) -> str | None:
        return self.notes.get(origin)

    def compare_and_swap(self, origin: str, expected: str | None, new: str) -> None:
        with self._lock:
            if self.notes.get(origin) != expected:
                raise StaleState(f"the checkpoint of {origin} changed", origin=origin)
            self.notes[origin] = new

    def save_evidence(self, evidence: Evidence) -> str:
        key = evidence.digest()
        self.evidence.setdefault(key, evidence)
        return key


class FileWitnessState:
    """A ``WitnessState`` in a directory, safe across restarts and between processes.

    ``DIR/checkpoints/<sha256(origin)>`` holds the latest cosigned note of each log (the
    monitoring view: body, the log's signatures, the witness's cosignature);
    ``DIR/evidence/<time>-<digest>.json`` one file per distinct piece of evidence.
    Each write goes to a temporary file, is fsync-ed, renamed into place, and the directory
    fsync-ed; writers hold ``DIR/.lock``.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._checkpoints = directory / "checkpoints"
        self._evidence = directory / "evidence"
        self._thread_lock = threading.Lock()
        try:
            self._checkpoints.mkdir(parents=True, exist_ok=True)
            self._evidence.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create witness state in {directory}: {exc.strerror}",
                path=str(directory),
            ) from exc

    def _path(self, origin: str) -> Path:
        return self._checkpoints / hashlib.sha256(origin.encode()).hexdigest()

    def latest(self, origin: str) -> str | None:
        path = self._path(origin)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read {path}: {exc}", path=str(path)) from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    def compare_and_swap(self, origin: str, expected: str | None, new: str) -> None:
        path = self._path(origin)
        try:
            with self._locked():
                if self.latest(origin) != expected:
                    raise StaleState(f"the checkpoint of {origin} changed", origin=origin)
                replace_atomically(path, new.encode())
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}", path=str(path)) from exc

    def save_evidence(self, evidence: Evidence) -> str:
        digest = evidence.digest()
        for existing in self._evidence.glob(f"*-{digest}.json"):
            return str(existing)
        path = self._evidence / f"{evidence.observed_at}-{digest}.json"
        data = json.dumps(evidence.as_json(), indent=2, ensure_ascii=False).encode() + b"\n"
        try:
            with self._locked():
                replace_atomically(path, data)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}", path=str(path)) from exc
        return str(path)


# -- wire format ----------------------------------------------------------------------------


def parse_add_checkpoint_request(body: bytes) -> tuple[int, list[bytes], str]:
    """Split an add-checkpoint body into (old size, consistency proof, checkpoint note).

    Strict: ``old N`` (decimal, no leading zeroes), at most 63 base64 hash lines, an empty
    line, then the note; every line ends in a newline. Raise ``MalformedRequest`` naming the
    line. The note is returned unchecked (``Witness.add_checkpoint`` checks it).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(f"the body is not UTF-8 at byte {exc.start}") from exc
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise MalformedRequest("no empty line separates the proof from the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise MalformedRequest("line 1: expected 'old <size>' with no leading zeroes")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise MalformedRequest(
            f"{len(proof_lines)} consistency proof lines; at most {MAX_PROOF_LINES} are allowed"
        )
    proof = []
    for number, line in enumerate(proof_lines, start=2):
        try:
            raw = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise MalformedRequest(f"line {number}: a proof line is one base64 hash") from exc
        if len(raw) != _HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
            raise MalformedRequest(f"line {number}: a proof line is one 32-byte hash in base64")
        proof.append(raw)
    if not note:
        raise MalformedRequest("the checkpoint is missing after the empty line")
    return int(match.group(1)), proof, note


def format_add_checkpoint_request(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint body for ``old_size``, ``proof`` and the signed checkpoint ``note``."""
    if isinstance(old_size, bool) or not 0 <= old_size < 2**64:
        raise MalformedRequest(f"the old size {old_size!r} is not a uint64")
    if len(proof) > MAX_PROOF_LINES:
        raise MalformedRequest(f"{len(proof)} proof hashes; at most {MAX_PROOF_LINES}")
    if any(len(item) != _HASH_SIZE for item in proof):
        raise MalformedRequest("every proof hash is 32 bytes")
    if not note.endswith("\n"):
        raise MalformedRequest("the checkpoint note must end in a newline")
    lines = [f"old {old_size}", *(base64.b64encode(item).decode("ascii") for item in proof)]
    return ("".join(line + "\n" for line in lines) + "\n" + note).encode()


# -- the witness ----------------------------------------------------------------------------


def _posix_seconds(now: datetime) -> int:
    if now.tzinfo is None:
        raise InvalidInput("the witness clock must be timezone-aware (use datetime.now(UTC))")
    seconds = int(now.timestamp())
    if seconds <= 0:
        raise InvalidInput(f"the time {now.isoformat()} is not after the POSIX epoch")
    return seconds


class Witness:
    """Cosigns checkpoints of the logs it follows, one consistent history per log.

    ``signer`` is the witness key (its cosignature vkey: ``signer.cosignature_verifier()``),
    ``state`` the store of cosigned checkpoints, ``logs`` the trusted key of each origin.
    """

    def __init__(
        self, signer: NoteSigner, state: WitnessState, logs: Mapping[str, Verifier]
    ) -> None:
        self.signer = signer
        self.state = state
        self.logs = dict(logs)

    def __repr__(self) -> str:
        return f"Witness(signer={self.signer!r}, logs={sorted(self.logs)!r})"

    def latest_checkpoint(self, origin: str) -> str:
        """The latest cosigned checkpoint of ``origin`` (with the log's signatures and ours).

        Raise ``UnknownLog`` if the log is not followed or nothing was cosigned for it.
        """
        if origin not in self.logs:
            raise UnknownLog(f"this witness does not follow the log {origin!r}", origin=origin)
        note = self.state.latest(origin)
        if note is None:
            raise UnknownLog(f"no checkpoint of {origin!r} was cosigned yet", origin=origin)
        return note

    def add_checkpoint(
        self, old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: str, now: datetime
    ) -> str:
        """Check a checkpoint against the record and cosign it; return the cosignature line.

        Raises, in the spec's order: ``MalformedRequest`` (a checkpoint that does not parse,
        old size > size), ``UnknownLog`` (404), ``BadSignature`` (403), ``SizeMismatch``
        (409, ``.size`` is the witness's), ``InconsistentCheckpoint`` (422, evidence saved).
        On success the new record is durable before the line is returned.
        """
        timestamp = _posix_seconds(now)
        proof = tuple(consistency_proof)
        try:
            text, _ = split_note(checkpoint_note)
            checkpoint = Checkpoint.parse(text)
        except NoteError as exc:
            raise MalformedRequest(f"the checkpoint is malformed: {exc.detail}") from exc
        origin = checkpoint.origin
        verifier = self.logs.get(origin)
        if verifier is None:
            raise UnknownLog(f"this witness does not follow the log {origin!r}", origin=origin)
        try:
            opened = open_note(checkpoint_note, [verifier])
        except SignatureError as exc:
            raise BadSignature(f"checkpoint of {origin!r}: {exc.detail}", origin=origin) from exc
        except NoteError as exc:  # pragma: no cover - split_note accepted the same note
            raise MalformedRequest(f"the checkpoint is malformed: {exc.detail}") from exc
        if old_size > checkpoint.size:
            raise MalformedRequest(
                f"old size {old_size} exceeds the checkpoint size {checkpoint.size}"
            )
        stored_note = self.state.latest(origin)
        stored = self._stored_checkpoint(stored_note)
        stored_size = stored.size if stored is not None else 0
        if old_size != stored_size:
            raise SizeMismatch(
                f"old size {old_size} is not {stored_size}, the size last cosigned for {origin!r}",
                size=stored_size,
                origin=origin,
            )

        def refuse(kind: str, reason: str) -> InconsistentCheckpoint:
            evidence = Evidence(
                kind, origin, stored_note, checkpoint_note, old_size, proof, timestamp, reason
            )
            self.state.save_evidence(evidence)
            return InconsistentCheckpoint(f"checkpoint of {origin!r}: {reason}", evidence=evidence)

        if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            raise refuse("bad-empty-root", "a tree of size 0 has the root SHA-256('')")
        if (
            stored is not None
            and stored.size == checkpoint.size
            and stored.root_hash != checkpoint.root_hash
        ):
            raise refuse("split-view", f"two different root hashes for size {checkpoint.size}")
        if old_size == 0:
            if proof:
                raise refuse("inconsistent-proof", "the proof from size 0 must be empty")
        else:
            assert stored is not None  # old_size == stored_size > 0
            try:
                verify_consistency(
                    old_size, checkpoint.size, proof, stored.root_hash, checkpoint.root_hash
                )
            except ProofError as exc:
                raise refuse("inconsistent-proof", exc.detail) from exc

        line = cosign(text, self.signer, timestamp)
        record = text + "\n" + "".join(sig.line() for sig in opened.signatures) + line
        try:
            self.state.compare_and_swap(origin, stored_note, record)
        except StaleState as exc:
            current = self._stored_checkpoint(self.state.latest(origin))
            size = current.size if current is not None else 0
            raise SizeMismatch(
                f"another request moved {origin!r} to size {size} meanwhile",
                size=size,
                origin=origin,
            ) from exc
        return line

    @staticmethod
    def _stored_checkpoint(note: str | None) -> Checkpoint | None:
        if note is None:
            return None
        try:
            text, _ = split_note(note)
            return Checkpoint.parse(text)
        except NoteError as exc:
            raise StorageError(f"the stored checkpoint is corrupt: {exc.detail}") from exc


class LocalWitness:
    """A ``Witness`` in this process, as the log's checkpointer calls witnesses (tests, and
    an operator who runs a witness beside the log for a quorum of one)."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness

    @property
    def name(self) -> str:
        return self.witness.signer.name

    def add_checkpoint(
        self, old_size: int, consistency_proof: list[bytes], checkpoint_note: str
    ) -> str:
        return self.witness.add_checkpoint(
            old_size, consistency_proof, checkpoint_note, datetime.now(UTC)
        )


# -- a served witness from its files --------------------------------------------------------


def _is_key_file(entry: str) -> bool:
    return entry.endswith(".pub") or os.path.isfile(entry)


def load_witnessed_logs(entries: Iterable[str]) -> dict[str, NoteVerifier]:
    """The logs a witness follows: origin → the log's key, from vkeys or ``.pub`` key files.

    Each entry is a log's vkey (``name+hexid+base64``) or the path of a file holding one (a
    path ending in ``.pub`` or an existing file); blank entries and ``#`` comments are
    skipped. The key name is the log's origin, as c2sp.org/tlog-checkpoint recommends and
    ``Log`` does. Raise ``KeyFormatError`` for a bad vkey, ``NotFound`` for a missing file,
    ``InvalidInput`` for two keys of one origin or no log at all.
    """
    logs: dict[str, NoteVerifier] = {}
    for raw in entries:
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        verifier = load_verifier(Path(entry) if _is_key_file(entry) else entry)
        if verifier.name in logs:
            raise InvalidInput(
                f"two keys for the log {verifier.name!r}; a witness trusts one key per origin",
                origin=verifier.name,
            )
        logs[verifier.name] = verifier
    if not logs:
        raise InvalidInput("no log to witness: give the vkey of at least one log")
    return logs


def load_witness(key: Path, state: Path, logs: Iterable[str]) -> Witness:
    """The witness with the signer key file ``key``, its record in the folder ``state``.

    ``logs`` as ``load_witnessed_logs`` reads them. Raise what ``load_signer`` raises for the
    key (missing, readable by others, malformed), what ``load_witnessed_logs`` raises, and
    ``StorageError`` if the state folder cannot be created. Checks the key and logs before
    creating the folder.
    """
    signer = load_signer(key)
    verifiers = load_witnessed_logs(logs)
    return Witness(signer, FileWitnessState(state), verifiers)
