"""The asset state machine: every acceptance and refusal, and replay from the log alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.core.errors import Conflict, InvalidInput, NotFound
from wenyuan.ledger import NoteSigner
from wenyuan.ledger._state import (
    APPLIERS,
    AssetState,
    Handover,
    LedgerState,
    Refused,
    ReplayError,
    UnknownAsset,
    apply,
    replay,
)
from wenyuan.ledger._statements import (
    KINDS,
    SignedStatement,
    StatementError,
    encode_leaf,
    encode_public_key,
    make_grant_licence,
    make_log_handover,
    make_register,
    make_revoke,
    make_transfer,
    statement_hash,
)

# Fixed keys, so failures reproduce; none of them is secret.
KEYS = [Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in range(1, 5)]
OWNER, ALICE, BOB, LOG = KEYS
LOG_VKEY = NoteSigner("ledger.example.org/1", LOG).vkey()


def pub(key: Ed25519PrivateKey) -> str:
    return encode_public_key(key)


def content(n: int) -> str:
    return f"{n:064x}"


class Ledger:
    """A live registry in memory: apply each statement and keep the accepted leaves."""

    def __init__(self) -> None:
        self.state = LedgerState()
        self.leaves: list[bytes] = []

    def append(self, signed: SignedStatement) -> AssetState | Handover:
        leaf = encode_leaf(signed)
        index = self.state.size
        effect = apply(self.state, signed, leaf, index, log_key=pub(LOG))
        assets = dict(self.state)
        handovers = list(self.state.handovers)
        if isinstance(effect, Handover):
            handovers.append(effect)
        else:
            assets[effect.asset_id] = effect
        self.state = LedgerState(assets, handovers, index + 1)
        self.leaves.append(leaf)
        return effect

    def register(self, key: Ed25519PrivateKey = OWNER, n: int = 1, **fields: Any) -> AssetState:
        defaults: dict[str, Any] = {"media_type": "image/tiff", "title": "千里江山图"}
        signed = make_register(key, content_sha256=content(n), **(defaults | fields))
        effect = self.append(signed)
        assert isinstance(effect, AssetState)
        return effect

    def log(self) -> Iterator[tuple[int, bytes]]:
        return iter(enumerate(self.leaves))


@pytest.fixture
def ledger() -> Ledger:
    """An empty live registry."""
    return Ledger()


@pytest.fixture
def registered(ledger: Ledger) -> AssetState:
    """One asset, registered by OWNER at index 0."""
    return ledger.register(creators=["王希孟"])


# -- register -------------------------------------------------------------------------------


def test_register_makes_the_issuer_owner(registered: AssetState) -> None:
    """A register statement creates sha256:<content>, owned and registered by its issuer."""
    assert registered.asset_id == "sha256:" + content(1)
    assert registered.owner == registered.registered_by == pub(OWNER)
    assert (registered.registered_at, registered.head_index, registered.history) == (0, 0, (0,))
    assert registered.title == "千里江山图"
    assert registered.creators == ("王希孟",)


def test_head_is_the_hash_of_the_latest_leaf(ledger: Ledger, registered: AssetState) -> None:
    """An asset's head is the SHA-256 of the leaf of its latest accepted statement."""
    assert registered.head == statement_hash(ledger.leaves[0])


def test_register_of_a_registered_asset_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """A second register of the same content is refused, naming who registered it and where."""
    with pytest.raises(Refused) as caught:
        ledger.register(ALICE)
    assert pub(OWNER) in caught.value.detail
    assert "index 0" in caught.value.detail
    assert caught.value.context["registered_by"] == pub(OWNER)


def test_the_same_leaf_twice_is_refused(ledger: Ledger) -> None:
    """Replaying an accepted statement's exact bytes is refused the second time."""
    signed = make_register(OWNER, content_sha256=content(7), media_type="text/plain", title="诗")
    ledger.append(signed)
    with pytest.raises(Refused, match="already registered"):
        ledger.append(signed)

    transfer = make_transfer(
        OWNER, asset="sha256:" + content(7), prev=statement_hash(ledger.leaves[0]), to=pub(ALICE)
    )
    ledger.append(transfer)
    with pytest.raises(Refused, match="the asset changed since this statement was made"):
        ledger.append(transfer)
    assert len(ledger.leaves) == 2


# -- transfer -------------------------------------------------------------------------------


def test_transfer_by_the_owner_moves_ownership(ledger: Ledger, registered: AssetState) -> None:
    """The owner's transfer makes ``to`` the owner and advances the head."""
    after = ledger.append(
        make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(ALICE))
    )
    assert isinstance(after, AssetState)
    assert after.owner == pub(ALICE)
    assert after.registered_by == pub(OWNER)
    assert after.head == statement_hash(ledger.leaves[1])
    assert after.history == (0, 1)


def test_transfer_by_a_non_owner_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """Only the current owner may transfer an asset."""
    with pytest.raises(Refused, match="is not the owner") as caught:
        ledger.append(
            make_transfer(ALICE, asset=registered.asset_id, prev=registered.head, to=pub(ALICE))
        )
    assert caught.value.status == 409
    assert isinstance(caught.value, Conflict)


def test_concurrent_transfers_from_one_head_accept_exactly_one(
    ledger: Ledger, registered: AssetState
) -> None:
    """Two transfers made from the same head: the first appended wins, the second is stale."""
    to_alice = make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(ALICE))
    to_bob = make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(BOB))
    outcomes: list[AssetState | Handover | Refused] = []
    for signed in (to_alice, to_bob):
        try:
            outcomes.append(ledger.append(signed))
        except Refused as exc:
            outcomes.append(exc)
    accepted = [o for o in outcomes if isinstance(o, AssetState)]
    assert len(accepted) == 1
    assert ledger.state[registered.asset_id].owner == pub(ALICE)
    refusal = outcomes[1]
    assert isinstance(refusal, Refused)
    assert refusal.detail == (
        f"the asset changed since this statement was made (head is {accepted[0].head} at index 1)"
    )


def test_transfer_to_the_owner_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """A transfer to the current owner changes nothing and is refused."""
    with pytest.raises(Refused, match="changes nothing"):
        ledger.append(
            make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(OWNER))
        )


def test_statement_about_an_unknown_asset_is_refused(ledger: Ledger) -> None:
    """A follow-up statement about an unregistered asset raises UnknownAsset (404)."""
    with pytest.raises(UnknownAsset) as caught:
        ledger.append(
            make_transfer(OWNER, asset="sha256:" + content(9), prev=content(0), to=pub(BOB))
        )
    assert isinstance(caught.value, NotFound)
    assert caught.value.status == 404
    assert caught.value.asset == "sha256:" + content(9)


# -- licences -------------------------------------------------------------------------------


def grant(ledger: Ledger, asset: AssetState, key: Ed25519PrivateKey = OWNER) -> AssetState:
    current = ledger.state[asset.asset_id]
    effect = ledger.append(
        make_grant_licence(
            key,
            asset=asset.asset_id,
            prev=current.head,
            licensee=pub(BOB),
            terms="https://creativecommons.org/licenses/by-nc/4.0/",
            expires=datetime(2030, 1, 1, tzinfo=UTC),
        )
    )
    assert isinstance(effect, AssetState)
    return effect


def revoke(
    ledger: Ledger, asset: AssetState, licence: str, key: Ed25519PrivateKey = OWNER
) -> AssetState | Handover:
    current = ledger.state[asset.asset_id]
    return ledger.append(make_revoke(key, asset=asset.asset_id, prev=current.head, licence=licence))


def test_grant_licence_records_it_under_its_leaf_hash(
    ledger: Ledger, registered: AssetState
) -> None:
    """A granted licence's id is the hash of the granting leaf, with its terms and licensee."""
    after = grant(ledger, registered)
    licence_id = statement_hash(ledger.leaves[1])
    licence = after.licences[licence_id]
    assert licence.licensee == pub(BOB)
    assert licence.terms.endswith("/by-nc/4.0/")
    assert licence.expires == "2030-01-01T00:00:00Z"
    assert (licence.granted_at, licence.granted_by, licence.revoked_at) == (1, pub(OWNER), None)


def test_grant_by_a_non_owner_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """Only the owner may grant a licence."""
    with pytest.raises(Refused, match="is not the owner"):
        grant(ledger, registered, key=ALICE)


def test_revoke_marks_the_licence_and_cannot_repeat(ledger: Ledger, registered: AssetState) -> None:
    """A revoked licence keeps its record with revoked_at; revoking it again is refused."""
    licence_id = next(iter(grant(ledger, registered).licences))
    after = revoke(ledger, registered, licence_id)
    assert isinstance(after, AssetState)
    assert after.licences[licence_id].revoked_at == 2
    with pytest.raises(Refused, match="already revoked at index 2"):
        revoke(ledger, registered, licence_id)


def test_revoke_of_an_unknown_licence_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """Revoking a licence the asset never had is refused."""
    with pytest.raises(Refused, match="has no licence"):
        revoke(ledger, registered, content(5))


def test_licences_outlive_a_transfer(ledger: Ledger, registered: AssetState) -> None:
    """After a transfer the licences stay; the new owner may revoke them, the old one may not."""
    licence_id = next(iter(grant(ledger, registered).licences))
    head = ledger.state[registered.asset_id].head
    ledger.append(make_transfer(OWNER, asset=registered.asset_id, prev=head, to=pub(ALICE)))
    assert licence_id in ledger.state[registered.asset_id].licences
    with pytest.raises(Refused, match="is not the owner"):
        revoke(ledger, registered, licence_id, key=OWNER)
    after = revoke(ledger, registered, licence_id, key=ALICE)
    assert isinstance(after, AssetState)
    assert after.licences[licence_id].revoked_at == 3


# -- apply's own checks ---------------------------------------------------------------------


def test_apply_refuses_a_leaf_that_is_not_the_statement(registered: AssetState) -> None:
    """apply checks that the leaf given is the encoding of the signed statement."""
    signed = make_register(ALICE, content_sha256=content(2), media_type="text/plain", title="词")
    other = encode_leaf(
        make_register(ALICE, content_sha256=content(3), media_type="a/b", title="t")
    )
    with pytest.raises(StatementError, match="leaf"):
        apply({}, signed, other, 0)


def test_apply_refuses_a_negative_index() -> None:
    """The leaf index is a non-negative integer."""
    signed = make_register(ALICE, content_sha256=content(2), media_type="text/plain", title="词")
    with pytest.raises(InvalidInput, match="index"):
        apply({}, signed, encode_leaf(signed), -1)


def test_apply_accepts_a_plain_mapping_and_leaves_it_alone(registered: AssetState) -> None:
    """apply is pure: it reads the mapping it is given and returns the new state only."""
    states = {registered.asset_id: registered}
    signed = make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(BOB))
    after = apply(states, signed, encode_leaf(signed), 1)
    assert isinstance(after, AssetState)
    assert after.owner == pub(BOB)
    assert states[registered.asset_id] is registered
    assert registered.owner == pub(OWNER)


def test_states_are_immutable(ledger: Ledger, registered: AssetState) -> None:
    """AssetState and its licences cannot be changed in place."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        registered.owner = pub(BOB)  # type: ignore[misc]
    after = grant(ledger, registered)
    with pytest.raises(TypeError):
        after.licences["x"] = next(iter(after.licences.values()))  # type: ignore[index]


def test_every_kind_has_an_applier() -> None:
    """The state machine's registry covers exactly the statement kinds."""
    assert set(APPLIERS) == set(KINDS)


# -- log handover ---------------------------------------------------------------------------


def handover(key: Ed25519PrivateKey = LOG) -> SignedStatement:
    return make_log_handover(
        key, new_origin="ledger.example.org/2", new_vkey=LOG_VKEY, final_size=2
    )


def test_handover_is_ledger_level_information(ledger: Ledger, registered: AssetState) -> None:
    """A log-handover by the log's key is recorded in the replay, not as an asset."""
    ledger.append(handover())
    result = replay(ledger.log(), log_key=pub(LOG))
    assert list(result) == [registered.asset_id]
    (recorded,) = result.handovers
    assert (recorded.index, recorded.new_origin, recorded.final_size) == (
        1,
        "ledger.example.org/2",
        2,
    )
    assert recorded.issuer == pub(LOG)
    assert result.to_json()["handovers"][0]["new_vkey"] == LOG_VKEY


def test_handover_by_another_key_is_refused(ledger: Ledger) -> None:
    """With the log's key known, a handover signed by anyone else is refused."""
    with pytest.raises(Refused, match="log's key"):
        ledger.append(handover(ALICE))


def test_handover_replayed_is_refused(ledger: Ledger, registered: AssetState) -> None:
    """The same handover leaf cannot be recorded twice, nor stand anywhere but last."""
    signed = handover()
    ledger.append(signed)
    with pytest.raises(Refused, match="already recorded at index 1"):
        ledger.append(signed)
    with pytest.raises(Refused, match="last entry"):
        ledger.append(
            make_log_handover(
                LOG, new_origin="ledger.example.org/3", new_vkey=LOG_VKEY, final_size=2
            )
        )


def test_nothing_may_follow_a_handover_in_replay(ledger: Ledger, registered: AssetState) -> None:
    """A leaf after the handover (final_size) makes replay fail at its index."""
    ledger.append(handover())
    late = make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(BOB))
    with pytest.raises(ReplayError) as caught:
        replay(enumerate([*ledger.leaves, encode_leaf(late)]), log_key=pub(LOG))
    assert caught.value.index == 2


# -- replay ---------------------------------------------------------------------------------


def test_replay_reproduces_the_live_states(ledger: Ledger, registered: AssetState) -> None:
    """Replaying the log gives exactly the states the live registry holds."""
    grant(ledger, registered)
    ledger.register(ALICE, n=2, title="《兰亭集序》摹本", iscc="ISCC:KACYPXW445FTYNJ3")
    result = replay(ledger.log())
    assert result.to_json() == ledger.state.to_json()
    assert result.size == 3


def test_replay_refuses_a_leaf_the_registry_would_refuse(
    ledger: Ledger, registered: AssetState
) -> None:
    """A refused statement smuggled into the log makes replay fail at its index."""
    stale = make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(BOB))
    ledger.append(
        make_transfer(OWNER, asset=registered.asset_id, prev=registered.head, to=pub(ALICE))
    )
    leaves = [*ledger.leaves, encode_leaf(stale)]
    with pytest.raises(ReplayError) as caught:
        replay(enumerate(leaves))
    assert caught.value.index == 2
    assert caught.value.leaf_hash == statement_hash(leaves[2])
    assert isinstance(caught.value.__cause__, Refused)
    assert "leaf 2" in caught.value.detail


def test_replay_refuses_a_corrupt_leaf(ledger: Ledger, registered: AssetState) -> None:
    """A leaf with an altered byte makes replay fail at its index."""
    leaf = bytearray(ledger.leaves[0])
    leaf[-5] ^= 1
    with pytest.raises(ReplayError) as caught:
        replay([(0, bytes(leaf))])
    assert caught.value.index == 0
    assert isinstance(caught.value.__cause__, StatementError)


def test_replay_refuses_a_gap(ledger: Ledger, registered: AssetState) -> None:
    """Leaf indexes must be consecutive from the start."""
    ledger.register(n=2)
    with pytest.raises(ReplayError, match="expected leaf index 0"):
        replay([(1, ledger.leaves[1])])


def test_replay_continues_from_a_state(ledger: Ledger, registered: AssetState) -> None:
    """Replaying the tail from the state after the head equals replaying the whole log."""
    grant(ledger, registered)
    first = replay([(0, ledger.leaves[0])])
    rest = replay([(1, ledger.leaves[1])], start=first)
    assert rest.to_json() == replay(ledger.log()).to_json()


# -- properties -----------------------------------------------------------------------------

actions = st.lists(
    st.tuples(
        st.sampled_from(["register", "transfer", "grant", "revoke", "stale"]),
        st.sampled_from([-1, -1, 0, 1, 2]),  # actor: -1 is the asset's current owner
        st.integers(1, 2),  # asset
        st.integers(0, 2),  # recipient or licence
    ),
    max_size=12,
)


def _attempt(ledger: Ledger, action: tuple[str, int, int, int]) -> SignedStatement:
    kind, actor, n, other = action
    asset = "sha256:" + content(n)
    current = ledger.state.get(asset)
    owners = {pub(k): k for k in KEYS}
    key = owners[current.owner] if actor < 0 and current else KEYS[max(actor, 0)]
    target = pub(KEYS[other])
    head = current.head if current else content(0)
    if kind == "register":
        return make_register(key, content_sha256=content(n), media_type="text/plain", title="文")
    if kind == "transfer":
        return make_transfer(key, asset=asset, prev=head, to=target)
    if kind == "grant":
        return make_grant_licence(key, asset=asset, prev=head, licensee=target, terms="CC0-1.0")
    if kind == "revoke":
        licences = sorted(current.licences) if current else []
        licence = licences[other % len(licences)] if licences else content(0)
        return make_revoke(key, asset=asset, prev=head, licence=licence)
    # "stale": a transfer made from the asset's first head, stale once anything followed it.
    first = statement_hash(ledger.leaves[current.history[0]]) if current else head
    return make_transfer(key, asset=asset, prev=first, to=target)


@given(actions)
@settings(max_examples=60, deadline=None)
def test_replay_equals_live_and_refusals_stay_refused(
    plan: list[tuple[str, int, int, int]],
) -> None:
    """For any run of statements, replaying the accepted leaves gives the live states, and
    inserting any refused leaf into the log makes replay fail at that index."""
    ledger = Ledger()
    refused: list[tuple[int, bytes]] = []
    for action in plan:
        signed = _attempt(ledger, action)
        try:
            ledger.append(signed)
        except (Refused, UnknownAsset):
            refused.append((len(ledger.leaves), encode_leaf(signed)))
    assert replay(ledger.log()).to_json() == ledger.state.to_json()
    for asset in ledger.state.values():
        assert asset.head == statement_hash(ledger.leaves[asset.head_index])
        assert list(asset.history) == sorted(set(asset.history))
        assert asset.owner in {pub(k) for k in KEYS}
    for position, leaf in refused:
        leaves = [*ledger.leaves[:position], leaf]
        with pytest.raises(ReplayError) as caught:
            replay(enumerate(leaves))
        assert caught.value.index == position
