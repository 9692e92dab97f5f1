"""tlog-tiles: paths, the tiles of a tree, entry bundles, proofs from tiles, and the mirror."""

from __future__ import annotations

import base64
import functools
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wenyuan.core.errors import Conflict, InvalidInput, NotFound
from wenyuan.ledger import ProofError, verify_consistency, verify_inclusion
from wenyuan.ledger._merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    node_hash,
    subtree_hash,
)
from wenyuan.ledger._mirror import mirror_fetcher, write_mirror
from wenyuan.ledger._tiles import (
    TileAddress,
    TileError,
    TilePathError,
    TileReader,
    decode_entries,
    encode_entries,
    parse_tile_path,
    tile_data,
    tiles_for_size,
)

BIG = 70_100  # leaves in the shared tree: past 65,536 = 256**2 and the spec's 70,000 example


def _entry(index: int) -> bytes:
    return b"wenyuan entry %d" % index


@functools.cache
def _big_tree() -> MerkleTree:
    tree = MerkleTree()
    tree.extend(leaf_hash(_entry(i)) for i in range(BIG))
    return tree


def _read_leaves(start: int, end: int) -> list[bytes]:
    return [_entry(i) for i in range(start, end)]


def _log_fetch(tree: MerkleTree, size: int, log: list[str] | None = None) -> Callable[[str], bytes]:
    """What the log serves below its prefix, straight from the tree (no files)."""

    def fetch(path: str) -> bytes:
        if log is not None:
            log.append(path)
        address = parse_tile_path(path)
        if address.is_entries:
            return encode_entries(_read_leaves(address.start, address.end))
        return tile_data(tree, address, size)

    return fetch


def _reference_root(hashes: list[bytes]) -> bytes:
    """RFC 9162 MTH by its recursive definition, independent of the flat tree."""
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_reference_root(hashes[:split]), _reference_root(hashes[split:]))


def _checkpoint(tree: MerkleTree, size: int) -> str:
    root = base64.b64encode(tree.root(size)).decode()
    return f"wenyuan.example/ledger\n{size}\n{root}\n"


# -- paths ----------------------------------------------------------------------------------

# Examples from the text of c2sp.org/tlog-tiles (github.com/C2SP/C2SP, tlog-tiles.md at
# 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9): "index 1234067 will be encoded as x001/x234/067";
# a tree of 70,000 has "one partial level 0 tile of width 112 … one partial level 1 tile of
# width 17, and one partial level 2 tile of width 1"; the rest follow the same rules.
PATHS = [
    pytest.param(TileAddress(0, 1234067), "tile/0/x001/x234/067", id="spec-1234067"),
    pytest.param(TileAddress(0, 273, 112), "tile/0/273.p/112", id="spec-70000-level0"),
    pytest.param(TileAddress(1, 1, 17), "tile/1/001.p/17", id="spec-70000-level1"),
    pytest.param(TileAddress(2, 0, 1), "tile/2/000.p/1", id="spec-70000-level2"),
    pytest.param(TileAddress(0, 0), "tile/0/000", id="first"),
    pytest.param(TileAddress(0, 999), "tile/0/999", id="last-single-group"),
    pytest.param(TileAddress(0, 1000), "tile/0/x001/000", id="first-two-groups"),
    pytest.param(TileAddress(63, 5, 255), "tile/63/005.p/255", id="highest-level-widest-partial"),
    pytest.param(TileAddress(0, 1234067, 5, True), "tile/entries/x001/x234/067.p/5", id="entries"),
    pytest.param(TileAddress(0, 12, is_entries=True), "tile/entries/012", id="entries-full"),
]


@pytest.mark.parametrize(("address", "path"), PATHS)
def test_paths_are_written_and_read_as_the_spec_shows(address: TileAddress, path: str) -> None:
    """A tile address and its path are each other's image."""
    assert address.path() == path
    assert parse_tile_path(path) == address


addresses = st.builds(
    TileAddress,
    level=st.integers(0, 63),
    index=st.integers(0, 10**15),
    width=st.integers(1, 256),
).flatmap(lambda a: st.sampled_from([a, TileAddress(0, a.index, a.width, True)]))


@given(addresses)
def test_every_address_round_trips_through_its_path(address: TileAddress) -> None:
    """parse_tile_path(address.path()) is the address."""
    assert parse_tile_path(address.path()) == address


@given(addresses, st.data())
def test_a_mutated_path_parses_only_if_it_is_canonical(
    address: TileAddress, data: st.DataObject
) -> None:
    """A path with any one character edited is refused, or is the canonical path it names."""
    path = address.path()
    position = data.draw(st.integers(0, len(path)))
    char = data.draw(st.sampled_from("0123456789x./pentile-+ ٣"))
    edit = data.draw(st.sampled_from(["insert", "replace", "delete"]))
    if edit == "insert":
        mutated = path[:position] + char + path[position:]
    elif edit == "replace":
        mutated = path[:position] + char + path[position + 1 :]
    else:
        mutated = path[:position] + path[position + 1 :]
    try:
        parsed = parse_tile_path(mutated)
    except TilePathError:
        return
    assert parsed.path() == mutated


REFUSED = [
    ("tile/00/000", "level"),
    ("tile/07/000", "level"),
    ("tile/64/000", "level"),
    ("tile/-1/000", "level"),
    ("tile/data/000", "level"),
    ("tile/0/0", "index"),
    ("tile/0/0000", "index"),
    ("tile/0/x000/067", "index"),  # 67 is "067": a leading zero group is not canonical
    ("tile/0/001/234", "index"),  # inner elements begin with x
    ("tile/0/x001/x234", "index"),  # the last element does not
    ("tile/0/X001/234", "index"),
    ("tile/8/0/000", "index"),  # golang.org/x/mod's tile/<H>/<L>/<N> form is not tlog-tiles
    ("tile/0/٠٠٠", "index"),  # Arabic-Indic digits are digits to Python, not to the spec
    ("tile/0/000/", "index"),
    ("tile/0//000", "index"),
    ("tile/0/000.p", "index"),
    ("tile/0/000.p/0", "width"),
    ("tile/0/000.p/256", "width"),
    ("tile/0/000.p/07", "width"),
    ("tile/0/000.p/+7", "width"),
    ("tile/0/000.p/", "width"),
    ("tile/0/000.p/1/2", "index"),
    ("tile/entries/x000/001", "index"),
    ("tile/entries/000.p/256", "width"),
    ("/tile/0/000", "shape"),
    ("tiles/0/000", "shape"),
    ("tile/0", "shape"),
    ("tile/entries", "shape"),
    ("checkpoint", "shape"),
    ("", "shape"),
]


@pytest.mark.parametrize(("path", "part"), REFUSED, ids=[p or "empty" for p, _ in REFUSED])
def test_non_canonical_and_unknown_paths_are_refused_naming_the_part(path: str, part: str) -> None:
    """parse_tile_path refuses every form the spec does not write, and says which part is wrong."""
    with pytest.raises(TilePathError) as caught:
        parse_tile_path(path)
    assert caught.value.context["part"] == part
    assert repr(path) in str(caught.value)
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize(
    ("args", "part"),
    [
        pytest.param((64, 0), "level", id="level-64"),
        pytest.param((-1, 0), "level", id="level-negative"),
        pytest.param((0, -1), "index", id="index-negative"),
        pytest.param((0, 0, 0), "width", id="width-0"),
        pytest.param((0, 0, 257), "width", id="width-257"),
        pytest.param((1, 0, 256, True), "level", id="entries-above-level-0"),
    ],
)
def test_impossible_addresses_are_refused(args: tuple[int, ...], part: str) -> None:
    """A TileAddress holds only what a tile path can say."""
    with pytest.raises(TilePathError) as caught:
        TileAddress(*args)  # type: ignore[arg-type]
    assert caught.value.context["part"] == part


# -- the tiles of a tree ----------------------------------------------------------------------


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    """Size 70,000: 273 full level-0 tiles, .p/112, one full level-1 tile, .p/17, level 2 .p/1."""
    tiles = list(tiles_for_size(70_000))
    hashes = [t for t in tiles if not t.is_entries]
    entries = [t for t in tiles if t.is_entries]
    assert [t for t in hashes if t.level == 0 and not t.is_partial] == [
        TileAddress(0, n) for n in range(273)
    ]
    assert [t for t in hashes if t.is_partial or t.level > 0] == [
        TileAddress(0, 273, 112),
        TileAddress(1, 0),
        TileAddress(1, 1, 17),
        TileAddress(2, 0, 1),
    ]
    assert entries == [TileAddress(0, n, 256, True) for n in range(273)] + [
        TileAddress(0, 273, 112, True)
    ]


def test_a_tree_of_256_has_a_full_tile_and_a_partial_level_1_tile() -> None:
    """The spec: 'a tree of size 256 will be represented by a full level 0 tile and a partial
    level 1 tile of width 1'."""
    assert [t.path() for t in tiles_for_size(256)] == [
        "tile/0/000",
        "tile/1/000.p/1",
        "tile/entries/000",
    ]


def test_the_empty_tree_has_no_tiles() -> None:
    """'Empty tiles MUST NOT be served': size 0 has none, and a negative size is refused."""
    assert list(tiles_for_size(0)) == []
    with pytest.raises(InvalidInput):
        list(tiles_for_size(-1))


@given(st.integers(0, 4 * 256**2))
@example(256**3 + 256 + 1)  # reaches level 3 and leaves a partial tile on every level
@settings(deadline=None)
def test_tiles_for_size_follows_the_spec_formulas(size: int) -> None:
    """Level l has size // 256**(l+1) full tiles and one of width (size // 256**l) mod 256."""
    tiles = list(tiles_for_size(size))
    kinds: dict[tuple[int, bool], list[TileAddress]] = {}
    for tile in tiles:
        kinds.setdefault((tile.level, tile.is_entries), []).append(tile)
    for level, is_entries in [(0, False), (1, False), (2, False), (3, False), (0, True)]:
        at_level = kinds.pop((level, is_entries), [])
        full = [t.index for t in at_level if not t.is_partial]
        partial = [(t.index, t.width) for t in at_level if t.is_partial]
        assert full == list(range(size // 256 ** (level + 1)))
        width = (size // 256**level) % 256
        assert partial == ([(size // 256 ** (level + 1), width)] if width else [])
    assert not kinds  # no level above 3
    assert len(tiles) == len(set(tiles))


def test_tile_hashes_are_the_merkle_tree_hashes_of_the_spec_formula() -> None:
    """Hash i of tile n at level l is MTH(D[(n·256+i)·256**l : (n·256+i+1)·256**l])."""
    tree = _big_tree()
    leaves = [tree.leaf_hash_at(i) for i in range(BIG)]
    level1 = tile_data(tree, TileAddress(1, 0), BIG)
    for i in (0, 1, 77, 255):
        assert level1[32 * i : 32 * i + 32] == _reference_root(leaves[i * 256 : (i + 1) * 256])
    level2 = tile_data(tree, TileAddress(2, 0, 1), BIG)
    assert level2 == _reference_root(leaves[:65_536]) == tree.root(65_536)
    assert tile_data(tree, TileAddress(0, 3), BIG) == b"".join(leaves[768:1024])


@pytest.mark.parametrize(
    ("address", "size", "error"),
    [
        pytest.param(TileAddress(0, 1), 300, NotFound, id="full-tile-not-yet-full"),
        pytest.param(TileAddress(0, 1, 43), 300, NotFound, id="partial-of-another-size"),
        pytest.param(TileAddress(0, 1, 44), 256, NotFound, id="partial-beyond-the-tree"),
        pytest.param(TileAddress(1, 0, 2), 256, NotFound, id="partial-too-wide"),
        pytest.param(TileAddress(3, 0, 1), 70_000, NotFound, id="level-above-the-tree"),
        pytest.param(TileAddress(0, 0, 44), 0, NotFound, id="empty-tree"),
        pytest.param(TileAddress(0, 0), BIG + 256, InvalidInput, id="size-beyond-the-log"),
        pytest.param(TileAddress(0, 0, 256, True), 300, InvalidInput, id="entry-bundle"),
    ],
)
def test_tile_data_refuses_tiles_the_tree_does_not_have(
    address: TileAddress, size: int, error: type[Exception]
) -> None:
    """tile_data serves only the tiles of the tree of the given size."""
    with pytest.raises(error):
        tile_data(_big_tree(), address, size)


# -- entry bundles ----------------------------------------------------------------------------


def test_an_entry_bundle_is_uint16_lengths_and_bytes() -> None:
    """Each entry is a big-endian uint16 length, then its bytes; 65,535 bytes is the most."""
    assert encode_entries([b"", b"ab", b"\x00"]) == b"\x00\x00\x00\x02ab\x00\x01\x00"
    largest = b"\xff" * 65_535
    assert decode_entries(encode_entries([largest]), 1) == [largest]
    with pytest.raises(InvalidInput, match="entry 1 has 65536 bytes"):
        encode_entries([b"", b"\x00" * 65_536])


@given(st.lists(st.binary(max_size=600), max_size=256))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    """decode_entries(encode_entries(e), len(e)) is e."""
    assert decode_entries(encode_entries(entries), len(entries)) == entries


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=20), st.data())
def test_a_cut_or_padded_bundle_is_refused(entries: list[bytes], data: st.DataObject) -> None:
    """A bundle missing any tail, or with any bytes added, is a TileError."""
    bundle = encode_entries(entries)
    cut = data.draw(st.integers(1, len(bundle)))
    with pytest.raises(TileError):
        decode_entries(bundle[:-cut], len(entries))
    extra = data.draw(st.binary(min_size=1, max_size=5))
    with pytest.raises(TileError):
        decode_entries(bundle + extra, len(entries))


@pytest.mark.parametrize(
    ("data", "count", "message"),
    [
        pytest.param(b"", 1, "before the length of entry 0", id="empty"),
        pytest.param(b"\x00", 1, "before the length of entry 0", id="half-a-length"),
        pytest.param(b"\x00\x03ab", 1, "inside entry 0", id="short-entry"),
        pytest.param(b"\x00\x01a\x00\x00", 1, "2 bytes after its 1 entries", id="one-too-many"),
        pytest.param(b"\x00\x00", 0, "2 bytes after its 0 entries", id="expected-none"),
    ],
)
def test_malformed_bundles_are_refused_saying_where(data: bytes, count: int, message: str) -> None:
    """decode_entries names the entry or the byte count that is wrong."""
    with pytest.raises(TileError, match=message):
        decode_entries(data, count, path="tile/entries/000.p/1")


# -- the shared RFC 9162 recursion ------------------------------------------------------------


def test_the_recursion_works_over_any_node_getter() -> None:
    """subtree_hash, inclusion_path and consistency_path over a tree's nodes give its answers."""
    tree = _big_tree()
    node = tree.complete_node
    assert subtree_hash(node, 0, 1000) == tree.root(1000)
    assert subtree_hash(node, 4, 7) == node_hash(node(1, 2), tree.leaf_hash_at(6))
    assert inclusion_path(node, 5, 1000) == tree.inclusion_proof(5, 1000)
    assert consistency_path(node, 300, 1000) == tree.consistency_proof(300, 1000)
    for start, end in [(2, 5), (1, 3), (3, 3), (-2, 0), (256, 384 + 256)]:
        with pytest.raises(InvalidInput, match="not a node"):
            subtree_hash(node, start, end)
    with pytest.raises(InvalidInput):
        tree.complete_node(0, BIG)


# -- proofs from tiles ------------------------------------------------------------------------

_random = random.Random(9162)  # fixed seed: the same "random" sizes on every run
SIZES = [1, 2, 3, 255, 256, 257, 511, 512, 513, 4096, 65_535, 65_536, 65_537, 65_539]
SIZES += [65_536 + 255, 65_536 + 256, 65_536 + 257, 70_000, BIG]
SIZES += sorted(_random.randrange(1, BIG) for _ in range(6))


def _probes(size: int) -> list[int]:
    """Leaf indices and old sizes worth checking in a tree of ``size``: edges and tile seams."""
    picks = {1, 2, size // 2, size - 1, size, 255, 256, 257, 65_535, 65_536, 65_537}
    rng = random.Random(size)
    picks |= {rng.randrange(1, size + 1) for _ in range(8)}
    return sorted(p for p in picks if 1 <= p <= size)


@pytest.mark.parametrize("size", SIZES)
def test_a_tile_reader_gives_the_trees_root_and_proofs(size: int) -> None:
    """Over tile_data, TileReader's root, inclusion and consistency proofs are MerkleTree's."""
    tree = _big_tree()
    fetched: list[str] = []
    reader = TileReader(_log_fetch(tree, size, fetched), size)
    assert reader.root() == tree.root(size)
    for probe in _probes(size):
        index = probe - 1
        assert reader.inclusion_proof(index) == tree.inclusion_proof(index, size)
        assert reader.leaf(index) == _entry(index)
        assert reader.consistency_proof(probe) == tree.consistency_proof(probe, size)
    # Each resource is fetched once, and only resources a checkpoint of this size requires.
    assert len(fetched) == len(set(fetched))
    assert set(fetched) <= {t.path() for t in tiles_for_size(size)}


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_proof_from_tiles_is_the_trees_proof(data: st.DataObject) -> None:
    """For any size, leaf and old size, the tile reader and the tree agree."""
    tree = _big_tree()
    size = data.draw(st.integers(1, BIG), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(1, size), label="old")
    reader = TileReader(_log_fetch(tree, size), size)
    assert reader.inclusion_proof(index) == tree.inclusion_proof(index, size)
    assert reader.consistency_proof(old) == tree.consistency_proof(old, size)
    assert reader.root() == tree.root(size)


def test_the_empty_tree_needs_no_tiles() -> None:
    """A reader of size 0 has the empty root and fetches nothing."""

    def fetch(path: str) -> bytes:
        raise AssertionError(f"fetched {path}")

    reader = TileReader(fetch, 0)
    assert reader.root() == EMPTY_ROOT
    with pytest.raises(InvalidInput):
        reader.inclusion_proof(0)


def test_a_tile_of_the_wrong_length_is_a_tile_error() -> None:
    """A tile that is not width × 32 bytes is refused, naming it."""
    tree = _big_tree()
    serve = _log_fetch(tree, 300)

    def fetch(path: str) -> bytes:
        return serve(path)[:-1] if path == "tile/0/001.p/44" else serve(path)

    reader = TileReader(fetch, 300)
    with pytest.raises(TileError, match=r"tile/0/001\.p/44 has 1407 bytes"):
        reader.root()
    # Even an entry whose own tiles are fine is not believed without the tree's root.
    with pytest.raises(TileError, match=r"tile/0/001\.p/44 has 1407 bytes"):
        reader.leaf(3)


def test_an_entry_that_does_not_match_its_tile_is_a_tile_error() -> None:
    """leaf() checks each entry against the leaf hash in its level-0 tile."""
    tree = _big_tree()
    serve = _log_fetch(tree, 300)

    def fetch(path: str) -> bytes:
        if path == "tile/entries/001.p/44":
            return encode_entries([b"forged", *_read_leaves(257, 300)])
        return serve(path)

    reader = TileReader(fetch, 300)
    assert reader.leaf(257) == _entry(257)
    with pytest.raises(TileError, match=r"entry 256 in tile/entries/001\.p/44"):
        reader.leaf(256)


# -- the mirror -------------------------------------------------------------------------------


def _client_check(fetch: Callable[[str], bytes], checkpoint: str) -> None:
    """What a client does: take the checkpoint's size and root, then verify every leaf."""
    _, size_line, root_line, *_ = checkpoint.split("\n")
    size, root = int(size_line), base64.b64decode(root_line)
    reader = TileReader(fetch, size)
    if reader.root() != root:
        raise ProofError("the tiles' root is not the checkpoint's")
    for index in range(size):
        proof = reader.inclusion_proof(index)
        verify_inclusion(leaf_hash(reader.leaf(index)), index, size, proof, root)


@pytest.fixture(scope="module")
def mirror_of_600(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror directory of the tree's first 600 leaves."""
    directory = tmp_path_factory.mktemp("mirror600")
    write_mirror(directory, _big_tree(), _read_leaves, 600, _checkpoint(_big_tree(), 600))
    return directory


def _files(directory: Path) -> Iterator[str]:
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            yield path.relative_to(directory).as_posix()


def test_a_mirror_holds_the_checkpoint_and_every_tile(mirror_of_600: Path) -> None:
    """The mirror is the checkpoint and the tlog-tiles paths of its size, nothing else."""
    expected = {t.path() for t in tiles_for_size(600)} | {"checkpoint"}
    assert set(_files(mirror_of_600)) == expected
    assert (mirror_of_600 / "checkpoint").read_text() == _checkpoint(_big_tree(), 600)
    assert (mirror_of_600 / "tile/0/002.p/88").stat().st_mode & 0o777 == 0o644
    _client_check(mirror_fetcher(mirror_of_600), _checkpoint(_big_tree(), 600))


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_a_flipped_bit_in_any_tile_file_is_caught(mirror_of_600: Path, data: st.DataObject) -> None:
    """Any one bit changed in any tile or bundle makes the client's check fail."""
    files = [f for f in _files(mirror_of_600) if f != "checkpoint"]
    target = mirror_of_600 / data.draw(st.sampled_from(files), label="file")
    original = target.read_bytes()
    offset = data.draw(st.integers(0, len(original) - 1), label="offset")
    changed = bytearray(original)
    changed[offset] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    target.write_bytes(bytes(changed))
    try:
        with pytest.raises((ProofError, TileError)):
            _client_check(mirror_fetcher(mirror_of_600), _checkpoint(_big_tree(), 600))
    finally:
        target.write_bytes(original)


def test_a_growing_mirror_keeps_full_tiles_and_proves_consistency(tmp_path: Path) -> None:
    """Written at 300 then 70,000: full tiles are kept, and the new tiles prove the old head."""
    tree = _big_tree()
    first = write_mirror(tmp_path, tree, _read_leaves, 300, _checkpoint(tree, 300))
    assert first[-1] == "checkpoint"
    kept = (tmp_path / "tile/0/000").stat().st_ino
    second = write_mirror(tmp_path, tree, _read_leaves, 70_000, _checkpoint(tree, 70_000))
    assert not {"tile/0/000", "tile/entries/000"} & set(second)
    assert {"tile/0/001", "tile/0/273.p/112"} <= set(second)
    assert second[-1] == "checkpoint"
    assert (tmp_path / "tile/0/000").stat().st_ino == kept
    # The same size again rewrites only the partial tiles and the checkpoint.
    again = write_mirror(tmp_path, tree, _read_leaves, 70_000, _checkpoint(tree, 70_000))
    assert sorted(again) == sorted(
        [t.path() for t in tiles_for_size(70_000) if t.is_partial] + ["checkpoint"]
    )

    fetch = mirror_fetcher(tmp_path)
    reader = TileReader(fetch, 70_000)
    root = reader.root()
    assert fetch("checkpoint").decode() == _checkpoint(tree, 70_000)
    assert root == tree.root(70_000)
    for index in (0, 299, 300, 65_535, 65_536, 69_999):
        proof = reader.inclusion_proof(index)
        verify_inclusion(leaf_hash(reader.leaf(index)), index, 70_000, proof, root)
    old_root = TileReader(fetch, 300).root()  # the old partial tiles are still served
    assert old_root == tree.root(300)
    verify_consistency(300, 70_000, reader.consistency_proof(300), old_root, root)


def test_a_mirror_with_a_wrong_checkpoint_writes_nothing(tmp_path: Path) -> None:
    """A checkpoint whose size or root is not the tree's is refused before any file is written."""
    tree = _big_tree()
    with pytest.raises(InvalidInput, match="second line '299'"):
        write_mirror(tmp_path, tree, _read_leaves, 300, _checkpoint(tree, 299))
    wrong_root = _checkpoint(tree, 300).replace(
        base64.b64encode(tree.root(300)).decode(), base64.b64encode(tree.root(299)).decode()
    )
    with pytest.raises(InvalidInput, match="third line"):
        write_mirror(tmp_path, tree, _read_leaves, 300, wrong_root)
    with pytest.raises(InvalidInput):
        write_mirror(tmp_path, tree, _read_leaves, BIG + 1, _checkpoint(tree, 300))
    assert list(tmp_path.iterdir()) == []


def test_a_mirror_refuses_entries_that_are_not_the_trees(tmp_path: Path) -> None:
    """Entries that do not hash to the tree's leaves are a Conflict, and no checkpoint appears."""
    tree = _big_tree()

    def forged(start: int, end: int) -> list[bytes]:
        return [b"forged" if i == 260 else _entry(i) for i in range(start, end)]

    def short(start: int, end: int) -> list[bytes]:
        return _read_leaves(start, end)[:43]

    with pytest.raises(Conflict, match="entry 260"):
        write_mirror(tmp_path, tree, forged, 300, _checkpoint(tree, 300))
    with pytest.raises(Conflict, match="gave 43 entries"):
        write_mirror(tmp_path, tree, short, 300, _checkpoint(tree, 300))
    assert not (tmp_path / "checkpoint").exists()
    assert not (tmp_path / "tile/entries/001.p/44").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_the_mirror_fetcher_reads_only_mirror_paths(mirror_of_600: Path) -> None:
    """Paths that are not tlog-tiles paths are refused; missing files are NotFound."""
    fetch = mirror_fetcher(mirror_of_600)
    for path in ("../secret", "tile/../checkpoint", "tile/0/x001/../000", "/etc/passwd"):
        with pytest.raises(TilePathError):
            fetch(path)
    with pytest.raises(NotFound, match="tile/0/003"):
        fetch("tile/0/003")
    assert len(fetch("tile/0/000")) == 8192


def test_a_forged_lower_tile_under_genuine_upper_tiles_is_caught() -> None:
    """A server that keeps the genuine level-1 tile (so root() matches the checkpoint) but
    forges a full level-0 tile and its bundle cannot pass a forged entry off."""
    tree = _big_tree()
    serve = _log_fetch(tree, 300)
    forged_leaves = [b"forged %d" % i for i in range(256)]
    forged = MerkleTree()
    forged.extend([leaf_hash(x) for x in forged_leaves])

    def fetch(path: str) -> bytes:
        if path == "tile/0/000":
            return forged.level_hashes(0, 0, 256)
        if path == "tile/entries/000":
            return encode_entries(forged_leaves)
        return serve(path)

    reader = TileReader(fetch, 300)
    assert reader.root() == tree.root(300)  # the upper tile is genuine
    with pytest.raises(TileError, match="do not lead to the tree's root"):
        reader.leaf(5)
