"""Database machinery: engines, transactions and migrations, for SQLite and PostgreSQL.

SQLite is the embedded default (WAL mode, foreign keys on, ``synchronous=NORMAL``, which in
WAL mode loses no committed transaction on an application crash); PostgreSQL takes over
when ``WENYUAN_DATABASE_URL`` names one. The same SQLAlchemy Core code and the same Alembic
migrations run on both.

Each domain owns its tables and its migrations (a version folder of its own, with its own
branch label); ``core`` runs them without knowing which domains exist: the composition root
passes the folders in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.errors import StorageError

__all__ = ["create_engine", "driver_sql", "migrate", "redact_url"]

_MIGRATIONS_ENV = Path(__file__).with_name("migrations")


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to log or show."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable database url>"


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; for SQLite, the parent folder is created and WAL switched on."""
    try:
        parsed = sa.engine.make_url(url)
    except SQLAlchemyError as exc:
        raise StorageError(f"invalid database URL {redact_url(url)!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def driver_sql(conn: Connection, sql: str) -> str:
    """``sql`` written with ``?`` placeholders, in the paramstyle of ``conn``'s driver.

    For hot paths that go to the driver directly (``exec_driver_sql``) with plain SQL that
    SQLite and PostgreSQL both accept; values are always bound, never formatted in.
    """
    if conn.dialect.paramstyle != "qmark":
        return sql.replace("?", "%s")
    return sql


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def migrate(engine: Engine, version_locations: Sequence[Path]) -> None:
    """Bring the schema to the newest revision of every given domain's migrations."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_ENV))
    config.set_main_option("version_locations", " ".join(str(p) for p in version_locations))
    config.set_main_option("path_separator", "space")
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    except SQLAlchemyError as exc:
        raise StorageError(f"database migration failed: {exc}") from exc
