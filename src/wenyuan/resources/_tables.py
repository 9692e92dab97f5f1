"""The tables the resources domain owns: records, the change feed, ingest runs, watermarks.

``changes`` is a transactional outbox: every write to ``records`` appends to it in the same
transaction, with a monotonic sequence number. Consumers (the search index, later the RDF
store and the OAI-PMH provider) keep a watermark into it in ``watermarks`` and catch up
from there after a crash.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["CHANGES_CHANNEL", "changes", "ingest_runs", "metadata", "records", "watermarks"]

#: The PostgreSQL notification channel that every write to ``changes`` notifies, in the same
#: transaction (so listeners hear of a change only once it is committed).
CHANGES_CHANNEL = "wenyuan_changes"

metadata = sa.MetaData()

# SQLite makes an INTEGER PRIMARY KEY an alias of the rowid; PostgreSQL gets a BIGINT identity.
_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("source_id", sa.String(512), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("earliest", sa.Integer),
    sa.Column("latest", sa.Integer),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("ingest_run", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source", "source_id", name="uq_records_source_id"),
)
sa.Index("ix_records_type", records.c.type)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
    sa.Column("record_id", sa.String(24), nullable=False),
    sa.Column("op", sa.String(8), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("read", sa.Integer, nullable=False, default=0),
    sa.Column("created", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    sa.Column("report_path", sa.Text),
    # SHA-256 of the input (files), the mapping and the ingest code: the same fingerprint as
    # an earlier complete run means nothing can have changed (see ingest.fingerprint).
    sa.Column("fingerprint", sa.String(64)),
    # The process running the ingest and its last sign of life: a run whose owner is
    # provably gone, or whose heartbeat is long stale, becomes ``interrupted`` (noticed_at).
    sa.Column("owner_host", sa.String(255)),
    sa.Column("owner_boot", sa.String(64)),
    sa.Column("owner_pid", sa.Integer),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("noticed_at", sa.DateTime(timezone=True)),
)
sa.Index("ix_ingest_runs_status", ingest_runs.c.status)

watermarks = sa.Table(
    "watermarks",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)
