"""Resources: who runs an ingest and when it last gave a sign of life, to notice crashed runs.

A run names its owner (host, boot of that host, process id) and refreshes ``heartbeat_at``
while it works; a run whose owner is provably gone, or whose heartbeat is long stale, is
marked ``interrupted`` with ``noticed_at`` the moment that was noticed.

Revision ID: resources_0003
Revises: resources_0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "resources_0003"
down_revision = "resources_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(sa.Column("owner_host", sa.String(255)))
        batch.add_column(sa.Column("owner_boot", sa.String(64)))
        batch.add_column(sa.Column("owner_pid", sa.Integer))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("noticed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_ingest_runs_status", "ingest_runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_ingest_runs_status", table_name="ingest_runs")
    with op.batch_alter_table("ingest_runs") as batch:
        for name in ("noticed_at", "heartbeat_at", "owner_pid", "owner_boot", "owner_host"):
            batch.drop_column(name)
