"""Fixtures shared by the whole suite.

Fixtures are named for the state they give. Tests that need PostgreSQL, Chromium or the
real collections in ../shared/data skip with a stated reason where those are absent; with
``WENYUAN_REQUIRE_SERVICES=1`` (set by .ci/run) such a skip becomes a failure instead.

The settings these fixtures give allow ``testserver`` beside the loopback names: it is the
``Host`` Starlette's TestClient and schemathesis send. Tests of the host check itself
(tests/security) build their own settings.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wenyuan.app import Platform
from wenyuan.asgi import create_app
from wenyuan.core.config import LOOPBACK_HOSTS, Settings

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REQUIRE_SERVICES = os.environ.get("WENYUAN_REQUIRE_SERVICES") == "1"
TEST_HOSTS = [*LOOPBACK_HOSTS, "testserver"]
"""Hosts the fixtures' settings allow: loopback, and the Host test clients send."""


def skip_or_fail(reason: str) -> None:
    """Skip on a user's machine; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public collections beside the project (../shared/data)."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"real collections not found at {SHARED_DATA}")
    return SHARED_DATA


# -- databases ------------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("WENYUAN_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    yield from _fresh_postgres_schema()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema in the PostgreSQL server (for tests about PostgreSQL alone)."""
    yield from _fresh_postgres_schema()


def _fresh_postgres_schema() -> Iterator[str]:
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL not configured (set WENYUAN_TEST_POSTGRES_URL)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.orig}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a fresh data folder and database."""
    return Settings(data_dir=tmp_path / "data", database_url=database_url, allowed_hosts=TEST_HOSTS)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings for a fresh data folder with the default SQLite database."""
    return Settings(data_dir=tmp_path / "data", allowed_hosts=TEST_HOSTS)


@pytest.fixture
def fresh_platform(settings: Settings) -> Iterator[Platform]:
    """An empty platform on each database."""
    platform = Platform(settings)
    yield platform
    platform.close()


@pytest.fixture(scope="session")
def sample_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform (SQLite) with the built-in sample collection loaded; shared, read-only."""
    data_dir = tmp_path_factory.mktemp("sample-platform")
    platform = Platform(Settings(data_dir=data_dir, allowed_hosts=TEST_HOSTS))
    platform.load_sample()
    yield platform
    platform.close()


@pytest.fixture
def ledger_client(settings: Settings) -> Iterator[TestClient]:
    """A test client of the whole app over a fresh platform (each database) whose ledger
    publishes a checkpoint every 50 ms."""
    platform = Platform(settings.model_copy(update={"ledger_checkpoint_interval": 0.05}))
    app = create_app(platform.settings, platform=platform)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    platform.close()
