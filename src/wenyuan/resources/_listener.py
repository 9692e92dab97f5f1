"""Hearing of new changes as they are committed: LISTEN/NOTIFY on PostgreSQL.

Every write to ``changes`` sends ``NOTIFY wenyuan_changes`` in its own transaction, so a
notification arrives only once the changes are committed and readable. ``ChangeListener``
holds one connection of its own (taken out of the engine's pool) that listens on that
channel. A notification only says "look at the feed": consumers then read the feed from
their watermark, so a notification lost (a dropped connection, a listener not yet started)
costs latency, never a change; consumers poll as well.

Hazards: the connection is used by one thread at a time (the follower's); SQLite has no
notifications, so ``ChangeListener.open`` returns None there and consumers poll.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.errors import StorageError
from wenyuan.resources._tables import CHANGES_CHANNEL

__all__ = ["ChangeListener"]

log = structlog.get_logger(__name__)


class ChangeListener:
    """A connection listening for committed changes; ``wait`` for the next, ``close`` at end."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._driver: Any = conn.connection.dbapi_connection  # psycopg.Connection

    @classmethod
    def open(cls, engine: Engine) -> ChangeListener | None:
        """A listener on ``engine``'s database, or None where the database cannot notify.

        Raises ``StorageError`` when the database does not answer (consumers then poll and
        try again later).
        """
        if engine.dialect.name != "postgresql":
            return None
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.detach()  # it lives as long as the listener, outside the pool
            conn.exec_driver_sql(f"LISTEN {CHANGES_CHANNEL}")
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot listen for changes: {exc}") from exc
        return cls(conn)

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True as soon as a change was committed (or had
        been since the last call). Raises ``StorageError`` if the connection is lost."""
        try:
            for _ in self._driver.notifies(timeout=timeout, stop_after=1):
                return True
        except Exception as exc:  # psycopg's own errors: the connection is gone
            raise StorageError(f"lost the connection listening for changes: {exc}") from exc
        return False

    def close(self) -> None:
        try:
            self._conn.close()
        except SQLAlchemyError as exc:
            log.debug("listener.close_failed", error=str(exc))
