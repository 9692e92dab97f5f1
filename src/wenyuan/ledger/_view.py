"""The registry's stored view of the log, read: asset states, their histories, counts.

``ledger_assets`` and ``ledger_asset_events`` are written by the registry in the same
transaction as the entries they follow from (``Registry``); this module only reads them, so
it needs no writer lock and runs beside the process that writes. What that process has
accepted but not yet committed is not in the view.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.db import driver_sql
from wenyuan.core.errors import NotFound, StorageError
from wenyuan.ledger import _tables as tables
from wenyuan.ledger._state import AssetState
from wenyuan.ledger._statements import read_leaf
from wenyuan.ledger._values import AssetHistory, HistoryEntry

__all__ = ["RegistryView"]


class RegistryView:
    """The registry's stored view of the log, read from the database: asset states, their
    histories, counts. Needs no writer lock; what a writer has accepted but not yet
    committed is not in it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def asset(self, asset_id: str, *, missing_ok: bool = False) -> AssetState | None:
        """The durable state of an asset (``NotFound`` unless ``missing_ok``)."""
        sql = "SELECT state FROM ledger_assets WHERE asset_id = ?"
        try:
            with self.engine.connect() as conn:
                row = conn.exec_driver_sql(driver_sql(conn, sql), (asset_id,)).first()
        except SQLAlchemyError as exc:
            raise StorageError(f"reading asset {asset_id!r} failed: {exc}") from exc
        if row is None:
            if missing_ok:
                return None
            raise NotFound(f"no asset {asset_id!r} is registered in the ledger", asset=asset_id)
        return AssetState.from_json(json.loads(row[0]))

    def state(self, asset_id: str) -> AssetState:
        """The durable state of an asset; ``NotFound`` if none is registered."""
        found = self.asset(asset_id)
        assert found is not None
        return found

    def history(self, asset_id: str) -> AssetHistory:
        """An asset's state and every statement about it, oldest first, across the
        hand-over chain (``NotFound`` if no asset has this id)."""
        state = self.state(asset_id)
        events, logs, entries = tables.asset_events, tables.logs, tables.entries
        query = (
            sa.select(logs.c.origin, events.c.idx, events.c.kind, entries.c.leaf)
            .join(logs, logs.c.id == events.c.log_id)
            .join(
                entries,
                entries.c.pos
                == sa.cast(events.c.log_id, sa.BigInteger)
                * sa.literal(tables.LOG_SPAN, sa.BigInteger)
                + events.c.idx,
            )
            .where(events.c.asset_id == asset_id)
            .order_by(logs.c.id, events.c.idx)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise StorageError(f"reading the history of {asset_id!r} failed: {exc}") from exc
        found = []
        for origin, index, kind, leaf in rows:
            signed = read_leaf(bytes(leaf))  # shown as stored; receipts and replay verify it
            found.append(
                HistoryEntry(str(origin), int(index), str(kind), signed.statement, signed.signature)
            )
        return AssetHistory(state, tuple(found))

    def assets(self, *, limit: int = 50, after: str | None = None) -> list[AssetState]:
        """Assets in id order, ``limit`` at a time after ``after`` (a cursor)."""
        query = sa.select(tables.assets.c.state).order_by(tables.assets.c.asset_id).limit(limit)
        if after:
            query = query.where(tables.assets.c.asset_id > after)
        try:
            with self.engine.connect() as conn:
                return [AssetState.from_json(json.loads(s)) for (s,) in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StorageError(f"reading assets failed: {exc}") from exc

    def count(self) -> int:
        """How many assets are registered."""
        query = sa.select(sa.func.count()).select_from(tables.assets)
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(query).scalar_one())
        except SQLAlchemyError as exc:
            raise StorageError(f"counting assets failed: {exc}") from exc
