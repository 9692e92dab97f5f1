"""RFC 9162 Merkle tree hashing and proof generation over an in-memory hash tree.

The tree keeps every *complete* node: level 0 holds the leaf hashes, level ``k`` the hash of
each full run of ``2**k`` leaves. For ``n`` leaves that is fewer than ``2n`` hashes (64 MiB at
a million entries), which makes any proof a handful of slices: a node that covers the ragged
right edge of a tree of size ``n`` is rebuilt from at most ``log2(n)`` complete nodes.

Hashing is RFC 9162 section 2.1.1: a leaf is ``SHA-256(0x00 ‖ data)``, an interior node
``SHA-256(0x01 ‖ left ‖ right)``, the empty tree ``SHA-256("")``. The proofs follow 2.1.3
(inclusion) and 2.1.4 (consistency) and are checked against the Certificate Transparency
reference vectors; their verification lives in ``wenyuan.ledger.verify``.

Hazard: a ``MerkleTree`` is not thread-safe for writers. The log appends from one writer
thread; readers take a size first and ask only about sizes at or below it, which stay valid
because levels only grow.

Written here rather than taken from a library: the Python Merkle libraries keep trees in
per-node objects or in SQL and generate proofs in milliseconds (pymerkle is the benchmark
peer); the log needs microseconds at a million entries, which the flat level layout gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from wenyuan.core.errors import InvalidInput

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "MerkleTree", "leaf_hash", "node_hash"]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf: ``SHA-256(0x00 ‖ data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """The complete-node hashes of an append-only tree, with roots and proofs for any size."""

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
        """Add many leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

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
        return bytes(self._levels[level][start * HASH_SIZE : end * HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """The tree head of the first ``size`` leaves (default: all of them)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise InvalidInput(f"tree size {size} is beyond the log's size {self._size}")
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        self._check_size(size)
        self._check_index(index, size)
        proof: list[bytes] = []
        self._path(index, 0, size, proof)
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof between tree sizes ``old_size`` and ``new_size``."""
        self._check_size(new_size)
        if not 0 < old_size <= new_size:
            raise InvalidInput(
                f"a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}"
            )
        proof: list[bytes] = []
        if old_size < new_size:
            self._subproof(old_size, 0, new_size, True, proof)
        return proof

    # -- internals --------------------------------------------------------------------------

    def _check_size(self, size: int) -> None:
        if not 0 < size <= self._size:
            raise InvalidInput(f"tree size {size} is not in 1..{self._size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise InvalidInput(f"leaf index {index} is not in a tree of {size} leaves")

    def _subtree(self, start: int, end: int) -> bytes:
        """The hash of leaves ``[start, end)``, where ``start`` is a multiple of the largest
        power of two below ``end - start`` (every subtree RFC 9162 asks for is)."""
        width = end - start
        level = (width & -width).bit_length() - 1  # the largest aligned complete block
        if width == 1 << level and start % width == 0:
            position = start >> level
            data = self._levels[level]
            return bytes(data[position * HASH_SIZE : (position + 1) * HASH_SIZE])
        split = 1 << ((width - 1).bit_length() - 1)
        return node_hash(self._subtree(start, start + split), self._subtree(start + split, end))

    def _path(self, index: int, start: int, end: int, proof: list[bytes]) -> None:
        width = end - start
        if width == 1:
            return
        split = 1 << ((width - 1).bit_length() - 1)
        if index < start + split:
            self._path(index, start, start + split, proof)
            proof.append(self._subtree(start + split, end))
        else:
            self._path(index, start + split, end, proof)
            proof.append(self._subtree(start, start + split))

    def _subproof(self, m: int, start: int, end: int, whole: bool, proof: list[bytes]) -> None:
        width = end - start
        if m == width:
            if not whole:
                proof.append(self._subtree(start, end))
            return
        split = 1 << ((width - 1).bit_length() - 1)
        if m <= split:
            self._subproof(m, start, start + split, whole, proof)
            proof.append(self._subtree(start + split, end))
        else:
            self._subproof(m - split, start + split, end, False, proof)
            proof.append(self._subtree(start, start + split))
