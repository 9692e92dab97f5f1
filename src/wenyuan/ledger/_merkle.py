"""RFC 9162 Merkle tree hashing and proof generation over an in-memory hash tree.

The tree keeps every *complete* node: level 0 holds the leaf hashes, level ``k`` the hash of
each full run of ``2**k`` leaves. For ``n`` leaves that is fewer than ``2n`` hashes (64 MiB at
a million entries), which makes any proof a handful of slices: a node that covers the ragged
right edge of a tree of size ``n`` is rebuilt from at most ``log2(n)`` complete nodes.

Hashing is RFC 9162 section 2.1.1: a leaf is ``SHA-256(0x00 ‖ data)``, an interior node
``SHA-256(0x01 ‖ left ‖ right)``, the empty tree ``SHA-256("")``. The proofs follow 2.1.3
(inclusion) and 2.1.4 (consistency) and are checked against the Certificate Transparency
reference vectors; their verification lives in ``wenyuan.ledger._verify``.

The RFC recursion is written once, as module functions over a *node getter*
(``complete_node(level, index) -> bytes``): ``subtree_hash``, ``inclusion_path`` and
``consistency_path``. ``MerkleTree`` passes its in-memory levels; the tiles client
(``wenyuan.ledger._tiles.TileReader``) passes a getter that reads fetched tiles, so both produce
the same proofs from the same code.

Hazard: a ``MerkleTree`` is not thread-safe for writers. The log appends from one writer
thread; readers take a size first and ask only about sizes at or below it, which stay valid
because levels only grow.

Written here rather than taken from a library: the Python Merkle libraries keep trees in
per-node objects or in SQL and generate proofs in milliseconds (pymerkle is the benchmark
peer); the log needs microseconds at a million entries, which the flat level layout gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TypeAlias

from wenyuan.core.errors import InvalidInput

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "NodeGetter",
    "consistency_path",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "subtree_hash",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256

NodeGetter: TypeAlias = Callable[[int, int], bytes]
"""``complete_node(level, index)``: the hash of leaves ``[index·2**level, (index+1)·2**level)``.

It is only ever asked for nodes that are complete in the tree size the caller works on."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf: ``SHA-256(0x00 ‖ data)``.

    >>> leaf_hash(b"").hex()  # RFC 6962's test vector for the empty leaf
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'
    """
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 ‖ left ‖ right)``.

    >>> import hashlib
    >>> a, b = leaf_hash(b"a"), leaf_hash(b"b")
    >>> node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest() != node_hash(b, a)
    True
    """
    return _sha256(b"\x01" + left + right).digest()


def subtree_hash(node: NodeGetter, start: int, end: int) -> bytes:
    """The RFC 9162 hash of leaves ``[start, end)``, built from complete nodes.

    ``[start, end)`` must be a node of some RFC 9162 tree: non-empty, with ``start`` a multiple
    of the smallest power of two at or above ``end - start`` (every subtree the RFC asks for is).
    """
    width = end - start
    if start < 0 or width <= 0 or start % (1 << (width - 1).bit_length()):
        raise InvalidInput(f"leaves [{start}, {end}) are not a node of an RFC 9162 tree")
    return _subtree(node, start, end)


def inclusion_path(node: NodeGetter, index: int, size: int) -> list[bytes]:
    """The RFC 9162 (2.1.3.1) inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise InvalidInput(f"leaf index {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    _path(node, index, 0, size, proof)
    return proof


def consistency_path(node: NodeGetter, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 (2.1.4.1) consistency proof from ``old_size`` to ``new_size`` leaves."""
    if not 0 < old_size <= new_size:
        raise InvalidInput(
            f"a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}"
        )
    proof: list[bytes] = []
    if old_size < new_size:
        _subproof(node, old_size, 0, new_size, True, proof)
    return proof


def _subtree(node: NodeGetter, start: int, end: int) -> bytes:
    width = end - start
    if width & (width - 1) == 0:  # a power of two at an aligned start: one complete node
        level = width.bit_length() - 1
        return node(level, start >> level)
    split = 1 << ((width - 1).bit_length() - 1)  # RFC 9162's k: largest power of 2 < width
    return node_hash(_subtree(node, start, start + split), _subtree(node, start + split, end))


def _path(node: NodeGetter, index: int, start: int, end: int, proof: list[bytes]) -> None:
    width = end - start
    if width == 1:
        return
    split = 1 << ((width - 1).bit_length() - 1)  # RFC 9162's k: largest power of 2 < width
    if index < start + split:
        _path(node, index, start, start + split, proof)
        proof.append(_subtree(node, start + split, end))
    else:
        _path(node, index, start + split, end, proof)
        proof.append(_subtree(node, start, start + split))


def _subproof(
    node: NodeGetter, m: int, start: int, end: int, whole: bool, proof: list[bytes]
) -> None:
    width = end - start
    if m == width:
        if not whole:
            proof.append(_subtree(node, start, end))
        return
    split = 1 << ((width - 1).bit_length() - 1)  # RFC 9162's k: largest power of 2 < width
    if m <= split:
        _subproof(node, m, start, start + split, whole, proof)
        proof.append(_subtree(node, start + split, end))
    else:
        _subproof(node, m - split, start + split, end, False, proof)
        proof.append(_subtree(node, start, start + split))


class MerkleTree:
    """The complete-node hashes of an append-only tree, with roots and proofs for any size.

    >>> tree = MerkleTree()
    >>> [tree.append(leaf_hash(data)) for data in (b"a", b"b", b"c")]
    [0, 1, 2]
    >>> ab = node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
    >>> tree.root(2) == ab and tree.root() == node_hash(ab, leaf_hash(b"c"))
    True
    >>> tree.inclusion_proof(2, 3) == [ab]  # c's sibling on the way up: the node a+b
    True
    >>> tree.consistency_proof(2, 3) == [leaf_hash(b"c")]
    True
    >>> tree.root(4)
    Traceback (most recent call last):
    ...
    wenyuan.core.errors.InvalidInput: tree size 4 is beyond the log's size 3
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> int:
        """Add a leaf *hash*; returns its index."""
        if len(leaf) != HASH_SIZE:
            raise InvalidInput(f"a leaf hash has {HASH_SIZE} bytes, got {len(leaf)}")
        index = self._size
        levels = self._levels
        levels[0] += leaf
        node = leaf
        position = index
        level = 0
        while position & 1:
            level_bytes = levels[level]
            left = bytes(level_bytes[(position - 1) * HASH_SIZE : position * HASH_SIZE])
            node = _sha256(b"\x01" + left + node).digest()
            level += 1
            position >>= 1
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += node
        self._size = index + 1
        return index

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add many leaf hashes in order, a level at a time.

        Each level's new complete nodes are hashed in one pass over the level below, which
        is a fifth cheaper than adding the leaves one by one (the log's batch commit and
        its reopen go through here).
        """
        hashes = leaves if isinstance(leaves, list) else list(leaves)
        if not hashes:
            return
        joined = b"".join(hashes)
        if len(joined) != HASH_SIZE * len(hashes) or any(len(h) != HASH_SIZE for h in hashes):
            raise InvalidInput(f"every leaf hash has {HASH_SIZE} bytes")
        levels = self._levels
        low, high = self._size, self._size + len(hashes)  # the new nodes of the level
        levels[0] += joined
        level = 0
        sha256 = _sha256
        while high // 2 > low // 2:
            below = levels[level]
            if level + 1 == len(levels):
                levels.append(bytearray())
            levels[level + 1] += b"".join(
                [
                    sha256(b"\x01" + below[2 * i * HASH_SIZE : (2 * i + 2) * HASH_SIZE]).digest()
                    for i in range(low // 2, high // 2)
                ]
            )
            low, high = low // 2, high // 2
            level += 1
        self._size += len(hashes)

    def leaf_hash_at(self, index: int) -> bytes:
        self._check_index(index, self._size)
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def level_width(self, level: int) -> int:
        """How many complete nodes ``level`` holds."""
        return len(self._levels[level]) // HASH_SIZE if level < len(self._levels) else 0

    def level_hashes(self, level: int, start: int, end: int) -> bytes:
        """Complete node hashes ``start`` to ``end`` (exclusive) of ``level``, concatenated.

        This is what a tlog tile holds.
        """
        if not 0 <= start <= end <= self.level_width(level):
            raise InvalidInput(f"level {level} has {self.level_width(level)} complete nodes")
        if start == end:
            return b""
        return bytes(self._levels[level][start * HASH_SIZE : end * HASH_SIZE])

    def complete_node(self, level: int, index: int) -> bytes:
        """The complete node ``index`` of ``level``: this tree's ``NodeGetter``."""
        levels = self._levels
        offset = index * HASH_SIZE
        if index < 0 or level >= len(levels) or offset + HASH_SIZE > len(levels[level]):
            raise InvalidInput(f"level {level} has no complete node {index}")
        return bytes(levels[level][offset : offset + HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """The tree head of the first ``size`` leaves (default: all of them)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise InvalidInput(f"tree size {size} is beyond the log's size {self._size}")
        if size == 0:
            return EMPTY_ROOT
        return _subtree(self._node, 0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        self._check_size(size)
        self._check_index(index, size)
        return inclusion_path(self._node, index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof between tree sizes ``old_size`` and ``new_size``."""
        self._check_size(new_size)
        return consistency_path(self._node, old_size, new_size)

    # -- internals --------------------------------------------------------------------------

    def _node(self, level: int, index: int) -> bytes:
        """``complete_node`` unchecked, for sizes already checked against this tree."""
        return bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def _check_size(self, size: int) -> None:
        if not 0 < size <= self._size:
            raise InvalidInput(f"tree size {size} is not in 1..{self._size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise InvalidInput(f"leaf index {index} is not in a tree of {size} leaves")
