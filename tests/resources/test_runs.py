"""Ingest runs on SQLite and PostgreSQL: owners, heartbeats, and runs noticed interrupted."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wenyuan.core.db import create_engine, migrate
from wenyuan.core.process import ProcessOwner, owner_is_gone, this_process
from wenyuan.resources import MIGRATIONS, RecordStore, RunCounts
from wenyuan.resources._tables import ingest_runs

STALE_AFTER = 900.0


@pytest.fixture
def store(database_url: str) -> Iterator[RecordStore]:
    """An empty, migrated record store."""
    engine = create_engine(database_url)
    migrate(engine, [MIGRATIONS])
    yield RecordStore(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process on this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_process() -> Iterator[int]:
    """The pid of another process on this host, alive for the test."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def status_of(store: RecordStore, run_id: int) -> str:
    return next(run.status for run in store.runs() if run.id == run_id)


def test_a_run_whose_process_is_gone_is_marked_interrupted(
    store: RecordStore, dead_pid: int
) -> None:
    """A running run owned by a process of this host that no longer exists is marked
    interrupted at once, with the moment it was noticed; its counts so far are kept."""
    me = this_process()
    run_id = store.start_run("sample", "/data", owner=ProcessOwner(me.host, me.boot, dead_pid))
    store.heartbeat_run(run_id, RunCounts(read=500, created=400, rejected=100))
    before = datetime.now(UTC)
    assert store.mark_interrupted_runs(STALE_AFTER) == [run_id]
    run = store.runs()[0]
    assert run.status == "interrupted"
    assert run.noticed_at is not None
    assert run.noticed_at >= before
    assert (run.counts.read, run.counts.created, run.counts.rejected) == (500, 400, 100)
    assert run.finished_at is None
    assert store.mark_interrupted_runs(STALE_AFTER) == []


def test_runs_of_live_processes_stay_running(store: RecordStore, live_process: int) -> None:
    """Runs of this process and of another live process of this host are left running."""
    me = this_process()
    mine = store.start_run("sample", "/a")
    theirs = store.start_run("sample", "/b", owner=ProcessOwner(me.host, me.boot, live_process))
    assert store.mark_interrupted_runs(STALE_AFTER) == []
    assert (status_of(store, mine), status_of(store, theirs)) == ("running", "running")


def test_a_run_on_another_host_is_judged_by_its_heartbeat(
    store: RecordStore, dead_pid: int
) -> None:
    """A run of another host is never judged by pid (that pid means nothing here): it stays
    running while its heartbeat is fresh and is marked once the heartbeat is stale."""
    elsewhere = ProcessOwner("another-node", "another-boot", dead_pid)
    run_id = store.start_run("cmoa", "/data", owner=elsewhere)
    assert store.mark_interrupted_runs(STALE_AFTER) == []
    long_ago = datetime.now(UTC) - timedelta(seconds=STALE_AFTER + 60)
    with store.engine.begin() as conn:
        conn.execute(
            ingest_runs.update().where(ingest_runs.c.id == run_id).values(heartbeat_at=long_ago)
        )
    assert store.mark_interrupted_runs(STALE_AFTER) == [run_id]
    assert status_of(store, run_id) == "interrupted"


def test_a_finished_run_is_never_marked(store: RecordStore, dead_pid: int) -> None:
    """Done and failed runs stay as they ended, whatever became of their process."""
    me = this_process()
    for status in ("done", "failed"):
        run_id = store.start_run("sample", "/x", owner=ProcessOwner(me.host, me.boot, dead_pid))
        store.finish_run(run_id, RunCounts(read=1, created=1), status, None)
    assert store.mark_interrupted_runs(60) == []
    assert [run.status for run in store.runs()] == ["failed", "done"]


def test_a_run_from_before_owners_is_judged_by_its_start(store: RecordStore) -> None:
    """A running run recorded before runs had owners is marked once its start is stale."""
    with store.engine.begin() as conn:
        old = conn.execute(
            ingest_runs.insert().values(
                source="tate",
                path="/old",
                status="running",
                started_at=datetime.now(UTC) - timedelta(days=2),
                read=0,
                created=0,
                updated=0,
                unchanged=0,
                rejected=0,
            )
        ).inserted_primary_key
        assert old is not None
    assert store.mark_interrupted_runs(STALE_AFTER) == [int(old[0])]


def test_owner_is_gone_only_for_a_dead_pid_of_this_host(dead_pid: int) -> None:
    """A pid is proof only on this host and boot, and never for the calling process."""
    me = this_process()
    assert owner_is_gone(ProcessOwner(me.host, me.boot, dead_pid))
    assert not owner_is_gone(me)
    assert not owner_is_gone(ProcessOwner("elsewhere", me.boot, dead_pid))
    assert not owner_is_gone(ProcessOwner(me.host, "an-earlier-boot", dead_pid))


def test_ctrl_c_ends_a_run_interrupted_with_its_counts(store: RecordStore, tmp_path: Path) -> None:
    """An ingest stopped by Ctrl-C after its first batch is recorded interrupted at once,
    with the counts of the batches it stored."""
    from wenyuan.resources import ingest, make_adapter
    from wenyuan.resources.sources.sample import sample_path

    def stop_after_first_batch(counts: RunCounts) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(
            make_adapter("sample"),
            sample_path(),
            store,
            reports_dir=tmp_path,
            batch_size=50,
            progress=stop_after_first_batch,
        )
    (run,) = store.runs()
    assert run.status == "interrupted"
    assert run.counts.created == store.count() == 50
    assert run.finished_at is not None
