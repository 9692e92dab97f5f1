"""Resources: the fingerprint of what an ingest run read, to recognise unchanged sources.

Revision ID: resources_0002
Revises: resources_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "resources_0002"
down_revision = "resources_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ingest_runs", sa.Column("fingerprint", sa.String(64)))


def downgrade() -> None:
    op.drop_column("ingest_runs", "fingerprint")
