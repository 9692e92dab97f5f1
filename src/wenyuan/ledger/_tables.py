"""The tables the ledger owns: logs, their entries and checkpoints, and the registry's view.

``ledger_entries`` is the log itself: one row per leaf, the exact leaf bytes, keyed by the
log and index in one integer (``LOG_SPAN``); rows are only ever inserted.
``ledger_checkpoints`` keeps every checkpoint the log signed (with the witness cosignatures
gathered for it). ``ledger_assets`` and ``ledger_asset_events`` are the registry's
materialised view of the log, written in the same transaction as the entries they follow
from; ``wenyuan ledger replay`` recomputes them from
the entries alone and compares.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "LOG_SPAN",
    "asset_events",
    "assets",
    "checkpoints",
    "entries",
    "logs",
    "metadata",
]

metadata = sa.MetaData()

_Index = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

logs = sa.Table(
    "ledger_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("origin", sa.String(255), nullable=False, unique=True),
    sa.Column("vkey", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("frozen_at", sa.DateTime(timezone=True)),
    sa.Column("successor", sa.String(255)),
)

entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("pos", _Index, primary_key=True, autoincrement=False),
    sa.Column("leaf", sa.LargeBinary, nullable=False),
)

LOG_SPAN = 1 << 40
"""``ledger_entries.pos`` is ``log_id * LOG_SPAN + index``: one integer key, so that SQLite
appends to the end of a rowid table (a fifth faster than a composite key, measured in
``benchmarks/bench_ledger.py``) and each log's entries are one key range."""

checkpoints = sa.Table(
    "ledger_checkpoints",
    metadata,
    sa.Column("log_id", sa.Integer, primary_key=True),
    sa.Column("size", _Index, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("cosignatures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

assets = sa.Table(
    "ledger_assets",
    metadata,
    sa.Column("asset_id", sa.String(80), primary_key=True),
    sa.Column("log_id", sa.Integer, nullable=False),
    sa.Column("head_index", _Index, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)

asset_events = sa.Table(
    "ledger_asset_events",
    metadata,
    sa.Column("asset_id", sa.String(80), primary_key=True),
    sa.Column("log_id", sa.Integer, primary_key=True),
    sa.Column("idx", _Index, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
)
