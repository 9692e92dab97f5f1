"""A static tlog-tiles mirror on disk: the checkpoint, tiles and entry bundles as plain files.

``write_mirror`` lays a tree out as c2sp.org/tlog-tiles paths under a directory, so that any
static web server pointed at it serves the log at its prefix (ours is ``/ledger/``);
``mirror_fetcher`` reads such a directory back as a ``TileReader`` fetch.

Promises: every file is written to a temporary name in its own directory, flushed and fsynced,
renamed over its final name and the directory fsynced, so a reader MUST NOT ever see a partial
file. Full tiles and bundles are immutable and MUST NOT be rewritten once present; partial ones
are (re)written for the size asked; the checkpoint is written last, so every tile a published
checkpoint needs is on disk before it. Stale partial tiles of older sizes are left in place
(tlog-tiles allows serving or deleting them).

Hazard: one writer per directory. Two writers racing on the same size write the same bytes,
but a writer for an older size could replace a newer checkpoint.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

from wenyuan.core.errors import Conflict, InvalidInput, NotFound, StorageError
from wenyuan.core.files import fsync_dir, replace_atomically
from wenyuan.ledger._merkle import MerkleTree, leaf_hash
from wenyuan.ledger._tiles import (
    TileAddress,
    encode_entries,
    parse_tile_path,
    tile_data,
    tiles_for_size,
)

__all__ = ["CHECKPOINT_PATH", "mirror_fetcher", "write_mirror"]

CHECKPOINT_PATH = "checkpoint"
"""Where the checkpoint lives below the log's prefix (c2sp.org/tlog-tiles)."""

_FILE_MODE = 0o644  # a mirror is published: readable by the web server, written by us


def write_mirror(
    directory: str | os.PathLike[str],
    tree: MerkleTree,
    read_leaves: Callable[[int, int], list[bytes]],
    size: int,
    checkpoint_note: str,
) -> list[str]:
    """Write the checkpoint and every tile and entry bundle of the tree of ``size`` leaves.

    ``read_leaves(start, end)`` returns entries ``start`` to ``end`` (exclusive) of the log;
    ``checkpoint_note`` is the signed checkpoint for ``size``. Returns the paths written (full
    tiles already present are skipped). Raises ``InvalidInput`` if the checkpoint's size or
    root hash is not the tree's, ``Conflict`` if the entries do not hash to the tree's leaves
    (nothing is published for them), ``StorageError`` if the disk fails.
    """
    if not 0 <= size <= tree.size:
        raise InvalidInput(f"tree size {size} is not in 0..{tree.size}", size=size)
    _check_checkpoint(checkpoint_note, size, tree.root(size))
    root = Path(directory)
    _check_same_log(root, checkpoint_note)
    written: list[str] = []
    for address in tiles_for_size(size):
        path = address.path()
        target = root.joinpath(*path.split("/"))
        if not address.is_partial and target.exists():
            continue
        if address.is_entries:
            data = encode_entries(_checked_leaves(tree, read_leaves, address))
        else:
            data = tile_data(tree, address, size)
        _write_atomic(target, data)
        written.append(path)
    _write_atomic(root / CHECKPOINT_PATH, checkpoint_note.encode())
    written.append(CHECKPOINT_PATH)
    return written


def mirror_fetcher(directory: str | os.PathLike[str]) -> Callable[[str], bytes]:
    """A ``TileReader`` fetch over a mirror directory: reads ``checkpoint`` and tile paths only.

    The fetch raises ``TilePathError`` for any other path (so nothing outside the mirror is
    read), ``NotFound`` for a missing file and ``StorageError`` if the disk fails.
    """
    root = Path(directory)

    def fetch(path: str) -> bytes:
        if path != CHECKPOINT_PATH:
            parse_tile_path(path)  # refuses '..', absolute paths and anything but tiles
        target = root.joinpath(*path.split("/"))
        try:
            return target.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"the mirror has no {path}", path=path) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {path} from the mirror: {exc}", path=path) from exc

    return fetch


def _check_checkpoint(note: str, size: int, root_hash: bytes) -> None:
    """The checkpoint body's size and root lines (c2sp.org/tlog-checkpoint) match the tree."""
    lines = note.split("\n")
    if len(lines) < 4 or lines[1] != str(size):
        shown = lines[1] if len(lines) > 1 else ""
        raise InvalidInput(
            f"the checkpoint's second line {shown!r} is not the tree size {size}",
            line=2,
        )
    if lines[2] != base64.b64encode(root_hash).decode():
        raise InvalidInput(
            f"the checkpoint's third line {lines[2]!r} is not the root hash of size {size}",
            line=3,
        )


def _check_same_log(directory: Path, note: str) -> None:
    """A folder mirrors one log: its full tiles are kept across runs, so a checkpoint of
    another log (another origin, e.g. after a key rotation) must go to a folder of its own."""
    try:
        existing = (directory / CHECKPOINT_PATH).read_text("utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read the mirror's checkpoint in {directory}: {exc}") from exc
    old_origin, new_origin = existing.split("\n", 1)[0], note.split("\n", 1)[0]
    if old_origin != new_origin:
        raise Conflict(
            f"{directory} mirrors the log {old_origin!r}; write {new_origin!r} to a folder of "
            "its own",
            directory=str(directory),
        )


def _checked_leaves(
    tree: MerkleTree, read_leaves: Callable[[int, int], list[bytes]], address: TileAddress
) -> list[bytes]:
    entries = read_leaves(address.start, address.end)
    if len(entries) != address.width:
        raise Conflict(
            f"read_leaves({address.start}, {address.end}) gave {len(entries)} entries, "
            f"not {address.width}",
            path=address.path(),
        )
    for index, entry in enumerate(entries, start=address.start):
        if leaf_hash(entry) != tree.leaf_hash_at(index):
            raise Conflict(
                f"entry {index} does not hash to leaf {index} of the tree; "
                f"not writing {address.path()}",
                path=address.path(),
                index=index,
            )
    return entries


def _write_atomic(target: Path, data: bytes) -> None:
    try:
        _make_dirs(target.parent)
        replace_atomically(target, data, _FILE_MODE)
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc}", path=str(target)) from exc


def _make_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, fsyncing each parent that gained one."""
    missing: list[Path] = []
    current = directory
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        fsync_dir(path.parent)
