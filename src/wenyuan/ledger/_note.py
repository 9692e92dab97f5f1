"""Signed notes, checkpoints and cosignatures, byte for byte as the C2SP specifications say.

c2sp.org/signed-note (text, blank line, ``— name base64(keyid ‖ sig)`` lines; Ed25519 keys as
vkeys and signer keys), c2sp.org/tlog-checkpoint (origin, size, root hash, extension lines)
and c2sp.org/tlog-cosignature (``cosignature/v1``: a timestamped Ed25519 signature over
``"cosignature/v1\\ntime T\\n" ‖ checkpoint body``, key ids with the type byte 0x04). Pure: no
I/O, no clock, no logging; key files are ``wenyuan.ledger._keys``.

Hazards: a note's text MUST be ignored unless ``open_note`` returned it, which happens only
when a known key's signature verified. A ``NoteSigner`` holds a private key; its ``repr`` and
every error message leave the key out, and so must any caller that logs it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wenyuan.core.errors import InvalidInput
from wenyuan.core.keys import public_key_problem, verify_signature

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "Checkpoint",
    "CosignatureVerifier",
    "KeyFormatError",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "Signature",
    "SignatureError",
    "Verifier",
    "cosign",
    "cosignature_message",
    "cosignature_timestamp",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "parse_vkey",
    "sign_note",
    "split_note",
    "witness_verifier",
]

ALG_ED25519 = 0x01
"""Signature type byte of plain Ed25519 note signatures (c2sp.org/signed-note)."""
ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)."""
MAX_SIGNATURES = 100
"""Most signature lines ``open_note`` reads; the spec requires accepting at least 16."""
MAX_TIMESTAMP = 2**63 - 1
"""Largest cosignature timestamp the spec allows."""

_DASH = "— "  # U+2014 EM DASH, U+0020 SPACE: the start of every signature line
_HASH_SIZE = 32  # RFC 6962 / RFC 9162 SHA-256 root hashes
_KEY_SIZE = 32  # RFC 8032 Ed25519 public keys and seeds
_ED25519_SIG_SIZE = 64
_COSIGNATURE_HEADER = "cosignature/v1\n"
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_HEX_ID = re.compile(r"[0-9a-f]{8}", re.ASCII)


# -- errors ---------------------------------------------------------------------------------


class NoteError(InvalidInput):
    """A note, checkpoint or signature line breaks a rule of its C2SP specification.

    ``rule`` names the rule (``"text-ends-in-newline"``, ``"signature-line"``, …) and ``line``
    the 1-based line of the note where it broke (0 when no one line is at fault). Fix the
    producer of the note; never accept the text of a note that failed to open.
    """

    title = "Malformed signed note"
    type_slug = "malformed-note"

    def __init__(self, rule: str, detail: str, *, line: int = 0) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{detail} [{rule}]", rule=rule, line=line)
        self.rule = rule
        self.line = line


class SignatureError(NoteError):
    """The note is well formed but no trusted key vouches for it.

    Either no signature from a known key is present, or a known key's signature does not
    verify (then the note is forged or corrupted). Do not use its text; report it if it came
    from a party that should hold the key.
    """

    title = "Note signature does not verify"
    type_slug = "bad-note-signature"


class KeyFormatError(InvalidInput):
    """A verifier key (vkey) or signer key text is malformed or its key id does not match.

    Messages never quote a signer key, which is secret. Regenerate or recopy the key.
    """

    title = "Malformed key"
    type_slug = "malformed-key"


# -- small codecs ---------------------------------------------------------------------------


def _b64decode(text: str) -> bytes | None:
    """Strict, canonical standard base64 (RFC 4648 section 4), or None."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _bad_char(text: str) -> tuple[int, str] | None:
    """The first (line, reason) at which ``text`` is not a valid note character sequence."""
    line = 1
    for char in text:
        if char == "\n":
            line += 1
        elif char < " ":
            return line, f"control character U+{ord(char):04X} (only newline is allowed)"
        elif "\ud800" <= char <= "\udfff":
            return line, f"lone surrogate U+{ord(char):04X} is not valid UTF-8"
    return None


def is_valid_key_name(name: str) -> bool:
    """True if ``name`` may name a key: non-empty, no Unicode space, no ``+``, no control."""
    return (
        bool(name)
        and "+" not in name
        and not any(char.isspace() or char < " " or "\ud800" <= char <= "\udfff" for char in name)
    )


def _check_name(name: str, what: str) -> None:
    if not is_valid_key_name(name):
        raise KeyFormatError(
            f"{what} name {name!r} must be non-empty, without spaces, '+' or control characters"
        )


def key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """The uint32 key id: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes_raw()
    if len(key) != _KEY_SIZE:
        raise KeyFormatError(f"an Ed25519 public key is {_KEY_SIZE} bytes, not {len(key)}")
    return bytes(key)


# -- keys -----------------------------------------------------------------------------------


class Verifier(Protocol):
    """What ``open_note`` needs of a key: its name, its key id and a check of one signature.

    ``verify`` gets the note text (UTF-8, final newline included) and the signature bytes that
    follow the key id, and answers whether they verify.
    """

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool: ...


class _Ed25519Verifier:
    """An Ed25519 public key under a name, for one signature type."""

    __slots__ = ("_key_id", "_name", "_public")
    algorithm = ALG_ED25519

    def __init__(self, name: str, public_key: Ed25519PublicKey | bytes) -> None:
        _check_name(name, "key")
        self._name = name
        self._public = _raw_public(public_key)
        problem = public_key_problem(self._public)
        if problem is not None:  # the Ed25519 policy of wenyuan.core.keys
            raise KeyFormatError(f"the Ed25519 public key of {name!r} {problem}")
        self._key_id = key_id(name, self.algorithm, self._public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The 32-byte RFC 8032 encoding of the public key."""
        return self._public

    def vkey(self) -> str:
        """The verifier key text: ``name+hex(key id)+base64(type ‖ public key)``."""
        material = _b64encode(bytes([self.algorithm]) + self._public)
        return f"{self._name}+{self._key_id:08x}+{material}"

    @classmethod
    def _parse(cls, vkey: str) -> tuple[str, bytes]:
        name, _, public = _parse_key_text(vkey, "verifier key", expected_algorithm=cls.algorithm)
        return name, public

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, _Ed25519Verifier)
            and (other._name, other._public) == (self._name, self._public)
        )

    def __hash__(self) -> int:
        return hash((type(self), self._name, self._public))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"


class NoteVerifier(_Ed25519Verifier):
    """Verifies plain Ed25519 note signatures (type 0x01), such as a log's on its checkpoints."""

    __slots__ = ()

    def verify(self, text: bytes, signature: bytes) -> bool:
        return len(signature) == _ED25519_SIG_SIZE and verify_signature(
            self._public, signature, text
        )

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hexid+base64(0x01 ‖ key)``; raise ``KeyFormatError`` if malformed."""
        return cls(*cls._parse(vkey))


class CosignatureVerifier(_Ed25519Verifier):
    """Verifies a witness's ``cosignature/v1`` signatures (type 0x04) on checkpoints.

    Pass it to ``open_note`` with the log's verifier, then read each cosignature's time with
    ``cosignature_timestamp``; or check one returned line with ``verify_line``.
    """

    __slots__ = ()
    algorithm = ALG_COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + _ED25519_SIG_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            body = text.decode()
            message = cosignature_message(body, timestamp)
        except (UnicodeDecodeError, NoteError):
            return False  # the spec defines cosignatures over checkpoints only
        return verify_signature(self._public, signature[8:], message)

    def verify_line(self, checkpoint_body: str, line: str) -> int:
        """Check one cosignature line on ``checkpoint_body``; return its timestamp.

        Raise ``NoteError`` if the line is malformed or from another key, ``SignatureError`` if
        it does not verify.
        """
        signature = Signature.parse_line(line.removesuffix("\n"))
        if (signature.name, signature.key_id) != (self._name, self._key_id):
            raise NoteError(
                "cosigner-key",
                f"the line is signed by {signature.name}+{signature.key_id:08x}, "
                f"not by {self._name}+{self._key_id:08x}",
            )
        if not self.verify(checkpoint_body.encode(), signature.signature):
            raise SignatureError(
                "cosignature", f"the cosignature of {self._name} does not verify on this checkpoint"
            )
        return cosignature_timestamp(signature)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``name+hexid+base64(0x04 ‖ key)``; raise ``KeyFormatError`` if malformed."""
        return cls(*cls._parse(vkey))


def witness_verifier(vkey: str) -> CosignatureVerifier:
    """A witness's cosignature verifier from its cosignature vkey (type 0x04) or from its
    plain note vkey (type 0x01, what ``wenyuan keys new`` writes to the ``.pub`` file): the
    same name and Ed25519 key verify cosignatures under the cosignature key id."""
    name, _, public = _parse_key_text(vkey, "witness key", expected_algorithm=None)
    return CosignatureVerifier(name, public)


def parse_vkey(vkey: str) -> NoteVerifier | CosignatureVerifier:
    """Parse a vkey of either supported type (0x01 note key or 0x04 cosigner key)."""
    name, algorithm, public = _parse_key_text(vkey, "verifier key", expected_algorithm=None)
    if algorithm == ALG_COSIGNATURE_V1:
        return CosignatureVerifier(name, public)
    return NoteVerifier(name, public)


def _parse_key_text(
    text: str, what: str, *, expected_algorithm: int | None, secret: bool = False
) -> tuple[str, int, bytes]:
    """Split ``name+hexid+base64(type ‖ key)`` and check it; return (name, type, 32 key bytes).

    For a signer key (``secret``) the key bytes are the seed and the key id is checked
    against the public key derived from it; no part of the text enters an error message.
    """
    if text.startswith("PRIVATE+KEY+") and not secret:
        # Never quote a private key, even one given where a public key was expected.
        raise KeyFormatError(
            f"{what}: this is a private key (PRIVATE+KEY+…); give the public key (.pub) instead"
        )
    shown = "" if secret else f" {text[:200]!r}"
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError(f"{what}{shown} is not name+keyid+key")
    name, hex_id, material = parts
    if not is_valid_key_name(name):
        raise KeyFormatError(f"{what}{shown} has an invalid key name")
    if not _HEX_ID.fullmatch(hex_id):
        raise KeyFormatError(f"{what}{shown}: the key id is not 8 lowercase hex digits")
    raw = _b64decode(material)
    if raw is None or len(raw) != 1 + _KEY_SIZE:
        raise KeyFormatError(
            f"{what}{shown}: the key is not canonical base64 of a type byte and 32 bytes"
        )
    algorithm, key = raw[0], raw[1:]
    allowed = (
        (ALG_ED25519, ALG_COSIGNATURE_V1) if expected_algorithm is None else (expected_algorithm,)
    )
    if algorithm not in allowed:
        raise KeyFormatError(
            f"{what}{shown} has signature type 0x{algorithm:02x}; expected "
            + " or ".join(f"0x{a:02x}" for a in allowed)
        )
    public = Ed25519PrivateKey.from_private_bytes(key).public_key() if secret else None
    public_raw = public.public_bytes_raw() if public is not None else key
    if key_id(name, algorithm, public_raw) != int(hex_id, 16):
        raise KeyFormatError(f"{what}{shown}: the key id does not match the name and key")
    return name, algorithm, key


class NoteSigner:
    """Signs notes with an Ed25519 private key under a key name.

    The key never leaves the object except through ``signer_key()`` (for the key file);
    ``repr`` shows the name and key id only.
    """

    __slots__ = ("_key", "_key_id", "_name", "_public")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name, "signer")
        self._name = name
        self._key = private_key
        self._public = private_key.public_key().public_bytes_raw()
        self._key_id = key_id(name, ALG_ED25519, self._public)

    def ed25519_private_key(self) -> Ed25519PrivateKey:
        """The key itself, for signing ledger statements with the same key file; never log
        or return it."""
        return self._key

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_signer_key(cls, text: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)``; raise ``KeyFormatError``."""
        prefix = "PRIVATE+KEY+"
        if not text.startswith(prefix):
            raise KeyFormatError("a signer key starts with PRIVATE+KEY+")
        name, _, seed = _parse_key_text(
            text[len(prefix) :], "signer key", expected_algorithm=ALG_ED25519, secret=True
        )
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        """The key id of plain note signatures (type 0x01)."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message)

    def signer_key(self) -> str:
        """The secret signer key text, for a key file only: never log or show it."""
        seed = self._key.private_bytes_raw()
        material = _b64encode(bytes([ALG_ED25519]) + seed)
        return f"PRIVATE+KEY+{self._name}+{self._key_id:08x}+{material}"

    def verifier(self) -> NoteVerifier:
        """The verifier of this signer's note signatures."""
        return NoteVerifier(self._name, self._public)

    def vkey(self) -> str:
        """The public verifier key text (type 0x01)."""
        return self.verifier().vkey()

    def cosignature_verifier(self) -> CosignatureVerifier:
        """The verifier of this key's ``cosignature/v1`` signatures (type 0x04)."""
        return CosignatureVerifier(self._name, self._public)

    def __repr__(self) -> str:
        return f"NoteSigner(name={self._name!r}, key_id={self._key_id:08x})"


# -- notes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line: key name, key id and the signature bytes after the key id."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, final newline included."""
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {_b64encode(raw)}\n"

    @classmethod
    def parse_line(cls, line: str, *, number: int = 0) -> Signature:
        """Parse ``— name base64(keyid ‖ sig)`` (no newline); raise ``NoteError``."""
        if not line.startswith(_DASH):
            raise NoteError(
                "signature-line",
                "a signature line starts with '— ' (U+2014 em dash, space)",
                line=number,
            )
        name, space, encoded = line[len(_DASH) :].partition(" ")
        if not space or not is_valid_key_name(name) or " " in encoded:
            raise NoteError(
                "key-name",
                "a signature line is a key name without spaces or '+', one space, the signature",
                line=number,
            )
        raw = _b64decode(encoded)
        if raw is None:
            raise NoteError(
                "signature-base64", "the signature is not canonical standard base64", line=number
            )
        if len(raw) < 5:
            raise NoteError(
                "signature-length", "a signature holds a 4-byte key id and more", line=number
            )
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True, slots=True)
class OpenedNote:
    """A note whose signatures were checked: ``text`` may be trusted, on ``signatures``' word.

    ``signatures`` are those verified by known keys (one per key); ``unverified`` are the
    lines from keys the caller did not supply, kept so that they can be passed on.
    """

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...]

    def signed_by(self, verifier: Verifier) -> Signature | None:
        """The verified signature of ``verifier``, if it signed."""
        for signature in self.signatures:
            if (signature.name, signature.key_id) == (verifier.name, verifier.key_id):
                return signature
        return None


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("text-ends-in-newline", "the note text must end in a newline")
    bad = _bad_char(text)
    if bad is not None:
        raise NoteError("characters", bad[1], line=bad[0])


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer.

    Raise ``NoteError`` if the text does not end in a newline or holds control characters,
    or if no signer is given.
    """
    _check_text(text)
    message = text.encode()
    lines = [
        Signature(signer.name, signer.key_id, signer.sign(message)).line() for signer in signers
    ]
    if not lines:
        raise NoteError("signatures", "a signed note needs at least one signature")
    return text + "\n" + "".join(lines)


def split_note(note: str | bytes) -> tuple[str, tuple[Signature, ...]]:
    """Parse a note's structure without checking any signature: (text, signature lines).

    Raise ``NoteError`` naming the broken rule. The text is untrusted until ``open_note``.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("utf-8", f"the note is not valid UTF-8 at byte {exc.start}") from exc
    bad = _bad_char(note)
    if bad is not None:
        raise NoteError("characters", bad[1], line=bad[0])
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("blank-line", "no blank line separates the text from the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    first_line = text.count("\n") + 2
    if not block:
        raise NoteError("signatures", "the note has no signature lines", line=first_line)
    if not block.endswith("\n"):
        raise NoteError(
            "signature-newline",
            "the last signature line must end in a newline",
            line=first_line + block.count("\n"),
        )
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(
            "too-many-signatures",
            f"{len(lines)} signature lines; at most {MAX_SIGNATURES} are read",
            line=first_line + MAX_SIGNATURES,
        )
    signatures = tuple(
        Signature.parse_line(line, number=first_line + offset) for offset, line in enumerate(lines)
    )
    return text, signatures


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> OpenedNote:
    """Parse ``note`` and verify every signature from a known key (name and key id match).

    Signatures from unknown keys are ignored (kept in ``unverified``, duplicates dropped).
    Raise ``NoteError`` if the note is malformed, ``SignatureError`` if a known key's signature
    fails or if no known key signed, and ``NoteError`` (``ambiguous-key``) if two different
    verifiers share the name and key id of a signature.
    """
    text, signatures = split_note(note)
    message = text.encode()
    known: dict[tuple[str, int], list[Verifier]] = {}
    for verifier in verifiers:
        same = known.setdefault((verifier.name, verifier.key_id), [])
        if verifier not in same:
            same.append(verifier)
    first_line = text.count("\n") + 2
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[Signature, None] = {}
    for offset, signature in enumerate(signatures):
        ident = (signature.name, signature.key_id)
        candidates = known.get(ident)
        if not candidates:
            unverified.setdefault(signature)
            continue
        if len(candidates) > 1:
            raise NoteError(
                "ambiguous-key",
                f"two verifiers are configured for {signature.name}+{signature.key_id:08x}",
                line=first_line + offset,
            )
        if not candidates[0].verify(message, signature.signature):
            raise SignatureError(
                "signature-verifies",
                f"the signature of known key {signature.name}+{signature.key_id:08x} "
                "does not verify",
                line=first_line + offset,
            )
        verified.setdefault(ident, signature)
    if not verified:
        raise SignatureError("known-signature", "no signature from a known key is present")
    return OpenedNote(text, tuple(verified.values()), tuple(unverified))


# -- checkpoints ----------------------------------------------------------------------------


def _check_line(value: str, what: str) -> None:
    if not value:
        raise NoteError("checkpoint-line", f"the {what} must not be empty")
    bad = _bad_char(value)
    if bad is not None or "\n" in value:
        reason = bad[1] if bad else "a newline"
        raise NoteError("checkpoint-line", f"the {what} holds {reason}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A transparency log checkpoint (c2sp.org/tlog-checkpoint): the note text of a tree head.

    ``origin`` names the log, ``size`` counts its leaves, ``root_hash`` is the 32-byte RFC 6962
    root at that size, and ``extensions`` are optional opaque non-empty lines.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not 0 <= self.size < 2**64:
            raise NoteError("tree-size", f"the tree size {self.size!r} is not a uint64")
        if len(self.root_hash) != _HASH_SIZE:
            raise NoteError(
                "root-hash", f"the root hash is {len(self.root_hash)} bytes, not {_HASH_SIZE}"
            )
        for extension in self.extensions:
            _check_line(extension, "extension line")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash and extension lines, each ending in \\n."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text strictly; raise ``NoteError`` naming the line."""
        if not text.endswith("\n"):
            raise NoteError("text-ends-in-newline", "the checkpoint text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(
                "checkpoint-lines", "a checkpoint has at least origin, size and root hash lines"
            )
        for number, line in enumerate(lines, start=1):
            if not line:
                raise NoteError("checkpoint-line", "checkpoint lines are non-empty", line=number)
            bad = _bad_char(line)
            if bad is not None:
                raise NoteError("characters", bad[1], line=number)
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise NoteError(
                "tree-size", "the tree size is ASCII decimal with no leading zeroes", line=2
            )
        size = int(size_text)
        if size >= 2**64:
            raise NoteError("tree-size", "the tree size does not fit in 64 bits", line=2)
        root = _b64decode(root_text)
        if root is None or len(root) != _HASH_SIZE:
            raise NoteError("root-hash", "the root hash is canonical base64 of 32 bytes", line=3)
        return cls(origin, size, root, tuple(extensions))


# -- cosignatures ---------------------------------------------------------------------------


def cosignature_message(checkpoint_body: str, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs: header, ``time T`` and the checkpoint body.

    Raise ``NoteError`` if the body is not a checkpoint or the timestamp is out of range.
    """
    Checkpoint.parse(checkpoint_body)
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("timestamp", f"the timestamp {timestamp!r} is not in 0..2^63-1")
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_body}".encode()


def cosign(checkpoint_body: str, signer: NoteSigner, timestamp: int) -> str:
    """A witness's ``cosignature/v1`` line on ``checkpoint_body`` at ``timestamp`` (POSIX s).

    The line (final newline included) carries key id (type 0x04) ‖ 8-byte big-endian
    timestamp ‖ Ed25519 signature; append it to the checkpoint's signature lines.
    """
    message = cosignature_message(checkpoint_body, timestamp)
    cosigner_id = key_id(signer.name, ALG_COSIGNATURE_V1, signer.public_key)
    data = timestamp.to_bytes(8, "big") + signer.sign(message)
    return Signature(signer.name, cosigner_id, data).line()


def cosignature_timestamp(signature: Signature) -> int:
    """The timestamp of a ``cosignature/v1`` signature; raise ``NoteError`` if not one."""
    if len(signature.signature) != 8 + _ED25519_SIG_SIZE:
        raise NoteError(
            "cosignature-length",
            f"a cosignature/v1 is 8 + 64 bytes after the key id, not {len(signature.signature)}",
        )
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError("timestamp", "the cosignature timestamp exceeds 2^63-1")
    return timestamp
