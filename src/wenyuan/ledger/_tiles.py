"""C2SP tlog-tiles: tile paths, the tiles of a tree, entry bundles, and proofs rebuilt from tiles.

c2sp.org/tlog-tiles serves a Merkle log as static files under the log's prefix (ours is
``/ledger/``): ``tile/<L>/<N>[.p/<W>]`` holds hashes ``N·256 … N·256+W-1`` of tree level
``8·L`` (a full tile is 256 hashes, 8,192 bytes; the rightmost tile of a level is *partial*,
``.p/<W>`` with ``1 ≤ W ≤ 255``), and ``tile/entries/<N>[.p/<W>]`` the matching entries, each a
big-endian uint16 length and the bytes. ``N`` is written in 3-digit groups, all but the last
prefixed with ``x`` (1234067 is ``x001/x234/067``). Paths here are relative to the prefix.

The log side is ``tiles_for_size`` and ``tile_data`` (plus ``wenyuan.ledger._mirror`` to write
them out); the client side is ``TileReader``, which computes any complete node from the tile
that holds it and runs the one RFC 9162 recursion of ``wenyuan.ledger._merkle`` over it, so its
roots and proofs are byte for byte those of ``MerkleTree``.

Pure: no I/O beyond the ``fetch`` callable a ``TileReader`` is given.

Hazards: a ``TileReader`` trusts nothing and proves nothing by itself. Tiles come from an
untrusted server; only a root equal to a *verified* checkpoint's root hash, and proofs checked
with ``wenyuan.ledger._verify`` against it, mean anything. A reader serves one tree size (that of
one verified checkpoint: the spec forbids fetching partial tiles no checkpoint requires) and
caches without locks, so use one per checkpoint and per thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    subtree_hash,
)
from wenyuan.ledger._verify import ProofError, verify_inclusion

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileAddress",
    "TileError",
    "TilePathError",
    "TileReader",
    "decode_entries",
    "encode_entries",
    "parse_tile_path",
    "tile_data",
    "tiles_for_size",
]

TILE_HEIGHT = 8
"""Tree levels per tile: a tile at level ``L`` holds hashes of tree level ``8·L``."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile (256), and entries in a full bundle."""
MAX_ENTRY_SIZE = 0xFFFF
"""The largest entry a bundle can hold: its length is a big-endian uint16."""
_MAX_LEVEL = 63  # tlog-tiles: <L> is between 0 and 63

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_INNER_GROUP = re.compile(r"x[0-9]{3}")
_LAST_GROUP = re.compile(r"[0-9]{3}")


class TilePathError(InvalidInput):
    """A path is not a tile or entry bundle path as c2sp.org/tlog-tiles writes them.

    ``path`` is the path and ``part`` the element that is wrong. A client built a bad path (fix
    it); a server answers that no such resource exists.
    """

    title = "Not a tlog-tiles path"
    type_slug = "tile-path-error"


class TileError(InvalidInput):
    """A tile or entry bundle from the log is malformed or disagrees with the log's other tiles.

    The log or mirror served bad data (wrong length, a truncated or over-long bundle, an entry
    that does not hash to its level-0 tile hash). Keep ``path`` and the bytes as evidence, do
    not trust that source for this checkpoint, and fetch from another mirror.
    """

    title = "Malformed tile"
    type_slug = "tile-error"


@dataclass(frozen=True, slots=True)
class TileAddress:
    """One tile (``is_entries`` false) or entry bundle (true): level, index and width.

    ``width`` is 256 for a full tile and 1..255 for a partial one; an entry bundle has level 0.
    """

    level: int
    index: int
    width: int = TILE_WIDTH
    is_entries: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.level <= _MAX_LEVEL:
            raise TilePathError(
                f"tile level {self.level} is not in 0..{_MAX_LEVEL}", part="level", level=self.level
            )
        if self.is_entries and self.level != 0:
            raise TilePathError(
                f"an entry bundle has level 0, not {self.level}", part="level", level=self.level
            )
        if self.index < 0:
            raise TilePathError(
                f"tile index {self.index} is negative", part="index", index=self.index
            )
        if not 1 <= self.width <= TILE_WIDTH:
            raise TilePathError(
                f"tile width {self.width} is not in 1..{TILE_WIDTH}", part="width", width=self.width
            )

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def start(self) -> int:
        """The first node it holds, counted along tree level ``8·level`` (leaves for bundles)."""
        return self.index * TILE_WIDTH

    @property
    def end(self) -> int:
        """One past the last node it holds, along the same level."""
        return self.index * TILE_WIDTH + self.width

    def path(self) -> str:
        """The path below the log's prefix: ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/…``."""
        head = "tile/entries" if self.is_entries else f"tile/{self.level}"
        tail = f".p/{self.width}" if self.is_partial else ""
        return f"{head}/{_encode_index(self.index)}{tail}"


def _encode_index(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TileAddress:
    """The tile or bundle a path below the log's prefix names, refusing any non-canonical form.

    Raises ``TilePathError`` naming the part that is wrong: a level with leading zeroes or above
    63, index groups that are not 3 digits (``x``-prefixed but the last) or that start with a
    zero group, a width with leading zeroes or outside 1..255, or any other shape.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(
            f"{path!r} is not tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]",
            path=path,
            part="shape",
        )
    is_entries = parts[1] == "entries"
    if is_entries:
        level = 0
    elif _LEVEL.fullmatch(parts[1]) and int(parts[1]) <= _MAX_LEVEL:
        level = int(parts[1])
    else:
        raise TilePathError(
            f"level {parts[1]!r} in {path!r} is not 0..{_MAX_LEVEL} without leading zeroes "
            "(nor 'entries')",
            path=path,
            part="level",
        )
    groups = parts[2:]
    width = TILE_WIDTH
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        if not _WIDTH.fullmatch(groups[-1]) or int(groups[-1]) >= TILE_WIDTH:
            raise TilePathError(
                f"partial width {groups[-1]!r} in {path!r} is not 1..{TILE_WIDTH - 1} without "
                "leading zeroes",
                path=path,
                part="width",
            )
        width = int(groups[-1])
        groups = [*groups[:-2], groups[-2].removesuffix(".p")]
    return TileAddress(level, _parse_index(groups, path), width, is_entries)


def _parse_index(groups: list[str], path: str) -> int:
    *inner, last = groups
    for group in inner:
        if not _INNER_GROUP.fullmatch(group):
            raise TilePathError(
                f"index element {group!r} in {path!r} is not 'x' and 3 digits "
                "(all but the last element of <N> are)",
                path=path,
                part="index",
            )
    if not _LAST_GROUP.fullmatch(last):
        why = "a partial tile needs '.p/<W>'" if last.endswith(".p") else "3 digits"
        raise TilePathError(
            f"last index element {last!r} in {path!r} is not {why}", path=path, part="index"
        )
    if inner and inner[0] == "x000":
        raise TilePathError(
            f"index in {path!r} starts with a zero group 'x000': not the canonical encoding",
            path=path,
            part="index",
        )
    index = 0
    for group in groups:
        index = index * 1000 + int(group.removeprefix("x"))
    return index


def _check_size(size: int) -> None:
    if size < 0:
        raise InvalidInput(f"tree size {size} is negative", size=size)


def _tile_in(size: int, level: int, index: int, is_entries: bool = False) -> TileAddress | None:
    """Tile ``index`` of ``level`` as the tree of ``size`` has it (full or partial), or None."""
    hashes = size >> (TILE_HEIGHT * level)
    full = hashes >> TILE_HEIGHT
    if index < full:
        return TileAddress(level, index, TILE_WIDTH, is_entries)
    if index == full and hashes % TILE_WIDTH:
        return TileAddress(level, index, hashes % TILE_WIDTH, is_entries)
    return None


def tiles_for_size(size: int) -> Iterator[TileAddress]:
    """Every tile and entry bundle of the tree of ``size`` leaves, full and partial.

    Tiles level by level, lowest first, each level left to right, then the entry bundles.
    The empty tree has none; a tree of 256 leaves has tile/0/000, tile/1/000.p/1 and
    tile/entries/000.
    """
    _check_size(size)
    level = 0
    while size >> (TILE_HEIGHT * level):
        yield from _level_tiles(size, level, is_entries=False)
        level += 1
    yield from _level_tiles(size, 0, is_entries=True)


def _level_tiles(size: int, level: int, *, is_entries: bool) -> Iterator[TileAddress]:
    hashes = size >> (TILE_HEIGHT * level)
    for index in range(-(-hashes // TILE_WIDTH)):
        address = _tile_in(size, level, index, is_entries)
        if address is not None:
            yield address


def tile_data(tree: MerkleTree, address: TileAddress, size: int) -> bytes:
    """The bytes of a hash tile of the tree of ``size`` leaves (its first ``size`` of ``tree``).

    Raises ``NotFound`` for a tile that tree does not have (beyond it, or partial with another
    width than ``size`` gives), and ``InvalidInput`` for an entry bundle (build those with
    ``encode_entries``) or a size beyond ``tree``.
    """
    if address.is_entries:
        raise InvalidInput(
            f"{address.path()} is an entry bundle: it holds entries, build it with encode_entries",
            path=address.path(),
        )
    _check_size(size)
    if size > tree.size:
        raise InvalidInput(f"tree size {size} is beyond the log's size {tree.size}", size=size)
    if _tile_in(size, address.level, address.index) != address:
        raise NotFound(
            f"the tree of size {size} has no tile {address.path()}", path=address.path(), size=size
        )
    return tree.level_hashes(TILE_HEIGHT * address.level, address.start, address.end)


def encode_entries(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes.

    Raises ``InvalidInput`` for an entry above 65,535 bytes, which no bundle can hold.
    """
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise InvalidInput(
                f"entry {position} has {len(entry)} bytes; a bundle entry has at most "
                f"{MAX_ENTRY_SIZE}",
                position=position,
            )
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_entries(data: bytes, expected_count: int, *, path: str = "") -> list[bytes]:
    """The entries of a bundle that must hold exactly ``expected_count`` of them.

    Raises ``TileError`` if the bundle ends inside a length or an entry, or has bytes after the
    last expected entry. ``path`` only names the bundle in the error.
    """
    where = f" of {path}" if path else ""
    entries: list[bytes] = []
    offset = 0
    for position in range(expected_count):
        if offset + 2 > len(data):
            raise TileError(
                f"entry bundle{where} ends at byte {len(data)}, before the length of entry "
                f"{position} of {expected_count}",
                path=path,
                position=position,
            )
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise TileError(
                f"entry bundle{where} ends at byte {len(data)}, inside entry {position} "
                f"({length} bytes from byte {offset})",
                path=path,
                position=position,
            )
        entries.append(bytes(data[offset : offset + length]))
        offset += length
    if offset != len(data):
        raise TileError(
            f"entry bundle{where} has {len(data) - offset} bytes after its {expected_count} "
            "entries",
            path=path,
            position=expected_count,
        )
    return entries


class TileReader:
    """Roots, proofs and entries of the tree of ``size`` leaves, computed from fetched tiles.

    ``fetch(path)`` returns the bytes at a path below the log's prefix (``tile/0/x001/234``);
    it raises ``NotFound`` or ``StorageError`` when it cannot. Each tile and bundle is fetched
    at most once. A tile of the wrong length, or an entry that does not hash to its level-0
    tile hash, raises ``TileError``. See the module's hazards: check ``root()`` against a
    verified checkpoint before believing anything else it returns.
    """

    __slots__ = ("_bundles", "_fetch", "_nodes", "_size", "_tiles")

    def __init__(self, fetch: Callable[[str], bytes], size: int) -> None:
        _check_size(size)
        self._fetch = fetch
        self._size = size
        self._tiles: dict[TileAddress, bytes] = {}
        self._bundles: dict[int, list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return self._size

    def root(self) -> bytes:
        """The root hash of the tree of ``size`` leaves."""
        return EMPTY_ROOT if self._size == 0 else subtree_hash(self.complete_node, 0, self._size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return inclusion_path(self.complete_node, index, self._size)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of ``old_size`` leaves to ``size``."""
        return consistency_path(self.complete_node, old_size, self._size)

    def leaf(self, index: int) -> bytes:
        """Entry ``index``, from its bundle, proven to be in the tree whose ``root()`` this
        reader computes: its leaf hash must match the level-0 tile, and its inclusion proof
        (built from the tiles) must lead to ``root()``. A server that forges a lower tile
        under genuine upper tiles is caught here, not trusted."""
        if not 0 <= index < self._size:
            raise InvalidInput(f"leaf index {index} is not in a tree of {self._size} leaves")
        entry = self._bundle(index // TILE_WIDTH)[index % TILE_WIDTH]
        if leaf_hash(entry) != self.complete_node(0, index):
            bundle = _tile_in(self._size, 0, index // TILE_WIDTH, is_entries=True)
            path = bundle.path() if bundle else ""
            raise TileError(
                f"entry {index} in {path} does not hash to its leaf hash in the level-0 tile",
                path=path,
                index=index,
            )
        try:
            verify_inclusion(
                leaf_hash(entry), index, self._size, self.inclusion_proof(index), self.root()
            )
        except ProofError as exc:
            raise TileError(
                f"the tiles under entry {index} do not lead to the tree's root: {exc.detail}",
                index=index,
            ) from exc
        return entry

    def complete_node(self, level: int, index: int) -> bytes:
        """Complete node ``index`` of tree ``level``, from the tile at level ``level // 8``.

        This is the reader's ``NodeGetter``: the node is hashed up from the ``2**(level % 8)``
        tile hashes under it.
        """
        if level < 0 or not 0 <= index < self._size >> level:
            raise InvalidInput(
                f"the tree of size {self._size} has no complete node {index} at level {level}"
            )
        key = (level, index)
        cached = self._nodes.get(key)
        if cached is not None:
            return cached
        tile_level, height = divmod(level, TILE_HEIGHT)
        first = index << height  # the first hash under the node, along tree level 8·tile_level
        address = _tile_in(self._size, tile_level, first // TILE_WIDTH)
        if address is None:  # unreachable: a complete node lies in a tile the tree has
            raise InvalidInput(f"no tile of size {self._size} holds level {level} node {index}")
        data = self._tile(address)
        offset = (first % TILE_WIDTH) * HASH_SIZE
        nodes = [
            data[start : start + HASH_SIZE]
            for start in range(offset, offset + (HASH_SIZE << height), HASH_SIZE)
        ]
        while len(nodes) > 1:
            nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
        self._nodes[key] = nodes[0]
        return nodes[0]

    def _tile(self, address: TileAddress) -> bytes:
        data = self._tiles.get(address)
        if data is None:
            path = address.path()
            data = bytes(self._fetch(path))
            if len(data) != address.width * HASH_SIZE:
                raise TileError(
                    f"tile {path} has {len(data)} bytes; {address.width} hashes are "
                    f"{address.width * HASH_SIZE}",
                    path=path,
                    size=len(data),
                )
            self._tiles[address] = data
        return data

    def _bundle(self, index: int) -> list[bytes]:
        entries = self._bundles.get(index)
        if entries is None:
            address = _tile_in(self._size, 0, index, is_entries=True)
            if address is None:  # unreachable: leaf() checked the index
                raise InvalidInput(f"the tree of size {self._size} has no entry bundle {index}")
            path = address.path()
            entries = decode_entries(self._fetch(path), address.width, path=path)
            self._bundles[index] = entries
        return entries
