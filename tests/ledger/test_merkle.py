"""The Merkle tree and its proofs: RFC 6962/9162 reference vectors and properties."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.core.errors import InvalidInput
from wenyuan.ledger import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "data" / "merkle-testdata" / "testdata"

# The eight leaves of RFC 6962's reference tree (Certificate Transparency test data), and the
# tree heads of their prefixes; the same values appear in the reference vectors below.
RFC6962_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _tree(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(leaf_hash(leaf) for leaf in leaves)
    return tree


def _reference_root(hashes: list[bytes]) -> bytes:
    """RFC 9162 MTH by its recursive definition, to check the flat tree against."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_reference_root(hashes[:split]), _reference_root(hashes[split:]))


def _cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    if not files:
        pytest.skip(f"reference vectors not found under {VECTORS / kind}")
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS))) for f in files]


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


def test_tree_heads_match_rfc6962_reference_tree() -> None:
    tree = _tree(RFC6962_LEAVES)
    assert tree.root(0) == hashlib.sha256(b"").digest()
    for size, expected in enumerate(RFC6962_ROOTS, start=1):
        assert tree.root(size).hex() == expected


@pytest.mark.parametrize("case", _cases("inclusion"))
def test_inclusion_reference_vectors(case: dict[str, Any]) -> None:
    leaf = base64.b64decode(case["leafHash"] or "")
    root = base64.b64decode(case["root"] or "")
    args = (leaf, case["leafIdx"], case["treeSize"], _b64(case["proof"]), root)
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("case", _cases("consistency"))
def test_consistency_reference_vectors(case: dict[str, Any]) -> None:
    args = (
        case["size1"],
        case["size2"],
        _b64(case["proof"]),
        base64.b64decode(case["root1"] or ""),
        base64.b64decode(case["root2"] or ""),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_generated_proofs_equal_the_reference_vectors() -> None:
    """Our proofs for the RFC 6962 tree are byte-for-byte the vectors' proofs."""
    tree = _tree(RFC6962_LEAVES)
    checked = 0
    for path in sorted((VECTORS / "inclusion").rglob("*.json")):
        case = json.loads(path.read_text())
        root = base64.b64decode(case["root"] or "")
        size = case["treeSize"]
        if case["wantErr"] or not 0 < size <= 8 or tree.root(size) != root:
            continue
        assert tree.inclusion_proof(case["leafIdx"], size) == _b64(case["proof"]), path
        checked += 1
    for path in sorted((VECTORS / "consistency").rglob("*.json")):
        case = json.loads(path.read_text())
        size1, size2 = case["size1"], case["size2"]
        if case["wantErr"] or not 0 < size1 <= size2 <= 8:
            continue
        if tree.root(size2) != base64.b64decode(case["root2"] or ""):
            continue
        assert tree.consistency_proof(size1, size2) == _b64(case["proof"]), path
        checked += 1
    assert checked >= 10


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
@settings(max_examples=150, deadline=None)
def test_any_inclusion_proof_verifies_and_any_altered_byte_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = _tree(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    assert root == _reference_root([leaf_hash(x) for x in leaves[:size]])
    verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
    assert len(proof) <= (size - 1).bit_length()

    # Any altered byte, of the proof, the leaf or the root, fails.
    items = [leaf_hash(leaves[index]), root, *proof]
    which = data.draw(st.integers(0, len(items) - 1))
    byte = data.draw(st.integers(0, 31))
    altered = bytearray(items[which])
    altered[byte] ^= 1 << data.draw(st.integers(0, 7))
    items[which] = bytes(altered)
    with pytest.raises(ProofError):
        verify_inclusion(items[0], index, size, items[2:], items[1])


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
@settings(max_examples=150, deadline=None)
def test_any_consistency_proof_verifies_and_any_altered_byte_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = _tree(leaves)
    new = data.draw(st.integers(1, len(leaves)))
    old = data.draw(st.integers(1, new))
    proof = tree.consistency_proof(old, new)
    verify_consistency(old, new, proof, tree.root(old), tree.root(new))
    items = [tree.root(old), tree.root(new), *proof]
    which = data.draw(st.integers(0, len(items) - 1))
    altered = bytearray(items[which])
    altered[data.draw(st.integers(0, 31))] ^= 0x80
    items[which] = bytes(altered)
    with pytest.raises(ProofError):
        verify_consistency(old, new, items[2:], items[0], items[1])


def test_a_proof_against_the_wrong_size_fails() -> None:
    tree = _tree([bytes([i]) for i in range(13)])
    proof = tree.inclusion_proof(4, 13)
    with pytest.raises(ProofError):
        verify_inclusion(tree.leaf_hash_at(4), 4, 12, proof, tree.root(12))
    assert root_from_inclusion_proof(tree.leaf_hash_at(4), 4, 13, proof) == tree.root(13)


def test_split_view_is_named() -> None:
    with pytest.raises(ProofError, match="split view"):
        verify_consistency(5, 5, [], b"\x01" * 32, b"\x02" * 32)


def test_level_hashes_are_the_complete_nodes() -> None:
    tree = _tree([bytes([i]) for i in range(10)])
    assert [tree.level_width(level) for level in range(5)] == [10, 5, 2, 1, 0]
    assert tree.level_hashes(3, 0, 1) == tree.root(8)
    assert tree.level_hashes(1, 1, 2) == node_hash(tree.leaf_hash_at(2), tree.leaf_hash_at(3))
    with pytest.raises(InvalidInput):
        tree.level_hashes(1, 0, 6)


def test_bad_requests_are_refused() -> None:
    tree = _tree([b"a", b"b", b"c"])
    with pytest.raises(InvalidInput):
        tree.inclusion_proof(3, 3)
    with pytest.raises(InvalidInput):
        tree.consistency_proof(2, 4)
    with pytest.raises(InvalidInput):
        tree.root(4)
    with pytest.raises(InvalidInput):
        tree.append(b"short")


@given(st.lists(st.integers(0, 40), min_size=1, max_size=12))
@settings(max_examples=100, deadline=None)
def test_extending_in_batches_builds_the_same_levels_as_appending_one_by_one(
    batches: list[int],
) -> None:
    one_by_one, batched = MerkleTree(), MerkleTree()
    counter = 0
    for size in batches:
        hashes = [leaf_hash(b"%d" % (counter + k)) for k in range(size)]
        counter += size
        for item in hashes:
            one_by_one.append(item)
        batched.extend(hashes)
    assert batched.size == one_by_one.size == counter
    for level in range(max(counter, 1).bit_length() + 1):
        width = one_by_one.level_width(level)
        assert batched.level_width(level) == width
        assert batched.level_hashes(level, 0, width) == one_by_one.level_hashes(level, 0, width)
    with pytest.raises(InvalidInput):
        batched.extend([b"\x00" * 31, b"\x00" * 33])
