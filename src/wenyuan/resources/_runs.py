"""Ingest runs as the database records them: start, heartbeat, finish, and runs found dead.

A run names its owner (``core.process``) and stores its counts and a heartbeat after each
batch, so that a run whose process was killed can be told from one still going, here or on
another machine, and marked ``interrupted``; it keeps the counts it had reached.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from wenyuan.core.errors import StorageError
from wenyuan.core.process import ProcessOwner, owner_is_gone, this_process
from wenyuan.resources._tables import ingest_runs, records

__all__ = ["IngestRun", "RunCounts", "RunLog"]


@dataclass(slots=True)
class RunCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def stored(self) -> int:
        """How many of the source's records the run left in the store."""
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One ingest run as recorded: ``status`` is running, done, failed or interrupted.

    ``noticed_at`` is when an interrupted run was found to have stopped (its owner gone or
    its heartbeat stale); ``heartbeat_at`` is its last sign of life.
    """

    id: int
    source: str
    path: str
    status: str
    counts: RunCounts
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    noticed_at: datetime | None
    owner: str | None
    report_path: str | None

    def as_dict(self) -> dict[str, object]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "status": self.status,
            "source": self.source,
            "path": self.path,
            **dataclasses.asdict(self.counts),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "noticed_at": iso(self.noticed_at),
            "owner": self.owner,
            "report": self.report_path,
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """``moment`` with its time zone (SQLite gives back naive UTC datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RunLog:
    """The ``ingest_runs`` table; a base of ``RecordStore``, which holds the engine."""

    engine: Engine

    def start_run(
        self,
        source: str,
        path: str,
        fingerprint: str | None = None,
        *,
        owner: ProcessOwner | None = None,
    ) -> int:
        """Record a new run, ``running``, owned by ``owner`` (default: this process)."""
        owner = owner or this_process()
        now = _now()
        with self.engine.begin() as conn:
            result = conn.execute(
                ingest_runs.insert().values(
                    source=source,
                    path=path,
                    fingerprint=fingerprint,
                    status="running",
                    started_at=now,
                    heartbeat_at=now,
                    owner_host=owner.host,
                    owner_boot=owner.boot,
                    owner_pid=owner.pid,
                    read=0,
                    created=0,
                    updated=0,
                    unchanged=0,
                    rejected=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def last_complete_run(
        self, source: str, fingerprint: str
    ) -> tuple[RunCounts, str | None] | None:
        """The counts and report of the newest complete run of ``source`` that read input
        with ``fingerprint``, if the records it left are all still stored."""
        query = (
            sa.select(
                ingest_runs.c.read,
                ingest_runs.c.created,
                ingest_runs.c.updated,
                ingest_runs.c.unchanged,
                ingest_runs.c.rejected,
                ingest_runs.c.report_path,
            )
            .where(
                ingest_runs.c.source == source,
                ingest_runs.c.fingerprint == fingerprint,
                ingest_runs.c.status == "done",
            )
            .order_by(ingest_runs.c.id.desc())
            .limit(1)
        )
        stored = sa.select(sa.func.count()).select_from(records).where(records.c.source == source)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            counts = RunCounts(*(int(v) for v in row[:5]))
            if int(conn.execute(stored).scalar_one()) != counts.stored:
                return None  # records of this source were added or removed since
        return counts, row[5]

    def heartbeat_run(self, run_id: int, counts: RunCounts) -> None:
        """A sign of life of a running run, with its counts so far (kept if it dies)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    ingest_runs.update()
                    .where(ingest_runs.c.id == run_id, ingest_runs.c.status == "running")
                    .values(heartbeat_at=_now(), **dataclasses.asdict(counts))
                )
        except SQLAlchemyError as exc:
            raise StorageError(f"could not record ingest run {run_id}'s progress: {exc}") from exc

    def mark_interrupted_runs(self, stale_after: float) -> list[int]:
        """Mark ``interrupted`` every running run whose owner is provably gone (same host and
        boot, pid not alive) or whose last heartbeat is more than ``stale_after`` seconds old;
        returns their ids.

        A run that shows a newer heartbeat between the look and the mark is left alone (the
        update is conditional on the heartbeat seen), so a live run is never marked because of
        a race; two processes marking at once mark each run once.
        """
        now = _now()
        stale_before = now - timedelta(seconds=stale_after)
        beat = sa.func.coalesce(ingest_runs.c.heartbeat_at, ingest_runs.c.started_at)
        query = sa.select(
            ingest_runs.c.id,
            ingest_runs.c.owner_host,
            ingest_runs.c.owner_boot,
            ingest_runs.c.owner_pid,
            ingest_runs.c.heartbeat_at,
            ingest_runs.c.started_at,
        ).where(ingest_runs.c.status == "running")
        marked: list[int] = []
        try:
            with self.engine.begin() as conn:
                for row in conn.execute(query).all():
                    last = _aware(row.heartbeat_at or row.started_at)
                    gone = row.owner_pid is not None and owner_is_gone(
                        ProcessOwner(row.owner_host or "", row.owner_boot or "", row.owner_pid)
                    )
                    if not gone and last > stale_before:
                        continue
                    done = conn.execute(
                        ingest_runs.update()
                        .where(
                            ingest_runs.c.id == row.id,
                            ingest_runs.c.status == "running",
                            beat == (row.heartbeat_at or row.started_at),
                        )
                        .values(status="interrupted", noticed_at=now)
                    )
                    if done.rowcount:
                        marked.append(int(row.id))
        except SQLAlchemyError as exc:
            raise StorageError(f"could not check ingest runs: {exc}") from exc
        return marked

    def runs(self, limit: int = 20) -> list[IngestRun]:
        """The newest ``limit`` ingest runs, newest first."""
        c = ingest_runs.c
        query = sa.select(ingest_runs).order_by(c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            IngestRun(
                id=int(row.id),
                source=row.source,
                path=row.path,
                status=row.status,
                counts=RunCounts(row.read, row.created, row.updated, row.unchanged, row.rejected),
                started_at=_aware(row.started_at),
                finished_at=_aware(row.finished_at) if row.finished_at else None,
                heartbeat_at=_aware(row.heartbeat_at) if row.heartbeat_at else None,
                noticed_at=_aware(row.noticed_at) if row.noticed_at else None,
                owner=f"{row.owner_host}:{row.owner_pid}" if row.owner_pid is not None else None,
                report_path=row.report_path,
            )
            for row in rows
        ]

    def finish_run(
        self, run_id: int, counts: RunCounts, status: str, report_path: str | None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                ingest_runs.update()
                .where(ingest_runs.c.id == run_id)
                .values(
                    status=status,
                    finished_at=_now(),
                    report_path=report_path,
                    **dataclasses.asdict(counts),
                )
            )
