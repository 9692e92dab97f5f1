"""The ledger for writing: the registry, its log and checkpoints, and receipts, in one object.

``Ledger`` is what a process that writes the log opens (one at a time: the log's writer lock):
statements go in through ``submit`` and ``append``, receipts come out of ``receipt`` once a
trusted checkpoint covers the entry, and ``hand_over`` ends the log in favour of a successor.
It is a ``LedgerReader`` of its own log, answering every read from its in-memory state.
Everything here is composed from the pure modules and the stores beside it; the rules live
there.

Hazard: runs threads (the log's writer, the checkpointer): ``close`` it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.engine import Engine

from wenyuan.core.errors import Conflict, InvalidInput
from wenyuan.ledger._checkpoints import Checkpointer, WitnessClient
from wenyuan.ledger._note import NoteSigner
from wenyuan.ledger._reader import LedgerReader
from wenyuan.ledger._registry import Accepted, Registry
from wenyuan.ledger._state import AssetState, Handover
from wenyuan.ledger._statements import encode_leaf, make_log_handover
from wenyuan.ledger._values import PendingReceipt, Receipt

__all__ = ["Ledger"]


class Ledger(LedgerReader):
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
            log_key=base64.b64encode(signer.public_key).decode(),
            max_future=max_future,
        )
        try:
            self.checkpointer = Checkpointer(
                self.registry.log, signer, witnesses=witnesses, quorum=quorum, interval=interval
            )
        except BaseException:
            self.registry.close()
            raise
        super().__init__(
            self.registry.log,
            self.checkpointer,
            witnesses=[w.name for w in self.checkpointer.witnesses],
            count=self.registry.count,
        )
        if background:
            self.checkpointer.start()

    def close(self) -> None:
        super().close()  # the earlier logs read for their receipts
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

    def append(self, leaf: bytes, *, timeout: float = 30.0) -> tuple[int, AssetState | Handover]:
        """Check and append a leaf; returns its index and effect once durable."""
        return self.registry.append(leaf, timeout)

    def receipt(
        self, index: int, *, log: str | None = None, wait: float = 0.0
    ) -> Receipt | PendingReceipt:
        """The receipt of entry ``index`` (see ``LedgerReader.receipt``), waiting up to
        ``wait`` seconds for a trusted checkpoint of the open log to cover it."""
        if wait and (log is None or log == self.origin):
            self.log.check_entry(index)
            self.checkpointer.wait_for(index, wait)
        return super().receipt(index, log=log)

    def hand_over(self, successor: NoteSigner, *, wait: float = 10.0) -> Receipt | PendingReceipt:
        """End this log with a ``log-handover`` statement signed by its key, naming the log
        that continues it (``successor``'s name is its origin), and return that entry's
        receipt (pending if its checkpoint lacks the quorum after ``wait`` seconds: the
        hand-over is durable all the same). Whoever trusts this log's key learns the new key
        from the receipt.

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
        return self.receipt(index, wait=wait)
