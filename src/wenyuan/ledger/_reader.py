"""Reading the ledger: receipts, entries, proofs, tiles, asset histories and summaries.

A ``LedgerReader`` answers every question about one log of a hand-over chain (and, for
receipts, the logs before it) from the log's Merkle tree, its checkpoints and the registry's
stored view. It takes no lock: ``LedgerReader.open`` reads a log beside the process that
writes it (``refresh`` to see what that process appended since), and the writer's ``Ledger``
is itself a reader of its own log, answering from its in-memory state.

Every answer is a typed value of ``wenyuan.ledger._values``. An entry that no trusted
checkpoint covers yet gets a ``PendingReceipt``, not an error; an entry past the end of a log
is ``NotFound``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from os import PathLike

from sqlalchemy.engine import Engine

from wenyuan.core.errors import InvalidInput, NotFound
from wenyuan.ledger._checkpoints import CheckpointSource, StoredCheckpoints, latest_checkpoint
from wenyuan.ledger._log import Log
from wenyuan.ledger._merkle import leaf_hash
from wenyuan.ledger._mirror import write_mirror
from wenyuan.ledger._registry import log_chain
from wenyuan.ledger._state import AssetState
from wenyuan.ledger._statements import read_leaf, statement_hash
from wenyuan.ledger._tiles import TILE_HEIGHT, encode_entries, parse_tile_path
from wenyuan.ledger._values import (
    AssetHistory,
    ChainLink,
    ConsistencyProof,
    Entry,
    InclusionProof,
    LedgerStatus,
    LedgerSummary,
    Mirrored,
    PendingReceipt,
    Receipt,
    StoredCheckpoint,
    receipt_path,
)
from wenyuan.ledger._view import RegistryView

__all__ = ["LedgerReader"]

_GROWTH = 30  # checkpoints shown in a summary's growth


class LedgerReader:
    """The reads of ``log`` (with its ``checkpoints``, of which ``quorum`` cosignatures make
    one trusted) and of the registry's view; ``witnesses`` names the configured witnesses,
    ``count`` counts the registered assets (default: from the database)."""

    def __init__(
        self,
        log: Log,
        checkpoints: CheckpointSource,
        *,
        witnesses: Sequence[str] = (),
        count: Callable[[], int] | None = None,
    ) -> None:
        self.log = log
        self.checkpoints = checkpoints
        self.witnesses = tuple(witnesses)
        self.view = RegistryView(log.engine)
        self._count = count or self.view.count
        self._owns_log = False
        self._readers: dict[str, Log] = {}
        self._readers_lock = threading.Lock()

    @classmethod
    def open(
        cls, engine: Engine, origin: str, *, quorum: int, witnesses: Sequence[str] = ()
    ) -> LedgerReader:
        """A reader of the stored log ``origin``, without the writer lock (``InvalidInput``
        if there is no such log). It reads every entry once to build the tree; ``refresh``
        reads what was appended since. Close it when done."""
        log = Log(engine, origin, writable=False)
        reader = cls(log, StoredCheckpoints(log, quorum), witnesses=witnesses)
        reader._owns_log = True
        return reader

    def refresh(self) -> None:
        """See the entries another process appended since (a reader ``open`` made only: the
        writer's own log is always current)."""
        if self._owns_log:
            self.log.refresh()

    def close(self) -> None:
        with self._readers_lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()
        if self._owns_log:
            self.log.close()

    @property
    def origin(self) -> str:
        return self.log.origin

    @property
    def vkey(self) -> str:
        """The log's verifier key, C2SP note ``vkey`` form."""
        return self.log.vkey

    @property
    def quorum(self) -> int:
        return self.checkpoints.quorum

    def latest_checkpoint(self, *, trusted: bool = True) -> StoredCheckpoint | None:
        return self.checkpoints.latest(trusted=trusted)

    def chain(self) -> tuple[ChainLink, ...]:
        """The logs of the hand-over chain, oldest first, with the vkey each is signed by."""
        chain = log_chain(self.log.engine, self.origin)
        return tuple(ChainLink(origin, vkey) for origin, vkey in chain if vkey)

    # -- receipts -----------------------------------------------------------------------------

    def receipt(self, index: int, *, log: str | None = None) -> Receipt | PendingReceipt:
        """The receipt of entry ``index`` on the newest trusted checkpoint, or a
        ``PendingReceipt`` if none covers it yet; ``NotFound`` past the end of the log.

        ``log`` names an earlier log of the hand-over chain (its origin): its entries get
        receipts on that log's own final checkpoint, signed by its own key.
        """
        if log is not None and log != self.origin:
            return self._earlier_receipt(log, index)
        self.log.check_entry(index)
        checkpoint = self.checkpoints.latest(trusted=True)
        if checkpoint is None or checkpoint.size <= index:
            return PendingReceipt(index, receipt_path(index))
        return self.receipt_on(checkpoint, index)

    def receipt_on(
        self, checkpoint: StoredCheckpoint, index: int, *, log: Log | None = None
    ) -> Receipt:
        """The receipt of entry ``index`` of ``log`` (default: this reader's) on
        ``checkpoint``."""
        log = log or self.log
        if not 0 <= index < checkpoint.size:
            raise InvalidInput(f"entry {index} is not in the tree of size {checkpoint.size}")
        leaf = log.leaf(index)
        signed = read_leaf(leaf)  # the receipt's reader verifies it
        return Receipt(
            origin=log.origin,
            leaf_index=index,
            tree_size=checkpoint.size,
            leaf=leaf,
            inclusion_proof=tuple(log.inclusion_proof(index, checkpoint.size)),
            checkpoint=checkpoint.note,
            statement=signed.statement,
            signature=signed.signature,
            issuer=signed.issuer,
        )

    def _earlier_receipt(self, origin: str, index: int) -> Receipt | PendingReceipt:
        if origin not in {link.origin for link in self.chain()}:
            raise NotFound(f"no log {origin!r} precedes this one", log=origin)
        with self._readers_lock:
            reader = self._readers.get(origin)
            if reader is None:  # a frozen log never grows: read it once
                reader = self._readers[origin] = Log(self.log.engine, origin, writable=False)
        if not 0 <= index < reader.size:
            raise NotFound(
                f"no entry {index} in log {origin!r}: it has {reader.size} entries",
                index=index,
                log=origin,
            )
        checkpoint = latest_checkpoint(reader, quorum=self.quorum)
        if checkpoint is None or checkpoint.size <= index:
            return PendingReceipt(index, receipt_path(index, origin))
        return self.receipt_on(checkpoint, index, log=reader)

    # -- entries and proofs -------------------------------------------------------------------

    def entry(self, index: int) -> Entry:
        """Entry ``index``: its exact leaf bytes and the statement they hold, shown as stored
        (receipts and replay verify it); ``NotFound`` past the end of the log."""
        leaf = self.log.leaf(index)
        signed = read_leaf(leaf)
        return Entry(
            leaf_index=index,
            leaf=leaf,
            leaf_hash=leaf_hash(leaf),
            statement_hash=statement_hash(leaf),
            statement=signed.statement,
            signature=signed.signature,
            issuer=signed.issuer,
        )

    def inclusion_proof(self, index: int, size: int) -> InclusionProof:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
        return InclusionProof(index, size, tuple(self.log.inclusion_proof(index, size)))

    def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        """RFC 9162 consistency proof between the trees of ``old_size`` and ``new_size``."""
        proof = self.log.consistency_proof(old_size, new_size)
        return ConsistencyProof(old_size, new_size, tuple(proof))

    # -- the published tree -------------------------------------------------------------------

    def checkpoint_note(self) -> str:
        """The newest trusted checkpoint, as served at ``/ledger/checkpoint``."""
        checkpoint = self.checkpoints.latest(trusted=True)
        if checkpoint is None:
            raise NotFound("the log has not published a checkpoint yet")
        return checkpoint.note

    def tile(self, path: str) -> bytes:
        """A tlog-tiles tile or entry bundle (``tile/...``) of the newest trusted checkpoint.

        Full tiles never change; a partial tile of any width the checkpoint's tree fills is
        served, so a client holding an older checkpoint still finds its tiles.
        """
        address = parse_tile_path(path)
        checkpoint = self.checkpoints.latest(trusted=True)
        size = 0 if checkpoint is None else checkpoint.size
        level = 0 if address.is_entries else TILE_HEIGHT * address.level
        available = (size >> level) - address.start
        if address.width > available:
            raise NotFound(f"the published tree (size {size}) has no {path}", path=path)
        if address.is_entries:
            return encode_entries(self.log.leaves(address.start, address.end))
        return self.log.tree.level_hashes(level, address.start, address.end)

    def mirror(self, directory: str | PathLike[str]) -> Mirrored:
        """Write the newest trusted checkpoint and its tiles under ``directory``
        (``write_mirror``); ``InvalidInput`` before the first trusted checkpoint."""
        checkpoint = self.checkpoints.latest(trusted=True)
        if checkpoint is None:
            raise InvalidInput(f"log {self.origin!r} has not published a checkpoint yet")
        written = write_mirror(
            directory, self.log.tree, self.log.leaves, checkpoint.size, checkpoint.note
        )
        return Mirrored(checkpoint.size, tuple(written))

    # -- assets -------------------------------------------------------------------------------

    def asset(self, asset_id: str) -> AssetState:
        """The durable state of an asset; ``NotFound`` if none is registered."""
        return self.view.state(asset_id)

    def history(self, asset_id: str) -> AssetHistory:
        """An asset's state and every statement about it, oldest first."""
        return self.view.history(asset_id)

    # -- summaries ----------------------------------------------------------------------------

    def status(self) -> LedgerStatus:
        """The log's size, newest trusted checkpoint, witnesses and quorum."""
        return LedgerStatus(
            origin=self.origin,
            vkey=self.vkey,
            size=self.log.size,
            quorum=self.quorum,
            witnesses=self.witnesses,
            checkpoint=self.checkpoints.latest(trusted=True),
        )

    def summary(self) -> LedgerSummary:
        """Size, checkpoints, witnesses, chain and registry counts, for the ledger page and
        API."""
        return LedgerSummary(
            origin=self.origin,
            vkey=self.vkey,
            size=self.log.size,
            assets=self._count(),
            quorum=self.quorum,
            witnesses=self.witnesses,
            chain=self.chain(),
            checkpoint=self.checkpoints.latest(trusted=True),
            latest_checkpoint=self.checkpoints.latest(trusted=False),
            growth=tuple(reversed(self.checkpoints.history(_GROWTH))),
        )
