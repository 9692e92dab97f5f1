"""The ledger as a service: the registry, its log and checkpoints, and receipts, in one object.

``Ledger`` is what the platform opens (one per process that writes the log): statements go in
through ``submit``, receipts come out of ``receipt`` once a trusted checkpoint covers the
entry. Everything here is composed from the pure modules and the stores beside it; the rules
live there.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from wenyuan.core.errors import Conflict, InvalidInput, NotFound
from wenyuan.ledger.checkpoints import (
    Checkpointer,
    StoredCheckpoint,
    WitnessClient,
    latest_checkpoint,
)
from wenyuan.ledger.log import Log
from wenyuan.ledger.note import NoteSigner
from wenyuan.ledger.registry import Accepted, Registry, log_chain
from wenyuan.ledger.state import AssetState
from wenyuan.ledger.statements import encode_leaf, make_log_handover, read_leaf
from wenyuan.ledger.tiles import TILE_HEIGHT, encode_entries, parse_tile_path
from wenyuan.ledger.verify import RECEIPT_FORMAT

__all__ = ["Ledger", "ReceiptPending"]


class ReceiptPending(NotFound):
    """The entry is in the log but no trusted checkpoint covers it yet (witnesses may be slow
    or unreachable): ask again in a moment."""

    title = "Receipt not ready"
    type_slug = "receipt-pending"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Ledger:
    """The registry of signed statements on a log signed by ``signer`` (its name is the
    log's origin), with checkpoints cosigned by ``witnesses``."""

    def __init__(
        self,
        engine: Engine,
        signer: NoteSigner,
        *,
        witnesses: Sequence[WitnessClient] = (),
        quorum: int | None = None,
        interval: float = 0.5,
        background: bool = True,
        max_future: timedelta = timedelta(minutes=5),
    ) -> None:
        self.signer = signer
        self.registry = Registry(
            engine,
            signer.name,
            vkey=signer.vkey(),
            log_key=_b64(signer.public_key),
            max_future=max_future,
        )
        self.log = self.registry.log
        self._readers: dict[str, Log] = {}
        self._readers_lock = threading.Lock()
        try:
            self.checkpointer = Checkpointer(
                self.log, signer, witnesses=witnesses, quorum=quorum, interval=interval
            )
        except BaseException:
            self.registry.close()
            raise
        if background:
            self.checkpointer.start()

    @property
    def origin(self) -> str:
        return self.log.origin

    @property
    def vkey(self) -> str:
        """The log's verifier key, C2SP note ``vkey`` form."""
        return self.signer.vkey()

    def close(self) -> None:
        with self._readers_lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()
        self.checkpointer.stop()
        self.registry.close()  # the writer finishes what is queued
        try:
            latest = self.checkpointer.latest(trusted=False)
            if self.log.size and (latest is None or latest.size < self.log.size):
                # Leave a signed checkpoint of everything appended, for the next open to check.
                self.checkpointer.publish()
        finally:
            self.checkpointer.close()

    # -- statements ---------------------------------------------------------------------------

    def submit(self, leaf: bytes) -> Accepted:
        """Check and queue a signed statement's leaf (see ``Registry.submit``)."""
        return self.registry.submit(leaf)

    def append(self, leaf: bytes, *, timeout: float = 30.0) -> tuple[int, Any]:
        """Check and append a leaf; returns its index and effect once durable."""
        return self.registry.append(leaf, timeout)

    def receipt(self, index: int, *, wait: float = 0.0, log: str | None = None) -> dict[str, Any]:
        """The receipt bundle of entry ``index`` on the newest trusted checkpoint, waiting up
        to ``wait`` seconds for one to cover it.

        ``log`` names an earlier log of the hand-over chain (its origin): its entries get
        receipts on that log's own final checkpoint, signed by its own key.
        """
        if log is not None and log != self.origin:
            return self._earlier_receipt(log, index)
        self.log.check_entry(index)
        checkpoint = self.checkpointer.wait_for(index, wait) if wait else None
        checkpoint = checkpoint or self.checkpointer.latest(trusted=True)
        if checkpoint is None or checkpoint.size <= index:
            raise ReceiptPending(
                f"no checkpoint with the witnesses' quorum covers entry {index} yet",
                index=index,
            )
        return self.receipt_on(checkpoint, index)

    def receipt_on(
        self, checkpoint: StoredCheckpoint, index: int, *, log: Log | None = None
    ) -> dict[str, Any]:
        """The receipt bundle of entry ``index`` of ``log`` (default: the open one) on
        ``checkpoint``."""
        log = log or self.log
        if not 0 <= index < checkpoint.size:
            raise InvalidInput(f"entry {index} is not in the tree of size {checkpoint.size}")
        leaf = log.leaf(index)
        signed = read_leaf(leaf)  # the receipt's reader verifies it
        return {
            "format": RECEIPT_FORMAT,
            "origin": log.origin,
            "leaf_index": index,
            "tree_size": checkpoint.size,
            "leaf": _b64(leaf),
            "inclusion_proof": [_b64(h) for h in log.inclusion_proof(index, checkpoint.size)],
            "checkpoint": checkpoint.note,
            "statement": signed.statement,
            "signature": _b64(signed.signature),
            "issuer": signed.issuer,
        }

    def hand_over(self, successor: NoteSigner, *, wait: float = 10.0) -> dict[str, Any]:
        """End this log with a ``log-handover`` statement signed by its key, naming the log
        that continues it (``successor``'s name is its origin), and return that entry's
        receipt: whoever trusts this log's key learns the new key from it.

        The log takes no statement after this one (``LogFrozen``).
        """
        if successor.name == self.origin:
            raise InvalidInput("the successor log needs an origin of its own")
        # Everything before the hand-over must be covered by a trusted checkpoint first: a
        # frozen log publishes no more checkpoints, so this is the last chance.
        self.checkpointer.publish()
        trusted = self.checkpointer.latest(trusted=True)
        if self.log.size and (trusted is None or trusted.size < self.log.size):
            raise Conflict(
                f"the witnesses have not cosigned the log's current checkpoint (quorum "
                f"{self.checkpointer.quorum}); a rotation needs it: check the witnesses and "
                "retry",
                size=self.log.size,
            )
        final_size = self.registry.next_position + 1  # entries of the whole chain
        signed = make_log_handover(
            self.signer.ed25519_private_key(),
            new_origin=successor.name,
            new_vkey=successor.vkey(),
            final_size=final_size,
        )
        index, _ = self.append(encode_leaf(signed))
        try:
            return self.receipt(index, wait=wait)
        except ReceiptPending:
            # The hand-over is durable (the log is frozen); only its cosignatures are late.
            return {
                "format": "pending",
                "origin": self.origin,
                "leaf_index": index,
                "detail": "the hand-over is in the log; its checkpoint lacks the quorum",
            }

    def _earlier_receipt(self, origin: str, index: int) -> dict[str, Any]:
        chain = {o for o, vkey in log_chain(self.log.engine, self.origin) if vkey}
        if origin not in chain:
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
        checkpoint = latest_checkpoint(reader, quorum=self.checkpointer.quorum)
        if checkpoint is None or checkpoint.size <= index:
            raise ReceiptPending(f"no trusted checkpoint of {origin!r} covers entry {index}")
        return self.receipt_on(checkpoint, index, log=reader)

    def chain(self) -> list[dict[str, str]]:
        """The logs of the hand-over chain, oldest first, with the vkey each is signed by."""
        return [
            {"origin": origin, "vkey": vkey}
            for origin, vkey in log_chain(self.log.engine, self.origin)
            if vkey
        ]

    # -- reading ------------------------------------------------------------------------------

    def asset(self, asset_id: str) -> AssetState:
        state = self.registry.asset(asset_id)
        assert state is not None
        return state

    def history(self, asset_id: str) -> list[dict[str, Any]]:
        """Every statement about an asset, oldest first, as readable dictionaries."""
        self.asset(asset_id)
        out = []
        for origin, index, kind, leaf in self.registry.history(asset_id):
            signed = read_leaf(leaf)
            out.append(
                {
                    "log": origin,
                    "index": index,
                    "kind": kind,
                    "statement": signed.statement,
                    "signature": _b64(signed.signature),
                }
            )
        return out

    def latest_checkpoint(self, *, trusted: bool = True) -> StoredCheckpoint | None:
        return self.checkpointer.latest(trusted=trusted)

    def checkpoint_note(self) -> str:
        """The newest trusted checkpoint, as served at ``/ledger/checkpoint``."""
        checkpoint = self.checkpointer.latest(trusted=True)
        if checkpoint is None:
            raise NotFound("the log has not published a checkpoint yet")
        return checkpoint.note

    def tile(self, path: str) -> bytes:
        """A tlog-tiles tile or entry bundle (``tile/...``) of the newest trusted checkpoint.

        Full tiles never change; a partial tile of any width the checkpoint's tree fills is
        served, so a client holding an older checkpoint still finds its tiles.
        """
        address = parse_tile_path(path)
        checkpoint = self.checkpointer.latest(trusted=True)
        size = 0 if checkpoint is None else checkpoint.size
        level = 0 if address.is_entries else TILE_HEIGHT * address.level
        available = (size >> level) - address.start
        if address.width > available:
            raise NotFound(f"the published tree (size {size}) has no {path}", path=path)
        if address.is_entries:
            return encode_entries(self.log.leaves(address.start, address.end))
        return self.log.tree.level_hashes(level, address.start, address.end)

    def summary(self) -> dict[str, Any]:
        """Size, checkpoints, witnesses and registry counts, for the ledger page and API."""
        trusted = self.checkpointer.latest(trusted=True)
        latest = self.checkpointer.latest(trusted=False)
        return {
            "origin": self.origin,
            "vkey": self.vkey,
            "size": self.log.size,
            "assets": self.registry.count(),
            "quorum": self.checkpointer.quorum,
            "witnesses": [w.name for w in self.checkpointer.witnesses],
            "chain": self.chain(),
            "checkpoint": None if trusted is None else _checkpoint_json(trusted),
            "latest_checkpoint": None if latest is None else _checkpoint_json(latest),
            "growth": [
                {"size": c.size, "at": c.created_at.isoformat()}
                for c in reversed(self.checkpointer.history(30))
            ],
        }


def _checkpoint_json(checkpoint: StoredCheckpoint) -> dict[str, Any]:
    return {
        "size": checkpoint.size,
        "root": _b64(checkpoint.root),
        "note": checkpoint.note,
        "cosignatures": checkpoint.cosignatures,
        "created_at": checkpoint.created_at.isoformat(),
    }
