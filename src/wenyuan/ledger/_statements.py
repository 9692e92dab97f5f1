"""Signed statements of the trust ledger: their format, signing, validation and leaf encoding.

A statement is a JSON object canonicalised with RFC 8785 (JCS) and signed with Ed25519 by
its issuer. The Merkle leaf for a signed statement is the UTF-8 bytes of

    rfc8785.dumps({"key": <issuer, base64>, "sig": <signature, base64>, "statement": {...}})

where the signature is over ``rfc8785.dumps(statement)``. ``decode_leaf`` is strict: a leaf
is accepted only if it re-encodes to the identical bytes, its key equals the statement's
issuer and the signature verifies, so one statement has exactly one leaf.

Kinds are a registry (``KINDS``: kind → ``KindSpec`` of field checks); a new kind is one
``register_kind`` call here plus an applier in ``wenyuan.ledger._state``.

Hazards: ``SignedStatement.statement`` is a plain dict; mutating it after signing makes the
signature fail (``encode_leaf`` checks, so such a statement never reaches the log). Base64 is
the standard alphabet with padding, and only the canonical encoding of a value is accepted,
because keys are compared as strings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wenyuan.core.errors import InvalidInput
from wenyuan.core.keys import public_key_problem, signature_problem, verify_signature

__all__ = [
    "COMMON_FIELDS",
    "KINDS",
    "MAX_LEAF_BYTES",
    "STATEMENT_VERSION",
    "Inadmissible",
    "KindSpec",
    "PolicyRefused",
    "SignedStatement",
    "StatementError",
    "asset_id_for",
    "canonical_statement",
    "check_admission",
    "check_statement",
    "decode_leaf",
    "encode_leaf",
    "encode_public_key",
    "format_time",
    "make_grant_licence",
    "make_log_handover",
    "make_register",
    "make_revoke",
    "make_transfer",
    "new_statement",
    "parse_time",
    "read_leaf",
    "register_kind",
    "sign_statement",
    "statement_hash",
]

STATEMENT_VERSION = 1
MAX_LEAF_BYTES = 65_535  # 64 KiB less one: tlog-tiles entry bundles prefix a leaf with a uint16
COMMON_FIELDS = frozenset({"v", "kind", "issuer", "issued_at", "nonce"})
_MAX_JSON_INT = 2**53 - 1  # RFC 8785 (I-JSON) integers
# The leaf envelope around the canonical statement: key (44 chars) and sig (88 chars) are
# base64 without characters JCS escapes, so the leaf size is known from the statement alone.
_ENVELOPE_BYTES = len(b'{"key":"","sig":"","statement":}') + 44 + 88

Check = Callable[[Any, str], None]


class StatementError(InvalidInput):
    """A statement or leaf is malformed: fix the named ``field`` and sign again.

    ``field`` names the statement field (or ``leaf``, ``key``, ``sig``) and ``reason`` says
    what is wrong with it.
    """

    title = "Invalid statement"
    type_slug = "invalid-statement"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field, reason=reason)
        self.field = field
        self.reason = reason


class PolicyRefused(StatementError):
    """A key named in the statement (``issuer``, ``to``, ``licensee``, the key of a
    ``new_vkey``) or the signature's R or S is refused by the Ed25519 policy
    (``wenyuan.core.keys``): a small-order or non-canonical point, or an unreduced S. Such
    a statement could be forged; sign with a key from a real Ed25519 key generator."""

    title = "Refused by the Ed25519 policy"
    type_slug = "ed25519-policy"


class Inadmissible(StatementError):
    """The statement is well formed and signed, but the log does not take it as it is: a
    text field holds control or bidirectional-override characters, or ``issued_at`` is
    too far in the future. Fix the named field, sign again and resubmit."""

    title = "Statement not admitted"
    type_slug = "statement-not-admitted"


# -- field checks -------------------------------------------------------------------------


def _is_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise StatementError(name, f"must be a string, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StatementError(name, "holds a lone surrogate, not valid Unicode text") from exc
    return value


def _text(low: int, high: int) -> Check:
    def check(value: Any, name: str) -> None:
        text = _is_str(value, name)
        if not low <= len(text) <= high:
            raise StatementError(name, f"must be {low}–{high} characters, not {len(text)}")
        if low and not text.strip():
            raise StatementError(name, "must not be blank")

    return check


def _pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: Any, name: str) -> None:
        if not compiled.fullmatch(_is_str(value, name)):
            raise StatementError(name, f"must be {what}")

    return check


def _b64(size: int, what: str) -> Check:
    def check(value: Any, name: str) -> None:
        text = _is_str(value, name)
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StatementError(name, f"must be {what} in standard base64") from exc
        if len(raw) != size:
            raise StatementError(name, f"must be {what} ({size} bytes), not {len(raw)} bytes")
        if base64.b64encode(raw).decode("ascii") != text:
            raise StatementError(name, "must use the canonical base64 encoding")

    return check


def _time(value: Any, name: str) -> None:
    parse_time(value, name)


def _creators(value: Any, name: str) -> None:
    if not isinstance(value, list):
        raise StatementError(name, f"must be a list of strings, not {type(value).__name__}")
    if len(value) > 50:
        raise StatementError(name, f"must hold at most 50 names, not {len(value)}")
    for i, item in enumerate(value):
        _text(1, 200)(item, f"{name}[{i}]")


def _size(value: Any, name: str) -> None:
    if type(value) is not int or not 0 <= value <= _MAX_JSON_INT:
        raise StatementError(name, "must be an integer from 0 to 2**53 - 1")


_sha256_hex = _pattern(r"[0-9a-f]{64}", "64 lowercase hex digits (a SHA-256)")
_asset = _pattern(r"sha256:[0-9a-f]{64}", '"sha256:" and 64 lowercase hex digits')
_public_key_bytes = _b64(32, "an Ed25519 public key")


def _public_key(value: Any, name: str) -> None:
    """A base64 Ed25519 public key that the Ed25519 policy accepts."""
    _public_key_bytes(value, name)
    problem = public_key_problem(base64.b64decode(value))
    if problem is not None:
        raise PolicyRefused(name, f"the Ed25519 key {value} {problem}")


# RFC 6838 §4.2 restricted-name, type "/" subtype, lowercase only so one type has one spelling.
_NAME = r"[a-z0-9][a-z0-9!#$&\-^_.+]{0,126}"
_media_type = _pattern(rf"{_NAME}/{_NAME}", "a lowercase RFC 6838 media type (type/subtype)")
_iscc = _pattern(r"ISCC:[A-Z2-7]{8,200}", '"ISCC:" and uppercase base32 (an ISCC code)')
# C2SP signed-note verifier key: <name>+<8 hex digits>+<base64 of type byte and key>.
_vkey_text = _pattern(r"[^\s+]{1,256}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{4,}={0,2}", "a C2SP vkey")


def _vkey(value: Any, name: str) -> None:
    """A C2SP vkey whose Ed25519 key (after the type byte) the Ed25519 policy accepts."""
    _vkey_text(value, name)
    try:
        material = base64.b64decode(value.split("+", 2)[2], validate=True)  # base64 may hold "+"
    except (binascii.Error, ValueError) as exc:
        raise StatementError(name, "must be a C2SP vkey (its key is not base64)") from exc
    if len(material) == 33:
        problem = public_key_problem(material[1:])
        if problem is not None:
            raise PolicyRefused(name, f"the Ed25519 key in {value} {problem}")


_origin = _pattern(r"[^\s][^\n]{0,255}", "a log origin line (1–256 characters, no newline)")


@dataclass(frozen=True)
class KindSpec:
    """What one kind of statement holds: its fields and their checks (all on shape alone)."""

    kind: str
    required: Mapping[str, Check]
    optional: Mapping[str, Check] = field(default_factory=dict)
    cross_check: Callable[[Mapping[str, Any]], None] | None = None  # checks across fields


def _expires_after_issue(statement: Mapping[str, Any]) -> None:
    expires = statement.get("expires")
    if expires is not None and parse_time(expires, "expires") <= parse_time(
        statement["issued_at"], "issued_at"
    ):
        raise StatementError("expires", "must be later than issued_at")


KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Add a kind to the registry; refuses a name already taken or a clash with common fields."""
    if spec.kind in KINDS:
        raise ValueError(f"statement kind {spec.kind!r} is already registered")
    clash = COMMON_FIELDS & (set(spec.required) | set(spec.optional))
    if clash or set(spec.required) & set(spec.optional):
        raise ValueError(f"statement kind {spec.kind!r} redefines fields {sorted(clash)}")
    KINDS[spec.kind] = spec
    return spec


register_kind(
    KindSpec(
        "register",
        required={
            "content_sha256": _sha256_hex,
            "media_type": _media_type,
            "title": _text(1, 500),
            "creators": _creators,
        },
        optional={"iscc": _iscc, "description": _text(1, 10_000)},
    )
)
register_kind(
    KindSpec("transfer", required={"asset": _asset, "prev": _sha256_hex, "to": _public_key})
)
register_kind(
    KindSpec(
        "grant-licence",
        required={
            "asset": _asset,
            "prev": _sha256_hex,
            "licensee": _public_key,
            "terms": _text(1, 2000),
        },
        optional={"expires": _time},
        cross_check=_expires_after_issue,
    )
)
register_kind(
    KindSpec("revoke", required={"asset": _asset, "prev": _sha256_hex, "licence": _sha256_hex})
)
register_kind(
    KindSpec(
        "log-handover",
        required={"new_origin": _origin, "new_vkey": _vkey, "final_size": _size},
    )
)


# -- validation ---------------------------------------------------------------------------


def check_statement(statement: Any) -> None:
    """Raise ``StatementError`` naming the first field that is missing, unknown or malformed.

    Checks shape only (types, sizes, formats, and that the leaf fits ``MAX_LEAF_BYTES``);
    whether the ledger accepts the statement is ``wenyuan.ledger._state.apply``'s question.
    """
    canonical_statement(statement)


def canonical_statement(statement: Any) -> bytes:
    """The RFC 8785 bytes of a statement (what is signed), after ``check_statement``'s checks."""
    if not isinstance(statement, Mapping) or not all(isinstance(k, str) for k in statement):
        raise StatementError("statement", "must be a JSON object")
    if "v" not in statement or type(statement["v"]) is not int:
        raise StatementError("v", "is required and must be the integer 1")
    if statement["v"] != STATEMENT_VERSION:
        raise StatementError("v", f"version {statement['v']} is not supported (only 1)")
    kind = statement.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise StatementError("kind", f"must be one of {sorted(KINDS)}, not {kind!r}")
    spec = KINDS[kind]
    unknown = sorted(set(statement) - COMMON_FIELDS - set(spec.required) - set(spec.optional))
    if unknown:
        raise StatementError(unknown[0], f"is not a field of a {kind} statement")
    common: dict[str, Check] = {"issuer": _public_key, "issued_at": _time}
    common["nonce"] = _b64(16, "a 16-byte nonce")
    for name, check in {**common, **spec.required}.items():
        if name not in statement:
            raise StatementError(name, f"is required in a {kind} statement")
        check(statement[name], name)
    for name, check in spec.optional.items():
        if name in statement:
            check(statement[name], name)
    if spec.cross_check is not None:
        spec.cross_check(statement)
    try:
        canonical = rfc8785.dumps(dict(statement))
    except rfc8785.CanonicalizationError as exc:
        raise StatementError("statement", f"cannot be canonicalised: {exc}") from exc
    if len(canonical) + _ENVELOPE_BYTES > MAX_LEAF_BYTES:
        size = len(canonical) + _ENVELOPE_BYTES
        raise StatementError("statement", f"its leaf would be {size} bytes (max {MAX_LEAF_BYTES})")
    return canonical


def asset_id_for(content_sha256: str) -> str:
    """The asset id a ``register`` statement creates: ``"sha256:" + content_sha256``."""
    return f"sha256:{content_sha256}"


# -- time, keys, building -----------------------------------------------------------------

_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


def parse_time(value: Any, name: str = "time") -> datetime:
    """Parse an RFC 3339 UTC time as statements write it (``2024-05-01T12:00:00Z``)."""
    text = _is_str(value, name)
    if not _TIME.fullmatch(text):
        raise StatementError(
            name, f"must be an RFC 3339 UTC time (2024-05-01T12:00:00Z), not {text!r}"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise StatementError(name, f"is not a real date and time: {text!r}") from exc


def format_time(moment: datetime) -> str:
    """Write an aware datetime as statements do: UTC, ``Z``, microseconds only when present."""
    if moment.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    utc = moment.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def encode_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The standard base64 of a key's 32 raw public bytes, as ``issuer`` and ``to`` hold it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def new_statement(
    kind: str,
    issuer: str,
    *,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A statement dict with ``v``, ``kind``, ``issuer``, ``issued_at`` (now) and a fresh nonce.

    Fields given as ``None`` are left out (absent optional fields).
    """
    statement: dict[str, Any] = {
        "v": STATEMENT_VERSION,
        "kind": kind,
        "issuer": issuer,
        "issued_at": format_time(issued_at or datetime.now(UTC)),
        "nonce": base64.b64encode(os.urandom(16) if nonce is None else nonce).decode("ascii"),
    }
    statement.update({k: v for k, v in fields.items() if v is not None})
    return statement


@dataclass(frozen=True)
class SignedStatement:
    """A statement with its issuer's Ed25519 signature over the statement's JCS bytes."""

    statement: dict[str, Any]
    signature: bytes
    public_key: bytes

    @property
    def kind(self) -> str:
        return str(self.statement["kind"])

    @property
    def issuer(self) -> str:
        return str(self.statement["issuer"])


def sign_statement(statement: Mapping[str, Any], private_key: Ed25519PrivateKey) -> SignedStatement:
    """Check and sign a statement; its ``issuer`` must be this key's public key."""
    canonical = canonical_statement(statement)
    if statement["issuer"] != encode_public_key(private_key):
        raise StatementError("issuer", "is not the public key of the signing key")
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SignedStatement(dict(statement), private_key.sign(canonical), public)


def _make(
    kind: str, key: Ed25519PrivateKey, when: datetime | None, nonce: bytes | None, **fields: Any
) -> SignedStatement:
    issuer = encode_public_key(key)
    return sign_statement(new_statement(kind, issuer, issued_at=when, nonce=nonce, **fields), key)


def _key_text(key: str | Ed25519PublicKey) -> str:
    return key if isinstance(key, str) else encode_public_key(key)


def make_register(
    key: Ed25519PrivateKey,
    *,
    content_sha256: str,
    media_type: str,
    title: str,
    creators: Sequence[str] = (),
    iscc: str | None = None,
    description: str | None = None,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
) -> SignedStatement:
    """A signed ``register`` statement: the key's owner claims the asset with this content."""
    return _make(
        "register",
        key,
        issued_at,
        nonce,
        content_sha256=content_sha256,
        media_type=media_type,
        title=title,
        creators=list(creators),
        iscc=iscc,
        description=description,
    )


def make_transfer(
    key: Ed25519PrivateKey,
    *,
    asset: str,
    prev: str,
    to: str | Ed25519PublicKey,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
) -> SignedStatement:
    """A signed ``transfer`` of ``asset`` (whose head is ``prev``) to the key ``to``."""
    return _make("transfer", key, issued_at, nonce, asset=asset, prev=prev, to=_key_text(to))


def make_grant_licence(
    key: Ed25519PrivateKey,
    *,
    asset: str,
    prev: str,
    licensee: str | Ed25519PublicKey,
    terms: str,
    expires: datetime | None = None,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
) -> SignedStatement:
    """A signed ``grant-licence``; the licence id will be the hash of its leaf."""
    return _make(
        "grant-licence",
        key,
        issued_at,
        nonce,
        asset=asset,
        prev=prev,
        licensee=_key_text(licensee),
        terms=terms,
        expires=None if expires is None else format_time(expires),
    )


def make_revoke(
    key: Ed25519PrivateKey,
    *,
    asset: str,
    prev: str,
    licence: str,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
) -> SignedStatement:
    """A signed ``revoke`` of the licence ``licence`` (a licence id) of ``asset``."""
    return _make("revoke", key, issued_at, nonce, asset=asset, prev=prev, licence=licence)


def make_log_handover(
    key: Ed25519PrivateKey,
    *,
    new_origin: str,
    new_vkey: str,
    final_size: int,
    issued_at: datetime | None = None,
    nonce: bytes | None = None,
) -> SignedStatement:
    """A signed ``log-handover`` (by the log's own key) naming the log that continues this one."""
    fields = {"new_origin": new_origin, "new_vkey": new_vkey, "final_size": final_size}
    return _make("log-handover", key, issued_at, nonce, **fields)


# -- leaves -------------------------------------------------------------------------------


def _verify(canonical: bytes, signature: bytes, public_key: bytes) -> None:
    problem = signature_problem(public_key, signature)
    if problem is not None:
        raise PolicyRefused("sig", problem)
    if not verify_signature(public_key, signature, canonical):
        raise StatementError("sig", "the signature does not verify with the issuer's key")


def _envelope(signed: SignedStatement) -> bytes:
    envelope: dict[str, Any] = {
        "key": base64.b64encode(signed.public_key).decode("ascii"),
        "sig": base64.b64encode(signed.signature).decode("ascii"),
        "statement": signed.statement,
    }
    return rfc8785.dumps(envelope)


def encode_leaf(signed: SignedStatement) -> bytes:
    """The Merkle leaf bytes of a signed statement, after checking it and its signature."""
    canonical = canonical_statement(signed.statement)
    if len(signed.public_key) != 32 or len(signed.signature) != 64:
        raise StatementError("key", "an Ed25519 key is 32 bytes and a signature 64 bytes")
    if base64.b64encode(signed.public_key).decode("ascii") != signed.statement["issuer"]:
        raise StatementError("key", "the signing key is not the statement's issuer")
    _verify(canonical, signed.signature, signed.public_key)
    return _envelope(signed)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise StatementError("leaf", "an object repeats a key")
    return result


def _no_constant(name: str) -> Any:
    raise StatementError("leaf", f"{name} is not JSON")


def _parse_envelope(leaf: bytes) -> dict[str, Any]:
    if len(leaf) > MAX_LEAF_BYTES:
        raise StatementError("leaf", f"is {len(leaf)} bytes (max {MAX_LEAF_BYTES})")
    try:
        envelope = json.loads(
            leaf.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
        )
    except StatementError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: huge ints too
        raise StatementError("leaf", f"is not UTF-8 JSON: {exc}") from exc
    if not isinstance(envelope, dict) or set(envelope) != {"key", "sig", "statement"}:
        raise StatementError("leaf", 'must be an object of exactly "key", "sig" and "statement"')
    return envelope


def read_leaf(leaf: bytes) -> SignedStatement:
    """A leaf already in the log, parsed for display: its JSON shape only.

    Nothing is verified: a log may hold entries appended before a rule was tightened (see
    ``PolicyRefused``), and they must still be shown. Whoever needs to trust an entry checks
    its receipt (``verify_receipt``) or replays the log (``replay``).
    """
    envelope = _parse_envelope(leaf)
    statement, key, sig = envelope["statement"], envelope["key"], envelope["sig"]
    if not isinstance(statement, dict) or not isinstance(key, str) or not isinstance(sig, str):
        raise StatementError("leaf", "is not a statement envelope")
    try:
        return SignedStatement(statement, base64.b64decode(sig), base64.b64decode(key))
    except (binascii.Error, ValueError) as exc:
        raise StatementError("leaf", "holds a key or signature that is not base64") from exc


def decode_leaf(leaf: bytes) -> SignedStatement:
    """Parse and verify a leaf; raises ``StatementError`` unless it is exactly a valid leaf
    (``PolicyRefused`` if a key or the signature breaks the Ed25519 policy)."""
    envelope = _parse_envelope(leaf)
    _public_key_bytes(envelope["key"], "key")  # the policy is checked on the issuer field
    _b64(64, "an Ed25519 signature")(envelope["sig"], "sig")
    statement = envelope["statement"]
    canonical = canonical_statement(statement)
    if envelope["key"] != statement["issuer"]:
        raise StatementError("key", "is not the statement's issuer")
    signed = SignedStatement(
        statement, base64.b64decode(envelope["sig"]), base64.b64decode(envelope["key"])
    )
    if _envelope(signed) != leaf:
        raise StatementError("leaf", "is not in canonical form (RFC 8785) and must be")
    _verify(canonical, signed.signature, signed.public_key)
    return signed


# -- admission ------------------------------------------------------------------------------

# C0 controls but tab and newline, DEL, C1 controls; and the bidirectional embeddings,
# overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI) that make text display in
# an order other than the order it is signed in (CVE-2021-42574, "Trojan Source").
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _strings(value: Any, name: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key, name)
            yield from _strings(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{name}[{i}]")


def check_admission(statement: Mapping[str, Any], *, now: datetime, max_future: timedelta) -> None:
    """Raise ``Inadmissible`` unless the log takes this (already valid) statement now.

    Text MUST NOT hold control characters other than tab and newline, nor bidirectional
    override or isolate characters; ``issued_at`` MUST NOT be more than ``max_future``
    after ``now``. These are the rules at the log's door: entries appended before a rule
    existed stay valid, so ``decode_leaf`` and ``replay`` do not apply them.
    """
    for name, text in _strings(statement, ""):
        found = _UNSAFE_TEXT.search(text)
        if found is not None:
            code = f"U+{ord(found.group()):04X}"
            raise Inadmissible(
                name or "statement",
                f"holds the character {code} at position {found.start()}: control and "
                "bidirectional-override characters are not allowed in statements",
            )
    issued = parse_time(statement["issued_at"], "issued_at")
    if issued - now > max_future:
        raise Inadmissible(
            "issued_at",
            f"{statement['issued_at']} is more than {int(max_future.total_seconds())} s ahead "
            f"of the log's clock ({format_time(now)}); check the signer's clock",
        )


def statement_hash(leaf: bytes) -> str:
    """The lowercase hex SHA-256 of a leaf: a statement's id, a licence id, an asset's head."""
    return hashlib.sha256(leaf).hexdigest()
