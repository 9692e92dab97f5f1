"""Typed settings, read once from the environment (prefix ``WENYUAN_``) and injected.

Nothing else in Wenyuan reads ``os.environ``: components receive a ``Settings``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "WitnessSetting", "get_settings"]


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The Host names a server answers by default: its loopback names, with any port."""

_HOST_PATTERN = re.compile(r"\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("wenyuan", appauthor=False))


def _host_pattern(raw: str) -> str:
    """One ``allowed_hosts`` entry in the form the server compares: lower case, an IPv6
    literal without its brackets, no trailing dot; ``ValueError`` naming a bad one."""
    pattern = raw.strip().lower().rstrip(".")
    if pattern.startswith("[") and pattern.endswith("]"):
        pattern = pattern[1:-1]
    if ":" in pattern:  # an IPv6 literal, or a name with a port
        try:
            return str(ipaddress.IPv6Address(pattern))
        except ValueError:
            pass
    elif _HOST_PATTERN.fullmatch(pattern):
        return pattern
    raise ValueError(
        f"{raw!r} is not a host name: give names such as museum.example, "
        "*.museum.example or 127.0.0.1, without scheme, port or path (or * for any)"
    )


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

    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=list(LOOPBACK_HOSTS),
        description=(
            "Host names the server answers to, with any port, separated by commas (or a "
            "JSON list): `museum.example`, `*.museum.example` (its subdomains), `*` (any, "
            "behind a proxy that checks). Other `Host` headers get 400."
        ),
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "The address readers reach the server at (`https://museum.example`): absolute "
            "links and redirects are built from it; without it redirects are relative."
        ),
    )
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=0,
        description="Largest request body accepted, in bytes (routes may accept less).",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Seconds a request body may take to arrive in full before a 408.",
    )
    max_concurrent_bodies: int = Field(
        default=32,
        ge=1,
        description="Requests whose bodies are read at once; more wait briefly, then get 503.",
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

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        """Comma-separated names from the environment, or a JSON list, or a list."""
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = None
            value = decoded if isinstance(decoded, list) else value.split(",")
        if isinstance(value, list | tuple):
            return [_host_pattern(str(item)) for item in value if str(item).strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        """An http(s) origin, with an optional path and no query; kept without a final slash."""
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(
                f"{value!r} is not a public URL: give the scheme and host readers use, "
                "such as https://museum.example"
            )
        return value.strip().rstrip("/")

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
