"""Ledger: logs, entries, checkpoints, the registry's asset view.

Revision ID: ledger_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ledger_0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = None

_Index = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_logs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(255), nullable=False, unique=True),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True)),
        sa.Column("successor", sa.String(255)),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("pos", _Index, primary_key=True, autoincrement=False),
        sa.Column("leaf", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("log_id", sa.Integer, primary_key=True),
        sa.Column("size", _Index, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("cosignatures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_assets",
        sa.Column("asset_id", sa.String(80), primary_key=True),
        sa.Column("log_id", sa.Integer, nullable=False),
        sa.Column("head_index", _Index, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_asset_events",
        sa.Column("asset_id", sa.String(80), primary_key=True),
        sa.Column("log_id", sa.Integer, primary_key=True),
        sa.Column("idx", _Index, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ledger_asset_events",
        "ledger_assets",
        "ledger_checkpoints",
        "ledger_entries",
        "ledger_logs",
    ):
        op.drop_table(table)
