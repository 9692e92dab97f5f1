"""Typed settings, read once from the environment (prefix ``WENYUAN_``) and injected.

Nothing else in Wenyuan reads ``os.environ``: components receive a ``Settings``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "WitnessSetting", "get_settings"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("wenyuan", appauthor=False))


class WitnessSetting(BaseModel):
    """A witness the ledger asks to cosign its checkpoints."""

    url: str = Field(description="Base URL of the witness (it serves `/add-checkpoint`).")
    vkey: str = Field(description="The witness's cosignature verifier key (C2SP vkey text).")


class Settings(BaseSettings):
    """Every setting of the platform. Each one is listed in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="WENYUAN_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder holding the SQLite database, the search index and reports.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database; default SQLite file `wenyuan.db` in the data "
            "folder. Use `postgresql+psycopg://user@host/db` for PostgreSQL."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` and `demo` bind to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` and `demo` use.")
    log_level: str = Field(default="info", description="Lowest log level written.")
    log_json: bool = Field(
        default=False, description="Write logs as JSON lines (default: readable console lines)."
    )
    ingest_batch_size: int = Field(
        default=2000, ge=1, le=100_000, description="Records written per ingest transaction."
    )
    index_writer_memory_mb: int = Field(
        default=256, ge=16, le=4096, description="Memory budget of the search index writer."
    )
    max_search_limit: int = Field(
        default=100, ge=1, le=1000, description="Largest number of hits one search may ask for."
    )
    index_follow_interval: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "Seconds between a server's looks at the change feed for changes its search index "
            "has not applied (on PostgreSQL a notification wakes it sooner)."
        ),
    )
    index_listen: bool = Field(
        default=True,
        description=(
            "On PostgreSQL, wake a server's index follower with LISTEN/NOTIFY as soon as "
            "changes are committed (off: it only polls)."
        ),
    )
    index_lock_wait: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description=(
            "Seconds an ingest or reindex waits for another process updating the same search "
            "index (a server beside it) before it leaves the index to that process."
        ),
    )
    ready_max_index_lag: int = Field(
        default=5000,
        ge=0,
        description=(
            "Changes the search index may lag behind the records while `/readyz` still says "
            "ready, once it has caught up after start (until then any lag is not ready)."
        ),
    )
    search_catch_up_max: int = Field(
        default=5000,
        ge=0,
        description=(
            "`wenyuan search` first applies up to this many pending changes to the search "
            "index; further behind, it says so and searches the index as it is."
        ),
    )
    ingest_stale_after: float = Field(
        default=900.0,
        ge=60,
        description=(
            "Seconds without a heartbeat after which a running ingest run of a process on "
            "another host is marked interrupted (on this host a dead process is seen at once)."
        ),
    )

    ledger_origin: str = Field(
        default="localhost/wenyuan/ledger",
        description=(
            "Origin line of the ledger's checkpoints, and the name of its key: set it to a "
            "name you control (e.g. `museum.example/ledger`) before the first statement."
        ),
    )
    ledger_key_file: Path | None = Field(
        default=None,
        description=(
            "The ledger's private key (C2SP note signer key, mode 0600); default "
            "`keys/ledger.key` in the data folder, created on first use."
        ),
    )
    ledger_witnesses: list[WitnessSetting] = Field(
        default_factory=list,
        description=('Witnesses as JSON: `[{"url": "http://host:8800", "vkey": "name+id+key"}]`.'),
    )
    ledger_quorum: int | None = Field(
        default=None,
        ge=0,
        description="Cosignatures a checkpoint needs to be trusted (default: every witness).",
    )
    ledger_checkpoint_interval: float = Field(
        default=0.5, gt=0, le=60, description="Seconds between checkpoints while the log grows."
    )
    ledger_receipt_wait: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Seconds a submission waits for the checkpoint that covers it.",
    )
    ledger_max_future: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description=(
            "Seconds a statement's `issued_at` may be ahead of the server's clock; later "
            "ones are refused (the log's own time is what a receipt proves)."
        ),
    )

    @property
    def resolved_ledger_quorum(self) -> int:
        """Cosignatures a checkpoint needs: as configured, else every configured witness."""
        if self.ledger_quorum is None:
            return len(self.ledger_witnesses)
        return self.ledger_quorum

    @property
    def resolved_ledger_key_file(self) -> Path:
        return self.ledger_key_file or self.data_dir / "keys" / "ledger.key"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'wenyuan.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once from the environment."""
    return Settings()
