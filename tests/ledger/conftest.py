"""Fixtures of the ledger's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from wenyuan.core.db import create_engine, migrate
from wenyuan.ledger import MIGRATIONS


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database (SQLite, and PostgreSQL where configured) with the
    ledger's tables."""
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    yield engine
    engine.dispose()
