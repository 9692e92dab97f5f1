"""The witness cosigns only consistent, log-signed checkpoints and keeps evidence of the rest."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.ledger import EMPTY_ROOT, MerkleTree, leaf_hash
from wenyuan.ledger._note import (
    Checkpoint,
    NoteSigner,
    cosignature_timestamp,
    open_note,
    sign_note,
    split_note,
)
from wenyuan.ledger._witness import (
    MAX_PROOF_LINES,
    BadSignature,
    Evidence,
    FileWitnessState,
    InconsistentCheckpoint,
    MalformedRequest,
    MemoryWitnessState,
    SizeMismatch,
    StaleState,
    UnknownLog,
    Witness,
    format_add_checkpoint_request,
    parse_add_checkpoint_request,
)

ORIGIN = "example.com/log"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
LOG_SIGNER = NoteSigner.generate(ORIGIN)
WITNESS_SIGNER = NoteSigner.generate("witness.example/w1")


def _tree(size: int, salt: bytes = b"") -> MerkleTree:
    tree = MerkleTree()
    for i in range(size):
        tree.append(leaf_hash(salt + i.to_bytes(4, "big")))
    return tree


def _note(tree: MerkleTree, size: int, signer: NoteSigner = LOG_SIGNER) -> str:
    return sign_note(Checkpoint(ORIGIN, size, tree.root(size)).body(), [signer])


@pytest.fixture
def big_tree() -> MerkleTree:
    """A log of 40 leaves."""
    return _tree(40)


@pytest.fixture
def state(tmp_path: Path) -> FileWitnessState:
    """An empty witness state directory."""
    return FileWitnessState(tmp_path / "witness")


@pytest.fixture
def witness(state: FileWitnessState) -> Witness:
    """A witness with no record, following one log."""
    return Witness(WITNESS_SIGNER, state, {ORIGIN: LOG_SIGNER.verifier()})


@pytest.fixture
def witness_at_9(witness: Witness, big_tree: MerkleTree) -> Witness:
    """A witness that has cosigned the log at size 9."""
    witness.add_checkpoint(0, [], _note(big_tree, 9), NOW)
    return witness


def test_first_checkpoint_is_cosigned(witness: Witness, big_tree: MerkleTree) -> None:
    """From old size 0 with no proof, a signed checkpoint is cosigned at the given time."""
    note = _note(big_tree, 9)
    line = witness.add_checkpoint(0, [], note, NOW)
    assert line.startswith("— witness.example/w1 ")
    assert line.endswith("\n")
    cosigner = WITNESS_SIGNER.cosignature_verifier()
    opened = open_note(note + line, [cosigner])
    assert cosignature_timestamp(opened.signatures[0]) == int(NOW.timestamp())


def test_record_holds_log_signature_and_cosignature(witness_at_9: Witness) -> None:
    """The stored checkpoint is the body, the log's signature and the witness's cosignature."""
    stored = witness_at_9.latest_checkpoint(ORIGIN)
    opened = open_note(stored, [LOG_SIGNER.verifier(), WITNESS_SIGNER.cosignature_verifier()])
    assert len(opened.signatures) == 2
    assert opened.unverified == ()
    assert Checkpoint.parse(opened.text).size == 9


def test_consistent_growth_is_cosigned(witness_at_9: Witness, big_tree: MerkleTree) -> None:
    """9 → 33 with the tree's consistency proof is cosigned and becomes the record."""
    proof = big_tree.consistency_proof(9, 33)
    witness_at_9.add_checkpoint(9, proof, _note(big_tree, 33), NOW)
    text, _ = split_note(witness_at_9.latest_checkpoint(ORIGIN))
    assert Checkpoint.parse(text).size == 33


def test_same_checkpoint_again_is_cosigned(witness_at_9: Witness, big_tree: MerkleTree) -> None:
    """Resubmitting the recorded checkpoint (old size = size, no proof) is cosigned again."""
    line = witness_at_9.add_checkpoint(9, [], _note(big_tree, 9), NOW)
    assert line.startswith("— witness.example/w1 ")


def test_unknown_origin_is_404(witness: Witness) -> None:
    """A checkpoint from a log the witness does not follow is UnknownLog (404)."""
    other = NoteSigner.generate("other.example/log")
    note = sign_note(Checkpoint("other.example/log", 1, bytes(32)).body(), [other])
    with pytest.raises(UnknownLog) as caught:
        witness.add_checkpoint(0, [], note, NOW)
    assert caught.value.status == 404


def test_wrong_log_key_is_403(witness: Witness, big_tree: MerkleTree) -> None:
    """A checkpoint signed by another key under the log's name is BadSignature (403)."""
    impostor = NoteSigner.generate(ORIGIN)
    with pytest.raises(BadSignature) as caught:
        witness.add_checkpoint(0, [], _note(big_tree, 9, impostor), NOW)
    assert caught.value.status == 403


def test_forged_signature_is_403(witness: Witness, big_tree: MerkleTree) -> None:
    """A checkpoint whose body changed after signing is BadSignature (403)."""
    note = _note(big_tree, 9)
    forged = note.replace("\n9\n", "\n8\n", 1)
    with pytest.raises(BadSignature):
        witness.add_checkpoint(0, [], forged, NOW)


def test_old_size_above_size_is_400(witness_at_9: Witness, big_tree: MerkleTree) -> None:
    """An old size larger than the checkpoint's is a malformed request (400)."""
    with pytest.raises(MalformedRequest) as caught:
        witness_at_9.add_checkpoint(12, [], _note(big_tree, 10), NOW)
    assert caught.value.status == 400


def test_malformed_checkpoint_is_400(witness: Witness) -> None:
    """A note whose text is not a checkpoint is a malformed request."""
    with pytest.raises(MalformedRequest):
        witness.add_checkpoint(0, [], sign_note("hello\n", [LOG_SIGNER]), NOW)


def test_old_size_mismatch_is_409_with_size(witness_at_9: Witness, big_tree: MerkleTree) -> None:
    """An old size other than the recorded one is SizeMismatch carrying the witness's size."""
    with pytest.raises(SizeMismatch) as caught:
        witness_at_9.add_checkpoint(5, big_tree.consistency_proof(5, 20), _note(big_tree, 20), NOW)
    assert caught.value.size == 9
    assert caught.value.status == 409
    with pytest.raises(SizeMismatch) as fresh:
        witness_at_9.add_checkpoint(0, [], _note(big_tree, 20), NOW)
    assert fresh.value.size == 9


def test_bad_proof_is_422_with_saved_evidence(
    witness_at_9: Witness, big_tree: MerkleTree, state: FileWitnessState
) -> None:
    """A failing proof is refused with evidence (both notes and the proof), also on disk."""
    proof = big_tree.consistency_proof(9, 20)
    proof[0] = bytes(32)
    submitted = _note(big_tree, 20)
    with pytest.raises(InconsistentCheckpoint) as caught:
        witness_at_9.add_checkpoint(9, proof, submitted, NOW)
    evidence = caught.value.evidence
    assert caught.value.status == 422
    assert evidence.kind == "inconsistent-proof"
    assert evidence.cosigned_note == witness_at_9.latest_checkpoint(ORIGIN)
    assert evidence.submitted_note == submitted
    assert evidence.proof == tuple(proof)
    files = list((state.directory / "evidence").glob("*.json"))
    assert len(files) == 1
    saved = json.loads(files[0].read_text())
    assert saved["submitted_note"] == submitted
    assert saved["proof"] == [base64.b64encode(p).decode() for p in proof]
    assert "\n9\n" in witness_at_9.latest_checkpoint(ORIGIN)  # the record did not move


def test_split_view_is_refused_with_evidence(
    witness_at_9: Witness, state: FileWitnessState
) -> None:
    """A second root for the recorded size is a split view: refused and kept as evidence."""
    fork = _tree(9, salt=b"fork")
    with pytest.raises(InconsistentCheckpoint) as caught:
        witness_at_9.add_checkpoint(9, [], _note(fork, 9), NOW)
    assert caught.value.evidence.kind == "split-view"
    assert len(list((state.directory / "evidence").glob("*.json"))) == 1


def test_same_evidence_is_saved_once(witness_at_9: Witness, state: FileWitnessState) -> None:
    """Submitting the same split view twice leaves one evidence file."""
    note = _note(_tree(9, salt=b"fork"), 9)
    for _ in range(2):
        with pytest.raises(InconsistentCheckpoint):
            witness_at_9.add_checkpoint(9, [], note, NOW)
    assert len(list((state.directory / "evidence").glob("*.json"))) == 1


def test_many_bad_proofs_for_one_checkpoint_leave_one_evidence_file(
    witness_at_9: Witness, state: FileWitnessState
) -> None:
    """Proofs are signed by nobody: different bad proofs for the same pair of log-signed
    checkpoints are one claim, so anyone sending junk cannot fill the witness's disk."""
    tree = _tree(20)
    note = _note(tree, 20)
    for n in range(25):
        junk = [bytes([n]) * 32 for _ in range(len(tree.consistency_proof(9, 20)))]
        with pytest.raises(InconsistentCheckpoint):
            witness_at_9.add_checkpoint(9, junk, note, NOW)
    assert len(list((state.directory / "evidence").glob("*.json"))) == 1


def test_fork_that_grew_is_refused(witness_at_9: Witness) -> None:
    """A larger checkpoint of a forked tree cannot be proved consistent with the record."""
    fork = _tree(20, salt=b"fork")
    with pytest.raises(InconsistentCheckpoint):
        witness_at_9.add_checkpoint(9, fork.consistency_proof(9, 20), _note(fork, 20), NOW)


def test_empty_tree_needs_the_empty_root(witness: Witness) -> None:
    """A size-0 checkpoint must carry SHA-256 of nothing as its root (422 otherwise)."""
    bad = sign_note(Checkpoint(ORIGIN, 0, bytes(32)).body(), [LOG_SIGNER])
    with pytest.raises(InconsistentCheckpoint) as caught:
        witness.add_checkpoint(0, [], bad, NOW)
    assert caught.value.evidence.kind == "bad-empty-root"
    good = sign_note(Checkpoint(ORIGIN, 0, EMPTY_ROOT).body(), [LOG_SIGNER])
    assert witness.add_checkpoint(0, [], good, NOW)


def test_proof_from_zero_must_be_empty(witness: Witness, big_tree: MerkleTree) -> None:
    """From old size 0 no proof is needed, and one given is refused (422)."""
    with pytest.raises(InconsistentCheckpoint):
        witness.add_checkpoint(0, [bytes(32)], _note(big_tree, 9), NOW)


def test_naive_clock_is_refused(witness: Witness, big_tree: MerkleTree) -> None:
    """The witness needs an aware time to write a POSIX timestamp."""
    with pytest.raises(ValueError, match="timezone"):
        witness.add_checkpoint(0, [], _note(big_tree, 9), datetime(2025, 1, 1))


def test_state_survives_restart(
    witness_at_9: Witness, state: FileWitnessState, big_tree: MerkleTree
) -> None:
    """A new witness over the same directory continues from the recorded size."""
    reopened = Witness(
        WITNESS_SIGNER, FileWitnessState(state.directory), {ORIGIN: LOG_SIGNER.verifier()}
    )
    with pytest.raises(SizeMismatch) as caught:
        reopened.add_checkpoint(0, [], _note(big_tree, 12), NOW)
    assert caught.value.size == 9
    reopened.add_checkpoint(9, big_tree.consistency_proof(9, 12), _note(big_tree, 12), NOW)
    assert not list(state.directory.rglob("*.tmp"))


def test_latest_checkpoint_of_unseen_log_is_not_found(witness: Witness) -> None:
    """Monitoring a log never cosigned, or not followed, is UnknownLog."""
    with pytest.raises(UnknownLog):
        witness.latest_checkpoint(ORIGIN)
    with pytest.raises(UnknownLog):
        witness.latest_checkpoint("nobody.example/log")


class _RacingState(MemoryWitnessState):
    """A state in which another request lands just before the first one stores its result."""

    def __init__(self, rival: tuple[Witness, str] | None = None) -> None:
        super().__init__()
        self.rival = rival

    def compare_and_swap(self, origin: str, expected: str | None, new: str) -> None:
        if self.rival is not None:
            rival, note = self.rival
            self.rival = None
            rival.add_checkpoint(0, [], note, NOW)
        super().compare_and_swap(origin, expected, new)


def test_lost_race_is_409_and_does_not_roll_back(big_tree: MerkleTree) -> None:
    """Of two concurrent first submissions, the later store loses with 409; no rollback."""
    state = _RacingState()
    logs = {ORIGIN: LOG_SIGNER.verifier()}
    first, second = Witness(WITNESS_SIGNER, state, logs), Witness(WITNESS_SIGNER, state, logs)
    state.rival = (second, _note(big_tree, 30))
    with pytest.raises(SizeMismatch) as caught:
        first.add_checkpoint(0, [], _note(big_tree, 9), NOW)
    assert caught.value.size == 30
    assert "\n30\n" in state.notes[ORIGIN]


def test_memory_state_compare_and_swap() -> None:
    """compare_and_swap refuses a stale expectation."""
    state = MemoryWitnessState()
    state.compare_and_swap("o", None, "a")
    with pytest.raises(StaleState):
        state.compare_and_swap("o", None, "b")
    assert state.latest("o") == "a"


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_growth_with_the_real_proof_is_cosigned(data: st.DataObject) -> None:
    """For any sizes 0 < m <= n, the tree's own proof from m to n is accepted."""
    n = data.draw(st.integers(min_value=1, max_value=40), label="n")
    m = data.draw(st.integers(min_value=1, max_value=n), label="m")
    tree = _tree(40)
    witness = Witness(WITNESS_SIGNER, MemoryWitnessState(), {ORIGIN: LOG_SIGNER.verifier()})
    witness.add_checkpoint(0, [], _note(tree, m), NOW)
    assert witness.add_checkpoint(m, tree.consistency_proof(m, n), _note(tree, n), NOW)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_altered_proof_byte_is_refused(data: st.DataObject) -> None:
    """Changing one byte of a non-empty proof makes the witness refuse and keep evidence."""
    n = data.draw(st.integers(min_value=3, max_value=40), label="n")
    m = data.draw(st.integers(min_value=1, max_value=n - 1), label="m")
    tree = _tree(40)
    proof = tree.consistency_proof(m, n)
    which = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="hash")
    byte = data.draw(st.integers(min_value=0, max_value=31), label="byte")
    altered = bytearray(proof[which])
    altered[byte] ^= 0x01
    proof[which] = bytes(altered)
    state = MemoryWitnessState()
    witness = Witness(WITNESS_SIGNER, state, {ORIGIN: LOG_SIGNER.verifier()})
    witness.add_checkpoint(0, [], _note(tree, m), NOW)
    with pytest.raises(InconsistentCheckpoint):
        witness.add_checkpoint(m, proof, _note(tree, n), NOW)
    assert len(state.evidence) == 1


# -- wire format ----------------------------------------------------------------------------

# c2sp.org/tlog-witness, add-checkpoint "Example request body".
SPEC_REQUEST = """old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
""".encode()  # noqa: E501


def test_spec_request_parses_and_formats_back() -> None:
    """The spec's example body parses to old size, four hashes and the note, and back."""
    old_size, proof, note = parse_add_checkpoint_request(SPEC_REQUEST)
    assert old_size == 20852014
    assert len(proof) == 4
    assert proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    assert note.startswith("example.com/behind-the-sofa\n20852163\n")
    assert note.count("— ") == 2
    assert format_add_checkpoint_request(old_size, proof, note) == SPEC_REQUEST


def test_request_without_proof() -> None:
    """'old 0', an empty line and a note is a valid body."""
    body = b"old 0\n\nnote\n\n\xe2\x80\x94 k AAAAAAA=\n"
    assert parse_add_checkpoint_request(body) == (0, [], "note\n\n— k AAAAAAA=\n")


_HASH = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw="


@pytest.mark.parametrize(
    "body",
    [
        b"old 01\n\nnote\n",
        b"old -1\n\nnote\n",
        b"Old 5\n\nnote\n",
        b"old  5\n\nnote\n",
        b"old 5\nnote\n",
        b"old 5\n\n",
        f"old 5\n{_HASH[:-2]}\n\nnote\n".encode(),
        f"old 5\n{_HASH[:-1]}\n\nnote\n".encode(),
        b"old 5\nAAAA\n\nnote\n",
        f"old 5\n{_HASH} \n\nnote\n".encode(),
        ("old 5\n" + f"{_HASH}\n" * (MAX_PROOF_LINES + 1) + "\nnote\n").encode(),
        b"old 5\xff\n\nnote\n",
        b"old 5\r\n\r\nnote\n",
    ],
    ids=[
        "leading-zero",
        "negative",
        "capital",
        "two-spaces",
        "no-empty-line",
        "no-checkpoint",
        "bad-base64",
        "no-padding",
        "short-hash",
        "trailing-space",
        "64-proof-lines",
        "not-utf8",
        "crlf",
    ],
)
def test_malformed_requests_are_refused(body: bytes) -> None:
    """Each wire-format rule of add-checkpoint is enforced (400)."""
    with pytest.raises(MalformedRequest):
        parse_add_checkpoint_request(body)


def test_sixty_three_proof_lines_are_allowed() -> None:
    """63 proof lines is the limit, not over it."""
    body = ("old 5\n" + f"{_HASH}\n" * MAX_PROOF_LINES + "\nnote\n").encode()
    assert len(parse_add_checkpoint_request(body)[1]) == MAX_PROOF_LINES


@given(
    old=st.integers(min_value=0, max_value=2**64 - 1),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=MAX_PROOF_LINES),
)
def test_request_round_trips(old: int, proof: list[bytes]) -> None:
    """format then parse gives back old size, proof and note."""
    note = sign_note(Checkpoint(ORIGIN, 5, bytes(32)).body(), [LOG_SIGNER])
    body = format_add_checkpoint_request(old, proof, note)
    assert parse_add_checkpoint_request(body) == (old, proof, note)


def test_end_to_end_over_the_wire(witness: Witness, big_tree: MerkleTree) -> None:
    """A formatted request, parsed, is cosigned like a direct call."""
    body = format_add_checkpoint_request(0, [], _note(big_tree, 4))
    line = witness.add_checkpoint(*parse_add_checkpoint_request(body), NOW)
    assert line.startswith("— witness.example/w1 ")


def test_evidence_digest_ignores_time() -> None:
    """The same claim seen at two times has one digest."""
    a = Evidence("split-view", ORIGIN, "x", "y", 1, (bytes(32),), 1)
    b = Evidence("split-view", ORIGIN, "x", "y", 1, (bytes(32),), 2)
    assert a.digest() == b.digest()
