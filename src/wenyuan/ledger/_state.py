"""The asset state machine of the trust ledger: pure, no storage, no I/O.

``apply`` decides whether one signed statement, appended at a leaf index, is accepted given
the current states, and returns the new state of the asset it touches (or a ``Handover``,
ledger-level information). ``replay`` recomputes every state from the log's leaves alone,
verifying each signature; since the live registry refuses what ``apply`` refuses, a valid log
holds no leaf that ``replay`` refuses.

Statements about an asset after its registration carry ``prev``, the hash of the asset's
latest accepted leaf: a per-asset hash chain. A replayed statement, or the second of two
statements made from the same head, is refused because the head has moved.

Kinds are a registry (``APPLIERS``: kind → applier), matching ``statements.KINDS``.
Licences outlive transfers: a new owner inherits them and may revoke them. Expiry is recorded,
not enforced: the machine has no clock.

Hazard: ``log-handover`` statements must come from the log's own key; pass ``log_key`` to
enforce that. Without it, any issuer's handover is recorded with its issuer, for the verifier
to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from wenyuan.core.errors import Conflict, InvalidInput, NotFound, WenyuanError
from wenyuan.ledger._statements import (
    PolicyRefused,
    SignedStatement,
    StatementError,
    asset_id_for,
    decode_leaf,
    encode_leaf,
    read_leaf,
    statement_hash,
)

__all__ = [
    "APPLIERS",
    "AssetState",
    "FlaggedEntry",
    "Handover",
    "LedgerState",
    "Licence",
    "Refused",
    "ReplayError",
    "Step",
    "UnknownAsset",
    "apply",
    "replay",
]


class Refused(Conflict):
    """The ledger refuses this statement in the current state; ``reason`` says why.

    Reload the asset's state (its ``head``), and make and sign a new statement if it still
    makes sense. ``asset`` and ``index`` name the asset and the leaf index it was tried at.
    """

    title = "Statement refused"
    type_slug = "statement-refused"

    def __init__(self, reason: str, *, asset: str | None, index: int, **context: Any) -> None:
        super().__init__(reason, reason=reason, asset=asset, index=index, **context)
        self.reason = reason
        self.asset = asset
        self.index = index


@dataclass(frozen=True, slots=True)
class FlaggedEntry:
    """An entry ``replay`` set aside: the Ed25519 policy refuses its keys or signature (it
    was appended before the policy), or it only made sense after such an entry. Its effect
    is left out of the replayed state; publish ``index``, ``leaf_hash`` and ``reason``."""

    index: int
    leaf_hash: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "leaf_hash": self.leaf_hash, "reason": self.reason}


class UnknownAsset(NotFound):
    """The statement names an asset that is not registered; check the id or register it first."""

    title = "Unknown asset"
    type_slug = "unknown-asset"

    def __init__(self, asset: str, *, index: int) -> None:
        super().__init__(f"asset {asset} is not registered", asset=asset, index=index)
        self.asset = asset
        self.index = index


class ReplayError(InvalidInput):
    """The log holds a leaf the registry would have refused, so the log is not valid.

    Do not trust states computed from this log; publish ``index``, ``leaf_hash`` and
    ``reason`` (the refusal, also chained as ``__cause__``) as evidence against it.
    """

    title = "Invalid log"
    type_slug = "invalid-log"

    def __init__(self, reason: str, *, index: int, leaf_hash: str | None) -> None:
        super().__init__(
            f"leaf {index} of the log: {reason}", index=index, leaf_hash=leaf_hash, reason=reason
        )
        self.index = index
        self.leaf_hash = leaf_hash
        self.reason = reason


@dataclass(frozen=True)
class Licence:
    """A licence granted on an asset; its id is the hash of the granting leaf."""

    licence_id: str
    licensee: str
    terms: str
    expires: str | None
    granted_by: str
    granted_at: int
    revoked_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "licence_id": self.licence_id,
            "licensee": self.licensee,
            "terms": self.terms,
            "expires": self.expires,
            "granted_by": self.granted_by,
            "granted_at": self.granted_at,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Licence:
        return cls(**data)


@dataclass(frozen=True)
class AssetState:
    """What the ledger says about one asset after the statements up to ``head_index``."""

    asset_id: str
    content_sha256: str
    media_type: str
    title: str
    creators: tuple[str, ...]
    iscc: str | None
    description: str | None
    owner: str
    registered_by: str
    registered_at: int
    head: str
    head_index: int
    licences: Mapping[str, Licence] = field(default_factory=lambda: MappingProxyType({}))
    history: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "content_sha256": self.content_sha256,
            "media_type": self.media_type,
            "title": self.title,
            "creators": list(self.creators),
            "iscc": self.iscc,
            "description": self.description,
            "owner": self.owner,
            "registered_by": self.registered_by,
            "registered_at": self.registered_at,
            "head": self.head,
            "head_index": self.head_index,
            "licences": {k: self.licences[k].to_json() for k in sorted(self.licences)},
            "history": list(self.history),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AssetState:
        """The inverse of ``to_json`` (the registry stores states as this JSON)."""
        fields = dict(data)
        fields["creators"] = tuple(fields["creators"])
        fields["history"] = tuple(fields["history"])
        fields["licences"] = MappingProxyType(
            {k: Licence.from_json(v) for k, v in fields["licences"].items()}
        )
        return cls(**fields)


@dataclass(frozen=True)
class Handover:
    """A ``log-handover`` recorded in the log: this log ends and ``new_origin`` continues it."""

    index: int
    leaf_hash: str
    issuer: str
    issued_at: str
    new_origin: str
    new_vkey: str
    final_size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf_hash": self.leaf_hash,
            "issuer": self.issuer,
            "issued_at": self.issued_at,
            "new_origin": self.new_origin,
            "new_vkey": self.new_vkey,
            "final_size": self.final_size,
        }


class LedgerState(Mapping[str, AssetState]):
    """All asset states (asset id → ``AssetState``) plus ledger-level facts, immutable.

    ``size`` is the number of leaves the state covers; ``handovers`` the log handovers seen.
    """

    __slots__ = ("_assets", "flagged", "handovers", "size")

    def __init__(
        self,
        assets: Mapping[str, AssetState] | None = None,
        handovers: Sequence[Handover] = (),
        size: int = 0,
        flagged: Sequence[FlaggedEntry] = (),
    ) -> None:
        self._assets: Mapping[str, AssetState] = MappingProxyType(dict(assets or {}))
        self.handovers: tuple[Handover, ...] = tuple(handovers)
        self.size = size
        self.flagged: tuple[FlaggedEntry, ...] = tuple(flagged)

    def __getitem__(self, asset_id: str) -> AssetState:
        return self._assets[asset_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._assets)

    def __len__(self) -> int:
        return len(self._assets)

    def __repr__(self) -> str:
        return f"LedgerState({len(self)} assets, size={self.size})"

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "assets": {k: self._assets[k].to_json() for k in sorted(self._assets)},
            "handovers": [h.to_json() for h in self.handovers],
            "flagged": [f.to_json() for f in self.flagged],
        }


@dataclass(frozen=True)
class Step:
    """What an applier sees: the states before, the statement, and where its leaf sits."""

    assets: Mapping[str, AssetState]
    handovers: Sequence[Handover]
    statement: Mapping[str, Any]
    index: int
    leaf_hash: str
    log_key: str | None

    @property
    def issuer(self) -> str:
        return str(self.statement["issuer"])


Applier = Callable[[Step], "AssetState | Handover"]


def _current(step: Step) -> AssetState:
    """The asset a follow-up statement names, if its ``prev`` is the head and its issuer owns it."""
    asset_id = step.statement["asset"]
    asset = step.assets.get(asset_id)
    if asset is None:
        raise UnknownAsset(asset_id, index=step.index)
    if step.index <= asset.head_index:
        raise InvalidInput(
            f"index {step.index} is not after asset {asset_id}'s head index {asset.head_index}",
            index=step.index,
        )
    if step.statement["prev"] != asset.head:
        raise Refused(
            "the asset changed since this statement was made "
            f"(head is {asset.head} at index {asset.head_index})",
            asset=asset_id,
            index=step.index,
            head=asset.head,
            head_index=asset.head_index,
        )
    if step.issuer != asset.owner:
        raise Refused(
            f"issuer {step.issuer} is not the owner of asset {asset_id} "
            f"(the owner is {asset.owner})",
            asset=asset_id,
            index=step.index,
            owner=asset.owner,
        )
    return asset


def _advance(asset: AssetState, step: Step, **changes: Any) -> AssetState:
    return replace(
        asset,
        head=step.leaf_hash,
        head_index=step.index,
        history=(*asset.history, step.index),
        **changes,
    )


def _register(step: Step) -> AssetState:
    s = step.statement
    asset_id = asset_id_for(s["content_sha256"])
    existing = step.assets.get(asset_id)
    if existing is not None:
        raise Refused(
            f"asset {asset_id} is already registered by {existing.registered_by} "
            f"at index {existing.registered_at}",
            asset=asset_id,
            index=step.index,
            registered_by=existing.registered_by,
            registered_at=existing.registered_at,
        )
    return AssetState(
        asset_id=asset_id,
        content_sha256=s["content_sha256"],
        media_type=s["media_type"],
        title=s["title"],
        creators=tuple(s["creators"]),
        iscc=s.get("iscc"),
        description=s.get("description"),
        owner=step.issuer,
        registered_by=step.issuer,
        registered_at=step.index,
        head=step.leaf_hash,
        head_index=step.index,
        history=(step.index,),
    )


def _transfer(step: Step) -> AssetState:
    asset = _current(step)
    if step.statement["to"] == asset.owner:
        raise Refused(
            f"asset {asset.asset_id} already belongs to {asset.owner}; a transfer to the owner "
            "changes nothing",
            asset=asset.asset_id,
            index=step.index,
        )
    return _advance(asset, step, owner=step.statement["to"])


def _grant_licence(step: Step) -> AssetState:
    asset = _current(step)
    s = step.statement
    licence = Licence(
        licence_id=step.leaf_hash,
        licensee=s["licensee"],
        terms=s["terms"],
        expires=s.get("expires"),
        granted_by=step.issuer,
        granted_at=step.index,
    )
    licences = MappingProxyType({**asset.licences, licence.licence_id: licence})
    return _advance(asset, step, licences=licences)


def _revoke(step: Step) -> AssetState:
    asset = _current(step)
    licence_id = step.statement["licence"]
    licence = asset.licences.get(licence_id)
    if licence is None:
        raise Refused(
            f"asset {asset.asset_id} has no licence {licence_id}",
            asset=asset.asset_id,
            index=step.index,
            licence=licence_id,
        )
    if licence.revoked_at is not None:
        raise Refused(
            f"licence {licence_id} of asset {asset.asset_id} was already revoked "
            f"at index {licence.revoked_at}",
            asset=asset.asset_id,
            index=step.index,
            licence=licence_id,
        )
    revoked = replace(licence, revoked_at=step.index)
    licences = MappingProxyType({**asset.licences, licence_id: revoked})
    return _advance(asset, step, licences=licences)


def _log_handover(step: Step) -> Handover:
    if step.log_key is not None and step.issuer != step.log_key:
        raise Refused(
            f"a log handover must be issued by the log's key {step.log_key}, not {step.issuer}",
            asset=None,
            index=step.index,
        )
    for earlier in step.handovers:
        if earlier.leaf_hash == step.leaf_hash:
            raise Refused(
                f"this log handover was already recorded at index {earlier.index}",
                asset=None,
                index=step.index,
            )
    s = step.statement
    if s["final_size"] != step.index + 1:
        raise Refused(
            f"a log handover is the log's last entry: at ledger position {step.index} its "
            f"final_size must be {step.index + 1}, not {s['final_size']}",
            asset=None,
            index=step.index,
        )
    return Handover(
        index=step.index,
        leaf_hash=step.leaf_hash,
        issuer=step.issuer,
        issued_at=s["issued_at"],
        new_origin=s["new_origin"],
        new_vkey=s["new_vkey"],
        final_size=s["final_size"],
    )


APPLIERS: dict[str, Applier] = {
    "register": _register,
    "transfer": _transfer,
    "grant-licence": _grant_licence,
    "revoke": _revoke,
    "log-handover": _log_handover,
}


def _apply_verified(
    assets: Mapping[str, AssetState],
    handovers: Sequence[Handover],
    signed: SignedStatement,
    leaf_hash: str,
    index: int,
    log_key: str | None,
) -> AssetState | Handover:
    applier = APPLIERS.get(signed.kind)
    if applier is None:
        raise StatementError("kind", f"no state transition is defined for {signed.kind!r}")
    step = Step(assets, handovers, signed.statement, index, leaf_hash, log_key)
    return applier(step)


def apply(
    state: Mapping[str, AssetState],
    signed: SignedStatement,
    leaf: bytes,
    index: int,
    *,
    log_key: str | None = None,
) -> AssetState | Handover:
    """The new state of the asset ``signed`` touches if its ``leaf`` is appended at ``index``.

    ``leaf`` must be ``encode_leaf(signed)``; the signature is verified. Raises ``Refused``
    (not the owner, stale ``prev``, already registered, unknown or revoked licence),
    ``UnknownAsset``, or ``StatementError``. A ``log-handover`` returns a ``Handover``; the
    handovers already seen are taken from ``state`` when it is a ``LedgerState``.
    """
    if type(index) is not int or index < 0:
        raise InvalidInput(f"leaf index must be a non-negative integer, not {index!r}")
    if encode_leaf(signed) != leaf:
        raise StatementError("leaf", "is not the encoding of this signed statement")
    handovers = state.handovers if isinstance(state, LedgerState) else ()
    return _apply_verified(state, handovers, signed, statement_hash(leaf), index, log_key)


def replay(
    leaves: Iterable[tuple[int, bytes]],
    *,
    log_key: str | None = None,
    start: LedgerState | None = None,
    first_index: int | None = None,
) -> LedgerState:
    """Recompute every asset state from consecutive ``(index, leaf)`` pairs of the log.

    Indexes must run from ``first_index`` (default ``start.size``, or 0 without ``start``)
    with no gap: a successor log's leaves, replayed from its predecessor's final state, start
    again at 0. Raises
    ``ReplayError`` with the index of the first leaf that does not decode, does not verify,
    or would have been refused.

    Entries whose keys or signature the Ed25519 policy refuses (``PolicyRefused``: appended
    before the policy existed) do not stop the replay: they are flagged (``flagged``) and
    left out, and so is any later entry about the same asset that is refused without them.
    """
    assets: dict[str, AssetState] = dict(start or {})
    handovers: list[Handover] = list(start.handovers) if start else []
    flagged: list[FlaggedEntry] = list(start.flagged) if start else []
    tainted: set[str] = set()
    expected = first_index if first_index is not None else (start.size if start else 0)
    handed_over = False
    for index, leaf in leaves:
        if index != expected:
            raise ReplayError(f"expected leaf index {expected}", index=index, leaf_hash=None)
        leaf_hash = statement_hash(leaf)
        if handed_over:
            raise ReplayError(
                "the log was handed over to its successor; no entry may follow the handover",
                index=index,
                leaf_hash=leaf_hash,
            )
        try:
            signed = decode_leaf(leaf)
        except PolicyRefused as exc:
            flagged.append(FlaggedEntry(index, leaf_hash, exc.detail))
            tainted.add(_asset_of(read_leaf(leaf).statement))
            expected += 1
            continue
        except WenyuanError as exc:
            raise ReplayError(exc.detail, index=index, leaf_hash=leaf_hash) from exc
        try:
            effect = _apply_verified(assets, handovers, signed, leaf_hash, index, log_key)
        except WenyuanError as exc:
            asset = _asset_of(signed.statement)
            if asset not in tainted:
                raise ReplayError(exc.detail, index=index, leaf_hash=leaf_hash) from exc
            reason = f"refused once the flagged entries of asset {asset} are left out: {exc}"
            flagged.append(FlaggedEntry(index, leaf_hash, reason))
            expected += 1
            continue
        if isinstance(effect, Handover):
            handovers.append(effect)
            handed_over = True
        else:
            assets[effect.asset_id] = effect
        expected += 1
    return LedgerState(assets, handovers, expected, flagged)


def _asset_of(statement: Mapping[str, Any]) -> str:
    """The asset a statement is about ("" for none: a log hand-over)."""
    if statement.get("kind") == "register":
        return asset_id_for(str(statement.get("content_sha256", "")))
    return str(statement.get("asset", ""))
